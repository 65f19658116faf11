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
 * The orchestrator "consul": the instances of one service, asked from
 * Consul's health endpoint with blocking queries, so that a change
 * reaches us as soon as Consul knows it and a quiet service costs one
 * long-lived request.  Consul's rules for the loop are followed (see
 * the blocking queries page of its API documentation): the index goes
 * back to 0 when it goes backwards and is at least 1 when we block,
 * and a token bucket paces the loop, so that a churning service turns
 * into polling.  Any failure (no answer, an HTTP error, no leader, a
 * body that is not the documented shape) keeps the last good set and
 * retries with a capped, jittered exponential backoff.
 *
 * One blocking query is one connection held open, and Consul closes a
 * client past limits.http_max_conns_per_client (200): past
 * CONSUL_MAX_WATCHES backends on one agent, they share one watch
 * instead (consul_agent.c), and this file only reads a service when
 * the watch says so; each backend keeps its own set, failure state,
 * backoff and bucket.
 */

#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LIBBSD_OPENBSD_VIS	/* libbsd's strnvis flavour, no warning */
#include <vis.h>

#include <event.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "ep2d.h"
#include "consul.h"
#include "consul_scan.h"
#include "http.h"
#include "consul_agent.h"
#include "log.h"

#define CONSUL_TIMEOUT_MARGIN	15000	/* ms beyond wait + wait/16 */
#define CONSUL_DEFAULT_PORT	8500

static int	 consul_init(struct source *);
static int	 consul_start(struct source *);
static void	 consul_fetch_now(struct source *);
static void	 consul_stop(struct source *);
static void	 consul_env_load(struct consul_env *);

/*
 * The environment is the process's, the same for every backend: read
 * once, kept once (13 kB of paths; 500 backends would hold 500 copies
 * of it), said once when a variable is wrong, and wiped when the last
 * Consul source stops.
 */
static struct consul_env	 consul_envs;
static int			 consul_env_users;
static int			 consul_said;	/* "consul: service" lines */
static void	 consul_next(int, short, void *);
static void	 consul_done(void *, const struct http_resp *);
static void	 consul_schedule(struct consul *, long);
static int	 consul_url(struct consul *, const struct consul_eff *,
		    char *, size_t, long);
static void	 consul_done_cb(void *, const struct http_resp *);
static int	 url_add(char *, size_t, const char *, const char *);
static int	 consul_ask_passing(const struct consul_backend *);
static int	 consul_health_of(struct json_object *);
static uint16_t	 consul_weight_of(struct json_object *, const char *);
static void	 consul_health_entry(const struct consul_entry *, void *);

const struct source_ops consul_ops = {
	consul_init,
	consul_start,
	consul_fetch_now,
	consul_stop
};

/*
 * As root, before the sandbox: the TLS files are read now (the
 * chrooted fetcher cannot open them later) and the environment is
 * read once.
 */
static int
consul_init(struct source *src)
{
	const struct consul_backend	*cc = &src->be->consul;
	struct consul			*c;
	struct consul_eff		 eff;
	char				 where[EP2D_HOST_MAX + 64];

	if (cc->service_name[0] == '\0') {
		log_warnx("[CONSUL] service_name is not set");
		return (-1);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s: calloc", __func__);
	c->src = src;
	if (consul_env_users++ == 0)
		consul_env_load(&consul_envs);
	c->env = &consul_envs;
	src->ctx = c;
	consul_effective(c, &eff);
	if ((eff.ca_file != NULL && http_preload(eff.ca_file) == -1) ||
	    (eff.cert_file != NULL && http_preload(eff.cert_file) == -1) ||
	    (eff.key_file != NULL && http_preload(eff.key_file) == -1)) {
		log_warnx("consul: TLS files cannot be read");
		if (--consul_env_users == 0)
			explicit_bzero(&consul_envs, sizeof(consul_envs));
		free(c);
		src->ctx = NULL;
		return (-1);
	}
	if ((c->ev_next = evtimer_new(src->evb, consul_next, c)) == NULL)
		fatalx("%s: evtimer_new", __func__);
	/*
	 * A line a backend for the first few; past them the shared
	 * watch's line says how many ask (consul_agent.c), and 500 such
	 * lines would only fill the log's flood bound (log.c) before it.
	 */
	snprintf(where, sizeof(where), "%s://%s:%u%s%s",
	    eff.https ? "https" : "http", eff.host, eff.port,
	    eff.token != NULL ? ", with a token" : "",
	    cc->only_passing ? ", passing instances only" : "");
	if (consul_said++ < CONSUL_MAX_WATCHES)
		log_info("consul: service %s at %s", cc->service_name, where);
	else
		log_debug("consul: service %s at %s", cc->service_name,
		    where);
	return (0);
}

/*
 * Consul's command line tools' variables, each validated; one that is
 * wrong is ignored with a warning, as ep2.conf would refuse it.
 */
static void
consul_env_load(struct consul_env *env)
{
	const char	*v;

	memset(env, 0, sizeof(*env));
	if ((v = getenv("CONSUL_HTTP_ADDR")) != NULL && *v != '\0') {
		if (consul_parse_http_addr(v, env->host, sizeof(env->host),
		    &env->port, &env->https) == 0)
			env->has_addr = 1;
		else
			log_warnx("CONSUL_HTTP_ADDR: not [http[s]://]HOST"
			    "[:PORT]; ignored");
	}
	if ((v = getenv("CONSUL_HTTP_SSL")) != NULL &&
	    (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0))
		env->ssl = 1;
	if ((v = getenv("CONSUL_HTTP_TOKEN")) != NULL && *v != '\0') {
		const char	*p;

		for (p = v; *p != '\0'; p++)
			if (*p <= ' ' || *p >= 0x7f)
				break;
		if (*p != '\0' || strlcpy(env->token, v,
		    sizeof(env->token)) >= sizeof(env->token)) {
			env->token[0] = '\0';
			log_warnx("CONSUL_HTTP_TOKEN: not a token (printable, "
			    "no spaces); ignored");
		}
	}
	if ((v = getenv("CONSUL_CACERT")) != NULL && *v == '/')
		strlcpy(env->ca_file, v, sizeof(env->ca_file));
	if ((v = getenv("CONSUL_CLIENT_CERT")) != NULL && *v == '/')
		strlcpy(env->cert_file, v, sizeof(env->cert_file));
	if ((v = getenv("CONSUL_CLIENT_KEY")) != NULL && *v == '/')
		strlcpy(env->key_file, v, sizeof(env->key_file));
	if ((v = getenv("CONSUL_TLS_SERVER_NAME")) != NULL && *v != '\0') {
		if (addr_valid_host(v))
			strlcpy(env->server_name, v,
			    sizeof(env->server_name));
		else
			log_warnx("CONSUL_TLS_SERVER_NAME: not a host name; "
			    "ignored");
	}
}

/*
 * ep2.conf wins, as a command line flag wins over the environment in
 * Consul's tools.  consul_ip and consul_port have defaults, so the
 * address from CONSUL_HTTP_ADDR applies while both keep theirs.
 */
void
consul_effective(struct consul *c, struct consul_eff *eff)
{
	const struct consul_conf	*cc = &c->src->be->conf->consul;
	const struct consul_env		*env = c->env;

	memset(eff, 0, sizeof(*eff));
	eff->host = cc->consul_ip;
	eff->port = cc->consul_port;
	eff->https = cc->https || env->ssl;
	if (env->has_addr && strcmp(cc->consul_ip, "127.0.0.1") == 0 &&
	    cc->consul_port == CONSUL_DEFAULT_PORT) {
		eff->host = env->host;
		eff->port = env->port;
		eff->https = cc->https || env->https || env->ssl;
	}
	if (cc->token[0] != '\0')
		eff->token = cc->token;
	else if (env->token[0] != '\0')
		eff->token = env->token;
	eff->ca_file = cc->ca_file[0] ? cc->ca_file :
	    env->ca_file[0] ? env->ca_file : NULL;
	eff->cert_file = cc->cert_file[0] ? cc->cert_file :
	    env->cert_file[0] ? env->cert_file : NULL;
	eff->key_file = cc->key_file[0] ? cc->key_file :
	    env->key_file[0] ? env->key_file : NULL;
	eff->server_name = cc->tls_server_name[0] ? cc->tls_server_name :
	    env->server_name[0] ? env->server_name : NULL;
	if (!eff->https) {
		eff->ca_file = eff->cert_file = eff->key_file = NULL;
		eff->server_name = NULL;
	}
}

static int
consul_start(struct source *src)
{
	struct consul	*c = src->ctx;

	consul_bucket_init(&c->bucket, consul_now_ms());
	c->started = 1;
	c->block = 0;
	/* the first query waits until every backend on the agent counts */
	c->want = 1;
	consul_agent_attach(c);
	return (0);
}

/* Asked (ep2ctl sync, a new ep2.conf): a fresh, non-blocking answer. */
static void
consul_fetch_now(struct source *src)
{
	struct consul	*c = src->ctx;

	if (c == NULL || !c->started)
		return;
	/* a new ep2.conf may name another agent */
	if (consul_agent_move(c))
		return;
	if (consul_agent_shared(c)) {
		consul_agent_read(c);
		return;
	}
	if (c->req != NULL) {
		http_cancel(c->req);
		c->req = NULL;
	}
	evtimer_del(c->ev_next);
	c->block = 0;
	consul_query(c);
}

static void
consul_stop(struct source *src)
{
	struct consul	*c = src->ctx;

	if (c == NULL)
		return;
	consul_agent_leave(c);
	if (c->req != NULL)
		http_cancel(c->req);
	if (c->ev_next != NULL)
		event_free(c->ev_next);
	if (--consul_env_users == 0)
		explicit_bzero(&consul_envs, sizeof(consul_envs));
	free(c);
	src->ctx = NULL;
}

static void
consul_next(int fd, short event, void *arg)
{
	struct consul	*c = arg;

	/* shared, a read waits for its turn */
	if (consul_agent_shared(c)) {
		consul_agent_read(c);
		return;
	}
	consul_query(c);
}

static void
consul_schedule(struct consul *c, long ms)
{
	struct timeval	 tv;

	if (ms <= 0) {
		consul_next(-1, 0, c);
		return;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->ev_next, &tv);
}

void
consul_query(struct consul *c)
{
	const struct consul_conf	*cc = &c->src->be->conf->consul;
	struct consul_eff		 eff;
	const char			*why;
	char				 url[CONSUL_URL_MAX];
	long				 wait_ms = 0;

	consul_effective(c, &eff);
	if (c->block)
		wait_ms = consul_wait_ms(cc);
	if (consul_url(c, &eff, url, sizeof(url), wait_ms) == -1) {
		consul_fail(c, "the query URL is too long");
		return;
	}
	log_debug("consul: GET %s", url);
	if ((c->req = consul_get(cc, &eff, url, wait_ms, consul_done_cb, c,
	    &why)) == NULL)
		consul_fail(c, "%s", why);
}

/* wait less up to 1/16: many ep2d do not all ask again together */
long
consul_wait_ms(const struct consul_conf *cc)
{
	long	 ms;

	ms = (long)(cc->wait > 0 ? cc->wait : CONSUL_WAIT_DEFAULT) * 1000;
	return (consul_jitter(ms - ms / 32, ms / 16));
}

/* One GET to the agent with its token and TLS; NULL says *why not. */
struct http_req *
consul_get(const struct consul_conf *cc, const struct consul_eff *eff,
    const char *url, long wait_ms, http_cb cb, void *arg, const char **why)
{
	struct http_opts	 o;
	struct http_req		*req;
	char			 hdr[600];

	memset(&o, 0, sizeof(o));
	o.url = url;
	if (eff->token != NULL) {
		/* a header, never the URL: URLs end up in logs */
		if ((size_t)snprintf(hdr, sizeof(hdr), "X-Consul-Token: %s",
		    eff->token) >= sizeof(hdr)) {
			explicit_bzero(hdr, sizeof(hdr));
			*why = "token too long";
			return (NULL);
		}
		o.headers[0] = hdr;
	}
	o.max_body = cc->max_body;
	/* Consul may hold the answer for wait + wait/16 */
	if (wait_ms > 0)
		o.timeout_ms = wait_ms + wait_ms / 16 + CONSUL_TIMEOUT_MARGIN;
	o.ca_file = eff->ca_file;
	o.cert_file = eff->cert_file;
	o.key_file = eff->key_file;
	o.tls_server_name = eff->server_name;

	req = http_request(&o, cb, arg);
	explicit_bzero(hdr, sizeof(hdr));
	if (req == NULL)
		*why = "the request could not be made";
	return (req);
}

/*
 * /v1/health/service/NAME with ?passing, one tag= per tag (Consul
 * requires all of them), dc=, stale, and index= with wait= when
 * blocking.  Every value is escaped, though ep2.conf already allows
 * only plain names.
 */
static int
consul_url(struct consul *c, const struct consul_eff *eff, char *url,
    size_t len, long wait_ms)
{
	const struct consul_conf	*cc = &c->src->be->conf->consul;
	const struct consul_backend	*cb = &c->src->be->consul;
	char				*name;
	int				 rv, i;

	if ((name = curl_easy_escape(NULL, cb->service_name, 0)) == NULL)
		fatalx("%s: curl_easy_escape", __func__);
	rv = consul_url_base(eff, "/v1/health/service/", name, url, len);
	curl_free(name);
	if (rv == -1)
		return (-1);
	if (consul_ask_passing(cb) && url_add(url, len, "passing", NULL) ==
	    -1)
		return (-1);
	for (i = 0; i < cb->ntags; i++)
		if (url_add(url, len, "tag", cb->tags[i]) == -1)
			return (-1);
	return (consul_url_tail(cc, c->index, url, len, wait_ms));
}

/* scheme://host:port, then path and name (already escaped) */
int
consul_url_base(const struct consul_eff *eff, const char *path,
    const char *name, char *url, size_t len)
{
	int	 n;

	if (addr_is_ipv6(eff->host))
		n = snprintf(url, len, "%s://[%s]:%u%s%s",
		    eff->https ? "https" : "http", eff->host, eff->port, path,
		    name);
	else
		n = snprintf(url, len, "%s://%s:%u%s%s",
		    eff->https ? "https" : "http", eff->host, eff->port, path,
		    name);
	if (n < 0 || (size_t)n >= len)
		return (-1);
	return (0);
}

/* dc=, stale, and index= with wait= when blocking */
int
consul_url_tail(const struct consul_conf *cc, uint64_t index, char *url,
    size_t len, long wait_ms)
{
	char	 num[32];

	if (cc->datacenter[0] != '\0' && url_add(url, len, "dc",
	    cc->datacenter) == -1)
		return (-1);
	if (cc->stale && url_add(url, len, "stale", NULL) == -1)
		return (-1);
	if (wait_ms > 0) {
		snprintf(num, sizeof(num), "%" PRIu64,
		    consul_index_query(index));
		if (url_add(url, len, "index", num) == -1)
			return (-1);
		snprintf(num, sizeof(num), "%ldms", wait_ms);
		if (url_add(url, len, "wait", num) == -1)
			return (-1);
	}
	return (0);
}

static int
url_add(char *url, size_t len, const char *key, const char *val)
{
	char	*esc = NULL;
	int	 rv = 0;

	if (strlcat(url, strchr(url, '?') ? "&" : "?", len) >= len ||
	    strlcat(url, key, len) >= len)
		return (-1);
	if (val == NULL)
		return (0);
	if ((esc = curl_easy_escape(NULL, val, 0)) == NULL)
		fatalx("%s: curl_easy_escape", __func__);
	if (strlcat(url, "=", len) >= len || strlcat(url, esc, len) >= len)
		rv = -1;
	curl_free(esc);
	return (rv);
}

static void
consul_done(void *arg, const struct http_resp *resp)
{
	struct consul		*c = arg;
	const struct consul_backend *cc = &c->src->be->consul;
	struct consul_health_opts hopts;
	struct server_set	 set;
	const char		*h;
	char			 err[EP2D_ERR_MAX];
	uint64_t		 index;
	int64_t			 now;
	int			 bad, reset, nohdr;
	long			 delay;

	c->req = NULL;
	if (consul_check_answer(resp, "health", &index, &nohdr, err,
	    sizeof(err)) == -1) {
		consul_fail(c, "%s", err);
		return;
	}
	if (nohdr) {
		if (!c->noleader_hdr)
			log_info("consul %s: the answer has no "
			    "X-Consul-KnownLeader header: taken as it is (only "
			    "\"false\" means no leader)",
			    cc->service_name);
		c->noleader_hdr = 1;
	}

	/* a token that may not read every node gets a partial list */
	if ((h = http_header(resp, "X-Consul-Results-Filtered-By-ACLs")) !=
	    NULL && strcasecmp(h, "true") == 0) {
		consul_fail(c, "Consul hid instances from this token "
		    "(X-Consul-Results-Filtered-By-ACLs): it needs node:read "
		    "and service:read");
		return;
	}

	set_init(&set);
	hopts.weights = cc->weights;
	hopts.on_warning = cc->on_warning;
	hopts.skip_critical = cc->only_passing && !consul_ask_passing(cc);
	if (consul_parse_health_opts(resp->body, resp->bodylen,
	    c->src->be->backend_port, &hopts, &set, &bad, err,
	    sizeof(err)) == -1) {
		set_free(&set);
		consul_fail(c, "bad answer: %s", err);
		return;
	}
	if (set.count == 0 && bad > 0) {
		set_free(&set);
		consul_fail(c, "no valid instance (%d refused)", bad);
		return;
	}

	if (c->failing) {
		log_info("consul %s: answering again, after failing for "
		    "%lld s", cc->service_name,
		    (long long)(time(NULL) - c->failing_since));
		c->failing = 0;
	}
	c->nfail = 0;
	c->index = consul_index_update(c->have_index ? c->index : 0, index,
	    &reset);
	/* shared, the watch's index is the one that counts, and says it */
	if (reset && c->have_index && !consul_agent_shared(c))
		log_info("consul %s: X-Consul-Index went backwards to %"
		    PRIu64 ": starting over",
		    cc->service_name, index);
	c->have_index = 1;

	if (set.count == 0) {
		if (!c->was_empty)
			log_warnx("consul: service %s has no %sinstance: %s",
			    cc->service_name,
			    cc->only_passing ? "passing " :
			    "", c->src->be->conf->keep_on_empty ? "the servers "
			    "stay (keep_on_empty)" : "the backend is emptied");
		c->was_empty = 1;
	} else {
		c->was_empty = 0;
		if (bad > 0)
			log_debug("consul %s: %d instances refused, %zu "
			    "apply", cc->service_name, bad,
			    set.count);
	}
	log_debug("consul: %zu instances, index %" PRIu64 ", %.3f s",
	    set.count, index, resp->total_time);
	source_good(c->src, &set);
	set_free(&set);

	if (consul_agent_shared(c)) {
		/* the watch says when to read again, the bucket how soon */
		now = consul_now_ms();
		c->block = 0;
		c->hold_until = now + consul_bucket_take(&c->bucket, now);
		return;
	}

	/*
	 * Block next time.  A quiet service is asked again at once (its
	 * answer waits in Consul); a churning one is paced by the bucket.
	 */
	c->block = 1;
	delay = consul_bucket_take(&c->bucket, consul_now_ms());
	if (delay > 0)
		log_debug("consul: rate limited, next query in %ld ms", delay);
	consul_schedule(c, delay);
}

/*
 * The last good set stays (source_fail).  The first failure is logged,
 * later ones only in debug; the next attempt does not block, so that
 * recovery is seen as soon as Consul answers.
 */
void
consul_fail(struct consul *c, const char *fmt, ...)
{
	char	 msg[EP2D_ERR_MAX];
	va_list	 ap;
	long	 d;
	int	 i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!c->failing) {
		log_warnx("consul %s: %s; the last servers stay, retrying",
		    c->src->be->consul.service_name, msg);
		c->failing = 1;
		c->failing_since = time(NULL);
	} else
		log_debug("consul: still failing: %s", msg);
	source_fail(c->src, "%s", msg);

	d = CONSUL_BACKOFF_MIN;
	for (i = 0; i < c->nfail && d < CONSUL_BACKOFF_MAX; i++)
		d *= 2;
	if (d > CONSUL_BACKOFF_MAX)
		d = CONSUL_BACKOFF_MAX;
	c->nfail++;
	c->block = 0;
	/* shared, while the watch fails: its recovery reads every one */
	if (consul_agent_shared(c) && consul_agent_failing(c))
		return;
	/* 80% to 120% of the step: many ep2d do not come back together */
	consul_schedule(c, consul_jitter(d * 800, d * 400));
}

/*
 * What every answer of the agent must be: no transport error, status
 * 200 (else Consul's line of text says why: "ACL not found"), a valid
 * X-Consul-Index, a leader.  Only Consul's own "false" means no
 * leader: an answer without the header (HashiCorp's API double sends
 * none, and so may a proxy in between) is taken, *nohdr set so that
 * the caller says it once.  -1: err says what was wrong.
 */
int
consul_check_answer(const struct http_resp *resp, const char *what,
    uint64_t *index, int *nohdr, char *err, size_t errlen)
{
	const char	*h;
	char		 shown[LOG_VISIBLE_LEN];
	size_t		 n;

	*nohdr = 0;
	if (resp->error != NULL) {
		snprintf(err, errlen, "%s", resp->error);
		return (-1);
	}
	if (resp->status != 200) {
		n = strcspn(resp->body, "\r\n");
		log_visible(shown, sizeof(shown), resp->body, n);
		/* cut as consul_fail() would cut it */
		if (snprintf(err, errlen, "HTTP status %ld%s%s", resp->status,
		    n > 0 ? ": " : "", shown) >= (int)errlen)
			err[errlen - 1] = '\0';
		return (-1);
	}
	if ((h = http_header(resp, "X-Consul-Index")) == NULL ||
	    consul_parse_index(h, index) == -1) {
		snprintf(err, errlen, "no valid X-Consul-Index header: not a "
		    "Consul %s answer", what);
		return (-1);
	}
	if ((h = http_header(resp, "X-Consul-KnownLeader")) == NULL)
		*nohdr = 1;
	else if (strcasecmp(h, "true") != 0) {
		snprintf(err, errlen, "Consul knows no leader "
		    "(X-Consul-KnownLeader: %s)", strcasecmp(h, "false") == 0 ?
		    "false" : "invalid");
		return (-1);
	}
	return (0);
}

/* A read is over; shared, the next ones may start. */
static void
consul_done_cb(void *arg, const struct http_resp *resp)
{
	struct consul	*c = arg;

	consul_agent_read_end(c);
	consul_done(c, resp);
	consul_agent_read_next(c);
}

/*
 * The health answer: an array of {Node, Service, Checks}.  Address is
 * Service.Address, or Node.Address when that is empty; port is
 * Service.Port, or backend_port when that is 0.  An instance that
 * fails the address check is skipped with a warning naming its
 * Service.ID (*nbad counts them); a body that is not such an array is
 * refused whole (-1, err says why).
 */
int
consul_parse_health(const char *body, size_t len, uint16_t defport,
    struct server_set *set, int *nbad, char *err, size_t errlen)
{
	struct consul_health_opts	 o;

	memset(&o, 0, sizeof(o));
	return (consul_parse_health_opts(body, len, defport, &o, set, nbad,
	    err, errlen));
}

/*
 * ?passing has Consul leave out every instance with a check not
 * passing: what only_passing asks, unless on_warning wants the warning
 * ones (then they come, and critical ones are dropped here).
 */
static int
consul_ask_passing(const struct consul_backend *cc)
{
	return (cc->only_passing && (cc->on_warning == WARN_DEFAULT ||
	    cc->on_warning == WARN_REMOVE));
}

/*
 * A Consul weight (Service.Weights.Passing 1..65535, Warning 0..65535)
 * as struct server keeps it: 1, Consul's default, is HAProxy's default
 * (no weight written); 0 is a drained server; above 256, HAProxy's
 * limit, 256.
 */
uint16_t
consul_weight(int64_t v)
{
	if (v <= 0)
		return (EP2D_WEIGHT_ZERO);
	if (v == 1)
		return (0);
	if (v > EP2D_WEIGHT_MAX)
		return (EP2D_WEIGHT_MAX);
	return ((uint16_t)v);
}

/* The worst Status of an entry's Checks: 0 passing, 1 warning, 2 else. */
static int
consul_health_of(struct json_object *e)
{
	struct json_object	*checks, *ck, *st;
	const char		*s;
	size_t			 i, n;
	int			 worst = 0;

	if (!json_object_object_get_ex(e, "Checks", &checks) ||
	    !json_object_is_type(checks, json_type_array))
		return (0);
	n = json_object_array_length(checks);
	for (i = 0; i < n; i++) {
		ck = json_object_array_get_idx(checks, i);
		if (!json_object_is_type(ck, json_type_object) ||
		    !json_object_object_get_ex(ck, "Status", &st) ||
		    !json_object_is_type(st, json_type_string))
			return (2);
		s = json_object_get_string(st);
		if (strcmp(s, "passing") == 0)
			continue;
		if (strcmp(s, "warning") == 0) {
			worst = 1;
			continue;
		}
		return (2);	/* critical, maintenance, or unknown */
	}
	return (worst);
}

/* A Weights value json-c reads as an integer; 0 (default) when bad */
uint16_t
consul_weight_in(int64_t n)
{
	if (n < 0 || n > 65535)
		return (0);
	return (consul_weight(n));
}

/* Service.Weights.Passing or .Warning; 0 (default) when absent or bad */
static uint16_t
consul_weight_of(struct json_object *svc, const char *which)
{
	struct json_object	*w, *v;
	int64_t			 n;

	if (!json_object_object_get_ex(svc, "Weights", &w) ||
	    !json_object_is_type(w, json_type_object) ||
	    !json_object_object_get_ex(w, which, &v) ||
	    !json_object_is_type(v, json_type_int))
		return (0);
	errno = 0;
	n = json_object_get_int64(v);
	if (errno != 0)
		return (0);
	return (consul_weight_in(n));
}

/* What the parser reads of one entry, from json-c's tree. */
static void
consul_entry_of(struct json_object *e, struct consul_entry *ce)
{
	struct json_object	*svc, *node, *v;

	memset(ce, 0, sizeof(*ce));
	if (!json_object_is_type(e, json_type_object) ||
	    !json_object_object_get_ex(e, "Service", &svc) ||
	    !json_object_is_type(svc, json_type_object))
		return;
	ce->svc = 1;
	if (json_object_object_get_ex(svc, "ID", &v) &&
	    json_object_is_type(v, json_type_string))
		ce->id = json_object_get_string(v);
	if (json_object_object_get_ex(svc, "Address", &v)) {
		ce->has_addr = 1;
		if (json_object_is_type(v, json_type_string)) {
			ce->addr = json_object_get_string(v);
			ce->addr_len = json_object_get_string_len(v);
		}
	}
	if (json_object_object_get_ex(e, "Node", &node) &&
	    json_object_is_type(node, json_type_object) &&
	    json_object_object_get_ex(node, "Address", &v) &&
	    json_object_is_type(v, json_type_string)) {
		ce->naddr = json_object_get_string(v);
		ce->naddr_len = json_object_get_string_len(v);
	}
	if (json_object_object_get_ex(svc, "Port", &v)) {
		ce->has_port = 1;
		if (json_object_is_type(v, json_type_int)) {
			ce->port_int = 1;
			errno = 0;
			ce->port = json_object_get_int64(v);
			if (errno != 0)
				ce->port = -1;	/* not in 0-65535 */
		}
	}
	ce->health = consul_health_of(e);
	ce->w_passing = consul_weight_of(svc, "Passing");
	ce->w_warning = consul_weight_of(svc, "Warning");
}

/* One parse: where its servers go and what it refused. */
struct health_run {
	uint16_t			 defport;
	const struct consul_health_opts	*o;
	struct server_set		*set;
	int				*nbad;
	struct refused			 ref;
};

/* One entry, however it was read (json-c or consul_scan.c). */
static void
consul_health_entry(const struct consul_entry *e, void *arg)
{
	struct health_run	*h = arg;
	const char		*addr = NULL, *id = NULL, *why;
	char			 sid[LOG_VISIBLE_LEN];
	char			 sad[LOG_VISIBLE_LEN];
	size_t			 alen = 0;
	int64_t			 port = 0;
	uint16_t		 weight;

	if (!e->svc) {
		why = "no Service object";
		goto bad;
	}
	id = e->id;
	if (e->has_addr) {
		if (e->addr == NULL) {
			why = "Service.Address is not a string";
			goto bad;
		}
		addr = e->addr;
		alen = e->addr_len;
	}
	if (addr == NULL || *addr == '\0') {
		if (e->naddr == NULL) {
			why = "no Service.Address and no Node.Address";
			goto bad;
		}
		addr = e->naddr;
		alen = e->naddr_len;
	}
	if (e->has_port) {
		if (!e->port_int) {
			why = "Service.Port is not an integer";
			goto bad;
		}
		port = e->port;
		if (port < 0 || port > 65535) {
			why = "Service.Port not in 0-65535";
			goto bad;
		}
	}
	if (port == 0)
		port = h->defport;
	/* json-c strings may hold a NUL: the check sees it all */
	if (strlen(addr) != alen) {
		why = "NUL byte in the address";
		goto bad;
	}
	if (!addr_valid_host(addr)) {
		why = "not an IP address or host name";
		goto bad;
	}
	weight = 0;
	if (e->health == 2 && h->o->skip_critical)
		return;
	if (e->health == 1 && h->o->on_warning == WARN_REMOVE)
		return;
	if (e->health == 1 && h->o->on_warning == WARN_DRAIN)
		weight = EP2D_WEIGHT_ZERO;
	else if (h->o->weights)
		weight = e->health == 1 ? e->w_warning : e->w_passing;
	if (set_add(h->set, addr, (uint16_t)port) == -1) {
		if (errno != E2BIG)
			fatal("%s: set_add", __func__);
		return;		/* counted: the set is refused whole */
	}
	h->set->servers[h->set->count - 1].weight = weight;
	return;
bad:
	(*h->nbad)++;
	if (h->ref.count >= REFUSED_SHOWN) {
		h->ref.count++;
		return;
	}
	log_visible(sid, sizeof(sid), id != NULL ? id : "?",
	    id != NULL ? strlen(id) : 1);
	if (addr != NULL) {
		log_visible(sad, sizeof(sad), addr, strlen(addr));
		refused_add(&h->ref, "instance %s (address \"%s\"): %s",
		    sid, sad, why);
	} else
		refused_add(&h->ref, "instance %s: %s", sid, why);
}

static void
health_run_init(struct health_run *h, uint16_t defport,
    const struct consul_health_opts *o, struct server_set *set, int *nbad)
{
	h->defport = defport;
	h->o = o;
	h->set = set;
	h->nbad = nbad;
	*nbad = 0;
	refused_init(&h->ref);
}

static void
health_run_end(struct health_run *h)
{
	/* one line for the answer, however many it refused */
	refused_log(&h->ref, "consul", "instance");
	/* one instance registered twice is one server */
	set_sort(h->set);		/* sorted, duplicates merged */
}

/*
 * The answer read by consul_scan.c in one pass; one it does not take
 * (a bad one, or a rare spelling) is read again by json-c, which says
 * what is wrong.  Either way the same servers and the same lines.
 */
int
consul_parse_health_opts(const char *body, size_t len, uint16_t defport,
    const struct consul_health_opts *o, struct server_set *set, int *nbad,
    char *err, size_t errlen)
{
	struct health_run	 h;
	size_t			 count = set->count, overflow = set->overflow;

	health_run_init(&h, defport, o, set, nbad);
	if (len <= INT_MAX &&
	    consul_scan_health(body, len, consul_health_entry, &h) == 0) {
		health_run_end(&h);
		return (0);
	}
	/* what it had added goes */
	set->count = count;
	set->overflow = overflow;
	return (consul_parse_health_json(body, len, defport, o, set, nbad,
	    err, errlen));
}

/* The same with json-c's tree of the whole answer: the reference. */
int
consul_parse_health_json(const char *body, size_t len, uint16_t defport,
    const struct consul_health_opts *o, struct server_set *set, int *nbad,
    char *err, size_t errlen)
{
	struct json_tokener	*tok;
	struct json_object	*root = NULL;
	enum json_tokener_error	 jerr;
	struct health_run	 h;
	struct consul_entry	 ce;
	size_t			 i, n, end;
	int			 rv = -1;

	health_run_init(&h, defport, o, set, nbad);
	if (len > INT_MAX) {
		snprintf(err, errlen, "body too large");
		return (-1);
	}
	if ((tok = json_tokener_new()) == NULL)
		fatal("%s: json_tokener_new", __func__);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (root == NULL || jerr != json_tokener_success) {
		snprintf(err, errlen, "not JSON: %s",
		    jerr == json_tokener_continue ? "truncated" :
		    json_tokener_error_desc(jerr));
		goto done;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (strchr(" \t\r\n", body[end]) == NULL) {
			snprintf(err, errlen, "not JSON: text after the "
			    "value");
			goto done;
		}
	if (!json_object_is_type(root, json_type_array)) {
		snprintf(err, errlen, "not a JSON array");
		goto done;
	}

	n = json_object_array_length(root);
	for (i = 0; i < n; i++) {
		consul_entry_of(json_object_array_get_idx(root, i), &ce);
		consul_health_entry(&ce, &h);
	}
	health_run_end(&h);
	rv = 0;
done:
	if (root != NULL)
		json_object_put(root);
	json_tokener_free(tok);
	return (rv);
}

/* X-Consul-Index: decimal digits only, no sign, no overflow. */
int
consul_parse_index(const char *s, uint64_t *index)
{
	uint64_t	 v = 0;
	const char	*p;

	if (s == NULL || *s == '\0' || strlen(s) > 20)
		return (-1);
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return (-1);
		if (v > (UINT64_MAX - (*p - '0')) / 10)
			return (-1);
		v = v * 10 + (*p - '0');
	}
	*index = v;
	return (0);
}

/* The index to keep: 0 when it went backwards (*reset then set). */
uint64_t
consul_index_update(uint64_t old, uint64_t new, int *reset)
{
	*reset = new < old;
	return (*reset ? 0 : new);
}

/* The index to block on: never 0, which would not block at all. */
uint64_t
consul_index_query(uint64_t index)
{
	return (index < 1 ? 1 : index);
}

void
consul_bucket_init(struct consul_bucket *b, int64_t now)
{
	b->tokens = CONSUL_BURST;
	b->last = now;
}

/*
 * Take a token: 0 when one is there, else the milliseconds until one
 * is (it is then spent in advance, so the caller just waits).
 */
long
consul_bucket_take(struct consul_bucket *b, int64_t now)
{
	double	 d;
	long	 delay;

	if (now > b->last) {
		b->tokens += (double)(now - b->last) / CONSUL_REFILL_MS;
		if (b->tokens > CONSUL_BURST)
			b->tokens = CONSUL_BURST;
		b->last = now;
	}
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return (0);
	}
	d = (1 - b->tokens) * CONSUL_REFILL_MS;
	if ((delay = (long)d) < d)
		delay++;
	if (b->last > now)
		delay += b->last - now;
	b->tokens = 0;
	b->last = now + delay;
	return (delay);
}

/*
 * CONSUL_HTTP_ADDR as Consul's tools read it: "HOST:PORT",
 * "http://HOST:PORT" or "https://HOST:PORT" (port 8500 if none);
 * unix sockets are not supported.
 */
int
consul_parse_http_addr(const char *s, char *host, size_t hostlen,
    uint16_t *port, int *https)
{
	const char	*why;
	char		 tmp[EP2D_HOST_MAX + 16];
	size_t		 n;

	*https = 0;
	if (strncasecmp(s, "https://", 8) == 0) {
		*https = 1;
		s += 8;
	} else if (strncasecmp(s, "http://", 7) == 0)
		s += 7;
	else if (strstr(s, "://") != NULL)
		return (-1);
	if (strlcpy(tmp, s, sizeof(tmp)) >= sizeof(tmp))
		return (-1);
	n = strlen(tmp);
	if (n > 0 && tmp[n - 1] == '/')
		tmp[n - 1] = '\0';
	if (addr_parse_hostport(tmp, CONSUL_DEFAULT_PORT, host, hostlen, port,
	    &why) == -1 || why != NULL)
		return (-1);
	return (0);
}

int64_t
consul_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* base - spread/2 .. base + spread/2 */
long
consul_jitter(long base, long spread)
{
	if (spread <= 0)
		return (base);
	return (base - spread / 2 + (long)arc4random_uniform(
	    spread > UINT32_MAX ? UINT32_MAX : (uint32_t)spread));
}

