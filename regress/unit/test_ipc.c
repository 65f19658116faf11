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
 * The imsg of the parent's connector and of the reloader's runner
 * (connector.c, runner.c): each end, apart, given what a broken or
 * hostile peer could send.  Every malformed message (a wrong length, a
 * descriptor where none belongs, an unknown type) is refused with one
 * line, answered where an answer is awaited, and the process goes on.
 * The connector and the runner run under their own sandboxes here, as
 * in ep2d.  Needs root (the sandboxes).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep2d.h"
#include "imsg.h"
#include "logcap.h"
#include "proc.h"
#include "tap.h"

/* the two protocols, as connector.c and runner.c number them */
#define CONN_REQUEST	1
#define CONN_ANSWER	2
#define RUN_INFO	3
#define RUN_WARN	4
#define RUN_RESULT	5

static char	 dir[64], lsock[128], cfgpath[128], newcfg[160];
/* the helpers under test, as ep2d.c's table has them */
static struct proc procs[] = {
	{ .title = "connector", .id = PROC_CONNECTOR, .parent = PROC_PARENT,
	    .prog = PROC_PROG_FORK },
	{ .title = "runner", .id = PROC_RUNNER, .parent = PROC_RELOADER,
	    .prog = PROC_PROG_FORK },
};
static int	 bad_request;	/* a request not as it should be */

static void
pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		perror("socketpair");
		exit(2);
	}
}

/* descriptors open in pid */
static int
nfds(pid_t pid)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return (n);
}

static int
devnull(void)
{
	int	 fd;

	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		perror("/dev/null");
		exit(2);
	}
	return (fd);
}

static int
alive(pid_t pid)
{
	return (waitpid(pid, NULL, WNOHANG) == 0);
}

/* The next message on ib, waiting for it; 0 when the pair closed. */
static int
next(struct imsgbuf *ib, struct imsg *imsg)
{
	ssize_t	 n;

	while ((n = imsg_get(ib, imsg)) == 0)
		if (imsgbuf_read(ib) != 1)
			return (0);
	return (n == 1);
}

/* Send one message on ib as it is, descriptor and all. */
static void
put(struct imsgbuf *ib, uint32_t type, int fd, const void *data, size_t len)
{
	if (imsg_compose(ib, type, 0, 0, fd, data, len) == -1 ||
	    imsgbuf_flush(ib) == -1) {
		perror("put");
		exit(2);
	}
}

/*
 * The connector's side: a request as given, the answer's error (-1: no
 * answer) and descriptor.
 */
static int
conn_ask(struct imsgbuf *ib, uint32_t type, int fd, const void *data,
    size_t len, int *fdp)
{
	struct imsg	 imsg;
	int32_t		 err;

	*fdp = -1;
	put(ib, type, fd, data, len);
	if (!next(ib, &imsg))
		return (-1);
	if (imsg_get_type(&imsg) != CONN_ANSWER ||
	    imsg_get_data(&imsg, &err, sizeof(err)) == -1)
		err = -2;
	*fdp = imsg_get_fd(&imsg);
	imsg_free(&imsg);
	return (err);
}

static void
t_connector_serve(void)
{
	struct imsgbuf	 ib;
	uint32_t	 idx = 0;
	uint16_t	 shrt = 0;
	pid_t		 pid;
	int		 sv[2], fd, s, err, n;

	pair(sv);
	switch (pid = fork()) {
	case -1:
		perror("fork");
		exit(2);
	case 0:
		close(sv[0]);
		if (sandbox_connector() == -1)
			_exit(101);
		connector_serve(sv[1]);
	}
	close(sv[1]);
	if (imsgbuf_init(&ib, sv[0]) == -1)
		exit(2);
	imsgbuf_allow_fdpass(&ib);

	/* the first answer comes after the sandbox's line */
	err = conn_ask(&ib, CONN_REQUEST, -1, &idx, sizeof(idx), &s);
	ok((err == 0 || err == EINPROGRESS) && s != -1 &&
	    !cap_has("refused"), "connector: a request by index: a socket");
	if (s != -1)
		close(s);

	cap_start();
	err = conn_ask(&ib, CONN_REQUEST, -1, &shrt, sizeof(shrt), &s);
	is_int(err, EBADMSG, "connector: a request of 2 bytes: refused");
	ok(s == -1 && cap_lines() == 1 &&
	    cap_has("connector: a request of 2 bytes, not 4; refused"),
	    "connector: ... with one line");
	/* its copy of the socket sent before is closed by now */
	n = nfds(pid);

	cap_start();
	fd = devnull();
	err = conn_ask(&ib, CONN_REQUEST, fd, &idx, sizeof(idx), &s);
	is_int(err, EBADMSG, "connector: a request with a descriptor: "
	    "refused");
	ok(s == -1 && cap_lines() == 1 &&
	    cap_has("connector: a request with a descriptor; refused"),
	    "connector: ... with one line");
	is_int(nfds(pid), n, "connector: ... and the descriptor closed");

	cap_start();
	err = conn_ask(&ib, 77, -1, &idx, sizeof(idx), &s);
	ok(err == EBADMSG && s == -1 && cap_lines() == 1 &&
	    cap_has("connector: a message of unknown type (imsg 77); "
	    "refused"), "connector: an unknown type: refused, one line");

	cap_start();
	idx = 5;
	err = conn_ask(&ib, CONN_REQUEST, -1, &idx, sizeof(idx), &s);
	ok(err == EPERM && s == -1 && cap_lines() == 1 &&
	    cap_has("connector: socket 5 unknown; refused"),
	    "connector: an index past its list: EPERM, one line");

	cap_start();
	idx = 0;
	err = conn_ask(&ib, CONN_REQUEST, -1, &idx, sizeof(idx), &s);
	ok((err == 0 || err == EINPROGRESS) && s != -1 && cap_lines() == 0,
	    "connector: still there, still in step");
	if (s != -1)
		close(s);
	ok(alive(pid), "connector: alive after the refusals");

	imsgbuf_clear(&ib);
	close(sv[0]);
	is_int(waitpid(pid, &s, 0) == pid && WIFEXITED(s) ? WEXITSTATUS(s) :
	    -1, 0, "connector: ends with the pair, status 0");
}

/*
 * The parent's side: connector_connect() given the answer already
 * waiting (a SEQPACKET pair keeps it), the request checked afterwards.
 */
static int
connect_with(struct imsgbuf *peer, int *fdp)
{
	struct imsg	 imsg;
	uint32_t	 idx;
	int		 r, saved;

	r = connector_connect(lsock, fdp);
	saved = errno;
	if (!next(peer, &imsg))
		bad_request++;
	else {
		if (imsg_get_type(&imsg) != CONN_REQUEST ||
		    imsg_get_fd(&imsg) != -1 ||
		    imsg_get_data(&imsg, &idx, sizeof(idx)) == -1 || idx != 0)
			bad_request++;
		imsg_free(&imsg);
	}
	errno = saved;
	return (r);
}

static void
t_connector_connect(void)
{
	struct imsgbuf	 peer;
	int32_t		 err;
	uint16_t	 shrt = 0;
	int		 sv[2], s, r, n;

	pair(sv);
	if (connector_attach(sv[0]) == -1 ||
	    imsgbuf_init(&peer, sv[1]) == -1)
		exit(2);
	bad_request = 0;

	cap_start();
	err = 0;
	put(&peer, CONN_ANSWER, devnull(), &err, sizeof(err));
	r = connect_with(&peer, &s);
	ok(r == 0 && s != -1 && cap_lines() == 0,
	    "parent: an answer with its socket: taken, no line");
	if (s != -1)
		close(s);

	cap_start();
	err = ECONNREFUSED;
	put(&peer, CONN_ANSWER, -1, &err, sizeof(err));
	r = connect_with(&peer, &s);
	ok(r == -1 && errno == ECONNREFUSED && s == -1 && cap_lines() == 0,
	    "parent: a failure: its errno, no line");

	n = nfds(getpid());
	cap_start();
	put(&peer, CONN_ANSWER, devnull(), &shrt, sizeof(shrt));
	r = connect_with(&peer, &s);
	ok(r == -1 && errno == EBADMSG && s == -1, "parent: an answer of 2 "
	    "bytes: refused (EBADMSG)");
	ok(cap_lines() == 1 &&
	    cap_has("connector: an answer of 2 bytes, not 4; refused"),
	    "parent: ... with one line");
	is_int(nfds(getpid()), n, "parent: ... its descriptor closed");

	cap_start();
	err = ECONNREFUSED;
	put(&peer, CONN_ANSWER, devnull(), &err, sizeof(err));
	r = connect_with(&peer, &s);
	ok(r == -1 && errno == EBADMSG && s == -1 && cap_lines() == 1 &&
	    cap_has("with a descriptor; refused"),
	    "parent: a failure with a descriptor: refused, one line");
	is_int(nfds(getpid()), n, "parent: ... the descriptor closed");

	cap_start();
	err = 0;
	put(&peer, CONN_ANSWER, -1, &err, sizeof(err));
	r = connect_with(&peer, &s);
	ok(r == -1 && errno == EMFILE && s == -1 && cap_lines() == 1 &&
	    cap_has("connector: an answer without its socket; refused"),
	    "parent: a success without its socket: refused, one line");

	cap_start();
	err = -3;
	put(&peer, CONN_ANSWER, -1, &err, sizeof(err));
	r = connect_with(&peer, &s);
	ok(r == -1 && errno == EBADMSG && cap_lines() == 1 &&
	    cap_has("connector: an answer with error -3; refused"),
	    "parent: a negative error: refused, one line");

	cap_start();
	err = 0;
	put(&peer, 99, devnull(), &err, sizeof(err));
	r = connect_with(&peer, &s);
	ok(r == -1 && errno == EBADMSG && s == -1 && cap_lines() == 1 &&
	    cap_has("connector: a message of unknown type (imsg 99); "
	    "refused"), "parent: an unknown type: refused, one line");
	is_int(nfds(getpid()), n, "parent: ... its descriptor closed");

	/* two answers in one record: the second is nobody's */
	cap_start();
	err = ECONNREFUSED;
	if (imsg_compose(&peer, CONN_ANSWER, 0, 0, -1, &err,
	    sizeof(err)) == -1 ||
	    imsg_compose(&peer, CONN_ANSWER, 0, 0, -1, &err,
	    sizeof(err)) == -1 || imsgbuf_flush(&peer) == -1)
		exit(2);
	r = connect_with(&peer, &s);
	ok(r == -1 && errno == ECONNREFUSED && cap_lines() == 0,
	    "parent: two answers at once: the first taken");
	err = 0;
	put(&peer, CONN_ANSWER, devnull(), &err, sizeof(err));
	r = connect_with(&peer, &s);
	ok(r == 0 && s != -1 && cap_lines() == 1 &&
	    cap_has("connector: a message nobody asked for (imsg 2); "
	    "dropped"), "parent: ... the second dropped with a line, the "
	    "next answer taken");
	if (s != -1)
		close(s);
	is_int(bad_request, 0, "parent: every request an index, no "
	    "descriptor");

	/* the pair closed: gone, as before */
	imsgbuf_clear(&peer);
	close(sv[1]);
	cap_start();
	r = connector_connect(lsock, &s);
	ok(r == -1 && errno == EPIPE && cap_has("connector: gone"),
	    "parent: the connector gone: EPIPE, a line");
	connector_stop();
}

/* The runner's side: a request as given, the notes and the result. */
static int
run_ask(struct imsgbuf *ib, uint32_t type, int fd, const void *data,
    size_t len, char *notes, size_t notelen, struct runner_res *rs)
{
	struct imsg	 imsg;
	uint32_t	 t;

	notes[0] = '\0';
	put(ib, type, fd, data, len);
	for (;;) {
		if (!next(ib, &imsg))
			return (-1);
		t = imsg_get_type(&imsg);
		if (t == RUN_RESULT) {
			if (imsg_get_data(&imsg, rs, sizeof(*rs)) == -1)
				t = 0;
			imsg_free(&imsg);
			return (t == RUN_RESULT ? 0 : -1);
		}
		if ((t == RUN_INFO || t == RUN_WARN) &&
		    imsg_get_len(&imsg) > 0) {
			strlcat(notes, t == RUN_WARN ? "W:" : "I:", notelen);
			strlcat(notes, imsg.data, notelen);
			strlcat(notes, "\n", notelen);
		}
		imsg_free(&imsg);
	}
}

static void
t_runner_serve(void)
{
	static struct run_conf	 conf;
	struct runner_res	 rs;
	struct imsgbuf		 ib;
	char			 notes[1024];
	uint32_t		 four = 4;
	pid_t			 pid;
	int			 sv[2], r, s, n;

	memset(&conf, 0, sizeof(conf));
	conf.start_by = START_BINARY;
	strlcpy(conf.haproxy_binary, "/bin/true", sizeof(conf.haproxy_binary));
	strlcpy(conf.haproxy_config_file, cfgpath,
	    sizeof(conf.haproxy_config_file));
	snprintf(conf.pid_file, sizeof(conf.pid_file), "%s/haproxy.pid", dir);

	pair(sv);
	switch (pid = fork()) {
	case -1:
		perror("fork");
		exit(2);
	case 0:
		close(sv[0]);
		if (sandbox_runner(&conf) == -1)
			_exit(101);
		runner_serve(&conf, sv[1]);
	}
	close(sv[1]);
	if (imsgbuf_init(&ib, sv[0]) == -1)
		exit(2);
	imsgbuf_allow_fdpass(&ib);

	r = run_ask(&ib, RUNNER_CHECK, -1, NULL, 0, notes, sizeof(notes), &rs);
	ok(r == 0 && rs.status == 0 && notes[0] == '\0',
	    "runner: a check: haproxy_binary ran, no note");
	n = nfds(pid);

	r = run_ask(&ib, RUNNER_CHECK, -1, &four, sizeof(four), notes,
	    sizeof(notes), &rs);
	ok(r == 0 && rs.status == -1 &&
	    strcmp(rs.msg, "request refused by the runner") == 0,
	    "runner: a request with data: refused, as a run not made");
	is_str(notes, "W:runner: a request of 4 bytes, not 0; refused\n",
	    "runner: ... with one line to log");

	r = run_ask(&ib, RUNNER_CHECK, devnull(), NULL, 0, notes,
	    sizeof(notes), &rs);
	ok(r == 0 && rs.status == -1, "runner: a request with a descriptor: "
	    "refused");
	is_str(notes, "W:runner: a request with a descriptor; refused\n",
	    "runner: ... with one line to log");
	is_int(nfds(pid), n, "runner: ... and the descriptor closed");

	r = run_ask(&ib, 42, -1, NULL, 0, notes, sizeof(notes), &rs);
	ok(r == 0 && rs.status == -1, "runner: an unknown type: refused");
	is_str(notes, "W:runner: a message of unknown type (imsg 42); "
	    "refused\n", "runner: ... with one line to log");

	r = run_ask(&ib, RUNNER_CHECK, -1, NULL, 0, notes, sizeof(notes), &rs);
	ok(r == 0 && rs.status == 0 && notes[0] == '\0',
	    "runner: still there, still in step");
	ok(alive(pid), "runner: alive after the refusals");

	imsgbuf_clear(&ib);
	close(sv[0]);
	is_int(waitpid(pid, &s, 0) == pid && WIFEXITED(s) ? WEXITSTATUS(s) :
	    -1, 0, "runner: ends with the pair, status 0");
}

/* The reloader's side: runner_call() given what is already waiting. */
static int
call_with(struct imsgbuf *peer, struct runner_res *rs)
{
	struct imsg	 imsg;
	int		 r;

	r = runner_call(RUNNER_APPLY, rs);
	if (!next(peer, &imsg))
		bad_request++;
	else {
		if (imsg_get_type(&imsg) != RUNNER_APPLY ||
		    imsg_get_len(&imsg) != 0 || imsg_get_fd(&imsg) != -1)
			bad_request++;
		imsg_free(&imsg);
	}
	return (r);
}

static void
t_runner_call(void)
{
	struct runner_res	 res, rs;
	struct imsgbuf		 peer;
	char			 big[EP2D_HAPROXY_MSG_MAX + 8];
	int			 sv[2], r, n;

	pair(sv);
	if (runner_attach(sv[0]) == -1 ||
	    imsgbuf_init(&peer, sv[1]) == -1)
		exit(2);
	bad_request = 0;
	memset(&res, 0, sizeof(res));
	res.status = 3;
	res.pid = 1234;
	strlcpy(res.msg, "[ALERT] no", sizeof(res.msg));

	cap_start();
	put(&peer, RUN_INFO, -1, "starting haproxy", 17);
	put(&peer, RUN_WARN, -1, "a warning", 10);
	put(&peer, RUN_RESULT, -1, &res, sizeof(res));
	r = call_with(&peer, &rs);
	ok(r == 3 && rs.status == 3 && rs.pid == 1234 &&
	    strcmp(rs.msg, "[ALERT] no") == 0, "reloader: the result taken");
	ok(cap_lines() == 2 && cap_has("starting haproxy") &&
	    cap_has("a warning"), "reloader: the notes logged, a line each");

	n = nfds(getpid());
	cap_start();
	put(&peer, RUN_RESULT, -1, &res, 10);
	r = call_with(&peer, &rs);
	ok(r == -1 && rs.status == -1 && rs.pid == 0 &&
	    strcmp(rs.msg, "the runner's answer was refused") == 0,
	    "reloader: a result of 10 bytes: refused, a run not made");
	ok(cap_lines() == 1 && cap_has("runner: an answer of 10 bytes, not"),
	    "reloader: ... with one line");

	cap_start();
	put(&peer, RUN_RESULT, devnull(), &res, sizeof(res));
	r = call_with(&peer, &rs);
	ok(r == -1 && rs.status == -1 && cap_lines() == 1 &&
	    cap_has("runner: a message with a descriptor (imsg 5); refused"),
	    "reloader: a result with a descriptor: refused, one line");
	is_int(nfds(getpid()), n, "reloader: ... the descriptor closed");

	cap_start();
	put(&peer, RUN_WARN, devnull(), "x", 2);
	put(&peer, RUN_RESULT, -1, &res, sizeof(res));
	r = call_with(&peer, &rs);
	ok(r == 3 && cap_lines() == 1 &&
	    cap_has("runner: a message with a descriptor (imsg 4); refused"),
	    "reloader: a note with a descriptor: refused, one line, the "
	    "result taken");
	is_int(nfds(getpid()), n, "reloader: ... the descriptor closed");

	cap_start();
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	put(&peer, RUN_INFO, -1, "no end", 6);
	put(&peer, RUN_INFO, -1, big, sizeof(big));
	put(&peer, RUN_WARN, -1, NULL, 0);
	put(&peer, 99, -1, "x", 2);
	put(&peer, RUN_RESULT, -1, &res, sizeof(res));
	r = call_with(&peer, &rs);
	ok(r == 3, "reloader: malformed notes, an unknown type: the result "
	    "still taken");
	ok(cap_lines() == 4 && cap_has("runner: a note of 6 bytes, not a "
	    "line; refused") && cap_has("runner: a note of 4008 bytes") &&
	    cap_has("runner: a note of 0 bytes") &&
	    cap_has("runner: a message of unknown type (imsg 99); refused"),
	    "reloader: ... each refused with one line");

	/* between requests: said and dropped, the reloader goes on */
	cap_start();
	put(&peer, RUN_RESULT, -1, &res, sizeof(res));
	runner_idle();
	ok(cap_lines() == 1 && cap_has("runner: a message nobody asked for "
	    "(imsg 5); ignored"), "reloader: an answer unasked for: one "
	    "line, ignored");
	put(&peer, RUN_RESULT, -1, &res, sizeof(res));
	r = call_with(&peer, &rs);
	ok(r == 3, "reloader: still in step");
	is_int(bad_request, 0, "reloader: every request a kind, nothing "
	    "more");

	imsgbuf_clear(&peer);
	close(sv[1]);
}

static void
t_connector_start(void)
{
	static struct ep2_conf	 conf;
	struct sockaddr_un	 sun;
	int			 fd, r;

	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.run.sockets[0], lsock, sizeof(conf.run.sockets[0]));
	conf.run.nsockets = 1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, lsock, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 16) == -1) {
		perror(lsock);
		exit(2);
	}
	/* the listener stays open for the tests that follow */

	if (connector_start(&conf) == -1)
		exit(2);
	r = connector_connect(lsock, &fd);
	ok((r == 0 || errno == EINPROGRESS) && fd != -1 &&
	    fcntl(fd, F_GETFD) == FD_CLOEXEC,
	    "connector_start: a connected socket through the connector");
	if (fd != -1)
		close(fd);
	ok(connector_connect("/elsewhere.sock", &fd) == -1 && errno == EPERM,
	    "connector_start: a path not in the list: EPERM");
	connector_stop();
	ok(connector_pid() == -1, "connector_start: stopped with the pair");
}

int
main(void)
{
	int	 fd;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return (0);
	}
	signal(SIGPIPE, SIG_IGN);
	cap_init();
	proc_init(procs, sizeof(procs) / sizeof(procs[0]));
	strlcpy(dir, "/tmp/ep2d-ipc.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (2);
	}
	snprintf(lsock, sizeof(lsock), "%s/haproxy.sock", dir);
	snprintf(cfgpath, sizeof(cfgpath), "%s/haproxy.cfg", dir);
	/* haproxy.cfg.new, for the check */
	snprintf(newcfg, sizeof(newcfg), "%s.new", cfgpath);
	if ((fd = open(newcfg, O_WRONLY | O_CREAT, 0644)) == -1) {
		perror(newcfg);
		return (2);
	}
	close(fd);

	/* first: it sets the connector's list of paths */
	t_connector_start();
	t_connector_serve();
	t_connector_connect();
	t_runner_serve();
	t_runner_call();

	unlink(newcfg);
	unlink(lsock);
	rmdir(dir);
	return (done_testing());
}
