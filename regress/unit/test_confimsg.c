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
 * config_imsg.c: the parent's configuration to each child.  A file with
 * several backends goes over a socketpair and comes back key for key,
 * the fetcher's part and the reloader's; what a broken parent could
 * send (a wrong length, the wrong order, a missing end, too many
 * backends, a value the file could not hold) is refused whole, the rest
 * of it dropped, and the next good one taken.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep2d.h"
#include "imsg.h"
#include "tap.h"

/* Every key set, none to its default; three backends, one per kind. */
static const char full[] =
    "[haproxy]\n"
    "haproxy_config_file = /etc/haproxy/hap.cfg\n"
    "template_file = /etc/ep2/hap.template\n"
    "backend_port = 8080\n"
    "haproxy_binary = /usr/local/sbin/haproxy\n"
    "start_by = systemd\n"
    "haproxy_socket_file = /run/haproxy/a.sock,/run/haproxy/b.sock\n"
    "pid_file = /run/hap.pid\n"
    "backend_name = web_nodes\n"
    "backend_maxconn = 200\n"
    "check_interval = 2000\n"
    "update_type = update_by_config\n"
    "node_slots = 20\n"
    "service_name = haproxy.service\n"
    "lock_dir = /var/lock\n"
    "orchestrator = consul\n"
    "sleep_before_next_run = 10\n"
    "sleep_before_next_lock_attempt = 3\n"
    "log_file = /var/log/ep2.log\n"
    "drain_timeout = 45\n"
    "slot_growth = 7\n"
    "metrics_file = /run/ep2d.prom\n"
    "keep_on_empty = yes\n"
    "[AWS]\n"
    "aws_access_key_id = AKIDEXAMPLE\n"
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
    "asg_name = web-asg, web-b\n"
    "region_name = eu-west-1\n"
    "ip_type = private\n"
    "autoscaling_endpoint = http://127.0.0.1:9000\n"
    "ec2_endpoint = https://ec2.example.com/\n"
    "lifecycle_queue_url = https://sqs.eu-west-1.amazonaws.com/1/q\n"
    "lifecycle_hook_name = web-out,web-in\n"
    "lifecycle_complete = no\n"
    "lifecycle_heartbeat_timeout = 10m\n"
    "[CONSUL]\n"
    "service_name = web\n"
    "consul_ip = 10.1.2.3\n"
    "consul_port = 8501\n"
    "only_passing = False\n"
    "tags = prod,v2\n"
    "token = 0e1c9f3a-6a8e-4c1d-b2a4-000000000001\n"
    "scheme = https\n"
    "ca_file = /etc/consul/ca.pem\n"
    "cert_file = /etc/consul/cert.pem\n"
    "key_file = /etc/consul/key.pem\n"
    "tls_server_name = consul.example.com\n"
    "datacenter = dc-1\n"
    "stale = yes\n"
    "wait = 1m30s\n"
    "max_response_size = 4M\n"
    "weights = no\n"
    "on_warning = drain\n"
    "[FILE]\n"
    "path = /srv/ep2/servers\n"
    "[backend api]\n"
    "orchestrator = aws\n"
    "asg_name = api-asg\n"
    "region_name = us-east-1\n"
    "backend_port = 7100\n"
    "update_type = update_by_runtime\n"
    "node_slots = 8\n"
    "[backend files2]\n"
    "orchestrator = file\n"
    "path = /srv/two\n"
    "backend_name = be2\n"
    "check_interval = 3s\n"
    "backend_maxconn = 5\n"
    "[backend svc]\n"
    "service_name = other\n"
    "tags = a\n"
    "on_warning = remove\n";

static struct imsgbuf	 wr, rd;	/* the parent's end, the child's */

static struct ep2_conf *
parse(const char *text)
{
	struct ep2_conf	*c;
	FILE		*fp;

	if ((fp = fmemopen((void *)text, strlen(text), "r")) == NULL)
		exit(2);
	c = config_parse_fp(fp, "t.conf");
	fclose(fp);
	if (c == NULL)
		exit(2);
	return (c);
}

/*
 * What the parent queued, through the pair, into config_get: the last
 * result that is not 0 (1 whole, -1 refused), and how many refusals.
 */
static int
deliver(struct conf_get *g, int *nrefused)
{
	struct imsg	 imsg;
	ssize_t		 n;
	size_t		 before;
	int		 r, last = 0;

	*nrefused = 0;
	/* both ends non-blocking: write what fits, read it, again */
	for (;;) {
		if (imsgbuf_queuelen(&wr) > 0 && imsgbuf_write(&wr) == -1 &&
		    errno != EAGAIN)
			exit(2);
		while ((n = imsg_get(&rd, &imsg)) > 0) {
			if ((r = config_get(g, &imsg)) == -1)
				(*nrefused)++;
			if (r != 0)
				last = r;
			imsg_free(&imsg);
		}
		if (n == -1)
			exit(2);
		/* 1 for EAGAIN too: done when a read brings nothing */
		before = rd.rlen;
		if (imsgbuf_read(&rd) != 1 || (rd.rlen == before &&
		    imsgbuf_queuelen(&wr) == 0))
			break;
	}
	return (last);
}

/* A message of the parent's, as a broken one could write it. */
static void
raw(uint32_t type, const void *data, size_t len)
{
	if (imsg_compose(&wr, type, 0, 0, -1, data, len) == -1)
		exit(2);
}

/* The backends alike, all but where they point to. */
static int
same_backends(const struct ep2_conf *a, const struct ep2_conf *b)
{
	size_t	 off = offsetof(struct backend_conf, index);
	int	 i;

	if (a->nbackends != b->nbackends)
		return (0);
	for (i = 0; i < a->nbackends; i++)
		if (b->backends[i]->conf != b || memcmp((const char *)
		    a->backends[i] + off, (const char *)b->backends[i] + off,
		    sizeof(struct backend_conf) - off) != 0)
			return (0);
	return (1);
}

static void
test_roundtrip(struct ep2_conf *c)
{
	struct ep2_conf	*d, *f;
	struct conf_get	 g;
	int		 nref, fds[2];

	ok(c->nbackends == 4, "a file of four backends");
	config_getinit(&g, PROC_FETCHER);
	if (pipe2(fds, O_CLOEXEC) == -1)
		exit(2);
	close(fds[1]);
	ok(config_setfetcher(&wr, c, fds[0]) == 0, "fetcher's part composed");
	ok(deliver(&g, &nref) == 1 && nref == 0 && g.conf != NULL,
	    "fetcher's part: taken whole");
	ok(g.fd != -1 && fcntl(g.fd, F_GETFD) != -1,
	    "the descriptor came with IMSG_CONF_START");
	f = g.conf;
	ok(same_backends(c, f), "every backend's keys equal after the trip");
	ok(memcmp(&f->consul, &c->consul, sizeof(c->consul)) == 0 &&
	    memcmp(&f->aws, &c->aws, sizeof(c->aws)) == 0 &&
	    f->sleep_before_next_run == 10 && f->keep_on_empty == 1,
	    "the shared keys the sources read: equal, secrets with them");
	ok(strcmp(f->aws.lifecycle_queue_url,
	    "https://sqs.eu-west-1.amazonaws.com/1/q") == 0 &&
	    f->aws.nlifecycle_hooks == 2 &&
	    strcmp(f->aws.lifecycle_hooks[1], "web-in") == 0 &&
	    f->aws.lifecycle_complete == 0 && f->aws.lifecycle_heartbeat == 600,
	    "the lifecycle keys: the queue, the hooks, complete, heartbeat");
	/* nothing else of the parent's: the defaults stand in */
	d = config_new();
	ok(strcmp(f->run.haproxy_binary, d->run.haproxy_binary) == 0 &&
	    strcmp(f->log_file, d->log_file) == 0 &&
	    strcmp(f->metrics_file, d->metrics_file) == 0 &&
	    strcmp(f->template_file, d->template_file) == 0 &&
	    f->drain_timeout == d->drain_timeout,
	    "fetcher's part: none of the parent's paths");
	config_free(f);
	g.conf = NULL;
	config_getclear(&g);

	config_getinit(&g, PROC_RELOADER);
	ok(config_setreloader(&wr, c, -1) == 0 &&
	    deliver(&g, &nref) == 1 && nref == 0 && g.run != NULL &&
	    g.fd == -1, "reloader's part: taken whole, no descriptor");
	ok(g.run != NULL && memcmp(g.run, &c->run, sizeof(c->run)) == 0,
	    "reloader's run_conf equal after the trip");
	config_getclear(&g);
	ok(g.run == NULL, "getclear gives it back");

	/* a refused one, then a good one: the good one is taken */
	config_getinit(&g, PROC_FETCHER);
	raw(IMSG_CONF_END, &(uint32_t){ 0 }, sizeof(uint32_t));
	ok(config_setfetcher(&wr, c, -1) == 0 && deliver(&g, &nref) == 1 &&
	    nref == 1 && same_backends(c, g.conf),
	    "after a refused message, the next configuration is taken");
	config_getclear(&g);
	config_free(d);
}

/* The first refusal's reason, and no more than one, or NULL. */
static const char *
refused(struct conf_get *g)
{
	int	 nref, r;

	r = deliver(g, &nref);
	if (r != -1 || nref != 1 || g->conf != NULL)
		return (NULL);
	return (g->why);
}

static void
test_refused(struct ep2_conf *c)
{
	struct conf_fetcher	 cf;
	struct backend_conf	 b;
	struct conf_get		 g;
	const char		*why;
	uint32_t		 n;
	int			 i, nref;

	config_getinit(&g, PROC_FETCHER);
	memset(&cf, 0, sizeof(cf));
	cf.nbackends = 1;
	cf.sleep_before_next_run = 5;
	cf.consul = c->consul;
	cf.aws = c->aws;
	memcpy(&b, c->backends[0], sizeof(b));
	b.conf = NULL;
	n = 1;

	raw(IMSG_CONF_START, &cf, sizeof(cf) - 1);
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "length") != NULL,
	    "a start one byte short: refused, one line, the rest dropped");

	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b) - 8);
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "length") != NULL,
	    "a backend of the wrong length: refused");

	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_END, &n, sizeof(n) - 1);
	ok((why = refused(&g)) != NULL && strstr(why, "length") != NULL,
	    "an end of the wrong length: refused");

	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "outside") != NULL,
	    "a backend before the start: refused, once");

	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "never begun") !=
	    NULL, "an end before the start: refused");

	/* a missing end: the next start comes first */
	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "before the last") !=
	    NULL, "a start before the end of the last: both refused");

	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	n = 2;
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "count") != NULL,
	    "an end counting other backends: refused");
	n = 1;

	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "more backends") !=
	    NULL, "more backends than announced: refused");

	cf.nbackends = EP2D_MAX_BACKENDS + 1;
	raw(IMSG_CONF_START, &cf, sizeof(cf));
	for (i = 0; i < EP2D_MAX_BACKENDS + 1; i++)
		raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	n = EP2D_MAX_BACKENDS + 1;
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "too many") != NULL,
	    "more than EP2D_MAX_BACKENDS: refused");
	cf.nbackends = 1;
	n = 1;

	raw(IMSG_CONF_START, &cf, sizeof(cf));
	b.index = 1;
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	b.index = 0;
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "place") != NULL,
	    "a backend out of its place: refused");

	/* values the file could not hold */
	raw(IMSG_CONF_START, &cf, sizeof(cf));
	memset(b.backend_name, 'x', sizeof(b.backend_name));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "backend_name") !=
	    NULL, "a name without its NUL: refused, naming the key");
	memcpy(&b, c->backends[0], sizeof(b));
	b.conf = NULL;

	raw(IMSG_CONF_START, &cf, sizeof(cf));
	b.update_type = 7;
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	b.update_type = UPDATE_CONFIG;
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "update_type") !=
	    NULL, "an enum out of its names: refused");

	raw(IMSG_CONF_START, &cf, sizeof(cf));
	b.consul.ntags = EP2D_MAX_TAGS + 1;
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	b.consul.ntags = c->backends[0]->consul.ntags;
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "tags") != NULL,
	    "a list past its bound: refused");

	raw(IMSG_CONF_START, &cf, sizeof(cf));
	strlcpy(b.label, "x-y", sizeof(b.label));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	b.label[0] = '\0';
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL, "a NAME for backend 0: refused");

	cf.consul.consul_port = 0;
	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "consul_port") !=
	    NULL, "a shared key out of bounds: refused");
	cf.consul = c->consul;

	cf.aws.nlifecycle_hooks = EP2D_MAX_HOOKS + 1;
	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why,
	    "lifecycle_hook_name") != NULL,
	    "a shared list past its bound: refused");
	cf.aws = c->aws;

	cf.aws.lifecycle_heartbeat = 0;
	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why,
	    "lifecycle_heartbeat_timeout") != NULL,
	    "a heartbeat of 0 s: refused");
	cf.aws = c->aws;

	memset(cf.consul.token, 'a', sizeof(cf.consul.token));
	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok((why = refused(&g)) != NULL && strstr(why, "token") != NULL,
	    "a secret without its NUL: refused");
	cf.consul = c->consul;

	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok(deliver(&g, &nref) == 1 && nref == 0 && g.conf != NULL &&
	    g.conf->nbackends == 1, "and a good one after all that");
	config_getclear(&g);

	/* the reloader: its own length, no backend */
	config_getinit(&g, PROC_RELOADER);
	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_END, &(uint32_t){ 0 }, sizeof(uint32_t));
	ok(deliver(&g, &nref) == -1 && nref == 1 && g.run == NULL,
	    "the reloader: the fetcher's part refused");
	if (config_setreloader(&wr, c, -1) == -1)
		exit(2);
	raw(IMSG_CONF_END, &(uint32_t){ 0 }, sizeof(uint32_t));
	ok(deliver(&g, &nref) == -1 && nref == 1,
	    "the reloader: a second end refused");
	config_getclear(&g);
	config_getinit(&g, PROC_RELOADER);
	{
		struct conf_reloader	 cr;

		memset(&cr, 0, sizeof(cr));
		cr.run = c->run;
		cr.nbackends = 1;
		raw(IMSG_CONF_START, &cr, sizeof(cr));
		raw(IMSG_CONF_BACKEND, &b, sizeof(b));
		raw(IMSG_CONF_END, &(uint32_t){ 1 }, sizeof(uint32_t));
		ok((why = refused(&g)) != NULL, "the reloader: a backend "
		    "refused");
		cr.nbackends = 0;
		cr.run.nsockets = EP2D_MAX_SOCKETS + 1;
		raw(IMSG_CONF_START, &cr, sizeof(cr));
		raw(IMSG_CONF_END, &(uint32_t){ 0 }, sizeof(uint32_t));
		ok((why = refused(&g)) != NULL && strstr(why,
		    "haproxy_socket_file") != NULL,
		    "the reloader: too many sockets refused");
		cr.run.nsockets = c->run.nsockets;
		cr.run.start_by = 9;
		raw(IMSG_CONF_START, &cr, sizeof(cr));
		raw(IMSG_CONF_END, &(uint32_t){ 0 }, sizeof(uint32_t));
		ok((why = refused(&g)) != NULL && strstr(why, "start_by") !=
		    NULL, "the reloader: start_by out of its names refused");
	}
	config_getclear(&g);
}

/*
 * The lifecycle keys ([AWS], shared): the fetcher's part carries them
 * as the file set them, or as their defaults when it did not (the
 * parent reads its own parse, the reloader's part has no [AWS]).  A
 * parent that sent one the file could not hold is refused with one
 * line naming the key, and the next good one taken.
 */
static void
test_lifecycle(struct ep2_conf *c)
{
	static const char plain[] =
	    "[haproxy]\norchestrator = aws\n[AWS]\nasg_name = web-asg\n";
	static const char edges[] =
	    "[haproxy]\norchestrator = aws\n[AWS]\nasg_name = a\n"
	    "lifecycle_queue_url = http://127.0.0.1:9/123456789012/q\n"
	    "lifecycle_hook_name = h1,h2,h3,h4,h5,h6,h7,h8\n"
	    "lifecycle_complete = yes\n"
	    "lifecycle_heartbeat_timeout = 2h\n";
	struct conf_fetcher	 cf;
	struct backend_conf	 b;
	struct ep2_conf		*p, *d;
	struct conf_get		 g;
	const char		*why;
	uint32_t		 n = 1;
	int			 nref;

	config_getinit(&g, PROC_FETCHER);
	p = parse(plain);
	d = config_new();
	ok(config_setfetcher(&wr, p, -1) == 0 && deliver(&g, &nref) == 1 &&
	    nref == 0 && g.conf != NULL, "no lifecycle key: taken whole");
	ok(g.conf != NULL && g.conf->aws.lifecycle_queue_url[0] == '\0' &&
	    g.conf->aws.nlifecycle_hooks == 0 &&
	    g.conf->aws.lifecycle_complete == 1 &&
	    g.conf->aws.lifecycle_heartbeat == 3600 &&
	    memcmp(&g.conf->aws, &d->aws, sizeof(d->aws)) == 0,
	    "no lifecycle key: no queue, no hook, complete yes, 3600 s");
	config_getclear(&g);
	config_free(p);
	config_free(d);

	p = parse(edges);
	ok(config_setfetcher(&wr, p, -1) == 0 && deliver(&g, &nref) == 1 &&
	    nref == 0 && g.conf != NULL, "the lifecycle keys at their bounds: "
	    "taken");
	ok(g.conf != NULL && strcmp(g.conf->aws.lifecycle_queue_url,
	    "http://127.0.0.1:9/123456789012/q") == 0 &&
	    g.conf->aws.nlifecycle_hooks == EP2D_MAX_HOOKS &&
	    strcmp(g.conf->aws.lifecycle_hooks[0], "h1") == 0 &&
	    strcmp(g.conf->aws.lifecycle_hooks[7], "h8") == 0 &&
	    g.conf->aws.lifecycle_complete == 1 &&
	    g.conf->aws.lifecycle_heartbeat == 7200,
	    "8 hooks, a heartbeat of 7200 s, complete yes: intact");
	config_getclear(&g);
	config_free(p);

	/* broken ones: each refused whole, in one line naming the key */
	config_getinit(&g, PROC_FETCHER);
	memset(&cf, 0, sizeof(cf));
	cf.nbackends = 1;
	cf.sleep_before_next_run = 5;
	cf.consul = c->consul;
	memcpy(&b, c->backends[0], sizeof(b));
	b.conf = NULL;

#define LC_REFUSED(key, what) do {					\
	raw(IMSG_CONF_START, &cf, sizeof(cf));				\
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));				\
	raw(IMSG_CONF_END, &n, sizeof(n));				\
	ok((why = refused(&g)) != NULL && strstr(why, key) != NULL &&	\
	    strchr(why, '\n') == NULL,					\
	    "%s: refused, one line naming %s", what, key);		\
	if (why != NULL)						\
		printf("# %s\n", why);					\
	cf.aws = c->aws;						\
} while (0)

	cf.aws = c->aws;
	memset(cf.aws.lifecycle_queue_url, 'a',
	    sizeof(cf.aws.lifecycle_queue_url));
	memcpy(cf.aws.lifecycle_queue_url, "https://", 8);
	LC_REFUSED("lifecycle_queue_url", "a queue URL without its NUL");
	strlcpy(cf.aws.lifecycle_queue_url, "ftp://sqs.example.com/1/q",
	    sizeof(cf.aws.lifecycle_queue_url));
	LC_REFUSED("lifecycle_queue_url", "a queue URL not http(s)");
	strlcpy(cf.aws.lifecycle_queue_url, "https://sqs.example.com/1/a q",
	    sizeof(cf.aws.lifecycle_queue_url));
	LC_REFUSED("lifecycle_queue_url", "a queue URL with a space");
	strlcpy(cf.aws.lifecycle_queue_url, "https://",
	    sizeof(cf.aws.lifecycle_queue_url));
	LC_REFUSED("lifecycle_queue_url", "a queue URL without its host");
	memset(cf.aws.lifecycle_hooks[1], 'h', EP2D_NAME_MAX);
	LC_REFUSED("lifecycle_hook_name", "a hook name without its NUL");
	strlcpy(cf.aws.lifecycle_hooks[0], "ep2d\"in", EP2D_NAME_MAX);
	LC_REFUSED("lifecycle_hook_name", "a hook name with a quote");
	cf.aws.lifecycle_hooks[1][0] = '\0';
	LC_REFUSED("lifecycle_hook_name", "an empty hook name in the count");
	cf.aws.nlifecycle_hooks = -1;
	LC_REFUSED("lifecycle_hook_name", "a count of hooks below 0");
	cf.aws.lifecycle_complete = 2;
	LC_REFUSED("lifecycle_complete", "lifecycle_complete 2");
	cf.aws.lifecycle_complete = -1;
	LC_REFUSED("lifecycle_complete", "lifecycle_complete -1");
	cf.aws.lifecycle_heartbeat = 7201;
	LC_REFUSED("lifecycle_heartbeat_timeout", "a heartbeat of 7201 s");
	cf.aws.lifecycle_heartbeat = -3600;
	LC_REFUSED("lifecycle_heartbeat_timeout", "a heartbeat below 0");
#undef LC_REFUSED

	cf.aws = c->aws;
	raw(IMSG_CONF_START, &cf, sizeof(cf));
	raw(IMSG_CONF_BACKEND, &b, sizeof(b));
	raw(IMSG_CONF_END, &n, sizeof(n));
	ok(deliver(&g, &nref) == 1 && nref == 0 && g.conf != NULL &&
	    strcmp(g.conf->aws.lifecycle_hooks[0], "web-out") == 0 &&
	    g.conf->aws.lifecycle_heartbeat == 600,
	    "then a good one: taken, its lifecycle keys intact");
	config_getclear(&g);
}

int
main(void)
{
	struct ep2_conf	*c;
	int		 sv[2];

	log_init(1, 0);
	log_setverbose(0);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1 ||
	    imsgbuf_init(&wr, sv[0]) == -1 || imsgbuf_init(&rd, sv[1]) == -1)
		exit(2);
	imsgbuf_set_maxsize(&wr, EP2D_MAX_IMSGSIZE);
	imsgbuf_set_maxsize(&rd, EP2D_MAX_IMSGSIZE);
	imsgbuf_allow_fdpass(&rd);
	c = parse(full);
	test_roundtrip(c);
	test_refused(c);
	test_lifecycle(c);
	config_free(c);
	imsgbuf_clear(&wr);
	imsgbuf_clear(&rd);
	return (done_testing());
}
