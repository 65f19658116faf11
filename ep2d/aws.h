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
 * Private interface of the AWS source: aws.c (the Auto Scaling and EC2
 * calls), aws_xml.c (their XML, and the endpoint and region rules) and
 * aws_creds.c (the credential chain).  The parsers are here too so that
 * regress/unit/test_aws.c and the fuzz harness can feed them.
 */

#ifndef EP2D_AWS_H
#define EP2D_AWS_H

#include <sys/types.h>

#include <time.h>

#include "ep2d.h"

#define AWS_ID_MAX		32	/* "i-" + 17 hex digits, with room */
#define AWS_NEXT_MAX		4096	/* NextToken, nextToken */
#define AWS_CODE_MAX		128	/* an AWS error code */
#define AWS_MSG_MAX		200	/* an AWS error message, as logged */
#define AWS_AKID_MAX		128
#define AWS_SECRET_MAX		256
#define AWS_TOKEN_MAX		4096	/* STS session tokens reach ~2 KB */
#define AWS_URL_MAX		1024
#define AWS_BODY_MAX		(32 * 1024 * 1024)
#define AWS_CREDS_BODY_MAX	(64 * 1024)
#define AWS_REFRESH_MARGIN	300	/* renew temporary keys this early */

#define AWS_STATE_MAX		32	/* "Terminating:Wait", with room */

/* An instance listed that is not InService and Healthy */
struct aws_asg_inst {
	char		 id[AWS_ID_MAX];
	char		 state[AWS_STATE_MAX];	/* LifecycleState */
	int		 group;			/* in groups[]; -1: none */
	int		 healthy;
};

/* DescribeAutoScalingGroups, one page */
struct aws_asg_page {
	char		(*ids)[AWS_ID_MAX];	/* InService and Healthy */
	size_t		 nids;
	size_t		 idcap;
	size_t		 nlisted;		/* instances of any state */
	size_t		 ndup;			/* ids listed again */
	char		(*groups)[256];		/* group names answered */
	size_t		 ngroups;
	size_t		 groupcap;
	struct aws_asg_inst *others;		/* the rest of those listed */
	size_t		 nothers;
	size_t		 othercap;
	char		 next[AWS_NEXT_MAX];	/* "": last page */
};

/* DescribeInstances, one page: each instance's own address */
struct aws_addr {
	char		 id[AWS_ID_MAX];
	char		 ip[EP2D_HOST_MAX];	/* "": none of that type */
};

struct aws_ec2_page {
	struct aws_addr	*addrs;
	size_t		 naddrs;
	size_t		 cap;
	char		 next[AWS_NEXT_MAX];
};

/*
 * aws_xml.c: parsers, strict (no DTD, the root's namespace checked, an
 * element missing is an error); -1 with a reason in the buffer.  The
 * page parsers append to the lists the page already holds, so that the
 * pages of one call accumulate, and set next to this page's token.
 */
void	 aws_asg_page_free(struct aws_asg_page *);
int	 aws_parse_asg(const char *, size_t, struct aws_asg_page *,
	    char *, size_t);
void	 aws_ec2_page_free(struct aws_ec2_page *);
int	 aws_parse_instances(const char *, size_t, enum ip_type,
	    struct aws_ec2_page *, char *, size_t);
int	 aws_parse_error(const char *, size_t, char *, size_t, char *,
	    size_t);
int	 aws_endpoint(const char *, const char *, const char *,
	    const char *, const char *, char *, size_t);
int	 aws_region(const char *, const char *, const char *, const char *,
	    char *, size_t);
void	 aws_clean(char *, size_t, const char *);

/* aws_creds.c: the credential chain */
enum aws_origin {
	AWS_ORIGIN_NONE,
	AWS_ORIGIN_CONFIG,		/* ep2.conf [AWS] keys */
	AWS_ORIGIN_ENV,			/* AWS_ACCESS_KEY_ID ... */
	AWS_ORIGIN_FILE,		/* shared credentials / config file */
	AWS_ORIGIN_ECS,			/* container credentials endpoint */
	AWS_ORIGIN_IMDS			/* EC2 instance metadata, IMDSv2 */
};

struct aws_creds {
	char		 akid[AWS_AKID_MAX];	/* secret: never logged */
	char		 secret[AWS_SECRET_MAX];/* secret: never logged */
	char		 token[AWS_TOKEN_MAX];	/* secret: never logged */
	time_t		 expiration;		/* 0: long-term */
	enum aws_origin	 origin;
};

struct aws_chain;

/*
 * creds_get: 0 and *out set when usable keys are at hand; 1 when they
 * are being fetched (the callback follows, with keys or an error text);
 * -1 with a reason when there are none.
 */
typedef void	(*aws_creds_cb)(void *, const struct aws_creds *,
		    const char *);

struct aws_chain *creds_init(const struct aws_conf *);
int	 creds_get(struct aws_chain *, const struct aws_conf *,
	    const struct aws_creds **, aws_creds_cb, void *, char *, size_t);
void	 creds_expire(struct aws_chain *);
void	 creds_cancel(struct aws_chain *);
void	 creds_free(struct aws_chain *);
const char *creds_origin_name(enum aws_origin);

int	 creds_parse_file(const char *, size_t, const char *, int,
	    struct aws_creds *, char *, size_t);
int	 creds_parse_region(const char *, size_t, const char *, char *,
	    size_t, char *, size_t);
const char *creds_region(const struct aws_chain *);
int	 creds_parse_role(const char *, size_t, char *, size_t, char *,
	    size_t);
int	 creds_parse_json(const char *, size_t, int, struct aws_creds *,
	    char *, size_t);
int	 creds_parse_time(const char *, time_t *);
int	 creds_container_url(const char *, const char *, char *, size_t,
	    char *, size_t);
int	 creds_check(const struct aws_creds *, char *, size_t);
void	 creds_wipe(struct aws_creds *);

/*
 * aws.c and aws_hook.c: the poll and the lifecycle hooks of one
 * source.  aws.c keeps the instances of the last poll; the set it
 * sends is those, less the instances a hook terminates, plus those a
 * hook launches (with their address), so that a notification changes
 * the set at once.
 */
struct timespec;
struct imsg;

int	 aws_source_addr(struct source *, const char *, char *, size_t);
void	 aws_source_refresh(struct source *);
int	 aws_source_has_group(const struct source *, const char *);

void	 hook_register(struct source *);
void	 hook_unregister(struct source *);
void	 hook_start(void);
int	 hook_leaving(const struct source *, const char *);
void	 hook_joining(const struct source *, struct server_set *);
void	 hook_poll_seen(struct source *, const struct aws_asg_page *,
	    const struct timespec *);
void	 hook_parent_msg(struct imsg *);

#endif /* EP2D_AWS_H */
