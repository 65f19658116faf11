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
 * reloader, and the helpers: connector, runner): start a child by
 * fork + exec of our own binary with -P NAME, or of ep2d-fetcher (a
 * fresh address space: nothing inherited but the socketpair on fd 3),
 * fork a helper, and the libevent side of an imsg channel.
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
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "log.h"
#include "proc.h"

const char *
proc_name(int p)
{
	switch (p) {
	case PROC_PARENT:
		return ("parent");
	case PROC_FETCHER:
		return ("fetcher");
	case PROC_RELOADER:
		return ("reloader");
	}
	return ("unknown");
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
 * fetcher.  The child's end of the socketpair becomes fd 3; every other
 * descriptor is close-on-exec.  The child reads no file: its
 * configuration comes on fd 3 (config_imsg.c).
 */
pid_t
proc_spawn(const char *self, int proc, int fd, int debug, int verbose)
{
	const char	*argv[10];
	int		 argc = 0;
	pid_t		 pid;
	sigset_t	 set;

	switch (pid = fork()) {
	case -1:
		fatal("%s: fork", __func__);
	case 0:
		break;
	default:
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
	argv[argc++] = proc_name(proc);
	if (debug)
		argv[argc++] = "-d";
	if (verbose)
		argv[argc++] = "-v";
	argv[argc] = NULL;
	if (proc == PROC_FETCHER) {
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
 * The caller gets the pid and its end in *fdp; the helper gets 0 and
 * its end, with its signals reset, the log file closed (syslog or
 * standard error only: rotation reopens the file in the caller), its
 * title, and death when the process that forked it dies.
 */
pid_t
proc_helper(const char *name, int *fdp)
{
	int	 sv[2];
	pid_t	 pid, self = getpid();

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
		return (pid);
	}

	close(sv[0]);
	*fdp = sv[1];
	log_file_setfd(-1);
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

int
imsgev_init(struct imsgev *iev, int fd, const char *peer,
    void (*handler)(int, short, void *), void *arg)
{
	if (imsgbuf_init(&iev->ibuf, fd) == -1)
		return (-1);
	imsgbuf_set_maxsize(&iev->ibuf, EP2D_MAX_IMSGSIZE);
	iev->handler = handler;
	iev->peer = peer;
	iev->events = EV_READ;
	event_set(&iev->ev, fd, iev->events, handler, arg);
	event_add(&iev->ev, NULL);
	return (0);
}

/* Re-arm: write interest only while something is queued. */
void
imsgev_add(struct imsgev *iev)
{
	void	*arg = event_get_callback_arg(&iev->ev);

	iev->events = EV_READ;
	if (imsgbuf_queuelen(&iev->ibuf) > 0)
		iev->events |= EV_WRITE;
	event_del(&iev->ev);
	event_set(&iev->ev, iev->ibuf.fd, iev->events, iev->handler, arg);
	event_add(&iev->ev, NULL);
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
	uint32_t queued;
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
	if (events & EV_WRITE) {
		queued = imsgbuf_queuelen(&iev->ibuf);
		if (imsgbuf_write(&iev->ibuf) == -1) {
			if (errno != EPIPE)
				log_warn("write to %s", iev->peer);
			return (-1);
		}
		/* a big set went out: give its buffers back to the system */
		if (queued >= 64 && imsgbuf_queuelen(&iev->ibuf) == 0)
			malloc_trim(0);
	}
	return (0);
}

void
imsgev_clear(struct imsgev *iev)
{
	event_del(&iev->ev);
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
