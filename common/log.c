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
 * Logging for every process of ep2d: stderr in the foreground, syslog
 * otherwise, and EP2's log_file on top when one is configured.  Every
 * line carries the name of the process that wrote it; a line of
 * log_file its level too, and a line to stderr its syslog priority as
 * "<N>" when stderr is journald's stream (systemd's ExecStart with -d),
 * so that the journal knows a warning from an info line.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LIBBSD_OPENBSD_VIS	/* libbsd's strnvis flavour, no warning */
#include <vis.h>

#include "file.h"
#include "log.h"

static int	 debug;
static int	 verbose;
static int	 quiet;		/* only fatal messages */
static const char *log_procname = "ep2d";
static int	 log_fd = -1;
static char	 log_path[4096];
static int	 journal;	/* stderr is journald's: "<N>" prefixes */

static int	 log_stderr_journal(void);
static const char *log_level(int);

void
log_init(int n_debug, int facility)
{
	debug = n_debug;
	verbose = n_debug;
	tzset();
	journal = debug && log_stderr_journal();
	if (!debug)
		openlog("ep2d", LOG_PID | LOG_NDELAY, facility);
}

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected
 * to stdout and stderr (sd-daemon(3)).  The variable is inherited by
 * whatever the service starts, whose stderr may be elsewhere: only the
 * same device and inode count.
 */
static int
log_stderr_journal(void)
{
	struct stat		 st;
	unsigned long long	 dev, ino;
	const char		*e;
	char			*ep;

	if ((e = getenv("JOURNAL_STREAM")) == NULL || *e == '\0')
		return (0);
	errno = 0;
	dev = strtoull(e, &ep, 10);
	if (errno != 0 || ep == e || *ep != ':')
		return (0);
	e = ep + 1;
	ino = strtoull(e, &ep, 10);
	if (errno != 0 || ep == e || *ep != '\0')
		return (0);
	if (fstat(STDERR_FILENO, &st) == -1)
		return (0);
	return ((unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino);
}

/* The word of a level in log_file. */
static const char *
log_level(int pri)
{
	switch (LOG_PRI(pri)) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
		return ("critical");
	case LOG_ERR:
		return ("error");
	case LOG_WARNING:
		return ("warning");
	case LOG_NOTICE:
		return ("notice");
	case LOG_INFO:
		return ("info");
	default:
		return ("debug");
	}
}

void
log_procinit(const char *procname)
{
	if (procname != NULL)
		log_procname = procname;
}

/*
 * EP2's log_file.  The parent opens it; children inherit the descriptor
 * across fork and exec (it is not close-on-exec for them) so that their
 * lines land in the same file.  O_APPEND keeps writers from overwriting
 * each other.  Opened as root, in a directory others may write: a
 * symbolic link, a FIFO or another name of some file there is refused
 * (file_open), errno saying which (file_strerror).
 */
int
log_file_open(const char *path)
{
	int	 fd;

	if (path == NULL || *path == '\0')
		return (0);
	if (strlen(path) >= sizeof(log_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = file_open(path, FILE_APPEND, 0640)) == -1)
		return (-1);
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
	strncpy(log_path, path, sizeof(log_path) - 1);
	return (0);
}

/* SIGUSR1: logrotate moved the file away; start a new one. */
void
log_file_reopen(void)
{
	char	 path[sizeof(log_path)];

	if (log_fd == -1 || log_path[0] == '\0')
		return;
	memcpy(path, log_path, sizeof(path));
	if (log_file_open(path) == -1)
		log_warnx("reopen %s: %s", path, file_strerror(errno));
}

/* The log file's descriptor, or -1: for a signal handler's write(2). */
int
log_getfd(void)
{
	return (log_fd);
}

/* A child takes the descriptor the parent opened for it. */
void
log_file_setfd(int fd)
{
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
}

/*
 * Work done again that has already been reported on (ep2d -n renders
 * the template it checked on reading): quiet meanwhile, so that each
 * warning is logged once.
 */
void
log_quiet(int q)
{
	quiet = q;
}

void
log_setverbose(int v)
{
	verbose = v;
}

int
log_getverbose(void)
{
	return (verbose);
}

void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char		 msg[LOG_LINE_MAX], stamp[32], note[256];
	char		 fline[LOG_LINE_MAX + 128];
	char		*line, *next;
	struct tm	 tm;
	time_t		 now;
	int		 saved_errno = errno;
	ssize_t		 w;
	int		 n, admit;

	if (quiet && pri > LOG_CRIT)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* the flood guard (below): counts first, then maybe the line */
	admit = log_admit(pri, msg, note, sizeof(note));
	if (note[0] != '\0') {
		log_note(1);
		logit(LOG_WARNING, "%s", note);
		log_note(0);
	}
	if (!admit) {
		errno = saved_errno;
		return;
	}
	if (debug && journal) {
		/* journald takes a priority per line */
		for (line = msg; line != NULL; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			fprintf(stderr, "<%d>%s: %s\n", LOG_PRI(pri),
			    log_procname, line);
			if (next != NULL)
				next[-1] = '\n';
		}
		fflush(stderr);
	} else if (debug) {
		fprintf(stderr, "%s: %s\n", log_procname, msg);
		fflush(stderr);
	} else
		syslog(pri, "%s: %s", log_procname, msg);
	if (log_fd != -1) {
		now = time(NULL);
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		/*
		 * One write(2) of a line formatted here: dprintf(3) makes
		 * a stream on the fd each time (an fstat and an lseek more
		 * a line).  msg is at most LOG_LINE_MAX: the line fits, and
		 * would be cut, still ending in a newline, if it did not.
		 */
		n = snprintf(fline, sizeof(fline), "%s ep2d[%d]: %s: %s: %s\n",
		    stamp, (int)getpid(), log_level(pri), log_procname, msg);
		if (n > 0) {
			if ((size_t)n >= sizeof(fline)) {
				n = sizeof(fline) - 1;
				fline[n - 1] = '\n';
			}
			/* a failed write has nowhere to be said */
			w = write(log_fd, fline, n);
			(void)w;
		}
	}
	errno = saved_errno;
}

void
log_warn(const char *emsg, ...)
{
	char	 buf[1024];
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, emsg);
	if (emsg == NULL)
		logit(LOG_WARNING, "%s", strerror(saved_errno));
	else {
		vsnprintf(buf, sizeof(buf), emsg, ap);
		logit(LOG_WARNING, "%s: %s", buf, strerror(saved_errno));
	}
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_WARNING, emsg, ap);
	va_end(ap);
}

void
log_info(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_INFO, emsg, ap);
	va_end(ap);
}

void
log_debug(const char *emsg, ...)
{
	va_list	 ap;

	if (verbose) {
		va_start(ap, emsg);
		vlog(LOG_DEBUG, emsg, ap);
		va_end(ap);
	}
}

static void vfatalc(int, const char *, va_list)
	    __attribute__((__format__ (printf, 2, 0)));

static void
vfatalc(int code, const char *emsg, va_list ap)
{
	static char	 s[1024];
	const char	*sep;

	if (emsg != NULL) {
		(void)vsnprintf(s, sizeof(s), emsg, ap);
		sep = ": ";
	} else {
		s[0] = '\0';
		sep = "";
	}
	if (code)
		logit(LOG_CRIT, "fatal in %s: %s%s%s",
		    log_procname, s, sep, strerror(code));
	else
		logit(LOG_CRIT, "fatal in %s%s%s", log_procname, sep, s);
}

void
fatal(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vfatalc(errno, emsg, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vfatalc(0, emsg, ap);
	va_end(ap);
	exit(1);
}

/*
 * Text from outside (a servers file, Consul, AWS) as it may be logged:
 * at most LOG_VISIBLE_MAX bytes of it, every control byte escaped, "..."
 * when cut.  dst holds LOG_VISIBLE_LEN bytes.
 */
void
log_visible(char *dst, size_t len, const char *s, size_t n)
{
	size_t	 m = n > LOG_VISIBLE_MAX ? LOG_VISIBLE_MAX : n;

	if (len < m * 4 + 4) {
		if (len > 0)
			dst[0] = '\0';
		return;
	}
	strnvisx(dst, len, s, m, VIS_CSTYLE | VIS_NL | VIS_TAB | VIS_OCTAL);
	if (m < n)
		strlcat(dst, "...", len);
}

/*
 * The log's flood guard, for what vlog() writes: the same line again
 * is counted instead of written ("last message repeated N times"),
 * and past a burst the lines of a process are let through at a fixed
 * rate, the others counted and said in one line when the rate allows
 * again.  Debug lines (asked for) and fatal ones are never held back.
 * So that no input can make the log grow faster than LOGRL_BURST lines
 * at once and then LOGRL_RATE a second, per process, each line with
 * at most one line of counts before it.  Off until log_ratelimit(1):
 * the unit tests log as much as they like.  Kept apart from the rest of
 * this file on purpose: vlog() calls it in one place.
 */

#define LOGRL_BURST	100	/* lines at once */
#define LOGRL_RATE	5	/* lines a second after the burst */
#define LOGRL_REPEAT	30	/* seconds: a repeat count said at least */

static struct {
	int		 on;
	int		 in_note;	/* the counts line itself */
	char		 last[LOG_LINE_MAX];
	unsigned long	 repeated;
	time_t		 repeat_since;
	unsigned long	 dropped;
	double		 tokens;
	struct timespec	 refill;
	char		 held[LOG_LINE_MAX];	/* the latest not written */
	int		 held_pri;
	int		 armed;		/* the hook has a flush coming */
	void		(*hook)(long);
} rl;

void
log_ratelimit(int on)
{
	rl.on = on;
	rl.repeated = rl.dropped = 0;	/* a fresh start */
	rl.last[0] = '\0';
	rl.tokens = LOGRL_BURST;
	clock_gettime(CLOCK_MONOTONIC, &rl.refill);
}

static void
logrl_refill(void)
{
	struct timespec	 now;
	double		 d;

	clock_gettime(CLOCK_MONOTONIC, &now);
	d = (now.tv_sec - rl.refill.tv_sec) +
	    (now.tv_nsec - rl.refill.tv_nsec) / 1e9;
	if (d <= 0)
		return;
	rl.tokens += d * LOGRL_RATE;
	if (rl.tokens > LOGRL_BURST)
		rl.tokens = LOGRL_BURST;
	rl.refill = now;
}

/*
 * The counts held so far, as one line in note; they start again.
 * latest: the latest line held back is written right after it.
 */
static void
logrl_counts(char *note, size_t len, int latest)
{
	size_t	 n = 0;
	int	 r;

	note[0] = '\0';
	if (rl.repeated > 0) {
		r = snprintf(note, len, "last message repeated %lu time%s",
		    rl.repeated, rl.repeated > 1 ? "s" : "");
		if (r > 0)
			n = (size_t)r < len ? (size_t)r : len;
		rl.repeated = 0;
	}
	if (rl.dropped > 0 && n < len) {
		snprintf(note + n, len - n, "%s%lu line%s not logged (more "
		    "than %d at once, then %d a second)%s", n > 0 ? "; " : "",
		    rl.dropped, rl.dropped > 1 ? "s" : "", LOGRL_BURST,
		    LOGRL_RATE, latest ? "; the latest one follows" : "");
		rl.dropped = 0;
	}
}

/* Milliseconds until the rate lets a line through again. */
static long
logrl_wait_ms(void)
{
	if (rl.tokens >= 1)
		return (0);
	return ((long)((1 - rl.tokens) * 1000 / LOGRL_RATE) + 1);
}

static void
logrl_arm(void)
{
	if (rl.hook != NULL && !rl.armed) {
		rl.armed = 1;
		rl.hook(logrl_wait_ms());
	}
}

/*
 * Whether vlog() writes msg: 1 yes, 0 no.  note gets a line to write
 * first in either case (counts of what was held back), or "".
 */
int
log_admit(int pri, const char *msg, char *note, size_t notelen)
{
	time_t	 now;

	note[0] = '\0';
	if (!rl.on || rl.in_note || pri == LOG_DEBUG || pri <= LOG_CRIT)
		return (1);
	now = time(NULL);
	if (strcmp(msg, rl.last) == 0) {
		if (rl.repeated++ == 0)
			rl.repeat_since = now;
		/* a line repeated for ever is still counted now and then */
		if (now - rl.repeat_since >= LOGRL_REPEAT)
			logrl_counts(note, notelen, 0);
		return (0);
	}
	logrl_refill();
	if (rl.tokens < 1) {
		rl.dropped++;
		strlcpy(rl.held, msg, sizeof(rl.held));
		rl.held_pri = pri;
		logrl_arm();
		/* the repeats of the line before are not lost meanwhile */
		if (rl.repeated > 0 && now - rl.repeat_since >= LOGRL_REPEAT)
			logrl_counts(note, notelen, 0);
		return (0);
	}
	rl.tokens -= 1;
	strlcpy(rl.last, msg, sizeof(rl.last));
	logrl_counts(note, notelen, 0);
	return (1);
}

/* vlog() writes the counts line through itself: it is not held back. */
void
log_note(int in)
{
	rl.in_note = in;
}

/*
 * Lines held back are otherwise said only with the next line a process
 * logs, which may come much later: the error that mattered last would
 * wait in here.  A process with an event loop gives a hook that calls
 * log_held_flush() in the milliseconds asked; it is asked once for a
 * line held back, not for each.  NULL: no hook (a forked helper).
 */
void
log_held_hook(void (*hook)(long))
{
	rl.hook = hook;
	rl.armed = 0;
}

/* The counts, then the latest line held back, once the rate allows. */
void
log_held_flush(void)
{
	char	 note[256];

	rl.armed = 0;
	if (!rl.on || rl.dropped == 0)
		return;
	logrl_refill();
	if (rl.tokens < 1) {
		logrl_arm();
		return;
	}
	rl.tokens -= 1;
	rl.dropped--;			/* the latest one, written now */
	logrl_counts(note, sizeof(note), 1);
	strlcpy(rl.last, rl.held, sizeof(rl.last));
	log_note(1);
	if (note[0] != '\0')
		logit(LOG_WARNING, "%s", note);
	logit(rl.held_pri, "%s", rl.held);
	log_note(0);
}
