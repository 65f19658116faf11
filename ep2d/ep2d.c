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
 * ep2d: main() and the parent process.  The parent reads ep2.conf,
 * starts the fetcher and the reloader, takes the server sets the
 * fetcher sends, and brings HAProxy to them: by rendering the template
 * and a validated hitless reload (update_by_config), or over HAProxy's
 * runtime socket (update_by_runtime).  It also answers ep2ctl.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <systemd/sd-daemon.h>

#include "ep2d.h"
#include "apply.h"
#include "log.h"

#ifndef MINIMUM
#define MINIMUM(a, b)	(((a) < (b)) ? (a) : (b))
#endif
#include "proc.h"
#include "runtime.h"

enum apply_state {
	AP_IDLE,
	AP_CHECKING,		/* haproxy -c on CFG.new */
	AP_RELOADING,		/* start or reload asked */
	AP_RUNTIME		/* runtime_apply still at work */
};

struct parent {
	struct ep2_conf		 conf;
	char			*tmpl;
	size_t			 tmpllen;
	char			 self[PATH_MAX];
	char			 sockpath[PATH_MAX];
	int			 debug;
	int			 verbose;
	pid_t			 pids[PROC_MAX];
	struct imsgev		 iev[PROC_MAX];
	int			 lockfd;

	/* the fetcher's answer, arriving */
	struct server_set	 incoming;
	uint32_t		 incoming_gen;
	uint32_t		 incoming_count;
	int			 incoming_bad;
	int			 incoming_open;

	/* the backend */
	struct server_set	 wanted;
	int			 have_wanted;
	struct server_set	 applying;
	struct server_set	 applied;
	struct source_state	 source;
	struct runtime		 rt;

	enum apply_state	 ap_state;
	int			 ap_pending;	/* apply again when idle */
	int			 ap_force;	/* reload even if unchanged */
	int			 bootstrapped;
	int			 was_running;
	int64_t			 last_apply;
	int			 apply_ok;
	char			 apply_how[16];
	char			 apply_error[EP2D_ERR_MAX];
	uint32_t		 napplied;
	int64_t			 last_change;
	pid_t			 haproxy_pid;
	time_t			 started;
};

static struct parent	 p;

static __dead void	 usage(void);
static void		 parent_sig(int, short, void *);
static void		 parent_dispatch(int, short, void *);
static void		 parent_shutdown(int);
static void		 parent_reconf(void);
static void		 apply_start(void);
static void		 runtime_applied(int);
static void		 parent_child_gone(int);
static void		 apply_retry_schedule(int, const char *);
static void		 apply_result(struct haproxy_result *);
static int		 lock_config(const struct ep2_conf *);
static void		 notify_status(void);
static void		 lock_write_pid(void);
static void		 send_log_fd(void);
static void		 watchdog_init(void);

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-dnv] [-f file] [-s socket]\n",
	    __progname);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct event	 ev_sigterm, ev_sigint, ev_sighup, ev_sigchld;
	struct event	 ev_sigusr1;
	const char	*conffile = EP2D_CONF, *procname = NULL;
	int		 ch, noaction = 0, sp[PROC_MAX][2], i;

	p.lockfd = -1;
	strlcpy(p.sockpath, EP2D_SOCKET, sizeof(p.sockpath));
	while ((ch = getopt(argc, argv, "df:nP:s:v")) != -1) {
		switch (ch) {
		case 'd':
			p.debug = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'P':
			procname = optarg;
			break;
		case 's':
			if (strlcpy(p.sockpath, optarg, sizeof(p.sockpath)) >=
			    sizeof(p.sockpath))
				errx(1, "socket path too long");
			break;
		case 'v':
			p.verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc > 0)
		usage();

	if (procname != NULL) {
		if (strcmp(procname, "fetcher") == 0)
			fetcher_main(conffile, p.debug, p.verbose);
		if (strcmp(procname, "reloader") == 0)
			reloader_main(conffile, p.debug, p.verbose);
		errx(1, "unknown process %s", procname);
	}

	/* Configuration errors go to stderr, whatever the mode. */
	log_init(1, LOG_DAEMON);
	log_setverbose(p.verbose);
	log_procinit("parent");
	if (apply_file_safe(conffile, "configuration") == -1 ||
	    config_parse(conffile, &p.conf) == -1)
		errx(1, "%s: configuration refused", conffile);
	if (apply_load_template(&p.conf, &p.tmpl, &p.tmpllen) == -1)
		errx(1, "%s: template refused", p.conf.template_file);
	if (p.conf.orchestrator == ORCH_AWS && !p.conf.aws.ip_type_set)
		log_warnx("[AWS] ip_type is not set: using public addresses, "
		    "as EP2 did; set ip_type = private or public");
	if (noaction) {
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}

	if (geteuid() != 0)
		errx(1, "need root privileges");
	if (getpwnam(EP2D_USER) == NULL)
		errx(1, "unknown user %s: create it with \"useradd --system "
		    "--no-create-home --shell /usr/sbin/nologin %s\"",
		    EP2D_USER, EP2D_USER);
	if (proc_self_exe(p.self, sizeof(p.self)) == -1)
		err(1, "/proc/self/exe");
	if (lock_config(&p.conf) == -1)
		exit(1);

	log_init(p.debug, LOG_DAEMON);
	log_setverbose(p.verbose);
	if (p.conf.log_file[0] != '\0' && log_file_open(p.conf.log_file) == -1)
		log_warn("log_file %s", p.conf.log_file);
	if (!p.debug && daemon(0, 0) == -1)
		fatal("daemon");
	lock_write_pid();
	p.started = time(NULL);

	for (i = PROC_FETCHER; i < PROC_MAX; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0, sp[i]) == -1)
			fatal("socketpair");
		p.pids[i] = proc_spawn(p.self, i, sp[i][1], conffile,
		    p.debug, p.verbose);
		close(sp[i][1]);
	}
	setproctitle("%s", "parent");

	if (control_init(p.sockpath, (gid_t)-1) == -1)
		fatalx("control socket %s", p.sockpath);

	event_init();
	signal(SIGPIPE, SIG_IGN);
	signal_set(&ev_sigterm, SIGTERM, parent_sig, NULL);
	signal_set(&ev_sigint, SIGINT, parent_sig, NULL);
	signal_set(&ev_sighup, SIGHUP, parent_sig, NULL);
	signal_set(&ev_sigchld, SIGCHLD, parent_sig, NULL);
	signal_set(&ev_sigusr1, SIGUSR1, parent_sig, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sighup, NULL);
	signal_add(&ev_sigchld, NULL);
	signal_add(&ev_sigusr1, NULL);

	for (i = PROC_FETCHER; i < PROC_MAX; i++) {
		if (imsgev_init(&p.iev[i], sp[i][0], proc_name(i),
		    parent_dispatch, &p.iev[i]) == -1)
			fatal("imsgbuf_init");
	}
	if (control_listen() == -1)
		fatalx("control socket");

	set_init(&p.incoming);
	set_init(&p.wanted);
	set_init(&p.applying);
	set_init(&p.applied);
	runtime_init(&p.rt, &p.conf);

	watchdog_init();
	if (sandbox_parent(&p.conf) == -1)
		fatalx("sandbox");

	log_info("started: orchestrator %s, %s, backend %s",
	    config_orchestrator_name(p.conf.orchestrator),
	    config_update_type_name(p.conf.update_type),
	    p.conf.backend_name);
	event_dispatch();
	parent_shutdown(0);
	return (0);
}

/*
 * The lock in lock_dir: one ep2d per configuration.  flock(2) goes
 * away with the process, so a crash leaves no stale lock behind.
 */
static int
lock_config(const struct ep2_conf *conf)
{
	char		 path[PATH_MAX], real[PATH_MAX], buf[64];
	uint32_t	 h = 2166136261u;
	const char	*c;
	ssize_t		 n;
	int		 fd;

	if (realpath(conf->conf_path, real) == NULL)
		strlcpy(real, conf->conf_path, sizeof(real));
	for (c = real; *c != '\0'; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	if ((size_t)snprintf(path, sizeof(path), "%s/ep2d-%08x.lock",
	    conf->lock_dir, h) >= sizeof(path)) {
		warnx("lock_dir too long");
		return (-1);
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0644)) == -1) {
		warn("lock file %s", path);
		return (-1);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			warnx("another ep2d (pid %s) is running with %s "
			    "(lock %s)", buf[0] ? buf : "?", real, path);
		} else
			warn("lock %s", path);
		close(fd);
		return (-1);
	}
	p.lockfd = fd;
	return (0);
}

/* Record our pid in the lock, after daemon(3) changed it. */
static void
lock_write_pid(void)
{
	char	 buf[64];
	int	 n;

	if (p.lockfd == -1)
		return;
	n = snprintf(buf, sizeof(buf), "%d\n%s\n", (int)getpid(),
	    p.conf.conf_path);
	if (ftruncate(p.lockfd, 0) == 0 && n > 0 &&
	    pwrite(p.lockfd, buf, n, 0) != n)
		log_debug("%s: short write", __func__);
}

static void
parent_shutdown(int code)
{
	int	 i, status;

	/*
	 * Closing the pipes is enough: each child exits when its parent
	 * is gone.  SIGTERM as well, where we may send it (without
	 * CAP_KILL root cannot signal the fetcher, which runs as _ep2d).
	 */
	for (i = PROC_FETCHER; i < PROC_MAX; i++) {
		if (p.iev[i].ibuf.rbuf != NULL)
			imsgev_clear(&p.iev[i]);
		if (p.pids[i] > 0)
			(void)kill(p.pids[i], SIGTERM);
	}
	for (i = PROC_FETCHER; i < PROC_MAX; i++)
		if (p.pids[i] > 0)
			(void)waitpid(p.pids[i], &status, 0);
	control_cleanup(p.sockpath);
	if (p.tmpl != NULL)
		free(p.tmpl);
	log_info("%s", code ? "terminating on error" : "terminating");
	exit(code);
}

/*
 * A child is gone: say which and why, take the other one down too.
 * HAProxy is not touched on the way out and keeps its configuration.
 */
static void
parent_lost_child(void)
{
	pid_t	 pid;
	int	 status, i, lost = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = PROC_FETCHER; i < PROC_MAX; i++) {
			if (p.pids[i] != pid)
				continue;
			if (WIFSIGNALED(status))
				log_warnx("lost child: %s pid %d terminated; "
				    "signal %d%s", proc_name(i), (int)pid,
				    WTERMSIG(status), WTERMSIG(status) ==
				    SIGSYS ? " (sandbox violation)" : "");
			else
				log_warnx("lost child: %s pid %d exited %d",
				    proc_name(i), (int)pid,
				    WEXITSTATUS(status));
			p.pids[i] = 0;
			lost = 1;
		}
	}
	if (lost)
		parent_shutdown(1);
}

/*
 * A child's pipe closed: it is on its way out.  Wait a moment for its
 * exit status, so that the one log line says why.
 */
static void
parent_child_gone(int which)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	pid_t		 pid;
	int		 status, i;

	for (i = 0; i < 100 && p.pids[which] > 0; i++) {
		pid = waitpid(p.pids[which], &status, WNOHANG);
		if (pid == p.pids[which]) {
			if (WIFSIGNALED(status))
				log_warnx("lost child: %s pid %d terminated; "
				    "signal %d%s", proc_name(which), (int)pid,
				    WTERMSIG(status), WTERMSIG(status) ==
				    SIGSYS ? " (sandbox violation)" : "");
			else
				log_warnx("lost child: %s pid %d exited %d",
				    proc_name(which), (int)pid,
				    WEXITSTATUS(status));
			p.pids[which] = 0;
			return;
		}
		if (pid == -1)
			break;
		nanosleep(&ts, NULL);
	}
	log_warnx("lost child: %s pid %d closed its pipe", proc_name(which),
	    (int)p.pids[which]);
}

static void
parent_sig(int sig, short event, void *arg)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		parent_shutdown(0);
		break;
	case SIGCHLD:
		parent_lost_child();
		break;
	case SIGHUP:
		parent_reconf();
		break;
	case SIGUSR1:
		log_file_reopen();
		send_log_fd();
		break;
	}
}

/*
 * SIGUSR1: logrotate moved log_file away.  The children cannot open it
 * themselves (the fetcher is chrooted), so each gets a descriptor.
 */
static void
send_log_fd(void)
{
	int	 i, fd;

	if (p.conf.log_file[0] == '\0')
		return;
	for (i = PROC_FETCHER; i < PROC_MAX; i++) {
		if ((fd = open(p.conf.log_file, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0640)) == -1) {
			log_warn("%s", p.conf.log_file);
			return;
		}
		if (imsgev_compose(&p.iev[i], IMSG_LOG_REOPEN, 0, fd, NULL,
		    0) == -1)
			fatal("%s: compose", __func__);
	}
}

/* Send each child a fresh descriptor of the new file. */
static void
send_conf_fd(const char *path)
{
	int	 i, fd;

	for (i = PROC_FETCHER; i < PROC_MAX; i++) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			log_warn("%s", path);
			continue;
		}
		if (imsgev_compose(&p.iev[i], IMSG_CONF_RELOAD, 0, fd, NULL,
		    0) == -1)
			fatal("%s: compose", __func__);
	}
}

/*
 * SIGHUP: read ep2.conf and the template again.  A bad new file is
 * refused with a log line and the old configuration keeps running.
 */
static void
parent_reconf(void)
{
	struct ep2_conf	*nconf;
	char		*ntmpl;
	size_t		 ntmpllen;

	log_info("SIGHUP: reloading %s", p.conf.conf_path);
	if ((nconf = calloc(1, sizeof(*nconf))) == NULL)
		fatal("calloc");
	if (apply_file_safe(p.conf.conf_path, "configuration") == -1 ||
	    config_parse(p.conf.conf_path, nconf) == -1) {
		log_warnx("%s: new configuration refused; keeping the old one",
		    p.conf.conf_path);
		free(nconf);
		return;
	}
	if (apply_load_template(nconf, &ntmpl, &ntmpllen) == -1) {
		log_warnx("%s: new template refused; keeping the old "
		    "configuration", nconf->template_file);
		free(nconf);
		return;
	}
	if (nconf->update_type != p.conf.update_type ||
	    strcmp(nconf->backend_name, p.conf.backend_name) != 0)
		log_warnx("update_type or backend_name changed: takes "
		    "effect with the next reload of HAProxy");
	/*
	 * In runtime mode a change to the file's own text (template,
	 * slots, check or maxconn settings) cannot go over the socket:
	 * it needs the validated reload.
	 */
	if (p.conf.update_type == UPDATE_RUNTIME && p.bootstrapped &&
	    (ntmpllen != p.tmpllen || memcmp(ntmpl, p.tmpl, ntmpllen) != 0 ||
	    nconf->node_slots != p.conf.node_slots ||
	    nconf->backend_maxconn != p.conf.backend_maxconn ||
	    strcmp(nconf->check_interval, p.conf.check_interval) != 0 ||
	    strcmp(nconf->backend_name, p.conf.backend_name) != 0))
		p.ap_force = 1;
	memcpy(&p.conf, nconf, sizeof(p.conf));
	free(nconf);
	free(p.tmpl);
	p.tmpl = ntmpl;
	p.tmpllen = ntmpllen;
	runtime_reconf(&p.rt, &p.conf);
	send_conf_fd(p.conf.conf_path);
	log_info("configuration reloaded");
	/* the template may have changed: render, and reload if it did */
	apply_start();
}

static void
set_apply_result(int ok, const char *how, const char *fmt, ...)
    __attribute__((__format__ (printf, 3, 4)));

static void
set_apply_result(int ok, const char *how, const char *fmt, ...)
{
	va_list	 ap;

	p.last_apply = time(NULL);
	p.apply_ok = ok;
	strlcpy(p.apply_how, how, sizeof(p.apply_how));
	va_start(ap, fmt);
	vsnprintf(p.apply_error, sizeof(p.apply_error), fmt, ap);
	va_end(ap);
	if (ok)
		p.napplied++;
	notify_status();
	apply_retry_schedule(ok, how);
}

/*
 * A failed write, install, start or reload (disk full, HAProxy gone...)
 * is tried again by itself, 1 s after the first failure and then twice
 * as late each time up to a minute, until it works or a new set comes.
 * A config that haproxy -c refused or a template that does not render
 * waits for a change instead: the same input fails the same way.
 */
static struct event	 ev_retry;
static int		 retry_init, retry_secs, retry_force;

static void
apply_retry(int fd, short event, void *arg)
{
	if (p.ap_state != AP_IDLE)
		return;
	log_info("trying the last failed apply again");
	if (retry_force)
		p.ap_force = 1;
	apply_start();
}

static void
apply_retry_schedule(int ok, const char *how)
{
	struct timeval	 tv;

	if (!retry_init) {
		evtimer_set(&ev_retry, apply_retry, NULL);
		retry_init = 1;
	}
	if (ok || strcmp(how, "check") == 0 || strcmp(how, "render") == 0) {
		if (ok)
			retry_secs = 0;
		evtimer_del(&ev_retry);
		return;
	}
	retry_secs = retry_secs == 0 ? 1 : MINIMUM(retry_secs * 2, 60);
	retry_force = strcmp(how, "reload") == 0;
	timerclear(&tv);
	tv.tv_sec = retry_secs;
	evtimer_add(&ev_retry, &tv);
}

/* systemd's WatchdogSec: tell it we are alive at half the interval. */
static struct event	 ev_watchdog;
static struct timeval	 tv_watchdog;

static void
watchdog_tick(int fd, short event, void *arg)
{
	(void)sd_notify(0, "WATCHDOG=1");
	evtimer_add(&ev_watchdog, &tv_watchdog);
}

static void
watchdog_init(void)
{
	uint64_t	 usec;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return;
	usec /= 2;
	tv_watchdog.tv_sec = usec / 1000000;
	tv_watchdog.tv_usec = usec % 1000000;
	evtimer_set(&ev_watchdog, watchdog_tick, NULL);
	evtimer_add(&ev_watchdog, &tv_watchdog);
}

static void
notify_status(void)
{
	(void)sd_notifyf(0, "STATUS=%zu servers wanted, %zu applied%s",
	    p.wanted.count, p.applied.count, p.apply_ok ? "" :
	    " (last apply failed)");
}

/*
 * Render the wanted set and, when the result differs from haproxy.cfg
 * (or a reload is forced), have the reloader validate it; the install
 * and the reload follow in apply_result().
 */
static void
render_and_check(void)
{
	struct tmpl_slot	*slots = NULL;
	size_t			 nslots = 0;
	char			*out = NULL;
	size_t			 outlen;
	int			 r;

	if (p.conf.update_type == UPDATE_RUNTIME)
		runtime_slots(&p.rt, &slots, &nslots);
	else {
		if ((slots = apply_config_slots(&p.applying)) == NULL)
			fatal("%s: calloc", __func__);
		nslots = p.applying.count;
	}
	r = template_render(p.tmpl, p.tmpllen, p.conf.template_file, &p.conf,
	    slots, nslots, &out, &outlen);
	free(slots);
	if (r == -1) {
		set_apply_result(0, "render", "template render failed");
		p.ap_state = AP_IDLE;
		return;
	}
	if (!p.ap_force && apply_same_as_disk(p.conf.haproxy_config_file,
	    out, outlen) && (p.haproxy_pid = apply_haproxy_pid(&p.conf)) > 0) {
		log_debug("haproxy.cfg unchanged; nothing to do");
		free(out);
		if (set_copy(&p.applied, &p.applying) == -1)
			fatal("set_copy");
		p.ap_state = AP_IDLE;
		return;
	}
	if (apply_write_new(p.conf.haproxy_config_file, out, outlen) == -1) {
		log_warn("write %s.new", p.conf.haproxy_config_file);
		set_apply_result(0, "write", "write %s.new: %s",
		    p.conf.haproxy_config_file, strerror(errno));
		free(out);
		p.ap_state = AP_IDLE;
		return;
	}
	free(out);
	p.ap_state = AP_CHECKING;
	if (imsgev_compose(&p.iev[PROC_RELOADER], IMSG_HAPROXY_CHECK, 0, -1,
	    NULL, 0) == -1)
		fatal("%s: compose", __func__);
}

static void
apply_start(void)
{
	int	 r;

	if (!p.have_wanted)
		return;
	if (p.ap_state != AP_IDLE) {
		p.ap_pending = 1;
		return;
	}
	p.ap_pending = 0;
	if (set_copy(&p.applying, &p.wanted) == -1)
		fatal("set_copy");

	if (!p.bootstrapped) {
		/* EP2's bootstrap: render, then start or reload */
		p.ap_force = 1;
		if (p.conf.update_type == UPDATE_RUNTIME)
			runtime_bootstrap(&p.rt, &p.applying);
		render_and_check();
		return;
	}
	if (p.conf.update_type == UPDATE_RUNTIME && !p.ap_force) {
		r = runtime_apply(&p.rt, &p.applying);
		if (r == RUNTIME_PENDING) {
			p.ap_state = AP_RUNTIME;
			return;
		}
		runtime_applied(r);
		return;
	}
	render_and_check();
}

/* The end of a runtime apply, at once or from parent_runtime_done(). */
static void
runtime_applied(int r)
{
	if (r == 0) {
		if (set_copy(&p.applied, &p.applying) == -1)
			fatal("set_copy");
		p.last_change = time(NULL);
		set_apply_result(1, "runtime", "%s", "");
		/* keep the file on disk equal to the running state */
		render_and_check();
		return;
	}
	if (r == -1)
		log_warnx("runtime update failed; falling back to "
		    "a validated reload");
	p.ap_force = 1;
	render_and_check();
}

void
parent_runtime_done(int r)
{
	if (p.ap_state != AP_RUNTIME) {
		log_warnx("%s: no runtime apply in progress", __func__);
		return;
	}
	p.ap_state = AP_IDLE;
	runtime_applied(r);
	if (p.ap_state == AP_IDLE && p.ap_pending)
		apply_start();
}

/* Slots changed on their own (a drained server left): disk follows. */
void
parent_runtime_changed(void)
{
	if (!p.bootstrapped || p.conf.update_type != UPDATE_RUNTIME)
		return;
	if (p.ap_state != AP_IDLE) {
		p.ap_pending = 1;
		return;
	}
	if (set_copy(&p.applying, &p.applied) == -1)
		fatal("set_copy");
	render_and_check();
}

static void
apply_result(struct haproxy_result *res)
{
	res->msg[sizeof(res->msg) - 1] = '\0';
	switch (res->cmd) {
	case IMSG_HAPROXY_CHECK:
		if (p.ap_state != AP_CHECKING)
			break;
		if (res->status != 0) {
			log_warnx("new haproxy configuration refused by "
			    "haproxy -c; the running HAProxy is untouched: %s",
			    res->msg);
			apply_discard(p.conf.haproxy_config_file);
			set_apply_result(0, "check", "haproxy -c: %s",
			    res->msg);
			p.ap_force = 0;
			p.ap_state = AP_IDLE;
			break;
		}
		if (apply_install(p.conf.haproxy_config_file) == -1) {
			log_warn("install %s", p.conf.haproxy_config_file);
			set_apply_result(0, "install", "rename: %s",
			    strerror(errno));
			p.ap_state = AP_IDLE;
			break;
		}
		if (p.conf.update_type == UPDATE_RUNTIME && p.bootstrapped &&
		    !p.ap_force && apply_haproxy_pid(&p.conf) > 0) {
			/* runtime already has it; the file follows */
			p.ap_state = AP_IDLE;
			break;
		}
		p.ap_state = AP_RELOADING;
		p.was_running = apply_haproxy_pid(&p.conf) > 0;
		if (imsgev_compose(&p.iev[PROC_RELOADER], IMSG_HAPROXY_RELOAD,
		    0, -1, NULL, 0) == -1)
			fatal("%s: compose", __func__);
		break;
	case IMSG_HAPROXY_START:
	case IMSG_HAPROXY_RELOAD:
		if (p.ap_state != AP_RELOADING)
			break;
		p.ap_state = AP_IDLE;
		p.ap_force = 0;
		if (res->status != 0) {
			log_warnx("haproxy start/reload failed: %s", res->msg);
			set_apply_result(0, "reload", "%s", res->msg);
			break;
		}
		p.haproxy_pid = res->pid;
		if (set_copy(&p.applied, &p.applying) == -1)
			fatal("set_copy");
		p.last_change = time(NULL);
		if (p.conf.update_type == UPDATE_RUNTIME)
			runtime_reloaded(&p.rt);
		log_info("haproxy %s with %zu servers (pid %d)",
		    p.was_running ? "reloaded" : "started",
		    p.applied.count, (int)res->pid);
		set_apply_result(1, "reload", "%s", "");
		if (!p.bootstrapped) {
			p.bootstrapped = 1;
			(void)sd_notify(0, "READY=1");
		}
		break;
	}
	if (p.ap_state == AP_IDLE && p.ap_pending)
		apply_start();
}

/* The fetcher's messages: untrusted, checked field by field. */
static void
parent_from_fetcher(struct imsg *imsg)
{
	struct set_begin	 sb;
	struct server		 srv;
	struct source_state	 st;
	uint32_t		 count;

	switch (imsg_get_type(imsg)) {
	case IMSG_SET_BEGIN:
		if (imsg_get_data(imsg, &sb, sizeof(sb)) == -1 ||
		    sb.backend != 0 || sb.count > EP2D_MAX_SERVERS) {
			log_warnx("fetcher: bad set header; set dropped");
			p.incoming_open = 0;
			break;
		}
		set_clear(&p.incoming);
		p.incoming_gen = imsg_get_id(imsg);
		p.incoming_count = sb.count;
		p.incoming_bad = 0;
		p.incoming_open = 1;
		break;
	case IMSG_SET_SERVER:
		if (!p.incoming_open || imsg_get_id(imsg) != p.incoming_gen)
			break;
		if (imsg_get_data(imsg, &srv, sizeof(srv)) == -1) {
			p.incoming_bad = 1;
			break;
		}
		srv.host[sizeof(srv.host) - 1] = '\0';
		if (!addr_valid_host(srv.host) || srv.port == 0 ||
		    set_add(&p.incoming, srv.host, srv.port) == -1) {
			log_warnx("fetcher: invalid server in set %u",
			    p.incoming_gen);
			p.incoming_bad = 1;
		}
		break;
	case IMSG_SET_END:
		if (!p.incoming_open || imsg_get_id(imsg) != p.incoming_gen)
			break;
		p.incoming_open = 0;
		if (imsg_get_data(imsg, &count, sizeof(count)) == -1 ||
		    count != p.incoming_count ||
		    count != p.incoming.count || p.incoming_bad) {
			log_warnx("fetcher: set %u incomplete or invalid; "
			    "dropped, keeping the current servers",
			    p.incoming_gen);
			break;
		}
		set_sort(&p.incoming);
		if (p.have_wanted && set_equal(&p.wanted, &p.incoming))
			break;
		if (set_copy(&p.wanted, &p.incoming) == -1)
			fatal("set_copy");
		p.have_wanted = 1;
		log_info("orchestrator: %zu servers", p.wanted.count);
		if (p.wanted.count == 0)
			log_warnx("orchestrator answered an empty set: "
			    "the backend will have no servers");
		apply_start();
		break;
	case IMSG_SOURCE_STATE:
		if (imsg_get_data(imsg, &st, sizeof(st)) == -1) {
			log_warnx("fetcher: bad source state");
			break;
		}
		st.error[sizeof(st.error) - 1] = '\0';
		p.source = st;
		break;
	default:
		log_warnx("fetcher: unexpected imsg %u", imsg_get_type(imsg));
		break;
	}
}

static void
parent_dispatch(int fd, short event, void *arg)
{
	struct imsgev		*iev = arg;
	struct imsg		 imsg;
	struct haproxy_result	*res;
	ssize_t			 n;
	int			 from;

	from = iev == &p.iev[PROC_FETCHER] ? PROC_FETCHER : PROC_RELOADER;
	if (imsgev_dispatch_io(iev, event) == -1) {
		parent_child_gone(from);
		parent_shutdown(1);
	}
	for (;;) {
		if ((n = imsg_get(&iev->ibuf, &imsg)) == -1) {
			log_warn("%s: imsg_get from %s", __func__,
			    proc_name(from));
			parent_shutdown(1);
		}
		if (n == 0)
			break;
		if (from == PROC_FETCHER)
			parent_from_fetcher(&imsg);
		else if (imsg_get_type(&imsg) == IMSG_HAPROXY_RESULT) {
			if ((res = malloc(sizeof(*res))) == NULL)
				fatal("malloc");
			if (imsg_get_data(&imsg, res, sizeof(*res)) == -1)
				fatalx("reloader: bad result");
			apply_result(res);
			free(res);
		} else
			fatalx("reloader: unexpected imsg %u",
			    imsg_get_type(&imsg));
		imsg_free(&imsg);
	}
	imsgev_add(iev);
}

/* What control.c asks. */
void
parent_ctl_status(struct ctl_status *st)
{
	memset(st, 0, sizeof(*st));
	strlcpy(st->backend, p.conf.backend_name, sizeof(st->backend));
	strlcpy(st->orchestrator,
	    config_orchestrator_name(p.conf.orchestrator),
	    sizeof(st->orchestrator));
	strlcpy(st->update_type, config_update_type_name(p.conf.update_type),
	    sizeof(st->update_type));
	st->source_ok = p.source.ok;
	st->last_fetch = p.source.last_fetch;
	st->last_ok = p.source.last_ok;
	st->failing_since = p.source.failing_since;
	strlcpy(st->source_error, p.source.error, sizeof(st->source_error));
	st->nservers = p.wanted.count;
	st->nslots = p.conf.update_type == UPDATE_RUNTIME ?
	    runtime_nslots(&p.rt) : p.applied.count;
	st->last_apply = p.last_apply;
	st->apply_ok = p.apply_ok;
	strlcpy(st->apply_how, p.apply_how, sizeof(st->apply_how));
	strlcpy(st->apply_error, p.apply_error, sizeof(st->apply_error));
	st->haproxy_pid = apply_haproxy_pid(&p.conf);
	st->started = p.started;
	st->napplied = p.napplied;
}

size_t
parent_ctl_slots(struct ctl_slot **rows)
{
	struct ctl_slot	*r;
	size_t		 i;

	if (p.conf.update_type == UPDATE_RUNTIME)
		return (runtime_ctl_slots(&p.rt, rows));
	if ((r = calloc(p.applied.count ? p.applied.count : 1,
	    sizeof(*r))) == NULL) {
		*rows = NULL;
		return (0);
	}
	for (i = 0; i < p.applied.count; i++) {
		strlcpy(r[i].backend, p.conf.backend_name,
		    sizeof(r[i].backend));
		snprintf(r[i].name, sizeof(r[i].name), "node%zu", i + 1);
		strlcpy(r[i].host, p.applied.servers[i].host,
		    sizeof(r[i].host));
		r[i].port = p.applied.servers[i].port;
		strlcpy(r[i].state, "ready", sizeof(r[i].state));
	}
	*rows = r;
	return (p.applied.count);
}

size_t
parent_ctl_backends(struct ctl_backend **rows)
{
	struct ctl_backend	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		*rows = NULL;
		return (0);
	}
	strlcpy(r->backend, p.conf.backend_name, sizeof(r->backend));
	strlcpy(r->orchestrator, config_orchestrator_name(p.conf.orchestrator),
	    sizeof(r->orchestrator));
	strlcpy(r->update_type, config_update_type_name(p.conf.update_type),
	    sizeof(r->update_type));
	r->wanted = p.wanted.count;
	r->live = p.applied.count;
	r->last_change = p.last_change;
	r->source_ok = p.source.ok;
	*rows = r;
	return (1);
}

int
parent_ctl_reload(char *err, size_t errlen)
{
	if (!p.have_wanted) {
		snprintf(err, errlen, "no server set from the orchestrator "
		    "yet");
		return (-1);
	}
	p.ap_force = 1;
	apply_start();
	return (0);
}

int
parent_ctl_sync(char *err, size_t errlen)
{
	if (imsgev_compose(&p.iev[PROC_FETCHER], IMSG_FETCH_NOW, 0, -1, NULL,
	    0) == -1) {
		snprintf(err, errlen, "fetcher: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

void
parent_ctl_verbose(int v)
{
	int	 i;

	log_setverbose(v);
	for (i = PROC_FETCHER; i < PROC_MAX; i++)
		(void)imsgev_compose(&p.iev[i], IMSG_VERBOSE, 0, -1, &v,
		    sizeof(v));
}
