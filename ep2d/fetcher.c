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
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "http.h"
#include "log.h"
#include "proc.h"

static struct ep2_conf	*conf;
static struct imsgev	 iev_parent;
static struct source	*srcs;		/* one per backend */
static const struct source_ops **ops;
static int		 nsrcs;
static uint32_t		 generation;

static void	 fetcher_dispatch_parent(int, short, void *);
static void	 fetcher_sig(int, short, void *);
static void	 fetcher_send_state(struct source *);
static void	 fetcher_reconf(int);
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
 * SIGHUP reached the parent, which checked the new file and sends it
 * open, since this process cannot open it from its chroot.  What the
 * sandbox fixed (the kind of source, the servers file's directory,
 * TLS files) needs a restart; everything else applies now.
 */
static void
fetcher_reconf(int fd)
{
	const struct backend_conf *nb, *ob;
	struct ep2_conf	*nconf;
	FILE		*fp;
	int		 i;

	if ((fp = fdopen(fd, "r")) == NULL) {
		log_warn("fdopen");
		close(fd);
		return;
	}
	log_quiet(1);
	nconf = config_parse_fp(fp, conf->conf_path);
	log_quiet(0);
	fclose(fp);
	if (nconf == NULL) {
		log_warnx("new configuration refused; keeping the old one");
		return;
	}
	/* the sources were set up before the sandbox closed */
	if (nconf->nbackends != nsrcs) {
		log_warnx("backends added or removed: restart ep2d to use "
		    "them; keeping the old sources");
		goto done;
	}
	for (i = 0; i < nsrcs; i++) {
		nb = nconf->backends[i];
		ob = conf->backends[i];
		if (nb->orchestrator != ob->orchestrator ||
		    strcmp(nb->label, ob->label) != 0 ||
		    strcmp(nb->file.path, ob->file.path) != 0) {
			log_warnx("orchestrator or servers file changed: "
			    "restart ep2d to use the new one; keeping the old "
			    "source");
			goto done;
		}
	}
	if (strcmp(nconf->consul.ca_file, conf->consul.ca_file) != 0 ||
	    strcmp(nconf->consul.cert_file, conf->consul.cert_file) != 0 ||
	    strcmp(nconf->consul.key_file, conf->consul.key_file) != 0) {
		/* read before the sandbox closed; unreachable from here */
		log_warnx("[CONSUL] ca_file, cert_file or key_file changed: "
		    "restart ep2d to use the new files; keeping the old ones");
		memcpy(nconf->consul.ca_file, conf->consul.ca_file,
		    sizeof(nconf->consul.ca_file));
		memcpy(nconf->consul.cert_file, conf->consul.cert_file,
		    sizeof(nconf->consul.cert_file));
		memcpy(nconf->consul.key_file, conf->consul.key_file,
		    sizeof(nconf->consul.key_file));
	}
	/* in place: the sources keep their pointers */
	config_replace(conf, nconf);
	log_info("configuration reloaded");
	fetch_all();
	return;
done:
	config_free(nconf);
}

static void
fetcher_dispatch_parent(int fd, short event, void *arg)
{
	struct imsg	 imsg;
	ssize_t		 n;
	int		 nfd;

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
		case IMSG_CONF_RELOAD:
			if ((nfd = imsg_get_fd(&imsg)) == -1)
				log_warnx("config reload without a file");
			else
				fetcher_reconf(nfd);
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
fetcher_main(const char *conffile, int debug, int verbose)
{
	struct event		 ev_sigterm, ev_sigint;
	struct event_base	*evb;
	const struct backend_conf *be;
	int			 i, need_http = 0;

	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
	log_ratelimit(1);
	log_procinit("fetcher");
	setproctitle("%s", "fetcher");

	log_quiet(1);
	conf = config_parse(conffile);
	log_quiet(0);
	if (conf == NULL)
		fatalx("%s: configuration refused", conffile);
	/* when it cannot be opened, the parent has said why */
	if (conf->log_file[0] != '\0')
		(void)log_file_open(conf->log_file);
	if (fcntl(PROC_PARENT_SOCK_FILENO, F_SETFD, FD_CLOEXEC) == -1)
		fatal("fcntl");

	evb = event_init();
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
	}

	/* Everything that needs root or a file is opened here ... */
	if (need_http && http_init(evb) == -1)
		fatalx("http_init");
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
	if (imsgev_init(&iev_parent, PROC_PARENT_SOCK_FILENO, "parent",
	    fetcher_dispatch_parent, NULL) == -1)
		fatal("imsgbuf_init");
	/* the parent passes config and log file descriptors */
	imsgbuf_allow_fdpass(&iev_parent.ibuf);

	for (i = 0; i < nsrcs; i++)
		if (ops[i]->start(&srcs[i]) == -1)
			fatalx("%s: start failed", src_name(&srcs[i]));
	event_dispatch();
	exit(0);
}
