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
 * http.c: the fetcher's one HTTP client, libcurl multi driven by the
 * fetcher's libevent base.  Every orchestrator (consul.c, aws.c,
 * aws_creds.c) asks through here; nothing else in ep2d opens a network
 * connection.  http_init() runs before the sandbox closes: it loads
 * libcurl, its resolver and the system CA bundle (kept in memory, so
 * that TLS works from inside the chroot).
 */

#ifndef EP2D_HTTP_H
#define EP2D_HTTP_H

#include <sys/types.h>

#include <stdint.h>

struct event_base;
struct http_req;

#define HTTP_MAX_HEADERS	8

struct http_opts {
	const char	*url;
	const char	*method;	/* NULL: GET, or POST when body */
	const char	*headers[HTTP_MAX_HEADERS]; /* "Name: value", NULL ends */
	const char	*body;		/* request body or NULL */
	size_t		 bodylen;
	const char	*aws_sigv4;	/* CURLOPT_AWS_SIGV4 or NULL */
	const char	*userpwd;	/* "AKID:SECRET" for SigV4 */
	long		 timeout_ms;	/* whole transfer; 0: 30 s */
	long		 connect_timeout_ms; /* 0: 5 s */
	size_t		 max_body;	/* bigger answers fail; 0: 16 MB */
	int		 direct;	/* never through a proxy */
	/* TLS; NULL: system defaults */
	const char	*ca_file;
	const char	*cert_file;
	const char	*key_file;
	const char	*tls_server_name; /* verify this name instead */
};

struct http_resp {
	long		 status;	/* HTTP status, 0 when none */
	const char	*error;		/* transport error or NULL */
	const char	*body;		/* NUL terminated */
	size_t		 bodylen;
	double		 total_time;	/* seconds */
	struct http_req	*req;		/* for http_header() */
};

typedef void	(*http_cb)(void *, const struct http_resp *);

/* tls: a source may speak TLS (an https URL or proxy); see http.c */
int		 http_init(struct event_base *, int);
void		 http_shutdown(void);
/*
 * Read a TLS file (ca_file, cert_file, key_file) as root, before the
 * sandbox; requests naming it later use the copy in memory.
 */
int		 http_preload(const char *);
/*
 * Start a request; cb runs exactly once unless http_cancel() first, and
 * never before http_request() has returned.  The response, its body
 * and its headers are valid during the callback only.  http_cancel()
 * of the request whose callback is running is ignored.
 */
struct http_req	*http_request(const struct http_opts *, http_cb, void *);
void		 http_cancel(struct http_req *);
/* A response header's value (case-insensitive name), or NULL. */
const char	*http_header(const struct http_resp *, const char *);

#endif /* EP2D_HTTP_H */
