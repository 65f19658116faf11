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
 * JSON output of ep2ctl -j: one object per command, {"status": {...}},
 * {"slots": [...]}, {"backends": [...]}.  Times are epoch seconds, null
 * for never; the keys are stable, scripts rely on them.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ep2d.h"
#include "json.h"
#include "output.h"

static void	 json_status(FILE *, const struct ctl_status *, size_t,
		    time_t);
static void	 json_status_row(const struct ctl_status *);
static void	 json_slots(FILE *, const struct ctl_slot *, size_t, time_t);
static void	 json_backends(FILE *, const struct ctl_backend *, size_t,
		    time_t);
static void	 json_text(const char *, const char *, size_t);

const struct output json_output = {
	json_status,
	json_slots,
	json_backends
};

/* A fixed-size field of a row, NUL-terminated here whatever it holds. */
static void
json_text(const char *name, const char *field, size_t size)
{
	char	 buf[EP2D_HAPROXY_MSG_MAX];

	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, field, size);
	buf[size - 1] = '\0';
	json_do_string(name, buf);
}

#define JSON_TEXT(name, field)	json_text((name), (field), sizeof(field))

/*
 * {"status": {...}} for the one backend of an EP2 file; with several
 * backends, {"status": [{...}, ...]}, one object per backend.
 */
static void
json_status(FILE *fp, const struct ctl_status *st, size_t n, time_t now)
{
	size_t	 i;

	json_do_start(fp);
	if (n == 1) {
		json_do_object("status");
		json_status_row(st);
		json_do_end();
	} else {
		json_do_array("status");
		for (i = 0; i < n; i++) {
			json_do_object(NULL);
			json_status_row(&st[i]);
			json_do_end();
		}
		json_do_end();
	}
	json_do_finish();
}

static void
json_status_row(const struct ctl_status *st)
{
	JSON_TEXT("backend", st->backend);
	JSON_TEXT("orchestrator", st->orchestrator);
	JSON_TEXT("update_type", st->update_type);
	json_do_time("started", st->started);
	json_do_bool("source_ok", st->source_ok);
	json_do_time("last_fetch", st->last_fetch);
	json_do_time("last_ok", st->last_ok);
	json_do_time("failing_since", st->failing_since);
	JSON_TEXT("source_error", st->source_error);
	json_do_uint("servers", st->nservers);
	json_do_uint("slots", st->nslots);
	json_do_time("last_apply", st->last_apply);
	json_do_bool("apply_ok", st->apply_ok);
	JSON_TEXT("apply_how", st->apply_how);
	JSON_TEXT("apply_error", st->apply_error);
	json_do_uint("changes_applied", st->napplied);
	if (st->haproxy_pid > 0)
		json_do_int("haproxy_pid", st->haproxy_pid);
	else
		json_do_null("haproxy_pid");
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
	json_do_end();
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
	json_do_end();
	json_do_finish();
}
