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
 * configuration of its own, returned only when the whole file is good,
 * so a bad file on SIGHUP leaves the running one in place.
 *
 * Every key is one row of cf_keys[]: its section, its type and limits,
 * and where it lives: in struct ep2_conf when every backend shares it,
 * in struct backend_conf when a [backend NAME] may set it (backend 0
 * holds [haproxy]'s, [CONSUL]'s, [AWS]'s and [FILE]'s value).
 * Parsing, "key =" (the default), inheritance and freeing the secrets
 * all go by the table.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
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

enum cf_type {
	T_PATH,		/* absolute path */
	T_STR,		/* text, valid() or only charset */
	T_INT,		/* decimal from min to max, or one of names */
	T_ENUM,		/* one of names */
	T_BOOL,		/* configparser's getboolean() */
	T_PORT,		/* 1 to 65535 */
	T_TIME,		/* seconds from min to max, or Go's "1m30s" */
	T_SIZE,		/* bytes, K or M */
	T_LIST,		/* comma-separated names, at most max */
	T_CUSTOM	/* parse() */
};

#define CF_DEFAULT	0x01	/* "key =": the default, as not given */
#define CF_EMPTY	0x02	/* an empty value is none */
#define CF_SECRET	0x04	/* the value is never shown */
#define CF_NONE		0x08	/* T_PATH: "none" is none */
#define CF_FILE		0x10	/* T_PATH: names a file, not a directory */
#define CF_LABEL	0x20	/* [backend NAME]: defaults to NAME */

struct cf_name {
	const char	*name;
	int		 value;
};

struct cf_key {
	enum section	 sec;		/* where it is shared from */
	const char	*name;
	enum cf_type	 type;
	int		 flags;
	int		 backend;	/* per backend: in backend_conf */
	size_t		 off;		/* in struct ep2_conf or backend_conf */
	size_t		 size;		/* of the field */
	size_t		 noff;		/* T_LIST: the count, the same struct */
	long long	 min, max;	/* T_INT, T_TIME; T_LIST: max */
	const struct cf_name *names;	/* T_ENUM, T_INT: words */
	const char	*charset;	/* T_STR: the bytes allowed */
	int		(*valid)(const char *);	/* T_STR */
	int		(*parse)(struct ep2_conf *, const char *,
			    const char **);	/* T_CUSTOM */
	const char	*why;		/* a refused value: what it is not */
	const char	*sdef;		/* T_PATH, T_STR: the default */
	long long	 idef;		/* the others: the default */
};

#define ALNUM	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define WHY_BOOL	"not a boolean (yes/no, true/false, on/off, 1/0)"
#define WHY_PORT	"not a port from 1 to 65535"

#define FSIZE(s, f)	sizeof(((struct s *)0)->f)
/* a shared key: [haproxy], [AWS], [CONSUL] or [FILE] only */
#define F(f)		.off = offsetof(struct ep2_conf, f), \
			.size = FSIZE(ep2_conf, f)
/* a key [backend NAME] sets too */
#define B(f)		.backend = 1, .off = offsetof(struct backend_conf, f), \
			.size = FSIZE(backend_conf, f)
#define NB(n)		.noff = offsetof(struct backend_conf, n)

static int	 set_sockets(struct ep2_conf *, const char *, const char **);
static int	 set_ip_type(struct ep2_conf *, const char *, const char **);
static int	 valid_unit_name(const char *);
static int	 valid_haproxy_time(const char *);
static int	 valid_secret(const char *);
static int	 valid_url(const char *);

static const struct cf_name start_by_names[] = {
	{ "binary", START_BINARY }, { "systemd", START_SYSTEMD }, { NULL, 0 }
};
static const struct cf_name update_type_names[] = {
	{ "update_by_config", UPDATE_CONFIG },
	{ "update_by_runtime", UPDATE_RUNTIME }, { NULL, 0 }
};
static const struct cf_name orchestrator_names[] = {
	{ "aws", ORCH_AWS }, { "consul", ORCH_CONSUL }, { "file", ORCH_FILE },
	{ NULL, 0 }
};
static const struct cf_name maxconn_names[] = {
	{ "", -1 }, { NULL, 0 }		/* unset */
};
static const struct cf_name slot_growth_names[] = {
	{ "double", 0 }, { NULL, 0 }
};
static const struct cf_name scheme_names[] = {
	{ "http", 0 }, { "https", 1 }, { NULL, 0 }
};
static const struct cf_name on_warning_names[] = {
	{ "passing", WARN_PASSING }, { "drain", WARN_DRAIN },
	{ "remove", WARN_REMOVE }, { NULL, 0 }
};

/*
 * The keys, by section, in the order ep2.conf.5 gives them.  CF_DEFAULT
 * is EP2's rule (merge_with_default_config): "key =" means the key's
 * default, and in [backend NAME] what the backend inherits.
 */
static const struct cf_key cf_keys[] = {
	{ SEC_HAPROXY, "haproxy_config_file", T_PATH, CF_DEFAULT,
	    F(run.haproxy_config_file), .sdef = "/etc/haproxy/haproxy.cfg" },
	{ SEC_HAPROXY, "template_file", T_PATH, CF_DEFAULT, F(template_file),
	    .sdef = "/etc/ep2/ep2.template" },
	{ SEC_HAPROXY, "backend_port", T_PORT, CF_DEFAULT,
	    B(backend_port), .idef = 6003, .why = WHY_PORT },
	{ SEC_HAPROXY, "haproxy_binary", T_PATH, CF_DEFAULT,
	    F(run.haproxy_binary), .sdef = "/usr/sbin/haproxy" },
	{ SEC_HAPROXY, "start_by", T_ENUM, CF_DEFAULT, F(run.start_by),
	    .idef = START_BINARY, .names = start_by_names,
	    .why = "must be binary or systemd" },
	/* empty is EP2's default socket (config_defaults): "none" is none */
	{ SEC_HAPROXY, "haproxy_socket_file", T_CUSTOM, CF_DEFAULT,
	    F(run.sockets), .parse = set_sockets },
	{ SEC_HAPROXY, "pid_file", T_PATH, CF_DEFAULT, F(run.pid_file),
	    .sdef = "/run/haproxy.pid" },
	{ SEC_HAPROXY, "backend_name", T_STR, CF_DEFAULT | CF_LABEL,
	    B(backend_name), .sdef = "haproxynode",
	    .charset = ALNUM "_.:-",
	    .why = "not a backend name (letters, digits, '_', '.', ':', "
	    "'-')" },
	/* HAProxy: a server's maxconn 0 is no limit, EP2 wrote it */
	{ SEC_HAPROXY, "backend_maxconn", T_INT, 0,
	    B(backend_maxconn), .idef = -1, .min = 0,
	    .max = INT32_MAX, .names = maxconn_names,
	    .why = "not an integer from 0 to 2147483647" },
	{ SEC_HAPROXY, "check_interval", T_STR, CF_EMPTY,
	    B(check_interval), .valid = valid_haproxy_time,
	    .why = "not an HAProxy time (a number above 0 and an optional "
	    "unit us, ms, s, m, h or d)" },
	{ SEC_HAPROXY, "update_type", T_ENUM, CF_DEFAULT,
	    B(update_type), .idef = UPDATE_RUNTIME,
	    .names = update_type_names,
	    .why = "must be update_by_config or update_by_runtime" },
	/* 0 made sense to EP2 with update_by_config; see cf_check */
	{ SEC_HAPROXY, "node_slots", T_INT, CF_DEFAULT,
	    B(node_slots), .idef = 50, .min = 0,
	    .max = EP2D_MAX_SERVERS, .why = "not an integer from 0 to 100000" },
	{ SEC_HAPROXY, "service_name", T_STR, CF_DEFAULT, F(run.service_name),
	    .sdef = "haproxy", .valid = valid_unit_name,
	    .why = "not a systemd unit name" },
	{ SEC_HAPROXY, "lock_dir", T_PATH, CF_DEFAULT, F(lock_dir),
	    .sdef = "/run" },
	{ SEC_HAPROXY, "orchestrator", T_ENUM, CF_DEFAULT,
	    B(orchestrator), .idef = ORCH_AWS,
	    .names = orchestrator_names, .why = "must be aws, consul or file" },
	{ SEC_HAPROXY, "sleep_before_next_run", T_INT, CF_DEFAULT,
	    F(sleep_before_next_run), .idef = 5, .min = 1,
	    .max = CONF_SLEEP_MAX,
	    .why = "not a number of seconds from 1 to 86400" },
	{ SEC_HAPROXY, "sleep_before_next_lock_attempt", T_INT, CF_DEFAULT,
	    F(sleep_before_next_lock_attempt), .idef = 5, .min = 0,
	    .max = CONF_SLEEP_MAX,
	    .why = "not a number of seconds from 0 to 86400" },
	/* empty is EP2's default file: "none" is none */
	{ SEC_HAPROXY, "log_file", T_PATH, CF_DEFAULT | CF_NONE, F(log_file),
	    .sdef = "/var/log/ep2/ep2.log" },
	{ SEC_HAPROXY, "drain_timeout", T_TIME, CF_DEFAULT, F(drain_timeout),
	    .idef = 30, .min = 0, .max = CONF_SLEEP_MAX,
	    .why = "not a number of seconds from 0 to 86400" },
	{ SEC_HAPROXY, "slot_growth", T_INT, CF_DEFAULT, F(slot_growth),
	    .idef = 0, .min = 1, .max = EP2D_MAX_SERVERS,
	    .names = slot_growth_names,
	    .why = "must be double or an integer from 1 to 100000" },
	{ SEC_HAPROXY, "metrics_file", T_PATH, CF_EMPTY, F(metrics_file) },
	{ SEC_HAPROXY, "keep_on_empty", T_BOOL, CF_DEFAULT, F(keep_on_empty),
	    .idef = 0, .why = WHY_BOOL },

	{ SEC_FILE, "path", T_PATH, CF_FILE, B(file.path) },

	{ SEC_CONSUL, "service_name", T_STR, CF_EMPTY,
	    B(consul.service_name), .charset = ALNUM "_.-",
	    .why = "not a service name (letters, digits, '_', '.', '-')" },
	{ SEC_CONSUL, "consul_ip", T_STR, CF_DEFAULT, F(consul.consul_ip),
	    .sdef = "127.0.0.1", .valid = addr_valid_host,
	    .why = "not an IP address or host name" },
	{ SEC_CONSUL, "consul_port", T_PORT, CF_DEFAULT,
	    F(consul.consul_port), .idef = 8500, .why = WHY_PORT },
	{ SEC_CONSUL, "only_passing", T_BOOL, CF_DEFAULT,
	    B(consul.only_passing), .idef = 1,
	    .why = WHY_BOOL },
	{ SEC_CONSUL, "tags", T_LIST, 0, B(consul.tags),
	    NB(consul.ntags), .max = EP2D_MAX_TAGS },
	{ SEC_CONSUL, "token", T_STR, CF_EMPTY | CF_SECRET, F(consul.token),
	    .valid = valid_secret,
	    .why = "not a token (printable, no spaces)" },
	{ SEC_CONSUL, "scheme", T_ENUM, CF_DEFAULT, F(consul.https),
	    .idef = 0, .names = scheme_names, .why = "must be http or https" },
	{ SEC_CONSUL, "ca_file", T_PATH, CF_EMPTY, F(consul.ca_file) },
	{ SEC_CONSUL, "cert_file", T_PATH, CF_EMPTY, F(consul.cert_file) },
	{ SEC_CONSUL, "key_file", T_PATH, CF_EMPTY, F(consul.key_file) },
	{ SEC_CONSUL, "tls_server_name", T_STR, CF_EMPTY,
	    F(consul.tls_server_name), .valid = addr_valid_host,
	    .why = "not a host name" },
	{ SEC_CONSUL, "datacenter", T_STR, CF_EMPTY, F(consul.datacenter),
	    .charset = ALNUM "_.-",
	    .why = "not a datacenter name (letters, digits, '_', '.', '-')" },
	{ SEC_CONSUL, "stale", T_BOOL, CF_DEFAULT, F(consul.stale),
	    .idef = 0, .why = WHY_BOOL },
	{ SEC_CONSUL, "wait", T_TIME, CF_DEFAULT, F(consul.wait), .idef = 300,
	    .min = 1, .max = CONF_WAIT_MAX,
	    .why = "not a duration from 1s to 10m (like 300s, 5m or 300)" },
	{ SEC_CONSUL, "max_response_size", T_SIZE, CF_DEFAULT,
	    F(consul.max_body), .idef = CONF_BODY_DEFAULT,
	    .why = "not a size from 1K to 1024M (bytes, or with a K or M "
	    "suffix)" },
	{ SEC_CONSUL, "weights", T_BOOL, CF_DEFAULT,
	    B(consul.weights), .idef = 1, .why = WHY_BOOL },
	{ SEC_CONSUL, "on_warning", T_ENUM, CF_DEFAULT,
	    B(consul.on_warning), .idef = WARN_DEFAULT,
	    .names = on_warning_names,
	    .why = "must be passing, drain or remove" },

	{ SEC_AWS, "aws_access_key_id", T_STR, CF_EMPTY | CF_SECRET,
	    F(aws.access_key_id), .valid = valid_secret,
	    .why = "not an access key id (printable, no spaces)" },
	{ SEC_AWS, "aws_secret_access_key", T_STR, CF_EMPTY | CF_SECRET,
	    F(aws.secret_access_key), .valid = valid_secret,
	    .why = "not a secret key (printable, no spaces)" },
	{ SEC_AWS, "asg_name", T_LIST, 0, B(aws.asg_names),
	    NB(aws.nasg), .max = EP2D_MAX_ASG },
	{ SEC_AWS, "region_name", T_STR, CF_EMPTY, B(aws.region),
	    .charset = "abcdefghijklmnopqrstuvwxyz0123456789-",
	    .why = "not a region name (like eu-west-1)" },
	/* EP2: unset or empty means public, warned at start */
	{ SEC_AWS, "ip_type", T_CUSTOM, 0, F(aws.ip_type), .idef = IP_PUBLIC,
	    .parse = set_ip_type },
	{ SEC_AWS, "autoscaling_endpoint", T_STR, CF_EMPTY,
	    F(aws.autoscaling_endpoint), .valid = valid_url,
	    .why = "not an http:// or https:// URL" },
	{ SEC_AWS, "ec2_endpoint", T_STR, CF_EMPTY, F(aws.ec2_endpoint),
	    .valid = valid_url, .why = "not an http:// or https:// URL" },
	{ SEC_AWS, "lifecycle_queue_url", T_STR, CF_EMPTY,
	    F(aws.lifecycle_queue_url), .valid = valid_url,
	    .why = "not an http:// or https:// URL" },
	{ SEC_AWS, "lifecycle_hook_name", T_LIST, 0,
	    F(aws.lifecycle_hooks), .noff = offsetof(struct ep2_conf,
	    aws.nlifecycle_hooks), .max = EP2D_MAX_HOOKS },
	{ SEC_AWS, "lifecycle_complete", T_BOOL, CF_DEFAULT,
	    F(aws.lifecycle_complete), .idef = 1, .why = WHY_BOOL },
	{ SEC_AWS, "lifecycle_heartbeat_timeout", T_TIME, CF_DEFAULT,
	    F(aws.lifecycle_heartbeat), .idef = 3600, .min = 1, .max = 7200,
	    .why = "not a number of seconds from 1 to 7200" },
};

#define NKEYS	(sizeof(cf_keys) / sizeof(cf_keys[0]))

/*
 * What one parse keeps besides the configuration itself, per backend:
 * 0 for [haproxy], [AWS], [CONSUL] and [FILE], k for the k-th [backend
 * NAME].  Grown with the backends, as the configuration's array.
 */
struct pback {
	int		 line;		/* [backend NAME]: its header */
	int		 seen[NKEYS];	/* line of each key, 0: not given */
	/* "key =" in [backend NAME]: inherited, as if not given */
	char		 empty[NKEYS];
};

struct parse {
	const char	*name;		/* the file, as errors name it */
	int		 lineno;
	int		 errors;
	int		 secseen[SEC_MAX];
	enum section	 sec;
	int		 cur;		/* SEC_BACKEND: backends[cur] */
	struct pback	*pb;		/* c->nbackends of them */
	int		 cap;		/* of pb and c->backends */
	int		 key_open;	/* a key line was last: indent counts */
	size_t		 key_indent;
	int		 too_many;	/* [backend NAME]s past the limit */
};

static void	 cf_defaults(struct ep2_conf *);
static struct backend_conf *cf_backend_new(struct ep2_conf *,
		    struct parse *);
static int	 cf_find(enum section, const char *);
static int	 cf_seen(const struct parse *, int, enum section,
		    const char *);
static void	*cf_field(const struct cf_key *, struct ep2_conf *,
		    struct backend_conf *);
static int	*cf_count(const struct cf_key *, struct ep2_conf *,
		    struct backend_conf *);
static void	 cf_copy(const struct cf_key *, struct backend_conf *,
		    const struct backend_conf *);
static int	 cf_line(struct parse *, struct ep2_conf *, char *, size_t);
static int	 cf_section(struct parse *, struct ep2_conf *, char *);
static int	 cf_value(char *, const char **);
static int	 cf_set(const struct cf_key *, struct ep2_conf *,
		    struct backend_conf *, const char *, const char **);
static void	 cf_check(struct parse *, struct ep2_conf *);
static void	 cf_check_backends(struct parse *, struct ep2_conf *);
static int	 cf_backend_header(struct parse *, struct ep2_conf *,
		    const char *);
static void	 cf_backend_inherit(struct parse *, int, struct ep2_conf *);
static void	 cf_error(struct parse *, int, const char *, const char *,
		    ...) __attribute__((__format__ (printf, 4, 5)));
static void	 cf_show(char *, size_t, const char *);
static char	*cf_strip(char *);
static void	 store_int(void *, size_t, long long);
static long long load_int(const void *, size_t);
static int	 parse_name(const struct cf_name *, const char *, int *);
static int	 parse_bool(const char *, int *);
static int	 parse_uint(const char *, long long, long long, long long *);
static int	 parse_duration(const char *, long long, long long,
		    long long *);
static int	 parse_size(const char *, size_t *);
static int	 set_str(char *, size_t, const char *, const char **);
static int	 set_path(char *, size_t, const char *, int, const char **);
static const char *list_next(const char *, char *, size_t, const char **);
static int	 set_list(char (*)[EP2D_NAME_MAX], int, int *, const char *,
		    const char **);
static int	 valid_chars(const char *, const char *);
static int	 valid_list_item(const char *);
static int	 has_cntrl(const char *);

/*
 * c as a file that sets nothing would leave it: every key's default
 * (EP2's, src/driver/defaultparams.py, and ep2d's own) and one backend,
 * [haproxy]'s, in c itself.  No array of backends yet.
 */
static void
cf_defaults(struct ep2_conf *c)
{
	const struct cf_key	*kw;
	struct backend_conf	*b = &c->backend0;

	memset(c, 0, sizeof(*c));
	b->conf = c;
	for (kw = cf_keys; kw < cf_keys + NKEYS; kw++) {
		if (kw->sdef != NULL)
			strlcpy(cf_field(kw, c, b), kw->sdef, kw->size);
		else if (kw->idef != 0)
			store_int(cf_field(kw, c, b), kw->size, kw->idef);
	}
	strlcpy(c->run.sockets[0], "/var/run/haproxy/haproxy.sock",
	    sizeof(c->run.sockets[0]));
	c->run.nsockets = 1;
}

/* A configuration with every key's default and backend 0 only. */
struct ep2_conf *
config_new(void)
{
	struct ep2_conf	*c;

	if ((c = malloc(sizeof(*c))) == NULL)
		return (NULL);
	cf_defaults(c);
	if ((c->backends = calloc(1, sizeof(*c->backends))) == NULL) {
		free(c);
		return (NULL);
	}
	c->backends[c->nbackends++] = &c->backend0;
	return (c);
}

/*
 * A [backend NAME] more, empty, and its place in p.  One allocation
 * per backend, none per key: the arrays double.
 */
static struct backend_conf *
cf_backend_new(struct ep2_conf *c, struct parse *p)
{
	struct backend_conf	*b, **nb;
	struct pback		*npb;
	int			 cap;

	if (c->nbackends == p->cap) {
		cap = p->cap * 2;
		if ((nb = reallocarray(c->backends, cap, sizeof(*nb))) ==
		    NULL)
			return (NULL);
		c->backends = nb;
		if ((npb = reallocarray(p->pb, cap, sizeof(*npb))) == NULL)
			return (NULL);
		p->pb = npb;
		p->cap = cap;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	b->conf = c;
	b->index = c->nbackends;
	memset(&p->pb[b->index], 0, sizeof(p->pb[b->index]));
	c->backends[c->nbackends++] = b;
	return (b);
}

/*
 * What c holds besides its own memory, given back: the backends past
 * the first, and the secrets zeroed.
 */
void
config_clear(struct ep2_conf *c)
{
	const struct cf_key	*kw;
	int			 i;

	for (kw = cf_keys; kw < cf_keys + NKEYS; kw++)
		if ((kw->flags & CF_SECRET) && !kw->backend)
			explicit_bzero(cf_field(kw, c, NULL), kw->size);
	for (i = 1; i < c->nbackends; i++)
		free(c->backends[i]);
	free(c->backends);
	c->backends = NULL;
	c->nbackends = 0;
}

void
config_free(struct ep2_conf *c)
{
	if (c == NULL)
		return;
	config_clear(c);
	free(c);
}

/*
 * SIGHUP: the running configuration c takes n's keys in place, so
 * that every pointer to c and to its backends stays good; n is freed.
 * The backends must be as many (the caller refuses the others).
 */
void
config_replace(struct ep2_conf *c, struct ep2_conf *n)
{
	struct backend_conf	**backends = c->backends;
	int			  i;

	if (n->nbackends != c->nbackends)
		fatalx("%s: %d backends for %d", __func__, n->nbackends,
		    c->nbackends);
	for (i = 1; i < c->nbackends; i++) {
		memcpy(c->backends[i], n->backends[i],
		    sizeof(*c->backends[i]));
		c->backends[i]->conf = c;
	}
	/* the old secrets are overwritten, the new ones zeroed in n */
	memcpy(c, n, sizeof(*c));
	c->backend0.conf = c;
	c->backends = backends;
	config_free(n);
}

static const char *
name_of(const struct cf_name *names, int value)
{
	for (; names->name != NULL; names++)
		if (names->value == value)
			return (names->name);
	return ("unknown");
}

const char *
config_orchestrator_name(enum orchestrator o)
{
	return (name_of(orchestrator_names, o));
}

const char *
config_update_type_name(enum update_type u)
{
	return (name_of(update_type_names, u));
}

/*
 * Key i of the table, NULL past the last: its section and whether a
 * [backend NAME] may set it.  The unit test holds them against
 * ep2.conf.5.
 */
const char *
config_key(size_t i, const char **section, int *per_backend)
{
	if (i >= NKEYS)
		return (NULL);
	*section = section_names[cf_keys[i].sec];
	*per_backend = cf_keys[i].backend;
	return (cf_keys[i].name);
}

/* A value one of names gives. */
static int
name_is(const struct cf_name *names, long long v)
{
	for (; names->name != NULL; names++)
		if (names->value == v)
			return (1);
	return (0);
}

/* A string of at most len - 1 bytes, as the parser may leave one. */
static int
cf_valid_str(const char *f, size_t len, int empty_ok)
{
	if (memchr(f, '\0', len) == NULL)
		return (-1);
	return (*f != '\0' || empty_ok ? 0 : -1);
}

/*
 * One key's field as the parser could have left it, for a part of a
 * configuration that came over imsg: strings ended within the field
 * and of the key's characters, numbers within the key's bounds, lists
 * within theirs.  base is where a per-backend field's struct starts.
 */
static int
cf_valid(const struct cf_key *kw, const char *f, const char *base)
{
	const char	*e;
	const int	*n;
	long long	 v = 0;
	int		 i, empty_ok;

	empty_ok = (kw->flags & (CF_EMPTY | CF_NONE)) != 0;
	if (kw->type != T_PATH && kw->type != T_STR &&
	    kw->type != T_LIST && kw->type != T_CUSTOM) {
		v = load_int(f, kw->size);
		/* a key not given keeps its default, a value none writes */
		if (v == kw->idef)
			return (0);
	}
	switch (kw->type) {
	case T_PATH:
		if (cf_valid_str(f, kw->size, empty_ok || kw->sdef == NULL) ==
		    -1)
			return (-1);
		return (*f == '\0' || *f == '/' ? 0 : -1);
	case T_STR:
		if (cf_valid_str(f, kw->size, empty_ok) == -1)
			return (-1);
		if (*f == '\0')
			return (0);
		return ((kw->valid != NULL ? kw->valid(f) :
		    valid_chars(f, kw->charset)) ? 0 : -1);
	case T_INT:
		if (kw->names != NULL && name_is(kw->names, v))
			return (0);
		/* FALLTHROUGH */
	case T_TIME:
		return (v >= kw->min && v <= kw->max ? 0 : -1);
	case T_ENUM:
		return (name_is(kw->names, v) ? 0 : -1);
	case T_BOOL:
		return (v == 0 || v == 1 ? 0 : -1);
	case T_PORT:
		return (v > 0 && v <= UINT16_MAX ? 0 : -1);
	case T_SIZE:
		return (v >= CONF_BODY_MIN && v <= (long long)CONF_BODY_MAX ?
		    0 : -1);
	case T_LIST:
		/* the count is in the list's struct: a backend's, or this */
		n = (const int *)(const void *)(kw->backend ? base +
		    kw->noff : f + (kw->noff - kw->off));
		if (*n < 0 || *n > kw->max)
			return (-1);
		for (i = 0; i < *n; i++) {
			e = f + (size_t)i * EP2D_NAME_MAX;
			if (cf_valid_str(e, EP2D_NAME_MAX, 0) == -1 ||
			    !valid_list_item(e))
				return (-1);
		}
		return (0);
	case T_CUSTOM:
		break;
	}
	if (kw->parse == set_sockets) {
		n = (const int *)(const void *)(f +
		    offsetof(struct run_conf, nsockets) -
		    offsetof(struct run_conf, sockets));
		if (*n < 0 || *n > EP2D_MAX_SOCKETS)
			return (-1);
		for (i = 0; i < *n; i++) {
			e = f + (size_t)i * EP2D_SOCKPATH_MAX;
			if (cf_valid_str(e, EP2D_SOCKPATH_MAX, 0) == -1 ||
			    *e != '/')
				return (-1);
		}
		return (0);
	}
	if (kw->parse == set_ip_type) {
		n = (const int *)(const void *)(f +
		    offsetof(struct aws_conf, ip_type_set) -
		    offsetof(struct aws_conf, ip_type));
		v = load_int(f, kw->size);
		return ((v == IP_PUBLIC || v == IP_PRIVATE) &&
		    (*n == 0 || *n == 1) ? 0 : -1);
	}
	return (-1);
}

/*
 * A part of the shared keys that came over imsg: the bytes from offset
 * off of struct ep2_conf, len of them, at part.  Every key of the table
 * wholly in it must hold what the parser could have left; the first
 * that does not is named in *key.
 */
int
config_valid(const void *part, size_t off, size_t len, const char **key)
{
	const struct cf_key	*kw;

	for (kw = cf_keys; kw < cf_keys + NKEYS; kw++) {
		if (kw->backend || kw->off < off ||
		    kw->off + kw->size > off + len)
			continue;
		if (cf_valid(kw, (const char *)part + (kw->off - off),
		    NULL) == -1) {
			*key = kw->name;
			return (-1);
		}
	}
	return (0);
}

/* The same for a backend, and its NAME: none for backend 0. */
int
config_valid_backend(const struct backend_conf *b, const char **key)
{
	const struct cf_key	*kw;
	const char		*l = b->label;
	size_t			 n;

	*key = "[backend NAME]";
	if ((n = strnlen(l, sizeof(b->label))) == sizeof(b->label) ||
	    (b->index == 0) != (n == 0) || (n > 0 &&
	    ((!isalpha((unsigned char)l[0]) && l[0] != '_') ||
	    strspn(l, ALNUM "_") != n)))
		return (-1);
	for (kw = cf_keys; kw < cf_keys + NKEYS; kw++) {
		if (!kw->backend)
			continue;
		if (cf_valid(kw, (const char *)b + kw->off,
		    (const char *)b) == -1) {
			*key = kw->name;
			return (-1);
		}
	}
	return (0);
}

/*
 * conf_path is kept absolute: the daemon changes directory, and SIGHUP
 * and the lock both use it.  Errors name the file as the user gave it.
 */
struct ep2_conf *
config_parse(const char *path)
{
	struct ep2_conf	*c;
	char		 abs[PATH_MAX];
	FILE		*fp;

	if ((fp = fopen(path, "re")) == NULL) {
		log_warn("%s", path);
		return (NULL);
	}
	c = config_parse_fp(fp, path);
	fclose(fp);
	if (c != NULL && realpath(path, abs) != NULL &&
	    strlcpy(c->conf_path, abs, sizeof(c->conf_path)) >=
	    sizeof(c->conf_path)) {
		log_warnx("%s: path too long", path);
		config_free(c);
		c = NULL;
	}
	return (c);
}

/* A configuration of its own, or NULL after the file's errors. */
struct ep2_conf *
config_parse_fp(FILE *fp, const char *name)
{
	struct ep2_conf	*c;

	if ((c = malloc(sizeof(*c))) == NULL)
		fatal("%s: malloc", __func__);
	if (config_read(fp, name, c) == -1) {
		free(c);
		return (NULL);
	}
	return (c);
}

/*
 * The whole file into c, the caller's memory (the fuzz harness gives
 * the same each run: under a sanitizer fresh memory costs more than the
 * parse); config_clear() gives back what c holds.  -1 after the file's
 * errors, c cleared.
 */
int
config_read(FILE *fp, const char *name, struct ep2_conf *c)
{
	struct parse	 p;
	struct stat	 st;
	char		*line = NULL;
	size_t		 linesize = 0;
	ssize_t		 len;
	int		 r = -1;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.sec = SEC_NONE;
	p.cap = 4;
	cf_defaults(c);
	if ((c->backends = calloc(p.cap, sizeof(*c->backends))) == NULL ||
	    (p.pb = calloc(p.cap, sizeof(*p.pb))) == NULL)
		fatal("%s: calloc", __func__);
	c->backends[c->nbackends++] = &c->backend0;
	if (strlcpy(c->conf_path, name, sizeof(c->conf_path)) >=
	    sizeof(c->conf_path)) {
		log_warnx("%s: path too long", name);
		goto done;
	}

	while ((len = getline(&line, &linesize, fp)) != -1) {
		p.lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (cf_line(&p, c, line, (size_t)len) == -1)
			break;
	}
	if (ferror(fp)) {
		log_warn("%s", name);
		goto done;
	}
	if (p.errors == 0)
		cf_check(&p, c);
	if (p.errors == 0)
		cf_check_backends(&p, c);
	if (p.errors > 0)
		goto done;

	/* The secrets are ours to keep, not everyone's to read. */
	if ((c->aws.secret_access_key[0] != '\0' ||
	    c->consul.token[0] != '\0') && fileno(fp) != -1 &&
	    fstat(fileno(fp), &st) == 0 && (st.st_mode & S_IROTH))
		log_warnx("%s: holds secrets and is readable by everyone",
		    name);
	r = 0;
done:
	if (line != NULL)
		explicit_bzero(line, linesize);
	free(line);
	free(p.pb);
	if (r == -1)
		config_clear(c);
	return (r);
}

/* The row of a key of sec (SEC_BACKEND: one a backend sets), or -1. */
static int
cf_find(enum section sec, const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if ((sec == SEC_BACKEND ? cf_keys[i].backend :
		    cf_keys[i].sec == sec) &&
		    strcmp(cf_keys[i].name, name) == 0)
			return ((int)i);
	return (-1);
}

/* The line a key was given on, 0 if not: in backend k (0: [haproxy]). */
static int
cf_seen(const struct parse *p, int k, enum section sec, const char *name)
{
	int	 i;

	if ((i = cf_find(sec, name)) == -1)
		fatalx("%s: no key %s", __func__, name);
	return (p->pb[k].seen[i]);
}

/* Where key kw lives: in c, or in backend b for a per-backend key. */
static void *
cf_field(const struct cf_key *kw, struct ep2_conf *c, struct backend_conf *b)
{
	if (kw->backend)
		return ((char *)b + kw->off);
	return ((char *)c + kw->off);
}

/* T_LIST: where the count of entries lives, by the list's struct. */
static int *
cf_count(const struct cf_key *kw, struct ep2_conf *c, struct backend_conf *b)
{
	if (kw->type != T_LIST)
		return (NULL);
	if (kw->backend)
		return ((int *)(void *)((char *)b + kw->noff));
	return ((int *)(void *)((char *)c + kw->noff));
}

/*
 * One key's value from backend src to backend dst: strings and list
 * entries up to their NUL, as strlcpy leaves them.
 */
static void
cf_copy(const struct cf_key *kw, struct backend_conf *dst,
    const struct backend_conf *src)
{
	char		(*dl)[EP2D_NAME_MAX] = (void *)((char *)dst + kw->off);
	const char	(*sl)[EP2D_NAME_MAX] = (const void *)((const char *)
			    src + kw->off);
	const int	*sn;
	int		 i;

	switch (kw->type) {
	case T_PATH:
	case T_STR:
		strlcpy((char *)dst + kw->off, (const char *)src + kw->off,
		    kw->size);
		break;
	case T_LIST:
		sn = (const int *)(const void *)((const char *)src +
		    kw->noff);
		for (i = 0; i < *sn; i++)
			strlcpy(dl[i], sl[i], EP2D_NAME_MAX);
		*cf_count(kw, NULL, dst) = *sn;
		break;
	case T_CUSTOM:
		fatalx("%s: %s", __func__, kw->name);
	default:
		memcpy((char *)dst + kw->off, (const char *)src + kw->off,
		    kw->size);
		break;
	}
}

/*
 * "[backend NAME]": NAME is how the template names the backend's
 * server list, {{ nodes.NAME }}, so it is a Jinja name.
 */
static int
cf_backend_header(struct parse *p, struct ep2_conf *c, const char *label)
{
	struct backend_conf	*b;
	size_t			 n = strlen(label);
	int			 k;

	if (n == 0 || n >= EP2D_LABEL_MAX ||
	    (!isalpha((unsigned char)label[0]) && label[0] != '_') ||
	    strspn(label, ALNUM "_") != n) {
		cf_error(p, 0, NULL, "[backend NAME]: NAME must be a letter "
		    "or '_', then letters, digits or '_' (at most %d)",
		    EP2D_LABEL_MAX - 1);
		return (-1);
	}
	for (k = 1; k < c->nbackends; k++) {
		if (strcmp(c->backends[k]->label, label) == 0) {
			cf_error(p, 0, NULL, "section [backend %s] given "
			    "twice (first on line %d)", label, p->pb[k].line);
			return (-1);
		}
	}
	if (c->nbackends >= EP2D_MAX_BACKENDS) {
		/* said once: a file of 10,000 sections is one mistake */
		if (p->too_many++ == 0)
			cf_error(p, 0, NULL, "more than %d [backend NAME] "
			    "sections: [backend %s] and any after it refused",
			    EP2D_MAX_BACKENDS - 1, label);
		else
			p->errors++;
		return (-1);
	}
	if ((b = cf_backend_new(c, p)) == NULL)
		fatal("%s: malloc", __func__);
	p->cur = b->index;
	p->pb[p->cur].line = p->lineno;
	strlcpy(b->label, label, sizeof(b->label));
	return (0);
}

/*
 * Keys a [backend NAME] did not set come from [haproxy], [CONSUL],
 * [AWS] and [FILE] (whatever order the sections came in), except
 * backend_name: two backends cannot share one, so it defaults to NAME.
 */
static void
cf_backend_inherit(struct parse *p, int k, struct ep2_conf *c)
{
	struct backend_conf	*b = c->backends[k];
	const struct cf_key	*kw;
	size_t			 i;

	for (i = 0; i < NKEYS; i++) {
		kw = &cf_keys[i];
		if (!kw->backend || (p->pb[k].seen[i] && !p->pb[k].empty[i]))
			continue;
		if (kw->flags & CF_LABEL)
			strlcpy(cf_field(kw, c, b), b->label, kw->size);
		else
			cf_copy(kw, b, c->backends[0]);
	}
}

/* Each backend complete, and every backend a name of its own. */
static void
cf_check_backends(struct parse *p, struct ep2_conf *c)
{
	struct backend_conf	*b;
	const char		*bn;
	int			 k, j, line;

	for (k = 1; k < c->nbackends; k++) {
		b = c->backends[k];
		cf_backend_inherit(p, k, c);
		line = cf_seen(p, k, SEC_BACKEND, "orchestrator");
		if (line == 0)
			line = p->pb[k].line;
		switch (b->orchestrator) {
		case ORCH_AWS:
			if (b->aws.nasg == 0)
				cf_error(p, line, NULL, "[backend %s]: "
				    "orchestrator aws needs asg_name",
				    b->label);
			break;
		case ORCH_CONSUL:
			if (b->consul.service_name[0] == '\0')
				cf_error(p, line, NULL, "[backend %s]: "
				    "orchestrator consul needs service_name",
				    b->label);
			break;
		case ORCH_FILE:
			if (b->file.path[0] == '\0')
				cf_error(p, line, NULL, "[backend %s]: "
				    "orchestrator file needs path", b->label);
			break;
		}
		line = cf_seen(p, k, SEC_BACKEND, "node_slots");
		if (b->update_type == UPDATE_RUNTIME && b->node_slots == 0)
			cf_error(p, line ? line : p->pb[k].line, NULL,
			    "[backend %s]: update_by_runtime needs at least "
			    "one slot", b->label);
		if (b->update_type == UPDATE_RUNTIME && c->run.nsockets == 0)
			cf_error(p, p->pb[k].line, NULL, "[backend %s]: "
			    "update_by_runtime needs haproxy_socket_file in "
			    "[haproxy]", b->label);
		bn = b->backend_name;
		line = cf_seen(p, k, SEC_BACKEND, "backend_name");
		if (strcmp(bn, c->backends[0]->backend_name) == 0)
			cf_error(p, line ? line : p->pb[k].line, NULL,
			    "[backend %s]: backend_name %s is [haproxy]'s",
			    b->label, bn);
		for (j = 1; j < k; j++)
			if (strcmp(bn, c->backends[j]->backend_name) == 0)
				cf_error(p, p->pb[k].line, NULL,
				    "[backend %s]: backend_name %s is "
				    "[backend %s]'s too", b->label, bn,
				    c->backends[j]->label);
	}
	for (k = 0, j = 0; k < c->nbackends; k++)
		if (c->backends[k]->orchestrator == ORCH_AWS)
			j++;
	if (c->aws.lifecycle_queue_url[0] != '\0' &&
	    j > EP2D_MAX_HOOK_BACKENDS)
		cf_error(p, cf_seen(p, 0, SEC_AWS, "lifecycle_queue_url"),
		    NULL, "lifecycle_queue_url: %d backends on orchestrator "
		    "aws, lifecycle hooks follow at most %d", j,
		    EP2D_MAX_HOOK_BACKENDS);
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
	const struct cf_key	*kw;
	struct backend_conf	*b;
	char			 shown[CONF_SHOW_MAX + 4];
	char			*s, *key, *val, *d;
	const char		*why;
	size_t			 indent, i;
	int			*seen, k;
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

	if ((k = cf_find(p->sec, key)) == -1 && p->sec == SEC_BACKEND) {
		for (i = 0; i < NKEYS; i++)
			if (strcmp(cf_keys[i].name, key) == 0)
				break;
		if (i < NKEYS) {
			cf_error(p, 0, key, "not a key of [backend %s]: it "
			    "is shared by every backend; set it in [%s]",
			    c->backends[p->cur]->label,
			    section_names[cf_keys[i].sec]);
			return (0);
		}
	}
	if (k == -1) {
		cf_show(shown, sizeof(shown), key);
		log_warnx("%s:%d: [%s] unknown key \"%s\" ignored", p->name,
		    p->lineno, section_names[p->sec], shown);
		return (0);
	}
	kw = &cf_keys[k];
	b = c->backends[p->sec == SEC_BACKEND ? p->cur : 0];
	seen = p->pb[b->index].seen;
	if (seen[k] != 0) {
		cf_error(p, 0, key, "given twice (first on line %d)", seen[k]);
		return (0);
	}
	seen[k] = p->lineno;

	if (has_cntrl(val)) {
		cf_error(p, 0, key, "control character in the value");
		return (0);
	}
	/*
	 * The default, as if the line were not there: in [backend NAME]
	 * inherited; elsewhere the field still holds it, since each key
	 * is given at most once.
	 */
	if (*val == '\0' && (kw->flags & CF_DEFAULT)) {
		if (p->sec == SEC_BACKEND)
			p->pb[p->cur].empty[k] = 1;
		return (0);
	}
	/* an error quotes the value as written, before "%%" is undone */
	if (!(kw->flags & CF_SECRET))
		cf_show(shown, sizeof(shown), val);
	if (cf_value(val, &why) == -1 || cf_set(kw, c, b, val, &why) == -1) {
		if (kw->flags & CF_SECRET)
			cf_error(p, 0, key, "%s", why);
		else
			cf_error(p, 0, key, "\"%s\": %s", shown, why);
	}
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
 * needs one); a lone '%' is an error there as here.  Undone in place:
 * the value only gets shorter.
 */
static int
cf_value(char *v, const char **why)
{
	char	*o = v;

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
		*o++ = *v;
	}
	*o = '\0';
	return (0);
}

/*
 * Check one value of key kw and store it in c, or in b for a key of
 * the backend's; on error *why says what is wrong.
 */
static int
cf_set(const struct cf_key *kw, struct ep2_conf *c, struct backend_conf *b,
    const char *v, const char **why)
{
	void		*dst = cf_field(kw, c, b);
	long long	 n;
	size_t		 sz;
	uint16_t	 port;
	int		 i;

	switch (kw->type) {
	case T_PATH:
		if ((kw->flags & CF_NONE) && strcmp(v, "none") == 0) {
			*(char *)dst = '\0';
			return (0);
		}
		if (set_path(dst, kw->size, v, kw->flags & CF_EMPTY,
		    why) == -1)
			return (-1);
		/* filesrc.c watches the directory for this name */
		sz = strlen(v);
		if ((kw->flags & CF_FILE) && (v[sz - 1] == '/' ||
		    strcmp(strrchr(v, '/'), "/.") == 0 ||
		    strcmp(strrchr(v, '/'), "/..") == 0)) {
			*why = "must name a file, not a directory";
			return (-1);
		}
		return (0);
	case T_STR:
		if ((*v != '\0' || !(kw->flags & CF_EMPTY)) &&
		    (kw->valid != NULL ? !kw->valid(v) :
		    !valid_chars(v, kw->charset))) {
			*why = kw->why;
			return (-1);
		}
		return (set_str(dst, kw->size, v, why));
	case T_INT:
		if (kw->names != NULL && parse_name(kw->names, v, &i) == 0) {
			store_int(dst, kw->size, i);
			return (0);
		}
		if (parse_uint(v, kw->min, kw->max, &n) == -1)
			break;
		store_int(dst, kw->size, n);
		return (0);
	case T_ENUM:
		if (parse_name(kw->names, v, &i) == -1)
			break;
		store_int(dst, kw->size, i);
		return (0);
	case T_BOOL:
		if (parse_bool(v, &i) == -1)
			break;
		store_int(dst, kw->size, i);
		return (0);
	case T_PORT:
		if (addr_parse_port(v, &port) == -1)
			break;
		store_int(dst, kw->size, port);
		return (0);
	case T_TIME:
		if (parse_duration(v, kw->min, kw->max, &n) == -1)
			break;
		store_int(dst, kw->size, n);
		return (0);
	case T_SIZE:
		if (parse_size(v, &sz) == -1)
			break;
		store_int(dst, kw->size, (long long)sz);
		return (0);
	case T_LIST:
		return (set_list(dst, kw->max, cf_count(kw, c, b), v, why));
	case T_CUSTOM:
		return (kw->parse(c, v, why));
	}
	*why = kw->why;
	return (-1);
}

/* After the last line: what no single key can say alone. */
static void
cf_check(struct parse *p, struct ep2_conf *c)
{
	const struct backend_conf *b = c->backends[0];
	int		 line;
	const char	*dflt;

	line = cf_seen(p, 0, SEC_HAPROXY, "orchestrator");
	dflt = line ? "" : " (the default)";
	if (line == 0)
		line = -1;
	switch (b->orchestrator) {
	case ORCH_AWS:
		if (b->aws.nasg == 0)
			cf_error(p, line, "orchestrator", "aws%s needs "
			    "asg_name in [AWS]", dflt);
		break;
	case ORCH_CONSUL:
		if (b->consul.service_name[0] == '\0')
			cf_error(p, line, "orchestrator", "consul needs "
			    "service_name in [CONSUL]");
		break;
	case ORCH_FILE:
		if (b->file.path[0] == '\0')
			cf_error(p, line, "orchestrator", "file needs path in "
			    "[FILE]");
		break;
	}

	if (b->update_type == UPDATE_RUNTIME && b->node_slots == 0)
		cf_error(p, cf_seen(p, 0, SEC_HAPROXY, "node_slots"),
		    "node_slots", "update_by_runtime needs at least one slot");
	if (b->update_type == UPDATE_RUNTIME && c->run.nsockets == 0) {
		line = cf_seen(p, 0, SEC_HAPROXY, "haproxy_socket_file");
		cf_error(p, line ? line : -1, "haproxy_socket_file",
		    "update_by_runtime needs at least one socket");
	}
	if (strcmp(c->run.haproxy_config_file, c->template_file) == 0) {
		line = cf_seen(p, 0, SEC_HAPROXY, "haproxy_config_file");
		cf_error(p, line ? line : -1, "haproxy_config_file",
		    "the same file as template_file: the template would be "
		    "overwritten");
	}

	if ((c->aws.access_key_id[0] == '\0') !=
	    (c->aws.secret_access_key[0] == '\0')) {
		if (c->aws.access_key_id[0] != '\0')
			cf_error(p, cf_seen(p, 0, SEC_AWS,
			    "aws_access_key_id"), "aws_access_key_id",
			    "needs aws_secret_access_key");
		else
			cf_error(p, cf_seen(p, 0, SEC_AWS,
			    "aws_secret_access_key"), "aws_secret_access_key",
			    "needs aws_access_key_id");
	}

	if (c->consul.key_file[0] != '\0' && c->consul.cert_file[0] == '\0')
		cf_error(p, cf_seen(p, 0, SEC_CONSUL, "key_file"), "key_file",
		    "needs cert_file");
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

/* An int, enum or size_t field, whatever its size. */
static void
store_int(void *dst, size_t size, long long v)
{
	uint16_t	 u16;
	int		 i;
	int64_t		 i64;

	switch (size) {
	case sizeof(u16):
		u16 = (uint16_t)v;
		memcpy(dst, &u16, size);
		break;
	case sizeof(i):
		i = (int)v;
		memcpy(dst, &i, size);
		break;
	case sizeof(i64):
		i64 = v;
		memcpy(dst, &i64, size);
		break;
	default:
		fatalx("%s: a field of %zu bytes", __func__, size);
	}
}

/* The same, read. */
static long long
load_int(const void *src, size_t size)
{
	uint16_t	 u16;
	int		 i;
	int64_t		 i64;

	switch (size) {
	case sizeof(u16):
		memcpy(&u16, src, size);
		return (u16);
	case sizeof(i):
		memcpy(&i, src, size);
		return (i);
	case sizeof(i64):
		memcpy(&i64, src, size);
		return (i64);
	}
	fatalx("%s: a field of %zu bytes", __func__, size);
}

/* One of the words of names, exactly. */
static int
parse_name(const struct cf_name *names, const char *s, int *v)
{
	for (; names->name != NULL; names++) {
		if (strcmp(names->name, s) == 0) {
			*v = names->value;
			return (0);
		}
	}
	return (-1);
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

/* EP2's list of HAProxy stats sockets, comma-separated; or "none". */
static int
set_sockets(struct ep2_conf *c, const char *v, const char **why)
{
	struct run_conf	*r = &c->run;
	char		 item[PATH_MAX];
	const char	*s;

	r->nsockets = 0;
	if (strcmp(v, "none") == 0)
		return (0);
	if (*v == '\0')
		return (0);
	for (s = v;; s++) {
		if ((s = list_next(s, item, sizeof(item), why)) == NULL)
			return (-1);
		if (r->nsockets >= EP2D_MAX_SOCKETS) {
			*why = "more than 16 sockets";
			return (-1);
		}
		if (set_path(r->sockets[r->nsockets], sizeof(r->sockets[0]),
		    item, 0, why) == -1)
			return (-1);
		r->nsockets++;
		if (*s == '\0')
			break;
	}
	return (0);
}

/* [AWS] ip_type: EP2 took the public address when it was not set. */
static int
set_ip_type(struct ep2_conf *c, const char *v, const char **why)
{
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
