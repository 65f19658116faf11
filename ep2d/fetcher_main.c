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
 * ep2d-fetcher: the fetcher, a program of its own so that only it loads
 * libcurl, json-c, expat and their libraries; the parent and the
 * reloader stay small.  ep2d starts it (proc_spawn) with its end of the
 * socketpair on descriptor 3, -P fetcher and the parent's -d and -v, and
 * sends it its configuration there: it is not run by hand.
 */

#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ep2d.h"

int
main(int argc, char *argv[])
{
	const char	*procname = NULL;
	int		 ch, debug = 0, verbose = 0;

	opterr = 0;
	while ((ch = getopt(argc, argv, "dP:v")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'P':
			procname = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			errx(1, "ep2d-fetcher is started by ep2d, not by hand");
		}
	}
	if (procname == NULL || strcmp(procname, "fetcher") != 0 ||
	    optind != argc)
		errx(1, "ep2d-fetcher is started by ep2d, not by hand");
	fetcher_main(debug, verbose);
}
