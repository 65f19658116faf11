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
 * common/log.c: the level of every log_file line, and journald's "<N>"
 * prefix on stderr exactly when JOURNAL_STREAM names stderr.  stderr is
 * a memfd here, read back after each case.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

static char	 buf[8192];
static int	 err_fd, file_fd, saved_stderr;

/* What fd holds, from its start; emptied for the next case. */
static const char *
drain(int fd)
{
	ssize_t	 n;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) < 0)
		n = 0;
	buf[n] = '\0';
	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1)
		fatal("ftruncate");
	return (buf);
}

static void
journal_env(int fd, int off)
{
	struct stat	 st;
	char		 v[64];

	if (fstat(fd, &st) == -1)
		fatal("fstat");
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + off);
	setenv("JOURNAL_STREAM", v, 1);
}

/* One warning, one info, one debug line, one fatal-level line. */
static void
emit(void)
{
	log_setverbose(1);
	log_warnx("w %d", 1);
	log_info("i %d", 2);
	log_debug("d %d", 3);
	logit(LOG_ERR, "e %d", 4);
	logit(LOG_CRIT, "c %d", 5);
}

int
main(void)
{
	const char	*s;
	int		 other;

	if ((err_fd = memfd_create("stderr", 0)) == -1 ||
	    (file_fd = memfd_create("log_file", 0)) == -1 ||
	    (other = memfd_create("other", 0)) == -1)
		return (1);
	saved_stderr = dup(STDERR_FILENO);
	fflush(stderr);
	dup2(err_fd, STDERR_FILENO);

	/* stderr is the journal: every line has its priority */
	journal_env(STDERR_FILENO, 0);
	log_init(1, LOG_DAEMON);
	log_procinit("test");
	emit();
	fflush(stderr);
	s = drain(err_fd);
	is_str(s, "<4>test: w 1\n<6>test: i 2\n<7>test: d 3\n<3>test: e 4\n"
	    "<2>test: c 5\n", "JOURNAL_STREAM is stderr: <N> prefixes");

	log_warnx("two\nlines");
	fflush(stderr);
	is_str(drain(err_fd), "<4>test: two\n<4>test: lines\n",
	    "a line with a newline: each part has the prefix");

	/* another inode: a terminal, a file, /dev/null after daemon(3) */
	journal_env(other, 0);
	log_init(1, LOG_DAEMON);
	emit();
	fflush(stderr);
	is_str(drain(err_fd), "test: w 1\ntest: i 2\ntest: d 3\ntest: e 4\n"
	    "test: c 5\n", "JOURNAL_STREAM names another file: no prefix");

	journal_env(STDERR_FILENO, 1);
	log_init(1, LOG_DAEMON);
	log_warnx("x");
	fflush(stderr);
	is_str(drain(err_fd), "test: x\n", "same device, other inode: none");

	setenv("JOURNAL_STREAM", "garbage", 1);
	log_init(1, LOG_DAEMON);
	log_warnx("x");
	fflush(stderr);
	is_str(drain(err_fd), "test: x\n",
	    "JOURNAL_STREAM not DEV:INODE: none");

	unsetenv("JOURNAL_STREAM");
	log_init(1, LOG_DAEMON);
	log_warnx("x");
	fflush(stderr);
	is_str(drain(err_fd), "test: x\n", "no JOURNAL_STREAM: none");

	/* log_file: the timestamp, the pid, the level, the process */
	journal_env(STDERR_FILENO, 0);
	log_init(1, LOG_DAEMON);
	log_file_setfd(file_fd);
	emit();
	s = drain(file_fd);
	ok(strlen(s) > 20 && s[4] == '-' && s[10] == ' ' && s[13] == ':' &&
	    s[19] == ' ' && strncmp(s + 20, "ep2d[", 5) == 0,
	    "log_file: the timestamp and ep2d[pid] as before");
	ok(strstr(s, "]: warning: test: w 1\n") != NULL,
	    "log_file: a warning says warning");
	ok(strstr(s, "]: info: test: i 2\n") != NULL,
	    "log_file: an info line says info");
	ok(strstr(s, "]: debug: test: d 3\n") != NULL,
	    "log_file: a debug line says debug");
	ok(strstr(s, "]: error: test: e 4\n") != NULL,
	    "log_file: an error says error");
	ok(strstr(s, "]: critical: test: c 5\n") != NULL,
	    "log_file: a fatal line says critical");
	ok(strchr(s, '<') == NULL, "log_file: no journald prefix");
	if (strstr(s, "]: warning: test: w 1\n") == NULL)
		printf("# %s", s);

	dup2(saved_stderr, STDERR_FILENO);
	return (done_testing());
}
