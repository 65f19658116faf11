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
 * ep2ctl: ask the running ep2d, over its control socket, for its state
 * or for an action.  One request per run: send it, gather the answer
 * (rows until IMSG_CTL_END, or OK / FAIL), print it as a table or JSON.
 * Exit 0 when the daemon did what was asked, 1 otherwise.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ep2d.h"
#include "imsg.h"
#include "output.h"
#include "parser.h"

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

#define CTL_TIMEOUT	60		/* seconds without an answer */
#define CTL_MAX_ROWS	1000000		/* more is a broken daemon */
#define CTL_MAX_METRICS	(64 * 1024 * 1024)	/* bytes of text */

struct answer {
	struct ctl_status	*status;		/* one per backend */
	size_t			 nstatus;
	struct ctl_slot		*slots;
	size_t			 nslots;
	struct ctl_backend	*backends;
	size_t			 nbackends;
	char			*metrics;		/* Prometheus text */
	size_t			 metricslen;
};

__dead static void usage(void);
static int	 ctl_connect(const char *);
static void	 ctl_request(struct imsgbuf *, enum actions);
static void	 ctl_receive(struct imsgbuf *, enum actions,
		    struct answer *);
static int	 ctl_dispatch(struct imsg *, enum actions, struct answer *);
static void	*grow(void *, size_t, size_t);

__dead static void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-j] [-s socket] command [argument ...]\n"
	    "commands: show status | show slots | show backends | "
	    "show metrics | reload | "
	    "sync |\n          log verbose | log brief\n", __progname);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct parse_result	 res;
	struct answer		 ans;
	struct imsgbuf		 ibuf;
	const struct output	*out = &show_output;
	const char		*sockname;
	char			 msg[512];
	time_t			 now;
	int			 ch, fd;

	if ((sockname = getenv("EP2D_SOCKET")) == NULL || *sockname == '\0')
		sockname = EP2D_SOCKET;
	/* "+": options come before the command, as in bgpctl */
	while ((ch = getopt(argc, argv, "+js:")) != -1) {
		switch (ch) {
		case 'j':
			out = &json_output;
			break;
		case 's':
			sockname = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	if (parse(argc, argv, &res, msg, sizeof(msg)) == -1)
		errx(1, "%s", msg);

	fd = ctl_connect(sockname);
	if (imsgbuf_init(&ibuf, fd) == -1)
		err(1, "imsgbuf_init");
	if (imsgbuf_set_maxsize(&ibuf, EP2D_MAX_IMSGSIZE) == -1)
		err(1, "imsgbuf_set_maxsize");
	ctl_request(&ibuf, res.action);

	memset(&ans, 0, sizeof(ans));
	ctl_receive(&ibuf, res.action, &ans);
	imsgbuf_clear(&ibuf);
	close(fd);

	now = time(NULL);
	switch (res.action) {
	case SHOW_STATUS:
		out->status(stdout, ans.status, ans.nstatus, now);
		break;
	case SHOW_SLOTS:
		out->slots(stdout, ans.slots, ans.nslots, now);
		break;
	case SHOW_BACKENDS:
		out->backends(stdout, ans.backends, ans.nbackends, now);
		break;
	case SHOW_METRICS:
		/* the text format whatever -j says: it is a format already */
		if (ans.metricslen > 0)
			fwrite(ans.metrics, 1, ans.metricslen, stdout);
		break;
	case RELOAD:
		printf("reload started\n");
		break;
	case SYNC:
		printf("fetch requested\n");
		break;
	case LOG_VERBOSE:
		printf("logging verbose\n");
		break;
	case LOG_BRIEF:
		printf("logging brief\n");
		break;
	case NONE:
		break;
	}
	free(ans.slots);
	free(ans.backends);
	free(ans.metrics);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return (0);
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "cannot connect to %s: socket path too long", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "cannot connect to %s", path);
	return (fd);
}

static void
ctl_request(struct imsgbuf *ibuf, enum actions action)
{
	uint32_t	 type;
	int		 v = 0, r;

	switch (action) {
	case SHOW_STATUS:
		type = IMSG_CTL_SHOW_STATUS;
		break;
	case SHOW_SLOTS:
		type = IMSG_CTL_SHOW_SLOTS;
		break;
	case SHOW_BACKENDS:
		type = IMSG_CTL_SHOW_BACKENDS;
		break;
	case SHOW_METRICS:
		type = IMSG_CTL_SHOW_METRICS;
		break;
	case RELOAD:
		type = IMSG_CTL_RELOAD;
		break;
	case SYNC:
		type = IMSG_CTL_SYNC;
		break;
	case LOG_VERBOSE:
		v = 1;
		/* FALLTHROUGH */
	case LOG_BRIEF:
		type = IMSG_CTL_VERBOSE;
		break;
	default:
		errx(1, "no command");
	}
	if (type == IMSG_CTL_VERBOSE)
		r = imsg_compose(ibuf, type, 0, 0, -1, &v, sizeof(v));
	else
		r = imsg_compose(ibuf, type, 0, 0, -1, NULL, 0);
	if (r == -1)
		err(1, "imsg_compose");
	if (imsgbuf_flush(ibuf) == -1)
		err(1, "write to ep2d");
}

/* Read until the answer is complete; any trouble ends the program. */
static void
ctl_receive(struct imsgbuf *ibuf, enum actions action, struct answer *ans)
{
	struct pollfd	 pfd;
	struct imsg	 imsg;
	ssize_t		 n;
	int		 done = 0, r;

	while (!done) {
		pfd.fd = ibuf->fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, CTL_TIMEOUT * 1000)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (r == 0)
			errx(1, "no answer from ep2d in %d seconds",
			    CTL_TIMEOUT);
		if ((n = imsgbuf_read(ibuf)) == -1)
			err(1, "read from ep2d");
		if (n == 0)
			errx(1, "ep2d closed the connection");
		while (!done) {
			if ((n = imsg_get(ibuf, &imsg)) == -1)
				errx(1, "bad message from ep2d");
			if (n == 0)
				break;
			done = ctl_dispatch(&imsg, action, ans);
			imsg_free(&imsg);
		}
	}
}

/* One message of the answer: 1 when it was the last one. */
static int
ctl_dispatch(struct imsg *imsg, enum actions action, struct answer *ans)
{
	char		 text[EP2D_ERR_MAX], clean[EP2D_ERR_MAX];
	size_t		 len, i;
	uint32_t	 type;
	unsigned char	 c;

	type = imsg_get_type(imsg);
	switch (type) {
	case IMSG_CTL_FAIL:
		len = imsg_get_len(imsg);
		if (len >= sizeof(text))
			len = sizeof(text) - 1;
		if (len > 0)
			memcpy(text, imsg->data, len);
		text[len] = '\0';
		errx(1, "%s failed: %s", action_name(action),
		    text[0] != '\0' ? fmt_clean(text, clean, sizeof(clean)) :
		    "no reason given");
	case IMSG_CTL_OK:
		if (action == SHOW_STATUS || action == SHOW_SLOTS ||
		    action == SHOW_BACKENDS || action == SHOW_METRICS)
			break;
		return (1);
	case IMSG_CTL_END:
		if (action == SHOW_STATUS && ans->nstatus == 0)
			errx(1, "ep2d sent no status");
		if (action != SHOW_STATUS && action != SHOW_SLOTS &&
		    action != SHOW_BACKENDS && action != SHOW_METRICS)
			break;
		return (1);
	case IMSG_CTL_METRICS:
		if (action != SHOW_METRICS)
			break;
		len = imsg_get_len(imsg);
		if (len > CTL_MAX_METRICS - ans->metricslen)
			errx(1, "too many metrics from ep2d");
		if ((ans->metrics = realloc(ans->metrics, ans->metricslen +
		    len + 1)) == NULL)
			err(1, "answer");
		if (len > 0 && imsg_get_data(imsg, ans->metrics +
		    ans->metricslen, len) == -1)
			errx(1, "bad metrics from ep2d");
		/* nothing but text reaches the terminal */
		for (i = 0; i < len; i++) {
			c = (unsigned char)ans->metrics[ans->metricslen + i];
			if (c != '\n' && (c < 0x20 || c > 0x7e))
				ans->metrics[ans->metricslen + i] = '?';
		}
		ans->metricslen += len;
		return (0);
	case IMSG_CTL_STATUS:
		if (action != SHOW_STATUS)
			break;
		ans->status = grow(ans->status, ans->nstatus,
		    sizeof(*ans->status));
		if (imsg_get_data(imsg, &ans->status[ans->nstatus],
		    sizeof(*ans->status)) == -1)
			errx(1, "bad status from ep2d");
		output_fix_status(&ans->status[ans->nstatus++]);
		return (0);
	case IMSG_CTL_SLOT:
		if (action != SHOW_SLOTS)
			break;
		ans->slots = grow(ans->slots, ans->nslots,
		    sizeof(*ans->slots));
		if (imsg_get_data(imsg, &ans->slots[ans->nslots],
		    sizeof(*ans->slots)) == -1)
			errx(1, "bad slot from ep2d");
		output_fix_slot(&ans->slots[ans->nslots++]);
		return (0);
	case IMSG_CTL_BACKEND:
		if (action != SHOW_BACKENDS)
			break;
		ans->backends = grow(ans->backends, ans->nbackends,
		    sizeof(*ans->backends));
		if (imsg_get_data(imsg, &ans->backends[ans->nbackends],
		    sizeof(*ans->backends)) == -1)
			errx(1, "bad backend row from ep2d");
		output_fix_backend(&ans->backends[ans->nbackends++]);
		return (0);
	}
	errx(1, "unexpected answer (type %u) from ep2d to %s", type,
	    action_name(action));
}

/* Room for one more row after n; doubles, bounded. */
static void *
grow(void *p, size_t n, size_t size)
{
	if (n >= CTL_MAX_ROWS)
		errx(1, "too many rows from ep2d");
	if (n == 0 || (n & (n - 1)) == 0) {
		if ((p = reallocarray(p, n == 0 ? 1 : n * 2, size)) == NULL)
			err(1, "answer");
	}
	return (p);
}
