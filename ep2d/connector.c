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
 * start, by index, and to nothing else.  They speak imsg on their
 * SOCK_SEQPACKET pair: a request is a 4-byte index, its answer an
 * errno value with the connected descriptor.  Each request has one
 * answer, a refusal included, so that the parent, which waits for it,
 * stays in step.  The connector parses nothing else and runs under an
 * allow-list of its own.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ep2d.h"
#include "imsg.h"
#include "log.h"
#include "proc.h"

/* The connector's messages, on its pair only. */
enum conn_imsg {
	IMSG_CONN_REQUEST = 1,		/* uint32_t index into paths */
	IMSG_CONN_ANSWER,		/* int32_t errno; fd: the socket */
};

static char	 paths[EP2D_MAX_SOCKETS][EP2D_SOCKPATH_MAX];
static size_t	 npaths;
static struct imsgbuf conn_ibuf;	/* the parent's end */
static int	 conn_fd = -1;

static int	 conn_request(struct imsg *, int *);
static int	 conn_answer(struct imsg *, int *);

/*
 * What to answer a request: 0 or EINPROGRESS with a socket in *sp, or
 * why not.  A malformed request is refused with a line; the answer
 * says EBADMSG.
 */
static int
conn_request(struct imsg *imsg, int *sp)
{
	struct sockaddr_un	 sun;
	uint32_t		 idx;
	int			 fd, s, err = 0;

	*sp = -1;
	if ((fd = imsg_get_fd(imsg)) != -1) {
		close(fd);
		log_warnx("connector: a request with a descriptor; refused");
		return (EBADMSG);
	}
	if (imsg_get_type(imsg) != IMSG_CONN_REQUEST) {
		log_warnx("connector: a message of unknown type (imsg %u); "
		    "refused", imsg_get_type(imsg));
		return (EBADMSG);
	}
	if (imsg_get_data(imsg, &idx, sizeof(idx)) == -1) {
		log_warnx("connector: a request of %zu bytes, not %zu; "
		    "refused", imsg_get_len(imsg), sizeof(idx));
		return (EBADMSG);
	}
	if (idx >= npaths) {
		log_warnx("connector: socket %u unknown; refused", idx);
		return (EPERM);
	}

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, paths[idx], sizeof(sun.sun_path));
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return (errno);
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		err = errno;
		if (err != EINPROGRESS) {
			close(s);
			return (err);
		}
	}
	*sp = s;
	return (err);
}

/*
 * The connector's loop, on its end of the pair: every message read is
 * answered, once.  The parent closing its end ends it.
 */
void
connector_serve(int fd)
{
	struct imsgbuf	 ibuf;
	struct imsg	 imsg;
	ssize_t		 n;
	int32_t		 err;
	int		 s;

	if (imsgbuf_init(&ibuf, fd) == -1)
		fatal("connector: imsgbuf_init");
	/* a descriptor sent along is taken, to be closed and refused */
	imsgbuf_allow_fdpass(&ibuf);
	for (;;) {
		switch (imsgbuf_read(&ibuf)) {
		case -1:
			fatal("connector: read");
		case 0:
			_exit(0);	/* the parent is gone */
		}
		for (;;) {
			if ((n = imsg_get(&ibuf, &imsg)) == -1)
				fatal("connector: imsg_get");
			if (n == 0)
				break;
			err = conn_request(&imsg, &s);
			imsg_free(&imsg);
			/* the socket is imsg's to close once sent */
			if (imsg_compose(&ibuf, IMSG_CONN_ANSWER, 0, 0, s,
			    &err, sizeof(err)) == -1)
				fatal("connector: imsg_compose");
			if (imsgbuf_flush(&ibuf) == -1)
				_exit(0);
		}
	}
}

/*
 * Fork the connector with the runtime sockets, which every backend
 * shares.  Called by the parent before its sandbox closes.  Every
 * descriptor the parent holds is closed in the child but its end of
 * the pair.
 */
int
connector_start(const struct ep2_conf *conf)
{
	int	 cfd, k;
	size_t	 j;
	pid_t	 pid;

	npaths = 0;
	for (k = 0; k < conf->run.nsockets; k++) {
		for (j = 0; j < npaths; j++)
			if (strcmp(paths[j], conf->run.sockets[k]) == 0)
				break;
		if (j < npaths || npaths >= sizeof(paths) / sizeof(paths[0]))
			continue;
		strlcpy(paths[npaths++], conf->run.sockets[k],
		    sizeof(paths[0]));
	}

	if ((pid = proc_helper(PROC_CONNECTOR, &cfd)) == -1)
		return (-1);
	if (pid > 0)
		return (connector_attach(cfd));

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

/* The parent's end of the pair to the connector. */
int
connector_attach(int fd)
{
	if (imsgbuf_init(&conn_ibuf, fd) == -1) {
		log_warn("connector: imsgbuf_init");
		close(fd);
		return (-1);
	}
	/* the connected sockets */
	imsgbuf_allow_fdpass(&conn_ibuf);
	conn_fd = fd;
	return (0);
}

pid_t
connector_pid(void)
{
	pid_t	 pid;

	return ((pid = proc_pid(PROC_CONNECTOR)) > 0 ? pid : -1);
}

/* Parent's exit: the connector ends with its end of the pair. */
void
connector_stop(void)
{
	if (conn_fd != -1) {
		imsgbuf_clear(&conn_ibuf);
		close(conn_fd);
	}
	conn_fd = -1;
	proc_wait(PROC_CONNECTOR);
}

/*
 * The answer to a request: 0 with the socket in *fdp, or -1 and errno
 * (EINPROGRESS with the socket: connecting).  A malformed answer, or a
 * descriptor where none belongs, is refused with a line (EBADMSG); a
 * success without its socket is EMFILE, the likely reason being that
 * this end had no descriptor left to receive it.
 */
static int
conn_answer(struct imsg *imsg, int *fdp)
{
	int32_t		 err;
	int		 fd;

	fd = imsg_get_fd(imsg);
	if (imsg_get_type(imsg) != IMSG_CONN_ANSWER) {
		log_warnx("connector: a message of unknown type (imsg %u); "
		    "refused", imsg_get_type(imsg));
		goto refused;
	}
	if (imsg_get_data(imsg, &err, sizeof(err)) == -1) {
		log_warnx("connector: an answer of %zu bytes, not %zu; "
		    "refused", imsg_get_len(imsg), sizeof(err));
		goto refused;
	}
	if (err < 0) {
		log_warnx("connector: an answer with error %d; refused",
		    (int)err);
		goto refused;
	}
	if (err != 0 && err != EINPROGRESS) {
		if (fd != -1) {
			log_warnx("connector: a failure (%s) with a "
			    "descriptor; refused", strerror(err));
			goto refused;
		}
		errno = err;
		return (-1);
	}
	if (fd == -1) {
		log_warnx("connector: an answer without its socket; refused");
		errno = EMFILE;
		return (-1);
	}
	*fdp = fd;
	if (err == EINPROGRESS) {
		errno = EINPROGRESS;
		return (-1);
	}
	return (0);

 refused:
	if (fd != -1)
		close(fd);
	errno = EBADMSG;
	return (-1);
}

/*
 * The parent's side, for hap_connect(): a stream socket connected (or
 * connecting) to path, as socket(2) and connect(2) would give it: 0 and
 * *fdp, or -1 with errno (EINPROGRESS with *fdp set: connecting).  A
 * path the configuration did not name at start is refused with EPERM:
 * the connector knows only those.  The parent waits: the first message
 * after the request is its answer, read in blocking reads of one
 * record each, and the connector connects without waiting itself.
 */
int
connector_connect(const char *path, int *fdp)
{
	struct imsg	 imsg;
	uint32_t	 idx;
	ssize_t		 n;
	int		 r, saved;

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

	/* an answer to nothing, read with an earlier one, is not this one */
	while ((n = imsg_get(&conn_ibuf, &imsg)) > 0) {
		log_warnx("connector: a message nobody asked for (imsg %u); "
		    "dropped", imsg_get_type(&imsg));
		imsg_free(&imsg);
	}
	if (n == -1)
		fatal("connector: imsg_get");

	if (imsg_compose(&conn_ibuf, IMSG_CONN_REQUEST, 0, 0, -1, &idx,
	    sizeof(idx)) == -1) {
		log_warn("connector: imsg_compose");
		return (-1);
	}
	if (imsgbuf_flush(&conn_ibuf) == -1)
		goto gone;
	while ((n = imsg_get(&conn_ibuf, &imsg)) == 0)
		if (imsgbuf_read(&conn_ibuf) != 1)
			goto gone;
	if (n == -1)
		fatal("connector: imsg_get");
	r = conn_answer(&imsg, fdp);
	saved = errno;
	imsg_free(&imsg);
	errno = saved;
	return (r);

 gone:
	/* SIGCHLD brings the parent's report and its exit */
	log_warnx("connector: gone");
	errno = EPIPE;
	return (-1);
}
