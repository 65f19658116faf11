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
 * Everything, failures included, is printed through one struct output
 * (output.c, output_json.c), so that -j prints JSON and nothing else.
 * Exit 0 when the daemon did what was asked, 1 otherwise.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
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

static const struct output	*out = &show_output;
static enum actions		 request = NONE;

__dead static void fail(enum failure, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static int	 ctl_connect(const char *);
static void	 ctl_request(struct imsgbuf *, enum actions);
static void	 ctl_receive(struct imsgbuf *, enum actions,
		    struct answer *);
static int	 ctl_dispatch(struct imsg *, enum actions, struct answer *);
static void	*grow(void *, size_t, size_t);

/*
 * Say what went wrong through the output (JSON on stdout with -j, text
 * on stderr otherwise) and exit 1.  With syserr, errno's text follows,
 * as err(3) would add it.
 */
__dead static void
fail(enum failure kind, int syserr, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[1024];
	size_t	 len;
	int	 saved = errno;
	FILE	*fp;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (syserr) {
		len = strlen(why);
		snprintf(why + len, sizeof(why) - len, ": %s",
		    strerror(saved));
	}
	/* a broken stdout is not where to say it */
	fp = out->failure_to_stdout && !ferror(stdout) ? stdout : stderr;
	out->failure(fp, request, kind, why);
	fflush(fp);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct parse_result	 res;
	struct answer		 ans;
	struct imsgbuf		 ibuf;
	const char		*sockname;
	char			 msg[512], badopt[64];
	time_t			 now;
	int			 ch, fd;

	if ((sockname = getenv("EP2D_SOCKET")) == NULL || *sockname == '\0')
		sockname = EP2D_SOCKET;
	/*
	 * "+": options come before the command, as in bgpctl.  A wrong
	 * option is told once all are read, so that -j, even after it,
	 * decides how.
	 */
	badopt[0] = '\0';
	opterr = 0;
	while ((ch = getopt(argc, argv, "+js:V")) != -1) {
		switch (ch) {
		case 'V':
			printf("ep2ctl %s\n", EP2D_VERSION);
			exit(0);
		case 'j':
			out = &json_output;
			break;
		case 's':
			sockname = optarg;
			break;
		default:
			if (badopt[0] != '\0')
				break;
			if (optopt == 's')
				snprintf(badopt, sizeof(badopt),
				    "option -s needs an argument");
			else
				snprintf(badopt, sizeof(badopt),
				    "unknown option -%c", optopt);
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (badopt[0] != '\0')
		fail(FAIL_USAGE, 0, "%s", badopt);
	if (parse(argc, argv, &res, msg, sizeof(msg)) == -1)
		fail(FAIL_USAGE, 0, "%s", msg);
	request = res.action;

	fd = ctl_connect(sockname);
	if (imsgbuf_init(&ibuf, fd) == -1)
		fail(FAIL_CLIENT, 1, "imsgbuf_init");
	if (imsgbuf_set_maxsize(&ibuf, EP2D_MAX_IMSGSIZE) == -1)
		fail(FAIL_CLIENT, 1, "imsgbuf_set_maxsize");
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
		out->metrics(stdout, ans.metrics, ans.metricslen);
		break;
	case RELOAD:
		out->reload(stdout);
		break;
	case SYNC:
		out->sync(stdout);
		break;
	case LOG_VERBOSE:
	case LOG_BRIEF:
		out->log(stdout, res.action == LOG_VERBOSE);
		break;
	case NONE:
		break;
	}
	free(ans.status);
	free(ans.slots);
	free(ans.backends);
	free(ans.metrics);
	if (fflush(stdout) == EOF || ferror(stdout))
		fail(FAIL_CLIENT, 1, "stdout");
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
		fail(FAIL_CLIENT, 0, "cannot connect to %s: socket path too "
		    "long", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fail(FAIL_CLIENT, 1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fail(FAIL_CLIENT, 1, "cannot connect to %s", path);
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
		fail(FAIL_USAGE, 0, "no command");
	}
	if (type == IMSG_CTL_VERBOSE)
		r = imsg_compose(ibuf, type, 0, 0, -1, &v, sizeof(v));
	else
		r = imsg_compose(ibuf, type, 0, 0, -1, NULL, 0);
	if (r == -1)
		fail(FAIL_CLIENT, 1, "imsg_compose");
	if (imsgbuf_flush(ibuf) == -1)
		fail(FAIL_CLIENT, 1, "write to ep2d");
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
			fail(FAIL_CLIENT, 1, "poll");
		}
		if (r == 0)
			fail(FAIL_CLIENT, 0, "no answer from ep2d in %d "
			    "seconds", CTL_TIMEOUT);
		if ((n = imsgbuf_read(ibuf)) == -1)
			fail(FAIL_CLIENT, 1, "read from ep2d");
		if (n == 0)
			fail(FAIL_CLIENT, 0, "ep2d closed the connection");
		while (!done) {
			if ((n = imsg_get(ibuf, &imsg)) == -1)
				fail(FAIL_CLIENT, 0, "bad message from ep2d");
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
	char		 text[EP2D_ERR_MAX];
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
		/* cleaned or escaped by the output */
		fail(FAIL_DAEMON, 0, "%s", text);
	case IMSG_CTL_OK:
		if (action == SHOW_STATUS || action == SHOW_SLOTS ||
		    action == SHOW_BACKENDS || action == SHOW_METRICS)
			break;
		return (1);
	case IMSG_CTL_END:
		if (action == SHOW_STATUS && ans->nstatus == 0)
			fail(FAIL_CLIENT, 0, "ep2d sent no status");
		if (action != SHOW_STATUS && action != SHOW_SLOTS &&
		    action != SHOW_BACKENDS && action != SHOW_METRICS)
			break;
		return (1);
	case IMSG_CTL_METRICS:
		if (action != SHOW_METRICS)
			break;
		len = imsg_get_len(imsg);
		if (len > CTL_MAX_METRICS - ans->metricslen)
			fail(FAIL_CLIENT, 0, "too many metrics from ep2d");
		if ((ans->metrics = realloc(ans->metrics, ans->metricslen +
		    len + 1)) == NULL)
			fail(FAIL_CLIENT, 1, "answer");
		if (len > 0 && imsg_get_data(imsg, ans->metrics +
		    ans->metricslen, len) == -1)
			fail(FAIL_CLIENT, 0, "bad metrics from ep2d");
		/* nothing but text reaches the terminal, no NUL the JSON */
		for (i = 0; i < len; i++) {
			c = (unsigned char)ans->metrics[ans->metricslen + i];
			if (c != '\n' && (c < 0x20 || c > 0x7e))
				ans->metrics[ans->metricslen + i] = '?';
		}
		ans->metricslen += len;
		ans->metrics[ans->metricslen] = '\0';
		return (0);
	case IMSG_CTL_STATUS:
		if (action != SHOW_STATUS)
			break;
		ans->status = grow(ans->status, ans->nstatus,
		    sizeof(*ans->status));
		if (imsg_get_data(imsg, &ans->status[ans->nstatus],
		    sizeof(*ans->status)) == -1)
			fail(FAIL_CLIENT, 0, "bad status from ep2d");
		output_fix_status(&ans->status[ans->nstatus++]);
		return (0);
	case IMSG_CTL_SLOT:
		if (action != SHOW_SLOTS)
			break;
		ans->slots = grow(ans->slots, ans->nslots,
		    sizeof(*ans->slots));
		if (imsg_get_data(imsg, &ans->slots[ans->nslots],
		    sizeof(*ans->slots)) == -1)
			fail(FAIL_CLIENT, 0, "bad slot from ep2d");
		output_fix_slot(&ans->slots[ans->nslots++]);
		return (0);
	case IMSG_CTL_BACKEND:
		if (action != SHOW_BACKENDS)
			break;
		ans->backends = grow(ans->backends, ans->nbackends,
		    sizeof(*ans->backends));
		if (imsg_get_data(imsg, &ans->backends[ans->nbackends],
		    sizeof(*ans->backends)) == -1)
			fail(FAIL_CLIENT, 0, "bad backend row from ep2d");
		output_fix_backend(&ans->backends[ans->nbackends++]);
		return (0);
	}
	fail(FAIL_CLIENT, 0, "unexpected answer (type %u) from ep2d to %s",
	    type, action_name(action));
}

/* Room for one more row after n; doubles, bounded. */
static void *
grow(void *p, size_t n, size_t size)
{
	if (n >= CTL_MAX_ROWS)
		fail(FAIL_CLIENT, 0, "too many rows from ep2d");
	if (n == 0 || (n & (n - 1)) == 0) {
		if ((p = reallocarray(p, n == 0 ? 1 : n * 2, size)) == NULL)
			fail(FAIL_CLIENT, 1, "answer");
	}
	return (p);
}
