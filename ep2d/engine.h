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
 * The parent's apply engine (engine.c) and its metrics (metrics.c).
 * ep2d.c hands the engine the fetcher's messages and the reloader's
 * results; the engine owns one struct pbackend per backend and the
 * state of the apply under way.  metrics.c reads that state, never
 * writes it.
 */

#ifndef EP2D_ENGINE_H
#define EP2D_ENGINE_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include <event.h>

#include "imsg.h"
#include "runtime.h"

#define METRICS_NBUCKETS	13	/* apply latency histogram */

enum apply_state {
	AP_IDLE,
	AP_CHECKING,		/* haproxy -c on CFG.new */
	AP_RELOADING,		/* start or reload asked */
	AP_RUNTIME		/* runtime_apply still at work */
};

/* One backend: backend 0 is [haproxy], i > 0 [backend NAME]. */
struct pbackend {
	uint32_t		 idx;
	const struct backend_conf *conf;	/* e.conf->backends[idx] */
	struct server_set	 wanted;
	int			 have_wanted;
	struct server_set	 applying;
	struct server_set	 applied;
	struct source_state	 source;
	struct runtime		 rt;
	int			 rt_pending;	/* runtime_apply at work */
	int			 rt_result;
	int			 empty_kept;	/* keep_on_empty said so */
	uint32_t		 napplied;
	int64_t			 last_change;

	/* metrics */
	uint64_t		 source_errors;	/* failed fetches */
	int			 pending;	/* wanted not applied yet */
	struct timespec		 pending_since;
	uint64_t		 hist[METRICS_NBUCKETS];
	double			 hist_sum;
	uint64_t		 hist_count;
};

/* the fetcher's messages that fit nowhere, by kind */
enum stray {
	STRAY_SERVER,
	STRAY_END,
	STRAY_UNKNOWN,
	STRAY_MAX
};

struct engine {
	const struct ep2_conf	*conf;		/* the parent's */
	const char		*tmpl;		/* the parent's template */
	size_t			 tmpllen;

	/* the fetcher's answer, arriving */
	struct server_set	 incoming;
	uint32_t		 incoming_be;
	uint32_t		 incoming_gen;
	uint32_t		 incoming_count;
	struct refused		 incoming_bad;	/* servers refused */
	int			 incoming_open;
	uint64_t		 stray[STRAY_MAX]; /* out of place, unknown */

	/* the backends */
	struct pbackend		*be;		/* nbe of them */
	int			 nbe;
	int			 nrt_pending;	/* runtime applies at work */
	int			 conf_dirty;	/* SIGHUP: config mode reloads */
	struct event		 ev_coalesce;
	int			 coalescing;
	struct event		 ev_follow;	/* the file after runtime */
	int			 following;
	struct event		 ev_boot;
	int			 boot_waiting;
	uint64_t		 applies_reload;
	uint64_t		 applies_runtime;
	uint64_t		 apply_failures;

	enum apply_state	 ap_state;
	int			 ap_pending;	/* apply again when idle */
	int			 ap_force;	/* reload even if unchanged */
	int			 ap_force_next;	/* asked during an apply */
	int			 bootstrapped;
	int			 was_running;
	int64_t			 last_apply;
	int			 apply_ok;
	char			 apply_how[16];
	char			 apply_error[EP2D_ERR_MAX];
	uint32_t		 napplied;
};

/*
 * engine.c.  conf and the template stay the parent's: SIGHUP replaces
 * them in place (conf, config_replace) or hands the new one
 * (engine_reconf); connect
 * makes the runtime sockets' connections (the connector).
 */
void	 engine_init(const struct ep2_conf *, const char *, size_t,
	    int (*)(const char *, int *));
int	 engine_reconf_check(const struct ep2_conf *, const char *, size_t);
void	 engine_reconf(const char *, size_t);
void	 engine_apply(void);
void	 engine_from_fetcher(struct imsg *);
void	 engine_result(struct haproxy_result *);
const struct engine *engine_state(void);
int	 be_runtime(const struct pbackend *);

/* hookwatch.c: the fetcher's lifecycle watches (IMSG_HOOK_WATCH) */
void	 hookwatch_msg(struct imsg *);

/* metrics.c */
extern const double	 metrics_le[METRICS_NBUCKETS - 1];
void	 metrics_file_init(const struct ep2_conf *);
void	 metrics_file_write(void);

#endif /* EP2D_ENGINE_H */
