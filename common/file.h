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

#ifndef EP2_FILE_H
#define EP2_FILE_H

#include <sys/types.h>

enum file_how {
	FILE_READ,	/* a regular file to read; symbolic links followed */
	FILE_APPEND,	/* append, created when missing: log_file */
	FILE_KEEP,	/* read and write, created when missing: the lock */
	FILE_NEW,	/* a temporary name: what was there goes, a new file */
};

int		 file_open(const char *, enum file_how, mode_t);
const char	*file_strerror(int);

#endif /* EP2_FILE_H */
