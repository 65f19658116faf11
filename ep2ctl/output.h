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
 * ep2ctl's two ways of printing what it has to say: aligned text for a
 * terminal (output.c) and JSON (output_json.c).  One entry per command,
 * and one for a failure, so that ep2ctl.c prints nothing by itself.
 * Each entry takes a whole answer, so that column widths fit the data,
 * and a FILE, so that the unit tests can read what it prints.
 */

#ifndef EP2CTL_OUTPUT_H
#define EP2CTL_OUTPUT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "ep2d.h"
#include "parser.h"

/* Who failed, for the failure entry. */
enum failure {
	FAIL_USAGE,	/* the command line: a wrong option, word, none */
	FAIL_CLIENT,	/* no answer: connect, read, timeout, malformed */
	FAIL_DAEMON	/* ep2d refused the request, with its reason */
};

struct output {
	/* the answers, one entry per command */
	void	(*status)(FILE *, const struct ctl_status *, size_t, time_t);
	void	(*slots)(FILE *, const struct ctl_slot *, size_t, time_t);
	void	(*backends)(FILE *, const struct ctl_backend *, size_t,
		    time_t);
	void	(*metrics)(FILE *, const char *, size_t);
	void	(*reload)(FILE *);
	void	(*sync)(FILE *);
	void	(*log)(FILE *, int);
	/* anything that went wrong; the request is NONE before parsing */
	void	(*failure)(FILE *, enum actions, enum failure,
		    const char *);
	/* the text goes to stderr, JSON with the answer to stdout */
	int	  failure_to_stdout;
};

extern const struct output show_output;
extern const struct output json_output;

extern const char usage_synopsis[];

const char *fmt_age(int64_t, time_t, char *, size_t);
const char *fmt_clean(const char *, char *, size_t);
const char *fmt_server(const char *, uint16_t, char *, size_t);
void	 output_fix_status(struct ctl_status *);
void	 output_fix_slot(struct ctl_slot *);
void	 output_fix_backend(struct ctl_backend *);

#endif /* EP2CTL_OUTPUT_H */
