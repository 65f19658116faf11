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
 * imsg(3) for ep2d: see imsg.h.  The wire format is a struct imsg_hdr
 * in host byte order (both ends are the same binary) followed by the
 * data.  A descriptor travels as SCM_RIGHTS ancillary data with the
 * first byte of its message; the receiver queues descriptors in the
 * order they arrive and hands one to each message flagged IMSGF_HASFD.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define IMSG_IOV_MAX	64

static struct ibuf *
ibuf_new(size_t len)
{
	struct ibuf	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	if (len > 0 && (b->buf = malloc(len)) == NULL) {
		free(b);
		return (NULL);
	}
	b->size = b->max = len;
	b->fd = -1;
	return (b);
}

static void
ibuf_free(struct ibuf *b)
{
	if (b == NULL)
		return;
	if (b->fd != -1)
		close(b->fd);
	/* a message may carry a secret (the configuration's) */
	if (b->buf != NULL)
		explicit_bzero(b->buf, b->size);
	free(b->buf);
	free(b);
}

int
imsgbuf_init(struct imsgbuf *ib, int fd)
{
	memset(ib, 0, sizeof(*ib));
	if ((ib->rbuf = malloc(IBUF_READ_SIZE)) == NULL)
		return (-1);
	TAILQ_INIT(&ib->wq);
	TAILQ_INIT(&ib->fds);
	ib->fd = fd;
	ib->maxsize = MAX_IMSGSIZE;
	ib->pid = getpid();
	return (0);
}

void
imsgbuf_allow_fdpass(struct imsgbuf *ib)
{
	ib->fdpass = 1;
}

int
imsgbuf_set_maxsize(struct imsgbuf *ib, uint32_t max)
{
	if (max < IMSG_HEADER_SIZE || max > UINT16_MAX ||
	    max > IBUF_READ_SIZE) {
		errno = EINVAL;
		return (-1);
	}
	ib->maxsize = max;
	return (0);
}

uint32_t
imsgbuf_queuelen(struct imsgbuf *ib)
{
	return (ib->wqlen);
}

size_t
imsgbuf_queuebytes(struct imsgbuf *ib)
{
	return (ib->wqbytes);
}

static void
imsgbuf_close_fds(struct imsgbuf *ib)
{
	struct imsg_fd	*f;

	while ((f = TAILQ_FIRST(&ib->fds)) != NULL) {
		TAILQ_REMOVE(&ib->fds, f, entry);
		close(f->fd);
		free(f);
	}
}

void
imsgbuf_clear(struct imsgbuf *ib)
{
	struct ibuf	*b;

	while ((b = TAILQ_FIRST(&ib->wq)) != NULL) {
		TAILQ_REMOVE(&ib->wq, b, entry);
		ibuf_free(b);
	}
	ib->wqlen = 0;
	ib->wqbytes = 0;
	imsgbuf_close_fds(ib);
	free(ib->rbuf);
	ib->rbuf = NULL;
	ib->rlen = 0;
}

/*
 * Read what the socket has.  1: data read (or nothing yet, EAGAIN),
 * 0: the peer closed, -1: error (errno).  Descriptors that come with
 * the data are queued, or closed when this end does not take them.
 */
int
imsgbuf_read(struct imsgbuf *ib)
{
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	struct imsg_fd	*f;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 16)];
	} cmsgbuf;
	ssize_t		 n;
	size_t		 i, nfds;
	int		*fds;

	if (ib->rbuf == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (ib->rlen >= IBUF_READ_SIZE) {
		errno = ENOBUFS;
		return (-1);
	}
	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = ib->rbuf + ib->rlen;
	iov.iov_len = IBUF_READ_SIZE - ib->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	do {
		n = recvmsg(ib->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (1);
		return (-1);
	}

	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		fds = (int *)CMSG_DATA(cmsg);
		for (i = 0; i < nfds; i++) {
			if (!ib->fdpass ||
			    (f = malloc(sizeof(*f))) == NULL) {
				close(fds[i]);
				continue;
			}
			f->fd = fds[i];
			TAILQ_INSERT_TAIL(&ib->fds, f, entry);
		}
	}
	if (n == 0)
		return (0);
	ib->rlen += n;
	return (1);
}

/*
 * Take one whole message out of the read buffer.  1: *imsg filled (free
 * it with imsg_free), 0: no whole message yet, -1: the stream is
 * broken (a length below the header or above maxsize: ERANGE or
 * EBADMSG); the caller should drop the connection.
 */
ssize_t
imsg_get(struct imsgbuf *ib, struct imsg *imsg)
{
	struct imsg_hdr	 hdr;
	struct imsg_fd	*f;
	size_t		 datalen;

	memset(imsg, 0, sizeof(*imsg));
	imsg->fd = -1;
	if (ib->rlen < IMSG_HEADER_SIZE)
		return (0);
	memcpy(&hdr, ib->rbuf, sizeof(hdr));
	if (hdr.len < IMSG_HEADER_SIZE) {
		errno = EBADMSG;
		return (-1);
	}
	if (hdr.len > ib->maxsize) {
		errno = ERANGE;
		return (-1);
	}
	if (ib->rlen < hdr.len)
		return (0);

	datalen = hdr.len - IMSG_HEADER_SIZE;
	if (datalen > 0) {
		if ((imsg->data = malloc(datalen)) == NULL)
			return (-1);
		memcpy(imsg->data, ib->rbuf + IMSG_HEADER_SIZE, datalen);
	}
	imsg->hdr = hdr;
	imsg->datalen = datalen;
	if (hdr.flags & IMSGF_HASFD) {
		if ((f = TAILQ_FIRST(&ib->fds)) != NULL) {
			TAILQ_REMOVE(&ib->fds, f, entry);
			imsg->fd = f->fd;
			free(f);
		}
	}
	imsg->hdr.flags &= ~IMSGF_HASFD;

	ib->rlen -= hdr.len;
	if (ib->rlen > 0)
		memmove(ib->rbuf, ib->rbuf + hdr.len, ib->rlen);
	explicit_bzero(ib->rbuf + ib->rlen, hdr.len);
	return (1);
}

int
imsg_get_data(struct imsg *imsg, void *data, size_t len)
{
	if (len == 0 || imsg->datalen != len) {
		errno = EBADMSG;
		return (-1);
	}
	memcpy(data, imsg->data, len);
	return (0);
}

size_t
imsg_get_len(struct imsg *imsg)
{
	return (imsg->datalen);
}

uint32_t
imsg_get_type(struct imsg *imsg)
{
	return (imsg->hdr.type);
}

uint32_t
imsg_get_id(struct imsg *imsg)
{
	return (imsg->hdr.peerid);
}

pid_t
imsg_get_pid(struct imsg *imsg)
{
	return ((pid_t)imsg->hdr.pid);
}

/* The descriptor passes to the caller, who closes it. */
int
imsg_get_fd(struct imsg *imsg)
{
	int	 fd = imsg->fd;

	imsg->fd = -1;
	return (fd);
}

void
imsg_free(struct imsg *imsg)
{
	if (imsg->fd != -1)
		close(imsg->fd);
	if (imsg->data != NULL)
		explicit_bzero(imsg->data, imsg->datalen);
	free(imsg->data);
	imsg->data = NULL;
	imsg->fd = -1;
}

struct ibuf *
imsg_create(struct imsgbuf *ib, uint32_t type, uint32_t peerid, pid_t pid,
    size_t datalen)
{
	struct imsg_hdr	 hdr;
	struct ibuf	*b;

	if (datalen > ib->maxsize - IMSG_HEADER_SIZE) {
		errno = ERANGE;
		return (NULL);
	}
	if ((b = ibuf_new(IMSG_HEADER_SIZE + datalen)) == NULL)
		return (NULL);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.peerid = peerid;
	hdr.pid = pid == 0 ? (uint32_t)ib->pid : (uint32_t)pid;
	memcpy(b->buf, &hdr, sizeof(hdr));
	b->wpos = IMSG_HEADER_SIZE;
	return (b);
}

int
imsg_add(struct ibuf *b, const void *data, size_t len)
{
	if (b == NULL)
		return (-1);
	if (len > b->max - b->wpos) {
		ibuf_free(b);
		errno = ERANGE;
		return (-1);
	}
	if (len > 0)
		memcpy(b->buf + b->wpos, data, len);
	b->wpos += len;
	return ((int)len);
}

void
imsg_close(struct imsgbuf *ib, struct ibuf *b)
{
	struct imsg_hdr	*hdr = (struct imsg_hdr *)b->buf;

	hdr->len = (uint16_t)b->wpos;
	if (b->fd != -1)
		hdr->flags |= IMSGF_HASFD;
	b->size = b->wpos;
	b->rpos = 0;
	TAILQ_INSERT_TAIL(&ib->wq, b, entry);
	ib->wqlen++;
	ib->wqbytes += b->size;
}

int
imsg_composev(struct imsgbuf *ib, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, const struct iovec *iov, int iovcnt)
{
	struct ibuf	*b;
	size_t		 len = 0;
	int		 i;

	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > ib->maxsize - len) {
			errno = ERANGE;
			goto fail;
		}
		len += iov[i].iov_len;
	}
	if ((b = imsg_create(ib, type, peerid, pid, len)) == NULL)
		goto fail;
	for (i = 0; i < iovcnt; i++)
		if (imsg_add(b, iov[i].iov_base, iov[i].iov_len) == -1)
			goto fail;
	b->fd = fd;
	imsg_close(ib, b);
	return (1);
fail:
	/* the descriptor is ours to close, as with OpenBSD's imsg */
	if (fd != -1)
		close(fd);
	return (-1);
}

int
imsg_compose(struct imsgbuf *ib, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, const void *data, size_t datalen)
{
	struct iovec	 iov;

	iov.iov_base = (void *)data;
	iov.iov_len = datalen;
	return (imsg_composev(ib, type, peerid, pid, fd, &iov,
	    datalen > 0 ? 1 : 0));
}

int
imsg_forward(struct imsgbuf *ib, struct imsg *imsg)
{
	return (imsg_compose(ib, imsg->hdr.type, imsg->hdr.peerid,
	    (pid_t)imsg->hdr.pid, -1, imsg->data, imsg->datalen));
}

/*
 * Send as much of the queue as the socket takes: 0 (done, or the rest
 * waits for the next EV_WRITE), -1 on error.  A buffer that carries a
 * descriptor starts a sendmsg of its own, so that the descriptor
 * arrives with its message's first byte.
 */
int
imsgbuf_write(struct imsgbuf *ib)
{
	struct iovec	 iov[IMSG_IOV_MAX];
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct ibuf	*b, *next;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	ssize_t		 n;
	size_t		 left;
	int		 i, fd;

	while ((b = TAILQ_FIRST(&ib->wq)) != NULL) {
		memset(&msg, 0, sizeof(msg));
		i = 0;
		fd = -1;
		TAILQ_FOREACH(b, &ib->wq, entry) {
			if (i >= IMSG_IOV_MAX)
				break;
			if (i > 0 && b->fd != -1)
				break;
			if (i == 0 && b->rpos == 0)
				fd = b->fd;
			iov[i].iov_base = b->buf + b->rpos;
			iov[i].iov_len = b->size - b->rpos;
			i++;
		}
		msg.msg_iov = iov;
		msg.msg_iovlen = i;
		if (fd != -1) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			msg.msg_control = &cmsgbuf.buf;
			msg.msg_controllen = sizeof(cmsgbuf.buf);
			cmsg = CMSG_FIRSTHDR(&msg);
			cmsg->cmsg_len = CMSG_LEN(sizeof(int));
			cmsg->cmsg_level = SOL_SOCKET;
			cmsg->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
		}
		do {
			n = sendmsg(ib->fd, &msg, MSG_NOSIGNAL);
		} while (n == -1 && errno == EINTR);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS)
				return (0);
			return (-1);
		}
		if (fd != -1) {
			/* sent: the peer has its own copy now */
			b = TAILQ_FIRST(&ib->wq);
			close(b->fd);
			b->fd = -1;
		}
		left = (size_t)n;
		for (b = TAILQ_FIRST(&ib->wq); b != NULL && left > 0;
		    b = next) {
			next = TAILQ_NEXT(b, entry);
			if (left < b->size - b->rpos) {
				b->rpos += left;
				ib->wqbytes -= left;
				left = 0;
				break;
			}
			left -= b->size - b->rpos;
			ib->wqbytes -= b->size - b->rpos;
			TAILQ_REMOVE(&ib->wq, b, entry);
			ib->wqlen--;
			ibuf_free(b);
		}
	}
	return (0);
}

/* Write until the queue is empty, waiting on the socket if need be. */
int
imsgbuf_flush(struct imsgbuf *ib)
{
	struct pollfd	 pfd;

	while (imsgbuf_queuelen(ib) > 0) {
		if (imsgbuf_write(ib) == -1)
			return (-1);
		if (imsgbuf_queuelen(ib) == 0)
			break;
		pfd.fd = ib->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return (-1);
	}
	return (0);
}
