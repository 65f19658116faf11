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
 * Between consul.c (one backend's source: its query, its answer, its
 * failures) and consul_agent.c (the backends that ask one agent: a
 * query each, or the shared watch past CONSUL_MAX_WATCHES).  Include
 * after ep2d.h, consul.h and http.h; nothing else needs it.
 */

#ifndef EP2D_CONSUL_AGENT_H
#define EP2D_CONSUL_AGENT_H

#include <sys/queue.h>

#define CONSUL_BACKOFF_MIN	1	/* seconds */
#define CONSUL_BACKOFF_MAX	60
#define CONSUL_URL_MAX		4096
#define CONSUL_WAIT_DEFAULT	300	/* seconds, as Consul's */

struct consul_env {
	/* CONSUL_HTTP_ADDR */
	char		 host[EP2D_HOST_MAX];
	uint16_t	 port;
	int		 https;
	int		 has_addr;
	int		 ssl;		/* CONSUL_HTTP_SSL */
	char		 token[512];	/* CONSUL_HTTP_TOKEN, secret */
	/* CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY */
	char		 ca_file[PATH_MAX];
	char		 cert_file[PATH_MAX];
	char		 key_file[PATH_MAX];
	char		 server_name[EP2D_HOST_MAX]; /* CONSUL_TLS_... */
};

/* What a query uses: ep2.conf, and the environment where it is silent. */
struct consul_eff {
	const char	*host;
	uint16_t	 port;
	int		 https;
	const char	*token;
	const char	*ca_file;
	const char	*cert_file;
	const char	*key_file;
	const char	*server_name;
};

/* One of the shared watch's two blocking queries. */
enum consul_loop_kind {
	LOOP_STATE,		/* /v1/health/state/any */
	LOOP_CATALOG,		/* /v1/catalog/services */
	LOOP_MAX
};

/* The reads waiting: the services an answer showed changed go first. */
enum consul_rq {
	RQ_NONE,
	RQ_TOLD,
	RQ_REST
};

struct consul_agent;

struct consul {
	struct source		*src;
	struct consul_agent	*agent;
	TAILQ_ENTRY(consul)	 agent_entry;
	TAILQ_ENTRY(consul)	 rq_entry;
	enum consul_rq		 queued;
	int			 want;		/* fresh answer asked */
	int			 again;		/* changed meanwhile */
	int			 inflight;	/* counted in nflight */
	int64_t			 hold_until;	/* ms, the bucket's */
	uint64_t		 digest[LOOP_MAX];
	const struct consul_env	*env;		/* the process's, shared */
	struct http_req		*req;
	struct event		*ev_next;
	struct consul_bucket	 bucket;
	uint64_t		 index;		/* last X-Consul-Index */
	int			 have_index;
	int			 block;	/* next query blocks */
	int			 failing;
	int			 nfail;
	time_t			 failing_since;
	int			 was_empty;
	int			 noleader_hdr;	/* said: no KnownLeader */
	int			 started;
};

/* consul.c */
void	 consul_query(struct consul *);
void	 consul_fail(struct consul *, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	 consul_effective(struct consul *, struct consul_eff *);
long	 consul_wait_ms(const struct consul_conf *);
int	 consul_url_base(const struct consul_eff *, const char *,
	    const char *, char *, size_t);
int	 consul_url_tail(const struct consul_conf *, uint64_t, char *,
	    size_t, long);
struct http_req *consul_get(const struct consul_conf *,
	    const struct consul_eff *, const char *, long, http_cb, void *,
	    const char **);
int	 consul_check_answer(const struct http_resp *, const char *,
	    uint64_t *, int *, char *, size_t);
int64_t	 consul_now_ms(void);
long	 consul_jitter(long, long);

/* consul_agent.c */
void	 consul_agent_attach(struct consul *);
void	 consul_agent_leave(struct consul *);
int	 consul_agent_move(struct consul *);
int	 consul_agent_shared(const struct consul *);
int	 consul_agent_failing(const struct consul *);
void	 consul_agent_read(struct consul *);
void	 consul_agent_read_end(struct consul *);
void	 consul_agent_read_next(struct consul *);

#endif /* EP2D_CONSUL_AGENT_H */
