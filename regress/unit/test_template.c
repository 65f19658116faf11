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
 * template.c: EP2's {{nodes}} rendered into EP2's server lines, free
 * slots as disabled servers, everything else byte for byte.
 *
 * With TEST_TEMPLATE_OUT set in the environment, the program also
 * renders the file named by TEST_TEMPLATE_IN with the servers given as
 * arguments (update_by_runtime, two free slots) into that file, for
 * regress/samples.t to check with haproxy -c.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep2d.h"
#include "tap.h"
#include "logcap.h"

#define NAME	"t.tmpl"

static struct ep2_conf	*conf;
static struct backend_conf *be;		/* conf's backend 0 */
static struct server	 srv[8];
static struct tmpl_slot	 slots[8];
static char		*out;
static size_t		 outlen;

/* Every key's default, as a file that sets none. */
static void
defaults(void)
{
	config_free(conf);
	if ((conf = config_new()) == NULL)
		fatal("config_new");
	be = conf->backends[0];
}

static void
slot(size_t i, const char *host, uint16_t port)
{
	snprintf(slots[i].name, sizeof(slots[i].name), "node%zu", i + 1);
	if (host == NULL) {
		slots[i].srv = NULL;
		return;
	}
	memset(&srv[i], 0, sizeof(srv[i]));
	strlcpy(srv[i].host, host, sizeof(srv[i].host));
	srv[i].port = port;
	slots[i].srv = &srv[i];
}

/* Render t (len bytes) into out, after freeing the last output. */
static int
render_len(const char *t, size_t len, size_t nslots)
{
	free(out);
	out = NULL;
	cap_start();
	return (template_render(t, len, NAME, be, slots, nslots, &out,
	    &outlen));
}

static int
render(const char *t, size_t nslots)
{
	return (render_len(t, strlen(t), nslots));
}

static int
render_is(const char *t, size_t nslots, const char *want)
{
	if (render(t, nslots) == -1) {
		printf("# render failed: %s", cap_log());
		return (0);
	}
	if (outlen != strlen(want) || strlen(out) != outlen ||
	    strcmp(out, want) != 0) {
		printf("# got:\n%s\n# expected:\n%s\n", out, want);
		return (0);
	}
	return (1);
}

static void
test_nodes(void)
{
	defaults();
	slot(0, "10.0.0.1", 6003);
	slot(1, "web-2.example.com", 8080);
	slot(2, "2001:db8::7", 6003);

	ok(render_is("backend b\n{{nodes}}\n", 3,
	    "backend b\n"
	    "    server node1 10.0.0.1:6003 check\n"
	    "    server node2 web-2.example.com:8080 check\n"
	    "    server node3 [2001:db8::7]:6003 check\n"),
	    "{{nodes}}: EP2's lines, no inter/maxconn when unset, v6 in []");
	ok(cap_lines() == 0, "nothing logged");
	ok(render_is("{{ nodes }}", 1, "    server node1 10.0.0.1:6003 check"),
	    "{{ nodes }} with spaces");
	ok(render_is("{{\tnodes  }}", 1, "    server node1 10.0.0.1:6003 "
	    "check"), "{{ nodes }} with a tab");

	strlcpy(be->check_interval, "2000", sizeof(be->check_interval));
	ok(render_is("{{nodes}}", 1, "    server node1 10.0.0.1:6003 check "
	    "inter 2000"), "check_interval only");
	be->backend_maxconn = 100;
	ok(render_is("{{nodes}}", 2,
	    "    server node1 10.0.0.1:6003 check inter 2000 maxconn 100\n"
	    "    server node2 web-2.example.com:8080 check inter 2000 "
	    "maxconn 100"), "check_interval and backend_maxconn");
	be->check_interval[0] = '\0';
	ok(render_is("{{nodes}}", 1, "    server node1 10.0.0.1:6003 check "
	    "maxconn 100"), "backend_maxconn only");
	be->backend_maxconn = 0;
	ok(render_is("{{nodes}}", 1, "    server node1 10.0.0.1:6003 check "
	    "maxconn 0"), "backend_maxconn 0 is written");
	be->backend_maxconn = 100;

	/* free runtime slots: disabled servers with their own names */
	strlcpy(be->check_interval, "2s", sizeof(be->check_interval));
	slot(1, NULL, 0);
	slot(3, NULL, 0);
	ok(render_is("{{nodes}}\n", 4,
	    "    server node1 10.0.0.1:6003 check inter 2s maxconn 100\n"
	    "    server node2 10.0.0.1:8080 check inter 2s maxconn 100 "
	    "disabled\n"
	    "    server node3 [2001:db8::7]:6003 check inter 2s maxconn 100\n"
	    "    server node4 10.0.0.1:8080 check inter 2s maxconn 100 "
	    "disabled\n"), "free slots: disabled lines, stable names");
	strlcpy(slots[0].name, "web_01", sizeof(slots[0].name));
	ok(render_is("{{nodes}}", 1, "    server web_01 10.0.0.1:6003 check "
	    "inter 2s maxconn 100"), "the slot's own name is used");
	slot(0, "10.0.0.1", 6003);
	ok(render_is("a\n{{nodes}}\nb\n", 0, "a\n\nb\n"),
	    "no slots: {{nodes}} is empty");
	ok(render_is("{{nodes}}\n{{ nodes }}", 1,
	    "    server node1 10.0.0.1:6003 check inter 2s maxconn 100\n"
	    "    server node1 10.0.0.1:6003 check inter 2s maxconn 100"),
	    "{{nodes}} twice: both expand");

	/* whatever a caller got wrong, no bad text reaches the file */
	slot(0, "10.0.0.1\n    server evil 1.2.3.4:80", 80);
	ok(render("{{nodes}}", 1) == -1 && out == NULL &&
	    cap_has("t.tmpl:1") && cap_has("node1"),
	    "a hostile address in a slot: refused");
	slot(0, "10.0.0.1", 0);
	ok(render("{{nodes}}", 1) == -1, "port 0 in a slot: refused");
	slot(0, "10.0.0.1", 80);
	strlcpy(slots[0].name, "node 1", sizeof(slots[0].name));
	ok(render("{{nodes}}", 1) == -1, "a slot name with a space: refused");
	memset(slots[0].name, 'a', sizeof(slots[0].name));
	ok(render("{{nodes}}", 1) == -1, "a slot name without NUL: refused");
	slot(0, "10.0.0.1", 80);
	strlcpy(be->check_interval, "2s\nx", sizeof(be->check_interval));
	ok(render("{{nodes}}", 1) == -1, "a hostile check_interval: refused");
	strlcpy(be->check_interval, "2s", sizeof(be->check_interval));
}

static void
test_verbatim(void)
{
	static const char *same[] = {
		"frontend f\n    bind :443 ssl crt /x.pem\n"
		    "    http-request set-header X-SSL %[ssl_fc]\n"
		    "    acl is_ssl { ssl_fc }\n"
		    "    use_backend b if { ssl_fc }\n",
		"log-format \"%{+Q}r %ci:%cp [%tr]\"\n",
		"a lone { brace\n",
		"a lone } brace and }} without opener\n",
		"ends with a {\n",
		"{ {nodes} }",
		"{nodes}",
		"%{nodes}",
		"# {x} comment\n\ttab\r\nCRLF\r\n\n\n",
		"\xc3\xa9t\xc3\xa9 \xff\xfe binary\n",
		"",
	};
	char	 buf[1024];
	size_t	 i;

	defaults();
	slot(0, "10.0.0.1", 6003);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		snprintf(buf, sizeof(buf), "%s{{nodes}}%s", same[i], same[i]);
		ok(render(buf, 0) == 0 && outlen == 2 * strlen(same[i]) &&
		    memcmp(out, same[i], strlen(same[i])) == 0 &&
		    memcmp(out + strlen(same[i]), same[i], strlen(same[i])) ==
		    0 && cap_lines() == 0, "byte for byte: case %zu", i);
	}

	/* a huge template line */
	{
		size_t	 n = 4 * 1024 * 1024;
		char	*big;

		if ((big = malloc(n + 32)) == NULL)
			fatal("malloc");
		memset(big, 'x', n);
		memcpy(big + n, "{{nodes}}{", 11);
		ok(render_len(big, n + 10, 1) == 0 && outlen == n + 36 + 1 &&
		    memcmp(out, big, n) == 0 && out[outlen - 1] == '{',
		    "a 4 MB line with no newline: copied");
		free(big);
	}
}

static void
test_other_tags(void)
{
	defaults();
	slot(0, "10.0.0.1", 6003);

	ok(render_is("a\nb {{ backend }} c\n{{nodes}}\n", 1,
	    "a\nb  c\n    server node1 10.0.0.1:6003 check\n") &&
	    cap_has("t.tmpl:2") && cap_has("backend"),
	    "{{ name }}: empty, with a warning naming the line");
	ok(render_is("{{nodes}}\n{{x}}{{ y }}\n", 1,
	    "    server node1 10.0.0.1:6003 check\n\n") &&
	    cap_lines() == 2, "two undefined names: two warnings");
	ok(render_is("{# a Jinja comment #}x\n{{nodes}}", 1,
	    "x\n    server node1 10.0.0.1:6003 check"),
	    "{# comment #} removed, as Jinja");
	ok(render_is("a   {{- nodes -}}   \n b", 1,
	    "a    server node1 10.0.0.1:6003 checkb"),
	    "{{- -}} eat white space, as Jinja");
	ok(render_is("{{\nnodes\n}}\n{{ z }}", 1,
	    "    server node1 10.0.0.1:6003 check\n") && cap_has("t.tmpl:4"),
	    "lines counted inside a tag");

	ok(render("{{nodes}}\n{% if x %}\n", 1) == -1 && cap_has("t.tmpl:2"),
	    "{%% statement %%}: refused, line named");
	ok(render("{{nodes}}\n\n{{ nodes", 1) == -1 && cap_has("t.tmpl:3"),
	    "unterminated {{: refused, line named");
	ok(render("{{nodes}}{# x", 1) == -1, "unterminated {#: refused");
	ok(render("{{nodes}}{{ a + b }}", 1) == -1,
	    "an expression: refused");
	ok(render("{{nodes}}{{ nodes|upper }}", 1) == -1, "a filter: refused");
	ok(render("{{}}{{nodes}}", 1) == -1, "{{}}: refused");
	ok(render("frontend f\n", 1) == -1 && cap_has("nodes"),
	    "no {{nodes}}: refused");
	ok(out == NULL && outlen == 0, "refused: no output");
	{
		static const char	 nul[] = "a\n{{nodes}}\nb\0c\n";

		ok(render_len(nul, sizeof(nul) - 1, 1) == -1 &&
		    cap_has("t.tmpl:3"),
		    "NUL byte: refused, line named");
		ok(render_len("{{nodes}}{{\0}}", 13, 1) == -1,
		    "NUL in a tag: refused");
		ok(render_len("{{nodes}}{", 10, 1) == 0 && outlen == 37,
		    "{ as the last byte, length given: no overread");
		ok(render_len("{{nodes}}{{", 9, 1) == 0 && outlen == 36,
		    "the length is honoured, not the NUL");
	}

	/* template_check: the same rules, no output */
	cap_start();
	ok(template_check("{{ nodes }}", 11, NAME) == 0, "check: good");
	ok(template_check("x", 1, NAME) == -1, "check: no nodes");
	ok(template_check("{{nodes}}{% x %}", 16, NAME) == -1,
	    "check: statement");
	ok(template_check("{{nodes}}{{", 11, NAME) == -1,
	    "check: unterminated");
	cap_start();
	ok(template_check("{{nodes}}\n{{ foo }}", 19, NAME) == 0 &&
	    cap_has("t.tmpl:2") && cap_has("foo"),
	    "check: undefined name warned");
}

/* Render a file for regress/samples.t: TEST_TEMPLATE_IN -> _OUT. */
static int
render_file(int argc, char *argv[])
{
	const char	*in = getenv("TEST_TEMPLATE_IN");
	const char	*outp = getenv("TEST_TEMPLATE_OUT");
	char		*t, host[EP2D_HOST_MAX];
	const char	*why;
	size_t		 len, n, i;
	uint16_t	 port;
	FILE		*fp;

	if (in == NULL || (fp = fopen(in, "r")) == NULL)
		fatal("%s", in ? in : "TEST_TEMPLATE_IN");
	if ((t = malloc(1 << 20)) == NULL)
		fatal("malloc");
	len = fread(t, 1, 1 << 20, fp);
	fclose(fp);
	defaults();
	strlcpy(be->check_interval, "2s", sizeof(be->check_interval));
	be->backend_maxconn = 100;
	for (n = 0, i = 1; i < (size_t)argc && n < 6; i++, n++) {
		if (addr_parse_hostport(argv[i], 6003, host, sizeof(host),
		    &port, &why) == -1)
			fatalx("%s: %s", argv[i], why);
		slot(n, host, port);
	}
	slot(n++, NULL, 0);
	slot(n++, NULL, 0);
	if (template_render(t, len, in, be, slots, n, &out, &outlen) ==
	    -1)
		return (1);
	if ((fp = fopen(outp, "w")) == NULL ||
	    fwrite(out, 1, outlen, fp) != outlen || fclose(fp) != 0)
		fatal("%s", outp);
	free(t);
	free(out);
	return (0);
}

/* Several backends: {{ nodes }} and {{ nodes.NAME }}, and the checks. */
static void
test_backends(void)
{
	struct ep2_conf		*c2;
	struct tmpl_backend	 bes[2];
	const char		*t;

	slot(0, "10.0.0.1", 6003);
	slot(1, "10.0.0.2", 7000);
	if ((c2 = config_new()) == NULL)
		fatal("config_new");
	bes[0].be = be;
	bes[0].slots = &slots[0];
	bes[0].nslots = 1;
	strlcpy(c2->backends[0]->label, "api",
	    sizeof(c2->backends[0]->label));
	bes[1].be = c2->backends[0];
	bes[1].slots = &slots[1];
	bes[1].nslots = 1;
	c2->backends[0]->backend_maxconn = 5;

	t = "backend a\n{{ nodes }}\nbackend b\n{{ nodes.api }}\n";
	free(out);
	out = NULL;
	cap_start();
	ok(template_render_backends(t, strlen(t), NAME, bes, 2, &out,
	    &outlen) == 0 && strcmp(out, "backend a\n"
	    "    server node1 10.0.0.1:6003 check\nbackend b\n"
	    "    server node2 10.0.0.2:7000 check maxconn 5\n") == 0,
	    "each list where it is named, with its backend's settings");
	t = "{{ nodes }}\n";
	free(out);
	out = NULL;
	ok(template_render_backends(t, strlen(t), NAME, bes, 2, &out,
	    &outlen) == -1 && out == NULL && cap_has("no {{ nodes.api }}"),
	    "a backend without its list: render refused");
	t = "{{nodes}}{{ nodes.api }}{{ nodes.other }}";
	ok(template_render_backends(t, strlen(t), NAME, bes, 2, &out,
	    &outlen) == -1 && cap_has("no [backend other]"),
	    "a list of no backend: render refused");
	ok(render("{{nodes}}{{ nodes.api }}", 1) == -1 &&
	    cap_has("no [backend api]"),
	    "{{ nodes.api }} in a one-backend render: refused");
	cap_start();
	ok(template_check("{{ nodes }} {{ nodes.api }}", 27, NAME) == 0,
	    "template_check alone takes {{ nodes.NAME }}");
	cap_start();
	ok(template_check("{{ nodes.api-x }}", 17, NAME) == -1,
	    "{{ nodes.NAME }}: NAME a Jinja name only");
	config_free(c2);
}

/* The line map: each output line names the template line it came from. */
static int
map_is(const char *t, size_t nslots, const int *want, size_t nwant)
{
	struct tmpl_backend	 tb;
	int			*lmap = NULL;
	size_t			 n = 0, i;
	int			 good;

	tb.be = be;
	tb.slots = slots;
	tb.nslots = nslots;
	free(out);
	out = NULL;
	cap_start();
	if (template_render_map(t, strlen(t), NAME, &tb, 1, &out, &outlen,
	    &lmap, &n) == -1)
		return (0);
	good = n == nwant;
	for (i = 0; good && i < n; i++)
		good = lmap[i] == want[i];
	if (!good) {
		printf("# %zu lines:", n);
		for (i = 0; i < n; i++)
			printf(" %d", lmap[i]);
		printf("\n");
	}
	free(lmap);
	return (good);
}

static void
test_line_map(void)
{
	/* the last entry: the empty line after the final newline */
	static const int	 m1[] = { 1, 2, 3, 3, 3, 4, 5 };
	/* line 1 of the output is the rest of line 2, after "#}" */
	static const int	 m2[] = { 1, 3, 4, 4, 5 };
	static const int	 m3[] = { 1, 3, 4 };
	static const int	 m4[] = { 1, 2 };

	defaults();
	slot(0, "10.0.0.1", 6003);
	slot(1, "10.0.0.2", 6003);
	slot(2, NULL, 0);
	ok(map_is("global\nbackend b\n{{ nodes }}\nx\n", 3, m1, 7),
	    "line map: three server lines are the line of {{ nodes }}");
	ok(map_is("{# a\ncomment #}\nbackend b {{ x }}\n{{nodes}}\nend", 2,
	    m2, 5), "line map: after a comment over lines, and an empty tag");
	ok(map_is("a\n\n{{- nodes }}\nb", 2, m3, 3),
	    "line map: {{- eats the newlines before it");
	ok(map_is("a\n{{ nodes -}}\n\n\nb", 0, m4, 2),
	    "line map: -}} eats the newlines after it");
	ok(render_is("a\n{{ nodes }}\n", 2, "a\n    server node1 10.0.0.1:6003 "
	    "check\n    server node2 10.0.0.2:6003 check\n"),
	    "template_render_backends renders as before");
}

/* {{ x }} in an HAProxy condition: the rule as written cannot work */
static void
test_rule_hint(void)
{
	defaults();
	slot(0, "10.0.0.1", 6003);

	ok(render("frontend f\n    http-request redirect scheme https if "
	    "{{ ssl_fc }}\nbackend b\n{{nodes}}\n", 1) == 0 &&
	    cap_has("t.tmpl:2: {{ ssl_fc }} renders empty") &&
	    cap_has("can never fire as written") &&
	    cap_has("\"{ ssl_fc }\", with single braces, as an anonymous "
	    "ACL") &&
	    strstr(out, "https if \n") != NULL,
	    "if {{ ssl_fc }}: empty, as in EP2, and the rule can never fire");
	ok(render("frontend f\n    http-request deny if !{{ ssl_fc }}\n"
	    "{{nodes}}\n", 1) == 0 && cap_has("can never fire"),
	    "if !{{ ssl_fc }}: the same");
	ok(render("frontend f\n    http-request deny unless {{ ssl_fc }}\n"
	    "{{nodes}}\n", 1) == 0 && cap_has("empty \"unless\"") &&
	    cap_has("fires every time") && cap_has("anonymous ACL"),
	    "unless {{ ssl_fc }}: the rule fires every time");
	ok(render("frontend f\n    use_backend b if METH_GET {{ ssl_fc }}\n"
	    "{{nodes}}\n", 1) == 0 && cap_has("loses that test") &&
	    !cap_has("never fire"),
	    "if METH_GET {{ ssl_fc }}: the condition loses that test");
	ok(render("frontend f\n    acl is_ssl {{ ssl_fc }}\n{{nodes}}\n", 1) ==
	    0 && cap_has("undefined variable \"ssl_fc\" renders empty") &&
	    !cap_has("anonymous"), "outside a condition: the plain warning");
	ok(render("frontend f\n    use_backend b if { ssl_fc }\n{{nodes}}\n", 1)
	    == 0 && cap_lines() == 0 && strstr(out, "if { ssl_fc }") != NULL,
	    "HAProxy's own { ssl_fc }: copied, no warning");
}

int
main(int argc, char *argv[])
{
	cap_init();
	if (getenv("TEST_TEMPLATE_OUT") != NULL)
		return (render_file(argc, argv));
	test_nodes();
	test_verbatim();
	test_other_tags();
	test_backends();
	test_line_map();
	test_rule_hint();
	free(out);
	config_free(conf);
	return (done_testing());
}
