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
 * Auto Scaling lifecycle hooks, the fetcher's side ([AWS]
 * lifecycle_queue_url).  One loop for the fetcher, whatever the number
 * of AWS sources: SQS ReceiveMessage, long polled, always one in
 * flight; each notification read strictly (aws_lifecycle.c,
 * aws_lifecycle_event.c) becomes an action:
 *
 *   launch:    the address (DescribeInstances), the set gains it at
 *              once (aws.c), the parent is asked to tell when its slot
 *              is ready; then CompleteLifecycleAction CONTINUE.
 *   terminate: the set loses it at once, the parent is asked to tell
 *              when its drain is over; heartbeats meanwhile; then
 *              CompleteLifecycleAction CONTINUE.
 *
 * and the message is deleted only then.  Messages for groups no source
 * polls, for hooks not named, or that cannot be read are left alone:
 * they come back after the queue's visibility timeout, to whoever reads
 * the queue.  A message seen again finds its action.  The poll stays
 * the source of truth: an action whose instance the next poll shows
 * out of its wait state is over (the hook timed out, someone else
 * completed it), and an instance the poll shows waiting that has no
 * action gets one (ep2d restarted, the message was lost).
 *
 * Launches are never abandoned: an instance that does not pass
 * HAProxy's check within the hook's heartbeat timeout gets the hook's
 * DefaultResult from Auto Scaling (ep2.conf(5), LIFECYCLE HOOKS).
 *
 * The calls go one at a time, apart from the receive; each failure is
 * tried again later, with back-off.  Nothing here is trusted further
 * than aws.c trusts a poll: the addresses go through source_good().
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>
#include <openssl/evp.h>

#include "ep2d.h"
#include "aws.h"
#include "aws_lifecycle.h"
#include "http.h"
#include "imsg.h"
#include "log.h"

#define EC2_VERSION		"2016-11-15"

#define HOOK_WAIT_S		LC_WAIT_MAX	/* ReceiveMessage's wait */
#define HOOK_RECV_MS		((HOOK_WAIT_S + 10) * 1000)
#define HOOK_CALL_MS		30000
#define HOOK_CONNECT_MS		5000
#define HOOK_RECV_BACKOFF_MAX	30	/* s, between failed receives */
#define HOOK_RETRY_MAX		60	/* s, between a call's attempts */
#define HOOK_ADDR_TRIES		5	/* DescribeInstances: not found */
#define HOOK_ACTIONS_MAX	4096
#define HOOK_DONE_KEEP		3600	/* s: an action over, remembered */
#define HOOK_EC2_BATCH		100
#define HOOK_LEARNED_MAX	32
#define HOOK_SAID_MAX		256

enum ha_state {
	HA_ADDR,		/* its address is asked of EC2 */
	HA_WAIT,		/* the parent watches its server */
	HA_COMPLETE,		/* CompleteLifecycleAction to send */
	HA_DELETE,		/* its message to delete */
	HA_DONE			/* over: kept to know its message again */
};

struct hook_action {
	TAILQ_ENTRY(hook_action) entry;
	enum lc_kind		 kind;		/* LC_LAUNCH, LC_TERMINATE */
	enum ha_state		 state;
	char			 instance[AWS_ID_MAX];
	char			 group[LC_NAME_MAX];
	char			 hook[LC_NAME_MAX];
	char			 token[LC_TOKEN_LEN + 1]; /* "": the poll's */
	char			 receipt[LC_RECEIPT_MAX]; /* "": no message */
	char			 msgid[LC_MSGID_MAX];
	char			 ip[EP2D_HOST_MAX];	/* "": unknown yet */
	uint32_t		 id;		/* of its watches */
	uint32_t		 srcmask;	/* the sources of its group */
	uint32_t		 waitmask;	/* watches not answered */
	enum hook_result	 result;
	struct timespec		 since;		/* made, monotonic */
	struct timespec		 ended;		/* its wait ended */
	struct timespec		 beat;		/* the hook's timeout from, monotonic */
	time_t			 next_try;	/* a call failed: not before */
	int			 tries;
	int			 from_poll;
	int			 joined;	/* a launch in the set */
	int			 leaving;	/* a termination out of it */
	int			 warned;	/* a heartbeat refused */
};

/* a message to delete that no action holds (a test notification) */
struct hook_del {
	TAILQ_ENTRY(hook_del)	 entry;
	char			 receipt[LC_RECEIPT_MAX];
	time_t			 next_try;
	int			 tries;
};

/* one signed request and what it needs until its answer */
struct hook_call {
	struct http_req		*req;
	int			 inflight;
	const char		*action;
	char			 sigv4[128];
	char			 userpwd[AWS_AKID_MAX + AWS_SECRET_MAX + 2];
	char			 tokhdr[AWS_TOKEN_MAX + 32];
	char			*body;
	struct timespec		 start;
	/* what the answer is for */
	uint32_t		 id;		/* an action's */
	struct hook_del		*del;
	char			 ids[HOOK_EC2_BATCH][AWS_ID_MAX];
	size_t			 nids;
};

struct hook_learned {
	char			 group[LC_NAME_MAX];
	char			 hook[LC_NAME_MAX];
};

static struct {
	struct source		*srcs[EP2D_MAX_HOOK_BACKENDS]; /* a mask's bits */
	int			 nsrcs;
	struct aws_chain	*chain;
	int			 creds_wait;	/* creds_get answers later */
	int			 running;	/* hook_start() ran */

	struct hook_call	 recv;
	struct event		 ev_recv;	/* the next receive */
	int			 recv_failures;
	char			 recv_url[1024];

	struct hook_call	 call;
	struct event		 ev_tick;	/* retries, heartbeats */
	struct timespec		 tick_at;	/* when it fires, monotonic */
	int			 ev_init;

	TAILQ_HEAD(, hook_action) actions;
	size_t			 nactions;
	TAILQ_HEAD(, hook_del)	 dels;
	uint32_t		 next_id;

	struct hook_learned	 learned[HOOK_LEARNED_MAX];
	int			 nlearned;
	uint64_t		 said[HOOK_SAID_MAX];	/* ring of hashes */
	int			 nsaid;
} h;

static void	 hook_recv(void);
static void	 hook_recv_cb(int, short, void *);
static void	 hook_recv_done(void *, const struct http_resp *);
static void	 hook_recv_fail(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static void	 hook_run(void);
static void	 hook_tick(int, short, void *);
static void	 hook_tick_arm(void);
static void	 hook_call_done(void *, const struct http_resp *);
static void	 hook_watch(struct hook_action *);
static void	 hook_enter(struct hook_action *);
static void	 hook_unwatch(struct hook_action *);
static void	 hook_end(struct hook_action *);
static void	 hook_refresh(uint32_t, const struct source *);

static const struct ep2_conf *
hconf(void)
{
	return (h.srcs[0]->be->conf);
}

static const char *
kind_state(enum lc_kind k)
{
	return (k == LC_LAUNCH ? "Pending:Wait" : "Terminating:Wait");
}

/* FNV-1a, for the lines said once */
static uint64_t
hook_hash(const char *a, const char *b)
{
	uint64_t	 x = 0xcbf29ce484222325ULL;

	for (; *a != '\0'; a++)
		x = (x ^ (unsigned char)*a) * 0x100000001b3ULL;
	x = (x ^ 0xff) * 0x100000001b3ULL;
	for (; *b != '\0'; b++)
		x = (x ^ (unsigned char)*b) * 0x100000001b3ULL;
	return (x);
}

/*
 * A message left alone comes back after every visibility timeout: its
 * line is said the first time only.
 */
static void
hook_say_once(const char *msgid, const char *fmt, ...)
{
	va_list		 ap;
	char		 text[LOG_LINE_MAX];
	uint64_t	 x;
	int		 i;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	x = hook_hash(msgid, text);
	for (i = 0; i < HOOK_SAID_MAX; i++)
		if (h.said[i] == x) {
			log_debug("%s", text);
			return;
		}
	h.said[h.nsaid++ % HOOK_SAID_MAX] = x;
	log_info("%s", text);
}

static uint32_t
srcmask_of(const char *group)
{
	uint32_t	 m = 0;
	int		 i;

	for (i = 0; i < h.nsrcs; i++)
		if (aws_source_has_group(h.srcs[i], group))
			m |= 1U << i;
	return (m);
}

static int
src_index(const struct source *src)
{
	int	 i;

	for (i = 0; i < h.nsrcs; i++)
		if (h.srcs[i] == src)
			return (i);
	return (-1);
}

static int
first_src(uint32_t mask)
{
	int	 i;

	for (i = 0; i < h.nsrcs; i++)
		if (mask & (1U << i))
			return (i);
	return (0);
}

/* As root, before the sandbox: the credential chain reads its files. */
void
hook_register(struct source *src)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;

	/*
	 * Only without a queue (config.c refuses more with one): the
	 * hooks are idle then, and a reload cannot name one for them.
	 */
	if (h.nsrcs >= EP2D_MAX_HOOK_BACKENDS)
		return;
	if (h.nsrcs == 0) {
		TAILQ_INIT(&h.actions);
		TAILQ_INIT(&h.dels);
		/*
		 * A chain of its own (one callback each); not made when no
		 * queue is named, or its notes would be said twice.  A queue
		 * named first by a reload makes it in the sandbox, where no
		 * credentials file can be read.
		 */
		if (src->be->conf->aws.lifecycle_queue_url[0] != '\0' &&
		    (h.chain = creds_init(&src->be->conf->aws)) == NULL)
			fatalx("%s: credentials", __func__);
		/*
		 * MD5OfBody is checked with OpenSSL's MD5, which finds its
		 * provider on first use: that is done now, while files can
		 * still be read.
		 */
		if (EVP_Digest("", 0, md, &mdlen, EVP_md5(), NULL) != 1)
			fatalx("%s: no MD5", __func__);
		evtimer_set(&h.ev_recv, hook_recv_cb, NULL);
		evtimer_set(&h.ev_tick, hook_tick, NULL);
		if (src->evb != NULL) {
			event_base_set(src->evb, &h.ev_recv);
			event_base_set(src->evb, &h.ev_tick);
		}
		h.ev_init = 1;
	}
	h.srcs[h.nsrcs++] = src;
}

void
hook_unregister(struct source *src)
{
	struct hook_action	*a;
	struct hook_del		*d;
	int			 i;

	if ((i = src_index(src)) == -1)
		return;
	memmove(&h.srcs[i], &h.srcs[i + 1], (h.nsrcs - i - 1) *
	    sizeof(h.srcs[0]));
	if (--h.nsrcs > 0)
		return;
	/* the last one: the fetcher ends */
	if (h.recv.req != NULL)
		http_cancel(h.recv.req);
	if (h.call.req != NULL)
		http_cancel(h.call.req);
	free(h.recv.body);
	free(h.call.body);
	explicit_bzero(&h.recv, sizeof(h.recv));
	explicit_bzero(&h.call, sizeof(h.call));
	if (h.ev_init) {
		evtimer_del(&h.ev_recv);
		evtimer_del(&h.ev_tick);
	}
	while ((a = TAILQ_FIRST(&h.actions)) != NULL) {
		TAILQ_REMOVE(&h.actions, a, entry);
		free(a);
	}
	while ((d = TAILQ_FIRST(&h.dels)) != NULL) {
		TAILQ_REMOVE(&h.dels, d, entry);
		free(d);
	}
	h.nactions = 0;
	creds_free(h.chain);
	h.chain = NULL;
	h.running = 0;
}

/* After the sandbox, and again at each reload: the loop, if a queue. */
void
hook_start(void)
{
	if (h.nsrcs == 0)
		return;
	h.running = 1;
	hook_recv();
	hook_run();
}

/*
 * The region to sign for: the queue's own (sqs.REGION.amazonaws.com,
 * REGION.queue.amazonaws.com), else the configuration's.
 */
static int
hook_region(const char *url, const struct backend_conf *be, char *out,
    size_t len)
{
	const char	*hst, *e, *d;
	size_t		 n;

	if (url != NULL) {
		hst = url + (strncmp(url, "https://", 8) == 0 ? 8 :
		    strncmp(url, "http://", 7) == 0 ? 7 : 0);
		e = hst + strcspn(hst, "/:");
		if (strncmp(hst, "sqs.", 4) == 0 &&
		    (d = memchr(hst + 4, '.', e - hst - 4)) != NULL &&
		    (size_t)(e - d) >= strlen(".amazonaws.com") &&
		    strncmp(d, ".amazonaws.com", 14) == 0) {
			n = d - (hst + 4);
			if (n > 0 && n < len) {
				memcpy(out, hst + 4, n);
				out[n] = '\0';
				return (0);
			}
		}
		if ((d = memchr(hst, '.', e - hst)) != NULL &&
		    strncmp(d, ".queue.amazonaws.com", 20) == 0 &&
		    (size_t)(d - hst) < len && d > hst) {
			memcpy(out, hst, d - hst);
			out[d - hst] = '\0';
			return (0);
		}
	}
	return (aws_region(be->aws.region, getenv("AWS_REGION"),
	    getenv("AWS_DEFAULT_REGION"), creds_region(h.chain), out, len));
}

static void
hook_creds_done(void *arg, const struct aws_creds *cr, const char *err)
{
	h.creds_wait = 0;
	if (cr == NULL) {
		if (!h.recv.inflight && !evtimer_pending(&h.ev_recv, NULL))
			hook_recv_fail("credentials: %s", err != NULL ? err :
			    "none");
		hook_tick_arm();
		return;
	}
	hook_recv();
	hook_run();
}

/* Keys now (0), later (1: hook_creds_done), or none (-1, err). */
static int
hook_creds(const struct aws_creds **cr, char *err, size_t errlen)
{
	if (h.creds_wait)
		return (1);
	if (h.chain == NULL && (h.chain = creds_init(&hconf()->aws)) ==
	    NULL) {
		snprintf(err, errlen, "no memory for the credential chain");
		return (-1);
	}
	switch (creds_get(h.chain, &hconf()->aws, cr, hook_creds_done, NULL,
	    err, errlen)) {
	case 0:
		return (0);
	case 1:
		h.creds_wait = 1;
		return (1);
	}
	return (-1);
}

static void
hook_wipe(struct hook_call *k)
{
	explicit_bzero(k->userpwd, sizeof(k->userpwd));
	explicit_bzero(k->tokhdr, sizeof(k->tokhdr));
	free(k->body);
	k->body = NULL;
}

/* k->body is set; the request is signed for service in region. */
static int
hook_send(struct hook_call *k, const struct aws_creds *cr, const char *url,
    const char *service, const char *region, long timeout_ms, void *arg)
{
	struct http_opts	 o;
	struct http_req		*r;
	int			 n;

	memset(&o, 0, sizeof(o));
	n = snprintf(k->sigv4, sizeof(k->sigv4), "aws:amz:%s:%s", region,
	    service);
	if (n < 0 || (size_t)n >= sizeof(k->sigv4))
		return (-1);
	n = snprintf(k->userpwd, sizeof(k->userpwd), "%s:%s", cr->akid,
	    cr->secret);
	if (n < 0 || (size_t)n >= sizeof(k->userpwd))
		return (-1);
	o.url = url;
	o.method = "POST";
	o.headers[0] = "Content-Type: application/x-www-form-urlencoded; "
	    "charset=utf-8";
	if (cr->token[0] != '\0') {
		n = snprintf(k->tokhdr, sizeof(k->tokhdr),
		    "X-Amz-Security-Token: %s", cr->token);
		if (n < 0 || (size_t)n >= sizeof(k->tokhdr))
			return (-1);
		o.headers[1] = k->tokhdr;
	}
	o.body = k->body;
	o.bodylen = strlen(k->body);
	o.aws_sigv4 = k->sigv4;
	o.userpwd = k->userpwd;
	o.timeout_ms = timeout_ms;
	o.connect_timeout_ms = HOOK_CONNECT_MS;
	o.max_body = LC_ANSWER_MAX;
	clock_gettime(CLOCK_MONOTONIC, &k->start);
	k->inflight = 1;
	if ((r = http_request(&o, k == &h.recv ? hook_recv_done :
	    hook_call_done, arg)) == NULL) {
		k->inflight = 0;
		return (-1);
	}
	k->req = k->inflight ? r : NULL;
	return (0);
}

/*
 * What an answer says: 0 a 200 with a body; 1 worth trying again
 * (network, throttling, server errors, expired keys); -1 refused, with
 * AWS's code in code.  Either failure has its text in err.
 */
static int
hook_answer(const char *action, const struct http_resp *r, char *code,
    size_t codelen, char *err, size_t errlen)
{
	char	 msg[AWS_MSG_MAX], clean[AWS_MSG_MAX];

	code[0] = '\0';
	if (r->error != NULL) {
		aws_clean(clean, sizeof(clean), r->error);
		snprintf(err, errlen, "%s: %s", action, clean);
		return (1);
	}
	if (r->status == 200 && r->body != NULL)
		return (0);
	if (r->body == NULL || aws_parse_error(r->body, r->bodylen, code,
	    codelen, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "%s refused (HTTP %ld) without an AWS "
		    "error", action, r->status);
		return (r->status >= 500 || r->status == 200 ? 1 : -1);
	}
	snprintf(err, errlen, "%s refused (HTTP %ld): %s: %s", action,
	    r->status, code, msg);
	if (strcmp(code, "ExpiredToken") == 0 ||
	    strcmp(code, "ExpiredTokenException") == 0 ||
	    strcmp(code, "RequestExpired") == 0) {
		if (h.chain != NULL)
			creds_expire(h.chain);
		return (1);
	}
	if (r->status >= 500 || strcmp(code, "Throttling") == 0 ||
	    strcmp(code, "ThrottlingException") == 0 ||
	    strcmp(code, "RequestThrottled") == 0 ||
	    strcmp(code, "RequestLimitExceeded") == 0 ||
	    strcmp(code, "AWS.SimpleQueueService.RequestThrottled") == 0)
		return (1);
	return (-1);
}

/* The receive loop */

static void
hook_recv_cb(int fd, short event, void *arg)
{
	hook_recv();
}

static void
hook_recv_later(long ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_del(&h.ev_recv);
	evtimer_add(&h.ev_recv, &tv);
}

static void
hook_recv(void)
{
	const struct ep2_conf	*conf;
	const struct aws_creds	*cr;
	char			 region[64], err[EP2D_ERR_MAX];

	if (!h.running || h.recv.inflight || evtimer_pending(&h.ev_recv,
	    NULL))
		return;
	conf = hconf();
	if (conf->aws.lifecycle_queue_url[0] == '\0') {
		if (h.recv_url[0] != '\0')
			log_info("aws: lifecycle_queue_url removed: the "
			    "queue is no longer read");
		h.recv_url[0] = '\0';
		return;
	}
	if (strcmp(h.recv_url, conf->aws.lifecycle_queue_url) != 0) {
		log_info("aws: reading the lifecycle queue %s",
		    conf->aws.lifecycle_queue_url);
		strlcpy(h.recv_url, conf->aws.lifecycle_queue_url,
		    sizeof(h.recv_url));
		h.recv_failures = 0;
	}
	if (hook_region(h.recv_url, h.srcs[0]->be, region,
	    sizeof(region)) == -1) {
		hook_recv_fail("no valid region: set region_name in [AWS], "
		    "AWS_REGION, or region in the AWS config file");
		return;
	}
	switch (hook_creds(&cr, err, sizeof(err))) {
	case 1:
		return;		/* hook_creds_done follows */
	case -1:
		hook_recv_fail("credentials: %s", err);
		return;
	}
	h.recv.action = "ReceiveMessage";
	free(h.recv.body);
	if ((h.recv.body = lc_query_receive(h.recv_url, LC_MSG_MAX,
	    HOOK_WAIT_S, -1)) == NULL) {
		hook_recv_fail("lifecycle_queue_url cannot be asked");
		return;
	}
	if (hook_send(&h.recv, cr, h.recv_url, "sqs", region, HOOK_RECV_MS,
	    NULL) == -1) {
		hook_wipe(&h.recv);
		hook_recv_fail("ReceiveMessage: cannot start the request");
	}
}

/*
 * The queue does not answer: one line when it starts, one when it ends;
 * the poll goes on meanwhile, every sleep_before_next_run seconds, and
 * sees the scale-ins and scale-outs late, as without a queue.
 */
static void
hook_recv_fail(const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[EP2D_ERR_MAX];
	long	 ms;
	int	 n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (h.recv_failures++ == 0)
		log_warnx("aws: lifecycle queue: %s; falling back to the poll "
		    "(every %d s) until the queue answers", msg,
		    hconf()->sleep_before_next_run);
	else
		log_debug("aws: lifecycle queue: %s (%d attempts)", msg,
		    h.recv_failures);
	n = h.recv_failures > 6 ? 6 : h.recv_failures;
	ms = 1000L << (n - 1);
	if (ms > HOOK_RECV_BACKOFF_MAX * 1000L)
		ms = HOOK_RECV_BACKOFF_MAX * 1000L;
	ms = ms / 2 + (long)arc4random_uniform(ms / 2 + 1);
	hook_recv_later(ms);
}

static struct hook_action *
hook_find(enum lc_kind kind, const char *instance, const char *hook,
    const char *token)
{
	struct hook_action	*a;

	if (token[0] != '\0')
		TAILQ_FOREACH(a, &h.actions, entry)
			if (strcmp(a->token, token) == 0)
				return (a);
	TAILQ_FOREACH(a, &h.actions, entry)
		if (a->kind == kind && strcmp(a->instance, instance) == 0 &&
		    strcmp(a->hook, hook) == 0)
			return (a);
	return (NULL);
}

/* hook names a message gave, for the poll's actions after a restart */
static void
hook_learn(const char *group, const char *hook)
{
	int	 i;

	for (i = 0; i < h.nlearned; i++)
		if (strcmp(h.learned[i].group, group) == 0 &&
		    strcmp(h.learned[i].hook, hook) == 0)
			return;
	if (h.nlearned >= HOOK_LEARNED_MAX)
		return;
	strlcpy(h.learned[h.nlearned].group, group,
	    sizeof(h.learned[0].group));
	strlcpy(h.learned[h.nlearned].hook, hook, sizeof(h.learned[0].hook));
	h.nlearned++;
}

static int
hook_named(const char *hook)
{
	const struct aws_conf	*ac = &hconf()->aws;
	int			 i;

	for (i = 0; i < ac->nlifecycle_hooks; i++)
		if (strcmp(ac->lifecycle_hooks[i], hook) == 0)
			return (1);
	return (0);
}

static struct hook_action *
hook_new(enum lc_kind kind, const char *instance, const char *group,
    const char *hook, uint32_t mask)
{
	struct hook_action	*a;

	if (h.nactions >= HOOK_ACTIONS_MAX) {
		log_warnx("aws: %d lifecycle actions at once; %s waits for "
		    "the hook's timeout", HOOK_ACTIONS_MAX, instance);
		return (NULL);
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("%s: calloc", __func__);
	a->kind = kind;
	a->state = HA_ADDR;
	strlcpy(a->instance, instance, sizeof(a->instance));
	strlcpy(a->group, group, sizeof(a->group));
	strlcpy(a->hook, hook, sizeof(a->hook));
	a->id = ++h.next_id;
	a->srcmask = mask;
	clock_gettime(CLOCK_MONOTONIC, &a->since);
	a->beat = a->since;
	TAILQ_INSERT_TAIL(&h.actions, a, entry);
	h.nactions++;
	return (a);
}

static void
hook_free(struct hook_action *a)
{
	TAILQ_REMOVE(&h.actions, a, entry);
	h.nactions--;
	explicit_bzero(a, sizeof(*a));
	free(a);
}

/*
 * A new action is watched as soon as its address is known: the last
 * polls know a terminating one's most of the time, a launch's action
 * one that joined since.  A terminating instance leaves the set only
 * then, its watch right after the set on the same channel: a watch that
 * came after a reload had already taken the server out would find it
 * never served, and be answered at once, with no drain.
 */
static void
hook_begin(struct hook_action *a)
{
	struct hook_action	*l;
	int			 i;

	for (i = 0; i < h.nsrcs; i++)
		if ((a->srcmask & (1U << i)) && aws_source_addr(h.srcs[i],
		    a->instance, a->ip, sizeof(a->ip)) == 0)
			break;
	if (a->ip[0] == '\0' && a->kind == LC_TERMINATE)
		TAILQ_FOREACH(l, &h.actions, entry)
			if (l->kind == LC_LAUNCH && l->joined &&
			    strcmp(l->instance, a->instance) == 0) {
				strlcpy(a->ip, l->ip, sizeof(a->ip));
				break;
			}
	if (a->ip[0] != '\0')
		hook_enter(a);
}

/* a's address is known: it joins or leaves the set, and is watched */
static void
hook_enter(struct hook_action *a)
{
	if (a->kind == LC_LAUNCH)
		a->joined = 1;
	else
		a->leaving = 1;
	hook_refresh(a->srcmask, NULL);
	hook_watch(a);
}

/*
 * The hook's timeout began when the instance entered its wait, which a
 * notification's time tells: one read late (ep2d was stopped, the queue
 * was slow) has its first heartbeat sooner.  A clock behind AWS's does
 * not put it later than the receipt.
 */
static void
hook_beat_from(struct hook_action *a, int64_t when_ms)
{
	struct timespec	 wall, now, age, at;
	int64_t		 ms, max;

	if (when_ms <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &wall);
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000 - when_ms;
	if (ms <= 0)
		return;
	max = (int64_t)hconf()->aws.lifecycle_heartbeat * 1000;
	if (ms > max)
		ms = max;
	age.tv_sec = ms / 1000;
	age.tv_nsec = (ms % 1000) * 1000000;
	timespecsub(&now, &age, &at);
	if (timespeccmp(&at, &a->beat, <))
		a->beat = at;
}

/* One message of a ReceiveMessage answer. */
static void
hook_message(const struct lc_message *m)
{
	struct lifecycle_event	 ev;
	struct hook_action	*a;
	struct hook_del		*d;
	char			 err[AWS_MSG_MAX];
	uint32_t		 mask;

	switch (m->state) {
	case LC_MSG_TOOLONG:
		hook_say_once(m->id, "aws: lifecycle queue: message %s is "
		    "over %d bytes; left in the queue", m->id, LC_BODY_MAX);
		return;
	case LC_MSG_CORRUPT:
		hook_say_once(m->id, "aws: lifecycle queue: message %s "
		    "disagrees with its MD5OfBody; left in the queue", m->id);
		return;
	case LC_MSG_OK:
		break;
	}
	if (lc_parse_event(m->body, m->bodylen, &ev, err,
	    sizeof(err)) == -1) {
		hook_say_once(m->id, "aws: lifecycle queue: message %s is no "
		    "notification of ours (%s); left in the queue", m->id,
		    err);
		return;
	}
	if (ev.kind == LC_OTHER) {
		hook_say_once(m->id, "aws: lifecycle queue: message %s is %s, "
		    "not a lifecycle action; left in the queue", m->id,
		    ev.what);
		return;
	}
	if ((mask = srcmask_of(ev.group)) == 0) {
		hook_say_once(m->id, "aws: lifecycle queue: message %s is "
		    "for the group %s, which ep2d does not poll; left in the "
		    "queue", m->id, ev.group);
		return;
	}
	if (ev.kind == LC_TEST) {
		log_info("aws: lifecycle queue: the test notification of "
		    "group %s", ev.group);
		if ((d = calloc(1, sizeof(*d))) == NULL)
			fatal("%s: calloc", __func__);
		strlcpy(d->receipt, m->receipt, sizeof(d->receipt));
		TAILQ_INSERT_TAIL(&h.dels, d, entry);
		return;
	}
	if (hconf()->aws.nlifecycle_hooks > 0 && !hook_named(ev.hook)) {
		hook_say_once(m->id, "aws: lifecycle queue: message %s is for "
		    "the hook %s, not in lifecycle_hook_name; left in the "
		    "queue", m->id, ev.hook);
		return;
	}
	hook_learn(ev.group, ev.hook);
	if ((a = hook_find(ev.kind, ev.instance, ev.hook, ev.token)) != NULL) {
		/* seen again, or found by the poll first */
		log_debug("aws: lifecycle queue: %s %s again (receive %u)",
		    lc_kind_name(ev.kind), ev.instance, m->receive_count);
		/* the poll's, before its first heartbeat */
		if (a->receipt[0] == '\0' && timespeccmp(&a->beat, &a->since,
		    ==))
			hook_beat_from(a, ev.when_ms);
		strlcpy(a->receipt, m->receipt, sizeof(a->receipt));
		strlcpy(a->msgid, m->id, sizeof(a->msgid));
		if (a->token[0] == '\0')
			strlcpy(a->token, ev.token, sizeof(a->token));
		if (a->state == HA_DONE) {
			a->state = HA_DELETE;
			a->tries = 0;
			a->next_try = 0;
		}
		return;
	}
	if ((a = hook_new(ev.kind, ev.instance, ev.group, ev.hook,
	    mask)) == NULL)
		return;
	strlcpy(a->token, ev.token, sizeof(a->token));
	strlcpy(a->receipt, m->receipt, sizeof(a->receipt));
	strlcpy(a->msgid, m->id, sizeof(a->msgid));
	hook_beat_from(a, ev.when_ms);
	log_info("aws: lifecycle hook %s: %s %s (group %s)", a->hook,
	    a->instance, kind_state(a->kind), a->group);
	hook_begin(a);
}

static void
hook_recv_done(void *arg, const struct http_resp *r)
{
	struct lc_batch		 b;
	struct timespec		 now, d;
	char			 code[AWS_CODE_MAX], err[EP2D_ERR_MAX];
	char			 perr[AWS_MSG_MAX];
	size_t			 i, n;

	h.recv.inflight = 0;
	h.recv.req = NULL;
	hook_wipe(&h.recv);
	if (hook_answer("ReceiveMessage", r, code, sizeof(code), err,
	    sizeof(err)) != 0) {
		hook_recv_fail("%s", err);
		return;
	}
	if (lc_parse_receive(r->body, r->bodylen, &b, perr,
	    sizeof(perr)) == -1) {
		hook_recv_fail("ReceiveMessage: bad answer: %s", perr);
		return;
	}
	if (h.recv_failures > 0)
		log_info("aws: lifecycle queue answers again after %d failed "
		    "attempt%s", h.recv_failures, h.recv_failures > 1 ? "s" :
		    "");
	h.recv_failures = 0;
	for (i = 0; i < b.n; i++)
		hook_message(&b.msg[i]);
	n = b.n;
	lc_batch_free(&b);
	/* a queue that does not wait (WaitTimeSeconds refused) is not spun */
	clock_gettime(CLOCK_MONOTONIC, &now);
	timespecsub(&now, &h.recv.start, &d);
	if (n == 0 && d.tv_sec < 1)
		hook_recv_later(1000);
	else
		hook_recv();
	hook_run();
}

/* The watches: the parent tells when a server is drained or ready. */

static void
hook_watch(struct hook_action *a)
{
	struct hook_watch	 w;
	int			 i;

	a->state = HA_WAIT;
	a->waitmask = 0;
	for (i = 0; i < h.nsrcs; i++) {
		if (!(a->srcmask & (1U << i)))
			continue;
		memset(&w, 0, sizeof(w));
		w.backend = h.srcs[i]->backend;
		w.id = a->id;
		w.what = a->kind == LC_LAUNCH ? HOOK_READY : HOOK_DRAINED;
		strlcpy(w.host, a->ip, sizeof(w.host));
		w.port = h.srcs[i]->be->backend_port;
		fetcher_compose(IMSG_HOOK_WATCH, &w, sizeof(w));
		a->waitmask |= 1U << i;
	}
}

static void
hook_unwatch(struct hook_action *a)
{
	struct hook_watch	 w;
	int			 i;

	for (i = 0; i < h.nsrcs; i++) {
		if (!(a->waitmask & (1U << i)))
			continue;
		memset(&w, 0, sizeof(w));
		w.backend = h.srcs[i]->backend;
		w.id = a->id;
		w.what = HOOK_CANCEL;
		fetcher_compose(IMSG_HOOK_WATCH, &w, sizeof(w));
	}
	a->waitmask = 0;
}

static const char *
result_name(enum hook_result r)
{
	switch (r) {
	case HOOK_R_DRAINED:
		return ("drained");
	case HOOK_R_TIMEOUT:
		return ("drain_timeout passed");
	case HOOK_R_ABSENT:
		return ("not in HAProxy");
	case HOOK_R_READY:
		return ("ready");
	case HOOK_R_NONE:
		break;
	}
	return ("over");
}

/* IMSG_HOOK_DONE: one backend's watch of an action is answered. */
void
hook_parent_msg(struct imsg *imsg)
{
	struct hook_watch	 w;
	struct hook_action	*a;
	struct timespec		 now, d;
	int			 i;

	if (imsg_get_data(imsg, &w, sizeof(w)) == -1) {
		log_warnx("%s: bad message", __func__);
		return;
	}
	TAILQ_FOREACH(a, &h.actions, entry)
		if (a->id == w.id)
			break;
	if (a == NULL || a->state != HA_WAIT)
		return;		/* over meanwhile */
	for (i = 0; i < h.nsrcs; i++)
		if (h.srcs[i]->backend == w.backend)
			break;
	if (i == h.nsrcs || !(a->waitmask & (1U << i)))
		return;
	a->waitmask &= ~(1U << i);
	if (a->result == HOOK_R_NONE || w.result == HOOK_R_TIMEOUT)
		a->result = w.result;
	if (a->waitmask != 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	timespecsub(&now, &a->since, &d);
	log_info("aws: %s %s: %s after %lld.%03ld s", a->instance,
	    kind_state(a->kind), result_name(a->result), (long long)d.tv_sec,
	    d.tv_nsec / 1000000);
	if (hconf()->aws.lifecycle_complete) {
		a->state = HA_COMPLETE;
		a->tries = 0;
		a->next_try = 0;
	} else
		hook_end(a);
	hook_run();
}

/* The action's wait is over: its message goes, the action stays known. */
static void
hook_end(struct hook_action *a)
{
	hook_unwatch(a);
	clock_gettime(CLOCK_MONOTONIC, &a->ended);
	a->tries = 0;
	a->next_try = 0;
	a->state = a->receipt[0] != '\0' ? HA_DELETE : HA_DONE;
}

/* The sources of mask (but skip) send their set again. */
static void
hook_refresh(uint32_t mask, const struct source *skip)
{
	int	 i;

	for (i = 0; i < h.nsrcs; i++)
		if ((mask & (1U << i)) && h.srcs[i] != skip)
			aws_source_refresh(h.srcs[i]);
}

/* What aws.c asks when it builds a set */

int
hook_leaving(const struct source *src, const char *id)
{
	struct hook_action	*a;
	int			 i;

	if (h.nactions == 0 || (i = src_index(src)) == -1)
		return (0);
	TAILQ_FOREACH(a, &h.actions, entry)
		if (a->kind == LC_TERMINATE && a->leaving &&
		    (a->srcmask & (1U << i)) && strcmp(a->instance, id) == 0)
			return (1);
	return (0);
}

void
hook_joining(const struct source *src, struct server_set *set)
{
	struct hook_action	*a;
	int			 i;

	if (h.nactions == 0 || (i = src_index(src)) == -1)
		return;
	TAILQ_FOREACH(a, &h.actions, entry) {
		if (a->kind != LC_LAUNCH || !(a->srcmask & (1U << i)) ||
		    !a->joined || hook_leaving(src, a->instance))
			continue;
		/* source_good() drops duplicates and checks the address */
		if (set_add(set, a->ip, src->be->backend_port) == -1)
			log_warnx("aws: %s: %s", a->instance,
			    strerror(errno));
	}
}

/* The state the poll gives an instance: NULL when it is not listed. */
static const char *
poll_state(const struct aws_asg_page *p, const char *id)
{
	size_t	 i;

	if (p->nids > 0 && bsearch(id, p->ids, p->nids, sizeof(*p->ids),
	    (int (*)(const void *, const void *))strcmp) != NULL)
		return ("InService");
	for (i = 0; i < p->nothers; i++)
		if (strcmp(p->others[i].id, id) == 0)
			return (p->others[i].state);
	return (NULL);
}

/* Make the poll's action for an instance it shows waiting. */
static void
poll_waiting(struct source *src, const struct aws_asg_page *p,
    const struct aws_asg_inst *o)
{
	const struct aws_conf	*ac = &hconf()->aws;
	struct hook_action	*a;
	const char		*group, *names[EP2D_MAX_HOOKS +
				    HOOK_LEARNED_MAX];
	enum lc_kind		 kind;
	int			 i, n = 0, j;

	if (strcmp(o->state, "Pending:Wait") == 0)
		kind = LC_LAUNCH;
	else if (strcmp(o->state, "Terminating:Wait") == 0)
		kind = LC_TERMINATE;
	else
		return;
	if (o->group < 0 || (size_t)o->group >= p->ngroups)
		return;
	group = p->groups[o->group];
	if (!aws_source_has_group(src, group))
		return;
	for (i = 0; i < ac->nlifecycle_hooks; i++)
		names[n++] = ac->lifecycle_hooks[i];
	for (i = 0; i < h.nlearned; i++) {
		if (strcmp(h.learned[i].group, group) != 0)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(names[j], h.learned[i].hook) == 0)
				break;
		if (j == n)
			names[n++] = h.learned[i].hook;
	}
	if (n == 0) {
		hook_say_once(o->id, "aws: %s waits in %s and no hook name is "
		    "known to complete it (lifecycle_hook_name)", o->id,
		    o->state);
		return;
	}
	for (i = 0; i < n; i++) {
		if (hook_find(kind, o->id, names[i], "") != NULL)
			continue;
		if ((a = hook_new(kind, o->id, group, names[i],
		    srcmask_of(group))) == NULL)
			return;
		a->from_poll = 1;
		log_info("aws: %s waits in %s (seen by the poll): lifecycle "
		    "hook %s", a->instance, o->state, a->hook);
		hook_begin(a);
	}
}

/*
 * A good poll of src, started at start: actions whose instance left its
 * wait state are over, waiting instances without an action get one.
 * Only what the poll's own sources hold is judged, and only by a poll
 * that started after the action did.
 */
void
hook_poll_seen(struct source *src, const struct aws_asg_page *p,
    const struct timespec *start)
{
	struct hook_action	*a, *n;
	const char		*st;
	uint32_t		 bit, other = 0;
	size_t			 i;
	int			 k;

	if ((k = src_index(src)) == -1)
		return;
	bit = 1U << k;
	TAILQ_FOREACH_SAFE(a, &h.actions, entry, n) {
		if (!(a->srcmask & bit) || timespeccmp(start, &a->since, <))
			continue;
		st = poll_state(p, a->instance);
		switch (a->state) {
		case HA_ADDR:
		case HA_WAIT:
			if (st != NULL && strcmp(st, kind_state(a->kind)) == 0)
				break;
			log_info("aws: %s is %s: its lifecycle action is over",
			    a->instance, st != NULL ? st : "gone");
			hook_end(a);
			/* abandoned, or in the poll's set by itself */
			a->joined = 0;
			other |= a->srcmask & ~bit;
			break;
		case HA_DONE:
			/* a launch past its wait is the poll's to hold */
			if (a->kind != LC_LAUNCH || !a->joined ||
			    timespeccmp(start, &a->ended, <) ||
			    (st != NULL && strncmp(st, "Pending", 7) == 0))
				break;
			a->joined = 0;
			other |= a->srcmask & ~bit;
			break;
		default:
			break;
		}
	}
	if (h.running && hconf()->aws.lifecycle_queue_url[0] != '\0')
		for (i = 0; i < p->nothers; i++)
			poll_waiting(src, p, &p->others[i]);
	hook_refresh(other, src);
	hook_run();
}

/* The calls: one at a time */

static void
hook_tick(int fd, short event, void *arg)
{
	struct hook_action	*a, *n;
	struct timespec		 now, d;

	clock_gettime(CLOCK_MONOTONIC, &now);
	TAILQ_FOREACH_SAFE(a, &h.actions, entry, n) {
		if (a->state != HA_DONE)
			continue;
		timespecsub(&now, &a->ended, &d);
		if (d.tv_sec >= HOOK_DONE_KEEP) {
			hook_refresh(a->srcmask, NULL);
			hook_free(a);
		}
	}
	hook_run();
}

/*
 * The milliseconds until a's next heartbeat, half the hook's timeout
 * after the last one was sent; 0: due now; -1: it has none.
 */
static long
beat_in(const struct hook_action *a, const struct timespec *now)
{
	const struct aws_conf	*ac = &hconf()->aws;
	struct timespec		 d;
	long long		 every, gone;

	if (a->kind != LC_TERMINATE || !ac->lifecycle_complete ||
	    (a->state != HA_WAIT && a->state != HA_ADDR))
		return (-1);
	every = (long long)ac->lifecycle_heartbeat * 500;
	timespecsub(now, &a->beat, &d);
	gone = (long long)d.tv_sec * 1000 + d.tv_nsec / 1000000;
	return (gone >= every ? 0 : (long)(every - gone));
}

static int
beat_due(const struct hook_action *a, const struct timespec *now,
    time_t wall)
{
	return (beat_in(a, now) == 0 && wall >= a->next_try);
}

/*
 * While anything waits, a look every second, or sooner when a heartbeat
 * is due sooner: retries and heartbeats; when only actions over are
 * left, one when the first is forgotten.  A tick already due sooner
 * keeps its time, so that calling this often does not put it off.
 */
static void
hook_tick_arm(void)
{
	struct hook_action	*a;
	struct timespec		 now, d, at;
	struct timeval		 tv;
	time_t			 wait = -1;
	long			 ms, beat;

	if (!h.ev_init)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (TAILQ_EMPTY(&h.dels))
		TAILQ_FOREACH(a, &h.actions, entry) {
			if (a->state != HA_DONE) {
				wait = -1;
				break;
			}
			timespecsub(&now, &a->ended, &d);
			if (wait == -1 || HOOK_DONE_KEEP - d.tv_sec < wait)
				wait = HOOK_DONE_KEEP - d.tv_sec;
		}
	else
		wait = 1;
	if (TAILQ_EMPTY(&h.actions) && TAILQ_EMPTY(&h.dels))
		return;
	ms = wait > 1 ? (long)wait * 1000 : 1000;
	/* one due now waits for the call in flight, which runs it after */
	TAILQ_FOREACH(a, &h.actions, entry)
		if ((beat = beat_in(a, &now)) > 0 && beat < ms)
			ms = beat;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	TIMEVAL_TO_TIMESPEC(&tv, &d);
	timespecadd(&now, &d, &at);
	if (evtimer_pending(&h.ev_tick, NULL) &&
	    timespeccmp(&h.tick_at, &at, <=))
		return;
	h.tick_at = at;
	evtimer_del(&h.ev_tick);
	evtimer_add(&h.ev_tick, &tv);
}

static long
hook_backoff(int tries)
{
	long	 s;

	s = 1L << (tries > 6 ? 6 : tries);
	return (s > HOOK_RETRY_MAX ? HOOK_RETRY_MAX : s);
}

/* The endpoint and region of a source's Auto Scaling or EC2 calls. */
static int
hook_endpoint(int si, const char *service, char *url, size_t urllen,
    char *region, size_t regionlen)
{
	const struct aws_conf	*ac = &h.srcs[si]->be->conf->aws;
	int			 asg = strcmp(service, "autoscaling") == 0;

	if (hook_region(NULL, h.srcs[si]->be, region, regionlen) == -1)
		return (-1);
	return (aws_endpoint(asg ? ac->autoscaling_endpoint :
	    ac->ec2_endpoint, getenv(asg ? "AWS_ENDPOINT_URL_AUTO_SCALING" :
	    "AWS_ENDPOINT_URL_EC2"), getenv("AWS_ENDPOINT_URL"), service,
	    region, url, urllen));
}

/*
 * The next call that is due, started: DescribeInstances for the
 * addresses (a batch), CompleteLifecycleAction, DeleteMessage,
 * RecordLifecycleActionHeartbeat, in that order.
 */
static void
hook_run(void)
{
	const struct ep2_conf	*conf;
	const struct aws_creds	*cr;
	struct hook_action	*a, *pick = NULL;
	struct hook_del		*d, *dpick = NULL;
	struct hook_call	*k = &h.call;
	const char		*service = NULL, *url = NULL;
	char			 ep[AWS_URL_MAX], region[64];
	char			 err[EP2D_ERR_MAX], *body;
	size_t			 len, i;
	struct timespec		 mono;
	time_t			 now = time(NULL);
	int			 si = 0, beat = 0;

	if (h.nsrcs == 0 || !h.running || k->inflight)
		return;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	hook_tick_arm();
	conf = hconf();
	k->nids = 0;
	k->id = 0;
	k->del = NULL;
	/*
	 * The addresses, a batch of the first source's; one id EC2 does
	 * not know fails a batch, so an id tried before goes alone.
	 */
	TAILQ_FOREACH(a, &h.actions, entry) {
		if (a->state != HA_ADDR || now < a->next_try || a->tries > 0)
			continue;
		if (k->nids == 0)
			si = first_src(a->srcmask);
		else if (first_src(a->srcmask) != si)
			continue;
		strlcpy(k->ids[k->nids++], a->instance, sizeof(k->ids[0]));
		if (k->nids == HOOK_EC2_BATCH)
			break;
	}
	if (k->nids == 0)
		TAILQ_FOREACH(a, &h.actions, entry)
			if (a->state == HA_ADDR && now >= a->next_try) {
				si = first_src(a->srcmask);
				strlcpy(k->ids[k->nids++], a->instance,
				    sizeof(k->ids[0]));
				break;
			}
	if (k->nids == 0) {
		TAILQ_FOREACH(a, &h.actions, entry)
			if (a->state == HA_COMPLETE && now >= a->next_try) {
				pick = a;
				break;
			}
	}
	if (k->nids == 0 && pick == NULL) {
		TAILQ_FOREACH(a, &h.actions, entry)
			if (a->state == HA_DELETE && now >= a->next_try) {
				pick = a;
				break;
			}
		if (pick == NULL)
			TAILQ_FOREACH(d, &h.dels, entry)
				if (now >= d->next_try) {
					dpick = d;
					break;
				}
	}
	if (k->nids == 0 && pick == NULL && dpick == NULL) {
		TAILQ_FOREACH(a, &h.actions, entry)
			if (beat_due(a, &mono, now)) {
				pick = a;
				beat = 1;
				break;
			}
	}
	if (k->nids == 0 && pick == NULL && dpick == NULL)
		return;

	if (pick != NULL)
		si = first_src(pick->srcmask);
	if (dpick != NULL || (pick != NULL && pick->state == HA_DELETE)) {
		/* DeleteMessage goes to the queue, signed for its region */
		url = conf->aws.lifecycle_queue_url;
		service = "sqs";
		if (url[0] == '\0' || hook_region(url, h.srcs[0]->be, region,
		    sizeof(region)) == -1)
			goto fail;
	} else {
		service = k->nids > 0 ? "ec2" : "autoscaling";
		if (hook_endpoint(si, service, ep, sizeof(ep), region,
		    sizeof(region)) == -1) {
			snprintf(err, sizeof(err), "bad endpoint URL or no "
			    "valid region");
			goto fail_err;
		}
		url = ep;
	}
	switch (hook_creds(&cr, err, sizeof(err))) {
	case 1:
		return;		/* hook_creds_done runs this again */
	case -1:
		goto fail_err;
	}

	body = NULL;
	if (k->nids > 0) {
		k->action = "DescribeInstances";
		len = 64 + k->nids * (AWS_ID_MAX + 16);
		if ((body = malloc(len)) == NULL)
			fatal("%s: malloc", __func__);
		snprintf(body, len, "Action=DescribeInstances&Version=%s",
		    EC2_VERSION);
		/* ids are [a-z0-9-] (aws_valid_id, lc_parse_event) */
		for (i = 0; i < k->nids; i++)
			snprintf(body + strlen(body), len - strlen(body),
			    "&InstanceId.%zu=%s", i + 1, k->ids[i]);
	} else if (dpick != NULL) {
		k->action = "DeleteMessage";
		k->del = dpick;
		body = lc_query_delete(url, dpick->receipt);
	} else if (pick->state == HA_DELETE) {
		k->action = "DeleteMessage";
		k->id = pick->id;
		body = lc_query_delete(url, pick->receipt);
	} else if (beat) {
		k->action = "RecordLifecycleActionHeartbeat";
		k->id = pick->id;
		body = lc_query_heartbeat(pick->group, pick->hook,
		    pick->token, pick->token[0] != '\0' ? NULL :
		    pick->instance);
	} else {
		k->action = "CompleteLifecycleAction";
		k->id = pick->id;
		body = lc_query_complete(pick->group, pick->hook,
		    pick->token, pick->token[0] != '\0' ? NULL :
		    pick->instance, "CONTINUE");
	}
	if (body == NULL) {
		snprintf(err, sizeof(err), "%s: cannot be asked", k->action);
		goto fail_err;
	}
	k->body = body;
	if (hook_send(k, cr, url, service, region, HOOK_CALL_MS, NULL) ==
	    -1) {
		hook_wipe(k);
		snprintf(err, sizeof(err), "%s: cannot start the request",
		    k->action);
		goto fail_err;
	}
	return;

 fail:
	snprintf(err, sizeof(err), "no queue or region to delete a message");
 fail_err:
	/* what was picked waits; the tick tries again */
	log_warnx("aws: lifecycle: %s", err);
	if (pick != NULL) {
		pick->next_try = now + hook_backoff(pick->tries++);
		if (beat)
			pick->beat = mono;
	}
	if (dpick != NULL)
		dpick->next_try = now + hook_backoff(dpick->tries++);
	for (i = 0; i < k->nids; i++)
		TAILQ_FOREACH(a, &h.actions, entry)
			if (a->state == HA_ADDR &&
			    strcmp(a->instance, k->ids[i]) == 0)
				a->next_try = now + hook_backoff(a->tries++);
	k->nids = 0;
}

/* DescribeInstances answered: the addresses, then the set and watch. */
static void
hook_addr_done(const struct http_resp *r, int rc, const char *code,
    const char *err)
{
	struct aws_ec2_page	 page;
	struct hook_action	*a, *n;
	char			 perr[AWS_MSG_MAX];
	time_t			 now = time(NULL);
	size_t			 i, j;
	int			 found;

	memset(&page, 0, sizeof(page));
	if (rc == 0 && aws_parse_instances(r->body, r->bodylen,
	    hconf()->aws.ip_type, &page, perr, sizeof(perr)) == -1) {
		snprintf(perr + strlen(perr), sizeof(perr) - strlen(perr),
		    " (DescribeInstances)");
		err = perr;
		rc = 1;
	}
	for (i = 0; i < h.call.nids; i++) {
		TAILQ_FOREACH_SAFE(a, &h.actions, entry, n) {
			if (a->state != HA_ADDR ||
			    strcmp(a->instance, h.call.ids[i]) != 0)
				continue;
			if (rc != 0) {
				/* a new instance EC2 does not know yet */
				if (a->tries == 0)
					log_warnx("aws: %s: %s", a->instance,
					    err);
				if (++a->tries >= HOOK_ADDR_TRIES) {
					log_warnx("aws: %s: no address after "
					    "%d attempts; its message comes "
					    "back later", a->instance,
					    a->tries);
					/* it never left the set (!leaving) */
					hook_free(a);
					continue;
				}
				a->next_try = now + hook_backoff(a->tries);
				continue;
			}
			for (j = 0, found = 0; j < page.naddrs; j++) {
				if (strcmp(page.addrs[j].id, a->instance) != 0)
					continue;
				found = 1;
				strlcpy(a->ip, page.addrs[j].ip,
				    sizeof(a->ip));
				break;
			}
			if (!found || a->ip[0] == '\0') {
				log_warnx("aws: %s has no %s address; its "
				    "lifecycle action is left to the hook's "
				    "timeout", a->instance,
				    hconf()->aws.ip_type == IP_PRIVATE ?
				    "private" : "public");
				if (a->kind == LC_TERMINATE) {
					/* never served: nothing to drain */
					a->result = HOOK_R_ABSENT;
					a->state = hconf()->aws.
					    lifecycle_complete ? HA_COMPLETE :
					    HA_DELETE;
				} else
					hook_end(a);
				continue;
			}
			addr_canonical(a->ip, sizeof(a->ip));
			hook_enter(a);
		}
	}
	aws_ec2_page_free(&page);
}

static void
hook_call_done(void *arg, const struct http_resp *r)
{
	struct hook_call	*k = &h.call;
	struct hook_action	*a;
	struct hook_del		*d;
	char			 code[AWS_CODE_MAX], err[EP2D_ERR_MAX];
	char			 perr[AWS_MSG_MAX];
	time_t			 now = time(NULL);
	int			 rc;

	k->inflight = 0;
	k->req = NULL;
	hook_wipe(k);
	rc = hook_answer(k->action, r, code, sizeof(code), err, sizeof(err));
	if (rc == 0 && k->nids == 0 && lc_parse_ack(r->body, r->bodylen,
	    k->action, perr, sizeof(perr)) == -1) {
		snprintf(err, sizeof(err), "%s: bad answer: %s", k->action,
		    perr);
		rc = 1;
	}
	if (k->nids > 0) {
		hook_addr_done(r, rc, code, err);
		k->nids = 0;
		hook_run();
		return;
	}
	if ((d = k->del) != NULL) {
		k->del = NULL;
		if (rc == 0 || strcmp(code, "ReceiptHandleIsInvalid") == 0) {
			TAILQ_REMOVE(&h.dels, d, entry);
			free(d);
		} else {
			if (d->tries == 0)
				log_warnx("aws: lifecycle queue: %s", err);
			d->next_try = now + hook_backoff(d->tries++);
		}
		hook_run();
		return;
	}
	TAILQ_FOREACH(a, &h.actions, entry)
		if (a->id == k->id)
			break;
	k->id = 0;
	if (a == NULL) {
		hook_run();
		return;
	}
	if (strcmp(k->action, "RecordLifecycleActionHeartbeat") == 0) {
		/* the hook's timeout restarted when it came, after this */
		a->beat = k->start;
		if (rc == 0)
			log_info("aws: %s: lifecycle heartbeat recorded (hook "
			    "%s)", a->instance, a->hook);
		else if (rc == 1)
			a->next_try = now + hook_backoff(a->tries++);
		if (rc != 0 && (a->from_poll || a->warned++))
			log_debug("aws: %s: %s", a->instance, err);
		else if (rc != 0)
			log_warnx("aws: %s: %s", a->instance, err);
	} else if (strcmp(k->action, "CompleteLifecycleAction") == 0) {
		if (rc == 0) {
			log_info("aws: %s: CompleteLifecycleAction CONTINUE "
			    "(hook %s)", a->instance, a->hook);
			hook_end(a);
		} else if (rc == -1 && strcmp(code, "ValidationError") == 0) {
			/* completed by someone else, timed out, not ours */
			if (a->from_poll)
				log_debug("aws: %s: %s", a->instance, err);
			else
				log_info("aws: %s: no lifecycle action to "
				    "complete any more: %s", a->instance, err);
			hook_end(a);
		} else {
			if (a->tries == 0)
				log_warnx("aws: %s: %s", a->instance, err);
			a->next_try = now + hook_backoff(a->tries++);
		}
	} else if (strcmp(k->action, "DeleteMessage") == 0) {
		if (rc == 0 || strcmp(code, "ReceiptHandleIsInvalid") == 0) {
			log_debug("aws: lifecycle queue: message %s deleted",
			    a->msgid);
			a->receipt[0] = '\0';
			a->state = HA_DONE;
		} else {
			if (a->tries == 0)
				log_warnx("aws: lifecycle queue: %s", err);
			a->next_try = now + hook_backoff(a->tries++);
		}
	}
	hook_run();
}
