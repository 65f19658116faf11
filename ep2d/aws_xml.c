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
 * What AWS answers, read with expat, strictly: DescribeAutoScalingGroups
 * and DescribeInstances pages and the error documents.  No DTD, the
 * root's namespace checked, an element missing is an error: an answer
 * of an unexpected shape is a failure, never a smaller backend.  Also
 * the rules the source applies to the names it is given (endpoint,
 * region) and to text it logs.  Bytes in, a result out, no I/O: aws.c
 * does the asking, and regress/unit/test_aws.c and the fuzz harness
 * link this file for the parsers alone.
 */

#include <sys/types.h>

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "ep2d.h"
#include "aws.h"
#include "log.h"

/*
 * The APIs' XML namespaces, without the scheme: the services answer
 * with http://, AWS's own documentation shows https://; both name the
 * same API.
 */
#define ASG_NS		"autoscaling.amazonaws.com/doc/2011-01-01/"
#define EC2_NS		"ec2.amazonaws.com/doc/2016-11-15/"

#define XML_DEPTH_MAX	32
#define XML_PATH_MAX	1024
#define XML_TEXT_MAX	AWS_NEXT_MAX

/*
 * The element path of an answer, local names only, and the text of the
 * element that just ended.  Every element must be in the namespace of
 * the root (which the caller checks), so that a path names exactly one
 * element of the API model.
 */
struct xml_ctx {
	XML_Parser	 parser;
	char		 ns[128];
	char		 path[XML_PATH_MAX];
	size_t		 off[XML_DEPTH_MAX + 1];
	int		 depth;
	char		 text[XML_TEXT_MAX + 1];
	size_t		 tlen;
	int		 toolong;
	int		 failed;
	char		*err;
	size_t		 errlen;
	int		(*root)(struct xml_ctx *, const char *,
			    const char *);
	void		(*start)(struct xml_ctx *, const char *);
	void		(*end)(struct xml_ctx *, const char *,
			    const char *);
	void		*arg;
};

static void	 xml_fail(struct xml_ctx *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 xml_start(void *, const XML_Char *, const XML_Char **);
static void	 xml_end(void *, const XML_Char *);
static void	 xml_text(void *, const XML_Char *, int);
static void	 xml_doctype(void *, const XML_Char *, const XML_Char *,
		    const XML_Char *, int);
static void	 xml_entity(void *, const XML_Char *, int, const XML_Char *,
		    int, const XML_Char *, const XML_Char *, const XML_Char *,
		    const XML_Char *);
static int	 xml_parse(struct xml_ctx *, const char *, size_t);

static void
xml_fail(struct xml_ctx *x, const char *fmt, ...)
{
	va_list	 ap;

	if (x->failed)
		return;
	x->failed = 1;
	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	XML_StopParser(x->parser, XML_FALSE);
}

/* expat gives "URI local" (the separator is a space, never in a URI) */
static void
xml_split(const char *name, char *ns, size_t nslen, const char **local)
{
	const char	*sp;

	if ((sp = strrchr(name, ' ')) == NULL) {
		ns[0] = '\0';
		*local = name;
		return;
	}
	if ((size_t)(sp - name) >= nslen)
		ns[0] = '\0';
	else {
		memcpy(ns, name, sp - name);
		ns[sp - name] = '\0';
	}
	*local = sp + 1;
}

static void
xml_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_ctx	*x = arg;
	char		 ns[128];
	const char	*local;
	size_t		 len;

	if (x->failed)
		return;
	xml_split(name, ns, sizeof(ns), &local);
	if (x->depth == 0) {
		if (x->root(x, ns, local) == -1)
			return;
		if (strlcpy(x->ns, ns, sizeof(x->ns)) >= sizeof(x->ns)) {
			xml_fail(x, "namespace too long");
			return;
		}
	} else if (strcmp(ns, x->ns) != 0) {
		xml_fail(x, "element %.64s in an unexpected namespace", local);
		return;
	}
	if (x->depth >= XML_DEPTH_MAX) {
		xml_fail(x, "elements nested too deep");
		return;
	}
	len = strlen(local);
	if (x->off[x->depth] + 1 + len >= sizeof(x->path)) {
		xml_fail(x, "element path too long");
		return;
	}
	x->path[x->off[x->depth]] = '/';
	memcpy(x->path + x->off[x->depth] + 1, local, len + 1);
	x->depth++;
	x->off[x->depth] = x->off[x->depth - 1] + 1 + len;
	x->tlen = 0;
	x->toolong = 0;
	if (x->start != NULL)
		x->start(x, x->path);
}

static void
xml_end(void *arg, const XML_Char *name)
{
	struct xml_ctx	*x = arg;

	if (x->failed)
		return;
	x->text[x->tlen] = '\0';
	if (x->end != NULL)
		x->end(x, x->path, x->text);
	x->depth--;
	x->path[x->off[x->depth]] = '\0';
	x->tlen = 0;
	x->toolong = 0;
}

static void
xml_text(void *arg, const XML_Char *s, int len)
{
	struct xml_ctx	*x = arg;
	size_t		 n = len;

	if (x->failed || len <= 0)
		return;
	if (x->tlen + n > XML_TEXT_MAX) {
		x->toolong = 1;
		n = XML_TEXT_MAX - x->tlen;
	}
	memcpy(x->text + x->tlen, s, n);
	x->tlen += n;
}

/* No DTD, no entity: nothing in an AWS answer needs them. */
static void
xml_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int internal)
{
	xml_fail(arg, "a DOCTYPE is refused");
}

static void
xml_entity(void *arg, const XML_Char *name, int param, const XML_Char *value,
    int vlen, const XML_Char *base, const XML_Char *sysid,
    const XML_Char *pubid, const XML_Char *notation)
{
	xml_fail(arg, "an entity declaration is refused");
}

static int
xml_parse(struct xml_ctx *x, const char *buf, size_t len)
{
	enum XML_Status	 st;

	if (len > INT_MAX) {
		snprintf(x->err, x->errlen, "answer too big");
		return (-1);
	}
	if ((x->parser = XML_ParserCreateNS("UTF-8", ' ')) == NULL)
		fatal("%s: XML_ParserCreateNS", __func__);
	XML_SetUserData(x->parser, x);
	XML_SetElementHandler(x->parser, xml_start, xml_end);
	XML_SetCharacterDataHandler(x->parser, xml_text);
	XML_SetStartDoctypeDeclHandler(x->parser, xml_doctype);
	XML_SetEntityDeclHandler(x->parser, xml_entity);
	x->depth = 0;
	x->off[0] = 0;
	x->path[0] = '\0';
	st = XML_Parse(x->parser, buf, (int)len, XML_TRUE);
	if (st != XML_STATUS_OK && !x->failed) {
		x->failed = 1;
		snprintf(x->err, x->errlen, "XML: %s at line %lu",
		    XML_ErrorString(XML_GetErrorCode(x->parser)),
		    (unsigned long)XML_GetCurrentLineNumber(x->parser));
	}
	XML_ParserFree(x->parser);
	x->parser = NULL;
	return (x->failed ? -1 : 0);
}

static int
aws_valid_id(const char *id)
{
	size_t	 i, n;

	if (strncmp(id, "i-", 2) != 0)
		return (0);
	n = strlen(id + 2);
	if (n != 8 && n != 17)
		return (0);
	for (i = 2; id[i] != '\0'; i++)
		if (!isdigit((unsigned char)id[i]) &&
		    (id[i] < 'a' || id[i] > 'f'))
			return (0);
	return (1);
}

/* DescribeAutoScalingGroups */

#define ASG_ROOT	"/DescribeAutoScalingGroupsResponse"
#define ASG_RESULT	ASG_ROOT "/DescribeAutoScalingGroupsResult"
#define ASG_GROUPS	ASG_RESULT "/AutoScalingGroups"
#define ASG_GROUP	ASG_GROUPS "/member"
#define ASG_INST	ASG_GROUP "/Instances/member"

struct asg_parse {
	struct aws_asg_page	*page;
	int			 seen_groups;
	int			 group_named;
	char			 id[AWS_ID_MAX];
	char			 state[AWS_STATE_MAX];
	int			 in_service, healthy, has_id, has_state;
};

/* ns is want with http:// or https:// before it */
static int
ns_is(const char *ns, const char *want)
{
	if (strncmp(ns, "http://", 7) == 0)
		ns += 7;
	else if (strncmp(ns, "https://", 8) == 0)
		ns += 8;
	else
		return (0);
	return (strcmp(ns, want) == 0);
}

static int
asg_root(struct xml_ctx *x, const char *ns, const char *local)
{
	if (strcmp(local, "DescribeAutoScalingGroupsResponse") != 0 ||
	    !ns_is(ns, ASG_NS)) {
		xml_fail(x, "not a DescribeAutoScalingGroupsResponse (%.64s)",
		    local);
		return (-1);
	}
	return (0);
}

static void
asg_start(struct xml_ctx *x, const char *path)
{
	struct asg_parse	*a = x->arg;

	if (strcmp(path, ASG_GROUPS) == 0)
		a->seen_groups = 1;
	else if (strcmp(path, ASG_GROUP) == 0)
		a->group_named = 0;
	else if (strcmp(path, ASG_INST) == 0) {
		a->id[0] = a->state[0] = '\0';
		a->in_service = a->healthy = a->has_id = a->has_state = 0;
	}
}

/*
 * An instance that is not InService and Healthy: its state and group,
 * for the lifecycle hooks (aws_hook.c: Pending:Wait, Terminating:Wait).
 */
static void
asg_other(struct xml_ctx *x, struct asg_parse *a)
{
	struct aws_asg_page	*p = a->page;
	struct aws_asg_inst	*o;
	void			*n;

	if (p->nothers >= EP2D_MAX_SERVERS) {
		xml_fail(x, "more than %d instances", EP2D_MAX_SERVERS);
		return;
	}
	if (p->nothers == p->othercap) {
		if ((n = reallocarray(p->others, p->othercap + 16,
		    sizeof(*p->others))) == NULL)
			fatal("%s: reallocarray", __func__);
		p->others = n;
		p->othercap += 16;
	}
	o = &p->others[p->nothers++];
	strlcpy(o->id, a->id, sizeof(o->id));
	strlcpy(o->state, a->state, sizeof(o->state));
	o->group = a->group_named ? (int)p->ngroups - 1 : -1;
	o->healthy = a->healthy;
}

static void
asg_end(struct xml_ctx *x, const char *path, const char *text)
{
	struct asg_parse	*a = x->arg;
	struct aws_asg_page	*p = a->page;
	void			*n;

	if (strcmp(path, ASG_GROUP "/AutoScalingGroupName") == 0) {
		if (text[0] == '\0' || x->toolong ||
		    strlen(text) >= sizeof(p->groups[0])) {
			xml_fail(x, "bad AutoScalingGroupName");
			return;
		}
		if (p->ngroups == p->groupcap) {
			if ((n = reallocarray(p->groups, p->groupcap + 16,
			    sizeof(*p->groups))) == NULL)
				fatal("%s: reallocarray", __func__);
			p->groups = n;
			p->groupcap += 16;
		}
		strlcpy(p->groups[p->ngroups++], text, sizeof(p->groups[0]));
		a->group_named = 1;
	} else if (strcmp(path, ASG_GROUP) == 0) {
		if (!a->group_named)
			xml_fail(x, "a group without AutoScalingGroupName");
	} else if (strcmp(path, ASG_INST "/InstanceId") == 0) {
		if (!aws_valid_id(text)) {
			xml_fail(x, "bad InstanceId");
			return;
		}
		strlcpy(a->id, text, sizeof(a->id));
		a->has_id = 1;
	} else if (strcmp(path, ASG_INST "/LifecycleState") == 0) {
		a->has_state = 1;
		a->in_service = strcmp(text, "InService") == 0;
		/* longer than any state AWS names: none we act on */
		strlcpy(a->state, text, sizeof(a->state));
	} else if (strcmp(path, ASG_INST "/HealthStatus") == 0)
		a->healthy = strcmp(text, "Healthy") == 0;
	else if (strcmp(path, ASG_INST) == 0) {
		if (!a->has_id || !a->has_state) {
			xml_fail(x, "an instance without InstanceId or "
			    "LifecycleState");
			return;
		}
		p->nlisted++;
		if (!a->in_service || !a->healthy) {
			asg_other(x, a);
			return;
		}
		if (p->nids >= EP2D_MAX_SERVERS) {
			xml_fail(x, "more than %d instances", EP2D_MAX_SERVERS);
			return;
		}
		if (p->nids == p->idcap) {
			if ((n = reallocarray(p->ids, p->idcap + 64,
			    sizeof(*p->ids))) == NULL)
				fatal("%s: reallocarray", __func__);
			p->ids = n;
			p->idcap += 64;
		}
		strlcpy(p->ids[p->nids++], a->id, sizeof(p->ids[0]));
	} else if (strcmp(path, ASG_RESULT "/NextToken") == 0) {
		if (x->toolong || strlen(text) >= sizeof(p->next)) {
			xml_fail(x, "NextToken too long");
			return;
		}
		strlcpy(p->next, text, sizeof(p->next));
	}
}

void
aws_asg_page_free(struct aws_asg_page *p)
{
	free(p->ids);
	free(p->groups);
	free(p->others);
	memset(p, 0, sizeof(*p));
}

/*
 * One page of DescribeAutoScalingGroups.  The instances and groups are
 * appended to what the page already holds, so that the pages of one
 * call accumulate; next is that of this page ("" on the last).
 */
int
aws_parse_asg(const char *buf, size_t len, struct aws_asg_page *p,
    char *err, size_t errlen)
{
	struct xml_ctx		 x;
	struct asg_parse	 a;

	memset(&x, 0, sizeof(x));
	memset(&a, 0, sizeof(a));
	a.page = p;
	p->next[0] = '\0';
	x.err = err;
	x.errlen = errlen;
	x.root = asg_root;
	x.start = asg_start;
	x.end = asg_end;
	x.arg = &a;
	if (xml_parse(&x, buf, len) == -1)
		return (-1);
	if (!a.seen_groups) {
		snprintf(err, errlen, "no AutoScalingGroups in the answer");
		return (-1);
	}
	return (0);
}

/* DescribeInstances */

#define EC2_ROOT	"/DescribeInstancesResponse"
#define EC2_RES		EC2_ROOT "/reservationSet"
#define EC2_INST	EC2_RES "/item/instancesSet/item"

struct ec2_parse {
	struct aws_ec2_page	*page;
	enum ip_type		 type;
	int			 seen_res;
	struct aws_addr		 cur;
	int			 has_id;
};

static int
ec2_root(struct xml_ctx *x, const char *ns, const char *local)
{
	if (strcmp(local, "DescribeInstancesResponse") != 0 ||
	    !ns_is(ns, EC2_NS)) {
		xml_fail(x, "not a DescribeInstancesResponse (%.64s)", local);
		return (-1);
	}
	return (0);
}

static void
ec2_start(struct xml_ctx *x, const char *path)
{
	struct ec2_parse	*e = x->arg;

	if (strcmp(path, EC2_RES) == 0)
		e->seen_res = 1;
	else if (strcmp(path, EC2_INST) == 0) {
		memset(&e->cur, 0, sizeof(e->cur));
		e->has_id = 0;
	}
}

static void
ec2_end(struct xml_ctx *x, const char *path, const char *text)
{
	struct ec2_parse	*e = x->arg;
	struct aws_ec2_page	*p = e->page;
	const char		*want;
	void			*n;

	want = e->type == IP_PRIVATE ? EC2_INST "/privateIpAddress" :
	    EC2_INST "/ipAddress";
	if (strcmp(path, EC2_INST "/instanceId") == 0) {
		if (!aws_valid_id(text)) {
			xml_fail(x, "bad instanceId");
			return;
		}
		strlcpy(e->cur.id, text, sizeof(e->cur.id));
		e->has_id = 1;
	} else if (strcmp(path, want) == 0) {
		/* an address, or nothing: not a name, not garbage */
		if (text[0] != '\0' && (!addr_is_ip(text) ||
		    !addr_valid_host(text))) {
			xml_fail(x, "bad address in %s", e->cur.id[0] ?
			    e->cur.id : "an instance");
			return;
		}
		strlcpy(e->cur.ip, text, sizeof(e->cur.ip));
	} else if (strcmp(path, EC2_INST) == 0) {
		if (!e->has_id) {
			xml_fail(x, "an instance without instanceId");
			return;
		}
		if (p->naddrs >= EP2D_MAX_SERVERS) {
			xml_fail(x, "more than %d instances", EP2D_MAX_SERVERS);
			return;
		}
		if (p->naddrs == p->cap) {
			if ((n = reallocarray(p->addrs, p->cap + 64,
			    sizeof(*p->addrs))) == NULL)
				fatal("%s: reallocarray", __func__);
			p->addrs = n;
			p->cap += 64;
		}
		p->addrs[p->naddrs++] = e->cur;
	} else if (strcmp(path, EC2_ROOT "/nextToken") == 0) {
		if (x->toolong || strlen(text) >= sizeof(p->next)) {
			xml_fail(x, "nextToken too long");
			return;
		}
		strlcpy(p->next, text, sizeof(p->next));
	}
}

void
aws_ec2_page_free(struct aws_ec2_page *p)
{
	free(p->addrs);
	memset(p, 0, sizeof(*p));
}

/*
 * One page of DescribeInstances: each instance's own address of the
 * type asked (privateIpAddress or ipAddress, never one nested in its
 * network interfaces), "" when it has none.  Appended, as above.
 */
int
aws_parse_instances(const char *buf, size_t len, enum ip_type type,
    struct aws_ec2_page *p, char *err, size_t errlen)
{
	struct xml_ctx		 x;
	struct ec2_parse	 e;

	memset(&x, 0, sizeof(x));
	memset(&e, 0, sizeof(e));
	e.page = p;
	e.type = type;
	p->next[0] = '\0';
	x.err = err;
	x.errlen = errlen;
	x.root = ec2_root;
	x.start = ec2_start;
	x.end = ec2_end;
	x.arg = &e;
	if (xml_parse(&x, buf, len) == -1)
		return (-1);
	if (!e.seen_res) {
		snprintf(err, errlen, "no reservationSet in the answer");
		return (-1);
	}
	return (0);
}

/*
 * Errors: the Query API's <ErrorResponse><Error> (Auto Scaling) and
 * EC2's <Response><Errors><Error>; the first Code and Message.
 */
struct err_parse {
	char		*code;
	size_t		 codelen;
	char		*msg;
	size_t		 msglen;
	int		 has_code;
};

static int
err_root(struct xml_ctx *x, const char *ns, const char *local)
{
	if (strcmp(local, "ErrorResponse") != 0 &&
	    strcmp(local, "Response") != 0) {
		xml_fail(x, "not an error answer (%.64s)", local);
		return (-1);
	}
	return (0);
}

static void
err_end(struct xml_ctx *x, const char *path, const char *text)
{
	struct err_parse	*e = x->arg;

	if (e->has_code && strcmp(path, "/ErrorResponse/Error") != 0 &&
	    strcmp(path, "/Response/Errors/Error") != 0)
		return;
	if (strcmp(path, "/ErrorResponse/Error/Code") == 0 ||
	    strcmp(path, "/Response/Errors/Error/Code") == 0) {
		if (!e->has_code)
			aws_clean(e->code, e->codelen, text);
	} else if (strcmp(path, "/ErrorResponse/Error/Message") == 0 ||
	    strcmp(path, "/Response/Errors/Error/Message") == 0) {
		if (!e->has_code)
			aws_clean(e->msg, e->msglen, text);
	} else if (strcmp(path, "/ErrorResponse/Error") == 0 ||
	    strcmp(path, "/Response/Errors/Error") == 0) {
		if (e->code[0] != '\0')
			e->has_code = 1;
	}
}

int
aws_parse_error(const char *buf, size_t len, char *code, size_t codelen,
    char *msg, size_t msglen)
{
	struct xml_ctx		 x;
	struct err_parse	 e;
	char			 err[128];

	if (codelen == 0 || msglen == 0)
		return (-1);
	code[0] = msg[0] = '\0';
	memset(&x, 0, sizeof(x));
	memset(&e, 0, sizeof(e));
	e.code = code;
	e.codelen = codelen;
	e.msg = msg;
	e.msglen = msglen;
	x.err = err;
	x.errlen = sizeof(err);
	x.root = err_root;
	x.end = err_end;
	x.arg = &e;
	if (xml_parse(&x, buf, len) == -1 || !e.has_code) {
		code[0] = msg[0] = '\0';
		return (-1);
	}
	return (0);
}

/* A text from the network, made fit for one log line. */
void
aws_clean(char *dst, size_t dstlen, const char *src)
{
	size_t	 i;

	if (dstlen == 0)
		return;
	while (*src == ' ' || *src == '\t' || *src == '\n' || *src == '\r')
		src++;
	for (i = 0; i + 1 < dstlen && src[i] != '\0'; i++) {
		if ((unsigned char)src[i] < 0x20 ||
		    (unsigned char)src[i] >= 0x7f)
			dst[i] = '?';
		else
			dst[i] = src[i];
	}
	while (i > 0 && dst[i - 1] == ' ')
		i--;
	dst[i] = '\0';
}

/*
 * The endpoint of a service: ep2.conf's key, then the environment as the
 * SDKs read it (the service's own variable before AWS_ENDPOINT_URL),
 * then https://SERVICE.REGION.amazonaws.com (.com.cn in China).
 */
int
aws_endpoint(const char *conf, const char *env_service,
    const char *env_all, const char *service, const char *region, char *out,
    size_t outlen)
{
	const char	*u = NULL, *host;
	size_t		 i;
	int		 n;

	if (conf != NULL && conf[0] != '\0')
		u = conf;
	else if (env_service != NULL && env_service[0] != '\0')
		u = env_service;
	else if (env_all != NULL && env_all[0] != '\0')
		u = env_all;
	if (u == NULL) {
		if (region == NULL || region[0] == '\0')
			return (-1);
		n = snprintf(out, outlen, "https://%s.%s.amazonaws.com%s",
		    service, region, strncmp(region, "cn-", 3) == 0 ?
		    ".cn" : "");
		return (n < 0 || (size_t)n >= outlen ? -1 : 0);
	}
	if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		host = u + 7;
	else
		return (-1);
	if (host[0] == '\0' || host[0] == '/' || host[0] == ':')
		return (-1);
	for (i = 0; u[i] != '\0'; i++)
		if ((unsigned char)u[i] <= 0x20 ||
		    (unsigned char)u[i] >= 0x7f || u[i] == '#' ||
		    u[i] == '?')
			return (-1);
	if (strlcpy(out, u, outlen) >= outlen)
		return (-1);
	return (0);
}

/*
 * The region: ep2.conf's region_name, AWS_REGION, AWS_DEFAULT_REGION,
 * then the profile's region in the AWS config file (as boto3, and so
 * EP2, found it).
 */
int
aws_region(const char *conf, const char *env_region,
    const char *env_default, const char *file, char *out, size_t outlen)
{
	const char	*r = NULL;
	size_t		 i;

	if (conf != NULL && conf[0] != '\0')
		r = conf;
	else if (env_region != NULL && env_region[0] != '\0')
		r = env_region;
	else if (env_default != NULL && env_default[0] != '\0')
		r = env_default;
	else if (file != NULL && file[0] != '\0')
		r = file;
	if (r == NULL)
		return (-1);
	for (i = 0; r[i] != '\0'; i++)
		if (!islower((unsigned char)r[i]) &&
		    !isdigit((unsigned char)r[i]) && r[i] != '-')
			return (-1);
	if (i == 0 || i > 63 || r[0] == '-' || r[i - 1] == '-')
		return (-1);
	if (strlcpy(out, r, outlen) >= outlen)
		return (-1);
	return (0);
}
