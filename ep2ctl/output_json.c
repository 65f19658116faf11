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
 * JSON output of ep2ctl -j: one object per run, whatever happens.  Each
 * command's answer is under its own name, one shape whatever the
 * configuration: {"status": [...]}, {"slots": [...]}, {"backends":
 * [...]}, {"metrics": "..."} (Prometheus's text, one string),
 * {"reload": "started"}, {"sync": "requested"}, {"log": "verbose"}; a
 * failure is {"error": "...", "request": ..., "refused": ...}.  Times
 * are epoch seconds and absent strings null; the keys are stable,
 * scripts rely on them (ep2ctl(8) lists them).
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "ep2d.h"
#include "json.h"
#include "output.h"

static void	 json_status(FILE *, const struct ctl_status *, size_t,
		    time_t);
static void	 json_slots(FILE *, const struct ctl_slot *, size_t, time_t);
static void	 json_backends(FILE *, const struct ctl_backend *, size_t,
		    time_t);
static void	 json_metrics(FILE *, const char *, size_t);
static void	 json_reload(FILE *);
static void	 json_sync(FILE *);
static void	 json_log(FILE *, int);
static void	 json_failure(FILE *, enum actions, enum failure,
		    const char *);
static void	 json_word(FILE *, const char *, const char *);
static void	 json_text(const char *, const char *, size_t, int);

const struct output json_output = {
	.status = json_status,
	.slots = json_slots,
	.backends = json_backends,
	.metrics = json_metrics,
	.reload = json_reload,
	.sync = json_sync,
	.log = json_log,
	.failure = json_failure,
	.failure_to_stdout = 1
};

/*
 * A fixed-size field of a row, NUL-terminated here whatever it holds;
 * with nullable, an empty one is null (an error that did not happen).
 */
static void
json_text(const char *name, const char *field, size_t size, int nullable)
{
	char	 buf[EP2D_HAPROXY_MSG_MAX];

	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, field, size);
	buf[size - 1] = '\0';
	if (nullable && buf[0] == '\0')
		json_do_null(name);
	else
		json_do_string(name, buf);
}

#define JSON_TEXT(name, field)	json_text((name), (field), sizeof(field), 0)
#define JSON_TEXT_OR_NULL(name, field)					\
	json_text((name), (field), sizeof(field), 1)

/* {"status": [{...}, ...]}: one object per backend, one or several. */
static void
json_status(FILE *fp, const struct ctl_status *st, size_t n, time_t now)
{
	size_t	 i;

	json_do_start(fp);
	json_do_array("status");
	for (i = 0; i < n; i++) {
		json_do_object(NULL);
		JSON_TEXT("backend", st[i].backend);
		JSON_TEXT("orchestrator", st[i].orchestrator);
		JSON_TEXT("update_type", st[i].update_type);
		json_do_time("started", st[i].started);
		JSON_TEXT("version", st[i].version);
		json_do_bool("source_ok", st[i].source_ok);
		json_do_time("last_fetch", st[i].last_fetch);
		json_do_time("last_ok", st[i].last_ok);
		json_do_time("failing_since", st[i].failing_since);
		JSON_TEXT_OR_NULL("source_error", st[i].source_error);
		json_do_uint("servers", st[i].nservers);
		json_do_uint("slots", st[i].nslots);
		json_do_time("last_apply", st[i].last_apply);
		json_do_bool("apply_ok", st[i].apply_ok);
		JSON_TEXT_OR_NULL("apply_how", st[i].apply_how);
		JSON_TEXT_OR_NULL("apply_error", st[i].apply_error);
		json_do_uint("changes_applied", st[i].napplied);
		if (st[i].haproxy_pid > 0)
			json_do_int("haproxy_pid", st[i].haproxy_pid);
		else
			json_do_null("haproxy_pid");
		json_do_end();
	}
	json_do_finish();
}

static void
json_slots(FILE *fp, const struct ctl_slot *s, size_t n, time_t now)
{
	char	 host[EP2D_HOST_MAX], srv[EP2D_HOST_MAX + 8];
	size_t	 i;

	json_do_start(fp);
	json_do_array("slots");
	for (i = 0; i < n; i++) {
		json_do_object(NULL);
		JSON_TEXT("backend", s[i].backend);
		JSON_TEXT("name", s[i].name);
		memcpy(host, s[i].host, sizeof(host));
		host[sizeof(host) - 1] = '\0';
		if (host[0] == '\0') {
			json_do_null("address");
			json_do_null("port");
			json_do_null("server");
		} else {
			json_do_string("address", host);
			json_do_uint("port", s[i].port);
			if (addr_format(host, s[i].port, srv,
			    sizeof(srv)) == -1)
				snprintf(srv, sizeof(srv), "%s:%u", host,
				    s[i].port);
			json_do_string("server", srv);
		}
		JSON_TEXT("state", s[i].state);
		json_do_uint("sessions", s[i].sessions);
		json_do_end();
	}
	json_do_finish();
}

static void
json_backends(FILE *fp, const struct ctl_backend *b, size_t n, time_t now)
{
	size_t	 i;

	json_do_start(fp);
	json_do_array("backends");
	for (i = 0; i < n; i++) {
		json_do_object(NULL);
		JSON_TEXT("backend", b[i].backend);
		JSON_TEXT("orchestrator", b[i].orchestrator);
		JSON_TEXT("update_type", b[i].update_type);
		json_do_uint("wanted", b[i].wanted);
		json_do_uint("live", b[i].live);
		json_do_time("last_change", b[i].last_change);
		json_do_bool("source_ok", b[i].source_ok);
		json_do_end();
	}
	json_do_finish();
}

/*
 * The exposition text as one string, not parsed: it stays exactly what
 * metrics_file holds, NaN and +Inf included, which JSON numbers cannot
 * say.  ep2ctl.c has ended it with a NUL and no NUL is inside.
 */
static void
json_metrics(FILE *fp, const char *text, size_t len)
{
	json_word(fp, "metrics", len > 0 && text != NULL ? text : "");
}

static void
json_reload(FILE *fp)
{
	json_word(fp, "reload", "started");
}

static void
json_sync(FILE *fp)
{
	json_word(fp, "sync", "requested");
}

static void
json_log(FILE *fp, int verbose)
{
	json_word(fp, "log", verbose ? "verbose" : "brief");
}

/* {"name": "value"} */
static void
json_word(FILE *fp, const char *name, const char *value)
{
	json_do_start(fp);
	json_do_string(name, value);
	json_do_finish();
}

/*
 * {"error": why, "request": "reload" or null before a command is
 * known, "refused": true when ep2d said no}, and "usage" when the
 * command line was wrong.
 */
static void
json_failure(FILE *fp, enum actions action, enum failure kind,
    const char *why)
{
	json_do_start(fp);
	if (why == NULL || why[0] == '\0')
		why = kind == FAIL_DAEMON ? "no reason given" : "failed";
	json_do_string("error", why);
	if (action == NONE)
		json_do_null("request");
	else
		json_do_string("request", action_name(action));
	json_do_bool("refused", kind == FAIL_DAEMON);
	if (kind == FAIL_USAGE)
		json_do_string("usage", usage_synopsis);
	json_do_finish();
}
