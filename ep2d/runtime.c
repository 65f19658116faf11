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
 * update_by_runtime.  The backend holds nslots servers named node1 ...
 * nodeN; slot i is always named node(i+1) and a server keeps its slot
 * while it lives.  A new server takes a free slot in this order:
 * "state maint", "addr A port P", "weight 0", "state ready", "health
 * down"; it gets its weight back ("weight 100%") only once HAProxy
 * marks it UP again, that is after a health check passed on the new
 * address (HAProxy 2.6 keeps the old check result across an address
 * change and counts a server leaving maintenance as UP).  A server
 * that leaves is drained ("state drain") until its sessions reach 0 or
 * drain_timeout passes, then "state maint" frees the slot.
 *
 * haproxy.cfg renders the READY slots with their servers and every
 * other slot as a disabled server, so that a reload or a restart comes
 * back with what takes traffic; slots still warming up are filled again
 * at runtime after a reload.  When the free slots run out the count
 * grows (slot_growth) and the parent reloads once.
 *
 * Every socket (one per HAProxy process) gets the same commands.  A
 * poll (show info, show servers state, show stat) runs every
 * RUNTIME_POLL_FAST_MS while a slot warms up or drains, every
 * RUNTIME_POLL_SLOW_MS otherwise: it notices a restarted HAProxy (pid
 * or start time changed) and repairs whatever differs from the slots.
 */

#include <sys/types.h>

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

static void	 rt_resize(struct runtime *, size_t);
static int	 rt_apply_now(struct runtime *, const struct server_set *);
static int	 rt_start_batches(struct runtime *, enum rt_op);
static void	 rt_batch_done(struct hap_batch *, void *);
static void	 rt_op_done(struct runtime *);
static void	 rt_poll_done(struct runtime *);
static void	 rt_schedule(struct runtime *, int);
static void	 rt_timer(int, short, void *);
static void	 rt_free_batches(struct runtime *);
static void	 rt_after_op(struct runtime *);
static uint32_t	 rt_allbits(struct runtime *);
static void	 rt_no_runtime(struct runtime *);
static const char *rt_weight(const struct server *, char *, size_t);
static const struct hap_srv **rt_index(struct runtime *,
		    const struct hap_srv *, size_t);

void
runtime_init(struct runtime *rt, const struct ep2_conf *conf)
{
	memset(rt, 0, sizeof(*rt));
	rt->conf = conf;
	rt->nsocks = conf->nsockets;
	set_init(&rt->queued);
}

void
runtime_reconf(struct runtime *rt, const struct ep2_conf *conf)
{
	rt->conf = conf;
	if (rt->op == RT_OP_NONE)
		rt->nsocks = conf->nsockets;
	if (rt->started && (size_t)conf->node_slots > rt->nslots)
		rt_resize(rt, conf->node_slots);
}

static void
rt_resize(struct runtime *rt, size_t n)
{
	struct rt_slot	*s;
	size_t		 i;

	if (n <= rt->nslots)
		return;
	if ((s = reallocarray(rt->slots, n, sizeof(*s))) == NULL)
		fatal("%s: reallocarray", __func__);
	for (i = rt->nslots; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		snprintf(s[i].name, sizeof(s[i].name), "node%zu", i + 1);
		s[i].state = RT_FREE;
	}
	rt->slots = s;
	rt->nslots = n;
}

/*
 * The slot count after growth: from n, by slot_growth (0: double,
 * N: add N) until need slots fit.
 */
size_t
runtime_grow_count(size_t n, size_t need, int growth, int node_slots)
{
	if (n == 0)
		n = node_slots > 0 ? node_slots : 1;
	while (n < need) {
		if (growth > 0)
			n += growth;
		else
			n *= 2;
	}
	/* no more slots than a backend may have servers (haproxy -c) */
	if (n > EP2D_MAX_SERVERS)
		n = need > EP2D_MAX_SERVERS ? need : EP2D_MAX_SERVERS;
	return (n);
}

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
	size_t	 i, j, n, high, kept = 0;

	free(rt->slots);
	rt->slots = NULL;
	rt->nslots = 0;
	rt->live_nslots = 0;
	if ((slotof = reallocarray(NULL, set->count ? set->count : 1,
	    sizeof(*slotof))) == NULL)
		fatal("%s: reallocarray", __func__);
	for (i = 0; i < set->count; i++)
		slotof[i] = -1;
	high = rt_file_slots(rt->conf->haproxy_config_file,
	    rt->conf->nbackends > 0 ? rt->conf->backend_name : NULL, set,
	    slotof, EP2D_MAX_SERVERS * 2);
	n = runtime_grow_count(0, set->count, rt->conf->slot_growth,
	    rt->conf->node_slots);
	if (high > n)
		n = high;
	rt_resize(rt, n);
	for (i = 0; i < set->count; i++) {
		if (slotof[i] < 0 || rt->slots[slotof[i]].state != RT_FREE) {
			slotof[i] = -1;
			continue;
		}
		rt->slots[slotof[i]].srv = set->servers[i];
		rt->slots[slotof[i]].state = RT_READY;
		kept++;
	}
	for (i = j = 0; i < set->count; i++) {
		if (slotof[i] >= 0)
			continue;
		while (rt->slots[j].state != RT_FREE)
			j++;
		rt->slots[j].srv = set->servers[i];
		rt->slots[j].state = RT_READY;
	}
	free(slotof);
	rt->nsocks = rt->conf->nsockets;
	rt->started = 1;
	if (kept > 0)
		log_info("%zu servers kept their slots from %s", kept,
		    rt->conf->haproxy_config_file);
	if (n > (size_t)rt->conf->node_slots)
		log_info("%zu servers: %zu slots (node_slots %d)",
		    set->count, n, rt->conf->node_slots);
}

void
runtime_slots(struct runtime *rt, struct tmpl_slot **slots, size_t *n)
{
	struct tmpl_slot	*t;
	size_t			 i;

	*slots = NULL;
	*n = 0;
	if (rt->nslots == 0)
		return;
	if ((t = calloc(rt->nslots, sizeof(*t))) == NULL)
		fatal("%s: calloc", __func__);
	for (i = 0; i < rt->nslots; i++) {
		strlcpy(t[i].name, rt->slots[i].name, sizeof(t[i].name));
		t[i].srv = rt->slots[i].state == RT_READY ?
		    &rt->slots[i].srv : NULL;
	}
	*slots = t;
	*n = rt->nslots;
}

size_t
runtime_nslots(struct runtime *rt)
{
	return (rt->nslots);
}

static uint32_t
rt_allbits(struct runtime *rt)
{
	return (rt->nsocks >= 32 ? 0xffffffffu :
	    ((uint32_t)1 << rt->nsocks) - 1);
}

/*
 * Bring the slots to the set: servers that stay keep their slot, those
 * that left drain (or go to maint), new ones take the lowest free
 * slots.  Sets todo flags for the commands; returns 0, or
 * RUNTIME_NEED_RELOAD when a new server needs a slot haproxy does not
 * have yet (growth) or cannot be set at runtime (a host name).
 */
int
runtime_plan(struct runtime *rt, const struct server_set *set, time_t now)
{
	struct rt_slot	*sl;
	char		*found;
	size_t		 i, j, nnew, nfree;
	ssize_t		 idx;
	int		 reload = 0;

	if ((found = calloc(set->count ? set->count : 1, 1)) == NULL)
		return (-1);
	for (i = 0; i < rt->nslots; i++) {
		sl = &rt->slots[i];
		sl->todo = 0;
		if (sl->state == RT_FREE)
			continue;
		idx = set_find(set, sl->srv.host, sl->srv.port);
		if (idx >= 0 && !found[idx]) {
			found[idx] = 1;
			if (sl->state == RT_DRAIN) {
				sl->todo = RT_TODO_READY;
				sl->state = RT_READY;
			}
			/* a warming slot takes its weight when it is up */
			if (sl->srv.weight != set->servers[idx].weight) {
				sl->srv.weight = set->servers[idx].weight;
				if (sl->state == RT_READY)
					sl->todo |= RT_TODO_WEIGHT;
			}
			continue;
		}
		if (sl->state == RT_DRAIN)
			continue;
		if (sl->state == RT_WARM || rt->conf->drain_timeout == 0) {
			sl->todo = RT_TODO_MAINT;
			sl->state = RT_FREE;
		} else {
			sl->todo = RT_TODO_DRAIN;
			sl->state = RT_DRAIN;
			sl->drain_start = now;
		}
	}
	for (i = nnew = 0; i < set->count; i++)
		if (!found[i])
			nnew++;
	for (i = nfree = 0; i < rt->nslots; i++)
		if (rt->slots[i].state == RT_FREE)
			nfree++;
	if (nnew > nfree) {
		j = runtime_grow_count(rt->nslots, rt->nslots + nnew - nfree,
		    rt->conf->slot_growth, rt->conf->node_slots);
		log_info("%zu new servers, %zu free slots: growing from %zu "
		    "to %zu slots (a reload)", nnew, nfree, rt->nslots, j);
		rt_resize(rt, j);
	}
	for (i = j = 0; i < set->count; i++) {
		if (found[i])
			continue;
		while (rt->slots[j].state != RT_FREE)
			j++;
		sl = &rt->slots[j];
		sl->srv = set->servers[i];
		sl->warm = 0;
		if (!addr_is_ip(sl->srv.host)) {
			/* haproxy takes a host name from the file only */
			sl->state = RT_READY;
			sl->todo = 0;
			reload = 1;
			continue;
		}
		sl->state = RT_WARM;
		sl->todo |= RT_TODO_FILL;
		if (j >= rt->live_nslots)
			reload = 1;
	}
	free(found);
	if (reload) {
		/* the reload brings the file; warm slots fill after it */
		for (i = 0; i < rt->nslots; i++)
			rt->slots[i].todo = 0;
		return (RUNTIME_NEED_RELOAD);
	}
	return (0);
}

/* The commands of one slot's todo, into a socket's batch. */
int
runtime_slot_cmds(struct runtime *rt, struct rt_slot *sl,
    struct hap_batch *b)
{
	const char	*be = rt->conf->backend_name, *n = sl->name;
	char		 w[16];

	if (sl->todo & RT_TODO_FILL) {
		if (!addr_is_ip(sl->srv.host) || sl->srv.port == 0) {
			log_warnx("%s: %s: invalid address refused", be, n);
			return (-1);
		}
		/* a free slot is in maint already (the poll sees to it) */
		if (((sl->todo & RT_TODO_MAINT) && hap_batch_add(b, HAP_EMPTY,
		    "set server %s/%s state maint", be, n) == -1) ||
		    hap_batch_add(b, HAP_ADDR, "set server %s/%s addr %s "
		    "port %u", be, n, sl->srv.host, sl->srv.port) == -1 ||
		    hap_batch_add(b, HAP_EMPTY, "set server %s/%s weight 0",
		    be, n) == -1 ||
		    hap_batch_add(b, HAP_EMPTY, "set server %s/%s state ready",
		    be, n) == -1 ||
		    hap_batch_add(b, HAP_EMPTY, "set server %s/%s health down",
		    be, n) == -1)
			return (-1);
		return (0);
	}
	if ((sl->todo & RT_TODO_MAINT) && hap_batch_add(b, HAP_EMPTY,
	    "set server %s/%s state maint", be, n) == -1)
		return (-1);
	if ((sl->todo & RT_TODO_DRAIN) && hap_batch_add(b, HAP_EMPTY,
	    "set server %s/%s state drain", be, n) == -1)
		return (-1);
	if ((sl->todo & RT_TODO_READY) && hap_batch_add(b, HAP_EMPTY,
	    "set server %s/%s state ready", be, n) == -1)
		return (-1);
	if ((sl->todo & RT_TODO_WEIGHT) && hap_batch_add(b, HAP_EMPTY,
	    "set server %s/%s weight %s", be, n, rt_weight(&sl->srv, w,
	    sizeof(w))) == -1)
		return (-1);
	return (0);
}

/*
 * The weight a ready server runs at: the orchestrator's (Consul's
 * Service.Weights), or the one haproxy.cfg gave the slot ("100%").
 */
static const char *
rt_weight(const struct server *srv, char *buf, size_t len)
{
	if (srv->weight == 0)
		snprintf(buf, len, "100%%");
	else if (srv->weight == EP2D_WEIGHT_ZERO)
		snprintf(buf, len, "0");
	else
		snprintf(buf, len, "%u", srv->weight > EP2D_WEIGHT_MAX ?
		    EP2D_WEIGHT_MAX : srv->weight);
	return (buf);
}

int
runtime_apply(struct runtime *rt, const struct server_set *set)
{
	if (!rt->started)
		return (RUNTIME_NEED_RELOAD);
	if (!hap_name_ok(rt->conf->backend_name)) {
		log_warnx("backend_name \"%s\" cannot be used on the runtime "
		    "socket", rt->conf->backend_name);
		return (-1);
	}
	if (rt->op != RT_OP_NONE) {
		/* a poll is in flight: apply when it ends */
		if (set_copy(&rt->queued, set) == -1)
			return (-1);
		rt->have_queued = 1;
		return (RUNTIME_PENDING);
	}
	return (rt_apply_now(rt, set));
}

static int
rt_apply_now(struct runtime *rt, const struct server_set *set)
{
	size_t	 i;
	int	 r;

	r = runtime_plan(rt, set, time(NULL));
	if (r != -1 && rt->conf->nsockets == 0) {
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
			if ((b = hap_batch_new(rt->conf->sockets[k])) == NULL)
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
		rt_schedule(rt, RUNTIME_POLL_FAST_MS);
		parent_runtime_done(rt, failed ? -1 : 0);
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
	size_t	 i;
	int	 busy = 0, r;

	for (i = 0; i < rt->nslots; i++)
		if (rt->slots[i].state == RT_WARM ||
		    rt->slots[i].state == RT_DRAIN)
			busy = 1;
	rt_schedule(rt, busy ? RUNTIME_POLL_FAST_MS : RUNTIME_POLL_SLOW_MS);
	if (rt->changed) {
		rt->changed = 0;
		parent_runtime_changed(rt);
	}
	if (rt->have_queued && rt->op == RT_OP_NONE) {
		rt->have_queued = 0;
		if ((r = rt_apply_now(rt, &rt->queued)) != RUNTIME_PENDING)
			parent_runtime_done(rt, r);
	}
}

static void
rt_schedule(struct runtime *rt, int ms)
{
	struct timeval	 tv;

	if (!rt->timer_init) {
		evtimer_set(&rt->timer, rt_timer, rt);
		rt->timer_init = 1;
	}
	evtimer_del(&rt->timer);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&rt->timer, &tv);
}

/* The poll: show info, show servers state, show stat on each socket. */
static void
rt_timer(int fd, short ev, void *arg)
{
	struct runtime		*rt = arg;
	struct hap_batch	*b;
	const char		*be = rt->conf->backend_name;
	int			 k;

	if (rt->op != RT_OP_NONE) {
		rt_schedule(rt, RUNTIME_POLL_FAST_MS);
		return;
	}
	if (!rt->started || rt->nslots == 0 || !hap_name_ok(be)) {
		rt_schedule(rt, RUNTIME_POLL_SLOW_MS);
		return;
	}
	rt->nsocks = rt->conf->nsockets;
	for (k = 0; k < rt->nsocks; k++) {
		if ((b = hap_batch_new(rt->conf->sockets[k])) == NULL ||
		    hap_batch_add(b, HAP_TEXT, "show info") == -1 ||
		    hap_batch_add(b, HAP_TEXT, "show servers state %s",
		    be) == -1 ||
		    hap_batch_add(b, HAP_TEXT, "show stat %s 4 -1", be) == -1) {
			hap_batch_free(b);
			rt_free_batches(rt);
			rt_schedule(rt, RUNTIME_POLL_SLOW_MS);
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
		rt_free_batches(rt);
		rt->op = RT_OP_NONE;
		rt_after_op(rt);
	}
}

/*
 * HAProxy's rows by slot: a slot's name is "node" and its number, so
 * a row finds its slot without a search (1,000 slots, every poll).
 */
static const struct hap_srv **
rt_index(struct runtime *rt, const struct hap_srv *rows, size_t nrows)
{
	const struct hap_srv	**ix;
	const char		*p;
	size_t			 j, n;

	if ((ix = calloc(rt->nslots ? rt->nslots : 1, sizeof(*ix))) == NULL)
		return (NULL);
	for (j = 0; j < nrows; j++) {
		if (strncmp(rows[j].name, "node", 4) != 0)
			continue;
		p = rows[j].name + 4;
		if (*p < '1' || *p > '9' || strspn(p, "0123456789") !=
		    strlen(p) || strlen(p) > 9)
			continue;
		n = strtoul(p, NULL, 10);
		if (n >= 1 && n <= rt->nslots)
			ix[n - 1] = &rows[j];
	}
	return (ix);
}

/*
 * A DRAIN slot is done when no socket shows a session on it any more,
 * or after drain_timeout.
 */
void
runtime_drain_check(struct runtime *rt, time_t now)
{
	struct rt_slot	*sl;
	size_t		 i;

	for (i = 0; i < rt->nslots; i++) {
		sl = &rt->slots[i];
		if (sl->state != RT_DRAIN)
			continue;
		if (sl->sessions == 0)
			log_info("%s: %s drained", sl->name, sl->srv.host);
		else if (now - sl->drain_start >= rt->conf->drain_timeout)
			log_warnx("%s: %s: drain_timeout with %u sessions "
			    "left", sl->name, sl->srv.host, sl->sessions);
		else
			continue;
		sl->state = RT_FREE;
	}
}

/*
 * Compare what one socket's HAProxy has with the slots, and queue the
 * commands that bring it back: the repair after a restart behind our
 * back, and the step that ends a warm-up.
 */
int
runtime_reconcile(struct runtime *rt, int k, const struct hap_srv *rows,
    size_t nrows, struct hap_batch *b)
{
	struct rt_slot		*sl;
	const struct hap_srv	*r;
	const struct hap_srv	**ix;
	const char		*be = rt->conf->backend_name;
	uint32_t		 bit = (uint32_t)1 << k;
	size_t			 i;
	int			 ip, maint, drain, same;
	char			 w[16];

	if ((ix = rt_index(rt, rows, nrows)) == NULL)
		return (-1);
	for (i = 0; i < rt->nslots; i++) {
		sl = &rt->slots[i];
		if ((r = ix[i]) == NULL) {
			/* slots past live_nslots wait for their reload */
			if (sl->state != RT_FREE && !rt->want_reload &&
			    i < rt->live_nslots)
				log_warnx("%s: %s has no server %s: a reload "
				    "is due", b->path, be, sl->name);
			if (sl->state != RT_FREE)
				rt->want_reload = 1;
			continue;
		}
		maint = (r->admin & (HAP_ADMF_FMAINT | HAP_ADMF_IMAINT)) != 0;
		drain = (r->admin & HAP_ADMF_FDRAIN) != 0;
		ip = addr_is_ip(sl->srv.host);
		same = !ip || (hap_addr_equal(r->addr, sl->srv.host) &&
		    r->port == sl->srv.port);
		sl->todo = 0;
		switch (sl->state) {
		case RT_FREE:
			if (!maint)
				sl->todo = RT_TODO_MAINT;
			break;
		case RT_READY:
		case RT_WARM:
			if (!ip)
				break;
			if (!same || maint) {
				sl->todo = RT_TODO_FILL | RT_TODO_MAINT;
				sl->warm &= ~bit;
				if (sl->state == RT_READY)
					rt->changed = 1;
				sl->state = RT_WARM;
				break;
			}
			if (drain)
				sl->todo = RT_TODO_READY;
			if (sl->state == RT_READY && r->uweight == 0 &&
			    r->iweight != 0 &&
			    sl->srv.weight != EP2D_WEIGHT_ZERO) {
				sl->warm &= ~bit;
				sl->state = RT_WARM;
				rt->changed = 1;
			}
			/* the orchestrator's weight, lost or changed */
			if (sl->state == RT_READY && sl->srv.weight != 0 &&
			    r->uweight != (sl->srv.weight == EP2D_WEIGHT_ZERO ?
			    0 : sl->srv.weight))
				sl->todo |= RT_TODO_WEIGHT;
			if (sl->state == RT_WARM && !(sl->warm & bit) &&
			    hap_check_passed(r)) {
				if (hap_batch_add(b, HAP_EMPTY, "set server "
				    "%s/%s weight %s", be, sl->name, rt_weight(
				    &sl->srv, w, sizeof(w))) == -1) {
					free(ix);
					return (-1);
				}
				sl->warm |= bit;
			}
			break;
		case RT_DRAIN:
			if (maint)
				break;
			if (!same)
				sl->todo = RT_TODO_MAINT;
			else if (!drain)
				sl->todo = RT_TODO_DRAIN;
			break;
		}
		if (sl->todo && runtime_slot_cmds(rt, sl, b) == -1) {
			free(ix);
			return (-1);
		}
		sl->todo = 0;
	}
	free(ix);
	return (0);
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
		    rt->conf->backend_name, &rows[k], &nrows[k]) == -1 ||
		    hap_parse_stat(b->cmds[2].answer, rt->conf->backend_name,
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
		if ((ix = rt_index(rt, rows[k], nrows[k])) == NULL)
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
		if ((b = hap_batch_new(rt->conf->sockets[k])) == NULL ||
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
	rt->nsocks = rt->conf->nsockets;
	rt_schedule(rt, 0);
}

size_t
runtime_ctl_slots(struct runtime *rt, struct ctl_slot **rows)
{
	struct ctl_slot	*r;
	struct rt_slot	*sl;
	const char	*st;
	size_t		 i;

	*rows = NULL;
	if (rt->nslots == 0)
		return (0);
	if ((r = calloc(rt->nslots, sizeof(*r))) == NULL)
		return (0);
	for (i = 0; i < rt->nslots; i++) {
		sl = &rt->slots[i];
		strlcpy(r[i].backend, rt->conf->backend_name,
		    sizeof(r[i].backend));
		strlcpy(r[i].name, sl->name, sizeof(r[i].name));
		switch (sl->state) {
		case RT_FREE:
			st = "free";
			break;
		case RT_WARM:
			st = "warming";
			break;
		case RT_READY:
			st = sl->maint_seen ? "maint" : "ready";
			break;
		case RT_DRAIN:
		default:
			st = "drain";
			break;
		}
		strlcpy(r[i].state, st, sizeof(r[i].state));
		if (sl->state != RT_FREE) {
			strlcpy(r[i].host, sl->srv.host, sizeof(r[i].host));
			r[i].port = sl->srv.port;
			r[i].sessions = sl->sessions;
		}
	}
	*rows = r;
	return (rt->nslots);
}
