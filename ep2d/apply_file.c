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
 * The files of an apply (engine.c does the apply itself): ep2.conf and
 * the template checked and read, the slot list of update_by_config, and
 * haproxy.cfg written so that a crash at any point leaves either the
 * old file or the new one, whole: CFG.new is written and synced,
 * validated by the reloader with haproxy -c, and only then renamed over
 * CFG.  Also HAProxy's pid file: is the HAProxy it names ours, alive.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep2d.h"
#include "apply.h"
#include "file.h"
#include "log.h"

#define TEMPLATE_MAX	(4 * 1024 * 1024)

/* Read a whole regular file of at most max bytes. */
int
apply_read_file(const char *path, size_t max, char **bufp, size_t *lenp)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	/* a FIFO in its place must not hold the parent */
	if ((fd = file_open(path, FILE_READ, 0)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1)
		goto fail;
	if ((size_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	if ((buf = malloc(st.st_size + 1)) == NULL)
		goto fail;
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		off += n;
	}
	buf[off] = '\0';
	close(fd);
	*bufp = buf;
	*lenp = off;
	return (0);
fail:
	n = errno;
	free(buf);
	close(fd);
	errno = n;
	return (-1);
}

/* Load the template and refuse one that could never apply. */
/*
 * ep2d runs as root and turns these files into HAProxy's configuration:
 * refuse one that someone else could have written.  It must be a
 * regular file owned by root (or by the user running ep2d) and not
 * writable by others.
 */
int
apply_file_safe(const char *path, const char *what)
{
	struct stat	 st;

	if (stat(path, &st) == -1) {
		log_warn("%s %s", what, path);
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s %s: not a regular file", what, path);
		return (-1);
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		log_warnx("%s %s: owned by uid %u, not by root; refused", what,
		    path, (unsigned)st.st_uid);
		return (-1);
	}
	if (st.st_mode & S_IWOTH) {
		log_warnx("%s %s: writable by anyone (mode %04o); refused",
		    what, path, (unsigned)(st.st_mode & 07777));
		return (-1);
	}
	return (0);
}

int
apply_load_template(const struct ep2_conf *conf, char **bufp, size_t *lenp)
{
	if (apply_file_safe(conf->template_file, "template") == -1)
		return (-1);
	if (apply_read_file(conf->template_file, TEMPLATE_MAX, bufp,
	    lenp) == -1) {
		log_warn("template %s", conf->template_file);
		return (-1);
	}
	if (template_check(*bufp, *lenp, conf->template_file) == -1) {
		free(*bufp);
		*bufp = NULL;
		return (-1);
	}
	return (0);
}

/* 1 when path holds exactly buf, 0 otherwise. */
int
apply_same_as_disk(const char *path, const char *buf, size_t len)
{
	char	*old;
	size_t	 oldlen;
	int	 same;

	if (apply_read_file(path, len + 1, &old, &oldlen) == -1)
		return (0);
	same = oldlen == len && memcmp(old, buf, len) == 0;
	free(old);
	return (same);
}

static int
fsync_dir(const char *path)
{
	char	 tmp[PATH_MAX];
	int	 fd, r;

	if (strlcpy(tmp, path, sizeof(tmp)) >= sizeof(tmp))
		return (-1);
	if ((fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return (-1);
	r = fsync(fd);
	close(fd);
	return (r);
}

/*
 * Write CFG.new: same owner and mode as CFG when it exists, synced to
 * disk before anyone reads it.  Whatever held the name goes first, and
 * the file is made afresh (file_open): a FIFO or a link left there
 * cannot hold or lead the parent.
 */
int
apply_write_new(const char *path, const char *buf, size_t len)
{
	char		 tmp[PATH_MAX];
	struct stat	 st;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = file_open(tmp, FILE_NEW, 0644)) == -1)
		return (-1);
	if (stat(path, &st) == 0) {
		if (fchown(fd, st.st_uid, st.st_gid) == -1)
			log_debug("%s: fchown %s: %s", __func__, tmp,
			    strerror(errno));
		(void)fchmod(fd, st.st_mode & 07777);
	}
	while (off < len) {
		n = write(fd, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		off += n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return (0);
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	errno = saved;
	return (-1);
}

/* CFG.new becomes CFG in one step. */
int
apply_install(const char *path)
{
	char	 tmp[PATH_MAX];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (rename(tmp, path) == -1)
		return (-1);
	if (fsync_dir(path) == -1)
		log_warn("fsync directory of %s", path);
	return (0);
}

void
apply_discard(const char *path)
{
	char	 tmp[PATH_MAX];

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) <
	    sizeof(tmp))
		(void)unlink(tmp);
}

/* Config mode: one slot per server, node1..nodeN in set order (EP2). */
struct tmpl_slot *
apply_config_slots(const struct server_set *set)
{
	struct tmpl_slot	*slots;
	size_t			 i;

	if ((slots = calloc(set->count ? set->count : 1,
	    sizeof(*slots))) == NULL)
		return (NULL);
	for (i = 0; i < set->count; i++) {
		slots[i].srv = &set->servers[i];
		snprintf(slots[i].name, sizeof(slots[i].name), "node%zu",
		    i + 1);
	}
	return (slots);
}

/*
 * Is pid one of HAProxy's processes for our configuration?  Only those
 * may be given to -sf (runner.c): a pid written into pid_file by
 * somebody else must not make a reload signal another process, nor a
 * pid reused by another process after HAProxy died pass for HAProxy.
 * Ours is named after haproxy_binary (its comm) and was started with
 * -f haproxy_config_file or -p pid_file (a HAProxy started by hand from
 * a copy of the file still writes our pid file; another HAProxy of the
 * host does neither).  /proc/PID/exe would say more but needs ptrace
 * access, which Landlock refuses across domains, and a HAProxy started
 * by an earlier ep2d lives in another one.  0 and why when it is not.
 */
int
apply_pid_is_haproxy(const struct run_conf *run, pid_t pid, char *why,
    size_t whylen)
{
	static char	 args[3 * PATH_MAX + 2048];
	char		 path[64], comm[32];
	const char	*base, *a, *end, *next, *prev = "";
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return (0);
	}
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	comm[n > 0 ? n : 0] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	/* the kernel keeps 15 bytes of the name the binary was run by */
	base = strrchr(run->haproxy_binary, '/');
	base = base != NULL ? base + 1 : run->haproxy_binary;
	if (strncmp(comm, base, 15) != 0) {
		snprintf(why, whylen, "it is \"%.15s\", not %.15s", comm,
		    base);
		return (0);
	}

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return (0);
	}
	while (len < sizeof(args) - 1 &&
	    (n = read(fd, args + len, sizeof(args) - 1 - len)) > 0)
		len += n;
	close(fd);
	args[len] = '\0';
	for (a = args, end = args + len; a < end; prev = a, a = next) {
		next = a + strlen(a) + 1;
		if ((strcmp(prev, "-f") == 0 &&
		    strcmp(a, run->haproxy_config_file) == 0) ||
		    (strcmp(prev, "-p") == 0 &&
		    strcmp(a, run->pid_file) == 0))
			return (1);
	}
	snprintf(why, whylen, "it was started with neither -f %.300s nor "
	    "-p %.300s", run->haproxy_config_file, run->pid_file);
	return (0);
}

/*
 * Is HAProxy running?  pid_file names a live process: HAProxy's own
 * when ep2d starts it (start_by = binary), any under systemd.
 */
pid_t
apply_haproxy_pid(const struct run_conf *run)
{
	FILE	*fp;
	char	 line[32], why[768], *ep;
	long	 v;
	pid_t	 pid = 0;
	int	 fd;

	if ((fd = file_open(run->pid_file, FILE_READ, 0)) == -1)
		return (0);
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return (0);
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		v = strtol(line, &ep, 10);
		if (*ep != '\0' || v <= 1 || v > INT32_MAX)
			continue;
		if (kill((pid_t)v, 0) == -1 && errno != EPERM)
			continue;
		if (run->start_by != START_BINARY ||
		    apply_pid_is_haproxy(run, (pid_t)v, why, sizeof(why))) {
			pid = (pid_t)v;
			break;
		}
	}
	fclose(fp);
	return (pid);
}
