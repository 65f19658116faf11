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
 * update_by_runtime, the plan: the slots and what HAProxy must be told
 * to bring them to a set, with no I/O (runtime.c sends the commands).
 * The backend holds nslots servers named node1 ... nodeN; slot i is
 * always named node(i+1) and a server keeps its slot while it lives.
 * A new server takes a free slot in this order: "state maint", "addr A
 * port P", "weight 0", "state ready", "health down"; it gets its weight
 * back ("weight 100%") only once HAProxy marks it UP again, that is
 * after a health check passed on the new address (HAProxy 2.6 keeps the
 * old check result across an address change and counts a server
 * leaving maintenance as UP).  A server that leaves is drained ("state
 * drain") until its sessions reach 0 or drain_timeout passes, then
 * "state maint" frees the slot.
 *
 * haproxy.cfg renders the READY slots with their servers and every
 * other slot as a disabled server, so that a reload or a restart comes
 * back with what takes traffic; slots still warming up are filled again
 * at runtime after a reload.  When the free slots run out the count
 * grows (slot_growth) and the parent reloads once.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>

#include "ep2d.h"
#include "log.h"
#include "haproxy.h"
#include "runtime.h"

static void	 rt_resize(struct runtime *, size_t);
static const char *rt_weight(const struct server *, char *, size_t);

void
runtime_init(struct runtime *rt, const struct backend_conf *be,
    const struct runtime_cbs *cbs)
{
	memset(rt, 0, sizeof(*rt));
	rt->be = be;
	rt->cbs = cbs;
	rt->nsocks = be->conf->run.nsockets;
	set_init(&rt->queued);
}

void
runtime_reconf(struct runtime *rt, const struct backend_conf *be)
{
	rt->be = be;
	if (rt->op == RT_OP_NONE)
		rt->nsocks = be->conf->run.nsockets;
	if (rt->started && (size_t)be->node_slots > rt->nslots)
		rt_resize(rt, be->node_slots);
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
 * The first set's slots.  slotof[i] is the slot server i had in the
 * haproxy.cfg written last (-1: none; runtime_bootstrap reads it), high
 * the highest slot number that file had: a server gets its slot back
 * if no other took it, the others take the lowest free slots.
 */
void
runtime_assign(struct runtime *rt, const struct server_set *set,
    ssize_t *slotof, size_t high)
{
	size_t	 i, j, n, kept = 0;

	free(rt->slots);
	rt->slots = NULL;
	rt->nslots = 0;
	rt->live_nslots = 0;
	n = runtime_grow_count(0, set->count, rt->be->conf->slot_growth,
	    rt->be->node_slots);
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
	rt->nsocks = rt->be->conf->run.nsockets;
	rt->started = 1;
	if (kept > 0)
		log_info("%zu servers kept their slots from %s", kept,
		    rt->be->conf->run.haproxy_config_file);
	if (n > (size_t)rt->be->node_slots)
		log_info("%zu servers: %zu slots (node_slots %d)",
		    set->count, n, rt->be->node_slots);
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
runtime_nslots(const struct runtime *rt)
{
	return (rt->nslots);
}

/* Slots draining (ep2d_servers_draining). */
size_t
runtime_ndraining(const struct runtime *rt)
{
	size_t	 i, n = 0;

	for (i = 0; i < rt->nslots; i++)
		if (rt->slots[i].state == RT_DRAIN)
			n++;
	return (n);
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
		if (sl->state == RT_WARM || rt->be->conf->drain_timeout == 0) {
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
		    rt->be->conf->slot_growth, rt->be->node_slots);
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
	const char	*be = rt->be->backend_name, *n = sl->name;
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


/*
 * HAProxy's rows by slot: a slot's name is "node" and its number, so
 * a row finds its slot without a search (1,000 slots, every poll).
 */
const struct hap_srv **
runtime_index(struct runtime *rt, const struct hap_srv *rows, size_t nrows)
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
		else if (now - sl->drain_start >= rt->be->conf->drain_timeout)
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
	const char		*be = rt->be->backend_name;
	uint32_t		 bit = (uint32_t)1 << k;
	size_t			 i;
	int			 ip, maint, drain, same;
	char			 w[16];

	if ((ix = runtime_index(rt, rows, nrows)) == NULL)
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
		strlcpy(r[i].backend, rt->be->backend_name,
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
