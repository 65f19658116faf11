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
 * A small streaming JSON writer for ep2ctl -j (the shape of bgpctl's
 * json.c): open objects and arrays, add named values, close them.  It
 * always writes valid JSON: strings are escaped and bytes that are not
 * UTF-8 become U+FFFD, whatever the daemon sent.
 */

#ifndef EP2CTL_JSON_H
#define EP2CTL_JSON_H

#include <stdint.h>
#include <stdio.h>

void	 json_do_start(FILE *);
void	 json_do_object(const char *);
void	 json_do_array(const char *);
void	 json_do_end(void);
void	 json_do_string(const char *, const char *);
void	 json_do_uint(const char *, uint64_t);
void	 json_do_int(const char *, int64_t);
void	 json_do_bool(const char *, int);
void	 json_do_null(const char *);
void	 json_do_time(const char *, int64_t);
int	 json_do_finish(void);
void	 json_escape(FILE *, const char *);

#endif /* EP2CTL_JSON_H */
