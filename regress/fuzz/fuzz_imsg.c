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

/* imsg framing: arbitrary bytes from a peer never crash imsg_get. */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <unistd.h>

#include "imsg.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct imsgbuf	 ib;
	struct imsg	 imsg;
	uint32_t	 v;
	int		 sv[2];
	size_t		 off = 0, chunk;
	ssize_t		 n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return (0);
	if (imsgbuf_init(&ib, sv[1]) == -1)
		goto out;
	/* the first byte picks a smaller maxsize now and then */
	if (len > 0 && data[0] & 1)
		imsgbuf_set_maxsize(&ib, 64 + data[0]);
	while (off < len) {
		chunk = len - off > 4096 ? 4096 : len - off;
		if (write(sv[0], data + off, chunk) != (ssize_t)chunk)
			break;
		off += chunk;
		if (imsgbuf_read(&ib) != 1)
			break;
		while ((n = imsg_get(&ib, &imsg)) == 1) {
			if (imsg_get_len(&imsg) == sizeof(v))
				(void)imsg_get_data(&imsg, &v, sizeof(v));
			imsg_free(&imsg);
		}
		if (n == -1)
			break;
	}
	imsgbuf_clear(&ib);
out:
	close(sv[0]);
	close(sv[1]);
	return (0);
}
