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
 * systemd's service notification (sd_notify(3)) for the parent: one
 * datagram of "KEY=VALUE" lines to the AF_UNIX socket named by
 * NOTIFY_SOCKET ("@name" for the abstract namespace).  Written here so
 * that the parent does not load libsystemd and its libraries for it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify.h"

/* 0: sent or nobody listens (no NOTIFY_SOCKET); -1: failed (errno) */
int
notify_send(const char *fmt, ...)
{
	struct sockaddr_un	 sun;
	const char		*path;
	char			 msg[1024];
	va_list			 ap;
	socklen_t		 len;
	size_t			 plen;
	ssize_t			 n;
	int			 fd, save;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || *path == '\0')
		return (0);
	if ((path[0] != '/' && path[0] != '@') ||
	    (plen = strlen(path)) >= sizeof(sun.sun_path)) {
		errno = EINVAL;
		return (-1);
	}
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg)) {
		errno = EMSGSIZE;
		return (-1);
	}

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	len = offsetof(struct sockaddr_un, sun_path) + plen;
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract: no terminating NUL */
	else
		len++;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len);
	save = errno;
	close(fd);
	errno = save;
	return (n == -1 ? -1 : 0);
}

/*
 * systemd's watchdog: 1 and the interval in microseconds when systemd
 * expects WATCHDOG=1 from this process, 0 when not.
 */
int
notify_watchdog(uint64_t *usec)
{
	const char	*s, *p;
	char		*end;
	unsigned long long v;

	if ((s = getenv("WATCHDOG_USEC")) == NULL || *s == '\0')
		return (0);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return (0);
	if ((p = getenv("WATCHDOG_PID")) != NULL && *p != '\0' &&
	    strtol(p, NULL, 10) != (long)getpid())
		return (0);
	*usec = v;
	return (1);
}
