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
 * apply_file.c: the files an apply reads and writes, and HAProxy's pid
 * file (runner.c asks it too).
 */

#ifndef EP2D_APPLY_H
#define EP2D_APPLY_H

int	 apply_file_safe(const char *, const char *);
int	 apply_read_file(const char *, size_t, char **, size_t *);
int	 apply_load_template(const struct ep2_conf *, char **, size_t *);
int	 apply_same_as_disk(const char *, const char *, size_t);
int	 apply_write_new(const char *, const char *, size_t);
int	 apply_install(const char *);
void	 apply_discard(const char *);
struct tmpl_slot *apply_config_slots(const struct server_set *);
pid_t	 apply_haproxy_pid(const struct run_conf *);
int	 apply_pid_is_haproxy(const struct run_conf *, pid_t, char *,
	    size_t);

#endif /* EP2D_APPLY_H */
