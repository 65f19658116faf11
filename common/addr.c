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
 * The one address check.  Every server address from every source (the
 * servers file, Consul, AWS, an imsg from the fetcher) goes through
 * addr_valid_host() before it can reach haproxy.cfg or HAProxy's
 * runtime socket: an IPv4 or IPv6 literal, or an RFC 1123 host name.
 * Nothing else passes, so no space, newline, ';', '#' or quote can ever
 * be written into a server line or a socket command.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int
addr_is_ipv6(const char *s)
{
	struct in6_addr	 a6;

	return (s != NULL && inet_pton(AF_INET6, s, &a6) == 1);
}

int
addr_is_ip(const char *s)
{
	struct in_addr	 a4;

	if (s == NULL)
		return (0);
	return (inet_pton(AF_INET, s, &a4) == 1 || addr_is_ipv6(s));
}

/* RFC 1123 (RFC 952 relaxed): labels of [A-Za-z0-9-], 1-63 long. */
static int
valid_hostname(const char *s)
{
	size_t	 len, label = 0;
	int	 alldigits = 1;
	char	 c, prev = '.';

	len = strlen(s);
	if (len == 0 || len > 253)
		return (0);
	for (; *s != '\0'; s++) {
		c = *s;
		if (c == '.') {
			if (label == 0 || prev == '-')
				return (0);
			label = 0;
		} else if (isascii((unsigned char)c) &&
		    (isalnum((unsigned char)c) || c == '-')) {
			if (c == '-' && label == 0)
				return (0);
			if (!isdigit((unsigned char)c))
				alldigits = 0;
			if (++label > 63)
				return (0);
		} else
			return (0);
		prev = c;
	}
	if (prev == '-')
		return (0);
	/* "1.2.3.999" is a broken address, not a name */
	if (alldigits)
		return (0);
	return (1);
}

int
addr_valid_host(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) >= EP2D_HOST_MAX)
		return (0);
	if (addr_is_ip(s))
		return (1);
	return (valid_hostname(s));
}

/* A port is 1-65535 in decimal, nothing around it. */
int
addr_parse_port(const char *s, uint16_t *port)
{
	unsigned long	 v = 0;
	const char	*p;

	if (s == NULL || *s == '\0' || strlen(s) > 5)
		return (-1);
	for (p = s; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return (-1);
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < 1 || v > 65535)
		return (-1);
	*port = (uint16_t)v;
	return (0);
}

/*
 * Parse "HOST", "HOST:PORT", "[V6]:PORT", "[V6]" or a bare IPv6 literal.
 * A missing port is defport.  On error *errstr says why.
 */
int
addr_parse_hostport(const char *s, uint16_t defport, char *host,
    size_t hostlen, uint16_t *port, const char **errstr)
{
	char		 tmp[EP2D_HOST_MAX + 8];
	const char	*h, *p = NULL;
	char		*c;

	*errstr = NULL;
	if (s == NULL || *s == '\0') {
		*errstr = "empty address";
		return (-1);
	}
	if (strlen(s) >= sizeof(tmp)) {
		*errstr = "address too long";
		return (-1);
	}
	strcpy(tmp, s);
	if (tmp[0] == '[') {
		if ((c = strchr(tmp, ']')) == NULL) {
			*errstr = "missing ']'";
			return (-1);
		}
		*c++ = '\0';
		h = tmp + 1;
		if (*c == ':')
			p = c + 1;
		else if (*c != '\0') {
			*errstr = "junk after ']'";
			return (-1);
		}
		if (!addr_is_ipv6(h)) {
			*errstr = "not an IPv6 address inside []";
			return (-1);
		}
	} else if (addr_is_ipv6(tmp)) {
		h = tmp;
	} else {
		h = tmp;
		if ((c = strchr(tmp, ':')) != NULL) {
			*c = '\0';
			p = c + 1;
		}
	}
	if (!addr_valid_host(h)) {
		*errstr = "not an IP address or host name";
		return (-1);
	}
	if (p != NULL) {
		if (addr_parse_port(p, port) == -1) {
			*errstr = "port not in 1-65535";
			return (-1);
		}
	} else {
		if (defport == 0) {
			*errstr = "no port";
			return (-1);
		}
		*port = defport;
	}
	if (strlen(h) >= hostlen) {
		*errstr = "address too long";
		return (-1);
	}
	strcpy(host, h);
	return (0);
}

/* "ADDR:PORT", with IPv6 in brackets, as haproxy.cfg takes it. */
int
addr_format(const char *host, uint16_t port, char *buf, size_t len)
{
	int	 n;

	if (addr_is_ipv6(host))
		n = snprintf(buf, len, "[%s]:%u", host, port);
	else
		n = snprintf(buf, len, "%s:%u", host, port);
	if (n < 0 || (size_t)n >= len)
		return (-1);
	return (0);
}

/*
 * One spelling per address, so that duplicates collapse: host names in
 * lower case (DNS ignores case), IPv6 in its canonical form
 * ("2001:DB8:0::1" is "2001:db8::1", "0:0::1" is "::1").  Every source
 * goes through it (set_add); the canonical form is never longer than
 * what was parsed.
 */
void
addr_canonical(char *host, size_t len)
{
	struct in6_addr	 a6;
	char		 buf[INET6_ADDRSTRLEN];
	size_t		 i;

	if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (inet_ntop(AF_INET6, &a6, buf, sizeof(buf)) != NULL)
			strlcpy(host, buf, len);
		return;
	}
	for (i = 0; host[i] != '\0'; i++)
		host[i] = tolower((unsigned char)host[i]);
}
