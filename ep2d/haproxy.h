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
 * The one client of HAProxy's runtime API (the stats socket).  A batch
 * holds the commands of one change for one socket; they go over one
 * connection in prompt mode, pipelined, and every answer is matched
 * against what the command must answer on success.
 */

#ifndef EP2D_HAPROXY_H
#define EP2D_HAPROXY_H

#include <sys/types.h>
#include <sys/queue.h>

#include <limits.h>
#include <stdint.h>

#include <event.h>

#include "addr.h"

#define HAP_TIMEOUT_MS		5000	/* a whole batch, connect included */
/*
 * Batches on the event loop connected to one socket at once; the
 * others wait their turn.  HAProxy serves a stats socket 10
 * connections at a time (stats maxconn) and its listen queue is short:
 * 500 backends polling or applying at once got EAGAIN from connect(2)
 * by the hundred.  4 leaves room for an admin and for ep2ctl's peers.
 */
#define HAP_PATH_CONNS		4
#define HAP_ERR_MAX		256
#define HAP_NAME_MAX		32	/* a slot's server name */

enum hap_expect {
	HAP_EMPTY,		/* state, weight: success is an empty answer */
	HAP_ADDR,		/* set server addr: "IP changed" and friends */
	HAP_TEXT		/* show ...: any text but a known error */
};

struct hap_cmd {
	char		*line;		/* without the newline */
	enum hap_expect	 expect;
	size_t		 aoff;		/* answer: offset in rbuf */
	size_t		 alen;
	const char	*answer;	/* NUL-terminated, once done */
	int		 ok;
};

struct hap_batch;
typedef void	(*hap_cb)(struct hap_batch *, void *);

struct hap_batch {
	char		 path[PATH_MAX];
	/*
	 * Who makes the stream socket, set by the caller after
	 * hap_batch_new: ep2d's parent has its connector do it (its own
	 * filter refuses stream sockets); NULL connects here.
	 */
	int		(*connect)(const char *, int *);
	struct hap_cmd	*cmds;
	size_t		 ncmds;
	size_t		 capcmds;

	int		 fd;
	int		 connected;
	char		*wbuf;
	size_t		 wlen;
	size_t		 woff;
	char		*rbuf;
	size_t		 rlen;
	size_t		 rcap;
	size_t		 rscan;
	size_t		 fstart;	/* start of the frame being read */
	size_t		 nframes;	/* 0 is the answer to "prompt" */

	int		 async;
	struct hap_gate	*gate;		/* its socket's turns */
	int		 active;	/* holds a turn */
	int		 queued;	/* waits for one */
	int		 start_err;	/* its turn came; connect failed */
	TAILQ_ENTRY(hap_batch) wait_entry;
	struct event	 ev;
	struct event	 tev;
	short		 evflags;
	hap_cb		 cb;
	void		*arg;

	int		 status;	/* 0; -1 I/O; N > 0 answers refused */
	char		 err[HAP_ERR_MAX];
	void		*udata;		/* the caller's */
};

struct hap_batch *hap_batch_new(const char *);
void	 hap_batch_free(struct hap_batch *);
int	 hap_batch_add(struct hap_batch *, enum hap_expect, const char *, ...)
	    __attribute__((__format__ (printf, 3, 4)));
int	 hap_batch_start(struct hap_batch *, int, hap_cb, void *);
int	 hap_batch_run(struct hap_batch *, int);

int	 hap_line_ok(const char *);
int	 hap_answer_ok(enum hap_expect, const char *, size_t);
int	 hap_name_ok(const char *);

/* what the parsers take from the answers */
struct hap_info {
	long		 pid;
	long long	 start_time;
};

struct hap_srv {
	char		 name[HAP_NAME_MAX];
	char		 addr[EP2D_HOST_MAX];	/* "" when "-" */
	uint16_t	 port;
	int		 op_state;	/* 2: running */
	int		 admin;		/* SRV_ADMF_* bits */
	int		 uweight;
	int		 iweight;
	/* from show stat */
	char		 status[24];
	char		 check[16];
	uint32_t	 scur;
	int		 have_stat;
};

#define HAP_ADMF_FMAINT		0x01
#define HAP_ADMF_IMAINT		0x02
#define HAP_ADMF_CMAINT		0x04
#define HAP_ADMF_FDRAIN		0x08

int	 hap_parse_info(const char *, struct hap_info *);
int	 hap_parse_servers_state(const char *, const char *,
	    struct hap_srv **, size_t *);
int	 hap_parse_stat(const char *, const char *, struct hap_srv *, size_t);
int	 hap_check_passed(const struct hap_srv *);
int	 hap_addr_equal(const char *, const char *);

#endif /* EP2D_HAPROXY_H */
