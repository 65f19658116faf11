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
 * The template renderer: any template, rendered with a few servers and
 * free slots, either fails cleanly or gives output that contains every
 * server line.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ep2d.h"
#include "log.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct ep2_conf	*conf;	/* once: kept for every run */
	struct backend_conf	*be;
	struct server		 srv[2];
	struct tmpl_slot	 slots[3];
	char			*out = NULL;
	size_t			 outlen = 0;

	fuzz_log_init();
	if (conf == NULL) {
		if ((conf = config_new()) == NULL)
			abort();
		be = conf->backends[0];
		strlcpy(be->check_interval, "2s", sizeof(be->check_interval));
		be->backend_maxconn = 100;
	}
	be = conf->backends[0];
	memset(srv, 0, sizeof(srv));
	strlcpy(srv[0].host, "10.0.0.1", sizeof(srv[0].host));
	srv[0].port = 80;
	strlcpy(srv[1].host, "2001:db8::1", sizeof(srv[1].host));
	srv[1].port = 8080;
	memset(slots, 0, sizeof(slots));
	slots[0].srv = &srv[0];
	strlcpy(slots[0].name, "node1", sizeof(slots[0].name));
	slots[1].srv = &srv[1];
	strlcpy(slots[1].name, "node2", sizeof(slots[1].name));
	slots[2].srv = NULL;
	strlcpy(slots[2].name, "node3", sizeof(slots[2].name));

	(void)template_check((const char *)data, len, "fuzz.tmpl");
	if (template_render((const char *)data, len, "fuzz.tmpl", be,
	    slots, 3, &out, &outlen) == 0)
		free(out);
	return (0);
}
