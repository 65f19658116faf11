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
 * HAProxy's runtime answers as runtime.c reads them: show info, show
 * servers state, show stat, and the answer checks; nothing a socket
 * says crashes the parent.  The first byte picks the parser.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ep2d.h"
#include "haproxy.h"
#include "log.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct hap_info	 info;
	struct hap_srv	*srv = NULL, stat[8];
	size_t		 n = 0;
	char		*buf;
	int		 e;

	fuzz_log_init();
	if (len < 1)
		return (0);
	if ((buf = fuzz_cstr(data + 1, len - 1)) == NULL)
		return (0);
	switch (data[0] % 4) {
	case 0:
		(void)hap_parse_info(buf, &info);
		break;
	case 1:
		if (hap_parse_servers_state(buf, "haproxynode", &srv,
		    &n) == 0)
			free(srv);
		break;
	case 2:
		memset(stat, 0, sizeof(stat));
		(void)hap_parse_stat(buf, "haproxynode", stat, 8);
		break;
	case 3:
		for (e = HAP_EMPTY; e <= HAP_TEXT; e++)
			(void)hap_answer_ok((enum hap_expect)e, buf, len - 1);
		(void)hap_line_ok(buf);
		(void)hap_name_ok(buf);
		break;
	}
	free(buf);
	return (0);
}
