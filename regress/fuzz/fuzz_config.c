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

/* ep2.conf: any file gives a parsed config or an error, nothing else. */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ep2d.h"
#include "log.h"
#include "fuzz.h"

/*
 * One configuration and one stdio buffer for every run: under ASan
 * fresh memory costs more than the parse itself (56 KB for the
 * configuration, BUFSIZ for the stream).
 */
static struct ep2_conf	 conf;
static char		 iobuf[BUFSIZ];

/*
 * What the parser takes, a child takes too: config_valid() holds every
 * value the parser leaves (the parent's configuration over imsg).
 */
static void
check(const struct ep2_conf *c)
{
	const char	*key;
	int		 i;

	if (config_valid(c, 0, offsetof(struct ep2_conf, nbackends),
	    &key) == -1)
		abort();
	for (i = 0; i < c->nbackends; i++)
		if (config_valid_backend(c->backends[i], &key) == -1)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	FILE	*fp;

	fuzz_log_init();
	if (len == 0)
		return (0);
	if ((fp = fmemopen((void *)data, len, "r")) != NULL) {
		setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf));
		if (config_read(fp, "fuzz.conf", &conf) == 0) {
			check(&conf);
			config_clear(&conf);
		}
		fclose(fp);
	}
	return (0);
}
