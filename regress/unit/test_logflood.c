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
 * common/log.c's flood guard: the same line again is counted, not
 * written; past a burst, lines pass at a fixed rate and the rest are
 * counted in one line; debug lines pass; off, everything passes.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "tap.h"
#include "logcap.h"

static void
pause_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int	 nhook;
static long	 hook_ms;

/* What a process's event loop does: a timer, here called by hand. */
static void
hook(long ms)
{
	nhook++;
	hook_ms = ms;
}

int
main(void)
{
	int	 i, n;

	cap_init();

	cap_start();
	for (i = 0; i < 300; i++)
		log_warnx("line %d", i);
	is_int(cap_lines(), 300, "guard off: 300 lines, 300 written");

	log_ratelimit(1);
	cap_start();
	for (i = 0; i < 1000; i++)
		log_warnx("refused: the same thing");
	is_int(cap_lines(), 1, "the same line 1000 times: written once");
	log_warnx("something else");
	ok(cap_has("last message repeated 999 times\n"),
	    "then its count, before the next line");
	ok(cap_has("something else\n"), "and the next line");
	is_int(cap_lines(), 3, "three lines in all");

	log_ratelimit(1);
	cap_start();
	for (i = 0; i < 1000; i++)
		log_warnx("instance %d refused", i);
	n = cap_lines();
	ok(n == 100, "1000 different lines at once: the burst of 100 "
	    "written (%d)", n);
	ok(!cap_has("instance 100 refused"), "the 101st is not");
	pause_ms(250);
	log_warnx("later");
	ok(cap_has("900 lines not logged (more than 100 at once, then 5 a "
	    "second)"), "once the rate allows: the count of those held back");
	ok(cap_has("later\n"), "and the line");

	/* the rate after the burst: 5 a second */
	for (i = 0; i < 100; i++)
		log_info("again %d", i);
	cap_start();
	pause_ms(1000);
	for (i = 0; i < 100; i++)
		log_info("more %d", i);
	n = cap_lines();
	ok(n >= 5 && n <= 8, "after the burst, a second allows about 5 "
	    "lines and the count (%d)", n);

	cap_start();
	log_setverbose(1);
	for (i = 0; i < 300; i++)
		log_debug("debug %d", i);
	is_int(cap_lines(), 300, "debug lines (asked for) pass");

	/* a process with an event loop: what is held back is said on time */
	log_ratelimit(1);
	log_held_hook(hook);
	cap_start();
	for (i = 0; i < 150; i++)
		log_warnx("flood %d", i);
	is_int(nhook, 1, "50 lines held back: the loop is asked once for a "
	    "timer");
	ok(hook_ms > 0 && hook_ms <= 201, "for when the rate allows a line "
	    "(%ld ms)", hook_ms);
	log_held_flush();
	is_int(cap_lines(), 100, "a flush before then writes nothing");
	is_int(nhook, 2, "and asks for the timer again");
	pause_ms(hook_ms);
	log_held_flush();
	ok(cap_has("49 lines not logged (more than 100 at once, then 5 a "
	    "second); the latest one follows\n"), "on time: the count");
	ok(cap_has("flood 149\n"), "and the latest line held back");
	is_int(cap_lines(), 102, "two lines");
	log_held_flush();
	is_int(cap_lines(), 102, "nothing held: a flush writes nothing");
	is_int(nhook, 2, "and asks for no timer");
	log_warnx("flood 149");
	is_int(cap_lines(), 102, "the latest line again is a repeat");
	log_held_hook(NULL);

	log_ratelimit(0);
	cap_start();
	for (i = 0; i < 300; i++)
		log_warnx("line %d", i);
	is_int(cap_lines(), 300, "guard off again: everything passes");

	return (done_testing());
}
