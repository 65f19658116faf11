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
 * Each process's confinement, step by step in the order it is applied:
 * no core dumps, the fetcher's chroot and user switch, the capabilities
 * (the bounding set included), no_new_privs, then Landlock (landlock.c)
 * and last the system call filter (seccomp.c), which would refuse the
 * steps before it.
 *
 *	process	  user, capabilities	Landlock	    seccomp
 *	fetcher	  _ep2d, chroot, none	read the chroot's   allow-list, trap
 *					etc, servers' dirs
 *	parent	  root, parent_caps	its own files	    allow-list, EPERM
 *	reloader  root, none		nothing		    allow-list, trap
 *	connector root, DAC_OVERRIDE,	nothing		    allow-list, trap
 *		  DAC_READ_SEARCH
 *	runner	  root, runner_caps	execute haproxy,    deny-list, EPERM
 *					its ld.so
 *
 * A trap names the call in the log and the process dies of SIGSYS; the
 * parent's refusals fail instead, since it keeps HAProxy's last good
 * state.  The runner, the reloader's child that starts HAProxy, gets a
 * deny-list and only an execute rule: what it wears, HAProxy wears too
 * (filters, no_new_privs, Landlock and the bounding set are inherited
 * across execve).  Under SANDBOX_DEBUG (seccomp.c) a refusal of an
 * allow-list fails with EACCES and a log line instead.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep2d.h"
#include "file.h"
#include "log.h"
#include "sandbox.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT			47
#define PR_CAP_AMBIENT_CLEAR_ALL	4
#endif

/*
 * The capabilities HAProxy may need when the runner starts it as
 * root (start_by = binary): bind low ports, transparent and usesrc
 * binds, chroot, drop to its user, raise its file limit and priority,
 * chown its stats socket, reach files and sockets in directories it
 * does not own, signal its old workers.  Everything else leaves the
 * bounding set, so that neither the runner nor HAProxy can get it
 * back.
 */
static const int runner_caps[] = {
	CAP_CHOWN,
	CAP_DAC_OVERRIDE,
	CAP_DAC_READ_SEARCH,
	CAP_FOWNER,
	CAP_FSETID,
	CAP_KILL,
	CAP_SETGID,
	CAP_SETUID,
	CAP_NET_BIND_SERVICE,
	CAP_NET_ADMIN,
	CAP_NET_RAW,
	CAP_IPC_LOCK,
	CAP_SYS_CHROOT,
	CAP_SYS_NICE,
	CAP_SYS_RESOURCE,
};

/*
 * The parent's: files and sockets that belong to others (haproxy.cfg's
 * directory, HAProxy's stats sockets owned by the haproxy user), the
 * control socket's group, signals to the children on the way out, and
 * the blocks ext4 keeps for root, so that haproxy.cfg can still be
 * written on a nearly full disk.
 */
static const int parent_caps[] = {
	CAP_CHOWN,
	CAP_DAC_OVERRIDE,
	CAP_DAC_READ_SEARCH,
	CAP_FOWNER,
	CAP_FSETID,
	CAP_KILL,
	CAP_SYS_RESOURCE,	/* root's reserved blocks for haproxy.cfg */
};

/* resolver files copied into the fetcher's chroot, when present */
static const char *const chroot_files[] = {
	"resolv.conf",
	"hosts",
	"nsswitch.conf",
	"gai.conf",
	"host.conf",
};

#define SANDBOX_COPY_MAX	(1024 * 1024)

static int	 sandbox_confine(const char *, const int *, size_t,
		    int (*)(void));
static int	 sandbox_getpw(const char *, uid_t *, gid_t *);
static int	 sandbox_setuser(const char *, uid_t, gid_t);
static int	 sandbox_mkdir(const char *, int);
static int	 sandbox_copy(const char *, const char *);
static int	 sandbox_chroot_prepare(const char *);
static int	 sandbox_bounding(const int *, size_t);
static int	 sandbox_capset(const int *, size_t);
static int	 sandbox_caps_empty(void);
static int	 sandbox_nnp(void);

int
sandbox_fetcher(const char *root)
{
	return (sandbox_fetcher_user(root, EP2D_USER));
}

/*
 * The fetcher's sequence; the order matters.  The user is looked up
 * and the chroot filled while /etc is still there, and the Landlock
 * rules drawn while the names outside the chroot still mean them; the
 * bounding set is emptied while we still have CAP_SETPCAP; the uid
 * change clears the effective and permitted sets; no_new_privs, then
 * Landlock (which needs it without CAP_SYS_ADMIN) and the filter come
 * last (the filter would refuse the calls above).  user is a parameter
 * for the regress tests only.
 */
int
sandbox_fetcher_user(const char *root, const char *user)
{
	uid_t	 uid;
	gid_t	 gid;
	int	 rfd = -1, r;

	sandbox_protect();
	if (geteuid() != 0) {
		log_warnx("sandbox: the fetcher must start as root to confine "
		    "itself");
		return (-1);
	}
	if (sandbox_getpw(user, &uid, &gid) == -1)
		return (-1);
	if (sandbox_chroot_prepare(root) == -1)
		return (-1);
	if (!sandbox_allowed(__NR_chroot, (long)"/", 0, 0)) {
		log_warnx("sandbox: chroot(2) is refused by the service "
		    "manager's system call filter; allow it (systemd: "
		    "SystemCallFilter=chroot after the other lines)");
		return (-1);
	}
	/* the rules name their places while the names still mean them */
	if (landlock_fetcher(root, &rfd) == -1)
		return (-1);
	if (chroot(root) == -1) {
		log_warn("sandbox: chroot %s", root);
		goto fail;
	}
	if (chdir("/") == -1) {
		log_warn("sandbox: chdir /");
		goto fail;
	}
	if (sandbox_bounding(NULL, 0) == -1)
		goto fail;
	if (sandbox_setuser(user, uid, gid) == -1)
		goto fail;
	if (sandbox_nnp() == -1)
		goto fail;
	/* no_new_privs first: without CAP_SYS_ADMIN Landlock needs it */
	r = landlock_restrict(rfd);
	rfd = -1;
	if (r == -1)
		return (-1);

	if (seccomp_fetcher() == -1)
		return (-1);
	log_debug("sandbox: fetcher confined to %s as %s (uid %u)", root,
	    user, (unsigned int)uid);
	return (0);
 fail:
	if (rfd != -1)
		close(rfd);
	return (-1);
}

/*
 * The parent keeps root (haproxy.cfg, HAProxy's and the control
 * socket) and the capabilities for files of others, but none that
 * reaches the kernel, the network or other processes' memory.  Its
 * children are already running, so nothing here reaches them.
 */
int
sandbox_parent(const struct ep2_conf *conf)
{
	size_t	 ncaps = sizeof(parent_caps) / sizeof(parent_caps[0]);

	sandbox_protect();
	if (sandbox_bounding(parent_caps, ncaps) == -1 ||
	    sandbox_capset(parent_caps, ncaps) == -1)
		return (-1);
	if (sandbox_nnp() == -1)
		return (-1);
	if (conf != NULL && sandbox_parent_fs(conf) == -1)
		return (-1);
	if (seccomp_parent() == -1)
		return (-1);
	log_debug("sandbox: parent confined");
	return (0);
}

/*
 * The runner stays root and starts HAProxy, which inherits all of this
 * across execve: no_new_privs (HAProxy is not set-uid and gains nothing
 * from it), a bounding set of what HAProxy may need, Landlock allowing
 * only the haproxy binary to be executed, and a deny-list of calls
 * HAProxy never makes, with execve refused to all but the runner's own
 * calls.  The binary is the one named when the reloader started: a new
 * haproxy_binary needs a restart.
 */
int
sandbox_runner(const struct run_conf *conf)
{
	size_t	 ncaps = sizeof(runner_caps) / sizeof(runner_caps[0]);

	sandbox_protect();
	if (sandbox_bounding(runner_caps, ncaps) == -1 ||
	    sandbox_capset(runner_caps, ncaps) == -1)
		return (-1);
	if (sandbox_nnp() == -1)
		return (-1);
	if (conf != NULL && landlock_exec_only(conf->haproxy_binary) == -1)
		return (-1);
	if (seccomp_runner() == -1)
		return (-1);
	log_debug("sandbox: runner confined");
	return (0);
}

/*
 * The last steps of every allow-listed root helper: no core dumps, the
 * capabilities of caps and nothing else (bounding set included),
 * no_new_privs, Landlock allowing nothing on the file system, and the
 * filter, whose refusals trap into seccomp.c's SIGSYS reporter.
 */
static int
sandbox_confine(const char *who, const int *caps, size_t ncaps,
    int (*filter)(void))
{
	sandbox_protect();
	if (sandbox_bounding(caps, ncaps) == -1 ||
	    sandbox_capset(caps, ncaps) == -1)
		return (-1);
	if (sandbox_nnp() == -1)
		return (-1);
	if (landlock_nothing(who) == -1)
		return (-1);
	if (filter() == -1)
		return (-1);
	log_debug("sandbox: %s confined", who);
	return (0);
}

/*
 * The reloader, once its runner is forked: root without a single
 * capability (it only relays messages).
 */
int
sandbox_reloader(void)
{
	return (sandbox_confine("reloader", NULL, 0, seccomp_reloader));
}

/*
 * The connector: root with only the capabilities to reach a socket in a
 * directory or of a mode meant for another user (HAProxy's, owned by
 * haproxy); Landlock does not restrict connecting to a unix socket.
 */
int
sandbox_connector(void)
{
	static const int	 caps[] = {
		CAP_DAC_OVERRIDE,
		CAP_DAC_READ_SEARCH,
	};

	return (sandbox_confine("connector", caps,
	    sizeof(caps) / sizeof(caps[0]), seccomp_connector));
}

/*
 * No core dumps and no ptrace by the same user: the processes hold
 * AWS keys, the Consul token and the configuration.  Also makes
 * /proc/PID of the fetcher owned by root.
 */
void
sandbox_protect(void)
{
	struct rlimit	 rl;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		log_warn("sandbox: PR_SET_DUMPABLE");
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		log_warn("sandbox: RLIMIT_CORE");
}

/* The fetcher's user: it must exist, and be neither root nor group 0. */
static int
sandbox_getpw(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			log_warn("sandbox: getpwnam %s", user);
		else
			log_warnx("sandbox: user %s does not exist; create it "
			    "with: useradd --system --no-create-home "
			    "--home-dir /nonexistent --shell /usr/sbin/nologin "
			    "%s", user, user);
		return (-1);
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (*uid == 0 || *gid == 0) {
		log_warnx("sandbox: user %s has uid or gid 0; it must be an "
		    "unprivileged user", user);
		return (-1);
	}
	return (0);
}

/*
 * The user switch, for good: groups, gid, uid, the capabilities the uid
 * change leaves, then a check that there is no way back.
 */
static int
sandbox_setuser(const char *user, uid_t uid, gid_t gid)
{
	uid_t	 ruid, euid, suid;
	gid_t	 rgid, egid, sgid, groups[2];

	if (setgroups(1, &gid) == -1) {
		log_warn("sandbox: setgroups");
		return (-1);
	}
	if (setresgid(gid, gid, gid) == -1) {
		log_warn("sandbox: setresgid %u", (unsigned int)gid);
		return (-1);
	}
	if (setresuid(uid, uid, uid) == -1) {
		log_warn("sandbox: setresuid %u", (unsigned int)uid);
		return (-1);
	}
	/* the inheritable set survives setuid: clear it too */
	if (sandbox_capset(NULL, 0) == -1)
		return (-1);

	/* trust nothing: check that there is no way back */
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1 ||
	    ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid ||
	    getgroups(2, groups) != 1 || groups[0] != gid) {
		log_warnx("sandbox: user switch to %s incomplete", user);
		return (-1);
	}
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1) {
		log_warnx("sandbox: %s could become root again", user);
		return (-1);
	}
	if (!sandbox_caps_empty()) {
		log_warnx("sandbox: capabilities left after the user switch");
		return (-1);
	}
	return (0);
}

/*
 * A directory of the chroot: root-owned, 0755, not a symlink.  An
 * existing one owned by anybody else is refused (somebody else could
 * put files where the fetcher looks).
 */
static int
sandbox_mkdir(const char *path, int strict)
{
	struct stat	 st;

	if (mkdir(path, 0755) == -1 && errno != EEXIST) {
		log_warn("sandbox: mkdir %s", path);
		return (-1);
	}
	if (lstat(path, &st) == -1) {
		log_warn("sandbox: %s", path);
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("sandbox: %s: not a directory", path);
		return (-1);
	}
	if (!strict)
		return (0);
	if (st.st_uid != 0) {
		log_warnx("sandbox: %s: owned by uid %u, not root", path,
		    (unsigned int)st.st_uid);
		return (-1);
	}
	if ((st.st_mode & 07777) != 0755 && chmod(path, 0755) == -1) {
		log_warn("sandbox: chmod %s", path);
		return (-1);
	}
	return (0);
}

/*
 * Copy /etc/NAME into ROOT/etc/NAME, following a symlink (resolv.conf
 * often points at resolved's stub): the copy is a plain 0644 file,
 * replaced by rename so that a running fetcher never reads half of
 * one.  A file the host does not have is removed from the chroot too.
 */
static int
sandbox_copy(const char *root, const char *name)
{
	char		 src[PATH_MAX], dst[PATH_MAX], tmp[PATH_MAX];
	char		*buf = NULL;
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0, off;
	int		 in = -1, out = -1;

	if ((size_t)snprintf(src, sizeof(src), "/etc/%s", name) >=
	    sizeof(src) ||
	    (size_t)snprintf(dst, sizeof(dst), "%s/etc/%s", root, name) >=
	    sizeof(dst) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/etc/.%s.new", root,
	    name) >= sizeof(tmp)) {
		log_warnx("sandbox: %s: path too long", root);
		return (-1);
	}
	if ((in = file_open(src, FILE_READ, 0)) == -1) {
		if (errno != ENOENT) {
			log_warnx("sandbox: %s: %s", src, file_strerror(errno));
			return (-1);
		}
		if (unlink(dst) == -1 && errno != ENOENT) {
			log_warn("sandbox: unlink %s", dst);
			return (-1);
		}
		return (0);
	}
	if (fstat(in, &st) == -1) {
		log_warn("sandbox: %s", src);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SANDBOX_COPY_MAX) {
		log_warnx("sandbox: %s: not a regular file of at most %d "
		    "bytes", src, SANDBOX_COPY_MAX);
		goto fail;
	}
	if ((buf = malloc(SANDBOX_COPY_MAX)) == NULL) {
		log_warn("%s: malloc", __func__);
		goto fail;
	}
	while (len < SANDBOX_COPY_MAX) {
		if ((n = read(in, buf + len, SANDBOX_COPY_MAX - len)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("sandbox: read %s", src);
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	if ((out = file_open(tmp, FILE_NEW, 0644)) == -1) {
		log_warnx("sandbox: %s: %s", tmp, file_strerror(errno));
		goto fail;
	}
	if (fchmod(out, 0644) == -1) {
		log_warn("sandbox: chmod %s", tmp);
		goto fail;
	}
	for (off = 0; off < len; off += n) {
		if ((n = write(out, buf + off, len - off)) == -1) {
			if (errno == EINTR) {
				n = 0;
				continue;
			}
			log_warn("sandbox: write %s", tmp);
			goto fail;
		}
	}
	if (close(out) == -1) {
		out = -1;
		log_warn("sandbox: close %s", tmp);
		goto fail;
	}
	out = -1;
	if (rename(tmp, dst) == -1) {
		log_warn("sandbox: rename %s", dst);
		goto fail;
	}
	close(in);
	free(buf);
	return (0);
 fail:
	if (out != -1) {
		close(out);
		unlink(tmp);
	} else
		(void)unlink(tmp);
	if (in != -1)
		close(in);
	free(buf);
	return (-1);
}

/*
 * The fetcher's chroot: an empty root-owned directory with etc/ and
 * the resolver's files (glibc >= 2.34 has the files and dns NSS
 * modules inside libc, so getaddrinfo needs nothing more; any other
 * module named in nsswitch.conf is simply not found).
 */
static int
sandbox_chroot_prepare(const char *root)
{
	char	 parent[PATH_MAX], etc[PATH_MAX], *p;
	size_t	 i;

	if (root[0] != '/' || strcmp(root, "/") == 0) {
		log_warnx("sandbox: chroot %s: not an absolute directory",
		    root);
		return (-1);
	}
	if (strlcpy(parent, root, sizeof(parent)) >= sizeof(parent) ||
	    (size_t)snprintf(etc, sizeof(etc), "%s/etc", root) >=
	    sizeof(etc)) {
		log_warnx("sandbox: chroot %s: path too long", root);
		return (-1);
	}
	if ((p = strrchr(parent, '/')) != NULL && p != parent) {
		*p = '\0';
		if (sandbox_mkdir(parent, 0) == -1)
			return (-1);
	}
	if (sandbox_mkdir(root, 1) == -1 || sandbox_mkdir(etc, 1) == -1)
		return (-1);
	for (i = 0; i < sizeof(chroot_files) / sizeof(chroot_files[0]); i++)
		if (sandbox_copy(root, chroot_files[i]) == -1)
			return (-1);
	return (0);
}

/* Empty the bounding set but for keep[]: no exec can bring them back. */
static int
sandbox_bounding(const int *keep, size_t nkeep)
{
	size_t	 i;
	int	 cap, kept, r;

	for (cap = 0; cap < 64; cap++) {
		for (kept = 0, i = 0; i < nkeep; i++)
			if (keep[i] == cap)
				kept = 1;
		if ((r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) == -1)
			break;		/* past the kernel's last one */
		if (kept || r == 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			if (errno != EPERM) {
				log_warn("sandbox: PR_CAPBSET_DROP %d", cap);
				return (-1);
			}
			/*
			 * No CAP_SETPCAP: a service manager trimmed the set
			 * already and took that one too.  no_new_privs
			 * still stops any gain through execve.
			 */
			log_info("sandbox: no CAP_SETPCAP; the capability "
			    "bounding set stays as the service manager set it");
			break;
		}
	}
	/* ambient capabilities would survive an execve */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL) {
		log_warn("sandbox: PR_CAP_AMBIENT_CLEAR_ALL");
		return (-1);
	}
	return (0);
}

/*
 * effective = permitted = keep[] (less what we do not have: a service
 * manager may have taken some already), inheritable empty.
 */
static int
sandbox_capset(const int *keep, size_t nkeep)
{
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 cur[2], data[2];
	size_t				 i;

	memset(&hdr, 0, sizeof(hdr));
	memset(cur, 0, sizeof(cur));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capget, &hdr, cur) == -1) {
		log_warn("sandbox: capget");
		return (-1);
	}
	for (i = 0; i < nkeep; i++) {
		data[keep[i] / 32].permitted |= 1U << (keep[i] % 32);
		data[keep[i] / 32].effective |= 1U << (keep[i] % 32);
	}
	for (i = 0; i < 2; i++) {
		data[i].permitted &= cur[i].permitted;
		data[i].effective &= cur[i].permitted;
	}
	if (syscall(SYS_capset, &hdr, data) == -1) {
		log_warn("sandbox: capset");
		return (-1);
	}
	return (0);
}

static int
sandbox_caps_empty(void)
{
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[2];
	int				 i;

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1) {
		log_warn("sandbox: capget");
		return (0);
	}
	for (i = 0; i < 2; i++)
		if (data[i].effective != 0 || data[i].permitted != 0 ||
		    data[i].inheritable != 0)
			return (0);
	return (1);
}

static int
sandbox_nnp(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("sandbox: PR_SET_NO_NEW_PRIVS");
		return (-1);
	}
	return (0);
}

/*
 * Under a service manager's seccomp filter (systemd's SystemCallFilter)
 * a call it does not allow kills us with SIGSYS and no word.  Try it in
 * a child first when such a filter is on, so that the log can say what
 * to allow.  1: allowed (or no filter), 0: refused.
 */
int
sandbox_allowed(long nr, long a0, long a1, long a2)
{
	pid_t	 pid;
	int	 status;

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 2)
		return (1);
	switch (pid = fork()) {
	case -1:
		return (1);	/* find out the hard way */
	case 0:
		syscall(nr, a0, a1, a2);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) == -1)
		return (1);
	return (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS));
}
