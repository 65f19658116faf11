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
 * update_by_runtime, the plan (runtime_plan.c), linked without the I/O
 * of runtime.c: slot assignment, growth, draining, weights, the rows
 * of ep2ctl show slots and the repair of a restarted HAProxy.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>

#include "ep2d.h"
#include "haproxy.h"
#include "runtime.h"
#include "tap.h"

static struct ep2_conf	*conf;
static struct backend_conf *be;		/* conf's backend 0 */

/* Every key's default, as a file that sets none. */
static void
defaults(void)
{
	config_free(conf);
	if ((conf = config_new()) == NULL)
		exit(1);
	be = conf->backends[0];
}

static void
mkset(struct server_set *set, const char *hosts)
{
	char	 buf[1024], *h, *p;

	set_clear(set);
	strlcpy(buf, hosts, sizeof(buf));
	for (p = buf; (h = strsep(&p, " ")) != NULL;)
		if (*h != '\0')
			set_add(set, h, 80);
	set_sort(set);
}

static const char *
slot_host(struct runtime *rt, size_t i)
{
	return (rt->slots[i].state == RT_FREE ? "-" : rt->slots[i].srv.host);
}

/* runtime_bootstrap with no haproxy.cfg of before (runtime.c reads it) */
static void
bootstrap(struct runtime *rt, const struct server_set *set)
{
	ssize_t	*slotof;
	size_t	 i;

	if ((slotof = calloc(set->count + 1, sizeof(*slotof))) == NULL)
		exit(1);
	for (i = 0; i < set->count; i++)
		slotof[i] = -1;
	runtime_assign(rt, set, slotof, 0);
	free(slotof);
}

static void
test_plan(void)
{
	struct runtime		 rt;
	struct server_set	 set;
	struct tmpl_slot	*ts;
	struct hap_batch	*b;
	size_t			 n, i;
	int			 r;

	defaults();
	be->node_slots = 4;
	conf->drain_timeout = 30;
	conf->slot_growth = 0;
	conf->run.nsockets = 1;
	strlcpy(conf->run.sockets[0], "/nonexistent",
	    sizeof(conf->run.sockets[0]));
	strlcpy(be->backend_name, "be", sizeof(be->backend_name));
	strlcpy(conf->run.haproxy_config_file, "/nonexistent/haproxy.cfg",
	    sizeof(conf->run.haproxy_config_file));
	runtime_init(&rt, be, NULL);
	set_init(&set);

	ok(runtime_grow_count(4, 5, 0, 4) == 8, "grow: double");
	ok(runtime_grow_count(4, 17, 0, 4) == 32, "grow: double until fits");
	ok(runtime_grow_count(4, 5, 3, 4) == 7, "grow: +3");
	ok(runtime_grow_count(0, 2, 0, 4) == 4, "grow: node_slots first");

	mkset(&set, "10.0.0.1 10.0.0.2");
	bootstrap(&rt, &set);
	ok(rt.nslots == 4, "bootstrap: node_slots slots");
	runtime_slots(&rt, &ts, &n);
	ok(n == 4 && strcmp(ts[0].name, "node1") == 0 &&
	    strcmp(ts[3].name, "node4") == 0 && ts[0].srv != NULL &&
	    ts[1].srv != NULL && ts[2].srv == NULL && ts[3].srv == NULL,
	    "bootstrap: two live, two free, names node1..node4");
	free(ts);
	rt.live_nslots = rt.nslots;	/* as runtime_reloaded, no timer */

	/* scale out: 10.0.0.3 takes node3, nobody else moves */
	mkset(&set, "10.0.0.1 10.0.0.2 10.0.0.3");
	r = runtime_plan(&rt, &set, 100);
	ok(r == 0 && strcmp(slot_host(&rt, 2), "10.0.0.3") == 0 &&
	    rt.slots[2].state == RT_WARM && rt.slots[2].todo == RT_TODO_FILL,
	    "scale-out: lowest free slot, warming");
	ok(strcmp(slot_host(&rt, 0), "10.0.0.1") == 0 &&
	    strcmp(slot_host(&rt, 1), "10.0.0.2") == 0 &&
	    rt.slots[0].todo == 0 && rt.slots[1].todo == 0,
	    "scale-out: the others untouched");
	b = hap_batch_new("/nonexistent");
	for (i = 0; i < rt.nslots; i++)
		runtime_slot_cmds(&rt, &rt.slots[i], b);
	ok(b->ncmds == 4, "fill: four commands (a free slot is in maint)");
	is_str(b->cmds[0].line, "set server be/node3 addr 10.0.0.3 port 80",
	    "fill 1");
	is_str(b->cmds[1].line, "set server be/node3 weight 0", "fill 2");
	is_str(b->cmds[2].line, "set server be/node3 state ready", "fill 3");
	is_str(b->cmds[3].line, "set server be/node3 health down", "fill 4");
	ok(b->cmds[0].expect == HAP_ADDR && b->cmds[1].expect == HAP_EMPTY,
	    "fill: answers expected");
	hap_batch_free(b);

	/* a slot freed and filled in one change: maint first */
	b = hap_batch_new("/nonexistent");
	rt.slots[2].todo = RT_TODO_MAINT | RT_TODO_FILL;
	runtime_slot_cmds(&rt, &rt.slots[2], b);
	ok(b->ncmds == 5, "refill: five commands");
	is_str(b->cmds[0].line, "set server be/node3 state maint", "refill 1");
	rt.slots[2].todo = 0;
	hap_batch_free(b);
	runtime_slots(&rt, &ts, &n);
	ok(ts[2].srv == NULL, "render: a warming slot stays disabled");
	free(ts);
	rt.slots[2].state = RT_READY;	/* its check passed */

	/* scale in: 10.0.0.1 drains, keeps node1 */
	mkset(&set, "10.0.0.2 10.0.0.3");
	r = runtime_plan(&rt, &set, 200);
	ok(r == 0 && rt.slots[0].state == RT_DRAIN &&
	    rt.slots[0].todo == RT_TODO_DRAIN && rt.slots[0].drain_start ==
	    200, "scale-in: drain");
	runtime_slots(&rt, &ts, &n);
	ok(ts[0].srv == NULL && ts[1].srv != NULL && ts[2].srv != NULL,
	    "render: a draining slot is rendered free");
	free(ts);
	/* it comes back while draining: same slot, ready again */
	mkset(&set, "10.0.0.1 10.0.0.2 10.0.0.3");
	r = runtime_plan(&rt, &set, 205);
	ok(r == 0 && rt.slots[0].state == RT_READY &&
	    rt.slots[0].todo == RT_TODO_READY, "back while draining: ready");
	mkset(&set, "10.0.0.2 10.0.0.3");
	runtime_plan(&rt, &set, 210);
	/* a new one cannot take the draining slot */
	mkset(&set, "10.0.0.2 10.0.0.3 10.0.0.4");
	r = runtime_plan(&rt, &set, 211);
	ok(r == 0 && strcmp(slot_host(&rt, 3), "10.0.0.4") == 0 &&
	    rt.slots[0].state == RT_DRAIN, "draining slot not reused");
	rt.slots[3].state = RT_READY;
	/* sessions gone: free */
	rt.slots[0].sessions = 2;
	runtime_drain_check(&rt, 220);
	ok(rt.slots[0].state == RT_DRAIN, "drain: sessions left, waits");
	runtime_drain_check(&rt, 240);
	ok(rt.slots[0].state == RT_FREE, "drain: drain_timeout frees it");
	rt.slots[0].state = RT_DRAIN;
	rt.slots[0].sessions = 0;
	runtime_drain_check(&rt, 212);
	ok(rt.slots[0].state == RT_FREE, "drain: no sessions frees it");

	/* growth: 4 slots, 5 servers: double, reload */
	mkset(&set, "10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6");
	r = runtime_plan(&rt, &set, 300);
	ok(r == RUNTIME_NEED_RELOAD && rt.nslots == 8,
	    "growth: 8 slots, a reload");
	ok(strcmp(slot_host(&rt, 1), "10.0.0.2") == 0 &&
	    strcmp(slot_host(&rt, 2), "10.0.0.3") == 0 &&
	    strcmp(slot_host(&rt, 3), "10.0.0.4") == 0,
	    "growth: nobody moved");
	ok(strcmp(slot_host(&rt, 0), "10.0.0.5") == 0 &&
	    strcmp(slot_host(&rt, 4), "10.0.0.6") == 0 &&
	    strcmp(rt.slots[4].name, "node5") == 0,
	    "growth: every server has a slot");
	for (i = 0, r = 0; i < rt.nslots; i++)
		r |= rt.slots[i].todo;
	ok(r == 0, "growth: no runtime command, the reload does it");

	/* drain_timeout 0: straight to maint */
	rt.live_nslots = rt.nslots;
	for (i = 0; i < rt.nslots; i++)
		if (rt.slots[i].state == RT_WARM)
			rt.slots[i].state = RT_READY;
	conf->drain_timeout = 0;
	mkset(&set, "10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6");
	r = runtime_plan(&rt, &set, 400);
	ok(r == 0 && rt.slots[1].state == RT_FREE &&
	    rt.slots[1].todo == RT_TODO_MAINT, "drain_timeout 0: maint");
	conf->drain_timeout = 30;

	/* a host name cannot be set at runtime: reload */
	mkset(&set, "10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 web-1.example");
	r = runtime_plan(&rt, &set, 500);
	ok(r == RUNTIME_NEED_RELOAD && rt.slots[1].state == RT_READY &&
	    strcmp(rt.slots[1].srv.host, "web-1.example") == 0,
	    "host name: a reload, rendered live");

	/* growth by +3 */
	conf->slot_growth = 3;
	rt.live_nslots = rt.nslots;
	mkset(&set, "10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 web-1.example "
	    "10.1.0.1 10.1.0.2 10.1.0.3 10.1.0.4");
	r = runtime_plan(&rt, &set, 600);
	ok(r == RUNTIME_NEED_RELOAD && rt.nslots == 11,
	    "growth +3: 8 -> 11 slots");
	conf->slot_growth = 0;

	set_free(&set);
	free(rt.slots);
}

/* A restarted HAProxy: its rows against the slots. */
static void
test_reconcile(void)
{
	struct runtime		 rt;
	struct server_set	 set;
	struct hap_batch	*b;
	struct hap_srv		 rows[4];
	size_t			 i;

	conf->drain_timeout = 30;
	runtime_init(&rt, be, NULL);
	set_init(&set);
	mkset(&set, "10.0.0.1 10.0.0.2 10.0.0.3");
	bootstrap(&rt, &set);
	rt.live_nslots = rt.nslots;
	rt.slots[2].state = RT_WARM;
	rt.slots[3].state = RT_DRAIN;
	strlcpy(rt.slots[3].srv.host, "10.0.0.9", sizeof(rt.slots[3].srv.host));
	rt.slots[3].srv.port = 80;

	memset(rows, 0, sizeof(rows));
	for (i = 0; i < 4; i++) {
		snprintf(rows[i].name, sizeof(rows[i].name), "node%zu", i + 1);
		rows[i].iweight = rows[i].uweight = 1;
		rows[i].have_stat = 1;
		strlcpy(rows[i].status, "UP", sizeof(rows[i].status));
		strlcpy(rows[i].check, "L7OK", sizeof(rows[i].check));
	}
	/* node1 as it should be; node2 lost its address (restart) */
	strlcpy(rows[0].addr, "10.0.0.1", sizeof(rows[0].addr));
	rows[0].port = 80;
	strlcpy(rows[1].addr, "10.0.0.1", sizeof(rows[1].addr));
	rows[1].port = 8080;
	rows[1].admin = 5;
	/* node3 warming: weight 0, check passed */
	strlcpy(rows[2].addr, "10.0.0.3", sizeof(rows[2].addr));
	rows[2].port = 80;
	rows[2].uweight = 0;
	/* node4 draining but haproxy has it ready */
	strlcpy(rows[3].addr, "10.0.0.9", sizeof(rows[3].addr));
	rows[3].port = 80;

	b = hap_batch_new("/nonexistent");
	ok(runtime_reconcile(&rt, 0, rows, 4, b) == 0, "reconcile: runs");
	ok(b->ncmds == 7, "reconcile: 7 commands (got %zu)", b->ncmds);
	if (b->ncmds == 7) {
		is_str(b->cmds[0].line, "set server be/node2 state maint",
		    "reconcile: node2 refilled");
		is_str(b->cmds[1].line, "set server be/node2 addr 10.0.0.2 "
		    "port 80", "reconcile: node2 address");
		is_str(b->cmds[5].line, "set server be/node3 weight 100%",
		    "reconcile: node3 warmed up");
		is_str(b->cmds[6].line, "set server be/node4 state drain",
		    "reconcile: node4 drains again");
	}
	ok(rt.slots[1].state == RT_WARM && rt.changed,
	    "reconcile: node2 warms up again, file to render");
	ok(rt.slots[2].warm == 1, "reconcile: node3 warm on socket 0");
	hap_batch_free(b);

	/* a slot the running HAProxy does not have */
	b = hap_batch_new("/nonexistent");
	rt.want_reload = 0;
	ok(runtime_reconcile(&rt, 0, rows, 2, b) == 0 && rt.want_reload,
	    "reconcile: missing server: a reload is due");
	hap_batch_free(b);
	set_free(&set);
	free(rt.slots);
}


static void
test_ctl(void)
{
	struct runtime		 rt;
	struct server_set	 set;
	struct ctl_slot		*rows;
	size_t			 n;

	runtime_init(&rt, be, NULL);
	set_init(&set);
	mkset(&set, "10.0.0.1");
	bootstrap(&rt, &set);
	rt.slots[0].sessions = 3;
	rt.slots[1].state = RT_DRAIN;
	strlcpy(rt.slots[1].srv.host, "10.0.0.9", sizeof(rt.slots[1].srv.host));
	n = runtime_ctl_slots(&rt, &rows);
	ok(n == 4, "ctl: one row per slot");
	ok(strcmp(rows[0].name, "node1") == 0 &&
	    strcmp(rows[0].host, "10.0.0.1") == 0 && rows[0].port == 80 &&
	    strcmp(rows[0].state, "ready") == 0 && rows[0].sessions == 3,
	    "ctl: ready row");
	ok(strcmp(rows[1].state, "drain") == 0 &&
	    strcmp(rows[2].state, "free") == 0 && rows[2].host[0] == '\0',
	    "ctl: drain and free rows");
	free(rows);
	set_free(&set);
	free(rt.slots);
}

/* The orchestrator's weight: planned, sent, rendered into the slots. */
static void
test_weights(void)
{
	struct runtime		 rt;
	struct server_set	 set;
	struct hap_batch	*b;
	size_t			 i;
	int			 r;

	defaults();
	be->node_slots = 2;
	conf->run.nsockets = 1;
	strlcpy(conf->run.sockets[0], "/nonexistent",
	    sizeof(conf->run.sockets[0]));
	strlcpy(be->backend_name, "be", sizeof(be->backend_name));
	strlcpy(conf->run.haproxy_config_file, "/nonexistent/haproxy.cfg",
	    sizeof(conf->run.haproxy_config_file));
	runtime_init(&rt, be, NULL);
	set_init(&set);
	mkset(&set, "10.0.0.1");
	set.servers[0].weight = 10;
	bootstrap(&rt, &set);
	rt.live_nslots = rt.nslots;
	ok(rt.slots[0].state == RT_READY && rt.slots[0].srv.weight == 10,
	    "bootstrap: the slot keeps the weight");

	set.servers[0].weight = 20;
	r = runtime_plan(&rt, &set, 100);
	ok(r == 0 && rt.slots[0].todo == RT_TODO_WEIGHT &&
	    rt.slots[0].srv.weight == 20, "a new weight: RT_TODO_WEIGHT");
	b = hap_batch_new("/nonexistent");
	runtime_slot_cmds(&rt, &rt.slots[0], b);
	ok(b->ncmds == 1, "one command");
	is_str(b->cmds[0].line, "set server be/node1 weight 20",
	    "set server weight N");
	hap_batch_free(b);

	set.servers[0].weight = EP2D_WEIGHT_ZERO;
	runtime_plan(&rt, &set, 101);
	b = hap_batch_new("/nonexistent");
	runtime_slot_cmds(&rt, &rt.slots[0], b);
	is_str(b->ncmds == 1 ? b->cmds[0].line : "", "set server be/node1 "
	    "weight 0", "drained: weight 0");
	hap_batch_free(b);

	set.servers[0].weight = 0;
	runtime_plan(&rt, &set, 102);
	b = hap_batch_new("/nonexistent");
	runtime_slot_cmds(&rt, &rt.slots[0], b);
	is_str(b->ncmds == 1 ? b->cmds[0].line : "", "set server be/node1 "
	    "weight 100%", "back to the default: the file's weight");
	hap_batch_free(b);

	r = runtime_plan(&rt, &set, 103);
	for (i = 0; i < rt.nslots; i++)
		if (rt.slots[i].todo != 0)
			r = -1;
	ok(r == 0, "the same weight: nothing to do");
	set_free(&set);
	set_free(&rt.queued);
	free(rt.slots);
}

int
main(void)
{
	test_plan();
	test_reconcile();
	test_ctl();
	test_weights();
	config_free(conf);
	return (done_testing());
}
