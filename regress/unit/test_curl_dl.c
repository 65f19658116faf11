/*
 * Copyright (c) 2026 The ep2d authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * ep2d/curl_dl.c, the fetcher's libcurl and libcrypto through dlopen:
 * each kind of argument passes through the variadic setopt calls as
 * itself (long, pointer, function, curl_off_t), the answers come back
 * from getinfo, and MD5 is OpenSSL's.  Linked as the fetcher is: the
 * libraries are loaded by the first call.
 */

#define CURL_DISABLE_TYPECHECK

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "tap.h"

static size_t
write_cb(char *p, size_t sz, size_t n, void *arg)
{
	return (sz * n);
}

int
main(void)
{
	static const unsigned char md5_abc[16] = {
		0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0,
		0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1, 0x7f, 0x72
	};
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	CURL		*e;
	CURLM		*m;
	CURLU		*u;
	struct curl_slist *l;
	char		*s, *host = NULL;
	void		*priv = NULL;
	long		 code = -1;

	is_int(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK,
	    "curl_global_init: libcurl loaded");
	is_int(OPENSSL_init_crypto(0, NULL), 1,
	    "OPENSSL_init_crypto (http_init without TLS) through the pointer");

	e = curl_easy_init();
	ok(e != NULL, "curl_easy_init");
	is_int(curl_easy_setopt(e, CURLOPT_URL, "http://127.0.0.1:9/x"),
	    CURLE_OK, "setopt, a pointer (CURLOPT_URL)");
	is_int(curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 1500L), CURLE_OK,
	    "setopt, a long (CURLOPT_TIMEOUT_MS)");
	is_int(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb),
	    CURLE_OK, "setopt, a function (CURLOPT_WRITEFUNCTION)");
	is_int(curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)1 << 33), CURLE_OK,
	    "setopt, a curl_off_t (CURLOPT_MAXFILESIZE_LARGE)");
	is_int(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "gopher-only"),
	    CURLE_UNSUPPORTED_PROTOCOL,
	    "setopt: libcurl's own refusal comes back");
	is_int(curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)md), CURLE_OK,
	    "setopt CURLOPT_PRIVATE");
	is_int(curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&priv),
	    CURLE_OK, "getinfo CURLINFO_PRIVATE");
	ok(priv == md, "getinfo: the pointer given to setopt");
	is_int(curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code), CURLE_OK,
	    "getinfo, a long (CURLINFO_RESPONSE_CODE)");
	is_int(code, 0, "no transfer: response code 0");
	s = curl_easy_escape(e, "a b/c", 0);
	is_str(s, "a%20b%2Fc", "curl_easy_escape");
	curl_free(s);
	is_str(curl_easy_strerror(CURLE_OK), "No error", "curl_easy_strerror");

	m = curl_multi_init();
	ok(m != NULL, "curl_multi_init");
	is_int(curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, 4L), CURLM_OK,
	    "multi_setopt, a long");
	is_int(curl_multi_setopt(m, CURLMOPT_SOCKETDATA, (void *)m),
	    CURLM_OK, "multi_setopt, a pointer");
	is_int(curl_multi_add_handle(m, e), CURLM_OK, "multi_add_handle");
	is_int(curl_multi_remove_handle(m, e), CURLM_OK,
	    "multi_remove_handle");
	is_int(curl_multi_cleanup(m), CURLM_OK, "multi_cleanup");
	curl_easy_cleanup(e);

	u = curl_url();
	ok(u != NULL, "curl_url");
	is_int(curl_url_set(u, CURLUPART_URL, "https://[::1]:8501/v1/kv",
	    0), CURLUE_OK, "curl_url_set");
	is_int(curl_url_get(u, CURLUPART_HOST, &host, 0), CURLUE_OK,
	    "curl_url_get");
	is_str(host, "[::1]", "the host, as libcurl parsed it");
	curl_free(host);
	curl_url_cleanup(u);

	l = curl_slist_append(NULL, "X-A: 1");
	l = curl_slist_append(l, "X-B: 2");
	ok(l != NULL && l->next != NULL && strcmp(l->next->data, "X-B: 2") ==
	    0, "curl_slist_append");
	curl_slist_free_all(l);

	is_int(EVP_Digest("abc", 3, md, &mdlen, EVP_md5(), NULL), 1,
	    "EVP_Digest MD5");
	ok(mdlen == 16 && memcmp(md, md5_abc, 16) == 0,
	    "MD5(abc), RFC 1321's");
	curl_global_cleanup();
	return (done_testing());
}
