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
 * update_by_runtime, the I/O: the commands runtime_plan.c planned go to
 * every socket (one per HAProxy process), the same to each, and the
 * owner is told through its callbacks when they are done.  A poll (show
 * info, show servers state, show stat) runs every RUNTIME_POLL_FAST_MS
 * while a slot warms up or drains, and for RUNTIME_POKE_MS after the
 * owner says HAProxy may have restarted (runtime_poke: its pid file was
 * written); otherwise none, so an idle parent sleeps.  Without that
 * news (runtime_watched(0)) it polls every RUNTIME_POLL_SLOW_MS.  A
 * poll notices a restarted HAProxy (pid or start time changed) and
 * repairs whatever differs from the slots.
 */

#include <sys/types.h>
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "file.h"
#include "log.h"
#include "haproxy.h"
#include "runtime.h"

static int	 rt_watched;	/* runtime_poke() tells of restarts */

static int	 rt_apply_now(struct runtime *, const struct server_set *);
static int	 rt_start_batches(struct runtime *, enum rt_op);
static void	 rt_batch_done(struct hap_batch *, void *);
static void	 rt_op_done(struct runtime *);
static void	 rt_poll_done(struct runtime *);
static void	 rt_poll_cut(struct runtime *);
static void	 rt_schedule(struct runtime *, int);
static void	 rt_schedule_idle(struct runtime *, int);
static int	 rt_warm_ms(const struct runtime *);
static int	 rt_busy_ms(const struct runtime *, int);
static void	 rt_timer(int, short, void *);
static void	 rt_free_batches(struct runtime *);
static void	 rt_after_op(struct runtime *);
static uint32_t	 rt_allbits(struct runtime *);
static void	 rt_no_runtime(struct runtime *);
static struct hap_batch *rt_batch_new(struct runtime *, const char *);
static const char *rt_path(const struct runtime *, int);

/*
 * The slots of the haproxy.cfg written last (ep2d restarted, HAProxy
 * kept running): a server of the set found in "server nodeN ADDR:PORT"
 * gets slot N back.  Returns the highest slot number seen.
 */
static size_t
rt_file_slots(const char *path, const char *section,
    const struct server_set *set, ssize_t *slotof, size_t maxslot)
{
	static const char	*others[] = { "global", "defaults", "frontend",
				    "peers", "resolvers", "userlist",
				    "mailers", "program", "cache", "ring",
				    "http-errors" };
	size_t		 k;
	int		 in = section == NULL;
	FILE		*fp;
	char		*line = NULL, *f[3], *p, host[EP2D_HOST_MAX];
	char		*claimed = NULL, *c;
	const char	*err, *num;
	size_t		 sz = 0, n, nf, high = 0, nclaimed = 0;
	ssize_t		 idx;
	uint16_t	 port;
	int		 disabled, fd;

	/* a FIFO in its place must not hold the parent */
	if ((fd = file_open(path, FILE_READ, 0)) == -1)
		return (0);
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return (0);
	}
	while (getline(&line, &sz, fp) != -1) {
		line[strcspn(line, "\n")] = '\0';
		/* three words, then the rest in p */
		for (nf = 0, p = line; nf < 3 && p != NULL;) {
			p += strspn(p, " \t");
			if (*p == '\0')
				break;
			f[nf++] = p;
			p += strcspn(p, " \t");
			if (*p != '\0')
				*p++ = '\0';
			else
				p = NULL;
		}
		/* with several backends, only our backend's section */
		if (section != NULL && nf >= 1) {
			if (strcmp(f[0], "backend") == 0 ||
			    strcmp(f[0], "listen") == 0)
				in = nf >= 2 && strcmp(f[1], section) == 0;
			for (k = 0; k < sizeof(others) / sizeof(others[0]);
			    k++)
				if (strcmp(f[0], others[k]) == 0)
					in = 0;
		}
		if (!in || nf < 3 || strcmp(f[0], "server") != 0 ||
		    strncmp(f[1], "node", 4) != 0)
			continue;
		num = f[1] + 4;
		if (*num < '1' || *num > '9' || strlen(num) > 6 ||
		    strspn(num, "0123456789") != strlen(num))
			continue;
		if ((n = strtoul(num, NULL, 10)) > maxslot)
			continue;
		if (n > high)
			high = n;
		disabled = p != NULL && (strncmp(p, "disabled", 8) == 0 ||
		    strstr(p, " disabled") != NULL);
		if (disabled || addr_parse_hostport(f[2], 0, host,
		    sizeof(host), &port, &err) == -1)
			continue;
		if ((idx = set_find(set, host, port)) < 0 || slotof[idx] != -1)
			continue;
		/* a slot named twice: the first line has it */
		if (n > nclaimed) {
			if ((c = recallocarray(claimed, nclaimed, n * 2, 1)) ==
			    NULL)
				break;
			claimed = c;
			nclaimed = n * 2;
		}
		if (claimed[n - 1])
			continue;
		claimed[n - 1] = 1;
		slotof[idx] = n - 1;
	}
	free(claimed);
	free(line);
	fclose(fp);
	return (high);
}

void
runtime_bootstrap(struct runtime *rt, const struct server_set *set)
{
	ssize_t	*slotof;
	size_t	 i, high;

	if ((slotof = reallocarray(NULL, set->count ? set->count : 1,
	    sizeof(*slotof))) == NULL)
		fatal("%s: reallocarray", __func__);
	for (i = 0; i < set->count; i++)
		slotof[i] = -1;
	high = rt_file_slots(rt->be->conf->run.haproxy_config_file,
	    rt->be->conf->nbackends > 1 ? rt->be->backend_name : NULL, set,
	    slotof, EP2D_MAX_SERVERS * 2);
	runtime_assign(rt, set, slotof, high);
	free(slotof);
}

static uint32_t
rt_allbits(struct runtime *rt)
{
	return (rt->nsocks >= 32 ? 0xffffffffu :
	    ((uint32_t)1 << rt->nsocks) - 1);
}

int
runtime_apply(struct runtime *rt, const struct server_set *set)
{
	int	 r;

	if (!rt->started)
		return (RUNTIME_NEED_RELOAD);
	if (!hap_name_ok(rt->be->backend_name)) {
		log_warnx("backend_name \"%s\" cannot be used on the runtime "
		    "socket", rt->be->backend_name);
		return (-1);
	}
	/*
	 * A poll of a big backend keeps HAProxy dumping for tens of ms
	 * (5,000 slots: ~30 ms); the change should not wait behind it.
	 * Once in a row only, so that a stream of changes cannot keep
	 * the polls (warm-ups, drains, repairs) from ever ending.
	 */
	if (rt->op == RT_OP_POLL && !rt->poll_cut)
		rt_poll_cut(rt);
	if (rt->op != RT_OP_NONE) {
		/* a poll or a repair is in flight: apply when it ends */
		if (set_copy(&rt->queued, set) == -1)
			return (-1);
		rt->have_queued = 1;
		return (RUNTIME_PENDING);
	}
	if ((r = rt_apply_now(rt, set)) != RUNTIME_PENDING && rt->poll_cut)
		rt_schedule_idle(rt, RUNTIME_POLL_FAST_MS);
	return (r);
}

/*
 * Drop the poll in flight: closing its connections takes their events
 * and timers with them (hap_batch_free), so no callback of theirs can
 * come; the connector answered each connect already (it is waited
 * for).  Nothing of it was used: no drain check, no repair.  The
 * poll runs again RUNTIME_POLL_FAST_MS after the apply
 * (rt_schedule_idle).
 */
static void
rt_poll_cut(struct runtime *rt)
{
	log_debug("runtime: poll cut after %d of %d socket(s) for a change",
	    rt->nsocks - rt->nwait, rt->nsocks);
	rt_free_batches(rt);
	rt->op = RT_OP_NONE;
	rt->nwait = 0;
	rt->failed = 0;
	rt->poll_cut = 1;
}

static int
rt_apply_now(struct runtime *rt, const struct server_set *set)
{
	size_t	 i;
	int	 r;

	r = runtime_plan(rt, set, time(NULL));
	if (r != -1 && rt->be->conf->run.nsockets == 0) {
		/* nothing to talk to: the file and a reload do it all */
		log_warnx("update_by_runtime without haproxy_socket_file: "
		    "reloading instead");
		for (i = 0; i < rt->nslots; i++) {
			if (rt->slots[i].state == RT_WARM)
				rt->slots[i].state = RT_READY;
			else if (rt->slots[i].state == RT_DRAIN)
				rt->slots[i].state = RT_FREE;
			rt->slots[i].todo = 0;
		}
		return (RUNTIME_NEED_RELOAD);
	}
	if (r == 0 && rt->want_reload) {
		log_info("runtime: a reload is due; applying the set by one");
		r = RUNTIME_NEED_RELOAD;
	}
	if (r != 0) {
		rt->want_reload = 0;
		return (r);
	}
	if ((r = rt_start_batches(rt, RT_OP_APPLY)) == 1) {
		rt_schedule(rt, RUNTIME_POLL_FAST_MS);
		return (0);		/* nothing to send */
	}
	if (r == -1)
		return (-1);
	return (RUNTIME_PENDING);
}

/*
 * Apply or fix: one batch per socket from the todo flags (apply) or
 * from each socket's own batch already filled (fix).  Returns 0 when
 * started, 1 when there was nothing to send, -1 on failure.
 */
static int
rt_start_batches(struct runtime *rt, enum rt_op op)
{
	struct hap_batch	*b;
	size_t			 i;
	int			 k, any = 0;

	if (op == RT_OP_APPLY) {
		for (k = 0; k < rt->nsocks; k++) {
			if ((b = rt_batch_new(rt, rt_path(rt, k))) == NULL)
				goto fail;
			rt->socks[k].b = b;
			for (i = 0; i < rt->nslots; i++) {
				if (rt->slots[i].todo == 0)
					continue;
				if (runtime_slot_cmds(rt, &rt->slots[i], b) ==
				    -1)
					goto fail;
			}
		}
		for (i = 0; i < rt->nslots; i++)
			rt->slots[i].todo = 0;
	}
	for (k = 0; k < rt->nsocks; k++)
		if (rt->socks[k].b != NULL && rt->socks[k].b->ncmds > 0)
			any = 1;
	if (!any) {
		rt_free_batches(rt);
		return (1);
	}
	rt->op = op;
	rt->failed = 0;
	rt->nwait = 0;
	rt->op_gen = rt->gen;
	rt->op_ncmds = 0;
	clock_gettime(CLOCK_MONOTONIC, &rt->op_start);
	for (k = 0; k < rt->nsocks; k++) {
		b = rt->socks[k].b;
		if (b == NULL || b->ncmds == 0)
			continue;
		rt->op_ncmds += b->ncmds;
		if (hap_batch_start(b, HAP_TIMEOUT_MS, rt_batch_done, rt) ==
		    -1) {
			log_warnx("runtime socket %s: %s", b->path, b->err);
			goto fail;
		}
		rt->nwait++;
	}
	return (0);
 fail:
	for (i = 0; i < rt->nslots; i++)
		rt->slots[i].todo = 0;
	rt_free_batches(rt);
	rt->op = RT_OP_NONE;
	rt->nwait = 0;
	return (-1);
}

static void
rt_free_batches(struct runtime *rt)
{
	int	 k;

	for (k = 0; k < EP2D_MAX_SOCKETS; k++) {
		hap_batch_free(rt->socks[k].b);
		rt->socks[k].b = NULL;
	}
}

static void
rt_batch_done(struct hap_batch *b, void *arg)
{
	struct runtime	*rt = arg;
	int		 k, quiet;

	for (k = 0; k < rt->nsocks; k++)
		if (rt->socks[k].b == b)
			break;
	if (b->status != 0) {
		rt->failed++;
		/* a socket down or a repair failing: said once */
		quiet = rt->op == RT_OP_FIX && rt->fix_failing;
		if (b->status == -1 && k < rt->nsocks) {
			if (rt->socks[k].down && rt->op == RT_OP_POLL)
				quiet = 1;
			rt->socks[k].down = 1;
			rt->socks[k].pid = 0;
		}
		if (!quiet && b->status == -1)
			log_warnx("runtime socket %s: %s", b->path, b->err);
		else if (!quiet)
			log_warnx("runtime socket %s: %d command(s) refused: "
			    "%s", b->path, b->status, b->err);
	}
	if (--rt->nwait == 0)
		rt_op_done(rt);
}

static void
rt_op_done(struct runtime *rt)
{
	struct timespec	 now;
	enum rt_op	 op = rt->op;
	int		 failed = rt->failed;

	switch (op) {
	case RT_OP_APPLY:
		clock_gettime(CLOCK_MONOTONIC, &now);
		log_debug("runtime: %zu commands on %d socket(s) in %lld us",
		    rt->op_ncmds, rt->nsocks,
		    (long long)(now.tv_sec - rt->op_start.tv_sec) * 1000000 +
		    (now.tv_nsec - rt->op_start.tv_nsec) / 1000);
		rt_free_batches(rt);
		rt->op = RT_OP_NONE;
		if (failed) {
			log_warnx("runtime: %d socket(s) failed; the parent "
			    "falls back to a validated reload", failed);
			rt_no_runtime(rt);
		}
		rt_schedule_idle(rt, rt_busy_ms(rt, 1));
		rt->cbs->done(rt, failed ? -1 : 0);
		break;
	case RT_OP_POLL:
		rt_poll_done(rt);
		break;
	case RT_OP_FIX:
		rt_free_batches(rt);
		rt->op = RT_OP_NONE;
		if (failed) {
			if (!rt->fix_failing)
				log_warnx("runtime: repair failed; new servers "
				    "go into haproxy.cfg and the next change "
				    "reloads");
			rt->fix_failing = 1;
			rt->want_reload = 1;
			rt_no_runtime(rt);
		} else
			rt->fix_failing = 0;
		rt_after_op(rt);
		break;
	case RT_OP_NONE:
		break;
	}
}

/*
 * The socket failed: what waits for it goes through the file instead.
 * Warming servers are rendered live (HAProxy then counts them up until
 * their first check, as with update_by_config).
 */
static void
rt_no_runtime(struct runtime *rt)
{
	size_t	 i;

	for (i = 0; i < rt->nslots; i++) {
		if (rt->slots[i].state == RT_WARM) {
			rt->slots[i].state = RT_READY;
			rt->changed = 1;
		}
		rt->slots[i].todo = 0;
	}
}

/* An op ended without the parent waiting: tell, poll, run the queue. */
static void
rt_after_op(struct runtime *rt)
{
	int	 r;

	rt_schedule_idle(rt, rt_busy_ms(rt, 0));
	if (rt->changed) {
		rt->changed = 0;
		rt->cbs->changed(rt);
	}
	if (rt->have_queued && rt->op == RT_OP_NONE) {
		rt->have_queued = 0;
		if ((r = rt_apply_now(rt, &rt->queued)) != RUNTIME_PENDING)
			rt->cbs->done(rt, r);
	}
}

/*
 * When to poll while something is in flight: a drain, every
 * RUNTIME_POLL_FAST_MS; a warm-up, at its pace (rt_warm_ms), but soon
 * after the apply that filled the slot (fresh: HAProxy's first check on
 * the new address may pass at once).  0: nothing warms or drains, so no
 * poll is due (a change that only took servers out, or moved weights,
 * was checked answer by answer; a restart is seen by runtime_poke).
 */
static int
rt_busy_ms(const struct runtime *rt, int fresh)
{
	size_t	 i;
	int	 busy = 0;

	for (i = 0; i < rt->nslots; i++) {
		if (rt->slots[i].state == RT_DRAIN)
			return (RUNTIME_POLL_FAST_MS);
		if (rt->slots[i].state == RT_WARM && busy == 0)
			busy = fresh ? RUNTIME_POLL_FAST_MS : rt_warm_ms(rt);
	}
	return (busy);
}

/*
 * A warming server changes state only when HAProxy checks it: polling
 * faster than a quarter of its check interval ("check inter", HAProxy's
 * 2 s by default) costs CPU and tells nothing new.
 */
static int
rt_warm_ms(const struct runtime *rt)
{
	const char	*s = rt->be->check_interval;
	char		*end;
	long long	 v, ms;

	if (s[0] == '\0')
		return (2000 / 4);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v < 0)
		return (RUNTIME_POLL_FAST_MS);
	if (strcmp(end, "us") == 0)
		ms = v / 1000;
	else if (*end == '\0' || strcmp(end, "ms") == 0)
		ms = v;
	else if (strcmp(end, "s") == 0)
		ms = v * 1000;
	else
		ms = 1000 * 4;		/* minutes and more: the cap */
	ms /= 4;
	if (ms < RUNTIME_POLL_FAST_MS)
		return (RUNTIME_POLL_FAST_MS);
	return (ms > 1000 ? 1000 : (int)ms);
}

/*
 * Nothing in flight: poll in `busy' ms while something is (a drain, a
 * warm-up), soon after a poke, else maybe never.
 */
static void
rt_schedule_idle(struct runtime *rt, int busy)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (timespeccmp(&now, &rt->poke_until, <) || rt->poll_cut)
		busy = RUNTIME_POLL_FAST_MS;	/* a cut poll is owed too */
	if (busy)
		rt_schedule(rt, busy);
	else if (!rt_watched)
		rt_schedule(rt, RUNTIME_POLL_SLOW_MS);
	else if (rt->timer_init)
		evtimer_del(&rt->timer);
}

void
runtime_watched(int on)
{
	rt_watched = on;
}

/* HAProxy may have started or reloaded: watch it for a moment. */
void
runtime_poke(struct runtime *rt)
{
	struct timespec	 d = { RUNTIME_POKE_MS / 1000,
			    (RUNTIME_POKE_MS % 1000) * 1000000L };

	clock_gettime(CLOCK_MONOTONIC, &rt->poke_until);
	timespecadd(&rt->poke_until, &d, &rt->poke_until);
	if (rt->op == RT_OP_NONE)
		rt_schedule(rt, 0);
}

static void
rt_schedule(struct runtime *rt, int ms)
{
	struct timeval	 tv, due, at;

	if (!rt->timer_init) {
		evtimer_set(&rt->timer, rt_timer, rt);
		rt->timer_init = 1;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	/*
	 * A poll due sooner stays: pushed back at the end of every apply,
	 * changes less than RUNTIME_POLL_FAST_MS apart would keep the
	 * warm-ups, the drains and a cut poll from ever being polled.
	 * (libevent gives the due time on the wall clock.)
	 */
	if (evtimer_pending(&rt->timer, &due)) {
		gettimeofday(&at, NULL);
		timeradd(&at, &tv, &at);
		if (timercmp(&due, &at, <=))
			return;
	}
	evtimer_del(&rt->timer);
	evtimer_add(&rt->timer, &tv);
}

/* The poll: show info, show servers state, show stat on each socket. */
static void
rt_timer(int fd, short ev, void *arg)
{
	struct runtime		*rt = arg;
	struct hap_batch	*b;
	const char		*be = rt->be->backend_name;
	int			 k;

	if (rt->op != RT_OP_NONE) {
		rt_schedule(rt, RUNTIME_POLL_FAST_MS);
		return;
	}
	if (!rt->started || rt->nslots == 0 || !hap_name_ok(be)) {
		rt->poll_cut = 0;	/* none owed: idle stays idle */
		rt_schedule_idle(rt, 0);
		return;
	}
	rt->nsocks = rt->be->conf->run.nsockets;
	for (k = 0; k < rt->nsocks; k++) {
		if ((b = rt_batch_new(rt, rt_path(rt, k))) == NULL ||
		    hap_batch_add(b, HAP_TEXT, "show info") == -1 ||
		    hap_batch_add(b, HAP_TEXT, "show servers state %s",
		    be) == -1 ||
		    hap_batch_add(b, HAP_TEXT, "show stat %s 4 -1", be) == -1) {
			hap_batch_free(b);
			rt_free_batches(rt);
			rt->poll_cut = 0;
			rt_schedule_idle(rt, 0);
			return;
		}
		rt->socks[k].b = b;
	}
	rt->op = RT_OP_POLL;
	rt->failed = 0;
	rt->nwait = 0;
	rt->op_gen = rt->gen;
	for (k = 0; k < rt->nsocks; k++) {
		b = rt->socks[k].b;
		if (hap_batch_start(b, HAP_TIMEOUT_MS, rt_batch_done, rt) ==
		    -1) {
			if (!rt->socks[k].down)
				log_warnx("runtime socket %s: %s", b->path,
				    b->err);
			rt->socks[k].down = 1;
			rt->socks[k].pid = 0;
			hap_batch_free(b);
			rt->socks[k].b = NULL;
			continue;
		}
		rt->nwait++;
	}
	if (rt->nwait == 0) {
		rt->poll_cut = 0;
		rt_free_batches(rt);
		rt->op = RT_OP_NONE;
		rt_after_op(rt);
	}
}

/* A batch for one of our sockets, connected the owner's way. */
/* Runtime socket k, of the start (reconf_pin keeps them). */
static const char *
rt_path(const struct runtime *rt, int k)
{
	return (rt->be->conf->run.sockets[k]);
}

static struct hap_batch *
rt_batch_new(struct runtime *rt, const char *path)
{
	struct hap_batch	*b;

	if ((b = hap_batch_new(path)) != NULL)
		b->connect = rt->cbs->connect;
	return (b);
}

static void
rt_poll_done(struct runtime *rt)
{
	struct hap_batch	*b;
	struct hap_info		 info;
	struct hap_srv		*rows[EP2D_MAX_SOCKETS];
	const struct hap_srv	**ix;
	size_t			 nrows[EP2D_MAX_SOCKETS], i;
	struct rt_slot		*sl;
	int			 k, any, ok[EP2D_MAX_SOCKETS];
	uint32_t		 all = rt_allbits(rt);

	rt->poll_cut = 0;		/* this one ran to its end */
	if (rt->op_gen != rt->gen) {
		/* haproxy was reloaded meanwhile: the answers are stale */
		rt_free_batches(rt);
		rt->op = RT_OP_NONE;
		rt_after_op(rt);
		return;
	}
	for (i = 0; i < rt->nslots; i++) {
		rt->slots[i].sessions = 0;
		rt->slots[i].maint_seen = 0;
	}
	for (k = 0; k < rt->nsocks; k++) {
		rows[k] = NULL;
		nrows[k] = 0;
		ok[k] = 0;
		b = rt->socks[k].b;
		if (b == NULL || b->status != 0)
			continue;
		if (hap_parse_info(b->cmds[0].answer, &info) == -1 ||
		    hap_parse_servers_state(b->cmds[1].answer,
		    rt->be->backend_name, &rows[k], &nrows[k]) == -1 ||
		    hap_parse_stat(b->cmds[2].answer, rt->be->backend_name,
		    rows[k], nrows[k]) == -1) {
			log_warnx("runtime socket %s: answers not understood",
			    b->path);
			continue;
		}
		if (rt->socks[k].down)
			log_info("runtime socket %s: HAProxy answers again "
			    "(pid %ld)", b->path, info.pid);
		else if (rt->socks[k].pid != 0 &&
		    (rt->socks[k].pid != info.pid ||
		    rt->socks[k].start_time != info.start_time))
			log_warnx("runtime socket %s: HAProxy restarted behind "
			    "ep2d's back (pid %ld, was %ld): checking its "
			    "servers", b->path, info.pid, rt->socks[k].pid);
		rt->socks[k].down = 0;
		rt->socks[k].pid = info.pid;
		rt->socks[k].start_time = info.start_time;
		ok[k] = 1;
		if ((ix = runtime_index(rt, rows[k], nrows[k])) == NULL)
			fatal("%s: calloc", __func__);
		for (i = 0; i < rt->nslots; i++) {
			if (ix[i] == NULL)
				continue;
			if (ix[i]->admin & HAP_ADMF_FMAINT)
				rt->slots[i].maint_seen = 1;
			else
				rt->slots[i].sessions += ix[i]->scur;
		}
		free(ix);
	}
	for (k = 0, any = 1; k < rt->nsocks; k++)
		if (!ok[k])
			any = 0;
	/* a socket that did not answer may still hold sessions */
	if (any)
		runtime_drain_check(rt, time(NULL));

	/* the same batches again, now carrying the repairs */
	for (k = 0; k < rt->nsocks; k++) {
		hap_batch_free(rt->socks[k].b);
		rt->socks[k].b = NULL;
		if (!ok[k])
			continue;
		if ((b = rt_batch_new(rt, rt_path(rt, k))) == NULL ||
		    runtime_reconcile(rt, k, rows[k], nrows[k], b) == -1) {
			hap_batch_free(b);
			b = NULL;
			rt->want_reload = 1;
		}
		rt->socks[k].b = b;
	}
	for (i = 0; i < rt->nslots; i++) {
		sl = &rt->slots[i];
		if (sl->state == RT_WARM && (sl->warm & all) == all) {
			log_info("%s: %s port %u ready: health check passed",
			    sl->name, sl->srv.host, sl->srv.port);
			sl->state = RT_READY;
			rt->changed = 1;
		}
	}
	for (k = 0; k < rt->nsocks; k++)
		free(rows[k]);

	any = rt_start_batches(rt, RT_OP_FIX);
	if (any == 0)
		return;
	if (any == -1)
		rt->want_reload = 1;
	rt->op = RT_OP_NONE;
	rt_after_op(rt);
}

void
runtime_reloaded(struct runtime *rt)
{
	size_t	 i;
	int	 k;

	rt->gen++;
	rt->live_nslots = rt->nslots;
	rt->want_reload = 0;
	for (i = 0; i < rt->nslots; i++) {
		/* the new process has these disabled, from the file */
		if (rt->slots[i].state == RT_DRAIN)
			rt->slots[i].state = RT_FREE;
		rt->slots[i].warm = 0;
		rt->slots[i].todo = 0;
	}
	for (k = 0; k < EP2D_MAX_SOCKETS; k++) {
		rt->socks[k].pid = 0;
		rt->socks[k].down = 0;
	}
	rt->nsocks = rt->be->conf->run.nsockets;
	rt_schedule(rt, 0);
}
