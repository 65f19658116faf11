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
 * The control socket as a client sees it: the bytes given are written
 * to a real connection of control.c (in this process, on its event
 * loop) and the loop runs until ep2d has answered or closed.  Whatever
 * a local client sends, control.c answers or hangs up; it never
 * crashes.  The parent's side is stubbed with rows of every kind.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ep2d.h"
#include "log.h"
#include "fuzz.h"

size_t
parent_ctl_status(struct ctl_status **rows)
{
	if ((*rows = calloc(2, sizeof(**rows))) == NULL)
		return (0);
	strlcpy((*rows)[0].backend, "haproxynode", sizeof((*rows)[0].backend));
	strlcpy((*rows)[1].backend, "api", sizeof((*rows)[1].backend));
	return (2);
}

size_t
parent_ctl_slots(struct ctl_slot **rows)
{
	if ((*rows = calloc(3, sizeof(**rows))) == NULL)
		return (0);
	strlcpy((*rows)[0].name, "node1", sizeof((*rows)[0].name));
	strlcpy((*rows)[0].host, "10.0.0.1", sizeof((*rows)[0].host));
	return (3);
}

size_t
parent_ctl_backends(struct ctl_backend **rows)
{
	*rows = calloc(1, sizeof(**rows));
	return (*rows == NULL ? 0 : 1);
}

char *
parent_ctl_metrics(size_t *len)
{
	char	*s = strdup("ep2d_up 1\n");

	*len = s == NULL ? 0 : strlen(s);
	return (s);
}

int
parent_ctl_reload(char *err, size_t len)
{
	return (0);
}

int
parent_ctl_sync(char *err, size_t len)
{
	strlcpy(err, "no source", len);
	return (-1);
}

void
parent_ctl_verbose(int v)
{
}

static char	 sockpath[64];

static void
fuzz_cleanup(void)
{
	unlink(sockpath);
}

static int
fuzz_init(void)
{
	fuzz_log_init();
	log_quiet(1);
	event_init();
	snprintf(sockpath, sizeof(sockpath), "/tmp/ep2d-fuzz-ctl.%d.sock",
	    (int)getpid());
	if (control_init(sockpath, (gid_t)-1) == -1 || control_listen() == -1)
		abort();
	atexit(fuzz_cleanup);
	return (1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int		 init;
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	char			 buf[65536];
	size_t			 off = 0;
	ssize_t			 n;
	int			 s, rounds;

	if (!init)
		init = fuzz_init();
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return (0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, sockpath, sizeof(sun.sun_path));
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(s);
		return (0);
	}
	/* feed, let control.c read and answer, until it is done with us */
	for (rounds = 0; rounds < 200; rounds++) {
		if (off < len) {
			n = write(s, data + off, len - off);
			if (n > 0)
				off += n;
			if (off == len)
				shutdown(s, SHUT_WR);
		} else if (len == 0 && rounds == 0)
			shutdown(s, SHUT_WR);
		event_loop(EVLOOP_NONBLOCK);
		pfd.fd = s;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 1) {
			n = read(s, buf, sizeof(buf));
			if (n == 0 || (n == -1 && errno != EAGAIN))
				break;
		}
	}
	close(s);
	event_loop(EVLOOP_NONBLOCK);
	return (0);
}
