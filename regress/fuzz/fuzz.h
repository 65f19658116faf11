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
 * The fuzz harnesses' one entry point, as libFuzzer calls it.  The same
 * harness links with replay.c (make check: every corpus file once, under
 * ASan/UBSan, no clang needed) or with libFuzzer (make fuzz).
 */

#ifndef EP2D_FUZZ_H
#define EP2D_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Bad input is the point: its warnings go to stderr, once set up. */
static inline void
fuzz_log_init(void)
{
	static int	 done;

	if (!done) {
		log_init(1, LOG_DAEMON);
		log_setverbose(0);
		done = 1;
	}
}

/* n bytes as the parsers get them from http.c: NUL terminated. */
static inline char *
fuzz_cstr(const uint8_t *p, size_t n)
{
	char	*s;

	if ((s = malloc(n + 1)) == NULL)
		return (NULL);
	memcpy(s, p, n);
	s[n] = '\0';
	return (s);
}

#endif /* EP2D_FUZZ_H */
