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
 * The AWS source without a network: the XML parsers against the real
 * answers in regress/fixtures/aws-api (and against broken ones), the
 * credential file and JSON parsers, the endpoint and region rules, and
 * one source polling through a stand-in for http.c that records each
 * request and is answered with the fixtures: paging, the id -> address
 * cache (one call per poll once steady), throttling, scale to zero.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "ep2d.h"
#include "aws.h"
#include "http.h"
#include "log.h"
#include "tap.h"

static const char	*fixdir;

static char *
fixture(const char *name, size_t *len)
{
	char		 path[1024];
	struct stat	 st;
	char		*buf;
	int		 fd;

	snprintf(path, sizeof(path), "%s/%s", fixdir, name);
	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1) {
		printf("# %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if ((buf = calloc(1, st.st_size + 1)) == NULL ||
	    read(fd, buf, st.st_size) != st.st_size) {
		printf("# %s: read\n", path);
		exit(1);
	}
	close(fd);
	*len = st.st_size;
	return (buf);
}

/* http.c, stood in for: each request is recorded, answered by hand */
static struct {
	char		 url[1024];
	char		 method[16];
	char		 headers[HTTP_MAX_HEADERS][8192];
	char		 body[8192];
	char		 sigv4[128];
	char		 userpwd[512];
	http_cb		 cb;
	void		*arg;
	int		 pending;
	int		 count;
} rq;

int
http_init(struct event_base *evb, int tls)
{
	return (0);
}

void
http_shutdown(void)
{
}

struct http_req *
http_request(const struct http_opts *o, http_cb cb, void *arg)
{
	int	 i;

	memset(&rq.headers, 0, sizeof(rq.headers));
	snprintf(rq.url, sizeof(rq.url), "%s", o->url);
	snprintf(rq.method, sizeof(rq.method), "%s", o->method ? o->method :
	    "GET");
	for (i = 0; i < HTTP_MAX_HEADERS && o->headers[i] != NULL; i++)
		snprintf(rq.headers[i], sizeof(rq.headers[i]), "%s",
		    o->headers[i]);
	snprintf(rq.body, sizeof(rq.body), "%.*s", (int)o->bodylen,
	    o->body ? o->body : "");
	snprintf(rq.sigv4, sizeof(rq.sigv4), "%s", o->aws_sigv4 ?
	    o->aws_sigv4 : "");
	snprintf(rq.userpwd, sizeof(rq.userpwd), "%s", o->userpwd ?
	    o->userpwd : "");
	rq.cb = cb;
	rq.arg = arg;
	rq.pending = 1;
	rq.count++;
	return ((struct http_req *)&rq);
}

void
http_cancel(struct http_req *r)
{
	rq.pending = 0;
}

const char *
http_header(const struct http_resp *r, const char *name)
{
	return (NULL);
}

static void
answer(long status, const char *body)
{
	struct http_resp	 r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.body = body;
	r.bodylen = strlen(body);
	rq.pending = 0;
	rq.cb(rq.arg, &r);
}

static int
has_header(const char *h)
{
	int	 i;

	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		if (strcmp(rq.headers[i], h) == 0)
			return (1);
	return (0);
}

/* fetcher.c, stood in for */
static struct {
	int		 good;
	int		 fail;
	size_t		 count;
	char		 first[EP2D_HOST_MAX];
	uint16_t	 port;
	char		 error[EP2D_ERR_MAX];
} sr;

void
source_good(struct source *s, struct server_set *set)
{
	sr.good++;
	sr.count = set->count;
	sr.first[0] = '\0';
	if (set->count > 0) {
		snprintf(sr.first, sizeof(sr.first), "%s",
		    set->servers[0].host);
		sr.port = set->servers[0].port;
	}
}

void
source_fail(struct source *s, const char *fmt, ...)
{
	va_list	 ap;

	sr.fail++;
	va_start(ap, fmt);
	vsnprintf(sr.error, sizeof(sr.error), fmt, ap);
	va_end(ap);
}

/* aws_hook.c's messages to the parent: no queue is configured here */
void
fetcher_compose(uint32_t type, const void *data, size_t len)
{
}

static void
test_asg(void)
{
	struct aws_asg_page	 p;
	char			*buf, err[256], *s;
	size_t			 len;

	memset(&p, 0, sizeof(p));
	buf = fixture("describe-auto-scaling-groups.xml", &len);
	is_int(aws_parse_asg(buf, len, &p, err, sizeof(err)), 0,
	    "asg fixture parses");
	is_int(p.nids, 1, "asg: one instance InService and Healthy");
	is_str(p.nids ? p.ids[0] : "", "i-0598c7d356eba48d7",
	    "asg: that is i-0598c7d356eba48d7");
	is_int(p.nlisted, 3, "asg: three instances listed");
	is_int(p.ngroups, 1, "asg: one group");
	is_str(p.ngroups ? p.groups[0] : "", "my-asg", "asg: my-asg");
	is_str(p.next, "", "asg: no NextToken");
	/* the others, with their state and group: the lifecycle hooks' */
	is_int(p.nothers, 2, "asg: two instances not in service");
	ok(p.nothers == 2 && strcmp(p.others[1].id,
	    "i-0c9d8e7f6a5b4c3d2") == 0 && strcmp(p.others[1].state,
	    "Terminating:Wait") == 0 && p.others[1].group == 0 &&
	    strcmp(p.others[0].state, "Pending") == 0,
	    "asg: i-0c9d8e7f6a5b4c3d2 Terminating:Wait in my-asg");

	/* a second page appends; its NextToken is read */
	s = strdup(buf);
	s = realloc(s, len + 64);
	strcpy(strstr(s, "</DescribeAutoScalingGroupsResult>"),
	    "<NextToken>tok%2B1</NextToken></DescribeAutoScalingGroupsResult>"
	    "</DescribeAutoScalingGroupsResponse>");
	is_int(aws_parse_asg(s, strlen(s), &p, err, sizeof(err)), 0,
	    "asg page with NextToken parses");
	is_int(p.nids, 2, "asg: pages accumulate");
	is_str(p.next, "tok%2B1", "asg: NextToken read");
	free(s);
	aws_asg_page_free(&p);

	/* scale to zero: the group answered, no instance */
	s = strdup(buf);
	strcpy(strstr(s, "<Instances>"), "<Instances/><CreatedTime>x"
	    "</CreatedTime></member></AutoScalingGroups>"
	    "</DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsRe"
	    "sponse>");
	is_int(aws_parse_asg(s, strlen(s), &p, err, sizeof(err)), 0,
	    "asg: a group without instances parses");
	ok(p.nids == 0 && p.ngroups == 1, "asg: empty group, answered");
	aws_asg_page_free(&p);

	/* an instance missing its id */
	strcpy(s, buf);
	memcpy(strstr(s, "<InstanceId>"), "<InstanceXd>", 12);
	memcpy(strstr(s, "</InstanceId>"), "</InstanceXd>", 13);
	ok(aws_parse_asg(s, strlen(s), &p, err, sizeof(err)) == -1,
	    "asg: an instance without InstanceId refused (%s)", err);
	aws_asg_page_free(&p);
	strcpy(s, buf);
	memcpy(strstr(s, "i-0598c7d356eba48d7"), "i-0598c7d356eba48;;", 19);
	ok(aws_parse_asg(s, strlen(s), &p, err, sizeof(err)) == -1,
	    "asg: a bad InstanceId refused (%s)", err);
	aws_asg_page_free(&p);
	strcpy(s, buf);
	memcpy(strstr(s, "2011-01-01"), "2099-01-01", 10);
	ok(aws_parse_asg(s, strlen(s), &p, err, sizeof(err)) == -1,
	    "asg: another namespace refused (%s)", err);
	aws_asg_page_free(&p);
	free(s);
	free(buf);
}

static void
test_ec2(void)
{
	struct aws_ec2_page	 p;
	char			*b1, *b2, err[256], *s;
	size_t			 l1, l2;

	memset(&p, 0, sizeof(p));
	b1 = fixture("describe-instances-page1.xml", &l1);
	b2 = fixture("describe-instances-page2.xml", &l2);
	is_int(aws_parse_instances(b1, l1, IP_PRIVATE, &p, err, sizeof(err)),
	    0, "ec2 page 1 parses");
	is_int(p.naddrs, 2, "ec2 page 1: two instances");
	is_str(p.next, "2", "ec2 page 1: nextToken 2");
	is_int(aws_parse_instances(b2, l2, IP_PRIVATE, &p, err, sizeof(err)),
	    0, "ec2 page 2 parses");
	is_int(p.naddrs, 3, "ec2: pages accumulate to three");
	is_str(p.next, "", "ec2 page 2: last page");
	if (p.naddrs == 3) {
		is_str(p.addrs[0].id, "i-0598c7d356eba48d7", "ec2: id 1");
		is_str(p.addrs[0].ip, "10.0.1.17", "ec2: its own private "
		    "address, not the interface's secondary");
		is_str(p.addrs[1].ip, "10.0.2.41", "ec2: address 2");
		is_str(p.addrs[2].id, "i-0c9d8e7f6a5b4c3d2", "ec2: id 3");
		is_str(p.addrs[2].ip, "10.0.1.88", "ec2: address 3");
	}
	aws_ec2_page_free(&p);

	is_int(aws_parse_instances(b1, l1, IP_PUBLIC, &p, err, sizeof(err)),
	    0, "ec2 page 1 parses for public");
	ok(p.naddrs == 2 && p.addrs[0].ip[0] == '\0' &&
	    p.addrs[1].ip[0] == '\0', "ec2: no ipAddress, no public address");
	aws_ec2_page_free(&p);

	/* a public address nested in an interface is not the instance's */
	s = calloc(1, l1 + 512);
	strcpy(s, b1);
	memcpy(strstr(s, "<privateIpAddressesSet><item>"),
	    "<privateIpAddressesSet><item>", 29);
	{
		char	*at = strstr(s, "<primary>false</primary>");
		char	 tail[8192];

		snprintf(tail, sizeof(tail), "%s", at);
		sprintf(at, "<association><publicIp>127.0.0.4</publicIp>"
		    "</association>%s", tail);
	}
	is_int(aws_parse_instances(s, strlen(s), IP_PUBLIC, &p, err,
	    sizeof(err)), 0, "ec2: nested association parses");
	ok(p.naddrs == 2 && p.addrs[0].ip[0] == '\0',
	    "ec2: nested publicIp not taken");
	aws_ec2_page_free(&p);

	/* ipAddress of the instance itself */
	strcpy(s, b1);
	{
		char	*at = strstr(s, "<sourceDestCheck>");
		char	 tail[8192];

		snprintf(tail, sizeof(tail), "%s", at);
		sprintf(at, "<ipAddress>198.51.100.7</ipAddress>%s", tail);
	}
	is_int(aws_parse_instances(s, strlen(s), IP_PUBLIC, &p, err,
	    sizeof(err)), 0, "ec2: ipAddress parses");
	is_str(p.naddrs ? p.addrs[0].ip : "", "198.51.100.7",
	    "ec2: the instance's own ipAddress");
	aws_ec2_page_free(&p);

	/* an address that is not one */
	strcpy(s, b1);
	memcpy(strstr(s, ">10.0.1.17<"), ">10.0.1.1;<", 11);
	ok(aws_parse_instances(s, strlen(s), IP_PRIVATE, &p, err,
	    sizeof(err)) == -1, "ec2: a bad address refused (%s)", err);
	aws_ec2_page_free(&p);
	free(s);

	ok(aws_parse_instances(b1, l1 - 30, IP_PRIVATE, &p, err,
	    sizeof(err)) == -1, "ec2: truncated refused (%s)", err);
	aws_ec2_page_free(&p);
	ok(aws_parse_asg(b1, l1, &(struct aws_asg_page){ 0 }, err,
	    sizeof(err)) == -1, "asg parser refuses an EC2 answer (%s)", err);
	free(b1);
	free(b2);
}

static void
test_bad_xml(void)
{
	static const char *bad[] = {
		"",
		"<html><body>502 Bad Gateway</body></html",
		"<DescribeAutoScalingGroupsResponse xmlns=\""
		    "http://autoscaling.amazonaws.com/doc/2011-01-01/\"/>",
		"<DescribeAutoScalingGroupsResponse xmlns=\""
		    "http://autoscaling.amazonaws.com/doc/2011-01-01/\">"
		    "<DescribeAutoScalingGroupsResult><AutoScalingGroups>"
		    "<member><AutoScalingGroupName>my-asg",
		"<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		    "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>"
		    "<DescribeAutoScalingGroupsResponse>&lol2;"
		    "</DescribeAutoScalingGroupsResponse>",
		"<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroups"
		    "Result><AutoScalingGroups/></DescribeAutoScalingGroupsRes"
		    "ult></DescribeAutoScalingGroupsResponse>",
		"<DescribeAutoScalingGroupsResponse xmlns=\""
		    "http://autoscaling.amazonaws.com/doc/2011-01-01/\">"
		    "<DescribeAutoScalingGroupsResult><AutoScalingGroups>"
		    "<member><Instances/></member></AutoScalingGroups>"
		    "</DescribeAutoScalingGroupsResult>"
		    "</DescribeAutoScalingGroupsResponse>",
	};
	struct aws_asg_page	 p;
	char			 err[256], deep[4096];
	size_t			 i;
	int			 d;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0, sizeof(p));
		err[0] = '\0';
		ok(aws_parse_asg(bad[i], strlen(bad[i]), &p, err,
		    sizeof(err)) == -1 && err[0] != '\0',
		    "asg: bad answer %zu refused (%s)", i, err);
		aws_asg_page_free(&p);
	}
	deep[0] = '\0';
	strcat(deep, "<DescribeAutoScalingGroupsResponse xmlns=\""
	    "http://autoscaling.amazonaws.com/doc/2011-01-01/\">");
	for (d = 0; d < 40; d++)
		strcat(deep, "<a>");
	memset(&p, 0, sizeof(p));
	ok(aws_parse_asg(deep, strlen(deep), &p, err, sizeof(err)) == -1,
	    "asg: deep nesting refused (%s)", err);
	aws_asg_page_free(&p);
}

static void
test_errors(void)
{
	char	*buf, code[AWS_CODE_MAX], msg[AWS_MSG_MAX];
	size_t	 len;

	buf = fixture("error-throttling.xml", &len);
	is_int(aws_parse_error(buf, len, code, sizeof(code), msg,
	    sizeof(msg)), 0, "error-throttling parses");
	is_str(code, "Throttling", "Throttling code");
	is_str(msg, "Rate exceeded", "Throttling message");
	free(buf);
	buf = fixture("error-auth.xml", &len);
	is_int(aws_parse_error(buf, len, code, sizeof(code), msg,
	    sizeof(msg)), 0, "error-auth parses");
	is_str(code, "InvalidClientTokenId", "auth code");
	is_str(msg, "The security token included in the request is invalid.",
	    "auth message");
	free(buf);
	buf = fixture("error-ec2-request-limit.xml", &len);
	is_int(aws_parse_error(buf, len, code, sizeof(code), msg,
	    sizeof(msg)), 0, "EC2 error form parses");
	is_str(code, "RequestLimitExceeded", "EC2 code");
	is_str(msg, "Request limit exceeded.", "EC2 message");
	free(buf);
	buf = fixture("describe-instances-page1.xml", &len);
	ok(aws_parse_error(buf, len, code, sizeof(code), msg,
	    sizeof(msg)) == -1, "an answer is not an error");
	free(buf);
	ok(aws_parse_error("<ErrorResponse><Error><Message>x</Message>"
	    "</Error></ErrorResponse>", 60, code, sizeof(code), msg,
	    sizeof(msg)) == -1, "an error without Code is refused");
	aws_clean(msg, 16, "a\nb\x1b[31mc\xc3\xa9 long text here");
	is_str(msg, "a?b?[31mc?? lon", "aws_clean: controls replaced, cut");
}

static void
test_endpoints(void)
{
	char	 u[AWS_URL_MAX], r[64];

	is_int(aws_endpoint("", NULL, NULL, "autoscaling", "eu-west-1", u,
	    sizeof(u)), 0, "default endpoint");
	is_str(u, "https://autoscaling.eu-west-1.amazonaws.com",
	    "https://autoscaling.REGION.amazonaws.com");
	aws_endpoint(NULL, NULL, NULL, "ec2", "cn-north-1", u, sizeof(u));
	is_str(u, "https://ec2.cn-north-1.amazonaws.com.cn", "China: .cn");
	aws_endpoint("", "http://127.0.0.1:1/", "http://x:2", "ec2",
	    "us-east-1", u, sizeof(u));
	is_str(u, "http://127.0.0.1:1/", "AWS_ENDPOINT_URL_EC2 before "
	    "AWS_ENDPOINT_URL");
	aws_endpoint("", "", "http://x:2", "ec2", "us-east-1", u, sizeof(u));
	is_str(u, "http://x:2", "AWS_ENDPOINT_URL");
	aws_endpoint("https://conf.example", "http://a", "http://b", "ec2",
	    "us-east-1", u, sizeof(u));
	is_str(u, "https://conf.example", "ep2.conf's key first");
	ok(aws_endpoint("ftp://x", NULL, NULL, "ec2", "us-east-1", u,
	    sizeof(u)) == -1, "endpoint: ftp refused");
	ok(aws_endpoint("http://a b", NULL, NULL, "ec2", "us-east-1", u,
	    sizeof(u)) == -1, "endpoint: blank refused");
	ok(aws_endpoint("http://", NULL, NULL, "ec2", "us-east-1", u,
	    sizeof(u)) == -1, "endpoint: no host refused");
	ok(aws_endpoint(NULL, NULL, NULL, "ec2", "", u, sizeof(u)) == -1,
	    "endpoint: no region, no default");

	is_int(aws_region("eu-west-1", "us-east-2", "x", "y", r, sizeof(r)),
	    0, "region_name");
	is_str(r, "eu-west-1", "region_name first");
	aws_region("", "us-east-2", "ap-south-1", "y", r, sizeof(r));
	is_str(r, "us-east-2", "AWS_REGION next");
	aws_region(NULL, NULL, "ap-south-1", "sa-east-1", r, sizeof(r));
	is_str(r, "ap-south-1", "AWS_DEFAULT_REGION next");
	aws_region(NULL, "", "", "sa-east-1", r, sizeof(r));
	is_str(r, "sa-east-1", "the config file's region last");
	ok(aws_region(NULL, NULL, NULL, NULL, r, sizeof(r)) == -1,
	    "no region");
	ok(aws_region(NULL, NULL, NULL, "eu-west-1;rm", r, sizeof(r)) == -1,
	    "region from the file: checked like the others");
	ok(aws_region("EU-west-1", NULL, NULL, NULL, r, sizeof(r)) == -1,
	    "region: capitals refused");
	ok(aws_region("eu-west-1.evil.com/", NULL, NULL, NULL, r,
	    sizeof(r)) == -1,
	    "region: dots and slashes refused");
}

static void
test_creds_parsers(void)
{
	static const char file[] =
	    "# comment\n"
	    "[default]\n"
	    "aws_access_key_id = AKIDEXAMPLE\n"
	    "aws_secret_access_key = not-the-right-one\n"
	    "\n"
	    "[ep2d]\n"
	    "aws_access_key_id   =   AKIDFILE\r\n"
	    "; another comment\n"
	    "aws_secret_access_key = filesecret\n"
	    "aws_session_token = tok/en+=\n"
	    "s3 =\n"
	    "  aws_access_key_id = NESTED\n"
	    "[other]\n"
	    "aws_access_key_id = AKIDOTHER\n";
	static const char config[] =
	    "[default]\nregion = eu-west-1\n"
	    "[profile ep2d]\naws_access_key_id = AKIDCONFIGFILE\n"
	    "aws_secret_access_key = s\n";
	static const char config2[] =
	    "[profile ep2d]\nregion = eu-west-3\nregion =  ap-northeast-1  \n"
	    "[profile long]\n"
	    "region = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
	struct aws_creds	 c;
	char			 err[256], *buf, r[64];
	size_t			 len;
	time_t			 t;

	is_int(creds_parse_file(file, strlen(file), "ep2d", 0, &c, err,
	    sizeof(err)), 0, "credentials file: profile ep2d");
	is_str(c.akid, "AKIDFILE", "file: access key id (blanks trimmed)");
	is_str(c.secret, "filesecret", "file: secret");
	is_str(c.token, "tok/en+=", "file: session token");
	is_int(c.origin, AWS_ORIGIN_FILE, "file: origin");
	is_int(creds_parse_file(file, strlen(file), "default", 0, &c, err,
	    sizeof(err)), 0, "credentials file: default");
	is_str(c.akid, "AKIDEXAMPLE", "file: default's key");
	is_int(creds_parse_file(file, strlen(file), "nope", 0, &c, err,
	    sizeof(err)), 1, "credentials file: missing profile");
	is_int(creds_parse_file(file, strlen(file), "other", 0, &c, err,
	    sizeof(err)), -1, "credentials file: key without secret refused");
	is_int(creds_parse_file(config, strlen(config), "ep2d", 1, &c, err,
	    sizeof(err)), 0, "config file: [profile ep2d]");
	is_str(c.akid, "AKIDCONFIGFILE", "config file: key");
	is_int(creds_parse_file(config, strlen(config), "default", 1, &c, err,
	    sizeof(err)), 1, "config file: default without keys");
	is_int(creds_parse_file(config, strlen(config), "ep2d", 0, &c, err,
	    sizeof(err)), 1, "credentials file: no [profile x] sections");

	is_int(creds_parse_region(config, strlen(config), "default", r,
	    sizeof(r), err, sizeof(err)), 0, "config file: default's region");
	is_str(r, "eu-west-1", "config file: region");
	is_int(creds_parse_region(config, strlen(config), "ep2d", r,
	    sizeof(r), err, sizeof(err)), 1,
	    "config file: a profile does not inherit default's region");
	is_int(creds_parse_region(config2, strlen(config2), "ep2d", r,
	    sizeof(r), err, sizeof(err)), 0, "config file: [profile ep2d]");
	is_str(r, "ap-northeast-1", "its region, blanks trimmed, last wins");
	is_int(creds_parse_region(config2, strlen(config2), "long", r,
	    sizeof(r), err, sizeof(err)), -1, "a region too long: refused");
	ok(strstr(err, "line 5: region too long") != NULL,
	    "with the line (%s)", err);
	ok(r[0] == '\0', "and nothing of it is kept");
	{
		/* a session token near AWS_TOKEN_MAX fits on its line */
		char	*big;
		size_t	 n;

		if ((big = malloc(AWS_TOKEN_MAX + 128)) == NULL)
			abort();
		n = snprintf(big, AWS_TOKEN_MAX + 128, "[default]\n"
		    "aws_access_key_id = AKIDBIG\n"
		    "aws_secret_access_key = s\naws_session_token = ");
		memset(big + n, 'T', AWS_TOKEN_MAX - 1);
		big[n + AWS_TOKEN_MAX - 1] = '\n';
		big[n + AWS_TOKEN_MAX] = '\0';
		is_int(creds_parse_file(big, strlen(big), "default", 0, &c,
		    err, sizeof(err)), 0, "a session token of %d bytes "
		    "on one line", AWS_TOKEN_MAX - 1);
		ok(strlen(c.token) == AWS_TOKEN_MAX - 1, "kept whole");
		free(big);
	}

	buf = fixture("imds/security-credentials-role.json", &len);
	is_int(creds_parse_json(buf, len, 1, &c, err, sizeof(err)), 0,
	    "IMDS role credentials parse");
	is_str(c.akid, "ASIAIOSFODNN7EXAMPLE", "IMDS: AccessKeyId");
	is_str(c.token, "IQoJb3JpZ2luX2VjEXAMPLETOKENFROMIMDS==",
	    "IMDS: Token");
	is_int(c.expiration, 1795622400, "IMDS: Expiration");
	is_int(c.origin, AWS_ORIGIN_IMDS, "IMDS: origin");
	free(buf);
	buf = fixture("imds/ecs-credentials.json", &len);
	is_int(creds_parse_json(buf, len, 0, &c, err, sizeof(err)), 0,
	    "ECS credentials parse");
	is_str(c.token, "IQoJb3JpZ2luX2VjEXAMPLETOKENFROMECS==", "ECS: Token");
	is_int(c.origin, AWS_ORIGIN_ECS, "ECS: origin");
	free(buf);
	ok(creds_parse_json("{\"Code\":\"Failure\",\"AccessKeyId\":\"A\"}", 36,
	    1, &c, err, sizeof(err)) == -1, "IMDS: Code not Success refused");
	ok(creds_parse_json("{\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":"
	    "\"s\",\"Token\":\"t\"}", 52, 0, &c, err, sizeof(err)) == -1,
	    "ECS: no Expiration refused");
	ok(creds_parse_json("{\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":"
	    "\"s\",\"Token\":\"t\\r\\nX-Evil: 1\",\"Expiration\":"
	    "\"2026-11-25T16:00:00Z\"}", 103, 0, &c, err, sizeof(err)) == -1,
	    "ECS: a token with CR LF refused (%s)", err);
	ok(creds_parse_json("[1]", 3, 0, &c, err, sizeof(err)) == -1,
	    "ECS: not an object refused");
	ok(creds_parse_json("{\"a\":", 5, 0, &c, err, sizeof(err)) == -1,
	    "ECS: truncated JSON refused");
	{
		static const char	 good[] = "{\"AccessKeyId\":\"AKID\","
		    "\"SecretAccessKey\":\"s\",\"Token\":\"t\","
		    "\"Expiration\":\"2026-11-25T16:00:00Z\"}";
		char			 b[256], role[160];

		snprintf(b, sizeof(b), "%s\r\n", good);
		ok(creds_parse_json(b, strlen(b), 0, &c, err,
		    sizeof(err)) == 0, "ECS: blanks after the value taken");
		snprintf(b, sizeof(b), "%s{\"AccessKeyId\":\"X\"}", good);
		ok(creds_parse_json(b, strlen(b), 0, &c, err,
		    sizeof(err)) == -1 && strcmp(err, "not JSON: text after "
		    "the value") == 0, "ECS: text after the value refused, "
		    "said so (%s)", err);
		snprintf(b, sizeof(b), "%s x", good);
		ok(creds_parse_json(b, strlen(b), 1, &c, err,
		    sizeof(err)) == -1, "IMDS: text after the value refused");
		memcpy(b, good, sizeof(good));
		b[sizeof(good) - 1] = '\0';
		ok(creds_parse_json(b, sizeof(good), 1, &c, err,
		    sizeof(err)) == -1, "IMDS: a NUL after the value refused");

		ok(creds_parse_role("ep2d-web-role", 13, role, sizeof(role),
		    err, sizeof(err)) == 0 && strcmp(role, "ep2d-web-role") ==
		    0, "role: a name");
		ok(creds_parse_role("ep2d-web-role\r\n", 15, role,
		    sizeof(role), err, sizeof(err)) == 0 &&
		    strcmp(role, "ep2d-web-role") == 0,
		    "role: a line end after it");
		ok(creds_parse_role("ep2d\r\nX-Evil: 1", 16, role,
		    sizeof(role), err, sizeof(err)) == -1 &&
		    strstr(err, "CR or LF") != NULL,
		    "role: CR LF inside refused, said so (%s)", err);
		ok(creds_parse_role("ep2d\rrole", 9, role, sizeof(role), err,
		    sizeof(err)) == -1, "role: a lone CR inside refused");
		ok(creds_parse_role("a\nb\n", 4, role, sizeof(role), err,
		    sizeof(err)) == -1, "role: two roles refused");
		ok(creds_parse_role("a/../b", 6, role, sizeof(role), err,
		    sizeof(err)) == -1, "role: a path refused");
		ok(creds_parse_role("\n", 1, role, sizeof(role), err,
		    sizeof(err)) == -1 && strstr(err, "no IAM role") != NULL,
		    "role: none");
	}

	ok(creds_parse_time("2026-11-25T16:00:00Z", &t) == 0 &&
	    t == 1795622400, "time: Z");
	ok(creds_parse_time("2026-11-25T16:00:00.123Z", &t) == 0 &&
	    t == 1795622400, "time: fraction");
	ok(creds_parse_time("2026-11-25T16:00:00+00:00", &t) == 0,
	    "time: +00:00");
	ok(creds_parse_time("2026-11-25 16:00:00", &t) == -1, "time: no T");
	ok(creds_parse_time("2026-11-25T16:00:00+02:00", &t) == -1,
	    "time: other zone refused");

	is_int(creds_container_url(NULL, "/v2/credentials/x", err, 256,
	    err + 128, 128), 0, "container: relative URI");
	is_str(err, "http://169.254.170.2/v2/credentials/x",
	    "container: relative on 169.254.170.2");
	{
		char	 u[256], e[128];

		is_int(creds_container_url("http://127.0.0.1:9/creds", NULL,
		    u, sizeof(u), e, sizeof(e)), 0,
		    "container: full, loopback");
		ok(creds_container_url("http://203.0.113.5/creds", NULL, u,
		    sizeof(u), e, sizeof(e)) == -1,
		    "container: full, plain http elsewhere refused");
		is_int(creds_container_url("https://creds.example/x", NULL,
		    u, sizeof(u), e, sizeof(e)), 0, "container: https");
		is_int(creds_container_url(NULL, "", u, sizeof(u), e,
		    sizeof(e)), 1, "container: not configured");
		ok(creds_container_url(NULL, "v2", u, sizeof(u), e,
		    sizeof(e)) == -1, "container: relative without / refused");
	}
	{
		static const struct {
			const char	*url;
			int		 ok;
		} cu[] = {
			/* the host, not the text, is what counts */
			{ "http://localhost@attacker.example/", 0 },
			{ "http://127.attacker.example/", 0 },
			{ "http://127.0.0.1.attacker.example/", 0 },
			{ "http://localhost.attacker.example/", 0 },
			{ "http://[::1].attacker.example/", 0 },
			{ "http://169.254.170.2@attacker.example/", 0 },
			{ "http://169.254.170.23.attacker.example/", 0 },
			{ "http://user:pw@127.0.0.1/", 0 },
			{ "https://user@creds.example/", 0 },
			{ "http://[fe80::1%25eth0]/", 0 },
			{ "http://[::2]/", 0 },
			{ "http://[::ffff:127.0.0.1]/", 0 },
			{ "http://128.0.0.1/", 0 },
			{ "http://169.254.170.3/", 0 },
			{ "http://169.254.169.254/", 0 },
			{ "ftp://127.0.0.1/", 0 },
			{ "file:///etc/passwd", 0 },
			{ "127.0.0.1/creds", 0 },
			{ "http://", 0 },
			{ "http://127.0.0.1/a b", 0 },
			/* the SDKs' hosts */
			{ "http://127.0.0.1/creds", 1 },
			{ "http://127.255.3.4:8080/creds", 1 },
			{ "http://localhost/creds", 1 },
			{ "http://LOCALHOST:9/creds", 1 },
			{ "http://[::1]:9/creds", 1 },
			{ "http://[0:0::1]/creds", 1 },
			{ "http://169.254.170.2/v2/credentials/x", 1 },
			{ "http://169.254.170.23/v1/credentials", 1 },
			{ "http://[fd00:ec2::23]/v1/credentials", 1 },
			{ "HTTPS://creds.example/x", 1 },
		};
		char	 u[256], e[256];
		size_t	 i;
		int	 cr;

		for (i = 0; i < sizeof(cu) / sizeof(cu[0]); i++) {
			e[0] = '\0';
			cr = creds_container_url(cu[i].url, NULL, u, sizeof(u),
			    e, sizeof(e));
			ok(cu[i].ok ? cr == 0 : cr == -1, "container: %s %s%s%s",
			    cu[i].url, cu[i].ok ? "accepted" : "refused",
			    cr == -1 ? ": " : "", cr == -1 ? e : "");
		}
		is_int(creds_container_url(NULL, "/@attacker.example/x", u,
		    sizeof(u), e, sizeof(e)), 0,
		    "container: relative with @ stays on 169.254.170.2");
		is_str(u, "http://169.254.170.2/@attacker.example/x",
		    "container: relative, the host is 169.254.170.2");
		is_int(creds_container_url("http://localhost:9/a?b=c", NULL,
		    u, sizeof(u), e, sizeof(e)), 0, "container: a query");
		is_str(u, "http://localhost:9/a?b=c",
		    "container: the URL as libcurl writes it");
	}

	memset(&c, 0, sizeof(c));
	strcpy(c.akid, "akidlower");
	strcpy(c.secret, "s");
	ok(creds_check(&c, err, sizeof(err)) == -1, "check: lower-case key "
	    "id refused");
	strcpy(c.akid, "AKID");
	strcpy(c.secret, "a b");
	ok(creds_check(&c, err, sizeof(err)) == -1, "check: blank in secret");
	strcpy(c.secret, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	ok(creds_check(&c, err, sizeof(err)) == 0, "check: good keys");
	ok(strstr(err, "wJalr") == NULL, "check: no secret in its text");
	creds_wipe(&c);
	ok(c.secret[0] == '\0' && c.akid[0] == '\0', "wipe");
}

static void
loop_once(struct event_base *evb)
{
	int	 i;

	/* the poll timer is at least 100 ms; wait for the request */
	for (i = 0; i < 50 && !rq.pending; i++)
		event_base_loop(evb, EVLOOP_ONCE);
}

static void
test_source(void)
{
	struct event_base	*evb;
	struct ep2_conf		 conf;
	struct backend_conf	 be;
	struct source		 src;
	char			*asg, *p1, *p2, *thr, *empty;
	size_t			 l;
	int			 n;

	asg = fixture("describe-auto-scaling-groups.xml", &l);
	p1 = fixture("describe-instances-page1.xml", &l);
	p2 = fixture("describe-instances-page2.xml", &l);
	thr = fixture("error-throttling.xml", &l);
	empty = strdup(asg);
	strcpy(strstr(empty, "<Instances>"), "<Instances/></member>"
	    "</AutoScalingGroups></DescribeAutoScalingGroupsResult>"
	    "</DescribeAutoScalingGroupsResponse>");

	evb = event_init();
	memset(&conf, 0, sizeof(conf));
	memset(&be, 0, sizeof(be));
	be.conf = &conf;
	be.backend_port = 6003;
	conf.sleep_before_next_run = 1;
	strcpy(be.aws.asg_names[0], "my-asg");
	be.aws.nasg = 1;
	strcpy(be.aws.region, "us-east-1");
	conf.aws.ip_type = IP_PRIVATE;
	strcpy(conf.aws.autoscaling_endpoint, "http://127.0.0.1:1");
	strcpy(conf.aws.ec2_endpoint, "http://127.0.0.1:2");
	memset(&src, 0, sizeof(src));
	src.type = ORCH_AWS;
	src.be = &be;
	src.evb = evb;

	/* the environment's keys, with a session token */
	unsetenv("AWS_PROFILE");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "sessiontoken", 1);

	ok(aws_ops.init(&src) == 0, "source: init");
	ok(aws_ops.start(&src) == 0, "source: start");
	loop_once(evb);
	ok(rq.pending, "source: a request after start");
	is_str(rq.url, "http://127.0.0.1:1", "asg: to autoscaling_endpoint");
	is_str(rq.method, "POST", "asg: POST");
	is_str(rq.body, "Action=DescribeAutoScalingGroups&Version=2011-01-01"
	    "&AutoScalingGroupNames.member.1=my-asg", "asg: form body");
	is_str(rq.sigv4, "aws:amz:us-east-1:autoscaling", "asg: SigV4 scope");
	is_str(rq.userpwd, "AKIDENV:envsecret", "asg: keys from the "
	    "environment");
	ok(has_header("X-Amz-Security-Token: sessiontoken"),
	    "asg: session token header");
	ok(has_header("Content-Type: application/x-www-form-urlencoded; "
	    "charset=utf-8"), "asg: form content type");

	answer(200, asg);
	ok(rq.pending, "ec2: DescribeInstances follows");
	is_str(rq.url, "http://127.0.0.1:2", "ec2: to ec2_endpoint");
	is_str(rq.sigv4, "aws:amz:us-east-1:ec2", "ec2: SigV4 scope");
	is_str(rq.body, "Action=DescribeInstances&Version=2016-11-15"
	    "&InstanceId.1=i-0598c7d356eba48d7", "ec2: the InService one only");
	answer(200, p1);
	ok(rq.pending && strstr(rq.body, "&NextToken=2") != NULL,
	    "ec2: nextToken followed");
	n = sr.good;
	answer(200, p2);
	ok(sr.good == n + 1 && sr.count == 1, "source: one server sent");
	is_str(sr.first, "10.0.1.17", "source: its private address");
	is_int(sr.port, 6003, "source: backend_port");

	/* steady state: one call per poll */
	n = rq.count;
	aws_ops.fetch_now(&src);
	loop_once(evb);
	ok(rq.pending && strstr(rq.body, "DescribeAutoScalingGroups") !=
	    NULL, "poll 2: DescribeAutoScalingGroups");
	answer(200, asg);
	ok(!rq.pending && rq.count == n + 1 && sr.count == 1,
	    "poll 2: no DescribeInstances, same set");

	/* throttled: a failure, never a set */
	n = sr.good;
	aws_ops.fetch_now(&src);
	loop_once(evb);
	answer(400, thr);
	ok(sr.good == n && sr.fail >= 1, "throttled: failure, no set");
	ok(strstr(sr.error, "Throttling: Rate exceeded") != NULL,
	    "throttled: AWS's code and message (%s)", sr.error);
	ok(strstr(sr.error, "envsecret") == NULL &&
	    strstr(sr.error, "sessiontoken") == NULL, "no secret in the error");

	/* a transport error: the same */
	aws_ops.fetch_now(&src);
	loop_once(evb);
	{
		struct http_resp	 r;

		memset(&r, 0, sizeof(r));
		r.error = "Timeout was reached";
		rq.pending = 0;
		rq.cb(rq.arg, &r);
	}
	ok(sr.good == n && strstr(sr.error, "Timeout") != NULL,
	    "timeout: failure (%s)", sr.error);

	/* scale to zero: the group answered without instances */
	aws_ops.fetch_now(&src);
	loop_once(evb);
	answer(200, empty);
	ok(sr.good == n + 1 && sr.count == 0, "scaled to zero: empty set");

	/* a group that does not answer is an error */
	strcpy(be.aws.asg_names[1], "no-such-asg");
	be.aws.nasg = 2;
	n = sr.good;
	aws_ops.fetch_now(&src);
	loop_once(evb);
	ok(strstr(rq.body, "AutoScalingGroupNames.member.2=no-such-asg") !=
	    NULL, "two groups named in one call");
	answer(200, asg);
	ok(sr.good == n && strstr(sr.error, "no-such-asg") != NULL,
	    "missing group: failure (%s)", sr.error);

	/* ep2.conf's keys win over the environment */
	be.aws.nasg = 1;
	strcpy(conf.aws.access_key_id, "AKIDCONF");
	strcpy(conf.aws.secret_access_key, "confsecret");
	aws_ops.fetch_now(&src);
	loop_once(evb);
	is_str(rq.userpwd, "AKIDCONF:confsecret", "ep2.conf keys first");
	ok(!has_header("X-Amz-Security-Token: sessiontoken"),
	    "ep2.conf keys: no session token");
	answer(200, asg);
	ok(rq.pending, "ip cache pruned at scale to zero: asked again");
	answer(200, p2);
	ok(!rq.pending, "done");

	aws_ops.stop(&src);
	ok(src.ctx == NULL, "source: stopped");
	free(asg);
	free(p1);
	free(p2);
	free(thr);
	free(empty);
}

/*
 * The answers as AWS documents them (aws-docs) and as botocore's own
 * tests record them (botocore): parsed as the fixtures ep2d's fakes
 * answer with are.
 */
static void
test_real(void)
{
	struct aws_asg_page	 a;
	struct aws_ec2_page	 e;
	char			*buf, err[256];
	char			 code[AWS_CODE_MAX], msg[AWS_MSG_MAX];
	size_t			 len;

	memset(&a, 0, sizeof(a));
	buf = fixture("real/aws-docs/autoscaling-describe-auto-scaling-groups"
	    ".xml", &len);
	is_int(aws_parse_asg(buf, len, &a, err, sizeof(err)), 0,
	    "aws-docs DescribeAutoScalingGroups parses");
	ok(a.nids == 1 && strcmp(a.ids[0], "i-1234567890abcdef0") == 0,
	    "aws-docs: its one InService and Healthy instance");
	ok(a.ngroups == 1 && strcmp(a.groups[0], "my-asg") == 0,
	    "aws-docs: group my-asg");
	is_str(a.next, "", "aws-docs: no NextToken");
	aws_asg_page_free(&a);
	free(buf);

	memset(&a, 0, sizeof(a));
	buf = fixture("real/botocore/responses_autoscaling-describe-auto-"
	    "scaling-groups.xml", &len);
	is_int(aws_parse_asg(buf, len, &a, err, sizeof(err)), 0,
	    "botocore's empty DescribeAutoScalingGroups parses");
	ok(a.nids == 0 && a.ngroups == 0 && a.next[0] == '\0',
	    "botocore: no group, no instance, last page");
	aws_asg_page_free(&a);
	free(buf);

	memset(&e, 0, sizeof(e));
	buf = fixture("real/aws-docs/ec2-describe-instances.xml", &len);
	is_int(aws_parse_instances(buf, len, IP_PRIVATE, &e, err,
	    sizeof(err)), 0, "aws-docs DescribeInstances parses");
	ok(e.naddrs == 1 && strcmp(e.addrs[0].id, "i-1234567890abcdef0") ==
	    0 && strcmp(e.addrs[0].ip, "192.168.1.88") == 0,
	    "aws-docs: the instance's own private address");
	aws_ec2_page_free(&e);
	is_int(aws_parse_instances(buf, len, IP_PUBLIC, &e, err,
	    sizeof(err)), 0, "aws-docs DescribeInstances parses for public");
	ok(e.naddrs == 1 && strcmp(e.addrs[0].ip, "54.194.252.215") == 0,
	    "aws-docs: its public address");
	aws_ec2_page_free(&e);
	free(buf);

	buf = fixture("real/botocore/errors_ec2-describe-instances.xml", &len);
	is_int(aws_parse_error(buf, len, code, sizeof(code), msg,
	    sizeof(msg)), 0, "botocore's EC2 error parses");
	is_str(code, "InvalidInstanceID.Malformed", "EC2 error code");
	free(buf);
	buf = fixture("real/botocore/errors_autoscaling-delete-policy.xml",
	    &len);
	is_int(aws_parse_error(buf, len, code, sizeof(code), msg,
	    sizeof(msg)), 0, "botocore's Auto Scaling error parses");
	is_str(code, "ValidationError", "Auto Scaling error code");
	free(buf);
}

int
main(void)
{
	if ((fixdir = getenv("EP2D_FIXTURES")) == NULL)
		fixdir = "regress/fixtures";
	{
		static char	 d[1024];

		snprintf(d, sizeof(d), "%s/aws-api", fixdir);
		fixdir = d;
	}
	log_init(1, 0);
	log_setverbose(0);
	test_asg();
	test_ec2();
	test_bad_xml();
	test_errors();
	test_real();
	test_endpoints();
	test_creds_parsers();
	test_source();
	return (done_testing());
}
