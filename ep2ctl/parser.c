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
 * Command line parser of ep2ctl.  A command is a path through the token
 * tables below, one word per table; a table's ENDTOKEN entry ends it.
 * A word matches a keyword it is a prefix of; an exact match wins over
 * prefixes, two prefix matches are an ambiguity.  Errors are written
 * into the caller's buffer (no printing here, so that the unit tests
 * can see them).
 */

#include <stdio.h>
#include <string.h>

#include "parser.h"

enum token_type {
	ENDTOKEN,
	KEYWORD
};

struct token {
	enum token_type		 type;
	const char		*keyword;
	enum actions		 value;
	const struct token	*next;
};

static const struct token t_main[];
static const struct token t_show[];
static const struct token t_log[];

static const struct token t_main[] = {
	{ KEYWORD,	"show",		NONE,		t_show },
	{ KEYWORD,	"reload",	RELOAD,		NULL },
	{ KEYWORD,	"sync",		SYNC,		NULL },
	{ KEYWORD,	"log",		NONE,		t_log },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_show[] = {
	{ KEYWORD,	"status",	SHOW_STATUS,	NULL },
	{ KEYWORD,	"slots",	SHOW_SLOTS,	NULL },
	{ KEYWORD,	"backends",	SHOW_BACKENDS,	NULL },
	{ KEYWORD,	"metrics",	SHOW_METRICS,	NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_log[] = {
	{ KEYWORD,	"verbose",	LOG_VERBOSE,	NULL },
	{ KEYWORD,	"brief",	LOG_BRIEF,	NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token *match_token(const char *, const struct token *,
		    char *, size_t);
static void	 expected(const struct token *, char *, size_t);

/*
 * Parse argv (the words after the options).  0 with res filled, or -1
 * with a one-line message in err.
 */
int
parse(int argc, char *argv[], struct parse_result *res, char *err,
    size_t errlen)
{
	const struct token	*table = t_main, *t;
	char			 list[256];
	int			 i;

	memset(res, 0, sizeof(*res));
	if (errlen > 0)
		err[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (table == NULL) {
			snprintf(err, errlen, "unexpected argument \"%s\" "
			    "after \"%s\"", argv[i], argv[i - 1]);
			return (-1);
		}
		if ((t = match_token(argv[i], table, err, errlen)) == NULL)
			return (-1);
		if (t->value != NONE)
			res->action = t->value;
		table = t->next;
	}
	if (table != NULL) {
		expected(table, list, sizeof(list));
		if (argc == 0)
			snprintf(err, errlen, "missing command; expected %s",
			    list);
		else
			snprintf(err, errlen, "missing argument after \"%s\"; "
			    "expected %s", argv[argc - 1], list);
		return (-1);
	}
	return (0);
}

static const struct token *
match_token(const char *word, const struct token *table, char *err,
    size_t errlen)
{
	const struct token	*t, *match = NULL;
	char			 list[256];
	size_t			 len;
	int			 n = 0;

	len = strlen(word);
	for (t = table; t->type != ENDTOKEN; t++) {
		if (strcmp(word, t->keyword) == 0)
			return (t);
		if (len > 0 && strncmp(word, t->keyword, len) == 0) {
			match = t;
			n++;
		}
	}
	if (n == 1)
		return (match);

	if (n == 0) {
		expected(table, list, sizeof(list));
		snprintf(err, errlen, "unknown argument \"%s\"; expected %s",
		    word, list);
		return (NULL);
	}

	/* ambiguous: name the candidates */
	list[0] = '\0';
	for (t = table; t->type != ENDTOKEN; t++) {
		if (strncmp(word, t->keyword, len) != 0)
			continue;
		if (list[0] != '\0')
			strlcat(list, ", ", sizeof(list));
		strlcat(list, t->keyword, sizeof(list));
	}
	snprintf(err, errlen, "ambiguous argument \"%s\": %s", word, list);
	return (NULL);
}

/* "one of show, reload, sync, log" */
static void
expected(const struct token *table, char *buf, size_t len)
{
	const struct token	*t;

	strlcpy(buf, "one of ", len);
	for (t = table; t->type != ENDTOKEN; t++) {
		if (t != table)
			strlcat(buf, ", ", len);
		strlcat(buf, t->keyword, len);
	}
}

const char *
action_name(enum actions a)
{
	switch (a) {
	case NONE:
		break;
	case SHOW_STATUS:
		return ("show status");
	case SHOW_SLOTS:
		return ("show slots");
	case SHOW_BACKENDS:
		return ("show backends");
	case SHOW_METRICS:
		return ("show metrics");
	case RELOAD:
		return ("reload");
	case SYNC:
		return ("sync");
	case LOG_VERBOSE:
		return ("log verbose");
	case LOG_BRIEF:
		return ("log brief");
	}
	return ("none");
}
