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

/* STUB by the lead, to be replaced by the runtime engineer. */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "ep2d.h"
#include "runtime.h"

void
runtime_init(struct runtime *rt, const struct ep2_conf *conf)
{
	rt->conf = conf;
	rt->priv = NULL;
}

void
runtime_reconf(struct runtime *rt, const struct ep2_conf *conf)
{
	rt->conf = conf;
}

void
runtime_bootstrap(struct runtime *rt, const struct server_set *set)
{
}

void
runtime_slots(struct runtime *rt, struct tmpl_slot **slots, size_t *n)
{
	*slots = NULL;
	*n = 0;
}

int
runtime_apply(struct runtime *rt, const struct server_set *set)
{
	return (RUNTIME_NEED_RELOAD);
}

void
runtime_reloaded(struct runtime *rt)
{
}

size_t
runtime_nslots(struct runtime *rt)
{
	return (0);
}

size_t
runtime_ctl_slots(struct runtime *rt, struct ctl_slot **rows)
{
	*rows = NULL;
	return (0);
}
