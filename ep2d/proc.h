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
	short		 events;
	void		(*handler)(int, short, void *);
	const char	*peer;		/* name of the other end */
};

int	 imsgev_init(struct imsgev *, int, const char *,
	    void (*)(int, short, void *), void *);
void	 imsgev_add(struct imsgev *);
int	 imsgev_compose(struct imsgev *, uint32_t, uint32_t, int,
	    const void *, size_t);
int	 imsgev_dispatch_io(struct imsgev *, short);
void	 imsgev_clear(struct imsgev *);
void	 imsgev_dispatch_shared(struct imsg *, const char *);

const char *proc_name(int);
pid_t	 proc_spawn(const char *, int, int, int, int);
pid_t	 proc_helper(const char *, int *);
int	 proc_self_exe(char *, size_t);
int	 proc_check(const char *);

#endif /* EP2D_PROC_H */
