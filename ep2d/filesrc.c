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
 * The orchestrator "file": a servers file, one address per line, that
 * any tool able to write a file can keep.  The fetcher watches the
 * file's directory with inotify, so that a rewrite in place and a
 * replacement by rename are both seen at once, and sends every readable
 * version as a server set.  A file that vanishes or cannot be read
 * changes nothing: the last good set stays.
 */

#include <sys/types.h>
#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIBBSD_OPENBSD_VIS	/* libbsd's strnvis flavour, no warning */
#include <vis.h>

#include <event.h>

#include "ep2d.h"
#include "log.h"

#define FILESRC_SIZE_MAX	(16 * 1024 * 1024)
#define FILESRC_ENTRY_MAX	(EP2D_HOST_MAX + 16)	/* "[v6]:port" */
#define FILESRC_DELAY_USEC	10000	/* our name gone: it may come back */
#define FILESRC_MASK		(IN_CLOSE_WRITE | IN_MOVED_TO | \
				    IN_MOVED_FROM | IN_DELETE | IN_CREATE | \
				    IN_ATTRIB | IN_DELETE_SELF | \
				    IN_MOVE_SELF | IN_ONLYDIR)

struct filesrc {
	TAILQ_ENTRY(filesrc) entry;
	struct source	*src;
	const char	*path;
	char		 base[NAME_MAX + 1];
	int		 dirfd;
	int		 wd;		/* its directory's watch */
	struct event	 ev_timer;
	int		 started;
	int		 failing;
	int		 dir_gone;
	int		 ev_now, ev_later, ev_gone;	/* this read's */
	char		 lasterr[EP2D_ERR_MAX];
};

/*
 * One inotify instance for every servers file, a watch a directory
 * (two files in one directory share it): the kernel allows a user 128
 * instances (fs.inotify.max_user_instances), fewer than the backends
 * ep2d takes, and the fetcher is still root when it makes them.
 */
static TAILQ_HEAD(, filesrc) ino_srcs = TAILQ_HEAD_INITIALIZER(ino_srcs);
static int		 ino_fd = -1;
static struct event	 ino_ev;
static int		 ino_started;

static int	 filesrc_init(struct source *);
static int	 filesrc_start(struct source *);
static void	 filesrc_fetch_now(struct source *);
static void	 filesrc_stop(struct source *);
static void	 filesrc_inotify(int, short, void *);
static void	 filesrc_event(struct filesrc *, const struct inotify_event *);
static void	 filesrc_after(struct filesrc *);
static void	 filesrc_timer(int, short, void *);
static int	 filesrc_complete(struct filesrc *);
static void	 filesrc_read(struct filesrc *);
static int	 filesrc_open(struct filesrc *);
static int	 filesrc_load(struct filesrc *, char **, size_t *);
static void	 filesrc_fail(struct filesrc *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));

const struct source_ops filesrc_ops = {
	filesrc_init,
	filesrc_start,
	filesrc_fetch_now,
	filesrc_stop
};

/*
 * One server per line: "ADDRESS", "ADDRESS:PORT", "[V6]:PORT" or a bare
 * IPv6 address; blank lines and '#' comments (a whole line, or after
 * white space) ignored.  Each entry is checked by itself through
 * addr_parse_hostport(); a bad one is logged, made printable, and
 * skipped.  The set comes back sorted, duplicates collapsed.  Returns
 * how many entries were refused, or -1 when memory ran out.
 */
int
servers_parse(const char *buf, size_t len, const char *name,
    uint16_t defport, struct server_set *set)
{
	char		 entry[FILESRC_ENTRY_MAX], host[EP2D_HOST_MAX];
	char		 shown[LOG_VISIBLE_LEN];
	const char	*p, *nl, *s, *e, *q, *why;
	const char	*end = buf + len;
	uint16_t	 port;
	int		 lineno = 0, bad = 0, full = 0;

	for (p = buf; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		s = p;
		e = nl;
		if (memchr(s, '\0', e - s) != NULL) {
			log_visible(shown, sizeof(shown), s, e - s);
			log_warnx("%s:%d: \"%s\": NUL byte in the line", name,
			    lineno, shown);
			bad++;
			continue;
		}
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e || *s == '#')
			continue;
		for (q = s + 1; q < e; q++) {
			if (*q == '#' && isspace((unsigned char)q[-1])) {
				e = q;
				break;
			}
		}
		while (e > s && isspace((unsigned char)e[-1]))
			e--;

		why = NULL;
		if ((size_t)(e - s) >= sizeof(entry))
			why = "entry too long";
		else {
			memcpy(entry, s, e - s);
			entry[e - s] = '\0';
			if (addr_parse_hostport(entry, defport, host,
			    sizeof(host), &port, &why) == -1) {
				if (why == NULL)
					why = "not an address";
			} else {
				if (set_add(set, host, port) == -1) {
					if (errno != E2BIG)
						return (-1);
					why = "too many servers";
					if (full++ > 0) {
						bad++;
						continue;
					}
				}
			}
		}
		if (why != NULL) {
			log_visible(shown, sizeof(shown), s, e - s);
			log_warnx("%s:%d: \"%s\": %s", name, lineno, shown,
			    why);
			bad++;
		}
	}
	/* the same server written twice is one server */
	set_sort(set);
	return (bad);
}

/*
 * As root, before the sandbox: the directory is opened and watched
 * here, because the chrooted fetcher could not find it by name.
 */
static int
filesrc_init(struct source *src)
{
	struct filesrc	*fs;
	char		 dir[PATH_MAX];
	const char	*path = src->be->file.path, *slash;

	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		fatal("%s: calloc", __func__);
	fs->src = src;
	fs->path = path;
	fs->dirfd = fs->wd = -1;

	if (path[0] != '/' || (slash = strrchr(path, '/')) == NULL ||
	    slash[1] == '\0' || strcmp(slash + 1, ".") == 0 ||
	    strcmp(slash + 1, "..") == 0 ||
	    strlcpy(fs->base, slash + 1, sizeof(fs->base)) >=
	    sizeof(fs->base)) {
		log_warnx("servers file %s: not an absolute file name", path);
		goto fail;
	}
	if (slash == path)
		strlcpy(dir, "/", sizeof(dir));
	else {
		memcpy(dir, path, slash - path);
		dir[slash - path] = '\0';
	}
	if ((fs->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		log_warn("servers file directory %s", dir);
		goto fail;
	}
	if (ino_fd == -1 &&
	    (ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("inotify_init1");
		goto fail;
	}
	if ((fs->wd = inotify_add_watch(ino_fd, dir, FILESRC_MASK)) == -1) {
		log_warn("inotify_add_watch %s", dir);
		goto fail;
	}
	TAILQ_INSERT_TAIL(&ino_srcs, fs, entry);
	src->ctx = fs;
	return (0);
fail:
	if (TAILQ_EMPTY(&ino_srcs) && ino_fd != -1) {
		close(ino_fd);
		ino_fd = -1;
	}
	if (fs->dirfd != -1)
		close(fs->dirfd);
	free(fs);
	return (-1);
}

static int
filesrc_start(struct source *src)
{
	struct filesrc	*fs = src->ctx;

	if (!ino_started) {
		event_set(&ino_ev, ino_fd, EV_READ | EV_PERSIST,
		    filesrc_inotify, NULL);
		if (event_add(&ino_ev, NULL) == -1) {
			log_warnx("servers file %s: event_add", fs->path);
			return (-1);
		}
		ino_started = 1;
	}
	evtimer_set(&fs->ev_timer, filesrc_timer, fs);
	fs->started = 1;
	filesrc_read(fs);
	return (0);
}

static void
filesrc_fetch_now(struct source *src)
{
	struct filesrc	*fs = src->ctx;

	if (fs == NULL)
		return;
	if (fs->started)
		evtimer_del(&fs->ev_timer);
	filesrc_read(fs);
}

static void
filesrc_stop(struct source *src)
{
	struct filesrc	*fs = src->ctx, *o;
	int		 shared = 0;

	if (fs == NULL)
		return;
	if (fs->started)
		evtimer_del(&fs->ev_timer);
	TAILQ_REMOVE(&ino_srcs, fs, entry);
	TAILQ_FOREACH(o, &ino_srcs, entry)
		if (o->wd == fs->wd)
			shared = 1;
	if (!shared && !fs->dir_gone)
		(void)inotify_rm_watch(ino_fd, fs->wd);
	if (TAILQ_EMPTY(&ino_srcs)) {
		if (ino_started)
			event_del(&ino_ev);
		ino_started = 0;
		close(ino_fd);
		ino_fd = -1;
	}
	close(fs->dirfd);
	free(fs);
	src->ctx = NULL;
}

/*
 * Events of the directory.  Only those naming our file count.  A name
 * that arrives whole (a rename onto it, the close of a write, a link)
 * is read at once: a generator's rename is the whole new list, and
 * waiting would only add latency.  Our name going away (a delete, a
 * rename from it) arms a short timer instead, since a writer that
 * removes the file and writes it again usually does so at once; one
 * read then sees the outcome.
 */
static void
filesrc_inotify(int fd, short event, void *arg)
{
	struct filesrc		*fs, *n;
	struct inotify_event	*ie;
	char			 buf[4096]
	    __attribute__((__aligned__(__alignof__(struct inotify_event))));
	ssize_t			 n_read;
	char			*p;

	for (;;) {
		if ((n_read = read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("servers files: inotify");
			break;
		}
		if (n_read == 0)
			break;
		for (p = buf; p < buf + n_read; p += sizeof(*ie) + ie->len) {
			ie = (struct inotify_event *)p;
			/* a watch a directory: each file of it looks */
			TAILQ_FOREACH(fs, &ino_srcs, entry)
				if ((ie->mask & IN_Q_OVERFLOW) ||
				    ie->wd == fs->wd)
					filesrc_event(fs, ie);
		}
	}
	/* a source may fail and be stopped: the next one taken first */
	TAILQ_FOREACH_SAFE(fs, &ino_srcs, entry, n)
		filesrc_after(fs);
}

/* What one event of its directory means for fs's file. */
static void
filesrc_event(struct filesrc *fs, const struct inotify_event *ie)
{
	if (ie->mask & IN_Q_OVERFLOW)
		fs->ev_now = 1;
	else if (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED |
	    IN_UNMOUNT))
		fs->ev_gone = 1;
	else if (ie->len > 0 && strcmp(ie->name, fs->base) == 0) {
		if (ie->mask & (IN_DELETE | IN_MOVED_FROM))
			fs->ev_later = 1;
		else if (!(ie->mask & IN_CREATE) || filesrc_complete(fs))
			fs->ev_now = 1;
	}
}

/* The events of one read, taken together: one read of the file. */
static void
filesrc_after(struct filesrc *fs)
{
	struct timeval	 tv;
	int		 now = fs->ev_now, later = fs->ev_later;
	int		 gone = fs->ev_gone;

	fs->ev_now = fs->ev_later = fs->ev_gone = 0;
	if (fs->dir_gone)
		return;
	if (gone) {
		fs->dir_gone = 1;
		filesrc_fail(fs, "its directory was removed or moved: changes "
		    "are no longer seen; restart ep2d");
		return;
	}
	if (now) {
		evtimer_del(&fs->ev_timer);
		filesrc_read(fs);
	} else if (later && !evtimer_pending(&fs->ev_timer, NULL)) {
		tv.tv_sec = 0;
		tv.tv_usec = FILESRC_DELAY_USEC;
		evtimer_add(&fs->ev_timer, &tv);
	}
}

/*
 * A new name appeared.  A regular file just created is still being
 * written: its IN_CLOSE_WRITE follows, and reading it now could apply
 * half a list.  A symbolic link or a hard link appears whole.
 */
static int
filesrc_complete(struct filesrc *fs)
{
	struct stat	 st;

	if (fstatat(fs->dirfd, fs->base, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return (0);
	return (S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) &&
	    st.st_nlink > 1));
}

static void
filesrc_timer(int fd, short event, void *arg)
{
	filesrc_read(arg);
}

/*
 * Read and send the file.  Bad entries are refused one by one and the
 * valid ones apply; a file in which nothing is valid but something was
 * refused is more likely broken than meant, and changes nothing.  An
 * empty file is the truth: the backend is emptied.
 */
static void
filesrc_read(struct filesrc *fs)
{
	struct server_set	 set;
	char			*buf;
	size_t			 len;
	int			 bad;

	if (filesrc_load(fs, &buf, &len) == -1)
		return;
	set_init(&set);
	bad = servers_parse(buf, len, fs->path, fs->src->be->backend_port,
	    &set);
	free(buf);
	if (bad == -1)
		fatal("%s: servers_parse", __func__);
	if (set.count == 0 && bad > 0) {
		filesrc_fail(fs, "no valid entry (%d refused): keeping the "
		    "last servers", bad);
		set_free(&set);
		return;
	}
	if (fs->failing) {
		log_info("servers file %s: readable again", fs->path);
		fs->failing = 0;
	}
	if (set.count == 0)
		log_warnx("servers file %s: no servers: %s", fs->path,
		    fs->src->be->conf->keep_on_empty ? "the servers stay "
		    "(keep_on_empty)" : "the backend is emptied");
	else if (bad > 0)
		log_warnx("servers file %s: %d entries refused, %zu apply",
		    fs->path, bad, set.count);
	source_good(fs->src, &set);
	set_free(&set);
}

/*
 * Open the file in the directory opened before the sandbox, and nowhere
 * else: that descriptor reaches outside the chroot, where ".." and a
 * symbolic link would lead anywhere _ep2d may read.  A symbolic link is
 * followed only to another name of the same directory (the way a
 * generator switches versions: servers -> servers.2); one that leads
 * elsewhere is refused.  The kernel does not follow any: O_NOFOLLOW,
 * and each link is read with readlinkat.  Landlock, where there is
 * one, fences a fetcher that would try anyway (sandbox.c).
 */
#define FILESRC_LINKS_MAX	8

static int
filesrc_open(struct filesrc *fs)
{
	char	 name[NAME_MAX + 1], link[NAME_MAX + 2];
	char	 shown[LOG_VISIBLE_LEN];
	ssize_t	 n;
	int	 fd, hops;

	strlcpy(name, fs->base, sizeof(name));
	for (hops = 0; hops <= FILESRC_LINKS_MAX; hops++) {
		/* O_NONBLOCK: a FIFO put in the file's place must not hang us */
		if ((fd = openat(fs->dirfd, name, O_RDONLY | O_CLOEXEC |
		    O_NONBLOCK | O_NOCTTY | O_NOFOLLOW)) != -1)
			return (fd);
		if (errno != ELOOP)
			break;
		if ((n = readlinkat(fs->dirfd, name, link,
		    sizeof(link) - 1)) == -1)
			break;
		link[n] = '\0';
		if (n == 0 || (size_t)n >= sizeof(name) ||
		    memchr(link, '/', n) != NULL || strcmp(link, ".") == 0 ||
		    strcmp(link, "..") == 0) {
			log_visible(shown, sizeof(shown), link, n);
			filesrc_fail(fs, "a symbolic link to \"%s\", outside "
			    "its directory: refused", shown);
			return (-1);
		}
		memcpy(name, link, n + 1);
	}
	if (hops > FILESRC_LINKS_MAX) {
		filesrc_fail(fs, "more than %d symbolic links: refused",
		    FILESRC_LINKS_MAX);
		return (-1);
	}
	if (errno == EACCES)
		filesrc_fail(fs, "%s (it must be readable by %s)",
		    strerror(errno), EP2D_USER);
	else
		filesrc_fail(fs, "%s", strerror(errno));
	return (-1);
}

/* The file, whole. */
static int
filesrc_load(struct filesrc *fs, char **bufp, size_t *lenp)
{
	struct stat	 st;
	char		*buf = NULL, *nbuf;
	size_t		 len = 0, cap;
	ssize_t		 n;
	int		 fd, saved;

	if ((fd = filesrc_open(fs)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1) {
		filesrc_fail(fs, "fstat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		filesrc_fail(fs, "not a regular file");
		goto fail;
	}
	if (st.st_size > FILESRC_SIZE_MAX) {
		filesrc_fail(fs, "larger than 16 MiB");
		goto fail;
	}
	/* the file may grow while it is read: the limit holds anyway */
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap)) == NULL)
		fatal("%s: malloc", __func__);
	for (;;) {
		if (len == cap) {
			if (cap > FILESRC_SIZE_MAX) {
				filesrc_fail(fs, "larger than 16 MiB");
				goto fail;
			}
			cap = cap * 2 > FILESRC_SIZE_MAX + 1 ?
			    FILESRC_SIZE_MAX + 1 : cap * 2;
			if ((nbuf = realloc(buf, cap)) == NULL)
				fatal("%s: realloc", __func__);
			buf = nbuf;
		}
		if ((n = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			filesrc_fail(fs, "read: %s", strerror(saved));
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	*bufp = buf;
	*lenp = len;
	return (0);
fail:
	free(buf);
	close(fd);
	return (-1);
}

/* Logged when the reason changes, not at each event. */
static void
filesrc_fail(struct filesrc *fs, const char *fmt, ...)
{
	char	 msg[EP2D_ERR_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!fs->failing || strcmp(msg, fs->lasterr) != 0)
		log_warnx("servers file %s: %s; the last servers stay",
		    fs->path, msg);
	strlcpy(fs->lasterr, msg, sizeof(fs->lasterr));
	fs->failing = 1;
	source_fail(fs->src, "%s", msg);
}

