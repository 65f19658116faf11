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
 * ep2d -n: the check of everything a start would do with ep2.conf and
 * the template before HAProxy runs it.  Every backend is rendered as
 * the start renders it before the orchestrator has answered (no server;
 * with update_by_runtime, the slots of the start, free), the result is
 * written to a private directory of its own (mkdtemp in $TMPDIR or
 * /tmp: under the shipped unit /tmp is private and writable) and given
 * to haproxy -c there.  Nothing of the running setup is touched: not
 * haproxy_config_file, the pid file, the sockets or the lock.  What
 * HAProxy says of a line of the rendered file is said of the template
 * line it came from; the server lines of a {{ nodes }} are its line.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ep2d.h"
#include "apply.h"
#include "log.h"
#include "runtime.h"

#define CHECK_TIMEOUT	60		/* seconds for haproxy -c */
#define CHECK_OUT_MAX	(256 * 1024)	/* what haproxy -c may say */

struct check_map {
	const char	*cfg;		/* the scratch file, HAProxy's name */
	const char	*tmpl;		/* the template, as ep2.conf names it */
	const int	*lmap;
	size_t		 nlines;
};

static int	 check_write(const char *, const char *, size_t);
static int	 check_haproxy(const char *, const char *, char **);
static int	 check_report(const struct check_map *, char *, int *);
static int	 check_line(const struct check_map *, char *);
static void	 check_socket(const struct ep2_conf *, const char *, size_t);

/*
 * Returns 0 when the start would take the configuration, -1 after one
 * line per problem.  With print, the rendered haproxy.cfg goes to
 * standard output, whatever haproxy -c thinks of it.
 */
int
check_config(const struct ep2_conf *conf, const char *tmpl, size_t tmpllen,
    int print)
{
	struct tmpl_backend	*bes;
	struct tmpl_slot	**slots;
	struct check_map	 m;
	struct server_set	 empty;
	const struct backend_conf *be;
	struct runtime		*rts;
	const char		*tmpdir;
	char			 dir[PATH_MAX], cfg[PATH_MAX];
	char			*out = NULL, *said = NULL;
	int			*lmap = NULL;
	size_t			 outlen, nlines, n;
	int			 nbe, i, r = -1, status, errors = 0, len;

	nbe = conf->nbackends;
	if ((bes = calloc(nbe, sizeof(*bes))) == NULL ||
	    (slots = calloc(nbe, sizeof(*slots))) == NULL ||
	    (rts = calloc(nbe, sizeof(*rts))) == NULL)
		fatal("%s: calloc", __func__);
	set_init(&empty);
	for (i = 0; i < nbe; i++) {
		be = conf->backends[i];
		n = 0;
		if (be->update_type == UPDATE_RUNTIME) {
			/* the slots of the start, as runtime_bootstrap makes */
			runtime_init(&rts[i], be, NULL);
			runtime_bootstrap(&rts[i], &empty);
			runtime_slots(&rts[i], &slots[i], &n);
		} else if ((slots[i] = apply_config_slots(&empty)) == NULL)
			fatal("%s: calloc", __func__);
		bes[i].be = be;
		bes[i].slots = slots[i];
		bes[i].nslots = n;
	}
	/* its warnings were said when the template was read */
	log_quiet(1);
	status = template_render_map(tmpl, tmpllen, conf->template_file, bes,
	    nbe, &out, &outlen, &lmap, &nlines);
	log_quiet(0);
	if (status == -1)
		status = template_render_map(tmpl, tmpllen,
		    conf->template_file, bes, nbe, &out, &outlen, &lmap,
		    &nlines);
	for (i = 0; i < nbe; i++)
		free(slots[i]);
	if (status == -1) {
		logit(LOG_ERR, "%s: the template does not render",
		    conf->template_file);
		goto done;
	}
	if (print && (fwrite(out, 1, outlen, stdout) != outlen ||
	    (outlen > 0 && out[outlen - 1] != '\n' && putchar('\n') == EOF) ||
	    fflush(stdout) == EOF)) {
		logit(LOG_ERR, "standard output: %s", strerror(errno));
		goto done;
	}
	check_socket(conf, out, outlen);

	if ((tmpdir = getenv("TMPDIR")) == NULL || *tmpdir != '/')
		tmpdir = "/tmp";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/ep2d-check.XXXXXX",
	    tmpdir) >= sizeof(dir) || mkdtemp(dir) == NULL) {
		logit(LOG_ERR, "a directory for haproxy -c in %s: %s", tmpdir,
		    strerror(errno));
		goto done;
	}
	len = snprintf(cfg, sizeof(cfg), "%s/haproxy.cfg", dir);
	if (len < 0 || (size_t)len >= sizeof(cfg))
		errno = ENAMETOOLONG;
	if (len < 0 || (size_t)len >= sizeof(cfg) ||
	    check_write(cfg, out, outlen) == -1) {
		logit(LOG_ERR, "%s/haproxy.cfg: %s", dir, strerror(errno));
		(void)unlink(cfg);
		(void)rmdir(dir);
		goto done;
	}
	status = check_haproxy(conf->run.haproxy_binary, cfg, &said);
	(void)unlink(cfg);
	(void)rmdir(dir);

	m.cfg = cfg;
	m.tmpl = conf->template_file;
	m.lmap = lmap;
	m.nlines = nlines;
	if (check_report(&m, said, &errors) > 0 && status == 0)
		status = -1;
	if (status != 0) {
		if (errors == 0)
			logit(LOG_ERR, "haproxy -c: %s", said != NULL &&
			    *said != '\0' ? said : "failed, saying nothing");
		logit(LOG_ERR, "%s: the rendered configuration is refused by "
		    "%s -c", conf->template_file, conf->run.haproxy_binary);
		goto done;
	}
	r = 0;
done:
	for (i = 0; i < nbe; i++)
		if (conf->backends[i]->update_type == UPDATE_RUNTIME)
			free(rts[i].slots);
	free(said);
	free(out);
	free(lmap);
	free(rts);
	free(slots);
	free(bes);
	return (r);
}

static int
check_write(const char *path, const char *buf, size_t len)
{
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return (-1);
	while (off < len) {
		if ((n = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return (-1);
		}
		off += n;
	}
	return (close(fd));
}

/*
 * haproxy -c -f CFG, no shell, its output (stdout and stderr) into
 * *said.  Returns its exit status, or -1 when it did not exit by
 * itself.
 */
static int
check_haproxy(const char *binary, const char *cfg, char **said)
{
	struct pollfd	 pfd;
	char		*argv[5], *buf, *nb;
	size_t		 len = 0, cap = 4096;
	ssize_t		 n;
	time_t		 start;
	pid_t		 pid;
	int		 p[2], fd, status;

	if ((buf = malloc(cap)) == NULL)
		fatal("%s: malloc", __func__);
	buf[0] = '\0';
	*said = buf;
	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(buf, cap, "pipe: %s", strerror(errno));
		return (-1);
	}
	argv[0] = (char *)binary;
	argv[1] = "-c";
	argv[2] = "-f";
	argv[3] = (char *)cfg;
	argv[4] = NULL;
	switch (pid = fork()) {
	case -1:
		snprintf(buf, cap, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return (-1);
	case 0:
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, STDIN_FILENO);
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "execv %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(p[1]);
	start = time(NULL);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (;;) {
		if (time(NULL) - start > CHECK_TIMEOUT) {
			(void)kill(pid, SIGKILL);
			snprintf(buf, cap, "%s -c did not finish in %d s",
			    binary, CHECK_TIMEOUT);
			len = strlen(buf);
			break;
		}
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		if (len + 1024 + 1 > cap && cap < CHECK_OUT_MAX) {
			if ((nb = realloc(buf, cap * 2)) == NULL)
				fatal("%s: realloc", __func__);
			*said = buf = nb;
			cap *= 2;
		}
		if (len + 1 >= cap) {
			/* enough said: the rest is read and dropped */
			char	 junk[1024];

			if ((n = read(p[0], junk, sizeof(junk))) <= 0 &&
			    !(n == -1 && errno == EINTR))
				break;
			continue;
		}
		n = read(p[0], buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
		buf[len] = '\0';
	}
	close(p[0]);
	buf[len] = '\0';
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return (-1);
	if (WIFEXITED(status))
		return (WEXITSTATUS(status));
	return (-1);
}

/*
 * One line per ALERT or WARNING of haproxy -c, named by the template's
 * file and line; NOTICE lines and the summaries go.  Returns the number
 * of errors (ALERT lines).
 */
static int
check_report(const struct check_map *m, char *said, int *errors)
{
	char	*line, *next;
	int	 r;

	*errors = 0;
	if (said == NULL)
		return (0);
	for (line = said; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((r = check_line(m, line)) == 1)
			(*errors)++;
	}
	return (*errors);
}

/* 1: an error said, 0: a warning or nothing. */
static int
check_line(const struct check_map *m, char *line)
{
	char		 where[PATH_MAX + 32], *s, *p, *e;
	const char	*kind;
	size_t		 clen = strlen(m->cfg);
	long		 ln;
	int		 alert;

	if (strncmp(line, "[ALERT]", 7) == 0)
		alert = 1;
	else if (strncmp(line, "[WARNING]", 9) == 0)
		alert = 0;
	else
		return (0);	/* [NOTICE], "Configuration file is valid" */
	kind = alert ? "error" : "warning";

	/* "[ALERT]    (1234) : config : " */
	s = strchr(line, ']') + 1;
	while (*s == ' ')
		s++;
	if (*s == '(' && (p = strstr(s, ") : ")) != NULL)
		s = p + 4;
	if (strncmp(s, "config : ", 9) == 0)
		s += 9;
	if (strncmp(s, "Error(s) found in configuration file", 36) == 0 ||
	    strncmp(s, "Fatal errors found in configuration", 35) == 0)
		return (0);	/* the summary of the lines before */

	/* the first "CFG:LINE" is the template's; "parsing [...] : " goes */
	where[0] = '\0';
	if ((p = strstr(s, m->cfg)) != NULL && p[clen] == ':' &&
	    (ln = strtol(p + clen + 1, &e, 10)) > 0 && e > p + clen + 1) {
		if ((size_t)ln <= m->nlines)
			snprintf(where, sizeof(where), "%s:%d: ", m->tmpl,
			    m->lmap[ln - 1]);
		else
			snprintf(where, sizeof(where), "%s: ", m->tmpl);
		if (p > s && p[-1] == '[' && *e == ']') {
			p--;
			e++;
			if (p - s >= 8 && strncmp(p - 8, "parsing ", 8) == 0)
				p -= 8;
			if (strncmp(e, " : ", 3) == 0)
				e += 3;
			memmove(p, e, strlen(e) + 1);
		} else
			memmove(p, e, strlen(e) + 1);
	}
	/* any other mention of the scratch file is the rendered template */
	while ((p = strstr(s, m->cfg)) != NULL) {
		memmove(p + 1, p + clen, strlen(p + clen) + 1);
		*p = '-';
	}
	if (alert)
		logit(LOG_ERR, "%shaproxy -c: %s: %s", where, kind, s);
	else
		log_warnx("%shaproxy -c: %s: %s", where, kind, s);
	return (alert);
}

/*
 * update_by_runtime talks to HAProxy over haproxy_socket_file: a stats
 * socket of another path in the template would leave every change to
 * fail over to a reload.  A warning only: a symbolic link, /var/run for
 * /run, may make two spellings one socket.
 */
static void
check_socket(const struct ep2_conf *conf, const char *out, size_t len)
{
	const char	*p, *e, *sock;
	size_t		 sl;
	int		 i, runtime = 0, found;

	for (i = 0; i < conf->nbackends; i++)
		if (conf->backends[i]->update_type == UPDATE_RUNTIME)
			runtime = 1;
	if (!runtime)
		return;
	for (i = 0; i < conf->run.nsockets; i++) {
		sock = conf->run.sockets[i];
		sl = strlen(sock);
		found = 0;
		for (p = out; p < out + len; p = e + 1) {
			if ((e = memchr(p, '\n', out + len - p)) == NULL)
				e = out + len;
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			if ((size_t)(e - p) > 13 && strncmp(p, "stats socket",
			    12) == 0 && (p[12] == ' ' || p[12] == '\t')) {
				for (p += 12; p < e && (*p == ' ' ||
				    *p == '\t'); p++)
					;
				if ((size_t)(e - p) >= sl &&
				    strncmp(p, sock, sl) == 0 && (p + sl == e ||
				    p[sl] == ' ' || p[sl] == '\t')) {
					found = 1;
					break;
				}
			}
		}
		if (!found)
			log_warnx("%s: no \"stats socket %s\" in the template: "
			    "update_by_runtime reaches HAProxy through "
			    "haproxy_socket_file", conf->template_file, sock);
	}
}
