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
 * Auto Scaling lifecycle hooks: what AWS sends, read strictly, and the
 * requests that answer it.  Bytes in, a result out: no I/O, nothing
 * kept between calls.  This file reads the XML of SQS and Auto Scaling
 * and writes the requests; aws_lifecycle_event.c reads the message
 * bodies.
 *
 * What AWS sends (regress/fixtures/aws-lifecycle holds an example of
 * each, with its source):
 *
 * - A lifecycle hook whose NotificationTargetARN is an SQS queue puts a
 *   message in it when an instance enters Pending:Wait or
 *   Terminating:Wait, and a test message when the hook is made.  The
 *   body is JSON ("This operation uses the JSON format when sending
 *   notifications to an Amazon SQS queue", PutLifecycleHook, Auto
 *   Scaling API Reference); its fields are those of the notification
 *   example in the Auto Scaling User Guide, "Prepare to add a lifecycle
 *   hook": Service ("AWS Auto Scaling"), Time, RequestId,
 *   LifecycleActionToken, AccountId, AutoScalingGroupName,
 *   LifecycleHookName, EC2InstanceId, LifecycleTransition
 *   (autoscaling:EC2_INSTANCE_LAUNCHING or _TERMINATING),
 *   NotificationMetadata; the test message has Event
 *   (autoscaling:TEST_NOTIFICATION) and AutoScalingGroupARN instead.
 * - An EventBridge rule with the queue as its target delivers the event
 *   itself: source "aws.autoscaling", detail-type "EC2 Instance-launch
 *   Lifecycle Action" or "EC2 Instance-terminate Lifecycle Action", the
 *   same fields in "detail", and Origin and Destination "if that
 *   information is available" (User Guide, "Amazon EC2 Auto Scaling
 *   event reference"; warm pools name WarmPool there).
 * - SQS answers ReceiveMessage, in the Query protocol, with
 *   ReceiveMessageResponse / ReceiveMessageResult / Message (MessageId,
 *   ReceiptHandle, MD5OfBody, Body, Attribute Name/Value,
 *   MessageAttribute), at most ten messages, and ResponseMetadata; the
 *   namespace http://queue.amazonaws.com/doc/2012-11-05/ (botocore's SQS
 *   model; the SQS Developer Guide shows https://sqs.REGION...).  The
 *   API Reference warns that new attributes may be added: unknown
 *   elements of a Message and of the result are skipped, the envelope
 *   is not.  MD5OfBody is checked, as the SDKs check it: a message
 *   that disagrees is not deleted, and comes back.  A body over
 *   LC_BODY_MAX is not kept; its receipt handle is, to delete it.
 * - DeleteMessage, CompleteLifecycleAction and
 *   RecordLifecycleActionHeartbeat answer an empty ACTIONResponse, or
 *   an ErrorResponse (aws_parse_error reads it).
 *
 * The requests are form-encoded as aws.c encodes its own (form_add is
 * static there: lc_add below is the same encoding).
 */

#include <sys/types.h>

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <openssl/evp.h>

#include "ep2d.h"
#include "aws.h"
#include "aws_lifecycle.h"
#include "log.h"

#define SQS_VERSION	"2012-11-05"
#define ASG_VERSION	"2011-01-01"
#define SQS_NS_PATH	"/doc/" SQS_VERSION "/"
#define ASG_NS		"autoscaling.amazonaws.com/doc/" ASG_VERSION "/"

#define LX_DEPTH_MAX	16
#define LX_PATH_MAX	512


/*
 * The XML of an answer.  Each element's path (local names) is handed to
 * start(), which says what the element is: a container, a text element
 * (at most tmax bytes kept, longer marks toolong), or one to skip with
 * all it holds.  Every element is in the root's namespace.
 */
struct lx {
	XML_Parser	 parser;
	char		 ns[128];
	char		 path[LX_PATH_MAX];
	size_t		 off[LX_DEPTH_MAX + 1];
	int		 depth;
	int		 skip;		/* > 0: depth of a skipped element */
	int		 leaf;		/* the depth of the text element */
	char		*text;
	size_t		 tlen;
	size_t		 tcap;
	size_t		 tmax;
	int		 toolong;
	int		 failed;
	char		*err;
	size_t		 errlen;
	int		(*root)(struct lx *, const char *, const char *);
	void		(*start)(struct lx *, const char *);
	void		(*end)(struct lx *, const char *, const char *,
			    size_t);
	void		*arg;
};

static void	 lx_fail(struct lx *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	 lx_text(struct lx *, size_t);
static void	 lx_skip(struct lx *);
static int	 lx_parse(struct lx *, const char *, size_t);
static void	 lc_fail(char *, size_t, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));

static void
lx_fail(struct lx *x, const char *fmt, ...)
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

/* start() says: this element's text is wanted, up to max bytes */
static void
lx_text(struct lx *x, size_t max)
{
	x->leaf = x->depth;
	x->tmax = max;
}

/* start() says: this element, and all it holds, is not ours */
static void
lx_skip(struct lx *x)
{
	x->skip = x->depth;
}

static void
lx_split(const char *name, char *ns, size_t nslen, const char **local)
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
lx_start_cb(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct lx	*x = arg;
	char		 ns[128];
	const char	*local;
	size_t		 len;

	if (x->failed)
		return;
	lx_split(name, ns, sizeof(ns), &local);
	if (x->depth == 0) {
		if (x->root(x, ns, local) == -1)
			return;
		if (strlcpy(x->ns, ns, sizeof(x->ns)) >= sizeof(x->ns)) {
			lx_fail(x, "namespace too long");
			return;
		}
	} else if (strcmp(ns, x->ns) != 0) {
		lx_fail(x, "element %.64s in an unexpected namespace", local);
		return;
	}
	if (x->leaf > 0) {
		lx_fail(x, "element %.64s inside a text element", local);
		return;
	}
	if (x->depth >= LX_DEPTH_MAX) {
		lx_fail(x, "elements nested too deep");
		return;
	}
	len = strlen(local);
	if (x->off[x->depth] + 1 + len >= sizeof(x->path)) {
		lx_fail(x, "element path too long");
		return;
	}
	x->path[x->off[x->depth]] = '/';
	memcpy(x->path + x->off[x->depth] + 1, local, len + 1);
	x->depth++;
	x->off[x->depth] = x->off[x->depth - 1] + 1 + len;
	if (x->skip > 0)
		return;
	x->tlen = 0;
	x->toolong = 0;
	x->start(x, x->path);
}

static void
lx_end_cb(void *arg, const XML_Char *name)
{
	struct lx	*x = arg;

	if (x->failed)
		return;
	if (x->skip == 0) {
		if (x->leaf == x->depth) {
			x->text[x->tlen] = '\0';
			x->end(x, x->path, x->text, x->tlen);
			x->leaf = 0;
		} else
			x->end(x, x->path, "", 0);
	} else if (x->skip == x->depth)
		x->skip = 0;
	x->depth--;
	x->path[x->off[x->depth]] = '\0';
	x->tlen = 0;
	x->toolong = 0;
}

static void
lx_chars_cb(void *arg, const XML_Char *s, int len)
{
	struct lx	*x = arg;
	size_t		 n = len, cap;
	char		*t;

	if (x->failed || len <= 0 || x->skip > 0 || x->leaf != x->depth ||
	    x->leaf == 0)
		return;
	if (x->tlen + n > x->tmax) {
		x->toolong = 1;
		n = x->tmax - x->tlen;
	}
	if (x->tlen + n + 1 > x->tcap) {
		cap = x->tlen + n + 1 + 256;
		if (cap > x->tmax + 1)
			cap = x->tmax + 1;
		if ((t = realloc(x->text, cap)) == NULL)
			fatal("%s: realloc", __func__);
		x->text = t;
		x->tcap = cap;
	}
	memcpy(x->text + x->tlen, s, n);
	x->tlen += n;
}

static void
lx_doctype_cb(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int internal)
{
	lx_fail(arg, "a DOCTYPE is refused");
}

static void
lx_entity_cb(void *arg, const XML_Char *name, int param,
    const XML_Char *value, int vlen, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	lx_fail(arg, "an entity declaration is refused");
}

static int
lx_parse(struct lx *x, const char *buf, size_t len)
{
	enum XML_Status	 st;

	if (len > INT_MAX || len > LC_ANSWER_MAX) {
		snprintf(x->err, x->errlen, "answer too big");
		return (-1);
	}
	if ((x->parser = XML_ParserCreateNS("UTF-8", ' ')) == NULL)
		fatal("%s: XML_ParserCreateNS", __func__);
	if ((x->text = malloc(1)) == NULL)
		fatal("%s: malloc", __func__);
	x->tcap = 1;
	XML_SetUserData(x->parser, x);
	XML_SetElementHandler(x->parser, lx_start_cb, lx_end_cb);
	XML_SetCharacterDataHandler(x->parser, lx_chars_cb);
	XML_SetStartDoctypeDeclHandler(x->parser, lx_doctype_cb);
	XML_SetEntityDeclHandler(x->parser, lx_entity_cb);
	st = XML_Parse(x->parser, buf, (int)len, XML_TRUE);
	if (st != XML_STATUS_OK && !x->failed) {
		x->failed = 1;
		snprintf(x->err, x->errlen, "XML: %s at line %lu",
		    XML_ErrorString(XML_GetErrorCode(x->parser)),
		    (unsigned long)XML_GetCurrentLineNumber(x->parser));
	}
	XML_ParserFree(x->parser);
	x->parser = NULL;
	free(x->text);
	x->text = NULL;
	return (x->failed ? -1 : 0);
}

/* the scheme, which the services and their documentation vary */
static const char *
ns_host(const char *ns)
{
	if (strncmp(ns, "http://", 7) == 0)
		return (ns + 7);
	if (strncmp(ns, "https://", 8) == 0)
		return (ns + 8);
	return (NULL);
}

/*
 * SQS's namespace: queue.amazonaws.com (what the service and botocore's
 * model say) or sqs.REGION.amazonaws.com[.cn] (the Developer Guide's
 * example), then /doc/2012-11-05/.
 */
static int
ns_is_sqs(const char *ns)
{
	const char	*h, *p;

	if ((h = ns_host(ns)) == NULL)
		return (0);
	if ((p = strchr(h, '/')) == NULL || strcmp(p, SQS_NS_PATH) != 0)
		return (0);
	if ((size_t)(p - h) == strlen("queue.amazonaws.com") &&
	    strncmp(h, "queue.amazonaws.com", p - h) == 0)
		return (1);
	if (strncmp(h, "sqs.", 4) != 0)
		return (0);
	for (h += 4; h < p && (islower((unsigned char)*h) ||
	    isdigit((unsigned char)*h) || *h == '-'); h++)
		;
	return ((size_t)(p - h) == strlen(".amazonaws.com") &&
	    strncmp(h, ".amazonaws.com", p - h) == 0) ||
	    ((size_t)(p - h) == strlen(".amazonaws.com.cn") &&
	    strncmp(h, ".amazonaws.com.cn", p - h) == 0);
}

static int
ns_is_asg(const char *ns)
{
	const char	*h;

	return ((h = ns_host(ns)) != NULL && strcmp(h, ASG_NS) == 0);
}

/* printable ASCII but the space: ids and receipt handles */
static int
lc_token_chars(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return (0);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return (0);
	return (1);
}

static void
lc_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ReceiveMessage */

#define RM_ROOT		"/ReceiveMessageResponse"
#define RM_RESULT	RM_ROOT "/ReceiveMessageResult"
#define RM_META		RM_ROOT "/ResponseMetadata"
#define RM_MSG		RM_RESULT "/Message"
#define RM_ATTR		RM_MSG "/Attribute"

struct rm_parse {
	struct lc_batch	*batch;
	int		 results;
	int		 has_id, has_receipt, has_body, has_md5;
	char		 md5[33];
	char		 aname[64];
	char		 avalue[16];
	int		 has_aname, has_avalue, avalue_bad;
};

static int
rm_root(struct lx *x, const char *ns, const char *local)
{
	if (strcmp(local, "ReceiveMessageResponse") != 0 || !ns_is_sqs(ns)) {
		lx_fail(x, "not a ReceiveMessageResponse (%.64s)", local);
		return (-1);
	}
	return (0);
}

static void
rm_start(struct lx *x, const char *path)
{
	struct rm_parse		*r = x->arg;
	struct lc_message	*m;

	if (x->depth == 1)
		return;
	if (x->depth == 2) {
		if (strcmp(path, RM_RESULT) == 0) {
			if (r->results++ > 0)
				lx_fail(x, "ReceiveMessageResult twice");
		} else if (strcmp(path, RM_META) != 0)
			lx_fail(x, "unexpected element %.64s",
			    path + sizeof(RM_ROOT));
		return;
	}
	if (strcmp(path, RM_META "/RequestId") == 0)
		lx_text(x, 128);
	else if (strcmp(path, RM_MSG) == 0) {
		if (r->batch->n >= LC_MSG_MAX) {
			lx_fail(x, "more than %d messages", LC_MSG_MAX);
			return;
		}
		m = &r->batch->msg[r->batch->n];
		memset(m, 0, sizeof(*m));
		r->has_id = r->has_receipt = r->has_body = r->has_md5 = 0;
	} else if (strcmp(path, RM_MSG "/MessageId") == 0)
		lx_text(x, LC_MSGID_MAX - 1);
	else if (strcmp(path, RM_MSG "/ReceiptHandle") == 0)
		lx_text(x, LC_RECEIPT_MAX - 1);
	else if (strcmp(path, RM_MSG "/Body") == 0)
		lx_text(x, LC_BODY_MAX);
	else if (strcmp(path, RM_MSG "/MD5OfBody") == 0)
		lx_text(x, 32);
	else if (strcmp(path, RM_ATTR) == 0) {
		r->has_aname = r->has_avalue = r->avalue_bad = 0;
		r->aname[0] = r->avalue[0] = '\0';
	} else if (strcmp(path, RM_ATTR "/Name") == 0)
		lx_text(x, sizeof(r->aname) - 1);
	else if (strcmp(path, RM_ATTR "/Value") == 0)
		lx_text(x, 1024);
	else
		lx_skip(x);	/* MessageAttribute, and what AWS adds */
}

/* "ApproximateReceiveCount": decimal, no sign, no overflow */
static int
rm_count(const char *s, unsigned int *n)
{
	unsigned long	 v = 0;
	size_t		 i;

	if (s[0] == '\0' || strlen(s) > 9)
		return (-1);
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	*n = (unsigned int)v;
	return (0);
}

static int
rm_md5_ok(const char *body, size_t len, const char *want)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen, i;
	char			 got[33];

	if (EVP_Digest(body, len, md, &mdlen, EVP_md5(), NULL) != 1 ||
	    mdlen != 16)
		fatalx("%s: EVP_Digest MD5", __func__);
	for (i = 0; i < 16; i++) {
		got[2 * i] = hex[md[i] >> 4];
		got[2 * i + 1] = hex[md[i] & 0xf];
	}
	got[32] = '\0';
	return (strcasecmp(got, want) == 0);
}

static void
rm_end(struct lx *x, const char *path, const char *text, size_t len)
{
	struct rm_parse		*r = x->arg;
	struct lc_message	*m;
	size_t			 i;

	if (x->depth < 3 || strncmp(path, RM_MSG, sizeof(RM_MSG) - 1) != 0)
		return;
	m = &r->batch->msg[r->batch->n];
	if (strcmp(path, RM_MSG "/MessageId") == 0) {
		if (r->has_id++) {
			lx_fail(x, "a Message with two MessageId");
			return;
		}
		if (x->toolong || !lc_token_chars(text, len)) {
			lx_fail(x, "bad MessageId");
			return;
		}
		memcpy(m->id, text, len + 1);
	} else if (strcmp(path, RM_MSG "/ReceiptHandle") == 0) {
		if (r->has_receipt++) {
			lx_fail(x, "a Message with two ReceiptHandle");
			return;
		}
		if (x->toolong) {
			lx_fail(x, "ReceiptHandle over %d bytes",
			    LC_RECEIPT_MAX - 1);
			return;
		}
		if (!lc_token_chars(text, len)) {
			lx_fail(x, "bad ReceiptHandle");
			return;
		}
		memcpy(m->receipt, text, len + 1);
	} else if (strcmp(path, RM_MSG "/Body") == 0) {
		if (r->has_body++) {
			lx_fail(x, "a Message with two Body");
			return;
		}
		if (x->toolong) {
			m->state = LC_MSG_TOOLONG;
			return;
		}
		if ((m->body = malloc(len + 1)) == NULL)
			fatal("%s: malloc", __func__);
		memcpy(m->body, text, len + 1);
		m->bodylen = len;
	} else if (strcmp(path, RM_MSG "/MD5OfBody") == 0) {
		if (r->has_md5++) {
			lx_fail(x, "a Message with two MD5OfBody");
			return;
		}
		for (i = 0; i < len; i++)
			if (!isxdigit((unsigned char)text[i]))
				break;
		if (x->toolong || len != 32 || i != len) {
			lx_fail(x, "bad MD5OfBody");
			return;
		}
		memcpy(r->md5, text, len + 1);
	} else if (strcmp(path, RM_ATTR "/Name") == 0) {
		if (r->has_aname++ || x->toolong) {
			lx_fail(x, "bad Attribute Name");
			return;
		}
		memcpy(r->aname, text, len + 1);
	} else if (strcmp(path, RM_ATTR "/Value") == 0) {
		if (r->has_avalue++) {
			lx_fail(x, "an Attribute with two Value");
			return;
		}
		if (x->toolong || len >= sizeof(r->avalue))
			r->avalue_bad = 1;	/* bad only if it is ours */
		else
			memcpy(r->avalue, text, len + 1);
	} else if (strcmp(path, RM_ATTR) == 0) {
		if (!r->has_aname || !r->has_avalue) {
			lx_fail(x, "an Attribute without Name or Value");
			return;
		}
		if (strcmp(r->aname, "ApproximateReceiveCount") == 0 &&
		    (r->avalue_bad || rm_count(r->avalue,
		    &m->receive_count) == -1))
			lx_fail(x, "bad ApproximateReceiveCount");
	} else if (strcmp(path, RM_MSG) == 0) {
		if (!r->has_id || !r->has_receipt || !r->has_body) {
			lx_fail(x, "a Message without %s", !r->has_id ?
			    "MessageId" : !r->has_receipt ? "ReceiptHandle" :
			    "Body");
			return;
		}
		/* counted before the check: lc_batch_free frees it */
		r->batch->n++;
		if (m->state == LC_MSG_OK && r->has_md5 &&
		    !rm_md5_ok(m->body, m->bodylen, r->md5)) {
			m->state = LC_MSG_CORRUPT;
			free(m->body);
			m->body = NULL;
			m->bodylen = 0;
		}
	}
}

void
lc_batch_free(struct lc_batch *b)
{
	size_t	 i;

	for (i = 0; i < LC_MSG_MAX; i++)
		free(b->msg[i].body);
	memset(b, 0, sizeof(*b));
}

/*
 * One ReceiveMessage answer: up to ten messages, each with its id, its
 * receipt handle and its body (or the state that kept the body out).
 * Any fault of the answer itself fails it whole.
 */
int
lc_parse_receive(const char *buf, size_t len, struct lc_batch *b,
    char *err, size_t errlen)
{
	struct lx	 x;
	struct rm_parse	 r;

	memset(b, 0, sizeof(*b));
	memset(&x, 0, sizeof(x));
	memset(&r, 0, sizeof(r));
	r.batch = b;
	x.err = err;
	x.errlen = errlen;
	x.root = rm_root;
	x.start = rm_start;
	x.end = rm_end;
	x.arg = &r;
	if (lx_parse(&x, buf, len) == -1) {
		lc_batch_free(b);
		return (-1);
	}
	if (r.results != 1) {
		lc_fail(err, errlen, "no ReceiveMessageResult in the answer");
		lc_batch_free(b);
		return (-1);
	}
	return (0);
}

/* DeleteMessage, CompleteLifecycleAction, RecordLifecycleActionHeartbeat */

struct ack_parse {
	const char	*root;
	int		(*ns_ok)(const char *);
};

static int
ack_root(struct lx *x, const char *ns, const char *local)
{
	struct ack_parse	*a = x->arg;

	if (strcmp(local, a->root) != 0 || !a->ns_ok(ns)) {
		lx_fail(x, "not a %s (%.64s)", a->root, local);
		return (-1);
	}
	return (0);
}

static void
ack_start(struct lx *x, const char *path)
{
	if (x->depth > 1)
		lx_skip(x);
}

static void
ack_end(struct lx *x, const char *path, const char *text, size_t len)
{
}

/*
 * The answer of a call that answers nothing but success: its root is
 * ACTIONResponse in the service's namespace.  A refusal is an
 * ErrorResponse, for aws_parse_error.
 */
int
lc_parse_ack(const char *buf, size_t len, const char *action, char *err,
    size_t errlen)
{
	struct lx		 x;
	struct ack_parse	 a;
	char			 root[64];

	memset(&x, 0, sizeof(x));
	memset(&a, 0, sizeof(a));
	if (strcmp(action, "DeleteMessage") == 0)
		a.ns_ok = ns_is_sqs;
	else if (strcmp(action, "CompleteLifecycleAction") == 0 ||
	    strcmp(action, "RecordLifecycleActionHeartbeat") == 0)
		a.ns_ok = ns_is_asg;
	else {
		lc_fail(err, errlen, "%s: not an action of ours", action);
		return (-1);
	}
	snprintf(root, sizeof(root), "%sResponse", action);
	a.root = root;
	x.err = err;
	x.errlen = errlen;
	x.root = ack_root;
	x.start = ack_start;
	x.end = ack_end;
	x.arg = &a;
	return (lx_parse(&x, buf, len));
}

/* The requests: application/x-www-form-urlencoded, as aws.c's form_add */

struct lc_qbuf {
	char	*buf;
	size_t	 len;
	size_t	 cap;
};

static void
lc_add(struct lc_qbuf *f, const char *name, const char *value)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 need, i;
	unsigned char		 ch;
	char			*n;

	need = f->len + strlen(name) + 3 * strlen(value) + 3;
	if (need > f->cap) {
		if ((n = realloc(f->buf, need + 256)) == NULL)
			fatal("%s: realloc", __func__);
		f->buf = n;
		f->cap = need + 256;
	}
	if (f->len > 0)
		f->buf[f->len++] = '&';
	memcpy(f->buf + f->len, name, strlen(name));
	f->len += strlen(name);
	f->buf[f->len++] = '=';
	for (i = 0; value[i] != '\0'; i++) {
		ch = value[i];
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~')
			f->buf[f->len++] = ch;
		else {
			f->buf[f->len++] = '%';
			f->buf[f->len++] = hex[ch >> 4];
			f->buf[f->len++] = hex[ch & 0xf];
		}
	}
	f->buf[f->len] = '\0';
}

static void
lc_add_int(struct lc_qbuf *f, const char *name, int v)
{
	char	 s[16];

	snprintf(s, sizeof(s), "%d", v);
	lc_add(f, name, s);
}

static int
lc_given(const char *s)
{
	return (s != NULL && s[0] != '\0');
}

/*
 * ReceiveMessage: up to max (1-10) messages, waiting up to wait (0-20)
 * seconds for the first, hidden from the next receive for visibility
 * seconds (-1: the queue's own), with ApproximateReceiveCount.
 */
char *
lc_query_receive(const char *queue_url, int max, int wait, int visibility)
{
	struct lc_qbuf	 f = { NULL, 0, 0 };

	if (!lc_given(queue_url) || max < 1 || max > LC_MSG_MAX ||
	    wait < 0 || wait > LC_WAIT_MAX || visibility < -1 ||
	    visibility > LC_VISIBILITY_MAX)
		return (NULL);
	lc_add(&f, "Action", "ReceiveMessage");
	lc_add(&f, "Version", SQS_VERSION);
	lc_add(&f, "QueueUrl", queue_url);
	lc_add(&f, "AttributeName.1", "ApproximateReceiveCount");
	lc_add_int(&f, "MaxNumberOfMessages", max);
	if (visibility >= 0)
		lc_add_int(&f, "VisibilityTimeout", visibility);
	lc_add_int(&f, "WaitTimeSeconds", wait);
	return (f.buf);
}

char *
lc_query_delete(const char *queue_url, const char *receipt)
{
	struct lc_qbuf	 f = { NULL, 0, 0 };

	if (!lc_given(queue_url) || !lc_given(receipt))
		return (NULL);
	lc_add(&f, "Action", "DeleteMessage");
	lc_add(&f, "Version", SQS_VERSION);
	lc_add(&f, "QueueUrl", queue_url);
	lc_add(&f, "ReceiptHandle", receipt);
	return (f.buf);
}

/* the action by its token, or by its instance when there is no token */
static char *
lc_query_action(const char *action, const char *group, const char *hook,
    const char *token, const char *instance, const char *result)
{
	struct lc_qbuf	 f = { NULL, 0, 0 };

	if (!lc_given(group) || !lc_given(hook) ||
	    (!lc_given(token) && !lc_given(instance)))
		return (NULL);
	lc_add(&f, "Action", action);
	lc_add(&f, "Version", ASG_VERSION);
	lc_add(&f, "AutoScalingGroupName", group);
	lc_add(&f, "LifecycleHookName", hook);
	if (lc_given(token))
		lc_add(&f, "LifecycleActionToken", token);
	if (lc_given(instance))
		lc_add(&f, "InstanceId", instance);
	if (result != NULL)
		lc_add(&f, "LifecycleActionResult", result);
	return (f.buf);
}

char *
lc_query_complete(const char *group, const char *hook, const char *token,
    const char *instance, const char *result)
{
	if (result == NULL || (strcmp(result, "CONTINUE") != 0 &&
	    strcmp(result, "ABANDON") != 0))
		return (NULL);
	return (lc_query_action("CompleteLifecycleAction", group, hook,
	    token, instance, result));
}

char *
lc_query_heartbeat(const char *group, const char *hook, const char *token,
    const char *instance)
{
	return (lc_query_action("RecordLifecycleActionHeartbeat", group, hook,
	    token, instance, NULL));
}
