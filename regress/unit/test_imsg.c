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
 * common/imsg.c: framing, header fields, partial reads and writes,
 * descriptor passing, the maximum size, truncated and broken streams.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "tap.h"

static void
pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		perror("socketpair");
		exit(2);
	}
}

static int
fd_open(int fd)
{
	return (fcntl(fd, F_GETFD) != -1);
}

static void
t_roundtrip(void)
{
	struct imsgbuf	 w, r;
	struct imsg	 imsg;
	int		 sv[2], n;
	uint32_t	 v = 0xdeadbeef, got = 0;
	char		 big[1000];

	pair(sv);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	ok(imsg_compose(&w, 7, 42, 0, -1, &v, sizeof(v)) == 1,
	    "compose returns 1");
	ok(imsg_compose(&w, 8, 0, 1234, -1, NULL, 0) == 1,
	    "compose without data");
	memset(big, 'x', sizeof(big));
	ok(imsg_compose(&w, 9, 1, 0, -1, big, sizeof(big)) == 1,
	    "compose 1000 bytes");
	is_int(imsgbuf_queuelen(&w), 3, "three messages queued");
	is_int(imsgbuf_queuebytes(&w), 3 * IMSG_HEADER_SIZE + sizeof(v) +
	    sizeof(big), "their bytes counted");
	ok(imsgbuf_write(&w) == 0, "write");
	is_int(imsgbuf_queuelen(&w), 0, "queue empty after write");
	is_int(imsgbuf_queuebytes(&w), 0, "no bytes queued after write");
	ok(imsgbuf_read(&r) == 1, "read");

	ok(imsg_get(&r, &imsg) == 1, "first message whole");
	is_int(imsg_get_type(&imsg), 7, "type");
	is_int(imsg_get_id(&imsg), 42, "peerid");
	is_int(imsg_get_pid(&imsg), getpid(), "pid 0 means the sender's pid");
	is_int(imsg_get_len(&imsg), 4, "length");
	ok(imsg_get_data(&imsg, &got, sizeof(got)) == 0 && got == v,
	    "data");
	ok(imsg_get_data(&imsg, big, 8) == -1 && errno == EBADMSG,
	    "get_data with a wrong length fails with EBADMSG");
	is_int(imsg_get_fd(&imsg), -1, "no descriptor");
	imsg_free(&imsg);

	ok(imsg_get(&r, &imsg) == 1, "second message");
	is_int(imsg_get_pid(&imsg), 1234, "explicit pid kept");
	is_int(imsg_get_len(&imsg), 0, "no data");
	ok(imsg_get_data(&imsg, &got, sizeof(got)) == -1,
	    "get_data on an empty message fails");
	imsg_free(&imsg);

	ok(imsg_get(&r, &imsg) == 1, "third message");
	ok(imsg_get_len(&imsg) == 1000 && memcmp(imsg.data, big, 1000) == 0,
	    "1000 bytes intact");
	imsg_free(&imsg);
	n = imsg_get(&r, &imsg);
	is_int(n, 0, "nothing more");

	imsgbuf_clear(&w);
	close(sv[0]);
	ok(imsgbuf_read(&r) == 0, "read returns 0 when the peer closed");
	imsgbuf_clear(&r);
	close(sv[1]);
}

/* A message arriving one byte at a time is returned only when whole. */
static void
t_partial_read(void)
{
	struct imsgbuf	 w, r;
	struct imsg	 imsg;
	int		 sv[2], early = 0, whole = 0;
	char		 data[100], one;
	size_t		 i, total;
	ssize_t		 n;
	int		 raw[2];

	pair(sv);
	pair(raw);
	imsgbuf_init(&w, raw[0]);
	memset(data, 'p', sizeof(data));
	imsg_compose(&w, 3, 0, 0, -1, data, sizeof(data));
	imsgbuf_write(&w);
	total = IMSG_HEADER_SIZE + sizeof(data);

	imsgbuf_init(&r, sv[1]);
	for (i = 0; i < total; i++) {
		if (read(raw[1], &one, 1) != 1)
			break;
		if (write(sv[0], &one, 1) != 1)
			break;
		if (imsgbuf_read(&r) != 1)
			break;
		n = imsg_get(&r, &imsg);
		if (n == 1) {
			if (i == total - 1)
				whole = imsg_get_len(&imsg) == sizeof(data);
			else
				early = 1;
			imsg_free(&imsg);
		} else if (n == -1)
			early = 1;
	}
	ok(!early, "no message before its last byte (truncated = wait)");
	ok(whole, "the message is whole at its last byte");

	/* the peer closes in the middle of a message */
	imsg_compose(&w, 3, 0, 0, -1, data, sizeof(data));
	imsgbuf_write(&w);
	for (i = 0; i < 10; i++)
		if (read(raw[1], &one, 1) == 1 && write(sv[0], &one, 1) != 1)
			break;
	close(sv[0]);
	ok(imsgbuf_read(&r) == 1, "ten bytes of a truncated message read");
	ok(imsg_get(&r, &imsg) == 0, "a truncated message is not returned");
	ok(imsgbuf_read(&r) == 0, "then EOF: the caller drops the peer");
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
	close(sv[1]);
	close(raw[0]);
	close(raw[1]);
}

/* A full socket: write keeps the rest queued, nothing lost or reordered. */
static void
t_partial_write(void)
{
	struct imsgbuf	 w, r;
	struct imsg	 imsg;
	int		 sv[2], sz = 4096, i, rounds = 0, bad = 0, got = 0;
	char		 data[8000];
	int		 stuck;

	pair(sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	for (i = 0; i < 200; i++) {
		memset(data, 'a' + i % 26, sizeof(data));
		imsg_compose(&w, 100 + i, i, 0, -1, data, sizeof(data));
	}
	ok(imsgbuf_write(&w) == 0, "write on a full socket is not an error");
	stuck = imsgbuf_queuelen(&w) > 0;
	ok(stuck, "a full socket leaves messages queued (%u)",
	    imsgbuf_queuelen(&w));
	ok(imsgbuf_queuebytes(&w) > 0 && imsgbuf_queuebytes(&w) <
	    200 * (IMSG_HEADER_SIZE + sizeof(data)),
	    "a partial write counts the bytes still to send (%zu)",
	    imsgbuf_queuebytes(&w));
	while ((imsgbuf_queuelen(&w) > 0 || got < 200) && rounds++ < 100000) {
		if (imsgbuf_write(&w) == -1)
			break;
		if (imsgbuf_read(&r) == -1)
			break;
		while (imsg_get(&r, &imsg) == 1) {
			if (imsg_get_type(&imsg) != (uint32_t)(100 + got) ||
			    imsg_get_len(&imsg) != sizeof(data) ||
			    ((char *)imsg.data)[7999] != 'a' + got % 26)
				bad++;
			got++;
			imsg_free(&imsg);
		}
	}
	is_int(got, 200, "every message arrives after partial writes");
	is_int(imsgbuf_queuebytes(&w), 0, "and no byte is left counted");
	is_int(bad, 0, "in order and intact");
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
	close(sv[0]);
	close(sv[1]);
}

static void
t_fdpass(void)
{
	struct imsgbuf	 w, r, r2;
	struct imsg	 imsg;
	int		 sv[2], p[2], fd, one = 1, two = 2;
	char		 buf[8];

	pair(sv);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	imsgbuf_allow_fdpass(&r);
	if (pipe(p) == -1)
		exit(2);
	imsg_compose(&w, 1, 0, 0, -1, &one, sizeof(one));
	imsg_compose(&w, 2, 0, 0, p[0], &two, sizeof(two));
	imsg_compose(&w, 3, 0, 0, -1, NULL, 0);
	imsgbuf_write(&w);
	ok(!fd_open(p[0]), "the sender's copy is closed once sent");
	imsgbuf_read(&r);
	imsg_get(&r, &imsg);
	is_int(imsg_get_fd(&imsg), -1, "message without a descriptor");
	imsg_free(&imsg);
	imsg_get(&r, &imsg);
	fd = imsg_get_fd(&imsg);
	ok(fd >= 0, "descriptor arrives with its message");
	imsg_free(&imsg);
	ok(fd >= 0 && fd_open(fd), "imsg_free does not close a taken fd");
	ok(write(p[1], "hi", 2) == 2 && read(fd, buf, 2) == 2 &&
	    memcmp(buf, "hi", 2) == 0, "and it is the pipe");
	close(fd);
	imsg_get(&r, &imsg);
	is_int(imsg_get_fd(&imsg), -1, "the next message has none");
	imsg_free(&imsg);

	/* a receiver that does not take descriptors closes them */
	imsgbuf_init(&r2, sv[0]);
	{
		struct imsgbuf	 w2;

		imsgbuf_init(&w2, sv[1]);
		if (pipe(p) == -1)
			exit(2);
		imsg_compose(&w2, 5, 0, 0, p[1], NULL, 0);
		imsgbuf_write(&w2);
		imsgbuf_read(&r2);
		ok(imsg_get(&r2, &imsg) == 1 && imsg_get_fd(&imsg) == -1,
		    "fd refused without imsgbuf_allow_fdpass");
		imsg_free(&imsg);
		ok(read(p[0], buf, 1) == 0,
		    "and closed: the pipe's write end is gone");
		close(p[0]);
		imsgbuf_clear(&w2);
	}
	/* an fd not taken is closed by imsg_free */
	if (pipe(p) == -1)
		exit(2);
	imsg_compose(&w, 6, 0, 0, p[1], NULL, 0);
	imsgbuf_write(&w);
	imsgbuf_read(&r);
	imsg_get(&r, &imsg);
	imsg_free(&imsg);
	ok(read(p[0], buf, 1) == 0, "imsg_free closes a descriptor not taken");
	close(p[0]);
	/* queued, never sent: imsgbuf_clear closes it */
	if (pipe(p) == -1)
		exit(2);
	imsg_compose(&w, 7, 0, 0, p[1], NULL, 0);
	imsgbuf_clear(&w);
	ok(!fd_open(p[1]), "imsgbuf_clear closes queued descriptors");
	close(p[0]);
	imsgbuf_clear(&r);
	imsgbuf_clear(&r2);
	close(sv[0]);
	close(sv[1]);
}

static void
t_maxsize(void)
{
	struct imsgbuf	 w, r;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr;
	struct ibuf	*b;
	struct iovec	 iov[2];
	int		 sv[2], p[2];
	char		*big;

	big = calloc(1, 70000);
	pair(sv);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	ok(imsgbuf_set_maxsize(&w, 100000) == -1,
	    "maxsize above the 16-bit length is refused");
	ok(imsgbuf_set_maxsize(&w, 8) == -1, "maxsize below the header too");
	ok(imsgbuf_set_maxsize(&w, 1024) == 0, "maxsize 1024");
	ok(imsg_compose(&w, 1, 0, 0, -1, big, 1024 - IMSG_HEADER_SIZE) == 1,
	    "a message of exactly maxsize");
	ok(imsg_compose(&w, 1, 0, 0, -1, big, 1024 - IMSG_HEADER_SIZE + 1) ==
	    -1 && errno == ERANGE, "one byte more: ERANGE");
	if (pipe(p) == -1)
		exit(2);
	ok(imsg_compose(&w, 1, 0, 0, p[0], big, 5000) == -1 &&
	    !fd_open(p[0]), "an oversized compose closes its descriptor");
	close(p[1]);
	iov[0].iov_base = big;
	iov[0].iov_len = 600;
	iov[1].iov_base = big;
	iov[1].iov_len = 600;
	ok(imsg_composev(&w, 1, 0, 0, -1, iov, 2) == -1,
	    "composev over maxsize fails");
	iov[1].iov_len = 10;
	ok(imsg_composev(&w, 1, 0, 0, -1, iov, 2) == 1, "composev fits");
	ok((b = imsg_create(&w, 4, 0, 0, 8)) != NULL, "imsg_create");
	ok(imsg_add(b, "abcd", 4) == 4 && imsg_add(b, "efgh", 4) == 4,
	    "imsg_add within the size");
	imsg_close(&w, b);
	ok((b = imsg_create(&w, 4, 0, 0, 4)) != NULL &&
	    imsg_add(b, "abcdefgh", 8) == -1, "imsg_add past it fails "
	    "(and frees the buffer)");
	is_int(imsgbuf_queuelen(&w), 3, "three messages queued");
	imsgbuf_flush(&w);
	is_int(imsgbuf_queuelen(&w), 0, "flush empties the queue");
	imsgbuf_read(&r);
	ok(imsg_get(&r, &imsg) == 1 && imsg_get_len(&imsg) ==
	    1024 - IMSG_HEADER_SIZE, "maxsize message received "
	    "(receiver default 16384)");
	imsg_free(&imsg);
	imsg_get(&r, &imsg);
	is_int(imsg_get_len(&imsg), 610, "composev length");
	imsg_free(&imsg);
	imsg_get(&r, &imsg);
	ok(imsg_get_len(&imsg) == 8 && memcmp(imsg.data, "abcdefgh", 8) == 0,
	    "create/add/close data");
	imsg_free(&imsg);

	/* a receiver with a smaller maxsize refuses an oversized header */
	imsgbuf_set_maxsize(&r, 512);
	imsg_compose(&w, 1, 0, 0, -1, big, 600);
	imsgbuf_write(&w);
	imsgbuf_read(&r);
	ok(imsg_get(&r, &imsg) == -1 && errno == ERANGE,
	    "an oversized incoming message is an error (ERANGE)");
	imsgbuf_clear(&r);

	/* a header whose length is smaller than a header */
	imsgbuf_init(&r, sv[1]);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = 1;
	hdr.len = 3;
	if (write(sv[0], &hdr, sizeof(hdr)) != sizeof(hdr))
		exit(2);
	imsgbuf_read(&r);
	ok(imsg_get(&r, &imsg) == -1 && errno == EBADMSG,
	    "a length below the header size is EBADMSG");
	/* forward */
	imsgbuf_clear(&r);
	imsgbuf_clear(&w);
	close(sv[0]);
	close(sv[1]);
	free(big);
}

static void
t_forward(void)
{
	struct imsgbuf	 a, b, c;
	struct imsg	 imsg;
	int		 s1[2], s2[2];

	pair(s1);
	pair(s2);
	imsgbuf_init(&a, s1[0]);
	imsgbuf_init(&b, s1[1]);
	imsgbuf_init(&c, s2[1]);
	imsg_compose(&a, 11, 5, 77, -1, "fwd", 3);
	imsgbuf_write(&a);
	imsgbuf_read(&b);
	imsg_get(&b, &imsg);
	{
		struct imsgbuf	 out;

		imsgbuf_init(&out, s2[0]);
		ok(imsg_forward(&out, &imsg) == 1, "imsg_forward");
		imsgbuf_write(&out);
		imsgbuf_clear(&out);
	}
	imsg_free(&imsg);
	imsgbuf_read(&c);
	ok(imsg_get(&c, &imsg) == 1 && imsg_get_type(&imsg) == 11 &&
	    imsg_get_id(&imsg) == 5 && imsg_get_pid(&imsg) == 77 &&
	    imsg_get_len(&imsg) == 3 && memcmp(imsg.data, "fwd", 3) == 0,
	    "forwarded with type, id, pid and data");
	imsg_free(&imsg);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	imsgbuf_clear(&c);
	close(s1[0]);
	close(s1[1]);
	close(s2[0]);
	close(s2[1]);
}

int
main(void)
{
	t_roundtrip();
	t_partial_read();
	t_partial_write();
	t_fdpass();
	t_maxsize();
	t_forward();
	return (done_testing());
}
