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
 * NOTE TO THE RUNTIME ENGINEER (from the lead): this header was put here
 * by the lead because ep2d/ep2d.c already calls these functions.  It is
 * yours: keep these prototypes (names and meaning), add whatever else
 * you need, and fill struct runtime as you like.
 */

#ifndef EP2D_RUNTIME_H
#define EP2D_RUNTIME_H

#define RUNTIME_NEED_RELOAD	1
#define RUNTIME_PENDING		2	/* finishes later: parent_runtime_done */

struct runtime {
	const struct ep2_conf	*conf;
	void			*priv;	/* replace with your real fields */
};

/* once at start; conf stays valid (the parent's copy, updated in place) */
void	 runtime_init(struct runtime *, const struct ep2_conf *);
/* SIGHUP: conf changed in place (node_slots, drain_timeout, sockets...) */
void	 runtime_reconf(struct runtime *, const struct ep2_conf *);
/* first set, before the first render: assign slots, nothing sent */
void	 runtime_bootstrap(struct runtime *, const struct server_set *);
/* malloc'd slot list for template_render (the caller frees the array) */
void	 runtime_slots(struct runtime *, struct tmpl_slot **, size_t *);
/*
 * 0 applied over every socket, RUNTIME_NEED_RELOAD, -1 (failed), or
 * RUNTIME_PENDING: the work goes on in the event loop and ends with
 * exactly one call of parent_runtime_done(0 | RUNTIME_NEED_RELOAD | -1).
 */
int	 runtime_apply(struct runtime *, const struct server_set *);
/* HAProxy was (re)started from the rendered file by us */
void	 runtime_reloaded(struct runtime *);
size_t	 runtime_nslots(struct runtime *);
/* malloc'd rows for ep2ctl show slots; returns the count */
size_t	 runtime_ctl_slots(struct runtime *, struct ctl_slot **);

/*
 * ep2d.c, for runtime.c: the end of a RUNTIME_PENDING apply; and
 * "the slots changed on their own" (a drained server left its slot):
 * the parent renders the file again so that the disk follows.
 */
void	 parent_runtime_done(int);
void	 parent_runtime_changed(void);

#endif /* EP2D_RUNTIME_H */
