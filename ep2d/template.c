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
 * EP2's template: an haproxy.cfg in which Jinja's "{{ nodes }}" stands
 * for the backend's server lines.  This file renders it into a buffer
 * (no I/O).  Only the part of Jinja that EP2 templates use is here:
 * "{{ name }}" (nodes defined, any other name empty, as Jinja renders
 * an undefined variable), "{# comments #}" and the '-' whitespace
 * modifiers; a "{% statement %}" is refused rather than misread.
 * Everything else is copied byte for byte, so HAProxy's own braces
 * ("{ ssl_fc }", "%[...]", "%{+Q}r") pass untouched.
 */

#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep2d.h"
#include "log.h"

#define TMPL_IDENT_MAX		64	/* a variable name shown in a log */
#define TMPL_LINE_MAX		(64 + EP2D_HOST_MAX + 64)
#define TMPL_FREE_ADDR		"10.0.0.1:8080"	/* EP2's placeholder */

struct tbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static int	 tmpl_walk(const char *, size_t, const char *,
		    const struct ep2_conf *, const struct tmpl_slot *, size_t,
		    struct tbuf *);
static int	 tmpl_nodes(const char *, int, const struct ep2_conf *,
		    const struct tmpl_slot *, size_t, struct tbuf *);
static int	 tb_add(struct tbuf *, const char *, size_t);
static void	 tb_rtrim(struct tbuf *);
static int	 is_ident(const char *, size_t);
static int	 is_jspace(char);

int
template_render(const char *tmpl, size_t len, const char *name,
    const struct ep2_conf *conf, const struct tmpl_slot *slots,
    size_t nslots, char **out, size_t *outlen)
{
	struct tbuf	 b;
	int		 n;

	*out = NULL;
	*outlen = 0;
	memset(&b, 0, sizeof(b));
	/* the output holds the template and every server line */
	if (tb_add(&b, "", 0) == -1)
		fatal("%s: malloc", __func__);
	if ((n = tmpl_walk(tmpl, len, name, conf, slots, nslots, &b)) <= 0) {
		if (n == 0)
			log_warnx("%s: no {{ nodes }} in the template: the "
			    "servers would never reach haproxy.cfg", name);
		free(b.p);
		return (-1);
	}
	*out = b.p;
	*outlen = b.len;
	return (0);
}

int
template_check(const char *tmpl, size_t len, const char *name)
{
	int	 n;

	if ((n = tmpl_walk(tmpl, len, name, NULL, NULL, 0, NULL)) == -1)
		return (-1);
	if (n == 0) {
		log_warnx("%s: no {{ nodes }} in the template: the servers "
		    "would never reach haproxy.cfg", name);
		return (-1);
	}
	return (0);
}

/*
 * One pass over the template, rendering into b (or only checking when
 * b is NULL).  Returns how many times {{ nodes }} appears, or -1 after
 * logging every error found.
 */
static int
tmpl_walk(const char *t, size_t len, const char *name,
    const struct ep2_conf *conf, const struct tmpl_slot *slots,
    size_t nslots, struct tbuf *b)
{
	const char	*close, *s, *e;
	size_t		 i, j, span;
	int		 line = 1, start, errors = 0, nodes = 0, nl;
	char		 kind;

	for (i = 0; i < len;) {
		/* copy up to the next '{', newline or NUL in one go */
		for (span = 0; i + span < len; span++) {
			if (t[i + span] == '{' || t[i + span] == '\n' ||
			    t[i + span] == '\0')
				break;
		}
		if (span > 0) {
			if (b != NULL && tb_add(b, t + i, span) == -1)
				fatal("%s: realloc", __func__);
			i += span;
			continue;
		}
		if (t[i] == '\0') {
			log_warnx("%s:%d: NUL byte in the template", name,
			    line);
			return (-1);
		}
		if (t[i] == '\n' || i + 1 >= len ||
		    strchr("{#%", t[i + 1]) == NULL || t[i + 1] == '\0') {
			if (t[i] == '\n')
				line++;
			if (b != NULL && tb_add(b, t + i, 1) == -1)
				fatal("%s: realloc", __func__);
			i++;
			continue;
		}

		/* a Jinja tag: find its end, counting lines inside */
		kind = t[i + 1];
		close = kind == '{' ? "}}" : kind == '#' ? "#}" : "%}";
		start = line;
		nl = 0;
		for (j = i + 2; j + 1 < len; j++) {
			if (t[j] == close[0] && t[j + 1] == close[1])
				break;
			if (t[j] == '\n')
				nl++;
			if (t[j] == '\0')
				break;
		}
		if (j + 1 >= len || t[j] == '\0') {
			if (j < len && t[j] == '\0')
				log_warnx("%s:%d: NUL byte in the template",
				    name, line + nl);
			else
				log_warnx("%s:%d: unclosed \"{%c\": no \"%s\" "
				    "follows", name, start, kind, close);
			return (-1);
		}
		line += nl;
		s = t + i + 2;
		e = t + j;

		if (kind == '%') {
			log_warnx("%s:%d: Jinja statements \"{%% ... %%}\" are "
			    "not supported", name, start);
			errors++;
			i = j + 2;
			continue;
		}
		/* "{{-" and "-}}" eat the white space next to the tag */
		if (s < e && *s == '-') {
			s++;
			if (b != NULL)
				tb_rtrim(b);
		}
		i = j + 2;
		if (e > s && e[-1] == '-') {
			e--;
			for (; i < len && is_jspace(t[i]); i++)
				if (t[i] == '\n')
					line++;
		}
		if (kind == '#')
			continue;

		while (s < e && is_jspace(*s))
			s++;
		while (e > s && is_jspace(e[-1]))
			e--;
		if ((size_t)(e - s) == 5 && memcmp(s, "nodes", 5) == 0) {
			nodes++;
			if (b != NULL && tmpl_nodes(name, start, conf, slots,
			    nslots, b) == -1)
				errors++;
		} else if (is_ident(s, e - s)) {
			log_warnx("%s:%d: undefined variable \"%.*s\" renders "
			    "empty", name, start, (int)(e - s), s);
		} else {
			log_warnx("%s:%d: unsupported expression in \"{{ }}\": "
			    "only {{ nodes }} is defined", name, start);
			errors++;
		}
	}
	if (errors > 0)
		return (-1);
	return (nodes);
}

/*
 * EP2's server lines, one per slot, joined by newlines with none after
 * the last.  Every address is checked again here: whatever a caller
 * got wrong, no text but a valid address and port reaches the file.
 */
static int
tmpl_nodes(const char *name, int line, const struct ep2_conf *conf,
    const struct tmpl_slot *slots, size_t nslots, struct tbuf *b)
{
	const struct server	*srv;
	char			 addr[EP2D_HOST_MAX + 8], opts[64];
	char			 l[TMPL_LINE_MAX];
	const char		*sname;
	size_t			 i;
	int			 n;

	opts[0] = '\0';
	if (conf->check_interval[0] != '\0') {
		if (memchr(conf->check_interval, '\0',
		    sizeof(conf->check_interval)) == NULL ||
		    strspn(conf->check_interval, "0123456789usmhd") !=
		    strlen(conf->check_interval)) {
			log_warnx("%s:%d: bad check_interval", name, line);
			return (-1);
		}
		strlcat(opts, " inter ", sizeof(opts));
		strlcat(opts, conf->check_interval, sizeof(opts));
	}
	if (conf->backend_maxconn >= 0) {
		n = strlen(opts);
		snprintf(opts + n, sizeof(opts) - n, " maxconn %d",
		    conf->backend_maxconn);
	}

	for (i = 0; i < nslots; i++) {
		sname = slots[i].name;
		if (memchr(sname, '\0', sizeof(slots[i].name)) == NULL ||
		    *sname == '\0' || strspn(sname, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") !=
		    strlen(sname)) {
			log_warnx("%s:%d: slot %zu: bad server name", name,
			    line, i + 1);
			return (-1);
		}
		if ((srv = slots[i].srv) == NULL)
			n = snprintf(l, sizeof(l), "    server %s %s check%s "
			    "disabled", sname, TMPL_FREE_ADDR, opts);
		else {
			if (memchr(srv->host, '\0', sizeof(srv->host)) ==
			    NULL || !addr_valid_host(srv->host) ||
			    srv->port == 0 || addr_format(srv->host, srv->port,
			    addr, sizeof(addr)) == -1) {
				log_warnx("%s:%d: %s: invalid server address "
				    "refused", name, line, sname);
				return (-1);
			}
			n = snprintf(l, sizeof(l), "    server %s %s check%s",
			    sname, addr, opts);
		}
		if (n < 0 || (size_t)n >= sizeof(l)) {
			log_warnx("%s:%d: %s: server line too long", name,
			    line, sname);
			return (-1);
		}
		if ((i > 0 && tb_add(b, "\n", 1) == -1) ||
		    tb_add(b, l, n) == -1)
			fatal("%s: realloc", __func__);
	}
	return (0);
}

/* Append, keeping the buffer NUL-terminated for the caller's ease. */
static int
tb_add(struct tbuf *b, const char *s, size_t n)
{
	char	*p;
	size_t	 ncap;

	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 4096;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((p = realloc(b->p, ncap)) == NULL)
			return (-1);
		b->p = p;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return (0);
}

static void
tb_rtrim(struct tbuf *b)
{
	while (b->len > 0 && is_jspace(b->p[b->len - 1]))
		b->len--;
	b->p[b->len] = '\0';
}

/* A Jinja name: a letter or '_', then letters, digits, '_'. */
static int
is_ident(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > TMPL_IDENT_MAX ||
	    (!isalpha((unsigned char)s[0]) && s[0] != '_'))
		return (0);
	for (i = 1; i < n; i++)
		if (!isascii((unsigned char)s[i]) ||
		    (!isalnum((unsigned char)s[i]) && s[i] != '_'))
			return (0);
	return (1);
}

static int
is_jspace(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v');
}
