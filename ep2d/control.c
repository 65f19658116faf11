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
 * The parent's control socket, for ep2ctl: a UNIX stream socket, mode
 * 0660, owned by root and the control group.  Each client sends
 * requests as imsgs; every request is checked (type, exact length,
 * range) before the parent is asked anything, and answered with rows
 * and IMSG_CTL_END, or with IMSG_CTL_OK / IMSG_CTL_FAIL.  A client that
 * breaks the framing is dropped; nothing it sends can stop the daemon.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "log.h"
#include "proc.h"

#define CONTROL_MAX_CONNS	32
#define CONTROL_BACKLOG		16
/*
 * Answers queued and not read yet, in bytes (each message's own bytes
 * and what its buffer costs besides): for one client, room for the
 * biggest answer (show slots of EP2D_MAX_TOTAL slots is under 9 MB,
 * of 60,000 under 32 MB); for all of them, twice that.  A client whose
 * answers pass either is closed.
 */
#define CONTROL_QUEUE_MAX	(32 * 1024 * 1024)
#define CONTROL_QUEUE_TOTAL	(64 * 1024 * 1024)
#define CONTROL_MSG_COST	(sizeof(struct ibuf) + 32)
#define CONTROL_VERBOSE_MAX	2	/* log_setverbose levels */
#define CONTROL_WARN_PERIOD	10	/* seconds between "too many" lines */
#define CONTROL_IDLE_TIMEOUT	60	/* seconds for a request and its answer */
#define CONTROL_METRICS_CHUNK	8192	/* bytes of text per imsg */

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct imsgev		 iev;
	struct event		 idle;
	uid_t			 uid;
	pid_t			 pid;
	int			 answering;	/* an answer is queued */
};

static struct {
	int			 fd;
	struct event		 ev;
	struct event		 evt;		/* resume accepting */
	int			 listening;
	dev_t			 dev;		/* our socket */
	ino_t			 ino;
	TAILQ_HEAD(, ctl_conn)	 conns;
	int			 nconns;
	time_t			 refused_logged;
} control = { .fd = -1 };

static int	 control_in_use(const char *);
static void	 control_accept(int, short, void *);
static void	 control_resume(int, short, void *);
static void	 control_dispatch(int, short, void *);
static void	 control_idle(int, short, void *);
static void	 control_touch(struct ctl_conn *);
static size_t	 control_queued(struct ctl_conn *);
static int	 control_overfull(struct ctl_conn *);
static void	 control_close(struct ctl_conn *);
static int	 control_request(struct ctl_conn *, struct imsg *);
static int	 control_reply(struct ctl_conn *, uint32_t, const void *,
		    size_t);
static int	 control_fail(struct ctl_conn *, const char *);
static const char *control_name(uint32_t);
static int	 control_status(struct ctl_conn *);
static int	 control_slots(struct ctl_conn *);
static int	 control_backends(struct ctl_conn *);
static int	 control_metrics(struct ctl_conn *);

/*
 * Is another process listening on path?  1: yes, 0: no (nothing there,
 * or a stale socket, removed), -1: something else is there or the
 * check failed.
 */
static int
control_in_use(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	int			 fd, r;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return (0);
		log_warn("control socket %s", path);
		return (-1);
	}
	if (!S_ISSOCK(sb.st_mode)) {
		log_warnx("control socket %s: exists and is not a socket",
		    path);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket", __func__);
		return (-1);
	}
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r == 0) {
		log_warnx("control socket %s in use: another ep2d runs "
		    "with it", path);
		return (1);
	}
	if (errno != ECONNREFUSED) {
		log_warn("control socket %s", path);
		return (-1);
	}
	/* nobody listens: left behind by a daemon that died */
	if (unlink(path) == -1) {
		log_warn("unlink stale control socket %s", path);
		return (-1);
	}
	log_info("removed stale control socket %s", path);
	return (0);
}

/*
 * Create, bind and listen, as root and before the event loop exists.
 * The umask keeps the socket closed until chown and chmod are done.
 */
int
control_init(const char *path, gid_t gid)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	char			 self[64];
	mode_t			 old;
	int			 fd, pfd = -1;

	TAILQ_INIT(&control.conns);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("control socket %s: path too long", path);
		return (-1);
	}
	if (control_in_use(path) != 0)
		return (-1);

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket", __func__);
		return (-1);
	}
	old = umask(S_IRWXU | S_IRWXG | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("control socket %s: bind", path);
		umask(old);
		close(fd);
		return (-1);
	}
	umask(old);
	/*
	 * chown and chmod the socket bound, through a descriptor of what
	 * the name now holds, checked: somebody able to write the directory
	 * could have put a link to another file there since the bind.
	 */
	if ((pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(pfd, &sb) == -1) {
		log_warn("control socket %s", path);
		goto fail;
	}
	if (!S_ISSOCK(sb.st_mode) || sb.st_nlink != 1) {
		log_warnx("control socket %s: replaced after bind; refused",
		    path);
		goto fail;
	}
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	if (fchownat(pfd, "", 0, gid == (gid_t)-1 ? 0 : gid,
	    AT_EMPTY_PATH) == -1 ||
	    chmod(self, S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP) == -1) {
		log_warn("control socket %s", path);
		goto fail;
	}
	close(pfd);
	pfd = -1;
	/* listen now: a second ep2d's in-use check must see us */
	if (listen(fd, CONTROL_BACKLOG) == -1) {
		log_warn("control socket %s: listen", path);
		goto fail;
	}
	control.fd = fd;
	control.dev = sb.st_dev;
	control.ino = sb.st_ino;
	return (0);

 fail:
	if (pfd != -1)
		close(pfd);
	unlink(path);
	close(fd);
	return (-1);
}

/* Start accepting; the event base exists now. */
int
control_listen(void)
{
	if (control.fd == -1) {
		log_warnx("%s: control socket not initialised", __func__);
		return (-1);
	}
	event_set(&control.ev, control.fd, EV_READ | EV_PERSIST,
	    control_accept, NULL);
	evtimer_set(&control.evt, control_resume, NULL);
	if (event_add(&control.ev, NULL) == -1) {
		log_warn("%s: event_add", __func__);
		return (-1);
	}
	control.listening = 1;
	return (0);
}

/* Close everything; remove the socket only if it is still ours. */
void
control_cleanup(const char *path)
{
	struct ctl_conn	*c;
	struct stat	 sb;

	if (control.fd == -1)
		return;
	if (control.listening) {
		while ((c = TAILQ_FIRST(&control.conns)) != NULL)
			control_close(c);
		event_del(&control.ev);
		if (evtimer_pending(&control.evt, NULL))
			evtimer_del(&control.evt);
		control.listening = 0;
	}
	close(control.fd);
	control.fd = -1;
	if (lstat(path, &sb) == 0 && sb.st_dev == control.dev &&
	    sb.st_ino == control.ino)
		(void)unlink(path);
}

static void
control_accept(int fd, short event, void *arg)
{
	struct ctl_conn		*c;
	struct ucred		 cred;
	socklen_t		 len;
	struct timeval		 tv;
	time_t			 now;
	int			 cfd;

	if ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1) {
		/* out of descriptors: pause, as relayd does */
		if (errno == EMFILE || errno == ENFILE) {
			log_warn("control: accept");
			event_del(&control.ev);
			timerclear(&tv);
			tv.tv_sec = 1;
			evtimer_add(&control.evt, &tv);
		} else if (errno != EINTR && errno != EWOULDBLOCK &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}

	len = sizeof(cred);
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		close(cfd);
		return;
	}
	if (control.nconns >= CONTROL_MAX_CONNS) {
		/* at most one line per period, whatever the rate */
		now = time(NULL);
		if (now - control.refused_logged >= CONTROL_WARN_PERIOD) {
			log_warnx("control: too many clients (%d), refused "
			    "pid %d uid %u", control.nconns, (int)cred.pid,
			    (unsigned)cred.uid);
			control.refused_logged = now;
		}
		close(cfd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control: calloc");
		close(cfd);
		return;
	}
	c->uid = cred.uid;
	c->pid = cred.pid;
	if (imsgev_init(&c->iev, cfd, "control client", control_dispatch,
	    c) == -1) {
		log_warn("control: imsgbuf_init");
		close(cfd);
		free(c);
		return;
	}
	evtimer_set(&c->idle, control_idle, c);
	control_touch(c);
	TAILQ_INSERT_TAIL(&control.conns, c, entry);
	control.nconns++;
	log_debug("control: client pid %d uid %u connected", (int)c->pid,
	    (unsigned)c->uid);
}

static void
control_resume(int fd, short event, void *arg)
{
	if (control.listening)
		event_add(&control.ev, NULL);
}

/*
 * The clock of a client: started when it connects and again when an
 * answer has gone out whole, never by a part of a request, so that a
 * client trickling bytes cannot hold its place: each request and its
 * answer get CONTROL_IDLE_TIMEOUT seconds in all.
 */
static void
control_touch(struct ctl_conn *c)
{
	struct timeval	 tv;

	timerclear(&tv);
	tv.tv_sec = CONTROL_IDLE_TIMEOUT;
	evtimer_add(&c->idle, &tv);
}

/*
 * A client that holds its connection without a word: with the cap on
 * clients, idle ones could otherwise keep everybody else out.
 */
static void
control_idle(int fd, short event, void *arg)
{
	struct ctl_conn	*c = arg;

	if (c->answering)
		log_warnx("control: pid %d uid %u has not read its answer in "
		    "%d seconds, connection closed", (int)c->pid,
		    (unsigned)c->uid, CONTROL_IDLE_TIMEOUT);
	else if (c->iev.ibuf.rlen > 0)
		log_warnx("control: pid %d uid %u sent no complete request "
		    "in %d seconds, connection closed", (int)c->pid,
		    (unsigned)c->uid, CONTROL_IDLE_TIMEOUT);
	else
		log_debug("control: pid %d uid %u idle for %d seconds, "
		    "closed", (int)c->pid, (unsigned)c->uid,
		    CONTROL_IDLE_TIMEOUT);
	control_close(c);
}

/* What a client's queued answers hold, their buffers included. */
static size_t
control_queued(struct ctl_conn *c)
{
	return (imsgbuf_queuebytes(&c->iev.ibuf) +
	    imsgbuf_queuelen(&c->iev.ibuf) * CONTROL_MSG_COST);
}

/*
 * A client that sends and never reads: its answers pile up in the
 * parent.  Past CONTROL_QUEUE_MAX for it, or CONTROL_QUEUE_TOTAL for
 * all clients, it is closed with one line.
 */
static int
control_overfull(struct ctl_conn *c)
{
	struct ctl_conn	*o;
	size_t		 mine, all = 0;

	mine = control_queued(c);
	TAILQ_FOREACH(o, &control.conns, entry)
		all += control_queued(o);
	if (mine <= CONTROL_QUEUE_MAX && all <= CONTROL_QUEUE_TOTAL)
		return (0);
	log_warnx("control: pid %d uid %u does not read its answers (%zu KB "
	    "queued, %zu KB for all clients; at most %d and %d MB), "
	    "connection closed", (int)c->pid, (unsigned)c->uid, mine / 1024,
	    all / 1024, CONTROL_QUEUE_MAX >> 20, CONTROL_QUEUE_TOTAL >> 20);
	return (1);
}

static void
control_close(struct ctl_conn *c)
{
	evtimer_del(&c->idle);
	TAILQ_REMOVE(&control.conns, c, entry);
	control.nconns--;
	imsgev_clear(&c->iev);
	free(c);
	/* a slot is free again: accept if a descriptor shortage paused us */
	if (control.listening && evtimer_pending(&control.evt, NULL)) {
		evtimer_del(&control.evt);
		event_add(&control.ev, NULL);
	}
}

static void
control_dispatch(int fd, short event, void *arg)
{
	struct ctl_conn	*c = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	if (imsgev_dispatch_io(&c->iev, event) == -1) {
		control_close(c);
		return;
	}
	/* the answer went out whole: the next request gets its time */
	if (c->answering && imsgbuf_queuelen(&c->iev.ibuf) == 0) {
		c->answering = 0;
		control_touch(c);
	}
	for (;;) {
		if ((n = imsg_get(&c->iev.ibuf, &imsg)) == -1) {
			log_warnx("control: pid %d uid %u: broken message, "
			    "connection closed", (int)c->pid,
			    (unsigned)c->uid);
			control_close(c);
			return;
		}
		if (n == 0)
			break;
		n = control_request(c, &imsg);
		imsg_free(&imsg);
		if (n == -1 || control_overfull(c)) {
			control_close(c);
			return;
		}
		if (imsgbuf_queuelen(&c->iev.ibuf) > 0)
			c->answering = 1;
	}
	imsgev_add(&c->iev);
}

/* One request.  -1: the connection must go. */
static int
control_request(struct ctl_conn *c, struct imsg *imsg)
{
	char		 err[EP2D_ERR_MAX];
	uint32_t	 type;
	size_t		 len;
	int		 v;

	type = imsg_get_type(imsg);
	len = imsg_get_len(imsg);
	if (imsg_get_fd(imsg) != -1) {
		/* the buffer does not take descriptors; be sure anyway */
		log_warnx("control: pid %d: descriptor refused", (int)c->pid);
		return (-1);
	}

	switch (type) {
	case IMSG_CTL_SHOW_STATUS:
	case IMSG_CTL_SHOW_SLOTS:
	case IMSG_CTL_SHOW_BACKENDS:
	case IMSG_CTL_SHOW_METRICS:
	case IMSG_CTL_RELOAD:
	case IMSG_CTL_SYNC:
		if (len != 0)
			break;
		log_debug("control: pid %d uid %u: %s", (int)c->pid,
		    (unsigned)c->uid, control_name(type));
		if (type == IMSG_CTL_SHOW_STATUS)
			return (control_status(c));
		if (type == IMSG_CTL_SHOW_SLOTS)
			return (control_slots(c));
		if (type == IMSG_CTL_SHOW_BACKENDS)
			return (control_backends(c));
		if (type == IMSG_CTL_SHOW_METRICS)
			return (control_metrics(c));
		memset(err, 0, sizeof(err));
		if ((type == IMSG_CTL_RELOAD ?
		    parent_ctl_reload(err, sizeof(err)) :
		    parent_ctl_sync(err, sizeof(err))) == -1) {
			err[sizeof(err) - 1] = '\0';
			log_info("control: %s refused: %s",
			    control_name(type), err);
			return (control_fail(c, err[0] != '\0' ? err :
			    "failed"));
		}
		log_info("control: %s requested by uid %u",
		    control_name(type), (unsigned)c->uid);
		return (control_reply(c, IMSG_CTL_OK, NULL, 0));
	case IMSG_CTL_VERBOSE:
		if (imsg_get_data(imsg, &v, sizeof(v)) == -1 || v < 0 ||
		    v > CONTROL_VERBOSE_MAX)
			break;
		log_info("control: logging %s, asked by uid %u",
		    v ? "verbose" : "brief", (unsigned)c->uid);
		parent_ctl_verbose(v);
		return (control_reply(c, IMSG_CTL_OK, NULL, 0));
	default:
		break;
	}
	log_warnx("control: pid %d uid %u: bad request (type %u, %zu bytes)",
	    (int)c->pid, (unsigned)c->uid, type, len);
	return (control_fail(c, "bad request"));
}

static const char *
control_name(uint32_t type)
{
	switch (type) {
	case IMSG_CTL_SHOW_STATUS:
		return ("show status");
	case IMSG_CTL_SHOW_SLOTS:
		return ("show slots");
	case IMSG_CTL_SHOW_BACKENDS:
		return ("show backends");
	case IMSG_CTL_SHOW_METRICS:
		return ("show metrics");
	case IMSG_CTL_RELOAD:
		return ("reload");
	case IMSG_CTL_SYNC:
		return ("sync");
	case IMSG_CTL_VERBOSE:
		return ("log");
	}
	return ("unknown");
}

static int
control_reply(struct ctl_conn *c, uint32_t type, const void *data,
    size_t len)
{
	if (imsgev_compose(&c->iev, type, 0, -1, data, len) == -1) {
		log_warn("control: reply to pid %d", (int)c->pid);
		return (-1);
	}
	return (0);
}

static int
control_fail(struct ctl_conn *c, const char *text)
{
	char	 buf[EP2D_ERR_MAX];

	strlcpy(buf, text, sizeof(buf));
	return (control_reply(c, IMSG_CTL_FAIL, buf, strlen(buf) + 1));
}

#define TERMINATE(f)	((f)[sizeof(f) - 1] = '\0')

static int
control_status(struct ctl_conn *c)
{
	struct ctl_status	*rows = NULL, *st;
	size_t			 n, i;
	int			 r = 0;

	/* one row per backend */
	n = parent_ctl_status(&rows);
	if (rows == NULL)
		return (control_fail(c, "out of memory"));
	for (i = 0; i < n && r == 0; i++) {
		st = &rows[i];
		TERMINATE(st->backend);
		TERMINATE(st->orchestrator);
		TERMINATE(st->update_type);
		TERMINATE(st->source_error);
		TERMINATE(st->apply_how);
		TERMINATE(st->apply_error);
		r = control_reply(c, IMSG_CTL_STATUS, st, sizeof(*st));
	}
	free(rows);
	if (r == -1)
		return (-1);
	return (control_reply(c, IMSG_CTL_END, NULL, 0));
}

/* Prometheus text, in pieces that fit an imsg. */
static int
control_metrics(struct ctl_conn *c)
{
	char	*text;
	size_t	 len, off, n;
	int	 r = 0;

	if ((text = parent_ctl_metrics(&len)) == NULL)
		return (control_fail(c, "out of memory"));
	for (off = 0; off < len && r == 0; off += n) {
		n = len - off;
		if (n > CONTROL_METRICS_CHUNK)
			n = CONTROL_METRICS_CHUNK;
		r = control_reply(c, IMSG_CTL_METRICS, text + off, n);
	}
	free(text);
	if (r == -1)
		return (-1);
	return (control_reply(c, IMSG_CTL_END, NULL, 0));
}

static int
control_slots(struct ctl_conn *c)
{
	struct ctl_slot	*rows = NULL;
	size_t		 i, n;
	int		 r = 0;

	n = parent_ctl_slots(&rows);
	for (i = 0; i < n && rows != NULL && r == 0; i++) {
		TERMINATE(rows[i].backend);
		TERMINATE(rows[i].name);
		TERMINATE(rows[i].host);
		TERMINATE(rows[i].state);
		r = control_reply(c, IMSG_CTL_SLOT, &rows[i],
		    sizeof(rows[i]));
	}
	free(rows);
	if (r == -1)
		return (-1);
	return (control_reply(c, IMSG_CTL_END, NULL, 0));
}

static int
control_backends(struct ctl_conn *c)
{
	struct ctl_backend	*rows = NULL;
	size_t			 i, n;
	int			 r = 0;

	n = parent_ctl_backends(&rows);
	for (i = 0; i < n && rows != NULL && r == 0; i++) {
		TERMINATE(rows[i].backend);
		TERMINATE(rows[i].orchestrator);
		TERMINATE(rows[i].update_type);
		r = control_reply(c, IMSG_CTL_BACKEND, &rows[i],
		    sizeof(rows[i]));
	}
	free(rows);
	if (r == -1)
		return (-1);
	return (control_reply(c, IMSG_CTL_END, NULL, 0));
}
