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
 * update_by_runtime: the backend holds a number of slots (servers
 * "node1" ... "nodeN" in haproxy.cfg); a server keeps its slot while it
 * lives.  runtime_plan.c holds the slots and plans the commands, with
 * no I/O; runtime.c sends them and polls HAProxy, in the event loop.
 * The owner (engine.c) is told what happens through struct runtime_cbs.
 */

#ifndef EP2D_RUNTIME_H
#define EP2D_RUNTIME_H

#include <time.h>

#include <event.h>

#include "haproxy.h"

#define RUNTIME_NEED_RELOAD	1
#define RUNTIME_PENDING		2	/* finishes later: cbs->done */

#define RUNTIME_POLL_FAST_MS	100	/* while a slot warms up or drains */
#define RUNTIME_POLL_SLOW_MS	2000	/* no pid file watch: restarts */
#define RUNTIME_POKE_MS		3000	/* HAProxy restarted: watch it */

enum rt_state {
	RT_FREE,		/* maint, no server; rendered disabled */
	RT_WARM,		/* filled, weight 0 until a check passes */
	RT_READY,		/* taking traffic; rendered with its server */
	RT_DRAIN		/* left the set; waits for its sessions */
};

/* what the next batch must do to a slot */
#define RT_TODO_FILL	0x01	/* maint, addr, weight 0, ready, down */
#define RT_TODO_DRAIN	0x02
#define RT_TODO_MAINT	0x04
#define RT_TODO_READY	0x08	/* back from drain */
#define RT_TODO_WEIGHT	0x10	/* the orchestrator's weight changed */

struct rt_slot {
	char		 name[32];	/* "node1" ...: stable */
	struct server	 srv;		/* unless RT_FREE */
	enum rt_state	 state;
	int		 todo;
	time_t		 drain_start;
	uint32_t	 sessions;	/* all sockets, last poll */
	uint32_t	 warm;		/* bit per socket: weight restored */
	int		 maint_seen;	/* haproxy said MAINT, last poll */
};

struct rt_sock {
	long		 pid;		/* from show info; 0: unknown */
	long long	 start_time;
	int		 down;		/* last attempt failed (logged) */
	struct hap_batch *b;
};

enum rt_op {
	RT_OP_NONE,
	RT_OP_APPLY,		/* the owner waits: cbs->done */
	RT_OP_POLL,		/* show info, servers state, stat */
	RT_OP_FIX		/* commands from a poll */
};

struct runtime;

/*
 * What a runtime tells its owner: the end of a RUNTIME_PENDING apply
 * (done: 0, RUNTIME_NEED_RELOAD or -1), and "the slots changed on
 * their own" (a drained server left its slot: the owner renders the
 * file again so that the disk follows).  connect makes the stream
 * socket to HAProxy (NULL: connect(2) here; the parent's filter
 * refuses stream sockets and has the connector make them).
 */
struct runtime_cbs {
	void	(*done)(struct runtime *, int);
	void	(*changed)(struct runtime *);
	int	(*connect)(const char *, int *);
};

struct runtime {
	const struct backend_conf *be;		/* be->conf: the shared keys */
	const struct runtime_cbs *cbs;
	struct rt_slot		*slots;
	size_t			 nslots;
	size_t			 live_nslots;	/* what haproxy was loaded with */
	struct rt_sock		 socks[EP2D_MAX_SOCKETS];
	int			 nsocks;

	enum rt_op		 op;
	int			 nwait;		/* batches in flight */
	int			 failed;	/* in this op */
	unsigned int		 gen;		/* bumped at each reload */
	unsigned int		 op_gen;
	size_t			 op_ncmds;	/* for the log */
	struct timespec		 op_start;
	int			 changed;	/* rendering changed on its own */
	int			 want_reload;
	int			 fix_failing;	/* logged once */

	struct server_set	 queued;	/* apply asked while busy */
	int			 have_queued;
	int			 poll_cut;	/* the last poll gave way */

	struct event		 timer;
	int			 timer_init;
	int			 started;	/* bootstrapped */
	struct timespec		 poke_until;	/* poll fast until then */
};

/*
 * runtime_plan.c: the slots and the plan, no I/O.
 * runtime_init: once at start; the backend stays valid (the parent's,
 * updated in place), cbs too (they are called by runtime.c only).
 */
void	 runtime_init(struct runtime *, const struct backend_conf *,
	    const struct runtime_cbs *);
/* SIGHUP: the backend changed in place (node_slots, drain_timeout...) */
void	 runtime_reconf(struct runtime *, const struct backend_conf *);
/* the first set's slots: slotof[i] the last file's slot of server i */
void	 runtime_assign(struct runtime *, const struct server_set *,
	    ssize_t *, size_t);
/* malloc'd slot list for template_render (the caller frees the array) */
void	 runtime_slots(struct runtime *, struct tmpl_slot **, size_t *);
size_t	 runtime_nslots(const struct runtime *);
size_t	 runtime_ndraining(const struct runtime *);
/* malloc'd rows for ep2ctl show slots; returns the count */
size_t	 runtime_ctl_slots(struct runtime *, struct ctl_slot **);
int	 runtime_plan(struct runtime *, const struct server_set *, time_t);
size_t	 runtime_grow_count(size_t, size_t, int, int);
int	 runtime_slot_cmds(struct runtime *, struct rt_slot *,
	    struct hap_batch *);
int	 runtime_reconcile(struct runtime *, int, const struct hap_srv *,
	    size_t, struct hap_batch *);
void	 runtime_drain_check(struct runtime *, time_t);
const struct hap_srv **runtime_index(struct runtime *,
	    const struct hap_srv *, size_t);

/* runtime.c: talking to HAProxy */
/* first set, before the first render: assign slots, nothing sent */
void	 runtime_bootstrap(struct runtime *, const struct server_set *);
/*
 * 0 applied over every socket, RUNTIME_NEED_RELOAD, -1 (failed), or
 * RUNTIME_PENDING: the work goes on in the event loop and ends with
 * exactly one call of cbs->done(0 | RUNTIME_NEED_RELOAD | -1).
 */
int	 runtime_apply(struct runtime *, const struct server_set *);
/* HAProxy was (re)started from the rendered file by us */
void	 runtime_reloaded(struct runtime *);
/* HAProxy's pid file was written: it may have restarted */
void	 runtime_poke(struct runtime *);
/* 1: runtime_poke() will be called; polls only while something is on */
void	 runtime_watched(int);

#endif /* EP2D_RUNTIME_H */
