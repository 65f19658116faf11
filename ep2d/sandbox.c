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
 * Every Linux confinement call of ep2d lives here: core dumps, chroot,
 * the user switch, capabilities, no_new_privs and the seccomp filters,
 * one table per process.  The fetcher, the parent and the reloader get
 * allow-lists.  The reloader's runner, which starts HAProxy, gets a
 * deny-list: what it wears, HAProxy wears too (filters, no_new_privs,
 * Landlock and the bounding set are inherited across execve).
 *
 * With -DSANDBOX_DEBUG, or EP2D_SANDBOX_DEBUG=1 in the environment, a
 * system call outside a list is not fatal: it fails with EACCES and the
 * number is written to standard error, so that a missing entry shows up
 * as a line in the test log, not a dead child.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "ep2d.h"
#include "file.h"
#include "log.h"

#if defined(__x86_64__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#else
#error "sandbox.c: no seccomp filter for this architecture"
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SC_ARG_LO(n)	(offsetof(struct seccomp_data, args[(n)]))
#define SC_ARG_HI(n)	(offsetof(struct seccomp_data, args[(n)]) + 4)
#else
#define SC_ARG_LO(n)	(offsetof(struct seccomp_data, args[(n)]) + 4)
#define SC_ARG_HI(n)	(offsetof(struct seccomp_data, args[(n)]))
#endif
#define SC_NR		(offsetof(struct seccomp_data, nr))

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS	0x80000000U
#endif
#ifndef SYS_SECCOMP
#define SYS_SECCOMP			1	/* si_code of a seccomp SIGSYS */
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT			47
#define PR_CAP_AMBIENT_CLEAR_ALL	4
#endif

/*
 * The filter language, as OpenSSH's sandbox-seccomp-filter.c shapes
 * it: every rule starts with the system call number in the
 * accumulator and leaves it there.  Arguments are compared on their
 * low 32 bits: all those checked here are int or flags that fit.
 */
#define SC_RET(nr, action)						\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),		\
	BPF_STMT(BPF_RET | BPF_K, (action))
#define SC_ALLOW(nr)		SC_RET((nr), SECCOMP_RET_ALLOW)
#define SC_ERRNO(nr, e)							\
	SC_RET((nr), SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

/* allow when argument n equals v */
#define SC_ALLOW_ARG(nr, n, v)						\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 4),		\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_ARG_LO(n)),		\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (v), 0, 1),			\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),			\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_NR)

/* allow when argument n has no bit outside mask */
#define SC_ALLOW_MASK(nr, n, mask)					\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 5),		\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_ARG_LO(n)),		\
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~(uint32_t)(mask)),		\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),			\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),			\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_NR)

/* allow when argument n has every bit of flags */
#define SC_ALLOW_FLAGS(nr, n, flags)					\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 5),		\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_ARG_LO(n)),		\
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, (flags)),			\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (flags), 0, 1),		\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),			\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_NR)

/* allow socket(AF_UNIX, SOCK_DGRAM): syslog(3), sd_notify; no stream socket */
#define SC_ALLOW_UNIX_DGRAM						\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 7),		\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_ARG_LO(0)),		\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 4),		\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_ARG_LO(1)),		\
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf),			\
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_DGRAM, 0, 1),		\
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),			\
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SC_NR)

/* open flags that could create or change a file */
#define SC_OPEN_WRITE	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | \
	    (O_TMPFILE & ~O_DIRECTORY))

/* files opened read-only; an open for writing fails with EACCES */
#ifdef __NR_open
#define SC_FILES_READ_ONLY_OLD						\
	SC_ALLOW(__NR_stat),						\
	SC_ALLOW(__NR_lstat),						\
	SC_ALLOW(__NR_access),						\
	SC_ALLOW_MASK(__NR_open, 1, ~(uint32_t)SC_OPEN_WRITE),		\
	SC_ERRNO(__NR_open, EACCES),
#else
#define SC_FILES_READ_ONLY_OLD
#endif
#define SC_FILES_READ_ONLY						\
	SC_FILES_READ_ONLY_OLD						\
	SC_ALLOW_MASK(__NR_openat, 2, ~(uint32_t)SC_OPEN_WRITE),	\
	SC_ERRNO(__NR_openat, EACCES)

/* a thread, not a process: what pthread_create asks of clone */
#define SC_CLONE_THREAD	(CLONE_VM | CLONE_THREAD | CLONE_SIGHAND)

/*
 * What both allow-lists (the fetcher's and the parent's) start from.
 */
static const struct sock_filter common_allow[] = {
	/* memory; never executable */
	SC_ALLOW(__NR_brk),
	SC_ALLOW_MASK(__NR_mmap, 2, PROT_READ | PROT_WRITE),
	SC_ALLOW_MASK(__NR_mprotect, 2, PROT_READ | PROT_WRITE),
	SC_ALLOW(__NR_munmap),
	SC_ALLOW(__NR_mremap),
	SC_ALLOW(__NR_madvise),

	/* the event loop */
	SC_ALLOW(__NR_epoll_create1),
	SC_ALLOW(__NR_epoll_ctl),
	SC_ALLOW(__NR_epoll_pwait),
#ifdef __NR_epoll_pwait2
	SC_ALLOW(__NR_epoll_pwait2),
#endif
#ifdef __NR_epoll_wait
	SC_ALLOW(__NR_epoll_wait),
	SC_ALLOW(__NR_epoll_create),
#endif
	SC_ALLOW(__NR_ppoll),
	SC_ALLOW(__NR_pselect6),
#ifdef __NR_poll
	SC_ALLOW(__NR_poll),
	SC_ALLOW(__NR_select),
#endif
	SC_ALLOW(__NR_pipe2),
#ifdef __NR_pipe
	SC_ALLOW(__NR_pipe),
#endif
	SC_ALLOW(__NR_eventfd2),

	/* time */
	SC_ALLOW(__NR_clock_gettime),
	SC_ALLOW(__NR_clock_getres),
	SC_ALLOW(__NR_gettimeofday),
#ifdef __NR_time
	SC_ALLOW(__NR_time),
#endif
	SC_ALLOW(__NR_nanosleep),
	SC_ALLOW(__NR_clock_nanosleep),

	/* threads (clone3 refused so that glibc uses clone); never a process */
	SC_ALLOW_FLAGS(__NR_clone, 0, SC_CLONE_THREAD),
#ifdef __NR_clone3
	SC_ERRNO(__NR_clone3, ENOSYS),
#endif
	SC_ALLOW(__NR_futex),
	SC_ALLOW(__NR_set_robust_list),
	SC_ALLOW(__NR_set_tid_address),
#ifdef __NR_rseq
	SC_ALLOW(__NR_rseq),
#endif
	SC_ALLOW(__NR_sched_yield),
	SC_ALLOW(__NR_sched_getaffinity),
	SC_ALLOW(__NR_exit),
	SC_ALLOW(__NR_exit_group),

	/* process facts */
	SC_ALLOW(__NR_getpid),
	SC_ALLOW(__NR_gettid),
	SC_ALLOW(__NR_getppid),
	SC_ALLOW(__NR_getuid),
	SC_ALLOW(__NR_geteuid),
	SC_ALLOW(__NR_getgid),
	SC_ALLOW(__NR_getegid),
	SC_ALLOW(__NR_getresuid),
	SC_ALLOW(__NR_getresgid),

	/* descriptors it holds */
	SC_ALLOW(__NR_read),
	SC_ALLOW(__NR_readv),
	SC_ALLOW(__NR_pread64),
	SC_ALLOW(__NR_write),
	SC_ALLOW(__NR_writev),
	SC_ALLOW(__NR_close),
	SC_ALLOW(__NR_lseek),
	SC_ALLOW(__NR_fstat),
	SC_ALLOW(__NR_newfstatat),
	SC_ALLOW(__NR_statx),
	SC_ALLOW(__NR_faccessat),
#ifdef __NR_faccessat2
	SC_ALLOW(__NR_faccessat2),
#endif
	SC_ALLOW(__NR_fcntl),
	SC_ALLOW(__NR_dup),
	SC_ALLOW(__NR_dup3),
#ifdef __NR_dup2
	SC_ALLOW(__NR_dup2),
#endif
	SC_ALLOW_ARG(__NR_ioctl, 1, FIONREAD),
	SC_ALLOW_ARG(__NR_ioctl, 1, FIONBIO),
	SC_ALLOW_ARG(__NR_ioctl, 1, FIOCLEX),
	SC_ERRNO(__NR_ioctl, ENOTTY),
	SC_ALLOW(__NR_timerfd_create),
	SC_ALLOW(__NR_timerfd_settime),
	SC_ALLOW(__NR_timerfd_gettime),

	/* signals; tgkill for abort(3) and raise(3) */
	SC_ALLOW(__NR_rt_sigaction),
	SC_ALLOW(__NR_rt_sigprocmask),
	SC_ALLOW(__NR_rt_sigreturn),
	SC_ALLOW(__NR_sigaltstack),
	SC_ALLOW(__NR_tgkill),
	SC_ALLOW(__NR_restart_syscall),

	/* what glibc and the libraries ask about themselves */
	SC_ALLOW(__NR_getrandom),
	SC_ALLOW(__NR_uname),
	SC_ALLOW(__NR_sysinfo),
	SC_ALLOW_ARG(__NR_prlimit64, 0, 0),	/* its own limits only */
	SC_ALLOW(__NR_getrlimit),
	SC_ALLOW(__NR_getcwd),

	/* sockets it holds; which sockets it may open is its own list */
	SC_ALLOW(__NR_socketpair),
	SC_ALLOW(__NR_connect),
	SC_ALLOW(__NR_shutdown),
	SC_ALLOW(__NR_getsockopt),
	SC_ALLOW(__NR_setsockopt),
	SC_ALLOW(__NR_getsockname),
	SC_ALLOW(__NR_getpeername),
	SC_ALLOW(__NR_sendto),
	SC_ALLOW(__NR_recvfrom),
	SC_ALLOW(__NR_sendmsg),
	SC_ALLOW(__NR_recvmsg),
};

/*
 * The fetcher: libevent (epoll), libcurl with its threaded resolver,
 * OpenSSL, json-c, expat, imsg, the servers file through a directory
 * descriptor and inotify, and glibc's resolver inside the chroot.
 * Anything else kills the process.  Files open read-only only: the
 * fetcher has nothing to write but sockets, pipes and the log.
 */
static const struct sock_filter fetcher_filter[] = {
	/* files in the chroot, read-only; a servers file's link, read */
	SC_FILES_READ_ONLY,
	SC_ALLOW(__NR_readlinkat),
	SC_ALLOW(__NR_inotify_add_watch),
	SC_ALLOW(__NR_inotify_rm_watch),

	/* the event loop */
#ifdef __NR_eventfd
	SC_ALLOW(__NR_eventfd),
#endif

	/* no signal to another process */
	SC_ERRNO(__NR_kill, EACCES),

	/* the network: IP only, no AF_UNIX (abstract sockets escape chroot) */
	SC_ALLOW_ARG(__NR_socket, 0, AF_INET),
	SC_ALLOW_ARG(__NR_socket, 0, AF_INET6),
	SC_ERRNO(__NR_socket, EACCES),
	SC_ALLOW(__NR_sendmmsg),
	SC_ALLOW(__NR_recvmmsg),
	SC_ERRNO(__NR_bind, EACCES),
	SC_ERRNO(__NR_listen, EACCES),

	/* nothing of other processes' limits or CPUs */
	SC_ERRNO(__NR_prlimit64, EACCES),
	SC_ERRNO(__NR_prctl, EACCES),
	SC_ERRNO(__NR_sched_setaffinity, EACCES),
};

/*
 * What no process of ep2d (nor HAProxy) has any business doing: the
 * debugger interface, the kernel's own state, file systems and
 * namespaces, the key store.  Refused with EPERM rather than killed:
 * the parent is the one that reports a dead child, and HAProxy must
 * not die of a probe.
 */
#define SC_DENY_COMMON							\
	SC_ERRNO(__NR_ptrace, EPERM),					\
	SC_ERRNO(__NR_process_vm_readv, EPERM),				\
	SC_ERRNO(__NR_process_vm_writev, EPERM),			\
	SC_ERRNO(__NR_kexec_load, EPERM),				\
	SC_ERRNO(__NR_kexec_file_load, EPERM),				\
	SC_ERRNO(__NR_reboot, EPERM),					\
	SC_ERRNO(__NR_init_module, EPERM),				\
	SC_ERRNO(__NR_finit_module, EPERM),				\
	SC_ERRNO(__NR_delete_module, EPERM),				\
	SC_ERRNO(__NR_mount, EPERM),					\
	SC_ERRNO(__NR_umount2, EPERM),					\
	SC_ERRNO(__NR_pivot_root, EPERM),				\
	SC_ERRNO(__NR_open_tree, EPERM),				\
	SC_ERRNO(__NR_move_mount, EPERM),				\
	SC_ERRNO(__NR_fsopen, EPERM),					\
	SC_ERRNO(__NR_fsconfig, EPERM),					\
	SC_ERRNO(__NR_fsmount, EPERM),					\
	SC_ERRNO(__NR_fspick, EPERM),					\
	SC_ERRNO(__NR_swapon, EPERM),					\
	SC_ERRNO(__NR_swapoff, EPERM),					\
	SC_ERRNO(__NR_bpf, EPERM),					\
	SC_ERRNO(__NR_perf_event_open, EPERM),				\
	SC_ERRNO(__NR_userfaultfd, EPERM),				\
	SC_ERRNO(__NR_add_key, EPERM),					\
	SC_ERRNO(__NR_request_key, EPERM),				\
	SC_ERRNO(__NR_keyctl, EPERM),					\
	SC_ERRNO(__NR_unshare, EPERM),					\
	SC_ERRNO(__NR_setns, EPERM),					\
	SC_ERRNO(__NR_acct, EPERM),					\
	SC_ERRNO(__NR_settimeofday, EPERM),				\
	SC_ERRNO(__NR_clock_settime, EPERM),				\
	SC_ERRNO(__NR_clock_adjtime, EPERM),				\
	SC_ERRNO(__NR_adjtimex, EPERM),					\
	SC_ERRNO(__NR_sethostname, EPERM),				\
	SC_ERRNO(__NR_setdomainname, EPERM),				\
	SC_ERRNO(__NR_quotactl, EPERM),					\
	SC_ERRNO(__NR_open_by_handle_at, EPERM),			\
	SC_ERRNO(__NR_name_to_handle_at, EPERM),			\
	SC_ERRNO(__NR_syslog, EPERM),					\
	SC_ERRNO(__NR_mknodat, EPERM)

/*
 * The parent: an allow-list.  Root, but once its children are up it
 * never runs a program or starts a process, makes unix datagram sockets
 * only (syslog, systemd), is handed its streams (HAProxy's runtime
 * sockets by the connector, control clients by accept), and works on
 * files Landlock allows.  Anything else fails
 * with EPERM rather than killing it: the parent is the one that keeps
 * HAProxy's last good state and reports, and a refused call is an error
 * it logs.
 */
static const struct sock_filter parent_filter[] = {
	SC_DENY_COMMON,

	/* files: the paths are Landlock's business */
	SC_ALLOW(__NR_pwrite64),
	SC_ALLOW(__NR_openat),
#ifdef __NR_open
	SC_ALLOW(__NR_open),
	SC_ALLOW(__NR_stat),
	SC_ALLOW(__NR_lstat),
	SC_ALLOW(__NR_access),
	SC_ALLOW(__NR_rename),
	SC_ALLOW(__NR_unlink),
	SC_ALLOW(__NR_readlink),
#endif
	SC_ALLOW(__NR_readlinkat),
	SC_ALLOW(__NR_getdents64),
	SC_ALLOW(__NR_renameat),
#ifdef __NR_renameat2
	SC_ALLOW(__NR_renameat2),
#endif
	SC_ALLOW(__NR_unlinkat),
	SC_ALLOW(__NR_fsync),
	SC_ALLOW(__NR_fdatasync),
	SC_ALLOW(__NR_ftruncate),
	SC_ALLOW(__NR_fchown),
	SC_ALLOW(__NR_fchmod),
	SC_ALLOW(__NR_flock),
	SC_ALLOW(__NR_umask),

	/* signals and its children */
	SC_ALLOW(__NR_rt_sigtimedwait),
	SC_ALLOW(__NR_kill),
	SC_ALLOW(__NR_wait4),
	SC_ALLOW(__NR_waitid),

	/*
	 * unix datagram sockets only (syslog, sd_notify); the streams to
	 * HAProxy come from the connector, the control socket's from
	 * accept
	 */
	SC_ALLOW_UNIX_DGRAM,
	SC_ERRNO(__NR_socket, EACCES),
	SC_ALLOW(__NR_accept),
	SC_ALLOW(__NR_accept4),

	/* process facts */
	SC_ALLOW(__NR_getgroups),
};

/*
 * The reloader: an allow-list.  It reads the parent's messages, asks
 * its runner by number, and relays the answers.  No file to open, no
 * execve, no process, no signal, no socket but syslog's; anything else
 * kills it and the parent reports it.
 */
static const struct sock_filter reloader_filter[] = {
	SC_ERRNO(__NR_openat, EACCES),
#ifdef __NR_open
	SC_ERRNO(__NR_open, EACCES),
#endif

	/* its runner's end */
	SC_ALLOW(__NR_wait4),

	/* syslog(3) reconnecting */
	SC_ALLOW_UNIX_DGRAM,
	SC_ERRNO(__NR_socket, EACCES),
};

/*
 * The connector: unix stream sockets, connected to the paths it holds,
 * passed to the parent.  Nothing else; anything else kills it.
 */
static const struct sock_filter connector_filter[] = {
	SC_ALLOW_ARG(__NR_socket, 0, AF_UNIX),
	SC_ERRNO(__NR_socket, EACCES),
};

/*
 * The runner: root, runs haproxy (or asks systemd); whatever is here
 * applies to HAProxy too, so only what HAProxy never does.
 */
static const struct sock_filter runner_filter[] = {
	SC_DENY_COMMON,
#ifdef __NR_ioperm
	SC_ERRNO(__NR_ioperm, EPERM),
	SC_ERRNO(__NR_iopl, EPERM),
#endif
#ifdef __NR_mknod
	SC_ERRNO(__NR_mknod, EPERM),
#endif
};

/*
 * The runner's key to execve(2).  A seccomp filter cannot read the path
 * execve is given, and Landlock must let the runner execute haproxy's
 * ELF interpreter too (the kernel opens it for execution), so that
 * "ld.so /bin/sh" would start a shell with the runner's capabilities,
 * from a HAProxy "program" section or "external-check" command for
 * instance.  So the filter the runner wears, which HAProxy inherits,
 * lets execve through only when its fourth and fifth arguments, which
 * the kernel does not read, hold these two random words; any other
 * execve, and every execveat, fails with EPERM.  Only the runner knows
 * the words: they are drawn after its fork, vanish from a program's
 * memory at its execve, and cannot be read from the runner's (not
 * dumpable, ptrace refused, CAP_SYS_PTRACE outside the bounding set).
 * The runner's own calls name haproxy_binary only.
 */
static uint64_t	 exec_key[2];

#define SC_EXEC_KEY_LEN	13

/* execve: allowed with the key in arguments 3 and 4; execveat never */
static void
sandbox_exec_rules(struct sock_filter *f)
{
	const uint32_t	 k[4] = {
		(uint32_t)exec_key[0], (uint32_t)(exec_key[0] >> 32),
		(uint32_t)exec_key[1], (uint32_t)(exec_key[1] >> 32)
	};
	const uint32_t	 off[4] = {
		SC_ARG_LO(3), SC_ARG_HI(3), SC_ARG_LO(4), SC_ARG_HI(4)
	};
	size_t		 i = 0;
	int		 w;

	f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    __NR_execve, 0, 10);
	for (w = 0; w < 4; w++) {
		f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    off[w]);
		/* a wrong word: on to the refusal, 2 per word left + 1 */
		f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    k[w], 0, 2 * (3 - w) + 1);
	}
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ALLOW);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ERRNO | EPERM);
	f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    __NR_execveat, 0, 1);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ERRNO | EPERM);
}

/*
 * How the runner runs a program: execve(2) with the key.  Anything
 * else that tries to run a program under the runner's filter (HAProxy
 * included) gets EPERM.
 */
int
sandbox_execve(const char *path, char *const argv[], char *const envp[])
{
	return (syscall(__NR_execve, path, argv, envp,
	    (unsigned long)exec_key[0], (unsigned long)exec_key[1]));
}

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

int	 sandbox_fetcher_user(const char *, const char *);
int	 sandbox_install(const struct sock_filter *, size_t, uint32_t);

static int	 sandbox_debug(void);
static int	 sandbox_trap_sigsys(int);
static int	 sandbox_install2(const struct sock_filter *, size_t,
		    const struct sock_filter *, size_t, uint32_t);
static void	 sandbox_sigsys(int, siginfo_t *, void *);
static int	 sandbox_mkdir(const char *, int);
static int	 sandbox_copy(const char *, const char *);
static int	 sandbox_chroot_prepare(const char *);
static int	 sandbox_bounding(const int *, size_t);
static int	 sandbox_capset(const int *, size_t);
static int	 sandbox_caps_empty(void);
static int	 sandbox_nnp(void);
static int	 sandbox_allowed(long, long, long, long);
/* not static: regress/unit/test_sandbox.c tries it alone */
int		 sandbox_parent_fs(const struct ep2_conf *);
static int	 sandbox_exec_paths(const char *, char [][PATH_MAX], int);
static int	 sandbox_exec_only(const char *);

static int
sandbox_debug(void)
{
#ifdef SANDBOX_DEBUG
	return (1);
#else
	const char	*s;

	s = getenv("EP2D_SANDBOX_DEBUG");
	return (s != NULL && strcmp(s, "1") == 0);
#endif
}

/*
 * A system call outside an allow-list traps here (SECCOMP_RET_TRAP, not
 * a silent kill), so that ep2d's own log names it.  Only
 * async-signal-safe calls: the interrupted code may hold malloc's or
 * syslog's lock, so the line goes to standard error (the journal under
 * systemd, the terminal with -d) and to log_file by write(2).  Then the
 * process dies of SIGSYS as the kernel would have killed it, and the
 * parent reports that.  With SANDBOX_DEBUG the call fails with EACCES
 * instead and the process goes on.  The refused call never runs.
 */
static int	 sigsys_debug;

static void
sandbox_sigsys(int sig, siginfo_t *info, void *uctx)
{
	ucontext_t	*uc = uctx;
	char		 msg[160], num[2][16];
	const char	*part[6];
	size_t		 len = 0, n, i;
	unsigned long	 v[2];
	int		 save = errno, fd, k;

	if (info->si_code != SYS_SECCOMP) {
		/* somebody sent SIGSYS: what it would have done */
		if (!sigsys_debug) {
			signal(SIGSYS, SIG_DFL);
			raise(SIGSYS);
		}
		return;
	}
	v[0] = (unsigned long)getpid();
	v[1] = (unsigned int)info->si_syscall;
	for (k = 0; k < 2; k++) {
		char	 t[16];

		n = 0;
		do {
			t[n++] = '0' + v[k] % 10;
			v[k] /= 10;
		} while (v[k] != 0 && n < sizeof(t) - 1);
		for (i = 0; i < n; i++)
			num[k][i] = t[n - 1 - i];
		num[k][n] = '\0';
	}
	part[0] = "ep2d[";
	part[1] = num[0];
	part[2] = "]: sandbox: system call ";
	part[3] = num[1];
	part[4] = sigsys_debug ? " refused (SANDBOX_DEBUG)\n" :
	    " refused: sandbox violation, the process ends\n";
	part[5] = NULL;
	for (k = 0; part[k] != NULL; k++) {
		n = strlen(part[k]);
		if (len + n >= sizeof(msg))
			break;
		memcpy(msg + len, part[k], n);
		len += n;
	}
	if (write(STDERR_FILENO, msg, len) == -1) {
		/* nowhere else to say it */
	}
	if ((fd = log_getfd()) != -1 && fd != STDERR_FILENO &&
	    write(fd, msg, len) == -1) {
		/* the line on stderr will have to do */
	}
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -EACCES;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = -EACCES;
#endif
	if (!sigsys_debug) {
		/* pending until this handler returns, then fatal */
		signal(SIGSYS, SIG_DFL);
		raise(SIGSYS);
	}
	errno = save;
}

/* Refused calls of an allow-list trap into sandbox_sigsys. */
static int
sandbox_trap_sigsys(int debug)
{
	struct sigaction	 sa;

	sigsys_debug = debug;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) == -1) {
		log_warn("sandbox: sigaction SIGSYS");
		return (-1);
	}
	if (debug)
		log_warnx("sandbox: SANDBOX_DEBUG: a system call outside the "
		    "list fails with EACCES and is logged");
	return (0);
}

/*
 * Build the program: architecture check (a foreign system call ABI
 * would give the numbers another meaning), the table, then the
 * default action.
 */
int
sandbox_install(const struct sock_filter *table, size_t n, uint32_t dflt)
{
	return (sandbox_install2(table, n, NULL, 0, dflt));
}

/* Two tables, one after the other: common_allow and a process's own. */
static int
sandbox_install2(const struct sock_filter *t1, size_t n1,
    const struct sock_filter *t2, size_t n2, uint32_t dflt)
{
	struct sock_fprog	 prog;
	struct sock_filter	*f;
	size_t			 i = 0, n = n1 + n2;

	if ((f = calloc(n + 8, sizeof(*f))) == NULL) {
		log_warn("%s: calloc", __func__);
		return (-1);
	}
	f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch));
	f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    SECCOMP_AUDIT_ARCH, 1, 0);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_KILL_PROCESS);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    SC_NR);
#if defined(__x86_64__)
	/* x32 system calls share the x86_64 audit arch */
	f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
	    0x40000000, 0, 1);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_KILL_PROCESS);
#endif
	memcpy(f + i, t1, n1 * sizeof(*f));
	i += n1;
	if (n2 > 0) {
		memcpy(f + i, t2, n2 * sizeof(*f));
		i += n2;
	}
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, dflt);

	memset(&prog, 0, sizeof(prog));
	prog.len = i;
	prog.filter = f;
	/*
	 * prctl, not seccomp(2): a service manager's own filter
	 * (systemd's @system-service) allows the one, not the other.
	 * Every process is single-threaded at this point.
	 */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == -1) {
		log_warn("sandbox: PR_SET_SECCOMP");
		free(f);
		return (-1);
	}
	free(f);
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
 * Under a service manager's seccomp filter (systemd's SystemCallFilter)
 * a call it does not allow kills us with SIGSYS and no word.  Try it in
 * a child first when such a filter is on, so that the log can say what
 * to allow.  1: allowed (or no filter), 0: refused.
 */
static int
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
 * (sandbox_exec_rules) is what keeps every execve but the runner's out.
 * Every other file access stays as it was.  A kernel without Landlock
 * is told in the log.
 */
static int
sandbox_exec_only(const char *binary)
{
#ifdef __NR_landlock_create_ruleset
	struct landlock_ruleset_attr		 ra;
	struct landlock_path_beneath_attr	 pb;
	char					 paths[SANDBOX_EXEC_MAX][PATH_MAX];
	int					 abi, rfd, fd, i, n;

	if (!sandbox_allowed(__NR_landlock_create_ruleset, 0, 0,
	    LANDLOCK_CREATE_RULESET_VERSION)) {
		log_info("sandbox: Landlock is refused by the service "
		    "manager's system call filter; the runner's execve of "
		    "%s is not pinned to that file (its filter still refuses "
		    "HAProxy any execve)", binary);
		return (0);
	}
	abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		log_info("sandbox: no Landlock in this kernel; the runner's "
		    "execve of %s is not pinned to that file (its filter "
		    "still refuses HAProxy any execve)", binary);
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
#else
	log_info("sandbox: built without Landlock; the runner's execve of "
	    "%s is not pinned to that file (its filter still refuses "
	    "HAProxy any execve)", binary);
	return (0);
#endif
}

/* one place a process may reach under Landlock */
struct sandbox_place {
	const char	*path;
	int		 dir;		/* path's directory, not path */
	uint64_t	 access;
};

static int	 sandbox_fs(const char *, const struct sandbox_place *,
		    size_t);

#ifdef __NR_landlock_create_ruleset
#define LL_READ		(LANDLOCK_ACCESS_FS_READ_FILE | \
			    LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_WRITE	(LANDLOCK_ACCESS_FS_WRITE_FILE | \
			    LANDLOCK_ACCESS_FS_MAKE_REG | \
			    LANDLOCK_ACCESS_FS_REMOVE_FILE)

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
#endif

/*
 * Landlock on the whole file system for who: every access is handled,
 * and allowed only under the n places of the list.  The rules are drawn
 * now, by name; *rfdp is the ruleset to restrict the process with, or
 * -1 when there is no Landlock (an old kernel, a service manager's
 * filter), which a line says and the process goes on without.
 */
static int
sandbox_fs_rules(const char *who, const struct sandbox_place *pl, size_t n,
    int *rfdp)
{
#ifdef __NR_landlock_create_ruleset
	struct landlock_ruleset_attr	 ra;
	uint64_t			 handled;
	size_t				 i;
	int				 abi, rfd, r = 0;

	*rfdp = -1;
	if (!sandbox_allowed(__NR_landlock_create_ruleset, 0, 0,
	    LANDLOCK_CREATE_RULESET_VERSION)) {
		log_info("sandbox: Landlock is refused by the service "
		    "manager's system call filter; the %s's file system "
		    "access is not limited", who);
		return (0);
	}
	abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		log_info("sandbox: no Landlock in this kernel; the %s's "
		    "file system access is not limited", who);
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
#else
	*rfdp = -1;
	log_info("sandbox: built without Landlock; the %s's file system "
	    "access is not limited", who);
	return (0);
#endif
}

/* Restrict the process with the ruleset of sandbox_fs_rules, if any. */
static int
sandbox_fs_restrict(int rfd)
{
	int	 r = 0;

	if (rfd == -1)
		return (0);
#ifdef __NR_landlock_create_ruleset
	if (syscall(__NR_landlock_restrict_self, rfd, 0) == -1) {
		log_warn("sandbox: landlock_restrict_self");
		r = -1;
	}
#endif
	close(rfd);
	return (r);
}

/* Landlock now: the rules and the restriction in one step. */
static int
sandbox_fs(const char *who, const struct sandbox_place *pl, size_t n)
{
	int	 rfd;

	if (sandbox_fs_rules(who, pl, n, &rfd) == -1)
		return (-1);
	return (sandbox_fs_restrict(rfd));
}

/*
 * The fetcher keeps descriptors of directories outside its chroot (the
 * servers files'), and a lookup through one is not stopped by the
 * chroot: "..", or a symbolic link found there, would reach anything
 * _ep2d may read.  So Landlock, where the kernel has it, lets it read
 * beneath those directories and the chroot's etc, and nothing else, and
 * write, make or execute nothing at all.
 */
static char	*fetcher_dirs[EP2D_MAX_BACKENDS];
static size_t	 nfetcher_dirs;

int
sandbox_fetcher_allow(const char *dir)
{
	size_t	 i;

	for (i = 0; i < nfetcher_dirs; i++)
		if (strcmp(fetcher_dirs[i], dir) == 0)
			return (0);
	if (nfetcher_dirs == EP2D_MAX_BACKENDS) {
		log_warnx("sandbox: more than %d directories for the fetcher",
		    EP2D_MAX_BACKENDS);
		return (-1);
	}
	if ((fetcher_dirs[nfetcher_dirs] = strdup(dir)) == NULL) {
		log_warn("%s: strdup", __func__);
		return (-1);
	}
	nfetcher_dirs++;
	return (0);
}

static int
sandbox_fetcher_rules(const char *root, int *rfdp)
{
#ifdef __NR_landlock_create_ruleset
	struct sandbox_place	 pl[EP2D_MAX_BACKENDS + 1];
	char			 etc[PATH_MAX];
	size_t			 i;

	if ((size_t)snprintf(etc, sizeof(etc), "%s/etc", root) >= sizeof(etc))
		return (-1);
	memset(pl, 0, sizeof(pl));
	pl[0].path = etc;
	pl[0].access = LL_READ;
	for (i = 0; i < nfetcher_dirs; i++) {
		pl[i + 1].path = fetcher_dirs[i];
		pl[i + 1].access = LL_READ;
	}
	return (sandbox_fs_rules("fetcher", pl, nfetcher_dirs + 1, rfdp));
#else
	return (sandbox_fs_rules("fetcher", NULL, 0, rfdp));
#endif
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
#ifdef __NR_landlock_create_ruleset
	char			ctl[PATH_MAX];
	struct sandbox_place	pl[] = {
		{ conf->haproxy_config_file, 1, LL_READ | LL_WRITE },
		{ conf->log_file, 1, LL_READ | LL_WRITE },
		{ conf->metrics_file, 1, LL_READ | LL_WRITE },
		{ conf->conf_path, 1, LL_READ },
		{ conf->template_file, 1, LL_READ },
		{ conf->pid_file, 1, LL_READ },
		{ "/proc", 0, LL_READ },
		{ NULL, 1, LL_READ | LANDLOCK_ACCESS_FS_REMOVE_FILE },
	};

	if (sandbox_ctl_path(ctl, sizeof(ctl)) == 0)
		pl[7].path = ctl;
	return (sandbox_fs("parent", pl, sizeof(pl) / sizeof(pl[0])));
#else
	return (sandbox_fs("parent", NULL, 0));
#endif
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

int
sandbox_fetcher(const char *root)
{
	return (sandbox_fetcher_user(root, EP2D_USER));
}

/*
 * The fetcher's sequence; the order matters.  The user is looked up
 * and the chroot filled while /etc is still there; the bounding set is
 * emptied while we still have CAP_SETPCAP; the uid change clears the
 * effective and permitted sets; no_new_privs and the filter come last
 * (the filter would refuse the calls above).  user is a parameter for
 * the regress tests only.
 */
int
sandbox_fetcher_user(const char *root, const char *user)
{
	struct passwd		*pw;
	uid_t			 uid, ruid, euid, suid;
	gid_t			 gid, rgid, egid, sgid, groups[2];
	int			 rfd = -1, r;

	sandbox_protect();
	if (geteuid() != 0) {
		log_warnx("sandbox: the fetcher must start as root to confine "
		    "itself");
		return (-1);
	}
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
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0 || gid == 0) {
		log_warnx("sandbox: user %s has uid or gid 0; it must be an "
		    "unprivileged user", user);
		return (-1);
	}
	if (sandbox_chroot_prepare(root) == -1)
		return (-1);
	if (!sandbox_allowed(__NR_chroot, (long)"/", 0, 0)) {
		log_warnx("sandbox: chroot(2) is refused by the service "
		    "manager's system call filter; allow it (systemd: "
		    "SystemCallFilter=chroot after the other lines)");
		return (-1);
	}
	/* the rules name their places while the names still mean them */
	if (sandbox_fetcher_rules(root, &rfd) == -1)
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

	if (setgroups(1, &gid) == -1) {
		log_warn("sandbox: setgroups");
		goto fail;
	}
	if (setresgid(gid, gid, gid) == -1) {
		log_warn("sandbox: setresgid %u", (unsigned int)gid);
		goto fail;
	}
	if (setresuid(uid, uid, uid) == -1) {
		log_warn("sandbox: setresuid %u", (unsigned int)uid);
		goto fail;
	}
	/* the inheritable set survives setuid: clear it too */
	if (sandbox_capset(NULL, 0) == -1)
		goto fail;

	/* trust nothing: check that there is no way back */
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1 ||
	    ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid ||
	    getgroups(2, groups) != 1 || groups[0] != gid) {
		log_warnx("sandbox: user switch to %s incomplete", user);
		goto fail;
	}
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1) {
		log_warnx("sandbox: %s could become root again", user);
		goto fail;
	}
	if (!sandbox_caps_empty()) {
		log_warnx("sandbox: capabilities left after the user switch");
		goto fail;
	}
	if (sandbox_nnp() == -1)
		goto fail;
	/* no_new_privs first: without CAP_SYS_ADMIN Landlock needs it */
	r = sandbox_fs_restrict(rfd);
	rfd = -1;
	if (r == -1)
		return (-1);

	if (sandbox_trap_sigsys(sandbox_debug()) == -1)
		return (-1);
	if (sandbox_install2(common_allow,
	    sizeof(common_allow) / sizeof(common_allow[0]), fetcher_filter,
	    sizeof(fetcher_filter) / sizeof(fetcher_filter[0]),
	    SECCOMP_RET_TRAP) == -1)
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
	int	 debug;

	sandbox_protect();
	if (sandbox_bounding(parent_caps, ncaps) == -1 ||
	    sandbox_capset(parent_caps, ncaps) == -1)
		return (-1);
	if (sandbox_nnp() == -1)
		return (-1);
	if (conf != NULL && sandbox_parent_fs(conf) == -1)
		return (-1);
	debug = sandbox_debug();
	if (debug && sandbox_trap_sigsys(1) == -1)
		return (-1);
	if (sandbox_install2(common_allow,
	    sizeof(common_allow) / sizeof(common_allow[0]), parent_filter,
	    sizeof(parent_filter) / sizeof(parent_filter[0]),
	    debug ? SECCOMP_RET_TRAP : SECCOMP_RET_ERRNO | EPERM) == -1)
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
sandbox_runner(const struct ep2_conf *conf)
{
	struct sock_filter	 keyed[SC_EXEC_KEY_LEN];
	size_t			 ncaps = sizeof(runner_caps) /
				    sizeof(runner_caps[0]);

	sandbox_protect();
	if (sandbox_bounding(runner_caps, ncaps) == -1 ||
	    sandbox_capset(runner_caps, ncaps) == -1)
		return (-1);
	if (sandbox_nnp() == -1)
		return (-1);
	if (conf != NULL && sandbox_exec_only(conf->haproxy_binary) == -1)
		return (-1);
	if (getrandom(exec_key, sizeof(exec_key), 0) != sizeof(exec_key)) {
		log_warn("sandbox: getrandom");
		return (-1);
	}
	sandbox_exec_rules(keyed);
	if (sandbox_install2(runner_filter,
	    sizeof(runner_filter) / sizeof(runner_filter[0]), keyed,
	    SC_EXEC_KEY_LEN, SECCOMP_RET_ALLOW) == -1)
		return (-1);
	log_debug("sandbox: runner confined");
	return (0);
}

/*
 * The last steps of every allow-listed root helper: no core dumps, the
 * capabilities of caps and nothing else (bounding set included),
 * no_new_privs, Landlock allowing nothing on the file system, and the
 * filter, whose refusals trap into sandbox_sigsys.
 */
static int
sandbox_confine(const char *who, const int *caps, size_t ncaps,
    const struct sock_filter *filter, size_t nfilter)
{
	sandbox_protect();
	if (sandbox_bounding(caps, ncaps) == -1 ||
	    sandbox_capset(caps, ncaps) == -1)
		return (-1);
	if (sandbox_nnp() == -1)
		return (-1);
	if (sandbox_fs(who, NULL, 0) == -1)
		return (-1);
	if (sandbox_trap_sigsys(sandbox_debug()) == -1)
		return (-1);
	if (sandbox_install2(common_allow,
	    sizeof(common_allow) / sizeof(common_allow[0]), filter, nfilter,
	    SECCOMP_RET_TRAP) == -1)
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
	return (sandbox_confine("reloader", NULL, 0, reloader_filter,
	    sizeof(reloader_filter) / sizeof(reloader_filter[0])));
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
	    sizeof(caps) / sizeof(caps[0]), connector_filter,
	    sizeof(connector_filter) / sizeof(connector_filter[0])));
}
