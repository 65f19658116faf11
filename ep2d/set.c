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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep2d.h"
#include "log.h"

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
	s->overflow = 0;
}

/*
 * Add one server; the caller has checked it with addr_valid_host().
 * The host is kept in its one spelling (addr_canonical), so that the
 * same server written two ways is one.
 */
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
		s->overflow++;
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
	addr_canonical(n->host, sizeof(n->host));
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
	dst->overflow = src->overflow;
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

/*
 * What one answer refused, for one line instead of one per entry: the
 * count and the first REFUSED_SHOWN reasons.
 */
void
refused_init(struct refused *r)
{
	memset(r, 0, sizeof(*r));
}

void
refused_add(struct refused *r, const char *fmt, ...)
{
	va_list	 ap;

	if (r->count < REFUSED_SHOWN) {
		va_start(ap, fmt);
		vsnprintf(r->first[r->count], sizeof(r->first[0]), fmt, ap);
		va_end(ap);
	}
	r->count++;
}

/*
 * "consul: 1998 instances refused (first: ...; ...; ...)" in buf, or
 * "" when nothing was; what is the singular.
 */
void
refused_text(const struct refused *r, const char *who, const char *what,
    char *buf, size_t len)
{
	char	 list[REFUSED_SHOWN * (sizeof(r->first[0]) + 2)];
	size_t	 i;

	buf[0] = '\0';
	if (r->count == 0)
		return;
	list[0] = '\0';
	for (i = 0; i < r->count && i < REFUSED_SHOWN; i++) {
		if (i > 0)
			strlcat(list, "; ", sizeof(list));
		strlcat(list, r->first[i], sizeof(list));
	}
	if (r->count > REFUSED_SHOWN)
		snprintf(buf, len, "%s: %zu %ss refused (first: %s)", who,
		    r->count, what, list);
	else
		snprintf(buf, len, "%s: %zu %s%s refused: %s", who, r->count,
		    what, r->count > 1 ? "s" : "", list);
}

void
refused_log(const struct refused *r, const char *who, const char *what)
{
	char	 buf[LOG_LINE_MAX];

	refused_text(r, who, what, buf, sizeof(buf));
	if (buf[0] != '\0')
		log_warnx("%s", buf);
}
