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
 * The parent learns that HAProxy started or reloaded from its pid file:
 * HAProxy writes it anew (a new file) at every start and every reload,
 * by whoever does it (ep2d, systemctl, an operator).  Watching the
 * file's directory with inotify lets update_by_runtime poll HAProxy
 * only then, instead of every few seconds just in case: while nothing
 * changes, the parent sleeps.
 *
 * The watch is set up before the sandbox closes; afterwards only its
 * descriptor is read.
 */

#include <sys/types.h>
#include <sys/inotify.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "log.h"
#include "hapwatch.h"

#define HAPWATCH_MASK	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | \
			    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

static struct {
	int		 fd;
	struct event	 ev;
	char		 base[NAME_MAX + 1];
	void		(*cb)(void);
	int		 on;
} hw;

static void	 hapwatch_read(int, short, void *);

/* 0 and the watch set, or -1 (the caller polls instead) */
int
hapwatch_init(const char *pidfile, void (*cb)(void))
{
	char		 dir[PATH_MAX];
	const char	*slash;

	if (pidfile[0] != '/' || (slash = strrchr(pidfile, '/')) == NULL ||
	    slash[1] == '\0' || strlen(slash + 1) >= sizeof(hw.base))
		return (-1);
	if (slash == pidfile)
		strlcpy(dir, "/", sizeof(dir));
	else if ((size_t)(slash - pidfile) >= sizeof(dir))
		return (-1);
	else {
		memcpy(dir, pidfile, slash - pidfile);
		dir[slash - pidfile] = '\0';
	}
	if ((hw.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("pid_file watch: inotify_init1");
		return (-1);
	}
	if (inotify_add_watch(hw.fd, dir, HAPWATCH_MASK) == -1) {
		log_warn("pid_file watch: %s", dir);
		close(hw.fd);
		return (-1);
	}
	strlcpy(hw.base, slash + 1, sizeof(hw.base));
	hw.cb = cb;
	event_set(&hw.ev, hw.fd, EV_READ | EV_PERSIST, hapwatch_read, NULL);
	if (event_add(&hw.ev, NULL) == -1) {
		close(hw.fd);
		return (-1);
	}
	hw.on = 1;
	return (0);
}

int
hapwatch_active(void)
{
	return (hw.on);
}

static void
hapwatch_read(int fd, short event, void *arg)
{
	struct inotify_event	*ie;
	char			 buf[4096]
	    __attribute__((__aligned__(__alignof__(struct inotify_event))));
	ssize_t			 n;
	char			*p;
	int			 moved = 0, gone = 0;

	for (;;) {
		if ((n = read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("pid_file watch");
			break;
		}
		if (n == 0)
			break;
		for (p = buf; p < buf + n; p += sizeof(*ie) + ie->len) {
			ie = (struct inotify_event *)p;
			if (ie->mask & IN_Q_OVERFLOW)
				moved = 1;
			else if (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF |
			    IN_IGNORED | IN_UNMOUNT))
				gone = 1;
			else if (ie->len > 0 && strcmp(ie->name, hw.base) == 0)
				moved = 1;
		}
	}
	if (gone) {
		/* the directory went: back to polling */
		log_warnx("pid_file watch: its directory was removed or "
		    "moved; HAProxy restarts are found by polling now");
		event_del(&hw.ev);
		close(hw.fd);
		hw.on = 0;
	}
	if (moved || gone)
		hw.cb();
}
