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
 * The reloader: the one process that starts programs.  On a typed
 * request from the parent it has, only,
 *	haproxy -c -f CFG.new			(validate)
 *	haproxy -D -f CFG -p PID [-x SOCK -sf OLDPIDS]	(start, reload)
 * run, or systemd asked to start or reload service_name.  Every path
 * and the binary come from the run_conf the parent sent at start, and
 * from nothing later: an imsg says only what to do, never with what.
 * No shell is involved at any point.  The running itself is its
 * runner's (runner.c), forked before the reloader confines itself to an
 * allow-list: what starts HAProxy cannot wear one without HAProxy
 * wearing it too.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "log.h"
#include "proc.h"

static struct run_conf	*run;		/* of the start: the runner's */
static struct imsgev	 iev_parent;
static int		 runner_fd = -1;

static void	 reloader_dispatch_parent(int, short, void *);
static void	 reloader_sig(int, short, void *);
static void	 reloader_do(int);
static void	 reason_tidy(char *, size_t);
static char	*reason_prefix(char *);

/*
 * "[ALERT]    (1234) : text" is "[ALERT] text": the pid is of a process
 * that has exited, and the padding is for a terminal.
 */
static char *
reason_prefix(char *line)
{
	char	*e, *t;
	size_t	 n;

	if (*line != '[' || (e = strchr(line, ']')) == NULL)
		return (line);
	for (t = e + 1; *t == ' '; t++)
		;
	if (*t == '(' && (n = strspn(t + 1, "0123456789")) > 0 &&
	    strncmp(t + 1 + n, ") : ", 4) == 0)
		t += 1 + n + 4;
	else if (t == e + 1)
		return (line);
	e[1] = ' ';
	memmove(e + 2, t, strlen(t) + 1);
	return (line);
}

/*
 * HAProxy's reason on one line: its [NOTICE] lines (version, path)
 * go, the others are joined with "; ".
 */
static void
reason_tidy(char *msg, size_t msglen)
{
	char	 out[EP2D_HAPROXY_MSG_MAX];
	char	*line, *next;
	size_t	 off = 0;

	out[0] = '\0';
	for (line = msg; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0' || strncmp(line, "[NOTICE]", 8) == 0)
			continue;
		line = reason_prefix(line);
		off += snprintf(out + off, off < sizeof(out) ?
		    sizeof(out) - off : 0, "%s%s", off ? "; " : "", line);
		if (off >= sizeof(out))
			break;
	}
	strlcpy(msg, out, msglen);
}

static void
reloader_do(int cmd)
{
	struct haproxy_result	 res;
	struct runner_res	 rs;

	memset(&res, 0, sizeof(res));
	res.cmd = cmd;
	switch (cmd) {
	case IMSG_HAPROXY_CHECK:
		res.status = runner_call(RUNNER_CHECK, &rs);
		if (res.status == 0)
			rs.msg[0] = '\0';
		else
			reason_tidy(rs.msg, sizeof(rs.msg));
		break;
	case IMSG_HAPROXY_RELOAD:
		res.status = runner_call(RUNNER_APPLY, &rs);
		res.pid = rs.pid;
		/* HAProxy's ALERT lines: why it did not start */
		if (res.status != 0)
			reason_tidy(rs.msg, sizeof(rs.msg));
		break;
	default:
		fatalx("%s: unexpected command %d", __func__, cmd);
	}
	strlcpy(res.msg, rs.msg, sizeof(res.msg));
	if (res.status != 0)
		log_warnx("haproxy %s failed (status %d): %s",
		    cmd == IMSG_HAPROXY_CHECK ? "check" : "start/reload",
		    res.status, res.msg);
	if (imsgev_compose(&iev_parent, IMSG_HAPROXY_RESULT, 0, -1, &res,
	    sizeof(res)) == -1)
		fatal("%s: compose", __func__);
}

static void
reloader_dispatch_parent(int fd, short event, void *arg)
{
	struct imsg	 imsg;
	ssize_t		 n;

	if (imsgev_dispatch_io(&iev_parent, event) == -1) {
		/* the parent is gone: nothing left to do */
		exit(0);
	}
	for (;;) {
		if ((n = imsg_get(&iev_parent.ibuf, &imsg)) == -1)
			fatal("%s: imsg_get", __func__);
		if (n == 0)
			break;
		switch (imsg_get_type(&imsg)) {
		case IMSG_HAPROXY_CHECK:
		case IMSG_HAPROXY_RELOAD:
			if (imsg_get_len(&imsg) != 0)
				fatalx("%s: bad message length", __func__);
			reloader_do(imsg_get_type(&imsg));
			break;
		case IMSG_CONF_START:
			/*
			 * Nothing here follows a SIGHUP: the runner keeps the
			 * configuration of the start (the parent says what
			 * changes need a restart) and the parent sends no
			 * other.  One that comes anyway is not even read.
			 */
			log_warnx("a configuration after the start: refused; "
			    "the runner keeps the one of the start");
			break;
		case IMSG_CONF_BACKEND:
		case IMSG_CONF_END:
			break;		/* the rest of it */
		default:
			imsgev_dispatch_shared(&imsg, __func__);
		}
		imsg_free(&imsg);
	}
	imsgev_add(&iev_parent);
}

/* Between requests the runner says nothing: readable means gone. */
static void
reloader_runner_ev(int fd, short event, void *arg)
{
	runner_idle();
}

static void
reloader_sig(int sig, short event, void *arg)
{
	int	 r;

	switch (sig) {
	case SIGCHLD:
		/* the runner is gone: the reaper's line, then our end */
		if ((r = proc_reap()) != 0)
			exit(r == -1);
		break;
	default:
		/* SIGTERM/SIGINT: the parent is shutting down */
		exit(0);
	}
}

void
reloader_main(int debug, int verbose)
{
	struct event	 ev_sigterm, ev_sigint, ev_sigchld, ev_runner;
	struct conf_get	 g;

	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
	log_ratelimit(1);
	log_procinit("reloader");
	setproctitle("%s", "reloader");

	if (fcntl(PROC_PARENT_SOCK_FILENO, F_SETFD, FD_CLOEXEC) == -1)
		fatal("fcntl");
	/* libevent's descriptors are close-on-exec: not the runner's */
	event_init();
	proc_log_held();
	if (imsgev_init(&iev_parent, PROC_PARENT_SOCK_FILENO, "parent",
	    reloader_dispatch_parent, NULL) == -1)
		fatal("imsgbuf_init");
	/* the parent passes the log file's descriptor */
	imsgbuf_allow_fdpass(&iev_parent.ibuf);

	/* the configuration first: the runner's, for its life */
	config_getinit(&g, PROC_RELOADER);
	config_wait(&iev_parent.ibuf, &g);
	run = g.run;
	/* no descriptor: none, or the parent could not open it and said */
	if (g.fd != -1)
		log_file_setfd(g.fd);

	if ((runner_fd = runner_start(run)) == -1)
		fatalx("cannot start the runner");
	if (sandbox_reloader() == -1)
		fatalx("sandbox");

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal_set(&ev_sigterm, SIGTERM, reloader_sig, NULL);
	signal_set(&ev_sigint, SIGINT, reloader_sig, NULL);
	signal_set(&ev_sigchld, SIGCHLD, reloader_sig, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sigchld, NULL);
	event_set(&ev_runner, runner_fd, EV_READ | EV_PERSIST,
	    reloader_runner_ev, NULL);
	event_add(&ev_runner, NULL);
	/* what came with the configuration waits in the buffer: read it */
	event_active(&iev_parent.ev, EV_READ, 1);
	event_dispatch();
	exit(0);
}
