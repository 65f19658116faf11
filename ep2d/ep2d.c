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
 *
 * ep2.conf may name several backends ([haproxy] and [backend NAME]
 * sections): each has its own source in the fetcher, its own wanted
 * and applied sets and, in runtime mode, its own struct runtime; all
 * are rendered into the one haproxy.cfg.  Sets arriving close together
 * are applied together (APPLY_COALESCE_MS), one reload at most.
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
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "apply.h"
#include "file.h"
#include "log.h"
#include "notify.h"

#ifndef MINIMUM
#define MINIMUM(a, b)	(((a) < (b)) ? (a) : (b))
#endif
#include "proc.h"
#include "runtime.h"

#define APPLY_COALESCE_MS	20	/* sets this close: one apply */
#define BOOT_WAIT_SECS		10	/* a silent source at start */
#define METRICS_FILE_SECS	15	/* metrics_file rewritten */
#define METRICS_NBUCKETS	13

/* apply latency histogram: upper bounds in seconds, +Inf last */
static const double	 metrics_le[METRICS_NBUCKETS - 1] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};

enum apply_state {
	AP_IDLE,
	AP_CHECKING,		/* haproxy -c on CFG.new */
	AP_RELOADING,		/* start or reload asked */
	AP_RUNTIME		/* runtime_apply still at work */
};

/* One backend: backend 0 is [haproxy], i > 0 [backend NAME]. */
struct pbackend {
	uint32_t		 idx;
	struct ep2_conf		*conf;		/* its view (config_backend) */
	struct server_set	 wanted;
	int			 have_wanted;
	struct server_set	 applying;
	struct server_set	 applied;
	struct source_state	 source;
	struct runtime		 rt;
	int			 rt_pending;	/* runtime_apply at work */
	int			 rt_result;
	int			 empty_kept;	/* keep_on_empty said so */
	uint32_t		 napplied;
	int64_t			 last_change;

	/* metrics */
	uint64_t		 source_errors;	/* failed fetches */
	int			 pending;	/* wanted not applied yet */
	struct timespec		 pending_since;
	uint64_t		 hist[METRICS_NBUCKETS];
	double			 hist_sum;
	uint64_t		 hist_count;
};

/* the fetcher's messages that fit nowhere, by kind */
enum stray {
	STRAY_SERVER,
	STRAY_END,
	STRAY_UNKNOWN,
	STRAY_MAX
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
	uint32_t		 incoming_be;
	uint32_t		 incoming_gen;
	uint32_t		 incoming_count;
	struct refused		 incoming_bad;	/* servers refused */
	int			 incoming_open;
	uint64_t		 stray[STRAY_MAX]; /* out of place, unknown */

	/* the backends */
	struct pbackend		 be[EP2D_MAX_BACKENDS];
	int			 nbe;
	int			 nrt_pending;	/* runtime applies at work */
	int			 runtime_only;	/* this render: no reload */
	int			 conf_dirty;	/* SIGHUP: config mode reloads */
	struct event		 ev_coalesce;
	int			 coalescing;
	struct event		 ev_boot;
	int			 boot_waiting;
	uint64_t		 applies_reload;
	uint64_t		 applies_runtime;
	uint64_t		 apply_failures;
	struct event		 ev_metrics;

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
static __dead void	 start_fail(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
static void		 parent_sig(int, short, void *);
static void		 parent_dispatch(int, short, void *);
static __dead void	 parent_shutdown(int);
static void		 parent_reconf(void);
static void		 apply_start(void);
static void		 runtime_applied(void);
static void		 render_and_check(int);
static void		 backends_init(void);
static int		 be_runtime(const struct pbackend *);
static void		 be_applied(struct pbackend *);
static void		 metrics_file_write(void);
static void		 metrics_file_init(void);
static int		 parent_child_gone(int);
static void		 apply_retry_schedule(int, const char *);
static void		 apply_result(struct haproxy_result *);
static __dead void	 boot_failed(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
static int		 lock_config(const struct ep2_conf *);
static int		 check_start(const struct ep2_conf *);
static void		 notify_status(void);
static void		 lock_write_pid(void);
static void		 send_log_fd(void);
static void		 watchdog_init(void);
static void		 reconf_pin(struct ep2_conf *);

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-dnrVv] [-f file] [-s socket]\n",
	    __progname);
	exit(1);
}

/* Before the start: one line at LOG_ERR (the journal's "<3>"), exit 1. */
static __dead void
start_fail(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct event	 ev_sigterm, ev_sigint, ev_sighup, ev_sigchld;
	struct event	 ev_sigusr1;
	const char	*conffile = EP2D_CONF, *procname = NULL;
	int		 ch, noaction = 0, render = 0, sp[PROC_MAX][2], i;

	p.lockfd = -1;
	strlcpy(p.sockpath, EP2D_SOCKET, sizeof(p.sockpath));
	while ((ch = getopt(argc, argv, "df:nP:rs:Vv")) != -1) {
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
		case 'r':
			render = noaction = 1;
			break;
		case 's':
			if (strlcpy(p.sockpath, optarg, sizeof(p.sockpath)) >=
			    sizeof(p.sockpath))
				errx(1, "socket path too long");
			break;
		case 'V':
			printf("ep2d %s\n", EP2D_VERSION);
			exit(0);
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
		/* the fetcher is ep2d-fetcher (proc.c) */
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
		start_fail("%s: configuration refused", conffile);
	if (apply_load_template(&p.conf, &p.tmpl, &p.tmpllen) == -1 ||
	    template_check_backends(p.tmpl, p.tmpllen, p.conf.template_file,
	    &p.conf) == -1)
		start_fail("%s: template refused", p.conf.template_file);
	if (p.conf.orchestrator == ORCH_AWS && !p.conf.aws.ip_type_set)
		log_warnx("[AWS] ip_type is not set: using public addresses, "
		    "as EP2 did; set ip_type = private or public");
	if (noaction) {
		if (check_start(&p.conf) == -1 ||
		    check_config(&p.conf, p.tmpl, p.tmpllen, render) == -1)
			start_fail("%s: configuration refused", conffile);
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}

	if (geteuid() != 0)
		start_fail("need root privileges");
	if (getpwnam(EP2D_USER) == NULL)
		start_fail("unknown user %s: create it with \"useradd --system "
		    "--no-create-home --shell /usr/sbin/nologin %s\"",
		    EP2D_USER, EP2D_USER);
	if (proc_self_exe(p.self, sizeof(p.self)) == -1)
		start_fail("/proc/self/exe: %s", strerror(errno));
	if (proc_check(p.self) == -1)
		start_fail("the fetcher program is missing; see ep2d(8)");
	if (lock_config(&p.conf) == -1)
		exit(1);

	log_init(p.debug, LOG_DAEMON);
	log_setverbose(p.verbose);
	log_ratelimit(1);
	if (p.conf.log_file[0] != '\0' && log_file_open(p.conf.log_file) == -1)
		log_warnx("log_file %s: %s; not written", p.conf.log_file,
		    file_strerror(errno));
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
	backends_init();

	watchdog_init();
	metrics_file_init();
	{
		const struct ep2_conf	*confs[EP2D_MAX_BACKENDS];

		for (i = 0; i < p.nbe; i++)
			confs[i] = p.be[i].conf;
		if (connector_start(confs, p.nbe) == -1)
			fatalx("cannot start the connector");
		hap_connector = connector_connect;
	}
	if (sandbox_parent(&p.conf) == -1)
		fatalx("sandbox");

	for (i = 0; i < p.nbe; i++)
		log_info("started: orchestrator %s, %s, backend %s",
		    config_orchestrator_name(p.be[i].conf->orchestrator),
		    config_update_type_name(p.be[i].conf->update_type),
		    p.be[i].conf->backend_name);
	event_dispatch();
	parent_shutdown(0);
	return (0);
}

/*
 * ep2d -n: what the start checks before it runs anything, and where it
 * will write.  The directories only as root, who will write there.
 */
static int
check_start(const struct ep2_conf *conf)
{
	char		 dir[PATH_MAX], *sl;
	const char	*dirs[2];
	int		 i, errors = 0;

	if (getpwnam(EP2D_USER) == NULL) {
		logit(LOG_ERR, "unknown user %s: the fetcher runs as it",
		    EP2D_USER);
		errors++;
	}
	if (proc_self_exe(p.self, sizeof(p.self)) == -1 ||
	    proc_check(p.self) == -1) {
		logit(LOG_ERR, "the fetcher program is missing; see ep2d(8)");
		errors++;
	}
	if (geteuid() != 0)
		return (errors ? -1 : 0);
	strlcpy(dir, conf->haproxy_config_file, sizeof(dir));
	if ((sl = strrchr(dir, '/')) != NULL)
		*(sl == dir ? sl + 1 : sl) = '\0';
	dirs[0] = dir;
	dirs[1] = conf->lock_dir;
	for (i = 0; i < 2; i++) {
		if (access(dirs[i], W_OK) == -1) {
			logit(LOG_ERR, "%s %s: %s", i == 0 ?
			    "haproxy_config_file's directory" : "lock_dir",
			    dirs[i], strerror(errno));
			errors++;
		}
	}
	return (errors ? -1 : 0);
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
		logit(LOG_ERR, "lock_dir too long");
		return (-1);
	}
	if ((fd = file_open(path, FILE_KEEP, 0644)) == -1) {
		logit(LOG_ERR, "lock file %s: %s", path, file_strerror(errno));
		return (-1);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			logit(LOG_ERR, "another ep2d (pid %s) is running with "
			    "%s (lock %s)", buf[0] ? buf : "?", real, path);
		} else
			logit(LOG_ERR, "lock %s: %s", path, strerror(errno));
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

static __dead void
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
	connector_stop();
	control_cleanup(p.sockpath);
	if (p.tmpl != NULL)
		free(p.tmpl);
	log_info("%s", code ? "terminating on error" : "terminating");
	exit(code);
}

/*
 * The one line for a child that is gone, and whether it was stopped: a
 * child exits 0, or dies of SIGTERM or SIGINT, only when it was told to
 * stop.  A signal to the whole process group (^C in a terminal, systemd
 * with KillMode=control-group) reaches the children too, maybe before
 * the parent; that is a stop, not a failure.
 */
static int
child_report(const char *name, pid_t pid, int status)
{
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
 * A child is gone: say which and why, take the others down too (with
 * status 0 when it was stopped).  HAProxy is not touched on the way
 * out and keeps its configuration.
 */
static void
parent_lost_child(void)
{
	pid_t	 pid;
	int	 status, i, lost = 0, failed = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == connector_pid()) {
			if (!child_report("connector", pid, status))
				failed = 1;
			lost = 1;
			continue;
		}
		for (i = PROC_FETCHER; i < PROC_MAX; i++) {
			if (p.pids[i] != pid)
				continue;
			if (!child_report(proc_name(i), pid, status))
				failed = 1;
			p.pids[i] = 0;
			lost = 1;
		}
	}
	if (lost)
		parent_shutdown(failed);
}

/*
 * A child's pipe closed: it is on its way out.  Wait a moment for its
 * exit status, so that the one log line says why; 1 if it was stopped.
 */
static int
parent_child_gone(int which)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	pid_t		 pid;
	int		 status, i;

	for (i = 0; i < 100 && p.pids[which] > 0; i++) {
		pid = waitpid(p.pids[which], &status, WNOHANG);
		if (pid == p.pids[which]) {
			p.pids[which] = 0;
			return (child_report(proc_name(which), pid, status));
		}
		if (pid == -1)
			break;
		nanosleep(&ts, NULL);
	}
	log_warnx("lost child: %s pid %d closed its pipe", proc_name(which),
	    (int)p.pids[which]);
	return (0);
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
		if ((fd = file_open(p.conf.log_file, FILE_APPEND, 0640)) ==
		    -1) {
			log_warnx("log_file %s: %s", p.conf.log_file,
			    file_strerror(errno));
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
		if ((fd = file_open(path, FILE_READ, 0)) == -1) {
			log_warnx("%s: %s", path, file_strerror(errno));
			continue;
		}
		if (imsgev_compose(&p.iev[i], IMSG_CONF_RELOAD, 0, fd, NULL,
		    0) == -1)
			fatal("%s: compose", __func__);
	}
}

/*
 * How HAProxy is run and reached was handed to the helpers at start:
 * the runner builds its command lines from the configuration of then,
 * the connector knows the runtime sockets of then, and the sandboxes
 * were drawn around those files.  A SIGHUP that changes them is said,
 * and the running values stay until ep2d is restarted.
 */
static void
reconf_pin(struct ep2_conf *n)
{
	int	 i, same;

#define PIN_STR(f)	do {						\
	if (strcmp(n->f, p.conf.f) != 0) {				\
		log_warnx("%s changed: restart ep2d to use it; %s "	\
		    "stays until then", #f, p.conf.f);			\
		strlcpy(n->f, p.conf.f, sizeof(n->f));			\
	}								\
} while (0)
	PIN_STR(haproxy_binary);
	PIN_STR(haproxy_config_file);
	PIN_STR(pid_file);
	PIN_STR(service_name);
#undef PIN_STR
	if (n->start_by != p.conf.start_by) {
		log_warnx("start_by changed: restart ep2d to use it");
		n->start_by = p.conf.start_by;
	}
	same = n->nsockets == p.conf.nsockets;
	for (i = 0; same && i < n->nsockets; i++)
		same = strcmp(n->sockets[i], p.conf.sockets[i]) == 0;
	if (!same) {
		log_warnx("haproxy_socket_file changed: restart ep2d to use "
		    "it; the sockets of the start stay until then");
		memcpy(n->sockets, p.conf.sockets, sizeof(n->sockets));
		n->nsockets = p.conf.nsockets;
	}
}

/*
 * SIGHUP: read ep2.conf and the template again.  A bad new file is
 * refused with a log line and the old configuration keeps running.
 */
static void
parent_reconf(void)
{
	struct ep2_conf	*nconf, *nview;
	struct pbackend	*b;
	char		*ntmpl;
	size_t		 ntmpllen;
	int		 i;

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
	reconf_pin(nconf);
	/* the fetcher set its sources up before its sandbox closed */
	if (config_nbackends(nconf) != p.nbe) {
		log_warnx("%s: backends added or removed: restart ep2d to "
		    "use them; keeping the old configuration",
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
	if (template_check_backends(ntmpl, ntmpllen, nconf->template_file,
	    nconf) == -1) {
		log_warnx("%s: new template refused; keeping the old "
		    "configuration", nconf->template_file);
		free(ntmpl);
		free(nconf);
		return;
	}
	if ((nview = malloc(sizeof(*nview))) == NULL)
		fatal("malloc");
	for (i = 0; i < p.nbe; i++) {
		config_backend(nconf, i, nview);
		b = &p.be[i];
		if (strcmp(nview->backend_label, b->conf->backend_label) != 0) {
			log_warnx("%s: backends renamed: restart ep2d to use "
			    "them; keeping the old configuration",
			    p.conf.conf_path);
			free(nview);
			free(ntmpl);
			free(nconf);
			return;
		}
		if (nview->update_type != b->conf->update_type ||
		    strcmp(nview->backend_name, b->conf->backend_name) != 0)
			log_warnx("update_type or backend_name changed: takes "
			    "effect with the next reload of HAProxy");
		/*
		 * In runtime mode a change to the file's own text (template,
		 * slots, check or maxconn settings) cannot go over the
		 * socket: it needs the validated reload.
		 */
		if (be_runtime(b) && p.bootstrapped &&
		    (ntmpllen != p.tmpllen || memcmp(ntmpl, p.tmpl,
		    ntmpllen) != 0 ||
		    nview->node_slots != b->conf->node_slots ||
		    nview->backend_maxconn != b->conf->backend_maxconn ||
		    strcmp(nview->check_interval, b->conf->check_interval) !=
		    0 || strcmp(nview->backend_name, b->conf->backend_name) !=
		    0))
			p.ap_force = 1;
		if (nview->update_type == UPDATE_CONFIG)
			p.conf_dirty = 1;
	}
	free(nview);
	memcpy(&p.conf, nconf, sizeof(p.conf));
	free(nconf);
	free(p.tmpl);
	p.tmpl = ntmpl;
	p.tmpllen = ntmpllen;
	for (i = 0; i < p.nbe; i++) {
		config_backend(&p.conf, i, p.be[i].conf);
		runtime_reconf(&p.be[i].rt, p.be[i].conf);
	}
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
	if (ok) {
		p.napplied++;
		if (strcmp(how, "runtime") == 0)
			p.applies_runtime++;
		else
			p.applies_reload++;
	} else
		p.apply_failures++;
	notify_status();
	metrics_file_write();
	apply_retry_schedule(ok, how);
	/* the sets, the rendering and the batches of this apply are freed */
	malloc_trim(0);
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
	(void)notify_send("WATCHDOG=1");
	evtimer_add(&ev_watchdog, &tv_watchdog);
}

static void
watchdog_init(void)
{
	uint64_t	 usec;

	if (notify_watchdog(&usec) <= 0)
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
	size_t	 wanted = 0, applied = 0;
	int	 i;

	for (i = 0; i < p.nbe; i++) {
		wanted += p.be[i].wanted.count;
		applied += p.be[i].applied.count;
	}
	(void)notify_send("STATUS=%zu servers wanted, %zu applied%s",
	    wanted, applied, p.apply_ok ? "" : " (last apply failed)");
}

static int
be_runtime(const struct pbackend *b)
{
	return (b->conf->update_type == UPDATE_RUNTIME);
}

/* Every backend's view and runtime, from p.conf. */
static void
backends_init(void)
{
	struct pbackend	*b;
	int		 i;

	p.nbe = config_nbackends(&p.conf);
	for (i = 0; i < p.nbe; i++) {
		b = &p.be[i];
		memset(b, 0, sizeof(*b));
		b->idx = i;
		if ((b->conf = malloc(sizeof(*b->conf))) == NULL)
			fatal("%s: malloc", __func__);
		config_backend(&p.conf, i, b->conf);
		set_init(&b->wanted);
		set_init(&b->applying);
		set_init(&b->applied);
		runtime_init(&b->rt, b->conf);
	}
}

/*
 * Render every backend and, when the result differs from haproxy.cfg
 * (or a reload is forced), have the reloader validate it; the install
 * and the reload follow in apply_result().  runtime_only: every change
 * in it went over the runtime socket already, the file only follows.
 */
static void
render_and_check(int runtime_only)
{
	struct tmpl_backend	 bes[EP2D_MAX_BACKENDS];
	struct tmpl_slot	*slots[EP2D_MAX_BACKENDS];
	struct pbackend		*b;
	char			*out = NULL;
	size_t			 outlen, nslots;
	int			 r, i;

	p.runtime_only = runtime_only;
	for (i = 0; i < p.nbe; i++) {
		b = &p.be[i];
		slots[i] = NULL;
		nslots = 0;
		if (be_runtime(b))
			runtime_slots(&b->rt, &slots[i], &nslots);
		else {
			if ((slots[i] = apply_config_slots(&b->applying)) ==
			    NULL)
				fatal("%s: calloc", __func__);
			nslots = b->applying.count;
		}
		bes[i].label = b->conf->backend_label;
		bes[i].conf = b->conf;
		bes[i].slots = slots[i];
		bes[i].nslots = nslots;
	}
	r = template_render_backends(p.tmpl, p.tmpllen, p.conf.template_file,
	    bes, p.nbe, &out, &outlen);
	for (i = 0; i < p.nbe; i++)
		free(slots[i]);
	if (r == -1 && !p.bootstrapped)
		boot_failed("the template does not render");
	if (r == -1) {
		set_apply_result(0, "render", "template render failed");
		p.ap_state = AP_IDLE;
		return;
	}
	if (!p.ap_force && apply_same_as_disk(p.conf.haproxy_config_file,
	    out, outlen) && (p.haproxy_pid = apply_haproxy_pid(&p.conf)) > 0) {
		log_debug("haproxy.cfg unchanged; nothing to do");
		free(out);
		for (i = 0; i < p.nbe; i++) {
			if (set_copy(&p.be[i].applied, &p.be[i].applying) ==
			    -1)
				fatal("set_copy");
			be_applied(&p.be[i]);
		}
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

/* Did any backend in update_by_config get a new set? */
static int
config_changed(void)
{
	int	 i;

	for (i = 0; i < p.nbe; i++)
		if (!be_runtime(&p.be[i]) &&
		    !set_equal(&p.be[i].applying, &p.be[i].applied))
			return (1);
	return (0);
}

static int
any_runtime(void)
{
	int	 i;

	for (i = 0; i < p.nbe; i++)
		if (be_runtime(&p.be[i]))
			return (1);
	return (0);
}

static void
apply_start(void)
{
	struct pbackend	*b;
	int		 i, r;

	for (i = 0; i < p.nbe; i++)
		if (!p.be[i].have_wanted)
			return;		/* bootstrap: every source answers */
	if (p.ap_state != AP_IDLE) {
		p.ap_pending = 1;
		return;
	}
	p.ap_pending = 0;
	for (i = 0; i < p.nbe; i++)
		if (set_copy(&p.be[i].applying, &p.be[i].wanted) == -1)
			fatal("set_copy");

	if (!p.bootstrapped) {
		/* EP2's bootstrap: render, then start or reload */
		p.ap_force = 1;
		for (i = 0; i < p.nbe; i++)
			if (be_runtime(&p.be[i]))
				runtime_bootstrap(&p.be[i].rt,
				    &p.be[i].applying);
		render_and_check(0);
		return;
	}
	if (p.ap_force || !any_runtime()) {
		render_and_check(0);
		return;
	}
	/* runtime backends first; the file (and a reload) after */
	p.nrt_pending = 0;
	for (i = 0; i < p.nbe; i++) {
		b = &p.be[i];
		b->rt_pending = 0;
		if (!be_runtime(b))
			continue;
		r = runtime_apply(&b->rt, &b->applying);
		b->rt_result = r;
		if (r == RUNTIME_PENDING) {
			b->rt_pending = 1;
			p.nrt_pending++;
		}
	}
	if (p.nrt_pending > 0) {
		p.ap_state = AP_RUNTIME;
		return;
	}
	runtime_applied();
}

/* Every runtime apply is over: record, then the file follows. */
static void
runtime_applied(void)
{
	struct pbackend	*b;
	int		 i, reload = 0, ok = 0;

	for (i = 0; i < p.nbe; i++) {
		b = &p.be[i];
		if (!be_runtime(b))
			continue;
		if (b->rt_result != 0) {
			if (b->rt_result == -1)
				log_warnx("runtime update of %s failed; "
				    "falling back to a validated reload",
				    b->conf->backend_name);
			reload = 1;
			continue;
		}
		if (p.nbe == 1 || !set_equal(&b->applied, &b->applying)) {
			b->last_change = time(NULL);
			b->napplied++;
		}
		if (set_copy(&b->applied, &b->applying) == -1)
			fatal("set_copy");
		be_applied(b);
		ok = 1;
	}
	if (reload) {
		p.ap_force = 1;
		render_and_check(0);
		return;
	}
	if (ok)
		set_apply_result(1, "runtime", "%s", "");
	/* keep the file on disk equal to the running state */
	render_and_check(!config_changed() && !p.conf_dirty);
}

static struct pbackend *
be_of_rt(struct runtime *rt)
{
	int	 i;

	for (i = 0; i < p.nbe; i++)
		if (&p.be[i].rt == rt)
			return (&p.be[i]);
	return (NULL);
}

void
parent_runtime_done(struct runtime *rt, int r)
{
	struct pbackend	*b;

	if (p.ap_state != AP_RUNTIME || (b = be_of_rt(rt)) == NULL ||
	    !b->rt_pending) {
		log_warnx("%s: no runtime apply in progress", __func__);
		return;
	}
	b->rt_pending = 0;
	b->rt_result = r;
	if (--p.nrt_pending > 0)
		return;
	p.ap_state = AP_IDLE;
	runtime_applied();
	if (p.ap_state == AP_IDLE && p.ap_pending)
		apply_start();
}

/* Slots changed on their own (a drained server left): disk follows. */
void
parent_runtime_changed(struct runtime *rt)
{
	int	 i;

	if (!p.bootstrapped || be_of_rt(rt) == NULL)
		return;
	if (p.ap_state != AP_IDLE) {
		p.ap_pending = 1;
		return;
	}
	for (i = 0; i < p.nbe; i++)
		if (set_copy(&p.be[i].applying, &p.be[i].applied) == -1)
			fatal("set_copy");
	render_and_check(!p.conf_dirty);
}

/*
 * The first apply failed where trying again cannot help: the template
 * or haproxy -c refuses what the start renders, or HAProxy, not
 * running before, would not start.  Nothing serves through ep2d and
 * under systemd the start would wait for its timeout: say why, exit.
 * A HAProxy that runs (started before ep2d) is not touched.
 */
static void
boot_failed(const char *fmt, ...)
{
	char	 msg[EP2D_ERR_MAX + 128];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logit(LOG_ERR, "cannot start: %s", msg);
	(void)notify_send("STATUS=cannot start: %s", msg);
	parent_shutdown(1);
}

static void
apply_result(struct haproxy_result *res)
{
	struct pbackend	*b;
	size_t		 total = 0;
	int		 i, changed;

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
			if (!p.bootstrapped)
				boot_failed("the first haproxy.cfg was refused "
				    "by haproxy -c (ep2d -n shows where in the "
				    "template)");
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
		if (p.runtime_only && p.bootstrapped && !p.ap_force &&
		    apply_haproxy_pid(&p.conf) > 0) {
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
			if (!p.bootstrapped && !p.was_running)
				boot_failed("HAProxy did not start: %s",
				    res->msg[0] != '\0' ? res->msg :
				    "it gave no reason");
			log_warnx("haproxy start/reload failed: %s", res->msg);
			set_apply_result(0, "reload", "%s", res->msg);
			break;
		}
		p.haproxy_pid = res->pid;
		p.conf_dirty = 0;
		for (i = 0; i < p.nbe; i++) {
			b = &p.be[i];
			changed = !set_equal(&b->applied, &b->applying);
			if (set_copy(&b->applied, &b->applying) == -1)
				fatal("set_copy");
			if (changed || p.nbe == 1) {
				b->last_change = time(NULL);
				b->napplied++;
			}
			if (be_runtime(b))
				runtime_reloaded(&b->rt);
			be_applied(b);
			total += b->applied.count;
		}
		log_info("haproxy %s with %zu servers (pid %d)",
		    p.was_running ? "reloaded" : "started", total,
		    (int)res->pid);
		set_apply_result(1, "reload", "%s", "");
		if (!p.bootstrapped) {
			p.bootstrapped = 1;
			(void)notify_send("READY=1");
		}
		break;
	}
	if (p.ap_state == AP_IDLE && p.ap_pending)
		apply_start();
}

/* Sets that arrive together are applied together. */
static void
apply_coalesced(int fd, short event, void *arg)
{
	p.coalescing = 0;
	apply_start();
}

static void
apply_soon(void)
{
	struct timeval	 tv;

	if (p.nbe == 1) {
		/* one source sends one set at a time */
		apply_start();
		return;
	}
	if (p.coalescing)
		return;
	evtimer_set(&p.ev_coalesce, apply_coalesced, NULL);
	timerclear(&tv);
	tv.tv_usec = APPLY_COALESCE_MS * 1000;
	evtimer_add(&p.ev_coalesce, &tv);
	p.coalescing = 1;
}

/*
 * At start every backend waits for its source's first answer, so that
 * HAProxy is not reloaded once per source.  A source that says nothing
 * for BOOT_WAIT_SECS does not hold the others: its backend starts
 * empty until it answers.
 */
static void
boot_timeout(int fd, short event, void *arg)
{
	struct pbackend	*b;
	int		 i;

	p.boot_waiting = 0;
	for (i = 0; i < p.nbe; i++) {
		b = &p.be[i];
		if (b->have_wanted)
			continue;
		log_warnx("backend %s: no answer from its %s source after "
		    "%d s; starting it with no servers", b->conf->backend_name,
		    config_orchestrator_name(b->conf->orchestrator),
		    BOOT_WAIT_SECS);
		set_clear(&b->wanted);
		b->have_wanted = 1;
	}
	apply_soon();
}

static void
boot_wait(void)
{
	struct timeval	 tv;

	if (p.bootstrapped || p.boot_waiting || p.nbe < 2)
		return;
	evtimer_set(&p.ev_boot, boot_timeout, NULL);
	timerclear(&tv);
	tv.tv_sec = BOOT_WAIT_SECS;
	evtimer_add(&p.ev_boot, &tv);
	p.boot_waiting = 1;
}

/*
 * A message of the fetcher's that fits nowhere (a server or an end
 * outside a set, an unknown type): the first of each kind is logged,
 * then the count at every power of ten, so that a flood of them is a
 * few lines.
 */
static void
parent_stray(enum stray kind, uint32_t type)
{
	static const char	*what[STRAY_MAX] = {
		"a server outside a set",
		"the end of a set never begun",
		"a message of unknown type"
	};
	uint64_t		 n;

	n = ++p.stray[kind];
	if (n == 1) {
		log_warnx("fetcher: %s (imsg %u); ignored", what[kind], type);
		return;
	}
	while (n % 10 == 0)
		n /= 10;
	if (n == 1)
		log_warnx("fetcher: %llu times %s so far; ignored",
		    (unsigned long long)p.stray[kind], what[kind]);
}

/* The servers wanted by every backend but one (EP2D_MAX_TOTAL). */
static size_t
parent_total(uint32_t but)
{
	size_t	 n = 0;
	int	 i;

	for (i = 0; i < p.nbe; i++)
		if ((uint32_t)i != but && p.be[i].have_wanted)
			n += p.be[i].wanted.count;
	return (n);
}

/* The fetcher's messages: untrusted, checked field by field. */
static void
parent_from_fetcher(struct imsg *imsg)
{
	struct set_begin	 sb;
	struct server		 srv;
	struct source_state	 st;
	struct pbackend		*b;
	char			 shown[LOG_VISIBLE_LEN], text[LOG_LINE_MAX];
	uint32_t		 count;

	switch (imsg_get_type(imsg)) {
	case IMSG_SET_BEGIN:
		if (p.incoming_open)
			log_warnx("fetcher: set %u without its end; dropped",
			    p.incoming_gen);
		if (imsg_get_data(imsg, &sb, sizeof(sb)) == -1 ||
		    sb.backend >= (uint32_t)p.nbe ||
		    sb.count > EP2D_MAX_SERVERS) {
			log_warnx("fetcher: bad set header; set dropped");
			p.incoming_open = 0;
			break;
		}
		set_clear(&p.incoming);
		p.incoming_be = sb.backend;
		p.incoming_gen = imsg_get_id(imsg);
		p.incoming_count = sb.count;
		refused_init(&p.incoming_bad);
		p.incoming_open = 1;
		break;
	case IMSG_SET_SERVER:
		if (!p.incoming_open || imsg_get_id(imsg) != p.incoming_gen) {
			parent_stray(STRAY_SERVER, imsg_get_type(imsg));
			break;
		}
		if (imsg_get_data(imsg, &srv, sizeof(srv)) == -1) {
			refused_add(&p.incoming_bad, "a server message of %zu "
			    "bytes, not %zu", imsg_get_len(imsg), sizeof(srv));
			break;
		}
		srv.host[sizeof(srv.host) - 1] = '\0';
		if (!addr_valid_host(srv.host) || srv.port == 0 ||
		    (srv.weight > EP2D_WEIGHT_MAX &&
		    srv.weight != EP2D_WEIGHT_ZERO) ||
		    set_add(&p.incoming, srv.host, srv.port) == -1) {
			log_visible(shown, sizeof(shown), srv.host,
			    strlen(srv.host));
			refused_add(&p.incoming_bad, "\"%s\" port %u weight "
			    "%u", shown, srv.port, srv.weight);
			break;
		}
		p.incoming.servers[p.incoming.count - 1].weight = srv.weight;
		break;
	case IMSG_SET_END:
		if (!p.incoming_open || imsg_get_id(imsg) != p.incoming_gen) {
			parent_stray(STRAY_END, imsg_get_type(imsg));
			break;
		}
		p.incoming_open = 0;
		if (imsg_get_data(imsg, &count, sizeof(count)) == -1 ||
		    count != p.incoming_count ||
		    count != p.incoming.count ||
		    p.incoming_bad.count > 0) {
			/* one line for the set, however many it refused */
			refused_text(&p.incoming_bad, "fetcher", "server",
			    text, sizeof(text));
			log_warnx("fetcher: set %u incomplete or invalid "
			    "(%zu of %u servers taken)%s%s; dropped, keeping "
			    "the current servers", p.incoming_gen,
			    p.incoming.count, p.incoming_count,
			    text[0] != '\0' ? ": " : "",
			    text[0] != '\0' ? text + strlen("fetcher: ") :
			    "");
			set_free(&p.incoming);
			break;
		}
		b = &p.be[p.incoming_be];
		set_sort(&p.incoming);
		if (p.incoming.count == 0 && b->conf->keep_on_empty) {
			/* EP2 kept its servers on an empty answer */
			if (!b->empty_kept && b->have_wanted)
				log_warnx("orchestrator answered an empty set "
				    "for backend %s: keeping its %zu server%s "
				    "(keep_on_empty)", b->conf->backend_name,
				    b->wanted.count, b->wanted.count == 1 ? "" :
				    "s");
			else if (!b->empty_kept)
				log_warnx("orchestrator answered an empty set "
				    "for backend %s: waiting for servers "
				    "before HAProxy is started or reloaded "
				    "(keep_on_empty)", b->conf->backend_name);
			b->empty_kept = 1;
			set_free(&p.incoming);
			break;
		}
		b->empty_kept = 0;
		if (b->have_wanted && set_equal(&b->wanted, &p.incoming)) {
			set_free(&p.incoming);
			break;
		}
		if (parent_total(p.incoming_be) + p.incoming.count >
		    EP2D_MAX_TOTAL) {
			log_warnx("backend %s: %zu servers would make %zu in "
			    "all backends, more than %d; refused, the last "
			    "good set stays", b->conf->backend_name,
			    p.incoming.count, parent_total(p.incoming_be) +
			    p.incoming.count, EP2D_MAX_TOTAL);
			set_free(&p.incoming);
			break;
		}
		/* the new set becomes the wanted one: moved, not copied */
		set_free(&b->wanted);
		b->wanted = p.incoming;
		set_init(&p.incoming);
		b->have_wanted = 1;
		if (!b->pending) {
			clock_gettime(CLOCK_MONOTONIC, &b->pending_since);
			b->pending = 1;
		}
		if (p.nbe == 1)
			log_info("orchestrator: %zu servers",
			    b->wanted.count);
		else
			log_info("orchestrator: %zu servers for backend %s",
			    b->wanted.count, b->conf->backend_name);
		if (b->wanted.count == 0)
			log_warnx("orchestrator answered an empty set: "
			    "the backend %s will have no servers",
			    b->conf->backend_name);
		boot_wait();
		apply_soon();
		break;
	case IMSG_SOURCE_STATE:
		if (imsg_get_data(imsg, &st, sizeof(st)) == -1 ||
		    st.backend >= (uint32_t)p.nbe) {
			log_warnx("fetcher: bad source state");
			break;
		}
		st.error[sizeof(st.error) - 1] = '\0';
		p.be[st.backend].source = st;
		if (!st.ok)
			p.be[st.backend].source_errors++;
		break;
	default:
		parent_stray(STRAY_UNKNOWN, imsg_get_type(imsg));
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
	if (imsgev_dispatch_io(iev, event) == -1)
		parent_shutdown(!parent_child_gone(from));
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
/* What control.c asks: one row per backend. */
size_t
parent_ctl_status(struct ctl_status **rows)
{
	struct ctl_status	*st, *r;
	struct pbackend		*b;
	int			 i;
	pid_t			 pid;

	if ((r = calloc(p.nbe, sizeof(*r))) == NULL) {
		*rows = NULL;
		return (0);
	}
	pid = apply_haproxy_pid(&p.conf);
	for (i = 0; i < p.nbe; i++) {
		b = &p.be[i];
		st = &r[i];
		strlcpy(st->backend, b->conf->backend_name,
		    sizeof(st->backend));
		strlcpy(st->orchestrator,
		    config_orchestrator_name(b->conf->orchestrator),
		    sizeof(st->orchestrator));
		strlcpy(st->update_type,
		    config_update_type_name(b->conf->update_type),
		    sizeof(st->update_type));
		st->source_ok = b->source.ok;
		st->last_fetch = b->source.last_fetch;
		st->last_ok = b->source.last_ok;
		st->failing_since = b->source.failing_since;
		strlcpy(st->source_error, b->source.error,
		    sizeof(st->source_error));
		st->nservers = b->wanted.count;
		st->nslots = be_runtime(b) ? runtime_nslots(&b->rt) :
		    b->applied.count;
		st->last_apply = p.last_apply;
		st->apply_ok = p.apply_ok;
		strlcpy(st->apply_how, p.apply_how, sizeof(st->apply_how));
		strlcpy(st->apply_error, p.apply_error,
		    sizeof(st->apply_error));
		st->haproxy_pid = pid;
		st->started = p.started;
		st->napplied = p.nbe == 1 ? p.napplied : b->napplied;
		strlcpy(st->version, EP2D_VERSION, sizeof(st->version));
	}
	*rows = r;
	return (p.nbe);
}

size_t
parent_ctl_slots(struct ctl_slot **rows)
{
	struct ctl_slot	*r = NULL, *part, *nr;
	struct pbackend	*b;
	size_t		 n = 0, k, i;
	int		 j;

	for (j = 0; j < p.nbe; j++) {
		b = &p.be[j];
		part = NULL;
		if (be_runtime(b))
			k = runtime_ctl_slots(&b->rt, &part);
		else {
			k = b->applied.count;
			if ((part = calloc(k ? k : 1, sizeof(*part))) == NULL)
				k = 0;
			for (i = 0; i < k; i++) {
				strlcpy(part[i].backend, b->conf->backend_name,
				    sizeof(part[i].backend));
				snprintf(part[i].name, sizeof(part[i].name),
				    "node%zu", i + 1);
				strlcpy(part[i].host,
				    b->applied.servers[i].host,
				    sizeof(part[i].host));
				part[i].port = b->applied.servers[i].port;
				strlcpy(part[i].state, "ready",
				    sizeof(part[i].state));
			}
		}
		if (k > 0) {
			if ((nr = reallocarray(r, n + k, sizeof(*r))) ==
			    NULL) {
				free(part);
				break;
			}
			r = nr;
			memcpy(r + n, part, k * sizeof(*r));
			n += k;
		}
		free(part);
	}
	if (r == NULL)
		r = calloc(1, sizeof(*r));
	*rows = r;
	return (r == NULL ? 0 : n);
}

size_t
parent_ctl_backends(struct ctl_backend **rows)
{
	struct ctl_backend	*r;
	struct pbackend		*b;
	int			 i;

	if ((r = calloc(p.nbe, sizeof(*r))) == NULL) {
		*rows = NULL;
		return (0);
	}
	for (i = 0; i < p.nbe; i++) {
		b = &p.be[i];
		strlcpy(r[i].backend, b->conf->backend_name,
		    sizeof(r[i].backend));
		strlcpy(r[i].orchestrator,
		    config_orchestrator_name(b->conf->orchestrator),
		    sizeof(r[i].orchestrator));
		strlcpy(r[i].update_type,
		    config_update_type_name(b->conf->update_type),
		    sizeof(r[i].update_type));
		r[i].wanted = b->wanted.count;
		r[i].live = b->applied.count;
		r[i].last_change = b->last_change;
		r[i].source_ok = b->source.ok;
	}
	*rows = r;
	return (p.nbe);
}

int
parent_ctl_reload(char *err, size_t errlen)
{
	int	 i, have = 1;

	for (i = 0; i < p.nbe; i++)
		if (!p.be[i].have_wanted)
			have = 0;
	if (!have) {
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

/*
 * Metrics, in Prometheus's text format: for ep2ctl show metrics and,
 * with metrics_file, for node_exporter's textfile collector.
 */

/* The backend's applied set caught up with its wanted one: how long. */
static void
be_applied(struct pbackend *b)
{
	struct timespec	 now;
	double		 d;
	int		 i;

	if (!b->pending || !set_equal(&b->applied, &b->wanted))
		return;
	b->pending = 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	d = (double)(now.tv_sec - b->pending_since.tv_sec) +
	    (double)(now.tv_nsec - b->pending_since.tv_nsec) / 1e9;
	if (d < 0)
		d = 0;
	for (i = 0; i < METRICS_NBUCKETS - 1; i++)
		if (d <= metrics_le[i])
			break;
	b->hist[i]++;
	b->hist_sum += d;
	b->hist_count++;
}

/* A label value: '\', '"' and newline escaped, as the format wants. */
static void
metrics_label(FILE *fp, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(fp, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", fp);
		else
			fputc(*v, fp);
	}
}

static void
metrics_head(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{backend="..."} value, one line per backend */
static void
metrics_per_backend(FILE *fp, const char *name, const char *type,
    const char *help, int which)
{
	struct pbackend	*b;
	unsigned long long v;
	size_t		 k;
	int		 i;

	metrics_head(fp, name, type, help);
	for (i = 0; i < p.nbe; i++) {
		b = &p.be[i];
		switch (which) {
		case 0:
			v = b->wanted.count;
			break;
		case 1:
			v = b->applied.count;
			break;
		case 2:
			v = 0;
			if (be_runtime(b))
				for (k = 0; k < b->rt.nslots; k++)
					if (b->rt.slots[k].state == RT_DRAIN)
						v++;
			break;
		case 3:
			v = be_runtime(b) ? runtime_nslots(&b->rt) :
			    b->applied.count;
			break;
		case 4:
			v = p.nbe == 1 ? p.napplied : b->napplied;
			break;
		case 5:
			v = b->source_errors;
			break;
		case 6:
			v = b->source.last_ok > 0 ? b->source.last_ok : 0;
			break;
		default:
			v = 0;
			break;
		}
		fprintf(fp, "%s{backend=\"", name);
		metrics_label(fp, b->conf->backend_name);
		fprintf(fp, "\"} %llu\n", v);
	}
}

/* Resident set of a process, from /proc/PID/statm; -1 when unknown. */
static long long
metrics_rss(pid_t pid)
{
	char		 path[64];
	FILE		*fp;
	long long	 size, rss;
	long		 page;

	if (pid <= 0)
		return (-1);
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return (-1);
	if (fscanf(fp, "%lld %lld", &size, &rss) != 2)
		rss = -1;
	fclose(fp);
	if (rss < 0 || (page = sysconf(_SC_PAGESIZE)) <= 0)
		return (-1);
	return (rss * page);
}

static char *
metrics_text(size_t *lenp)
{
	struct pbackend	*b;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*fp;
	uint64_t	 cum;
	long long	 rss;
	pid_t		 pid;
	int		 i, k;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return (NULL);
	metrics_head(fp, "ep2d_start_time_seconds", "gauge",
	    "When ep2d started, seconds since the epoch.");
	fprintf(fp, "ep2d_start_time_seconds %lld\n", (long long)p.started);
	pid = apply_haproxy_pid(&p.conf);
	metrics_head(fp, "ep2d_haproxy_up", "gauge",
	    "1 when the process of HAProxy's pid file runs.");
	fprintf(fp, "ep2d_haproxy_up %d\n", pid > 0);
	metrics_head(fp, "ep2d_applies_total", "counter",
	    "Changes brought to HAProxy, by how.");
	fprintf(fp, "ep2d_applies_total{how=\"reload\"} %llu\n",
	    (unsigned long long)p.applies_reload);
	fprintf(fp, "ep2d_applies_total{how=\"runtime\"} %llu\n",
	    (unsigned long long)p.applies_runtime);
	metrics_head(fp, "ep2d_apply_failures_total", "counter",
	    "Applies that failed (render, check, write, reload).");
	fprintf(fp, "ep2d_apply_failures_total %llu\n",
	    (unsigned long long)p.apply_failures);
	metrics_head(fp, "ep2d_last_apply_ok", "gauge",
	    "1 when the last apply succeeded.");
	fprintf(fp, "ep2d_last_apply_ok %d\n", p.last_apply > 0 ?
	    p.apply_ok != 0 : 1);

	metrics_per_backend(fp, "ep2d_servers_wanted", "gauge",
	    "Servers the orchestrator wants in the backend.", 0);
	metrics_per_backend(fp, "ep2d_servers_live", "gauge",
	    "Servers applied to HAProxy.", 1);
	metrics_per_backend(fp, "ep2d_servers_draining", "gauge",
	    "Slots draining (update_by_runtime).", 2);
	metrics_per_backend(fp, "ep2d_slots", "gauge",
	    "Server slots of the backend in HAProxy.", 3);
	metrics_per_backend(fp, "ep2d_changes_applied_total", "counter",
	    "Changes applied to the backend.", 4);
	metrics_per_backend(fp, "ep2d_source_errors_total", "counter",
	    "Failed fetches from the backend's orchestrator.", 5);
	metrics_per_backend(fp, "ep2d_source_last_success_timestamp_seconds",
	    "gauge", "Last good answer of the orchestrator, seconds since the "
	    "epoch (0: none yet).", 6);

	metrics_head(fp, "ep2d_source_up", "gauge",
	    "1 when the backend's orchestrator answered its last fetch.");
	for (i = 0; i < p.nbe; i++) {
		b = &p.be[i];
		fputs("ep2d_source_up{backend=\"", fp);
		metrics_label(fp, b->conf->backend_name);
		fprintf(fp, "\",orchestrator=\"%s\"} %d\n",
		    config_orchestrator_name(b->conf->orchestrator),
		    b->source.ok ? 1 : 0);
	}

	metrics_head(fp, "ep2d_apply_latency_seconds", "histogram",
	    "From a new server set to HAProxy running it.");
	for (i = 0; i < p.nbe; i++) {
		b = &p.be[i];
		for (k = 0, cum = 0; k < METRICS_NBUCKETS; k++) {
			cum += b->hist[k];
			fputs("ep2d_apply_latency_seconds_bucket{backend=\"",
			    fp);
			metrics_label(fp, b->conf->backend_name);
			if (k < METRICS_NBUCKETS - 1)
				fprintf(fp, "\",le=\"%g\"} %llu\n",
				    metrics_le[k], (unsigned long long)cum);
			else
				fprintf(fp, "\",le=\"+Inf\"} %llu\n",
				    (unsigned long long)cum);
		}
		fputs("ep2d_apply_latency_seconds_sum{backend=\"", fp);
		metrics_label(fp, b->conf->backend_name);
		fprintf(fp, "\"} %.6f\n", b->hist_sum);
		fputs("ep2d_apply_latency_seconds_count{backend=\"", fp);
		metrics_label(fp, b->conf->backend_name);
		fprintf(fp, "\"} %llu\n", (unsigned long long)b->hist_count);
	}

	metrics_head(fp, "ep2d_process_resident_memory_bytes", "gauge",
	    "Resident memory of each ep2d process.");
	for (i = PROC_PARENT; i < PROC_MAX; i++) {
		rss = metrics_rss(i == PROC_PARENT ? getpid() : p.pids[i]);
		if (rss >= 0)
			fprintf(fp, "ep2d_process_resident_memory_bytes"
			    "{process=\"%s\"} %lld\n", proc_name(i), rss);
	}
	if (fclose(fp) != 0) {
		free(buf);
		return (NULL);
	}
	*lenp = len;
	return (buf);
}

char *
parent_ctl_metrics(size_t *lenp)
{
	return (metrics_text(lenp));
}

/*
 * metrics_file: written whole beside itself and renamed over, so that
 * node_exporter never reads half of it (it takes *.prom files only:
 * "NAME.tmp" is not one).  After each apply and every 15 seconds.
 */
static void
metrics_file_write(void)
{
	char	 tmp[PATH_MAX];
	char	*text;
	size_t	 len;
	ssize_t	 n;
	int	 fd;
	static int warned;

	if (p.conf.metrics_file[0] == '\0')
		return;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp",
	    p.conf.metrics_file) >= sizeof(tmp)) {
		if (!warned++)
			log_warnx("metrics_file: path too long");
		return;
	}
	if ((text = metrics_text(&len)) == NULL) {
		log_warn("metrics");
		return;
	}
	/* a FIFO or a link put at the name must not hold or lead us */
	if ((fd = file_open(tmp, FILE_NEW, 0644)) == -1) {
		if (!warned++)
			log_warnx("metrics_file %s: %s", tmp,
			    file_strerror(errno));
		free(text);
		return;
	}
	n = write(fd, text, len);
	free(text);
	if (n != (ssize_t)len || close(fd) == -1) {
		if (!warned++)
			log_warn("metrics_file %s: write", tmp);
		if (n != (ssize_t)len)
			close(fd);
		unlink(tmp);
		return;
	}
	if (rename(tmp, p.conf.metrics_file) == -1) {
		if (!warned++)
			log_warn("metrics_file %s", p.conf.metrics_file);
		unlink(tmp);
		return;
	}
	warned = 0;
}

static void
metrics_tick(int fd, short event, void *arg)
{
	struct timeval	 tv = { METRICS_FILE_SECS, 0 };

	metrics_file_write();
	evtimer_add(&p.ev_metrics, &tv);
}

static void
metrics_file_init(void)
{
	struct timeval	 tv = { 0, 0 };

	evtimer_set(&p.ev_metrics, metrics_tick, NULL);
	evtimer_add(&p.ev_metrics, &tv);
}
