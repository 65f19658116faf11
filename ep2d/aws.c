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
 * The AWS source: each poll asks Auto Scaling for the groups' instances
 * (DescribeAutoScalingGroups, every page), keeps those InService and
 * Healthy, and asks EC2 (DescribeInstances) only for the addresses of
 * instances it has not seen yet, so that a steady state costs one call
 * per poll.  The requests are signed by libcurl (CURLOPT_AWS_SIGV4), the
 * answers read by aws_xml.c, strictly: an answer of an unexpected shape
 * is a failure, and a failure never empties the backend.
 */

#include <sys/types.h>
#include <sys/time.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>

#include "ep2d.h"
#include "aws.h"
#include "http.h"
#include "log.h"

#define ASG_VERSION	"2011-01-01"
#define EC2_VERSION	"2016-11-15"

#define AWS_PAGES_MAX	100		/* pages of one call: a loop */
#define AWS_EC2_BATCH	100		/* ids per DescribeInstances */
#define AWS_TIMEOUT_MS	30000
#define AWS_CONNECT_MS	5000
#define AWS_BACKOFF_MS	1000		/* first retry after a failure */
#define AWS_BACKOFF_MAX	120000

/*
 * The source.  One poll is a chain of requests, one at a time:
 * credentials (when they must be fetched), DescribeAutoScalingGroups
 * page by page, then DescribeInstances for the unknown instances in
 * batches, page by page.  The answer is whole or it is nothing.
 */
enum aws_phase {
	PHASE_IDLE,
	PHASE_CREDS,
	PHASE_ASG,
	PHASE_EC2
};

enum aws_failure {
	FAIL_TRANSIENT,		/* throttled, 5xx, network: back off */
	FAIL_PERMANENT		/* refused, bad answer: at least a poll */
};

struct aws_ctx {
	struct source		*src;
	struct aws_chain	*chain;
	struct event		 ev_poll;
	enum aws_phase		 phase;
	struct http_req		*req;
	int			 inflight;
	int			 again;	/* fetch_now during a poll */

	/* the request in flight: kept until its answer */
	const char		*action;
	char			 region[64];
	char			 asg_url[AWS_URL_MAX];
	char			 ec2_url[AWS_URL_MAX];
	char			 sigv4[128];
	char			 userpwd[AWS_AKID_MAX + AWS_SECRET_MAX + 2];
	char			 tokhdr[AWS_TOKEN_MAX + 32];
	char			*body;
	const struct aws_creds	*creds;
	int			 pages;
	uint64_t		 seen[AWS_PAGES_MAX]; /* this walk's tokens */

	/* this poll */
	struct aws_asg_page	 asg;
	struct aws_ec2_page	 ec2;
	char			(*ask)[AWS_ID_MAX]; /* not cached */
	size_t			 nask;
	size_t			 askoff;		/* batch start */
	size_t			 nbatch;

	/* id -> address, sorted by id; "" when it has none */
	struct aws_addr		*cache;
	size_t			 ncache;
	size_t			 cachecap;
	enum ip_type		 cache_type;

	/* the last good poll's instances, sorted: the hooks change the set */
	char			(*live)[AWS_ID_MAX];
	size_t			 nlive;
	int			 have_live;
	struct timespec		 poll_start;	/* this poll's, monotonic */

	uint64_t		 said[2];	/* last poll's notes, hashed */
	int			 failures; /* since the last good poll */
	char			 lasterr[EP2D_ERR_MAX];
	enum aws_origin		 origin;	/* last one logged */
	int			 empty_logged;
};

static void	 aws_poll(struct aws_ctx *);
static void	 aws_poll_cb(int, short, void *);
static void	 aws_schedule(struct aws_ctx *, long);
static void	 aws_fail(struct aws_ctx *, enum aws_failure, const char *,
		    ...)
		    __attribute__((__format__ (printf, 3, 4)));
static void	 aws_creds_done(void *, const struct aws_creds *,
		    const char *);
static void	 aws_asg_request(struct aws_ctx *, const char *);
static void	 aws_asg_done(void *, const struct http_resp *);
static void	 aws_ec2_next_batch(struct aws_ctx *);
static void	 aws_ec2_request(struct aws_ctx *, const char *);
static void	 aws_ec2_done(void *, const struct http_resp *);
static void	 aws_finish(struct aws_ctx *);
static void	 aws_build(struct aws_ctx *, struct server_set *,
		    struct refused *);
static void	 aws_wipe_request(struct aws_ctx *);

static int
id_cmp(const void *a, const void *b)
{
	return (strcmp(a, b));
}

static int
addr_cmp(const void *a, const void *b)
{
	const struct aws_addr	*x = a, *y = b;

	return (strcmp(x->id, y->id));
}

static int
addr_ip_cmp(const void *a, const void *b)
{
	const struct aws_addr	*x = a, *y = b;
	int			 r;

	if ((r = strcmp(x->id, y->id)) != 0)
		return (r);
	return (strcmp(x->ip, y->ip));
}

static struct aws_addr *
cache_find(struct aws_ctx *c, const char *id)
{
	struct aws_addr	 key;

	if (c->ncache == 0)
		return (NULL);
	strlcpy(key.id, id, sizeof(key.id));
	return (bsearch(&key, c->cache, c->ncache, sizeof(*c->cache),
	    addr_cmp));
}

static long
aws_jitter(long ms, int pct)
{
	long	 span;

	span = ms * pct / 100;
	if (span <= 0)
		return (ms);
	return (ms - span + (long)arc4random_uniform(2 * span + 1));
}

/* FNV-1a: a token seen again within a walk is a loop, whatever came between */
static uint64_t
token_hash(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

/*
 * A note about the instances of a poll (slot 0: left out, 1: listed
 * twice), logged when it reads differently from the last poll's: the
 * same hostile group polled every second is one line, not one a poll.
 */
static void
aws_note(struct aws_ctx *c, int slot, const char *text)
{
	uint64_t	 h;

	h = text[0] == '\0' ? 0 : token_hash(text);
	if (h != 0 && h != c->said[slot])
		log_warnx("%s", text);
	c->said[slot] = h;
}

/*
 * The next page of a walk, or a loop: a token this walk has had
 * already (A, B, A, ... as much as A, A), or more pages than a call
 * can have.  0: ask for it; -1: a loop.
 */
static int
aws_next_page(struct aws_ctx *c, const char *next)
{
	uint64_t	 h;
	int		 i;

	if (c->pages >= AWS_PAGES_MAX)
		return (-1);
	h = token_hash(next);
	for (i = 0; i < c->pages; i++)
		if (c->seen[i] == h)
			return (-1);
	c->seen[c->pages++] = h;
	return (0);
}

static void
aws_schedule(struct aws_ctx *c, long ms)
{
	struct timeval	 tv;

	if (ms < 100)
		ms = 100;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_del(&c->ev_poll);
	evtimer_add(&c->ev_poll, &tv);
}

static void
aws_schedule_next(struct aws_ctx *c)
{
	long	 ms;

	ms = (long)c->src->be->conf->sleep_before_next_run * 1000;
	aws_schedule(c, aws_jitter(ms, 10));
}

static void
aws_end_poll(struct aws_ctx *c)
{
	c->phase = PHASE_IDLE;
	aws_wipe_request(c);
	aws_asg_page_free(&c->asg);
	aws_ec2_page_free(&c->ec2);
	free(c->ask);
	c->ask = NULL;
	c->nask = c->askoff = c->nbatch = 0;
}

/*
 * A failed poll: the first failure of a run, or one that reads
 * differently, is logged; the retries are not, since a throttled
 * account would fill the log.  The last good set stays.
 */
static void
aws_fail(struct aws_ctx *c, enum aws_failure kind, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[EP2D_ERR_MAX];
	long	 ms;
	int	 n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->failures++;
	if (c->failures == 1 || strcmp(msg, c->lasterr) != 0)
		log_warnx("aws: %s", msg);
	else
		log_debug("aws: poll failed again (%d attempts)",
		    c->failures);
	strlcpy(c->lasterr, msg, sizeof(c->lasterr));
	source_fail(c->src, "%s", msg);
	aws_end_poll(c);

	if (c->again) {
		c->again = 0;
		aws_schedule(c, 0);
		return;
	}
	/*
	 * Every failure backs off, so that no answer, however made, can
	 * drive the requests faster: exponential in the failures in a
	 * row from AWS_BACKOFF_MS to AWS_BACKOFF_MAX, half of it random
	 * ("equal jitter").  A permanent failure (a refusal, a bad
	 * answer, a loop) will not mend sooner than the next poll, so it
	 * waits that at least.
	 */
	n = c->failures > 8 ? 8 : c->failures;
	ms = (long)AWS_BACKOFF_MS << (n - 1);
	if (ms > AWS_BACKOFF_MAX)
		ms = AWS_BACKOFF_MAX;
	ms = ms / 2 + (long)arc4random_uniform(ms / 2 + 1);
	if (kind == FAIL_PERMANENT &&
	    ms < (long)c->src->be->conf->sleep_before_next_run * 1000)
		ms = aws_jitter((long)c->src->be->conf->sleep_before_next_run *
		    1000, 10);
	log_debug("aws: next attempt in %ld ms", ms);
	aws_schedule(c, ms);
}

static void
aws_wipe_request(struct aws_ctx *c)
{
	explicit_bzero(c->userpwd, sizeof(c->userpwd));
	explicit_bzero(c->tokhdr, sizeof(c->tokhdr));
	free(c->body);
	c->body = NULL;
}

static void
aws_poll_cb(int fd, short event, void *arg)
{
	aws_poll(arg);
}

static void
aws_poll(struct aws_ctx *c)
{
	const struct aws_conf	*ac = &c->src->be->conf->aws;
	const struct aws_backend *ab = &c->src->be->aws;
	const struct aws_creds	*cr;
	char			 err[EP2D_ERR_MAX];

	if (c->phase != PHASE_IDLE) {
		c->again = 1;
		return;
	}
	evtimer_del(&c->ev_poll);
	if (ab->nasg == 0) {
		aws_fail(c, FAIL_PERMANENT, "no asg_name configured");
		return;
	}
	if (aws_region(ab->region, getenv("AWS_REGION"),
	    getenv("AWS_DEFAULT_REGION"), creds_region(c->chain), c->region,
	    sizeof(c->region)) == -1) {
		aws_fail(c, FAIL_PERMANENT, "no valid region: set region_name "
		    "in [AWS], AWS_REGION, or region in the AWS config file");
		return;
	}
	if (aws_endpoint(ac->autoscaling_endpoint,
	    getenv("AWS_ENDPOINT_URL_AUTO_SCALING"), getenv("AWS_ENDPOINT_URL"),
	    "autoscaling", c->region, c->asg_url, sizeof(c->asg_url)) == -1 ||
	    aws_endpoint(ac->ec2_endpoint, getenv("AWS_ENDPOINT_URL_EC2"),
	    getenv("AWS_ENDPOINT_URL"), "ec2", c->region, c->ec2_url,
	    sizeof(c->ec2_url)) == -1) {
		aws_fail(c, FAIL_PERMANENT, "bad endpoint URL (autoscaling_"
		    "endpoint, ec2_endpoint or AWS_ENDPOINT_URL*)");
		return;
	}
	if (ac->ip_type != c->cache_type) {
		c->ncache = 0;
		c->cache_type = ac->ip_type;
	}
	c->phase = PHASE_CREDS;
	clock_gettime(CLOCK_MONOTONIC, &c->poll_start);
	switch (creds_get(c->chain, ac, &cr, aws_creds_done, c, err,
	    sizeof(err))) {
	case 0:
		aws_creds_done(c, cr, NULL);
		break;
	case 1:
		break;		/* aws_creds_done follows */
	default:
		aws_fail(c, FAIL_PERMANENT, "%s", err);
		break;
	}
}

static void
aws_creds_done(void *arg, const struct aws_creds *cr, const char *err)
{
	struct aws_ctx	*c = arg;

	if (c->phase != PHASE_CREDS)
		return;
	if (cr == NULL) {
		aws_fail(c, FAIL_TRANSIENT, "credentials: %s",
		    err != NULL ? err : "none");
		return;
	}
	if (cr->origin != c->origin) {
		log_info("aws: using credentials from %s",
		    creds_origin_name(cr->origin));
		c->origin = cr->origin;
	}
	c->creds = cr;
	c->phase = PHASE_ASG;
	c->pages = 0;
	aws_asg_request(c, "");
}

/* application/x-www-form-urlencoded, RFC 3986's unreserved kept */
static int
form_add(char **buf, size_t *len, size_t *cap, const char *name,
    const char *value)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 need, i;
	char			*n;
	unsigned char		 ch;

	need = *len + strlen(name) + 3 * strlen(value) + 3;
	if (need > *cap) {
		if ((n = realloc(*buf, need + 256)) == NULL)
			return (-1);
		*buf = n;
		*cap = need + 256;
	}
	if (*len > 0)
		(*buf)[(*len)++] = '&';
	memcpy(*buf + *len, name, strlen(name));
	*len += strlen(name);
	(*buf)[(*len)++] = '=';
	for (i = 0; value[i] != '\0'; i++) {
		ch = value[i];
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~')
			(*buf)[(*len)++] = ch;
		else {
			(*buf)[(*len)++] = '%';
			(*buf)[(*len)++] = hex[ch >> 4];
			(*buf)[(*len)++] = hex[ch & 0xf];
		}
	}
	(*buf)[*len] = '\0';
	return (0);
}

static int
aws_send(struct aws_ctx *c, const char *url, const char *service,
    http_cb cb)
{
	struct http_opts	 o;
	struct http_req		*r;
	int			 n;

	memset(&o, 0, sizeof(o));
	n = snprintf(c->sigv4, sizeof(c->sigv4), "aws:amz:%s:%s", c->region,
	    service);
	if (n < 0 || (size_t)n >= sizeof(c->sigv4))
		return (-1);
	n = snprintf(c->userpwd, sizeof(c->userpwd), "%s:%s", c->creds->akid,
	    c->creds->secret);
	if (n < 0 || (size_t)n >= sizeof(c->userpwd))
		return (-1);
	o.url = url;
	o.method = "POST";
	o.headers[0] = "Content-Type: application/x-www-form-urlencoded; "
	    "charset=utf-8";
	if (c->creds->token[0] != '\0') {
		/* a header before signing: libcurl signs it */
		n = snprintf(c->tokhdr, sizeof(c->tokhdr),
		    "X-Amz-Security-Token: %s", c->creds->token);
		if (n < 0 || (size_t)n >= sizeof(c->tokhdr))
			return (-1);
		o.headers[1] = c->tokhdr;
	}
	o.body = c->body;
	o.bodylen = strlen(c->body);
	o.aws_sigv4 = c->sigv4;
	o.userpwd = c->userpwd;
	o.timeout_ms = AWS_TIMEOUT_MS;
	o.connect_timeout_ms = AWS_CONNECT_MS;
	o.max_body = AWS_BODY_MAX;
	c->inflight = 1;
	r = http_request(&o, cb, c);
	if (r == NULL) {
		c->inflight = 0;
		return (-1);
	}
	/* an answer given before http_request() returned leaves no req */
	c->req = c->inflight ? r : NULL;
	return (0);
}

static void
aws_asg_request(struct aws_ctx *c, const char *next)
{
	const struct aws_backend *ac = &c->src->be->aws;
	size_t			 len = 0, cap = 0;
	char			 name[64];
	int			 i;

	free(c->body);
	c->body = NULL;
	c->action = "DescribeAutoScalingGroups";
	if (form_add(&c->body, &len, &cap, "Action", c->action) == -1 ||
	    form_add(&c->body, &len, &cap, "Version", ASG_VERSION) == -1)
		fatal("%s: form", __func__);
	for (i = 0; i < ac->nasg; i++) {
		snprintf(name, sizeof(name), "AutoScalingGroupNames.member.%d",
		    i + 1);
		if (form_add(&c->body, &len, &cap, name,
		    ac->asg_names[i]) == -1)
			fatal("%s: form", __func__);
	}
	if (next[0] != '\0' &&
	    form_add(&c->body, &len, &cap, "NextToken", next) == -1)
		fatal("%s: form", __func__);
	if (aws_send(c, c->asg_url, "autoscaling", aws_asg_done) == -1)
		aws_fail(c, FAIL_TRANSIENT, "%s: cannot start the request",
		    c->action);
}

/*
 * A refusal: AWS's code and message in one line.  Throttling, server
 * errors and expired keys are worth a quick retry; the rest (a wrong
 * key, a missing permission) will not mend by itself.
 */
static void
aws_refused(struct aws_ctx *c, const struct http_resp *r)
{
	char	 code[AWS_CODE_MAX], msg[AWS_MSG_MAX];

	if (aws_parse_error(r->body, r->bodylen, code, sizeof(code), msg,
	    sizeof(msg)) == -1) {
		aws_fail(c, r->status >= 500 ? FAIL_TRANSIENT : FAIL_PERMANENT,
		    "%s refused (HTTP %ld) without an AWS error", c->action,
		    r->status);
		return;
	}
	if (strcmp(code, "ExpiredToken") == 0 ||
	    strcmp(code, "ExpiredTokenException") == 0 ||
	    strcmp(code, "RequestExpired") == 0) {
		creds_expire(c->chain);
		aws_fail(c, FAIL_TRANSIENT, "%s refused (HTTP %ld): %s: %s",
		    c->action, r->status, code, msg);
		return;
	}
	if (r->status >= 500 || strcmp(code, "Throttling") == 0 ||
	    strcmp(code, "ThrottlingException") == 0 ||
	    strcmp(code, "RequestLimitExceeded") == 0 ||
	    strcmp(code, "RequestThrottled") == 0 ||
	    strcmp(code, "InvalidInstanceID.NotFound") == 0) {
		aws_fail(c, FAIL_TRANSIENT, "%s refused (HTTP %ld): %s: %s",
		    c->action, r->status, code, msg);
		return;
	}
	aws_fail(c, FAIL_PERMANENT, "%s refused (HTTP %ld): %s: %s",
	    c->action, r->status, code, msg);
}

/* 0: a 200 to parse; -1: failed and handled */
static int
aws_answer(struct aws_ctx *c, const struct http_resp *r)
{
	char	 err[AWS_MSG_MAX];

	c->inflight = 0;
	c->req = NULL;
	aws_wipe_request(c);
	if (r->error != NULL) {
		aws_clean(err, sizeof(err), r->error);
		aws_fail(c, FAIL_TRANSIENT, "%s: %s", c->action, err);
		return (-1);
	}
	if (r->status != 200) {
		aws_refused(c, r);
		return (-1);
	}
	if (r->body == NULL) {
		aws_fail(c, FAIL_TRANSIENT, "%s: empty answer", c->action);
		return (-1);
	}
	return (0);
}

static void
aws_asg_done(void *arg, const struct http_resp *r)
{
	struct aws_ctx		*c = arg;
	const struct aws_backend *ac = &c->src->be->aws;
	char			 err[AWS_MSG_MAX];
	size_t			 i, j, k;
	int			 g, found;

	if (aws_answer(c, r) == -1)
		return;
	if (aws_parse_asg(r->body, r->bodylen, &c->asg, err,
	    sizeof(err)) == -1) {
		aws_fail(c, FAIL_PERMANENT, "%s: bad answer: %s", c->action,
		    err);
		return;
	}
	if (c->asg.next[0] != '\0') {
		if (aws_next_page(c, c->asg.next) == -1) {
			aws_fail(c, FAIL_PERMANENT, "%s: NextToken loops (a "
			    "token repeated or more than %d pages)", c->action,
			    AWS_PAGES_MAX);
			return;
		}
		aws_asg_request(c, c->asg.next);
		return;
	}

	/* a group that does not exist is a mistake, not an empty group */
	for (g = 0; g < ac->nasg; g++) {
		found = 0;
		for (i = 0; i < c->asg.ngroups && !found; i++)
			found = strcmp(c->asg.groups[i],
			    ac->asg_names[g]) == 0;
		if (!found) {
			aws_fail(c, FAIL_PERMANENT, "Auto Scaling group "
			    "\"%s\" not found", ac->asg_names[g]);
			return;
		}
	}

	/* sorted, unique: the cache is pruned to these */
	if (c->asg.nids > 1)
		qsort(c->asg.ids, c->asg.nids, sizeof(*c->asg.ids), id_cmp);
	for (i = 0, j = 0; i < c->asg.nids; i++)
		if (j == 0 || strcmp(c->asg.ids[j - 1], c->asg.ids[i]) != 0)
			memmove(c->asg.ids[j++], c->asg.ids[i],
			    sizeof(c->asg.ids[0]));
	c->asg.ndup = c->asg.nids - j;
	c->asg.nids = j;

	if ((c->ask = calloc(c->asg.nids + 1, sizeof(*c->ask))) == NULL)
		fatal("%s: calloc", __func__);
	for (i = 0, k = 0; i < c->asg.nids; i++)
		if (cache_find(c, c->asg.ids[i]) == NULL)
			strlcpy(c->ask[k++], c->asg.ids[i], sizeof(c->ask[0]));
	c->nask = k;
	c->askoff = 0;
	c->nbatch = 0;
	c->phase = PHASE_EC2;
	aws_ec2_next_batch(c);
}

static void
aws_ec2_next_batch(struct aws_ctx *c)
{
	c->askoff += c->nbatch;
	if (c->askoff >= c->nask) {
		aws_finish(c);
		return;
	}
	c->nbatch = c->nask - c->askoff;
	if (c->nbatch > AWS_EC2_BATCH)
		c->nbatch = AWS_EC2_BATCH;
	c->pages = 0;
	aws_ec2_request(c, "");
}

static void
aws_ec2_request(struct aws_ctx *c, const char *next)
{
	size_t	 len = 0, cap = 0, i;
	char	 name[32];

	free(c->body);
	c->body = NULL;
	c->action = "DescribeInstances";
	if (form_add(&c->body, &len, &cap, "Action", c->action) == -1 ||
	    form_add(&c->body, &len, &cap, "Version", EC2_VERSION) == -1)
		fatal("%s: form", __func__);
	for (i = 0; i < c->nbatch; i++) {
		snprintf(name, sizeof(name), "InstanceId.%zu", i + 1);
		if (form_add(&c->body, &len, &cap, name,
		    c->ask[c->askoff + i]) == -1)
			fatal("%s: form", __func__);
	}
	if (next[0] != '\0' &&
	    form_add(&c->body, &len, &cap, "NextToken", next) == -1)
		fatal("%s: form", __func__);
	if (aws_send(c, c->ec2_url, "ec2", aws_ec2_done) == -1)
		aws_fail(c, FAIL_TRANSIENT, "%s: cannot start the request",
		    c->action);
}

static void
aws_ec2_done(void *arg, const struct http_resp *r)
{
	struct aws_ctx	*c = arg;
	char		 err[AWS_MSG_MAX];

	if (aws_answer(c, r) == -1)
		return;
	if (aws_parse_instances(r->body, r->bodylen,
	    c->src->be->conf->aws.ip_type, &c->ec2, err, sizeof(err)) == -1) {
		aws_fail(c, FAIL_PERMANENT, "%s: bad answer: %s", c->action,
		    err);
		return;
	}
	if (c->ec2.next[0] != '\0') {
		if (aws_next_page(c, c->ec2.next) == -1) {
			aws_fail(c, FAIL_PERMANENT, "%s: nextToken loops (a "
			    "token repeated or more than %d pages)", c->action,
			    AWS_PAGES_MAX);
			return;
		}
		aws_ec2_request(c, c->ec2.next);
		return;
	}
	c->ec2.next[0] = '\0';
	aws_ec2_next_batch(c);
}

/*
 * Both calls answered: learn the new addresses, forget the instances
 * that left, and hand the whole set over.
 */
static void
aws_finish(struct aws_ctx *c)
{
	const struct backend_conf *be = c->src->be;
	const struct ep2_conf	*conf = be->conf;
	struct server_set	 set;
	struct refused		 ref;
	struct aws_addr		*a, *n;
	char			 text[LOG_LINE_MAX];
	size_t			 i, j, need, added = 0, dup = 0;

	refused_init(&ref);
	need = c->ncache + c->ec2.naddrs;
	if (need > c->cachecap) {
		if ((n = reallocarray(c->cache, need, sizeof(*n))) == NULL)
			fatal("%s: reallocarray", __func__);
		c->cache = n;
		c->cachecap = need;
	}
	for (i = 0; i < c->ec2.naddrs; i++) {
		a = &c->ec2.addrs[i];
		if (c->nask == 0 || bsearch(a->id, c->ask, c->nask,
		    sizeof(*c->ask), id_cmp) == NULL ||
		    cache_find(c, a->id) != NULL)
			continue;	/* not asked, or known */
		c->cache[c->ncache + added++] = *a;
	}
	c->ncache += added;
	/*
	 * An instance EC2 names more than once is one instance: by id and
	 * address order, the same one whatever the order of the answer.
	 */
	if (c->ncache > 1)
		qsort(c->cache, c->ncache, sizeof(*c->cache), addr_ip_cmp);
	for (i = 0, j = 0; i < c->ncache; i++) {
		if (j > 0 && strcmp(c->cache[j - 1].id, c->cache[i].id) == 0) {
			dup++;
			continue;
		}
		c->cache[j++] = c->cache[i];
	}
	c->ncache = j;

	/* prune: both lists are sorted */
	for (i = 0, j = 0; i < c->ncache; i++)
		if (c->asg.nids > 0 && bsearch(c->cache[i].id, c->asg.ids,
		    c->asg.nids, sizeof(*c->asg.ids), id_cmp) != NULL)
			c->cache[j++] = c->cache[i];
	c->ncache = j;

	/* the instances of this poll, kept for the hooks' changes */
	free(c->live);
	if ((c->live = reallocarray(NULL, c->asg.nids + 1,
	    sizeof(*c->live))) == NULL)
		fatal("%s: reallocarray", __func__);
	if (c->asg.nids > 0)
		memcpy(c->live, c->asg.ids, c->asg.nids * sizeof(*c->live));
	c->nlive = c->asg.nids;
	c->have_live = 1;
	hook_poll_seen(c->src, &c->asg, &c->poll_start);

	set_init(&set);
	aws_build(c, &set, &ref);
	/* one line a poll, and only when it reads differently */
	refused_text(&ref, "aws", "instance", text, sizeof(text));
	aws_note(c, 0, text);
	dup += c->asg.ndup;
	if (dup > 0)
		snprintf(text, sizeof(text), "aws: %zu instance%s listed "
		    "more than once by DescribeAutoScalingGroups or "
		    "DescribeInstances; each counts once", dup,
		    dup > 1 ? "s" : "");
	else
		text[0] = '\0';
	aws_note(c, 1, text);
	if (c->asg.nids == 0) {
		if (!c->empty_logged)
			log_warnx("aws: no InService and Healthy instance in "
			    "the Auto Scaling group%s (%zu listed): %s",
			    be->aws.nasg > 1 ? "s" : "", c->asg.nlisted,
			    conf->keep_on_empty ? "the servers stay "
			    "(keep_on_empty)" : "the backend is emptied");
		c->empty_logged = 1;
	} else
		c->empty_logged = 0;
	if (c->failures > 0)
		log_info("aws: recovered after %d failed attempt%s",
		    c->failures, c->failures > 1 ? "s" : "");
	c->failures = 0;
	c->lasterr[0] = '\0';
	log_debug("aws: %zu instances InService and Healthy, %zu listed, "
	    "%zu asked of EC2", c->asg.nids, c->asg.nlisted, c->nask);
	aws_end_poll(c);
	source_good(c->src, &set);
	set_free(&set);

	if (c->again) {
		c->again = 0;
		aws_schedule(c, 0);
	} else
		aws_schedule_next(c);
}

/*
 * The set: the last poll's instances with their addresses, less those a
 * lifecycle hook terminates, plus those it launches (aws_hook.c).
 */
static void
aws_build(struct aws_ctx *c, struct server_set *set, struct refused *ref)
{
	const struct backend_conf *be = c->src->be;
	const char		*type;
	struct aws_addr		*a;
	size_t			 i;

	type = be->conf->aws.ip_type == IP_PRIVATE ? "private" : "public";
	for (i = 0; i < c->nlive; i++) {
		if (hook_leaving(c->src, c->live[i]))
			continue;
		if ((a = cache_find(c, c->live[i])) == NULL) {
			refused_add(ref, "%s not in DescribeInstances' "
			    "answer", c->live[i]);
			continue;
		}
		if (a->ip[0] == '\0') {
			refused_add(ref, "%s has no %s IP address", a->id,
			    type);
			continue;
		}
		if (set_add(set, a->ip, be->backend_port) == -1) {
			refused_add(ref, "%s: %s", a->id, errno == E2BIG ?
			    "too many instances" : strerror(errno));
			continue;
		}
	}
	hook_joining(c->src, set);
}

/*
 * A lifecycle hook changed what the source holds: the set again, from
 * the last poll, at once.  Before the first good poll there is none to
 * change; that poll will count the hooks.
 */
void
aws_source_refresh(struct source *src)
{
	struct aws_ctx		*c = src->ctx;
	struct server_set	 set;
	struct refused		 ref;

	if (c == NULL || !c->have_live)
		return;
	refused_init(&ref);
	set_init(&set);
	aws_build(c, &set, &ref);
	source_good(src, &set);
	set_free(&set);
}

/* An instance's address as the last polls learnt it: 0, or -1. */
int
aws_source_addr(struct source *src, const char *id, char *ip, size_t len)
{
	struct aws_ctx	*c = src->ctx;
	struct aws_addr	*a;

	if (c == NULL || (a = cache_find(c, id)) == NULL || a->ip[0] == '\0')
		return (-1);
	return (strlcpy(ip, a->ip, len) < len ? 0 : -1);
}

int
aws_source_has_group(const struct source *src, const char *group)
{
	const struct aws_backend *ab = &src->be->aws;
	int			 i;

	for (i = 0; i < ab->nasg; i++)
		if (strcmp(ab->asg_names[i], group) == 0)
			return (1);
	return (0);
}

/* As root, before the sandbox: what the credential chain must read. */
static int
aws_init(struct source *src)
{
	struct aws_ctx	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("%s: calloc", __func__);
		return (-1);
	}
	c->src = src;
	c->cache_type = src->be->conf->aws.ip_type;
	if ((c->chain = creds_init(&src->be->conf->aws)) == NULL) {
		free(c);
		return (-1);
	}
	evtimer_set(&c->ev_poll, aws_poll_cb, c);
	if (src->evb != NULL)
		event_base_set(src->evb, &c->ev_poll);
	src->ctx = c;
	hook_register(src);
	return (0);
}

static int
aws_start(struct source *src)
{
	struct aws_ctx	*c = src->ctx;

	if (c == NULL)
		return (-1);
	aws_schedule(c, 0);
	hook_start();
	return (0);
}

static void
aws_fetch_now(struct source *src)
{
	struct aws_ctx	*c = src->ctx;

	if (c == NULL)
		return;
	/* a new configuration may name a queue: the hooks look again */
	hook_start();
	if (c->phase != PHASE_IDLE) {
		c->again = 1;
		return;
	}
	aws_schedule(c, 0);
}

static void
aws_stop(struct source *src)
{
	struct aws_ctx	*c = src->ctx;

	if (c == NULL)
		return;
	evtimer_del(&c->ev_poll);
	if (c->req != NULL)
		http_cancel(c->req);
	c->req = NULL;
	creds_cancel(c->chain);
	aws_end_poll(c);
	creds_free(c->chain);
	hook_unregister(src);
	free(c->cache);
	free(c->live);
	free(c);
	src->ctx = NULL;
}

const struct source_ops aws_ops = {
	aws_init, aws_start, aws_fetch_now, aws_stop
};
