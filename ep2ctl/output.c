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
 * Text output of ep2ctl: "key  value" lines for show status, tables
 * with a header line for show slots and show backends, the metrics as
 * the daemon wrote them, one line for an action, and "ep2ctl: why" on
 * stderr for a failure.  Columns are as wide as their widest cell, two
 * spaces apart; numbers are aligned on the right.  Every string from
 * the daemon is printed with its control characters replaced, so that
 * nothing reaches the terminal unfiltered.
 */

#include <sys/types.h>

#include <err.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "ep2d.h"
#include "output.h"

#define TABLE_MAX_COLS	8
#define STATUS_LABEL	17	/* width of the labels of show status */

struct table {
	int		 ncols;
	unsigned int	 right;		/* bit n: column n flush right */
	size_t		 nrows;		/* row 0 is the header */
	size_t		 cap;
	char		**cells;	/* nrows * ncols */
};

static void	 table_init(struct table *, int, unsigned int);
static void	 table_row(struct table *, ...);
static void	 table_print(FILE *, const struct table *);
static void	 table_free(struct table *);
static void	 status_line(FILE *, const char *, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));

static void	 show_status(FILE *, const struct ctl_status *, size_t,
		    time_t);
static void	 show_status_one(FILE *, const struct ctl_status *, time_t);
static void	 show_slots(FILE *, const struct ctl_slot *, size_t, time_t);
static void	 show_backends(FILE *, const struct ctl_backend *, size_t,
		    time_t);
static void	 show_metrics(FILE *, const char *, size_t);
static void	 show_reload(FILE *);
static void	 show_sync(FILE *);
static void	 show_log(FILE *, int);
static void	 show_failure(FILE *, enum actions, enum failure,
		    const char *);

const struct output show_output = {
	.status = show_status,
	.slots = show_slots,
	.backends = show_backends,
	.metrics = show_metrics,
	.reload = show_reload,
	.sync = show_sync,
	.log = show_log,
	.failure = show_failure,
	.failure_to_stdout = 0
};

const char usage_synopsis[] = "ep2ctl [-jV] [-s socket] command "
    "[argument ...]";

/* "never", "12s ago", "3m05s ago", "2h10m ago", "4d03h ago" */
const char *
fmt_age(int64_t t, time_t now, char *buf, size_t len)
{
	long long	 d;

	if (t <= 0) {
		snprintf(buf, len, "never");
		return (buf);
	}
	/* t > 0: now - t cannot overflow */
	d = t >= (int64_t)now ? 0 : (long long)now - (long long)t;
	if (d < 60)
		snprintf(buf, len, "%llds ago", d);
	else if (d < 3600)
		snprintf(buf, len, "%lldm%02llds ago", d / 60, d % 60);
	else if (d < 86400)
		snprintf(buf, len, "%lldh%02lldm ago", d / 3600,
		    (d % 3600) / 60);
	else
		snprintf(buf, len, "%lldd%02lldh ago", d / 86400,
		    (d % 86400) / 3600);
	return (buf);
}

/*
 * A daemon string made safe for a terminal: printable ASCII is kept,
 * anything else becomes '?'.  The input need not be NUL-terminated
 * beyond len - 1 bytes of the output.
 */
const char *
fmt_clean(const char *s, char *buf, size_t len)
{
	size_t	 i;

	if (len == 0)
		return ("");
	for (i = 0; i < len - 1 && s[i] != '\0'; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return (buf);
}

/* "10.0.0.1:80", "[2001:db8::1]:80", "-" for a free slot. */
const char *
fmt_server(const char *host, uint16_t port, char *buf, size_t len)
{
	char	 clean[EP2D_HOST_MAX];

	fmt_clean(host, clean, sizeof(clean));
	if (clean[0] == '\0')
		snprintf(buf, len, "-");
	else if (addr_format(clean, port, buf, len) == -1)
		snprintf(buf, len, "%s:%u", clean, port);
	return (buf);
}

static void
table_init(struct table *t, int ncols, unsigned int right)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->right = right;
}

/* Add a row of t->ncols strings (copied). */
static void
table_row(struct table *t, ...)
{
	va_list		 ap;
	char		**cells;
	const char	*s;
	size_t		 cap;
	int		 i;

	if (t->nrows == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		if ((cells = reallocarray(t->cells, cap * t->ncols,
		    sizeof(*cells))) == NULL)
			err(1, "table");
		t->cells = cells;
		t->cap = cap;
	}
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		s = va_arg(ap, const char *);
		if ((t->cells[t->nrows * t->ncols + i] = strdup(s)) == NULL)
			err(1, "table");
	}
	va_end(ap);
	t->nrows++;
}

static void
table_print(FILE *fp, const struct table *t)
{
	size_t		 w[TABLE_MAX_COLS], r, len;
	const char	*s;
	int		 c;

	for (c = 0; c < t->ncols && c < TABLE_MAX_COLS; c++) {
		w[c] = 0;
		for (r = 0; r < t->nrows; r++) {
			len = strlen(t->cells[r * t->ncols + c]);
			if (len > w[c])
				w[c] = len;
		}
	}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols && c < TABLE_MAX_COLS; c++) {
			s = t->cells[r * t->ncols + c];
			if (c > 0)
				fputs("  ", fp);
			if (t->right & (1U << c))
				fprintf(fp, "%*s", (int)w[c], s);
			else if (c == t->ncols - 1)
				fputs(s, fp);	/* no trailing blanks */
			else
				fprintf(fp, "%-*s", (int)w[c], s);
		}
		fputc('\n', fp);
	}
}

static void
table_free(struct table *t)
{
	size_t	 i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

static void
status_line(FILE *fp, const char *label, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(fp, "%-*s", STATUS_LABEL, label);
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fputc('\n', fp);
}

/* One block of lines per backend, a blank line between two. */
static void
show_status(FILE *fp, const struct ctl_status *st, size_t n, time_t now)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc('\n', fp);
		show_status_one(fp, &st[i], now);
	}
}

static void
show_status_one(FILE *fp, const struct ctl_status *st, time_t now)
{
	char	 a[64], b[EP2D_ERR_MAX], c[EP2D_NAME_MAX];

	status_line(fp, "backend", "%s", fmt_clean(st->backend, c,
	    sizeof(c)));
	status_line(fp, "orchestrator", "%s", fmt_clean(st->orchestrator, b,
	    sizeof(b)));
	status_line(fp, "update type", "%s", fmt_clean(st->update_type, b,
	    sizeof(b)));
	status_line(fp, "started", "%s", fmt_age(st->started, now, a,
	    sizeof(a)));
	status_line(fp, "ep2d version", "%s", fmt_clean(st->version, b,
	    sizeof(b)));

	if (st->last_fetch <= 0)
		status_line(fp, "source", "no fetch yet");
	else if (st->source_ok)
		status_line(fp, "source", "ok");
	else
		status_line(fp, "source", "failing since %s",
		    fmt_age(st->failing_since, now, a, sizeof(a)));
	status_line(fp, "last fetch", "%s", fmt_age(st->last_fetch, now, a,
	    sizeof(a)));
	status_line(fp, "last good fetch", "%s", fmt_age(st->last_ok, now,
	    a, sizeof(a)));
	if (!st->source_ok && st->source_error[0] != '\0')
		status_line(fp, "source error", "%s",
		    fmt_clean(st->source_error, b, sizeof(b)));

	status_line(fp, "servers", "%u", st->nservers);
	status_line(fp, "slots", "%u", st->nslots);
	if (st->last_apply <= 0)
		status_line(fp, "last apply", "never");
	else
		status_line(fp, "last apply", "%s, %s%s%s",
		    fmt_age(st->last_apply, now, a, sizeof(a)),
		    st->apply_ok ? "ok" : "failed",
		    st->apply_how[0] != '\0' ? " by " : "",
		    fmt_clean(st->apply_how, c, sizeof(c)));
	if (st->last_apply > 0 && !st->apply_ok &&
	    st->apply_error[0] != '\0')
		status_line(fp, "apply error", "%s",
		    fmt_clean(st->apply_error, b, sizeof(b)));
	status_line(fp, "changes applied", "%u", st->napplied);
	if (st->haproxy_pid > 0)
		status_line(fp, "haproxy pid", "%d", st->haproxy_pid);
	else
		status_line(fp, "haproxy pid", "not running");
}

static void
show_slots(FILE *fp, const struct ctl_slot *s, size_t n, time_t now)
{
	struct table	 t;
	char		 be[EP2D_NAME_MAX], name[32], state[16], sess[16];
	char		 srv[EP2D_HOST_MAX + 8];
	size_t		 i;

	table_init(&t, 5, 1U << 4);
	table_row(&t, "BACKEND", "SLOT", "SERVER", "STATE", "SESSIONS");
	for (i = 0; i < n; i++) {
		snprintf(sess, sizeof(sess), "%u", s[i].sessions);
		table_row(&t, fmt_clean(s[i].backend, be, sizeof(be)),
		    fmt_clean(s[i].name, name, sizeof(name)),
		    fmt_server(s[i].host, s[i].port, srv, sizeof(srv)),
		    fmt_clean(s[i].state, state, sizeof(state)), sess);
	}
	table_print(fp, &t);
	table_free(&t);
}

static void
show_backends(FILE *fp, const struct ctl_backend *b, size_t n, time_t now)
{
	struct table	 t;
	char		 be[EP2D_NAME_MAX], orch[16], upd[24];
	char		 wanted[16], live[16], age[64];
	size_t		 i;

	table_init(&t, 7, (1U << 3) | (1U << 4));
	table_row(&t, "BACKEND", "ORCHESTRATOR", "UPDATE", "WANTED", "LIVE",
	    "SOURCE", "LAST CHANGE");
	for (i = 0; i < n; i++) {
		snprintf(wanted, sizeof(wanted), "%u", b[i].wanted);
		snprintf(live, sizeof(live), "%u", b[i].live);
		table_row(&t, fmt_clean(b[i].backend, be, sizeof(be)),
		    fmt_clean(b[i].orchestrator, orch, sizeof(orch)),
		    fmt_clean(b[i].update_type, upd, sizeof(upd)),
		    wanted, live, b[i].source_ok ? "ok" : "failing",
		    fmt_age(b[i].last_change, now, age, sizeof(age)));
	}
	table_print(fp, &t);
	table_free(&t);
}

/* Prometheus's text format already: as it came (made printable). */
static void
show_metrics(FILE *fp, const char *text, size_t len)
{
	if (len > 0)
		fwrite(text, 1, len, fp);
}

static void
show_reload(FILE *fp)
{
	fputs("reload started\n", fp);
}

static void
show_sync(FILE *fp)
{
	fputs("fetch requested\n", fp);
}

static void
show_log(FILE *fp, int verbose)
{
	fprintf(fp, "logging %s\n", verbose ? "verbose" : "brief");
}

/*
 * "ep2ctl: reload failed: REASON" when the daemon said no, "ep2ctl:
 * WHY" otherwise; a wrong command line adds the synopsis.  The reason
 * may be the daemon's: made printable like the rest.
 */
static void
show_failure(FILE *fp, enum actions action, enum failure kind,
    const char *why)
{
	char	 clean[1024];

	fmt_clean(why != NULL ? why : "", clean, sizeof(clean));
	if (kind == FAIL_DAEMON)
		fprintf(fp, "ep2ctl: %s failed: %s\n", action_name(action),
		    clean[0] != '\0' ? clean : "no reason given");
	else if (clean[0] != '\0')
		fprintf(fp, "ep2ctl: %s\n", clean);
	if (kind == FAIL_USAGE)
		fprintf(fp, "usage: %s\n"
		    "commands: show status | show slots | show backends | "
		    "show metrics | reload |\n"
		    "          sync | log verbose | log brief\n",
		    usage_synopsis);
}

/*
 * What arrives from the socket is not trusted to be terminated: cut
 * every text field of a row at its last byte.
 */
#define TERMINATE(f)	((f)[sizeof(f) - 1] = '\0')

void
output_fix_status(struct ctl_status *st)
{
	TERMINATE(st->backend);
	TERMINATE(st->orchestrator);
	TERMINATE(st->update_type);
	TERMINATE(st->source_error);
	TERMINATE(st->apply_how);
	TERMINATE(st->apply_error);
	TERMINATE(st->version);
}

void
output_fix_slot(struct ctl_slot *s)
{
	TERMINATE(s->backend);
	TERMINATE(s->name);
	TERMINATE(s->host);
	TERMINATE(s->state);
}

void
output_fix_backend(struct ctl_backend *b)
{
	TERMINATE(b->backend);
	TERMINATE(b->orchestrator);
	TERMINATE(b->update_type);
}
