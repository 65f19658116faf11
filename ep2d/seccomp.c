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
 * The system call filters, one table per process, in OpenSSH's
 * sandbox-seccomp-filter.c shape: the rules, then the program built
 * from them and installed, then the SIGSYS reporter.  sandbox.c calls
 * one seccomp_PROCESS() as the last step of each process's sequence
 * (the filter would refuse the steps before it).
 *
 * The fetcher, the reloader and the connector get allow-lists whose
 * refusals trap (SECCOMP_RET_TRAP) into sandbox_sigsys: the call is
 * named on standard error and in log_file, then the process dies of
 * SIGSYS and the parent reports it.  The parent gets an allow-list
 * whose refusals fail with EPERM: it keeps HAProxy's last good state
 * and must not die of a missing entry.  The runner, which starts
 * HAProxy, gets a deny-list: what it wears, HAProxy wears too.
 *
 * With -DSANDBOX_DEBUG, or EP2D_SANDBOX_DEBUG=1 in the environment, a
 * call outside an allow-list (the parent's included) is not fatal: it
 * fails with EACCES and "sandbox: system call N refused (SANDBOX_DEBUG)"
 * is written to standard error and to log_file, so that a missing entry
 * shows up as a line in the test log, not a dead child.  The runner's
 * deny-list is the same either way.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "ep2d.h"
#include "log.h"
#include "sandbox.h"

#if defined(__x86_64__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#else
#error "seccomp.c: no seccomp filter for this architecture"
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

static void	 sandbox_exec_rules(struct sock_filter *);
static int	 sandbox_debug(void);
static int	 sandbox_trap_sigsys(int);
static int	 sandbox_install2(const struct sock_filter *, size_t,
		    const struct sock_filter *, size_t, uint32_t);
static void	 sandbox_sigsys(int, siginfo_t *, void *);
static int	 seccomp_trapped(const struct sock_filter *, size_t);

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

/* SANDBOX_DEBUG: built in, or asked for in the environment */
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
 * An allow-list whose refusals trap into sandbox_sigsys: named in the
 * log, then fatal (not under SANDBOX_DEBUG).
 */
static int
seccomp_trapped(const struct sock_filter *filter, size_t nfilter)
{
	if (sandbox_trap_sigsys(sandbox_debug()) == -1)
		return (-1);
	return (sandbox_install2(common_allow,
	    sizeof(common_allow) / sizeof(common_allow[0]), filter, nfilter,
	    SECCOMP_RET_TRAP));
}

int
seccomp_fetcher(void)
{
	return (seccomp_trapped(fetcher_filter,
	    sizeof(fetcher_filter) / sizeof(fetcher_filter[0])));
}

/* The parent's refusals fail with EPERM; under SANDBOX_DEBUG they trap. */
int
seccomp_parent(void)
{
	int	 debug;

	debug = sandbox_debug();
	if (debug && sandbox_trap_sigsys(1) == -1)
		return (-1);
	return (sandbox_install2(common_allow,
	    sizeof(common_allow) / sizeof(common_allow[0]), parent_filter,
	    sizeof(parent_filter) / sizeof(parent_filter[0]),
	    debug ? SECCOMP_RET_TRAP : SECCOMP_RET_ERRNO | EPERM));
}

/*
 * The runner's deny-list and its execve key, drawn here, after the
 * runner's fork: everything not refused is allowed.
 */
int
seccomp_runner(void)
{
	struct sock_filter	 keyed[SC_EXEC_KEY_LEN];

	if (getrandom(exec_key, sizeof(exec_key), 0) != sizeof(exec_key)) {
		log_warn("sandbox: getrandom");
		return (-1);
	}
	sandbox_exec_rules(keyed);
	return (sandbox_install2(runner_filter,
	    sizeof(runner_filter) / sizeof(runner_filter[0]), keyed,
	    SC_EXEC_KEY_LEN, SECCOMP_RET_ALLOW));
}

int
seccomp_reloader(void)
{
	return (seccomp_trapped(reloader_filter,
	    sizeof(reloader_filter) / sizeof(reloader_filter[0])));
}

int
seccomp_connector(void)
{
	return (seccomp_trapped(connector_filter,
	    sizeof(connector_filter) / sizeof(connector_filter[0])));
}
