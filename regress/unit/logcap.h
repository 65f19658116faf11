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
 * Unit tests look at what the code under test logs: common/log.c writes
 * every line to the "log_file" descriptor, here a memfd that cap_start()
 * empties and cap_log() reads back.  log.c writes them to stderr too:
 * that goes to /dev/null unless TEST_VERBOSE is set, except under the
 * sanitizers, whose reports go to stderr.
 */

#ifndef EP2_LOGCAP_H
#define EP2_LOGCAP_H

#include <sys/mman.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static int	 cap_fd = -1;
static char	 cap_buf[1 << 16];

static void	 cap_init(void) __attribute__((__unused__));
static void	 cap_start(void) __attribute__((__unused__));
static const char *cap_log(void) __attribute__((__unused__));
static int	 cap_has(const char *) __attribute__((__unused__));
static int	 cap_lines(void) __attribute__((__unused__));

static void
cap_init(void)
{
	int	 fd;

	log_init(1, LOG_DAEMON);
	log_procinit("test");
#ifndef __SANITIZE_ADDRESS__
	if (getenv("TEST_VERBOSE") == NULL &&
	    (fd = open("/dev/null", O_WRONLY)) != -1) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
#else
	(void)fd;
#endif
	if ((cap_fd = memfd_create("log", 0)) == -1)
		fatal("memfd_create");
	/* log.c owns it from now on */
	log_file_setfd(cap_fd);
}

static void
cap_start(void)
{
	if (ftruncate(cap_fd, 0) == -1 || lseek(cap_fd, 0, SEEK_SET) == -1)
		fatal("cap_start");
}

static const char *
cap_log(void)
{
	ssize_t	 n;

	if ((n = pread(cap_fd, cap_buf, sizeof(cap_buf) - 1, 0)) < 0)
		n = 0;
	cap_buf[n] = '\0';
	return (cap_buf);
}

static int
cap_has(const char *s)
{
	return (strstr(cap_log(), s) != NULL);
}

static int
cap_lines(void)
{
	const char	*p;
	int		 n = 0;

	for (p = cap_log(); *p != '\0'; p++)
		if (*p == '\n')
			n++;
	return (n);
}

#endif /* EP2_LOGCAP_H */
