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
 * ep2ctl without a daemon: the token-table parser (abbreviations,
 * ambiguity, wrong and missing words), the age and address formats,
 * and every entry of both outputs (status, slots, backends, metrics,
 * reload, sync, log, failure), text and JSON, fed hostile strings; the
 * JSON is checked by python3's json module.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ep2d.h"
#include "../../ep2ctl/json.h"
#include "../../ep2ctl/output.h"
#include "../../ep2ctl/parser.h"
#include "tap.h"

#define NOW	1795770000

struct pcase {
	const char	*line;
	int		 ok;
	enum actions	 action;
	const char	*err;		/* a substring of the message */
};

static const struct pcase pcases[] = {
	{ "show status", 1, SHOW_STATUS, NULL },
	{ "show slots", 1, SHOW_SLOTS, NULL },
	{ "show backends", 1, SHOW_BACKENDS, NULL },
	{ "show metrics", 1, SHOW_METRICS, NULL },
	{ "sh m", 1, SHOW_METRICS, NULL },
	{ "reload", 1, RELOAD, NULL },
	{ "sync", 1, SYNC, NULL },
	{ "log verbose", 1, LOG_VERBOSE, NULL },
	{ "log brief", 1, LOG_BRIEF, NULL },
	{ "sh st", 1, SHOW_STATUS, NULL },
	{ "sh sl", 1, SHOW_SLOTS, NULL },
	{ "sho b", 1, SHOW_BACKENDS, NULL },
	{ "rel", 1, RELOAD, NULL },
	{ "sy", 1, SYNC, NULL },
	{ "l v", 1, LOG_VERBOSE, NULL },
	{ "lo br", 1, LOG_BRIEF, NULL },
	{ "s", 0, NONE, "ambiguous argument \"s\": show, sync" },
	{ "show s", 0, NONE, "ambiguous argument \"s\": status, slots" },
	{ "show", 0, NONE,
	    "missing argument after \"show\"; expected one of "
	    "status, slots, backends, metrics" },
	{ "log", 0, NONE, "expected one of verbose, brief" },
	{ "", 0, NONE,
	    "missing command; expected one of show, reload, sync, log" },
	{ "shw status", 0, NONE,
	    "unknown argument \"shw\"; expected one of show, "
	    "reload, sync, log" },
	{ "show stats", 0, NONE, "unknown argument \"stats\"" },
	{ "show statusx", 0, NONE, "unknown argument \"statusx\"" },
	{ "reload now", 0, NONE,
	    "unexpected argument \"now\" after \"reload\"" },
	{ "show status slots", 0, NONE, "unexpected argument \"slots\"" },
	{ "log loud", 0, NONE, "unknown argument \"loud\"" },
	{ "status", 0, NONE, "unknown argument \"status\"" },
};

static void
test_parser(void)
{
	struct parse_result	 res;
	char			 buf[256], err[512], *argv[8], *w;
	size_t			 i;
	int			 argc, r;

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		strlcpy(buf, pcases[i].line, sizeof(buf));
		argc = 0;
		for (w = strtok(buf, " "); w != NULL && argc < 8;
		    w = strtok(NULL, " "))
			argv[argc++] = w;
		r = parse(argc, argv, &res, err, sizeof(err));
		if (pcases[i].ok) {
			ok(r == 0 && res.action == pcases[i].action,
			    "parse \"%s\" -> %s", pcases[i].line,
			    action_name(pcases[i].action));
		} else {
			ok(r == -1 && strstr(err, pcases[i].err) != NULL,
			    "parse \"%s\" refused: %s", pcases[i].line, err);
		}
	}
	/* an empty word is no abbreviation of anything */
	argv[0] = "";
	ok(parse(1, argv, &res, err, sizeof(err)) == -1,
	    "parse \"\" (an empty word) refused");
	/* a small error buffer is truncated, not overrun */
	argv[0] = "nonsense";
	memset(err, 'X', sizeof(err));
	r = parse(1, argv, &res, err, 8);
	ok(r == -1 && strlen(err) == 7 && err[8] == 'X',
	    "error message truncated to its buffer");
}

static void
test_formats(void)
{
	char	 buf[64], big[300];

	is_str(fmt_age(0, NOW, buf, sizeof(buf)), "never", "age: never");
	is_str(fmt_age(NOW - 3, NOW, buf, sizeof(buf)), "3s ago", "age: 3s");
	is_str(fmt_age(NOW - 65, NOW, buf, sizeof(buf)), "1m05s ago",
	    "age: minutes");
	is_str(fmt_age(NOW - 3700, NOW, buf, sizeof(buf)), "1h01m ago",
	    "age: hours");
	is_str(fmt_age(NOW - 90000, NOW, buf, sizeof(buf)), "1d01h ago",
	    "age: days");
	is_str(fmt_age(NOW + 10, NOW, buf, sizeof(buf)), "0s ago",
	    "age: a time in the future (clock step) is now");
	is_str(fmt_server("10.0.0.1", 80, buf, sizeof(buf)), "10.0.0.1:80",
	    "server: IPv4");
	is_str(fmt_server("2001:db8::1", 8080, buf, sizeof(buf)),
	    "[2001:db8::1]:8080", "server: IPv6 in brackets");
	is_str(fmt_server("", 0, buf, sizeof(buf)), "-",
	    "server: a free slot is -");
	is_str(fmt_clean("a\nb\tc\033[2Jd\xc3\xa9", big, sizeof(big)),
	    "a?b?c?[2Jd??", "clean: control and non-ASCII bytes replaced");
	is_str(fmt_clean("abcdef", buf, 4), "abc", "clean: bounded");
}

/*
 * What an output entry prints, caught in a string: cap_open, call the
 * entry on the FILE, cap_close returns the text (caller frees).
 */
struct cap {
	char	*p;
	size_t	 len;
	FILE	*fp;
};

static FILE *
cap_open(struct cap *c)
{
	c->p = NULL;
	c->len = 0;
	if ((c->fp = open_memstream(&c->p, &c->len)) == NULL) {
		perror("open_memstream");
		exit(1);
	}
	return (c->fp);
}

static char *
cap_close(struct cap *c)
{
	fclose(c->fp);
	return (c->p);
}

static char *
capture_status(const struct output *out, const struct ctl_status *st,
    size_t n)
{
	struct cap	 c;

	out->status(cap_open(&c), st, n, NOW);
	return (cap_close(&c));
}

static char *
capture_slots(const struct output *out, const struct ctl_slot *s,
    size_t n)
{
	struct cap	 c;

	out->slots(cap_open(&c), s, n, NOW);
	return (cap_close(&c));
}

static char *
capture_backends(const struct output *out, const struct ctl_backend *b,
    size_t n)
{
	struct cap	 c;

	out->backends(cap_open(&c), b, n, NOW);
	return (cap_close(&c));
}

/*
 * Hand a document to python3: it must parse as strict UTF-8 JSON and
 * pass the check, a Python expression over d.
 */
static int
json_check(const char *doc, const char *check)
{
	char	 cmd[4096];
	FILE	*fp;
	int	 status;

	snprintf(cmd, sizeof(cmd), "python3 -c 'import json, sys; "
	    "d = json.loads(sys.stdin.buffer.read().decode(\"utf-8\")); "
	    "sys.exit(0 if (%s) else 3)'", check);
	if ((fp = popen(cmd, "w")) == NULL)
		return (0);
	fputs(doc, fp);
	status = pclose(fp);
	return (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
fill_status(struct ctl_status *st, int failing)
{
	memset(st, 0, sizeof(*st));
	strlcpy(st->backend, "haproxynode", sizeof(st->backend));
	strlcpy(st->orchestrator, "file", sizeof(st->orchestrator));
	strlcpy(st->update_type, "update_by_config",
	    sizeof(st->update_type));
	st->started = NOW - 3700;
	strlcpy(st->version, "0.3.0", sizeof(st->version));
	st->source_ok = !failing;
	st->last_fetch = NOW - 3;
	st->last_ok = failing ? NOW - 65 : NOW - 3;
	st->failing_since = failing ? NOW - 60 : 0;
	if (failing)
		strlcpy(st->source_error, "open \"x\\y\":\n\tNo such file "
		    "\x01\x7f\xff\xc3\xa9", sizeof(st->source_error));
	st->nservers = 3;
	st->nslots = 4;
	st->last_apply = NOW - 2;
	st->apply_ok = !failing;
	strlcpy(st->apply_how, "reload", sizeof(st->apply_how));
	if (failing)
		strlcpy(st->apply_error, "[ALERT] haproxy -c: \"bad\"",
		    sizeof(st->apply_error));
	st->haproxy_pid = failing ? 0 : 4242;
	st->napplied = 7;
}

static void	 test_status_multi(void);

/* The keys of a status object, in order: one set for one or several. */
#define STATUS_KEYS							\
	"list(d[\"status\"][0]) == [\"backend\", \"orchestrator\", "	\
	"\"update_type\", \"started\", \"version\", \"source_ok\", "	\
	"\"last_fetch\", "							\
	"\"last_ok\", \"failing_since\", \"source_error\", \"servers\", "	\
	"\"slots\", \"last_apply\", \"apply_ok\", \"apply_how\", "		\
	"\"apply_error\", \"changes_applied\", \"haproxy_pid\"]"

static void
test_status(void)
{
	struct ctl_status	 st;
	char			*s;

	fill_status(&st, 0);
	s = capture_status(&show_output, &st, 1);
	ok(s != NULL && strstr(s, "backend          haproxynode\n") != NULL &&
	    strstr(s, "orchestrator     file\n") != NULL &&
	    strstr(s, "source           ok\n") != NULL &&
	    strstr(s, "last fetch       3s ago\n") != NULL &&
	    strstr(s, "started          1h01m ago\n") != NULL &&
	    strstr(s, "servers          3\n") != NULL &&
	    strstr(s, "slots            4\n") != NULL &&
	    strstr(s, "last apply       2s ago, ok by reload\n") != NULL &&
	    strstr(s, "haproxy pid      4242\n") != NULL &&
	    strstr(s, "source error") == NULL,
	    "status text: fields and ages");
	free(s);

	fill_status(&st, 1);
	s = capture_status(&show_output, &st, 1);
	ok(s != NULL && strstr(s, "source           failing since 1m00s "
	    "ago\n") != NULL &&
	    strstr(s, "source error     open \"x\\y\":??No such file "
	    "?????\n") != NULL &&
	    strstr(s, "last apply       2s ago, failed by reload\n") !=
	    NULL &&
	    strstr(s, "haproxy pid      not running\n") != NULL,
	    "status text: failures shown, control bytes replaced");
	free(s);

	memset(&st, 0, sizeof(st));
	s = capture_status(&show_output, &st, 1);
	ok(s != NULL && strstr(s, "source           no fetch yet\n") != NULL &&
	    strstr(s, "last apply       never\n") != NULL,
	    "status text: nothing happened yet");
	free(s);
	s = capture_status(&json_output, &st, 1);
	ok(s != NULL && json_check(s, "all(d[\"status\"][0][k] is None for k "
	    "in (\"started\", \"last_fetch\", \"last_ok\", \"failing_since\", "
	    "\"source_error\", \"last_apply\", \"apply_how\", "
	    "\"apply_error\", \"haproxy_pid\"))"),
	    "status JSON: nothing happened yet, every time and text null");
	free(s);

	fill_status(&st, 0);
	s = capture_status(&json_output, &st, 1);
	ok(s != NULL && json_check(s, "d[\"status\"][0][\"orchestrator\"] == "
	    "\"file\" and d[\"status\"][0][\"last_fetch\"] == 1795769997 and "
	    "d[\"status\"][0][\"source_ok\"] is True and "
	    "d[\"status\"][0][\"failing_since\"] is None and "
	    "d[\"status\"][0][\"haproxy_pid\"] == 4242 and "
	    "d[\"status\"][0][\"servers\"] == 3 and "
	    "d[\"status\"][0][\"apply_how\"] == \"reload\""),
	    "status JSON: valid, epoch times, null for never");
	free(s);
	s = capture_status(&json_output, &st, 1);
	ok(s != NULL && json_check(s, "type(d[\"status\"]) is list and "
	    "len(d[\"status\"]) == 1 and list(d) == [\"status\"] and "
	    STATUS_KEYS), "status JSON, one backend: an array of one object, "
	    "every key");
	free(s);
	s = capture_status(&json_output, &st, 1);
	ok(s != NULL && json_check(s, "d[\"status\"][0][\"source_error\"] "
	    "is None and d[\"status\"][0][\"apply_error\"] is None"),
	    "status JSON: no error is null, not \"\"");
	free(s);

	fill_status(&st, 1);
	s = capture_status(&json_output, &st, 1);
	ok(s != NULL && json_check(s, "d[\"status\"][0][\"source_error\"] == "
	    "\"open \\\"x\\\\y\\\":\\n\\tNo such file \\x01\\x7f\\ufffd"
	    "\\u00e9\" and d[\"status\"][0][\"haproxy_pid\"] is None and "
	    "d[\"status\"][0][\"source_ok\"] is False and "
	    "d[\"status\"][0][\"apply_error\"] == "
	    "\"[ALERT] haproxy -c: \\\"bad\\\"\""),
	    "status JSON: escapes, invalid UTF-8 replaced, UTF-8 kept");
	free(s);

	/* fields not terminated by the sender: cut by output_fix_status */
	memset(&st, 'A', sizeof(st));
	output_fix_status(&st);
	s = capture_status(&json_output, &st, 1);
	ok(s != NULL && json_check(s, "len(d[\"status\"][0][\"backend\"]) == "
	    "127"), "status JSON: unterminated fields are cut");
	free(s);
	s = capture_status(&show_output, &st, 1);
	ok(s != NULL, "status text: unterminated fields print");
	free(s);
	test_status_multi();
}

/* Several backends: one block, one object per backend. */
static void
test_status_multi(void)
{
	struct ctl_status	 st[2];
	char			*p;

	fill_status(&st[0], 0);
	fill_status(&st[1], 1);
	strlcpy(st[1].backend, "be_api", sizeof(st[1].backend));
	p = capture_status(&show_output, st, 2);
	ok(p != NULL && strstr(p, "backend          haproxynode\n") != NULL &&
	    strstr(p, "\n\nbackend          be_api\n") != NULL,
	    "status text, two backends: two blocks, a blank line between");
	free(p);
	p = capture_status(&json_output, st, 2);
	ok(p != NULL && json_check(p, "[r[\"backend\"] for r in d[\"status\"]]"
	    " == [\"haproxynode\", \"be_api\"] and "
	    "d[\"status\"][1][\"source_ok\"] is False and "
	    "list(d) == [\"status\"] and " STATUS_KEYS " and "
	    "list(d[\"status\"][1]) == list(d[\"status\"][0])"),
	    "status JSON, two backends: the same array, the same keys");
	free(p);
	p = capture_status(&json_output, st, 0);
	ok(p != NULL && json_check(p, "d == {\"status\": []}"),
	    "status JSON, no row: an empty array");
	free(p);
}

static void
test_slots(void)
{
	struct ctl_slot	 sl[3];
	char		*s;

	memset(sl, 0, sizeof(sl));
	strlcpy(sl[0].backend, "be", sizeof(sl[0].backend));
	strlcpy(sl[0].name, "node1", sizeof(sl[0].name));
	strlcpy(sl[0].host, "10.0.0.1", sizeof(sl[0].host));
	sl[0].port = 80;
	strlcpy(sl[0].state, "ready", sizeof(sl[0].state));
	sl[0].sessions = 12;
	strlcpy(sl[1].backend, "be", sizeof(sl[1].backend));
	strlcpy(sl[1].name, "node2", sizeof(sl[1].name));
	strlcpy(sl[1].host, "2001:db8::1", sizeof(sl[1].host));
	sl[1].port = 8080;
	strlcpy(sl[1].state, "drain", sizeof(sl[1].state));
	sl[1].sessions = 3;
	strlcpy(sl[2].backend, "be", sizeof(sl[2].backend));
	strlcpy(sl[2].name, "node3", sizeof(sl[2].name));
	strlcpy(sl[2].state, "free", sizeof(sl[2].state));

	s = capture_slots(&show_output, sl, 3);
	is_str(s,
	    "BACKEND  SLOT   SERVER              STATE  SESSIONS\n"
	    "be       node1  10.0.0.1:80         ready        12\n"
	    "be       node2  [2001:db8::1]:8080  drain         3\n"
	    "be       node3  -                   free          0\n",
	    "slots text: aligned table, IPv6 in brackets, free slot");
	free(s);

	s = capture_slots(&show_output, sl, 0);
	is_str(s, "BACKEND  SLOT  SERVER  STATE  SESSIONS\n",
	    "slots text: no slots, header only");
	free(s);

	s = capture_slots(&json_output, sl, 3);
	ok(s != NULL && json_check(s, "len(d[\"slots\"]) == 3 and "
	    "d[\"slots\"][1][\"server\"] == \"[2001:db8::1]:8080\" and "
	    "d[\"slots\"][1][\"address\"] == \"2001:db8::1\" and "
	    "d[\"slots\"][1][\"port\"] == 8080 and "
	    "d[\"slots\"][2][\"address\"] is None and "
	    "d[\"slots\"][0][\"sessions\"] == 12"),
	    "slots JSON: valid, fields");
	free(s);

	s = capture_slots(&json_output, sl, 0);
	ok(s != NULL && json_check(s, "d == {\"slots\": []}"),
	    "slots JSON: empty list");
	free(s);
}

static void
test_backends(void)
{
	struct ctl_backend	 b[2];
	char			*s;

	memset(b, 0, sizeof(b));
	strlcpy(b[0].backend, "haproxynode", sizeof(b[0].backend));
	strlcpy(b[0].orchestrator, "consul", sizeof(b[0].orchestrator));
	strlcpy(b[0].update_type, "update_by_runtime",
	    sizeof(b[0].update_type));
	b[0].wanted = 12;
	b[0].live = 10;
	b[0].last_change = NOW - 5;
	b[0].source_ok = 1;
	strlcpy(b[1].backend, "web\"2", sizeof(b[1].backend));
	strlcpy(b[1].orchestrator, "aws", sizeof(b[1].orchestrator));
	strlcpy(b[1].update_type, "update_by_config",
	    sizeof(b[1].update_type));
	b[1].wanted = 100;
	b[1].live = 0;

	s = capture_backends(&show_output, b, 2);
	is_str(s,
	    "BACKEND      ORCHESTRATOR  UPDATE             WANTED  LIVE  "
	    "SOURCE   LAST CHANGE\n"
	    "haproxynode  consul        update_by_runtime      12    10  "
	    "ok       5s ago\n"
	    "web\"2        aws           update_by_config      100     0  "
	    "failing  never\n",
	    "backends text: aligned table");
	free(s);

	s = capture_backends(&json_output, b, 2);
	ok(s != NULL && json_check(s, "d[\"backends\"][1][\"backend\"] == "
	    "\"web\\\"2\" and d[\"backends\"][1][\"last_change\"] is None and "
	    "d[\"backends\"][0][\"last_change\"] == 1795769995 and "
	    "d[\"backends\"][0][\"wanted\"] == 12"),
	    "backends JSON: valid, fields");
	free(s);
}

/* show metrics: the text as it came; one string in JSON. */
static void
test_metrics(void)
{
	const char	*m = "# HELP ep2d_slots Server slots.\n"
	    "# TYPE ep2d_slots gauge\n"
	    "ep2d_slots{backend=\"haproxynode\"} 4\n"
	    "ep2d_apply_latency_seconds_bucket{backend=\"a\\\"b\",le=\"+Inf\"}"
	    " 3\n";
	struct cap	 c;
	char		*s;

	show_output.metrics(cap_open(&c), m, strlen(m));
	s = cap_close(&c);
	is_str(s, m, "metrics text: the exposition format unchanged");
	free(s);
	show_output.metrics(cap_open(&c), NULL, 0);
	s = cap_close(&c);
	is_str(s, "", "metrics text: none, nothing printed");
	free(s);

	json_output.metrics(cap_open(&c), m, strlen(m));
	s = cap_close(&c);
	ok(s != NULL && json_check(s, "list(d) == [\"metrics\"] and "
	    "d[\"metrics\"].splitlines()[2] == "
	    "\"ep2d_slots{backend=\\\"haproxynode\\\"} 4\" and "
	    "d[\"metrics\"].endswith(\"le=\\\"+Inf\\\"} 3\\n\") and "
	    "d[\"metrics\"].count(\"\\n\") == 4"),
	    "metrics JSON: {\"metrics\": text}, quotes and newlines kept");
	free(s);
	json_output.metrics(cap_open(&c), NULL, 0);
	s = cap_close(&c);
	ok(s != NULL && json_check(s, "d == {\"metrics\": \"\"}"),
	    "metrics JSON: none is an empty string");
	free(s);
}

/* reload, sync, log verbose / brief: one line, or one small object. */
static const struct acase {
	enum actions	 action;
	const char	*text;
	const char	*json;		/* a check over d */
} acases[] = {
	{ RELOAD, "reload started\n", "d == {\"reload\": \"started\"}" },
	{ SYNC, "fetch requested\n", "d == {\"sync\": \"requested\"}" },
	{ LOG_VERBOSE, "logging verbose\n", "d == {\"log\": \"verbose\"}" },
	{ LOG_BRIEF, "logging brief\n", "d == {\"log\": \"brief\"}" }
};

static char *
capture_action(const struct output *o, enum actions action)
{
	struct cap	 c;
	FILE		*fp;

	fp = cap_open(&c);
	if (action == RELOAD)
		o->reload(fp);
	else if (action == SYNC)
		o->sync(fp);
	else
		o->log(fp, action == LOG_VERBOSE);
	return (cap_close(&c));
}

static void
test_actions(void)
{
	const struct acase	*a;
	char			*s;
	size_t			 i;

	for (i = 0; i < sizeof(acases) / sizeof(acases[0]); i++) {
		a = &acases[i];
		s = capture_action(&show_output, a->action);
		is_str(s, a->text, "%s text", action_name(a->action));
		free(s);
		s = capture_action(&json_output, a->action);
		ok(s != NULL && json_check(s, a->json), "%s JSON: %s",
		    action_name(a->action), a->json);
		free(s);
	}
}

/*
 * The failure entry: refused by ep2d (with its reason, none, or a
 * hostile one), no answer, a wrong command line; text and JSON.
 */
#define USAGE_TEXT							\
	"usage: ep2ctl [-jV] [-s socket] command [argument ...]\n"	\
	"commands: show status | show slots | show backends | "		\
	"show metrics | reload |\n"					\
	"          sync | log verbose | log brief\n"

static const struct fcase {
	enum actions	 action;
	enum failure	 kind;
	const char	*why;
	const char	*text;
	const char	*json;		/* a check over d */
} fcases[] = {
	{ RELOAD, FAIL_DAEMON, "no server set from the orchestrator yet",
	    "ep2ctl: reload failed: no server set from the orchestrator "
	    "yet\n",
	    "d == {\"error\": \"no server set from the orchestrator yet\", "
	    "\"request\": \"reload\", \"refused\": True}" },
	{ SYNC, FAIL_DAEMON, "",
	    "ep2ctl: sync failed: no reason given\n",
	    "d == {\"error\": \"no reason given\", \"request\": \"sync\", "
	    "\"refused\": True}" },
	{ LOG_BRIEF, FAIL_DAEMON, "a \"b\"\\\033[2J\n\x01\xff",
	    "ep2ctl: log brief failed: a \"b\"\\?[2J???\n",
	    "d[\"error\"] == \"a \\\"b\\\"\\\\\\x1b[2J\\n\\x01\\ufffd\" and "
	    "d[\"request\"] == \"log brief\"" },
	{ SHOW_SLOTS, FAIL_CLIENT,
	    "cannot connect to /run/ep2d.sock: No such file or directory",
	    "ep2ctl: cannot connect to /run/ep2d.sock: No such file or "
	    "directory\n",
	    "d == {\"error\": \"cannot connect to /run/ep2d.sock: No such "
	    "file or directory\", \"request\": \"show slots\", "
	    "\"refused\": False}" },
	{ SHOW_METRICS, FAIL_CLIENT, "ep2d closed the connection",
	    "ep2ctl: ep2d closed the connection\n",
	    "d == {\"error\": \"ep2d closed the connection\", "
	    "\"request\": \"show metrics\", \"refused\": False}" },
	{ NONE, FAIL_USAGE, "unknown option -x",
	    "ep2ctl: unknown option -x\n" USAGE_TEXT,
	    "d == {\"error\": \"unknown option -x\", \"request\": None, "
	    "\"refused\": False, \"usage\": \"ep2ctl [-jV] [-s socket] "
	    "command [argument ...]\"}" },
	{ NONE, FAIL_USAGE, "ambiguous argument \"s\": show, sync",
	    "ep2ctl: ambiguous argument \"s\": show, sync\n" USAGE_TEXT,
	    "d[\"error\"] == \"ambiguous argument \\\"s\\\": show, sync\" and "
	    "d[\"request\"] is None and \"usage\" in d" }
};

static char *
capture_failure(const struct output *o, const struct fcase *f)
{
	struct cap	 c;

	o->failure(cap_open(&c), f->action, f->kind, f->why);
	return (cap_close(&c));
}

static void
test_failure(void)
{
	const struct fcase	*f;
	char			*s;
	size_t			 i;

	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
		f = &fcases[i];
		s = capture_failure(&show_output, f);
		is_str(s, f->text, "failure %zu (%s) text", i,
		    action_name(f->action));
		free(s);
		s = capture_failure(&json_output, f);
		ok(s != NULL && json_check(s, f->json),
		    "failure %zu (%s) JSON: %s", i, action_name(f->action),
		    f->json);
		free(s);
	}
	ok(show_output.failure_to_stdout == 0 &&
	    json_output.failure_to_stdout == 1,
	    "failures: text to stderr, JSON to stdout with the answer");
}

static void
test_json_writer(void)
{
	char	*p = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&p, &len)) == NULL) {
		ok(0, "open_memstream");
		return;
	}
	json_do_start(fp);
	json_do_array("a");
	json_do_object(NULL);
	json_do_array("deep");
	/* left open: finish closes everything */
	json_do_finish();
	fclose(fp);
	ok(json_check(p, "d == {\"a\": [{\"deep\": []}]}"),
	    "JSON writer: finish closes open levels");
	free(p);

	p = NULL;
	if ((fp = open_memstream(&p, &len)) == NULL) {
		ok(0, "open_memstream");
		return;
	}
	json_do_start(fp);
	json_do_string("truncated utf-8", "\xe2\x82");
	json_do_string("overlong", "\xc0\xaf");
	json_do_string("surrogate", "\xed\xa0\x80");
	json_do_string("4 bytes", "\xf0\x9f\x98\x80");
	json_do_int("neg", -5);
	json_do_null("n");
	json_do_finish();
	fclose(fp);
	ok(json_check(p, "d[\"truncated utf-8\"] == \"\\ufffd\\ufffd\" and "
	    "d[\"overlong\"] == \"\\ufffd\\ufffd\" and "
	    "d[\"surrogate\"] == \"\\ufffd\\ufffd\\ufffd\" and "
	    "d[\"4 bytes\"] == \"\\U0001f600\" and d[\"neg\"] == -5 and "
	    "d[\"n\"] is None"),
	    "JSON writer: malformed UTF-8 never passes through");
	free(p);
}

int
main(void)
{
	test_parser();
	test_formats();
	test_status();
	test_slots();
	test_backends();
	test_metrics();
	test_actions();
	test_failure();
	test_json_writer();
	return (done_testing());
}
