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
 * Streaming JSON writer.  The document is one top-level object; a stack
 * remembers, per open level, whether it is an array (values without
 * names) and whether a comma is due before the next member.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

#define JSON_MAX_DEPTH	16

struct json_level {
	int	 array;
	int	 count;
};

static struct {
	FILE			*fp;
	struct json_level	 stack[JSON_MAX_DEPTH];
	int			 depth;		/* -1: not started */
	int			 error;
} json = { NULL, { { 0, 0 } }, -1, 0 };

static int	 json_member(const char *);
static size_t	 utf8_len(const unsigned char *);

void
json_do_start(FILE *fp)
{
	memset(&json, 0, sizeof(json));
	json.fp = fp;
	json.depth = 0;
	json.stack[0].array = 0;
	fputc('{', fp);
}

/*
 * Start a member: comma if needed, indentation, and the name unless
 * the current level is an array.  -1 when out of a document.
 */
static int
json_member(const char *name)
{
	struct json_level	*l;
	int			 i;

	if (json.fp == NULL || json.depth < 0) {
		json.error = 1;
		return (-1);
	}
	l = &json.stack[json.depth];
	if (l->count++ > 0)
		fputc(',', json.fp);
	fputc('\n', json.fp);
	for (i = 0; i <= json.depth; i++)
		fputs("  ", json.fp);
	if (!l->array) {
		json_escape(json.fp, name != NULL ? name : "");
		fputs(": ", json.fp);
	}
	return (0);
}

static void
json_open(const char *name, int array)
{
	if (json_member(name) == -1)
		return;
	if (json.depth + 1 >= JSON_MAX_DEPTH) {
		/* never with our fixed documents; keep the output valid */
		fputs(array ? "[]" : "{}", json.fp);
		json.error = 1;
		return;
	}
	fputc(array ? '[' : '{', json.fp);
	json.depth++;
	json.stack[json.depth].array = array;
	json.stack[json.depth].count = 0;
}

void
json_do_object(const char *name)
{
	json_open(name, 0);
}

void
json_do_array(const char *name)
{
	json_open(name, 1);
}

void
json_do_end(void)
{
	struct json_level	*l;
	int			 i;

	if (json.fp == NULL || json.depth <= 0) {
		json.error = 1;
		return;
	}
	l = &json.stack[json.depth];
	if (l->count > 0) {
		fputc('\n', json.fp);
		for (i = 0; i < json.depth; i++)
			fputs("  ", json.fp);
	}
	fputc(l->array ? ']' : '}', json.fp);
	json.depth--;
}

void
json_do_string(const char *name, const char *v)
{
	if (json_member(name) == -1)
		return;
	json_escape(json.fp, v != NULL ? v : "");
}

void
json_do_uint(const char *name, uint64_t v)
{
	if (json_member(name) == -1)
		return;
	fprintf(json.fp, "%llu", (unsigned long long)v);
}

void
json_do_int(const char *name, int64_t v)
{
	if (json_member(name) == -1)
		return;
	fprintf(json.fp, "%lld", (long long)v);
}

void
json_do_bool(const char *name, int v)
{
	if (json_member(name) == -1)
		return;
	fputs(v ? "true" : "false", json.fp);
}

void
json_do_null(const char *name)
{
	if (json_member(name) == -1)
		return;
	fputs("null", json.fp);
}

/* A time(3) value: epoch seconds, or null for "never" (0). */
void
json_do_time(const char *name, int64_t t)
{
	if (t <= 0)
		json_do_null(name);
	else
		json_do_int(name, t);
}

/* Close whatever is open and the document.  0, or -1 on a write error. */
int
json_do_finish(void)
{
	int	 r;

	if (json.fp == NULL || json.depth < 0)
		return (-1);
	while (json.depth > 0)
		json_do_end();
	fputs(json.stack[0].count > 0 ? "\n}\n" : "}\n", json.fp);
	r = (ferror(json.fp) || fflush(json.fp) == EOF) ? -1 : 0;
	json.depth = -1;
	json.fp = NULL;
	return (r);
}

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF), 0 if not one.
 */
static size_t
utf8_len(const unsigned char *s)
{
	size_t	 n, i;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return (0);
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return (0);
	if (s[0] == 0xe0 && s[1] < 0xa0)
		return (0);
	if (s[0] == 0xed && s[1] > 0x9f)
		return (0);
	if (s[0] == 0xf0 && s[1] < 0x90)
		return (0);
	if (s[0] == 0xf4 && s[1] > 0x8f)
		return (0);
	return (n);
}

/* A JSON string literal of s, quotes included. */
void
json_escape(FILE *fp, const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n;

	fputc('"', fp);
	while (*s != '\0') {
		switch (*s) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fprintf(fp, "\\u%04x", *s);
				break;
			}
			if ((n = utf8_len(s)) == 0) {
				fputs("\\ufffd", fp);
				break;
			}
			fwrite(s, 1, n, fp);
			s += n;
			continue;
		}
		s++;
	}
	fputc('"', fp);
}
