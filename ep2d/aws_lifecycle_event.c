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
 * Auto Scaling lifecycle hooks: the message bodies, JSON, in the two
 * forms AWS sends them (the hook's own notification, an EventBridge
 * event); what they hold and where that is documented is said at the
 * top of aws_lifecycle.c.  Bytes in, an event out, no I/O.
 */

#include <sys/types.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "ep2d.h"
#include "aws.h"
#include "aws_lifecycle.h"
#include "log.h"

#define LC_JSON_DEPTH	8	/* the event: root, detail, resources */
#define LC_KEYS_MAX	48	/* fields of one JSON object */
#define LC_KEY_MAX	64	/* one field name */

static void	 lc_fail(char *, size_t, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));

static void
lc_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * JSON: json-c keeps the last of two fields of one name, so a body that
 * says a thing twice would be read as saying it once.  A second walk
 * over the text (which json-c has found well formed) compares the
 * decoded names of each object.
 */
struct js_scan {
	const char	*p;
	const char	*end;
	int		 depth;
	char		*err;
	size_t		 errlen;
};

static int	 js_value(struct js_scan *);

static void
js_ws(struct js_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
js_hex4(const char *p, const char *end, unsigned int *cp)
{
	int	 i;

	if (end - p < 4)
		return (-1);
	*cp = 0;
	for (i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)p[i]))
			return (-1);
		*cp = *cp * 16 + (isdigit((unsigned char)p[i]) ? p[i] - '0' :
		    (tolower((unsigned char)p[i]) - 'a' + 10));
	}
	return (0);
}

/* a string; its decoded bytes to out when out is not NULL */
static int
js_string(struct js_scan *s, char *out, size_t outlen, size_t *outn,
    int *toolong)
{
	unsigned char	 u[4];
	unsigned int	 cp, lo;
	size_t		 k, n = 0;
	char		 c;

	if (s->p >= s->end || *s->p != '"')
		return (-1);
	s->p++;
	for (;;) {
		if (s->p >= s->end)
			return (-1);
		c = *s->p++;
		if (c == '"')
			break;
		k = 1;
		u[0] = (unsigned char)c;
		if (c == '\\') {
			if (s->p >= s->end)
				return (-1);
			c = *s->p++;
			switch (c) {
			case '"': case '\\': case '/':
				u[0] = c;
				break;
			case 'b': u[0] = '\b'; break;
			case 'f': u[0] = '\f'; break;
			case 'n': u[0] = '\n'; break;
			case 'r': u[0] = '\r'; break;
			case 't': u[0] = '\t'; break;
			case 'u':
				if (js_hex4(s->p, s->end, &cp) == -1)
					return (-1);
				s->p += 4;
				if (cp >= 0xd800 && cp <= 0xdbff &&
				    s->end - s->p >= 6 && s->p[0] == '\\' &&
				    s->p[1] == 'u' &&
				    js_hex4(s->p + 2, s->end, &lo) == 0 &&
				    lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					s->p += 6;
				}
				if (cp < 0x80)
					u[0] = cp;
				else if (cp < 0x800) {
					u[0] = 0xc0 | (cp >> 6);
					u[1] = 0x80 | (cp & 0x3f);
					k = 2;
				} else if (cp < 0x10000) {
					u[0] = 0xe0 | (cp >> 12);
					u[1] = 0x80 | ((cp >> 6) & 0x3f);
					u[2] = 0x80 | (cp & 0x3f);
					k = 3;
				} else {
					u[0] = 0xf0 | (cp >> 18);
					u[1] = 0x80 | ((cp >> 12) & 0x3f);
					u[2] = 0x80 | ((cp >> 6) & 0x3f);
					u[3] = 0x80 | (cp & 0x3f);
					k = 4;
				}
				break;
			default:
				return (-1);
			}
		}
		if (out == NULL)
			continue;
		if (n + k >= outlen) {
			*toolong = 1;
			continue;
		}
		memcpy(out + n, u, k);
		n += k;
	}
	if (out != NULL) {
		out[n] = '\0';
		*outn = n;
	}
	return (0);
}

static int
js_object(struct js_scan *s)
{
	char	 keys[LC_KEYS_MAX][LC_KEY_MAX], shown[LC_KEY_MAX];
	size_t	 n = 0, i, klen[LC_KEYS_MAX];
	int	 toolong, rv;

	if (++s->depth > LC_JSON_DEPTH)
		return (-1);
	s->p++;
	js_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		s->depth--;
		return (0);
	}
	for (;;) {
		js_ws(s);
		if (n == LC_KEYS_MAX) {
			lc_fail(s->err, s->errlen, "more than %d fields in "
			    "an object", LC_KEYS_MAX);
			return (-2);
		}
		toolong = 0;
		if (js_string(s, keys[n], sizeof(keys[n]), &klen[n],
		    &toolong) == -1)
			return (-1);
		if (toolong) {
			lc_fail(s->err, s->errlen, "a field name over %d "
			    "bytes", LC_KEY_MAX - 1);
			return (-2);
		}
		for (i = 0; i < n; i++)
			if (klen[i] == klen[n] &&
			    memcmp(keys[i], keys[n], klen[n]) == 0) {
				aws_clean(shown, sizeof(shown), keys[n]);
				lc_fail(s->err, s->errlen, "field \"%s\" "
				    "given twice", shown);
				return (-2);
			}
		n++;
		js_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return (-1);
		s->p++;
		if ((rv = js_value(s)) != 0)
			return (rv);
		js_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			s->depth--;
			return (0);
		}
		return (-1);
	}
}

/* 0, -1 (not the JSON json-c accepted: a bug), -2 (refused, reason set) */
static int
js_value(struct js_scan *s)
{
	const char	*start;
	int		 rv;

	js_ws(s);
	if (s->p >= s->end)
		return (-1);
	switch (*s->p) {
	case '{':
		return (js_object(s));
	case '[':
		if (++s->depth > LC_JSON_DEPTH)
			return (-1);
		s->p++;
		js_ws(s);
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			s->depth--;
			return (0);
		}
		for (;;) {
			if ((rv = js_value(s)) != 0)
				return (rv);
			js_ws(s);
			if (s->p < s->end && *s->p == ',') {
				s->p++;
				continue;
			}
			if (s->p < s->end && *s->p == ']') {
				s->p++;
				s->depth--;
				return (0);
			}
			return (-1);
		}
	case '"':
		return (js_string(s, NULL, 0, NULL, NULL));
	default:
		start = s->p;
		while (s->p < s->end && strchr(",]} \t\r\n", *s->p) == NULL)
			s->p++;
		return (s->p == start ? -1 : 0);
	}
}

static int
js_no_dups(const char *body, size_t len, char *err, size_t errlen)
{
	struct js_scan	 s;
	int		 rv;

	memset(&s, 0, sizeof(s));
	s.p = body;
	s.end = body + len;
	s.err = err;
	s.errlen = errlen;
	if ((rv = js_value(&s)) == -1)
		lc_fail(err, errlen, "JSON: the check for repeated fields "
		    "cannot read it");
	return (rv == 0 ? 0 : -1);
}

/*
 * A field of an object: 0 absent (or null, where null is allowed), 1 a
 * string (*v, *vlen), -1 refused with the reason set.
 */
static int
js_get(struct json_object *o, const char *key, int null_ok, const char **v,
    size_t *vlen, char *err, size_t errlen)
{
	struct json_object	*f;

	if (!json_object_object_get_ex(o, key, &f))
		return (0);
	if (f == NULL && null_ok)
		return (0);
	if (!json_object_is_type(f, json_type_string)) {
		lc_fail(err, errlen, "%s is not a string", key);
		return (-1);
	}
	*v = json_object_get_string(f);
	*vlen = (size_t)json_object_get_string_len(f);
	if (strlen(*v) != *vlen) {
		lc_fail(err, errlen, "%s holds a NUL", key);
		return (-1);
	}
	return (1);
}

/* a field that must be there, a string */
static int
js_need(struct json_object *o, const char *key, const char **v,
    size_t *vlen, char *err, size_t errlen)
{
	int	 rv;

	if ((rv = js_get(o, key, 0, v, vlen, err, errlen)) == -1)
		return (-1);
	if (rv == 0) {
		lc_fail(err, errlen, "no %s", key);
		return (-1);
	}
	return (0);
}

/* "i-" and 8 or 17 hex digits, as EC2 names its instances */
static int
lc_valid_instance(const char *s, size_t len)
{
	size_t	 i;

	if (len != 10 && len != 19)
		return (0);
	if (s[0] != 'i' || s[1] != '-')
		return (0);
	for (i = 2; i < len; i++)
		if (!isdigit((unsigned char)s[i]) &&
		    (s[i] < 'a' || s[i] > 'f'))
			return (0);
	return (1);
}

/* the API's AsciiStringMaxLen255: [A-Za-z0-9\-_\/]+ */
static int
lc_valid_hook(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len >= LC_NAME_MAX)
		return (0);
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '/')
			return (0);
	return (1);
}

/* a group name: 1 to 255 bytes, no control character */
static int
lc_valid_group(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len >= LC_NAME_MAX)
		return (0);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return (0);
	return (1);
}

/* 36 characters (the API's LifecycleActionToken), a UUID's */
static int
lc_valid_token(const char *s, size_t len)
{
	size_t	 i;

	if (len != LC_TOKEN_LEN)
		return (0);
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) && s[i] != '-')
			return (0);
	return (1);
}

/* n digits at s, their value in *v */
static int
lc_digits(const char *s, int n, int *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return (-1);
		*v = *v * 10 + (s[i] - '0');
	}
	return (0);
}

/*
 * A notification's Time ("2021-01-19T00:36:26.533Z") or an event's time
 * ("2021-01-19T00:36:26Z"), UTC, in ms since 1970; 0 for anything else,
 * which only costs the hook's timeout being counted from the receipt.
 */
static int64_t
lc_time_ms(const char *s, size_t len)
{
	struct tm	 tm;
	time_t		 t;
	int		 v[6], ms = 0, scale = 100;
	size_t		 i;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[len - 1] != 'Z')
		return (0);
	if (lc_digits(s, 4, &v[0]) == -1 || lc_digits(s + 5, 2, &v[1]) == -1 ||
	    lc_digits(s + 8, 2, &v[2]) == -1 ||
	    lc_digits(s + 11, 2, &v[3]) == -1 ||
	    lc_digits(s + 14, 2, &v[4]) == -1 ||
	    lc_digits(s + 17, 2, &v[5]) == -1)
		return (0);
	if (len > 20) {
		/* a fraction: '.', 1 to 9 digits, the first three kept */
		if (s[19] != '.' || len > 30 || len == 21)
			return (0);
		for (i = 20; i < len - 1; i++) {
			if (!isdigit((unsigned char)s[i]))
				return (0);
			if (scale > 0) {
				ms += (s[i] - '0') * scale;
				scale /= 10;
			}
		}
	}
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 ||
	    v[3] > 23 || v[4] > 59 || v[5] > 60)
		return (0);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	if ((t = timegm(&tm)) == (time_t)-1 || tm.tm_mday != v[2])
		return (0);
	return ((int64_t)t * 1000 + ms);
}

/* Origin, Destination: EC2, AutoScalingGroup, WarmPool */
static int
lc_valid_place(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len >= LC_PLACE_MAX)
		return (0);
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]))
			return (0);
	return (1);
}

/* the fields of a lifecycle action, in either form */
static int
lc_action(struct json_object *o, struct lifecycle_event *ev, char *err,
    size_t errlen)
{
	const char	*v;
	size_t		 n;
	int		 rv;

	if (js_need(o, "EC2InstanceId", &v, &n, err, errlen) == -1)
		return (-1);
	if (!lc_valid_instance(v, n)) {
		lc_fail(err, errlen, "bad EC2InstanceId");
		return (-1);
	}
	memcpy(ev->instance, v, n + 1);
	if (js_need(o, "AutoScalingGroupName", &v, &n, err, errlen) == -1)
		return (-1);
	if (!lc_valid_group(v, n)) {
		lc_fail(err, errlen, "bad AutoScalingGroupName");
		return (-1);
	}
	memcpy(ev->group, v, n + 1);
	if (js_need(o, "LifecycleHookName", &v, &n, err, errlen) == -1)
		return (-1);
	if (!lc_valid_hook(v, n)) {
		lc_fail(err, errlen, "bad LifecycleHookName");
		return (-1);
	}
	memcpy(ev->hook, v, n + 1);
	if (js_need(o, "LifecycleActionToken", &v, &n, err, errlen) == -1)
		return (-1);
	if (!lc_valid_token(v, n)) {
		lc_fail(err, errlen, "bad LifecycleActionToken");
		return (-1);
	}
	memcpy(ev->token, v, n + 1);
	if ((rv = js_get(o, "Origin", 0, &v, &n, err, errlen)) == -1)
		return (-1);
	if (rv == 1) {
		if (!lc_valid_place(v, n)) {
			lc_fail(err, errlen, "bad Origin");
			return (-1);
		}
		memcpy(ev->origin, v, n + 1);
	}
	if ((rv = js_get(o, "Destination", 0, &v, &n, err, errlen)) == -1)
		return (-1);
	if (rv == 1) {
		if (!lc_valid_place(v, n)) {
			lc_fail(err, errlen, "bad Destination");
			return (-1);
		}
		memcpy(ev->destination, v, n + 1);
	}
	/* read by nobody, but a field of the wrong type is a bad body */
	if (js_get(o, "NotificationMetadata", 1, &v, &n, err, errlen) == -1)
		return (-1);
	return (0);
}

/* LifecycleTransition: LAUNCH, TERMINATE, or -1 for another one */
static int
lc_transition(const char *v)
{
	if (strcmp(v, "autoscaling:EC2_INSTANCE_LAUNCHING") == 0)
		return (LC_LAUNCH);
	if (strcmp(v, "autoscaling:EC2_INSTANCE_TERMINATING") == 0)
		return (LC_TERMINATE);
	return (-1);
}

static int
lc_autoscaling(struct json_object *o, struct lifecycle_event *ev,
    char *err, size_t errlen)
{
	static const char	*plain[] = { "AccountId", "RequestId", "Time",
				    "AutoScalingGroupARN" };
	const char		*v;
	size_t			 n, i;
	int			 rv, kind;

	ev->form = LC_FORM_AUTOSCALING;
	if (js_need(o, "Service", &v, &n, err, errlen) == -1)
		return (-1);
	if (strcmp(v, "AWS Auto Scaling") != 0) {
		ev->kind = LC_OTHER;
		aws_clean(ev->what, sizeof(ev->what), v);
		return (0);
	}
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (js_get(o, plain[i], 0, &v, &n, err, errlen) == -1)
			return (-1);
	if (js_get(o, "Time", 0, &v, &n, err, errlen) == 1)
		ev->when_ms = lc_time_ms(v, n);
	if ((rv = js_get(o, "Event", 0, &v, &n, err, errlen)) == -1)
		return (-1);
	if (rv == 1) {
		if (strcmp(v, "autoscaling:TEST_NOTIFICATION") != 0) {
			/* the group's own notifications, through SNS */
			ev->kind = LC_OTHER;
			aws_clean(ev->what, sizeof(ev->what), v);
			return (0);
		}
		ev->kind = LC_TEST;
		if (js_need(o, "AutoScalingGroupName", &v, &n, err,
		    errlen) == -1)
			return (-1);
		if (!lc_valid_group(v, n)) {
			lc_fail(err, errlen, "bad AutoScalingGroupName");
			return (-1);
		}
		memcpy(ev->group, v, n + 1);
		return (0);
	}
	if ((rv = js_get(o, "LifecycleTransition", 0, &v, &n, err,
	    errlen)) == -1)
		return (-1);
	if (rv == 0) {
		lc_fail(err, errlen, "an Auto Scaling message without Event "
		    "or LifecycleTransition");
		return (-1);
	}
	if ((kind = lc_transition(v)) == -1) {
		ev->kind = LC_OTHER;
		aws_clean(ev->what, sizeof(ev->what), v);
		return (0);
	}
	ev->kind = kind;
	return (lc_action(o, ev, err, errlen));
}

static int
lc_eventbridge(struct json_object *o, struct lifecycle_event *ev,
    char *err, size_t errlen)
{
	static const char	*plain[] = { "version", "id", "account",
				    "time", "region" };
	struct json_object	*detail, *res, *r;
	const char		*v, *type;
	size_t			 n, i;
	int			 kind;

	ev->form = LC_FORM_EVENTBRIDGE;
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (js_get(o, plain[i], 0, &v, &n, err, errlen) == -1)
			return (-1);
	if (js_get(o, "time", 0, &v, &n, err, errlen) == 1)
		ev->when_ms = lc_time_ms(v, n);
	if (json_object_object_get_ex(o, "resources", &res)) {
		if (!json_object_is_type(res, json_type_array)) {
			lc_fail(err, errlen, "resources is not an array");
			return (-1);
		}
		for (i = 0; i < json_object_array_length(res); i++) {
			r = json_object_array_get_idx(res, i);
			if (!json_object_is_type(r, json_type_string)) {
				lc_fail(err, errlen, "resources holds a "
				    "non-string");
				return (-1);
			}
		}
	}
	if (js_need(o, "source", &v, &n, err, errlen) == -1)
		return (-1);
	if (strcmp(v, "aws.autoscaling") != 0) {
		ev->kind = LC_OTHER;
		aws_clean(ev->what, sizeof(ev->what), v);
		return (0);
	}
	if (js_need(o, "detail-type", &type, &n, err, errlen) == -1)
		return (-1);
	if (strcmp(type, "EC2 Instance-launch Lifecycle Action") == 0)
		kind = LC_LAUNCH;
	else if (strcmp(type, "EC2 Instance-terminate Lifecycle Action") == 0)
		kind = LC_TERMINATE;
	else {
		ev->kind = LC_OTHER;
		aws_clean(ev->what, sizeof(ev->what), type);
		return (0);
	}
	if (!json_object_object_get_ex(o, "detail", &detail) ||
	    !json_object_is_type(detail, json_type_object)) {
		lc_fail(err, errlen, "no detail object");
		return (-1);
	}
	if (js_need(detail, "LifecycleTransition", &v, &n, err, errlen) == -1)
		return (-1);
	if (lc_transition(v) != kind) {
		lc_fail(err, errlen, "detail-type and LifecycleTransition "
		    "disagree");
		return (-1);
	}
	ev->kind = kind;
	return (lc_action(detail, ev, err, errlen));
}

/*
 * One message body: a lifecycle action (LAUNCH, TERMINATE) with its
 * instance, group, hook and token; Auto Scaling's test message (TEST);
 * or a well-formed message of another kind (OTHER, what says which).
 * Anything else is refused with one reason.
 */
int
lc_parse_event(const char *body, size_t len, struct lifecycle_event *ev,
    char *err, size_t errlen)
{
	struct json_tokener	*tok;
	struct json_object	*root = NULL, *f;
	enum json_tokener_error	 jerr;
	size_t			 end;
	int			 rv = -1;

	memset(ev, 0, sizeof(*ev));
	if (errlen > 0)
		err[0] = '\0';
	if (len > LC_BODY_MAX) {
		lc_fail(err, errlen, "body over %d bytes", LC_BODY_MAX);
		return (-1);
	}
	if (memchr(body, '\0', len) != NULL) {
		lc_fail(err, errlen, "a NUL in the body");
		return (-1);
	}
	if ((tok = json_tokener_new_ex(LC_JSON_DEPTH)) == NULL)
		fatal("%s: json_tokener_new_ex", __func__);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (root == NULL || jerr != json_tokener_success) {
		lc_fail(err, errlen, "not JSON: %s", len == 0 ? "empty" :
		    jerr == json_tokener_continue ? "truncated" :
		    json_tokener_error_desc(jerr));
		goto done;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (strchr(" \t\r\n", body[end]) == NULL) {
			lc_fail(err, errlen, "not JSON: text after the value");
			goto done;
		}
	if (!json_object_is_type(root, json_type_object)) {
		lc_fail(err, errlen, "not a JSON object");
		goto done;
	}
	if (js_no_dups(body, len, err, errlen) == -1)
		goto done;
	if (json_object_object_get_ex(root, "detail-type", &f) ||
	    json_object_object_get_ex(root, "source", &f))
		rv = lc_eventbridge(root, ev, err, errlen);
	else if (json_object_object_get_ex(root, "Service", &f))
		rv = lc_autoscaling(root, ev, err, errlen);
	else if (json_object_object_get_ex(root, "TopicArn", &f) &&
	    json_object_object_get_ex(root, "Message", &f))
		lc_fail(err, errlen, "an SNS envelope, not the notification "
		    "(subscribe the queue with raw message delivery)");
	else
		lc_fail(err, errlen, "neither an Auto Scaling notification "
		    "nor an EventBridge event");
done:
	if (rv == -1) {
		memset(ev, 0, sizeof(*ev));
		if (errlen > 0 && err[0] == '\0')
			lc_fail(err, errlen, "bad message body");
	}
	if (root != NULL)
		json_object_put(root);
	json_tokener_free(tok);
	return (rv);
}

const char *
lc_kind_name(enum lc_kind k)
{
	switch (k) {
	case LC_LAUNCH:
		return ("launch");
	case LC_TERMINATE:
		return ("terminate");
	case LC_TEST:
		return ("test");
	case LC_OTHER:
		break;
	}
	return ("other");
}
