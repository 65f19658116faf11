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
 * libcurl and OpenSSL's libcrypto, loaded by the fetcher when a source
 * needs them (issue 15, memory).
 *
 * Debian's libcurl4 brings some thirty libraries (OpenSSL, GnuTLS and
 * p11-kit through RTMP, Kerberos, LDAP, SSH, ...).  Linked in, they are
 * mapped and relocated at every start: 5 MB of the fetcher's 7.7 MB
 * RSS and 1.2 MB of pages of its own, even when every backend reads a
 * servers file and no request is ever made.  Only the fetcher is linked
 * with this file: it defines the few functions of libcurl and libcrypto
 * that ep2d calls, each of which goes through a pointer that the first
 * call fills with dlopen(3) and dlsym(3): http_init()'s
 * curl_global_init(), as root before the sandbox, while the files can
 * still be read.  No other order of calls can reach a null pointer
 * either: a first call in the chroot would fail to load, say why in one
 * line, and end the fetcher.  A libcurl or libcrypto function new to
 * ep2d needs its line here too: without one the fetcher does not link.
 * The units and fuzzers that use http.c and the AWS code link the
 * libraries themselves, without this file.
 */

#define CURL_DISABLE_TYPECHECK	/* the real prototypes, not macros */

#include <sys/types.h>

#include <dlfcn.h>
#include <stdarg.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ep2d.h"
#include "log.h"

/* The sonames of Debian 12's libcurl4 (OpenSSL) and libssl3. */
#define CURL_DL_CURL	"libcurl.so.4"
#define CURL_DL_CRYPTO	"libcrypto.so.3"

static struct {
	int		 loaded;
	void		 (*easy_cleanup)(CURL *);
	char		*(*easy_escape)(CURL *, const char *, int);
	CURLcode	 (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURL		*(*easy_init)(void);
	CURLcode	 (*easy_setopt)(CURL *, CURLoption, ...);
	const char	*(*easy_strerror)(CURLcode);
	void		 (*free)(void *);
	void		 (*global_cleanup)(void);
	CURLcode	 (*global_init)(long);
	CURLMcode	 (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode	 (*multi_assign)(CURLM *, curl_socket_t, void *);
	CURLMcode	 (*multi_cleanup)(CURLM *);
	CURLMsg		*(*multi_info_read)(CURLM *, int *);
	CURLM		*(*multi_init)(void);
	CURLMcode	 (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode	 (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode	 (*multi_socket_action)(CURLM *, curl_socket_t, int,
			    int *);
	struct curl_slist *(*slist_append)(struct curl_slist *,
			    const char *);
	void		 (*slist_free_all)(struct curl_slist *);
	CURLU		*(*url)(void);
	void		 (*url_cleanup)(CURLU *);
	CURLUcode	 (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
	CURLUcode	 (*url_set)(CURLU *, CURLUPart, const char *,
			    unsigned int);
	int		 (*evp_digest)(const void *, size_t, unsigned char *,
			    unsigned int *, const EVP_MD *, ENGINE *);
	const EVP_MD	*(*evp_md5)(void);
	int		 (*init_crypto)(uint64_t, const OPENSSL_INIT_SETTINGS *);
} dl;

/*
 * Load both libraries and find every function, or end the fetcher with
 * the reason.  Once loaded they stay (never dlclose'd: OpenSSL's state
 * lives as long as the process).
 */
static void
need(void)
{
	void	*curl, *crypto;

	if (dl.loaded)
		return;
	if ((curl = dlopen(CURL_DL_CURL, RTLD_NOW | RTLD_LOCAL)) == NULL)
		fatalx("%s", dlerror());
	/* already in memory as libcurl's own dependency */
	if ((crypto = dlopen(CURL_DL_CRYPTO, RTLD_NOW | RTLD_LOCAL)) == NULL)
		fatalx("%s", dlerror());
#define DL_SYM(h, f, name)	do {					\
	if ((*(void **)&dl.f = dlsym(h, name)) == NULL)			\
		fatalx("%s: no %s", (h) == curl ? CURL_DL_CURL :	\
		    CURL_DL_CRYPTO, name);				\
} while (0)
	DL_SYM(curl, easy_cleanup, "curl_easy_cleanup");
	DL_SYM(curl, easy_escape, "curl_easy_escape");
	DL_SYM(curl, easy_getinfo, "curl_easy_getinfo");
	DL_SYM(curl, easy_init, "curl_easy_init");
	DL_SYM(curl, easy_setopt, "curl_easy_setopt");
	DL_SYM(curl, easy_strerror, "curl_easy_strerror");
	DL_SYM(curl, free, "curl_free");
	DL_SYM(curl, global_cleanup, "curl_global_cleanup");
	DL_SYM(curl, global_init, "curl_global_init");
	DL_SYM(curl, multi_add_handle, "curl_multi_add_handle");
	DL_SYM(curl, multi_assign, "curl_multi_assign");
	DL_SYM(curl, multi_cleanup, "curl_multi_cleanup");
	DL_SYM(curl, multi_info_read, "curl_multi_info_read");
	DL_SYM(curl, multi_init, "curl_multi_init");
	DL_SYM(curl, multi_remove_handle, "curl_multi_remove_handle");
	DL_SYM(curl, multi_setopt, "curl_multi_setopt");
	DL_SYM(curl, multi_socket_action, "curl_multi_socket_action");
	DL_SYM(curl, slist_append, "curl_slist_append");
	DL_SYM(curl, slist_free_all, "curl_slist_free_all");
	DL_SYM(curl, url, "curl_url");
	DL_SYM(curl, url_cleanup, "curl_url_cleanup");
	DL_SYM(curl, url_get, "curl_url_get");
	DL_SYM(curl, url_set, "curl_url_set");
	DL_SYM(crypto, evp_digest, "EVP_Digest");
	DL_SYM(crypto, evp_md5, "EVP_md5");
	DL_SYM(crypto, init_crypto, "OPENSSL_init_crypto");
#undef DL_SYM
	dl.loaded = 1;
}

/*
 * The options' argument, read as its type (the option's number tells
 * it, as in libcurl's own setopt) and passed on as that type.
 */
#define DL_SETOPT(fn, h, opt, ap) do {					\
	if ((opt) < CURLOPTTYPE_OBJECTPOINT)				\
		return (fn(h, opt, va_arg(ap, long)));			\
	if ((opt) < CURLOPTTYPE_FUNCTIONPOINT)				\
		return (fn(h, opt, va_arg(ap, void *)));		\
	if ((opt) < CURLOPTTYPE_OFF_T)					\
		return (fn(h, opt, va_arg(ap, void (*)(void))));	\
	if ((opt) < CURLOPTTYPE_BLOB)					\
		return (fn(h, opt, va_arg(ap, curl_off_t)));		\
	return (fn(h, opt, va_arg(ap, void *)));			\
} while (0)

static CURLcode
easy_setopt_v(CURL *h, CURLoption opt, va_list ap)
{
	DL_SETOPT(dl.easy_setopt, h, opt, ap);
}

CURLcode
curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	va_list		 ap;
	CURLcode	 rc;

	need();
	va_start(ap, opt);
	rc = easy_setopt_v(h, opt, ap);
	va_end(ap);
	return (rc);
}

static CURLMcode
multi_setopt_v(CURLM *h, CURLMoption opt, va_list ap)
{
	DL_SETOPT(dl.multi_setopt, h, opt, ap);
}

CURLMcode
curl_multi_setopt(CURLM *h, CURLMoption opt, ...)
{
	va_list		 ap;
	CURLMcode	 rc;

	need();
	va_start(ap, opt);
	rc = multi_setopt_v(h, opt, ap);
	va_end(ap);
	return (rc);
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode
curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list		 ap;
	void		*p;

	need();
	va_start(ap, info);
	p = va_arg(ap, void *);
	va_end(ap);
	return (dl.easy_getinfo(h, info, p));
}

void
curl_easy_cleanup(CURL *h)
{
	need();
	dl.easy_cleanup(h);
}

char *
curl_easy_escape(CURL *h, const char *s, int len)
{
	need();
	return (dl.easy_escape(h, s, len));
}

CURL *
curl_easy_init(void)
{
	need();
	return (dl.easy_init());
}

const char *
curl_easy_strerror(CURLcode c)
{
	need();
	return (dl.easy_strerror(c));
}

void
curl_free(void *p)
{
	need();
	dl.free(p);
}

void
curl_global_cleanup(void)
{
	need();
	dl.global_cleanup();
}

CURLcode
curl_global_init(long flags)
{
	need();
	return (dl.global_init(flags));
}

CURLMcode
curl_multi_add_handle(CURLM *m, CURL *h)
{
	need();
	return (dl.multi_add_handle(m, h));
}

CURLMcode
curl_multi_assign(CURLM *m, curl_socket_t s, void *p)
{
	need();
	return (dl.multi_assign(m, s, p));
}

CURLMcode
curl_multi_cleanup(CURLM *m)
{
	need();
	return (dl.multi_cleanup(m));
}

CURLMsg *
curl_multi_info_read(CURLM *m, int *n)
{
	need();
	return (dl.multi_info_read(m, n));
}

CURLM *
curl_multi_init(void)
{
	need();
	return (dl.multi_init());
}

CURLMcode
curl_multi_remove_handle(CURLM *m, CURL *h)
{
	need();
	return (dl.multi_remove_handle(m, h));
}

CURLMcode
curl_multi_socket_action(CURLM *m, curl_socket_t s, int ev, int *running)
{
	need();
	return (dl.multi_socket_action(m, s, ev, running));
}

struct curl_slist *
curl_slist_append(struct curl_slist *l, const char *s)
{
	need();
	return (dl.slist_append(l, s));
}

void
curl_slist_free_all(struct curl_slist *l)
{
	need();
	dl.slist_free_all(l);
}

CURLU *
curl_url(void)
{
	need();
	return (dl.url());
}

void
curl_url_cleanup(CURLU *u)
{
	need();
	dl.url_cleanup(u);
}

CURLUcode
curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
	need();
	return (dl.url_get(u, what, part, flags));
}

CURLUcode
curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
	need();
	return (dl.url_set(u, what, part, flags));
}

int
EVP_Digest(const void *data, size_t count, unsigned char *md,
    unsigned int *size, const EVP_MD *type, ENGINE *impl)
{
	need();
	return (dl.evp_digest(data, count, md, size, type, impl));
}

const EVP_MD *
EVP_md5(void)
{
	need();
	return (dl.evp_md5());
}

int
OPENSSL_init_crypto(uint64_t opts, const OPENSSL_INIT_SETTINGS *settings)
{
	need();
	return (dl.init_crypto(opts, settings));
}
