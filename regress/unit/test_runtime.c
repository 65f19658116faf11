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
 * update_by_runtime, the parts that talk: HAProxy's runtime API client
 * (haproxy.c: command checks, answer matching and framing against a
 * scripted fake socket, the parsers) and runtime.c's bootstrap from the
 * haproxy.cfg written last.  The plan (runtime_plan.c) is in
 * test_runtime_plan.c; the real HAProxy is in regress/runtime-*.t.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "haproxy.h"
#include "runtime.h"
#include "tap.h"

static char	 sockpath[128];

/*
 * The fake's listening socket at sockpath, and its process: returns
 * the child's pid in the parent, 0 in the child, which has it in *sp.
 */
static pid_t
fake_listen(int *sp)
{
	struct sockaddr_un	 sun;
	pid_t			 pid;
	int			 s;

	unlink(sockpath);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, sockpath, sizeof(sun.sun_path));
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(s, 5) == -1) {
		perror("fake socket");
		exit(1);
	}
	if ((pid = fork()) != 0)
		close(s);
	else
		*sp = s;
	return (pid);
}

/*
 * A fake stats socket: reads until it has seen nlines lines, then
 * writes the reply in pieces of chunk bytes (the framing must not
 * depend on how the bytes arrive), then closes (or hangs).
 */
static pid_t
fake_socket(const char *reply, size_t nlines, size_t chunk, int hang)
{
	char			 buf[65536];
	size_t			 seen = 0, off, len, n;
	ssize_t			 r, i;
	int			 s, c;
	pid_t			 pid;

	if ((pid = fake_listen(&s)) != 0)
		return (pid);
	if ((c = accept(s, NULL, NULL)) == -1)
		_exit(1);
	while (seen < nlines && (r = read(c, buf, sizeof(buf))) > 0)
		for (i = 0; i < r; i++)
			if (buf[i] == '\n')
				seen++;
	len = strlen(reply);
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		if (write(c, reply + off, n) != (ssize_t)n)
			_exit(1);
		usleep(1000);
	}
	if (hang)
		sleep(10);
	_exit(0);
}

static void
reap(pid_t pid)
{
	int	 st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

static void
test_lines(void)
{
	struct hap_batch	*b;

	ok(hap_line_ok("set server be/node1 state ready"), "line: plain");
	ok(!hap_line_ok("set server be/node1 state ready\nshutdown"),
	    "line: newline refused");
	ok(!hap_line_ok("set server be/n1 addr 1.2.3.4; shutdown sessions"),
	    "line: ';' refused");
	ok(!hap_line_ok("a\rb"), "line: CR refused");
	ok(!hap_line_ok("a\tb"), "line: tab refused");
	ok(!hap_line_ok("\xc3\xa9"), "line: non-ASCII refused");
	ok(!hap_line_ok(""), "line: empty refused");
	ok(hap_name_ok("haproxynode") && hap_name_ok("be-1.x_y:z"),
	    "name: backend names");
	ok(!hap_name_ok("be/x") && !hap_name_ok("be x") && !hap_name_ok(""),
	    "name: '/', space, empty refused");

	b = hap_batch_new("/nonexistent");
	ok(hap_batch_add(b, HAP_ADDR, "set server be/n1 addr %s port %u",
	    "10.0.0.1\nshow info", 80) == -1 && b->ncmds == 0,
	    "batch: injected newline refused, nothing queued");
	ok(hap_batch_add(b, HAP_ADDR, "set server be/n1 addr %s port %u",
	    "10.0.0.1;x", 80) == -1 && b->ncmds == 0,
	    "batch: injected ';' refused");
	ok(hap_batch_add(b, HAP_EMPTY, "set server be/n1 state %s",
	    "ready") == 0 && b->ncmds == 1, "batch: good line queued");
	ok(hap_batch_run(b, 500) == -1 && b->status == -1 &&
	    strstr(b->err, "connect") != NULL, "batch: no socket: error "
	    "(%s)", b->err);
	hap_batch_free(b);
}

static void
test_answers(void)
{
	const char	*a;

	ok(hap_answer_ok(HAP_EMPTY, "", 0), "empty: success");
	ok(hap_answer_ok(HAP_EMPTY, "\n", 1), "empty: newline only");
	a = "No such server.\n";
	ok(!hap_answer_ok(HAP_EMPTY, a, strlen(a)), "empty: No such server");
	a = "'set server <srv> state' expects 'ready', 'drain' and 'maint'.";
	ok(!hap_answer_ok(HAP_EMPTY, a, strlen(a)), "empty: usage refused");
	a = "IP changed from '127.0.0.1' to '127.0.0.5', no need to change "
	    "the port by 'stats socket command'\n";
	ok(hap_answer_ok(HAP_ADDR, a, strlen(a)), "addr: IP changed");
	a = "no need to change the addr, port changed from '0' to '4464' by "
	    "'stats socket command'\n";
	ok(hap_answer_ok(HAP_ADDR, a, strlen(a)), "addr: port changed");
	a = "no need to change the addr, no need to change the port by "
	    "'stats socket command'\n";
	ok(hap_answer_ok(HAP_ADDR, a, strlen(a)), "addr: no change");
	a = "Invalid addr 'foo.invalid' by 'stats socket command'\n";
	ok(!hap_answer_ok(HAP_ADDR, a, strlen(a)), "addr: Invalid addr");
	ok(!hap_answer_ok(HAP_ADDR, "", 0), "addr: empty is not success");
	a = "No such backend.\n";
	ok(!hap_answer_ok(HAP_ADDR, a, strlen(a)), "addr: No such backend");
	a = "Unknown command, but maybe one of the following ones is a "
	    "better match:\n  help\n";
	ok(!hap_answer_ok(HAP_TEXT, a, strlen(a)), "text: Unknown command");
	a = "Can't find backend.\n";
	ok(!hap_answer_ok(HAP_TEXT, a, strlen(a)), "text: no backend");
	a = "Name: HAProxy\nPid: 12\n";
	ok(hap_answer_ok(HAP_TEXT, a, strlen(a)), "text: show info");
}

static void
test_framing(void)
{
	struct hap_batch	*b;
	pid_t			 pid;
	size_t			 chunk;

	/* prompt, then three answers; bytes arrive in 1, 2, 7, 4096 */
	for (chunk = 1; chunk <= 4096; chunk = chunk == 1 ? 2 : chunk == 2 ?
	    7 : 4096) {
		pid = fake_socket("\n> "
		    "\n> "
		    "IP changed from '10.0.0.1' to '127.0.0.1', port changed "
		    "from '8080' to '80' by 'stats socket command'\n\n> "
		    "1\n# be_id\n3 be 1 node1 127.0.0.1 2 0 1 1\n\n> ",
		    4, chunk, 0);
		b = hap_batch_new(sockpath);
		hap_batch_add(b, HAP_EMPTY, "set server be/node1 state maint");
		hap_batch_add(b, HAP_ADDR, "set server be/node1 addr 127.0.0.1 "
		    "port 80");
		hap_batch_add(b, HAP_TEXT, "show servers state be");
		ok(hap_batch_run(b, 3000) == 0, "framing %zu: all answered "
		    "(%s)", chunk, b->err);
		ok(b->cmds[0].ok && b->cmds[0].answer[0] == '\0',
		    "framing %zu: empty answer", chunk);
		ok(b->cmds[1].ok && strncmp(b->cmds[1].answer, "IP changed",
		    10) == 0, "framing %zu: addr answer", chunk);
		ok(b->cmds[2].ok && strncmp(b->cmds[2].answer, "1\n# be_id",
		    9) == 0, "framing %zu: show answer", chunk);
		hap_batch_free(b);
		reap(pid);
		if (chunk == 4096)
			break;
	}

	/* one refused answer in the middle */
	pid = fake_socket("\n> \n> No such server.\n\n> \n> ", 4, 4096, 0);
	b = hap_batch_new(sockpath);
	hap_batch_add(b, HAP_EMPTY, "set server be/node1 state maint");
	hap_batch_add(b, HAP_EMPTY, "set server be/nosuch state maint");
	hap_batch_add(b, HAP_EMPTY, "set server be/node2 state maint");
	ok(hap_batch_run(b, 3000) == 1 && b->cmds[0].ok && !b->cmds[1].ok &&
	    b->cmds[2].ok, "refused: counted, the others still checked");
	ok(strstr(b->err, "No such server.") != NULL &&
	    strstr(b->err, "be/nosuch") != NULL, "refused: error says which "
	    "(%s)", b->err);
	hap_batch_free(b);
	reap(pid);

	/* the socket closes early: non-interactive HAProxy, or a crash */
	pid = fake_socket("\n> \n> ", 3, 4096, 0);
	b = hap_batch_new(sockpath);
	hap_batch_add(b, HAP_EMPTY, "set server be/node1 state maint");
	hap_batch_add(b, HAP_EMPTY, "set server be/node2 state maint");
	ok(hap_batch_run(b, 3000) == -1 && strstr(b->err, "closed") != NULL,
	    "closed early: error (%s)", b->err);
	hap_batch_free(b);
	reap(pid);

	/* the answer never comes */
	pid = fake_socket("\n> ", 2, 4096, 1);
	b = hap_batch_new(sockpath);
	hap_batch_add(b, HAP_EMPTY, "set server be/node1 state maint");
	ok(hap_batch_run(b, 300) == -1 && strstr(b->err, "timeout") != NULL,
	    "no answer: timeout (%s)", b->err);
	hap_batch_free(b);
	reap(pid);
}

static const char *state_text =
    "1\n"
    "# be_id be_name srv_id srv_name srv_addr srv_op_state "
    "srv_admin_state srv_uweight srv_iweight srv_time_since_last_change "
    "srv_check_status srv_check_result srv_check_health srv_check_state "
    "srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port "
    "srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
    "srv_agent_port\n"
    "3 be 1 node1 127.0.0.1 2 0 1 1 6 15 3 2 6 0 0 0 - 8080 - 0 0 - - 0\n"
    "3 be 2 node2 0.0.0.0 0 5 1 1 6 1 0 0 14 0 0 0 - 8080 - 0 0 - - 0\n"
    "3 be 3 node3 ::1 2 8 1 1 6 1 0 0 14 0 0 0 - 9000 - 0 0 - - 0\n"
    "4 other 1 node1 10.9.9.9 2 0 1 1 6 6 3 4 6 0 0 0 - 8080 - 0 0 - - 0\n"
    "\n";

static const char *stat_text =
    "# pxname,svname,qcur,qmax,scur,...\n"
    "be,node1,0,0,3,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,9,0,,1,3,1,,0,,2,"
    "0,,0,L7OK,200,1,0,0\n"
    "be,node2,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,0,0,9,9,,1,3,2,,0,,"
    "2,0,,0,,,,0,0\n"
    "be,node3,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,0,0,9,9,,1,3,2,,0,,"
    "2,0,,0,L7OK,,,0,0\n"
    "be,BACKEND,0,0,3,0,,0,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,9,9,,1,3,2,,0,,"
    "1,0,,0,,,,0,0\n";

static void
test_parsers(void)
{
	struct hap_info	 info;
	struct hap_srv	*s;
	size_t		 n;

	ok(hap_parse_info("Name: HAProxy\nPid: 5399\nUptime_sec: 6\n"
	    "Start_time_sec: 1795575681\n\n", &info) == 0 &&
	    info.pid == 5399 && info.start_time == 1795575681,
	    "show info: pid and start time");
	ok(hap_parse_info("Name: HAProxy\nPid: x\n", &info) == -1,
	    "show info: garbage refused");

	ok(hap_parse_servers_state(state_text, "be", &s, &n) == 0 && n == 3,
	    "servers state: three rows of be");
	is_str(s[0].name, "node1", "servers state: name");
	is_str(s[0].addr, "127.0.0.1", "servers state: addr");
	ok(s[0].port == 8080 && s[0].op_state == 2 && s[0].admin == 0 &&
	    s[0].uweight == 1 && s[0].iweight == 1, "servers state: fields");
	ok(s[1].admin == 5 && s[2].admin == 8 && s[2].port == 9000,
	    "servers state: admin bits, port");
	ok(hap_parse_stat(stat_text, "be", s, n) == 0, "show stat parsed");
	ok(s[0].scur == 3 && hap_check_passed(&s[0]),
	    "stat: sessions, UP L7OK passes");
	ok(!hap_check_passed(&s[1]), "stat: MAINT does not pass");
	ok(!hap_check_passed(&s[2]), "stat: DOWN with an old L7OK does not "
	    "pass");
	free(s);
	ok(hap_parse_servers_state("2\n# x\n", "be", &s, &n) == -1,
	    "servers state: unknown version refused");
	ok(hap_parse_servers_state("1\n3 be 1 node1\n", "be", &s, &n) == -1,
	    "servers state: short line refused");
	ok(hap_parse_servers_state("1\n3 be 1 node1 1.2.3.4 2 0 1 1 6 15 3 2 "
	    "6 0 0 0 - 99999 - 0 0 - - 0\n", "be", &s, &n) == -1,
	    "servers state: port 99999 refused");
	ok(hap_addr_equal("::1", "0:0::1") && !hap_addr_equal("::1", "::2") &&
	    hap_addr_equal("10.0.0.1", "10.0.0.1") &&
	    !hap_addr_equal("10.0.0.1", "::1"), "addr_equal");
}

static struct ep2_conf	*conf;
static struct backend_conf *be;		/* conf's backend 0 */

/* Every key's default, as a file that sets none. */
static void
defaults(void)
{
	config_free(conf);
	if ((conf = config_new()) == NULL)
		exit(1);
	be = conf->backends[0];
}

static const char *
slot_host(struct runtime *rt, size_t i)
{
	return (rt->slots[i].state == RT_FREE ? "-" : rt->slots[i].srv.host);
}

static void
test_bootstrap_file(void)
{
	struct runtime		 rt;
	struct server_set	 set;
	char			 path[64];
	FILE			*fp;

	snprintf(path, sizeof(path), "/tmp/test_runtime.%d.cfg",
	    (int)getpid());
	if ((fp = fopen(path, "w")) == NULL) {
		ok(0, "bootstrap file: %s", path);
		return;
	}
	fprintf(fp, "backend be\n"
	    "    server node1 10.0.0.1:80 check\n"
	    "    server node2 10.0.0.1:8080 check disabled\n"
	    "    server node3 10.0.0.3:80 check inter 2s\n"
	    "    server node4 [2001:db8::1]:80 check\n"
	    "    server node5 10.0.0.9:80 check\n"
	    "    server node6 10.0.0.1:8080 check disabled\n"
	    "    server nodex 10.0.0.2:80 check\n"
	    "    server node07 10.0.0.2:80 check\n"
	    "    server node3 10.0.0.2:80 check\n");
	fclose(fp);
	defaults();
	strlcpy(be->backend_name, "be", sizeof(be->backend_name));
	strlcpy(conf->run.haproxy_config_file, path,
	    sizeof(conf->run.haproxy_config_file));
	be->node_slots = 4;
	conf->slot_growth = 0;
	runtime_init(&rt, be, NULL);
	set_init(&set);
	set_add(&set, "10.0.0.1", 80);
	set_add(&set, "10.0.0.2", 80);
	set_add(&set, "10.0.0.3", 80);
	set_add(&set, "2001:db8::1", 80);
	set_sort(&set);
	runtime_bootstrap(&rt, &set);
	ok(rt.nslots == 6, "file: 6 slots as in the file (node_slots 4)");
	ok(strcmp(slot_host(&rt, 0), "10.0.0.1") == 0 &&
	    strcmp(slot_host(&rt, 2), "10.0.0.3") == 0 &&
	    strcmp(slot_host(&rt, 3), "2001:db8::1") == 0,
	    "file: servers back in their slots");
	ok(strcmp(slot_host(&rt, 1), "10.0.0.2") == 0,
	    "file: a new one (and node07, nodex, a second node3 ignored) "
	    "takes the first free slot");
	ok(rt.slots[4].state == RT_FREE && rt.slots[5].state == RT_FREE,
	    "file: a server gone from the set leaves its slot free");
	unlink(path);
	strlcpy(conf->run.haproxy_config_file, "/nonexistent/haproxy.cfg",
	    sizeof(conf->run.haproxy_config_file));
	set_free(&set);
	free(rt.slots);
}

/*
 * A fake HAProxy for the poll/apply race: a poll (its first command is
 * "show info") is read from and never answered, as HAProxy dumping a
 * big backend; an apply gets an answer to each line.  Connections are
 * taken in turn; a poll's stays open.
 */
static pid_t
fake_busy_socket(void)
{
	char			 buf[65536], line[1024];
	const char		*a;
	size_t			 ll;
	ssize_t			 r, i;
	int			 s, c, first;
	pid_t			 pid;

	if ((pid = fake_listen(&s)) != 0)
		return (pid);
	while ((c = accept(s, NULL, NULL)) != -1) {
		ll = 0;
		first = 1;
		while ((r = read(c, buf, sizeof(buf))) > 0) {
			if (first && memmem(buf, r, "show info", 9) != NULL)
				break;		/* a poll: left hanging */
			first = 0;
			for (i = 0; i < r; i++) {
				if (buf[i] != '\n') {
					if (ll < sizeof(line) - 1)
						line[ll++] = buf[i];
					continue;
				}
				line[ll] = '\0';
				ll = 0;
				a = strstr(line, " addr ") != NULL ?
				    "IP changed from '10.0.0.1' to "
				    "'10.0.1.1'\n\n> " : "\n> ";
				if (write(c, a, strlen(a)) !=
				    (ssize_t)strlen(a))
					_exit(1);
			}
		}
		if (r <= 0)
			close(c);
	}
	_exit(1);
}

static int	 busy_done_calls, busy_done_r;

static void
busy_done(struct runtime *rt, int r)
{
	busy_done_calls++;
	busy_done_r = r;
}

static void
busy_changed(struct runtime *rt)
{
}

static void
busy_tick(int fd, short ev, void *arg)
{
}

/* Run the loop until *v == want (v NULL: until rt->op == want). */
static int
busy_wait(struct runtime *rt, int *v, int want, int ms)
{
	struct timespec	 t0, t1;
	struct timeval	 tv = { 0, 10000 };
	struct event	 tick;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	evtimer_set(&tick, busy_tick, NULL);
	for (;;) {
		if (v != NULL ? *v == want : (int)rt->op == want)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000 > ms) {
			evtimer_del(&tick);
			return (0);
		}
		evtimer_add(&tick, &tv);
		event_loop(EVLOOP_ONCE);
	}
	evtimer_del(&tick);
	return (1);
}

/*
 * A runtime of one backend ("be", 4 slots) on fake_busy_socket(),
 * bootstrapped with 10.0.0.1:80 in set; returns the fake's pid.
 */
static pid_t
busy_setup(struct runtime *rt, struct server_set *set,
    const struct runtime_cbs *cbs)
{
	pid_t	 pid;

	defaults();
	strlcpy(be->backend_name, "be", sizeof(be->backend_name));
	strlcpy(conf->run.sockets[0], sockpath, sizeof(conf->run.sockets[0]));
	conf->run.nsockets = 1;
	be->node_slots = 4;
	conf->slot_growth = 0;
	pid = fake_busy_socket();
	runtime_init(rt, be, cbs);
	set_init(set);
	set_add(set, "10.0.0.1", 80);
	set_sort(set);
	runtime_bootstrap(rt, set);
	return (pid);
}

/* The fake is gone: let the op in flight end, and free it all. */
static void
busy_teardown(struct runtime *rt, struct server_set *set)
{
	if (rt->op != RT_OP_NONE)
		busy_wait(rt, NULL, RT_OP_NONE, HAP_TIMEOUT_MS * 3);
	if (rt->timer_init)
		evtimer_del(&rt->timer);
	conf->run.nsockets = 0;
	set_free(set);
	set_free(&rt->queued);
	free(rt->slots);
}

/*
 * A change that comes while a poll is in flight cuts the poll (HAProxy
 * dumps a backend of 5,000 slots for ~30 ms) instead of waiting for
 * it; once in a row only, and the cut poll runs again soon.
 */
static void
test_poll_cut(void)
{
	static const struct runtime_cbs cbs = { busy_done, busy_changed,
				    NULL };
	struct runtime		 rt;
	struct server_set	 set;
	struct timeval		 tv, now;
	pid_t			 pid;
	int			 r;
	long			 left;

	pid = busy_setup(&rt, &set, &cbs);
	runtime_reloaded(&rt);		/* HAProxy has them: poll now */
	ok(busy_wait(&rt, NULL, RT_OP_POLL, 2000), "poll cut: a poll in "
	    "flight, unanswered");

	set_add(&set, "10.0.0.2", 80);
	set_sort(&set);
	r = runtime_apply(&rt, &set);
	ok(r == RUNTIME_PENDING, "poll cut: the change is under way (%d)", r);
	/* well below HAP_TIMEOUT_MS, the poll's own end */
	r = busy_wait(&rt, &busy_done_calls, 1, 2000);
	ok(r && busy_done_r == 0,
	    "poll cut: the change is applied without waiting for the poll "
	    "(done %d, %d)", busy_done_calls, busy_done_r);
	gettimeofday(&now, NULL);
	left = -1;
	if (rt.timer_init && evtimer_pending(&rt.timer, &tv))
		left = (tv.tv_sec - now.tv_sec) * 1000 +
		    (tv.tv_usec - now.tv_usec) / 1000;
	ok(left >= 0 && left <= RUNTIME_POLL_FAST_MS + 50, "poll cut: the "
	    "poll runs again RUNTIME_POLL_FAST_MS later (in %ld ms)", left);

	/* the poll again, in flight: a second change in a row waits */
	ok(busy_wait(&rt, NULL, RT_OP_POLL, 2000), "poll cut: the poll "
	    "again");
	set_add(&set, "10.0.0.3", 80);
	set_sort(&set);
	r = runtime_apply(&rt, &set);
	ok(r == RUNTIME_PENDING && rt.op == RT_OP_POLL && rt.have_queued,
	    "poll cut: not twice in a row; the next change waits for the "
	    "poll");

	/* HAProxy gone: the poll fails, the queued apply fails with it */
	reap(pid);
	r = busy_wait(&rt, &busy_done_calls, 2, 3000);
	ok(r && busy_done_r == -1 && rt.op == RT_OP_NONE, "poll cut: the "
	    "queued change runs when the poll ends (done %d, %d)", busy_done_calls, busy_done_r);
	busy_teardown(&rt, &set);
}

/*
 * Changes coming faster than RUNTIME_POLL_FAST_MS: the end of each
 * apply must not push the poll owed (a cut one here; warm-ups and
 * drains alike) back for ever.
 */
static void
test_poll_not_starved(void)
{
	static const struct runtime_cbs cbs = { busy_done, busy_changed,
				    NULL };
	struct runtime		 rt;
	struct server_set	 set;
	char			 host[32];
	pid_t			 pid;
	int			 k, polled = 0;

	pid = busy_setup(&rt, &set, &cbs);
	runtime_reloaded(&rt);
	busy_done_calls = 0;
	ok(busy_wait(&rt, NULL, RT_OP_POLL, 2000), "poll starved: a poll "
	    "in flight");
	/* a change every RUNTIME_POLL_FAST_MS / 3, six times */
	for (k = 0; k < 6 && !polled; k++) {
		set_clear(&set);
		set_add(&set, "10.0.0.1", 80);
		snprintf(host, sizeof(host), "10.0.2.%d", k + 1);
		set_add(&set, host, 80);
		set_sort(&set);
		if (runtime_apply(&rt, &set) != RUNTIME_PENDING ||
		    !busy_wait(&rt, &busy_done_calls, k + 1, 2000))
			break;
		polled = busy_wait(&rt, NULL, RT_OP_POLL,
		    RUNTIME_POLL_FAST_MS / 3);
	}
	ok(polled, "poll starved: the poll runs again among changes "
	    "RUNTIME_POLL_FAST_MS / 3 apart (after %d)", k);

	reap(pid);
	busy_teardown(&rt, &set);
}

int
main(void)
{
	snprintf(sockpath, sizeof(sockpath), "/tmp/test_runtime.%d.sock",
	    (int)getpid());
	signal(SIGPIPE, SIG_IGN);
	event_init();
	test_lines();
	test_answers();
	test_framing();
	test_parsers();
	test_bootstrap_file();
	test_poll_cut();
	test_poll_not_starved();
	unlink(sockpath);
	config_free(conf);
	return (done_testing());
}
