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
 * The parent's side of the lifecycle hooks: the fetcher (aws_hook.c)
 * asks to be told when a server is drained or ready (IMSG_HOOK_WATCH),
 * this file tells it (IMSG_HOOK_DONE), from what the engine holds; the
 * parent itself never talks to AWS.  A watch is looked at when it comes
 * and then every HW_CHECK_MS while any is open: the runtime's poll of
 * HAProxy runs at that pace while a slot warms or drains.
 *
 * update_by_runtime: a server is drained when no slot holds it any
 * more (its sessions reached 0, or drain_timeout passed, runtime_plan.c)
 * and it is not wanted; ready when its slot is RT_READY, that is after
 * its health check passed.
 *
 * update_by_config: the reload that removes a server hands its sessions
 * to the old HAProxy process, which the parent does not see; the server
 * counts as drained drain_timeout seconds after that reload (at once
 * with drain_timeout 0).  It is ready once a reload put it in the file.
 *
 * A server no slot and no set held while it was watched is answered
 * HOOK_R_ABSENT at once: after a restart, an instance found waiting in
 * Terminating:Wait that HAProxy does not serve is not waited for.
 * Nothing is answered before the first apply: HAProxy's state is not
 * known yet.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>

#include "ep2d.h"
#include "engine.h"
#include "log.h"
#include "proc.h"

#define HW_CHECK_MS	100
#define HW_MAX		4096

struct hw {
	TAILQ_ENTRY(hw)		 entry;
	struct hook_watch	 w;
	int			 seen;		/* held while watched */
	struct timespec		 removed;	/* config: left the file */
	time_t			 drain_start;	/* runtime: its slot's drain */
};

/*
 * A backend's live slots by address, made once a check: a hostile
 * fetcher's HW_MAX watches cost a search each, not a walk of the slots.
 */
struct hw_index {
	const struct rt_slot	**slots;
	size_t			 n;
	int			 made;	/* this check's */
};

static TAILQ_HEAD(, hw)	 watches = TAILQ_HEAD_INITIALIZER(watches);
static struct hw_index	*ix;		/* one a backend, made at need */
static size_t		 nix;
static size_t		 nwatches;
static struct event	 ev_check;
static int		 ev_init, refused_said;

static void	 hw_check(int, short, void *);

static int
slot_cmp(const void *a, const void *b)
{
	const struct rt_slot	*x = *(const struct rt_slot * const *)a;
	const struct rt_slot	*y = *(const struct rt_slot * const *)b;
	int			 r;

	if ((r = strcmp(x->srv.host, y->srv.host)) != 0)
		return (r);
	return ((int)x->srv.port - (int)y->srv.port);
}

static const struct rt_slot *
hw_slot(const struct pbackend *b, const struct hook_watch *w)
{
	struct hw_index		*x = &ix[b->idx];
	struct rt_slot		 key;
	const struct rt_slot	*kp = &key, **r;
	size_t			 i;

	if (!x->made) {
		free(x->slots);
		x->slots = NULL;
		x->n = 0;
		if (b->rt.nslots > 0 && (x->slots = reallocarray(NULL,
		    b->rt.nslots, sizeof(*x->slots))) == NULL)
			fatal("%s: reallocarray", __func__);
		for (i = 0; i < b->rt.nslots; i++)
			if (b->rt.slots[i].state != RT_FREE)
				x->slots[x->n++] = &b->rt.slots[i];
		if (x->n > 1)
			qsort(x->slots, x->n, sizeof(*x->slots), slot_cmp);
		x->made = 1;
	}
	if (x->n == 0)
		return (NULL);
	memset(&key, 0, sizeof(key));
	strlcpy(key.srv.host, w->host, sizeof(key.srv.host));
	key.srv.port = w->port;
	r = bsearch(&kp, x->slots, x->n, sizeof(*x->slots), slot_cmp);
	return (r == NULL ? NULL : *r);
}

/* HOOK_R_NONE: not yet; otherwise the answer. */
static enum hook_result
hw_done(struct hw *x, time_t now)
{
	const struct engine	*e = engine_state();
	const struct pbackend	*b = &e->be[x->w.backend];
	const struct rt_slot	*sl;
	const char		*host = x->w.host;
	struct timespec		 mono, d;
	uint16_t		 port = x->w.port;
	int			 held, drain = e->conf->drain_timeout;

	if (!e->bootstrapped)
		return (HOOK_R_NONE);
	if (be_runtime(b)) {
		sl = hw_slot(b, &x->w);
		if (x->w.what == HOOK_READY)
			return (sl != NULL && sl->state == RT_READY ?
			    HOOK_R_READY : HOOK_R_NONE);
		if (sl != NULL) {
			x->seen = 1;
			if (sl->state == RT_DRAIN)
				x->drain_start = sl->drain_start;
			return (HOOK_R_NONE);
		}
		if (set_find(&b->wanted, host, port) >= 0)
			return (HOOK_R_NONE);
		if (!x->seen)
			return (HOOK_R_ABSENT);
		return (x->drain_start != 0 && now - x->drain_start >=
		    drain ? HOOK_R_TIMEOUT : HOOK_R_DRAINED);
	}
	if (x->w.what == HOOK_READY)
		return (set_find(&b->applied, host, port) >= 0 ?
		    HOOK_R_READY : HOOK_R_NONE);
	held = set_find(&b->wanted, host, port) >= 0 ||
	    set_find(&b->applying, host, port) >= 0 ||
	    set_find(&b->applied, host, port) >= 0;
	if (held) {
		x->seen = 1;
		timespecclear(&x->removed);
		return (HOOK_R_NONE);
	}
	if (!x->seen)
		return (HOOK_R_ABSENT);
	/* to the millisecond: time(3)'s seconds would cut it short */
	clock_gettime(CLOCK_MONOTONIC, &mono);
	if (!timespecisset(&x->removed))
		x->removed = mono;
	timespecsub(&mono, &x->removed, &d);
	if (d.tv_sec < drain)
		return (HOOK_R_NONE);
	return (drain > 0 ? HOOK_R_TIMEOUT : HOOK_R_DRAINED);
}

/* The next check: soon (now: when this turn of the loop is over). */
static void
hw_arm(int now)
{
	struct timeval	 tv = { 0, now ? 0 : HW_CHECK_MS * 1000 };

	if (!ev_init) {
		evtimer_set(&ev_check, hw_check, NULL);
		ev_init = 1;
	}
	if (TAILQ_EMPTY(&watches))
		evtimer_del(&ev_check);
	else if (now || !evtimer_pending(&ev_check, NULL)) {
		evtimer_del(&ev_check);
		evtimer_add(&ev_check, &tv);
	}
}

static void
hw_free(struct hw *x)
{
	TAILQ_REMOVE(&watches, x, entry);
	nwatches--;
	free(x);
}

/* A watch done is answered and forgotten: 1; 0 when not yet. */
static int
hw_answer(struct hw *x, time_t now)
{
	struct proc	*fetcher = proc_get(PROC_FETCHER);
	int		 r;

	if ((r = hw_done(x, now)) == HOOK_R_NONE)
		return (0);
	x->w.result = r;
	log_debug("lifecycle: %s port %u: %s", x->w.host, x->w.port,
	    x->w.what == HOOK_READY ? "ready" : "drained");
	if (fetcher == NULL || imsgev_compose(&fetcher->iev, IMSG_HOOK_DONE,
	    0, -1, &x->w, sizeof(x->w)) == -1)
		fatal("%s: compose", __func__);
	hw_free(x);
	return (1);
}

/*
 * Each open watch: answered and gone when done.  The slots' index is
 * made again each time: the slots move between two turns of the loop.
 */
static void
hw_check(int fd, short event, void *arg)
{
	const struct engine	*e = engine_state();
	struct hw		*x, *n;
	time_t			 now = time(NULL);
	size_t			 i;

	/* as many as the backends configured (a SIGHUP adds none) */
	if (nix < (size_t)e->nbe) {
		if ((ix = recallocarray(ix, nix, e->nbe,
		    sizeof(*ix))) == NULL)
			fatal("%s: recallocarray", __func__);
		nix = e->nbe;
	}
	for (i = 0; i < nix; i++)
		ix[i].made = 0;
	TAILQ_FOREACH_SAFE(x, &watches, entry, n)
		(void)hw_answer(x, now);
	hw_arm(0);
}

/* IMSG_HOOK_WATCH: untrusted, checked field by field. */
void
hookwatch_msg(struct imsg *imsg)
{
	const struct engine	*e = engine_state();
	struct hook_watch	 w;
	struct hw		*x, *n;

	if (imsg_get_data(imsg, &w, sizeof(w)) == -1 ||
	    w.backend >= (uint32_t)e->nbe) {
		log_warnx("fetcher: bad lifecycle watch; ignored");
		return;
	}
	w.host[sizeof(w.host) - 1] = '\0';
	if (w.what == HOOK_CANCEL) {
		TAILQ_FOREACH_SAFE(x, &watches, entry, n)
			if (x->w.backend == w.backend && x->w.id == w.id)
				hw_free(x);
		hw_arm(0);
		return;
	}
	if ((w.what != HOOK_DRAINED && w.what != HOOK_READY) ||
	    !addr_valid_host(w.host) || w.port == 0) {
		log_warnx("fetcher: bad lifecycle watch; ignored");
		return;
	}
	if (nwatches >= HW_MAX) {
		if (!refused_said++)
			log_warnx("fetcher: more than %d lifecycle watches; "
			    "those over it wait for their hook's timeout",
			    HW_MAX);
		return;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL)
		fatal("%s: calloc", __func__);
	w.result = HOOK_R_NONE;
	x->w = w;
	TAILQ_INSERT_TAIL(&watches, x, entry);
	nwatches++;
	/*
	 * Looked at once this turn of the loop is over, after the other
	 * messages that came with it (a burst of watches: one look).
	 */
	hw_arm(1);
}
