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
 * What a lifecycle hook's queue sends: SQS's ReceiveMessage XML (each
 * body it yields read as a notification too), a message body alone,
 * and the answers of DeleteMessage, CompleteLifecycleAction and
 * RecordLifecycleActionHeartbeat; the first byte picks.  What comes out
 * must be what the parsers promise: bounded, checked, terminated.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ep2d.h"
#include "aws.h"
#include "aws_lifecycle.h"
#include "log.h"
#include "fuzz.h"

static void
check_event(const char *body, size_t len)
{
	struct lifecycle_event	 ev;
	char			 err[256];

	if (lc_parse_event(body, len, &ev, err, sizeof(err)) == -1) {
		if (err[0] == '\0' || ev.kind != 0 || ev.instance[0] != '\0')
			abort();
		return;
	}
	switch (ev.kind) {
	case LC_LAUNCH:
	case LC_TERMINATE:
		if (strncmp(ev.instance, "i-", 2) != 0 ||
		    strlen(ev.token) != LC_TOKEN_LEN || ev.hook[0] == '\0' ||
		    ev.group[0] == '\0')
			abort();
		break;
	case LC_TEST:
		if (ev.group[0] == '\0')
			abort();
		break;
	case LC_OTHER:
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char	*acts[] = { "DeleteMessage",
				    "CompleteLifecycleAction",
				    "RecordLifecycleActionHeartbeat" };
	struct lc_batch		 b;
	char			 err[256], *buf;
	size_t			 i;

	fuzz_log_init();
	if (len < 1)
		return (0);
	if ((buf = fuzz_cstr(data + 1, len - 1)) == NULL)
		return (0);
	switch (data[0] % 3) {
	case 0:
		if (lc_parse_receive(buf, len - 1, &b, err, sizeof(err)) ==
		    0) {
			if (b.n > LC_MSG_MAX)
				abort();
			for (i = 0; i < b.n; i++) {
				if (b.msg[i].receipt[0] == '\0' ||
				    b.msg[i].id[0] == '\0' ||
				    (b.msg[i].state == LC_MSG_OK) !=
				    (b.msg[i].body != NULL))
					abort();
				if (b.msg[i].body != NULL)
					check_event(b.msg[i].body,
					    b.msg[i].bodylen);
			}
			lc_batch_free(&b);
		}
		break;
	case 1:
		check_event(buf, len - 1);
		break;
	case 2:
		(void)lc_parse_ack(buf, len - 1, acts[(data[0] >> 2) % 3], err,
		    sizeof(err));
		break;
	}
	free(buf);
	return (0);
}
