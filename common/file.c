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
 * Opening a file by name in a directory that somebody else may write:
 * the one way every file of ep2d is opened, as root, so that an entry
 * put there cannot block the daemon (a FIFO: O_NONBLOCK, and a file
 * that is not regular is refused), redirect it (a symbolic link:
 * O_NOFOLLOW) or make it change another file (a hard link: a file
 * written in place must have no other name; a temporary one is made
 * afresh with O_EXCL after whatever held its name is removed).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "file.h"

/*
 * Returns the descriptor, close-on-exec, or -1 with errno set; the
 * refusals of a hostile entry are ELOOP (a symbolic link), ENXIO or
 * EINVAL (not a regular file) and EMLINK (other hard links), which
 * file_strerror() says in words.
 */
int
file_open(const char *path, enum file_how how, mode_t mode)
{
	struct stat	 st;
	int		 fd, flags = O_CLOEXEC | O_NOCTTY | O_NONBLOCK, saved;

	switch (how) {
	case FILE_READ:
		flags |= O_RDONLY;
		break;
	case FILE_APPEND:
		flags |= O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW;
		break;
	case FILE_KEEP:
		flags |= O_RDWR | O_CREAT | O_NOFOLLOW;
		break;
	case FILE_NEW:
		/* a FIFO, a link, a directory: it goes, or we stop here */
		if (unlink(path) == -1 && errno != ENOENT)
			return (-1);
		flags |= O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
		break;
	default:
		errno = EINVAL;
		return (-1);
	}
	if ((fd = open(path, flags, mode)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if (how != FILE_READ && st.st_nlink != 1) {
		errno = EMLINK;
		goto fail;
	}
	return (fd);
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

/* What a failure of file_open() was, for a log line. */
const char *
file_strerror(int e)
{
	switch (e) {
	case ELOOP:
		return ("a symbolic link, refused");
	case ENXIO:
	case EINVAL:
		return ("not a regular file, refused");
	case EMLINK:
		return ("the file has other hard links, refused");
	default:
		return (strerror(e));
	}
}
