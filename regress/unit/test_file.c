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
 * common/file.c: what an entry put at a name does to each way of
 * opening it.  A FIFO never blocks (the test would hang), a symbolic
 * link is never followed for writing, a hard link is never written
 * through, and the file the link names never changes.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "tap.h"

static char	 dir[64], target[128], name[128];

static const char	 content[] = "not to be changed\n";

static void
reset(void)
{
	char	 buf[256];

	snprintf(buf, sizeof(buf), "rm -rf '%s/name'", dir);
	if (system(buf) != 0)
		exit(1);
}

static int
target_same(void)
{
	char	 buf[64];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(target, O_RDONLY)) == -1)
		return (0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return (n == (ssize_t)strlen(content) &&
	    memcmp(buf, content, n) == 0);
}

/* file_open(name, how) fails with e, the target unchanged */
static int
refused(enum file_how how, int e)
{
	int	 fd;

	errno = 0;
	if ((fd = file_open(name, how, 0644)) != -1) {
		close(fd);
		return (0);
	}
	return (errno == e && target_same());
}

int
main(void)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	const char		*why;
	int			 fd, s;

	strlcpy(dir, "/tmp/ep2d-file.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(name, sizeof(name), "%s/name", dir);
	if ((fd = open(target, O_WRONLY | O_CREAT, 0644)) == -1 ||
	    write(fd, content, strlen(content)) != (ssize_t)strlen(content))
		return (1);
	close(fd);

	/* a FIFO with no reader: nothing blocks */
	if (mkfifo(name, 0644) == -1)
		return (1);
	ok(refused(FILE_APPEND, ENXIO), "FIFO, append: refused, no block");
	ok(refused(FILE_KEEP, EINVAL), "FIFO, read-write: refused, no block");
	ok(refused(FILE_READ, EINVAL), "FIFO, read: refused, no block");
	fd = file_open(name, FILE_NEW, 0644);
	ok(fd != -1 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode),
	    "FIFO, new: replaced by a regular file");
	if (fd != -1)
		close(fd);
	reset();

	/* a symbolic link to the target */
	if (symlink(target, name) == -1)
		return (1);
	ok(refused(FILE_APPEND, ELOOP), "symlink, append: refused");
	ok(refused(FILE_KEEP, ELOOP), "symlink, read-write: refused");
	fd = file_open(name, FILE_READ, 0);
	ok(fd != -1, "symlink, read: followed (a template may be a link)");
	if (fd != -1)
		close(fd);
	fd = file_open(name, FILE_NEW, 0644);
	ok(fd != -1 && write(fd, "x", 1) == 1 && target_same() &&
	    lstat(name, &st) == 0 && S_ISREG(st.st_mode),
	    "symlink, new: the link goes, the target is unchanged");
	if (fd != -1)
		close(fd);
	reset();

	/* a dangling symbolic link: nothing created where it points */
	if (symlink("/tmp/ep2d-file-nonexistent", name) == -1)
		return (1);
	ok(refused(FILE_APPEND, ELOOP) &&
	    access("/tmp/ep2d-file-nonexistent", F_OK) == -1,
	    "dangling symlink, append: refused, nothing created");
	reset();

	/* a hard link to the target */
	if (link(target, name) == -1)
		return (1);
	ok(refused(FILE_APPEND, EMLINK), "hard link, append: refused");
	ok(refused(FILE_KEEP, EMLINK), "hard link, read-write: refused");
	fd = file_open(name, FILE_NEW, 0644);
	ok(fd != -1 && write(fd, "x", 1) == 1 && target_same(),
	    "hard link, new: a new file, the target is unchanged");
	if (fd != -1)
		close(fd);
	reset();

	/* a unix socket */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, name, sizeof(sun.sun_path));
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return (1);
	ok(refused(FILE_APPEND, ENXIO), "socket, append: refused");
	close(s);
	reset();

	/* a directory: not removed, not opened */
	if (mkdir(name, 0755) == -1)
		return (1);
	ok(file_open(name, FILE_NEW, 0644) == -1 && errno == EISDIR &&
	    lstat(name, &st) == 0 && S_ISDIR(st.st_mode),
	    "directory, new: refused (EISDIR), left alone");
	ok(refused(FILE_READ, EINVAL), "directory, read: refused");
	reset();

	/* nothing there: created, and kept open the way asked */
	fd = file_open(name, FILE_APPEND, 0640);
	ok(fd != -1 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0640 &&
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC) &&
	    (fcntl(fd, F_GETFL) & O_APPEND), "missing, append: created 0640, "
	    "close-on-exec, append");
	if (fd != -1)
		close(fd);
	fd = file_open(name, FILE_APPEND, 0640);
	ok(fd != -1, "existing regular file, append: opened");
	if (fd != -1)
		close(fd);
	fd = file_open(name, FILE_KEEP, 0644);
	ok(fd != -1, "existing regular file, read-write: opened");
	if (fd != -1)
		close(fd);

	why = file_strerror(ELOOP);
	ok(strcmp(why, "a symbolic link, refused") == 0, "ELOOP: \"%s\"", why);
	why = file_strerror(EMLINK);
	ok(strcmp(why, "the file has other hard links, refused") == 0,
	    "EMLINK: \"%s\"", why);
	why = file_strerror(ENOENT);
	ok(strcmp(why, strerror(ENOENT)) == 0, "others: strerror");

	reset();
	unlink(target);
	rmdir(dir);
	return (done_testing());
}
