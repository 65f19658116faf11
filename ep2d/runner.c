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
 * The runner: the reloader's hands.  A seccomp filter, no_new_privs,
 * Landlock and the capability bounding set are all inherited across
 * execve, so the process that starts HAProxy cannot wear an allow-list
 * without imposing it on HAProxy.  The reloader therefore forks the
 * runner before it confines itself; the runner wears only what HAProxy
 * may wear (sandbox_runner) and does what the reloader asks, of two
 * things only: check haproxy.cfg.new, or start or reload HAProxy (the
 * binary, or systemd).  Every path, the argument vector and the unit
 * come from the configuration as the reloader had it when it forked
 * the runner; a request is an imsg of one of two types and no data,
 * nothing to parse, so the reloader could not have the runner do more
 * even if it wanted to.  The answer is the exit status and the last
 * bytes of what the program said, preceded by what the reloader should
 * log (the runner has no log file of its own).  Each request has one
 * answer, a refusal included: the reloader waits for it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "ep2d.h"
#include "apply.h"
#include "file.h"
#include "imsg.h"
#include "log.h"
#include "proc.h"

#define RUNNER_TIMEOUT	60	/* seconds for one haproxy run */

#define RUNNER_MAX_PIDS	64	/* haproxy -sf list */

/* The runner's messages, on its pair only. */
enum runner_imsg {
	IMSG_RUNNER_CHECK = RUNNER_CHECK,	/* no data */
	IMSG_RUNNER_APPLY = RUNNER_APPLY,	/* no data */
	IMSG_RUNNER_INFO,		/* char line[], NUL ended: to log */
	IMSG_RUNNER_WARN,		/* the same, a warning */
	IMSG_RUNNER_RESULT,		/* struct runner_res */
};

static const struct run_conf *rconf;	/* in the runner */
static struct imsgbuf	 runner_ibuf;	/* in the reloader, its end */
static int		 runner_fd = -1;

static int	 run_argv(struct imsgbuf *, char *const [], char *, size_t);
static int	 systemd_call(const char *, const char *, char *, size_t);
static int	 haproxy_pids(struct imsgbuf *, pid_t *, int, int);
static void	 runner_note(struct imsgbuf *, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static void	 runner_check(struct imsgbuf *, struct runner_res *);
static void	 runner_apply(struct imsgbuf *, struct runner_res *);
static int	 runner_valid(struct imsgbuf *, struct imsg *);
static void	 runner_request(struct imsgbuf *, struct imsg *);
static int	 runner_answer(struct imsg *, struct runner_res *);
static void	 runner_unasked(void);

/*
 * Run argv with stdout and stderr into a pipe, keep the last bytes of
 * what it said in msg.  haproxy -D leaves a daemon behind that may hold
 * the pipe open, so stop reading when the child we started has exited.
 */
static int
run_argv(struct imsgbuf *ibuf, char *const argv[], char *msg, size_t msglen)
{
	struct pollfd	 pfd;
	pid_t		 pid;
	int		 p[2], status = -1, done = 0, eof = 0, fd, killed = 0;
	size_t		 off = 0;
	ssize_t		 n;
	time_t		 start;
	char		 buf[1024];

	msg[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(msg, msglen, "pipe: %s", strerror(errno));
		return (-1);
	}
	switch (pid = fork()) {
	case -1:
		snprintf(msg, msglen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return (-1);
	case 0:
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, STDIN_FILENO);
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sandbox_execve(argv[0], argv, environ);
		dprintf(STDERR_FILENO, "execve %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	start = time(NULL);
	for (;;) {
		if (!done && waitpid(pid, &status, WNOHANG) == pid)
			done = 1;
		pfd.fd = eof ? -1 : p[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, done ? 0 : (eof ? 10 : 50)) > 0) {
			n = read(p[0], buf, sizeof(buf));
			if (n > 0) {
				/* keep the end: haproxy's reason is last */
				if (off + (size_t)n >= msglen) {
					size_t	 keep = msglen / 2;

					if (off > keep) {
						memmove(msg, msg + off - keep,
						    keep);
						off = keep;
					}
					if (off + (size_t)n >= msglen)
						n = msglen - off - 1;
				}
				memcpy(msg + off, buf, n);
				off += n;
				msg[off] = '\0';
				continue;
			}
			if (n == 0 && done)
				break;
			if (n == 0)
				eof = 1;
		} else if (done)
			break;
		if (!done && !killed && time(NULL) - start > RUNNER_TIMEOUT) {
			runner_note(ibuf, 2, "%s did not finish in %d s; "
			    "killing it", argv[0], RUNNER_TIMEOUT);
			kill(pid, SIGKILL);
			killed = 1;
		}
	}
	close(p[0]);
	/* strip the trailing newline for one-line logging */
	while (off > 0 && (msg[off - 1] == '\n' || msg[off - 1] == '\r'))
		msg[--off] = '\0';
	if (WIFEXITED(status))
		return (WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		snprintf(msg + off, msglen - off, "%skilled by signal %d",
		    off ? "; " : "", WTERMSIG(status));
	return (-1);
}

/*
 * libsystemd's sd-bus, loaded only when start_by=systemd asks for it:
 * libsystemd and its libraries (compression, gcrypt...) stay out of the
 * other processes and out of a reloader that runs the binary.
 */
static struct {
	void	*dl;
	int	(*bus_new)(sd_bus **);
	int	(*bus_set_address)(sd_bus *, const char *);
	int	(*bus_set_bus_client)(sd_bus *, int);
	int	(*bus_start)(sd_bus *);
	int	(*bus_open_system)(sd_bus **);
	sd_bus	*(*bus_unref)(sd_bus *);
	sd_bus	*(*bus_flush_close_unref)(sd_bus *);
	int	(*bus_call_method)(sd_bus *, const char *, const char *,
		    const char *, const char *, sd_bus_error *,
		    sd_bus_message **, const char *, ...);
	int	(*bus_message_read)(sd_bus_message *, const char *, ...);
	sd_bus_message *(*bus_message_unref)(sd_bus_message *);
	void	(*bus_error_free)(sd_bus_error *);
	int	(*bus_add_match)(sd_bus *, sd_bus_slot **, const char *,
		    sd_bus_message_handler_t, void *);
	int	(*bus_process)(sd_bus *, sd_bus_message **);
	int	(*bus_wait)(sd_bus *, uint64_t);
} sdb;

/* The job systemd queued for us, and how it ended (JobRemoved). */
struct sd_job {
	char	path[256];
	char	result[32];
	int	done;
};

static int
systemd_load(char *msg, size_t msglen)
{
	void	*dl;

	if (sdb.dl != NULL)
		return (0);
	if ((dl = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL)) ==
	    NULL) {
		snprintf(msg, msglen, "start_by = systemd: %s", dlerror());
		return (-1);
	}
#define SDB_SYM(f, name)	do {					\
	if ((*(void **)&sdb.f = dlsym(dl, name)) == NULL) {		\
		snprintf(msg, msglen, "libsystemd: no %s", name);	\
		dlclose(dl);						\
		return (-1);						\
	}								\
} while (0)
	SDB_SYM(bus_new, "sd_bus_new");
	SDB_SYM(bus_set_address, "sd_bus_set_address");
	SDB_SYM(bus_set_bus_client, "sd_bus_set_bus_client");
	SDB_SYM(bus_start, "sd_bus_start");
	SDB_SYM(bus_open_system, "sd_bus_open_system");
	SDB_SYM(bus_unref, "sd_bus_unref");
	SDB_SYM(bus_flush_close_unref, "sd_bus_flush_close_unref");
	SDB_SYM(bus_call_method, "sd_bus_call_method");
	SDB_SYM(bus_message_read, "sd_bus_message_read");
	SDB_SYM(bus_message_unref, "sd_bus_message_unref");
	SDB_SYM(bus_error_free, "sd_bus_error_free");
	SDB_SYM(bus_add_match, "sd_bus_add_match");
	SDB_SYM(bus_process, "sd_bus_process");
	SDB_SYM(bus_wait, "sd_bus_wait");
#undef SDB_SYM
	sdb.dl = dl;
	return (0);
}

/* JobRemoved(u id, o job, s unit, s result): is it ours? */
static int
systemd_job_removed(sd_bus_message *m, void *arg, sd_bus_error *err)
{
	struct sd_job	*j = arg;
	const char	*path, *unit, *result;
	uint32_t	 id;

	if (sdb.bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return (0);
	if (j->path[0] != '\0' && strcmp(path, j->path) == 0) {
		strlcpy(j->result, result, sizeof(j->result));
		j->done = 1;
	}
	return (0);
}

/*
 * start_by=systemd: ask systemd's manager over D-Bus, as systemctl
 * would, without running systemctl: subscribe, queue the job, and wait
 * for it to end (JobRemoved), so that a reload the unit refuses (its
 * ExecReload failed) is a failure here too.  EP2D_SYSTEMD_BUS names
 * another bus (a test's private bus with a stand-in manager).
 */
static int
systemd_call(const char *method, const char *unit, char *msg, size_t msglen)
{
	sd_bus_error	 error = SD_BUS_ERROR_NULL;
	sd_bus_message	*reply = NULL;
	sd_bus		*bus = NULL;
	struct sd_job	 j;
	const char	*addr, *job;
	time_t		 start;
	int		 r;

	memset(&j, 0, sizeof(j));
	if (systemd_load(msg, msglen) == -1)
		return (-1);
	if ((addr = getenv("EP2D_SYSTEMD_BUS")) != NULL) {
		if ((r = sdb.bus_new(&bus)) >= 0 &&
		    (r = sdb.bus_set_address(bus, addr)) >= 0 &&
		    (r = sdb.bus_set_bus_client(bus, 1)) >= 0)
			r = sdb.bus_start(bus);
	} else
		r = sdb.bus_open_system(&bus);
	if (r < 0) {
		snprintf(msg, msglen, "connect to systemd: %s", strerror(-r));
		sdb.bus_unref(bus);
		return (-1);
	}
	if ((r = sdb.bus_add_match(bus, NULL, "type='signal',"
	    "sender='org.freedesktop.systemd1',"
	    "path='/org/freedesktop/systemd1',"
	    "interface='org.freedesktop.systemd1.Manager',"
	    "member='JobRemoved'", systemd_job_removed, &j)) < 0 ||
	    (r = sdb.bus_call_method(bus, "org.freedesktop.systemd1",
	    "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
	    "Subscribe", &error, NULL, "")) < 0) {
		snprintf(msg, msglen, "systemd Subscribe: %s",
		    error.message ? error.message : strerror(-r));
		r = -1;
		goto out;
	}
	r = sdb.bus_call_method(bus, "org.freedesktop.systemd1",
	    "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
	    method, &error, &reply, "ss", unit, "replace");
	if (r < 0) {
		snprintf(msg, msglen, "systemd %s %s: %s", method, unit,
		    error.message ? error.message : strerror(-r));
		r = -1;
		goto out;
	}
	if (sdb.bus_message_read(reply, "o", &job) < 0) {
		snprintf(msg, msglen, "systemd %s %s: no job in the answer",
		    method, unit);
		r = -1;
		goto out;
	}
	strlcpy(j.path, job, sizeof(j.path));
	/* the signal may have come with the answer: process, then wait */
	start = time(NULL);
	while (!j.done && time(NULL) - start <= RUNNER_TIMEOUT) {
		if ((r = sdb.bus_process(bus, NULL)) < 0)
			break;
		if (r == 0 && !j.done)
			(void)sdb.bus_wait(bus, 1000 * 1000);
	}
	if (!j.done) {
		snprintf(msg, msglen, "systemd %s %s: job %s did not end "
		    "within %d s", method, unit, j.path, RUNNER_TIMEOUT);
		r = -1;
	} else if (strcmp(j.result, "done") != 0) {
		snprintf(msg, msglen, "systemd %s %s: job %s (see "
		    "journalctl -u %s)", method, unit, j.result, unit);
		r = -1;
	} else {
		snprintf(msg, msglen, "systemd %s %s: job %s done", method,
		    unit, j.path);
		r = 0;
	}
 out:
	sdb.bus_error_free(&error);
	sdb.bus_message_unref(reply);
	sdb.bus_flush_close_unref(bus);
	return (r);
}

/*
 * The pids in pid_file that are alive: haproxy's -sf list.  A line that
 * is not a pid is reported to the reloader when ibuf is its pair.  With
 * ours set, only HAProxy's processes for our configuration are kept,
 * and any other is reported.
 */
static int
haproxy_pids(struct imsgbuf *ibuf, pid_t *pids, int max, int ours)
{
	FILE		*fp;
	char		 line[64], why[768], *ep;
	long		 v;
	int		 pfd, n = 0, bad = 0, lines = 0;

	/* a FIFO in its place must not hold the runner */
	if ((pfd = file_open(rconf->pid_file, FILE_READ, 0)) == -1)
		return (0);
	if ((fp = fdopen(pfd, "r")) == NULL) {
		close(pfd);
		return (0);
	}
	/* HAProxy writes one line per process: a long file is not its */
	while (n < max && lines++ < 4 * max &&
	    fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			continue;
		errno = 0;
		v = strtol(line, &ep, 10);
		if (errno != 0 || *ep != '\0' || v <= 1 || v > INT32_MAX) {
			if (ibuf != NULL && bad++ < 4)
				runner_note(ibuf, 2, "%s: ignoring \"%.20s\": "
				    "not a pid", rconf->pid_file, line);
			continue;
		}
		if (kill((pid_t)v, 0) == -1 && errno == ESRCH)
			continue;
		if (ours && !apply_pid_is_haproxy(rconf, (pid_t)v, why,
		    sizeof(why))) {
			if (ibuf != NULL && bad++ < 4)
				runner_note(ibuf, 2, "%s: pid %ld is not "
				    "HAProxy's, not signalled: %s",
				    rconf->pid_file, v, why);
			continue;
		}
		pids[n++] = (pid_t)v;
	}
	fclose(fp);
	return (n);
}

/* Tell the reloader what to log (1: info, 2: a warning). */
static void
runner_note(struct imsgbuf *ibuf, int level, const char *fmt, ...)
{
	char		 line[EP2D_HAPROXY_MSG_MAX];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (imsg_compose(ibuf, level == 2 ? IMSG_RUNNER_WARN :
	    IMSG_RUNNER_INFO, 0, 0, -1, line, strlen(line) + 1) == -1)
		fatal("runner: imsg_compose");
	if (imsgbuf_flush(ibuf) == -1)
		_exit(0);	/* the reloader is gone */
}

/*
 * What HAProxy cannot do under the runner's filter, which refuses it
 * any execve: run a program ("program" sections, "external-check"
 * commands) or be its own master ("master-worker": the master
 * re-executes itself once loaded).  Refused here with a line that says
 * why, rather than with a HAProxy that starts and dies.  Only a first
 * word is looked at: this is for the message, the filter is the lock.
 */
static int
runner_scan(const char *path, char *msg, size_t msglen)
{
	static const char *const words[] = {
		"program", "master-worker", "external-check"
	};
	FILE		*fp;
	char		 line[256], *w;
	size_t		 i, n;
	int		 fd, lineno = 0, start = 1, r = 0;

	if ((fd = file_open(path, FILE_READ, 0)) == -1)
		return (0);	/* haproxy -c says what is wrong */
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return (0);
	}
	while (r == 0 && fgets(line, sizeof(line), fp) != NULL) {
		n = strlen(line);
		if (start) {
			lineno++;
			w = line + strspn(line, " \t");
			n = strcspn(w, " \t\r\n");
			for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
				if (strlen(words[i]) != n ||
				    strncmp(w, words[i], n) != 0)
					continue;
				snprintf(msg, msglen, "%.1024s:%d: \"%s\": HAProxy "
				    "started by ep2d (start_by = binary) may "
				    "run no program, so it has no master and "
				    "no programs; see ep2d(8), SECURITY "
				    "CONSIDERATIONS", path, lineno, words[i]);
				r = -1;
				break;
			}
		}
		start = strchr(line, '\n') != NULL;
	}
	fclose(fp);
	return (r);
}

/* haproxy -c on haproxy.cfg.new; not -q, which would silence the reason */
static void
runner_check(struct imsgbuf *ibuf, struct runner_res *rs)
{
	char	 newcfg[PATH_MAX + 8];
	char	*argv[6];

	snprintf(newcfg, sizeof(newcfg), "%s.new", rconf->haproxy_config_file);
	if (rconf->start_by == START_BINARY &&
	    runner_scan(newcfg, rs->msg, sizeof(rs->msg)) == -1) {
		rs->status = 1;
		return;
	}
	argv[0] = (char *)rconf->haproxy_binary;
	argv[1] = "-c";
	argv[2] = "-f";
	argv[3] = newcfg;
	argv[4] = NULL;
	rs->status = run_argv(ibuf, argv, rs->msg, sizeof(rs->msg));
}

/*
 * Start HAProxy, or reload it when the pid file names a live one:
 * haproxy -D -f CFG -p PID [-x SOCK -sf OLDPIDS], or systemd's
 * StartUnit or ReloadUnit.  No -W: a master re-executes itself, and
 * nothing started here may execute anything (sandbox_execve); the
 * reload is a new HAProxy taking the listeners over (-x) and finishing
 * the old ones (-sf) all the same.  Not -q: it silences HAProxy's ALERT
 * lines too, and a start that fails ("cannot bind socket") would have
 * no reason to give.  Once daemonized HAProxy says nothing more here.
 */
static void
runner_apply(struct imsgbuf *ibuf, struct runner_res *rs)
{
	char	 pidbuf[RUNNER_MAX_PIDS][16];
	char	 unit[EP2D_NAME_MAX + 16];
	char	*argv[16 + RUNNER_MAX_PIDS];
	pid_t	 pids[RUNNER_MAX_PIDS];
	int	 argc = 0, i, npids;

	/* systemd signals its own: we only need to know whether it runs */
	npids = haproxy_pids(ibuf, pids, RUNNER_MAX_PIDS,
	    rconf->start_by == START_BINARY);
	if (rconf->start_by == START_SYSTEMD) {
		if (strchr(rconf->service_name, '.') == NULL)
			snprintf(unit, sizeof(unit), "%s.service",
			    rconf->service_name);
		else
			strlcpy(unit, rconf->service_name, sizeof(unit));
		runner_note(ibuf, 1, "%s %s", npids > 0 ? "reloading" :
		    "starting", unit);
		rs->status = systemd_call(npids > 0 ? "ReloadUnit" :
		    "StartUnit", unit, rs->msg, sizeof(rs->msg));
	} else {
		argv[argc++] = (char *)rconf->haproxy_binary;
		argv[argc++] = "-D";
		argv[argc++] = "-f";
		argv[argc++] = (char *)rconf->haproxy_config_file;
		argv[argc++] = "-p";
		argv[argc++] = (char *)rconf->pid_file;
		if (npids > 0) {
			if (rconf->nsockets > 0 &&
			    access(rconf->sockets[0], F_OK) == 0) {
				argv[argc++] = "-x";
				argv[argc++] = (char *)rconf->sockets[0];
			}
			argv[argc++] = "-sf";
			for (i = 0; i < npids; i++) {
				snprintf(pidbuf[i], sizeof(pidbuf[i]), "%d",
				    (int)pids[i]);
				argv[argc++] = pidbuf[i];
			}
		}
		argv[argc] = NULL;
		runner_note(ibuf, 1, "%s haproxy%s", npids > 0 ? "reloading" :
		    "starting", npids > 0 ? "" : " (not running)");
		rs->status = run_argv(ibuf, argv, rs->msg, sizeof(rs->msg));
	}
	rs->pid = haproxy_pids(NULL, pids, 1,
	    rconf->start_by == START_BINARY) == 1 ? pids[0] : 0;
}

/*
 * A request is a kind of run: no data, no descriptor.  Anything else is
 * refused with a line to the reloader (-1).
 */
static int
runner_valid(struct imsgbuf *ibuf, struct imsg *imsg)
{
	int	 fd;

	if ((fd = imsg_get_fd(imsg)) != -1) {
		close(fd);
		runner_note(ibuf, 2, "runner: a request with a descriptor; "
		    "refused");
		return (-1);
	}
	if (imsg_get_type(imsg) != IMSG_RUNNER_CHECK &&
	    imsg_get_type(imsg) != IMSG_RUNNER_APPLY) {
		runner_note(ibuf, 2, "runner: a message of unknown type "
		    "(imsg %u); refused", imsg_get_type(imsg));
		return (-1);
	}
	if (imsg_get_len(imsg) != 0) {
		runner_note(ibuf, 2, "runner: a request of %zu bytes, not 0; "
		    "refused", imsg_get_len(imsg));
		return (-1);
	}
	return (0);
}

/* One request, one answer: a refused one is a run that did not happen. */
static void
runner_request(struct imsgbuf *ibuf, struct imsg *imsg)
{
	struct runner_res	 rs;

	memset(&rs, 0, sizeof(rs));
	if (runner_valid(ibuf, imsg) == -1) {
		rs.status = -1;
		strlcpy(rs.msg, "request refused by the runner",
		    sizeof(rs.msg));
	} else if (imsg_get_type(imsg) == IMSG_RUNNER_CHECK)
		runner_check(ibuf, &rs);
	else
		runner_apply(ibuf, &rs);
	if (imsg_compose(ibuf, IMSG_RUNNER_RESULT, 0, 0, -1, &rs,
	    sizeof(rs)) == -1)
		fatal("runner: imsg_compose");
	if (imsgbuf_flush(ibuf) == -1)
		_exit(0);	/* the reloader is gone */
}

/*
 * The runner's loop, on its end of the pair, with the configuration it
 * keeps for its life.  The reloader closing its end ends it.
 */
void
runner_serve(const struct run_conf *conf, int fd)
{
	struct imsgbuf	 ibuf;
	struct imsg	 imsg;
	ssize_t		 n;

	rconf = conf;		/* this process's copy: never changes */
	if (imsgbuf_init(&ibuf, fd) == -1)
		fatal("runner: imsgbuf_init");
	/* a descriptor sent along is taken, to be closed and refused */
	imsgbuf_allow_fdpass(&ibuf);
	for (;;) {
		switch (imsgbuf_read(&ibuf)) {
		case -1:
			fatal("runner: read");
		case 0:
			_exit(0);	/* the reloader is gone */
		}
		for (;;) {
			if ((n = imsg_get(&ibuf, &imsg)) == -1)
				fatal("runner: imsg_get");
			if (n == 0)
				break;
			runner_request(&ibuf, &imsg);
			imsg_free(&imsg);
		}
	}
}

/*
 * Fork the runner.  Called by the reloader before it confines itself,
 * with the configuration the runner keeps for its life; returns the
 * reloader's end of the pair, or -1.  With start_by = systemd the
 * runner loads libsystemd before its sandbox closes.
 */
int
runner_start(const struct run_conf *conf)
{
	char	 msg[256];
	int	 fd;
	pid_t	 pid;

	if ((pid = proc_helper(PROC_RUNNER, &fd)) == -1)
		return (-1);
	if (pid > 0)
		return (runner_attach(fd) == -1 ? -1 : fd);

	/* the runner; HAProxy is not to inherit the parent's channel */
	close(PROC_PARENT_SOCK_FILENO);
	if (conf->start_by == START_SYSTEMD &&
	    systemd_load(msg, sizeof(msg)) == -1)
		log_warnx("%s", msg);	/* said again at each call */
	if (sandbox_runner(conf) == -1)
		fatalx("runner: sandbox");
	runner_serve(conf, fd);
}

/* The reloader's end of the pair to the runner. */
int
runner_attach(int fd)
{
	if (imsgbuf_init(&runner_ibuf, fd) == -1) {
		log_warn("runner: imsgbuf_init");
		close(fd);
		return (-1);
	}
	/* a descriptor sent along is taken, to be closed and refused */
	imsgbuf_allow_fdpass(&runner_ibuf);
	runner_fd = fd;
	return (0);
}

/*
 * The runner died (a sandbox violation, a kill): the reaper says how
 * (proc.c), then the reloader ends too and the parent reports it; a
 * stop sent to the process group is a stop here as well.  Called when
 * a request finds the pair closed, and by the reloader's event loop
 * when its end turns readable between requests (that is, closed).
 */
void
runner_lost(void)
{
	exit(proc_gone(PROC_RUNNER) ? 0 : 1);
}

/*
 * A message from the runner, in the reloader: 1 when it is the answer
 * (in rs), 0 when it was a note, logged, or refused.  A malformed
 * answer is refused with a line and stands for a run that did not
 * happen: the runner answers once.
 */
static int
runner_answer(struct imsg *imsg, struct runner_res *rs)
{
	char		*line;
	size_t		 len = imsg_get_len(imsg);
	uint32_t	 type = imsg_get_type(imsg);
	int		 fd;

	if ((fd = imsg_get_fd(imsg)) != -1) {
		close(fd);
		log_warnx("runner: a message with a descriptor (imsg %u); "
		    "refused", type);
		if (type != IMSG_RUNNER_RESULT)
			return (0);
		goto refused;
	}
	switch (type) {
	case IMSG_RUNNER_INFO:
	case IMSG_RUNNER_WARN:
		line = imsg->data;
		if (len == 0 || len > EP2D_HAPROXY_MSG_MAX ||
		    line[len - 1] != '\0') {
			log_warnx("runner: a note of %zu bytes, not a line; "
			    "refused", len);
			return (0);
		}
		if (type == IMSG_RUNNER_WARN)
			log_warnx("%s", line);
		else
			log_info("%s", line);
		return (0);
	case IMSG_RUNNER_RESULT:
		if (imsg_get_data(imsg, rs, sizeof(*rs)) == -1) {
			log_warnx("runner: an answer of %zu bytes, not %zu; "
			    "refused", len, sizeof(*rs));
			goto refused;
		}
		rs->msg[sizeof(rs->msg) - 1] = '\0';
		return (1);
	default:
		log_warnx("runner: a message of unknown type (imsg %u); "
		    "refused", type);
		return (0);
	}

 refused:
	memset(rs, 0, sizeof(*rs));
	rs->status = -1;
	strlcpy(rs->msg, "the runner's answer was refused", sizeof(rs->msg));
	return (1);
}

/*
 * The reloader's side: ask, log the runner's notes, wait for the
 * answer.  The runner's work is blocking, and so was the reloader's
 * before it; the runner bounds it (RUNNER_TIMEOUT), and each read here
 * waits for a record of its.
 */
int
runner_call(uint32_t kind, struct runner_res *rs)
{
	struct imsg	 imsg;
	ssize_t		 n;
	int		 r;

	memset(rs, 0, sizeof(*rs));
	if (kind != RUNNER_CHECK && kind != RUNNER_APPLY)
		fatalx("runner: unknown request %u", kind);
	if (runner_fd == -1)
		runner_lost();
	/* what came unasked, read with an earlier answer, is not this one */
	runner_unasked();
	if (imsg_compose(&runner_ibuf, kind, 0, 0, -1, NULL, 0) == -1)
		fatal("runner: imsg_compose");
	if (imsgbuf_flush(&runner_ibuf) == -1) {
		if (errno == EPIPE)
			runner_lost();
		fatal("runner: send");
	}
	for (;;) {
		while ((n = imsg_get(&runner_ibuf, &imsg)) == 0)
			switch (imsgbuf_read(&runner_ibuf)) {
			case -1:
				fatal("runner: read");
			case 0:
				runner_lost();
			}
		if (n == -1)
			fatal("runner: imsg_get");
		r = runner_answer(&imsg, rs);
		imsg_free(&imsg);
		if (r == 1)
			return (rs->status);
	}
}

/* What the runner said that no request asked for: a line each. */
static void
runner_unasked(void)
{
	struct imsg	 imsg;
	ssize_t		 n;

	while ((n = imsg_get(&runner_ibuf, &imsg)) != 0) {
		if (n == -1)
			fatal("runner: imsg_get");
		log_warnx("runner: a message nobody asked for (imsg %u); "
		    "ignored", imsg_get_type(&imsg));
		imsg_free(&imsg);
	}
}

/*
 * Between requests the runner says nothing: the reloader's event loop
 * calls this when its end turns readable, which is mostly its closing.
 */
void
runner_idle(void)
{
	switch (imsgbuf_read(&runner_ibuf)) {
	case -1:
	case 0:
		runner_lost();
	}
	runner_unasked();
}
