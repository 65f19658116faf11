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
 * config.c: EP2's ep2.conf read unchanged (keys, defaults, configparser's
 * syntax and booleans), ep2d's new keys, and bad files refused with
 * file:line and the key, nothing applied.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep2d.h"
#include "tap.h"
#include "logcap.h"

#define NAME	"t.conf"

/* The smallest valid file: orchestrator file needs a path. */
#define MIN_CONF	"[haproxy]\norchestrator = file\n" \
			"[FILE]\npath = /srv/servers\n"

/* [haproxy]'s keys of a backend: backend 0's */
#define BE(c)	((c)->backends[0])

static struct ep2_conf	*conf;

/* A good parse replaces *cp; a bad one leaves it as it was. */
static int
take(struct ep2_conf *n, struct ep2_conf **cp)
{
	if (n == NULL)
		return (-1);
	config_free(*cp);
	*cp = n;
	return (0);
}

static int
parse(const char *text, struct ep2_conf **cp)
{
	struct ep2_conf	*n;
	FILE		*fp;

	cap_start();
	if ((fp = fmemopen((void *)text, strlen(text), "r")) == NULL)
		fatal("fmemopen");
	n = config_parse_fp(fp, NAME);
	fclose(fp);
	return (take(n, cp));
}

/*
 * Two configurations alike, key for key: the shared keys, then each
 * backend's (all but where they point to).
 */
static int
conf_same(const struct ep2_conf *a, const struct ep2_conf *b)
{
	size_t	 off = offsetof(struct backend_conf, index);
	int	 i;

	if (memcmp(a, b, offsetof(struct ep2_conf, nbackends)) != 0 ||
	    a->nbackends != b->nbackends)
		return (0);
	for (i = 0; i < a->nbackends; i++)
		if (memcmp((const char *)a->backends[i] + off,
		    (const char *)b->backends[i] + off,
		    sizeof(struct backend_conf) - off) != 0)
			return (0);
	return (1);
}

/*
 * A file with the four sections, in which LINE is the first line of
 * section SEC; *lineno tells where it landed.  The lines that make the
 * file valid are left out when LINE sets the same key.
 */
static int
parse_line(const char *sec, const char *line, struct ep2_conf **c,
    int *lineno)
{
	static const struct {
		const char	*sec;
		const char	*base;
	} secs[] = {
		{ "haproxy", "orchestrator = file" },
		{ "AWS", NULL },
		{ "CONSUL", NULL },
		{ "FILE", "path = /srv/servers" },
	};
	char	 buf[8192];
	size_t	 i, klen;
	int	 n = 0;

	buf[0] = '\0';
	klen = strcspn(line, " =:");
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		strlcat(buf, "[", sizeof(buf));
		strlcat(buf, secs[i].sec, sizeof(buf));
		strlcat(buf, "]\n", sizeof(buf));
		n++;
		if (strcmp(secs[i].sec, sec) == 0) {
			strlcat(buf, line, sizeof(buf));
			strlcat(buf, "\n", sizeof(buf));
			*lineno = ++n;
		}
		if (secs[i].base != NULL && (strcmp(secs[i].sec, sec) != 0 ||
		    strncmp(secs[i].base, line, klen) != 0 ||
		    secs[i].base[klen] != ' ')) {
			strlcat(buf, secs[i].base, sizeof(buf));
			strlcat(buf, "\n", sizeof(buf));
			n++;
		}
	}
	return (parse(buf, c));
}

/*
 * "key =": the key's default, as EP2's merge_with_default_config; in
 * [backend NAME] what the backend inherits.
 */
static void
test_empty_defaults(void)
{
	static const char *keys[] = {
		"haproxy_config_file", "template_file", "backend_port",
		"haproxy_binary", "start_by", "haproxy_socket_file", "pid_file",
		"backend_name", "update_type", "node_slots", "service_name",
		"lock_dir", "orchestrator", "sleep_before_next_run",
		"sleep_before_next_lock_attempt", "log_file", "drain_timeout",
		"slot_growth", "keep_on_empty",
	};
	static const char *ckeys[] = {
		"consul_ip", "consul_port", "only_passing", "scheme", "stale",
		"wait", "max_response_size", "weights", "on_warning",
	};
	struct ep2_conf	*d, *c = NULL;
	char		 buf[4096];
	size_t		 i;

	if ((d = config_new()) == NULL)
		fatal("config_new");
	/* every [haproxy] key at once, each empty; the file orchestrator */
	snprintf(buf, sizeof(buf), "[haproxy]\n");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		strlcat(buf, keys[i], sizeof(buf));
		strlcat(buf, " =\n", sizeof(buf));
	}
	strlcat(buf, "[AWS]\nasg_name = web\n[CONSUL]\n", sizeof(buf));
	for (i = 0; i < sizeof(ckeys) / sizeof(ckeys[0]); i++) {
		strlcat(buf, ckeys[i], sizeof(buf));
		strlcat(buf, " =\n", sizeof(buf));
	}
	ok(parse(buf, &c) == 0, "every key with a default taken empty");
	if (cap_lines() > 0)
		ok(strcmp(c->run.haproxy_config_file,
	    d->run.haproxy_config_file) == 0 &&
	    strcmp(c->template_file, d->template_file) == 0 &&
	    BE(c)->backend_port == 6003 &&
	    strcmp(c->run.haproxy_binary, "/usr/sbin/haproxy") == 0 &&
	    c->run.start_by == START_BINARY && c->run.nsockets == 1 &&
	    strcmp(c->run.sockets[0], "/var/run/haproxy/haproxy.sock") == 0 &&
	    strcmp(c->run.pid_file, "/run/haproxy.pid") == 0 &&
	    strcmp(BE(c)->backend_name, "haproxynode") == 0 &&
	    BE(c)->update_type == UPDATE_RUNTIME && BE(c)->node_slots == 50 &&
	    strcmp(c->run.service_name, "haproxy") == 0 &&
	    strcmp(c->lock_dir, "/run") == 0 &&
	    BE(c)->orchestrator == ORCH_AWS &&
	    c->sleep_before_next_run == 5 &&
	    c->sleep_before_next_lock_attempt == 5,
	    "EP2's sixteen [haproxy] defaults");
	is_str(c->log_file, "/var/log/ep2/ep2.log",
	    "log_file empty: EP2's default file, not none");
	ok(c->drain_timeout == 30 && c->slot_growth == 0 &&
	    c->keep_on_empty == 0, "ep2d's own [haproxy] keys: defaults");
	ok(strcmp(c->consul.consul_ip, "127.0.0.1") == 0 &&
	    c->consul.consul_port == 8500 && BE(c)->consul.only_passing == 1 &&
	    c->consul.https == 0 && c->consul.stale == 0 &&
	    c->consul.wait == 300 && c->consul.max_body == d->consul.max_body &&
	    BE(c)->consul.weights == 1 &&
	    BE(c)->consul.on_warning == WARN_DEFAULT,
	    "[CONSUL] keys: defaults");
	ok(parse("[haproxy]\norchestrator = file\nlog_file = none\n[FILE]\n"
	    "path = /s\n", &c) == 0 && c->log_file[0] == '\0',
	    "log_file = none: no file");
	ok(parse("[haproxy]\norchestrator = file\nbackend_port = 80\n"
	    "backend_port =\n[FILE]\npath = /s\n", &c) == -1 &&
	    cap_has("t.conf:4: backend_port: given twice"),
	    "an empty duplicate is still a duplicate");
	ok(parse("[haproxy]\norchestrator = file\nnode_slots = 7\n"
	    "backend_port = 81\nupdate_type = update_by_config\n[FILE]\n"
	    "path = /s\n[backend b]\nbackend_name =\nnode_slots =\n"
	    "backend_port =\nupdate_type =\norchestrator =\n", &c) == 0 &&
	    strcmp(c->backends[1]->backend_name, "b") == 0 &&
	    c->backends[1]->node_slots == 7 &&
	    c->backends[1]->backend_port == 81 &&
	    c->backends[1]->update_type == UPDATE_CONFIG &&
	    c->backends[1]->orchestrator == ORCH_FILE,
	    "[backend NAME] key =: inherited as if not given");
	ok(parse("[haproxy]\norchestrator = file\n[FILE]\npath =\n", &c) ==
	    -1 && cap_has("t.conf:4: path"),
	    "a key without a default (path) is still refused empty");
	config_free(c);
	config_free(d);
}

static void
test_defaults(void)
{
	struct ep2_conf	*c;

	if ((c = config_new()) == NULL)
		fatal("config_new");
	is_str(c->run.haproxy_config_file, "/etc/haproxy/haproxy.cfg",
	    "default haproxy_config_file");
	is_str(c->template_file, "/etc/ep2/ep2.template",
	    "default template_file");
	is_int(BE(c)->backend_port, 6003, "default backend_port");
	is_str(c->run.haproxy_binary, "/usr/sbin/haproxy",
	    "default haproxy_binary");
	is_int(c->run.start_by, START_BINARY, "default start_by binary");
	is_int(c->run.nsockets, 1, "default: one socket");
	is_str(c->run.sockets[0], "/var/run/haproxy/haproxy.sock",
	    "default haproxy_socket_file");
	is_str(c->run.pid_file, "/run/haproxy.pid", "default pid_file");
	is_str(BE(c)->backend_name, "haproxynode", "default backend_name");
	is_int(BE(c)->backend_maxconn, -1, "default backend_maxconn unset");
	is_str(BE(c)->check_interval, "", "default check_interval unset");
	is_int(BE(c)->update_type, UPDATE_RUNTIME,
	    "default update_type update_by_runtime");
	is_int(BE(c)->node_slots, 50, "default node_slots");
	is_str(c->run.service_name, "haproxy", "default service_name");
	is_str(c->lock_dir, "/run", "default lock_dir");
	is_int(BE(c)->orchestrator, ORCH_AWS, "default orchestrator aws");
	is_int(c->sleep_before_next_run, 5, "default sleep_before_next_run");
	is_int(c->sleep_before_next_lock_attempt, 5,
	    "default sleep_before_next_lock_attempt");
	is_str(c->log_file, "/var/log/ep2/ep2.log", "default log_file");
	is_int(c->drain_timeout, 30, "default drain_timeout 30");
	is_int(c->slot_growth, 0, "default slot_growth double");
	is_str(c->consul.consul_ip, "127.0.0.1", "default consul_ip");
	is_int(c->consul.consul_port, 8500, "default consul_port");
	is_int(BE(c)->consul.only_passing, 1, "default only_passing True");
	is_int(BE(c)->consul.ntags, 0, "default: no tags");
	is_int(c->consul.https, 0, "default scheme http");
	is_int(c->consul.stale, 0, "default stale no");
	is_int(c->consul.wait, 300, "default wait 5m");
	is_int(c->consul.max_body, 16 * 1024 * 1024,
	    "default max_response_size 16M");
	is_str(c->consul.token, "", "default: no token");
	is_int(c->aws.ip_type, IP_PUBLIC, "default ip_type public");
	is_int(c->aws.ip_type_set, 0, "default ip_type implicit");
	is_int(BE(c)->aws.nasg, 0, "default: no asg_name");
	is_str(BE(c)->file.path, "", "default: no servers file");

	/* a file that sets nothing but what it must keeps every default */
	ok(parse(MIN_CONF, &conf) == 0, "minimal file parses");
	BE(c)->orchestrator = ORCH_FILE;
	strlcpy(BE(c)->file.path, "/srv/servers", sizeof(BE(c)->file.path));
	strlcpy(c->conf_path, NAME, sizeof(c->conf_path));
	ok(conf_same(c, conf),
	    "minimal file: everything else is EP2's default");
	is_int(cap_lines(), 0, "minimal file: nothing logged");
	config_free(c);
}

/* An EP2 file with every key of every section, as EP2 users write it. */
static const char ep2_full[] =
    "# ep2.conf as EP2 read it\n"
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
    "\n"
    "[AWS]\n"
    "aws_access_key_id = AKIDEXAMPLE\n"
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
    "asg_name = web-asg\n"
    "region_name = eu-west-1\n"
    "ip_type = private\n"
    "\n"
    "[CONSUL]\n"
    "service_name = web\n"
    "consul_ip = 10.1.2.3\n"
    "consul_port = 8501\n"
    "only_passing = False\n"
    "tags = prod,v2\n"
    "\n"
    "[FILE]\n"
    "path = /srv/ep2/servers\n";

static void
test_full(void)
{
	ok(parse(ep2_full, &conf) == 0, "EP2 file with every key parses");
	is_int(cap_lines(), 0, "EP2 file: nothing logged");
	is_str(conf->run.haproxy_config_file, "/etc/haproxy/hap.cfg",
	    "haproxy_config_file");
	is_str(conf->template_file, "/etc/ep2/hap.template", "template_file");
	is_int(BE(conf)->backend_port, 8080, "backend_port");
	is_str(conf->run.haproxy_binary, "/usr/local/sbin/haproxy",
	    "haproxy_binary");
	is_int(conf->run.start_by, START_SYSTEMD, "start_by systemd");
	is_int(conf->run.nsockets, 2, "haproxy_socket_file: two sockets");
	is_str(conf->run.sockets[0], "/run/haproxy/a.sock", "socket 1");
	is_str(conf->run.sockets[1], "/run/haproxy/b.sock", "socket 2");
	is_str(conf->run.pid_file, "/run/hap.pid", "pid_file");
	is_str(BE(conf)->backend_name, "web_nodes", "backend_name");
	is_int(BE(conf)->backend_maxconn, 200, "backend_maxconn");
	is_str(BE(conf)->check_interval, "2000", "check_interval");
	is_int(BE(conf)->update_type, UPDATE_CONFIG, "update_type");
	is_int(BE(conf)->node_slots, 20, "node_slots");
	is_str(conf->run.service_name, "haproxy.service",
	    "[haproxy] service_name");
	is_str(conf->lock_dir, "/var/lock", "lock_dir");
	is_int(BE(conf)->orchestrator, ORCH_CONSUL, "orchestrator consul");
	is_int(conf->sleep_before_next_run, 10, "sleep_before_next_run");
	is_int(conf->sleep_before_next_lock_attempt, 3,
	    "sleep_before_next_lock_attempt");
	is_str(conf->log_file, "/var/log/ep2.log", "log_file");
	is_str(conf->aws.access_key_id, "AKIDEXAMPLE", "aws_access_key_id");
	is_str(conf->aws.secret_access_key,
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	    "aws_secret_access_key");
	is_int(BE(conf)->aws.nasg, 1, "asg_name: one group");
	is_str(BE(conf)->aws.asg_names[0], "web-asg", "asg_name");
	is_str(BE(conf)->aws.region, "eu-west-1", "region_name");
	is_int(conf->aws.ip_type, IP_PRIVATE, "ip_type private");
	is_int(conf->aws.ip_type_set, 1, "ip_type explicit");
	is_str(BE(conf)->consul.service_name, "web", "[CONSUL] service_name");
	is_str(conf->consul.consul_ip, "10.1.2.3", "consul_ip");
	is_int(conf->consul.consul_port, 8501, "consul_port");
	is_int(BE(conf)->consul.only_passing, 0, "only_passing False");
	is_int(BE(conf)->consul.ntags, 2, "tags: two");
	is_str(BE(conf)->consul.tags[0], "prod", "tag 1");
	is_str(BE(conf)->consul.tags[1], "v2", "tag 2");
	is_str(BE(conf)->file.path, "/srv/ep2/servers", "[FILE] path");

	/* the same, written as CRLF */
	{
		char	 crlf[sizeof(ep2_full) * 2];
		struct ep2_conf	*c2 = NULL;
		size_t	 i, o = 0;

		for (i = 0; ep2_full[i] != '\0'; i++) {
			if (ep2_full[i] == '\n')
				crlf[o++] = '\r';
			crlf[o++] = ep2_full[i];
		}
		crlf[o] = '\0';
		ok(parse(crlf, &c2) == 0, "CRLF file parses");
		strlcpy(c2->conf_path, conf->conf_path, sizeof(c2->conf_path));
		ok(conf_same(c2, conf), "CRLF file: same configuration");
		config_free(c2);
	}
}

static void
test_new_keys(void)
{
	ok(parse(
	    "[haproxy]\n"
	    "orchestrator = consul\n"
	    "drain_timeout = 45s\n"
	    "slot_growth = 25\n"
	    "[CONSUL]\n"
	    "service_name = web\n"
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
	    "[AWS]\n"
	    "asg_name = a\n"
	    "autoscaling_endpoint = http://127.0.0.1:9000\n"
	    "ec2_endpoint = https://ec2.example.com/\n", &conf) == 0,
	    "every new key parses");
	is_int(conf->drain_timeout, 45, "drain_timeout 45s");
	is_int(conf->slot_growth, 25, "slot_growth 25");
	is_str(conf->consul.token, "0e1c9f3a-6a8e-4c1d-b2a4-000000000001",
	    "token");
	ok(!cap_has("0e1c9f3a"), "the token is not logged");
	is_int(conf->consul.https, 1, "scheme https");
	is_str(conf->consul.ca_file, "/etc/consul/ca.pem", "ca_file");
	is_str(conf->consul.cert_file, "/etc/consul/cert.pem", "cert_file");
	is_str(conf->consul.key_file, "/etc/consul/key.pem", "key_file");
	is_str(conf->consul.tls_server_name, "consul.example.com",
	    "tls_server_name");
	is_str(conf->consul.datacenter, "dc-1", "datacenter");
	is_int(conf->consul.stale, 1, "stale yes");
	is_int(conf->consul.wait, 90, "wait 1m30s");
	is_int(conf->consul.max_body, 4 * 1024 * 1024, "max_response_size 4M");
	is_str(conf->aws.autoscaling_endpoint, "http://127.0.0.1:9000",
	    "autoscaling_endpoint");
	is_str(conf->aws.ec2_endpoint, "https://ec2.example.com/",
	    "ec2_endpoint");

	ok(parse("[haproxy]\norchestrator = file\ndrain_timeout = 0\n"
	    "slot_growth = double\n[FILE]\npath = /s\n[CONSUL]\nwait = 300\n"
	    "max_response_size = 1024\n", &conf) == 0 &&
	    conf->drain_timeout == 0 && conf->slot_growth == 0 &&
	    conf->consul.wait == 300 && conf->consul.max_body == 1024,
	    "drain_timeout 0, slot_growth double, wait 300, size 1024");
	ok(parse("[haproxy]\norchestrator = file\n[FILE]\npath = /s\n"
	    "[CONSUL]\nwait = 10m\nmax_response_size = 1024KiB\n",
	    &conf) == 0 && conf->consul.wait == 600 &&
	    conf->consul.max_body == 1024 * 1024, "wait 10m, size 1024KiB");
}

/*
 * [AWS]'s lifecycle keys: their defaults (no queue, any hook, complete
 * yes, 3600 s), "key =" as not given, the bounds the man page gives
 * (8 hooks, 1 to 7200 s), a queue URL that does not fit, and that they
 * are shared: a [backend NAME] may not set them.
 */
static void
test_lifecycle(void)
{
	char	 line[600];
	int	 n;

	ok(parse(MIN_CONF, &conf) == 0 &&
	    conf->aws.lifecycle_queue_url[0] == '\0' &&
	    conf->aws.nlifecycle_hooks == 0 &&
	    conf->aws.lifecycle_complete == 1 &&
	    conf->aws.lifecycle_heartbeat == 3600,
	    "lifecycle defaults: no queue, no hook named, complete, 3600 s");
	ok(parse("[haproxy]\n[AWS]\nasg_name = web\n"
	    "lifecycle_queue_url = https://sqs.eu-west-1.amazonaws.com/"
	    "111122223333/ep2d-lb1\n"
	    "lifecycle_hook_name = ep2d-lb1-out, ep2d-lb1-in\n"
	    "lifecycle_complete = no\n"
	    "lifecycle_heartbeat_timeout = 300\n", &conf) == 0,
	    "the man page's lifecycle example parses");
	is_str(conf->aws.lifecycle_queue_url,
	    "https://sqs.eu-west-1.amazonaws.com/111122223333/ep2d-lb1",
	    "lifecycle_queue_url");
	ok(conf->aws.nlifecycle_hooks == 2 &&
	    strcmp(conf->aws.lifecycle_hooks[0], "ep2d-lb1-out") == 0 &&
	    strcmp(conf->aws.lifecycle_hooks[1], "ep2d-lb1-in") == 0,
	    "lifecycle_hook_name: two, spaces stripped");
	is_int(conf->aws.lifecycle_complete, 0, "lifecycle_complete no");
	is_int(conf->aws.lifecycle_heartbeat, 300,
	    "lifecycle_heartbeat_timeout 300");
	ok(parse_line("AWS", "lifecycle_complete = yes", &conf, &n) == 0 &&
	    conf->aws.lifecycle_complete == 1, "lifecycle_complete yes");
	ok(parse_line("AWS", "lifecycle_complete = False", &conf, &n) == 0 &&
	    conf->aws.lifecycle_complete == 0, "lifecycle_complete False");

	/* "key =": the default */
	ok(parse("[haproxy]\norchestrator = file\n[FILE]\npath = /s\n"
	    "[AWS]\nlifecycle_queue_url =\nlifecycle_hook_name =\n"
	    "lifecycle_complete =\nlifecycle_heartbeat_timeout =\n",
	    &conf) == 0 && conf->aws.lifecycle_queue_url[0] == '\0' &&
	    conf->aws.nlifecycle_hooks == 0 &&
	    conf->aws.lifecycle_complete == 1 &&
	    conf->aws.lifecycle_heartbeat == 3600,
	    "lifecycle keys empty: their defaults");

	/* the bounds */
	ok(parse_line("AWS", "lifecycle_heartbeat_timeout = 1", &conf, &n) ==
	    0 && conf->aws.lifecycle_heartbeat == 1, "heartbeat 1 s: taken");
	ok(parse_line("AWS", "lifecycle_heartbeat_timeout = 2h", &conf, &n) ==
	    0 && conf->aws.lifecycle_heartbeat == 7200,
	    "heartbeat 2h (7200 s): taken");
	ok(parse_line("AWS", "lifecycle_heartbeat_timeout = 5m", &conf, &n) ==
	    0 && conf->aws.lifecycle_heartbeat == 300, "heartbeat 5m: 300 s");
	ok(parse_line("AWS", "lifecycle_hook_name = 1,2,3,4,5,6,7,8", &conf,
	    &n) == 0 && conf->aws.nlifecycle_hooks == EP2D_MAX_HOOKS,
	    "8 hooks: taken");
	ok(parse_line("AWS", "lifecycle_hook_name = 1,2,3,4,5,6,7,8,9", &conf,
	    &n) == -1 && n == 4 && cap_has("t.conf:4: lifecycle_hook_name: ") &&
	    cap_has("more than 8") && cap_lines() == 1,
	    "9 hooks: refused, one line");
	printf("# log: %s", cap_log());
	ok(parse_line("AWS", "lifecycle_queue_url = http://127.0.0.1:9/1/q",
	    &conf, &n) == 0 &&
	    strcmp(conf->aws.lifecycle_queue_url, "http://127.0.0.1:9/1/q") ==
	    0, "a queue on http://, as the tests' fake");

	/* a URL the field cannot hold: refused, not cut */
	snprintf(line, sizeof(line), "lifecycle_queue_url = https://sqs.x/1/");
	n = strlen(line);
	memset(line + n, 'q', sizeof(conf->aws.lifecycle_queue_url));
	line[n + sizeof(conf->aws.lifecycle_queue_url)] = '\0';
	ok(parse_line("AWS", line, &conf, &n) == -1 && n == 4 &&
	    cap_has("t.conf:4: lifecycle_queue_url: ") && cap_lines() == 1,
	    "a queue URL longer than %zu bytes: refused, one line",
	    sizeof(conf->aws.lifecycle_queue_url) - 1);
	if (cap_lines() != 1)
		printf("# log: %s", cap_log());
	snprintf(line, sizeof(line), "lifecycle_queue_url = https://sqs.x/");
	n = strlen(line);
	memset(line + n, 'q', sizeof(conf->aws.lifecycle_queue_url) - 1 -
	    strlen("https://sqs.x/"));
	line[n + sizeof(conf->aws.lifecycle_queue_url) - 1 -
	    strlen("https://sqs.x/")] = '\0';
	ok(parse_line("AWS", line, &conf, &n) == 0 &&
	    strlen(conf->aws.lifecycle_queue_url) ==
	    sizeof(conf->aws.lifecycle_queue_url) - 1,
	    "a queue URL of %zu bytes: taken",
	    sizeof(conf->aws.lifecycle_queue_url) - 1);

	/* shared: not a [backend NAME] key */
	ok(parse("[haproxy]\n[AWS]\nasg_name = a\n[backend b]\n"
	    "asg_name = b\nlifecycle_queue_url = https://sqs.x/1/q\n",
	    &conf) == -1 && cap_has("t.conf:6: lifecycle_queue_url: not a key "
	    "of [backend b]"),
	    "lifecycle_queue_url in [backend NAME]: refused");
	ok(parse("[haproxy]\n[AWS]\nasg_name = a\n[backend b]\n"
	    "asg_name = b\nlifecycle_hook_name = h\n", &conf) == -1 &&
	    cap_has("t.conf:6: lifecycle_hook_name: not a key"),
	    "lifecycle_hook_name in [backend NAME]: refused");
}

static void
test_booleans(void)
{
	static const struct {
		const char	*s;
		int		 v;
	} forms[] = {
		{ "True", 1 }, { "False", 0 }, { "true", 1 }, { "FALSE", 0 },
		{ "tRuE", 1 }, { "yes", 1 }, { "no", 0 }, { "YES", 1 },
		{ "No", 0 }, { "on", 1 }, { "off", 0 }, { "ON", 1 },
		{ "Off", 0 }, { "1", 1 }, { "0", 0 },
	};
	static const char *bad[] = {
		"2", "maybe", "y", "n", "t", "f", "yes please", "01",
		"\"True\"", "enabled",
	};
	char	 line[128];
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(line, sizeof(line), "only_passing = %s", forms[i].s);
		ok(parse_line("CONSUL", line, &conf, &n) == 0 &&
		    BE(conf)->consul.only_passing == forms[i].v,
		    "boolean %s is %d", forms[i].s, forms[i].v);
		snprintf(line, sizeof(line), "stale = %s", forms[i].s);
		ok(parse_line("CONSUL", line, &conf, &n) == 0 &&
		    conf->consul.stale == forms[i].v,
		    "stale %s is %d", forms[i].s, forms[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "only_passing = %s", bad[i]);
		ok(parse_line("CONSUL", line, &conf, &n) == -1 &&
		    cap_has("t.conf:5: only_passing"),
		    "not a boolean: \"%s\"", bad[i]);
	}
}

static void
test_lists(void)
{
	int	 n;

	ok(parse_line("haproxy", "haproxy_socket_file = /a.sock , /b.sock,"
	    "/c.sock", &conf, &n) == 0 && conf->run.nsockets == 3 &&
	    strcmp(conf->run.sockets[0], "/a.sock") == 0 &&
	    strcmp(conf->run.sockets[1], "/b.sock") == 0 &&
	    strcmp(conf->run.sockets[2], "/c.sock") == 0,
	    "haproxy_socket_file: three, spaces around commas");
	ok(parse_line("haproxy", "haproxy_socket_file = /a.sock", &conf,
	    &n) == 0 && conf->run.nsockets == 1, "haproxy_socket_file: one");
	ok(parse_line("haproxy", "haproxy_socket_file = /a.sock,", &conf,
	    &n) == -1 && cap_has("t.conf:2: haproxy_socket_file"),
	    "haproxy_socket_file: empty entry refused");
	ok(parse_line("haproxy", "haproxy_socket_file = a.sock", &conf,
	    &n) == -1, "haproxy_socket_file: relative path refused");
	ok(parse_line("haproxy", "haproxy_socket_file = /1,/2,/3,/4,/5,/6,"
	    "/7,/8,/9,/10,/11,/12,/13,/14,/15,/16", &conf, &n) == 0 &&
	    conf->run.nsockets == 16, "haproxy_socket_file: 16 sockets");
	ok(parse_line("haproxy", "haproxy_socket_file = /1,/2,/3,/4,/5,/6,"
	    "/7,/8,/9,/10,/11,/12,/13,/14,/15,/16,/17", &conf, &n) == -1,
	    "haproxy_socket_file: 17 sockets refused");
	ok(parse("[haproxy]\norchestrator = file\nupdate_type = "
	    "update_by_config\nhaproxy_socket_file = none\n[FILE]\npath = "
	    "/s\n", &conf) == 0 && conf->run.nsockets == 0,
	    "haproxy_socket_file none: no socket with update_by_config");
	ok(parse("[haproxy]\norchestrator = file\nhaproxy_socket_file = none\n"
	    "[FILE]\npath = /s\n", &conf) == -1 &&
	    cap_has("t.conf:3: haproxy_socket_file"),
	    "haproxy_socket_file none: refused with update_by_runtime");
	ok(parse("[haproxy]\norchestrator = file\nhaproxy_socket_file =\n"
	    "[FILE]\npath = /s\n", &conf) == 0 && conf->run.nsockets == 1 &&
	    strcmp(conf->run.sockets[0], "/var/run/haproxy/haproxy.sock") == 0,
	    "haproxy_socket_file empty: EP2's default socket");

	ok(parse("[haproxy]\n[AWS]\nasg_name = web-a, web-b ,web-c\n",
	    &conf) == 0 && BE(conf)->orchestrator == ORCH_AWS &&
	    BE(conf)->aws.nasg == 3 &&
	    strcmp(BE(conf)->aws.asg_names[0], "web-a") == 0 &&
	    strcmp(BE(conf)->aws.asg_names[1], "web-b") == 0 &&
	    strcmp(BE(conf)->aws.asg_names[2], "web-c") == 0,
	    "asg_name: comma-separated list of three");
	ok(parse("[haproxy]\n[AWS]\nasg_name = a,,b\n", &conf) == -1 &&
	    cap_has("t.conf:3: asg_name"), "asg_name: empty entry refused");
	ok(parse_line("CONSUL", "tags = a", &conf, &n) == 0 &&
	    BE(conf)->consul.ntags == 1 &&
	    strcmp(BE(conf)->consul.tags[0], "a") == 0,
	    "tags: one");
	ok(parse_line("CONSUL", "tags = ", &conf, &n) == 0 &&
	    BE(conf)->consul.ntags == 0, "tags: empty is none");
	ok(parse_line("CONSUL", "tags = a, b c ,d", &conf, &n) == 0 &&
	    BE(conf)->consul.ntags == 3 &&
	    strcmp(BE(conf)->consul.tags[1], "b c") == 0,
	    "tags: inner space kept, outer stripped");
	ok(parse_line("CONSUL", "tags = a,\"b\"", &conf, &n) == -1,
	    "tags: quote refused");
	ok(parse_line("CONSUL", "tags = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"
	    "16,17", &conf, &n) == -1, "tags: 17 refused");
}

/* Every bad value: an error naming file:line and the key, nothing kept. */
static void
test_bad_values(void)
{
	static const struct {
		const char	*sec;
		const char	*line;
	} bad[] = {
		{ "haproxy", "haproxy_config_file = haproxy.cfg" },
		{ "haproxy", "template_file = ep2.template" },
		{ "haproxy", "backend_port = 0" },
		{ "haproxy", "backend_port = 65536" },
		{ "haproxy", "backend_port = -1" },
		{ "haproxy", "backend_port = 80 # web" },
		{ "haproxy", "backend_port = 0x50" },
		{ "haproxy", "backend_port = 8o" },
		{ "haproxy", "haproxy_binary = haproxy" },
		{ "haproxy", "start_by = init" },
		{ "haproxy", "start_by = Binary" },
		{ "haproxy", "haproxy_socket_file = /a b,,/c" },
		{ "haproxy", "pid_file = run/haproxy.pid" },
		{ "haproxy", "backend_name = web nodes" },
		{ "haproxy", "backend_name = web;quit" },
		{ "haproxy", "backend_maxconn = -5" },
		{ "haproxy", "backend_maxconn = many" },
		{ "haproxy", "backend_maxconn = 99999999999" },
		{ "haproxy", "check_interval = 2 s" },
		{ "haproxy", "check_interval = 0" },
		{ "haproxy", "check_interval = fast" },
		{ "haproxy", "check_interval = 2s maxconn 1" },
		{ "haproxy", "update_type = update_by_magic" },
		{ "haproxy", "node_slots = 100001" },
		{ "haproxy", "node_slots = ten" },
		{ "haproxy", "service_name = -haproxy" },
		{ "haproxy", "service_name = ha proxy" },
		{ "haproxy", "service_name = ../haproxy" },
		{ "haproxy", "lock_dir = run" },
		{ "haproxy", "orchestrator = k8s" },
		{ "haproxy", "orchestrator = AWS" },
		{ "haproxy", "sleep_before_next_run = 0" },
		{ "haproxy", "sleep_before_next_run = 2.5" },
		{ "haproxy", "sleep_before_next_run = 86401" },
		{ "haproxy", "sleep_before_next_lock_attempt = x" },
		{ "haproxy", "log_file = ep2.log" },
		{ "haproxy", "drain_timeout = -1" },
		{ "haproxy", "drain_timeout = 2d" },
		{ "haproxy", "drain_timeout = 100ms" },
		{ "haproxy", "slot_growth = triple" },
		{ "haproxy", "slot_growth = 0" },
		{ "AWS", "aws_access_key_id = AKID EXAMPLE" },
		{ "AWS", "asg_name = a,\"b\"" },
		{ "AWS", "region_name = EU_WEST" },
		{ "AWS", "ip_type = elastic" },
		{ "AWS", "ip_type = Private" },
		{ "AWS", "autoscaling_endpoint = ftp://x" },
		{ "AWS", "autoscaling_endpoint = http://" },
		{ "AWS", "ec2_endpoint = http://a b/" },
		{ "AWS", "lifecycle_queue_url = ftp://sqs.example.com/1/q" },
		{ "AWS", "lifecycle_queue_url = https://" },
		{ "AWS", "lifecycle_queue_url = https:///1/q" },
		{ "AWS", "lifecycle_queue_url = sqs.amazonaws.com/1/q" },
		{ "AWS", "lifecycle_queue_url = https://sqs.x/1/a q" },
		{ "AWS", "lifecycle_queue_url = https://sqs.x/1/<q>" },
		{ "AWS", "lifecycle_hook_name = a,,b" },
		{ "AWS", "lifecycle_hook_name = a,\"b\"" },
		{ "AWS", "lifecycle_complete = maybe" },
		{ "AWS", "lifecycle_complete = 2" },
		{ "AWS", "lifecycle_heartbeat_timeout = 0" },
		{ "AWS", "lifecycle_heartbeat_timeout = 7201" },
		{ "AWS", "lifecycle_heartbeat_timeout = 2h1s" },
		{ "AWS", "lifecycle_heartbeat_timeout = 500ms" },
		{ "AWS", "lifecycle_heartbeat_timeout = -1" },
		{ "AWS", "lifecycle_heartbeat_timeout = forever" },
		{ "CONSUL", "service_name = web/x" },
		{ "CONSUL", "consul_ip = 10.0.0.1:8500" },
		{ "CONSUL", "consul_ip = a b" },
		{ "CONSUL", "consul_port = 0" },
		{ "CONSUL", "consul_port = 99999" },
		{ "CONSUL", "only_passing = sure" },
		{ "CONSUL", "scheme = ftp" },
		{ "CONSUL", "scheme = HTTPS" },
		{ "CONSUL", "ca_file = ca.pem" },
		{ "CONSUL", "tls_server_name = a b" },
		{ "CONSUL", "datacenter = dc 1" },
		{ "CONSUL", "stale = often" },
		{ "CONSUL", "wait = 0" },
		{ "CONSUL", "wait = 11m" },
		{ "CONSUL", "wait = 5ms" },
		{ "CONSUL", "wait = forever" },
		{ "CONSUL", "max_response_size = 10" },
		{ "CONSUL", "max_response_size = 2G" },
		{ "CONSUL", "max_response_size = lots" },
		{ "FILE", "path = servers" },
		{ "FILE", "path = /srv/" },
		{ "FILE", "path = /srv/.." },
		{ "FILE", "path =" },
		{ "haproxy", "log_file = /var/log/100%.log" },
		{ "haproxy", "log_file = /var/log/%(name)s.log" },
	};
	struct ep2_conf	*before;
	char		 want[128];
	size_t		 i, klen;
	int		 n;

	ok(parse(MIN_CONF, &conf) == 0, "a good file first");
	before = conf;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		klen = strcspn(bad[i].line, " =");
		snprintf(want, sizeof(want), "%s:", NAME);
		ok(parse_line(bad[i].sec, bad[i].line, &conf, &n) == -1,
		    "[%s] %s: refused", bad[i].sec, bad[i].line);
		snprintf(want, sizeof(want), "%s:%d: %.*s: ", NAME, n,
		    (int)klen, bad[i].line);
		if (!ok(cap_has(want), "[%s] %s: error names %s",
		    bad[i].sec, bad[i].line, want))
			printf("# log: %s", cap_log());
		ok(conf == before, "[%s] %s: nothing applied", bad[i].sec,
		    bad[i].line);
	}

	/* a bad file after a good one: the good one stays whole */
	ok(parse(ep2_full, &conf) == 0, "good file");
	before = conf;
	ok(parse("[haproxy]\norchestrator = file\nbackend_port = 9000\n"
	    "node_slots = 7\n[FILE]\npath = /srv/other\n[CONSUL]\n"
	    "consul_port = 0\n", &conf) == -1 && conf == before &&
	    BE(conf)->backend_port == 8080,
	    "bad file: the previous configuration is untouched");
	ok(cap_has("t.conf:8: consul_port: \"0\""),
	    "the error quotes the bad value");

	/* every error is reported, not only the first */
	ok(parse("[haproxy]\norchestrator = file\nbackend_port = 0\n"
	    "node_slots = x\n[FILE]\npath = /s\n", &conf) == -1 &&
	    cap_has("t.conf:3: backend_port") &&
	    cap_has("t.conf:4: node_slots"), "both errors reported");

	/* secrets: refused without being shown */
	ok(parse_line("AWS", "aws_secret_access_key = secret with spaces",
	    &conf, &n) == -1 && cap_has("aws_secret_access_key") &&
	    !cap_has("secret with"), "bad secret key: not shown");
	ok(parse_line("CONSUL", "token = tok en", &conf, &n) == -1 &&
	    cap_has("t.conf:5: token") && !cap_has("tok en"),
	    "bad token: not shown");

	/* a long bad value is cut in the message */
	{
		char	 line[600];

		memset(line, 'x', sizeof(line));
		memcpy(line, "backend_name = a ", 17);
		line[sizeof(line) - 1] = '\0';
		ok(parse_line("haproxy", line, &conf, &n) == -1 &&
		    cap_has("...") && strlen(cap_log()) < 300,
		    "a long bad value is cut in the message");
	}
}

static void
test_syntax(void)
{
	int	 n;

	ok(parse("[haproxy]\n  check_interval   =   3s   \n"
	    "  orchestrator: file\n  backend_port:8080\n"
	    "node_slots=9\n[FILE]\npath : /srv/servers\n", &conf) == 0 &&
	    BE(conf)->backend_port == 8080 && BE(conf)->node_slots == 9 &&
	    strcmp(BE(conf)->check_interval, "3s") == 0 &&
	    strcmp(BE(conf)->file.path, "/srv/servers") == 0,
	    "key: value, key=value, white space around key and value");
	ok(parse("[haproxy]\nOrchestrator = file\nBACKEND_PORT = 81\n"
	    "[file]\nPath = /s\n", &conf) == 0 &&
	    BE(conf)->backend_port == 81 &&
	    strcmp(BE(conf)->file.path, "/s") == 0,
	    "keys and section names in any case");
	ok(parse("# comment\n; comment\n[haproxy]\n  # indented comment\n"
	    "orchestrator = file\n\t; tab comment\n\n   \n[FILE]\n#path = /x\n"
	    "path = /s\n", &conf) == 0 &&
	    strcmp(BE(conf)->file.path, "/s") == 0,
	    "comments # and ;, blank lines");
	ok(parse("[haproxy]\norchestrator = file\nlog_file = /var/log/a.log "
	    "; not a comment\n[FILE]\npath = /s\n", &conf) == 0 &&
	    strcmp(conf->log_file, "/var/log/a.log ; not a comment") == 0,
	    "inline ';' is part of the value, as configparser");
	ok(parse("[haproxy]\norchestrator = file\nlog_file = /var/log/100%%"
	    ".log\n[FILE]\npath = /s\n", &conf) == 0 &&
	    strcmp(conf->log_file, "/var/log/100%.log") == 0,
	    "%%%% is a %%, as configparser's interpolation");
	ok(parse("[haproxy]\norchestrator = file\n[FILE]\npath = /a=b:c\n",
	    &conf) == 0 && strcmp(BE(conf)->file.path, "/a=b:c") == 0,
	    "the key ends at the first = or :");
	ok(parse("[haproxy]\norchestrator = file\nbackend_maxconn = 0\n"
	    "[FILE]\npath = /s\n", &conf) == 0 &&
	    BE(conf)->backend_maxconn == 0,
	    "backend_maxconn 0: HAProxy's no limit, as EP2 wrote it");
	ok(parse("[haproxy]\norchestrator = file\nnode_slots = 0\n"
	    "update_type = update_by_config\n[FILE]\npath = /s\n", &conf) ==
	    0 && BE(conf)->node_slots == 0,
	    "node_slots 0 with update_by_config");
	ok(parse("[haproxy]\norchestrator = file\nnode_slots = 0\n"
	    "[FILE]\npath = /s\n", &conf) == -1 &&
	    cap_has("t.conf:3: node_slots"),
	    "node_slots 0 refused with update_by_runtime");
	ok(parse("[haproxy]\norchestrator = file\nbackend_maxconn =\n"
	    "check_interval =\n[FILE]\npath = /s\n", &conf) == 0 &&
	    BE(conf)->backend_maxconn == -1 &&
	    BE(conf)->check_interval[0] == '\0',
	    "empty backend_maxconn, check_interval: unset");
	ok(parse("\xef\xbb\xbf[haproxy]\norchestrator = file\n[FILE]\n"
	    "path = /s\n", &conf) == 0, "UTF-8 byte order mark");
	ok(parse("[haproxy]\norchestrator = file\n[FILE]\npath = /s", &conf)
	    == 0 && strcmp(BE(conf)->file.path, "/s") == 0,
	    "no newline at the end");
	ok(parse("[haproxy]\r\norchestrator = file\r\n[FILE]\r\npath = "
	    "/s\r\n", &conf) == 0 && strcmp(BE(conf)->file.path, "/s") == 0,
	    "CRLF line ends");

	/* configparser's errors */
	ok(parse("backend_port = 80\n[haproxy]\n", &conf) == -1 &&
	    cap_has("t.conf:1:"), "key before the first section refused");
	ok(parse_line("haproxy", "backend_port", &conf, &n) == -1 &&
	    cap_has("t.conf:2:"), "key without value refused");
	ok(parse_line("haproxy", "= 80", &conf, &n) == -1 &&
	    cap_has("t.conf:2: no key before '='"),
	    "value without key refused");
	ok(parse_line("haproxy", ": 80", &conf, &n) == -1 &&
	    cap_has("t.conf:2: no key before ':'"),
	    "value without key refused (:)");
	ok(parse("[haproxy]\norchestrator = file\nbackend_port = 80\n"
	    "   81\n[FILE]\npath = /s\n", &conf) == -1 && cap_has("t.conf:4:"),
	    "continuation line refused");
	ok(parse("[haproxy\norchestrator = file\n", &conf) == -1 &&
	    cap_has("t.conf:1:"), "unclosed section header refused");
	ok(parse("[]\n", &conf) == -1 && cap_has("t.conf:1:"),
	    "empty section name refused");
	ok(parse("[DEFAULT]\nbackend_port = 80\n" MIN_CONF, &conf) == -1 &&
	    cap_has("t.conf:1:"), "[DEFAULT] refused");

	/* duplicates: configparser's strict mode refuses them */
	ok(parse(MIN_CONF "[haproxy]\nbackend_port = 80\n", &conf) == -1 &&
	    cap_has("t.conf:5:") && cap_has("line 1"),
	    "section given twice refused");
	ok(parse(MIN_CONF "[HAPROXY]\n", &conf) == -1,
	    "section given twice in another case refused");
	ok(parse("[haproxy]\norchestrator = file\nbackend_port = 80\n"
	    "Backend_Port = 81\n[FILE]\npath = /s\n", &conf) == -1 &&
	    cap_has("t.conf:4: backend_port") && cap_has("line 3"),
	    "key given twice refused, both lines named");
	ok(parse("[haproxy]\norchestrator = consul\nservice_name = hap\n"
	    "[CONSUL]\nservice_name = web\n", &conf) == 0 &&
	    strcmp(conf->run.service_name, "hap") == 0 &&
	    strcmp(BE(conf)->consul.service_name, "web") == 0,
	    "service_name in [haproxy] and [CONSUL] are two keys");

	/* unknown: a warning, not an error */
	ok(parse("[haproxy]\norchestrator = file\nbackend_prot = 80\n"
	    "[FILE]\npath = /s\n", &conf) == 0 &&
	    cap_has("t.conf:3:") && cap_has("backend_prot") &&
	    BE(conf)->backend_port == 6003, "unknown key: a warning naming it");
	ok(parse(MIN_CONF "[extra]\nfoo = bar\nbackend_port = 1\n",
	    &conf) == 0 && cap_has("t.conf:5:") && cap_has("extra") &&
	    BE(conf)->backend_port == 6003,
	    "unknown section: a warning, its keys ignored");
	ok(parse(MIN_CONF "\x1b[2Jkey = 1\n", &conf) == 0 &&
	    cap_has("t.conf:5:") && strchr(cap_log(), '\x1b') == NULL,
	    "unknown key with an escape byte: not logged raw");
	ok(parse(MIN_CONF "[AWS]\npath = /x\n", &conf) == 0 &&
	    cap_has("t.conf:6:") && strcmp(BE(conf)->file.path, "/srv/servers")
	    == 0, "a key of another section: unknown there");

	/* no crash on garbage */
	{
		char	 buf[200000];
		FILE	*fp;

		memset(buf, 'a', sizeof(buf));
		memcpy(buf, "[haproxy]\nlog_file = /", 22);
		buf[sizeof(buf) - 2] = '\n';
		buf[sizeof(buf) - 1] = '\0';
		ok(parse(buf, &conf) == -1 && cap_has("t.conf:2:"),
		    "a 200 KB line refused");

		memcpy(buf, MIN_CONF "backend_port = 8\0" "0\n", 
		    sizeof(MIN_CONF) + 18);
		cap_start();
		fp = fmemopen(buf, sizeof(MIN_CONF) + 18, "r");
		ok(take(config_parse_fp(fp, NAME), &conf) == -1 &&
		    cap_has("t.conf:5:"), "NUL byte in a line refused");
		fclose(fp);
	}
	ok(parse("[haproxy]\norchestrator = file\nbackend_name = a\tb\n"
	    "[FILE]\npath = /s\n", &conf) == -1, "tab inside a name refused");
	ok(parse("[haproxy]\norchestrator = file\nlog_file = /a\x01"
	    "b\n[FILE]\npath = /s\n", &conf) == -1 && cap_has("t.conf:3:"),
	    "control character refused");
	ok(parse("", &conf) == -1, "empty file: aws needs asg_name");
	ok(parse("[\x80\xff]\n", &conf) == -1,
	    "binary section name: no crash");
}

/* What no single key can say alone. */
static void
test_checks(void)
{
	ok(parse("[haproxy]\n", &conf) == -1 && cap_has("asg_name"),
	    "orchestrator aws (default) needs asg_name");
	ok(parse("[haproxy]\norchestrator = consul\n", &conf) == -1 &&
	    cap_has("t.conf:2: orchestrator") && cap_has("service_name"),
	    "orchestrator consul needs [CONSUL] service_name");
	ok(parse("[haproxy]\norchestrator = file\n", &conf) == -1 &&
	    cap_has("t.conf:2: orchestrator") && cap_has("path"),
	    "orchestrator file needs [FILE] path");
	ok(parse("[haproxy]\norchestrator = file\nhaproxy_config_file = /e/x"
	    "\ntemplate_file = /e/x\n[FILE]\npath = /s\n", &conf) == -1,
	    "haproxy_config_file = template_file refused");
	ok(parse("[haproxy]\n[AWS]\nasg_name = a\naws_access_key_id = AKID\n",
	    &conf) == -1 && cap_has("t.conf:4: aws_access_key_id"),
	    "access key without secret refused");
	ok(parse("[haproxy]\n[AWS]\nasg_name = a\naws_secret_access_key = S\n",
	    &conf) == -1 && cap_has("t.conf:4: aws_secret_access_key"),
	    "secret without access key refused");
	ok(parse("[haproxy]\norchestrator = consul\n[CONSUL]\nservice_name = w"
	    "\nscheme = https\nkey_file = /k\n", &conf) == -1 &&
	    cap_has("t.conf:6: key_file"), "key_file without cert_file");
	ok(parse("[haproxy]\norchestrator = consul\n[CONSUL]\nservice_name = w"
	    "\nca_file = /ca\n", &conf) == 0 && cap_has("scheme"),
	    "TLS files with scheme http: a warning");

	/* ip_type: EP2 used the public address when it was unset */
	ok(parse("[haproxy]\n[AWS]\nasg_name = a\n", &conf) == 0 &&
	    conf->aws.ip_type == IP_PUBLIC && conf->aws.ip_type_set == 0,
	    "ip_type unset: public, marked implicit");
	ok(parse("[haproxy]\n[AWS]\nasg_name = a\nip_type =\n", &conf) == 0 &&
	    conf->aws.ip_type == IP_PUBLIC && conf->aws.ip_type_set == 0,
	    "ip_type empty: public, implicit");
	ok(parse("[haproxy]\n[AWS]\nasg_name = a\nip_type = public\n",
	    &conf) == 0 && conf->aws.ip_type == IP_PUBLIC &&
	    conf->aws.ip_type_set == 1, "ip_type public: explicit");
	ok(parse("[haproxy]\n[AWS]\nasg_name = a\nip_type = private\n",
	    &conf) == 0 && conf->aws.ip_type == IP_PRIVATE &&
	    conf->aws.ip_type_set == 1, "ip_type private");
}

static void
test_path(void)
{
	char	 dir[] = "/tmp/test_config.XXXXXX", path[PATH_MAX];
	char	 cwd[PATH_MAX];
	FILE	*fp;

	ok(mkdtemp(dir) != NULL, "temporary directory");
	snprintf(path, sizeof(path), "%s/ep2.conf", dir);
	cap_start();
	ok(take(config_parse(path), &conf) == -1 && cap_has(path),
	    "missing file: an error naming it");
	if ((fp = fopen(path, "w")) == NULL)
		fatal("%s", path);
	fputs("[haproxy]\norchestrator = consul\n[CONSUL]\nservice_name = w\n"
	    "token = abc\n", fp);
	fclose(fp);
	chmod(path, 0644);
	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(dir) == -1)
		fatal("chdir");
	cap_start();
	ok(take(config_parse("ep2.conf"), &conf) == 0,
	    "relative path parses");
	is_str(conf->conf_path, path, "conf_path is kept absolute");
	ok(cap_has("readable by everyone"),
	    "secrets in a world-readable file: a warning");
	chmod(path, 0600);
	cap_start();
	ok(take(config_parse("ep2.conf"), &conf) == 0 &&
	    !cap_has("readable by everyone"), "mode 0600: no warning");
	if (chdir(cwd) == -1)
		fatal("chdir");
	unlink(path);
	rmdir(dir);
}

/* [backend NAME]: per-backend keys, inheritance, checks. */
static void
test_backends(void)
{
	struct ep2_conf		*c = NULL;
	const struct backend_conf *v;
	static const char	*base =
	    "[haproxy]\norchestrator = file\nbackend_port = 7000\n"
	    "update_type = update_by_config\ncheck_interval = 2s\n"
	    "[FILE]\npath = /srv/servers\n"
	    "[CONSUL]\nconsul_port = 8600\ntags = a, b\nonly_passing = no\n"
	    "service_name = web\nweights = no\n";
	char			 buf[4096];

	ok(parse(MIN_CONF, &c) == 0 && c->nbackends == 1,
	    "no [backend]: one backend, as EP2");
	v = c->backends[0];
	ok(v->index == 0 && v->label[0] == '\0' && v->conf == c &&
	    strcmp(v->backend_name, "haproxynode") == 0,
	    "backend 0 is [haproxy]");

	snprintf(buf, sizeof(buf), "%s[backend api]\norchestrator = consul\n"
	    "service_name = api\nbackend_port = 7100\non_warning = drain\n"
	    "[backend files2]\npath = /srv/two\nbackend_name = be2\n"
	    "update_type = update_by_runtime\nnode_slots = 8\n", base);
	ok(parse(buf, &c) == 0 && c->nbackends == 3,
	    "two [backend NAME] sections");
	v = c->backends[1];
	ok(v->index == 1 && strcmp(v->label, "api") == 0 && v->conf == c &&
	    strcmp(v->backend_name, "api") == 0 &&
	    v->orchestrator == ORCH_CONSUL &&
	    strcmp(v->consul.service_name, "api") == 0 &&
	    v->backend_port == 7100 && v->conf->consul.consul_port == 8600 &&
	    v->consul.ntags == 2 && strcmp(v->consul.tags[1], "b") == 0 &&
	    v->consul.only_passing == 0 && v->update_type == UPDATE_CONFIG &&
	    v->consul.weights == 0 && v->consul.on_warning == WARN_DRAIN &&
	    strcmp(v->check_interval, "2s") == 0,
	    "[backend api]: its keys, the rest from [haproxy] and [CONSUL], "
	    "backend_name defaults to NAME");
	v = c->backends[2];
	ok(strcmp(v->backend_name, "be2") == 0 &&
	    v->orchestrator == ORCH_FILE &&
	    strcmp(v->file.path, "/srv/two") == 0 && v->backend_port == 7000 &&
	    v->update_type == UPDATE_RUNTIME && v->node_slots == 8,
	    "[backend files2]: orchestrator file inherited, its own path");
	v = c->backends[0];
	ok(strcmp(v->file.path, "/srv/servers") == 0 &&
	    v->orchestrator == ORCH_FILE && v->backend_port == 7000,
	    "[haproxy]'s keys unchanged");

	/* sections in any order: [backend] before [haproxy] */
	snprintf(buf, sizeof(buf), "[backend x]\npath = /srv/x\n%s", base);
	ok(parse(buf, &c) == 0 && (v = c->backends[1],
	    v->orchestrator == ORCH_FILE && v->backend_port == 7000),
	    "a [backend] before [haproxy] inherits all the same");

	snprintf(buf, sizeof(buf), "%s[backend api]\npath = /a\n"
	    "[backend api]\npath = /b\n", base);
	ok(parse(buf, &c) == -1 && cap_has("[backend api] given twice"),
	    "the same [backend NAME] twice: refused");
	snprintf(buf, sizeof(buf), "%s[backend a-b]\npath = /a\n", base);
	ok(parse(buf, &c) == -1 && cap_has("NAME must be"),
	    "NAME not a Jinja name: refused");
	snprintf(buf, sizeof(buf), "%s[backend a]\nconsul_ip = 10.0.0.1\n",
	    base);
	ok(parse(buf, &c) == -1 && cap_has("shared by every backend"),
	    "a shared key in [backend]: refused, with where it goes");
	snprintf(buf, sizeof(buf), "%s[backend a]\npath = /a\npath = /b\n",
	    base);
	ok(parse(buf, &c) == -1 && cap_has("given twice"),
	    "a key twice in one [backend]: refused");
	snprintf(buf, sizeof(buf), "%s[backend a]\npath = /a\n"
	    "[backend b]\npath = /b\n", base);
	ok(parse(buf, &c) == 0, "the same key in two [backend]s is fine");
	snprintf(buf, sizeof(buf), "%s[backend a]\nbackend_name = "
	    "haproxynode\n", base);
	ok(parse(buf, &c) == -1 && cap_has("is [haproxy]'s"),
	    "[haproxy]'s backend_name again: refused");
	snprintf(buf, sizeof(buf), "%s[backend a]\nbackend_name = x\n"
	    "[backend b]\nbackend_name = x\n", base);
	ok(parse(buf, &c) == -1 && cap_has("is [backend a]'s too"),
	    "two backends with one backend_name: refused");
	snprintf(buf, sizeof(buf), "%s[backend a]\norchestrator = aws\n",
	    base);
	ok(parse(buf, &c) == -1 && cap_has("orchestrator aws needs asg_name"),
	    "an orchestrator without its key: refused");
	snprintf(buf, sizeof(buf), "%s[backend a]\nnode_slots = x\n", base);
	ok(parse(buf, &c) == -1 && cap_has("node_slots"),
	    "a bad value in [backend]: refused as in [haproxy]");
	snprintf(buf, sizeof(buf), "%s[backend a]\nupdate_type = "
	    "update_by_runtime\nnode_slots = 0\n", base);
	ok(parse(buf, &c) == -1 && cap_has("needs at least one slot"),
	    "runtime backend without slots: refused");
	config_free(c);
}

/*
 * The keys ep2.conf.5 names are the keys of config.c's table: each
 * "THE [X] SECTION" lists X's (".It Ic key"), "SEVERAL BACKENDS" the
 * ones a [backend NAME] may set (".It Ic a , b").
 */
#define MAN_KEYS	128

struct man_key {
	char	 sec[16];
	char	 name[64];
	int	 found;
};

static int
man_keys(const char *path, struct man_key *k, int max)
{
	char	 line[1024], sec[16], *s, *e;
	FILE	*fp;
	int	 n = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	sec[0] = '\0';
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, ".Sh ", 4) == 0) {
			sec[0] = '\0';
			if (strcmp(line, ".Sh SEVERAL BACKENDS") == 0)
				strlcpy(sec, "backend", sizeof(sec));
			else if (strncmp(line, ".Sh THE [", 9) == 0 &&
			    (e = strchr(line + 9, ']')) != NULL &&
			    strcmp(e, "] SECTION") == 0)
				snprintf(sec, sizeof(sec), "%.*s",
				    (int)(e - line - 9), line + 9);
			continue;
		}
		if (sec[0] == '\0' || strncmp(line, ".It Ic ", 7) != 0)
			continue;
		/* "a , b , c Ar x": the names up to the first macro */
		for (s = line + 7; *s != '\0' && n < max; ) {
			e = s + strcspn(s, " ");
			if (e == s || (s[0] >= 'A' && s[0] <= 'Z' &&
			    s[1] >= 'a' && s[1] <= 'z' && e - s == 2))
				break;
			snprintf(k[n].sec, sizeof(k[n].sec), "%s", sec);
			snprintf(k[n].name, sizeof(k[n].name), "%.*s",
			    (int)(e - s), s);
			k[n++].found = 0;
			s = e;
			if (strncmp(s, " , ", 3) != 0)
				break;
			s += 3;
		}
	}
	fclose(fp);
	return (n);
}

static void
test_man_keys(void)
{
	struct man_key	 mk[MAN_KEYS];
	const char	*path, *name, *sec;
	char		 list[4096];
	size_t		 i;
	int		 n, j, pb, missing, found, nkeys = 0, nback = 0;

	if ((path = getenv("EP2D_MAN_CONF")) == NULL)
		path = "man/ep2.conf.5";
	n = man_keys(path, mk, MAN_KEYS);
	if (!ok(n > 0, "%s: its keys read", path))
		return;
	list[0] = '\0';
	for (i = 0; (name = config_key(i, &sec, &pb)) != NULL; i++) {
		nkeys++;
		nback += pb;
		for (found = 0, j = 0; j < n; j++) {
			if (strcmp(mk[j].name, name) != 0)
				continue;
			if (strcmp(mk[j].sec, sec) == 0 ||
			    (pb && strcmp(mk[j].sec, "backend") == 0)) {
				mk[j].found++;
				found |= strcmp(mk[j].sec, "backend") == 0 ?
				    2 : 1;
			}
		}
		if (found != (pb ? 3 : 1)) {
			strlcat(list, " ", sizeof(list));
			strlcat(list, name, sizeof(list));
		}
	}
	ok(list[0] == '\0', "every key of the table in ep2.conf.5, in its "
	    "section");
	if (list[0] != '\0')
		printf("# missing or misplaced:%s\n", list);
	list[0] = '\0';
	for (missing = 0, j = 0; j < n; j++) {
		if (mk[j].found == 1)
			continue;
		missing++;
		strlcat(list, " [", sizeof(list));
		strlcat(list, mk[j].sec, sizeof(list));
		strlcat(list, "] ", sizeof(list));
		strlcat(list, mk[j].name, sizeof(list));
	}
	ok(missing == 0, "every key of ep2.conf.5 in the table, once");
	if (missing != 0)
		printf("# not in the table:%s\n", list);
	ok(n == nkeys + nback, "as many keys in ep2.conf.5 (%d) as in the "
	    "table (%d, %d of them per backend)", n, nkeys, nback);
}

/*
 * The limit (ep2d.h EP2D_MAX_BACKENDS): [haproxy] and 511 [backend
 * NAME] sections parse; one more is refused, with one line.  And
 * lifecycle hooks follow at most EP2D_MAX_HOOK_BACKENDS aws backends.
 */
static void
test_many_backends(void)
{
	struct ep2_conf	*c = NULL;
	char		*buf;
	size_t		 cap = 600 * 80, len;
	int		 k, n;

	if ((buf = malloc(cap)) == NULL)
		fatal("%s: malloc", __func__);
	len = strlcpy(buf, "[haproxy]\norchestrator = consul\n"
	    "[CONSUL]\nservice_name = web\n", cap);
	for (k = 1; k < EP2D_MAX_BACKENDS; k++)
		len += snprintf(buf + len, cap - len, "[backend s%d]\n"
		    "service_name = s%d\n", k, k);
	ok(parse(buf, &c) == 0 && c->nbackends == EP2D_MAX_BACKENDS &&
	    strcmp(c->backends[EP2D_MAX_BACKENDS - 1]->backend_name,
	    "s511") == 0 && cap_lines() == 0,
	    "[haproxy] and 511 [backend NAME]: taken, nothing logged");
	snprintf(buf + len, cap - len, "[backend s%d]\nservice_name = s%d\n",
	    EP2D_MAX_BACKENDS, EP2D_MAX_BACKENDS);
	ok(parse(buf, &c) == -1 && cap_lines() == 1 &&
	    cap_has("more than 511 [backend NAME] sections"),
	    "512 [backend NAME]: refused with one line");
	if (cap_lines() != 1)
		printf("# log: %s", cap_log());
	/* every section past the limit: still the one line */
	for (k = EP2D_MAX_BACKENDS + 1; k < 560; k++)
		len += snprintf(buf + len, cap - len, "[backend s%d]\n"
		    "service_name = s%d\n", k, k);
	ok(parse(buf, &c) == -1 && cap_lines() == 1,
	    "560 [backend NAME]: refused with one line");
	if (cap_lines() != 1)
		printf("# log: %s", cap_log());

	/* lifecycle hooks: 32 aws backends, not 33 */
	len = strlcpy(buf, "[haproxy]\norchestrator = aws\n[AWS]\n"
	    "asg_name = g0\nlifecycle_queue_url = "
	    "https://sqs.eu-west-1.amazonaws.com/1/q\n", cap);
	for (k = 1, n = 1; n < EP2D_MAX_HOOK_BACKENDS; k++, n++)
		len += snprintf(buf + len, cap - len, "[backend g%d]\n"
		    "asg_name = g%d\n", k, k);
	ok(parse(buf, &c) == 0, "lifecycle hooks: 32 aws backends taken");
	snprintf(buf + len, cap - len, "[backend g%d]\nasg_name = g%d\n",
	    k, k);
	ok(parse(buf, &c) == -1 && cap_lines() == 1 &&
	    cap_has("33 backends on orchestrator aws, lifecycle hooks "
	    "follow at most 32"), "lifecycle hooks: 33 aws backends refused, "
	    "one line");
	config_free(c);
	free(buf);
}

int
main(void)
{
	cap_init();
	test_defaults();
	test_empty_defaults();
	test_full();
	test_new_keys();
	test_lifecycle();
	test_booleans();
	test_lists();
	test_bad_values();
	test_syntax();
	test_checks();
	test_path();
	test_backends();
	test_many_backends();
	test_man_keys();
	config_free(conf);
	return (done_testing());
}
