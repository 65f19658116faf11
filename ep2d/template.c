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
 * an undefined variable), "{{ nodes.NAME }}" for the servers of
 * [backend NAME] when ep2.conf has several backends, "{# comments #}" and the '-' whitespace
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
	/* with a map: lmap[k] is the template line of output line k + 1 */
	int	*lmap;
	size_t	 nlines;
	size_t	 lcap;
	int	 line;		/* the template line being rendered */
	int	 map;
};

static int	 tmpl_walk(const char *, size_t, const char *,
		    const struct tmpl_backend *, size_t, int *, struct tbuf *);
static int	 tmpl_label(const char *, size_t, const char **, size_t *);
static void	 tmpl_undefined(const char *, int, const char *, size_t,
		    const char *, const char *);
static int	 tmpl_sections(const char *, size_t, const char *,
		    const struct ep2_conf *);
static int	 tmpl_nodes(const char *, int, const struct backend_conf *,
		    const struct tmpl_slot *, size_t, struct tbuf *);
static int	 tb_add(struct tbuf *, const char *, size_t);
static int	 tb_line(struct tbuf *);
static void	 tb_rtrim(struct tbuf *);
static int	 is_ident(const char *, size_t);
static int	 is_jspace(char);

/* One backend's servers, the only ones: where {{ nodes }} is. */
int
template_render(const char *tmpl, size_t len, const char *name,
    const struct backend_conf *be, const struct tmpl_slot *slots,
    size_t nslots, char **out, size_t *outlen)
{
	struct tmpl_backend	 tb;

	tb.be = be;
	tb.slots = slots;
	tb.nslots = nslots;
	return (template_render_backends(tmpl, len, name, &tb, 1, out,
	    outlen));
}

/*
 * Every backend's server list where the template names it; each
 * backend must be named at least once.
 */
int
template_render_backends(const char *tmpl, size_t len, const char *name,
    const struct tmpl_backend *bes, size_t nbes, char **out, size_t *outlen)
{
	return (template_render_map(tmpl, len, name, bes, nbes, out, outlen,
	    NULL, NULL));
}

/*
 * The same, and with lmap the template line each line of the output
 * comes from (*lmap[k] for line k + 1; a server line: the line of its
 * {{ nodes }}), so that what HAProxy says of the output can name the
 * template.
 */
int
template_render_map(const char *tmpl, size_t len, const char *name,
    const struct tmpl_backend *bes, size_t nbes, char **out, size_t *outlen,
    int **lmap, size_t *nlines)
{
	struct tbuf	 b;
	int		*counts;
	size_t		 i;

	*out = NULL;
	*outlen = 0;
	if (lmap != NULL) {
		*lmap = NULL;
		*nlines = 0;
	}
	if (nbes == 0 || nbes > EP2D_MAX_BACKENDS) {
		log_warnx("%s: %zu backends to render", name, nbes);
		return (-1);
	}
	memset(&b, 0, sizeof(b));
	b.map = lmap != NULL;
	b.line = 1;
	/* the output holds the template and every server line */
	if (tb_add(&b, "", 0) == -1 ||
	    (counts = calloc(nbes, sizeof(*counts))) == NULL)
		fatal("%s: malloc", __func__);
	if (tmpl_walk(tmpl, len, name, bes, nbes, counts, &b) == -1)
		goto fail;
	for (i = 0; i < nbes; i++) {
		if (counts[i] > 0)
			continue;
		if (bes[i].be->label[0] == '\0')
			log_warnx("%s: no {{ nodes }} in the template: the "
			    "servers would never reach haproxy.cfg", name);
		else
			log_warnx("%s: no {{ nodes.%s }} in the template: the "
			    "servers of [backend %s] would never reach "
			    "haproxy.cfg", name, bes[i].be->label,
			    bes[i].be->label);
		goto fail;
	}
	free(counts);
	*out = b.p;
	*outlen = b.len;
	if (lmap != NULL) {
		*lmap = b.lmap;
		*nlines = b.nlines;
	}
	return (0);
fail:
	free(counts);
	free(b.p);
	free(b.lmap);
	return (-1);
}

/*
 * ep2.conf and the template together: every backend of the file has
 * its {{ nodes.NAME }} (and [haproxy] its {{ nodes }}), no tag names
 * a backend the file lacks and, with several backends, each list sits
 * in the HAProxy section of its backend_name.
 */
int
template_check_backends(const char *tmpl, size_t len, const char *name,
    const struct ep2_conf *conf)
{
	struct tmpl_backend	*bes;
	int			*counts;
	int			 i, nb, errors = 0;

	nb = conf->nbackends;
	if ((bes = calloc(nb, sizeof(*bes))) == NULL ||
	    (counts = calloc(nb, sizeof(*counts))) == NULL)
		fatal("%s: calloc", __func__);
	for (i = 0; i < nb; i++)
		bes[i].be = conf->backends[i];
	if (tmpl_walk(tmpl, len, name, bes, nb, counts, NULL) == -1) {
		errors++;
		goto done;
	}
	for (i = 0; i < nb; i++) {
		if (counts[i] > 0)
			continue;
		if (i == 0)
			log_warnx("%s: no {{ nodes }} in the template: the "
			    "servers would never reach haproxy.cfg", name);
		else
			log_warnx("%s: no {{ nodes.%s }} in the template for "
			    "[backend %s]", name, conf->backends[i]->label,
			    conf->backends[i]->label);
		errors++;
	}
	/*
	 * One backend in update_by_config: backend_name names nothing
	 * ep2d uses (as in EP2).  With update_by_runtime every change goes
	 * to backend_name's slots: they must be where {{ nodes }} is.
	 */
	if (errors == 0 && (nb > 1 ||
	    conf->backends[0]->update_type == UPDATE_RUNTIME) &&
	    tmpl_sections(tmpl, len, name, conf) == -1)
		errors++;
done:
	free(bes);
	free(counts);
	return (errors > 0 ? -1 : 0);
}

int
template_check(const char *tmpl, size_t len, const char *name)
{
	int	 n;

	if ((n = tmpl_walk(tmpl, len, name, NULL, 0, NULL, NULL)) == -1)
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
 * b is NULL).  With bes, each {{ nodes }} and {{ nodes.NAME }} must
 * name one of them (counts[k]: how often backend k is named); without,
 * any NAME is taken.  Returns how many times {{ nodes }} appears, or -1
 * after logging every error found.
 */
static int
tmpl_walk(const char *t, size_t len, const char *name,
    const struct tmpl_backend *bes, size_t nbes, int *counts,
    struct tbuf *b)
{
	const char	*close, *s, *e, *label;
	size_t		 i, j, k, span, llen;
	int		 line = 1, start, errors = 0, nodes = 0, nl;
	char		 kind;

	if (counts != NULL)
		for (k = 0; k < nbes; k++)
			counts[k] = 0;

	for (i = 0; i < len;) {
		/* copy up to the next '{', newline or NUL in one go */
		for (span = 0; i + span < len; span++) {
			if (t[i + span] == '{' || t[i + span] == '\n' ||
			    t[i + span] == '\0')
				break;
		}
		if (b != NULL)
			b->line = line;
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
			if (b != NULL)
				b->line = line;
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
		if (tmpl_label(s, e - s, &label, &llen) == 0) {
			if (llen == 0)
				nodes++;
			if (bes == NULL)
				continue;
			for (k = 0; k < nbes; k++)
				if (strlen(bes[k].be->label) == llen &&
				    memcmp(bes[k].be->label, label, llen) == 0)
					break;
			if (k == nbes) {
				if (llen == 0)
					log_warnx("%s:%d: {{ nodes }}: no "
					    "[haproxy] backend here", name,
					    start);
				else
					log_warnx("%s:%d: {{ nodes.%.*s }}: no "
					    "[backend %.*s] in the "
					    "configuration", name, start,
					    (int)llen, label, (int)llen,
					    label);
				errors++;
				continue;
			}
			counts[k]++;
			if (b != NULL)
				b->line = start;
			if (b != NULL && tmpl_nodes(name, start, bes[k].be,
			    bes[k].slots, bes[k].nslots, b) == -1)
				errors++;
		} else if (is_ident(s, e - s)) {
			/* said by template_check and each render, once each */
			if (bes == NULL || b != NULL)
				tmpl_undefined(name, start, t, len, s, e);
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
 * An undefined name renders empty, as Jinja renders it (and so EP2).
 * Inside an HAProxy condition that is a trap: "if {{ ssl_fc }}" was
 * meant as HAProxy's anonymous ACL "{ ssl_fc }", and leaves an empty
 * "if", which HAProxy takes and never matches ("unless": always).
 * s and e delimit the name inside the tag, on template line line.
 */
static void
tmpl_undefined(const char *name, int line, const char *t, size_t len,
    const char *s, const char *e)
{
	const char	*ls, *le, *w, *kw = NULL, *x;
	size_t		 wl, kwl = 0;
	int		 n = (int)(e - s), alone = 1;

	for (ls = s; ls > t && ls[-1] != '\n'; ls--)
		;
	for (le = e; le < t + len && *le != '\n'; le++)
		;
	/* the last "if" or "unless" word before the tag */
	for (w = ls; w < s; w += wl) {
		while (w < s && is_jspace(*w))
			w++;
		for (wl = 0; w + wl < s && !is_jspace(w[wl]); wl++)
			;
		if ((wl == 2 && memcmp(w, "if", 2) == 0) ||
		    (wl == 6 && memcmp(w, "unless", 6) == 0)) {
			kw = w;
			kwl = wl;
		}
	}
	if (kw == NULL) {
		log_warnx("%s:%d: undefined variable \"%.*s\" renders empty",
		    name, line, n, s);
		return;
	}
	/* nothing else to test: only '!', space and the tag's braces */
	for (x = kw + kwl; x < s; x++)
		if (!is_jspace(*x) && strchr("!{-", *x) == NULL)
			alone = 0;
	for (x = e; x < le; x++)
		if (!is_jspace(*x) && strchr("}-", *x) == NULL)
			alone = 0;
	if (!alone)
		log_warnx("%s:%d: {{ %.*s }} renders empty (an undefined name, "
		    "as Jinja and EP2 render it): the rule's condition loses "
		    "that test; HAProxy reads \"{ %.*s }\", with single "
		    "braces, as an anonymous ACL", name, line, n, s, n, s);
	else if (kwl == 2)
		log_warnx("%s:%d: {{ %.*s }} renders empty (an undefined name, "
		    "as Jinja and EP2 render it): the rule is left with an "
		    "empty \"if\", which never matches, so it can never fire "
		    "as written; HAProxy reads \"{ %.*s }\", with single "
		    "braces, as an anonymous ACL", name, line, n, s, n, s);
	else
		log_warnx("%s:%d: {{ %.*s }} renders empty (an undefined name, "
		    "as Jinja and EP2 render it): the rule is left with an "
		    "empty \"unless\", which always matches, so it fires every "
		    "time; HAProxy reads \"{ %.*s }\", with single braces, as "
		    "an anonymous ACL", name, line, n, s, n, s);
}

/*
 * "nodes" (label "") or "nodes.NAME" (label NAME, a Jinja name): 0, or
 * -1 when the expression is something else.
 */
static int
tmpl_label(const char *s, size_t n, const char **label, size_t *llen)
{
	if (n < 5 || memcmp(s, "nodes", 5) != 0)
		return (-1);
	if (n == 5) {
		*label = s + 5;
		*llen = 0;
		return (0);
	}
	if (s[5] != '.' || !is_ident(s + 6, n - 6))
		return (-1);
	*label = s + 6;
	*llen = n - 6;
	return (0);
}

/*
 * With several backends, a server list in the wrong HAProxy section
 * would fill the wrong backend: each {{ nodes[.NAME] }} must follow a
 * "backend X" or "listen X" line whose X is that backend's name.  A
 * light scan of the lines, as HAProxy reads its section keywords.
 */
static int
tmpl_sections(const char *t, size_t len, const char *name,
    const struct ep2_conf *conf)
{
	static const char	*others[] = { "global", "defaults", "frontend",
				    "peers", "resolvers", "userlist",
				    "mailers", "program", "cache", "ring",
				    "http-errors" };
	char			 cur[EP2D_NAME_MAX];
	const struct backend_conf *be = NULL;
	const char		*l, *end, *w, *x, *label;
	size_t			 wl, i, llen, xl;
	int			 line = 0, errors = 0, k, nb, in = 0, cin = 0;

	nb = conf->nbackends;
	cur[0] = '\0';
	for (l = t; l < t + len; l = end + 1) {
		line++;
		if ((end = memchr(l, '\n', t + len - l)) == NULL)
			end = t + len;
		for (w = l; w < end && is_jspace(*w); w++)
			;
		for (wl = 0; w + wl < end && !is_jspace(w[wl]); wl++)
			;
		if (cin)
			wl = 0;		/* a line of a comment: no section */
		if ((wl == 7 && memcmp(w, "backend", 7) == 0) ||
		    (wl == 6 && memcmp(w, "listen", 6) == 0)) {
			for (x = w + wl; x < end && is_jspace(*x); x++)
				;
			for (xl = 0; x + xl < end && !is_jspace(x[xl]); xl++)
				;
			if (xl >= sizeof(cur))
				xl = 0;
			memcpy(cur, x, xl);
			cur[xl] = '\0';
			in = 1;
		} else {
			for (i = 0; i < sizeof(others) / sizeof(others[0]);
			    i++)
				if (strlen(others[i]) == wl &&
				    memcmp(w, others[i], wl) == 0)
					in = 0;
		}
		/* the tags on this line, none inside a {# comment #} */
		for (x = l; x + 1 < end; x++) {
			if (cin) {
				if (x[0] == '#' && x[1] == '}') {
					cin = 0;
					x++;
				}
				continue;
			}
			if (x[0] == '{' && x[1] == '#') {
				cin = 1;
				x++;
				continue;
			}
			if (x[0] != '{' || x[1] != '{')
				continue;
			for (x += 2; x < end && (is_jspace(*x) || *x == '-');
			    x++)
				;
			for (xl = 0; x + xl < end && (isalnum((unsigned char)
			    x[xl]) || x[xl] == '_' || x[xl] == '.'); xl++)
				;
			if (tmpl_label(x, xl, &label, &llen) == -1)
				continue;
			for (k = 0; k < nb; k++) {
				be = conf->backends[k];
				if (strlen(be->label) == llen &&
				    memcmp(be->label, label, llen) == 0)
					break;
			}
			if (k == nb)
				continue;
			if (in && strcmp(cur, be->backend_name) == 0)
				continue;
			log_warnx("%s:%d: {{ nodes%s%.*s }} is not in "
			    "\"backend %s\" (its backend_name)%s%s%s", name,
			    line, llen ? "." : "", (int)llen, label,
			    be->backend_name, in ? " but in " : "",
			    in ? cur : "",
			    be->update_type == UPDATE_RUNTIME ? ": "
			    "update_by_runtime would change the servers of "
			    "a backend that has none of these slots" : "");
			errors++;
		}
	}
	return (errors > 0 ? -1 : 0);
}

/*
 * EP2's server lines, one per slot, joined by newlines with none after
 * the last.  Every address is checked again here: whatever a caller
 * got wrong, no text but a valid address and port reaches the file.
 */
static int
tmpl_nodes(const char *name, int line, const struct backend_conf *be,
    const struct tmpl_slot *slots, size_t nslots, struct tbuf *b)
{
	const struct server	*srv;
	char			 addr[EP2D_HOST_MAX + 8], opts[64], wopt[16];
	char			 l[TMPL_LINE_MAX];
	const char		*sname;
	size_t			 i;
	int			 n;

	opts[0] = '\0';
	if (be->check_interval[0] != '\0') {
		if (memchr(be->check_interval, '\0',
		    sizeof(be->check_interval)) == NULL ||
		    strspn(be->check_interval, "0123456789usmhd") !=
		    strlen(be->check_interval)) {
			log_warnx("%s:%d: bad check_interval", name, line);
			return (-1);
		}
		strlcat(opts, " inter ", sizeof(opts));
		strlcat(opts, be->check_interval, sizeof(opts));
	}
	if (be->backend_maxconn >= 0) {
		n = strlen(opts);
		snprintf(opts + n, sizeof(opts) - n, " maxconn %d",
		    be->backend_maxconn);
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
		else if (srv->weight != 0 && srv->weight != EP2D_WEIGHT_ZERO &&
		    srv->weight > EP2D_WEIGHT_MAX) {
			log_warnx("%s:%d: %s: invalid weight refused", name,
			    line, sname);
			return (-1);
		} else {
			if (memchr(srv->host, '\0', sizeof(srv->host)) ==
			    NULL || !addr_valid_host(srv->host) ||
			    srv->port == 0 || addr_format(srv->host, srv->port,
			    addr, sizeof(addr)) == -1) {
				log_warnx("%s:%d: %s: invalid server address "
				    "refused", name, line, sname);
				return (-1);
			}
			/* a weight from the orchestrator (Consul) */
			wopt[0] = '\0';
			if (srv->weight != 0)
				snprintf(wopt, sizeof(wopt), " weight %u",
				    srv->weight == EP2D_WEIGHT_ZERO ? 0 :
				    srv->weight);
			n = snprintf(l, sizeof(l), "    server %s %s check%s%s",
			    sname, addr, opts, wopt);
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
	size_t	 ncap, i;

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
	if (!b->map)
		return (0);
	if (b->nlines == 0 && tb_line(b) == -1)
		return (-1);
	for (i = 0; i < n; i++)
		if (s[i] == '\n' && tb_line(b) == -1)
			return (-1);
	return (0);
}

/* The output's next line begins: it comes from template line b->line. */
static int
tb_line(struct tbuf *b)
{
	int	*p;
	size_t	 ncap;

	if (b->nlines == b->lcap) {
		ncap = b->lcap ? b->lcap * 2 : 256;
		if ((p = reallocarray(b->lmap, ncap, sizeof(*p))) == NULL)
			return (-1);
		b->lmap = p;
		b->lcap = ncap;
	}
	b->lmap[b->nlines++] = b->line;
	return (0);
}

static void
tb_rtrim(struct tbuf *b)
{
	while (b->len > 0 && is_jspace(b->p[b->len - 1])) {
		if (b->map && b->p[b->len - 1] == '\n' && b->nlines > 1)
			b->nlines--;
		b->len--;
	}
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
