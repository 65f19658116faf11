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
 * ep2.conf: EP2's INI file, read the way Python's configparser read it
 * for EP2 (full-line comments only, "key = value" or "key: value",
 * case-insensitive keys, strict about duplicates), with every value
 * checked before anything uses it.  The file is parsed into a scratch
 * copy; the caller's configuration changes only when the whole file is
 * good, so a bad file on SIGHUP leaves the running one in place.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep2d.h"
#include "log.h"

#define CONF_LINE_MAX		65536	/* a longer line is not a config */
#define CONF_SHOW_MAX		64	/* a value quoted in an error */
#define CONF_SLEEP_MAX		86400
#define CONF_WAIT_MAX		600	/* Consul caps blocking queries: 10m */
#define CONF_BODY_MIN		1024
#define CONF_BODY_MAX		(1024UL * 1024 * 1024)
#define CONF_BODY_DEFAULT	(16UL * 1024 * 1024)

enum section {
	SEC_NONE,		/* before the first header */
	SEC_HAPROXY,
	SEC_AWS,
	SEC_CONSUL,
	SEC_FILE,
	SEC_BACKEND,		/* [backend NAME], p->cur */
	SEC_UNKNOWN,		/* warned once, its keys ignored */
	SEC_MAX
};

static const char *section_names[SEC_MAX] = {
	"", "haproxy", "AWS", "CONSUL", "FILE", "backend", ""
};

enum key {
	K_HAPROXY_CONFIG_FILE,
	K_TEMPLATE_FILE,
	K_BACKEND_PORT,
	K_HAPROXY_BINARY,
	K_START_BY,
	K_HAPROXY_SOCKET_FILE,
	K_PID_FILE,
	K_BACKEND_NAME,
	K_BACKEND_MAXCONN,
	K_CHECK_INTERVAL,
	K_UPDATE_TYPE,
	K_NODE_SLOTS,
	K_SERVICE_NAME,
	K_LOCK_DIR,
	K_ORCHESTRATOR,
	K_SLEEP_BEFORE_NEXT_RUN,
	K_SLEEP_BEFORE_NEXT_LOCK_ATTEMPT,
	K_LOG_FILE,
	K_DRAIN_TIMEOUT,
	K_SLOT_GROWTH,
	K_METRICS_FILE,
	K_KEEP_ON_EMPTY,
	K_AWS_ACCESS_KEY_ID,
	K_AWS_SECRET_ACCESS_KEY,
	K_ASG_NAME,
	K_REGION_NAME,
	K_IP_TYPE,
	K_AUTOSCALING_ENDPOINT,
	K_EC2_ENDPOINT,
	K_CONSUL_SERVICE_NAME,
	K_CONSUL_IP,
	K_CONSUL_PORT,
	K_ONLY_PASSING,
	K_TAGS,
	K_TOKEN,
	K_SCHEME,
	K_CA_FILE,
	K_CERT_FILE,
	K_KEY_FILE,
	K_TLS_SERVER_NAME,
	K_DATACENTER,
	K_STALE,
	K_WAIT,
	K_MAX_RESPONSE_SIZE,
	K_WEIGHTS,
	K_ON_WARNING,
	K_FILE_PATH,
	K_MAX
};

struct keyword {
	enum section	 sec;
	const char	*name;
	enum key	 key;
	int		 secret;	/* the value is never shown */
};

static const struct keyword keywords[] = {
	{ SEC_HAPROXY, "haproxy_config_file", K_HAPROXY_CONFIG_FILE, 0 },
	{ SEC_HAPROXY, "template_file", K_TEMPLATE_FILE, 0 },
	{ SEC_HAPROXY, "backend_port", K_BACKEND_PORT, 0 },
	{ SEC_HAPROXY, "haproxy_binary", K_HAPROXY_BINARY, 0 },
	{ SEC_HAPROXY, "start_by", K_START_BY, 0 },
	{ SEC_HAPROXY, "haproxy_socket_file", K_HAPROXY_SOCKET_FILE, 0 },
	{ SEC_HAPROXY, "pid_file", K_PID_FILE, 0 },
	{ SEC_HAPROXY, "backend_name", K_BACKEND_NAME, 0 },
	{ SEC_HAPROXY, "backend_maxconn", K_BACKEND_MAXCONN, 0 },
	{ SEC_HAPROXY, "check_interval", K_CHECK_INTERVAL, 0 },
	{ SEC_HAPROXY, "update_type", K_UPDATE_TYPE, 0 },
	{ SEC_HAPROXY, "node_slots", K_NODE_SLOTS, 0 },
	{ SEC_HAPROXY, "service_name", K_SERVICE_NAME, 0 },
	{ SEC_HAPROXY, "lock_dir", K_LOCK_DIR, 0 },
	{ SEC_HAPROXY, "orchestrator", K_ORCHESTRATOR, 0 },
	{ SEC_HAPROXY, "sleep_before_next_run", K_SLEEP_BEFORE_NEXT_RUN, 0 },
	{ SEC_HAPROXY, "sleep_before_next_lock_attempt",
	    K_SLEEP_BEFORE_NEXT_LOCK_ATTEMPT, 0 },
	{ SEC_HAPROXY, "log_file", K_LOG_FILE, 0 },
	{ SEC_HAPROXY, "drain_timeout", K_DRAIN_TIMEOUT, 0 },
	{ SEC_HAPROXY, "slot_growth", K_SLOT_GROWTH, 0 },
	{ SEC_HAPROXY, "metrics_file", K_METRICS_FILE, 0 },
	{ SEC_HAPROXY, "keep_on_empty", K_KEEP_ON_EMPTY, 0 },
	{ SEC_AWS, "aws_access_key_id", K_AWS_ACCESS_KEY_ID, 1 },
	{ SEC_AWS, "aws_secret_access_key", K_AWS_SECRET_ACCESS_KEY, 1 },
	{ SEC_AWS, "asg_name", K_ASG_NAME, 0 },
	{ SEC_AWS, "region_name", K_REGION_NAME, 0 },
	{ SEC_AWS, "ip_type", K_IP_TYPE, 0 },
	{ SEC_AWS, "autoscaling_endpoint", K_AUTOSCALING_ENDPOINT, 0 },
	{ SEC_AWS, "ec2_endpoint", K_EC2_ENDPOINT, 0 },
	{ SEC_CONSUL, "service_name", K_CONSUL_SERVICE_NAME, 0 },
	{ SEC_CONSUL, "consul_ip", K_CONSUL_IP, 0 },
	{ SEC_CONSUL, "consul_port", K_CONSUL_PORT, 0 },
	{ SEC_CONSUL, "only_passing", K_ONLY_PASSING, 0 },
	{ SEC_CONSUL, "tags", K_TAGS, 0 },
	{ SEC_CONSUL, "token", K_TOKEN, 1 },
	{ SEC_CONSUL, "scheme", K_SCHEME, 0 },
	{ SEC_CONSUL, "ca_file", K_CA_FILE, 0 },
	{ SEC_CONSUL, "cert_file", K_CERT_FILE, 0 },
	{ SEC_CONSUL, "key_file", K_KEY_FILE, 0 },
	{ SEC_CONSUL, "tls_server_name", K_TLS_SERVER_NAME, 0 },
	{ SEC_CONSUL, "datacenter", K_DATACENTER, 0 },
	{ SEC_CONSUL, "stale", K_STALE, 0 },
	{ SEC_CONSUL, "wait", K_WAIT, 0 },
	{ SEC_CONSUL, "max_response_size", K_MAX_RESPONSE_SIZE, 0 },
	{ SEC_CONSUL, "weights", K_WEIGHTS, 0 },
	{ SEC_CONSUL, "on_warning", K_ON_WARNING, 0 },
	{ SEC_FILE, "path", K_FILE_PATH, 0 },
	/* [backend NAME]: the same checks, into struct backend_conf */
	{ SEC_BACKEND, "backend_name", K_BACKEND_NAME, 0 },
	{ SEC_BACKEND, "orchestrator", K_ORCHESTRATOR, 0 },
	{ SEC_BACKEND, "backend_port", K_BACKEND_PORT, 0 },
	{ SEC_BACKEND, "node_slots", K_NODE_SLOTS, 0 },
	{ SEC_BACKEND, "update_type", K_UPDATE_TYPE, 0 },
	{ SEC_BACKEND, "check_interval", K_CHECK_INTERVAL, 0 },
	{ SEC_BACKEND, "backend_maxconn", K_BACKEND_MAXCONN, 0 },
	{ SEC_BACKEND, "service_name", K_CONSUL_SERVICE_NAME, 0 },
	{ SEC_BACKEND, "tags", K_TAGS, 0 },
	{ SEC_BACKEND, "only_passing", K_ONLY_PASSING, 0 },
	{ SEC_BACKEND, "weights", K_WEIGHTS, 0 },
	{ SEC_BACKEND, "on_warning", K_ON_WARNING, 0 },
	{ SEC_BACKEND, "asg_name", K_ASG_NAME, 0 },
	{ SEC_BACKEND, "region_name", K_REGION_NAME, 0 },
	{ SEC_BACKEND, "path", K_FILE_PATH, 0 },
};

/* What one parse keeps besides the configuration itself. */
struct parse {
	const char	*name;		/* the file, as errors name it */
	int		 lineno;
	int		 errors;
	int		 seen[K_MAX];	/* line of each key, 0: not given */
	int		 secseen[SEC_MAX];
	enum section	 sec;
	int		 cur;		/* SEC_BACKEND: backends[cur] */
	int		 bseen[EP2D_MAX_BACKENDS - 1][K_MAX];
	int		 bline[EP2D_MAX_BACKENDS - 1];	/* its header */
	/* "key =" in [backend NAME]: inherited, as if not given */
	int		 bempty[EP2D_MAX_BACKENDS - 1][K_MAX];
	struct ep2_conf	*scratch;	/* a backend's value, checked */
	int		 key_open;	/* a key line was last: indent counts */
	size_t		 key_indent;
};

static int	 cf_line(struct parse *, struct ep2_conf *, char *, size_t);
static int	 cf_section(struct parse *, struct ep2_conf *, char *);
static int	 cf_value(const char *, char *, size_t, const char **);
static int	 cf_set(struct ep2_conf *, enum key, const char *,
		    const char **);
static int	 cf_empty(struct parse *, struct ep2_conf *, enum key);
static void	 cf_check(struct parse *, struct ep2_conf *);
static void	 cf_check_backends(struct parse *, struct ep2_conf *);
static int	 cf_backend_header(struct parse *, struct ep2_conf *,
		    const char *);
static void	 cf_backend_store(struct backend_conf *, enum key,
		    const struct ep2_conf *);
static void	 cf_backend_inherit(struct backend_conf *, const int *,
		    const struct ep2_conf *);
static void	 cf_error(struct parse *, int, const char *, const char *,
		    ...) __attribute__((__format__ (printf, 4, 5)));
static void	 cf_show(char *, size_t, const char *);
static char	*cf_strip(char *);
static int	 parse_bool(const char *, int *);
static int	 parse_uint(const char *, long long, long long, long long *);
static int	 parse_duration(const char *, long long, long long,
		    long long *);
static int	 parse_size(const char *, size_t *);
static int	 set_str(char *, size_t, const char *, const char **);
static int	 set_path(char *, size_t, const char *, int, const char **);
static int	 set_sockets(struct ep2_conf *, const char *, const char **);
static const char *list_next(const char *, char *, size_t, const char **);
static int	 set_list(char (*)[EP2D_NAME_MAX], int, int *, const char *,
		    const char **);
static int	 valid_chars(const char *, const char *);
static int	 valid_haproxy_name(const char *);
static int	 valid_unit_name(const char *);
static int	 valid_haproxy_time(const char *);
static int	 valid_list_item(const char *);
static int	 valid_secret(const char *);
static int	 valid_url(const char *);
static int	 has_cntrl(const char *);

#define ALNUM	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

void
config_defaults(struct ep2_conf *c)
{
	memset(c, 0, sizeof(*c));

	/* EP2's defaults (src/driver/defaultparams.py) */
	strlcpy(c->haproxy_config_file, "/etc/haproxy/haproxy.cfg",
	    sizeof(c->haproxy_config_file));
	strlcpy(c->template_file, "/etc/ep2/ep2.template",
	    sizeof(c->template_file));
	c->backend_port = 6003;
	strlcpy(c->haproxy_binary, "/usr/sbin/haproxy",
	    sizeof(c->haproxy_binary));
	c->start_by = START_BINARY;
	strlcpy(c->sockets[0], "/var/run/haproxy/haproxy.sock",
	    sizeof(c->sockets[0]));
	c->nsockets = 1;
	strlcpy(c->pid_file, "/run/haproxy.pid", sizeof(c->pid_file));
	strlcpy(c->backend_name, "haproxynode", sizeof(c->backend_name));
	c->backend_maxconn = -1;
	c->check_interval[0] = '\0';
	c->update_type = UPDATE_RUNTIME;
	c->node_slots = 50;
	strlcpy(c->service_name, "haproxy", sizeof(c->service_name));
	strlcpy(c->lock_dir, "/run", sizeof(c->lock_dir));
	c->orchestrator = ORCH_AWS;
	c->sleep_before_next_run = 5;
	c->sleep_before_next_lock_attempt = 5;
	strlcpy(c->log_file, "/var/log/ep2/ep2.log", sizeof(c->log_file));

	/* ep2d's own */
	c->drain_timeout = 30;
	c->slot_growth = 0;

	strlcpy(c->consul.consul_ip, "127.0.0.1", sizeof(c->consul.consul_ip));
	c->consul.consul_port = 8500;
	c->consul.only_passing = 1;
	c->consul.wait = 300;
	c->consul.max_body = CONF_BODY_DEFAULT;
	c->consul.weights = 1;
	c->consul.on_warning = WARN_DEFAULT;

	c->aws.ip_type = IP_PUBLIC;	/* EP2: unset means public */
	c->aws.ip_type_set = 0;
}

const char *
config_orchestrator_name(enum orchestrator o)
{
	switch (o) {
	case ORCH_AWS:
		return ("aws");
	case ORCH_CONSUL:
		return ("consul");
	case ORCH_FILE:
		return ("file");
	}
	return ("unknown");
}

const char *
config_update_type_name(enum update_type u)
{
	switch (u) {
	case UPDATE_CONFIG:
		return ("update_by_config");
	case UPDATE_RUNTIME:
		return ("update_by_runtime");
	}
	return ("unknown");
}

/*
 * conf_path is kept absolute: the daemon changes directory, and SIGHUP
 * and the lock both use it.  Errors name the file as the user gave it.
 */
int
config_parse(const char *path, struct ep2_conf *conf)
{
	struct ep2_conf	*tmp;
	char		 abs[PATH_MAX];
	FILE		*fp;
	int		 r;

	if ((fp = fopen(path, "re")) == NULL) {
		log_warn("%s", path);
		return (-1);
	}
	if ((tmp = malloc(sizeof(*tmp))) == NULL)
		fatal("%s: malloc", __func__);
	r = config_parse_fp(fp, path, tmp);
	fclose(fp);
	if (r == 0 && realpath(path, abs) != NULL &&
	    strlcpy(tmp->conf_path, abs, sizeof(tmp->conf_path)) >=
	    sizeof(tmp->conf_path)) {
		log_warnx("%s: path too long", path);
		r = -1;
	}
	if (r == 0)
		memcpy(conf, tmp, sizeof(*conf));
	explicit_bzero(tmp, sizeof(*tmp));	/* it may hold secrets */
	free(tmp);
	return (r);
}

int
config_parse_fp(FILE *fp, const char *name, struct ep2_conf *conf)
{
	struct parse	 p;
	struct ep2_conf	*tmp;
	struct stat	 st;
	char		*line = NULL;
	size_t		 linesize = 0;
	ssize_t		 len;
	int		 r = -1;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.sec = SEC_NONE;
	if ((tmp = malloc(sizeof(*tmp))) == NULL ||
	    (p.scratch = malloc(sizeof(*p.scratch))) == NULL)
		fatal("%s: malloc", __func__);
	config_defaults(p.scratch);
	config_defaults(tmp);
	if (strlcpy(tmp->conf_path, name, sizeof(tmp->conf_path)) >=
	    sizeof(tmp->conf_path)) {
		log_warnx("%s: path too long", name);
		goto done;
	}

	while ((len = getline(&line, &linesize, fp)) != -1) {
		p.lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (cf_line(&p, tmp, line, (size_t)len) == -1)
			break;
	}
	if (ferror(fp)) {
		log_warn("%s", name);
		goto done;
	}
	if (p.errors == 0)
		cf_check(&p, tmp);
	if (p.errors == 0)
		cf_check_backends(&p, tmp);
	if (p.errors > 0)
		goto done;

	/* The secrets are ours to keep, not everyone's to read. */
	if ((tmp->aws.secret_access_key[0] != '\0' ||
	    tmp->consul.token[0] != '\0') && fileno(fp) != -1 &&
	    fstat(fileno(fp), &st) == 0 && (st.st_mode & S_IROTH))
		log_warnx("%s: holds secrets and is readable by everyone",
		    name);

	memcpy(conf, tmp, sizeof(*conf));
	r = 0;
done:
	if (line != NULL)
		explicit_bzero(line, linesize);
	free(line);
	explicit_bzero(tmp, sizeof(*tmp));
	free(tmp);
	free(p.scratch);	/* never holds a secret: no such key */
	return (r);
}

int
config_nbackends(const struct ep2_conf *c)
{
	return (1 + c->nbackends);
}

/*
 * Backend idx's view of the configuration: everything shared as in c,
 * the per-backend keys the backend's own.  Index 0 is [haproxy].
 */
void
config_backend(const struct ep2_conf *c, uint32_t idx, struct ep2_conf *v)
{
	const struct backend_conf	*b;
	int				 i;

	if (v != c)
		memcpy(v, c, sizeof(*v));
	v->backend_index = idx;
	v->backend_label[0] = '\0';
	if (idx == 0 || idx > (uint32_t)c->nbackends)
		return;
	b = &c->backends[idx - 1];
	strlcpy(v->backend_label, b->label, sizeof(v->backend_label));
	strlcpy(v->backend_name, b->backend_name, sizeof(v->backend_name));
	v->orchestrator = b->orchestrator;
	v->backend_port = b->backend_port;
	v->node_slots = b->node_slots;
	v->update_type = b->update_type;
	strlcpy(v->check_interval, b->check_interval,
	    sizeof(v->check_interval));
	v->backend_maxconn = b->backend_maxconn;
	strlcpy(v->consul.service_name, b->service_name,
	    sizeof(v->consul.service_name));
	for (i = 0; i < b->ntags; i++)
		strlcpy(v->consul.tags[i], b->tags[i], EP2D_NAME_MAX);
	v->consul.ntags = b->ntags;
	v->consul.only_passing = b->only_passing;
	v->consul.weights = b->weights;
	v->consul.on_warning = b->on_warning;
	for (i = 0; i < b->nasg; i++)
		strlcpy(v->aws.asg_names[i], b->asg_names[i], EP2D_NAME_MAX);
	v->aws.nasg = b->nasg;
	strlcpy(v->aws.region, b->region, sizeof(v->aws.region));
	strlcpy(v->file.path, b->path, sizeof(v->file.path));
}

/*
 * "[backend NAME]": NAME is how the template names the backend's
 * server list, {{ nodes.NAME }}, so it is a Jinja name.
 */
static int
cf_backend_header(struct parse *p, struct ep2_conf *c, const char *label)
{
	struct backend_conf	*b;
	size_t			 i, n = strlen(label);
	int			 k;

	if (n == 0 || n >= EP2D_LABEL_MAX ||
	    (!isalpha((unsigned char)label[0]) && label[0] != '_') ||
	    strspn(label, ALNUM "_") != n) {
		cf_error(p, 0, NULL, "[backend NAME]: NAME must be a letter "
		    "or '_', then letters, digits or '_' (at most %d)",
		    EP2D_LABEL_MAX - 1);
		return (-1);
	}
	for (k = 0; k < c->nbackends; k++) {
		if (strcmp(c->backends[k].label, label) == 0) {
			cf_error(p, 0, NULL, "section [backend %s] given "
			    "twice (first on line %d)", label, p->bline[k]);
			return (-1);
		}
	}
	if (c->nbackends >= EP2D_MAX_BACKENDS - 1) {
		cf_error(p, 0, NULL, "more than %d [backend NAME] sections",
		    EP2D_MAX_BACKENDS - 1);
		return (-1);
	}
	p->cur = c->nbackends++;
	p->bline[p->cur] = p->lineno;
	b = &c->backends[p->cur];
	memset(b, 0, sizeof(*b));
	strlcpy(b->label, label, sizeof(b->label));
	for (i = 0; i < K_MAX; i++)
		p->bseen[p->cur][i] = 0;
	return (0);
}

/* A backend key, checked by cf_set() into scratch, kept. */
static void
cf_backend_store(struct backend_conf *b, enum key k,
    const struct ep2_conf *s)
{
	int	 i;

	switch (k) {
	case K_BACKEND_NAME:
		strlcpy(b->backend_name, s->backend_name,
		    sizeof(b->backend_name));
		break;
	case K_ORCHESTRATOR:
		b->orchestrator = s->orchestrator;
		break;
	case K_BACKEND_PORT:
		b->backend_port = s->backend_port;
		break;
	case K_NODE_SLOTS:
		b->node_slots = s->node_slots;
		break;
	case K_UPDATE_TYPE:
		b->update_type = s->update_type;
		break;
	case K_CHECK_INTERVAL:
		strlcpy(b->check_interval, s->check_interval,
		    sizeof(b->check_interval));
		break;
	case K_BACKEND_MAXCONN:
		b->backend_maxconn = s->backend_maxconn;
		break;
	case K_CONSUL_SERVICE_NAME:
		strlcpy(b->service_name, s->consul.service_name,
		    sizeof(b->service_name));
		break;
	case K_TAGS:
		for (i = 0; i < s->consul.ntags; i++)
			strlcpy(b->tags[i], s->consul.tags[i], EP2D_NAME_MAX);
		b->ntags = s->consul.ntags;
		break;
	case K_ONLY_PASSING:
		b->only_passing = s->consul.only_passing;
		break;
	case K_WEIGHTS:
		b->weights = s->consul.weights;
		break;
	case K_ON_WARNING:
		b->on_warning = s->consul.on_warning;
		break;
	case K_ASG_NAME:
		for (i = 0; i < s->aws.nasg; i++)
			strlcpy(b->asg_names[i], s->aws.asg_names[i],
			    EP2D_NAME_MAX);
		b->nasg = s->aws.nasg;
		break;
	case K_REGION_NAME:
		strlcpy(b->region, s->aws.region, sizeof(b->region));
		break;
	case K_FILE_PATH:
		strlcpy(b->path, s->file.path, sizeof(b->path));
		break;
	default:
		break;
	}
}

/*
 * Keys a [backend NAME] did not set come from [haproxy], [CONSUL],
 * [AWS] and [FILE] (whatever order the sections came in), except
 * backend_name: two backends cannot share one, so it defaults to NAME.
 */
static void
cf_backend_inherit(struct backend_conf *b, const int *seen,
    const struct ep2_conf *c)
{
	struct ep2_conf	*tmp;

	if ((tmp = malloc(sizeof(*tmp))) == NULL)
		fatal("%s: malloc", __func__);
	config_backend(c, 0, tmp);
	if (!seen[K_BACKEND_NAME])
		strlcpy(tmp->backend_name, b->label, sizeof(tmp->backend_name));
	if (!seen[K_BACKEND_NAME])
		cf_backend_store(b, K_BACKEND_NAME, tmp);
	if (!seen[K_ORCHESTRATOR])
		cf_backend_store(b, K_ORCHESTRATOR, tmp);
	if (!seen[K_BACKEND_PORT])
		cf_backend_store(b, K_BACKEND_PORT, tmp);
	if (!seen[K_NODE_SLOTS])
		cf_backend_store(b, K_NODE_SLOTS, tmp);
	if (!seen[K_UPDATE_TYPE])
		cf_backend_store(b, K_UPDATE_TYPE, tmp);
	if (!seen[K_CHECK_INTERVAL])
		cf_backend_store(b, K_CHECK_INTERVAL, tmp);
	if (!seen[K_BACKEND_MAXCONN])
		cf_backend_store(b, K_BACKEND_MAXCONN, tmp);
	if (!seen[K_CONSUL_SERVICE_NAME])
		cf_backend_store(b, K_CONSUL_SERVICE_NAME, tmp);
	if (!seen[K_TAGS])
		cf_backend_store(b, K_TAGS, tmp);
	if (!seen[K_ONLY_PASSING])
		cf_backend_store(b, K_ONLY_PASSING, tmp);
	if (!seen[K_WEIGHTS])
		cf_backend_store(b, K_WEIGHTS, tmp);
	if (!seen[K_ON_WARNING])
		cf_backend_store(b, K_ON_WARNING, tmp);
	if (!seen[K_ASG_NAME])
		cf_backend_store(b, K_ASG_NAME, tmp);
	if (!seen[K_REGION_NAME])
		cf_backend_store(b, K_REGION_NAME, tmp);
	if (!seen[K_FILE_PATH])
		cf_backend_store(b, K_FILE_PATH, tmp);
	free(tmp);
}

/* Each backend complete, and every backend a name of its own. */
static void
cf_check_backends(struct parse *p, struct ep2_conf *c)
{
	struct backend_conf	*b;
	const char		*bn;
	int			 given[K_MAX];
	int			 k, j, line;

	for (k = 0; k < c->nbackends; k++) {
		b = &c->backends[k];
		for (j = 0; j < K_MAX; j++)
			given[j] = p->bempty[k][j] ? 0 : p->bseen[k][j];
		cf_backend_inherit(b, given, c);
		line = p->bseen[k][K_ORCHESTRATOR] ?
		    p->bseen[k][K_ORCHESTRATOR] : p->bline[k];
		switch (b->orchestrator) {
		case ORCH_AWS:
			if (b->nasg == 0)
				cf_error(p, line, NULL, "[backend %s]: "
				    "orchestrator aws needs asg_name",
				    b->label);
			break;
		case ORCH_CONSUL:
			if (b->service_name[0] == '\0')
				cf_error(p, line, NULL, "[backend %s]: "
				    "orchestrator consul needs service_name",
				    b->label);
			break;
		case ORCH_FILE:
			if (b->path[0] == '\0')
				cf_error(p, line, NULL, "[backend %s]: "
				    "orchestrator file needs path", b->label);
			break;
		}
		if (b->update_type == UPDATE_RUNTIME && b->node_slots == 0)
			cf_error(p, p->bseen[k][K_NODE_SLOTS] ?
			    p->bseen[k][K_NODE_SLOTS] : p->bline[k], NULL,
			    "[backend %s]: update_by_runtime needs at least "
			    "one slot", b->label);
		if (b->update_type == UPDATE_RUNTIME && c->nsockets == 0)
			cf_error(p, p->bline[k], NULL, "[backend %s]: "
			    "update_by_runtime needs haproxy_socket_file in "
			    "[haproxy]", b->label);
		bn = b->backend_name;
		if (strcmp(bn, c->backend_name) == 0)
			cf_error(p, p->bseen[k][K_BACKEND_NAME] ?
			    p->bseen[k][K_BACKEND_NAME] : p->bline[k], NULL,
			    "[backend %s]: backend_name %s is [haproxy]'s",
			    b->label, bn);
		for (j = 0; j < k; j++)
			if (strcmp(bn, c->backends[j].backend_name) == 0)
				cf_error(p, p->bline[k], NULL, "[backend %s]: "
				    "backend_name %s is [backend %s]'s too",
				    b->label, bn, c->backends[j].label);
	}
}

/*
 * One line, as configparser sees it: a full-line comment ('#' or ';'
 * after leading white space), a blank line, a section header, or a key
 * with '=' or ':'.  A line indented deeper than the key before it would
 * continue that key's value over several lines: no ep2.conf key takes
 * such a value, so it is refused rather than joined.  Returns -1 only
 * when reading should stop.
 */
static int
cf_line(struct parse *p, struct ep2_conf *c, char *line, size_t len)
{
	const struct keyword	*kw = NULL;
	char			 value[CONF_LINE_MAX];
	char			 shown[CONF_SHOW_MAX + 4];
	char			*s, *key, *val, *d;
	const char		*why;
	size_t			 indent, i;
	int			*seen;
	char			 delim;

	if (strlen(line) != len) {
		cf_error(p, 0, NULL, "NUL byte in the line");
		return (0);
	}
	if (len >= CONF_LINE_MAX) {
		cf_error(p, 0, NULL, "line too long");
		return (0);
	}
	/* a UTF-8 byte order mark, as some editors write */
	if (p->lineno == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;

	for (indent = 0; isspace((unsigned char)line[indent]); indent++)
		;
	s = cf_strip(line);
	if (*s == '\0' || *s == '#' || *s == ';')
		return (0);
	if (p->key_open && indent > p->key_indent) {
		cf_error(p, 0, NULL, "indented line would continue the value "
		    "of the key above over several lines: not supported");
		return (0);
	}

	if (*s == '[')
		return (cf_section(p, c, s));
	if (p->sec == SEC_NONE) {
		cf_error(p, 0, NULL, "key before the first [section]");
		return (0);
	}

	/* configparser: the key ends at the first '=' or ':' */
	if ((d = strpbrk(s, "=:")) == NULL) {
		cf_error(p, 0, NULL, "expected \"key = value\"");
		return (0);
	}
	delim = *d;
	*d = '\0';
	key = cf_strip(s);
	val = cf_strip(d + 1);
	p->key_open = 1;
	p->key_indent = indent;
	if (*key == '\0') {
		cf_error(p, 0, NULL, "no key before '%c'", delim);
		return (0);
	}
	for (i = 0; key[i] != '\0'; i++)
		key[i] = tolower((unsigned char)key[i]);
	if (p->sec == SEC_UNKNOWN)
		return (0);

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (keywords[i].sec == p->sec &&
		    strcmp(keywords[i].name, key) == 0) {
			kw = &keywords[i];
			break;
		}
	}
	if (kw == NULL && p->sec == SEC_BACKEND) {
		for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (strcmp(keywords[i].name, key) == 0)
				break;
		if (i < sizeof(keywords) / sizeof(keywords[0])) {
			cf_error(p, 0, key, "not a key of [backend %s]: it "
			    "is shared by every backend; set it in [%s]",
			    c->backends[p->cur].label,
			    section_names[keywords[i].sec]);
			return (0);
		}
	}
	if (kw == NULL) {
		cf_show(shown, sizeof(shown), key);
		log_warnx("%s:%d: [%s] unknown key \"%s\" ignored", p->name,
		    p->lineno, section_names[p->sec], shown);
		return (0);
	}
	seen = p->sec == SEC_BACKEND ? p->bseen[p->cur] : p->seen;
	if (seen[kw->key] != 0) {
		cf_error(p, 0, key, "given twice (first on line %d)",
		    seen[kw->key]);
		return (0);
	}
	seen[kw->key] = p->lineno;

	if (has_cntrl(val)) {
		cf_error(p, 0, key, "control character in the value");
		return (0);
	}
	if (*val == '\0' && cf_empty(p, c, kw->key) == 0)
		return (0);
	if (cf_value(val, value, sizeof(value), &why) == -1 ||
	    cf_set(p->sec == SEC_BACKEND ? p->scratch : c, kw->key, value,
	    &why) == -1) {
		if (kw->secret)
			cf_error(p, 0, key, "%s", why);
		else {
			cf_show(shown, sizeof(shown), val);
			cf_error(p, 0, key, "\"%s\": %s", shown, why);
		}
	}
	else if (p->sec == SEC_BACKEND)
		cf_backend_store(&c->backends[p->cur], kw->key, p->scratch);
	explicit_bzero(value, sizeof(value));
	return (0);
}

static int
cf_section(struct parse *p, struct ep2_conf *c, char *s)
{
	static const struct {
		const char	*name;
		enum section	 sec;
	} known[] = {
		{ "haproxy", SEC_HAPROXY },
		{ "aws", SEC_AWS },
		{ "consul", SEC_CONSUL },
		{ "file", SEC_FILE },
	};
	char	*end;
	size_t	 i;

	/* configparser's header is everything up to the last ']' */
	if ((end = strrchr(s, ']')) == NULL || end == s + 1) {
		cf_error(p, 0, NULL, "bad section header");
		return (0);
	}
	if (end[1] != '\0')
		log_warnx("%s:%d: text after the section header ignored",
		    p->name, p->lineno);
	*end = '\0';
	s++;
	p->key_open = 0;

	/*
	 * [DEFAULT] is configparser's: its keys would apply in every
	 * section.  Ignoring them would silently change the meaning of a
	 * file EP2 read, so it is refused.
	 */
	if (strncasecmp(s, "backend", 7) == 0 && (s[7] == ' ' ||
	    s[7] == '\t')) {
		p->sec = SEC_UNKNOWN;
		if (cf_backend_header(p, c, cf_strip(s + 7)) == 0)
			p->sec = SEC_BACKEND;
		return (0);
	}
	if (strcasecmp(s, "default") == 0) {
		cf_error(p, 0, NULL, "[DEFAULT] is not supported: put its keys "
		    "in the sections that use them");
		p->sec = SEC_UNKNOWN;
		return (0);
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcasecmp(known[i].name, s) != 0)
			continue;
		p->sec = known[i].sec;
		if (p->secseen[p->sec] != 0)
			cf_error(p, 0, NULL, "section [%s] given twice (first "
			    "on line %d)", s, p->secseen[p->sec]);
		p->secseen[p->sec] = p->lineno;
		return (0);
	}
	if (has_cntrl(s))
		log_warnx("%s:%d: unknown section ignored", p->name,
		    p->lineno);
	else
		log_warnx("%s:%d: unknown section [%.*s] ignored", p->name,
		    p->lineno, CONF_SHOW_MAX, s);
	p->sec = SEC_UNKNOWN;
	return (0);
}

/*
 * configparser's default interpolation: "%%" is a '%', "%(name)s" a
 * reference to another key.  References are not supported (no EP2 key
 * needs one); a lone '%' is an error there as here.
 */
static int
cf_value(const char *v, char *out, size_t outlen, const char **why)
{
	size_t	 o = 0;

	for (; *v != '\0'; v++) {
		if (*v == '%') {
			if (v[1] == '%')
				v++;
			else if (v[1] == '(') {
				*why = "%(name)s interpolation is not "
				    "supported";
				return (-1);
			} else {
				*why = "'%' must be written \"%%\"";
				return (-1);
			}
		}
		if (o + 1 >= outlen) {
			*why = "value too long";
			return (-1);
		}
		out[o++] = *v;
	}
	out[o] = '\0';
	return (0);
}

/*
 * EP2 takes "key =" for the key's default (merge_with_default_config),
 * and so does ep2d for every key that has one; in [backend NAME] the
 * default is what the backend inherits, as if the line were not there.
 * Returns -1 for a key without a default: cf_set() says what an empty
 * value is for it.
 */
static int
cf_empty(struct parse *p, struct ep2_conf *c, enum key k)
{
	struct ep2_conf	*d;
	int		 r = 0;

	if (p->sec == SEC_BACKEND) {
		switch (k) {
		case K_BACKEND_NAME:
		case K_ORCHESTRATOR:
		case K_BACKEND_PORT:
		case K_NODE_SLOTS:
		case K_UPDATE_TYPE:
		case K_ONLY_PASSING:
		case K_WEIGHTS:
		case K_ON_WARNING:
			p->bempty[p->cur][k] = 1;
			return (0);
		default:
			return (-1);
		}
	}
	if ((d = malloc(sizeof(*d))) == NULL)
		fatal("%s: malloc", __func__);
	config_defaults(d);
#define DFL_STR(f)	strlcpy(c->f, d->f, sizeof(c->f))
	switch (k) {
	case K_HAPROXY_CONFIG_FILE:
		DFL_STR(haproxy_config_file);
		break;
	case K_TEMPLATE_FILE:
		DFL_STR(template_file);
		break;
	case K_BACKEND_PORT:
		c->backend_port = d->backend_port;
		break;
	case K_HAPROXY_BINARY:
		DFL_STR(haproxy_binary);
		break;
	case K_START_BY:
		c->start_by = d->start_by;
		break;
	case K_HAPROXY_SOCKET_FILE:
		memcpy(c->sockets, d->sockets, sizeof(c->sockets));
		c->nsockets = d->nsockets;
		break;
	case K_PID_FILE:
		DFL_STR(pid_file);
		break;
	case K_BACKEND_NAME:
		DFL_STR(backend_name);
		break;
	case K_UPDATE_TYPE:
		c->update_type = d->update_type;
		break;
	case K_NODE_SLOTS:
		c->node_slots = d->node_slots;
		break;
	case K_SERVICE_NAME:
		DFL_STR(service_name);
		break;
	case K_LOCK_DIR:
		DFL_STR(lock_dir);
		break;
	case K_ORCHESTRATOR:
		c->orchestrator = d->orchestrator;
		break;
	case K_SLEEP_BEFORE_NEXT_RUN:
		c->sleep_before_next_run = d->sleep_before_next_run;
		break;
	case K_SLEEP_BEFORE_NEXT_LOCK_ATTEMPT:
		c->sleep_before_next_lock_attempt =
		    d->sleep_before_next_lock_attempt;
		break;
	case K_LOG_FILE:
		DFL_STR(log_file);
		break;
	case K_DRAIN_TIMEOUT:
		c->drain_timeout = d->drain_timeout;
		break;
	case K_SLOT_GROWTH:
		c->slot_growth = d->slot_growth;
		break;
	case K_KEEP_ON_EMPTY:
		c->keep_on_empty = d->keep_on_empty;
		break;
	case K_CONSUL_IP:
		DFL_STR(consul.consul_ip);
		break;
	case K_CONSUL_PORT:
		c->consul.consul_port = d->consul.consul_port;
		break;
	case K_ONLY_PASSING:
		c->consul.only_passing = d->consul.only_passing;
		break;
	case K_SCHEME:
		c->consul.https = d->consul.https;
		break;
	case K_STALE:
		c->consul.stale = d->consul.stale;
		break;
	case K_WAIT:
		c->consul.wait = d->consul.wait;
		break;
	case K_MAX_RESPONSE_SIZE:
		c->consul.max_body = d->consul.max_body;
		break;
	case K_WEIGHTS:
		c->consul.weights = d->consul.weights;
		break;
	case K_ON_WARNING:
		c->consul.on_warning = d->consul.on_warning;
		break;
	default:
		r = -1;
		break;
	}
#undef DFL_STR
	free(d);
	return (r);
}

/* Check one value and store it; on error *why says what is wrong. */
static int
cf_set(struct ep2_conf *c, enum key k, const char *v, const char **why)
{
	long long	 n;
	size_t		 sz;

	switch (k) {
	case K_HAPROXY_CONFIG_FILE:
		return (set_path(c->haproxy_config_file,
		    sizeof(c->haproxy_config_file), v, 0, why));
	case K_TEMPLATE_FILE:
		return (set_path(c->template_file, sizeof(c->template_file),
		    v, 0, why));
	case K_BACKEND_PORT:
		if (addr_parse_port(v, &c->backend_port) == -1) {
			*why = "not a port from 1 to 65535";
			return (-1);
		}
		return (0);
	case K_HAPROXY_BINARY:
		return (set_path(c->haproxy_binary, sizeof(c->haproxy_binary),
		    v, 0, why));
	case K_START_BY:
		if (strcmp(v, "binary") == 0)
			c->start_by = START_BINARY;
		else if (strcmp(v, "systemd") == 0)
			c->start_by = START_SYSTEMD;
		else {
			*why = "must be binary or systemd";
			return (-1);
		}
		return (0);
	case K_HAPROXY_SOCKET_FILE:
		/* empty is EP2's default socket (cf_empty): "none" is none */
		if (strcmp(v, "none") == 0) {
			c->nsockets = 0;
			return (0);
		}
		return (set_sockets(c, v, why));
	case K_PID_FILE:
		return (set_path(c->pid_file, sizeof(c->pid_file), v, 0, why));
	case K_BACKEND_NAME:
		if (!valid_haproxy_name(v)) {
			*why = "not a backend name (letters, digits, "
			    "'_', '.', ':', '-')";
			return (-1);
		}
		return (set_str(c->backend_name, sizeof(c->backend_name), v,
		    why));
	case K_BACKEND_MAXCONN:
		if (*v == '\0') {
			c->backend_maxconn = -1;
			return (0);
		}
		/* HAProxy: a server's maxconn 0 is no limit, EP2 wrote it */
		if (parse_uint(v, 0, INT32_MAX, &n) == -1) {
			*why = "not an integer from 0 to 2147483647";
			return (-1);
		}
		c->backend_maxconn = (int)n;
		return (0);
	case K_CHECK_INTERVAL:
		if (*v != '\0' && !valid_haproxy_time(v)) {
			*why = "not an HAProxy time (a number above 0 and "
			    "an optional unit us, ms, s, m, h or d)";
			return (-1);
		}
		return (set_str(c->check_interval, sizeof(c->check_interval),
		    v, why));
	case K_UPDATE_TYPE:
		if (strcmp(v, "update_by_config") == 0)
			c->update_type = UPDATE_CONFIG;
		else if (strcmp(v, "update_by_runtime") == 0)
			c->update_type = UPDATE_RUNTIME;
		else {
			*why = "must be update_by_config or update_by_runtime";
			return (-1);
		}
		return (0);
	case K_NODE_SLOTS:
		/* 0 made sense to EP2 with update_by_config; see cf_check */
		if (parse_uint(v, 0, EP2D_MAX_SERVERS, &n) == -1) {
			*why = "not an integer from 0 to 100000";
			return (-1);
		}
		c->node_slots = (int)n;
		return (0);
	case K_SERVICE_NAME:
		if (!valid_unit_name(v)) {
			*why = "not a systemd unit name";
			return (-1);
		}
		return (set_str(c->service_name, sizeof(c->service_name), v,
		    why));
	case K_LOCK_DIR:
		return (set_path(c->lock_dir, sizeof(c->lock_dir), v, 0, why));
	case K_ORCHESTRATOR:
		if (strcmp(v, "aws") == 0)
			c->orchestrator = ORCH_AWS;
		else if (strcmp(v, "consul") == 0)
			c->orchestrator = ORCH_CONSUL;
		else if (strcmp(v, "file") == 0)
			c->orchestrator = ORCH_FILE;
		else {
			*why = "must be aws, consul or file";
			return (-1);
		}
		return (0);
	case K_SLEEP_BEFORE_NEXT_RUN:
		if (parse_uint(v, 1, CONF_SLEEP_MAX, &n) == -1) {
			*why = "not a number of seconds from 1 to 86400";
			return (-1);
		}
		c->sleep_before_next_run = (int)n;
		return (0);
	case K_SLEEP_BEFORE_NEXT_LOCK_ATTEMPT:
		if (parse_uint(v, 0, CONF_SLEEP_MAX, &n) == -1) {
			*why = "not a number of seconds from 0 to 86400";
			return (-1);
		}
		c->sleep_before_next_lock_attempt = (int)n;
		return (0);
	case K_LOG_FILE:
		/* empty is EP2's default file (cf_empty): "none" is none */
		if (strcmp(v, "none") == 0) {
			c->log_file[0] = '\0';
			return (0);
		}
		return (set_path(c->log_file, sizeof(c->log_file), v, 0, why));
	case K_DRAIN_TIMEOUT:
		if (parse_duration(v, 0, CONF_SLEEP_MAX, &n) == -1) {
			*why = "not a number of seconds from 0 to 86400";
			return (-1);
		}
		c->drain_timeout = (int)n;
		return (0);
	case K_SLOT_GROWTH:
		if (strcmp(v, "double") == 0) {
			c->slot_growth = 0;
			return (0);
		}
		if (parse_uint(v, 1, EP2D_MAX_SERVERS, &n) == -1) {
			*why = "must be double or an integer from 1 to 100000";
			return (-1);
		}
		c->slot_growth = (int)n;
		return (0);
	case K_METRICS_FILE:
		return (set_path(c->metrics_file, sizeof(c->metrics_file), v,
		    1, why));
	case K_KEEP_ON_EMPTY:
		if (parse_bool(v, &c->keep_on_empty) == -1) {
			*why = "not a boolean (yes/no, true/false, on/off, "
			    "1/0)";
			return (-1);
		}
		return (0);

	case K_AWS_ACCESS_KEY_ID:
		if (*v != '\0' && !valid_secret(v)) {
			*why = "not an access key id (printable, no spaces)";
			return (-1);
		}
		return (set_str(c->aws.access_key_id,
		    sizeof(c->aws.access_key_id), v, why));
	case K_AWS_SECRET_ACCESS_KEY:
		if (*v != '\0' && !valid_secret(v)) {
			*why = "not a secret key (printable, no spaces)";
			return (-1);
		}
		return (set_str(c->aws.secret_access_key,
		    sizeof(c->aws.secret_access_key), v, why));
	case K_ASG_NAME:
		return (set_list(c->aws.asg_names, EP2D_MAX_ASG, &c->aws.nasg,
		    v, why));
	case K_REGION_NAME:
		if (*v != '\0' && !valid_chars(v,
		    "abcdefghijklmnopqrstuvwxyz0123456789-")) {
			*why = "not a region name (like eu-west-1)";
			return (-1);
		}
		return (set_str(c->aws.region, sizeof(c->aws.region), v, why));
	case K_IP_TYPE:
		if (*v == '\0') {	/* EP2: public, warned at start */
			c->aws.ip_type = IP_PUBLIC;
			c->aws.ip_type_set = 0;
			return (0);
		}
		if (strcmp(v, "private") == 0)
			c->aws.ip_type = IP_PRIVATE;
		else if (strcmp(v, "public") == 0)
			c->aws.ip_type = IP_PUBLIC;
		else {
			*why = "must be private or public";
			return (-1);
		}
		c->aws.ip_type_set = 1;
		return (0);
	case K_AUTOSCALING_ENDPOINT:
		if (*v != '\0' && !valid_url(v)) {
			*why = "not an http:// or https:// URL";
			return (-1);
		}
		return (set_str(c->aws.autoscaling_endpoint,
		    sizeof(c->aws.autoscaling_endpoint), v, why));
	case K_EC2_ENDPOINT:
		if (*v != '\0' && !valid_url(v)) {
			*why = "not an http:// or https:// URL";
			return (-1);
		}
		return (set_str(c->aws.ec2_endpoint,
		    sizeof(c->aws.ec2_endpoint), v, why));

	case K_CONSUL_SERVICE_NAME:
		if (*v != '\0' && !valid_chars(v, ALNUM "_.-")) {
			*why = "not a service name (letters, digits, '_', "
			    "'.', '-')";
			return (-1);
		}
		return (set_str(c->consul.service_name,
		    sizeof(c->consul.service_name), v, why));
	case K_CONSUL_IP:
		if (!addr_valid_host(v)) {
			*why = "not an IP address or host name";
			return (-1);
		}
		return (set_str(c->consul.consul_ip,
		    sizeof(c->consul.consul_ip), v, why));
	case K_CONSUL_PORT:
		if (addr_parse_port(v, &c->consul.consul_port) == -1) {
			*why = "not a port from 1 to 65535";
			return (-1);
		}
		return (0);
	case K_ONLY_PASSING:
		if (parse_bool(v, &c->consul.only_passing) == -1) {
			*why = "not a boolean (yes/no, true/false, on/off, "
			    "1/0)";
			return (-1);
		}
		return (0);
	case K_TAGS:
		return (set_list(c->consul.tags, EP2D_MAX_TAGS,
		    &c->consul.ntags, v, why));
	case K_TOKEN:
		if (*v != '\0' && !valid_secret(v)) {
			*why = "not a token (printable, no spaces)";
			return (-1);
		}
		return (set_str(c->consul.token, sizeof(c->consul.token), v,
		    why));
	case K_SCHEME:
		if (strcmp(v, "http") == 0)
			c->consul.https = 0;
		else if (strcmp(v, "https") == 0)
			c->consul.https = 1;
		else {
			*why = "must be http or https";
			return (-1);
		}
		return (0);
	case K_CA_FILE:
		return (set_path(c->consul.ca_file, sizeof(c->consul.ca_file),
		    v, 1, why));
	case K_CERT_FILE:
		return (set_path(c->consul.cert_file,
		    sizeof(c->consul.cert_file), v, 1, why));
	case K_KEY_FILE:
		return (set_path(c->consul.key_file,
		    sizeof(c->consul.key_file), v, 1, why));
	case K_TLS_SERVER_NAME:
		if (*v != '\0' && !addr_valid_host(v)) {
			*why = "not a host name";
			return (-1);
		}
		return (set_str(c->consul.tls_server_name,
		    sizeof(c->consul.tls_server_name), v, why));
	case K_DATACENTER:
		if (*v != '\0' && !valid_chars(v, ALNUM "_.-")) {
			*why = "not a datacenter name (letters, digits, '_', "
			    "'.', '-')";
			return (-1);
		}
		return (set_str(c->consul.datacenter,
		    sizeof(c->consul.datacenter), v, why));
	case K_STALE:
		if (parse_bool(v, &c->consul.stale) == -1) {
			*why = "not a boolean (yes/no, true/false, on/off, "
			    "1/0)";
			return (-1);
		}
		return (0);
	case K_WAIT:
		if (parse_duration(v, 1, CONF_WAIT_MAX, &n) == -1) {
			*why = "not a duration from 1s to 10m (like 300s, "
			    "5m or 300)";
			return (-1);
		}
		c->consul.wait = (int)n;
		return (0);
	case K_MAX_RESPONSE_SIZE:
		if (parse_size(v, &sz) == -1) {
			*why = "not a size from 1K to 1024M (bytes, or with "
			    "a K or M suffix)";
			return (-1);
		}
		c->consul.max_body = sz;
		return (0);
	case K_WEIGHTS:
		if (parse_bool(v, &c->consul.weights) == -1) {
			*why = "not a boolean (yes/no, true/false, on/off, "
			    "1/0)";
			return (-1);
		}
		return (0);
	case K_ON_WARNING:
		if (strcmp(v, "passing") == 0)
			c->consul.on_warning = WARN_PASSING;
		else if (strcmp(v, "drain") == 0)
			c->consul.on_warning = WARN_DRAIN;
		else if (strcmp(v, "remove") == 0)
			c->consul.on_warning = WARN_REMOVE;
		else {
			*why = "must be passing, drain or remove";
			return (-1);
		}
		return (0);

	case K_FILE_PATH:
		if (set_path(c->file.path, sizeof(c->file.path), v, 0,
		    why) == -1)
			return (-1);
		/* filesrc.c watches the directory for this name */
		sz = strlen(v);
		if (v[sz - 1] == '/' || strcmp(strrchr(v, '/'), "/.") == 0 ||
		    strcmp(strrchr(v, '/'), "/..") == 0) {
			*why = "must name a file, not a directory";
			return (-1);
		}
		return (0);
	case K_MAX:
		break;
	}
	*why = "internal error: unhandled key";
	return (-1);
}

/* After the last line: what no single key can say alone. */
static void
cf_check(struct parse *p, struct ep2_conf *c)
{
	int		 line;
	const char	*dflt;

	line = p->seen[K_ORCHESTRATOR] ? p->seen[K_ORCHESTRATOR] : -1;
	dflt = p->seen[K_ORCHESTRATOR] ? "" : " (the default)";
	switch (c->orchestrator) {
	case ORCH_AWS:
		if (c->aws.nasg == 0)
			cf_error(p, line, "orchestrator", "aws%s needs "
			    "asg_name in [AWS]", dflt);
		break;
	case ORCH_CONSUL:
		if (c->consul.service_name[0] == '\0')
			cf_error(p, line, "orchestrator", "consul needs "
			    "service_name in [CONSUL]");
		break;
	case ORCH_FILE:
		if (c->file.path[0] == '\0')
			cf_error(p, line, "orchestrator", "file needs path in "
			    "[FILE]");
		break;
	}

	if (c->update_type == UPDATE_RUNTIME && c->node_slots == 0)
		cf_error(p, p->seen[K_NODE_SLOTS], "node_slots",
		    "update_by_runtime needs at least one slot");
	if (c->update_type == UPDATE_RUNTIME && c->nsockets == 0) {
		line = p->seen[K_HAPROXY_SOCKET_FILE];
		cf_error(p, line ? line : -1, "haproxy_socket_file",
		    "update_by_runtime needs at least one socket");
	}
	if (strcmp(c->haproxy_config_file, c->template_file) == 0)
		cf_error(p, p->seen[K_HAPROXY_CONFIG_FILE] ?
		    p->seen[K_HAPROXY_CONFIG_FILE] : -1, "haproxy_config_file",
		    "the same file as template_file: the template would be "
		    "overwritten");

	if ((c->aws.access_key_id[0] == '\0') !=
	    (c->aws.secret_access_key[0] == '\0')) {
		if (c->aws.access_key_id[0] != '\0')
			cf_error(p, p->seen[K_AWS_ACCESS_KEY_ID],
			    "aws_access_key_id", "needs aws_secret_access_key");
		else
			cf_error(p, p->seen[K_AWS_SECRET_ACCESS_KEY],
			    "aws_secret_access_key", "needs aws_access_key_id");
	}

	if (c->consul.key_file[0] != '\0' && c->consul.cert_file[0] == '\0')
		cf_error(p, p->seen[K_KEY_FILE], "key_file", "needs cert_file");
	if (!c->consul.https && (c->consul.ca_file[0] != '\0' ||
	    c->consul.cert_file[0] != '\0' ||
	    c->consul.tls_server_name[0] != '\0'))
		log_warnx("%s: [CONSUL] TLS settings are ignored with "
		    "scheme = http", p->name);
}

/*
 * "FILE:LINE: KEY: reason".  line 0 is the current line, below 0 none
 * (a default, or the file as a whole).
 */
static void
cf_error(struct parse *p, int line, const char *key, const char *fmt, ...)
{
	char	 msg[512], where[32];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line == 0)
		line = p->lineno;
	where[0] = '\0';
	if (line > 0)
		snprintf(where, sizeof(where), ":%d", line);
	if (key != NULL)
		log_warnx("%s%s: %s: %s", p->name, where, key, msg);
	else
		log_warnx("%s%s: %s", p->name, where, msg);
	p->errors++;
}

/* A value quoted in an error: no control characters, cut when long. */
static void
cf_show(char *buf, size_t len, const char *v)
{
	size_t	 i;

	for (i = 0; v[i] != '\0' && i + 4 < len; i++)
		buf[i] = iscntrl((unsigned char)v[i]) ? '?' : v[i];
	buf[i] = '\0';
	if (v[i] != '\0')
		strlcat(buf, "...", len);
}

/* Python's str.strip() for the bytes configparser would strip. */
static char *
cf_strip(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return (s);
}

/* configparser's getboolean(): these words, in any case. */
static int
parse_bool(const char *s, int *b)
{
	static const char	*yes[] = { "1", "yes", "true", "on" };
	static const char	*no[] = { "0", "no", "false", "off" };
	size_t			 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*b = 1;
			return (0);
		}
		if (strcasecmp(s, no[i]) == 0) {
			*b = 0;
			return (0);
		}
	}
	return (-1);
}

/* Decimal digits only: no sign, no space, no 0x. */
static int
parse_uint(const char *s, long long min, long long max, long long *out)
{
	long long	 v = 0;
	size_t		 n;

	for (n = 0; s[n] != '\0'; n++) {
		if (!isdigit((unsigned char)s[n]) || n >= 18)
			return (-1);
		v = v * 10 + (s[n] - '0');
	}
	if (n == 0 || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

/*
 * Seconds, plain ("300") or in Go's notation as Consul writes it
 * ("300s", "5m", "1m30s", "1h").  Units below a second are refused:
 * nothing here counts in milliseconds.
 */
static int
parse_duration(const char *s, long long min, long long max, long long *out)
{
	long long	 total = 0, v;
	size_t		 n;

	if (parse_uint(s, min, max, out) == 0)
		return (0);
	if (*s == '\0')
		return (-1);
	while (*s != '\0') {
		for (v = 0, n = 0; isdigit((unsigned char)s[n]); n++) {
			if (n >= 9)
				return (-1);
			v = v * 10 + (s[n] - '0');
		}
		if (n == 0)
			return (-1);
		s += n;
		switch (*s) {
		case 'h':
			v *= 3600;
			break;
		case 'm':
			if (s[1] == 's')
				return (-1);
			v *= 60;
			break;
		case 's':
			break;
		default:
			return (-1);
		}
		s++;
		total += v;
		if (total > max)
			return (-1);
	}
	if (total < min)
		return (-1);
	*out = total;
	return (0);
}

/* Bytes, or K/M (powers of 1024, "K", "KB", "KiB" alike). */
static int
parse_size(const char *s, size_t *out)
{
	unsigned long long	 v = 0, mult = 1;
	size_t			 n;

	for (n = 0; isdigit((unsigned char)s[n]); n++) {
		if (n >= 12)
			return (-1);
		v = v * 10 + (unsigned long long)(s[n] - '0');
	}
	if (n == 0)
		return (-1);
	s += n;
	if (*s == 'k' || *s == 'K')
		mult = 1024;
	else if (*s == 'm' || *s == 'M')
		mult = 1024 * 1024;
	else if (*s != '\0')
		return (-1);
	if (*s != '\0') {
		s++;
		if (strcasecmp(s, "") != 0 && strcasecmp(s, "b") != 0 &&
		    strcasecmp(s, "ib") != 0)
			return (-1);
	}
	v *= mult;
	if (v < CONF_BODY_MIN || v > CONF_BODY_MAX)
		return (-1);
	*out = (size_t)v;
	return (0);
}

/* A value too long for its field is an error, never cut. */
static int
set_str(char *dst, size_t len, const char *v, const char **why)
{
	static char	 msg[64];

	if (strlen(v) >= len) {
		snprintf(msg, sizeof(msg), "too long (at most %zu bytes)",
		    len - 1);
		*why = msg;
		return (-1);
	}
	strlcpy(dst, v, len);
	return (0);
}

/* Absolute: ep2d changes directory, and the fetcher is chrooted. */
static int
set_path(char *dst, size_t len, const char *v, int empty_ok,
    const char **why)
{
	if (*v == '\0') {
		if (!empty_ok) {
			*why = "must not be empty";
			return (-1);
		}
		dst[0] = '\0';
		return (0);
	}
	if (*v != '/') {
		*why = "not an absolute path";
		return (-1);
	}
	return (set_str(dst, len, v, why));
}

/*
 * The next entry of a comma-separated list, white space around it
 * removed, into buf; NULL after the last one.  An entry longer than
 * buf is an error, not cut.
 */
static const char *
list_next(const char *s, char *buf, size_t len, const char **why)
{
	const char	*e, *end;

	if ((end = strchr(s, ',')) == NULL)
		end = s + strlen(s);
	e = end;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (s == e) {
		*why = "empty entry in the list";
		return (NULL);
	}
	if ((size_t)(e - s) >= len) {
		*why = "list entry too long";
		return (NULL);
	}
	memcpy(buf, s, e - s);
	buf[e - s] = '\0';
	return (end);
}

/* EP2's list of HAProxy stats sockets, comma-separated. */
static int
set_sockets(struct ep2_conf *c, const char *v, const char **why)
{
	char		 item[PATH_MAX];
	const char	*s;

	c->nsockets = 0;
	if (*v == '\0')
		return (0);
	for (s = v;; s++) {
		if ((s = list_next(s, item, sizeof(item), why)) == NULL)
			return (-1);
		if (c->nsockets >= EP2D_MAX_SOCKETS) {
			*why = "more than 16 sockets";
			return (-1);
		}
		if (set_path(c->sockets[c->nsockets], sizeof(c->sockets[0]),
		    item, 0, why) == -1)
			return (-1);
		c->nsockets++;
		if (*s == '\0')
			break;
	}
	return (0);
}

/* A comma-separated list of names: [AWS] asg_name, [CONSUL] tags. */
static int
set_list(char (*list)[EP2D_NAME_MAX], int max, int *np, const char *v,
    const char **why)
{
	static char	 msg[64];
	char		 item[EP2D_NAME_MAX];
	const char	*s;

	*np = 0;
	if (*v == '\0')
		return (0);
	for (s = v;; s++) {
		if ((s = list_next(s, item, sizeof(item), why)) == NULL)
			return (-1);
		if (!valid_list_item(item)) {
			*why = "quote in a list entry";
			return (-1);
		}
		if (*np >= max) {
			snprintf(msg, sizeof(msg), "more than %d entries",
			    max);
			*why = msg;
			return (-1);
		}
		strlcpy(list[*np], item, EP2D_NAME_MAX);
		(*np)++;
		if (*s == '\0')
			break;
	}
	return (0);
}

static int
valid_chars(const char *s, const char *allowed)
{
	return (*s != '\0' && strspn(s, allowed) == strlen(s));
}

/* What HAProxy takes as a proxy or server name. */
static int
valid_haproxy_name(const char *s)
{
	return (valid_chars(s, ALNUM "_.:-"));
}

/*
 * A systemd unit: "haproxy", "haproxy.service", "haproxy@a.service".
 * No leading '-' or '.', so it can never read as an option.
 */
static int
valid_unit_name(const char *s)
{
	const char	*at;

	if (!valid_chars(s, ALNUM ":_.@\\-") || *s == '-' || *s == '.')
		return (0);
	if ((at = strchr(s, '@')) != NULL && strchr(at + 1, '@') != NULL)
		return (0);
	return (1);
}

/* HAProxy's time format: "2000", "200ms", "2s", "1m", "100us"... */
static int
valid_haproxy_time(const char *s)
{
	static const char	*units[] = { "", "us", "ms", "s", "m", "h",
				    "d" };
	unsigned long long	 v = 0;
	size_t			 n, i;

	for (n = 0; isdigit((unsigned char)s[n]); n++) {
		if (n >= 10)
			return (0);
		v = v * 10 + (unsigned long long)(s[n] - '0');
	}
	if (n == 0 || v == 0)
		return (0);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s + n, units[i]) == 0)
			return (1);
	return (0);
}

/* Tags and group names: anything printable but list syntax and quotes. */
static int
valid_list_item(const char *s)
{
	for (; *s != '\0'; s++)
		if (iscntrl((unsigned char)*s) || *s == ',' || *s == '"' ||
		    *s == '\'')
			return (0);
	return (1);
}

/* Keys and tokens: printable ASCII, no white space. */
static int
valid_secret(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e)
			return (0);
	return (1);
}

static int
valid_url(const char *s)
{
	const char	*h;

	if (strncmp(s, "http://", 7) == 0)
		h = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		h = s + 8;
	else
		return (0);
	if (*h == '\0' || *h == '/')
		return (0);
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e || strchr("\"'\\`<>", *s) != NULL)
			return (0);
	return (1);
}

static int
has_cntrl(const char *s)
{
	for (; *s != '\0'; s++)
		if (iscntrl((unsigned char)*s))
			return (1);
	return (0);
}
