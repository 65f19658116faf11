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
 * consul_watch.c: which watched services one answer of
 * /v1/health/state/any or /v1/catalog/services says to read again.
 * The answers are built here in the shape of Consul's checks (the
 * "Checks" entries of regress/fixtures/consul/health-service.json,
 * with CreateIndex and ModifyIndex as the state store adds them).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consul.h"
#include "log.h"
#include "tap.h"

#define NSVC	4

struct check {
	const char	*node;
	const char	*id;
	const char	*status;
	const char	*svc;		/* "": a node check */
	const char	*tags;		/* JSON array */
	int		 modify;
	const char	*output;
};

static struct consul_watched	 w[NSVC];
static char			 body[16384];

static void
watch_init(void)
{
	static const char	*names[NSVC] = { "web", "api", "db", "api" };
	int			 i;

	memset(w, 0, sizeof(w));
	for (i = 0; i < NSVC; i++)
		w[i].name = names[i];
}

/* A health/state answer of n checks, in the order given. */
static const char *
answer(const struct check *c, size_t n)
{
	size_t	 i, len;

	len = strlcpy(body, "[", sizeof(body));
	for (i = 0; i < n; i++)
		len += snprintf(body + len, sizeof(body) - len,
		    "%s{\"Node\": \"%s\", \"CheckID\": \"%s\", \"Name\": "
		    "\"check\", \"Status\": \"%s\", \"Notes\": \"\", "
		    "\"Output\": \"%s\", \"ServiceID\": \"%s%s\", "
		    "\"ServiceName\": \"%s\", \"ServiceTags\": %s, "
		    "\"Namespace\": \"default\", \"CreateIndex\": 10, "
		    "\"ModifyIndex\": %d}", i > 0 ? ", " : "", c[i].node,
		    c[i].id, c[i].status, c[i].output ? c[i].output : "",
		    c[i].svc, *c[i].svc ? "-1" : "", c[i].svc,
		    c[i].tags ? c[i].tags : "[]", c[i].modify);
	strlcat(body, "]\n", sizeof(body));
	return (body);
}

static int
state(const struct check *c, size_t n)
{
	char	 err[256];

	answer(c, n);
	return (consul_state_select(body, strlen(body), w, NSVC, err,
	    sizeof(err)));
}

/* the changed flags as a string: "1010" */
static const char *
changed(void)
{
	static char	 s[NSVC + 1];
	int		 i;

	for (i = 0; i < NSVC; i++)
		s[i] = w[i].changed ? '1' : '0';
	s[NSVC] = '\0';
	return (s);
}

static const struct check base[] = {
	{ "n1", "serfHealth", "passing", "", NULL, 11, NULL },
	{ "n1", "service:web-1", "passing", "web", "[\"v1\"]", 12, NULL },
	{ "n1", "service:api-1", "passing", "api", NULL, 13, NULL },
	{ "n2", "serfHealth", "passing", "", NULL, 14, NULL },
	{ "n2", "service:web-2", "passing", "web", "[\"v1\"]", 15, NULL },
	{ "n2", "service:other-1", "passing", "other", NULL, 16, NULL },
	{ "n3", "serfHealth", "passing", "", NULL, 17, NULL },
	{ "n3", "service:db-1", "passing", "db", NULL, 18, NULL },
};
#define NBASE	(sizeof(base) / sizeof(base[0]))

static void
test_state(void)
{
	struct check	 c[NBASE + 1];
	uint64_t	 d[NSVC];
	char		 err[256];
	size_t		 i;
	int		 j;

	watch_init();
	ok(state(base, NBASE) == 0 && strcmp(changed(), "1111") == 0,
	    "first answer: every service with checks has a digest");
	ok(w[1].digest == w[3].digest, "two backends on one service: one "
	    "digest");
	for (j = 0; j < NSVC; j++)
		d[j] = w[j].digest;

	ok(state(base, NBASE) == 0 && strcmp(changed(), "0000") == 0,
	    "the same answer: nothing to read");
	for (i = 0; i < NBASE; i++)
		c[i] = base[NBASE - 1 - i];
	ok(state(c, NBASE) == 0 && strcmp(changed(), "0000") == 0,
	    "the same checks in another order: nothing");
	for (j = 0; j < NSVC; j++)
		if (w[j].digest != d[j])
			break;
	ok(j == NSVC, "and the same digests");

	memcpy(c, base, sizeof(base));
	c[7].status = "critical";
	ok(state(c, NBASE) == 0 && strcmp(changed(), "0010") == 0,
	    "db's check critical: db only (%s)", changed());
	ok(state(base, NBASE) == 0 && strcmp(changed(), "0010") == 0,
	    "and passing again: db only");

	memcpy(c, base, sizeof(base));
	c[4].output = "HTTP GET: 200 OK, 12 ms";
	c[4].modify = 99;
	ok(state(c, NBASE) == 0 && strcmp(changed(), "0000") == 0,
	    "a new output, a new ModifyIndex, the same status: nothing");
	state(base, NBASE);

	memcpy(c, base, sizeof(base));
	c[1].tags = "[\"v2\"]";
	ok(state(c, NBASE) == 0 && strcmp(changed(), "1000") == 0,
	    "web's instance tags changed: web (%s)", changed());
	state(base, NBASE);

	memcpy(c, base, sizeof(base));
	c[5].status = "critical";
	ok(state(c, NBASE) == 0 && strcmp(changed(), "0000") == 0,
	    "a service nobody watches: nothing");
	state(base, NBASE);

	memcpy(c, base, sizeof(base));
	c[0].status = "critical";
	ok(state(c, NBASE) == 0 && strcmp(changed(), "1101") == 0,
	    "node n1's serfHealth critical: web and api, on n1, not db "
	    "(%s)", changed());
	state(base, NBASE);

	memcpy(c, base, sizeof(base));
	c[NBASE] = (struct check){ "n3", "service:api-2", "passing", "api",
	    NULL, 20, NULL };
	ok(state(c, NBASE + 1) == 0 && strcmp(changed(), "0101") == 0,
	    "a new instance of api: both api backends (%s)", changed());
	ok(state(base, NBASE) == 0 && strcmp(changed(), "0101") == 0,
	    "and gone again: api");

	memcpy(c, base, sizeof(base));
	memmove(&c[4], &c[5], (NBASE - 5) * sizeof(c[0]));
	ok(state(c, NBASE - 1) == 0 && strcmp(changed(), "1000") == 0,
	    "web-2's check deregistered: web (%s)", changed());
	state(base, NBASE);

	ok(state(c, 0) == 0 && strcmp(changed(), "1111") == 0 &&
	    w[0].digest == 0, "no check at all: every service changed");
	state(base, NBASE);

	/* an entry whose service cannot be told: anyone's */
	for (j = 0; j < NSVC; j++)
		d[j] = w[j].digest;
	answer(base, NBASE);
	body[strlen(body) - 2] = '\0';
	strlcat(body, ", {\"Node\": \"n9\", \"CheckID\": \"x\", "
	    "\"ServiceName\": 7}]", sizeof(body));
	ok(consul_state_select(body, strlen(body), w, NSVC, err,
	    sizeof(err)) == 0 && strcmp(changed(), "1111") == 0,
	    "a check with a ServiceName that is not a string: all of them");
	strlcpy(body, "[1, \"x\"]", sizeof(body));
	ok(consul_state_select(body, strlen(body), w, NSVC, err,
	    sizeof(err)) == 0 && strcmp(changed(), "1111") == 0,
	    "entries that are not objects: all of them");
	state(base, NBASE);

	/* refused whole: the digests stay */
	for (j = 0; j < NSVC; j++)
		d[j] = w[j].digest;
	strlcpy(body, "{\"Checks\": []}", sizeof(body));
	ok(consul_state_select(body, strlen(body), w, NSVC, err,
	    sizeof(err)) == -1 && strcmp(err, "not a JSON array") == 0,
	    "an object: refused (%s)", err);
	strlcpy(body, "[{\"Node\": \"n1\"", sizeof(body));
	ok(consul_state_select(body, strlen(body), w, NSVC, err,
	    sizeof(err)) == -1 && strstr(err, "not JSON") != NULL,
	    "truncated: refused (%s)", err);
	strlcpy(body, "[] <html>", sizeof(body));
	ok(consul_state_select(body, strlen(body), w, NSVC, err,
	    sizeof(err)) == -1 && strncmp(err, "not JSON: ", 10) == 0,
	    "text after the array: refused (%s)", err);
	strlcpy(body, "[]\n\n ", sizeof(body));
	ok(consul_state_select(body, strlen(body), w, NSVC, err,
	    sizeof(err)) == 0, "blank space after it: taken");
	state(base, NBASE);
	for (j = 0; j < NSVC; j++)
		if (w[j].digest != d[j])
			break;
	ok(j == NSVC, "a refused answer leaves the digests as they were");
	ok(state(base, NBASE) == 0 && strcmp(changed(), "0000") == 0,
	    "and the next good one compares with them");
}

static int
catalog(const char *s)
{
	char	 err[256];

	strlcpy(body, s, sizeof(body));
	return (consul_catalog_select(body, strlen(body), w, NSVC, err,
	    sizeof(err)));
}

static void
test_catalog(void)
{
	char	 err[256];

	watch_init();
	ok(catalog("{\"consul\": [], \"web\": [\"v1\"], \"api\": []}") == 0 &&
	    strcmp(changed(), "1101") == 0 && w[2].digest == 0,
	    "first answer: the services listed (db is not)");
	ok(catalog("{\"api\": [], \"web\": [\"v1\"], \"consul\": []}") == 0 &&
	    strcmp(changed(), "0000") == 0, "the same, in another order: "
	    "nothing");
	ok(catalog("{\"consul\": [], \"web\": [\"v1\", \"v2\"], \"api\": []}")
	    == 0 && strcmp(changed(), "1000") == 0, "a tag more on web: web");
	ok(catalog("{\"consul\": [], \"web\": [\"v1\", \"v2\"], \"api\": [], "
	    "\"db\": []}") == 0 && strcmp(changed(), "0010") == 0,
	    "db registered: db");
	ok(catalog("{\"consul\": [], \"web\": [\"v1\", \"v2\"], \"db\": [], "
	    "\"cache\": []}") == 0 && strcmp(changed(), "0101") == 0,
	    "api gone, a service nobody watches new: api (%s)", changed());
	ok(catalog("{\"consul\": [], \"web\": [\"v1\", \"v2\"], \"db\": [], "
	    "\"api\": []}") == 0 && strcmp(changed(), "0101") == 0 &&
	    w[1].digest != 0, "api back with no tags: not the digest of "
	    "absent");
	strlcpy(body, "[\"web\"]", sizeof(body));
	ok(consul_catalog_select(body, strlen(body), w, NSVC, err,
	    sizeof(err)) == -1 && strcmp(err, "not a JSON object") == 0,
	    "an array: refused");
}

int
main(void)
{
	test_state();
	test_catalog();
	return (done_testing());
}
