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
 * Host names from an orchestrator, resolved in the fetcher (the one
 * process with DNS: copies of resolv.conf, hosts and nsswitch.conf in
 * its chroot), so that the parent and HAProxy get numeric addresses.
 * A name in a server line would have HAProxy resolve it at each check
 * and reload, and one that does not resolve would make haproxy -c
 * refuse every configuration after it: here it costs only itself,
 * left out with a line.  HAProxy without a resolvers section resolves
 * a name once, when it reads its configuration, and takes one address;
 * so does this, at each answer: the first IPv4 address, else the first
 * IPv6 one.  Answers are kept RESOLVE_TTL seconds (a failure
 * RESOLVE_NEG_TTL), and one answer asks at most RESOLVE_BUDGET names,
 * so that a set of hostile names cannot hold the fetcher for long:
 * getaddrinfo() blocks.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ep2d.h"
#include "log.h"

#define RESOLVE_TTL	60	/* seconds an address is kept */
#define RESOLVE_NEG_TTL	30	/* and a failure */
#define RESOLVE_MAX	4096	/* names kept */
#define RESOLVE_BUDGET	64	/* names asked of DNS per answer */

struct resolved {
	char		 name[EP2D_HOST_MAX];
	char		 addr[INET6_ADDRSTRLEN];	/* "": did not resolve */
	char		 why[64];
	time_t		 expires;
};

static struct resolved	*cache;
static size_t		 ncache;

static struct resolved *
resolve_find(const char *name, time_t now)
{
	size_t	 i;

	for (i = 0; i < ncache; i++)
		if (strcmp(cache[i].name, name) == 0) {
			if (cache[i].expires > now)
				return (&cache[i]);
			cache[i] = cache[--ncache];
			return (NULL);
		}
	return (NULL);
}

static struct resolved *
resolve_ask(const char *name, time_t now)
{
	struct addrinfo		 hints, *res = NULL, *ai, *pick = NULL;
	struct resolved		*r;
	void			*a;
	int			 e;

	if (cache == NULL &&
	    (cache = calloc(RESOLVE_MAX, sizeof(*cache))) == NULL)
		fatal("%s: calloc", __func__);
	if (ncache == RESOLVE_MAX)
		ncache = 0;		/* a flood of names: start over */
	r = &cache[ncache++];
	memset(r, 0, sizeof(*r));
	strlcpy(r->name, name, sizeof(r->name));

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(name, NULL, &hints, &res)) != 0) {
		strlcpy(r->why, gai_strerror(e), sizeof(r->why));
		r->expires = now + RESOLVE_NEG_TTL;
		return (r);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET) {
			pick = ai;
			break;
		}
	for (ai = res; pick == NULL && ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET6)
			pick = ai;
	if (pick == NULL)
		strlcpy(r->why, "no IPv4 or IPv6 address", sizeof(r->why));
	else {
		a = pick->ai_family == AF_INET ?
		    (void *)&((struct sockaddr_in *)pick->ai_addr)->sin_addr :
		    (void *)&((struct sockaddr_in6 *)pick->ai_addr)->sin6_addr;
		if (inet_ntop(pick->ai_family, a, r->addr,
		    sizeof(r->addr)) == NULL)
			r->addr[0] = '\0';
	}
	freeaddrinfo(res);
	r->expires = now + (r->addr[0] != '\0' ? RESOLVE_TTL :
	    RESOLVE_NEG_TTL);
	return (r);
}

/*
 * Every host name of the set replaced by its address, or left out,
 * with one line for the set (who names the source).  The set is
 * sorted again by the caller.
 */
void
resolve_set(const char *who, struct server_set *set)
{
	struct resolved	*r;
	struct refused	 ref;
	time_t		 now = time(NULL);
	size_t		 i, j;
	int		 asked = 0;

	refused_init(&ref);
	for (i = 0, j = 0; i < set->count; i++) {
		if (addr_is_ip(set->servers[i].host)) {
			set->servers[j++] = set->servers[i];
			continue;
		}
		if ((r = resolve_find(set->servers[i].host, now)) == NULL) {
			if (asked >= RESOLVE_BUDGET) {
				refused_add(&ref, "%s not resolved yet (more "
				    "than %d names at once)",
				    set->servers[i].host, RESOLVE_BUDGET);
				continue;
			}
			asked++;
			r = resolve_ask(set->servers[i].host, now);
		}
		if (r->addr[0] == '\0') {
			refused_add(&ref, "%s does not resolve: %s",
			    set->servers[i].host, r->why);
			continue;
		}
		log_debug("%s: %s is %s", who, set->servers[i].host, r->addr);
		strlcpy(set->servers[i].host, r->addr,
		    sizeof(set->servers[i].host));
		set->servers[j++] = set->servers[i];
	}
	set->count = j;
	refused_log(&ref, who, "server");
}
