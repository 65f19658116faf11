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

#ifndef EP2D_H
#define EP2D_H

#include <sys/types.h>
#include <sys/queue.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "addr.h"
#include "log.h"

#define EP2D_USER		"_ep2d"
#define EP2D_CONF		"/etc/ep2/ep2.conf"
#ifndef EP2D_VERSION
#define EP2D_VERSION		"unknown"	/* the Makefile sets it */
#endif
#define EP2D_SOCKET		"/run/ep2d.sock"
#define EP2D_CHROOT		"/run/ep2d/fetcher"

#define PROC_PARENT_SOCK_FILENO	3

#define EP2D_MAX_SOCKETS	16	/* haproxy_socket_file list */
#define EP2D_SOCKPATH_MAX	108	/* a unix socket's path: sun_path */
#define EP2D_MAX_TAGS		16	/* [CONSUL] tags */
#define EP2D_MAX_ASG		16	/* [AWS] asg_name list */
#define EP2D_MAX_HOOKS		8	/* [AWS] lifecycle_hook_name list */
/*
 * The most servers ep2d takes (ep2d.8 LIMITS).  haproxy -c grows faster
 * than the servers of one backend (0.5 s for 10,000 here, 2 s for
 * 20,000, 18 s for 50,000, past the runner's 60 s for 100,000), and
 * HAProxy needs a descriptor for each checked server (a limit of open
 * files of 20,000 is common): a backend has at most EP2D_MAX_SERVERS
 * servers and slots, all backends together EP2D_MAX_TOTAL servers.
 * A set past either is refused whole and the last good one stays.
 */
#define EP2D_MAX_SERVERS	10000	/* per backend, from any source */
#define EP2D_MAX_TOTAL		16000	/* all backends */
#define EP2D_NAME_MAX		128	/* backend, service, unit names */
#define EP2D_ERR_MAX		256	/* an error text carried in an imsg */
#define EP2D_HAPROXY_MSG_MAX	4000	/* the end of what haproxy said */
#define EP2D_MAX_IMSGSIZE	16384
/*
 * [haproxy] and up to 511 [backend NAME] sections (ep2.conf.5, ep2d.8
 * LIMITS).  Issue 15 asks for 500 backends on one Consul agent; 512 is
 * that with some room, and what was measured (bench/many.sh,
 * regress/consul-many500.t).  Nothing is sized by it: every
 * per-backend structure is allocated for the backends configured.
 * What does grow with it: past CONSUL_MAX_WATCHES backends on one
 * agent they share one watch, where a catalog move the health state
 * does not explain reads every member again (a request each,
 * CONSUL_REREAD_MAX at a time, consul_agent.c); the parent's
 * configuration, about 9 kB a
 * backend, sent once to the fetcher at start and at each SIGHUP (a
 * message each); `ep2ctl show status`, a row each; and HAProxy, which
 * checks and loads the template's 500 backends in well under a second.
 */
#define EP2D_MAX_BACKENDS	512
/*
 * Lifecycle hooks follow at most this many backends on orchestrator
 * aws (aws_hook.c keeps the sources of a group in a 32-bit mask); a
 * configuration with lifecycle_queue_url and more is refused.
 */
#define EP2D_MAX_HOOK_BACKENDS	32
#define EP2D_LABEL_MAX		64	/* NAME of [backend NAME] */

/*
 * ep2d's processes, the index of the table of them (ep2d.c, struct proc
 * in proc.h).  The fetcher and the reloader are programs the parent
 * starts, and speak imsg with it; the two helpers are forks that speak
 * a protocol of their own on a pair: the connector (connector.c) of
 * the parent, the runner (runner.c) of the reloader.
 */
enum ep2d_proc {
	PROC_PARENT,
	PROC_FETCHER,
	PROC_RELOADER,
	PROC_CONNECTOR,
	PROC_RUNNER,
	PROC_MAX
};

/*
 * Configuration: EP2's ep2.conf.  Keys keep EP2's names; see ep2.conf.5.
 * Only the parent parses the file (config.c), at start and on SIGHUP;
 * each child gets its part over imsg (config_imsg.c): the fetcher what
 * its sources need, the reloader its runner's struct run_conf, at start
 * only.
 */
enum orchestrator {
	ORCH_AWS,
	ORCH_CONSUL,
	ORCH_FILE
};

enum update_type {
	UPDATE_CONFIG,
	UPDATE_RUNTIME
};

enum start_by {
	START_BINARY,
	START_SYSTEMD
};

/* [CONSUL] on_warning: an instance whose worst check is "warning" */
enum on_warning {
	WARN_DEFAULT,		/* unset: Consul's ?passing, or as passing */
	WARN_PASSING,		/* serves, at Service.Weights.Warning */
	WARN_DRAIN,		/* weight 0: its sessions end, no new ones */
	WARN_REMOVE		/* left out */
};

enum ip_type {
	IP_PUBLIC,
	IP_PRIVATE
};

/* [CONSUL]: the connection, shared by every backend */
struct consul_conf {
	char		 consul_ip[EP2D_HOST_MAX];
	uint16_t	 consul_port;
	char		 token[512];		/* secret: never logged */
	int		 https;			/* scheme = https */
	char		 ca_file[PATH_MAX];
	char		 cert_file[PATH_MAX];
	char		 key_file[PATH_MAX];
	char		 tls_server_name[EP2D_HOST_MAX];
	char		 datacenter[EP2D_NAME_MAX];
	int		 stale;
	int		 wait;			/* seconds, blocking query */
	size_t		 max_body;		/* bytes */
};

/* [AWS]: the credentials and the endpoints, shared by every backend */
struct aws_conf {
	char		 access_key_id[128];	/* secret: never logged */
	char		 secret_access_key[256];/* secret: never logged */
	enum ip_type	 ip_type;
	int		 ip_type_set;		/* EP2: unset means public */
	char		 autoscaling_endpoint[512];
	char		 ec2_endpoint[512];
	/*
	 * lifecycle hooks (aws_hook.c): "" is none, the poll alone.  An
	 * SQS queue's URL is under 200 bytes; 256 keeps struct conf_fetcher
	 * in one imsg.
	 */
	char		 lifecycle_queue_url[256];
	char		 lifecycle_hooks[EP2D_MAX_HOOKS][EP2D_NAME_MAX];
	int		 nlifecycle_hooks;
	int		 lifecycle_complete;	/* CompleteLifecycleAction */
	int		 lifecycle_heartbeat;	/* the hooks' timeout, s */
};

/* A backend's [CONSUL] keys: which service, which instances */
struct consul_backend {
	char		 service_name[EP2D_NAME_MAX];
	char		 tags[EP2D_MAX_TAGS][EP2D_NAME_MAX];
	int		 ntags;
	int		 only_passing;
	int		 weights;		/* Service.Weights -> weight */
	enum on_warning	 on_warning;
};

/* A backend's [AWS] keys: which groups, where */
struct aws_backend {
	char		 asg_names[EP2D_MAX_ASG][EP2D_NAME_MAX];
	int		 nasg;
	char		 region[64];
};

/* A backend's [FILE] key */
struct file_backend {
	char		 path[PATH_MAX];
};

struct ep2_conf;

/*
 * One backend: the keys a [backend NAME] may set (config.c's table
 * says which), and where the others are.  Backend 0 is [haproxy] with
 * [CONSUL], [AWS] and [FILE]; a [backend NAME] holds after parsing
 * every one of these keys, the ones it did not set taken from backend
 * 0.  What every backend shares is in conf, never copied.
 */
struct backend_conf {
	const struct ep2_conf *conf;	/* the shared keys */
	uint32_t	 index;		/* 0: [haproxy] */
	char		 label[EP2D_LABEL_MAX];	/* NAME: {{ nodes.NAME }} */
	char		 backend_name[EP2D_NAME_MAX];
	enum orchestrator orchestrator;
	uint16_t	 backend_port;
	int		 node_slots;
	enum update_type update_type;
	char		 check_interval[32];	/* "": unset; haproxy time */
	int		 backend_maxconn;	/* -1: unset */
	struct consul_backend consul;
	struct aws_backend aws;
	struct file_backend file;
};

/*
 * How HAProxy is run and reached, [haproxy]'s keys the runner builds its
 * command lines from and the connector its sockets: all the reloader
 * gets, at start.  They stay as they were at start (a SIGHUP that
 * changes one is said, and the old value kept).
 */
struct run_conf {
	char		 haproxy_config_file[PATH_MAX];
	char		 haproxy_binary[PATH_MAX];
	enum start_by	 start_by;
	char		 sockets[EP2D_MAX_SOCKETS][EP2D_SOCKPATH_MAX];
	int		 nsockets;
	char		 pid_file[PATH_MAX];
	char		 service_name[EP2D_NAME_MAX];
};

/* The keys every backend shares, and the backends. */
struct ep2_conf {
	char		 conf_path[PATH_MAX];

	/* [haproxy] */
	struct run_conf	 run;
	char		 template_file[PATH_MAX];
	char		 lock_dir[PATH_MAX];
	int		 sleep_before_next_run;
	int		 sleep_before_next_lock_attempt;
	char		 log_file[PATH_MAX];
	int		 drain_timeout;		/* seconds, 0: no draining */
	int		 slot_growth;		/* 0: double; N > 0: add N */
	char		 metrics_file[PATH_MAX];	/* "": none */
	int		 keep_on_empty;		/* an empty set: servers stay */

	struct consul_conf consul;
	struct aws_conf	 aws;

	/* [haproxy] and each [backend NAME], in the file's order */
	int		 nbackends;
	struct backend_conf **backends;	/* [0] is &backend0 */
	struct backend_conf backend0;	/* [haproxy]'s */
};

/* config.c */
struct ep2_conf	*config_new(void);
struct ep2_conf	*config_parse(const char *);
struct ep2_conf	*config_parse_fp(FILE *, const char *);
int	 config_read(FILE *, const char *, struct ep2_conf *);
void	 config_replace(struct ep2_conf *, struct ep2_conf *);
void	 config_clear(struct ep2_conf *);
void	 config_free(struct ep2_conf *);
int	 config_valid(const void *, size_t, size_t, const char **);
int	 config_valid_backend(const struct backend_conf *, const char **);
const char *config_orchestrator_name(enum orchestrator);
const char *config_update_type_name(enum update_type);
const char *config_key(size_t, const char **, int *);	/* the key table */

/*
 * config_imsg.c.  The parent composes a child's part (config_set*); the
 * child takes it one message at a time (config_get: 1 when whole, in
 * g->conf or g->run; 0 for more; -1 refused, g->why says why, and what
 * follows of it is dropped), or at its start waits for it (config_wait).
 */
struct imsg;
struct imsgbuf;

struct conf_get {
	enum ep2d_proc	 proc;		/* whose part: fetcher, reloader */
	int		 state;
	uint32_t	 want;		/* backends announced */
	uint32_t	 got;		/* backends taken */
	struct ep2_conf	*conf;		/* the fetcher's, whole */
	struct run_conf	*run;		/* the reloader's, whole */
	int		 fd;		/* IMSG_CONF_START's, or -1 */
	const char	*why;		/* a refusal */
};

int	 config_setfetcher(struct imsgbuf *, const struct ep2_conf *, int);
int	 config_setreloader(struct imsgbuf *, const struct ep2_conf *, int);
void	 config_getinit(struct conf_get *, enum ep2d_proc);
int	 config_get(struct conf_get *, struct imsg *);
void	 config_getclear(struct conf_get *);
void	 config_wait(struct imsgbuf *, struct conf_get *);

/*
 * A server set: what one orchestrator says a backend should hold.
 * Servers are kept sorted (set_sort) so that two sets compare with
 * set_equal() in one pass.
 */
struct server {
	char		 host[EP2D_HOST_MAX];
	uint16_t	 port;
	uint16_t	 weight;		/* 0: haproxy's default */
};
#define EP2D_WEIGHT_MAX		256	/* HAProxy's */
#define EP2D_WEIGHT_ZERO	0xffff	/* weight 0: drained */

struct server_set {
	struct server	*servers;
	size_t		 count;
	size_t		 cap;
	size_t		 overflow;	/* refused: past EP2D_MAX_SERVERS */
};

/* set.c */
void	 set_init(struct server_set *);
void	 set_free(struct server_set *);
void	 set_clear(struct server_set *);
int	 set_add(struct server_set *, const char *, uint16_t);
void	 set_sort(struct server_set *);
int	 set_equal(const struct server_set *, const struct server_set *);
int	 set_copy(struct server_set *, const struct server_set *);
ssize_t	 set_find(const struct server_set *, const char *, uint16_t);

#define REFUSED_SHOWN	3
struct refused {
	size_t		 count;
	char		 first[REFUSED_SHOWN][LOG_VISIBLE_LEN * 2 + 96];
};
void	 refused_init(struct refused *);
void	 refused_add(struct refused *, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	 refused_text(const struct refused *, const char *, const char *,
	    char *, size_t);
void	 refused_log(const struct refused *, const char *, const char *);

/* template.c: render the template into a buffer, no I/O */
struct tmpl_slot {
	const struct server *srv;	/* NULL: a free, disabled slot */
	char		 name[32];	/* "node1" ... */
};
int	 template_render(const char *, size_t, const char *,
	    const struct backend_conf *, const struct tmpl_slot *, size_t,
	    char **, size_t *);
int	 template_check(const char *, size_t, const char *);
/* several backends: {{ nodes }} is label "", {{ nodes.NAME }} NAME's */
struct tmpl_backend {
	const struct backend_conf *be;		/* its label, its keys */
	const struct tmpl_slot	*slots;
	size_t			 nslots;
};
int	 template_render_backends(const char *, size_t, const char *,
	    const struct tmpl_backend *, size_t, char **, size_t *);
int	 template_check_backends(const char *, size_t, const char *,
	    const struct ep2_conf *);
int	 template_render_map(const char *, size_t, const char *,
	    const struct tmpl_backend *, size_t, char **, size_t *, int **,
	    size_t *);

/* check.c */
int	 check_config(const struct ep2_conf *, const char *, size_t, int);

/* filesrc.c */
int	 servers_parse(const char *, size_t, const char *, uint16_t,
	    struct server_set *);

/*
 * imsg types, grouped by direction.  A server set travels as
 * IMSG_SET_BEGIN, N times IMSG_SET_SERVER, IMSG_SET_END with the set's
 * generation in peerid; the parent applies it only at END and only when
 * the count matches.
 */
enum imsg_type {
	IMSG_NONE,

	/* ep2ctl <-> parent (control socket) */
	IMSG_CTL_OK,			/* reply: done */
	IMSG_CTL_FAIL,			/* reply: char text[] */
	IMSG_CTL_END,			/* reply: end of rows */
	IMSG_CTL_SHOW_STATUS,		/* -> IMSG_CTL_STATUS, END */
	IMSG_CTL_SHOW_SLOTS,		/* -> n * IMSG_CTL_SLOT, END */
	IMSG_CTL_SHOW_BACKENDS,		/* -> n * IMSG_CTL_BACKEND, END */
	IMSG_CTL_RELOAD,		/* -> OK or FAIL */
	IMSG_CTL_SYNC,			/* -> OK or FAIL */
	IMSG_CTL_VERBOSE,		/* int verbose -> OK */
	IMSG_CTL_STATUS,		/* struct ctl_status */
	IMSG_CTL_SLOT,			/* struct ctl_slot */
	IMSG_CTL_BACKEND,		/* struct ctl_backend */
	IMSG_CTL_SHOW_METRICS,		/* -> n * IMSG_CTL_METRICS, END */
	IMSG_CTL_METRICS,		/* Prometheus text, a piece of it */

	/* parent -> children */
	IMSG_CONF_START,		/* struct conf_fetcher, conf_reloader */
	IMSG_FETCH_NOW,
	IMSG_VERBOSE,			/* int */
	IMSG_LOG_REOPEN,		/* fd: log_file, reopened */

	/* fetcher -> parent */
	IMSG_SET_BEGIN,			/* struct set_begin */
	IMSG_SET_SERVER,		/* struct server (wire) */
	IMSG_SET_END,			/* uint32_t count */
	IMSG_SOURCE_STATE,		/* struct source_state */

	/* parent -> reloader; reloader -> parent */
	IMSG_HAPROXY_CHECK,		/* haproxy -c -f CFG.new */
	IMSG_HAPROXY_RELOAD,		/* start HAProxy, or reload it */
	IMSG_HAPROXY_RESULT,		/* struct haproxy_result */

	/*
	 * parent -> children, after IMSG_CONF_START; last, so that the
	 * numbers above stay (regress/fakes and tests name some)
	 */
	IMSG_CONF_BACKEND,		/* struct backend_conf, conf NULL */
	IMSG_CONF_END,			/* uint32_t backends sent */

	/*
	 * fetcher -> parent, parent -> fetcher: lifecycle hooks.  The
	 * fetcher asks to be told when a server is drained or ready
	 * (aws_hook.c), the parent tells when it is (hookwatch.c).
	 */
	IMSG_HOOK_WATCH,		/* struct hook_watch */
	IMSG_HOOK_DONE,			/* struct hook_watch, result set */
};

/*
 * A child's part of the configuration (config_imsg.c): IMSG_CONF_START
 * with one of these (and at start a descriptor of the log file, if
 * any), one IMSG_CONF_BACKEND per backend, IMSG_CONF_END with their
 * count.  The fetcher gets what its sources need, the secrets with
 * them, and nothing of the parent's paths; the reloader its runner's
 * run_conf and no backend, at start only.
 */
struct conf_fetcher {
	uint32_t	 nbackends;	/* IMSG_CONF_BACKEND to follow */
	int32_t		 sleep_before_next_run;
	int32_t		 keep_on_empty;
	struct consul_conf consul;	/* token: secret */
	struct aws_conf	 aws;		/* keys: secret */
};

struct conf_reloader {
	uint32_t	 nbackends;	/* none */
	struct run_conf	 run;
};

struct set_begin {
	uint32_t	 backend;	/* index; 0 is [haproxy] */
	uint32_t	 count;		/* servers that follow */
};

struct source_state {
	uint32_t	 backend;
	int32_t		 ok;		/* 1: last fetch good */
	int64_t		 last_fetch;	/* time(3) of the last attempt */
	int64_t		 last_ok;	/* time(3) of the last success */
	int64_t		 failing_since;	/* 0 when ok */
	uint32_t	 nservers;	/* in the last good answer */
	char		 error[EP2D_ERR_MAX];
};

/* IMSG_HOOK_WATCH and IMSG_HOOK_DONE */
enum hook_what {
	HOOK_DRAINED,			/* no slot holds it any more */
	HOOK_READY,			/* taking traffic */
	HOOK_CANCEL			/* the watch of this id is over */
};

enum hook_result {
	HOOK_R_NONE,			/* a watch */
	HOOK_R_DRAINED,			/* its sessions ended */
	HOOK_R_TIMEOUT,			/* drain_timeout passed */
	HOOK_R_ABSENT,			/* it was not there */
	HOOK_R_READY			/* its health check passed */
};

struct hook_watch {
	uint32_t	 backend;
	uint32_t	 id;		/* the fetcher's, answered back */
	int32_t		 what;		/* enum hook_what */
	int32_t		 result;	/* enum hook_result */
	char		 host[EP2D_HOST_MAX];
	uint16_t	 port;
};

struct haproxy_result {
	int32_t		 cmd;		/* IMSG_HAPROXY_* asked */
	int32_t		 status;	/* exit status, -1: did not run */
	int32_t		 pid;		/* haproxy's pid after start/reload */
	char		 msg[EP2D_HAPROXY_MSG_MAX];
};

/* Control socket rows (ep2ctl) */
struct ctl_status {
	char		 backend[EP2D_NAME_MAX];
	char		 orchestrator[16];
	char		 update_type[24];
	int32_t		 source_ok;
	int64_t		 last_fetch;
	int64_t		 last_ok;
	int64_t		 failing_since;
	char		 source_error[EP2D_ERR_MAX];
	uint32_t	 nservers;	/* wanted */
	uint32_t	 nslots;
	int64_t		 last_apply;
	int32_t		 apply_ok;
	char		 apply_how[16];	/* "runtime", "reload", "start" */
	char		 apply_error[EP2D_ERR_MAX];
	int32_t		 haproxy_pid;
	int64_t		 started;
	uint32_t	 napplied;	/* changes applied since start */
	char		 version[16];	/* the daemon's, EP2D_VERSION */
};

struct ctl_slot {
	char		 backend[EP2D_NAME_MAX];
	char		 name[32];
	char		 host[EP2D_HOST_MAX];	/* "" when free */
	uint16_t	 port;
	char		 state[16];	/* ready, drain, maint, free */
	uint32_t	 sessions;
};

struct ctl_backend {
	char		 backend[EP2D_NAME_MAX];
	char		 orchestrator[16];
	char		 update_type[24];
	uint32_t	 wanted;
	uint32_t	 live;
	int64_t		 last_change;
	int32_t		 source_ok;
};

/*
 * What control.c asks of the parent: engine.c answers, but for the
 * metrics (metrics.c) and the verbosity (ep2d.c).
 */
size_t	 parent_ctl_status(struct ctl_status **);
size_t	 parent_ctl_slots(struct ctl_slot **);
size_t	 parent_ctl_backends(struct ctl_backend **);
char	*parent_ctl_metrics(size_t *);	/* malloc'd text, NUL ended */
int	 parent_ctl_reload(char *, size_t);
int	 parent_ctl_sync(char *, size_t);
void	 parent_ctl_verbose(int);

/* ep2d.c, for engine.c and metrics.c */
int	 parent_send(enum ep2d_proc, uint32_t);
time_t	 parent_started(void);
pid_t	 parent_pid(enum ep2d_proc);
__attribute__((__noreturn__)) void parent_shutdown(int);

/* control.c */
int	 control_init(const char *, gid_t);
int	 control_listen(void);
void	 control_cleanup(const char *);

/* sandbox.c, landlock.c (sandbox_fetcher_allow), seccomp.c (sandbox_execve) */
int	 sandbox_fetcher(const char *);
int	 sandbox_fetcher_allow(const char *);
int	 sandbox_parent(const struct ep2_conf *);
int	 sandbox_reloader(void);
int	 sandbox_runner(const struct run_conf *);
int	 sandbox_execve(const char *, char *const [], char *const []);
int	 sandbox_connector(void);

/*
 * connector.c; connector_serve and connector_attach are its two ends,
 * apart for the unit tests.
 */
int	 connector_start(const struct ep2_conf *);
int	 connector_attach(int);
__attribute__((__noreturn__)) void connector_serve(int);
int	 connector_connect(const char *, int *);
pid_t	 connector_pid(void);
void	 connector_stop(void);
void	 sandbox_protect(void);

/*
 * runner.c: the reloader asks its runner for a kind of run, nothing
 * more; the runner's notes come to be logged, then the result.
 * runner_serve and runner_attach are its two ends, apart for the unit
 * tests.
 */
#define RUNNER_CHECK		1	/* haproxy -c -f haproxy.cfg.new */
#define RUNNER_APPLY		2	/* start or reload HAProxy */

struct runner_res {
	int32_t		 status;	/* exit status, -1: did not run */
	int32_t		 pid;		/* haproxy's pid afterwards */
	char		 msg[EP2D_HAPROXY_MSG_MAX];
};

int	 runner_start(const struct run_conf *);
int	 runner_attach(int);
__attribute__((__noreturn__)) void runner_serve(const struct run_conf *,
	    int);
int	 runner_call(uint32_t, struct runner_res *);
void	 runner_idle(void);
__attribute__((__noreturn__)) void runner_lost(void);

/*
 * fetcher.c: a source is one orchestrator feeding one backend.  Each
 * kind (consul.c, aws.c, filesrc.c) implements the four operations
 * below; init runs as root before the sandbox closes (open what is
 * needed), start after it.  A source reports every answer through
 * source_good() (a whole set, every address already checked with
 * addr_valid_host) or source_fail() (the last good set stays).
 */
struct event_base;

struct source {
	uint32_t		 backend;	/* index; 0 is [haproxy] */
	enum orchestrator	 type;
	const struct backend_conf *be;		/* be->conf: the shared keys */
	struct event_base	*evb;
	void			*ctx;		/* the kind's own state */
	struct source_state	 state;
	struct server_set	 last;		/* last set sent */
	int			 sent;		/* a set was sent once */
};

struct source_ops {
	int	(*init)(struct source *);
	int	(*start)(struct source *);
	void	(*fetch_now)(struct source *);
	void	(*stop)(struct source *);
};

void	 source_good(struct source *, struct server_set *);
/* a message of a source's own for the parent (aws_hook.c) */
void	 fetcher_compose(uint32_t, const void *, size_t);
/* resolve.c: host names to addresses, in the fetcher */
void	 resolve_set(const char *, struct server_set *);
void	 source_fail(struct source *, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));

extern const struct source_ops consul_ops;
extern const struct source_ops aws_ops;
extern const struct source_ops filesrc_ops;

/* fetcher.c, reloader.c: entry points of the children */
__attribute__((__noreturn__)) void fetcher_main(int, int);
__attribute__((__noreturn__)) void reloader_main(int, int);

#endif /* EP2D_H */
