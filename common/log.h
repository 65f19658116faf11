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

#ifndef EP2_LOG_H
#define EP2_LOG_H

#include <stdarg.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif

#include <stddef.h>

#define LOG_VISIBLE_MAX	64			/* bytes of outside text */
#define LOG_VISIBLE_LEN	(LOG_VISIBLE_MAX * 4 + 4)

void	log_init(int, int);
void	log_procinit(const char *);
int	log_file_open(const char *);
void	log_file_reopen(void);
void	log_file_setfd(int);
void	log_quiet(int);
void	log_visible(char *, size_t, const char *, size_t);
void	log_setverbose(int);
int	log_getverbose(void);
int	log_getfd(void);
/*
 * log_warn and log_warnx are LOG_WARNING: input refused, a failure that
 * ep2d survives.  What ends ep2d is logit(LOG_ERR, ...) or fatal.
 */
void	log_warn(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	logit(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	vlog(int, const char *, va_list)
	    __attribute__((__format__ (printf, 2, 0)));
__dead void fatal(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
__dead void fatalx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));

/* the flood guard, at the end of log.c */
#define LOG_LINE_MAX	2048	/* vlog()'s line */
void	log_ratelimit(int);
int	log_admit(int, const char *, char *, size_t);
void	log_note(int);
void	log_held_hook(void (*)(long));
void	log_held_flush(void);

#endif /* EP2_LOG_H */
