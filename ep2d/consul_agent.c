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
 * The Consul backends that ask one agent (the same address, scheme,
 * token, datacenter, stale and TLS: agent_key).  Their count, settled
 * once a turn of the event loop, decides: up to CONSUL_MAX_WATCHES,
 * each keeps the blocking query of its own that consul.c makes; past
 * it, every one of them shares one watch, so that the agent sees at
 * most 2 + CONSUL_REREAD_MAX connections from ep2d whatever the
 * backends, below Consul's limits.http_max_conns_per_client.
 *
 * The watch is two blocking queries, /v1/health/state/any (every
 * check) and /v1/catalog/services (every service and its tags), each
 * following Consul's index rules and paced by a bucket as a member's
 * query is.  When one's index moves, the services its answer shows
 * changed (consul_watch.c) are read again with the member's own
 * query, not blocking, at most CONSUL_REREAD_MAX at a time, on the
 * connections libcurl keeps open.  A catalog move the health state
 * explains (its move at the same index named the services it changed:
 * a registration or deregistration with checks, one Raft write for
 * both tables) reads only those; any other catalog move reads every
 * member after them, since a new address or weight, or an instance
 * without checks, shows in neither answer; and every wait, all of them,
 * for what neither index shows (a node's new address).  The watch failing fails every
 * member (their last servers stay); its recovery reads them all.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>

#include "ep2d.h"
#include "consul.h"
#include "http.h"
#include "consul_agent.h"
#include "log.h"

#define CONSUL_REST_WAIT_MS	50	/* the health state's word first */

/* One of the watch's two blocking queries (enum consul_loop_kind). */
struct consul_loop {
	struct consul_agent	*agent;
	enum consul_loop_kind	 kind;
	struct http_req		*req;
	struct event		*ev_next;
	struct consul_bucket	 bucket;
	uint64_t		 index;
	int			 have_index;
	int			 block;
	int			 failing;
	int			 nfail;
	time_t			 failing_since;
};

/*
 * One agent, as the backends that ask it see it; key holds what a
 * query depends on (the token too: never logged).
 */
struct consul_agent {
	TAILQ_ENTRY(consul_agent) entry;
	char			*key;
	char			 where[EP2D_HOST_MAX + 32]; /* logged */
	TAILQ_HEAD(, consul)	 members;
	int			 nmembers;
	int			 shared;
	struct consul_loop	 loops[LOOP_MAX];
	TAILQ_HEAD(consul_rqh, consul) rq_told;
	struct consul_rqh	 rq_rest;
	int			 nflight;
	struct event		*ev_settle;
	struct event		*ev_sweep;
	struct event		*ev_rest;
	uint64_t		 rest_after;	/* rest waits for it */
	uint64_t		 state_told;	/* its last move naming some */
	int			 noleader_hdr;
};

static char	*agent_key(struct consul *);
static void	 agent_detach(struct consul *);
static void	 agent_settle(int, short, void *);
static void	 agent_kick(struct consul_agent *);
static void	 agent_free(struct consul_agent *);
static void	 member_cancel(struct consul *);
static void	 watch_start(struct consul_agent *);
static void	 watch_stop(struct consul_agent *);
static int	 watch_ready(const struct consul_agent *);
static int	 watch_failing(const struct consul_agent *);
static void	 watch_mark(struct consul *, enum consul_rq);
static void	 watch_mark_all(struct consul_agent *, enum consul_rq);
static void	 watch_dispatch(struct consul_agent *);
static void	 watch_sweep(int, short, void *);
static void	 watch_rest_end(struct consul_agent *);
static void	 watch_sweep_arm(struct consul_agent *);
static void	 watch_rest(int, short, void *);
static void	 loop_query(struct consul_loop *);
static void	 loop_next(int, short, void *);
static void	 loop_done(void *, const struct http_resp *);
static int	 loop_select(struct consul_loop *, const struct http_resp *,
		    uint64_t, int);
static void	 loop_fail(struct consul_loop *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static const char *loop_path(const struct consul_loop *);

static TAILQ_HEAD(, consul_agent) agents = TAILQ_HEAD_INITIALIZER(agents);

/* c stops (consul_stop); an agent left without a member goes. */
void
consul_agent_leave(struct consul *c)
{
	struct consul_agent	*a;

	if ((a = c->agent) == NULL)
		return;
	agent_detach(c);
	if (a->nmembers == 0)
		agent_free(a);
}

/*
 * A new ep2.conf may name another agent for c: it moves there and
 * gets a fresh answer in the mode the count gives (1), or stays (0).
 */
int
consul_agent_move(struct consul *c)
{
	char	*key;
	int	 moved;

	key = agent_key(c);
	moved = strcmp(key, c->agent->key) != 0;
	freezero(key, strlen(key));
	if (!moved)
		return (0);
	agent_detach(c);
	c->want = 1;
	consul_agent_attach(c);
	return (1);
}

/* c's agent has more than CONSUL_MAX_WATCHES members: one watch */
int
consul_agent_shared(const struct consul *c)
{
	return (c->agent != NULL && c->agent->shared);
}

int
consul_agent_failing(const struct consul *c)
{
	return (c->agent != NULL && watch_failing(c->agent));
}

/* Shared: c is read when its turn comes (a retry, ep2ctl sync). */
void
consul_agent_read(struct consul *c)
{
	watch_mark(c, RQ_TOLD);
	watch_dispatch(c->agent);
}

/* c's read is over, before its answer is taken: a place is free. */
void
consul_agent_read_end(struct consul *c)
{
	if (c->inflight) {
		c->inflight = 0;
		c->agent->nflight--;
	}
}

/* After the answer: the next reads may start. */
void
consul_agent_read_next(struct consul *c)
{
	struct consul_agent	*a = c->agent;

	if (a == NULL || !a->shared)
		return;
	/* the read may have been older than the change the watch saw */
	if (c->again) {
		c->again = 0;
		watch_mark(c, RQ_TOLD);
	}
	watch_dispatch(a);
}

/*
 * The agent a member asks, as a string of everything its queries
 * depend on; it holds the token, so it is compared, never logged.
 */
static char *
agent_key(struct consul *c)
{
	const struct consul_conf	*cc = &c->src->be->conf->consul;
	struct consul_eff		 eff;
	char				*key;

	consul_effective(c, &eff);
	if (asprintf(&key, "%s://%s:%u\n%s\n%d\n%s%s\n%s\n%s\n%s\n%s",
	    eff.https ? "https" : "http", eff.host, eff.port, cc->datacenter,
	    cc->stale, eff.token != NULL ? "t" : "-", eff.token != NULL ?
	    eff.token : "", eff.ca_file != NULL ? eff.ca_file : "",
	    eff.cert_file != NULL ? eff.cert_file : "", eff.key_file != NULL ?
	    eff.key_file : "", eff.server_name != NULL ? eff.server_name :
	    "") == -1)
		fatal("%s: asprintf", __func__);
	return (key);
}

/*
 * c joins the agent it asks (consul_start, or a new ep2.conf); the
 * count is settled on the next turn of the loop.
 */
void
consul_agent_attach(struct consul *c)
{
	struct consul_agent	*a;
	struct consul_eff	 eff;
	char			*key;
	int			 i;

	key = agent_key(c);
	TAILQ_FOREACH(a, &agents, entry)
		if (strcmp(a->key, key) == 0)
			break;
	if (a == NULL) {
		if ((a = calloc(1, sizeof(*a))) == NULL)
			fatal("%s: calloc", __func__);
		a->key = key;
		key = NULL;
		consul_effective(c, &eff);
		snprintf(a->where, sizeof(a->where), addr_is_ipv6(eff.host) ?
		    "%s://[%s]:%u" : "%s://%s:%u", eff.https ? "https" : "http",
		    eff.host, eff.port);
		TAILQ_INIT(&a->members);
		TAILQ_INIT(&a->rq_told);
		TAILQ_INIT(&a->rq_rest);
		if ((a->ev_settle = evtimer_new(c->src->evb, agent_settle,
		    a)) == NULL || (a->ev_sweep = evtimer_new(c->src->evb,
		    watch_sweep, a)) == NULL || (a->ev_rest =
		    evtimer_new(c->src->evb, watch_rest, a)) == NULL)
			fatalx("%s: evtimer_new", __func__);
		for (i = 0; i < LOOP_MAX; i++) {
			a->loops[i].agent = a;
			a->loops[i].kind = i;
			if ((a->loops[i].ev_next = evtimer_new(c->src->evb,
			    loop_next, &a->loops[i])) == NULL)
				fatalx("%s: evtimer_new", __func__);
		}
		TAILQ_INSERT_TAIL(&agents, a, entry);
	}
	if (key != NULL)
		freezero(key, strlen(key));
	c->agent = a;
	memset(c->digest, 0, sizeof(c->digest));
	TAILQ_INSERT_TAIL(&a->members, c, agent_entry);
	a->nmembers++;
	agent_kick(a);
}

static void
agent_detach(struct consul *c)
{
	struct consul_agent	*a = c->agent;

	if (a == NULL)
		return;
	member_cancel(c);
	TAILQ_REMOVE(&a->members, c, agent_entry);
	a->nmembers--;
	c->agent = NULL;
	agent_kick(a);
}

/* Settle once every member of this turn came or went, not each time. */
static void
agent_kick(struct consul_agent *a)
{
	struct timeval	 tv;

	timerclear(&tv);
	evtimer_add(a->ev_settle, &tv);
}

/*
 * The count decides: a blocking query each, or the shared watch.  A
 * change of mode starts every member over; then each member that
 * asked for a fresh answer gets one, in the mode it is in.
 */
static void
agent_settle(int fd, short event, void *arg)
{
	struct consul_agent	*a = arg;
	struct consul		*c;
	int			 shared;

	if (a->nmembers == 0) {
		agent_free(a);
		return;
	}
	shared = a->nmembers > CONSUL_MAX_WATCHES;
	if (shared != a->shared) {
		TAILQ_FOREACH(c, &a->members, agent_entry) {
			member_cancel(c);
			c->want = 1;
		}
		a->shared = shared;
		if (shared) {
			log_info("consul: %d backends ask %s, more than %d "
			    "blocking queries: they share one watch "
			    "(health/state/any and catalog/services) and up "
			    "to %d reads at a time", a->nmembers, a->where,
			    CONSUL_MAX_WATCHES, CONSUL_REREAD_MAX);
			watch_start(a);
		} else {
			log_info("consul: %d backends ask %s: a blocking "
			    "query each", a->nmembers, a->where);
			watch_stop(a);
		}
	}
	TAILQ_FOREACH(c, &a->members, agent_entry) {
		if (!c->want)
			continue;
		c->want = 0;
		if (a->shared) {
			watch_mark(c, RQ_TOLD);
			continue;
		}
		member_cancel(c);
		c->block = 0;
		consul_query(c);
	}
	watch_dispatch(a);
}

static void
agent_free(struct consul_agent *a)
{
	int	 i;

	watch_stop(a);
	event_free(a->ev_settle);
	event_free(a->ev_sweep);
	event_free(a->ev_rest);
	for (i = 0; i < LOOP_MAX; i++)
		event_free(a->loops[i].ev_next);
	TAILQ_REMOVE(&agents, a, entry);
	freezero(a->key, strlen(a->key));
	free(a);
}

/* Whatever c was doing or waiting for on its agent stops. */
static void
member_cancel(struct consul *c)
{
	struct consul_agent	*a = c->agent;

	if (c->req != NULL) {
		http_cancel(c->req);
		c->req = NULL;
	}
	evtimer_del(c->ev_next);
	if (c->inflight) {
		c->inflight = 0;
		a->nflight--;
	}
	if (c->queued == RQ_TOLD)
		TAILQ_REMOVE(&a->rq_told, c, rq_entry);
	else if (c->queued == RQ_REST)
		TAILQ_REMOVE(&a->rq_rest, c, rq_entry);
	c->queued = RQ_NONE;
	c->again = 0;
}

/*
 * The shared watch starts over: both queries without an index, the
 * members' reads held until both answered, so that no change falls
 * between a member's read and the first answer its digest comes from.
 */
static void
watch_start(struct consul_agent *a)
{
	struct consul_loop	*l;
	int			 i;

	for (i = 0; i < LOOP_MAX; i++) {
		l = &a->loops[i];
		if (l->req != NULL)
			http_cancel(l->req);
		l->req = NULL;
		evtimer_del(l->ev_next);
		l->index = 0;
		l->have_index = 0;
		l->block = 0;
		l->failing = 0;
		l->nfail = 0;
		consul_bucket_init(&l->bucket, consul_now_ms());
	}
	a->state_told = 0;
	for (i = 0; i < LOOP_MAX; i++)
		loop_query(&a->loops[i]);
	watch_sweep_arm(a);
}

static void
watch_stop(struct consul_agent *a)
{
	struct consul_loop	*l;
	struct consul		*c;
	int			 i;

	for (i = 0; i < LOOP_MAX; i++) {
		l = &a->loops[i];
		if (l->req != NULL)
			http_cancel(l->req);
		l->req = NULL;
		evtimer_del(l->ev_next);
		l->failing = 0;
		l->have_index = 0;
	}
	evtimer_del(a->ev_sweep);
	evtimer_del(a->ev_rest);
	a->rest_after = 0;
	while ((c = TAILQ_FIRST(&a->rq_told)) != NULL) {
		TAILQ_REMOVE(&a->rq_told, c, rq_entry);
		c->queued = RQ_NONE;
	}
	while ((c = TAILQ_FIRST(&a->rq_rest)) != NULL) {
		TAILQ_REMOVE(&a->rq_rest, c, rq_entry);
		c->queued = RQ_NONE;
	}
}

static int
watch_ready(const struct consul_agent *a)
{
	return (a->loops[LOOP_STATE].have_index &&
	    a->loops[LOOP_CATALOG].have_index);
}

static int
watch_failing(const struct consul_agent *a)
{
	return (a->loops[LOOP_STATE].failing ||
	    a->loops[LOOP_CATALOG].failing);
}

/*
 * c is to be read again: in the first queue when an answer showed it
 * changed, else in the second.  A read in flight may predate the
 * change: it is read once more when it ends.
 */
static void
watch_mark(struct consul *c, enum consul_rq which)
{
	struct consul_agent	*a = c->agent;

	if (c->req != NULL) {
		c->again = 1;
		return;
	}
	if (c->queued == which || c->queued == RQ_TOLD)
		return;
	if (c->queued == RQ_REST)
		TAILQ_REMOVE(&a->rq_rest, c, rq_entry);
	TAILQ_INSERT_TAIL(which == RQ_TOLD ? &a->rq_told : &a->rq_rest, c,
	    rq_entry);
	c->queued = which;
}

static void
watch_mark_all(struct consul_agent *a, enum consul_rq which)
{
	struct consul	*c;

	TAILQ_FOREACH(c, &a->members, agent_entry)
		watch_mark(c, which);
}

/*
 * Start the reads waiting, up to CONSUL_REREAD_MAX at a time: libcurl
 * keeps their connections open for the next ones.  A member its
 * bucket holds back waits on its own timer, which queues it again.
 */
static void
watch_dispatch(struct consul_agent *a)
{
	struct consul	*c;
	struct timeval	 tv;
	int64_t		 now;
	long		 ms;

	if (!a->shared || !watch_ready(a))
		return;
	if (a->rest_after > 0 && (a->loops[LOOP_STATE].index >=
	    a->rest_after || a->loops[LOOP_STATE].failing))
		watch_rest_end(a);
	now = consul_now_ms();
	while (a->nflight < CONSUL_REREAD_MAX) {
		if ((c = TAILQ_FIRST(&a->rq_told)) != NULL)
			TAILQ_REMOVE(&a->rq_told, c, rq_entry);
		else if (a->rest_after == 0 &&
		    (c = TAILQ_FIRST(&a->rq_rest)) != NULL)
			TAILQ_REMOVE(&a->rq_rest, c, rq_entry);
		else
			break;
		c->queued = RQ_NONE;
		if (c->hold_until > now) {
			ms = (long)(c->hold_until - now);
			log_debug("consul %s: rate limited, read in %ld ms",
			    c->src->be->consul.service_name, ms);
			tv.tv_sec = ms / 1000;
			tv.tv_usec = (ms % 1000) * 1000;
			evtimer_add(c->ev_next, &tv);
			continue;
		}
		/* a retry waiting is this read */
		evtimer_del(c->ev_next);
		c->block = 0;
		consul_query(c);
		if (c->req != NULL) {
			c->inflight = 1;
			a->nflight++;
		}
	}
}

/*
 * Every wait, every member is read: a change neither index shows (a
 * node's new address moves only the nodes' index) is seen then.
 */
static void
watch_sweep(int fd, short event, void *arg)
{
	struct consul_agent	*a = arg;

	log_debug("consul: %s: every service read again", a->where);
	watch_mark_all(a, RQ_REST);
	watch_dispatch(a);
	watch_sweep_arm(a);
}

/*
 * The health state answered past the catalog's move, or failed: the
 * move is explained when the state moved at its very index and named
 * the services changed there (they are read already); else every
 * member is read.
 */
static void
watch_rest_end(struct consul_agent *a)
{
	if (a->loops[LOOP_STATE].failing || a->state_told != a->rest_after)
		watch_mark_all(a, RQ_REST);
	else
		log_debug("consul: %s: the catalog's move at %" PRIu64
		    " is the health state's", a->where, a->rest_after);
	a->rest_after = 0;
	evtimer_del(a->ev_rest);
}

/* The health state did not answer for the catalog's index in time. */
static void
watch_rest(int fd, short event, void *arg)
{
	struct consul_agent	*a = arg;

	watch_mark_all(a, RQ_REST);
	a->rest_after = 0;
	watch_dispatch(a);
}

static void
watch_sweep_arm(struct consul_agent *a)
{
	const struct consul_conf	*cc;
	struct consul			*c;
	struct timeval			 tv;
	long				 ms;

	if ((c = TAILQ_FIRST(&a->members)) == NULL)
		return;
	cc = &c->src->be->conf->consul;
	ms = (long)(cc->wait > 0 ? cc->wait : CONSUL_WAIT_DEFAULT) * 1000;
	ms = consul_jitter(ms, ms / 8);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(a->ev_sweep, &tv);
}

static const char *
loop_path(const struct consul_loop *l)
{
	return (l->kind == LOOP_STATE ? "/v1/health/state/any" :
	    "/v1/catalog/services");
}

/* The watch's queries go out with the first member's [CONSUL] keys. */
static void
loop_query(struct consul_loop *l)
{
	const struct consul_conf	*cc;
	struct consul			*c;
	struct consul_eff		 eff;
	const char			*why;
	char				 url[CONSUL_URL_MAX];
	long				 wait_ms = 0;

	if ((c = TAILQ_FIRST(&l->agent->members)) == NULL)
		return;
	cc = &c->src->be->conf->consul;
	consul_effective(c, &eff);
	if (l->block)
		wait_ms = consul_wait_ms(cc);
	if (consul_url_base(&eff, loop_path(l), "", url, sizeof(url)) ==
	    -1 || consul_url_tail(cc, l->index, url, sizeof(url), wait_ms) ==
	    -1) {
		loop_fail(l, "the query URL is too long");
		return;
	}
	log_debug("consul: GET %s", url);
	if ((l->req = consul_get(cc, &eff, url, wait_ms, loop_done, l,
	    &why)) == NULL)
		loop_fail(l, "%s", why);
}

static void
loop_next(int fd, short event, void *arg)
{
	loop_query(arg);
}

/*
 * An answer of the watch.  Its X-Consul-Index follows Consul's rules
 * as a member's does.  When it moved, the services the answer shows
 * changed are read first; after a catalog move, every other one too,
 * since what changed (an address, a weight) shows in neither answer.
 * An answer filtered by ACLs is taken: what this token may not see is
 * no backend's, or that backend's own read says so.
 */
static void
loop_done(void *arg, const struct http_resp *resp)
{
	struct consul_loop	*l = arg;
	struct consul_agent	*a = l->agent;
	struct timeval		 tv;
	char			 err[EP2D_ERR_MAX];
	uint64_t		 index, next;
	long			 delay;
	int			 nohdr, reset, first, recovered;

	l->req = NULL;
	if (consul_check_answer(resp, l->kind == LOOP_STATE ? "health state" :
	    "catalog", &index, &nohdr, err, sizeof(err)) == -1) {
		loop_fail(l, "%s", err);
		return;
	}
	if (nohdr) {
		if (!a->noleader_hdr)
			log_info("consul: the answer of %s has no "
			    "X-Consul-KnownLeader header: taken as it is (only "
			    "\"false\" means no leader)", loop_path(l));
		a->noleader_hdr = 1;
	}
	first = !l->have_index;
	next = consul_index_update(first ? 0 : l->index, index, &reset);
	/* an answer at the same index is the wait's end: nothing moved */
	if ((first || reset || index != l->index) &&
	    loop_select(l, resp, index, first) == -1)
		return;
	if (reset && !first)
		log_info("consul: %s: X-Consul-Index went backwards to %"
		    PRIu64 ": starting over", loop_path(l), index);
	l->index = next;
	l->have_index = 1;
	recovered = l->failing;
	if (l->failing) {
		log_info("consul: %s answering again, after failing for %lld "
		    "s", loop_path(l), (long long)(time(NULL) -
		    l->failing_since));
		l->failing = 0;
	}
	l->nfail = 0;
	/* every member failed with the watch; after a reset, who knows */
	if (recovered || (reset && !first))
		watch_mark_all(a, RQ_REST);

	l->block = 1;
	delay = consul_bucket_take(&l->bucket, consul_now_ms());
	if (delay > 0) {
		log_debug("consul: %s rate limited, next query in %ld ms",
		    loop_path(l), delay);
		tv.tv_sec = delay / 1000;
		tv.tv_usec = (delay % 1000) * 1000;
		evtimer_add(l->ev_next, &tv);
	} else
		loop_query(l);
	watch_dispatch(a);
}

/*
 * The services the answer shows changed (none on the first: a base).
 * After a catalog move the rest waits, CONSUL_REST_WAIT_MS at most,
 * for the health state at the same index: a registration with checks
 * moves both at once, and the service it names is then read first.
 */
static int
loop_select(struct consul_loop *l, const struct http_resp *resp,
    uint64_t index, int first)
{
	struct timeval		 tv;
	struct consul_agent	*a = l->agent;
	struct consul_watched	*w;
	struct consul		*c;
	char			 err[EP2D_ERR_MAX];
	size_t			 i;
	int			 r, told = 0;

	if ((w = calloc(a->nmembers, sizeof(*w))) == NULL)
		fatal("%s: calloc", __func__);
	i = 0;
	TAILQ_FOREACH(c, &a->members, agent_entry) {
		w[i].name = c->src->be->consul.service_name;
		w[i++].digest = c->digest[l->kind];
	}
	if (l->kind == LOOP_STATE)
		r = consul_state_select(resp->body, resp->bodylen, w,
		    a->nmembers, err, sizeof(err));
	else
		r = consul_catalog_select(resp->body, resp->bodylen, w,
		    a->nmembers, err, sizeof(err));
	if (r == -1) {
		free(w);
		loop_fail(l, "bad answer: %s", err);
		return (-1);
	}
	i = 0;
	TAILQ_FOREACH(c, &a->members, agent_entry) {
		c->digest[l->kind] = w[i].digest;
		if (!first && w[i].changed) {
			watch_mark(c, RQ_TOLD);
			told++;
		}
		i++;
	}
	free(w);
	if (!first && l->kind == LOOP_STATE && told > 0)
		a->state_told = index;
	if (!first && l->kind == LOOP_CATALOG) {
		/* one still waiting is not explained by this one */
		if (a->rest_after > 0)
			watch_mark_all(a, RQ_REST);
		a->rest_after = 0;
		evtimer_del(a->ev_rest);
		if (a->state_told == index)
			log_debug("consul: %s: the catalog's move at %" PRIu64
			    " is the health state's", a->where, index);
		else if (a->loops[LOOP_STATE].index < index &&
		    !a->loops[LOOP_STATE].failing) {
			a->rest_after = index;
			tv.tv_sec = 0;
			tv.tv_usec = CONSUL_REST_WAIT_MS * 1000;
			evtimer_add(a->ev_rest, &tv);
		} else
			watch_mark_all(a, RQ_REST);
	}
	if (!first)
		log_debug("consul: %s moved: %d of %d services changed",
		    loop_path(l), told, a->nmembers);
	return (0);
}

/*
 * The watch failed: it retries with the members' backoff, and every
 * member fails with it (its last servers stay), without a retry of its
 * own: the watch's recovery reads them all.
 */
static void
loop_fail(struct consul_loop *l, const char *fmt, ...)
{
	struct consul_agent	*a = l->agent;
	struct consul		*c;
	struct timeval		 tv;
	char			 msg[EP2D_ERR_MAX];
	va_list			 ap;
	long			 d, ms;
	int			 i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!l->failing) {
		log_warnx("consul: %s of %s: %s; retrying", loop_path(l),
		    a->where, msg);
		l->failing = 1;
		l->failing_since = time(NULL);
	} else
		log_debug("consul: %s still failing: %s", loop_path(l), msg);

	d = CONSUL_BACKOFF_MIN;
	for (i = 0; i < l->nfail && d < CONSUL_BACKOFF_MAX; i++)
		d *= 2;
	if (d > CONSUL_BACKOFF_MAX)
		d = CONSUL_BACKOFF_MAX;
	l->nfail++;
	l->block = 0;
	ms = consul_jitter(d * 800, d * 400);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(l->ev_next, &tv);

	TAILQ_FOREACH(c, &a->members, agent_entry)
		consul_fail(c, "%s", msg);
}

