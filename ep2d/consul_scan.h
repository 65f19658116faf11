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
 * One entry of a /v1/health/service answer as consul.c reads it, from
 * json-c's tree (the reference) or from consul_scan.c's single pass.
 */

#ifndef EP2D_CONSUL_SCAN_H
#define EP2D_CONSUL_SCAN_H

#include <stddef.h>
#include <stdint.h>

struct consul_entry {
	int		 svc;		/* an object with a Service object */
	const char	*id;		/* Service.ID; NULL: not a string */
	int		 has_addr;	/* Service.Address is there */
	const char	*addr;		/* ... NULL: not a string */
	size_t		 addr_len;	/* NULs included */
	const char	*naddr;		/* Node.Address; NULL: none */
	size_t		 naddr_len;
	int		 has_port;	/* Service.Port is there */
	int		 port_int;	/* ... and an integer */
	int64_t		 port;		/* json-c's int64 reading of it */
	int		 health;	/* Checks: 0 passing, 1 warning, 2 else */
	uint16_t	 w_passing;	/* consul_weight_in() of the Weights */
	uint16_t	 w_warning;
};

typedef void	(*consul_entry_fn)(const struct consul_entry *, void *);

/*
 * 0: the answer is an array json-c takes as it is, and fn had each of
 * its entries in turn; -1: not taken here (json-c says what it is).
 */
int	 consul_scan_health(const char *, size_t, consul_entry_fn, void *);
uint16_t consul_weight_in(int64_t);

#endif /* EP2D_CONSUL_SCAN_H */
