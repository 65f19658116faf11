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
 * consul.c's pure parts, exposed for the unit tests: the health
 * answer's parser, Consul's blocking-query index rules, the token
 * bucket that paces the query loop and CONSUL_HTTP_ADDR; and
 * consul_watch.c's, the shared watch's choice of what to read again.
 */

#ifndef EP2D_CONSUL_H
#define EP2D_CONSUL_H

#include <stddef.h>
#include <stdint.h>

struct server_set;

#define CONSUL_BURST		2	/* Consul's own suggestion */
#define CONSUL_REFILL_MS	50	/* churn: at most 20 queries/s */
/*
 * Up to CONSUL_MAX_WATCHES backends on one agent, each has a blocking
 * query of its own (one connection each); past it, all of them share
 * one watch: two blocking queries and at most CONSUL_REREAD_MAX reads
 * at a time, so that ep2d keeps below Consul's
 * limits.http_max_conns_per_client (200) whatever the backends.
 */
#define CONSUL_MAX_WATCHES	8
#define CONSUL_REREAD_MAX	4

struct consul_bucket {
	double		 tokens;
	int64_t		 last;		/* ms, monotonic */
};

int	 consul_parse_health(const char *, size_t, uint16_t,
	    struct server_set *, int *, char *, size_t);
/*
 * The same, with Service.Weights and the checks: weights (0: none),
 * on_warning (enum on_warning), skip_critical (a critical instance is
 * left out: ?passing was not asked, on_warning does the filtering).
 */
struct consul_health_opts {
	int		 weights;
	int		 on_warning;
	int		 skip_critical;
};
int	 consul_parse_health_opts(const char *, size_t, uint16_t,
	    const struct consul_health_opts *, struct server_set *, int *,
	    char *, size_t);
/* the same with json-c alone: the reference consul_scan.c is held to */
int	 consul_parse_health_json(const char *, size_t, uint16_t,
	    const struct consul_health_opts *, struct server_set *, int *,
	    char *, size_t);
uint16_t consul_weight(int64_t);
int	 consul_parse_index(const char *, uint64_t *);
uint64_t consul_index_update(uint64_t, uint64_t, int *);
uint64_t consul_index_query(uint64_t);
void	 consul_bucket_init(struct consul_bucket *, int64_t);
long	 consul_bucket_take(struct consul_bucket *, int64_t);
int	 consul_parse_http_addr(const char *, char *, size_t, uint16_t *,
	    int *);

/*
 * consul_watch.c: one watched service.  digest: in, the last answer's;
 * out, this one's.  changed: out, set when it moved (read it again).
 */
struct consul_watched {
	const char	*name;
	uint64_t	 digest;
	int		 changed;
};
int	 consul_state_select(const char *, size_t, struct consul_watched *,
	    size_t, char *, size_t);
int	 consul_catalog_select(const char *, size_t, struct consul_watched *,
	    size_t, char *, size_t);

#endif /* EP2D_CONSUL_H */
