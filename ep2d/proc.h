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

#ifndef EP2D_PROC_H
#define EP2D_PROC_H

#include <sys/types.h>

#include <event.h>

#include "imsg.h"

/* An imsg channel driven by libevent, as relayd's struct imsgev. */
struct imsgev {
	struct imsgbuf	 ibuf;
	struct event	 ev;
	struct event	 ev_flush;	/* the queue, once this pass is over */
	short		 events;
	void		(*handler)(int, short, void *);
	const char	*peer;		/* name of the other end */
};

int	 imsgev_init(struct imsgev *, int, const char *,
	    void (*)(int, short, void *), void *);
void	 imsgev_add(struct imsgev *);
void	 proc_log_held(void);
int	 imsgev_compose(struct imsgev *, uint32_t, uint32_t, int,
	    const void *, size_t);
int	 imsgev_dispatch_io(struct imsgev *, short);
void	 imsgev_clear(struct imsgev *);
void	 imsgev_dispatch_shared(struct imsg *, const char *);

/* What a process of ours runs. */
enum proc_prog {
	PROC_PROG_EP2D,		/* ep2d itself (with -P NAME, a child) */
	PROC_PROG_FETCHER,	/* ep2d-fetcher -P NAME */
	PROC_PROG_FORK,		/* nothing: a fork, a helper (proc_helper) */
};

/*
 * A process of ep2d, as relayd's struct privsep_proc: one table
 * (ep2d.c) has them all, in the order of enum ep2d_proc, and each
 * process reads it for the processes it starts.  What is after
 * dispatch is state, in the process that started this one.
 */
struct proc {
	const char	*title;		/* -P NAME, the title, the log's name */
	enum ep2d_proc	 id;
	enum ep2d_proc	 parent;	/* who starts it and reaps it */
	enum proc_prog	 prog;
	/*
	 * The parent's handler of the child's messages; NULL for a helper,
	 * whose pair is read only for the answer to a request.
	 */
	void		(*dispatch)(struct imsg *);
	pid_t		 pid;		/* 0: not running, or not ours */
	struct imsgev	 iev;		/* with dispatch: the channel */
};

void	 proc_init(struct proc *, size_t);
struct proc *proc_get(enum ep2d_proc);
const char *proc_name(enum ep2d_proc);
pid_t	 proc_pid(enum ep2d_proc);
pid_t	 proc_spawn(const char *, enum ep2d_proc, int, int, int);
pid_t	 proc_helper(enum ep2d_proc, int *);
int	 proc_reap(void);
int	 proc_gone(enum ep2d_proc);
void	 proc_wait(enum ep2d_proc);
int	 proc_self_exe(char *, size_t);
int	 proc_check(const char *);

#endif /* EP2D_PROC_H */
