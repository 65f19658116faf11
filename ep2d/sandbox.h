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
 * What the three files of the sandbox share: sandbox.c (each process's
 * sequence), landlock.c (the file system rules) and seccomp.c (the
 * system call filters).  What the rest of ep2d calls is in ep2d.h.
 * The steps return 0, or -1 after a log line; a kernel without Landlock
 * is a log line and 0.
 */

#ifndef EP2D_SANDBOX_H
#define EP2D_SANDBOX_H

#include <sys/types.h>

#include <linux/filter.h>

#include <stddef.h>
#include <stdint.h>

struct ep2_conf;

/* sandbox.c; sandbox_allowed: 1 when a service manager's filter allows */
int	 sandbox_fetcher_user(const char *, const char *);
int	 sandbox_allowed(long, long, long, long);

/* landlock.c; the fetcher's rules are drawn before its chroot */
int	 landlock_fetcher(const char *, int *);
int	 landlock_restrict(int);
int	 sandbox_parent_fs(const struct ep2_conf *);
int	 landlock_exec_only(const char *);
int	 landlock_nothing(const char *);

/* seccomp.c: the last step of each sequence; sandbox_install for tests */
int	 seccomp_fetcher(void);
int	 seccomp_parent(void);
int	 seccomp_runner(void);
int	 seccomp_reloader(void);
int	 seccomp_connector(void);
int	 sandbox_install(const struct sock_filter *, size_t, uint32_t);

#endif /* EP2D_SANDBOX_H */
