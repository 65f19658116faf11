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
 * The fetcher's HTTP client: libcurl's multi interface driven by the
 * fetcher's libevent base (curl tells us which sockets and which timer
 * to watch; libevent tells curl when they fire).  Every request gets
 * the same limits: http and https only, no redirects, a whole-transfer
 * timeout, a cap on the body, and trust that was loaded into memory
 * before the sandbox closed, since the chrooted fetcher can open no
 * certificate file afterwards.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "http.h"
#include "log.h"

#define HTTP_CA_BUNDLE		"/etc/ssl/certs/ca-certificates.crt"
#define HTTP_FILE_MAX		(4 * 1024 * 1024)	/* a PEM file */
#define HTTP_PRELOAD_MAX	8
#define HTTP_TIMEOUT_MS		30000
#define HTTP_CONNECT_MS		5000
#define HTTP_BODY_DEFAULT	(16 * 1024 * 1024)
#define HTTP_RESP_HEADERS_MAX	128	/* more are ignored */
#define HTTP_URL_MAX		8192

struct http_hdr {
	char		*name;
	char		*value;
};

struct http_req {
	TAILQ_ENTRY(http_req)	 entry;
	CURL			*easy;
	http_cb			 cb;
	void			*arg;
	struct curl_slist	*hdrs;
	struct curl_slist	*connect_to;
	char			*body;
	size_t			 len;
	size_t			 cap;
	size_t			 max_body;
	int			 toobig;
	int			 in_cb;
	struct http_hdr		 rhdrs[HTTP_RESP_HEADERS_MAX];
	int			 nrhdrs;
	char			 errbuf[CURL_ERROR_SIZE];
	char			 msg[CURL_ERROR_SIZE + 64];
};

/* Files read as root, before the chroot: CA bundles, client certs, keys. */
struct http_file {
	char		 path[PATH_MAX];
	char		*data;
	size_t		 len;
};

static struct event_base	*http_evb;
static CURLM			*http_multi;
static struct event		*http_timer;
static TAILQ_HEAD(, http_req)	 http_reqs =
    TAILQ_HEAD_INITIALIZER(http_reqs);
static struct http_file		 http_files[HTTP_PRELOAD_MAX];
static int			 http_nfiles;
static struct http_file		 http_cabundle;
static int			 http_tls;	/* TLS set up by http_init */

static int	 http_sock_cb(CURL *, curl_socket_t, int, void *, void *);
static int	 http_timer_cb(CURLM *, long, void *);
static void	 http_ev_sock(int, short, void *);
static void	 http_ev_timer(int, short, void *);
static void	 http_check_done(void);
static void	 http_finish(struct http_req *, CURLcode);
static void	 http_free(struct http_req *);
static size_t	 http_write_cb(char *, size_t, size_t, void *);
static size_t	 http_header_cb(char *, size_t, size_t, void *);
static int	 http_read_file(const char *, struct http_file *);
static const struct http_file *http_file_find(const char *);
static int	 http_set_tls(struct http_req *, const struct http_opts *);
static int	 http_set_server_name(struct http_req *, const char *,
		    const char *);

/*
 * Runs as root before the sandbox: libcurl's global state, the CA
 * bundle in memory, and one name lookup so that the resolver's pieces
 * are loaded while the files they come from can still be read.
 *
 * tls is 0 when no source can speak TLS (every URL http://, no proxy
 * over https: fetcher.c decides).  libcurl 7.88's curl_global_init()
 * sets OpenSSL up whatever its flags say (CURL_GLOBAL_SSL is ignored
 * since 7.57), and so does libssh2's init inside it: openssl.cnf, the
 * error strings of every library and the tables of every cipher and
 * digest: 1.5 MB of the fetcher's RSS (10.6 MB to 9.1 with 10
 * backends on Consul; 1.3 MB PSS where no other process maps
 * libcrypto) that only TLS uses.  OpenSSL does each of those steps
 * once: run first as "not wanted", they are never done.  Nor is the
 * CA bundle read (220 kB of heap), and an https URL is refused
 * (http_request) rather than sent without the system's configuration
 * and trust.
 */
int
http_init(struct event_base *evb, int tls)
{
	struct addrinfo	 hints, *res;

	if (http_multi != NULL)
		return (0);
	if (!tls && OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
	    OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
	    NULL) != 1) {
		log_warnx("OPENSSL_init_crypto failed");
		return (-1);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("curl_global_init failed");
		return (-1);
	}
	if ((http_multi = curl_multi_init()) == NULL) {
		log_warnx("curl_multi_init failed");
		return (-1);
	}
	http_evb = evb;
	if ((http_timer = evtimer_new(evb, http_ev_timer, NULL)) == NULL) {
		log_warnx("%s: evtimer_new", __func__);
		return (-1);
	}
	curl_multi_setopt(http_multi, CURLMOPT_SOCKETFUNCTION, http_sock_cb);
	curl_multi_setopt(http_multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);

	http_tls = tls;
	if (!tls)
		log_debug("http: no source speaks TLS: OpenSSL without its "
		    "configuration, strings and cipher tables, no CA bundle");
	else if (http_read_file(HTTP_CA_BUNDLE, &http_cabundle) == -1)
		log_warnx("no system CA bundle: https works only with a "
		    "ca_file");

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", NULL, &hints, &res) == 0)
		freeaddrinfo(res);
	return (0);
}

void
http_shutdown(void)
{
	struct http_req	*req;
	int		 i;

	if (http_multi == NULL)
		return;
	while ((req = TAILQ_FIRST(&http_reqs)) != NULL)
		http_cancel(req);
	curl_multi_cleanup(http_multi);
	http_multi = NULL;
	if (http_timer != NULL) {
		event_free(http_timer);
		http_timer = NULL;
	}
	for (i = 0; i < http_nfiles; i++) {
		freezero(http_files[i].data, http_files[i].len);
		memset(&http_files[i], 0, sizeof(http_files[i]));
	}
	http_nfiles = 0;
	http_tls = 0;
	free(http_cabundle.data);
	memset(&http_cabundle, 0, sizeof(http_cabundle));
	curl_global_cleanup();
}

/*
 * Read a TLS file (CA bundle, client certificate, private key) now,
 * as root, so that requests naming it later use the copy in memory:
 * the chrooted fetcher cannot open it then.  Loading a path twice is
 * harmless.
 */
int
http_preload(const char *path)
{
	if (path == NULL || *path == '\0' || http_file_find(path) != NULL)
		return (0);
	if (http_nfiles == HTTP_PRELOAD_MAX) {
		log_warnx("%s: too many TLS files", path);
		return (-1);
	}
	if (http_read_file(path, &http_files[http_nfiles]) == -1)
		return (-1);
	http_nfiles++;
	return (0);
}

static int
http_read_file(const char *path, struct http_file *f)
{
	struct stat	 st;
	char		*buf = NULL, *nbuf;
	size_t		 len = 0, cap = 0, ncap;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		log_warn("%s", path);
		return (-1);
	}
	if (fstat(fd, &st) == -1) {
		log_warn("%s: fstat", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > HTTP_FILE_MAX) {
		log_warnx("%s: larger than %d bytes", path, HTTP_FILE_MAX);
		goto fail;
	}
	/*
	 * The file's size and a byte, not HTTP_FILE_MAX: malloc serves a
	 * 4 MB buffer by mmap, and freeing one raised its thresholds so
	 * that the heap was never trimmed again (200 kB and more kept
	 * resident after the start).  One that grew since fstat has the
	 * buffer grown, up to the limit.
	 */
	cap = st.st_size + 1;
	if ((buf = malloc(cap)) == NULL)
		fatal("%s: malloc", __func__);
	for (;;) {
		if (len == cap) {
			if (len > HTTP_FILE_MAX) {
				log_warnx("%s: larger than %d bytes", path,
				    HTTP_FILE_MAX);
				goto fail;
			}
			ncap = cap * 2;
			if (ncap > (size_t)HTTP_FILE_MAX + 1)
				ncap = (size_t)HTTP_FILE_MAX + 1;
			if ((nbuf = recallocarray(buf, cap, ncap, 1)) == NULL)
				fatal("%s: recallocarray", __func__);
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: read", path);
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	if (strlcpy(f->path, path, sizeof(f->path)) >= sizeof(f->path)) {
		log_warnx("%s: path too long", path);
		freezero(buf, cap);
		return (-1);
	}
	/* len < cap: the loop grows a full buffer before each read */
	buf[len] = '\0';
	f->data = buf;
	f->len = len;
	return (0);
fail:
	if (buf != NULL)
		freezero(buf, cap);
	close(fd);
	return (-1);
}

static const struct http_file *
http_file_find(const char *path)
{
	int	 i;

	for (i = 0; i < http_nfiles; i++)
		if (strcmp(http_files[i].path, path) == 0)
			return (&http_files[i]);
	return (NULL);
}

struct http_req *
http_request(const struct http_opts *o, http_cb cb, void *arg)
{
	struct http_req	*req;
	CURL		*e;
	int		 i;
	long		 ms;

	if (http_multi == NULL) {
		log_warnx("%s: http_init was not called", __func__);
		return (NULL);
	}
	if (o->url == NULL || strlen(o->url) >= HTTP_URL_MAX) {
		log_warnx("%s: no URL or URL too long", __func__);
		return (NULL);
	}
	if (!http_tls && strncasecmp(o->url, "http://", 7) != 0) {
		log_warnx("%s: TLS was not set up at the start (no source "
		    "asked for https)", __func__);
		return (NULL);
	}
	if ((req = calloc(1, sizeof(*req))) == NULL)
		fatal("%s: calloc", __func__);
	if ((req->easy = e = curl_easy_init()) == NULL) {
		log_warnx("%s: curl_easy_init failed", __func__);
		free(req);
		return (NULL);
	}
	req->cb = cb;
	req->arg = arg;
	req->max_body = o->max_body ? o->max_body : HTTP_BODY_DEFAULT;

	/*
	 * The errors of curl_easy_setopt below are all "unknown option"
	 * or "out of memory"; one check at the end catches them.
	 */
	if (curl_easy_setopt(e, CURLOPT_URL, o->url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK) {
		log_warnx("%s: URL refused by libcurl", __func__);
		goto fail;
	}
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 0L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)req->max_body);
	ms = o->timeout_ms > 0 ? o->timeout_ms : HTTP_TIMEOUT_MS;
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms);
	ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms :
	    HTTP_CONNECT_MS;
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "ep2d");
	/* "": no proxy, whatever http_proxy and the like say */
	if (o->direct && curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK)
		goto oom;

	if (o->body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)o->bodylen);
		if (curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, o->body) !=
		    CURLE_OK)
			goto oom;
	}
	if (o->method != NULL && curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
	    o->method) != CURLE_OK)
		goto oom;
	for (i = 0; i < HTTP_MAX_HEADERS && o->headers[i] != NULL; i++) {
		struct curl_slist	*l;

		if ((l = curl_slist_append(req->hdrs, o->headers[i])) == NULL)
			goto oom;
		req->hdrs = l;
	}
	if (req->hdrs != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->hdrs);
	if (o->aws_sigv4 != NULL && curl_easy_setopt(e, CURLOPT_AWS_SIGV4,
	    o->aws_sigv4) != CURLE_OK) {
		log_warnx("%s: libcurl refused the SigV4 parameters",
		    __func__);
		goto fail;
	}
	if (o->userpwd != NULL && curl_easy_setopt(e, CURLOPT_USERPWD,
	    o->userpwd) != CURLE_OK)
		goto oom;
	if (http_set_tls(req, o) == -1)
		goto fail;
	if (o->tls_server_name != NULL && *o->tls_server_name != '\0' &&
	    http_set_server_name(req, o->url, o->tls_server_name) == -1)
		goto fail;

	if (curl_multi_add_handle(http_multi, e) != CURLM_OK) {
		log_warnx("%s: curl_multi_add_handle failed", __func__);
		goto fail;
	}
	TAILQ_INSERT_TAIL(&http_reqs, req, entry);
	return (req);
oom:
	log_warnx("%s: libcurl: out of memory", __func__);
fail:
	http_free(req);
	return (NULL);
}

/*
 * Trust, for an https:// URL: a file named in the options and
 * preloaded is given from memory; one not preloaded is given by name
 * (works outside the sandbox only).  Without one, the system bundle
 * read at init.  No CA directory: nothing is looked up on disk after
 * the chroot.
 */
static int
http_set_tls(struct http_req *req, const struct http_opts *o)
{
	const struct http_file	*f;
	struct curl_blob	 blob;
	CURL			*e = req->easy;
	CURLcode		 rc = CURLE_OK;

	/*
	 * An http:// URL has no TLS (no redirects are followed): no trust
	 * to give, and without a CA blob curl does not copy the system
	 * bundle (220 kB) into each connection it opens, which the heap
	 * kept resident once freed.
	 */
	if (strncasecmp(o->url, "http://", 7) == 0)
		return (0);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);

	blob.flags = CURL_BLOB_NOCOPY;
	if (o->ca_file != NULL && *o->ca_file != '\0') {
		if ((f = http_file_find(o->ca_file)) != NULL) {
			blob.data = f->data;
			blob.len = f->len;
			rc = curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
		} else
			rc = curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
	} else if (http_cabundle.data != NULL) {
		blob.data = http_cabundle.data;
		blob.len = http_cabundle.len;
		rc = curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (rc != CURLE_OK)
		goto fail;
	if (o->cert_file != NULL && *o->cert_file != '\0') {
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		if ((f = http_file_find(o->cert_file)) != NULL) {
			blob.data = f->data;
			blob.len = f->len;
			rc = curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &blob);
		} else
			rc = curl_easy_setopt(e, CURLOPT_SSLCERT, o->cert_file);
		if (rc != CURLE_OK)
			goto fail;
	}
	if (o->key_file != NULL && *o->key_file != '\0') {
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
		if ((f = http_file_find(o->key_file)) != NULL) {
			blob.data = f->data;
			blob.len = f->len;
			rc = curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &blob);
		} else
			rc = curl_easy_setopt(e, CURLOPT_SSLKEY, o->key_file);
		if (rc != CURLE_OK)
			goto fail;
	}
	return (0);
fail:
	log_warnx("%s: libcurl refused the TLS settings: %s", __func__,
	    curl_easy_strerror(rc));
	return (-1);
}

/*
 * tls_server_name: the certificate is checked against this name (and
 * it is sent as SNI) while the connection goes to the URL's host.
 * curl has no option for that alone, so the URL names the server and
 * CURLOPT_CONNECT_TO sends the connection to the real address.
 */
static int
http_set_server_name(struct http_req *req, const char *url,
    const char *name)
{
	CURLU			*u = NULL;
	struct curl_slist	*l;
	char			*host = NULL, *port = NULL, *nurl = NULL;
	char			 map[HTTP_URL_MAX];
	int			 rv = -1, n;

	if ((u = curl_url()) == NULL)
		fatal("%s: curl_url", __func__);
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK ||
	    curl_url_set(u, CURLUPART_HOST, name, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &nurl, 0) != CURLUE_OK) {
		log_warnx("%s: cannot use tls_server_name %s", __func__,
		    name);
		goto done;
	}
	n = snprintf(map, sizeof(map), "%s:%s:%s:%s", name, port, host,
	    port);
	if (n < 0 || (size_t)n >= sizeof(map)) {
		log_warnx("%s: tls_server_name too long", __func__);
		goto done;
	}
	if ((l = curl_slist_append(req->connect_to, map)) == NULL)
		fatal("%s: curl_slist_append", __func__);
	req->connect_to = l;
	if (curl_easy_setopt(req->easy, CURLOPT_CONNECT_TO, l) != CURLE_OK ||
	    curl_easy_setopt(req->easy, CURLOPT_URL, nurl) != CURLE_OK) {
		log_warnx("%s: libcurl refused tls_server_name", __func__);
		goto done;
	}
	rv = 0;
done:
	curl_free(host);
	curl_free(port);
	curl_free(nurl);
	curl_url_cleanup(u);
	return (rv);
}

/* A request still running is dropped; its callback never runs. */
void
http_cancel(struct http_req *req)
{
	if (req == NULL || req->in_cb)
		return;
	TAILQ_REMOVE(&http_reqs, req, entry);
	curl_multi_remove_handle(http_multi, req->easy);
	http_free(req);
}

static void
http_free(struct http_req *req)
{
	int	 i;

	if (req->easy != NULL)
		curl_easy_cleanup(req->easy);
	curl_slist_free_all(req->hdrs);
	curl_slist_free_all(req->connect_to);
	for (i = 0; i < req->nrhdrs; i++) {
		free(req->rhdrs[i].name);
		free(req->rhdrs[i].value);
	}
	free(req->body);
	free(req);
}

const char *
http_header(const struct http_resp *resp, const char *name)
{
	struct http_req	*req;
	int		 i;

	if (resp == NULL || (req = resp->req) == NULL)
		return (NULL);
	/* the last one wins, as a repeated header replaces */
	for (i = req->nrhdrs - 1; i >= 0; i--)
		if (strcasecmp(req->rhdrs[i].name, name) == 0)
			return (req->rhdrs[i].value);
	return (NULL);
}

/* The body, kept below max_body: a bigger one aborts the transfer. */
static size_t
http_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_req	*req = arg;
	size_t		 n = size * nmemb, ncap;
	char		*nbuf;

	if (n > req->max_body - req->len) {
		req->toobig = 1;
		return (0);
	}
	if (req->len + n + 1 > req->cap) {
		ncap = req->cap ? req->cap : 4096;
		while (ncap < req->len + n + 1)
			ncap *= 2;
		if (ncap > req->max_body + 1)
			ncap = req->max_body + 1;
		if ((nbuf = realloc(req->body, ncap)) == NULL)
			fatal("%s: realloc", __func__);
		req->body = nbuf;
		req->cap = ncap;
	}
	memcpy(req->body + req->len, ptr, n);
	req->len += n;
	req->body[req->len] = '\0';
	return (n);
}

/*
 * Response headers, one line per call.  A status line starts a new
 * response (after a 100 Continue, say): what came before is dropped.
 */
static size_t
http_header_cb(char *ptr, size_t size, size_t nitems, void *arg)
{
	struct http_req	*req = arg;
	size_t		 n = size * nitems, nl, vl;
	const char	*colon, *v, *end = ptr + n;
	int		 i;

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		for (i = 0; i < req->nrhdrs; i++) {
			free(req->rhdrs[i].name);
			free(req->rhdrs[i].value);
		}
		req->nrhdrs = 0;
		return (n);
	}
	if ((colon = memchr(ptr, ':', n)) == NULL || colon == ptr)
		return (n);	/* the blank line, or not a header */
	if (req->nrhdrs == HTTP_RESP_HEADERS_MAX)
		return (n);
	nl = colon - ptr;
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	vl = end - v;
	if ((req->rhdrs[req->nrhdrs].name = strndup(ptr, nl)) == NULL ||
	    (req->rhdrs[req->nrhdrs].value = strndup(v, vl)) == NULL)
		fatal("%s: strndup", __func__);
	req->nrhdrs++;
	return (n);
}

/* curl wants to hear about socket S (or no longer). */
static int
http_sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *sockp)
{
	struct event	*ev = sockp;
	short		 kind;

	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL) {
			event_free(ev);
			curl_multi_assign(http_multi, s, NULL);
		}
		return (0);
	}
	kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (ev == NULL) {
		if ((ev = event_new(http_evb, s, kind, http_ev_sock,
		    NULL)) == NULL)
			fatalx("%s: event_new", __func__);
		curl_multi_assign(http_multi, s, ev);
	} else {
		event_del(ev);
		event_assign(ev, http_evb, s, kind, http_ev_sock, NULL);
	}
	if (event_add(ev, NULL) == -1)
		fatalx("%s: event_add", __func__);
	return (0);
}

static int
http_timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct timeval	 tv;

	if (timeout_ms < 0) {
		evtimer_del(http_timer);
		return (0);
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(http_timer, &tv);
	return (0);
}

static void
http_ev_sock(int fd, short event, void *arg)
{
	int	 action = 0, running;

	if (event & EV_READ)
		action |= CURL_CSELECT_IN;
	if (event & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(http_multi, fd, action, &running);
	http_check_done();
}

static void
http_ev_timer(int fd, short event, void *arg)
{
	int	 running;

	curl_multi_socket_action(http_multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	http_check_done();
}

static void
http_check_done(void)
{
	CURLMsg		*msg;
	struct http_req	*req;
	char		*p;
	int		 left;

	while ((msg = curl_multi_info_read(http_multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		p = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
		if ((req = (struct http_req *)p) == NULL)
			continue;
		http_finish(req, msg->data.result);
	}
}

/* The transfer is over: the callback runs once, then all is freed. */
static void
http_finish(struct http_req *req, CURLcode rc)
{
	struct http_resp	 resp;
	double			 t = 0;
	long			 status = 0, oserr;

	TAILQ_REMOVE(&http_reqs, req, entry);
	curl_multi_remove_handle(http_multi, req->easy);

	memset(&resp, 0, sizeof(resp));
	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(req->easy, CURLINFO_TOTAL_TIME, &t);
	resp.status = status;
	resp.total_time = t;
	resp.req = req;
	if (req->toobig || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(req->msg, sizeof(req->msg), "response body larger "
		    "than %zu bytes", req->max_body);
		resp.error = req->msg;
	} else if (rc != CURLE_OK) {
		oserr = 0;
		curl_easy_getinfo(req->easy, CURLINFO_OS_ERRNO, &oserr);
		snprintf(req->msg, sizeof(req->msg), "%s%s%s%s",
		    req->errbuf[0] ? req->errbuf : curl_easy_strerror(rc),
		    oserr ? " (" : "", oserr ? strerror(oserr) : "",
		    oserr ? ")" : "");
		resp.error = req->msg;
	}
	if (req->body == NULL) {
		if ((req->body = strdup("")) == NULL)
			fatal("%s: strdup", __func__);
		req->len = 0;
	}
	resp.body = req->body;
	resp.bodylen = req->len;

	req->in_cb = 1;
	req->cb(req->arg, &resp);
	http_free(req);
}
