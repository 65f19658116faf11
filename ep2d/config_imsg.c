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
 * The configuration from the parent, which alone parses ep2.conf, to
 * each child: its part only, as relayd's config_setrelay() and
 * config_getrelay() do.  IMSG_CONF_START carries the part every
 * backend shares (struct conf_fetcher or conf_reloader) and announces
 * the backends, one IMSG_CONF_BACKEND each follows, in order, and
 * IMSG_CONF_END counts them.  The child takes nothing it has not
 * checked: each message's exact length, its place in the sequence, the
 * count, and every value as the parser could have left it (config.c's
 * table says how).  Anything else is refused whole, with one line, and
 * the configuration in use stays.
 */

#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep2d.h"
#include "imsg.h"
#include "log.h"

/* each message in one imsg, whatever the build */
_Static_assert(sizeof(struct conf_fetcher) <= EP2D_MAX_IMSGSIZE -
    IMSG_HEADER_SIZE, "struct conf_fetcher in one imsg");
_Static_assert(sizeof(struct conf_reloader) <= EP2D_MAX_IMSGSIZE -
    IMSG_HEADER_SIZE, "struct conf_reloader in one imsg");
_Static_assert(sizeof(struct backend_conf) <= EP2D_MAX_IMSGSIZE -
    IMSG_HEADER_SIZE, "struct backend_conf in one imsg");

enum {
	CG_IDLE,		/* waiting for IMSG_CONF_START */
	CG_BACKENDS,		/* taking IMSG_CONF_BACKEND, then END */
	CG_SKIP			/* refused: the rest dropped up to END */
};

static int	 config_refuse(struct conf_get *, const char *);
static int	 config_refuse_key(struct conf_get *, const char *);
static int	 config_get_start(struct conf_get *, struct imsg *);
static int	 config_get_backend(struct conf_get *, struct imsg *);

/*
 * The fetcher's part: what its sources read (the Consul connection,
 * the AWS keys and endpoints, two [haproxy] keys) and every backend.
 * fd, when not -1, goes with IMSG_CONF_START: the log file, at start.
 */
int
config_setfetcher(struct imsgbuf *ibuf, const struct ep2_conf *c, int fd)
{
	struct conf_fetcher	*cf;
	struct backend_conf	*b;
	uint32_t		 n = c->nbackends;
	int			 i, r = -1;

	if ((cf = calloc(1, sizeof(*cf))) == NULL ||
	    (b = calloc(1, sizeof(*b))) == NULL)
		fatal("%s: calloc", __func__);
	cf->nbackends = n;
	cf->sleep_before_next_run = c->sleep_before_next_run;
	cf->keep_on_empty = c->keep_on_empty;
	cf->consul = c->consul;
	cf->aws = c->aws;
	if (imsg_compose(ibuf, IMSG_CONF_START, 0, 0, fd, cf,
	    sizeof(*cf)) == -1)
		goto done;
	for (i = 0; i < c->nbackends; i++) {
		/* where the parent keeps the shared keys is not the child's */
		memcpy(b, c->backends[i], sizeof(*b));
		b->conf = NULL;
		if (imsg_compose(ibuf, IMSG_CONF_BACKEND, 0, 0, -1, b,
		    sizeof(*b)) == -1)
			goto done;
	}
	if (imsg_compose(ibuf, IMSG_CONF_END, 0, 0, -1, &n, sizeof(n)) == -1)
		goto done;
	r = 0;
done:
	freezero(cf, sizeof(*cf));
	free(b);
	return (r);
}

/* The reloader's part: its runner's run_conf, and no backend. */
int
config_setreloader(struct imsgbuf *ibuf, const struct ep2_conf *c, int fd)
{
	struct conf_reloader	*cr;
	uint32_t		 n = 0;
	int			 r = -1;

	if ((cr = calloc(1, sizeof(*cr))) == NULL)
		fatal("%s: calloc", __func__);
	cr->run = c->run;
	if (imsg_compose(ibuf, IMSG_CONF_START, 0, 0, fd, cr,
	    sizeof(*cr)) != -1 &&
	    imsg_compose(ibuf, IMSG_CONF_END, 0, 0, -1, &n, sizeof(n)) != -1)
		r = 0;
	free(cr);
	return (r);
}

void
config_getinit(struct conf_get *g, enum ep2d_proc proc)
{
	memset(g, 0, sizeof(*g));
	g->proc = proc;
	g->state = CG_IDLE;
	g->fd = -1;
}

/* What came of a configuration not taken, given back. */
void
config_getclear(struct conf_get *g)
{
	config_free(g->conf);
	g->conf = NULL;
	free(g->run);
	g->run = NULL;
	if (g->fd != -1)
		close(g->fd);
	g->fd = -1;
	g->want = g->got = 0;
}

/* A refusal: said by the caller; the rest of it is dropped. */
static int
config_refuse(struct conf_get *g, const char *why)
{
	config_getclear(g);
	g->why = why;
	g->state = CG_SKIP;
	return (-1);
}

static int
config_refuse_key(struct conf_get *g, const char *key)
{
	static char	 why[96];

	snprintf(why, sizeof(why), "a value of %s the file could not hold",
	    key);
	return (config_refuse(g, why));
}

/*
 * One message of the sequence.  1: the whole part is in g->conf (the
 * fetcher's) or g->run (the reloader's), with g->fd, for the caller to
 * take (and set to NULL, -1); 0: more to come, or the rest of a refused
 * one; -1: refused, g->why says why.
 */
int
config_get(struct conf_get *g, struct imsg *imsg)
{
	uint32_t	 n;
	int		 r;

	switch (imsg_get_type(imsg)) {
	case IMSG_CONF_START:
		if (g->state == CG_BACKENDS)
			return (config_refuse(g, "a configuration begun "
			    "before the last one ended"));
		return (config_get_start(g, imsg));
	case IMSG_CONF_BACKEND:
		if (g->state == CG_SKIP)
			return (0);
		if (g->state != CG_BACKENDS)
			return (config_refuse(g, "a backend outside a "
			    "configuration"));
		return (config_get_backend(g, imsg));
	case IMSG_CONF_END:
		if (g->state == CG_SKIP) {
			g->state = CG_IDLE;
			return (0);
		}
		/* refused or taken, the end is the end of it */
		if (g->state != CG_BACKENDS)
			r = config_refuse(g, "the end of a configuration "
			    "never begun");
		else if (imsg_get_data(imsg, &n, sizeof(n)) == -1)
			r = config_refuse(g, "an end of the wrong length");
		else if (n != g->want || g->got != n)
			r = config_refuse(g, "the count of backends does not "
			    "match");
		else
			r = 1;
		g->state = CG_IDLE;
		return (r);
	}
	return (config_refuse(g, "not a configuration message"));
}

static int
config_get_start(struct conf_get *g, struct imsg *imsg)
{
	struct conf_fetcher	*cf;
	struct conf_reloader	*cr;
	struct backend_conf	**nb;
	struct ep2_conf		*c;
	const char		*key;
	int			 fd;

	config_getclear(g);
	g->state = CG_BACKENDS;
	/* a descriptor is the child's to close, whatever comes next */
	if ((fd = imsg_get_fd(imsg)) != -1)
		g->fd = fd;

	if (g->proc == PROC_RELOADER) {
		if ((cr = malloc(sizeof(*cr))) == NULL)
			fatal("%s: malloc", __func__);
		if (imsg_get_data(imsg, cr, sizeof(*cr)) == -1) {
			free(cr);
			return (config_refuse(g, "a configuration of the "
			    "wrong length"));
		}
		if (cr->nbackends != 0) {
			free(cr);
			return (config_refuse(g, "backends for the "
			    "reloader"));
		}
		if (config_valid(&cr->run, offsetof(struct ep2_conf, run),
		    sizeof(cr->run), &key) == -1) {
			free(cr);
			return (config_refuse_key(g, key));
		}
		if ((g->run = malloc(sizeof(*g->run))) == NULL)
			fatal("%s: malloc", __func__);
		memcpy(g->run, &cr->run, sizeof(*g->run));
		free(cr);
		return (0);
	}

	if ((cf = malloc(sizeof(*cf))) == NULL)
		fatal("%s: malloc", __func__);
	if (imsg_get_data(imsg, cf, sizeof(*cf)) == -1) {
		free(cf);
		return (config_refuse(g, "a configuration of the wrong "
		    "length"));
	}
	if (cf->nbackends == 0 || cf->nbackends > EP2D_MAX_BACKENDS) {
		freezero(cf, sizeof(*cf));
		return (config_refuse(g, "no backend, or too many"));
	}
	if ((c = config_new()) == NULL ||
	    (nb = reallocarray(c->backends, cf->nbackends,
	    sizeof(*nb))) == NULL)
		fatal("%s: malloc", __func__);
	c->backends = nb;
	g->conf = c;
	g->want = cf->nbackends;
	c->sleep_before_next_run = cf->sleep_before_next_run;
	c->keep_on_empty = cf->keep_on_empty;
	memcpy(&c->consul, &cf->consul, sizeof(c->consul));
	memcpy(&c->aws, &cf->aws, sizeof(c->aws));
	freezero(cf, sizeof(*cf));
	if (config_valid(c, 0, offsetof(struct ep2_conf, nbackends),
	    &key) == -1)
		return (config_refuse_key(g, key));
	return (0);
}

/* Backend g->got, in its place: 0 is the configuration's own. */
static int
config_get_backend(struct conf_get *g, struct imsg *imsg)
{
	struct ep2_conf		*c = g->conf;
	struct backend_conf	*b;
	const char		*key;

	if (c == NULL || g->got >= g->want)
		return (config_refuse(g, "more backends than announced"));
	if (imsg_get_len(imsg) != sizeof(*b))
		return (config_refuse(g, "a backend of the wrong length"));
	if (g->got == 0)
		b = &c->backend0;
	else if ((b = calloc(1, sizeof(*b))) == NULL)
		fatal("%s: calloc", __func__);
	if (imsg_get_data(imsg, b, sizeof(*b)) == -1)
		fatal("%s: imsg_get_data", __func__);
	if (b->conf != NULL || b->index != g->got) {
		if (b != &c->backend0)
			free(b);
		return (config_refuse(g, "a backend out of its place"));
	}
	b->conf = c;
	if (g->got > 0) {
		c->backends[g->got] = b;
		c->nbackends = g->got + 1;
	}
	g->got++;
	if (config_valid_backend(b, &key) == -1)
		return (config_refuse_key(g, key));
	return (0);
}

/*
 * A child at its start: nothing comes before its configuration, which
 * it waits for on ibuf (the parent's socket, non-blocking) before it
 * sets anything up.  Whatever is refused, or comes first, ends it: it
 * has nothing to run with.  What follows the configuration stays in
 * ibuf for the event loop.
 */
void
config_wait(struct imsgbuf *ibuf, struct conf_get *g)
{
	struct pollfd	 pfd;
	struct imsg	 imsg;
	ssize_t		 n;
	int		 r = 0;

	while (r == 0) {
		pfd.fd = ibuf->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("%s: poll", __func__);
		}
		if ((n = imsgbuf_read(ibuf)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			fatal("%s: read from the parent", __func__);
		}
		if (n == 0)
			exit(0);	/* the parent is gone; it reports */
		while (r == 0 && (n = imsg_get(ibuf, &imsg)) > 0) {
			switch (imsg_get_type(&imsg)) {
			case IMSG_CONF_START:
			case IMSG_CONF_BACKEND:
			case IMSG_CONF_END:
				r = config_get(g, &imsg);
				break;
			default:
				fatalx("the parent: imsg %u before the "
				    "configuration", imsg_get_type(&imsg));
			}
			imsg_free(&imsg);
			if (r == -1)
				fatalx("the parent's configuration refused: %s",
				    g->why);
		}
		if (n == -1)
			fatal("%s: imsg_get", __func__);
	}
}
