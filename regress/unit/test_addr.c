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

/* The address check: what may and may not reach haproxy. */

#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

static const char *good[] = {
	"10.0.0.1", "127.0.0.1", "::1", "fe80::1", "2001:db8::42",
	"web-1.example.com", "a", "node1", "ip-10-0-0-1.ec2.internal",
	"0.0.0.0",
};

static const char *bad[] = {
	"", " ", "10.0.0.1 ", "10.0.0.1\n    server evil 1.2.3.4:80",
	"1.2.3.4;shutdown sessions", "a b", "a#b", "'a'", "\"a\"",
	"-a", "a-", "a..b", ".a", "999.1.1.1", "1.2.3.4.5", "a_b",
	"exa\tmple", "[::1]", "a/b", "a:b", "\xc3\xa9t\xc3\xa9",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b",
};

int
main(void)
{
	char		 host[EP2D_HOST_MAX], buf[300];
	uint16_t	 port;
	const char	*err;
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(addr_valid_host(good[i]), "valid: %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!addr_valid_host(bad[i]), "refused: entry %zu", i);
	memset(buf, 'a', 260);
	buf[260] = '\0';
	ok(!addr_valid_host(buf), "refused: over 253 characters");

	ok(addr_parse_port("1", &port) == 0 && port == 1, "port 1");
	ok(addr_parse_port("65535", &port) == 0 && port == 65535,
	    "port 65535");
	ok(addr_parse_port("0", &port) == -1, "port 0 refused");
	ok(addr_parse_port("65536", &port) == -1, "port 65536 refused");
	ok(addr_parse_port("70000", &port) == -1, "port 70000 refused");
	ok(addr_parse_port("-1", &port) == -1, "port -1 refused");
	ok(addr_parse_port("80 ", &port) == -1, "port with space refused");
	ok(addr_parse_port("", &port) == -1, "empty port refused");

	ok(addr_parse_hostport("10.0.0.1", 6003, host, sizeof(host), &port,
	    &err) == 0 && strcmp(host, "10.0.0.1") == 0 && port == 6003,
	    "host alone takes the default port");
	ok(addr_parse_hostport("10.0.0.1:8080", 6003, host, sizeof(host),
	    &port, &err) == 0 && port == 8080, "host:port");
	ok(addr_parse_hostport("[::1]:8080", 6003, host, sizeof(host),
	    &port, &err) == 0 && strcmp(host, "::1") == 0 && port == 8080,
	    "[v6]:port");
	ok(addr_parse_hostport("::1", 6003, host, sizeof(host), &port,
	    &err) == 0 && port == 6003, "bare v6 takes the default port");
	ok(addr_parse_hostport("web:0", 6003, host, sizeof(host), &port,
	    &err) == -1 && err != NULL, "port 0 refused with a reason");
	ok(addr_parse_hostport("[10.0.0.1]:80", 6003, host, sizeof(host),
	    &port, &err) == -1, "v4 in brackets refused");
	ok(addr_parse_hostport("1.2.3.4:80;quit", 6003, host, sizeof(host),
	    &port, &err) == -1, "injection after port refused");

	ok(addr_format("::1", 80, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "[::1]:80") == 0, "format v6 in brackets");
	ok(addr_format("10.0.0.1", 80, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "10.0.0.1:80") == 0, "format v4");
	strlcpy(host, "0:0::1", sizeof(host));
	addr_canonical(host, sizeof(host));
	is_str(host, "::1", "canonical: 0:0::1 is ::1");
	strlcpy(host, "2001:DB8:0:0::1", sizeof(host));
	addr_canonical(host, sizeof(host));
	is_str(host, "2001:db8::1", "canonical: 2001:DB8:0:0::1");
	strlcpy(host, "Web.Example", sizeof(host));
	addr_canonical(host, sizeof(host));
	is_str(host, "web.example", "canonical: names in lower case");
	strlcpy(host, "10.0.0.1", sizeof(host));
	addr_canonical(host, sizeof(host));
	is_str(host, "10.0.0.1", "canonical: IPv4 as it is");

	return (done_testing());
}
