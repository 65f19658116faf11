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
 * A minimal TAP producer for the C unit tests run by prove(1).
 * ok(cond, fmt, ...) prints one test line; done_testing() prints the
 * plan at the end and returns the exit status.
 */

#ifndef EP2_TAP_H
#define EP2_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	tap_count;
static int	tap_failed;

static int	ok(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3), __unused__));
static int	done_testing(void) __attribute__((__unused__));

static int
ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return (cond);
}

#define is_int(a, b, ...)	do {					\
	long long _a = (a), _b = (b);					\
	if (!ok(_a == _b, __VA_ARGS__))					\
		printf("#   got %lld, expected %lld\n", _a, _b);	\
} while (0)

#define is_str(a, b, ...)	do {					\
	const char *_a = (a), *_b = (b);				\
	int _c = (_a != NULL && _b != NULL) ? strcmp(_a, _b) == 0 :	\
	    _a == _b;							\
	if (!ok(_c, __VA_ARGS__))					\
		printf("#   got '%s'\n#   expected '%s'\n",		\
		    _a ? _a : "(null)", _b ? _b : "(null)");		\
} while (0)

static int
done_testing(void)
{
	printf("1..%d\n", tap_count);
	return (tap_failed ? 1 : 0);
}

#endif /* EP2_TAP_H */
