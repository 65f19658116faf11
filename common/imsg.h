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
 * imsg: framed messages with descriptor passing over a socketpair, with
 * the API of OpenBSD's imsg_init(3) (2024 and later).  Written for ep2d,
 * Debian has no libutil with it.
 *
 * A message is a 16-byte header (type, length of header and data,
 * flags, peer id, pid) and up to maxsize - 16 bytes of data.  Writes
 * queue; imsgbuf_write() sends as much as the socket takes.  Reads
 * gather; imsg_get() returns a message only once it is whole.
 */

#ifndef EP2D_IMSG_H
#define EP2D_IMSG_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <stdint.h>

#define IBUF_READ_SIZE		65535
#define IMSG_HEADER_SIZE	sizeof(struct imsg_hdr)
#define MAX_IMSGSIZE		16384

struct ibuf {
	TAILQ_ENTRY(ibuf)	 entry;
	unsigned char		*buf;
	size_t			 size;	/* allocated */
	size_t			 max;	/* may grow up to */
	size_t			 wpos;	/* bytes written into buf */
	size_t			 rpos;	/* bytes consumed (sent or read) */
	int			 fd;	/* passed with this buffer, or -1 */
};

struct imsg_fd {
	TAILQ_ENTRY(imsg_fd)	 entry;
	int			 fd;
};

struct imsgbuf {
	TAILQ_HEAD(, ibuf)	 wq;		/* queued for writing */
	uint32_t		 wqlen;		/* messages queued */
	size_t			 wqbytes;	/* and their bytes left to send */
	TAILQ_HEAD(, imsg_fd)	 fds;		/* received, not yet taken */
	unsigned char		*rbuf;		/* IBUF_READ_SIZE */
	size_t			 rlen;		/* bytes in rbuf */
	uint32_t		 maxsize;	/* header included */
	int			 fdpass;	/* accept descriptors */
	int			 fd;
	pid_t			 pid;
};

#define IMSGF_HASFD	1

struct imsg_hdr {
	uint32_t	 type;
	uint16_t	 len;		/* header and data */
	uint16_t	 flags;
	uint32_t	 peerid;
	uint32_t	 pid;
};

struct imsg {
	struct imsg_hdr	 hdr;
	void		*data;		/* NULL when there is none */
	size_t		 datalen;
	int		 fd;		/* -1, or passed with the message */
};

/* the buffer */
int	 imsgbuf_init(struct imsgbuf *, int);
void	 imsgbuf_allow_fdpass(struct imsgbuf *);
int	 imsgbuf_set_maxsize(struct imsgbuf *, uint32_t);
int	 imsgbuf_read(struct imsgbuf *);
int	 imsgbuf_write(struct imsgbuf *);
int	 imsgbuf_flush(struct imsgbuf *);
void	 imsgbuf_clear(struct imsgbuf *);
uint32_t imsgbuf_queuelen(struct imsgbuf *);
size_t	 imsgbuf_queuebytes(struct imsgbuf *);

/* reading */
ssize_t	 imsg_get(struct imsgbuf *, struct imsg *);
int	 imsg_get_data(struct imsg *, void *, size_t);
size_t	 imsg_get_len(struct imsg *);
uint32_t imsg_get_type(struct imsg *);
uint32_t imsg_get_id(struct imsg *);
pid_t	 imsg_get_pid(struct imsg *);
int	 imsg_get_fd(struct imsg *);
void	 imsg_free(struct imsg *);

/* writing */
int	 imsg_compose(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
	    const void *, size_t);
int	 imsg_composev(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
	    const struct iovec *, int);
struct ibuf *imsg_create(struct imsgbuf *, uint32_t, uint32_t, pid_t,
	    size_t);
int	 imsg_add(struct ibuf *, const void *, size_t);
void	 imsg_close(struct imsgbuf *, struct ibuf *);
int	 imsg_forward(struct imsgbuf *, struct imsg *);

#endif /* EP2D_IMSG_H */
