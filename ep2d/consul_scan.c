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
 * The fast path of consul.c's health answer: one pass over the bytes,
 * nothing allocated, only Service.ID, .Address, .Port, .Weights,
 * Node.Address and Checks[].Status kept.  Every change costs the
 * fetcher one such answer, and json-c's tree of it (Node, Service,
 * Checks with their Output, Definition, Meta, TaggedAddresses...) was
 * half of the fetcher's CPU: ~110 us for ten servers, a malloc for
 * every string, number and object in it.
 *
 * json-c (JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8, then
 * nothing but " \t\r\n" or NUL after the value) stays the reference:
 * this file takes an answer only when json-c would take it too, and
 * reads the same thing of it; anything else it gives back (-1) and
 * consul.c parses with json-c, which then says what is wrong in the
 * words it always did.  So the scanner accepts a subset:
 *  - RFC 8259 JSON with json-c's four whitespace bytes; a top-level
 *    array; at most SCAN_DEPTH containers open (json-c takes 32);
 *  - in strings, any byte but NUL, '"' and '\', escapes \" \\ \/ \b
 *    \f \n \r \t \uXXXX, and bytes above 0x7f in the shape json-c's
 *    UTF-8 check wants (a lead byte, then 1-3 continuation bytes:
 *    it does not look further, nor do we); control bytes are taken,
 *    as json-c 0.16 takes them;
 *  - numbers of the RFC's grammar; an integer of any size is taken,
 *    as json-c takes it, and read as json-c's json_object_get_int64()
 *    reads it (clamped to int64); a fraction or exponent makes it a
 *    double (80.0 is not a port);
 *  - true, false, null.
 * Given back to json-c: NaN, Infinity, single-quoted keys, leading
 * zeros, "-", trailing commas, NUL bytes, anything after the array
 * but whitespace and NUL, an escaped key where a key is looked up,
 * a kept string (ID, Address, Status) over SCAN_CAP bytes or with a
 * \u escape of a UTF-16 surrogate (json-c's replacement rules).
 *
 * What json-c does with the tree is done here as it reads: of a key
 * given twice the last value counts (json-c's object replaces it), a
 * value of another type is "not an object" or "not a string" as the
 * tree would say, a string is kept with any \u0000 in it (consul.c's
 * NUL check needs its length) and compared as the C string json-c
 * hands out.  regress/unit/test_consul.c runs both on the fixtures,
 * edge cases and thousands of mutations of them.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "consul_scan.h"

#define SCAN_DEPTH	31	/* containers open at once */
#define SCAN_CAP	512	/* bytes of a kept string */

/* what a container is */
enum scan_ctx {
	X_OTHER, X_ROOT, X_ENTRY, X_SVC, X_NODE, X_WEIGHTS, X_CHECKS,
	X_CHECK
};

/* where a value goes */
enum scan_slot {
	F_NONE, F_ENTRY, F_SERVICE, F_NODE, F_CHECKS, F_ID, F_ADDR, F_PORT,
	F_WEIGHTS, F_NADDR, F_CHECK, F_STATUS, F_PASSING, F_WARNING
};

enum scan_type { V_OBJ, V_ARR, V_STR, V_INT, V_OTHER };

struct scan_str {
	char		 buf[SCAN_CAP];
	size_t		 len;
};

/* the entry being read */
struct scan {
	int		 obj, svc, node, checks, wobj;
	int		 id_str, has_addr, addr_str, naddr_str;
	int		 has_port, port_int, wp_int, ww_int;
	int64_t		 port, wp, ww;
	int		 health, status;
	struct scan_str	 id, addr, naddr, st;
};

/* the bytes a string's loop stops at: '"', '\', NUL, above 0x7f */
static const unsigned char str_stop[256] = {
	[0] = 1, ['"'] = 1, ['\\'] = 1,
	[0x80 ... 0xff] = 1
};

static const unsigned char is_ws[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1
};

#define SKIP_WS(p, end)	while ((p) < (end) && is_ws[*(p)]) (p)++

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

static int
put(struct scan_str *s, const unsigned char *b, size_t n)
{
	if (n >= sizeof(s->buf) - s->len)
		return (-1);
	memcpy(s->buf + s->len, b, n);
	s->len += n;
	return (0);
}

/*
 * The string after its opening quote, into s when s is not NULL (NUL
 * terminated, len says how much with any \u0000 in it); the byte after
 * its closing quote, or NULL: not taken.
 */
static const unsigned char *
scan_string(const unsigned char *p, const unsigned char *end,
    struct scan_str *s)
{
	const unsigned char	*q;
	unsigned char		 b[3];
	unsigned int		 u;
	int			 i, h, n;

	if (s != NULL)
		s->len = 0;
	for (;;) {
		q = p;
		while (p < end && !str_stop[*p])
			p++;
		if (s != NULL && put(s, q, p - q) == -1)
			return (NULL);
		if (p == end || *p == '\0')
			return (NULL);
		if (*p == '"')
			break;
		if (*p == '\\') {
			if (end - p < 2)
				return (NULL);
			switch (p[1]) {
			case '"':
			case '\\':
			case '/':
				b[0] = p[1];
				break;
			case 'b':
				b[0] = '\b';
				break;
			case 'f':
				b[0] = '\f';
				break;
			case 'n':
				b[0] = '\n';
				break;
			case 'r':
				b[0] = '\r';
				break;
			case 't':
				b[0] = '\t';
				break;
			case 'u':
				if (end - p < 6)
					return (NULL);
				for (u = 0, i = 2; i < 6; i++) {
					if ((h = hexval(p[i])) == -1)
						return (NULL);
					u = u << 4 | h;
				}
				p += 6;
				if (s == NULL)
					continue;
				/* json-c's encoding; its surrogate rules not */
				if (u < 0x80) {
					b[0] = u;
					n = 1;
				} else if (u < 0x800) {
					b[0] = 0xc0 | u >> 6;
					b[1] = 0x80 | (u & 0x3f);
					n = 2;
				} else if (u >= 0xd800 && u <= 0xdfff)
					return (NULL);
				else {
					b[0] = 0xe0 | u >> 12;
					b[1] = 0x80 | ((u >> 6) & 0x3f);
					b[2] = 0x80 | (u & 0x3f);
					n = 3;
				}
				if (put(s, b, n) == -1)
					return (NULL);
				continue;
			default:
				return (NULL);
			}
			p += 2;
			if (s != NULL && put(s, b, 1) == -1)
				return (NULL);
			continue;
		}
		/* above 0x7f: json-c's UTF-8 shape, kept as it is */
		if ((*p & 0xe0) == 0xc0)
			n = 1;
		else if ((*p & 0xf0) == 0xe0)
			n = 2;
		else if ((*p & 0xf8) == 0xf0)
			n = 3;
		else
			return (NULL);
		if (end - p <= n)
			return (NULL);
		for (i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return (NULL);
		if (s != NULL && put(s, p, n + 1) == -1)
			return (NULL);
		p += n + 1;
	}
	if (s != NULL)
		s->buf[s->len] = '\0';
	return (p + 1);
}

/*
 * A number of RFC 8259's grammar; *isint when it has neither fraction
 * nor exponent, *v then as json_object_get_int64() has it (json-c
 * reads past int64 without complaint and clamps).
 */
static const unsigned char *
scan_number(const unsigned char *p, const unsigned char *end, int *isint,
    int64_t *v)
{
	uint64_t	 u = 0;
	int		 neg = 0, over = 0, dbl = 0, d;

	*isint = 0;
	*v = 0;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (p == end)
		return (NULL);
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9') {
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			d = *p - '0';
			if (u > (UINT64_MAX - d) / 10)
				over = 1;
			else
				u = u * 10 + d;
		}
	} else
		return (NULL);
	if (p < end && *p == '.') {
		if (++p == end || *p < '0' || *p > '9')
			return (NULL);
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		dbl = 1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return (NULL);
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		dbl = 1;
	}
	if (dbl)
		return (p);
	*isint = 1;
	if (neg)
		*v = over || u >= (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)u;
	else
		*v = over || u > INT64_MAX ? INT64_MAX : (int64_t)u;
	return (p);
}

static enum scan_slot
key_slot(enum scan_ctx ctx, const unsigned char *k, size_t n)
{
#define IS(s)	(n == sizeof(s) - 1 && memcmp(k, s, n) == 0)
	switch (ctx) {
	case X_ENTRY:
		return (IS("Service") ? F_SERVICE : IS("Node") ? F_NODE :
		    IS("Checks") ? F_CHECKS : F_NONE);
	case X_SVC:
		return (IS("ID") ? F_ID : IS("Address") ? F_ADDR :
		    IS("Port") ? F_PORT : IS("Weights") ? F_WEIGHTS : F_NONE);
	case X_NODE:
		return (IS("Address") ? F_NADDR : F_NONE);
	case X_WEIGHTS:
		return (IS("Passing") ? F_PASSING : IS("Warning") ?
		    F_WARNING : F_NONE);
	case X_CHECK:
		return (IS("Status") ? F_STATUS : F_NONE);
	default:
		return (F_NONE);
	}
#undef IS
}

static enum scan_ctx
child_ctx(enum scan_slot slot, enum scan_type t)
{
	if (t == V_OBJ) {
		switch (slot) {
		case F_ENTRY:
			return (X_ENTRY);
		case F_SERVICE:
			return (X_SVC);
		case F_NODE:
			return (X_NODE);
		case F_WEIGHTS:
			return (X_WEIGHTS);
		case F_CHECK:
			return (X_CHECK);
		default:
			return (X_OTHER);
		}
	}
	return (slot == F_CHECKS ? X_CHECKS : X_OTHER);
}

static enum scan_slot
elem_slot(enum scan_ctx ctx)
{
	return (ctx == X_ROOT ? F_ENTRY : ctx == X_CHECKS ? F_CHECK : F_NONE);
}

/* Where a kept string goes; NULL: only checked. */
static struct scan_str *
str_of(struct scan *s, enum scan_slot slot)
{
	switch (slot) {
	case F_ID:
		return (&s->id);
	case F_ADDR:
		return (&s->addr);
	case F_NADDR:
		return (&s->naddr);
	case F_STATUS:
		return (&s->st);
	default:
		return (NULL);
	}
}

/* 0 passing, 1 warning, 2 else, compared as C strings as json-c's are */
static int
status_of(const struct scan_str *st)
{
	if (strcmp(st->buf, "passing") == 0)
		return (0);
	if (strcmp(st->buf, "warning") == 0)
		return (1);
	return (2);
}

/*
 * A value begins in slot: a key seen again starts over, as json-c's
 * object keeps the last value of a key.
 */
static void
slot_value(struct scan *s, enum scan_slot slot, enum scan_type t, int64_t v)
{
	switch (slot) {
	case F_ENTRY:
		memset(s, 0, offsetof(struct scan, id));
		s->obj = t == V_OBJ;
		break;
	case F_SERVICE:
		s->svc = t == V_OBJ;
		s->id_str = s->has_addr = s->addr_str = 0;
		s->has_port = s->port_int = 0;
		s->wobj = s->wp_int = s->ww_int = 0;
		break;
	case F_NODE:
		s->node = t == V_OBJ;
		s->naddr_str = 0;
		break;
	case F_CHECKS:
		s->checks = t == V_ARR;
		s->health = 0;
		break;
	case F_CHECK:
		s->status = 2;
		break;
	case F_ID:
		s->id_str = t == V_STR;
		break;
	case F_ADDR:
		s->has_addr = 1;
		s->addr_str = t == V_STR;
		break;
	case F_PORT:
		s->has_port = 1;
		s->port_int = t == V_INT;
		s->port = v;
		break;
	case F_WEIGHTS:
		s->wobj = t == V_OBJ;
		s->wp_int = s->ww_int = 0;
		break;
	case F_NADDR:
		s->naddr_str = t == V_STR;
		break;
	case F_STATUS:
		s->status = t == V_STR ? status_of(&s->st) : 2;
		break;
	case F_PASSING:
		s->wp_int = t == V_INT;
		s->wp = v;
		break;
	case F_WARNING:
		s->ww_int = t == V_INT;
		s->ww = v;
		break;
	case F_NONE:
		break;
	}
}

static void
entry_done(const struct scan *s, consul_entry_fn fn, void *arg)
{
	struct consul_entry	 e;

	memset(&e, 0, sizeof(e));
	if (s->obj && s->svc) {
		e.svc = 1;
		e.id = s->id_str ? s->id.buf : NULL;
		e.has_addr = s->has_addr;
		if (s->addr_str) {
			e.addr = s->addr.buf;
			e.addr_len = s->addr.len;
		}
		if (s->node && s->naddr_str) {
			e.naddr = s->naddr.buf;
			e.naddr_len = s->naddr.len;
		}
		e.has_port = s->has_port;
		e.port_int = s->port_int;
		e.port = s->port;
		e.health = s->checks ? s->health : 0;
		if (s->wobj && s->wp_int)
			e.w_passing = consul_weight_in(s->wp);
		if (s->wobj && s->ww_int)
			e.w_warning = consul_weight_in(s->ww);
	}
	fn(&e, arg);
}

int
consul_scan_health(const char *body, size_t len, consul_entry_fn fn,
    void *arg)
{
	const unsigned char	*p = (const unsigned char *)body;
	const unsigned char	*end = p + len, *k;
	unsigned char		 ctx[SCAN_DEPTH], obj[SCAN_DEPTH];
	struct scan		 s;
	enum scan_slot		 slot;
	enum scan_type		 t;
	int64_t			 v;
	int			 depth, isint;

	SKIP_WS(p, end);
	if (p == end || *p != '[')
		return (-1);
	p++;
	ctx[0] = X_ROOT;
	obj[0] = 0;
	depth = 1;
	memset(&s, 0, offsetof(struct scan, id));
	SKIP_WS(p, end);
	if (p < end && *p == ']') {
		p++;
		goto closed;
	}
	slot = F_ENTRY;

value:
	SKIP_WS(p, end);
	if (p == end)
		return (-1);
	v = 0;
	switch (*p) {
	case '{':
	case '[':
		t = *p == '{' ? V_OBJ : V_ARR;
		slot_value(&s, slot, t, 0);
		if (depth == SCAN_DEPTH)
			return (-1);
		ctx[depth] = child_ctx(slot, t);
		obj[depth] = t == V_OBJ;
		depth++;
		p++;
		SKIP_WS(p, end);
		if (p == end)
			return (-1);
		if (*p == (t == V_OBJ ? '}' : ']')) {
			p++;
			goto closed;
		}
		if (t == V_OBJ)
			goto key;
		slot = elem_slot(ctx[depth - 1]);
		goto value;
	case '"':
		if ((p = scan_string(p + 1, end, str_of(&s, slot))) == NULL)
			return (-1);
		t = V_STR;
		break;
	case 't':
		if (end - p < 4 || memcmp(p, "true", 4) != 0)
			return (-1);
		p += 4;
		t = V_OTHER;
		break;
	case 'f':
		if (end - p < 5 || memcmp(p, "false", 5) != 0)
			return (-1);
		p += 5;
		t = V_OTHER;
		break;
	case 'n':
		if (end - p < 4 || memcmp(p, "null", 4) != 0)
			return (-1);
		p += 4;
		t = V_OTHER;
		break;
	default:
		if (*p != '-' && (*p < '0' || *p > '9'))
			return (-1);
		if ((p = scan_number(p, end, &isint, &v)) == NULL)
			return (-1);
		t = isint ? V_INT : V_OTHER;
		break;
	}
	slot_value(&s, slot, t, v);

after:
	/* a value ended in the container on top */
	if (ctx[depth - 1] == X_ROOT)
		entry_done(&s, fn, arg);
	else if (ctx[depth - 1] == X_CHECKS && s.status > s.health)
		s.health = s.status;
	SKIP_WS(p, end);
	if (p == end)
		return (-1);
	if (*p == ',') {
		p++;
		SKIP_WS(p, end);
		if (obj[depth - 1])
			goto key;
		slot = elem_slot(ctx[depth - 1]);
		goto value;
	}
	if (*p != (obj[depth - 1] ? '}' : ']'))
		return (-1);
	p++;

closed:
	if (--depth > 0)
		goto after;
	/* json-c stops at a NUL; consul.c then takes NULs and whitespace */
	for (; p < end; p++)
		if (!is_ws[*p] && *p != '\0')
			return (-1);
	return (0);

key:
	if (p == end || *p != '"')
		return (-1);
	k = ++p;
	while (p < end && !str_stop[*p])
		p++;
	if (p < end && *p == '"') {
		slot = key_slot(ctx[depth - 1], k, p - k);
		p++;
	} else {
		/* escaped or not ASCII: only where no key is looked up */
		if (ctx[depth - 1] != X_OTHER)
			return (-1);
		if ((p = scan_string(k, end, NULL)) == NULL)
			return (-1);
		slot = F_NONE;
	}
	SKIP_WS(p, end);
	if (p == end || *p != ':')
		return (-1);
	p++;
	goto value;
}
