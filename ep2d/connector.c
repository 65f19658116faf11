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
 * The connector: the parent's only way to a stream socket.  Which unix
 * socket a process connects to is beyond seccomp (the path is behind a
 * pointer) and beyond Landlock as Linux has it, so the parent's filter
 * refuses stream sockets altogether, and this small child of the
 * parent, forked before the parent's sandbox closes, connects for it:
 * to HAProxy's runtime sockets as the configuration named them at
 * start, by index, and to nothing else.  A request is a 4-byte index
 * on a SOCK_SEQPACKET pair; the answer an errno value, the connected
 * descriptor riding along (SCM_RIGHTS).  The connector parses nothing
 * else and runs under an allow-list of its own.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ep2d.h"
#include "log.h"
#include "proc.h"

struct conn_res {
	int32_t		 err;		/* 0, EINPROGRESS or the failure */
};

/* One answer on the wire: conn_res, a descriptor riding along. */
struct conn_msg {
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}		 cmsg;
};

static void
conn_msg_init(struct conn_msg *m, struct conn_res *res, int withfd)
{
	memset(m, 0, sizeof(*m));
	m->iov.iov_base = res;
	m->iov.iov_len = sizeof(*res);
	m->msg.msg_iov = &m->iov;
	m->msg.msg_iovlen = 1;
	if (withfd) {
		m->msg.msg_control = m->cmsg.buf;
		m->msg.msg_controllen = sizeof(m->cmsg.buf);
	}
}

static char	 paths[EP2D_MAX_SOCKETS * EP2D_MAX_BACKENDS][EP2D_SOCKPATH_MAX];
static size_t	 npaths;
static int	 conn_fd = -1;		/* the parent's end */
static pid_t	 conn_pid = -1;

static void	 connector_serve(int) __attribute__((__noreturn__));

static void
connector_serve(int fd)
{
	struct sockaddr_un	 sun;
	struct conn_res		 res;
	struct conn_msg		 m;
	struct cmsghdr		*cmsg;
	uint32_t		 idx;
	ssize_t			 n;
	int			 s;

	for (;;) {
		n = recv(fd, &idx, sizeof(idx), MSG_TRUNC);
		if (n == 0)
			_exit(0);	/* the parent is gone */
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("connector: recv");
		}
		if ((size_t)n != sizeof(idx))
			fatalx("connector: request of %zd bytes", n);
		if (idx >= npaths)
			fatalx("connector: socket %u unknown", idx);

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, paths[idx], sizeof(sun.sun_path));
		res.err = 0;
		if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1)
			res.err = errno;
		else if (connect(s, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1) {
			res.err = errno;
			if (res.err != EINPROGRESS) {
				close(s);
				s = -1;
			}
		}

		conn_msg_init(&m, &res, s != -1);
		if (s != -1) {
			cmsg = CMSG_FIRSTHDR(&m.msg);
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cmsg), &s, sizeof(int));
		}
		if (sendmsg(fd, &m.msg, MSG_NOSIGNAL) == -1)
			_exit(0);
		if (s != -1)
			close(s);
	}
}

/*
 * Fork the connector with the runtime sockets of every backend.  Called
 * by the parent before its sandbox closes.  Every descriptor the parent
 * holds is closed in the child but its end of the pair.
 */
int
connector_start(const struct ep2_conf *const *confs, int nconfs)
{
	int	 cfd, i, k;
	size_t	 j;
	pid_t	 pid;

	npaths = 0;
	for (i = 0; i < nconfs; i++)
		for (k = 0; k < confs[i]->nsockets; k++) {
			for (j = 0; j < npaths; j++)
				if (strcmp(paths[j], confs[i]->sockets[k]) == 0)
					break;
			if (j < npaths || npaths >= sizeof(paths) /
			    sizeof(paths[0]))
				continue;
			strlcpy(paths[npaths++], confs[i]->sockets[k],
			    sizeof(paths[0]));
		}

	if ((pid = proc_helper("connector", &cfd)) == -1)
		return (-1);
	if (pid > 0) {
		conn_fd = cfd;
		conn_pid = pid;
		return (0);
	}

	/* the connector: nothing of the parent's but the pair, on fd 3 */
	closelog();		/* its descriptor goes too; reopened on use */
	if (cfd != 3) {
		if (dup2(cfd, 3) == -1)
			fatal("connector: dup2");
		cfd = 3;
	}
	closefrom(4);
	if (sandbox_connector() == -1)
		fatalx("connector: sandbox");
	connector_serve(cfd);
}

pid_t
connector_pid(void)
{
	return (conn_pid);
}

/* Parent's exit: the connector ends with its end of the pair. */
void
connector_stop(void)
{
	if (conn_fd != -1)
		close(conn_fd);
	conn_fd = -1;
	if (conn_pid > 0)
		(void)waitpid(conn_pid, NULL, 0);
	conn_pid = -1;
}

/*
 * The parent's side, for hap_connect(): a stream socket connected (or
 * connecting) to path, as socket(2) and connect(2) would give it: 0 and
 * *fdp, or -1 with errno (EINPROGRESS with *fdp set: connecting).  A
 * path the configuration did not name at start is refused with EPERM:
 * the connector knows only those.
 */
int
connector_connect(const char *path, int *fdp)
{
	struct conn_res		 res;
	struct conn_msg		 m;
	struct cmsghdr		*cmsg;
	uint32_t		 idx;
	ssize_t			 n;
	int			 fd = -1;

	*fdp = -1;
	if (conn_fd == -1)
		goto gone;
	for (idx = 0; idx < npaths; idx++)
		if (strcmp(paths[idx], path) == 0)
			break;
	if (idx == npaths) {
		/* a SIGHUP cannot add one: reconf_pin() keeps them */
		errno = EPERM;
		return (-1);
	}
	if (send(conn_fd, &idx, sizeof(idx), MSG_NOSIGNAL) != sizeof(idx))
		goto gone;
	conn_msg_init(&m, &res, 1);
	do {
		n = recvmsg(conn_fd, &m.msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n <= 0)
		goto gone;
	if ((size_t)n != sizeof(res) || (m.msg.msg_flags & MSG_TRUNC))
		fatalx("connector: bad answer");
	if (m.msg.msg_flags & MSG_CTRUNC) {
		/* the descriptor did not fit: out of descriptors here */
		errno = EMFILE;
		return (-1);
	}
	for (cmsg = CMSG_FIRSTHDR(&m.msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&m.msg, cmsg))
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS &&
		    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	if (res.err != 0 && res.err != EINPROGRESS) {
		if (fd != -1)
			close(fd);
		errno = res.err;
		return (-1);
	}
	if (fd == -1)
		fatalx("connector: answer without a socket");
	*fdp = fd;
	if (res.err == EINPROGRESS) {
		errno = EINPROGRESS;
		return (-1);
	}
	return (0);

 gone:
	/* SIGCHLD brings the parent's report and its exit */
	log_warnx("connector: gone");
	errno = EPIPE;
	return (-1);
}
