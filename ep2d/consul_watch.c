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
 * The shared watch's pure part (consul.c does its I/O): which of the
 * watched services to read again, from one answer of Consul's
 * /v1/health/state/any (every check of the datacenter) or of
 * /v1/catalog/services (every service and its tags).
 *
 * Each watched service keeps a digest of what the last answer said of
 * it; a service whose digest moved is read again.  Of a check, the
 * digest holds what the health endpoint's filters read (its node, ID,
 * service ID, status and service tags), and of a service, its checks
 * and the node checks (serfHealth, maintenance) of the nodes it has
 * checks on, since ?passing counts those too.  ModifyIndex is left
 * out on purpose: Consul moves it for a new output alone (once every
 * check_update_interval), which changes nothing of the service's
 * answer.  A check added or gone moves the digest as a changed one
 * does.  The digest is a sum of mixed hashes, so the order Consul
 * lists the checks in does not matter.
 */

#include <sys/types.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "consul.h"
#include "log.h"

#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

struct node_digest {
	const char	*node;
	uint64_t	 digest;
};

/* the watched services by name, to find a check's in log time */
struct by_name {
	const char	*name;
	size_t		 i;
};

static struct json_object *watch_json(const char *, size_t, char *, size_t);
static uint64_t	 fnv(uint64_t, const char *);
static uint64_t	 mix(uint64_t);
static const char *str_of(struct json_object *, const char *);
static uint64_t	 check_hash(struct json_object *);
static uint64_t	 tags_hash(uint64_t, struct json_object *);
static int	 cmp_node(const void *, const void *);
static int	 cmp_name(const void *, const void *);
static struct by_name *by_name_index(const struct consul_watched *, size_t);
static void	 by_name_each(struct by_name *, size_t, const char *,
		    struct consul_watched *, uint64_t);

/* 64-bit FNV-1a over s and its NUL, so that "ab","c" is not "a","bc" */
static uint64_t
fnv(uint64_t h, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	do {
		h ^= *p;
		h *= FNV_PRIME;
	} while (*p++ != '\0');
	return (h);
}

/* splitmix64's finaliser: a sum of these does not cancel out */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (x);
}

/* a string member, "" when absent, NULL when it is not a string */
static const char *
str_of(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v,
	    json_type_null))
		return ("");
	if (!json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* a tags array in order; anything else is hashed as what it is */
static uint64_t
tags_hash(uint64_t h, struct json_object *tags)
{
	struct json_object	*t;
	size_t			 i, n;

	if (tags == NULL || json_object_is_type(tags, json_type_null))
		return (fnv(h, "\001none"));
	if (!json_object_is_type(tags, json_type_array))
		return (fnv(fnv(h, "\001odd"), json_object_to_json_string_ext(
		    tags, JSON_C_TO_STRING_PLAIN)));
	n = json_object_array_length(tags);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tags, i);
		if (json_object_is_type(t, json_type_string))
			h = fnv(h, json_object_get_string(t));
		else
			h = fnv(fnv(h, "\001odd"),
			    json_object_to_json_string_ext(t,
			    JSON_C_TO_STRING_PLAIN));
	}
	return (fnv(h, "\001end"));
}

/* What the health endpoint's filters read of one check. */
static uint64_t
check_hash(struct json_object *ck)
{
	static const char	*keys[] = { "Node", "CheckID", "ServiceID",
				    "Status" };
	struct json_object	*tags = NULL;
	const char		*s;
	uint64_t		 h = FNV_OFFSET;
	size_t			 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((s = str_of(ck, keys[i])) == NULL)
			s = "\001odd";
		h = fnv(h, s);
	}
	json_object_object_get_ex(ck, "ServiceTags", &tags);
	return (tags_hash(h, tags));
}

static int
cmp_node(const void *a, const void *b)
{
	return (strcmp(((const struct node_digest *)a)->node,
	    ((const struct node_digest *)b)->node));
}

static int
cmp_name(const void *a, const void *b)
{
	return (strcmp(((const struct by_name *)a)->name,
	    ((const struct by_name *)b)->name));
}

static struct by_name *
by_name_index(const struct consul_watched *w, size_t n)
{
	struct by_name	*ix;
	size_t		 i;

	if ((ix = calloc(n ? n : 1, sizeof(*ix))) == NULL)
		fatal("%s: calloc", __func__);
	for (i = 0; i < n; i++) {
		ix[i].name = w[i].name;
		ix[i].i = i;
	}
	qsort(ix, n, sizeof(*ix), cmp_name);
	return (ix);
}

/* add h to the digest of every watched entry named name */
static void
by_name_each(struct by_name *ix, size_t n, const char *name,
    struct consul_watched *w, uint64_t h)
{
	struct by_name	 key, *hit;
	size_t		 lo;

	key.name = name;
	if ((hit = bsearch(&key, ix, n, sizeof(*ix), cmp_name)) == NULL)
		return;
	/* several backends may watch one service (other tags) */
	for (lo = hit - ix; lo > 0 && strcmp(ix[lo - 1].name, name) == 0;
	    lo--)
		;
	for (; lo < n && strcmp(ix[lo].name, name) == 0; lo++)
		w[ix[lo].i].digest += h;
}

/* Strict JSON, as the health answer is read: nothing after the value. */
static struct json_object *
watch_json(const char *body, size_t len, char *err, size_t errlen)
{
	struct json_tokener	*tok;
	struct json_object	*root;
	enum json_tokener_error	 jerr;
	size_t			 end;

	if (len > INT_MAX) {
		snprintf(err, errlen, "body too large");
		return (NULL);
	}
	if ((tok = json_tokener_new()) == NULL)
		fatal("%s: json_tokener_new", __func__);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (root == NULL || jerr != json_tokener_success) {
		snprintf(err, errlen, "not JSON: %s",
		    jerr == json_tokener_continue ? "truncated" :
		    json_tokener_error_desc(jerr));
		if (root != NULL)
			json_object_put(root);
		json_tokener_free(tok);
		return (NULL);
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (strchr(" \t\r\n", body[end]) == NULL) {
			snprintf(err, errlen, "not JSON: text after the "
			    "value");
			json_object_put(root);
			json_tokener_free(tok);
			return (NULL);
		}
	json_tokener_free(tok);
	return (root);
}

/*
 * /v1/health/state/any: an array of checks.  Each w[i].digest is
 * replaced by this answer's and w[i].changed set when it moved.  A
 * check whose ServiceName cannot be read could be anyone's: every
 * service is then marked.  -1 (err says why) when the body is not
 * such an array; w is then untouched.
 */
int
consul_state_select(const char *body, size_t len, struct consul_watched *w,
    size_t n, char *err, size_t errlen)
{
	struct json_object	*root, *ck;
	struct node_digest	*nodes, key, *hit;
	struct by_name		*ix;
	uint64_t		*old;
	const char		*svc, *node;
	size_t			 i, j, nck, nn = 0;
	int			 unknown = 0;

	if ((root = watch_json(body, len, err, errlen)) == NULL)
		return (-1);
	if (!json_object_is_type(root, json_type_array)) {
		snprintf(err, errlen, "not a JSON array");
		json_object_put(root);
		return (-1);
	}
	nck = json_object_array_length(root);

	/* the node checks first: each node's own digest */
	if ((nodes = calloc(nck ? nck : 1, sizeof(*nodes))) == NULL)
		fatal("%s: calloc", __func__);
	for (i = 0; i < nck; i++) {
		ck = json_object_array_get_idx(root, i);
		if (!json_object_is_type(ck, json_type_object) ||
		    (svc = str_of(ck, "ServiceName")) == NULL) {
			unknown = 1;
			continue;
		}
		if (*svc != '\0' || (node = str_of(ck, "Node")) == NULL)
			continue;
		nodes[nn].node = node;
		nodes[nn++].digest = mix(check_hash(ck));
	}
	/* one entry a node, holding the sum of its checks */
	qsort(nodes, nn, sizeof(*nodes), cmp_node);
	for (i = 0, j = 0; i < nn; i++) {
		if (j > 0 && strcmp(nodes[j - 1].node, nodes[i].node) == 0)
			nodes[j - 1].digest += nodes[i].digest;
		else
			nodes[j++] = nodes[i];
	}
	nn = j;

	if ((old = calloc(n ? n : 1, sizeof(*old))) == NULL)
		fatal("%s: calloc", __func__);
	for (i = 0; i < n; i++) {
		old[i] = w[i].digest;
		w[i].digest = 0;
	}
	ix = by_name_index(w, n);
	for (i = 0; i < nck; i++) {
		uint64_t	 h, nd = 0;

		ck = json_object_array_get_idx(root, i);
		if (!json_object_is_type(ck, json_type_object) ||
		    (svc = str_of(ck, "ServiceName")) == NULL || *svc == '\0')
			continue;
		if ((node = str_of(ck, "Node")) != NULL) {
			key.node = node;
			if ((hit = bsearch(&key, nodes, nn, sizeof(*nodes),
			    cmp_node)) != NULL)
				nd = hit->digest;
		}
		/* its node's checks count once per instance check */
		h = mix(check_hash(ck) + mix(nd ^ 0x5bd1e995ULL));
		by_name_each(ix, n, svc, w, h);
	}
	for (i = 0; i < n; i++)
		w[i].changed = unknown || w[i].digest != old[i];
	free(ix);
	free(old);
	free(nodes);
	json_object_put(root);
	return (0);
}

/*
 * /v1/catalog/services: {"NAME": [TAG, ...], ...}.  A watched service
 * that appeared, went or has other tags is marked; the digest is 0
 * for a service the answer does not list.  -1 when the body is not
 * such an object.
 */
int
consul_catalog_select(const char *body, size_t len,
    struct consul_watched *w, size_t n, char *err, size_t errlen)
{
	struct json_object	*root, *tags;
	uint64_t		 d;
	size_t			 i;

	if ((root = watch_json(body, len, err, errlen)) == NULL)
		return (-1);
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		json_object_put(root);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		d = 0;
		if (json_object_object_get_ex(root, w[i].name, &tags))
			d = mix(tags_hash(FNV_OFFSET, tags)) | 1;
		w[i].changed = d != w[i].digest;
		w[i].digest = d;
	}
	json_object_put(root);
	return (0);
}
