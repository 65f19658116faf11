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
 * Server sets: a growable sorted array of (host, port).  Sources build
 * one per answer, the parent keeps the wanted one per backend.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ep2d.h"

void
set_init(struct server_set *s)
{
	memset(s, 0, sizeof(*s));
}

void
set_free(struct server_set *s)
{
	free(s->servers);
	set_init(s);
}

void
set_clear(struct server_set *s)
{
	s->count = 0;
}

/* Add one server; the caller has checked it with addr_valid_host(). */
int
set_add(struct server_set *s, const char *host, uint16_t port)
{
	struct server	*n;
	size_t		 ncap;

	if (strlen(host) >= EP2D_HOST_MAX || port == 0) {
		errno = EINVAL;
		return (-1);
	}
	if (s->count >= EP2D_MAX_SERVERS) {
		errno = E2BIG;
		return (-1);
	}
	if (s->count == s->cap) {
		ncap = s->cap ? s->cap * 2 : 16;
		if ((n = reallocarray(s->servers, ncap, sizeof(*n))) == NULL)
			return (-1);
		s->servers = n;
		s->cap = ncap;
	}
	n = &s->servers[s->count++];
	memset(n, 0, sizeof(*n));
	strcpy(n->host, host);
	n->port = port;
	return (0);
}

static int
server_cmp(const void *a, const void *b)
{
	const struct server	*x = a, *y = b;
	int			 r;

	if ((r = strcmp(x->host, y->host)) != 0)
		return (r);
	return ((int)x->port - (int)y->port);
}

/* Sort and drop duplicates: the same address twice is one server. */
void
set_sort(struct server_set *s)
{
	size_t	 i, j;

	if (s->count < 2)
		return;
	qsort(s->servers, s->count, sizeof(*s->servers), server_cmp);
	for (i = 0, j = 1; j < s->count; j++) {
		if (server_cmp(&s->servers[i], &s->servers[j]) != 0)
			s->servers[++i] = s->servers[j];
	}
	s->count = i + 1;
}

int
set_equal(const struct server_set *a, const struct server_set *b)
{
	size_t	 i;

	if (a->count != b->count)
		return (0);
	for (i = 0; i < a->count; i++) {
		if (server_cmp(&a->servers[i], &b->servers[i]) != 0 ||
		    a->servers[i].weight != b->servers[i].weight)
			return (0);
	}
	return (1);
}

int
set_copy(struct server_set *dst, const struct server_set *src)
{
	struct server	*n = NULL;

	if (src->count > 0) {
		if ((n = reallocarray(NULL, src->count, sizeof(*n))) == NULL)
			return (-1);
		memcpy(n, src->servers, src->count * sizeof(*n));
	}
	free(dst->servers);
	dst->servers = n;
	dst->count = dst->cap = src->count;
	return (0);
}

/* Index of (host, port) in a sorted set, or -1. */
ssize_t
set_find(const struct server_set *s, const char *host, uint16_t port)
{
	struct server	 key, *r;

	if (s->count == 0 || strlen(host) >= sizeof(key.host))
		return (-1);
	memset(&key, 0, sizeof(key));
	strcpy(key.host, host);
	key.port = port;
	r = bsearch(&key, s->servers, s->count, sizeof(*s->servers),
	    server_cmp);
	return (r == NULL ? -1 : r - s->servers);
}
