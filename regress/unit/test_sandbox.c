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
 * ep2d/sandbox.c: each process's sandbox, applied in a forked child
 * (it cannot be undone), which then tries what it must and must not be
 * able to do; the parent reads the verdict from the exit status (a
 * seccomp kill is SIGSYS) and from /proc/CHILD/status.  Needs root and
 * the _ep2d user, like the daemon.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ep2d.h"
#include "proc.h"
#include "tap.h"
#include "logcap.h"

int	 sandbox_fetcher_user(const char *, const char *);
int	 sandbox_install(const struct sock_filter *, size_t, uint32_t);
int	 sandbox_parent_fs(const struct ep2_conf *);

static int	 status_field(pid_t, const char *, char *, size_t);

static char	 dir[64], root[96];
static char	 ldso[PATH_MAX];
static char	*const argv_true[] = { "true", NULL };
static char	*const argv_sh[] = { "sh", "-c", "exit 0", NULL };
static uid_t	 ep2d_uid;
static int	 landlock;
static gid_t	 ep2d_gid;
/* the connector, as ep2d.c's table has it */
static struct proc procs[] = {
	{ .title = "connector", .id = PROC_CONNECTOR, .parent = PROC_PARENT,
	    .prog = PROC_PROG_FORK },
};

/* the child's verdict: exit status, or 128 + the signal that ended it */
static int
run(int (*fn)(void))
{
	pid_t	 pid;
	int	 status;

	fflush(stdout);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0)
		_exit(fn());	/* _exit: no atexit handler under the filter */
	if (waitpid(pid, &status, 0) == -1)
		fatal("waitpid");
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (WEXITSTATUS(status));
}

static int
fetcher(void)
{
	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	return (sandbox_fetcher(root) == 0 ? 0 : 101);
}

static int
f_ok(void)
{
	return (fetcher());
}

static int
f_ids(void)
{
	struct rlimit	 rl;
	uid_t		 r, e, s;
	gid_t		 rg, eg, sg;
	int		 rv;

	if ((rv = fetcher()) != 0)
		return (rv);
	if (getresuid(&r, &e, &s) == -1 || getresgid(&rg, &eg, &sg) == -1)
		return (1);
	if (r != ep2d_uid || e != ep2d_uid || s != ep2d_uid ||
	    rg != ep2d_gid || eg != ep2d_gid || sg != ep2d_gid)
		return (2);
	/* its own limits, nobody else's */
	if (prlimit(0, RLIMIT_NOFILE, NULL, &rl) == -1 ||
	    getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return (3);
	if (prlimit(getppid(), RLIMIT_NOFILE, NULL, &rl) != -1 ||
	    errno != EACCES)
		return (4);
	return (0);
}

/* sandbox.c checked that setuid(0) fails; now the filter kills it */
static int
f_setuid(void)
{
	int	 rv;

	if ((rv = fetcher()) != 0)
		return (rv);
	if (setuid(0) == 0)
		return (2);
	return (1);
}

/* what /etc looks like from the chroot */
static int
f_files(void)
{
	int	 fd, rv;

	if ((rv = fetcher()) != 0)
		return (rv);
	if (open("/etc/passwd", O_RDONLY) != -1 || errno != ENOENT)
		return (1);
	if (open("/etc/shadow", O_RDONLY) != -1 || errno != ENOENT)
		return (2);
	if ((fd = open("/etc/hosts", O_RDONLY)) == -1)
		return (3);
	close(fd);
	/* seccomp refuses anything that could write, before permissions */
	if (open("/etc/hosts", O_RDWR) != -1 || errno != EACCES)
		return (4);
	if (open("/new", O_WRONLY | O_CREAT, 0644) != -1 || errno != EACCES)
		return (5);
	if (openat(AT_FDCWD, "/etc/hosts", O_RDONLY | O_TRUNC) != -1 ||
	    errno != EACCES)
		return (6);
	return (0);
}

/*
 * The servers file's directory, opened before the chroot, reaches
 * outside it: neither ".." nor a symbolic link found there may lead
 * anywhere but beneath it (Landlock).
 */
static char	 srv[128];

static int
f_escape(void)
{
	int	 dfd, fd, rv;

	if ((dfd = open(srv, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (99);
	if (sandbox_fetcher_allow(srv) == -1)
		return (98);
	if ((rv = fetcher()) != 0)
		return (rv);
	if ((fd = openat(dfd, "servers", O_RDONLY)) == -1)
		return (1);
	close(fd);
	if (openat(dfd, "../../../etc/passwd", O_RDONLY) != -1)
		return (2);
	if (openat(dfd, "out", O_RDONLY) != -1)
		return (3);
	if (openat(dfd, "..", O_RDONLY | O_DIRECTORY) != -1)
		return (4);
	if (openat(dfd, "../../../etc/hostname", O_RDONLY) != -1)
		return (5);
	/* and the chroot's etc still reads */
	if ((fd = open("/etc/hosts", O_RDONLY)) == -1)
		return (6);
	close(fd);
	return (0);
}

static int
f_sockets(void)
{
	int	 s, rv;

	if ((rv = fetcher()) != 0)
		return (rv);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (1);
	close(s);
	if ((s = socket(AF_INET6, SOCK_DGRAM, 0)) == -1 &&
	    errno != EAFNOSUPPORT)
		return (2);
	if (s != -1)
		close(s);
	if (socket(AF_UNIX, SOCK_STREAM, 0) != -1 || errno != EACCES)
		return (3);
	if (socket(AF_NETLINK, SOCK_RAW, 0) != -1 || errno != EACCES)
		return (4);
	return (0);
}

static void *
thread_resolve(void *arg)
{
	struct addrinfo	 hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", "80", &hints, &res) != 0)
		return ((void *)thread_resolve);	/* any non-NULL */
	freeaddrinfo(res);
	return (NULL);
}

/* glibc's resolver in a thread, as libcurl's threaded resolver does */
static int
f_resolve(void)
{
	pthread_t	 t;
	void		*ret;
	int		 rv;

	if ((rv = fetcher()) != 0)
		return (rv);
	if (pthread_create(&t, NULL, thread_resolve, NULL) != 0)
		return (1);
	if (pthread_join(t, &ret) != 0)
		return (2);
	return (ret == NULL ? 0 : 3);
}

/*
 * libcurl for real: resolve "localhost" (threaded resolver, /etc/hosts
 * of the chroot) and connect to a closed port.  Refused means it got
 * as far as connect(2).
 */
static int
f_curl(void)
{
	CURL		*c;
	CURLcode	 r;
	int		 rv;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (c = curl_easy_init()) == NULL)
		return (1);
	if ((rv = fetcher()) != 0)
		return (rv);
	curl_easy_setopt(c, CURLOPT_URL, "http://localhost:1/");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	r = curl_easy_perform(c);
	curl_easy_cleanup(c);
	return (r == CURLE_COULDNT_CONNECT ? 0 : 10 + (int)r);
}

static int
f_exec(void)
{
	char	*argv[] = { "sh", "-c", "exit 0", NULL };
	int	 rv;

	if ((rv = fetcher()) != 0)
		return (rv);
	execv("/bin/sh", argv);
	return (1);
}

static int
f_fork(void)
{
	pid_t	 pid;
	int	 rv;

	if ((rv = fetcher()) != 0)
		return (rv);
	if ((pid = fork()) == 0)
		_exit(0);
	return (1);
}

static int
f_mmap_exec(void)
{
	int	 rv;

	if ((rv = fetcher()) != 0)
		return (rv);
	if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		return (2);
	return (1);
}

static int
f_ptrace(void)
{
	int	 rv;

	if ((rv = fetcher()) != 0)
		return (rv);
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	return (1);
}

/* SANDBOX_DEBUG: a refused call fails with EACCES and is named */
static int
f_debug(void)
{
	int	 rv;

	if (setenv("EP2D_SANDBOX_DEBUG", "1", 1) == -1)
		return (100);
	if ((rv = fetcher()) != 0)
		return (rv);
	if (syscall(SYS_unshare, 0) != -1 || errno != EACCES)
		return (1);
	return (0);
}

static int
f_nouser(void)
{
	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	return (sandbox_fetcher_user(root, "_ep2d_no_such_user") == -1 ?
	    0 : 1);
}

/* stop after confining, for the parent to read /proc/CHILD/status */
static int	 gate[2];

static int
f_status(void)
{
	char	 c = 0;
	int	 rv;

	close(gate[0]);
	if ((rv = fetcher()) != 0)
		return (rv);
	if (write(gate[1], &c, 1) != 1)
		return (1);
	for (;;)
		sleep(60);	/* pause(2) is not on the fetcher's list */
}

static int
status_field(pid_t pid, const char *field, char *val, size_t len)
{
	char	 path[64], line[256];
	FILE	*fp;
	size_t	 n = strlen(field);
	int	 found = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			snprintf(val, len, "%s", line + n + 1 +
			    strspn(line + n + 1, " \t"));
			val[strcspn(val, "\n")] = '\0';
			found = 1;
		}
	}
	fclose(fp);
	return (found);
}

static void
test_status(void)
{
	char	 v[128], want[64];
	pid_t	 pid;
	char	 c;

	if (pipe(gate) == -1)
		fatal("pipe");
	fflush(stdout);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(gate[0]);
		_exit(f_status());
	}
	close(gate[1]);
	ok(read(gate[0], &c, 1) == 1, "fetcher sandbox: child confined");
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", ep2d_uid, ep2d_uid,
	    ep2d_uid, ep2d_uid);
	ok(status_field(pid, "Uid", v, sizeof(v)) && strcmp(v, want) == 0,
	    "fetcher sandbox: Uid %s", v);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", ep2d_gid, ep2d_gid,
	    ep2d_gid, ep2d_gid);
	ok(status_field(pid, "Gid", v, sizeof(v)) && strcmp(v, want) == 0,
	    "fetcher sandbox: Gid %s", v);
	ok(status_field(pid, "CapEff", v, sizeof(v)) &&
	    strcmp(v, "0000000000000000") == 0 &&
	    status_field(pid, "CapPrm", v, sizeof(v)) &&
	    strcmp(v, "0000000000000000") == 0 &&
	    status_field(pid, "CapInh", v, sizeof(v)) &&
	    strcmp(v, "0000000000000000") == 0 &&
	    status_field(pid, "CapBnd", v, sizeof(v)) &&
	    strcmp(v, "0000000000000000") == 0 &&
	    status_field(pid, "CapAmb", v, sizeof(v)) &&
	    strcmp(v, "0000000000000000") == 0,
	    "fetcher sandbox: no capabilities, empty bounding set");
	ok(status_field(pid, "NoNewPrivs", v, sizeof(v)) &&
	    strcmp(v, "1") == 0, "fetcher sandbox: NoNewPrivs 1");
	ok(status_field(pid, "Seccomp", v, sizeof(v)) &&
	    strcmp(v, "2") == 0, "fetcher sandbox: Seccomp %s", v);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(gate[0]);
}

/*
 * parent's Landlock: writes only in haproxy.cfg's and the log's
 * directories, reads its config, template, pid file and /proc; nothing
 * else, not even /etc/passwd.
 */
static int
p_landlock(void)
{
	struct ep2_conf	 conf;
	char		 path[256];
	int		 fd;

	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.run.haproxy_config_file,
	    sizeof(conf.run.haproxy_config_file),
	    "%s/cfg/haproxy.cfg", dir);
	snprintf(conf.conf_path, sizeof(conf.conf_path), "%s/etc/ep2.conf",
	    dir);
	snprintf(conf.template_file, sizeof(conf.template_file),
	    "%s/etc/ep2.tmpl", dir);
	snprintf(conf.run.pid_file, sizeof(conf.run.pid_file), "%s/run/h.pid",
	    dir);
	if (sandbox_parent_fs(&conf) == -1)
		return (101);
	snprintf(path, sizeof(path), "%s/cfg/haproxy.cfg.new", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		return (1);
	close(fd);
	if (rename(path, conf.run.haproxy_config_file) == -1)
		return (2);
	if ((fd = open(conf.conf_path, O_RDONLY)) == -1)
		return (3);
	close(fd);
	if ((fd = open(conf.conf_path, O_WRONLY)) != -1 || errno != EACCES)
		return (4);
	snprintf(path, sizeof(path), "%s/etc/new", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) != -1 ||
	    errno != EACCES)
		return (5);
	if ((fd = open("/etc/passwd", O_RDONLY)) != -1 || errno != EACCES)
		return (6);
	snprintf(path, sizeof(path), "%s/run/other", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) != -1 ||
	    errno != EACCES)
		return (7);
	if ((fd = open("/proc/self/status", O_RDONLY)) == -1)
		return (8);
	close(fd);
	return (0);
}

/* parent: no exec, no fork, unix sockets only */
static int
p_child(void)
{
	char			 v[64];
	unsigned long long	 eff;
	pthread_t		 t;
	void			*ret;
	int			 s;

	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	if (sandbox_parent(NULL) == -1)
		return (101);
	if (execl("/bin/true", "true", (char *)NULL) != -1 || errno != EPERM)
		return (1);
	if (fork() != -1 || errno != EPERM)
		return (2);
	if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EACCES)
		return (3);
	/* datagram (syslog, sd_notify) only: streams come from elsewhere */
	if ((s = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1)
		return (4);
	close(s);
	if (socket(AF_UNIX, SOCK_STREAM, 0) != -1 || errno != EACCES)
		return (11);
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != -1 || errno != EPERM)
		return (5);
	if (pthread_create(&t, NULL, thread_resolve, NULL) != 0 ||
	    pthread_join(t, &ret) != 0)
		return (6);
	if (!status_field(getpid(), "CapEff", v, sizeof(v)))
		return (7);
	eff = strtoull(v, NULL, 16);
	if ((eff & (1ULL << CAP_DAC_OVERRIDE)) == 0 ||
	    (eff & (1ULL << CAP_KILL)) == 0 ||
	    (eff & (1ULL << CAP_SYS_ADMIN)) != 0 ||
	    (eff & (1ULL << CAP_SYS_RAWIO)) != 0 ||
	    (eff & (1ULL << CAP_NET_ADMIN)) != 0)
		return (8);
	return (0);
}

/* runner: runs programs, but no mount, namespaces, ptrace, modules */
static int
r_child(void)
{
	struct run_conf		 conf;
	char			 v[64];
	unsigned long long	 bnd;
	pid_t			 pid;
	int			 status;

	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.haproxy_binary, "/bin/true", sizeof(conf.haproxy_binary));
	if (sandbox_runner(&conf) == -1)
		return (101);
	if (mount("none", "/mnt", "tmpfs", 0, NULL) != -1 || errno != EPERM)
		return (1);
	if (unshare(CLONE_NEWNS) != -1 || errno != EPERM)
		return (2);
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != -1 || errno != EPERM)
		return (3);
	if (syscall(SYS_delete_module, "nothing", 0) != -1 || errno != EPERM)
		return (4);
	/* HAProxy's capabilities stay, the kernel's go */
	if (!status_field(getpid(), "CapBnd", v, sizeof(v)))
		return (5);
	bnd = strtoull(v, NULL, 16);
	if ((bnd & (1ULL << CAP_NET_BIND_SERVICE)) == 0 ||
	    (bnd & (1ULL << CAP_SETUID)) == 0 ||
	    (bnd & (1ULL << CAP_SYS_ADMIN)) != 0 ||
	    (bnd & (1ULL << CAP_SYS_MODULE)) != 0 ||
	    (bnd & (1ULL << CAP_SYS_PTRACE)) != 0)
		return (7);
	/* Landlock: the haproxy binary (here /bin/true) runs, nothing else */
	if ((pid = fork()) == -1)
		return (8);
	if (pid == 0) {
		sandbox_execve("/bin/true", argv_true, environ);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return (6);
	if (landlock && (sandbox_execve("/bin/sh", argv_sh, environ) != -1 ||
	    errno != EACCES))
		return (9);
	/* without the runner's key, not even the haproxy binary */
	if (execl("/bin/true", "true", (char *)NULL) != -1 || errno != EPERM)
		return (10);
	return (0);
}

/*
 * The ELF interpreter must be executable for haproxy to start; run as
 * a program of its own ("ld.so /bin/sh", from a HAProxy "program"
 * section, say) it would start anything with the runner's root and
 * capabilities.  Nothing but the runner's own execve gets through.
 */
static int
r_ldso(void)
{
	struct run_conf	 conf;
	char		*const argv[] = { ldso, "/bin/sh", "-c", "exit 7", NULL };
	pid_t		 pid;
	int		 status;

	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.haproxy_binary, "/bin/true", sizeof(conf.haproxy_binary));
	if (sandbox_runner(&conf) == -1)
		return (101);
	/* in a child, as HAProxy's master runs a program */
	if ((pid = fork()) == -1)
		return (1);
	if (pid == 0) {
		execv(ldso, argv);
		_exit(errno == EPERM ? 0 : 9);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return (2);
	if (WEXITSTATUS(status) == 7)
		return (3);	/* the shell ran */
	if (WEXITSTATUS(status) != 0)
		return (4);
	if (syscall(SYS_execveat, AT_FDCWD, ldso, argv, environ, 0) != -1 ||
	    errno != EPERM)
		return (5);
	if (fexecve(open(ldso, O_RDONLY | O_CLOEXEC), argv, environ) != -1 ||
	    errno != EPERM)
		return (6);
	/* a guessed key is no key */
	if (syscall(SYS_execve, ldso, argv, environ, 0UL, 0UL) != -1 ||
	    errno != EPERM)
		return (7);
	/* the runner's own way still works */
	if ((pid = fork()) == -1)
		return (8);
	if (pid == 0) {
		sandbox_execve("/bin/true", argv_true, environ);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return (10);
	return (0);
}

/* /bin/true's ELF interpreter (PT_INTERP): the dynamic loader */
static int
ldso_path(char *buf, size_t len)
{
	Elf64_Ehdr	 eh;
	Elf64_Phdr	 ph;
	int		 fd, i, r = -1;

	if ((fd = open("/bin/true", O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		goto done;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph))
			break;
		if (ph.p_type != PT_INTERP || ph.p_filesz >= len)
			continue;
		if (pread(fd, buf, ph.p_filesz, ph.p_offset) ==
		    (ssize_t)ph.p_filesz) {
			buf[ph.p_filesz] = '\0';
			r = access(buf, X_OK);
		}
		break;
	}
 done:
	close(fd);
	return (r);
}

/* a "#!" script as haproxy_binary: it and its interpreter may run */
static char	 script[128];

static int
r_script(void)
{
	struct run_conf	 conf;
	pid_t		 pid;
	int		 status;

	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.haproxy_binary, script, sizeof(conf.haproxy_binary));
	if (sandbox_runner(&conf) == -1)
		return (101);
	if ((pid = fork()) == -1)
		return (1);
	if (pid == 0) {
		char	*const argv[] = { script, NULL };

		sandbox_execve(script, argv, environ);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 7)
		return (2);
	if (sandbox_execve("/bin/true", argv_true, environ) != -1 ||
	    errno != EACCES)
		return (3);
	return (0);
}

/* a haproxy_binary that does not exist: the runner starts, runs nothing */
static int
r_missing(void)
{
	struct run_conf	 conf;

	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.haproxy_binary, "/nonexistent/haproxy",
	    sizeof(conf.haproxy_binary));
	if (sandbox_runner(&conf) == -1)
		return (101);
	if (sandbox_execve("/bin/true", argv_true, environ) != -1 ||
	    errno != EACCES)
		return (1);
	return (0);
}

/*
 * What systemd's SystemCallFilter=@system-service and a bounding set
 * without CAP_SETPCAP look like: chroot and Landlock kill, the bounding
 * set cannot be changed.  The sandbox must say so, not die of SIGSYS.
 */
static int
service_manager(void)
{
	struct sock_filter	 table[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_chroot, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    SYS_landlock_create_ruleset, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[2];

	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (-1);
	memset(&hdr, 0, sizeof(hdr));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1)
		return (-1);
	data[0].effective &= ~(1U << CAP_SETPCAP);
	data[0].permitted &= ~(1U << CAP_SETPCAP);
	if (syscall(SYS_capset, &hdr, data) == -1)
		return (-1);
	return (sandbox_install(table, sizeof(table) / sizeof(table[0]),
	    SECCOMP_RET_ALLOW));
}

static int
f_service(void)
{
	if (service_manager() == -1)
		return (100);
	return (sandbox_fetcher(root) == -1 ? 0 : 1);
}

static int
r_service(void)
{
	struct run_conf	 conf;

	if (service_manager() == -1)
		return (100);
	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.haproxy_binary, "/bin/true", sizeof(conf.haproxy_binary));
	if (sandbox_runner(&conf) == -1)
		return (1);
	if (sandbox_execve("/bin/true", argv_true, environ) == -1)
		return (2);
	return (3);
}

/*
 * reloader: an allow-list, no capability, no file (Landlock), no
 * signal; its runner does the rest.
 */
static int
rl_sandbox(void)
{
	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	return (sandbox_reloader() == -1 ? 101 : 0);
}

/* a field of /proc/self/status through a descriptor opened before */
static int
fd_status_field(int fd, const char *field, unsigned long long *v)
{
	char	 buf[4096], *p;
	ssize_t	 n;
	size_t	 len = strlen(field);

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return (0);
	buf[n] = '\0';
	for (p = buf; p != NULL; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, field, len) == 0 && p[len] == ':') {
			*v = strtoull(p + len + 1, NULL,
			    strcmp(field, "NoNewPrivs") == 0 ? 10 : 16);
			return (1);
		}
	return (0);
}

static int
rl_child(void)
{
	unsigned long long	 v;
	int			 fd, sfd, rv;

	/* /proc is outside what Landlock leaves it: open it first */
	if ((sfd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) == -1)
		return (99);
	if ((rv = rl_sandbox()) != 0)
		return (rv);
	/* root without a capability, bounding set empty */
	if (!fd_status_field(sfd, "CapEff", &v) || v != 0)
		return (1);
	if (!fd_status_field(sfd, "CapBnd", &v) || v != 0)
		return (2);
	if (!fd_status_field(sfd, "NoNewPrivs", &v) || v != 1)
		return (3);
	/* no file opens, for reading or writing */
	if (open("/etc/hostname", O_RDONLY) != -1 || errno != EACCES)
		return (4);
	if (open("/tmp/ep2d-reloader-test", O_WRONLY | O_CREAT, 0600) != -1 ||
	    errno != EACCES)
		return (6);
	/* syslog's datagram socket; no stream, no IP */
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return (8);
	close(fd);
	if (socket(AF_UNIX, SOCK_STREAM, 0) != -1 || errno != EACCES)
		return (9);
	if (socket(AF_INET, SOCK_DGRAM, 0) != -1 || errno != EACCES)
		return (10);
	return (0);
}

static int
rl_exec(void)
{
	int	 rv;

	if ((rv = rl_sandbox()) != 0)
		return (rv);
	execl("/bin/true", "true", (char *)NULL);
	return (1);
}

static int
rl_fork(void)
{
	int	 rv;

	if ((rv = rl_sandbox()) != 0)
		return (rv);
	if (syscall(SYS_fork) == 0)
		_exit(0);
	return (1);
}

static int
rl_kill(void)
{
	int	 rv;

	if ((rv = rl_sandbox()) != 0)
		return (rv);
	/* a real signal, to itself: allowed, it would die of SIGUSR2 */
	kill(getpid(), SIGUSR2);
	return (1);
}

static int
rl_service(void)
{
	int	 rv;

	if (service_manager() == -1)
		return (100);
	if ((rv = rl_sandbox()) != 0)
		return (rv);
	return (getpid() > 0 ? 0 : 1);
}

/*
 * The connector: what the parent connects through.  A listening socket
 * of the test stands for HAProxy's.
 */
static char	 lsock[256];

static int
c_child(void)
{
	struct sockaddr_un	 sun;
	unsigned long long	 v;
	int			 s, sfd;

	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	if ((sfd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) == -1)
		return (99);
	if (sandbox_connector() == -1)
		return (101);
	if (!fd_status_field(sfd, "CapEff", &v) ||
	    v != ((1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_DAC_READ_SEARCH)))
		return (1);
	if (!fd_status_field(sfd, "CapBnd", &v) ||
	    v != ((1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_DAC_READ_SEARCH)))
		return (2);
	/* Landlock leaves connect(2) to a named socket alone */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, lsock, sizeof(sun.sun_path));
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return (3);
	close(s);
	if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EACCES)
		return (4);
	return (0);
}

static int
c_open(void)
{
	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	if (sandbox_connector() == -1)
		return (101);
	(void)open("/etc/hostname", O_RDONLY);
	return (1);
}

static int
c_exec(void)
{
	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	if (sandbox_connector() == -1)
		return (101);
	execl("/bin/true", "true", (char *)NULL);
	return (1);
}

/* the pair: the parent asks by path, gets a connected descriptor */
static int
c_pair(void)
{
	struct ep2_conf		*conf;
	int			 fd, r;

	if (dup2(cap_fd, STDERR_FILENO) == -1)
		return (100);
	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		return (99);
	strlcpy(conf->run.sockets[0], lsock, sizeof(conf->run.sockets[0]));
	conf->run.nsockets = 1;
	if (connector_start(conf) == -1)
		return (101);
	if (connector_pid() <= 0)
		return (1);
	if ((r = connector_connect(lsock, &fd)) == -1 && errno != EINPROGRESS)
		return (2);
	if (fd == -1 || fcntl(fd, F_GETFD) != FD_CLOEXEC)
		return (3);
	close(fd);
	if (connector_connect("/elsewhere.sock", &fd) != -1 ||
	    errno != EPERM || fd != -1)
		return (4);
	/* the connector ends with the pair */
	connector_stop();
	if (connector_pid() != -1)
		return (5);
	return (0);
}

int
main(void)
{
	struct passwd	*pw;
	struct stat	 st;
	char		 buf1[65536], buf2[65536];
	ssize_t		 n1, n2;
	int		 fd1, fd2, rv;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return (0);
	}
	if ((pw = getpwnam(EP2D_USER)) == NULL) {
		printf("1..0 # SKIP no %s user (make testuser)\n", EP2D_USER);
		return (0);
	}
	ep2d_uid = pw->pw_uid;
	ep2d_gid = pw->pw_gid;
	cap_init();
	proc_init(procs, sizeof(procs) / sizeof(procs[0]));
	landlock = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION) >= 1;
	strlcpy(dir, "/tmp/ep2d-sandbox.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		fatal("mkdtemp");
	snprintf(root, sizeof(root), "%s/root", dir);

	cap_start();
	is_int(run(f_ok), 0, "fetcher sandbox applies");
	ok(cap_has("fetcher confined") || !cap_has("sandbox:"),
	    "fetcher sandbox: no complaint");
	ok(lstat(root, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	    (st.st_mode & 07777) == 0755, "chroot created root's, 0755");
	fd1 = open("/etc/hosts", O_RDONLY);
	snprintf(buf1, sizeof(buf1), "%s/etc/hosts", root);
	fd2 = open(buf1, O_RDONLY);
	n1 = fd1 == -1 ? -1 : read(fd1, buf1, sizeof(buf1));
	n2 = fd2 == -1 ? -1 : read(fd2, buf2, sizeof(buf2));
	ok(n1 >= 0 && n1 == n2 && memcmp(buf1, buf2, n1) == 0,
	    "chroot's etc/hosts is a copy of /etc/hosts");
	if (fd1 != -1)
		close(fd1);
	if (fd2 != -1)
		close(fd2);
	snprintf(buf1, sizeof(buf1), "%s/etc/hosts", root);
	ok(lstat(buf1, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	    (st.st_mode & 07777) == 0644, "the copy is root's, 0644");

	is_int(run(f_ids), 0, "fetcher: uid/gid are _ep2d's; "
	    "prlimit on itself only");
	is_int(run(f_setuid), 128 + SIGSYS, "fetcher: setuid(0) kills it");
	is_int(run(f_files), 0, "fetcher: only the chroot, read-only");
	is_int(run(f_sockets), 0, "fetcher: IP sockets only");
	if (chmod(dir, 0755) == -1)
		fatal("chmod");
	snprintf(srv, sizeof(srv), "%s/srv", dir);
	snprintf(buf1, sizeof(buf1), "%s/servers", srv);
	snprintf(buf2, sizeof(buf2), "%s/out", srv);
	if (mkdir(srv, 0755) == -1 ||
	    (fd1 = open(buf1, O_WRONLY | O_CREAT, 0644)) == -1 ||
	    symlink("../../../etc/passwd", buf2) == -1)
		fatal("%s", srv);
	close(fd1);
	if (landlock)
		is_int(run(f_escape), 0, "fetcher (Landlock): through the "
		    "servers file's directory, only what is beneath it: not "
		    "\"../../../etc/passwd\", not a link to it, not \"..\"");
	else
		ok(1, "# SKIP no Landlock: the fetcher's directory "
		    "descriptor is not fenced");
	is_int(run(f_resolve), 0, "fetcher: getaddrinfo in a thread resolves "
	    "localhost from the chroot's hosts");
	is_int(run(f_curl), 0, "fetcher: libcurl resolves and connects");
	cap_start();
	is_int(run(f_exec), 128 + SIGSYS, "fetcher: execve kills it (SIGSYS)");
	snprintf(buf1, sizeof(buf1), "sandbox: system call %d refused: "
	    "sandbox violation, the process ends", SYS_execve);
	ok(cap_has(buf1), "and its last words name the call (%s)", buf1);
	is_int(run(f_fork), 128 + SIGSYS, "fetcher: fork kills it");
	is_int(run(f_mmap_exec), 128 + SIGSYS,
	    "fetcher: executable memory kills it");
	is_int(run(f_ptrace), 128 + SIGSYS, "fetcher: ptrace kills it");
	test_status();

	cap_start();
	is_int(run(f_debug), 0, "SANDBOX_DEBUG: a refused call returns EACCES");
	snprintf(buf1, sizeof(buf1), "system call %d refused", SYS_unshare);
	ok(cap_has(buf1), "SANDBOX_DEBUG: and is named (%s)", buf1);

	cap_start();
	is_int(run(f_nouser), 0, "a missing user is refused");
	ok(cap_has("user _ep2d_no_such_user does not exist; create it with: "
	    "useradd --system"), "with a message saying how to create it");

	/* a chroot somebody else owns is refused */
	if (chown(root, ep2d_uid, ep2d_gid) == -1)
		fatal("chown");
	cap_start();
	rv = run(f_ok);
	ok(rv != 0 && cap_has("not root"),
	    "a chroot owned by another user is refused");
	if (chown(root, 0, 0) == -1)
		fatal("chown");

	cap_start();
	is_int(run(p_child), 0, "parent: no exec, no fork, no IP, no unix "
	    "stream socket, no ptrace, "
	    "capabilities for files only; threads and unix sockets work");
	cap_start();
	if (landlock) {
		char	 d[256];
		int	 lfd;

		snprintf(d, sizeof(d), "%s/cfg", dir);
		(void)mkdir(d, 0755);
		snprintf(d, sizeof(d), "%s/etc", dir);
		(void)mkdir(d, 0755);
		snprintf(d, sizeof(d), "%s/run", dir);
		(void)mkdir(d, 0755);
		snprintf(d, sizeof(d), "%s/etc/ep2.conf", dir);
		if ((lfd = open(d, O_WRONLY | O_CREAT, 0644)) == -1)
			fatal("%s", d);
		close(lfd);
		is_int(run(p_landlock), 0, "parent (Landlock): writes only "
		    "in haproxy.cfg's directory, reads its config, not "
		    "/etc/passwd");
		cap_start();
	}
	is_int(run(r_child), 0, "runner: no mount, unshare, ptrace or "
	    "modules, a reduced bounding set; runs the haproxy binary%s",
	    landlock ? ", not /bin/sh (Landlock)" : " (no Landlock here)");

	if (ldso_path(ldso, sizeof(ldso)) == 0)
		is_int(run(r_ldso), 0, "runner: the ELF interpreter (%s) does "
		    "not run /bin/sh; execve without the runner's key, "
		    "execveat and fexecve are refused; the runner's own "
		    "execve works", ldso);
	else
		ok(1, "# SKIP no ELF interpreter found");
	if (landlock) {
		snprintf(script, sizeof(script), "%s/haproxy.sh", dir);
		if ((fd1 = open(script, O_WRONLY | O_CREAT | O_TRUNC, 0755)) ==
		    -1 || write(fd1, "#!/bin/sh\nexit 7\n", 17) != 17)
			fatal("%s", script);
		close(fd1);
		is_int(run(r_script), 0, "runner: a #! haproxy_binary runs "
		    "through its interpreter; /bin/true does not");
		is_int(run(r_missing), 0, "runner: a missing haproxy_binary "
		    "leaves nothing to run");
	}

	snprintf(lsock, sizeof(lsock), "%s/run", dir);
	(void)mkdir(lsock, 0755);
	cap_start();
	is_int(run(rl_child), 0, "reloader: no capability, no_new_privs; "
	    "opens no file; syslog's datagram socket only");
	ok(cap_has("reloader confined"), "reloader: says it is confined");
	is_int(run(rl_exec), 128 + SIGSYS, "reloader: execve kills it (SIGSYS)");
	is_int(run(rl_fork), 128 + SIGSYS, "reloader: fork kills it");
	is_int(run(rl_kill), 128 + SIGSYS, "reloader: a signal kills it");

	{
		struct sockaddr_un	 sun;
		int			 ls;

		snprintf(lsock, sizeof(lsock), "%s/run/hap.sock", dir);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		strlcpy(sun.sun_path, lsock, sizeof(sun.sun_path));
		if ((ls = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    bind(ls, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    listen(ls, 16) == -1)
			fatal("%s", lsock);
		cap_start();
		is_int(run(c_child), 0, "connector: CAP_DAC_OVERRIDE and "
		    "CAP_DAC_READ_SEARCH only; connects to a unix socket, "
		    "no IP");
		ok(cap_has("connector confined"),
		    "connector: says it is confined");
		is_int(run(c_exec), 128 + SIGSYS,
		    "connector: execve kills it (SIGSYS)");
		is_int(run(c_open), 128 + SIGSYS,
		    "connector: opening a file kills it");
		is_int(run(c_pair), 0, "connector: hands over a connected "
		    "close-on-exec descriptor for a socket it was given, "
		    "EPERM for any other path; ends with its pair");
		close(ls);
	}

	cap_start();
	is_int(run(f_service), 0, "under a service manager's filter that "
	    "refuses chroot, the fetcher fails");
	ok(cap_has("chroot(2) is refused by the service manager's system "
	    "call filter"), "with a message saying what to allow");
	cap_start();
	is_int(run(r_service), 0, "the runner copes with no Landlock and "
	    "no CAP_SETPCAP, and still runs haproxy");
	ok(cap_has("Landlock is refused") && cap_has("no CAP_SETPCAP"),
	    "and says so");
	cap_start();
	is_int(run(rl_service), 0, "the reloader too, with its allow-list");

	snprintf(buf1, sizeof(buf1), "rm -rf '%s'", dir);
	if (system(buf1) != 0)
		printf("# could not remove %s\n", dir);
	return (done_testing());
}
