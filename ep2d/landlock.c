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
 * Landlock: what each process may reach on the file system, drawn by
 * name while the names still mean what the configuration meant.  The
 * fetcher reads beneath its chroot's etc and the servers files'
 * directories; the parent reads its configuration and writes beside
 * haproxy.cfg, the log and the metrics file; the reloader and the
 * connector reach nothing; the runner may execute haproxy and its ELF
 * interpreter, and every other access of its stays as it was.
 *
 * One probe decides (landlock_abi): a kernel without Landlock, or a
 * service manager's filter refusing it, is a line in the log and the
 * process goes on without.  Headers without Landlock build the second
 * half of this file instead, which says so the same way.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep2d.h"
#include "log.h"
#include "sandbox.h"

/*
 * The fetcher keeps descriptors of directories outside its chroot (the
 * servers files'), and a lookup through one is not stopped by the
 * chroot: "..", or a symbolic link found there, would reach anything
 * _ep2d may read.  So Landlock, where the kernel has it, lets it read
 * beneath those directories and the chroot's etc, and nothing else, and
 * write, make or execute nothing at all.
 */
static char	**fetcher_dirs;
static size_t	 nfetcher_dirs;

int
sandbox_fetcher_allow(const char *dir)
{
	char	**nd;
	size_t	  i;

	for (i = 0; i < nfetcher_dirs; i++)
		if (strcmp(fetcher_dirs[i], dir) == 0)
			return (0);
	if (nfetcher_dirs == EP2D_MAX_BACKENDS) {
		log_warnx("sandbox: more than %d directories for the fetcher",
		    EP2D_MAX_BACKENDS);
		return (-1);
	}
	if ((nd = reallocarray(fetcher_dirs, nfetcher_dirs + 1,
	    sizeof(*nd))) == NULL) {
		log_warn("%s: reallocarray", __func__);
		return (-1);
	}
	fetcher_dirs = nd;
	if ((fetcher_dirs[nfetcher_dirs] = strdup(dir)) == NULL) {
		log_warn("%s: strdup", __func__);
		return (-1);
	}
	nfetcher_dirs++;
	return (0);
}

#ifdef __NR_landlock_create_ruleset

#include <linux/landlock.h>

/* one place a process may reach under Landlock */
struct sandbox_place {
	const char	*path;
	int		 dir;		/* path's directory, not path */
	uint64_t	 access;
};

#define LL_READ		(LANDLOCK_ACCESS_FS_READ_FILE | \
			    LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_WRITE	(LANDLOCK_ACCESS_FS_WRITE_FILE | \
			    LANDLOCK_ACCESS_FS_MAKE_REG | \
			    LANDLOCK_ACCESS_FS_REMOVE_FILE)

static int	 landlock_abi(const char **);
static int	 sandbox_exec_paths(const char *, char [][PATH_MAX], int);
static int	 sandbox_ll_rule(int, const char *, const char *, int,
		    uint64_t, uint64_t);
static int	 sandbox_ctl_path(char *, size_t);
static int	 landlock_fs_rules(const char *,
		    const struct sandbox_place *, size_t, int *);
static int	 landlock_fs(const char *, const struct sandbox_place *,
		    size_t);

/*
 * Landlock's ABI version, or 0 with *why saying why there is none.  The
 * probe runs in a child first (sandbox_allowed): under a service
 * manager's filter that refuses it, the call itself would kill us.
 */
static int
landlock_abi(const char **why)
{
	int	 abi;

	if (!sandbox_allowed(__NR_landlock_create_ruleset, 0, 0,
	    LANDLOCK_CREATE_RULESET_VERSION)) {
		*why = "Landlock is refused by the service manager's system "
		    "call filter";
		return (0);
	}
	abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		*why = "no Landlock in this kernel";
		return (0);
	}
	return (abi);
}

/*
 * What the kernel opens for execution when it runs path: the file
 * itself, the ELF interpreter it names (PT_INTERP), or for a "#!"
 * script the interpreter named there and that one's ELF interpreter.
 * Landlock must allow each.  Returns how many names were put in out.
 */
#define SANDBOX_EXEC_MAX	3

static int
sandbox_exec_paths(const char *path, char out[][PATH_MAX], int n)
{
	Elf64_Ehdr	 eh;
	Elf64_Phdr	 ph;
	char		 line[PATH_MAX + 2], *p;
	ssize_t		 len;
	int		 fd, i;

	if (n == 0 || strlcpy(out[0], path, PATH_MAX) >= PATH_MAX)
		return (0);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("sandbox: %s", path);
		return (1);
	}
	if ((len = pread(fd, line, sizeof(line) - 1, 0)) > 2 &&
	    line[0] == '#' && line[1] == '!') {
		close(fd);
		line[len] = '\0';
		p = line + 2 + strspn(line + 2, " \t");
		p[strcspn(p, " \t\n")] = '\0';
		if (*p != '/' || strcmp(p, path) == 0)
			return (1);
		return (1 + sandbox_exec_paths(p, out + 1, n - 1));
	}
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph))
		goto done;
	for (i = 0; i < eh.e_phnum && n > 1; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph))
			break;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz < 2 || ph.p_filesz > PATH_MAX ||
		    pread(fd, out[1], ph.p_filesz, ph.p_offset) !=
		    (ssize_t)ph.p_filesz || out[1][ph.p_filesz - 1] != '\0' ||
		    out[1][0] != '/') {
			log_warnx("sandbox: %s: bad ELF interpreter", path);
			break;
		}
		close(fd);
		return (2);
	}
 done:
	close(fd);
	return (1);
}

/*
 * Landlock, handling only the right to execute: the runner may run the
 * haproxy binary and its interpreter, nothing else.  The interpreter
 * could run any program of its own ("ld.so /bin/sh"): the filter's key
 * (sandbox_exec_rules in seccomp.c) is what keeps every execve but the
 * runner's out.  Every other file access stays as it was.  A kernel
 * without Landlock is told in the log.
 */
int
landlock_exec_only(const char *binary)
{
	struct landlock_ruleset_attr		 ra;
	struct landlock_path_beneath_attr	 pb;
	char					 paths[SANDBOX_EXEC_MAX][PATH_MAX];
	const char				*why;
	int					 rfd, fd, i, n;

	if (landlock_abi(&why) < 1) {
		log_info("sandbox: %s; the runner's execve of %s is not "
		    "pinned to that file (its filter still refuses HAProxy "
		    "any execve)", why, binary);
		return (0);
	}
	n = sandbox_exec_paths(binary, paths, SANDBOX_EXEC_MAX);

	memset(&ra, 0, sizeof(ra));
	ra.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE;
	if ((rfd = syscall(__NR_landlock_create_ruleset, &ra, sizeof(ra),
	    0)) == -1) {
		log_warn("sandbox: landlock_create_ruleset");
		return (-1);
	}
	for (i = 0; i < n; i++) {
		/* a missing file gets no rule: nothing runs until restart */
		if ((fd = open(paths[i], O_PATH | O_CLOEXEC)) == -1) {
			log_warn("sandbox: %s", paths[i]);
			continue;
		}
		memset(&pb, 0, sizeof(pb));
		pb.allowed_access = LANDLOCK_ACCESS_FS_EXECUTE;
		pb.parent_fd = fd;
		if (syscall(__NR_landlock_add_rule, rfd,
		    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) == -1) {
			log_warn("sandbox: landlock_add_rule %s", paths[i]);
			close(fd);
			close(rfd);
			return (-1);
		}
		close(fd);
		log_debug("sandbox: runner may execute %s", paths[i]);
	}
	if (syscall(__NR_landlock_restrict_self, rfd, 0) == -1) {
		log_warn("sandbox: landlock_restrict_self");
		close(rfd);
		return (-1);
	}
	close(rfd);
	return (0);
}

/* Allow access under path's directory (or path itself when dir == 0). */
static int
sandbox_ll_rule(int rfd, const char *who, const char *path, int dir,
    uint64_t access, uint64_t handled)
{
	struct landlock_path_beneath_attr	 pb;
	char					 buf[PATH_MAX], *d;
	int					 fd;

	if (path == NULL || *path == '\0')
		return (0);
	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return (0);
	d = dir ? dirname(buf) : buf;
	if ((fd = open(d, O_PATH | O_CLOEXEC)) == -1) {
		log_debug("sandbox: %s: %s; no rule", d, strerror(errno));
		return (0);
	}
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = access & handled;
	pb.parent_fd = fd;
	if (syscall(__NR_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0) == -1) {
		log_warn("sandbox: landlock_add_rule %s", d);
		close(fd);
		return (-1);
	}
	close(fd);
	log_debug("sandbox: %s may %s under %s", who,
	    access & LL_WRITE ? "read and write" : "read", d);
	return (0);
}

/*
 * The control socket's path, from the listening AF_UNIX socket that
 * control_init() left open: its directory gets the right to remove it
 * at exit.
 */
static int
sandbox_ctl_path(char *buf, size_t len)
{
	struct sockaddr_un	 sun;
	socklen_t		 sl;
	int			 fd, v, type;

	for (fd = 3; fd < 256; fd++) {
		sl = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &sl) == -1 ||
		    !v)
			continue;
		sl = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl) == -1 ||
		    type != SOCK_STREAM)
			continue;
		sl = sizeof(sun);
		memset(&sun, 0, sizeof(sun));
		if (getsockname(fd, (struct sockaddr *)&sun, &sl) == -1 ||
		    sun.sun_family != AF_UNIX || sun.sun_path[0] == '\0')
			continue;
		strlcpy(buf, sun.sun_path, len);
		return (0);
	}
	return (-1);
}

/*
 * Landlock on the whole file system for who: every access is handled,
 * and allowed only under the n places of the list.  The rules are drawn
 * now, by name; *rfdp is the ruleset to restrict the process with, or
 * -1 when there is no Landlock (an old kernel, a service manager's
 * filter), which a line says and the process goes on without.
 */
static int
landlock_fs_rules(const char *who, const struct sandbox_place *pl,
    size_t n, int *rfdp)
{
	struct landlock_ruleset_attr	 ra;
	const char			*why;
	uint64_t			 handled;
	size_t				 i;
	int				 abi, rfd, r = 0;

	*rfdp = -1;
	if ((abi = landlock_abi(&why)) < 1) {
		log_info("sandbox: %s; the %s's file system access is not "
		    "limited", why, who);
		return (0);
	}
	handled = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	    LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	    LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
	if (abi >= 2)
		handled |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
	if (abi >= 3)
		handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
	memset(&ra, 0, sizeof(ra));
	ra.handled_access_fs = handled;
	if ((rfd = syscall(__NR_landlock_create_ruleset, &ra, sizeof(ra),
	    0)) == -1) {
		log_warn("sandbox: landlock_create_ruleset");
		return (-1);
	}
	for (i = 0; i < n && r == 0; i++)
		r = sandbox_ll_rule(rfd, who, pl[i].path, pl[i].dir,
		    pl[i].access, handled);
	if (r == -1) {
		close(rfd);
		return (-1);
	}
	*rfdp = rfd;
	return (0);
}

/* Restrict the process with the ruleset of landlock_fs_rules, if any. */
int
landlock_restrict(int rfd)
{
	int	 r = 0;

	if (rfd == -1)
		return (0);
	if (syscall(__NR_landlock_restrict_self, rfd, 0) == -1) {
		log_warn("sandbox: landlock_restrict_self");
		r = -1;
	}
	close(rfd);
	return (r);
}

/* Landlock now: the rules and the restriction in one step. */
static int
landlock_fs(const char *who, const struct sandbox_place *pl, size_t n)
{
	int	 rfd;

	if (landlock_fs_rules(who, pl, n, &rfd) == -1)
		return (-1);
	return (landlock_restrict(rfd));
}

/* Nothing at all on the file system: the reloader, the connector. */
int
landlock_nothing(const char *who)
{
	return (landlock_fs(who, NULL, 0));
}

/*
 * The fetcher's rules, drawn before its chroot (the directories are
 * named from outside it); landlock_restrict applies them once
 * no_new_privs is set.
 */
int
landlock_fetcher(const char *root, int *rfdp)
{
	struct sandbox_place	*pl;
	char			 etc[PATH_MAX];
	size_t			 i;
	int			 r;

	if ((size_t)snprintf(etc, sizeof(etc), "%s/etc", root) >= sizeof(etc))
		return (-1);
	if ((pl = calloc(nfetcher_dirs + 1, sizeof(*pl))) == NULL) {
		log_warn("%s: calloc", __func__);
		return (-1);
	}
	pl[0].path = etc;
	pl[0].access = LL_READ;
	for (i = 0; i < nfetcher_dirs; i++) {
		pl[i + 1].path = fetcher_dirs[i];
		pl[i + 1].access = LL_READ;
	}
	r = landlock_fs_rules("fetcher", pl, nfetcher_dirs + 1, rfdp);
	free(pl);
	return (r);
}

/*
 * Landlock for the parent: it may read its configuration, its template,
 * HAProxy's pid file and /proc, write only in the directories of
 * haproxy.cfg, the log file and the metrics file, and remove its
 * control socket at exit.  Nothing else on the file system, whatever a
 * bug might try.  A SIGHUP that moves these files elsewhere needs a
 * restart.
 */
int
sandbox_parent_fs(const struct ep2_conf *conf)
{
	char			ctl[PATH_MAX];
	struct sandbox_place	pl[] = {
		{ conf->run.haproxy_config_file, 1, LL_READ | LL_WRITE },
		{ conf->log_file, 1, LL_READ | LL_WRITE },
		{ conf->metrics_file, 1, LL_READ | LL_WRITE },
		{ conf->conf_path, 1, LL_READ },
		{ conf->template_file, 1, LL_READ },
		{ conf->run.pid_file, 1, LL_READ },
		{ "/proc", 0, LL_READ },
		{ NULL, 1, LL_READ | LANDLOCK_ACCESS_FS_REMOVE_FILE },
	};

	if (sandbox_ctl_path(ctl, sizeof(ctl)) == 0)
		pl[7].path = ctl;
	return (landlock_fs("parent", pl, sizeof(pl) / sizeof(pl[0])));
}

#else	/* !__NR_landlock_create_ruleset */

/*
 * Built with headers older than Landlock (Linux 5.13): every process
 * goes on without it, which a line says.
 */
static int
landlock_without(const char *who)
{
	log_info("sandbox: built without Landlock; the %s's file system "
	    "access is not limited", who);
	return (0);
}

int
landlock_exec_only(const char *binary)
{
	log_info("sandbox: built without Landlock; the runner's execve of "
	    "%s is not pinned to that file (its filter still refuses "
	    "HAProxy any execve)", binary);
	return (0);
}

int
landlock_restrict(int rfd)
{
	if (rfd != -1)
		close(rfd);
	return (0);
}

int
landlock_nothing(const char *who)
{
	return (landlock_without(who));
}

int
landlock_fetcher(const char *root, int *rfdp)
{
	*rfdp = -1;
	return (landlock_without("fetcher"));
}

int
sandbox_parent_fs(const struct ep2_conf *conf)
{
	return (landlock_without("parent"));
}

#endif	/* __NR_landlock_create_ruleset */
