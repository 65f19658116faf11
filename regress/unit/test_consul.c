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
 * consul.c's pure parts: the health answer's parser on Consul's own
 * sample (regress/fixtures/consul/health-service.json) and on
 * variants of it, the blocking-query index rules, the token bucket and
 * CONSUL_HTTP_ADDR.  Then http.c against a small canned HTTP server in
 * a child process: status, headers, the body cap, no redirects,
 * timeouts, a refused connection, cancel.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>
#include <json-c/json.h>

#include "ep2d.h"
#include "consul.h"
#include "http.h"
#include "log.h"
#include "tap.h"
#include "logcap.h"

#define DEFPORT	6003

/* consul.c reports through these; the tests call the parser directly */
void
source_good(struct source *s, struct server_set *set)
{
}

void
source_fail(struct source *s, const char *fmt, ...)
{
}

static char	*fixture;
static size_t	 fixture_len;

static void
load_fixture(void)
{
	const char	*dir = getenv("EP2D_FIXTURES");
	char		 path[1024];
	FILE		*fp;
	long		 n;

	if (dir == NULL)
		dir = "regress/fixtures";
	snprintf(path, sizeof(path), "%s/consul/health-service.json", dir);
	if ((fp = fopen(path, "r")) == NULL) {
		printf("Bail out! %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	if ((fixture = malloc(n + 1)) == NULL ||
	    fread(fixture, 1, n, fp) != (size_t)n) {
		printf("Bail out! %s: read\n", path);
		exit(1);
	}
	fixture[n] = '\0';
	fixture_len = n;
	fclose(fp);
}

static int
parse(const char *body, size_t len, struct server_set *set, int *bad)
{
	char	 err[EP2D_ERR_MAX];
	int	 rv;

	set_clear(set);
	err[0] = '\0';
	rv = consul_parse_health(body, len, DEFPORT, set, bad, err,
	    sizeof(err));
	if (rv == -1)
		printf("# refused: %s\n", err);
	return (rv);
}

static int
parse_str(const char *body, struct server_set *set, int *bad)
{
	return (parse(body, strlen(body), set, bad));
}

/* The sample entry, changed by the caller; n copies in an array. */
static struct json_object *
sample_entry(void)
{
	struct json_object	*root, *e;

	root = json_tokener_parse(fixture);
	e = json_object_get(json_object_array_get_idx(root, 0));
	json_object_put(root);
	return (e);
}

static struct json_object *
svc(struct json_object *e)
{
	struct json_object	*s;

	json_object_object_get_ex(e, "Service", &s);
	return (s);
}

static struct json_object *
node(struct json_object *e)
{
	struct json_object	*n;

	json_object_object_get_ex(e, "Node", &n);
	return (n);
}

/* Parse an array of the given entries (consumed). */
static int
parse_entries(struct json_object **es, int n, struct server_set *set,
    int *bad)
{
	struct json_object	*arr = json_object_new_array();
	const char		*s;
	size_t			 len;
	int			 i, rv;

	for (i = 0; i < n; i++)
		json_object_array_add(arr, es[i]);
	s = json_object_to_json_string_length(arr, JSON_C_TO_STRING_PLAIN,
	    &len);
	rv = parse(s, len, set, bad);
	json_object_put(arr);
	return (rv);
}

static int
has(struct server_set *set, const char *host, uint16_t port)
{
	return (set_find(set, host, port) != -1);
}

static void
test_fixture(void)
{
	struct server_set	 set;
	int			 bad;

	set_init(&set);
	ok(parse(fixture, fixture_len, &set, &bad) == 0,
	    "fixture: Consul's sample answer parses");
	is_int(set.count, 1, "fixture: one instance");
	is_int(bad, 0, "fixture: nothing refused");
	ok(set.count == 1 && strcmp(set.servers[0].host, "10.1.10.12") == 0 &&
	    set.servers[0].port == 8000,
	    "fixture: Service.Address and Service.Port (10.1.10.12:8000)");
	set_free(&set);
}

static void
test_address_rules(void)
{
	struct server_set	 set;
	struct json_object	*e[4];
	int			 bad;

	set_init(&set);

	/* Service.Address empty: Node.Address (Consul's rule) */
	e[0] = sample_entry();
	json_object_object_add(svc(e[0]), "Address",
	    json_object_new_string(""));
	json_object_object_add(node(e[0]), "Address",
	    json_object_new_string("10.9.9.9"));
	ok(parse_entries(e, 1, &set, &bad) == 0 && set.count == 1 &&
	    has(&set, "10.9.9.9", 8000),
	    "empty Service.Address: Node.Address is used");

	/* Service.Address missing altogether: Node.Address too */
	e[0] = sample_entry();
	json_object_object_del(svc(e[0]), "Address");
	ok(parse_entries(e, 1, &set, &bad) == 0 && set.count == 1 &&
	    has(&set, "10.1.10.12", 8000),
	    "no Service.Address key: Node.Address is used");

	/* Service.Address set: it wins over Node.Address */
	e[0] = sample_entry();
	json_object_object_add(svc(e[0]), "Address",
	    json_object_new_string("10.2.2.2"));
	json_object_object_add(node(e[0]), "Address",
	    json_object_new_string("10.3.3.3"));
	ok(parse_entries(e, 1, &set, &bad) == 0 && set.count == 1 &&
	    has(&set, "10.2.2.2", 8000),
	    "Service.Address wins over Node.Address");

	/* Service.Port 0 or missing: backend_port */
	e[0] = sample_entry();
	json_object_object_add(svc(e[0]), "Port", json_object_new_int(0));
	e[1] = sample_entry();
	json_object_object_add(svc(e[1]), "Address",
	    json_object_new_string("10.4.4.4"));
	json_object_object_del(svc(e[1]), "Port");
	ok(parse_entries(e, 2, &set, &bad) == 0 && set.count == 2 &&
	    has(&set, "10.1.10.12", DEFPORT) && has(&set, "10.4.4.4", DEFPORT),
	    "Service.Port 0 or missing: backend_port");

	/* host names and IPv6 are addresses too */
	e[0] = sample_entry();
	json_object_object_add(svc(e[0]), "Address",
	    json_object_new_string("2001:db8::7"));
	e[1] = sample_entry();
	json_object_object_add(svc(e[1]), "Address",
	    json_object_new_string("web-1.example.com"));
	ok(parse_entries(e, 2, &set, &bad) == 0 && set.count == 2 &&
	    has(&set, "2001:db8::7", 8000) &&
	    has(&set, "web-1.example.com", 8000),
	    "IPv6 and host name addresses accepted");

	/* the same instance twice is one server */
	e[0] = sample_entry();
	e[1] = sample_entry();
	ok(parse_entries(e, 2, &set, &bad) == 0 && set.count == 1 &&
	    bad == 0, "a duplicate instance is one server");

	set_free(&set);
}

static void
test_bad_instances(void)
{
	static const char *hostile[] = {
		"10.0.0.1\n    server evil 127.0.0.1:80",
		"1.2.3.4;shutdown sessions server haproxynode/node1",
		"10.0.0.1 backup",
		"\"10.0.0.1\"",
		"10.0.0.1:80",
		"",
		"-a",
	};
	struct server_set	 set;
	struct json_object	*e[4];
	size_t			 i;
	int			 bad;

	set_init(&set);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		e[0] = sample_entry();
		json_object_object_add(svc(e[0]), "ID",
		    json_object_new_string("hostile"));
		json_object_object_add(svc(e[0]), "Address",
		    json_object_new_string(hostile[i]));
		/* an empty one falls back to the node: make that bad too */
		json_object_object_add(node(e[0]), "Address",
		    json_object_new_string(hostile[i]));
		e[1] = sample_entry();
		ok(parse_entries(e, 2, &set, &bad) == 0 && set.count == 1 &&
		    bad == 1 && has(&set, "10.1.10.12", 8000),
		    "hostile address %zu skipped, the valid instance applies",
		    i);
	}

	/* a NUL inside the address: json-c keeps it, we must not cut */
	ok(parse_str("[{\"Node\":{\"Address\":\"10.0.0.9\"},\"Service\":{"
	    "\"ID\":\"nul\",\"Address\":\"10.0.0.1\\u0000 backup\","
	    "\"Port\":80}}]", &set, &bad) == 0 && set.count == 0 && bad == 1,
	    "an address with a NUL is skipped");

	/* ports: out of range, not integers */
	ok(parse_str("[{\"Service\":{\"ID\":\"a\",\"Address\":\"10.0.0.1\","
	    "\"Port\":70000}},{\"Service\":{\"ID\":\"b\",\"Address\":"
	    "\"10.0.0.2\",\"Port\":-1}},{\"Service\":{\"ID\":\"c\","
	    "\"Address\":\"10.0.0.3\",\"Port\":\"80\"}},{\"Service\":{"
	    "\"ID\":\"d\",\"Address\":\"10.0.0.4\",\"Port\":80.5}},"
	    "{\"Service\":{\"ID\":\"e\",\"Address\":\"10.0.0.5\","
	    "\"Port\":81}}]", &set, &bad) == 0 && set.count == 1 &&
	    bad == 4 && has(&set, "10.0.0.5", 81),
	    "ports 70000, -1, \"80\", 80.5 skipped; port 81 applies");

	/* entries of the wrong shape */
	ok(parse_str("[1, \"x\", null, {}, {\"Service\": []}, "
	    "{\"Service\":{\"Address\":5}}, {\"Service\":{\"ID\":\"n\"},"
	    "\"Node\":{}}, {\"Service\":{\"Address\":\"10.0.0.7\","
	    "\"Port\":7}}]", &set, &bad) == 0 && set.count == 1 &&
	    bad == 7 && has(&set, "10.0.0.7", 7),
	    "entries of the wrong shape skipped, the good one applies");

	set_free(&set);
}

static void
test_refused(void)
{
	static const char *badjson[] = {
		"",
		"[",
		"[{\"Service\":",
		"<html>502 Bad Gateway</html>",
		"[] []",
		"[] x",
		"[1,]",
		"['a']",
		"{\"Service\":{}}",
		"\"10.0.0.1\"",
		"null",
		"42",
		"[\"\xff\xfe\"]",
	};
	struct server_set	 set;
	size_t			 i;
	int			 bad;
	char			 trunc[4096];

	set_init(&set);
	for (i = 0; i < sizeof(badjson) / sizeof(badjson[0]); i++)
		ok(parse_str(badjson[i], &set, &bad) == -1,
		    "refused whole: bad body %zu", i);
	/* the fixture cut anywhere is refused */
	memcpy(trunc, fixture, fixture_len / 2);
	ok(parse(trunc, fixture_len / 2, &set, &bad) == -1,
	    "refused whole: the sample cut in half");

	ok(parse_str("[]", &set, &bad) == 0 && set.count == 0 && bad == 0,
	    "empty array: a valid answer with no instance");
	ok(parse_str(" [ ] \n", &set, &bad) == 0 && set.count == 0,
	    "white space around the array is fine");
	set_free(&set);
}

static void
test_index(void)
{
	uint64_t	 v;
	int		 reset;

	ok(consul_parse_index("1447", &v) == 0 && v == 1447,
	    "index: 1447");
	ok(consul_parse_index("18446744073709551615", &v) == 0 &&
	    v == UINT64_MAX, "index: 2^64-1");
	ok(consul_parse_index("18446744073709551616", &v) == -1,
	    "index: 2^64 refused");
	ok(consul_parse_index("", &v) == -1, "index: empty refused");
	ok(consul_parse_index("-1", &v) == -1, "index: -1 refused");
	ok(consul_parse_index("12a", &v) == -1, "index: 12a refused");
	ok(consul_parse_index(" 12", &v) == -1, "index: \" 12\" refused");
	ok(consul_parse_index(NULL, &v) == -1, "index: none refused");

	is_int(consul_index_update(10, 12, &reset), 12, "index forward kept");
	is_int(reset, 0, "index forward: no reset");
	is_int(consul_index_update(12, 12, &reset), 12, "same index kept");
	is_int(consul_index_update(12, 10, &reset), 0,
	    "index backwards: reset to 0");
	is_int(reset, 1, "index backwards: reported");
	is_int(consul_index_query(0), 1, "blocking index at least 1");
	is_int(consul_index_query(1447), 1447, "blocking index as kept");
}

static void
test_bucket(void)
{
	struct consul_bucket	 b;
	long			 d;

	consul_bucket_init(&b, 1000);
	is_int(consul_bucket_take(&b, 1000), 0, "bucket: first at once");
	is_int(consul_bucket_take(&b, 1000), 0, "bucket: burst of 2");
	d = consul_bucket_take(&b, 1000);
	is_int(d, CONSUL_REFILL_MS, "bucket: third waits one refill");
	is_int(consul_bucket_take(&b, 1000 + d), CONSUL_REFILL_MS,
	    "bucket: churn degrades into polling");
	is_int(consul_bucket_take(&b, 100000), 0,
	    "bucket: after a quiet time, at once again");
	is_int(consul_bucket_take(&b, 100000), 0,
	    "bucket: and the burst is back");
	ok(consul_bucket_take(&b, 100000 + CONSUL_REFILL_MS / 2) ==
	    CONSUL_REFILL_MS / 2, "bucket: partial refill counted");
}

static void
test_http_addr(void)
{
	char		 host[EP2D_HOST_MAX];
	uint16_t	 port;
	int		 https;

	ok(consul_parse_http_addr("127.0.0.1:8501", host, sizeof(host),
	    &port, &https) == 0 && strcmp(host, "127.0.0.1") == 0 &&
	    port == 8501 && https == 0, "CONSUL_HTTP_ADDR host:port");
	ok(consul_parse_http_addr("https://consul.example.com", host,
	    sizeof(host), &port, &https) == 0 &&
	    strcmp(host, "consul.example.com") == 0 && port == 8500 &&
	    https == 1, "CONSUL_HTTP_ADDR https://name, port 8500");
	ok(consul_parse_http_addr("http://[::1]:8500/", host, sizeof(host),
	    &port, &https) == 0 && strcmp(host, "::1") == 0 &&
	    port == 8500 && https == 0, "CONSUL_HTTP_ADDR http://[::1]:8500/");
	ok(consul_parse_http_addr("unix:///run/consul.sock", host,
	    sizeof(host), &port, &https) == -1,
	    "CONSUL_HTTP_ADDR unix:// refused");
	ok(consul_parse_http_addr("a b:1", host, sizeof(host), &port,
	    &https) == -1, "CONSUL_HTTP_ADDR with a space refused");
	ok(consul_parse_http_addr("10.0.0.1:0", host, sizeof(host), &port,
	    &https) == -1, "CONSUL_HTTP_ADDR port 0 refused");
	ok(consul_parse_http_addr("10.0.0.1:80/v1", host, sizeof(host),
	    &port, &https) == -1, "CONSUL_HTTP_ADDR with a path refused");
}

/*
 * The canned server: one request per connection, answered by path.
 */
static void
serve(int ls, uint16_t port)
{
	char	 req[8192], big[10000], out[12000];
	ssize_t	 n;
	size_t	 len;
	int	 fd;

	memset(big, 'x', sizeof(big));
	for (;;) {
		if ((fd = accept(ls, NULL, NULL)) == -1)
			_exit(1);
		len = 0;
		while (len < sizeof(req) - 1 && (n = read(fd, req + len,
		    sizeof(req) - 1 - len)) > 0) {
			len += n;
			req[len] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		req[len] = '\0';
		if (strncmp(req, "GET /ok ", 8) == 0)
			dprintf(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain"
			    "\r\nX-Consul-Index: 42\r\nx-mixed-CASE:   v1  \r\n"
			    "Content-Length: 5\r\nConnection: close\r\n\r\n"
			    "hello");
		else if (strncmp(req, "GET /notfound ", 14) == 0)
			dprintf(fd, "HTTP/1.1 403 Forbidden\r\nContent-Length: "
			    "13\r\nConnection: close\r\n\r\nACL not found");
		else if (strncmp(req, "GET /redirect ", 14) == 0)
			dprintf(fd, "HTTP/1.1 301 Moved\r\nLocation: "
			    "http://127.0.0.1:%u/ok\r\nContent-Length: 0\r\n"
			    "Connection: close\r\n\r\n", port);
		else if (strncmp(req, "GET /big ", 9) == 0) {
			dprintf(fd, "HTTP/1.1 200 OK\r\nConnection: close"
			    "\r\n\r\n");
			n = write(fd, big, sizeof(big));
		} else if (strncmp(req, "GET /bigcl ", 11) == 0) {
			dprintf(fd, "HTTP/1.1 200 OK\r\nContent-Length: %zu"
			    "\r\nConnection: close\r\n\r\n", sizeof(big));
			n = write(fd, big, sizeof(big));
		} else if (strncmp(req, "GET /slow ", 10) == 0) {
			sleep(1);
		} else {
			/* echo: the request as the body */
			snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n\r\n"
			    "%s", len, req);
			n = write(fd, out, strlen(out));
		}
		close(fd);
	}
}

struct result {
	int	 called;
	long	 status;
	char	 error[512];
	char	*body;
	size_t	 bodylen;
	int	 nul;
	char	 index[64];
	char	 mixed[64];
	int	 noheader;
};

static struct event_base *evb;

static void
result_cb(void *arg, const struct http_resp *r)
{
	struct result	*res = arg;
	const char	*h;

	res->called++;
	res->status = r->status;
	snprintf(res->error, sizeof(res->error), "%s",
	    r->error ? r->error : "");
	res->body = strndup(r->body, r->bodylen);
	res->bodylen = r->bodylen;
	res->nul = r->body[r->bodylen] == '\0';
	h = http_header(r, "x-consul-index");
	snprintf(res->index, sizeof(res->index), "%s", h ? h : "");
	h = http_header(r, "X-MIXED-case");
	snprintf(res->mixed, sizeof(res->mixed), "%s", h ? h : "");
	res->noheader = http_header(r, "X-Nope") == NULL;
	event_base_loopbreak(evb);
}

static void
unblock(int fd, short ev, void *arg)
{
	event_base_loopbreak(evb);
}

static void
fetch(uint16_t port, const char *path, struct http_opts *o,
    struct result *res)
{
	struct http_opts	 def;
	struct event		*ev;
	struct timeval		 tv = { 10, 0 };
	char			 url[256];

	if (o == NULL) {
		memset(&def, 0, sizeof(def));
		o = &def;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	o->url = url;
	memset(res, 0, sizeof(*res));
	if (http_request(o, result_cb, res) == NULL) {
		snprintf(res->error, sizeof(res->error), "no request");
		return;
	}
	/* a bound, removed afterwards so that it stops no later fetch */
	if ((ev = evtimer_new(evb, unblock, NULL)) == NULL) {
		printf("Bail out! evtimer_new\n");
		exit(1);
	}
	evtimer_add(ev, &tv);
	event_base_dispatch(evb);
	event_free(ev);
}

static void
test_http(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	struct http_opts	 o;
	struct result		 res, res2;
	struct http_req		*req;
	uint16_t		 port, dead;
	pid_t			 pid;
	int			 ls, ds;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(ls, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(ls, 16) == -1 ||
	    getsockname(ls, (struct sockaddr *)&sin, &sl) == -1) {
		printf("Bail out! test server: %s\n", strerror(errno));
		exit(1);
	}
	port = ntohs(sin.sin_port);
	/* a port nobody listens on */
	sin.sin_port = 0;
	if ((ds = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(ds, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(ds, (struct sockaddr *)&sin, &sl) == -1) {
		printf("Bail out! test port: %s\n", strerror(errno));
		exit(1);
	}
	dead = ntohs(sin.sin_port);
	close(ds);
	fflush(stdout);
	if ((pid = fork()) == 0)
		serve(ls, port);
	close(ls);

	evb = event_base_new();
	ok(http_init(evb, 0) == 0, "http: init, no TLS");
	memset(&o, 0, sizeof(o));
	o.url = "https://127.0.0.1:9/ok";
	ok(http_request(&o, result_cb, &res) == NULL,
	    "http: no TLS set up, an https URL is refused");

	fetch(port, "/ok", NULL, &res);
	ok(res.called == 1 && res.status == 200 && res.error[0] == '\0',
	    "http: 200, no error");
	ok(res.body != NULL && strcmp(res.body, "hello") == 0 &&
	    res.bodylen == 5 && res.nul, "http: body, NUL terminated");
	is_str(res.index, "42", "http: header, any case");
	is_str(res.mixed, "v1", "http: header value trimmed");
	ok(res.noheader, "http: a missing header is NULL");
	free(res.body);

	fetch(port, "/notfound", NULL, &res);
	ok(res.status == 403 && res.error[0] == '\0' &&
	    strcmp(res.body, "ACL not found") == 0,
	    "http: 403 is a status, with its body");
	free(res.body);

	fetch(port, "/redirect", NULL, &res);
	ok(res.status == 301 && res.bodylen == 0,
	    "http: a redirect is not followed");
	free(res.body);

	memset(&o, 0, sizeof(o));
	o.max_body = 1000;
	fetch(port, "/big", &o, &res);
	ok(res.called == 1 && strstr(res.error, "larger than 1000") != NULL,
	    "http: a body over max_body fails (%s)", res.error);
	free(res.body);
	memset(&o, 0, sizeof(o));
	o.max_body = 1000;
	fetch(port, "/bigcl", &o, &res);
	ok(strstr(res.error, "larger than 1000") != NULL,
	    "http: an announced body over max_body fails");
	free(res.body);
	memset(&o, 0, sizeof(o));
	o.max_body = 10000;
	fetch(port, "/big", &o, &res);
	ok(res.error[0] == '\0' && res.bodylen == 10000,
	    "http: a body of exactly max_body passes");
	free(res.body);

	memset(&o, 0, sizeof(o));
	o.headers[0] = "X-Consul-Token: sekrit";
	o.method = "PUT";
	fetch(port, "/echo", &o, &res);
	ok(res.body != NULL && strncmp(res.body, "PUT /echo ", 10) == 0 &&
	    strstr(res.body, "\r\nX-Consul-Token: sekrit\r\n") != NULL,
	    "http: method and header sent");
	free(res.body);

	memset(&o, 0, sizeof(o));
	o.body = "a=1&b=2";
	o.bodylen = 7;
	fetch(port, "/echo", &o, &res);
	ok(res.body != NULL && strncmp(res.body, "POST /echo ", 11) == 0,
	    "http: a body means POST");
	free(res.body);

	memset(&o, 0, sizeof(o));
	o.timeout_ms = 300;
	fetch(port, "/slow", &o, &res);
	ok(res.called == 1 && res.status == 0 && res.error[0] != '\0',
	    "http: timeout (%s)", res.error);
	free(res.body);

	fetch(dead, "/ok", NULL, &res);
	ok(res.called == 1 && res.status == 0 && res.error[0] != '\0',
	    "http: refused connection (%s)", res.error);
	free(res.body);

	memset(&o, 0, sizeof(o));
	o.url = "file:///etc/passwd";
	memset(&res, 0, sizeof(res));
	req = http_request(&o, result_cb, &res);
	if (req != NULL)
		event_base_dispatch(evb);	/* the callback breaks it */
	ok(req == NULL || (res.called == 1 && res.status == 0 &&
	    res.error[0] != '\0' && res.bodylen == 0),
	    "http: file:// refused");
	free(res.body);

	/* cancel: the callback never runs */
	memset(&o, 0, sizeof(o));
	o.url = NULL;
	memset(&res2, 0, sizeof(res2));
	{
		char	 url[256];

		snprintf(url, sizeof(url), "http://127.0.0.1:%u/slow", port);
		o.url = url;
		req = http_request(&o, result_cb, &res2);
	}
	ok(req != NULL, "http: request started");
	http_cancel(req);
	fetch(port, "/ok", NULL, &res);
	ok(res.called == 1 && res2.called == 0,
	    "http: a cancelled request's callback never runs");
	free(res.body);

	http_shutdown();
	event_base_free(evb);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* Service.Weights and the checks' states (consul_parse_health_opts). */
static int
parse_opts(struct json_object *e, const struct consul_health_opts *o,
    struct server_set *set, int *bad)
{
	struct json_object	*arr = json_object_new_array();
	const char		*s;
	char			 err[EP2D_ERR_MAX];
	size_t			 len;
	int			 rv;

	json_object_array_add(arr, e);
	s = json_object_to_json_string_length(arr, JSON_C_TO_STRING_PLAIN,
	    &len);
	set_clear(set);
	rv = consul_parse_health_opts(s, len, DEFPORT, o, set, bad, err,
	    sizeof(err));
	json_object_put(arr);
	return (rv);
}

static void
set_status(struct json_object *e, int i, const char *st)
{
	struct json_object	*checks;

	json_object_object_get_ex(e, "Checks", &checks);
	json_object_object_add(json_object_array_get_idx(checks, i),
	    "Status", json_object_new_string(st));
}

static void
set_weights(struct json_object *e, struct json_object *w)
{
	json_object_object_add(svc(e), "Weights", w);
}

static void
test_weights(void)
{
	struct consul_health_opts	 o;
	struct server_set		 set;
	struct json_object		*e, *w;
	int				 bad;

	set_init(&set);
	ok(consul_weight(1) == 0 && consul_weight(0) == EP2D_WEIGHT_ZERO &&
	    consul_weight(10) == 10 && consul_weight(256) == 256 &&
	    consul_weight(65535) == EP2D_WEIGHT_MAX &&
	    consul_weight(-3) == EP2D_WEIGHT_ZERO,
	    "weights: 1 is HAProxy's default, 0 drained, capped at 256");

	memset(&o, 0, sizeof(o));
	ok(parse(fixture, fixture_len, &set, &bad) == 0 && set.count > 0 &&
	    set.servers[0].weight == 0,
	    "consul_parse_health: no weights, as before");
	o.weights = 1;
	ok(parse_opts(sample_entry(), &o, &set, &bad) == 0 &&
	    set.count == 1 && set.servers[0].weight == 10,
	    "the fixture's Weights.Passing 10");
	e = sample_entry();
	set_status(e, 1, "warning");
	ok(parse_opts(e, &o, &set, &bad) == 0 && set.count == 1 &&
	    set.servers[0].weight == 0,
	    "warning: Weights.Warning (1: default)");
	e = sample_entry();
	set_status(e, 0, "warning");
	w = json_object_new_object();
	json_object_object_add(w, "Passing", json_object_new_int(3));
	json_object_object_add(w, "Warning", json_object_new_int(0));
	set_weights(e, w);
	ok(parse_opts(e, &o, &set, &bad) == 0 && set.count == 1 &&
	    set.servers[0].weight == EP2D_WEIGHT_ZERO,
	    "warning with Weights.Warning 0: drained");
	o.on_warning = WARN_DRAIN;
	e = sample_entry();
	set_status(e, 1, "warning");
	ok(parse_opts(e, &o, &set, &bad) == 0 && set.count == 1 &&
	    set.servers[0].weight == EP2D_WEIGHT_ZERO,
	    "on_warning drain: weight 0");
	o.on_warning = WARN_REMOVE;
	e = sample_entry();
	set_status(e, 1, "warning");
	ok(parse_opts(e, &o, &set, &bad) == 0 && set.count == 0 && bad == 0,
	    "on_warning remove: left out, not an error");
	o.on_warning = WARN_PASSING;
	o.skip_critical = 1;
	e = sample_entry();
	set_status(e, 1, "critical");
	ok(parse_opts(e, &o, &set, &bad) == 0 && set.count == 0 && bad == 0,
	    "skip_critical: a critical instance is left out");
	e = sample_entry();
	set_status(e, 0, "maintenance");
	ok(parse_opts(e, &o, &set, &bad) == 0 && set.count == 0,
	    "an unknown state counts as critical");
	o.skip_critical = 0;
	e = sample_entry();
	set_status(e, 1, "critical");
	ok(parse_opts(e, &o, &set, &bad) == 0 && set.count == 1 &&
	    set.servers[0].weight == 10,
	    "without skip_critical (only_passing = no) it stays, as in EP2");
	e = sample_entry();
	w = json_object_new_object();
	json_object_object_add(w, "Passing", json_object_new_string("5"));
	set_weights(e, w);
	ok(parse_opts(e, &o, &set, &bad) == 0 && set.count == 1 &&
	    set.servers[0].weight == 0, "a Weights.Passing not a number: "
	    "the default");
	e = sample_entry();
	w = json_object_new_object();
	json_object_object_add(w, "Passing", json_object_new_int(100000));
	set_weights(e, w);
	ok(parse_opts(e, &o, &set, &bad) == 0 && set.count == 1 &&
	    set.servers[0].weight == 0, "a weight out of Consul's range: "
	    "the default");
	e = sample_entry();
	json_object_object_add(e, "Checks", json_object_new_string("x"));
	ok(parse_opts(e, &o, &set, &bad) == 0 && set.count == 1,
	    "Checks not an array: taken as passing");
	set_free(&set);
}

/*
 * One server per endpoint, however spelt; the refusals of an answer in
 * one line, with the count and the first three.
 */
static void
test_spellings_and_tally(void)
{
	struct server_set	 set;
	char			 body[64 * 1024];
	size_t			 n;
	int			 bad, i;

	set_init(&set);
	ok(parse_str("[{\"Service\":{\"ID\":\"a\",\"Address\":\"::1\","
	    "\"Port\":80}},{\"Service\":{\"ID\":\"b\",\"Address\":"
	    "\"0:0::1\",\"Port\":80}},{\"Service\":{\"ID\":\"c\","
	    "\"Address\":\"0000:0000:0000:0000:0000:0000:0000:0001\","
	    "\"Port\":80}},{\"Service\":{\"ID\":\"d\",\"Address\":"
	    "\"Web.Example\",\"Port\":80}},{\"Service\":{\"ID\":\"e\","
	    "\"Address\":\"web.example\",\"Port\":80}},{\"Service\":{"
	    "\"ID\":\"f\",\"Address\":\"WEB.EXAMPLE\",\"Port\":80}}]",
	    &set, &bad) == 0 && bad == 0, "six spellings parsed");
	is_int(set.count, 2, "::1, 0:0::1 and its long form are one server; "
	    "Web.Example, web.example, WEB.EXAMPLE another");
	ok(has(&set, "::1", 80) && has(&set, "web.example", 80),
	    "kept in the one spelling: ::1 and web.example");

	n = strlcpy(body, "[", sizeof(body));
	for (i = 0; i < 500; i++)
		n += snprintf(body + n, sizeof(body) - n, "%s{\"Service\":"
		    "{\"ID\":\"evil%d\",\"Address\":\"10.0.0.1;x%d\","
		    "\"Port\":80}}", i ? "," : "", i, i);
	n += snprintf(body + n, sizeof(body) - n, ",{\"Service\":{\"ID\":"
	    "\"good\",\"Address\":\"10.0.0.2\",\"Port\":80}}]");
	cap_start();
	ok(parse(body, n, &set, &bad) == 0 && bad == 500 && set.count == 1,
	    "500 hostile instances refused, the good one applies");
	is_int(cap_lines(), 1, "in one line");
	{
		char	*big;
		size_t	 cap = (EP2D_MAX_SERVERS + 1) * 80 + 16, m;

		if ((big = malloc(cap)) == NULL)
			fatal("malloc");
		m = strlcpy(big, "[", cap);
		for (i = 0; i <= EP2D_MAX_SERVERS; i++)
			m += snprintf(big + m, cap - m, "%s{\"Service\":{"
			    "\"Address\":\"10.%d.%d.%d\",\"Port\":80}}",
			    i ? "," : "", i >> 16, (i >> 8) & 255, i & 255);
		strlcat(big, "]", cap);
		ok(parse(big, strlen(big), &set, &bad) == 0 && bad == 0 &&
		    set.overflow == 1 && set.count == EP2D_MAX_SERVERS,
		    "one instance past the limit: counted, for the set to be "
		    "refused whole");
		free(big);
	}
	ok(cap_has("consul: 500 instances refused (first: instance evil0 "
	    "(address \"10.0.0.1;x0\"): not an IP address or host name; "
	    "instance evil1 ") && cap_has("instance evil2 ") &&
	    !cap_has("evil3"), "the count and the first three");
	set_free(&set);
}

int
main(void)
{
	cap_init();
	load_fixture();
	test_fixture();
	test_address_rules();
	test_bad_instances();
	test_refused();
	test_spellings_and_tally();
	test_index();
	test_bucket();
	test_http_addr();
	test_http();
	test_weights();
	free(fixture);
	return (done_testing());
}
