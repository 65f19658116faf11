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
 * The AWS credential chain, in the SDKs' order: ep2.conf's keys, the
 * environment, the shared credentials and config files, the container
 * credentials endpoint (ECS), EC2 instance metadata (IMDSv2).  The files
 * and the environment are read once, as root, in creds_init(), before
 * the fetcher closes its sandbox: from its chroot it could not.  The two
 * endpoints hand out temporary keys; they are asked again before the
 * keys expire.  No key, secret or token ever reaches a log line.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json.h>

#include "ep2d.h"
#include "aws.h"
#include "http.h"
#include "log.h"

#define ECS_HOST		"http://169.254.170.2"
#define IMDS_HOST		"http://169.254.169.254"
#define IMDS_HOST6		"http://[fd00:ec2::254]"
#define IMDS_TTL		"21600"
#define IMDS_TOKEN_MAX		256
#define IMDS_ROLE_MAX		128
#define META_TIMEOUT_MS		5000
#define META_CONNECT_MS		1000

enum meta_step {
	STEP_NONE,
	STEP_ECS,
	STEP_IMDS_TOKEN,
	STEP_IMDS_ROLE,
	STEP_IMDS_CREDS
};

struct aws_chain {
	struct aws_creds	 conf;	/* ep2.conf's, copied per call */
	struct aws_creds	 env;
	struct aws_creds	 file;
	int			 have_env;
	int			 have_file;
	char			 file_desc[PATH_MAX + 64];
	char			 file_region[64];	/* config file's */

	char			 ecs_url[AWS_URL_MAX];
	char			 ecs_auth[AWS_TOKEN_MAX];
	int			 have_ecs;
	char			 imds_url[AWS_URL_MAX];
	int			 imds_off;

	struct aws_creds	 fetched;	/* ECS or IMDS */
	int			 have_fetched;

	/* a fetch in progress */
	enum meta_step		 step;
	struct http_req		*req;
	int			 inflight;
	char			 url[AWS_URL_MAX + IMDS_ROLE_MAX + 64];
	char			 hdr[AWS_TOKEN_MAX + 64];
	char			 imds_token[IMDS_TOKEN_MAX];
	char			 role[IMDS_ROLE_MAX + 1];
	aws_creds_cb		 cb;
	void			*cbarg;
};

static int	 meta_start(struct aws_chain *, char *, size_t);
static int	 meta_send(struct aws_chain *, const char *, const char *);
static void	 meta_done(void *, const struct http_resp *);
static void	 meta_finish(struct aws_chain *, const char *);

const char *
creds_origin_name(enum aws_origin o)
{
	switch (o) {
	case AWS_ORIGIN_NONE:
		break;
	case AWS_ORIGIN_CONFIG:
		return ("ep2.conf");
	case AWS_ORIGIN_ENV:
		return ("the environment");
	case AWS_ORIGIN_FILE:
		return ("the shared credentials file");
	case AWS_ORIGIN_ECS:
		return ("the container credentials endpoint");
	case AWS_ORIGIN_IMDS:
		return ("instance metadata (IMDSv2)");
	}
	return ("nowhere");
}

void
creds_wipe(struct aws_creds *c)
{
	explicit_bzero(c, sizeof(*c));
}

/*
 * Keys fit to be sent: an access key id of letters and digits, and a
 * secret and token without blanks or control characters (the token
 * goes in a header, the secret after a colon).
 */
int
creds_check(const struct aws_creds *c, char *err, size_t errlen)
{
	size_t	 i;

	if (c->akid[0] == '\0' || c->secret[0] == '\0') {
		snprintf(err, errlen, "access key id or secret missing");
		return (-1);
	}
	for (i = 0; c->akid[i] != '\0'; i++)
		if (!isupper((unsigned char)c->akid[i]) &&
		    !isdigit((unsigned char)c->akid[i])) {
			snprintf(err, errlen, "the access key id is not "
			    "letters and digits");
			return (-1);
		}
	if (i < 4) {
		snprintf(err, errlen, "the access key id is too short");
		return (-1);
	}
	for (i = 0; c->secret[i] != '\0'; i++)
		if ((unsigned char)c->secret[i] <= 0x20 ||
		    (unsigned char)c->secret[i] >= 0x7f) {
			snprintf(err, errlen, "the secret access key holds "
			    "blanks or control characters");
			return (-1);
		}
	for (i = 0; c->token[i] != '\0'; i++)
		if ((unsigned char)c->token[i] <= 0x20 ||
		    (unsigned char)c->token[i] >= 0x7f) {
			snprintf(err, errlen, "the session token holds "
			    "blanks or control characters");
			return (-1);
		}
	return (0);
}

static int
creds_set(struct aws_creds *c, const char *akid, const char *secret,
    const char *token, enum aws_origin origin, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (strlcpy(c->akid, akid, sizeof(c->akid)) >= sizeof(c->akid) ||
	    strlcpy(c->secret, secret, sizeof(c->secret)) >=
	    sizeof(c->secret) ||
	    (token != NULL && strlcpy(c->token, token, sizeof(c->token)) >=
	    sizeof(c->token))) {
		creds_wipe(c);
		snprintf(err, errlen, "a key or token is too long");
		return (-1);
	}
	c->origin = origin;
	if (creds_check(c, err, errlen) == -1) {
		creds_wipe(c);
		return (-1);
	}
	return (0);
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return (s);
}

/*
 * Walk the shared credentials file (config == 0: [NAME]) or the config
 * file (config == 1: [profile NAME], [default]) and hand each key and
 * value of profile's section to kv.  Indented lines continue a nested
 * key (s3 = ...) and are skipped.  1: the section was found; 0: it was
 * not; -1 with err: the file is broken, or kv said so.
 */
static int
ini_profile(const char *buf, size_t len, const char *profile, int config,
    int (*kv)(void *, const char *, const char *, size_t, char *, size_t),
    void *arg, char *err, size_t errlen)
{
	char		 line[AWS_TOKEN_MAX + 256], sect[256];
	char		*s, *k, *v, *eq;
	const char	*p = buf, *end = buf + len, *nl;
	size_t		 n, lineno = 0;
	int		 in = 0, found = 0, r;

	if (config && strcmp(profile, "default") != 0)
		r = snprintf(sect, sizeof(sect), "profile %s", profile);
	else
		r = snprintf(sect, sizeof(sect), "%s", profile);
	if (r < 0 || (size_t)r >= sizeof(sect)) {
		snprintf(err, errlen, "profile name too long");
		return (-1);
	}
	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		n = nl - p;
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "line %zu too long", lineno);
			goto fail;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl < end ? nl + 1 : end;
		if (memchr(line, '\0', n) != NULL) {
			snprintf(err, errlen, "line %zu: NUL byte", lineno);
			goto fail;
		}
		if (line[0] == ' ' || line[0] == '\t')
			continue;
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if ((v = strchr(s, ']')) == NULL) {
				snprintf(err, errlen, "line %zu: bad section",
				    lineno);
				goto fail;
			}
			*v = '\0';
			s = trim(s + 1);
			/* "[profile  x]" reads as "[profile x]" */
			if (strncmp(s, "profile", 7) == 0 &&
			    (s[7] == ' ' || s[7] == '\t')) {
				k = trim(s + 8);
				in = config && strcmp(k, profile) == 0;
			} else
				in = strcmp(s, sect) == 0;
			if (in)
				found = 1;
			continue;
		}
		if (!in)
			continue;
		if ((eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		if (kv(arg, trim(s), trim(eq + 1), lineno, err, errlen) == -1)
			goto fail;
	}
	explicit_bzero(line, sizeof(line));
	return (found);
fail:
	explicit_bzero(line, sizeof(line));
	return (-1);
}

struct ini_keys {
	char		 akid[AWS_AKID_MAX];
	char		 secret[AWS_SECRET_MAX];
	char		 token[AWS_TOKEN_MAX];
};

static int
ini_keys_kv(void *arg, const char *k, const char *v, size_t lineno,
    char *err, size_t errlen)
{
	struct ini_keys	*ik = arg;
	int		 r;

	if (strcmp(k, "aws_access_key_id") == 0)
		r = strlcpy(ik->akid, v, sizeof(ik->akid)) >= sizeof(ik->akid);
	else if (strcmp(k, "aws_secret_access_key") == 0)
		r = strlcpy(ik->secret, v, sizeof(ik->secret)) >=
		    sizeof(ik->secret);
	else if (strcmp(k, "aws_session_token") == 0 ||
	    (strcmp(k, "aws_security_token") == 0 && ik->token[0] == '\0'))
		r = strlcpy(ik->token, v, sizeof(ik->token)) >=
		    sizeof(ik->token);
	else
		r = 0;
	if (r) {
		snprintf(err, errlen, "line %zu: %s too long", lineno, k);
		return (-1);
	}
	return (0);
}

/*
 * The profile's keys in the shared credentials file (config == 0) or
 * the config file (config == 1).  0: the profile's keys; 1: no such
 * profile or no keys in it; -1: the profile is broken.
 */
int
creds_parse_file(const char *buf, size_t len, const char *profile,
    int config, struct aws_creds *out, char *err, size_t errlen)
{
	struct ini_keys	 ik;
	int		 found, r;

	memset(&ik, 0, sizeof(ik));
	found = ini_profile(buf, len, profile, config, ini_keys_kv, &ik, err,
	    errlen);
	if (found == -1)
		r = -1;
	else if (!found || (ik.akid[0] == '\0' && ik.secret[0] == '\0')) {
		snprintf(err, errlen, found ? "no keys in profile %s" :
		    "no profile %s", profile);
		r = 1;
	} else
		r = creds_set(out, ik.akid, ik.secret, ik.token,
		    AWS_ORIGIN_FILE, err, errlen) == -1 ? -1 : 0;
	explicit_bzero(&ik, sizeof(ik));
	return (r);
}

struct ini_region {
	char	*out;
	size_t	 outlen;
	int	 set;
};

static int
ini_region_kv(void *arg, const char *k, const char *v, size_t lineno,
    char *err, size_t errlen)
{
	struct ini_region	*ir = arg;

	if (strcmp(k, "region") != 0)
		return (0);
	if (strlcpy(ir->out, v, ir->outlen) >= ir->outlen) {
		snprintf(err, errlen, "line %zu: region too long", lineno);
		return (-1);
	}
	ir->set = 1;
	return (0);
}

/*
 * The profile's region in the config file, as the AWS tools read it:
 * 0 and out set; 1: none there; -1: the file is broken.  The value is
 * checked where it is used (aws_region).
 */
int
creds_parse_region(const char *buf, size_t len, const char *profile,
    char *out, size_t outlen, char *err, size_t errlen)
{
	struct ini_region	 ir = { out, outlen, 0 };
	int			 found;

	if (outlen == 0)
		return (-1);
	out[0] = '\0';
	if ((found = ini_profile(buf, len, profile, 1, ini_region_kv, &ir,
	    err, errlen)) == -1) {
		out[0] = '\0';		/* nothing of a broken file */
		return (-1);
	}
	if (!ir.set || out[0] == '\0') {
		snprintf(err, errlen, "no region in profile %s", profile);
		return (1);
	}
	return (0);
}

/* ISO 8601 in UTC: 2026-11-25T16:00:00Z, fractions and +00:00 allowed */
int
creds_parse_time(const char *s, time_t *t)
{
	struct tm	 tm;
	const char	*p;
	time_t		 r;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return (-1);
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return (-1);
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return (-1);
	if ((r = timegm(&tm)) == -1)
		return (-1);
	*t = r;
	return (0);
}

static const char *
json_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/*
 * The keys of the container endpoint (imds == 0) or of the instance's
 * role (imds == 1, where "Code" must say Success).  The Expiration is
 * required: temporary keys without one would never be renewed.
 */
int
creds_parse_json(const char *buf, size_t len, int imds,
    struct aws_creds *out, char *err, size_t errlen)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	const char		*akid, *secret, *token, *exp, *code;
	enum json_tokener_error	 jerr;
	time_t			 t;
	size_t			 end;
	int			 r = -1;

	if (len > AWS_CREDS_BODY_MAX || len > INT_MAX) {
		snprintf(err, errlen, "answer too big");
		return (-1);
	}
	if ((tok = json_tokener_new()) == NULL)
		fatal("%s: json_tokener_new", __func__);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o == NULL || jerr != json_tokener_success) {
		snprintf(err, errlen, "not JSON");
		goto done;
	}
	/* blanks may follow the value; anything else is not its answer */
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (strchr(" \t\r\n", buf[end]) == NULL || buf[end] == '\0') {
			snprintf(err, errlen, "not JSON: text after the value");
			goto done;
		}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		goto done;
	}
	if (imds && (code = json_str(o, "Code")) != NULL &&
	    strcmp(code, "Success") != 0) {
		aws_clean(err, errlen, "Code is not Success");
		goto done;
	}
	akid = json_str(o, "AccessKeyId");
	secret = json_str(o, "SecretAccessKey");
	token = json_str(o, "Token");
	exp = json_str(o, "Expiration");
	if (akid == NULL || secret == NULL || token == NULL || exp == NULL) {
		snprintf(err, errlen, "AccessKeyId, SecretAccessKey, Token "
		    "or Expiration missing");
		goto done;
	}
	if (creds_parse_time(exp, &t) == -1) {
		snprintf(err, errlen, "bad Expiration");
		goto done;
	}
	if (creds_set(out, akid, secret, token, imds ? AWS_ORIGIN_IMDS :
	    AWS_ORIGIN_ECS, err, errlen) == -1)
		goto done;
	out->expiration = t;
	r = 0;
done:
	if (o != NULL)
		json_object_put(o);
	json_tokener_free(tok);
	return (r);
}

/*
 * Whether plain http may carry the container token to this host (the
 * host as libcurl reads the URL, so that what is checked is where the
 * connection goes): the SDKs' rule, a loopback address (127.0.0.0/8,
 * [::1]), "localhost" (libcurl resolves it to loopback itself, never
 * through DNS), or the ECS and EKS container hosts 169.254.170.2,
 * 169.254.170.23 and [fd00:ec2::23].
 */
static int
container_host_ok(const char *host)
{
	static const uint8_t	 eks6[16] = { 0xfd, 0x00, 0x0e, 0xc2,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23 };
	struct in_addr		 a4;
	struct in6_addr		 a6;
	char			 buf[INET6_ADDRSTRLEN];
	size_t			 n;
	uint32_t		 h;

	if (strcasecmp(host, "localhost") == 0)
		return (1);
	if (inet_pton(AF_INET, host, &a4) == 1) {
		h = ntohl(a4.s_addr);
		return ((h >> 24) == 127 || h == 0xa9feaa02 ||
		    h == 0xa9feaa17);
	}
	n = strlen(host);
	if (n < 3 || host[0] != '[' || host[n - 1] != ']' ||
	    n - 2 >= sizeof(buf))
		return (0);
	memcpy(buf, host + 1, n - 2);
	buf[n - 2] = '\0';
	if (inet_pton(AF_INET6, buf, &a6) != 1)
		return (0);
	return (IN6_IS_ADDR_LOOPBACK(&a6) ||
	    memcmp(&a6, eks6, sizeof(eks6)) == 0);
}

/*
 * Parse a container endpoint URL with libcurl's own parser and check
 * it: http or https, no user information (it would be sent as Basic
 * authentication, and "http://localhost@host/" names host), no zone
 * id, and with http a host container_host_ok() accepts.  url gets the
 * URL as libcurl writes it back, which is what is later asked.
 */
static int
container_url_parse(const char *in, const char *what, char *url,
    size_t urllen, char *err, size_t errlen)
{
	CURLU		*u;
	CURLUcode	 rc;
	char		*scheme = NULL, *host = NULL, *user = NULL;
	char		*zone = NULL, *out = NULL;
	int		 r = -1;

	if ((u = curl_url()) == NULL)
		fatal("%s: curl_url", __func__);
	if (curl_url_set(u, CURLUPART_URL, in, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "%s is not a URL", what);
		goto done;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		snprintf(err, errlen, "%s is neither http nor https", what);
		goto done;
	}
	if ((rc = curl_url_get(u, CURLUPART_USER, &user, 0)) !=
	    CURLUE_NO_USER) {
		snprintf(err, errlen, "%s holds a user name", what);
		goto done;
	}
	if ((rc = curl_url_get(u, CURLUPART_ZONEID, &zone, 0)) !=
	    CURLUE_NO_ZONEID) {
		snprintf(err, errlen, "%s holds a zone id", what);
		goto done;
	}
	if (strcmp(scheme, "http") == 0 && !container_host_ok(host)) {
		snprintf(err, errlen, "%s must be https, or http to a "
		    "loopback address, localhost or the ECS or EKS "
		    "container host", what);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK) {
		snprintf(err, errlen, "%s is not a URL", what);
		goto done;
	}
	if (strlcpy(url, out, urllen) >= urllen) {
		snprintf(err, errlen, "container credentials URI too long");
		goto done;
	}
	r = 0;
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(zone);
	curl_free(out);
	curl_url_cleanup(u);
	return (r);
}

/*
 * The container endpoint: 169.254.170.2 + RELATIVE_URI, or FULL_URI,
 * which, as in the SDKs, must be https or name a loopback or container
 * host (container_url_parse).  0: url set; 1: not configured;
 * -1: refused.
 */
int
creds_container_url(const char *full, const char *relative, char *url,
    size_t urllen, char *err, size_t errlen)
{
	char		 buf[AWS_URL_MAX];
	const char	*in, *what;
	size_t		 i;
	int		 n;

	if (relative != NULL && relative[0] != '\0') {
		what = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
		if (relative[0] != '/') {
			snprintf(err, errlen, "%s does not start with /",
			    what);
			return (-1);
		}
		n = snprintf(buf, sizeof(buf), "%s%s", ECS_HOST, relative);
		in = buf;
	} else if (full != NULL && full[0] != '\0') {
		what = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
		n = snprintf(buf, sizeof(buf), "%s", full);
		in = full;
	} else
		return (1);
	if (n < 0 || (size_t)n >= sizeof(buf) || (size_t)n >= urllen) {
		snprintf(err, errlen, "container credentials URI too long");
		return (-1);
	}
	for (i = 0; in[i] != '\0'; i++)
		if ((unsigned char)in[i] <= 0x20 ||
		    (unsigned char)in[i] >= 0x7f) {
			snprintf(err, errlen, "container credentials URI "
			    "holds blanks or control characters");
			return (-1);
		}
	return (container_url_parse(in, what, url, urllen, err, errlen));
}

static int
read_small_file(const char *path, char **buf, size_t *len)
{
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 &&
	    errno == ELOOP)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return (-1);
	if (fstat(fd, &st) == -1) {
		close(fd);
		return (-1);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > AWS_CREDS_BODY_MAX) {
		close(fd);
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return (-1);
	}
	if ((*buf = calloc(1, st.st_size + 1)) == NULL)
		fatal("%s: calloc", __func__);
	while (*len < (size_t)st.st_size) {
		n = read(fd, *buf + *len, st.st_size - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += n;
	}
	close(fd);
	return (0);
}

static void
free_secret_buf(char *buf, size_t len)
{
	if (buf == NULL)
		return;
	explicit_bzero(buf, len);
	free(buf);
}

/* ~/.aws/NAME of the user running ep2d (root): $HOME, else passwd */
static int
aws_home_file(const char *name, char *path, size_t len)
{
	const char	*home;
	struct passwd	*pw;
	int		 n;

	if ((home = getenv("HOME")) == NULL || home[0] == '\0') {
		if ((pw = getpwuid(getuid())) == NULL)
			return (-1);
		home = pw->pw_dir;
	}
	n = snprintf(path, len, "%s/.aws/%s", home, name);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

/*
 * The profile's keys from the shared credentials file, then from the
 * config file, and its region from the config file.  A profile asked
 * for by name and found nowhere is worth a warning; the default profile
 * missing is normal.
 */
static void
creds_read_files(struct aws_chain *ch)
{
	char		 path[PATH_MAX], err[256];
	const char	*profile, *env;
	char		*buf;
	size_t		 len;
	int		 config, r, named = 1;

	if ((profile = getenv("AWS_PROFILE")) == NULL || profile[0] == '\0')
		profile = getenv("AWS_DEFAULT_PROFILE");
	if (profile == NULL || profile[0] == '\0') {
		profile = "default";
		named = 0;
	}
	for (config = 0; config <= 1; config++) {
		env = getenv(config ? "AWS_CONFIG_FILE" :
		    "AWS_SHARED_CREDENTIALS_FILE");
		if (env != NULL && env[0] != '\0') {
			if (strlcpy(path, env, sizeof(path)) >= sizeof(path))
				continue;
		} else if (aws_home_file(config ? "config" : "credentials",
		    path, sizeof(path)) == -1)
			continue;
		if (read_small_file(path, &buf, &len) == -1) {
			if (errno != ENOENT)
				log_warn("aws: %s", path);
			continue;
		}
		/* the config file holds the profile's region too */
		if (config && (r = creds_parse_region(buf, len, profile,
		    ch->file_region, sizeof(ch->file_region), err,
		    sizeof(err))) == 0)
			log_debug("aws: region %s in %s, profile %s",
			    ch->file_region, path, profile);
		else if (config && r == -1)
			log_warnx("aws: %s, profile %s: %s; no region from it",
			    path, profile, err);
		r = ch->have_file ? 1 : creds_parse_file(buf, len, profile,
		    config, &ch->file, err, sizeof(err));
		free_secret_buf(buf, len);
		if (r == -1)
			log_warnx("aws: %s, profile %s: %s", path, profile,
			    err);
		if (r == 0) {
			ch->have_file = 1;
			snprintf(ch->file_desc, sizeof(ch->file_desc),
			    "%s, profile %s", path, profile);
			log_debug("aws: keys found in %s", ch->file_desc);
		}
	}
	if (named && !ch->have_file)
		log_warnx("aws: profile %s: no keys in the shared credentials "
		    "or config file", profile);
}

/* The region the config file gives the profile, or NULL. */
const char *
creds_region(const struct aws_chain *ch)
{
	return (ch != NULL && ch->file_region[0] != '\0' ?
	    ch->file_region : NULL);
}

/* As root, before the sandbox: the environment and the files. */
struct aws_chain *
creds_init(const struct aws_conf *ac)
{
	struct aws_chain	*ch;
	const char		*akid, *secret, *token, *v;
	char			 err[256], *buf;
	size_t			 len;
	int			 r;

	if ((ch = calloc(1, sizeof(*ch))) == NULL) {
		log_warn("%s: calloc", __func__);
		return (NULL);
	}

	akid = getenv("AWS_ACCESS_KEY_ID");
	secret = getenv("AWS_SECRET_ACCESS_KEY");
	if ((token = getenv("AWS_SESSION_TOKEN")) == NULL)
		token = getenv("AWS_SECURITY_TOKEN");
	if (akid != NULL && akid[0] != '\0' && secret != NULL &&
	    secret[0] != '\0') {
		if (creds_set(&ch->env, akid, secret, token, AWS_ORIGIN_ENV,
		    err, sizeof(err)) == -1)
			log_warnx("aws: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_"
			    "KEY: %s; ignored", err);
		else
			ch->have_env = 1;
	} else if ((akid != NULL && akid[0] != '\0') ||
	    (secret != NULL && secret[0] != '\0'))
		log_warnx("aws: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
		    "go together; ignored");

	creds_read_files(ch);

	r = creds_container_url(getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
	    getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), ch->ecs_url,
	    sizeof(ch->ecs_url), err, sizeof(err));
	if (r == -1)
		log_warnx("aws: %s; container credentials not used", err);
	else if (r == 0) {
		ch->have_ecs = 1;
		v = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
		if (v != NULL && v[0] != '\0') {
			/* read now: the chroot hides it afterwards */
			if (read_small_file(v, &buf, &len) == -1)
				log_warn("aws: %s", v);
			else {
				buf[strcspn(buf, "\r\n")] = '\0';
				strlcpy(ch->ecs_auth, buf,
				    sizeof(ch->ecs_auth));
				free_secret_buf(buf, len);
			}
		} else if ((v = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")) !=
		    NULL)
			strlcpy(ch->ecs_auth, v, sizeof(ch->ecs_auth));
		for (len = 0; ch->ecs_auth[len] != '\0'; len++)
			if ((unsigned char)ch->ecs_auth[len] < 0x20 ||
			    (unsigned char)ch->ecs_auth[len] >= 0x7f) {
				log_warnx("aws: the container authorization "
				    "token holds control characters; not sent");
				explicit_bzero(ch->ecs_auth,
				    sizeof(ch->ecs_auth));
				break;
			}
	}

	v = getenv("AWS_EC2_METADATA_DISABLED");
	ch->imds_off = v != NULL && strcasecmp(v, "true") == 0;
	v = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	if (v != NULL && v[0] != '\0') {
		if ((strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0) ||
		    strlcpy(ch->imds_url, v, sizeof(ch->imds_url)) >=
		    sizeof(ch->imds_url) || strpbrk(v, " \t\r\n") != NULL) {
			log_warnx("aws: bad AWS_EC2_METADATA_SERVICE_ENDPOINT; "
			    "instance metadata not used");
			ch->imds_off = 1;
		}
	} else {
		v = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
		strlcpy(ch->imds_url, v != NULL && strcasecmp(v, "IPv6") ==
		    0 ? IMDS_HOST6 : IMDS_HOST, sizeof(ch->imds_url));
	}
	len = strlen(ch->imds_url);
	while (len > 0 && ch->imds_url[len - 1] == '/')
		ch->imds_url[--len] = '\0';
	return (ch);
}

/*
 * The first link that has keys.  ep2.conf's are read at each call, so
 * that a reloaded configuration takes effect.
 */
int
creds_get(struct aws_chain *ch, const struct aws_conf *ac,
    const struct aws_creds **out, aws_creds_cb cb, void *arg, char *err,
    size_t errlen)
{
	time_t	 now;

	*out = NULL;
	if (ac->access_key_id[0] != '\0' || ac->secret_access_key[0] != '\0') {
		if (creds_set(&ch->conf, ac->access_key_id,
		    ac->secret_access_key, NULL, AWS_ORIGIN_CONFIG, err,
		    errlen) == -1)
			return (-1);
		*out = &ch->conf;
		return (0);
	}
	if (ch->have_env) {
		*out = &ch->env;
		return (0);
	}
	if (ch->have_file) {
		*out = &ch->file;
		return (0);
	}
	if (!ch->have_ecs && ch->imds_off) {
		snprintf(err, errlen, "no credentials: none in ep2.conf, the "
		    "environment or the shared credentials file, no "
		    "container credentials, instance metadata disabled");
		return (-1);
	}
	now = time(NULL);
	if (ch->have_fetched && now < ch->fetched.expiration -
	    AWS_REFRESH_MARGIN) {
		*out = &ch->fetched;
		return (0);
	}
	ch->cb = cb;
	ch->cbarg = arg;
	if (ch->step != STEP_NONE)
		return (1);
	if (meta_start(ch, err, errlen) == -1) {
		if (ch->have_fetched && now < ch->fetched.expiration) {
			*out = &ch->fetched;
			return (0);
		}
		return (-1);
	}
	return (1);
}

void
creds_expire(struct aws_chain *ch)
{
	if (ch->have_fetched) {
		creds_wipe(&ch->fetched);
		ch->have_fetched = 0;
	}
}

void
creds_cancel(struct aws_chain *ch)
{
	if (ch->req != NULL)
		http_cancel(ch->req);
	ch->req = NULL;
	ch->inflight = 0;
	ch->step = STEP_NONE;
	ch->cb = NULL;
	explicit_bzero(ch->hdr, sizeof(ch->hdr));
	explicit_bzero(ch->imds_token, sizeof(ch->imds_token));
}

void
creds_free(struct aws_chain *ch)
{
	if (ch == NULL)
		return;
	creds_cancel(ch);
	explicit_bzero(ch, sizeof(*ch));
	free(ch);
}

static int
meta_send(struct aws_chain *ch, const char *method, const char *hdr)
{
	struct http_opts	 o;
	struct http_req		*r;

	memset(&o, 0, sizeof(o));
	o.url = ch->url;
	o.method = method;
	o.headers[0] = hdr;
	o.timeout_ms = META_TIMEOUT_MS;
	o.connect_timeout_ms = META_CONNECT_MS;
	o.max_body = AWS_CREDS_BODY_MAX;
	o.direct = 1;		/* the token goes to that host, no proxy */
	ch->inflight = 1;
	if ((r = http_request(&o, meta_done, ch)) == NULL) {
		ch->inflight = 0;
		return (-1);
	}
	ch->req = ch->inflight ? r : NULL;
	return (0);
}

static int
meta_start(struct aws_chain *ch, char *err, size_t errlen)
{
	int	 n;

	if (ch->have_ecs) {
		ch->step = STEP_ECS;
		strlcpy(ch->url, ch->ecs_url, sizeof(ch->url));
		if (ch->ecs_auth[0] != '\0') {
			n = snprintf(ch->hdr, sizeof(ch->hdr),
			    "Authorization: %s", ch->ecs_auth);
			if (n < 0 || (size_t)n >= sizeof(ch->hdr))
				ch->hdr[0] = '\0';
		} else
			ch->hdr[0] = '\0';
		if (meta_send(ch, "GET", ch->hdr[0] != '\0' ? ch->hdr :
		    NULL) == -1)
			goto fail;
		return (0);
	}
	ch->step = STEP_IMDS_TOKEN;
	snprintf(ch->url, sizeof(ch->url), "%s/latest/api/token",
	    ch->imds_url);
	if (meta_send(ch, "PUT", "X-aws-ec2-metadata-token-ttl-seconds: "
	    IMDS_TTL) == -1)
		goto fail;
	return (0);
fail:
	ch->step = STEP_NONE;
	snprintf(err, errlen, "cannot ask %s for credentials",
	    ch->have_ecs ? "the container endpoint" : "instance metadata");
	return (-1);
}

static int
valid_word(const char *s, size_t max)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return (0);
	return (i > 0 && i <= max);
}

/*
 * The role of the instance profile, from IMDS's listing: one name of
 * IAM's characters, a line end after it allowed.  Anything else (a CR
 * or LF inside, a second line, nothing) is refused: the name goes into
 * the next URL, and a profile has one role.
 */
int
creds_parse_role(const char *body, size_t len, char *role, size_t rolelen,
    char *err, size_t errlen)
{
	size_t	 n = len;

	if (n > 0 && body[n - 1] == '\n')
		n--;
	if (n > 0 && body[n - 1] == '\r')
		n--;
	if (n == 0) {
		snprintf(err, errlen, "no IAM role attached to this instance");
		return (-1);
	}
	if (n > IMDS_ROLE_MAX || n >= rolelen) {
		snprintf(err, errlen, "IAM role name too long");
		return (-1);
	}
	if (memchr(body, '\r', n) != NULL || memchr(body, '\n', n) != NULL) {
		snprintf(err, errlen, "the IAM role listing holds a CR or LF "
		    "inside (more than one role, or a forged name); refused");
		return (-1);
	}
	memcpy(role, body, n);
	role[n] = '\0';
	if (strspn(role, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-") != n) {
		role[0] = '\0';
		snprintf(err, errlen, "bad IAM role name");
		return (-1);
	}
	return (0);
}

static void
meta_done(void *arg, const struct http_resp *r)
{
	struct aws_chain	*ch = arg;
	struct aws_creds	 c;
	char			 err[256], clean[128];
	const char		*what;
	size_t			 n;

	ch->inflight = 0;
	ch->req = NULL;
	explicit_bzero(ch->hdr, sizeof(ch->hdr));
	what = ch->step == STEP_ECS ? "container credentials" :
	    "instance metadata";
	if (r->error != NULL) {
		aws_clean(clean, sizeof(clean), r->error);
		snprintf(err, sizeof(err), "%s: %s", what, clean);
		meta_finish(ch, err);
		return;
	}
	if (r->status != 200 || r->body == NULL) {
		snprintf(err, sizeof(err), "%s: HTTP %ld", what, r->status);
		meta_finish(ch, err);
		return;
	}
	switch (ch->step) {
	case STEP_IMDS_TOKEN:
		n = strcspn(r->body, "\r\n");
		if (n >= sizeof(ch->imds_token)) {
			meta_finish(ch, "instance metadata: token too long");
			return;
		}
		memcpy(ch->imds_token, r->body, n);
		ch->imds_token[n] = '\0';
		if (!valid_word(ch->imds_token, IMDS_TOKEN_MAX - 1)) {
			meta_finish(ch, "instance metadata: bad token");
			return;
		}
		ch->step = STEP_IMDS_ROLE;
		snprintf(ch->url, sizeof(ch->url),
		    "%s/latest/meta-data/iam/security-credentials/",
		    ch->imds_url);
		break;
	case STEP_IMDS_ROLE:
		if (creds_parse_role(r->body, r->bodylen, ch->role,
		    sizeof(ch->role), clean, sizeof(clean)) == -1) {
			snprintf(err, sizeof(err), "instance metadata: %s",
			    clean);
			meta_finish(ch, err);
			return;
		}
		ch->step = STEP_IMDS_CREDS;
		snprintf(ch->url, sizeof(ch->url),
		    "%s/latest/meta-data/iam/security-credentials/%s",
		    ch->imds_url, ch->role);
		break;
	case STEP_ECS:
	case STEP_IMDS_CREDS:
		if (creds_parse_json(r->body, r->bodylen,
		    ch->step == STEP_IMDS_CREDS, &c, clean,
		    sizeof(clean)) == -1) {
			snprintf(err, sizeof(err), "%s: %s", what, clean);
			meta_finish(ch, err);
			return;
		}
		creds_wipe(&ch->fetched);
		ch->fetched = c;
		creds_wipe(&c);
		ch->have_fetched = 1;
		if (ch->fetched.expiration <= time(NULL) + AWS_REFRESH_MARGIN)
			log_debug("aws: %s keys expire within %d s", what,
			    AWS_REFRESH_MARGIN);
		meta_finish(ch, NULL);
		return;
	case STEP_NONE:
		return;
	}
	/* the next IMDS step, with the token */
	snprintf(ch->hdr, sizeof(ch->hdr), "X-aws-ec2-metadata-token: %s",
	    ch->imds_token);
	if (meta_send(ch, "GET", ch->hdr) == -1)
		meta_finish(ch, "instance metadata: cannot start the request");
}

/*
 * The end of a fetch.  When it failed and the keys in hand have not
 * expired yet, they serve until a later attempt does better.
 */
static void
meta_finish(struct aws_chain *ch, const char *err)
{
	aws_creds_cb	 cb = ch->cb;
	void		*arg = ch->cbarg;

	ch->step = STEP_NONE;
	ch->cb = NULL;
	explicit_bzero(ch->hdr, sizeof(ch->hdr));
	explicit_bzero(ch->imds_token, sizeof(ch->imds_token));
	if (err != NULL && ch->have_fetched &&
	    time(NULL) < ch->fetched.expiration) {
		log_warnx("aws: renewing keys: %s; the current ones serve "
		    "until they expire", err);
		err = NULL;
	}
	if (cb == NULL)
		return;
	if (err != NULL)
		cb(arg, NULL, err);
	else
		cb(arg, &ch->fetched, NULL);
}
