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
 * Metrics, in Prometheus's text format: for ep2ctl show metrics and,
 * with metrics_file, for node_exporter's textfile collector.  The
 * numbers are the engine's (engine.c), read here and never written.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "apply.h"
#include "file.h"
#include "log.h"
#include "engine.h"
#include "proc.h"

#define METRICS_FILE_SECS	15	/* metrics_file rewritten */

/* apply latency histogram: upper bounds in seconds, +Inf last */
const double	 metrics_le[METRICS_NBUCKETS - 1] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};

static const struct ep2_conf	*conf;	/* the parent's */
static struct event		 ev_metrics;

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
	const struct engine	*e = engine_state();
	const struct pbackend	*b;
	unsigned long long	 v;
	int			 i;

	metrics_head(fp, name, type, help);
	for (i = 0; i < e->nbe; i++) {
		b = &e->be[i];
		switch (which) {
		case 0:
			v = b->wanted.count;
			break;
		case 1:
			v = b->applied.count;
			break;
		case 2:
			v = be_runtime(b) ? runtime_ndraining(&b->rt) : 0;
			break;
		case 3:
			v = be_runtime(b) ? runtime_nslots(&b->rt) :
			    b->applied.count;
			break;
		case 4:
			v = e->nbe == 1 ? e->napplied : b->napplied;
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
	const struct engine	*e = engine_state();
	const struct pbackend	*b;
	char			*buf = NULL;
	size_t			 len = 0;
	FILE			*fp;
	uint64_t		 cum;
	long long		 rss;
	pid_t			 pid;
	int			 i, k;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return (NULL);
	metrics_head(fp, "ep2d_start_time_seconds", "gauge",
	    "When ep2d started, seconds since the epoch.");
	fprintf(fp, "ep2d_start_time_seconds %lld\n",
	    (long long)parent_started());
	pid = apply_haproxy_pid(&conf->run);
	metrics_head(fp, "ep2d_haproxy_up", "gauge",
	    "1 when the process of HAProxy's pid file runs.");
	fprintf(fp, "ep2d_haproxy_up %d\n", pid > 0);
	metrics_head(fp, "ep2d_applies_total", "counter",
	    "Changes brought to HAProxy, by how.");
	fprintf(fp, "ep2d_applies_total{how=\"reload\"} %llu\n",
	    (unsigned long long)e->applies_reload);
	fprintf(fp, "ep2d_applies_total{how=\"runtime\"} %llu\n",
	    (unsigned long long)e->applies_runtime);
	metrics_head(fp, "ep2d_apply_failures_total", "counter",
	    "Applies that failed (render, check, write, reload).");
	fprintf(fp, "ep2d_apply_failures_total %llu\n",
	    (unsigned long long)e->apply_failures);
	metrics_head(fp, "ep2d_last_apply_ok", "gauge",
	    "1 when the last apply succeeded.");
	fprintf(fp, "ep2d_last_apply_ok %d\n", e->last_apply > 0 ?
	    e->apply_ok != 0 : 1);

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
	for (i = 0; i < e->nbe; i++) {
		b = &e->be[i];
		fputs("ep2d_source_up{backend=\"", fp);
		metrics_label(fp, b->conf->backend_name);
		fprintf(fp, "\",orchestrator=\"%s\"} %d\n",
		    config_orchestrator_name(b->conf->orchestrator),
		    b->source.ok ? 1 : 0);
	}

	metrics_head(fp, "ep2d_apply_latency_seconds", "histogram",
	    "From a new server set to HAProxy running it.");
	for (i = 0; i < e->nbe; i++) {
		b = &e->be[i];
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
		/* the programs (ep2ctl.8), not the helpers forked by them */
		if (proc_get(i)->prog == PROC_PROG_FORK)
			continue;
		rss = metrics_rss(parent_pid(i));
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
void
metrics_file_write(void)
{
	char	 tmp[PATH_MAX];
	char	*text;
	size_t	 len;
	ssize_t	 n;
	int	 fd;
	static int warned;

	if (conf->metrics_file[0] == '\0')
		return;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp",
	    conf->metrics_file) >= sizeof(tmp)) {
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
	if (rename(tmp, conf->metrics_file) == -1) {
		if (!warned++)
			log_warn("metrics_file %s", conf->metrics_file);
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
	evtimer_add(&ev_metrics, &tv);
}

/*
 * At start and after each SIGHUP: with no metrics_file there is no
 * timer, so that an idle ep2d does not wake (issue 15 item 4); one
 * just set is written at once.
 */
void
metrics_file_init(const struct ep2_conf *c)
{
	static int	 set;
	struct timeval	 tv = { 0, 0 };

	conf = c;
	if (!set) {
		evtimer_set(&ev_metrics, metrics_tick, NULL);
		set = 1;
	}
	evtimer_del(&ev_metrics);
	if (conf->metrics_file[0] != '\0')
		evtimer_add(&ev_metrics, &tv);
}
