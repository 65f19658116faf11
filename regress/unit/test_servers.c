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
 * servers_parse() (filesrc.c): the servers file of the orchestrator
 * "file".  Valid lines apply, hostile ones are refused one by one with
 * a warning naming the line, duplicates collapse.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep2d.h"
#include "tap.h"
#include "logcap.h"

#define NAME	"s.txt"

/* filesrc.c's other half talks to the fetcher; not tested here. */
void
source_good(struct source *s, struct server_set *set)
{
}

void
source_fail(struct source *s, const char *fmt, ...)
{
}

static struct server_set	 set;

static int
parse(const char *buf, size_t len)
{
	set_free(&set);
	cap_start();
	return (servers_parse(buf, len, NAME, 6003, &set));
}

static int
has(const char *host, uint16_t port)
{
	size_t	 i;

	for (i = 0; i < set.count; i++)
		if (strcmp(set.servers[i].host, host) == 0 &&
		    set.servers[i].port == port)
			return (1);
	return (0);
}

static void
test_good(void)
{
	static const char	 good[] =
	    "10.0.0.1\n"
	    "10.0.0.2:8080\n"
	    "[2001:db8::1]:8443\n"
	    "2001:db8::2\n"
	    "web-1.example.com\n"
	    "web-2.example.com:81\n"
	    "\n"
	    "   \n"
	    "# a comment\n"
	    "\t# an indented comment\n"
	    "10.0.0.3 # after white space, a comment\n"
	    "10.0.0.4\r\n"
	    "  10.0.0.5  \n"
	    "[::1]\n"
	    "10.0.0.6";
	int	 bad;

	bad = parse(good, sizeof(good) - 1);
	is_int(bad, 0, "good file: nothing refused");
	is_int(set.count, 11, "good file: 11 servers");
	ok(has("10.0.0.1", 6003), "ADDRESS takes backend_port");
	ok(has("10.0.0.2", 8080), "ADDRESS:PORT");
	ok(has("2001:db8::1", 8443), "[v6]:PORT");
	ok(has("2001:db8::2", 6003), "bare v6 takes backend_port");
	ok(has("web-1.example.com", 6003), "host name");
	ok(has("web-2.example.com", 81), "host name:PORT");
	ok(has("10.0.0.3", 6003), "comment after white space");
	ok(has("10.0.0.4", 6003), "CRLF");
	ok(has("10.0.0.5", 6003), "white space around");
	ok(has("::1", 6003), "[v6] without port");
	ok(has("10.0.0.6", 6003), "last line without newline");
	is_int(cap_lines(), 0, "good file: nothing logged");

	ok(parse("", 0) == 0 && set.count == 0, "empty file: no servers");
	ok(parse("\n\n# only comments\n", 17) == 0 && set.count == 0,
	    "comments only: no servers");
	ok(parse("10.0.0.1:1\n10.0.0.1:65535\n", 26) == 0 &&
	    has("10.0.0.1", 1) && has("10.0.0.1", 65535), "ports 1 and 65535");
}

static void
test_hostile(void)
{
	static const char *bad[] = {
		"10.0.0.5 10.0.0.6",
		"10.0.0.7;shutdown sessions",
		"10.0.0.7:80;quit",
		"\"10.0.0.8\"",
		"'10.0.0.9'",
		"server x 1.2.3.4:80",
		"server x",
		"10.0.0.1:0",
		"10.0.0.1:65536",
		"10.0.0.1:70000",
		"10.0.0.1:",
		"10.0.0.1:-1",
		"10.0.0.1:http",
		"10.0.0.1#x",
		"1.2.3.4:80:90",
		"[10.0.0.1]:80",
		"[::1",
		"[::1]x",
		"[::1]:0",
		"2001:db8::1:80:90:1:2:3:4",
		"a_b.example.com",
		"-web.example.com",
		"web..example.com",
		"999.1.1.1",
		"10.0.0.1\t80",
		"10.0.0.1 80",
		"10.0.0.1/24",
		"http://10.0.0.1/",
		"$(reboot)",
		"`id`",
		"\x1b[31mred",
		"\xc3\xa9t\xc3\xa9.example.com",
	};
	char	 buf[4096], want[64], label[64], longname[400];
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = snprintf(buf, sizeof(buf), "10.0.0.100\n# c\n%s\n"
		    "10.0.0.101:81\n", bad[i]);
		snprintf(want, sizeof(want), "%s:3: ", NAME);
		snprintf(label, sizeof(label), "entry %zu", i);
		ok(parse(buf, n) == 1 && set.count == 2 &&
		    has("10.0.0.100", 6003) && has("10.0.0.101", 81),
		    "hostile %s refused, the others apply", label);
		if (!ok(cap_has(want) && cap_lines() == 1,
		    "hostile %s: one warning naming line 3", label))
			printf("# log: %s", cap_log());
	}

	/* a newline injection is two lines: the second is refused */
	n = snprintf(buf, sizeof(buf),
	    "10.0.0.10\n    server evil 1.2.3.4:80\n");
	ok(parse(buf, n) == 1 && set.count == 1 && has("10.0.0.10", 6003) &&
	    cap_has("s.txt:2: "), "newline injection: only the address");
	ok(strstr(cap_log(), "evil") != NULL,
	    "the refused entry is shown in the warning");

	/* what reaches a log is printable */
	n = snprintf(buf, sizeof(buf), "\x1b[2J\x07" "bell\n");
	ok(parse(buf, n) == 1 && strchr(cap_log(), '\x1b') == NULL &&
	    strchr(cap_log(), '\x07') == NULL,
	    "control bytes never reach the log");

	/* over-long names and lines */
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + 250, ".example.com", 13);
	n = snprintf(buf, sizeof(buf), "10.0.0.1\n%s\n", longname);
	ok(parse(buf, n) == 1 && set.count == 1 && cap_has("s.txt:2: "),
	    "a 262-byte name refused");
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + 64, ".example.com", 13);
	n = snprintf(buf, sizeof(buf), "10.0.0.1\n%s\n", longname);
	ok(parse(buf, n) == 1 && set.count == 1, "a 64-byte label refused");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	n = snprintf(buf, sizeof(buf), "%s\n10.0.0.1\n", longname);
	ok(parse(buf, n) == 1 && set.count == 1 && cap_has("s.txt:1: ") &&
	    strlen(cap_log()) < 400, "a long line refused, shown cut");

	/* NUL bytes: that line refused, the others apply */
	{
		static const char	 nul[] = "10.0.0.1\n10.0.\0" "0.2\n"
		    "10.0.0.3\n";

		ok(parse(nul, sizeof(nul) - 1) == 1 && set.count == 2 &&
		    has("10.0.0.1", 6003) && has("10.0.0.3", 6003) &&
		    cap_has("s.txt:2: "), "a NUL byte in a line: refused");
	}

	/* the length is honoured: no read past it */
	ok(parse("10.0.0.1\n10.0.0.2", 9) == 0 && set.count == 1,
	    "only len bytes are read");
	{
		char	*p;

		if ((p = malloc(8)) == NULL)
			fatal("malloc");
		memcpy(p, "10.0.0.1", 8);	/* no newline, no NUL */
		ok(parse(p, 8) == 0 && set.count == 1 && has("10.0.0.1", 6003),
		    "an unterminated buffer");
		free(p);
	}
}

static void
test_duplicates(void)
{
	static const char	 dup[] =
	    "10.0.0.1\n10.0.0.1\n10.0.0.1:6003\n10.0.0.1:80\n"
	    "Web.Example.com\nweb.example.COM\n"
	    "2001:db8:0:0::1\n[2001:DB8::1]:6003\n2001:db8::1\n";

	ok(parse(dup, sizeof(dup) - 1) == 0, "duplicates are not errors");
	is_int(set.count, 4, "duplicates collapse");
	ok(has("10.0.0.1", 6003) && has("10.0.0.1", 80),
	    "same address, other port: two servers");
	ok(has("web.example.com", 6003), "host names compared in lower case");
	ok(has("2001:db8::1", 6003), "IPv6 in its canonical form");
}

static void
test_limit(void)
{
	char	*buf, *p;
	size_t	 i, cap = (EP2D_MAX_SERVERS + 10) * 20;
	int	 bad;

	if ((buf = malloc(cap)) == NULL)
		fatal("malloc");
	for (p = buf, i = 0; i < EP2D_MAX_SERVERS + 10; i++)
		p += snprintf(p, cap - (p - buf), "10.%zu.%zu.%zu\n",
		    (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
	bad = parse(buf, p - buf);
	is_int(set.count, EP2D_MAX_SERVERS, "at most 100000 servers");
	is_int(bad, 10, "the rest refused");
	ok(cap_has("too many") && cap_lines() == 1,
	    "one warning, not one per line");
	free(buf);
}

int
main(void)
{
	cap_init();
	set_init(&set);
	test_good();
	test_hostile();
	test_duplicates();
	test_limit();
	set_free(&set);
	return (done_testing());
}
