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
 * The table of processes and the reaper (proc.c): every way a child of
 * ours can end gives one line, the one the integration tests and the
 * manual name; a stop is not a failure; a child not in the table is
 * collected without a word; a helper is in the table once forked.
 * And the imsg channels of the processes (imsgev): armed for reading
 * from one message to the next.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "imsg.h"
#include "logcap.h"
#include "proc.h"
#include "tap.h"

static struct proc procs[] = {
	{ .title = "parent", .id = PROC_PARENT, .parent = PROC_PARENT,
	    .prog = PROC_PROG_EP2D },
	{ .title = "fetcher", .id = PROC_FETCHER, .parent = PROC_PARENT,
	    .prog = PROC_PROG_FETCHER },
	{ .title = "connector", .id = PROC_CONNECTOR, .parent = PROC_PARENT,
	    .prog = PROC_PROG_FORK },
};

/* A child that ends as asked: exit with code, or die of sig. */
static pid_t
child(int code, int sig)
{
	struct rlimit	 rl = { 0, 0 };
	pid_t		 pid;

	if ((pid = fork()) == -1) {
		perror("fork");
		exit(2);
	}
	if (pid > 0)
		return (pid);
	(void)setrlimit(RLIMIT_CORE, &rl);	/* SIGSYS leaves no core */
	if (sig != 0) {
		signal(sig, SIG_DFL);
		kill(getpid(), sig);
	}
	_exit(code);
}

/* Wait until pid has ended, leaving it for the reaper to collect. */
static void
ended(pid_t pid)
{
	siginfo_t	 si;

	while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == -1)
		if (errno != EINTR) {
			perror("waitid");
			exit(2);
		}
}

/* proc_reap() of one child of ours that ends as asked. */
static int
reap_one(enum ep2d_proc id, int code, int sig, pid_t *pidp)
{
	struct proc	*pr = proc_get(id);

	pr->pid = *pidp = child(code, sig);
	ended(*pidp);
	cap_start();
	return (proc_reap());
}

static void
t_table(void)
{
	ok(strcmp(proc_name(PROC_FETCHER), "fetcher") == 0 &&
	    strcmp(proc_name(PROC_CONNECTOR), "connector") == 0,
	    "proc_name: the table's titles");
	ok(strcmp(proc_name(PROC_RUNNER), "unknown") == 0 &&
	    proc_get(PROC_RUNNER) == NULL && proc_pid(PROC_RUNNER) == 0,
	    "a process not in the table: unknown, no pid");
}

static void
t_reap(void)
{
	char	 want[128];
	pid_t	 pid, other;
	int	 r;

	r = reap_one(PROC_FETCHER, 0, 0, &pid);
	snprintf(want, sizeof(want), "fetcher pid %d stopped\n", (int)pid);
	ok(r == 1 && cap_lines() == 1 && cap_has(want) &&
	    !cap_has("lost child"), "exit 0: a stop, one line");
	is_int(proc_pid(PROC_FETCHER), 0, "... and no pid left in the table");

	r = reap_one(PROC_FETCHER, 0, SIGTERM, &pid);
	snprintf(want, sizeof(want), "fetcher pid %d stopped by signal %d",
	    (int)pid, SIGTERM);
	ok(r == 1 && cap_lines() == 1 && cap_has(want),
	    "SIGTERM: a stop, one line");

	r = reap_one(PROC_FETCHER, 0, SIGINT, &pid);
	snprintf(want, sizeof(want), "fetcher pid %d stopped by signal %d",
	    (int)pid, SIGINT);
	ok(r == 1 && cap_lines() == 1 && cap_has(want),
	    "SIGINT: a stop, one line");

	r = reap_one(PROC_FETCHER, 3, 0, &pid);
	snprintf(want, sizeof(want), "lost child: fetcher pid %d exited 3\n",
	    (int)pid);
	ok(r == -1 && cap_lines() == 1 && cap_has(want),
	    "exit 3: lost, one line");

	r = reap_one(PROC_CONNECTOR, 0, SIGKILL, &pid);
	snprintf(want, sizeof(want), "lost child: connector pid %d "
	    "terminated; signal %d\n", (int)pid, SIGKILL);
	ok(r == -1 && cap_lines() == 1 && cap_has(want),
	    "SIGKILL: lost, one line");

	r = reap_one(PROC_CONNECTOR, 0, SIGSYS, &pid);
	snprintf(want, sizeof(want), "lost child: connector pid %d "
	    "terminated; signal %d (sandbox violation)\n", (int)pid, SIGSYS);
	ok(r == -1 && cap_lines() == 1 && cap_has(want),
	    "SIGSYS: lost, a sandbox violation, one line");

	/* not ours (HAProxy's old process, ep2d being process 1) */
	other = child(5, 0);
	ended(other);
	cap_start();
	r = proc_reap();
	ok(r == 0 && cap_lines() == 0 && waitpid(other, NULL, WNOHANG) == -1 &&
	    errno == ECHILD, "a child not in the table: collected, no line");

	/* two at once: one stopped, one lost; a line each */
	procs[1].pid = pid = child(0, 0);
	procs[2].pid = other = child(0, SIGKILL);
	ended(pid);
	ended(other);
	cap_start();
	r = proc_reap();
	ok(r == -1 && cap_lines() == 2 && cap_has("fetcher pid") &&
	    cap_has("lost child: connector pid"),
	    "a stop and a loss together: lost, a line each");
}

static void
t_gone(void)
{
	char	 want[128];
	pid_t	 pid;
	int	 r;

	/* the pipe closed as the child exits: the line says why */
	procs[1].pid = pid = child(4, 0);
	cap_start();
	r = proc_gone(PROC_FETCHER);
	snprintf(want, sizeof(want), "lost child: fetcher pid %d exited 4\n",
	    (int)pid);
	ok(r == 0 && cap_lines() == 1 && cap_has(want),
	    "proc_gone: the exit status, one line");

	procs[1].pid = pid = child(0, SIGTERM);
	cap_start();
	r = proc_gone(PROC_FETCHER);
	ok(r == 1 && cap_lines() == 1 && cap_has("stopped by signal"),
	    "proc_gone: a stop");

	/* a child that closed its pipe and does not end */
	if ((pid = fork()) == 0) {
		pause();
		_exit(0);
	}
	procs[1].pid = pid;
	cap_start();
	r = proc_gone(PROC_FETCHER);
	snprintf(want, sizeof(want), "lost child: fetcher pid %d closed its "
	    "pipe\n", (int)pid);
	ok(r == 0 && cap_lines() == 1 && cap_has(want),
	    "proc_gone: still running after a while: closed its pipe");
	kill(pid, SIGKILL);
	proc_wait(PROC_FETCHER);
	ok(proc_pid(PROC_FETCHER) == 0 && waitpid(pid, NULL, WNOHANG) == -1,
	    "proc_wait: collected without a line");
}

static void
t_helper(void)
{
	char	 want[128];
	pid_t	 pid;
	int	 fd, r;

	procs[1].pid = 12345;	/* a child of ours, in the parent */
	if ((pid = proc_helper(PROC_CONNECTOR, &fd)) == 0) {
		/* none of the parent's children is the helper's */
		_exit(proc_pid(PROC_FETCHER) == 0 ? 0 : 1);
	}
	procs[1].pid = 0;
	ok(pid > 0 && proc_pid(PROC_CONNECTOR) == pid,
	    "proc_helper: the helper's pid in the table");
	ended(pid);
	cap_start();
	r = proc_reap();
	snprintf(want, sizeof(want), "connector pid %d stopped\n", (int)pid);
	ok(r == 1 && cap_lines() == 1 && cap_has(want),
	    "proc_helper: the helper's table has no child; its stop, a line");
	close(fd);

	cap_start();
	ok(proc_helper(PROC_FETCHER, &fd) == -1 && cap_lines() == 1,
	    "proc_helper: a process that is no helper is refused");
}

static int	 nread;

/* A handler that reads and does not call imsgev_add. */
static void
t_imsgev_read(int fd, short ev, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;

	if (imsgev_dispatch_io(iev, ev) == -1)
		return;
	while (imsg_get(&iev->ibuf, &imsg) > 0) {
		nread++;
		imsg_free(&imsg);
	}
}

/*
 * A channel stays armed for reading between messages, its handler
 * re-arming it or not: no epoll_ctl to take the descriptor out and put
 * it back for each message read.
 */
static void
t_imsgev(void)
{
	struct imsgev	 iev;
	struct imsgbuf	 peer;
	int		 sp[2], i;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == -1) {
		perror("socketpair");
		exit(2);
	}
	event_init();
	if (imsgev_init(&iev, sp[0], "test", t_imsgev_read, &iev) == -1 ||
	    imsgbuf_init(&peer, sp[1]) == -1) {
		perror("imsgbuf_init");
		exit(2);
	}
	for (i = 1; i <= 3; i++) {
		if (imsg_compose(&peer, 1, 0, 0, -1, NULL, 0) == -1 ||
		    imsgbuf_flush(&peer) == -1) {
			perror("imsg_compose");
			exit(2);
		}
		event_loop(EVLOOP_NONBLOCK);
		ok(nread == i, "imsgev: message %d read (%d so far), the "
		    "handler not re-arming", i, nread);
	}
	ok(event_pending(&iev.ev, EV_READ, NULL),
	    "imsgev: still armed for reading");
	imsgev_clear(&iev);
	imsgbuf_clear(&peer);
	close(sp[1]);
}

static int	 nwrite;

/* A handler as the processes' are: I/O, read, re-arm. */
static void
t_imsgev_rw(int fd, short ev, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;

	if (ev & EV_WRITE)
		nwrite++;
	if (imsgev_dispatch_io(iev, ev) == -1)
		return;
	while (imsg_get(&iev->ibuf, &imsg) > 0)
		imsg_free(&imsg);
	imsgev_add(iev);
}

/* What the peer has, in messages; -1 on error. */
static int
t_peer_count(struct imsgbuf *peer)
{
	struct imsg	 imsg;
	int		 n = 0;

	if (imsgbuf_read(peer) == -1 && errno != EAGAIN)
		return (-1);
	while (imsg_get(peer, &imsg) > 0) {
		n++;
		imsg_free(&imsg);
	}
	return (n);
}

/*
 * What a callback queues goes out when it is over, in one pass of the
 * loop, with no write interest armed while the socket takes it; what
 * the socket does not take waits for EV_WRITE, and all of it arrives.
 */
static void
t_imsgev_flush(void)
{
	static char	 big[60000];
	struct imsgev	 iev;
	struct imsgbuf	 peer;
	int		 sp[2], i, n, got, armed;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == -1) {
		perror("socketpair");
		exit(2);
	}
	if (imsgev_init(&iev, sp[0], "test", t_imsgev_rw, &iev) == -1 ||
	    imsgbuf_init(&peer, sp[1]) == -1) {
		perror("imsgbuf_init");
		exit(2);
	}
	imsgbuf_set_maxsize(&peer, sizeof(big) + IMSG_HEADER_SIZE);
	imsgbuf_set_maxsize(&iev.ibuf, sizeof(big) + IMSG_HEADER_SIZE);
	for (i = 0; i < 3; i++)
		if (imsgev_compose(&iev, 2, 0, -1, "x", 1) == -1) {
			perror("imsgev_compose");
			exit(2);
		}
	ok(!event_pending(&iev.ev, EV_WRITE, NULL), "imsgev: three messages "
	    "queued, no write interest armed");
	event_loop(EVLOOP_NONBLOCK);
	n = t_peer_count(&peer);
	ok(n == 3 && imsgbuf_queuelen(&iev.ibuf) == 0, "imsgev: all three "
	    "out after one pass of the loop (%d)", n);
	ok(nwrite == 1 && !event_pending(&iev.ev, EV_WRITE, NULL),
	    "imsgev: the handler told once (%d), nothing armed", nwrite);

	/* more than the socket takes: the rest waits for EV_WRITE */
	for (i = 0; i < 200; i++)
		if (imsgev_compose(&iev, 3, 0, -1, big, sizeof(big)) == -1) {
			perror("imsgev_compose");
			exit(2);
		}
	event_loop(EVLOOP_NONBLOCK);
	armed = event_pending(&iev.ev, EV_WRITE, NULL) &&
	    imsgbuf_queuelen(&iev.ibuf) > 0;
	ok(armed, "imsgev: 12 MB queued, what the socket does not take "
	    "waits for EV_WRITE");
	for (got = 0, i = 0; got < 200 && got != -1 && i < 100000; i++) {
		event_loop(EVLOOP_NONBLOCK);
		if ((n = t_peer_count(&peer)) == -1)
			got = -1;
		else
			got += n;
	}
	ok(got == 200 && imsgbuf_queuelen(&iev.ibuf) == 0, "imsgev: all 200 "
	    "arrive as the peer reads (%d)", got);
	event_loop(EVLOOP_NONBLOCK);
	ok(!event_pending(&iev.ev, EV_WRITE, NULL) &&
	    event_pending(&iev.ev, EV_READ, NULL), "imsgev: then armed for "
	    "reading only");

	/* queued, then the channel cleared (and freed, in control.c) */
	if (imsgev_compose(&iev, 2, 0, -1, "x", 1) == -1) {
		perror("imsgev_compose");
		exit(2);
	}
	armed = event_pending(&iev.ev_flush, EV_WRITE, NULL) != 0;
	imsgev_clear(&iev);
	ok(armed && !event_pending(&iev.ev_flush, EV_WRITE, NULL),
	    "imsgev: a channel cleared has no flush left to run");
	imsgbuf_clear(&peer);
	close(sp[1]);
}

int
main(void)
{
	cap_init();
	proc_init(procs, sizeof(procs) / sizeof(procs[0]));
	t_table();
	t_reap();
	t_gone();
	t_helper();
	t_imsgev();
	t_imsgev_flush();
	return (done_testing());
}
