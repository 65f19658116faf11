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
 * ep2d/aws_lifecycle.c without a network: the SQS answers and the
 * lifecycle notifications of regress/fixtures/aws-lifecycle parse to
 * what they say; truncated, oversized, mistyped and repeated inputs are
 * refused with a reason; the Query bodies are what AWS expects.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep2d.h"
#include "aws.h"
#include "aws_lifecycle.h"
#include "log.h"
#include "tap.h"

static const char	*fixdir;

static char *
fixture(const char *name, size_t *len)
{
	char		 path[1024];
	struct stat	 st;
	char		*buf;
	int		 fd;

	snprintf(path, sizeof(path), "%s/%s", fixdir, name);
	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1) {
		printf("# %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if ((buf = calloc(1, st.st_size + 1)) == NULL ||
	    read(fd, buf, st.st_size) != st.st_size) {
		printf("# %s: read\n", path);
		exit(1);
	}
	close(fd);
	*len = st.st_size;
	return (buf);
}

/* a string with each "from" replaced by "to" */
static char *
subst(const char *s, const char *from, const char *to)
{
	size_t	 n = 0, fl = strlen(from), tl = strlen(to);
	const char *p;
	char	*out, *o;

	for (p = s; (p = strstr(p, from)) != NULL; p += fl)
		n++;
	if ((out = malloc(strlen(s) + n * tl + 1)) == NULL)
		exit(1);
	for (o = out, p = s; *p != '\0';) {
		if (strncmp(p, from, fl) == 0) {
			memcpy(o, to, tl);
			o += tl;
			p += fl;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return (out);
}

static int
receive(const char *xml, struct lc_batch *b, char *err, size_t errlen)
{
	return (lc_parse_receive(xml, strlen(xml), b, err, errlen));
}

/* one message answer around body, with its MD5OfBody when md5 != NULL */
static char *
one_message(const char *ns, const char *receipt, const char *body,
    const char *md5, const char *extra)
{
	char	*s;

	if (asprintf(&s, "<ReceiveMessageResponse xmlns=\"%s\">"
	    "<ReceiveMessageResult><Message><MessageId>m-1</MessageId>"
	    "<ReceiptHandle>%s</ReceiptHandle>%s%s%s<Body>%s</Body>%s"
	    "</Message></ReceiveMessageResult><ResponseMetadata>"
	    "<RequestId>r-1</RequestId></ResponseMetadata>"
	    "</ReceiveMessageResponse>", ns, receipt,
	    md5 ? "<MD5OfBody>" : "", md5 ? md5 : "", md5 ? "</MD5OfBody>" :
	    "", body, extra) == -1)
		exit(1);
	return (s);
}

#define SQS_NS	"http://queue.amazonaws.com/doc/2012-11-05/"

static void
test_receive_fixtures(void)
{
	struct lc_batch		 b;
	struct lifecycle_event	 ev;
	char			 err[256], *buf;
	size_t			 len;

	buf = fixture("sqs-receive-message-doc.xml", &len);
	is_int(lc_parse_receive(buf, len, &b, err, sizeof(err)), 0,
	    "the API Reference's ReceiveMessage answer parses");
	is_int(b.n, 1, "one message");
	is_str(b.msg[0].id, "5fea7756-0ea4-451a-a703-a558b933e274",
	    "its MessageId");
	ok(strncmp(b.msg[0].receipt, "MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3", 32)
	    == 0 && strlen(b.msg[0].receipt) == 172, "its ReceiptHandle");
	is_int(b.msg[0].state, LC_MSG_OK, "MD5OfBody agrees with the body");
	is_str(b.msg[0].body, "This is a test message", "its Body");
	is_int(b.msg[0].receive_count, 5, "ApproximateReceiveCount 5");
	is_int(lc_parse_event(b.msg[0].body, b.msg[0].bodylen, &ev, err,
	    sizeof(err)), -1, "a body that is not JSON is refused");
	ok(strncmp(err, "not JSON: ", 10) == 0, "with its reason (%s)", err);
	lc_batch_free(&b);
	free(buf);

	buf = fixture("sqs-receive-autoscaling.xml", &len);
	is_int(lc_parse_receive(buf, len, &b, err, sizeof(err)), 0,
	    "three Auto Scaling notifications in one answer");
	is_int(b.n, 3, "three messages");
	is_int(lc_parse_event(b.msg[0].body, b.msg[0].bodylen, &ev, err,
	    sizeof(err)), 0, "the first body parses");
	is_int(ev.kind, LC_TEST, "the test notification");
	is_int(lc_parse_event(b.msg[1].body, b.msg[1].bodylen, &ev, err,
	    sizeof(err)), 0, "the second body parses");
	ok(ev.kind == LC_LAUNCH && strcmp(ev.instance,
	    "i-0598c7d356eba48d7") == 0, "a launch of i-0598c7d356eba48d7");
	is_int(lc_parse_event(b.msg[2].body, b.msg[2].bodylen, &ev, err,
	    sizeof(err)), 0, "the third body parses");
	is_int(ev.kind, LC_TERMINATE, "a termination");
	ok(b.msg[0].receive_count == 1 && b.msg[2].state == LC_MSG_OK &&
	    strcmp(b.msg[0].id, b.msg[1].id) != 0 &&
	    strcmp(b.msg[1].receipt, b.msg[2].receipt) != 0,
	    "each with its own id and receipt handle");
	lc_batch_free(&b);
	free(buf);

	buf = fixture("sqs-receive-eventbridge.xml", &len);
	is_int(lc_parse_receive(buf, len, &b, err, sizeof(err)), 0,
	    "two EventBridge events in one answer");
	is_int(b.n, 2, "two messages");
	is_int(lc_parse_event(b.msg[0].body, b.msg[0].bodylen, &ev, err,
	    sizeof(err)), 0, "the launch event parses");
	ok(ev.kind == LC_LAUNCH && ev.form == LC_FORM_EVENTBRIDGE &&
	    strcmp(ev.destination, "AutoScalingGroup") == 0,
	    "a launch into the group, from EventBridge");
	is_int(lc_parse_event(b.msg[1].body, b.msg[1].bodylen, &ev, err,
	    sizeof(err)), 0, "the terminate event parses");
	is_int(ev.kind, LC_TERMINATE, "a termination");
	lc_batch_free(&b);
	free(buf);

	buf = fixture("sqs-receive-empty.xml", &len);
	is_int(lc_parse_receive(buf, len, &b, err, sizeof(err)), 0,
	    "an answer without a message parses");
	is_int(b.n, 0, "no message");
	free(buf);
}

static void
test_receive_bad(void)
{
	struct lc_batch	 b;
	char		 err[256], *buf, *s, *big;
	size_t		 len, cut, last, bad;
	int		 i;

	/* every cut before the root closes */
	buf = fixture("sqs-receive-autoscaling.xml", &len);
	last = strrchr(buf, '>') - buf;
	for (cut = 0, bad = 0; cut <= last; cut++)
		if (lc_parse_receive(buf, cut, &b, err, sizeof(err)) != -1)
			bad++;
	is_int(bad, 0, "each of the %zu truncations is refused", last + 1);
	s = subst(buf, SQS_NS, "https://sqs.us-east-2.amazonaws.com/doc/"
	    "2012-11-05/");
	is_int(receive(s, &b, err, sizeof(err)), 0,
	    "the Developer Guide's namespace (https://sqs.REGION) too");
	lc_batch_free(&b);
	free(s);
	s = subst(buf, SQS_NS, "https://queue.amazonaws.com/doc/2012-11-05/");
	is_int(receive(s, &b, err, sizeof(err)), 0, "https:// too");
	lc_batch_free(&b);
	free(s);
	s = subst(buf, SQS_NS, "http://autoscaling.amazonaws.com/doc/"
	    "2011-01-01/");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "another API's namespace is refused");
	is_str(err, "not a ReceiveMessageResponse (ReceiveMessageResponse)",
	    "with its reason");
	free(s);
	s = subst(buf, " xmlns=\"" SQS_NS "\"", "");
	is_int(receive(s, &b, err, sizeof(err)), -1, "no namespace: refused");
	free(s);
	s = subst(buf, "<Body>", "<Body xmlns=\"urn:other\">");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "an element in another namespace is refused");
	free(s);
	free(buf);

	s = one_message(SQS_NS, "rh-1", "x", NULL, "");
	is_int(receive(s, &b, err, sizeof(err)), 0,
	    "a message without MD5OfBody is taken as it is");
	lc_batch_free(&b);
	free(s);
	s = one_message(SQS_NS, "rh-1", "x", "0123456789abcdef0123456789abcdef",
	    "");
	is_int(receive(s, &b, err, sizeof(err)), 0,
	    "an MD5OfBody that disagrees: the answer parses");
	ok(b.n == 1 && b.msg[0].state == LC_MSG_CORRUPT &&
	    b.msg[0].body == NULL && strcmp(b.msg[0].receipt, "rh-1") == 0,
	    "the message is CORRUPT, its body dropped, its handle kept");
	lc_batch_free(&b);
	free(s);
	s = one_message(SQS_NS, "rh-1", "x", "9DD4E461268C8034F5C8564E155C67A6",
	    "");
	is_int(receive(s, &b, err, sizeof(err)), 0, "MD5OfBody in upper case");
	is_int(b.msg[0].state, LC_MSG_OK, "agrees");
	lc_batch_free(&b);
	free(s);
	s = one_message(SQS_NS, "rh-1", "x", "9dd4e461268c8034f5c8564e155c67a",
	    "");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "an MD5OfBody of 31 digits is refused");
	is_str(err, "bad MD5OfBody", "with its reason");
	free(s);

	/* sizes */
	if ((big = malloc(LC_BODY_MAX + 2)) == NULL)
		exit(1);
	memset(big, 'a', LC_BODY_MAX + 1);
	big[LC_BODY_MAX + 1] = '\0';
	s = one_message(SQS_NS, "rh-1", big, NULL, "");
	is_int(receive(s, &b, err, sizeof(err)), 0,
	    "a body over %d bytes: the answer parses", LC_BODY_MAX);
	ok(b.n == 1 && b.msg[0].state == LC_MSG_TOOLONG &&
	    b.msg[0].body == NULL && strcmp(b.msg[0].receipt, "rh-1") == 0,
	    "the message is TOOLONG, its body dropped, its handle kept");
	lc_batch_free(&b);
	free(s);
	big[LC_BODY_MAX] = '\0';
	s = one_message(SQS_NS, "rh-1", big, NULL, "");
	is_int(receive(s, &b, err, sizeof(err)), 0, "a body of %d bytes",
	    LC_BODY_MAX);
	ok(b.msg[0].state == LC_MSG_OK && b.msg[0].bodylen == LC_BODY_MAX,
	    "is kept whole");
	lc_batch_free(&b);
	free(s);
	big[LC_RECEIPT_MAX] = '\0';
	s = one_message(SQS_NS, big, "x", NULL, "");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "a ReceiptHandle of %d bytes is refused", LC_RECEIPT_MAX);
	is_str(err, "ReceiptHandle over 1024 bytes", "with its reason");
	free(s);
	big[LC_RECEIPT_MAX - 1] = '\0';
	s = one_message(SQS_NS, big, "x", NULL, "");
	is_int(receive(s, &b, err, sizeof(err)), 0,
	    "one of %d bytes is taken", LC_RECEIPT_MAX - 1);
	lc_batch_free(&b);
	free(s);
	free(big);
	{
		char	 many[8192];
		size_t	 o;

		o = snprintf(many, sizeof(many), "<ReceiveMessageResponse "
		    "xmlns=\"%s\"><ReceiveMessageResult>", SQS_NS);
		for (i = 0; i < LC_MSG_MAX + 1; i++)
			o += snprintf(many + o, sizeof(many) - o, "<Message>"
			    "<MessageId>m%d</MessageId><ReceiptHandle>r%d"
			    "</ReceiptHandle><Body>b</Body></Message>", i, i);
		snprintf(many + o, sizeof(many) - o,
		    "</ReceiveMessageResult></ReceiveMessageResponse>");
		is_int(receive(many, &b, err, sizeof(err)), -1,
		    "eleven messages are refused");
		is_str(err, "more than 10 messages", "with its reason");
	}

	/* shapes */
	s = one_message(SQS_NS, "rh-1", "x", NULL, "<Body>y</Body>");
	is_int(receive(s, &b, err, sizeof(err)), -1, "two Body: refused");
	is_str(err, "a Message with two Body", "with its reason");
	free(s);
	s = one_message(SQS_NS, "rh-1", "x", NULL,
	    "<ReceiptHandle>rh-2</ReceiptHandle>");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "two ReceiptHandle: refused");
	free(s);
	s = one_message(SQS_NS, "rh 1", "x", NULL, "");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "a ReceiptHandle with a space is refused");
	is_str(err, "bad ReceiptHandle", "with its reason");
	free(s);
	s = one_message(SQS_NS, "", "x", NULL, "");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "an empty ReceiptHandle is refused");
	free(s);
	s = strdup("<ReceiveMessageResponse xmlns=\"" SQS_NS "\">"
	    "<ReceiveMessageResult><Message><MessageId>m</MessageId>"
	    "<Body>b</Body></Message></ReceiveMessageResult>"
	    "</ReceiveMessageResponse>");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "a Message without ReceiptHandle is refused");
	is_str(err, "a Message without ReceiptHandle", "with its reason");
	free(s);
	s = one_message(SQS_NS, "rh-1", "x<b>y</b>", NULL, "");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "an element inside Body is refused");
	free(s);
	s = one_message(SQS_NS, "rh-1", "{&quot;a&quot;: &lt;1&gt;}", NULL,
	    "<Future>x</Future><MessageAttribute><Name>n</Name><Value>"
	    "<StringValue>v</StringValue><DataType>String</DataType></Value>"
	    "</MessageAttribute><Attribute><Name>SenderId</Name><Value>"
	    "AROAJAX47FVHAZCREOERO:4d130edab0034a0296ffb3c44a6dfe79</Value>"
	    "</Attribute>");
	is_int(receive(s, &b, err, sizeof(err)), 0,
	    "MessageAttribute, other attributes and new elements are skipped");
	is_str(b.msg[0].body, "{\"a\": <1>}", "the body unescaped");
	lc_batch_free(&b);
	free(s);
	s = one_message(SQS_NS, "rh-1", "x", NULL, "<Attribute><Name>"
	    "ApproximateReceiveCount</Name><Value>-1</Value></Attribute>");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "a bad ApproximateReceiveCount is refused");
	free(s);
	s = strdup("<ReceiveMessageResponse xmlns=\"" SQS_NS "\">"
	    "<ReceiveMessageResult/><ReceiveMessageResult/>"
	    "</ReceiveMessageResponse>");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "ReceiveMessageResult twice is refused");
	free(s);
	s = strdup("<ReceiveMessageResponse xmlns=\"" SQS_NS "\">"
	    "<ResponseMetadata/></ReceiveMessageResponse>");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "no ReceiveMessageResult is refused");
	is_str(err, "no ReceiveMessageResult in the answer", "with its reason");
	free(s);
	s = strdup("<ReceiveMessageResponse xmlns=\"" SQS_NS "\">"
	    "<ReceiveMessageResult/><Surprise/></ReceiveMessageResponse>");
	is_int(receive(s, &b, err, sizeof(err)), -1,
	    "an unknown element in the envelope is refused");
	free(s);
	is_int(receive("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"e\">]>"
	    "<ReceiveMessageResponse xmlns=\"" SQS_NS "\">&e;"
	    "</ReceiveMessageResponse>", &b, err, sizeof(err)), -1,
	    "a DOCTYPE is refused");
	buf = fixture("sqs-error-receipt-handle.xml", &len);
	is_int(lc_parse_receive(buf, len, &b, err, sizeof(err)), -1,
	    "an ErrorResponse is not an answer");
	free(buf);
}

static void
test_errors_and_acks(void)
{
	static const struct {
		const char	*file, *action;
	} acks[] = {
		{ "sqs-delete-message.xml", "DeleteMessage" },
		{ "complete-lifecycle-action.xml", "CompleteLifecycleAction" },
		{ "record-lifecycle-action-heartbeat.xml",
		    "RecordLifecycleActionHeartbeat" },
	};
	static const struct {
		const char	*file, *code;
	} errs[] = {
		{ "sqs-error-receipt-handle.xml", "ReceiptHandleIsInvalid" },
		{ "sqs-error-nonexistent-queue.xml",
		    "AWS.SimpleQueueService.NonExistentQueue" },
		{ "error-no-active-lifecycle-action.xml", "ValidationError" },
	};
	char		 err[256], code[128], msg[256], *buf;
	size_t		 len, i;

	for (i = 0; i < sizeof(acks) / sizeof(acks[0]); i++) {
		buf = fixture(acks[i].file, &len);
		is_int(lc_parse_ack(buf, len, acks[i].action, err,
		    sizeof(err)), 0, "%s: success", acks[i].file);
		is_int(lc_parse_ack(buf, len, i == 0 ?
		    "CompleteLifecycleAction" : "DeleteMessage", err,
		    sizeof(err)), -1, "%s: not another action's", acks[i].file);
		free(buf);
	}
	is_int(lc_parse_ack("<DescribeAutoScalingGroupsResponse/>", 36,
	    "DescribeAutoScalingGroups", err, sizeof(err)), -1,
	    "an action not of ours is refused");
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		buf = fixture(errs[i].file, &len);
		is_int(lc_parse_ack(buf, len, "DeleteMessage", err,
		    sizeof(err)), -1, "%s: not a success", errs[i].file);
		is_int(aws_parse_error(buf, len, code, sizeof(code), msg,
		    sizeof(msg)), 0, "%s: aws_parse_error reads it",
		    errs[i].file);
		is_str(code, errs[i].code, "its code");
		free(buf);
	}
	buf = fixture("error-no-active-lifecycle-action.xml", &len);
	(void)aws_parse_error(buf, len, code, sizeof(code), msg, sizeof(msg));
	is_str(msg, "No active Lifecycle Action found with token "
	    "f66c3d47-e602-4af0-8edd-d4e4d2fe4620", "and its message");
	free(buf);
}

static int
event(const char *body, struct lifecycle_event *ev, char *err, size_t n)
{
	return (lc_parse_event(body, strlen(body), ev, err, n));
}

static void
test_event_fixtures(void)
{
	struct lifecycle_event	 ev;
	char			 err[256], *buf;
	size_t			 len;

	buf = fixture("asg-launch.json", &len);
	is_int(lc_parse_event(buf, len, &ev, err, sizeof(err)), 0,
	    "asg-launch.json parses");
	ok(ev.kind == LC_LAUNCH && ev.form == LC_FORM_AUTOSCALING,
	    "a launch, Auto Scaling's own notification");
	is_str(ev.instance, "i-0598c7d356eba48d7", "its instance");
	is_str(ev.group, "my-asg", "its group");
	is_str(ev.hook, "my-hook", "its hook");
	is_str(ev.token, "71514b9d-6a40-4b26-8523-05e7ee35fa40", "its token");
	ok(ev.origin[0] == '\0' && ev.destination[0] == '\0',
	    "no Origin, no Destination");
	free(buf);

	buf = fixture("asg-terminate.json", &len);
	is_int(lc_parse_event(buf, len, &ev, err, sizeof(err)), 0,
	    "asg-terminate.json parses");
	ok(ev.kind == LC_TERMINATE && strcmp(ev.instance,
	    "i-0598c7d356eba48d7") == 0 && strcmp(ev.hook, "my-hook") == 0,
	    "a termination of i-0598c7d356eba48d7 (my-hook)");
	ok(ev.when_ms == 1611016586533LL, "its Time, 2021-01-19T00:36:26.533Z "
	    "(%lld)", (long long)ev.when_ms);
	free(buf);

	buf = fixture("asg-test-notification.json", &len);
	is_int(lc_parse_event(buf, len, &ev, err, sizeof(err)), 0,
	    "asg-test-notification.json parses");
	ok(ev.kind == LC_TEST && strcmp(ev.group, "my-asg") == 0 &&
	    ev.instance[0] == '\0' && ev.token[0] == '\0',
	    "TEST, for my-asg, no instance, no token");
	is_str(lc_kind_name(ev.kind), "test", "its name");
	free(buf);

	buf = fixture("eventbridge-launch.json", &len);
	is_int(lc_parse_event(buf, len, &ev, err, sizeof(err)), 0,
	    "eventbridge-launch.json parses");
	ok(ev.kind == LC_LAUNCH && ev.form == LC_FORM_EVENTBRIDGE,
	    "a launch, from EventBridge");
	is_str(ev.instance, "i-1234567890abcdef0", "its instance");
	is_str(ev.group, "my-asg", "its group");
	is_str(ev.hook, "my-lifecycle-hook", "its hook");
	is_str(ev.token, "87654321-4321-4321-4321-210987654321", "its token");
	is_str(ev.origin, "EC2", "Origin EC2");
	is_str(ev.destination, "AutoScalingGroup",
	    "Destination AutoScalingGroup");
	free(buf);

	buf = fixture("eventbridge-terminate.json", &len);
	is_int(lc_parse_event(buf, len, &ev, err, sizeof(err)), 0,
	    "eventbridge-terminate.json parses");
	ok(ev.kind == LC_TERMINATE && strcmp(ev.instance,
	    "i-1234567890abcdef0") == 0 && ev.origin[0] == '\0',
	    "a termination, without Origin");
	ok(ev.when_ms == 0, "its time, the documentation's placeholder, not "
	    "a time");
	free(buf);
}

/* Time: the hook's timeout is counted from it; a bad one is only none */
static void
test_event_time(void)
{
	static const struct {
		const char	*time;
		long long	 ms;
	} t[] = {
		{ "2021-01-19T00:36:26.533Z", 1611016586533LL },
		{ "2021-01-19T00:36:26Z", 1611016586000LL },
		{ "2021-01-19T00:36:26.5Z", 1611016586500LL },
		{ "2021-01-19T00:36:26.123456789Z", 1611016586123LL },
		{ "2024-02-29T23:59:59.999Z", 1709251199999LL },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2021-01-19T00:36:26.Z", 0 },
		{ "2021-01-19T00:36:26.1234567890Z", 0 },
		{ "2021-01-19T00:36:26.533", 0 },
		{ "2021-01-19 00:36:26Z", 0 },
		{ "2021-02-30T00:00:00Z", 0 },
		{ "2021-13-01T00:00:00Z", 0 },
		{ "2021-01-19T24:00:00Z", 0 },
		{ "2021-01-19T00:36:26+01:00", 0 },
		{ "+021-01-19T00:36:26Z", 0 },
		{ "2021-01-19T00:3a:26Z", 0 },
		{ "", 0 },
	};
	struct lifecycle_event	 ev;
	char			 body[1024], err[256];
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(body, sizeof(body), "{\"Service\": \"AWS Auto "
		    "Scaling\", \"Time\": \"%s\", \"LifecycleTransition\": "
		    "\"autoscaling:EC2_INSTANCE_TERMINATING\", "
		    "\"EC2InstanceId\": \"i-0598c7d356eba48d7\", "
		    "\"AutoScalingGroupName\": \"my-asg\", "
		    "\"LifecycleHookName\": \"h\", \"LifecycleActionToken\": "
		    "\"71514b9d-6a40-4b26-8523-05e7ee35fa40\"}", t[i].time);
		ok(event(body, &ev, err, sizeof(err)) == 0 &&
		    ev.when_ms == t[i].ms, "Time \"%s\": %lld (%lld)",
		    t[i].time, t[i].ms, (long long)ev.when_ms);
	}
	snprintf(body, sizeof(body), "{\"version\": \"0\", \"source\": "
	    "\"aws.autoscaling\", \"time\": \"2021-01-19T00:36:26Z\", "
	    "\"detail-type\": \"EC2 Instance-terminate Lifecycle Action\", "
	    "\"detail\": {\"LifecycleTransition\": "
	    "\"autoscaling:EC2_INSTANCE_TERMINATING\", "
	    "\"EC2InstanceId\": \"i-0598c7d356eba48d7\", "
	    "\"AutoScalingGroupName\": \"my-asg\", "
	    "\"LifecycleHookName\": \"h\", \"LifecycleActionToken\": "
	    "\"71514b9d-6a40-4b26-8523-05e7ee35fa40\"}}");
	ok(event(body, &ev, err, sizeof(err)) == 0 &&
	    ev.when_ms == 1611016586000LL, "EventBridge's time (%lld)",
	    (long long)ev.when_ms);
}

static void
test_event_other(void)
{
	struct lifecycle_event	 ev;
	char			 err[256], *buf, *s;
	size_t			 len;

	/* the event reference's "EC2 Instance Launch Successful" */
	is_int(event("{\"version\": \"0\", \"id\": \"12345678-1234-1234-1234-"
	    "123456789012\", \"detail-type\": \"EC2 Instance Launch "
	    "Successful\", \"source\": \"aws.autoscaling\", \"account\": "
	    "\"123456789012\", \"time\": \"yyyy-mm-ddThh:mm:ssZ\", "
	    "\"region\": \"us-west-2\", \"resources\": [\"auto-scaling-group-"
	    "arn\", \"instance-arn\"], \"detail\": {\"StatusCode\": "
	    "\"InProgress\", \"EC2InstanceId\": \"i-1234567890abcdef0\"}}",
	    &ev, err, sizeof(err)), 0, "a scaling event parses");
	ok(ev.kind == LC_OTHER && strcmp(ev.what,
	    "EC2 Instance Launch Successful") == 0, "as OTHER, named");
	is_int(event("{\"source\": \"aws.ec2\", \"detail-type\": \"EC2 "
	    "Instance State-change Notification\", \"detail\": {}}", &ev, err,
	    sizeof(err)), 0, "another source's event parses");
	ok(ev.kind == LC_OTHER && strcmp(ev.what, "aws.ec2") == 0,
	    "as OTHER, by its source");
	is_int(event("{\"Service\": \"AWS Auto Scaling\", \"Event\": "
	    "\"autoscaling:EC2_INSTANCE_LAUNCH\", \"AutoScalingGroupName\": "
	    "\"my-asg\"}", &ev, err, sizeof(err)), 0,
	    "a group notification parses");
	ok(ev.kind == LC_OTHER && strcmp(ev.what,
	    "autoscaling:EC2_INSTANCE_LAUNCH") == 0, "as OTHER");
	buf = fixture("asg-launch.json", &len);
	s = subst(buf, "EC2_INSTANCE_LAUNCHING", "EC2_INSTANCE_HIBERNATING");
	is_int(event(s, &ev, err, sizeof(err)), 0,
	    "a transition not known parses");
	is_int(ev.kind, LC_OTHER, "as OTHER");
	free(s);
	s = subst(buf, "\"AWS Auto Scaling\"", "\"AWS Something\"");
	is_int(event(s, &ev, err, sizeof(err)), 0, "another Service parses");
	is_int(ev.kind, LC_OTHER, "as OTHER");
	free(s);
	s = subst(buf, "\"Time\"", "\"Future\":{\"a\":[1,{\"b\":null}]},"
	    "\"Time\"");
	is_int(event(s, &ev, err, sizeof(err)), 0,
	    "a field AWS may add is skipped");
	is_int(ev.kind, LC_LAUNCH, "still a launch");
	free(s);
	s = subst(buf, "\"hook message metadata\"", "null");
	is_int(event(s, &ev, err, sizeof(err)), 0,
	    "NotificationMetadata null is taken");
	free(s);
	free(buf);
}

struct refusal {
	const char	*from, *to, *reason, *what;
};

static void
test_event_bad(void)
{
	static const struct refusal	 asg[] = {
		{ "\"i-0598c7d356eba48d7\"", "17", "EC2InstanceId is not a "
		    "string", "an instance id of the wrong type" },
		{ "\"i-0598c7d356eba48d7\"", "\"i-0598c7d356eba48dz\"",
		    "bad EC2InstanceId", "a bad instance id" },
		{ "\"my-hook\"", "\"my hook\"", "bad LifecycleHookName",
		    "a hook name with a space" },
		{ "\"my-asg\"", "\"\"", "bad AutoScalingGroupName",
		    "an empty group name" },
		{ "\"71514b9d-6a40-4b26-8523-05e7ee35fa40\"",
		    "\"71514b9d-6a40-4b26-8523-05e7ee35fa4\"",
		    "bad LifecycleActionToken", "a token of 35 characters" },
		{ ",\"LifecycleActionToken\":\"71514b9d-6a40-4b26-8523-"
		    "05e7ee35fa40\"", "", "no LifecycleActionToken",
		    "no token" },
		{ "\"hook message metadata\"", "7",
		    "NotificationMetadata is not a string",
		    "NotificationMetadata of the wrong type" },
		{ "\"Time\"", "\"EC2InstanceId\":\"i-0598c7d356eba48d7\","
		    "\"Time\"", "field \"EC2InstanceId\" given twice",
		    "an instance id given twice" },
		{ "\"Time\"", "\"\\u0045C2InstanceId\":\"i-0598c7d356eba48d7\","
		    "\"Time\"", "field \"EC2InstanceId\" given twice",
		    "the same, its name escaped" },
		{ "\"Time\"", "\"x\":{\"a\":1,\"a\":2},\"Time\"",
		    "field \"a\" given twice",
		    "a repeated field in a field not read" },
		{ "{", "[{", "not JSON: truncated",
		    "an unbalanced array" },
		{ "\"AWS Auto Scaling\"", "[\"AWS Auto Scaling\"]",
		    "Service is not a string", "a Service of the wrong type" },
		{ ",\"LifecycleTransition\":\"autoscaling:EC2_INSTANCE_"
		    "LAUNCHING\"", "", "an Auto Scaling message without Event "
		    "or LifecycleTransition", "no transition" },
		{ "my-asg", "my\\u0001asg", "bad AutoScalingGroupName",
		    "a control character in the group name" },
		{ "my-asg", "my\\u0000asg", "AutoScalingGroupName holds a NUL",
		    "a NUL in the group name" },
	};
	static const struct refusal	 eb[] = {
		{ "\"detail\": {", "\"detail\": 7, \"x\": {",
		    "no detail object", "a detail that is not an object" },
		{ "\"resources\": [\n    \"auto-scaling-group-arn\"\n  ]",
		    "\"resources\": \"auto-scaling-group-arn\"",
		    "resources is not an array", "resources not an array" },
		{ "\"auto-scaling-group-arn\"", "1",
		    "resources holds a non-string", "resources of numbers" },
		{ "autoscaling:EC2_INSTANCE_LAUNCHING",
		    "autoscaling:EC2_INSTANCE_TERMINATING",
		    "detail-type and LifecycleTransition disagree",
		    "a launch event with a terminating transition" },
		{ "\"EC2\"", "\"EC 2\"", "bad Origin", "a bad Origin" },
		{ "\"AutoScalingGroup\"", "true", "Destination is not a string",
		    "a Destination of the wrong type" },
		{ "\"detail\": {", "\"detail\": {\"LifecycleHookName\": "
		    "\"h\", ", "field \"LifecycleHookName\" given twice",
		    "a repeated field in detail" },
		{ "\"source\": \"aws.autoscaling\",", "\"source\": "
		    "\"aws.autoscaling\", \"source\": \"aws.autoscaling\",",
		    "field \"source\" given twice", "source given twice" },
	};
	struct lifecycle_event	 ev;
	char			 err[256], *buf, *s, *big;
	size_t			 len, cut, bad, i;
	int			 d;

	buf = fixture("asg-launch.json", &len);
	for (cut = 0, bad = 0; cut < len - 1; cut++)
		if (lc_parse_event(buf, cut, &ev, err, sizeof(err)) != -1 ||
		    strncmp(err, "not JSON", 8) != 0 || ev.kind != 0 ||
		    ev.instance[0] != '\0')
			bad++;
	is_int(bad, 0, "each of the %zu truncations is refused as not JSON",
	    len - 1);
	for (i = 0; i < sizeof(asg) / sizeof(asg[0]); i++) {
		s = subst(buf, asg[i].from, asg[i].to);
		is_int(event(s, &ev, err, sizeof(err)), -1, "refused: %s",
		    asg[i].what);
		is_str(err, asg[i].reason, "with its reason");
		free(s);
	}
	is_int(lc_parse_event("{\"a\":1}\0{", 9, &ev, err, sizeof(err)), -1,
	    "a NUL in the body is refused");
	is_str(err, "a NUL in the body", "with its reason");
	s = subst(buf, "}\n", "} x\n");
	is_int(event(s, &ev, err, sizeof(err)), -1,
	    "text after the object is refused");
	is_str(err, "not JSON: unexpected character", "with its reason");
	free(s);
	s = subst(buf, "hook message metadata", "hook \xc3\x28 metadata");
	is_int(event(s, &ev, err, sizeof(err)), -1,
	    "invalid UTF-8 is refused");
	free(s);
	free(buf);

	buf = fixture("eventbridge-launch.json", &len);
	for (i = 0; i < sizeof(eb) / sizeof(eb[0]); i++) {
		s = subst(buf, eb[i].from, eb[i].to);
		is_int(event(s, &ev, err, sizeof(err)), -1, "refused: %s",
		    eb[i].what);
		is_str(err, eb[i].reason, "with its reason");
		free(s);
	}
	free(buf);

	is_int(event("", &ev, err, sizeof(err)), -1, "an empty body");
	is_str(err, "not JSON: empty", "with its reason");
	is_int(event("[1, 2]", &ev, err, sizeof(err)), -1, "an array");
	is_str(err, "not a JSON object", "with its reason");
	is_int(event("{\"a\": 1}", &ev, err, sizeof(err)), -1,
	    "an object of no known form");
	is_str(err, "neither an Auto Scaling notification nor an EventBridge "
	    "event", "with its reason");
	is_int(event("{\"Type\": \"Notification\", \"TopicArn\": \"arn\", "
	    "\"Message\": \"{}\"}", &ev, err, sizeof(err)), -1,
	    "an SNS envelope");
	ok(strstr(err, "raw message delivery") != NULL,
	    "with its reason (%s)", err);

	/* nesting and sizes */
	for (d = 7; d <= 8; d++) {
		char	 nest[256];
		int	 j, o;

		o = snprintf(nest, sizeof(nest), "{\"Service\": \"AWS Auto "
		    "Scaling\", \"Event\": \"e\", \"x\": ");
		for (j = 0; j < d; j++)
			o += snprintf(nest + o, sizeof(nest) - o, "[");
		for (j = 0; j < d; j++)
			o += snprintf(nest + o, sizeof(nest) - o, "]");
		snprintf(nest + o, sizeof(nest) - o, "}");
		is_int(event(nest, &ev, err, sizeof(err)), d == 7 ? 0 : -1,
		    "%d levels of nesting: %s", d + 1, d == 7 ? "taken" :
		    "refused");
	}
	if ((big = malloc(LC_BODY_MAX + 64)) == NULL)
		exit(1);
	len = snprintf(big, 64, "{\"Service\": \"AWS Auto Scaling\", "
	    "\"x\": \"");
	memset(big + len, 'a', LC_BODY_MAX + 1 - len - 2);
	strlcpy(big + LC_BODY_MAX + 1 - 2, "\"}", 3);
	is_int(event(big, &ev, err, sizeof(err)), -1, "a body of %d bytes",
	    LC_BODY_MAX + 1);
	is_str(err, "body over 16384 bytes", "with its reason");
	free(big);
	{
		char	 many[2048];
		int	 j, o;

		o = snprintf(many, sizeof(many), "{\"Service\": \"x\"");
		for (j = 0; j < 48; j++)
			o += snprintf(many + o, sizeof(many) - o,
			    ", \"f%d\": %d", j, j);
		snprintf(many + o, sizeof(many) - o, "}");
		is_int(event(many, &ev, err, sizeof(err)), -1,
		    "49 fields in an object");
		is_str(err, "more than 48 fields in an object",
		    "with its reason");
	}
}

static void
test_queries(void)
{
	char	*q;

	q = lc_query_receive("https://sqs.us-east-1.amazonaws.com/"
	    "123456789012/my-queue", 10, 20, 60);
	is_str(q, "Action=ReceiveMessage&Version=2012-11-05&QueueUrl=https%3A"
	    "%2F%2Fsqs.us-east-1.amazonaws.com%2F123456789012%2Fmy-queue&"
	    "AttributeName.1=ApproximateReceiveCount&MaxNumberOfMessages=10&"
	    "VisibilityTimeout=60&WaitTimeSeconds=20", "ReceiveMessage");
	free(q);
	q = lc_query_receive("u", 1, 0, -1);
	is_str(q, "Action=ReceiveMessage&Version=2012-11-05&QueueUrl=u&"
	    "AttributeName.1=ApproximateReceiveCount&MaxNumberOfMessages=1&"
	    "WaitTimeSeconds=0", "ReceiveMessage, the queue's visibility");
	free(q);
	ok(lc_query_receive("u", 11, 0, 0) == NULL &&
	    lc_query_receive("u", 0, 0, 0) == NULL &&
	    lc_query_receive("u", 1, 21, 0) == NULL &&
	    lc_query_receive("u", 1, 0, 43201) == NULL &&
	    lc_query_receive("", 1, 0, 0) == NULL,
	    "ReceiveMessage: what SQS would refuse is not asked");
	q = lc_query_delete("u", "MbZj6+/w=");
	is_str(q, "Action=DeleteMessage&Version=2012-11-05&QueueUrl=u&"
	    "ReceiptHandle=MbZj6%2B%2Fw%3D", "DeleteMessage, handle encoded");
	free(q);
	ok(lc_query_delete("u", "") == NULL, "DeleteMessage needs a handle");
	q = lc_query_complete("my-asg", "my-hook",
	    "71514b9d-6a40-4b26-8523-05e7ee35fa40", NULL, "CONTINUE");
	is_str(q, "Action=CompleteLifecycleAction&Version=2011-01-01&"
	    "AutoScalingGroupName=my-asg&LifecycleHookName=my-hook&"
	    "LifecycleActionToken=71514b9d-6a40-4b26-8523-05e7ee35fa40&"
	    "LifecycleActionResult=CONTINUE",
	    "CompleteLifecycleAction by token");
	free(q);
	q = lc_query_complete("my asg", "h", NULL, "i-0598c7d356eba48d7",
	    "ABANDON");
	is_str(q, "Action=CompleteLifecycleAction&Version=2011-01-01&"
	    "AutoScalingGroupName=my%20asg&LifecycleHookName=h&"
	    "InstanceId=i-0598c7d356eba48d7&LifecycleActionResult=ABANDON",
	    "CompleteLifecycleAction by instance");
	free(q);
	ok(lc_query_complete("g", "h", "t", NULL, "MAYBE") == NULL &&
	    lc_query_complete("g", "h", NULL, NULL, "CONTINUE") == NULL &&
	    lc_query_complete("", "h", "t", NULL, "CONTINUE") == NULL,
	    "CompleteLifecycleAction: a result, a token or an instance");
	q = lc_query_heartbeat("my-asg", "my-hook", "t", NULL);
	is_str(q, "Action=RecordLifecycleActionHeartbeat&Version=2011-01-01&"
	    "AutoScalingGroupName=my-asg&LifecycleHookName=my-hook&"
	    "LifecycleActionToken=t", "RecordLifecycleActionHeartbeat");
	free(q);
	ok(lc_query_heartbeat("g", "h", "", "") == NULL,
	    "RecordLifecycleActionHeartbeat: a token or an instance");
}

/* The fake's group with instances waiting on hooks: waiting is not ready */
static void
test_asg_wait(void)
{
	struct aws_asg_page	 p;
	char			 err[256], *buf;
	size_t			 len;

	memset(&p, 0, sizeof(p));
	buf = fixture("describe-auto-scaling-groups-wait.xml", &len);
	is_int(aws_parse_asg(buf, len, &p, err, sizeof(err)), 0,
	    "DescribeAutoScalingGroups with instances in wait states parses");
	is_int(p.nlisted, 5, "five instances listed");
	is_int(p.nids, 1, "one InService: the waiting ones are not ready");
	aws_asg_page_free(&p);
	free(buf);
}

/*
 * -r FILE: FILE as a ReceiveMessage answer, one line a message (kind,
 * instance, group, hook, token, or the reason), for regress/
 * aws-lifecycle-fake.t to check the fake's answers against this parser.
 */
static int
read_answer(const char *path)
{
	struct lc_batch		 b;
	struct lifecycle_event	 ev;
	char			 err[256], *buf;
	size_t			 len, i;

	fixdir = path[0] == '/' ? "" : ".";
	buf = fixture(path, &len);
	if (lc_parse_receive(buf, len, &b, err, sizeof(err)) == -1) {
		printf("answer refused: %s\n", err);
		return (1);
	}
	for (i = 0; i < b.n; i++) {
		if (b.msg[i].state != LC_MSG_OK)
			printf("state %d\n", b.msg[i].state);
		else if (lc_parse_event(b.msg[i].body, b.msg[i].bodylen, &ev,
		    err, sizeof(err)) == -1)
			printf("body refused: %s\n", err);
		else
			printf("%s %s %s %s %s %s\n", lc_kind_name(ev.kind),
			    ev.instance[0] ? ev.instance : "-",
			    ev.group[0] ? ev.group : "-",
			    ev.hook[0] ? ev.hook : "-",
			    ev.token[0] ? ev.token : "-",
			    ev.form == LC_FORM_EVENTBRIDGE ? "eventbridge" :
			    "autoscaling");
	}
	lc_batch_free(&b);
	free(buf);
	return (0);
}

int
main(int argc, char *argv[])
{
	static char	 d[1024];

	if (argc == 3 && strcmp(argv[1], "-r") == 0)
		return (read_answer(argv[2]));
	if ((fixdir = getenv("EP2D_FIXTURES")) == NULL)
		fixdir = "regress/fixtures";
	snprintf(d, sizeof(d), "%s/aws-lifecycle", fixdir);
	fixdir = d;
	log_init(1, 0);
	log_setverbose(0);
	test_receive_fixtures();
	test_receive_bad();
	test_errors_and_acks();
	test_event_fixtures();
	test_event_other();
	test_event_time();
	test_event_bad();
	test_queries();
	test_asg_wait();
	return (done_testing());
}
