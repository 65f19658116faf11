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
 * HAProxy's runtime API, as HAProxy 2.6 really answers it: the stats
 * socket closes after one command line unless the client enters
 * "prompt" mode, where every answer ends with "\n> ".  All commands of
 * a batch are written at once after "prompt", the answers are cut at
 * each "\n> " and matched to the commands in order.  An empty answer
 * is success for state and weight commands; "set server ... addr"
 * answers text on success as on failure, so its answer is matched
 * against the success texts.  Every command line is checked before it
 * is queued: no control character (no newline) and no ';' (HAProxy's
 * command separator) can reach the socket.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "log.h"
#include "haproxy.h"

#define HAP_LINE_MAX	1024
#define HAP_DELIM	"\n> "
#define HAP_DELIMLEN	3
#define HAP_READ_CHUNK	65536
#define HAP_ANSWER_MAX	(64 * 1024 * 1024)	/* a runaway answer */

static int	 hap_connect(struct hap_batch *);
static int	 hap_io(struct hap_batch *, short);
static void	 hap_finish(struct hap_batch *);
static void	 hap_event(int, short, void *);
static void	 hap_timeout(int, short, void *);
static void	 hap_close(struct hap_batch *);
static int	 hap_fail(struct hap_batch *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 hap_rearm(struct hap_batch *);
static struct hap_gate *hap_gate(const char *);
static void	 hap_gate_leave(struct hap_batch *);
static int	 hap_go(struct hap_batch *);

/*
 * One socket's turns (HAP_PATH_CONNS), shared by every backend's
 * batches: a few paths (haproxy_socket_file), kept for the process's
 * life.
 */
struct hap_gate {
	LIST_ENTRY(hap_gate)	 entry;
	char			 path[PATH_MAX];
	int			 active;
	TAILQ_HEAD(, hap_batch)	 waiting;
};
static LIST_HEAD(, hap_gate) hap_gates = LIST_HEAD_INITIALIZER(hap_gates);

struct hap_batch *
hap_batch_new(const char *path)
{
	struct hap_batch	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	if (strlcpy(b->path, path, sizeof(b->path)) >= sizeof(b->path)) {
		free(b);
		errno = ENAMETOOLONG;
		return (NULL);
	}
	b->fd = -1;
	return (b);
}

void
hap_batch_free(struct hap_batch *b)
{
	size_t	 i;

	if (b == NULL)
		return;
	hap_close(b);
	for (i = 0; i < b->ncmds; i++)
		free(b->cmds[i].line);
	free(b->cmds);
	free(b->wbuf);
	free(b->rbuf);
	free(b);
}

/*
 * A command line may hold printable ASCII only: no newline (a second
 * command), no ';' (HAProxy's separator), nothing HAProxy would cut.
 */
int
hap_line_ok(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++, n++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == ';')
			return (0);
	}
	return (n > 0 && n < HAP_LINE_MAX);
}

/* A backend or server name as it may appear in "BACKEND/SERVER". */
int
hap_name_ok(const char *s)
{
	size_t	 n;

	n = strlen(s);
	return (n > 0 && n < 128 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") == n);
}

int
hap_batch_add(struct hap_batch *b, enum hap_expect expect, const char *fmt,
    ...)
{
	struct hap_cmd	*c;
	va_list		 ap;
	char		*line;
	size_t		 ncap;
	int		 n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n == -1)
		return (-1);
	if (!hap_line_ok(line)) {
		log_warnx("%s: runtime command refused (bad character or "
		    "length)", b->path);
		free(line);
		errno = EINVAL;
		return (-1);
	}
	if (b->ncmds == b->capcmds) {
		ncap = b->capcmds ? b->capcmds * 2 : 16;
		if ((c = reallocarray(b->cmds, ncap, sizeof(*c))) == NULL) {
			free(line);
			return (-1);
		}
		b->cmds = c;
		b->capcmds = ncap;
	}
	c = &b->cmds[b->ncmds++];
	memset(c, 0, sizeof(*c));
	c->line = line;
	c->expect = expect;
	return (0);
}

/* Does the answer of a command say it worked? */
int
hap_answer_ok(enum hap_expect expect, const char *a, size_t len)
{
	while (len > 0 && (a[len - 1] == '\n' || a[len - 1] == '\r'))
		len--;
	switch (expect) {
	case HAP_EMPTY:
		return (len == 0);
	case HAP_ADDR:
		if (len >= 15 && memcmp(a, "IP changed from", 15) == 0)
			return (1);
		if (len >= 26 && memcmp(a, "no need to change the addr", 26) ==
		    0)
			return (1);
		if (len >= 12 && memcmp(a, "port changed", 12) == 0)
			return (1);
		return (0);
	case HAP_TEXT:
		if (len >= 15 && memcmp(a, "Unknown command", 15) == 0)
			return (0);
		if (len >= 17 && memcmp(a, "Permission denied", 17) == 0)
			return (0);
		if (len >= 19 && memcmp(a, "Can't find backend.", 19) == 0)
			return (0);
		if (len >= 16 && memcmp(a, "No such backend.", 16) == 0)
			return (0);
		return (1);
	}
	return (0);
}

static int
hap_fail(struct hap_batch *b, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
	b->status = -1;
	return (-1);
}

static void
hap_close(struct hap_batch *b)
{
	hap_gate_leave(b);
	if (b->async) {
		if (b->evflags)
			event_del(&b->ev);
		evtimer_del(&b->tev);
		b->async = 0;
		b->evflags = 0;
	}
	if (b->fd != -1) {
		close(b->fd);
		b->fd = -1;
	}
}

/* Queue "prompt" and every command; connect without blocking. */
static int
hap_connect(struct hap_batch *b)
{
	struct sockaddr_un	 sun;
	size_t			 i, len, off;
	int			 r;

	b->status = 0;
	b->err[0] = '\0';
	b->woff = b->rlen = b->rscan = b->fstart = b->nframes = 0;
	b->connected = 0;
	len = sizeof("prompt\n") - 1;
	for (i = 0; i < b->ncmds; i++)
		len += strlen(b->cmds[i].line) + 1;
	free(b->wbuf);
	if ((b->wbuf = malloc(len + 1)) == NULL)
		return (hap_fail(b, "malloc: %s", strerror(errno)));
	memcpy(b->wbuf, "prompt\n", 7);
	off = 7;
	for (i = 0; i < b->ncmds; i++) {
		len = strlen(b->cmds[i].line);
		memcpy(b->wbuf + off, b->cmds[i].line, len);
		off += len;
		b->wbuf[off++] = '\n';
		b->cmds[i].ok = 0;
		b->cmds[i].answer = NULL;
	}
	b->wlen = off;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, b->path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return (hap_fail(b, "socket path too long"));
	if (b->connect != NULL)
		r = b->connect(b->path, &b->fd);
	else if ((b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return (hap_fail(b, "socket: %s", strerror(errno)));
	else
		r = connect(b->fd, (struct sockaddr *)&sun, sizeof(sun));
	if (r == -1) {
		/* EAGAIN on a unix socket: backlog full, nothing pending */
		if (errno != EINPROGRESS)
			return (hap_fail(b, "connect: %s", strerror(errno)));
	} else
		b->connected = 1;
	return (0);
}

/*
 * One step: write what the socket takes, read what is there, cut the
 * answers.  Returns 1 when every answer is in, 0 to wait, -1 on error.
 */
static int
hap_io(struct hap_batch *b, short events)
{
	struct hap_cmd	*c;
	char		*p, *d;
	ssize_t		 n;
	size_t		 ncap;
	socklen_t	 sl;
	int		 soerr;

	if (!b->connected && (events & (EV_WRITE | EV_READ))) {
		sl = sizeof(soerr);
		if (getsockopt(b->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) ==
		    -1)
			return (hap_fail(b, "connect: %s", strerror(errno)));
		if (soerr != 0)
			return (hap_fail(b, "connect: %s", strerror(soerr)));
		b->connected = 1;
	}
	if (!b->connected)
		return (0);
	if (b->woff < b->wlen && (events & EV_WRITE)) {
		n = send(b->fd, b->wbuf + b->woff, b->wlen - b->woff,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				return (hap_fail(b, "write: %s",
				    strerror(errno)));
		} else
			b->woff += n;
	}
	if (!(events & EV_READ))
		return (0);
	for (;;) {
		if (b->rcap - b->rlen < HAP_READ_CHUNK / 4) {
			ncap = b->rcap ? b->rcap * 2 : HAP_READ_CHUNK;
			if (ncap > HAP_ANSWER_MAX)
				return (hap_fail(b, "answer too long"));
			if ((p = realloc(b->rbuf, ncap)) == NULL)
				return (hap_fail(b, "realloc: %s",
				    strerror(errno)));
			b->rbuf = p;
			b->rcap = ncap;
		}
		n = recv(b->fd, b->rbuf + b->rlen, b->rcap - b->rlen - 1, 0);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return (hap_fail(b, "read: %s", strerror(errno)));
		}
		if (n == 0)
			return (hap_fail(b, "connection closed after %zu of "
			    "%zu answers", b->nframes ? b->nframes - 1 : 0,
			    b->ncmds));
		b->rlen += n;
		b->rbuf[b->rlen] = '\0';

		/* cut the answers */
		while (b->nframes <= b->ncmds) {
			d = memmem(b->rbuf + b->rscan, b->rlen - b->rscan,
			    HAP_DELIM, HAP_DELIMLEN);
			if (d == NULL) {
				b->rscan = b->rlen >= HAP_DELIMLEN - 1 ?
				    b->rlen - (HAP_DELIMLEN - 1) : 0;
				if (b->rscan < b->fstart)
					b->rscan = b->fstart;
				break;
			}
			/* the answer to "prompt" starts the stream */
			if (b->nframes > 0) {
				c = &b->cmds[b->nframes - 1];
				c->aoff = b->fstart;
				c->alen = d - (b->rbuf + b->fstart);
			}
			b->nframes++;
			b->fstart = b->rscan = (d - b->rbuf) + HAP_DELIMLEN;
		}
		if (b->nframes > b->ncmds)
			return (1);
	}
	return (0);
}

/* Every answer is in: check each against what its command expects. */
static void
hap_finish(struct hap_batch *b)
{
	struct hap_cmd	*c;
	size_t		 i;

	hap_close(b);
	for (i = 0; i < b->ncmds; i++) {
		c = &b->cmds[i];
		b->rbuf[c->aoff + c->alen] = '\0';
		c->answer = b->rbuf + c->aoff;
		c->ok = hap_answer_ok(c->expect, c->answer, c->alen);
		if (!c->ok) {
			if (b->status == 0)
				snprintf(b->err, sizeof(b->err), "\"%s\" "
				    "answered \"%.*s\"", c->line,
				    (int)strcspn(c->answer, "\n"), c->answer);
			b->status++;
		}
	}
}

/* Blocking, with poll(2): for tests and tools. */
int
hap_batch_run(struct hap_batch *b, int timeout_ms)
{
	struct pollfd	 pfd;
	struct timespec	 t0, t1;
	int		 r, left;
	short		 ev;

	if (hap_connect(b) == -1) {
		hap_close(b);
		return (-1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pfd.fd = b->fd;
		pfd.events = POLLIN;
		if (!b->connected || b->woff < b->wlen)
			pfd.events |= POLLOUT;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = timeout_ms - ((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0) {
			hap_fail(b, "timeout after %d ms", timeout_ms);
			break;
		}
		if ((r = poll(&pfd, 1, left)) == -1) {
			if (errno == EINTR)
				continue;
			hap_fail(b, "poll: %s", strerror(errno));
			break;
		}
		if (r == 0)
			continue;
		ev = 0;
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			ev |= EV_READ;
		if (pfd.revents & (POLLOUT | POLLERR))
			ev |= EV_WRITE;
		if ((r = hap_io(b, ev)) == -1)
			break;
		if (r == 1) {
			hap_finish(b);
			return (b->status);
		}
	}
	hap_close(b);
	return (-1);
}

static void
hap_rearm(struct hap_batch *b)
{
	short	 want = EV_READ | EV_PERSIST;

	if (!b->connected || b->woff < b->wlen)
		want |= EV_WRITE;
	if (want == b->evflags)
		return;
	if (b->evflags)
		event_del(&b->ev);
	event_set(&b->ev, b->fd, want, hap_event, b);
	event_add(&b->ev, NULL);
	b->evflags = want;
}

static void
hap_event(int fd, short events, void *arg)
{
	struct hap_batch	*b = arg;
	int			 r;

	if ((r = hap_io(b, events)) == 0) {
		hap_rearm(b);
		return;
	}
	if (r == 1)
		hap_finish(b);
	else
		hap_close(b);
	b->cb(b, b->arg);
}

static void
hap_timeout(int fd, short events, void *arg)
{
	struct hap_batch	*b = arg;
	size_t			 got = b->nframes ? b->nframes - 1 : 0;

	if (!b->start_err)
		hap_fail(b, "timeout: %zu of %zu answers", got, b->ncmds);
	hap_close(b);
	b->cb(b, b->arg);
}

/*
 * Asynchronous, on the event loop: cb runs once, after the last answer,
 * an error or the timeout; b->status and b->err tell which.  Returns -1
 * (and no callback) when the connection cannot even start.
 */
int
hap_batch_start(struct hap_batch *b, int timeout_ms, hap_cb cb, void *arg)
{
	struct timeval	 tv;

	if ((b->gate = hap_gate(b->path)) == NULL) {
		hap_fail(b, "malloc: %s", strerror(errno));
		return (-1);
	}
	b->start_err = 0;
	if (b->gate->active < HAP_PATH_CONNS) {
		if (hap_go(b) == -1) {
			hap_close(b);
			return (-1);
		}
	} else {
		/* its turn comes when one of those connected is done */
		TAILQ_INSERT_TAIL(&b->gate->waiting, b, wait_entry);
		b->queued = 1;
	}
	b->cb = cb;
	b->arg = arg;
	b->async = 1;
	b->evflags = 0;
	/* the time waiting for a turn counts: a hung HAProxy, 5 s */
	evtimer_set(&b->tev, hap_timeout, b);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(&b->tev, &tv);
	if (!b->queued) {
		/*
		 * A connected unix socket takes a batch's few hundred bytes
		 * at once: write now, and wait for the answers only (no
		 * round of the loop, no EV_WRITE to register and take back).
		 */
		if (b->connected && hap_io(b, EV_WRITE) == -1) {
			hap_close(b);
			return (-1);
		}
		if (b->evflags == 0)
			hap_rearm(b);
	}
	return (0);
}

static struct hap_gate *
hap_gate(const char *path)
{
	struct hap_gate	*g;

	LIST_FOREACH(g, &hap_gates, entry)
		if (strcmp(g->path, path) == 0)
			return (g);
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return (NULL);
	strlcpy(g->path, path, sizeof(g->path));
	TAILQ_INIT(&g->waiting);
	LIST_INSERT_HEAD(&hap_gates, g, entry);
	return (g);
}

/* b takes a turn of its socket and connects */
static int
hap_go(struct hap_batch *b)
{
	b->active = 1;
	b->gate->active++;
	return (hap_connect(b));
}

/*
 * b gives its turn back, or its place in the queue: the next waiting
 * connects.  One whose connect fails hears it from its own timer, at
 * once, not from within whatever closed b.
 */
static void
hap_gate_leave(struct hap_batch *b)
{
	struct hap_gate		*g = b->gate;
	struct hap_batch	*n;
	struct timeval		 now = { 0, 0 };

	if (g == NULL)
		return;
	if (b->queued) {
		TAILQ_REMOVE(&g->waiting, b, wait_entry);
		b->queued = 0;
	}
	if (b->active) {
		b->active = 0;
		g->active--;
	}
	b->gate = NULL;
	while (g->active < HAP_PATH_CONNS &&
	    (n = TAILQ_FIRST(&g->waiting)) != NULL) {
		TAILQ_REMOVE(&g->waiting, n, wait_entry);
		n->queued = 0;
		if (hap_go(n) == 0) {
			hap_rearm(n);
			continue;
		}
		n->active = 0;
		g->active--;
		n->start_err = 1;
		evtimer_del(&n->tev);
		evtimer_add(&n->tev, &now);
	}
}

/* Two IP literals, compared as addresses ("::1" = "0::1"). */
int
hap_addr_equal(const char *a, const char *b)
{
	unsigned char	 x[16], y[16];

	if (inet_pton(AF_INET, a, x) == 1)
		return (inet_pton(AF_INET, b, y) == 1 &&
		    memcmp(x, y, 4) == 0);
	if (inet_pton(AF_INET6, a, x) == 1)
		return (inet_pton(AF_INET6, b, y) == 1 &&
		    memcmp(x, y, 16) == 0);
	return (strcmp(a, b) == 0);
}

/* "show info": Pid and Start_time_sec, to notice a restart. */
int
hap_parse_info(const char *text, struct hap_info *info)
{
	const char	*l, *e;
	char		*ep;
	int		 found = 0;

	memset(info, 0, sizeof(*info));
	for (l = text; *l != '\0'; l = *e ? e + 1 : e) {
		e = l + strcspn(l, "\n");
		if (strncmp(l, "Pid: ", 5) == 0) {
			info->pid = strtol(l + 5, &ep, 10);
			if (ep == e && info->pid > 0)
				found |= 1;
		} else if (strncmp(l, "Start_time_sec: ", 16) == 0) {
			info->start_time = strtoll(l + 16, &ep, 10);
			if (ep == e && info->start_time > 0)
				found |= 2;
		}
	}
	return (found == 3 ? 0 : -1);
}

/* Split a line on one separator into at most max fields, in place. */
static size_t
hap_split(char *l, char sep, char **f, size_t max)
{
	size_t	 n = 0;

	while (n < max) {
		f[n++] = l;
		if ((l = strchr(l, sep)) == NULL)
			break;
		*l++ = '\0';
	}
	return (n);
}

static int
hap_num(const char *s, long min, long max, long *v)
{
	char	*ep;

	errno = 0;
	*v = strtol(s, &ep, 10);
	return (*s != '\0' && *ep == '\0' && errno == 0 && *v >= min &&
	    *v <= max ? 0 : -1);
}

/*
 * "show servers state": version line "1", a "#" header, then one line
 * per server.  Only the rows of the backend are kept.  Returns -1 on a
 * format this code does not know.
 */
int
hap_parse_servers_state(const char *text, const char *backend,
    struct hap_srv **out, size_t *nout)
{
	struct hap_srv	*s = NULL, *ns;
	char		*copy, *l, *next, *f[32];
	size_t		 n = 0, cap = 0, nf;
	long		 v;
	int		 first = 1, r = -1;

	*out = NULL;
	*nout = 0;
	if ((copy = strdup(text)) == NULL)
		return (-1);
	for (l = copy; l != NULL && *l != '\0'; l = next) {
		if ((next = strchr(l, '\n')) != NULL)
			*next++ = '\0';
		if (first) {
			if (strcmp(l, "1") != 0) {
				log_warnx("show servers state: unknown "
				    "format \"%.16s\"", l);
				goto done;
			}
			first = 0;
			continue;
		}
		if (*l == '#' || *l == '\0')
			continue;
		nf = hap_split(l, ' ', f, 32);
		if (nf < 19)
			goto bad;
		if (strcmp(f[1], backend) != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((ns = reallocarray(s, cap, sizeof(*s))) == NULL)
				goto done;
			s = ns;
		}
		ns = &s[n];
		memset(ns, 0, sizeof(*ns));
		if (strlcpy(ns->name, f[3], sizeof(ns->name)) >=
		    sizeof(ns->name))
			continue;	/* not one of ours */
		if (strcmp(f[4], "-") != 0 && strlcpy(ns->addr, f[4],
		    sizeof(ns->addr)) >= sizeof(ns->addr))
			goto bad;
		if (hap_num(f[5], 0, 3, &v) == -1)
			goto bad;
		ns->op_state = v;
		if (hap_num(f[6], 0, 0xffff, &v) == -1)
			goto bad;
		ns->admin = v;
		if (hap_num(f[7], 0, 256, &v) == -1)
			goto bad;
		ns->uweight = v;
		if (hap_num(f[8], 0, 256, &v) == -1)
			goto bad;
		ns->iweight = v;
		if (hap_num(f[18], 0, 65535, &v) == -1)
			goto bad;
		ns->port = v;
		n++;
	}
	if (first)
		goto done;
	*out = s;
	*nout = n;
	s = NULL;
	r = 0;
	goto done;
 bad:
	log_warnx("show servers state: malformed line for backend %s",
	    backend);
 done:
	free(s);
	free(copy);
	return (r);
}

/*
 * "show stat" CSV: status (17), scur (4) and check_status (36) of the
 * backend's servers, into the rows from show servers state (by name).
 */
int
hap_parse_stat(const char *text, const char *backend, struct hap_srv *s,
    size_t ns)
{
	char		*copy, *l, *next, *f[40];
	size_t		 nf, i, n, cur = 0;
	long		 v;

	if (ns == 0)
		return (0);
	if ((copy = strdup(text)) == NULL)
		return (-1);
	for (l = copy; l != NULL && *l != '\0'; l = next) {
		if ((next = strchr(l, '\n')) != NULL)
			*next++ = '\0';
		if (*l == '#')
			continue;
		nf = hap_split(l, ',', f, 40);
		if (nf < 38 || strcmp(f[0], backend) != 0)
			continue;
		/* both lists come in server id order: look from the last */
		for (n = 0; n < ns; n++, cur = (cur + 1) % ns)
			if (strcmp(s[cur].name, f[1]) == 0)
				break;
		if (n == ns)
			continue;
		i = cur;
		cur = (cur + 1) % ns;
		if (hap_num(f[4], 0, INT32_MAX, &v) == -1) {
			log_warnx("show stat: bad scur for %s/%s", backend,
			    s[i].name);
			free(copy);
			return (-1);
		}
		s[i].scur = v;
		strlcpy(s[i].status, f[17], sizeof(s[i].status));
		strlcpy(s[i].check, f[36], sizeof(s[i].check));
		s[i].have_stat = 1;
	}
	free(copy);
	return (0);
}

/*
 * A slot filled at runtime takes traffic only once this holds: UP, and
 * a health check passed since it left maintenance (which resets the
 * check to "INI").  A server without checks ("no check") passes.
 */
int
hap_check_passed(const struct hap_srv *s)
{
	if (!s->have_stat)
		return (0);
	if (strcmp(s->status, "no check") == 0)
		return (1);
	if (strcmp(s->status, "UP") != 0)
		return (0);
	return (strcmp(s->check, "L4OK") == 0 ||
	    strcmp(s->check, "L6OK") == 0 || strcmp(s->check, "L7OK") == 0 ||
	    strcmp(s->check, "L7OKC") == 0);
}
