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

#ifndef EP2_ADDR_H
#define EP2_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define EP2D_HOST_MAX	256	/* RFC 1123 name (253) or an IP literal */

int	 addr_valid_host(const char *);
int	 addr_is_ipv6(const char *);
int	 addr_is_ip(const char *);
int	 addr_parse_port(const char *, uint16_t *);
int	 addr_parse_hostport(const char *, uint16_t, char *, size_t,
	    uint16_t *, const char **);
int	 addr_format(const char *, uint16_t, char *, size_t);
void	 addr_canonical(char *, size_t);

#endif /* EP2_ADDR_H */
