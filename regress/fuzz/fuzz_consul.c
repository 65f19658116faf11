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
 * Consul's health answer: whatever arrives, the set that comes out holds
 * only servers that pass the one address check, and consul_scan.c's
 * reading (with json-c behind it) is json-c's alone: the same servers,
 * weights, refusals and error.  The same bytes as a
 * health/state or catalog answer of the shared watch (consul_watch.c):
 * read twice, the second reading changes nothing, or everything when
 * an entry could be anyone's.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ep2d.h"
#include "addr.h"
#include "consul.h"
#include "log.h"
#include "fuzz.h"

typedef int	(*select_fn)(const char *, size_t, struct consul_watched *,
		    size_t, char *, size_t);

static void
watch_twice(const char *buf, size_t len, select_fn fn)
{
	struct consul_watched	 w[3];
	char			 err[256];
	int			 i, n = 0;

	memset(w, 0, sizeof(w));
	w[0].name = "web";
	w[1].name = "redis";
	w[2].name = "web";
	if (fn(buf, len, w, 3, err, sizeof(err)) == -1)
		return;
	if (w[0].digest != w[2].digest)
		abort();
	if (fn(buf, len, w, 3, err, sizeof(err)) == -1)
		abort();
	for (i = 0; i < 3; i++)
		n += w[i].changed;
	if (n != 0 && n != 3)
		abort();
}

/* the scanner's reading against json-c's, with weights and checks */
static void
scan_vs_json(const char *buf, size_t len)
{
	struct consul_health_opts	 o = { 1, WARN_PASSING, 1 };
	struct server_set		 a, b;
	char				 ea[256], eb[256];
	size_t				 i;
	int				 ra, rb, na = 0, nb = 0;

	set_init(&a);
	set_init(&b);
	ea[0] = eb[0] = '\0';
	ra = consul_parse_health_opts(buf, len, 6003, &o, &a, &na, ea,
	    sizeof(ea));
	rb = consul_parse_health_json(buf, len, 6003, &o, &b, &nb, eb,
	    sizeof(eb));
	if (ra != rb || na != nb || strcmp(ea, eb) != 0 ||
	    a.count != b.count || a.overflow != b.overflow)
		abort();
	for (i = 0; i < a.count; i++)
		if (strcmp(a.servers[i].host, b.servers[i].host) != 0 ||
		    a.servers[i].port != b.servers[i].port ||
		    a.servers[i].weight != b.servers[i].weight)
			abort();
	set_free(&a);
	set_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct server_set	 set;
	char			 err[256], *buf;
	size_t			 i;
	int			 bad = 0;

	fuzz_log_init();
	/* the answer as http.c hands it over: NUL terminated */
	if ((buf = fuzz_cstr(data, len)) == NULL)
		return (0);
	set_init(&set);
	if (consul_parse_health(buf, len, 6003, &set, &bad, err,
	    sizeof(err)) == 0) {
		for (i = 0; i < set.count; i++)
			if (!addr_valid_host(set.servers[i].host) ||
			    set.servers[i].port == 0)
				abort();
	}
	set_free(&set);
	scan_vs_json(buf, len);
	watch_twice(buf, len, consul_state_select);
	watch_twice(buf, len, consul_catalog_select);
	free(buf);
	return (0);
}
