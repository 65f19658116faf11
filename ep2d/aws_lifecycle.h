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
 * Auto Scaling lifecycle hooks, the pure part: the SQS answers and the
 * notifications they carry, read strictly, and the Query request bodies
 * of the calls that answer a hook.  aws_lifecycle.c (the XML, the
 * requests) and aws_lifecycle_event.c (the JSON bodies) do no I/O; the
 * fetcher's poll of the queue will call them, and
 * regress/unit/test_awslc.c and regress/fuzz/fuzz_awslc.c feed them.
 */

#ifndef EP2D_AWS_LIFECYCLE_H
#define EP2D_AWS_LIFECYCLE_H

#include <sys/types.h>

#include "aws.h"

#define LC_MSG_MAX	10		/* ReceiveMessage: 1 to 10 a call */
#define LC_MSGID_MAX	128		/* MessageId: a UUID, with room */
#define LC_RECEIPT_MAX	1025		/* ReceiptHandle: at most 1024 */
#define LC_BODY_MAX	(16 * 1024)	/* a notification is about 1 KB */
#define LC_NAME_MAX	256		/* group and hook names: 1 to 255 */
#define LC_TOKEN_LEN	36		/* LifecycleActionToken: a UUID */
#define LC_WHAT_MAX	64
#define LC_PLACE_MAX	32		/* Origin, Destination */
#define LC_ANSWER_MAX	(16 * 1024 * 1024) /* 10 messages of 1 MiB, escaped */

#define LC_WAIT_MAX	20		/* WaitTimeSeconds: 0 to 20 */
#define LC_VISIBILITY_MAX 43200		/* VisibilityTimeout: 12 hours */

/* One message of a ReceiveMessage answer. */
enum lc_msg_state {
	LC_MSG_OK,
	LC_MSG_TOOLONG,		/* body over LC_BODY_MAX: not kept */
	LC_MSG_CORRUPT		/* MD5OfBody disagrees: it comes back */
};

struct lc_message {
	char			 id[LC_MSGID_MAX];
	char			 receipt[LC_RECEIPT_MAX];
	char			*body;		/* LC_MSG_OK only, NUL ended */
	size_t			 bodylen;
	unsigned int		 receive_count;	/* 0: not asked */
	enum lc_msg_state	 state;
};

struct lc_batch {
	struct lc_message	 msg[LC_MSG_MAX];
	size_t			 n;
};

/* What a message body says. */
enum lc_kind {
	LC_LAUNCH,		/* an instance waits in Pending:Wait */
	LC_TERMINATE,		/* an instance waits in Terminating:Wait */
	LC_TEST,		/* autoscaling:TEST_NOTIFICATION */
	LC_OTHER		/* well formed, not a lifecycle action */
};

enum lc_form {
	LC_FORM_AUTOSCALING,	/* the hook's own notification */
	LC_FORM_EVENTBRIDGE	/* an EventBridge rule's event */
};

struct lifecycle_event {
	enum lc_kind	 kind;
	enum lc_form	 form;
	char		 instance[AWS_ID_MAX];		/* LAUNCH, TERMINATE */
	char		 group[LC_NAME_MAX];		/* all but OTHER */
	char		 hook[LC_NAME_MAX];		/* LAUNCH, TERMINATE */
	char		 token[LC_TOKEN_LEN + 1];	/* LAUNCH, TERMINATE */
	char		 origin[LC_PLACE_MAX];		/* "": not sent */
	char		 destination[LC_PLACE_MAX];	/* "": not sent */
	char		 what[LC_WHAT_MAX];	/* OTHER: what it was */
	int64_t		 when_ms;	/* Time, time: ms since 1970; 0: none */
};

/* -1 with one reason in the buffer; never a partial result to use */
int	 lc_parse_receive(const char *, size_t, struct lc_batch *, char *,
	    size_t);
void	 lc_batch_free(struct lc_batch *);
int	 lc_parse_event(const char *, size_t, struct lifecycle_event *,
	    char *, size_t);
int	 lc_parse_ack(const char *, size_t, const char *, char *, size_t);
const char *lc_kind_name(enum lc_kind);

/* Query request bodies, malloc'd; NULL for arguments AWS would refuse */
char	*lc_query_receive(const char *, int, int, int);
char	*lc_query_delete(const char *, const char *);
char	*lc_query_complete(const char *, const char *, const char *,
	    const char *, const char *);
char	*lc_query_heartbeat(const char *, const char *, const char *,
	    const char *);

#endif /* EP2D_AWS_LIFECYCLE_H */
