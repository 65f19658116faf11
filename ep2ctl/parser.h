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
 * ep2ctl's command line: token tables in bgpctl's manner.  Each word
 * may be abbreviated as long as the abbreviation names one keyword of
 * its table only ("sh st" is "show status"; "s" is ambiguous).
 */

#ifndef EP2CTL_PARSER_H
#define EP2CTL_PARSER_H

#include <stddef.h>

enum actions {
	NONE,
	SHOW_STATUS,
	SHOW_SLOTS,
	SHOW_BACKENDS,
	SHOW_METRICS,
	RELOAD,
	SYNC,
	LOG_VERBOSE,
	LOG_BRIEF
};

struct parse_result {
	enum actions	 action;
};

int	 parse(int, char *[], struct parse_result *, char *, size_t);
const char *action_name(enum actions);

#endif /* EP2CTL_PARSER_H */
