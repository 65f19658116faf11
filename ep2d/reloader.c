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
 * The reloader: the one process that starts programs.  It stays root
 * and runs, on a typed request from the parent, only
 *	haproxy -c -q -f CFG.new		(validate)
 *	haproxy -W -q -D -f CFG -p PID [-x SOCK -sf OLDPIDS]	(start, reload)
 * or asks systemd to start or reload service_name.  Every path and the
 * binary come from ep2.conf as this process read it: an imsg says only
 * what to do, never with what.  No shell is involved at any point.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <systemd/sd-bus.h>

#include "ep2d.h"
#include "log.h"
#include "proc.h"

#define RELOADER_MAX_PIDS	64
#define RELOADER_TIMEOUT	60	/* seconds for one haproxy run */

static struct ep2_conf	 conf;
static struct imsgev	 iev_parent;

static void	 reloader_dispatch_parent(int, short, void *);
static void	 reloader_sig(int, short, void *);
static void	 reloader_do(int);
static int	 run_argv(char *const [], char *, size_t);
static int	 haproxy_pids(pid_t *, int);
static int	 systemd_call(const char *, char *, size_t);

/* The pids in pid_file that are alive: haproxy's -sf list. */
static int
haproxy_pids(pid_t *pids, int max)
{
	FILE		*fp;
	char		 line[64], *ep;
	long		 v;
	int		 n = 0;

	if ((fp = fopen(conf.pid_file, "re")) == NULL)
		return (0);
	while (n < max && fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			continue;
		errno = 0;
		v = strtol(line, &ep, 10);
		if (errno != 0 || *ep != '\0' || v <= 1 || v > INT32_MAX) {
			log_warnx("%s: ignoring \"%.20s\": not a pid",
			    conf.pid_file, line);
			continue;
		}
		if (kill((pid_t)v, 0) == -1 && errno == ESRCH)
			continue;
		pids[n++] = (pid_t)v;
	}
	fclose(fp);
	return (n);
}

/* Read the first pid of the pid file, or 0. */
static pid_t
haproxy_pid(void)
{
	pid_t	 pids[1];

	return (haproxy_pids(pids, 1) == 1 ? pids[0] : 0);
}

/*
 * Run argv with stdout and stderr into a pipe, keep the last bytes of
 * what it said in msg.  haproxy -D leaves a daemon behind that may hold
 * the pipe open, so stop reading when the child we started has exited.
 */
static int
run_argv(char *const argv[], char *msg, size_t msglen)
{
	struct pollfd	 pfd;
	pid_t		 pid;
	int		 p[2], status = -1, done = 0, eof = 0, fd;
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
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "execv %s: %s\n", argv[0],
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
		if (!done && time(NULL) - start > RELOADER_TIMEOUT) {
			log_warnx("%s did not finish in %d s; killing it",
			    argv[0], RELOADER_TIMEOUT);
			kill(pid, SIGKILL);
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
} sdb;

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
#undef SDB_SYM
	sdb.dl = dl;
	return (0);
}

/*
 * start_by=systemd: ask systemd's manager over D-Bus, as systemctl
 * would, without running systemctl.  EP2D_SYSTEMD_BUS names another
 * bus (a test's private bus with a stand-in manager).
 */
static int
systemd_call(const char *method, char *msg, size_t msglen)
{
	sd_bus_error	 error = SD_BUS_ERROR_NULL;
	sd_bus_message	*reply = NULL;
	sd_bus		*bus = NULL;
	const char	*addr, *job;
	char		 unit[EP2D_NAME_MAX + 16];
	int		 r;

	if (strchr(conf.service_name, '.') == NULL)
		snprintf(unit, sizeof(unit), "%s.service", conf.service_name);
	else
		strlcpy(unit, conf.service_name, sizeof(unit));

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
	r = sdb.bus_call_method(bus, "org.freedesktop.systemd1",
	    "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
	    method, &error, &reply, "ss", unit, "replace");
	if (r < 0) {
		snprintf(msg, msglen, "systemd %s %s: %s", method, unit,
		    error.message ? error.message : strerror(-r));
		r = -1;
	} else {
		if (sdb.bus_message_read(reply, "o", &job) < 0)
			job = "?";
		snprintf(msg, msglen, "systemd %s %s: job %s", method, unit,
		    job);
		r = 0;
	}
	sdb.bus_error_free(&error);
	sdb.bus_message_unref(reply);
	sdb.bus_flush_close_unref(bus);
	return (r);
}

static void
reloader_do(int cmd)
{
	struct haproxy_result	 res;
	char			 newcfg[PATH_MAX + 8];
	char			 pidbuf[RELOADER_MAX_PIDS][16];
	char			*argv[16 + RELOADER_MAX_PIDS];
	pid_t			 pids[RELOADER_MAX_PIDS];
	int			 argc = 0, i, npids;

	memset(&res, 0, sizeof(res));
	res.cmd = cmd;
	switch (cmd) {
	case IMSG_HAPROXY_CHECK:
		snprintf(newcfg, sizeof(newcfg), "%s.new",
		    conf.haproxy_config_file);
		argv[argc++] = conf.haproxy_binary;
		argv[argc++] = "-c";
		argv[argc++] = "-q";
		argv[argc++] = "-f";
		argv[argc++] = newcfg;
		argv[argc] = NULL;
		res.status = run_argv(argv, res.msg, sizeof(res.msg));
		break;
	case IMSG_HAPROXY_START:
	case IMSG_HAPROXY_RELOAD:
		npids = haproxy_pids(pids, RELOADER_MAX_PIDS);
		if (conf.start_by == START_SYSTEMD) {
			res.status = systemd_call(npids > 0 ? "ReloadUnit" :
			    "StartUnit", res.msg, sizeof(res.msg));
			res.pid = haproxy_pid();
			break;
		}
		argv[argc++] = conf.haproxy_binary;
		argv[argc++] = "-W";
		argv[argc++] = "-q";
		argv[argc++] = "-D";
		argv[argc++] = "-f";
		argv[argc++] = conf.haproxy_config_file;
		argv[argc++] = "-p";
		argv[argc++] = conf.pid_file;
		if (npids > 0) {
			if (conf.nsockets > 0 &&
			    access(conf.sockets[0], F_OK) == 0) {
				argv[argc++] = "-x";
				argv[argc++] = conf.sockets[0];
			}
			argv[argc++] = "-sf";
			for (i = 0; i < npids; i++) {
				snprintf(pidbuf[i], sizeof(pidbuf[i]), "%d",
				    (int)pids[i]);
				argv[argc++] = pidbuf[i];
			}
		}
		argv[argc] = NULL;
		log_info("%s haproxy%s", npids > 0 ? "reloading" : "starting",
		    npids > 0 ? "" : " (not running)");
		res.status = run_argv(argv, res.msg, sizeof(res.msg));
		res.pid = haproxy_pid();
		break;
	default:
		fatalx("%s: unexpected command %d", __func__, cmd);
	}
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
	struct ep2_conf	 nconf;
	FILE		*fp;
	ssize_t		 n;
	int		 nfd, v, r;

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
		case IMSG_HAPROXY_START:
		case IMSG_HAPROXY_RELOAD:
			if (imsg_get_len(&imsg) != 0)
				fatalx("%s: bad message length", __func__);
			reloader_do(imsg_get_type(&imsg));
			break;
		case IMSG_CONF_RELOAD:
			if ((nfd = imsg_get_fd(&imsg)) == -1) {
				log_warnx("config reload without a file");
				break;
			}
			if ((fp = fdopen(nfd, "r")) == NULL) {
				log_warn("fdopen");
				close(nfd);
				break;
			}
			log_quiet(1);
			r = config_parse_fp(fp, conf.conf_path, &nconf);
			log_quiet(0);
			if (r == 0)
				memcpy(&conf, &nconf, sizeof(conf));
			else
				log_warnx("new configuration refused");
			fclose(fp);
			break;
		case IMSG_LOG_REOPEN:
			if ((nfd = imsg_get_fd(&imsg)) != -1)
				log_file_setfd(nfd);
			break;
		case IMSG_VERBOSE:
			if (imsg_get_data(&imsg, &v, sizeof(v)) == 0)
				log_setverbose(v);
			break;
		default:
			fatalx("%s: unexpected imsg %u", __func__,
			    imsg_get_type(&imsg));
		}
		imsg_free(&imsg);
	}
	imsgev_add(&iev_parent);
}

static void
reloader_sig(int sig, short event, void *arg)
{
	/* SIGTERM/SIGINT: the parent is shutting down */
	exit(0);
}

void
reloader_main(const char *conffile, int debug, int verbose)
{
	struct event	 ev_sigterm, ev_sigint;
	int		 r;

	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit("reloader");
	setproctitle("%s", "reloader");

	log_quiet(1);
	r = config_parse(conffile, &conf);
	log_quiet(0);
	if (r == -1)
		fatalx("%s: configuration refused", conffile);
	if (conf.log_file[0] != '\0' && log_file_open(conf.log_file) == -1)
		log_warn("%s", conf.log_file);
	if (fcntl(PROC_PARENT_SOCK_FILENO, F_SETFD, FD_CLOEXEC) == -1)
		fatal("fcntl");

	if (conf.start_by == START_SYSTEMD) {
		char	 msg[256];

		/* now, while every file can still be read */
		if (systemd_load(msg, sizeof(msg)) == -1)
			log_warnx("%s", msg);
	}
	if (sandbox_reloader(&conf) == -1)
		fatalx("sandbox");

	event_init();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal_set(&ev_sigterm, SIGTERM, reloader_sig, NULL);
	signal_set(&ev_sigint, SIGINT, reloader_sig, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sigint, NULL);
	if (imsgev_init(&iev_parent, PROC_PARENT_SOCK_FILENO, "parent",
	    reloader_dispatch_parent, NULL) == -1)
		fatal("imsgbuf_init");
	/* the parent passes config and log file descriptors */
	imsgbuf_allow_fdpass(&iev_parent.ibuf);

	event_dispatch();
	exit(0);
}
