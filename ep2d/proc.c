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
 * Process plumbing shared by the five processes (parent, fetcher,
 * reloader, and the helpers: connector, runner), over the one table of
 * them that ep2d.c hands to proc_init(): start a child by fork + exec
 * of our own binary with -P NAME, or of ep2d-fetcher (a fresh address
 * space: nothing inherited but the socketpair on fd 3), fork a helper,
 * reap them and say how each ended, and the libevent side of an imsg
 * channel.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "log.h"
#include "proc.h"

static struct proc	*procs;
static size_t		 nprocs;

static struct proc	*proc_bypid(pid_t);
static int		 proc_report(struct proc *, int);
static void		 imsgev_flush(int, short, void *);
static void		 imsgev_arm(struct imsgev *, short);
static int		 imsgev_write(struct imsgev *);

/*
 * The table of the processes.  Every program that starts one of them
 * (ep2d; a unit test of a helper) sets it first; a process started by
 * exec has its own copy, a helper its parent's.
 */
void
proc_init(struct proc *table, size_t n)
{
	procs = table;
	nprocs = n;
}

struct proc *
proc_get(enum ep2d_proc id)
{
	size_t	 i;

	for (i = 0; i < nprocs; i++)
		if (procs[i].id == id)
			return (&procs[i]);
	return (NULL);
}

const char *
proc_name(enum ep2d_proc id)
{
	struct proc	*pr;

	return ((pr = proc_get(id)) != NULL ? pr->title : "unknown");
}

/* A child's pid, 0 when it is not running or not this process's. */
pid_t
proc_pid(enum ep2d_proc id)
{
	struct proc	*pr;

	return ((pr = proc_get(id)) != NULL ? pr->pid : 0);
}

static struct proc *
proc_bypid(pid_t pid)
{
	size_t	 i;

	for (i = 0; i < nprocs; i++)
		if (procs[i].pid == pid)
			return (&procs[i]);
	return (NULL);
}

/*
 * The one line for a child that is gone, and whether it was stopped: a
 * child exits 0, or dies of SIGTERM or SIGINT, only when it was told to
 * stop.  A signal to the whole process group (^C in a terminal, systemd
 * with KillMode=control-group) reaches the children too, maybe before
 * their parent; that is a stop, not a failure.
 */
static int
proc_report(struct proc *pr, int status)
{
	const char	*name = pr->title;
	pid_t		 pid = pr->pid;

	pr->pid = 0;
	if (WIFSIGNALED(status)) {
		if (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGINT) {
			log_info("%s pid %d stopped by signal %d", name,
			    (int)pid, WTERMSIG(status));
			return (1);
		}
		log_warnx("lost child: %s pid %d terminated; signal %d%s",
		    name, (int)pid, WTERMSIG(status),
		    WTERMSIG(status) == SIGSYS ? " (sandbox violation)" : "");
		return (0);
	}
	if (WEXITSTATUS(status) == 0) {
		log_info("%s pid %d stopped", name, (int)pid);
		return (1);
	}
	log_warnx("lost child: %s pid %d exited %d", name, (int)pid,
	    WEXITSTATUS(status));
	return (0);
}

/*
 * SIGCHLD: collect every child that has exited, and give each of ours
 * its line.  Others are collected too: ep2d as process 1 of a container
 * inherits HAProxy's old processes.  0 when none of ours is gone, 1
 * when those gone were stopped, -1 when one was lost.
 */
int
proc_reap(void)
{
	struct proc	*pr;
	pid_t		 pid;
	int		 status, r = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((pr = proc_bypid(pid)) == NULL)
			continue;
		if (!proc_report(pr, status))
			r = -1;
		else if (r == 0)
			r = 1;
	}
	return (r);
}

/*
 * A child's pipe closed: it is on its way out.  Wait a moment for its
 * exit status, so that the one line says why; 1 if it was stopped.
 */
int
proc_gone(enum ep2d_proc id)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	struct proc	*pr;
	pid_t		 pid;
	int		 status, i;

	if ((pr = proc_get(id)) == NULL)
		fatalx("%s: process %d unknown", __func__, id);
	for (i = 0; i < 100 && pr->pid > 0; i++) {
		pid = waitpid(pr->pid, &status, WNOHANG);
		if (pid == pr->pid)
			return (proc_report(pr, status));
		if (pid == -1)
			break;
		nanosleep(&ts, NULL);
	}
	log_warnx("lost child: %s pid %d closed its pipe", pr->title,
	    (int)pr->pid);
	return (0);
}

/* The end of a child told to stop: no line, its parent is stopping. */
void
proc_wait(enum ep2d_proc id)
{
	struct proc	*pr;

	if ((pr = proc_get(id)) == NULL || pr->pid <= 0)
		return;
	(void)waitpid(pr->pid, NULL, 0);
	pr->pid = 0;
}

/* The absolute path of the running binary, for the re-exec. */
int
proc_self_exe(char *buf, size_t len)
{
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", buf, len - 1)) == -1)
		return (-1);
	if ((size_t)n >= len - 1) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	buf[n] = '\0';
	return (0);
}

#ifndef EP2D_LIBEXECDIR
#define EP2D_LIBEXECDIR	"/usr/local/libexec/ep2d"
#endif

/*
 * The fetcher is a program of its own, ep2d-fetcher: beside ep2d in a
 * build tree; once installed, in libexec/ep2d of the prefix ep2d itself
 * was installed in (PREFIX/sbin/ep2d -> PREFIX/libexec/ep2d), whatever
 * PREFIX the build was made with; EP2D_LIBEXECDIR last.
 */
static const char *
proc_fetcher_path(const char *self)
{
	static char	 path[PATH_MAX];
	const char	*slash, *up;

	if ((slash = strrchr(self, '/')) == NULL)
		goto fallback;
	if ((size_t)snprintf(path, sizeof(path), "%.*s/ep2d-fetcher",
	    (int)(slash - self), self) < sizeof(path) &&
	    access(path, X_OK) == 0)
		return (path);
	for (up = slash; up > self && up[-1] != '/'; up--)
		;
	if (up > self && (size_t)snprintf(path, sizeof(path),
	    "%.*slibexec/ep2d/ep2d-fetcher", (int)(up - self), self) <
	    sizeof(path) && access(path, X_OK) == 0)
		return (path);
 fallback:
	snprintf(path, sizeof(path), "%s/ep2d-fetcher", EP2D_LIBEXECDIR);
	return (path);
}

/* Check before the daemon starts that the fetcher is there to run. */
int
proc_check(const char *self)
{
	const char	*path = proc_fetcher_path(self);

	if (access(path, X_OK) == -1) {
		log_warn("%s", path);
		return (-1);
	}
	return (0);
}

/*
 * fork + execv(self, "-P name [-d] [-v]"), or ep2d-fetcher for the
 * fetcher, as the table says.  The child's end of the socketpair becomes
 * fd 3; every other descriptor is close-on-exec.  The child reads no
 * file: its configuration comes on fd 3 (config_imsg.c).
 */
pid_t
proc_spawn(const char *self, enum ep2d_proc id, int fd, int debug,
    int verbose)
{
	struct proc	*pr;
	const char	*argv[10];
	int		 argc = 0;
	pid_t		 pid;
	sigset_t	 set;

	if ((pr = proc_get(id)) == NULL || pr->prog == PROC_PROG_FORK)
		fatalx("%s: no program for process %d", __func__, id);
	switch (pid = fork()) {
	case -1:
		fatal("%s: fork", __func__);
	case 0:
		break;
	default:
		pr->pid = pid;
		return (pid);
	}

	/* child */
	if (fd != PROC_PARENT_SOCK_FILENO) {
		if (dup2(fd, PROC_PARENT_SOCK_FILENO) == -1)
			fatal("dup2");
	} else if (fcntl(fd, F_SETFD, 0) == -1)
		fatal("fcntl");
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);

	argv[argc++] = "ep2d";
	argv[argc++] = "-P";
	argv[argc++] = pr->title;
	if (debug)
		argv[argc++] = "-d";
	if (verbose)
		argv[argc++] = "-v";
	argv[argc] = NULL;
	if (pr->prog == PROC_PROG_FETCHER) {
		self = proc_fetcher_path(self);
		/*
		 * libcurl's other dependencies (LDAP, RTMP) bring GnuTLS,
		 * which initialises itself on load; curl itself uses
		 * OpenSSL.  Skipping that saves the fetcher ~0.6 MB.
		 */
		if (setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 0) == -1)
			log_warn("setenv");
	}
	execv(self, (char *const *)argv);
	fatal("execv %s", self);
}

/*
 * Fork a helper: a child that does one thing for this process over a
 * SOCK_SEQPACKET pair (the reloader's runner, the parent's connector).
 * The caller gets the pid (in the table too) and its end in *fdp; the
 * helper gets 0 and its end, with its signals reset, the log file
 * closed (syslog or standard error only: rotation reopens the file in
 * the caller), its title, no child of its own in the table, and death
 * when the process that forked it dies.
 */
pid_t
proc_helper(enum ep2d_proc id, int *fdp)
{
	struct proc	*pr;
	const char	*name;
	size_t		 i;
	int		 sv[2];
	pid_t		 pid, self = getpid();

	if ((pr = proc_get(id)) == NULL || pr->prog != PROC_PROG_FORK) {
		log_warnx("%s: no helper %d", __func__, id);
		return (-1);
	}
	name = pr->title;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("%s: socketpair", name);
		return (-1);
	}
	switch (pid = fork()) {
	case -1:
		log_warn("%s: fork", name);
		close(sv[0]);
		close(sv[1]);
		return (-1);
	case 0:
		break;
	default:
		close(sv[1]);
		*fdp = sv[0];
		pr->pid = pid;
		return (pid);
	}

	close(sv[0]);
	*fdp = sv[1];
	for (i = 0; i < nprocs; i++)
		procs[i].pid = 0;
	log_file_setfd(-1);
	log_held_hook(NULL);	/* the caller's event loop is not ours */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1)
		log_warn("%s: PR_SET_PDEATHSIG", name);
	if (getppid() != self)
		_exit(0);	/* gone before PR_SET_PDEATHSIG took */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	log_procinit(name);
	setproctitle("%s", name);
	return (0);
}

/*
 * The log's lines held back by its flood guard are said on a timer of
 * this process's event loop (after event_init()), not only with the
 * next line it logs.
 */
static struct event	ev_logheld;

static void
proc_log_held_fire(int fd, short event, void *arg)
{
	log_held_flush();
}

static void
proc_log_held_arm(long ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&ev_logheld, &tv);
}

void
proc_log_held(void)
{
	evtimer_set(&ev_logheld, proc_log_held_fire, NULL);
	log_held_hook(proc_log_held_arm);
}

int
imsgev_init(struct imsgev *iev, int fd, const char *peer,
    void (*handler)(int, short, void *), void *arg)
{
	if (imsgbuf_init(&iev->ibuf, fd) == -1)
		return (-1);
	imsgbuf_set_maxsize(&iev->ibuf, EP2D_MAX_IMSGSIZE);
	iev->handler = handler;
	iev->peer = peer;
	/* persistent: re-arming after each read is two epoll_ctl calls */
	iev->events = EV_READ | EV_PERSIST;
	event_set(&iev->ev, fd, iev->events, handler, arg);
	event_add(&iev->ev, NULL);
	event_set(&iev->ev_flush, -1, 0, imsgev_flush, iev);
	return (0);
}

/*
 * What is queued goes out once the callback that queued it is over
 * (event_active: later in this same pass of the loop, every message of
 * the pass in one sendmsg), with no write interest armed: the socket
 * takes it at once nearly always, and arming EV_WRITE, waking up for
 * it and taking it away again is two epoll_ctl and an epoll_wait more
 * a message (each change's set, each answer).  Only what the socket
 * does not take waits for EV_WRITE, as before.  Gone whole: the handler
 * is told as after an EV_WRITE (control.c counts an answer's time).
 */
static void
imsgev_flush(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;

	if (imsgbuf_queuelen(&iev->ibuf) == 0)
		return;
	if (imsgev_write(iev) == -1 || imsgbuf_queuelen(&iev->ibuf) > 0) {
		/* the handler's own write says what went wrong */
		imsgev_arm(iev, iev->events | EV_WRITE);
		return;
	}
	iev->handler(iev->ibuf.fd, EV_WRITE, event_get_callback_arg(&iev->ev));
}

static void
imsgev_arm(struct imsgev *iev, short want)
{
	void	*arg = event_get_callback_arg(&iev->ev);

	if (want == iev->events &&
	    event_pending(&iev->ev, EV_READ | EV_WRITE, NULL))
		return;
	iev->events = want;
	event_del(&iev->ev);
	event_set(&iev->ev, iev->ibuf.fd, iev->events, iev->handler, arg);
	event_add(&iev->ev, NULL);
}

/*
 * Re-arm after a message queued or read: what is queued goes out with
 * imsgev_flush() (activating it again while it is active is nothing:
 * a set of N servers is one flush), or keeps waiting for EV_WRITE if
 * the socket was full.  Armed as wanted already: left as it is.
 */
void
imsgev_add(struct imsgev *iev)
{
	short	 want = EV_READ | EV_PERSIST;

	if (imsgbuf_queuelen(&iev->ibuf) > 0) {
		if (iev->events & EV_WRITE)
			want |= EV_WRITE;	/* waiting for the socket */
		else
			event_active(&iev->ev_flush, EV_WRITE, 1);
	}
	imsgev_arm(iev, want);
}

int
imsgev_compose(struct imsgev *iev, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	int	 r;

	if ((r = imsg_compose(&iev->ibuf, type, peerid, 0, fd, data,
	    len)) != -1)
		imsgev_add(iev);
	return (r);
}

/*
 * The I/O half of a handler: read on EV_READ, write on EV_WRITE.
 * Returns -1 when the peer is gone (the caller decides: for a child
 * that is the end of the daemon).
 */
int
imsgev_dispatch_io(struct imsgev *iev, short events)
{
	int	 n;

	if (events & EV_READ) {
		if ((n = imsgbuf_read(&iev->ibuf)) == -1) {
			if (errno != EAGAIN && errno != EINTR) {
				log_warn("read from %s", iev->peer);
				return (-1);
			}
		} else if (n == 0)
			return (-1);
	}
	if ((events & EV_WRITE) && imsgev_write(iev) == -1) {
		if (errno != EPIPE)
			log_warn("write to %s", iev->peer);
		return (-1);
	}
	return (0);
}

static int
imsgev_write(struct imsgev *iev)
{
	uint32_t queued = imsgbuf_queuelen(&iev->ibuf);

	if (imsgbuf_write(&iev->ibuf) == -1)
		return (-1);
	/* a big set went out: give its buffers back to the system */
	if (queued >= 64 && imsgbuf_queuelen(&iev->ibuf) == 0)
		malloc_trim(0);
	return (0);
}

void
imsgev_clear(struct imsgev *iev)
{
	event_del(&iev->ev);
	event_del(&iev->ev_flush);	/* or it runs on a freed channel */
	imsgbuf_clear(&iev->ibuf);
	close(iev->ibuf.fd);
}

/*
 * What every child takes from the parent the same way: the reopened
 * log file and the verbosity.  Anything else a child did not handle is
 * a parent that speaks another protocol: the end of the child.
 */
void
imsgev_dispatch_shared(struct imsg *imsg, const char *who)
{
	int	 fd, v;

	switch (imsg_get_type(imsg)) {
	case IMSG_LOG_REOPEN:
		if ((fd = imsg_get_fd(imsg)) != -1)
			log_file_setfd(fd);
		break;
	case IMSG_VERBOSE:
		if (imsg_get_data(imsg, &v, sizeof(v)) == 0)
			log_setverbose(v);
		break;
	default:
		fatalx("%s: unexpected imsg %u", who, imsg_get_type(imsg));
	}
}
