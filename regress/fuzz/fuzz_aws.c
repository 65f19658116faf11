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
 * What AWS sends: the Auto Scaling and EC2 XML answers, AWS's error
 * XML, and the credential JSON of ECS and instance metadata; the first
 * byte picks the parser.  Every address that comes out passes the one
 * address check.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ep2d.h"
#include "addr.h"
#include "aws.h"
#include "log.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct aws_asg_page	 asg;
	struct aws_ec2_page	 ec2;
	struct aws_creds	 creds;
	char			 err[256], code[128], msg[256], region[64], *buf;
	size_t			 i;

	fuzz_log_init();
	if (len < 1)
		return (0);
	if ((buf = fuzz_cstr(data + 1, len - 1)) == NULL)
		return (0);
	switch (data[0] % 5) {
	case 0:
		memset(&asg, 0, sizeof(asg));
		(void)aws_parse_asg(buf, len - 1, &asg, err, sizeof(err));
		aws_asg_page_free(&asg);
		break;
	case 1:
	case 2:
		memset(&ec2, 0, sizeof(ec2));
		if (aws_parse_instances(buf, len - 1, data[0] % 5 == 1 ?
		    IP_PRIVATE : IP_PUBLIC, &ec2, err, sizeof(err)) == 0) {
			for (i = 0; i < ec2.naddrs; i++)
				if (ec2.addrs[i].ip[0] != '\0' &&
				    !addr_valid_host(ec2.addrs[i].ip))
					abort();
		}
		aws_ec2_page_free(&ec2);
		break;
	case 3:
		(void)aws_parse_error(buf, len - 1, code, sizeof(code), msg,
		    sizeof(msg));
		break;
	case 4:
		memset(&creds, 0, sizeof(creds));
		(void)creds_parse_json(buf, len - 1, data[0] & 0x80, &creds,
		    err, sizeof(err));
		memset(&creds, 0, sizeof(creds));
		(void)creds_parse_file(buf, len - 1, "default",
		    data[0] & 0x40, &creds, err, sizeof(err));
		(void)creds_parse_region(buf, len - 1, "default", region,
		    sizeof(region), err, sizeof(err));
		break;
	}
	free(buf);
	return (0);
}
