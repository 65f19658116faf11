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
 * ep2d: main(), the table of ep2d's processes, and the parent process's
 * skeleton.  The parent reads ep2.conf, checks what the start needs,
 * takes the lock, starts the fetcher, the reloader and the connector,
 * and runs the event loop: signals, children that die, SIGHUP,
 * descriptors handed to the children, and the messages the children
 * send.  What those messages are for, bringing HAProxy to the server
 * sets, is the apply engine's (engine.c); the metrics are metrics.c's,
 * the control socket control.c's.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

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

#include "ep2d.h"
#include "apply.h"
#include "engine.h"
#include "file.h"
#include "log.h"
#include "notify.h"
#include "proc.h"

/* What a backend's source in the fetcher was set up with, at start. */
struct source_start {
	enum orchestrator	 orchestrator;
	char			*path;		/* the servers file */
};

struct parent {
	struct ep2_conf		*conf;
	struct source_start	*sources;	/* conf->nbackends of them */
	int			 hook_queue;	/* a lifecycle queue at start */
	char			*tmpl;
	size_t			 tmpllen;
	char			 self[PATH_MAX];
	char			 sockpath[PATH_MAX];
	int			 debug;
	int			 verbose;
	int			 lockfd;
	time_t			 started;
};

static struct parent	 p;

static __dead void	 usage(void);
static __dead void	 start_fail(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
static void		 parent_sig(int, short, void *);
static void		 parent_dispatch(int, short, void *);
static void		 parent_from_reloader(struct imsg *);
static void		 parent_reconf(void);
static int		 lock_config(const struct ep2_conf *);
static int		 check_start(const struct ep2_conf *);
static void		 lock_write_pid(void);
static void		 send_log_fd(void);
static void		 watchdog_init(void);
static void		 reconf_pin(struct ep2_conf *);
static int		 reconf_fetcher(struct ep2_conf *);
static void		 send_conf(int, int);

/*
 * ep2d's processes: for each its title, who starts it (and reaps it,
 * and is told when it is gone), what it runs, and the parent's handler
 * of what the parent's children send.  The helpers are forks and answer
 * requests on their pair.
 */
static struct proc	 procs[PROC_MAX] = {
	[PROC_PARENT] = { "parent", PROC_PARENT, PROC_PARENT,
	    PROC_PROG_EP2D, NULL },
	[PROC_FETCHER] = { "fetcher", PROC_FETCHER, PROC_PARENT,
	    PROC_PROG_FETCHER, engine_from_fetcher },
	[PROC_RELOADER] = { "reloader", PROC_RELOADER, PROC_PARENT,
	    PROC_PROG_EP2D, parent_from_reloader },
	[PROC_CONNECTOR] = { "connector", PROC_CONNECTOR, PROC_PARENT,
	    PROC_PROG_FORK, NULL },
	[PROC_RUNNER] = { "runner", PROC_RUNNER, PROC_RELOADER,
	    PROC_PROG_FORK, NULL },
};

/* The parent's children that speak imsg with it: those it dispatches. */
#define PARENT_PEER(pr)	((pr)->dispatch != NULL)
#define STARTED_SHOWN	8	/* "started:" lines, one a backend */

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
	const struct backend_conf *be;
	struct proc	*pr;
	const char	*conffile = EP2D_CONF, *procname = NULL;
	int		 ch, noaction = 0, render = 0, sp[PROC_MAX][2], i;

	proc_init(procs, PROC_MAX);
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
			reloader_main(p.debug, p.verbose);
		errx(1, "unknown process %s", procname);
	}

	/* Configuration errors go to stderr, whatever the mode. */
	log_init(1, LOG_DAEMON);
	log_setverbose(p.verbose);
	log_procinit("parent");
	if (apply_file_safe(conffile, "configuration") == -1 ||
	    (p.conf = config_parse(conffile)) == NULL)
		start_fail("%s: configuration refused", conffile);
	if ((p.sources = calloc(p.conf->nbackends, sizeof(*p.sources))) ==
	    NULL)
		fatal("calloc");
	for (i = 0; i < p.conf->nbackends; i++) {
		p.sources[i].orchestrator = p.conf->backends[i]->orchestrator;
		if ((p.sources[i].path =
		    strdup(p.conf->backends[i]->file.path)) == NULL)
			fatal("strdup");
	}
	p.hook_queue = p.conf->aws.lifecycle_queue_url[0] != '\0';
	if (apply_load_template(p.conf, &p.tmpl, &p.tmpllen) == -1 ||
	    template_check_backends(p.tmpl, p.tmpllen, p.conf->template_file,
	    p.conf) == -1)
		start_fail("%s: template refused", p.conf->template_file);
	if (p.conf->backends[0]->orchestrator == ORCH_AWS &&
	    !p.conf->aws.ip_type_set)
		log_warnx("[AWS] ip_type is not set: using public addresses, "
		    "as EP2 did; set ip_type = private or public");
	if (noaction) {
		if (check_start(p.conf) == -1 ||
		    check_config(p.conf, p.tmpl, p.tmpllen, render) == -1)
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
	if (lock_config(p.conf) == -1)
		exit(1);

	log_init(p.debug, LOG_DAEMON);
	log_setverbose(p.verbose);
	log_ratelimit(1);
	if (p.conf->log_file[0] != '\0' &&
	    log_file_open(p.conf->log_file) == -1)
		log_warnx("log_file %s: %s; not written", p.conf->log_file,
		    file_strerror(errno));
	if (!p.debug && daemon(0, 0) == -1)
		fatal("daemon");
	lock_write_pid();
	p.started = time(NULL);

	for (i = 0; i < PROC_MAX; i++) {
		if (!PARENT_PEER(&procs[i]))
			continue;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0, sp[i]) == -1)
			fatal("socketpair");
		(void)proc_spawn(p.self, i, sp[i][1], p.debug,
		    p.verbose);
		close(sp[i][1]);
	}
	setproctitle("%s", "parent");

	if (control_init(p.sockpath, (gid_t)-1) == -1)
		fatalx("control socket %s", p.sockpath);

	event_init();
	proc_log_held();
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

	for (i = 0; i < PROC_MAX; i++) {
		pr = &procs[i];
		if (!PARENT_PEER(pr))
			continue;
		if (imsgev_init(&pr->iev, sp[i][0], pr->title,
		    parent_dispatch, pr) == -1)
			fatal("imsgbuf_init");
		send_conf(i, 1);
	}
	if (control_listen() == -1)
		fatalx("control socket");

	engine_init(p.conf, p.tmpl, p.tmpllen, connector_connect);

	watchdog_init();
	metrics_file_init(p.conf);
	if (connector_start(p.conf) == -1)
		fatalx("cannot start the connector");
	if (sandbox_parent(p.conf) == -1)
		fatalx("sandbox");

	/*
	 * A line a backend for the first few: 500 of them would fill the
	 * log's flood bound (log.c) and hold back what follows them.
	 */
	for (i = 0; i < p.conf->nbackends && i < STARTED_SHOWN; i++) {
		be = p.conf->backends[i];
		log_info("started: orchestrator %s, %s, backend %s",
		    config_orchestrator_name(be->orchestrator),
		    config_update_type_name(be->update_type),
		    be->backend_name);
	}
	if (p.conf->nbackends > STARTED_SHOWN)
		log_info("started: %d backends more (ep2ctl show backends)",
		    p.conf->nbackends - STARTED_SHOWN);
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
	strlcpy(dir, conf->run.haproxy_config_file, sizeof(dir));
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
	    p.conf->conf_path);
	if (ftruncate(p.lockfd, 0) == 0 && n > 0 &&
	    pwrite(p.lockfd, buf, n, 0) != n)
		log_debug("%s: short write", __func__);
}

__dead void
parent_shutdown(int code)
{
	struct proc	*pr;

	/*
	 * Closing the pipes is enough: each child exits when its parent
	 * is gone (the connector's is connector_stop's).  SIGTERM as
	 * well to the programs, where we may send it (without CAP_KILL
	 * root cannot signal the fetcher, which runs as _ep2d).
	 */
	for (pr = procs; pr < procs + PROC_MAX; pr++) {
		if (!PARENT_PEER(pr))
			continue;
		if (pr->iev.ibuf.rbuf != NULL)
			imsgev_clear(&pr->iev);
		if (pr->pid > 0)
			(void)kill(pr->pid, SIGTERM);
	}
	connector_stop();
	for (pr = procs; pr < procs + PROC_MAX; pr++)
		if (pr->parent == PROC_PARENT && pr->id != PROC_PARENT)
			proc_wait(pr->id);
	control_cleanup(p.sockpath);
	if (p.tmpl != NULL)
		free(p.tmpl);
	log_info("%s", code ? "terminating on error" : "terminating");
	exit(code);
}

static void
parent_sig(int sig, short event, void *arg)
{
	int	 r;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		parent_shutdown(0);
		break;
	case SIGCHLD:
		/*
		 * A child is gone: the reaper's line says which and why;
		 * the others go down too (with status 0 when it was
		 * stopped).  HAProxy is not touched on the way out and
		 * keeps its configuration.
		 */
		if ((r = proc_reap()) != 0)
			parent_shutdown(r == -1);
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
	struct proc	*pr;
	int		 fd;

	if (p.conf->log_file[0] == '\0')
		return;
	for (pr = procs; pr < procs + PROC_MAX; pr++) {
		if (!PARENT_PEER(pr))
			continue;
		if ((fd = file_open(p.conf->log_file, FILE_APPEND, 0640)) ==
		    -1) {
			log_warnx("log_file %s: %s", p.conf->log_file,
			    file_strerror(errno));
			return;
		}
		if (imsgev_compose(&pr->iev, IMSG_LOG_REOPEN, 0, fd, NULL,
		    0) == -1)
			fatal("%s: compose", __func__);
	}
}

/*
 * Child proc's part of the configuration, which waits for it at its
 * start, with a descriptor of log_file then; on SIGHUP the fetcher's
 * (the reloader keeps the start's).  The children cannot open the file
 * themselves: the fetcher is chrooted, the reloader confined.
 */
static void
send_conf(int proc, int start)
{
	int	 fd = -1, r;

	if (start && p.conf->log_file[0] != '\0' &&
	    (fd = file_open(p.conf->log_file, FILE_APPEND, 0640)) == -1)
		log_debug("log_file %s: %s", p.conf->log_file,
		    file_strerror(errno));
	if (proc == PROC_FETCHER)
		r = config_setfetcher(&procs[proc].iev.ibuf, p.conf, fd);
	else
		r = config_setreloader(&procs[proc].iev.ibuf, p.conf, fd);
	if (r == -1)
		fatal("%s: compose", __func__);
	imsgev_add(&procs[proc].iev);
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
	if (strcmp(n->run.f, p.conf->run.f) != 0) {			\
		log_warnx("%s changed: restart ep2d to use it; %s "	\
		    "stays until then", #f, p.conf->run.f);		\
		strlcpy(n->run.f, p.conf->run.f, sizeof(n->run.f));	\
	}								\
} while (0)
	PIN_STR(haproxy_binary);
	PIN_STR(haproxy_config_file);
	PIN_STR(pid_file);
	PIN_STR(service_name);
#undef PIN_STR
	if (n->run.start_by != p.conf->run.start_by) {
		log_warnx("start_by changed: restart ep2d to use it");
		n->run.start_by = p.conf->run.start_by;
	}
	same = n->run.nsockets == p.conf->run.nsockets;
	for (i = 0; same && i < n->run.nsockets; i++)
		same = strcmp(n->run.sockets[i], p.conf->run.sockets[i]) == 0;
	if (!same) {
		log_warnx("haproxy_socket_file changed: restart ep2d to use "
		    "it; the sockets of the start stay until then");
		memcpy(n->run.sockets, p.conf->run.sockets,
		    sizeof(n->run.sockets));
		n->run.nsockets = p.conf->run.nsockets;
	}
}

/*
 * What the fetcher set up before its sandbox closed stays: the kind of
 * each backend's source and its servers file, as at start (the new
 * configuration is not sent: the fetcher keeps the one it has, whole),
 * and the Consul TLS files it read (the start's stay in n, as in every
 * configuration since).  0 when the fetcher is to keep its own.
 */
static int
reconf_fetcher(struct ep2_conf *n)
{
	const struct backend_conf	*nb;
	int				 i, tls, same = 1;

	for (i = 0; same && i < n->nbackends; i++) {
		nb = n->backends[i];
		same = nb->orchestrator == p.sources[i].orchestrator &&
		    strcmp(nb->label, p.conf->backends[i]->label) == 0 &&
		    strcmp(nb->file.path, p.sources[i].path) == 0;
	}
	if (!same)
		log_warnx("orchestrator or servers file changed: restart ep2d "
		    "to use the new one; keeping the old source");
	tls = strcmp(n->consul.ca_file, p.conf->consul.ca_file) != 0 ||
	    strcmp(n->consul.cert_file, p.conf->consul.cert_file) != 0 ||
	    strcmp(n->consul.key_file, p.conf->consul.key_file) != 0;
	/* read before the sandbox closed; unreachable from there */
	if (tls && same)
		log_warnx("[CONSUL] ca_file, cert_file or key_file changed: "
		    "restart ep2d to use the new files; keeping the old ones");
	memcpy(n->consul.ca_file, p.conf->consul.ca_file,
	    sizeof(n->consul.ca_file));
	memcpy(n->consul.cert_file, p.conf->consul.cert_file,
	    sizeof(n->consul.cert_file));
	memcpy(n->consul.key_file, p.conf->consul.key_file,
	    sizeof(n->consul.key_file));
	/*
	 * The lifecycle keys are taken as they come (aws_hook.c reads
	 * them at each turn), but a queue the start did not name gets its
	 * credential chain in the sandbox, past the shared credentials
	 * file.
	 */
	if (same && !p.hook_queue && n->aws.lifecycle_queue_url[0] != '\0' &&
	    strcmp(n->aws.lifecycle_queue_url,
	    p.conf->aws.lifecycle_queue_url) != 0)
		log_info("[AWS] lifecycle_queue_url named by a reload: its "
		    "calls take no keys from the shared credentials file, "
		    "read at start only (restart ep2d for them)");
	return (same);
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
	int		 to_fetcher;

	log_info("SIGHUP: reloading %s", p.conf->conf_path);
	if (apply_file_safe(p.conf->conf_path, "configuration") == -1 ||
	    (nconf = config_parse(p.conf->conf_path)) == NULL) {
		log_warnx("%s: new configuration refused; keeping the old one",
		    p.conf->conf_path);
		return;
	}
	reconf_pin(nconf);
	/* the fetcher set its sources up before its sandbox closed */
	if (nconf->nbackends != p.conf->nbackends) {
		log_warnx("%s: backends added or removed: restart ep2d to "
		    "use them; keeping the old configuration",
		    p.conf->conf_path);
		config_free(nconf);
		return;
	}
	if (apply_load_template(nconf, &ntmpl, &ntmpllen) == -1) {
		log_warnx("%s: new template refused; keeping the old "
		    "configuration", nconf->template_file);
		config_free(nconf);
		return;
	}
	if (template_check_backends(ntmpl, ntmpllen, nconf->template_file,
	    nconf) == -1) {
		log_warnx("%s: new template refused; keeping the old "
		    "configuration", nconf->template_file);
		free(ntmpl);
		config_free(nconf);
		return;
	}
	if (engine_reconf_check(nconf, ntmpl, ntmpllen) == -1) {
		free(ntmpl);
		config_free(nconf);
		return;
	}
	to_fetcher = reconf_fetcher(nconf);
	/* in place: the engine, the metrics keep their pointers */
	config_replace(p.conf, nconf);
	free(p.tmpl);
	p.tmpl = ntmpl;
	p.tmpllen = ntmpllen;
	engine_reconf(p.tmpl, p.tmpllen);
	metrics_file_init(p.conf);
	if (to_fetcher)
		send_conf(PROC_FETCHER, 0);
	log_info("configuration reloaded");
	/* the template may have changed: render, and reload if it did */
	engine_apply();
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

/*
 * A child's messages, to its handler in the table (the engine's); its
 * pipe closing is the end of the daemon.
 */
static void
parent_dispatch(int fd, short event, void *arg)
{
	struct proc		*pr = arg;
	struct imsgev		*iev = &pr->iev;
	struct imsg		 imsg;
	ssize_t			 n;

	if (imsgev_dispatch_io(iev, event) == -1)
		parent_shutdown(!proc_gone(pr->id));
	for (;;) {
		if ((n = imsg_get(&iev->ibuf, &imsg)) == -1) {
			log_warn("%s: imsg_get from %s", __func__,
			    pr->title);
			parent_shutdown(1);
		}
		if (n == 0)
			break;
		pr->dispatch(&imsg);
		imsg_free(&imsg);
	}
	imsgev_add(iev);
}

/* The reloader's messages: the result of a check or of a reload. */
static void
parent_from_reloader(struct imsg *imsg)
{
	struct haproxy_result	*res;

	if (imsg_get_type(imsg) != IMSG_HAPROXY_RESULT)
		fatalx("reloader: unexpected imsg %u", imsg_get_type(imsg));
	if ((res = malloc(sizeof(*res))) == NULL)
		fatal("malloc");
	if (imsg_get_data(imsg, res, sizeof(*res)) == -1)
		fatalx("reloader: bad result");
	engine_result(res);
	free(res);
}

/* ep2ctl log verbose|brief: ours and every child's. */
void
parent_ctl_verbose(int v)
{
	struct proc	*pr;

	log_setverbose(v);
	for (pr = procs; pr < procs + PROC_MAX; pr++)
		if (PARENT_PEER(pr))
			(void)imsgev_compose(&pr->iev, IMSG_VERBOSE, 0, -1, &v,
			    sizeof(v));
}

/*
 * What engine.c and metrics.c ask of the parent: a message without
 * data for a child, when ep2d started, a process's pid.
 */
int
parent_send(enum ep2d_proc proc, uint32_t type)
{
	if (!PARENT_PEER(&procs[proc]))
		fatalx("%s: %s is not the parent's to send to", __func__,
		    procs[proc].title);
	return (imsgev_compose(&procs[proc].iev, type, 0, -1, NULL, 0));
}

time_t
parent_started(void)
{
	return (p.started);
}

pid_t
parent_pid(enum ep2d_proc proc)
{
	return (proc == PROC_PARENT ? getpid() : procs[proc].pid);
}
