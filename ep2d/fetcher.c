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
 * The fetcher: the unprivileged process that asks the orchestrator.
 * It opens what its source needs as root, locks itself in (sandbox.c),
 * and from then on only sends the parent whole, checked server sets
 * and the state of its sources: one per backend (ep2.conf's [haproxy]
 * and each [backend NAME]), all on one event loop, each failing and
 * recovering on its own.  It never receives anything from the
 * network that it passes on unchecked: every address goes through
 * addr_valid_host() here, and again in the parent.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "aws.h"
#include "http.h"
#include "log.h"
#include "proc.h"

static struct ep2_conf	*conf;		/* the parent's part for us */
static struct conf_get	 cget;		/* the next one, arriving */
static struct imsgev	 iev_parent;
static struct source	*srcs;		/* one per backend */
static const struct source_ops **ops;
static int		 nsrcs;
static uint32_t		 generation;
static int		 started_tls;	/* http_init set TLS up */

static void	 fetcher_dispatch_parent(int, short, void *);
static void	 fetcher_sig(int, short, void *);
static void	 fetcher_send_state(struct source *);
static void	 fetcher_reconf(struct ep2_conf *);
static void	 fetch_all(void);
static const char *src_name(const struct source *);

static const struct source_ops *
source_ops_for(enum orchestrator o)
{
	switch (o) {
	case ORCH_AWS:
		return (&aws_ops);
	case ORCH_CONSUL:
		return (&consul_ops);
	case ORCH_FILE:
		return (&filesrc_ops);
	}
	return (NULL);
}

/*
 * Whether a source may speak TLS, so that http_init() sets OpenSSL up
 * in full (http.c): AWS always does; Consul when scheme = https, or
 * when Consul's variables may make it https (consul.c reads them:
 * CONSUL_HTTP_SSL with any value, CONSUL_HTTP_ADDR beginning with
 * https); and any source whose requests may go to a proxy over TLS
 * (libcurl's *_proxy variables beginning with https).  Erring towards
 * yes costs only memory; a no that was wrong makes every request of
 * that source fail, saying why.
 */
static int
src_may_tls(const struct backend_conf *be)
{
	static const char *const vars[] = {
		"CONSUL_HTTP_ADDR", "http_proxy", "HTTP_PROXY", "https_proxy",
		"HTTPS_PROXY", "all_proxy", "ALL_PROXY"
	};
	const char	*v;
	size_t		 i;

	switch (be->orchestrator) {
	case ORCH_FILE:
		return (0);
	case ORCH_CONSUL:
		if (be->conf->consul.https || getenv("CONSUL_HTTP_SSL") != NULL)
			return (1);
		for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
			if ((v = getenv(vars[i])) != NULL &&
			    strncasecmp(v, "https", 5) == 0)
				return (1);
		return (0);
	default:
		return (1);
	}
}

/* "consul source", or "consul source of [backend api]" */
static const char *
src_name(const struct source *s)
{
	static char	 buf[EP2D_LABEL_MAX + 64];

	if (s->backend == 0)
		snprintf(buf, sizeof(buf), "%s source",
		    config_orchestrator_name(s->type));
	else
		snprintf(buf, sizeof(buf), "%s source of [backend %s]",
		    config_orchestrator_name(s->type), s->be->label);
	return (buf);
}

static void
fetch_all(void)
{
	int	 i;

	for (i = 0; i < nsrcs; i++)
		ops[i]->fetch_now(&srcs[i]);
}

static void
fetcher_send_state(struct source *s)
{
	if (imsgev_compose(&iev_parent, IMSG_SOURCE_STATE, 0, -1, &s->state,
	    sizeof(s->state)) == -1)
		fatal("%s: compose", __func__);
}

/*
 * A good answer: check every server once more, send the set if it is
 * not the one the parent already has.  An unchanged answer changes
 * nothing downstream.
 */
void
source_good(struct source *s, struct server_set *set)
{
	struct set_begin	 sb;
	uint32_t		 count;
	size_t			 i, j;

	/* past the limit, the whole answer is refused: none of it is cut */
	if (set->overflow > 0) {
		source_fail(s, "%zu servers, more than the %d a backend may "
		    "have; refused, the last good set stays",
		    set->count + set->overflow, EP2D_MAX_SERVERS);
		log_warnx("%s: %s", src_name(s), s->state.error);
		return;
	}
	for (i = 0, j = 0; i < set->count; i++) {
		if (!addr_valid_host(set->servers[i].host) ||
		    set->servers[i].port == 0) {
			log_warnx("%s: dropping an invalid address",
			    src_name(s));
			continue;
		}
		set->servers[j++] = set->servers[i];
	}
	set->count = j;
	/* numeric addresses only, from here on (resolve.c) */
	resolve_set(src_name(s), set);
	set_sort(set);

	s->state.ok = 1;
	s->state.last_fetch = s->state.last_ok = time(NULL);
	s->state.failing_since = 0;
	s->state.error[0] = '\0';
	s->state.nservers = set->count;
	s->state.backend = s->backend;
	fetcher_send_state(s);

	if (s->sent && set_equal(&s->last, set)) {
		log_debug("%s: no change (%zu servers)", src_name(s),
		    set->count);
		return;
	}
	if (set_copy(&s->last, set) == -1)
		fatal("%s: set_copy", __func__);
	s->sent = 1;

	generation++;
	sb.backend = s->backend;
	sb.count = set->count;
	if (imsgev_compose(&iev_parent, IMSG_SET_BEGIN, generation, -1, &sb,
	    sizeof(sb)) == -1)
		fatal("%s: compose", __func__);
	for (i = 0; i < set->count; i++) {
		if (imsgev_compose(&iev_parent, IMSG_SET_SERVER, generation,
		    -1, &set->servers[i], sizeof(set->servers[i])) == -1)
			fatal("%s: compose", __func__);
	}
	count = set->count;
	if (imsgev_compose(&iev_parent, IMSG_SET_END, generation, -1, &count,
	    sizeof(count)) == -1)
		fatal("%s: compose", __func__);
	log_debug("%s: sent %zu servers (generation %u)", src_name(s),
	    set->count, generation);
}

void
fetcher_compose(uint32_t type, const void *data, size_t len)
{
	if (imsgev_compose(&iev_parent, type, 0, -1, data, len) == -1)
		fatal("%s: compose", __func__);
}

/* A failed fetch: record it for show status; the last set stays. */
void
source_fail(struct source *s, const char *fmt, ...)
{
	va_list	 ap;
	time_t	 now = time(NULL);

	va_start(ap, fmt);
	vsnprintf(s->state.error, sizeof(s->state.error), fmt, ap);
	va_end(ap);
	if (s->state.ok || s->state.failing_since == 0)
		s->state.failing_since = now;
	s->state.ok = 0;
	s->state.last_fetch = now;
	s->state.backend = s->backend;
	fetcher_send_state(s);
}

/*
 * SIGHUP: the parent parsed the new file and decided what the sources
 * can take.  What the sandbox fixed (each backend's kind of source, its
 * servers file, the TLS files) it keeps as at start, or sends nothing;
 * all the rest applies now, in place, the sources keeping their
 * pointers.  A configuration for other sources is the parent's mistake:
 * refused.  So is scheme = https when the start set no TLS up (http.c:
 * OpenSSL's configuration and the CA bundle are out of reach now).
 */
static void
fetcher_reconf(struct ep2_conf *nconf)
{
	const struct backend_conf *nb, *ob;
	int			 i, same;

	same = nconf->nbackends == nsrcs &&
	    strcmp(nconf->consul.ca_file, conf->consul.ca_file) == 0 &&
	    strcmp(nconf->consul.cert_file, conf->consul.cert_file) == 0 &&
	    strcmp(nconf->consul.key_file, conf->consul.key_file) == 0;
	for (i = 0; same && i < nsrcs; i++) {
		nb = nconf->backends[i];
		ob = conf->backends[i];
		same = nb->orchestrator == ob->orchestrator &&
		    strcmp(nb->label, ob->label) == 0 &&
		    strcmp(nb->file.path, ob->file.path) == 0;
	}
	if (!same) {
		log_warnx("a new configuration for other sources than those "
		    "of the start: refused; keeping the old one");
		config_free(nconf);
		return;
	}
	for (i = 0; !started_tls && i < nsrcs; i++)
		if (src_may_tls(nconf->backends[i])) {
			log_warnx("scheme = https: the start set up no TLS; "
			    "restart ep2d to use it; keeping the old "
			    "configuration");
			config_free(nconf);
			return;
		}
	config_replace(conf, nconf);
	log_info("configuration reloaded");
	fetch_all();
}

static void
fetcher_dispatch_parent(int fd, short event, void *arg)
{
	struct imsg	 imsg;
	ssize_t		 n;

	if (imsgev_dispatch_io(&iev_parent, event) == -1)
		exit(0);	/* the parent is gone; it reports */
	for (;;) {
		if ((n = imsg_get(&iev_parent.ibuf, &imsg)) == -1)
			fatal("%s: imsg_get", __func__);
		if (n == 0)
			break;
		switch (imsg_get_type(&imsg)) {
		case IMSG_FETCH_NOW:
			log_debug("fetch requested");
			fetch_all();
			break;
		case IMSG_CONF_START:
		case IMSG_CONF_BACKEND:
		case IMSG_CONF_END:
			switch (config_get(&cget, &imsg)) {
			case -1:
				log_warnx("the parent's new configuration "
				    "refused: %s; keeping the old one",
				    cget.why);
				break;
			case 1:
				/* the log file comes with the start only */
				if (cget.fd != -1)
					close(cget.fd);
				cget.fd = -1;
				fetcher_reconf(cget.conf);
				cget.conf = NULL;
				break;
			}
			break;
		case IMSG_HOOK_DONE:
			hook_parent_msg(&imsg);
			break;
		default:
			imsgev_dispatch_shared(&imsg, __func__);
		}
		imsg_free(&imsg);
	}
	imsgev_add(&iev_parent);
}

static void
fetcher_sig(int sig, short event, void *arg)
{
	exit(0);
}

void
fetcher_main(int debug, int verbose)
{
	struct event		 ev_sigterm, ev_sigint;
	struct event_base	*evb;
	const struct backend_conf *be;
	int			 i, need_http = 0, need_tls = 0;

	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
	log_ratelimit(1);
	log_procinit("fetcher");
	setproctitle("%s", "fetcher");

	if (fcntl(PROC_PARENT_SOCK_FILENO, F_SETFD, FD_CLOEXEC) == -1)
		fatal("fcntl");
	evb = event_init();
	proc_log_held();
	if (imsgev_init(&iev_parent, PROC_PARENT_SOCK_FILENO, "parent",
	    fetcher_dispatch_parent, NULL) == -1)
		fatal("imsgbuf_init");
	/* the parent passes the log file's descriptor */
	imsgbuf_allow_fdpass(&iev_parent.ibuf);

	/* the configuration first: the parent's part for the sources */
	config_getinit(&cget, PROC_FETCHER);
	config_wait(&iev_parent.ibuf, &cget);
	conf = cget.conf;
	cget.conf = NULL;
	/* no descriptor: none, or the parent could not open it and said */
	if (cget.fd != -1)
		log_file_setfd(cget.fd);
	cget.fd = -1;

	nsrcs = conf->nbackends;
	if ((srcs = calloc(nsrcs, sizeof(*srcs))) == NULL ||
	    (ops = calloc(nsrcs, sizeof(*ops))) == NULL)
		fatal("calloc");
	for (i = 0; i < nsrcs; i++) {
		be = conf->backends[i];
		if ((ops[i] = source_ops_for(be->orchestrator)) == NULL)
			fatalx("no source for orchestrator %d",
			    be->orchestrator);
		srcs[i].backend = i;
		srcs[i].type = be->orchestrator;
		srcs[i].be = be;
		srcs[i].evb = evb;
		set_init(&srcs[i].last);
		if (be->orchestrator != ORCH_FILE)
			need_http = 1;
		if (src_may_tls(be))
			need_tls = 1;
	}

	/* Everything that needs root or a file is opened here ... */
	if (need_http && http_init(evb, need_tls) == -1)
		fatalx("http_init");
	started_tls = need_http && need_tls;
	for (i = 0; i < nsrcs; i++)
		if (ops[i]->init(&srcs[i]) == -1)
			fatalx("%s: initialisation failed",
			    src_name(&srcs[i]));

	/*
	 * The servers files' directories are read through descriptors
	 * that reach outside the chroot: Landlock keeps what they reach
	 * beneath them.
	 */
	for (i = 0; i < nsrcs; i++) {
		char	 dir[PATH_MAX];

		if (srcs[i].type != ORCH_FILE)
			continue;
		if (strlcpy(dir, srcs[i].be->file.path, sizeof(dir)) >=
		    sizeof(dir) || sandbox_fetcher_allow(dirname(dir)) == -1)
			fatalx("%s: sandbox", src_name(&srcs[i]));
	}

	/* ... because after this there is no way back. */
	if (sandbox_fetcher(EP2D_CHROOT) == -1)
		fatalx("sandbox");

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal_set(&ev_sigterm, SIGTERM, fetcher_sig, NULL);
	signal_set(&ev_sigint, SIGINT, fetcher_sig, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sigint, NULL);

	for (i = 0; i < nsrcs; i++)
		if (ops[i]->start(&srcs[i]) == -1)
			fatalx("%s: start failed", src_name(&srcs[i]));
	/* what came with the configuration waits in the buffer: read it */
	event_active(&iev_parent.ev, EV_READ, 1);
	event_dispatch();
	exit(0);
}
