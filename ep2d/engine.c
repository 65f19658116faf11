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
 * The apply engine of the parent: it takes the server sets the fetcher
 * sends, and brings HAProxy to them: by rendering the template and a
 * validated hitless reload (update_by_config), or over HAProxy's
 * runtime socket (update_by_runtime, runtime.c), the file following.
 * It answers ep2ctl's questions about the backends and the applies.
 *
 * ep2.conf may name several backends ([haproxy] and [backend NAME]
 * sections): each has its own source in the fetcher, its own wanted
 * and applied sets and, in runtime mode, its own struct runtime; all
 * are rendered into the one haproxy.cfg.  Sets arriving close together
 * are applied together (APPLY_COALESCE_MS), one reload at most; only
 * where a reload is coming: a change that goes over the runtime socket
 * goes at once, and the file follows it a moment later (FOLLOW_MS),
 * once for a burst of changes.
 *
 * The fetcher's messages come here too (engine_from_fetcher): what
 * they carry is sets, and each ends by changing a backend's wanted set.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event.h>

#include "ep2d.h"
#include "apply.h"
#include "log.h"
#include "notify.h"
#include "engine.h"
#include "hapwatch.h"

#ifndef MINIMUM
#define MINIMUM(a, b)	(((a) < (b)) ? (a) : (b))
#endif

#define APPLY_COALESCE_MS	20	/* sets this close: one apply */
#define FOLLOW_MS		50	/* runtime changes, then the file */
#define BOOT_WAIT_SECS		10	/* a silent source at start */
#define TRIM_MIN_FREE		(256 * 1024)	/* freed bytes worth a trim */

static struct engine	 e;

/*
 * What the file that follows runtime changes was rendered from, the
 * last time haproxy.cfg was found equal to it or written from it: a
 * key of the render's input (every backend's slots as the template
 * sees them) and the file's stat.  A change HAProxy took over its
 * socket often leaves the rendering as it was (a server still warming
 * up is rendered disabled, as the free slot it took was; one taken
 * out while warming frees its slot the same way): then the file is
 * neither rendered nor read again.
 */
static struct {
	int		 valid;
	uint64_t	 key;
	struct stat	 st;
	pid_t		 pid;	/* HAProxy's, found by apply_haproxy_pid */
} followed;

static struct tmpl_backend *render_input(void);
static void		 render_input_free(struct tmpl_backend *);
static uint64_t		 render_key(const struct tmpl_backend *, int);
static int		 follow_needed(void);
static void		 followed_set(uint64_t);
static int		 followed_same(uint64_t);
static int		 followed_unchanged(uint64_t);
static int		 followed_haproxy(void);

static void		 runtime_applied(void);
static void		 want_reload(void);
static void		 follow_soon(void);
static int		 any_runtime(void);
static void		 render_and_check(int);
static void		 backends_init(void);
static void		 be_applied(struct pbackend *);
static void		 all_applied(void);
static void		 apply_retry_schedule(int, const char *);
static __dead void	 boot_failed(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
static void		 notify_status(void);
static void		 engine_runtime_done(struct runtime *, int);
static void		 engine_runtime_changed(struct runtime *);

/* what each backend's runtime tells the engine, and how it connects */
/* HAProxy's pid file was written: whoever started it, look. */
static void
engine_haproxy_moved(void)
{
	int	 i;

	followed.pid = 0;
	if (!hapwatch_active())
		runtime_watched(0);
	for (i = 0; i < e.nbe; i++)
		if (be_runtime(&e.be[i]))
			runtime_poke(&e.be[i].rt);
}

static struct runtime_cbs	 rt_cbs = {
	engine_runtime_done,
	engine_runtime_changed,
	NULL
};

/*
 * Once, before the event loop: every backend from conf.  The engine
 * keeps conf and the template the parent holds; connect is how the
 * runtime sockets get their connections (the connector).
 */
void
engine_init(const struct ep2_conf *conf, const char *tmpl, size_t tmpllen,
    int (*connect)(const char *, int *))
{
	e.conf = conf;
	e.tmpl = tmpl;
	e.tmpllen = tmpllen;
	rt_cbs.connect = connect;
	set_init(&e.incoming);
	backends_init();
	if (any_runtime() && hapwatch_init(conf->run.pid_file,
	    engine_haproxy_moved) == 0)
		runtime_watched(1);
}

/* What metrics.c reads. */
const struct engine *
engine_state(void)
{
	return (&e);
}

/*
 * The next apply reloads HAProxy even if haproxy.cfg is unchanged.  An
 * apply in flight took its input before this was asked, and its end
 * clears ap_force: the ask waits for the apply after it.
 */
static void
want_reload(void)
{
	if (e.ap_state == AP_IDLE)
		e.ap_force = 1;
	else
		e.ap_force_next = 1;
}

/*
 * SIGHUP, the new file read and its template checked (nconf, ntmpl):
 * -1 when a backend was renamed, which needs a restart.  Otherwise note
 * what the change asks of the next apply: a reload in runtime mode when
 * the file's own text changed, a reload in config mode anyway.
 */
int
engine_reconf_check(const struct ep2_conf *nconf, const char *ntmpl,
    size_t ntmpllen)
{
	const struct backend_conf *nview;
	struct pbackend	*b;
	int		 i;

	for (i = 0; i < e.nbe; i++) {
		nview = nconf->backends[i];
		b = &e.be[i];
		if (strcmp(nview->label, b->conf->label) != 0) {
			log_warnx("%s: backends renamed: restart ep2d to use "
			    "them; keeping the old configuration",
			    e.conf->conf_path);
			return (-1);
		}
		if (nview->update_type != b->conf->update_type ||
		    strcmp(nview->backend_name, b->conf->backend_name) != 0)
			log_warnx("update_type or backend_name changed: takes "
			    "effect with the next reload of HAProxy");
		/*
		 * In runtime mode a change to the file's own text (template,
		 * slots, check or maxconn settings) cannot go over the
		 * socket: it needs the validated reload.
		 */
		if (be_runtime(b) && e.bootstrapped &&
		    (ntmpllen != e.tmpllen || memcmp(ntmpl, e.tmpl,
		    ntmpllen) != 0 ||
		    nview->node_slots != b->conf->node_slots ||
		    nview->backend_maxconn != b->conf->backend_maxconn ||
		    strcmp(nview->check_interval, b->conf->check_interval) !=
		    0 || strcmp(nview->backend_name, b->conf->backend_name) !=
		    0))
			want_reload();
		if (nview->update_type == UPDATE_CONFIG)
			e.conf_dirty = 1;
	}
	return (0);
}

/*
 * SIGHUP, taken: the parent's conf and its backends hold the new file
 * (config_replace), tmpl is new.
 */
void
engine_reconf(const char *tmpl, size_t tmpllen)
{
	int	 i;

	e.tmpl = tmpl;
	e.tmpllen = tmpllen;
	followed.valid = 0;	/* the template or a key may differ */
	for (i = 0; i < e.nbe; i++)
		runtime_reconf(&e.be[i].rt, e.be[i].conf);
}

static void
set_apply_result(int ok, const char *how, const char *fmt, ...)
    __attribute__((__format__ (printf, 3, 4)));

static void
set_apply_result(int ok, const char *how, const char *fmt, ...)
{
	va_list	 ap;

	e.last_apply = time(NULL);
	e.apply_ok = ok;
	strlcpy(e.apply_how, how, sizeof(e.apply_how));
	va_start(ap, fmt);
	vsnprintf(e.apply_error, sizeof(e.apply_error), fmt, ap);
	va_end(ap);
	if (ok) {
		e.napplied++;
		if (strcmp(how, "runtime") == 0)
			e.applies_runtime++;
		else
			e.applies_reload++;
	} else
		e.apply_failures++;
	notify_status();
	metrics_file_write();
	apply_retry_schedule(ok, how);
	/*
	 * The sets, the rendering and the batches of this apply are freed:
	 * give them back once they add up (a big set).  A small change
	 * leaves a few pages: trimming them each time cost more CPU than
	 * the change (madvise, then page faults for the next one).
	 */
	if (mallinfo2().fordblks >= TRIM_MIN_FREE)
		malloc_trim(0);
}

/*
 * A failed write, install, start or reload (disk full, HAProxy gone...)
 * is tried again by itself, 1 s after the first failure and then twice
 * as late each time up to a minute, until it works or a new set comes.
 * A config that haproxy -c refused or a template that does not render
 * waits for a change instead: the same input fails the same way.
 */
static struct event	 ev_retry;
static int		 retry_init, retry_secs, retry_force;

static void
apply_retry(int fd, short event, void *arg)
{
	if (e.ap_state != AP_IDLE)
		return;
	log_info("trying the last failed apply again");
	if (retry_force)
		e.ap_force = 1;
	engine_apply();
}

static void
apply_retry_schedule(int ok, const char *how)
{
	struct timeval	 tv;

	if (!retry_init) {
		evtimer_set(&ev_retry, apply_retry, NULL);
		retry_init = 1;
	}
	if (ok || strcmp(how, "check") == 0 || strcmp(how, "render") == 0) {
		if (ok)
			retry_secs = 0;
		evtimer_del(&ev_retry);
		return;
	}
	retry_secs = retry_secs == 0 ? 1 : MINIMUM(retry_secs * 2, 60);
	retry_force = strcmp(how, "reload") == 0;
	timerclear(&tv);
	tv.tv_sec = retry_secs;
	evtimer_add(&ev_retry, &tv);
}

static void
notify_status(void)
{
	size_t	 wanted = 0, applied = 0;
	int	 i;

	for (i = 0; i < e.nbe; i++) {
		wanted += e.be[i].wanted.count;
		applied += e.be[i].applied.count;
	}
	(void)notify_send("STATUS=%zu servers wanted, %zu applied%s",
	    wanted, applied, e.apply_ok ? "" : " (last apply failed)");
}

int
be_runtime(const struct pbackend *b)
{
	return (b->conf->update_type == UPDATE_RUNTIME);
}

/* Every backend and its runtime, from e.conf's */
static void
backends_init(void)
{
	struct pbackend	*b;
	int		 i;

	e.nbe = e.conf->nbackends;
	if ((e.be = calloc(e.nbe, sizeof(*e.be))) == NULL)
		fatal("%s: calloc", __func__);
	for (i = 0; i < e.nbe; i++) {
		b = &e.be[i];
		b->idx = i;
		b->conf = e.conf->backends[i];
		set_init(&b->wanted);
		set_init(&b->applying);
		set_init(&b->applied);
		runtime_init(&b->rt, b->conf, &rt_cbs);
	}
}

/*
 * Render every backend and, when the result differs from haproxy.cfg
 * (or a reload is forced), have the reloader validate it; the install
 * and the reload follow in engine_result().  runtime_only: every change
 * in it went over the runtime socket already, the file only follows.
 */
static void
render_and_check(int runtime_only)
{
	struct tmpl_backend	*bes;
	char			*out = NULL;
	size_t			 outlen;
	uint64_t		 key;
	int			 r;

	bes = render_input();
	key = render_key(bes, e.nbe);
	if (runtime_only && followed_unchanged(key))
		r = 1;		/* the file on disk is this rendering */
	else
		r = template_render_backends(e.tmpl, e.tmpllen,
		    e.conf->template_file, bes, e.nbe, &out, &outlen);
	render_input_free(bes);
	if (r == 1) {
		log_debug("haproxy.cfg unchanged; nothing to do");
		all_applied();
		e.ap_state = AP_IDLE;
		return;
	}
	followed.valid = 0;
	if (r == -1 && !e.bootstrapped)
		boot_failed("the template does not render");
	if (r == -1) {
		set_apply_result(0, "render", "template render failed");
		e.ap_state = AP_IDLE;
		return;
	}
	if (!e.ap_force && apply_same_as_disk(e.conf->run.haproxy_config_file,
	    out, outlen) && apply_haproxy_pid(&e.conf->run) > 0) {
		log_debug("haproxy.cfg unchanged; nothing to do");
		free(out);
		followed_set(key);
		all_applied();
		e.ap_state = AP_IDLE;
		return;
	}
	if (apply_write_new(e.conf->run.haproxy_config_file, out,
	    outlen) == -1) {
		log_warn("write %s.new", e.conf->run.haproxy_config_file);
		set_apply_result(0, "write", "write %s.new: %s",
		    e.conf->run.haproxy_config_file, strerror(errno));
		free(out);
		e.ap_state = AP_IDLE;
		return;
	}
	free(out);
	if (runtime_only && e.bootstrapped && !e.ap_force &&
	    apply_haproxy_pid(&e.conf->run) > 0) {
		/*
		 * Every change in this file is live already: HAProxy took
		 * it over its runtime socket, so the file only follows (a
		 * restart finds the same servers).  No haproxy -c: it
		 * would cost more than the change itself and hold the
		 * next one back, and the file goes live only by a reload,
		 * which checks it first.
		 */
		if (apply_install(e.conf->run.haproxy_config_file) == -1) {
			log_warn("install %s", e.conf->run.haproxy_config_file);
			set_apply_result(0, "install", "rename: %s",
			    strerror(errno));
		} else {
			followed_set(key);
			log_debug("haproxy.cfg follows the runtime changes");
		}
		e.ap_state = AP_IDLE;
		return;
	}
	log_debug("haproxy.cfg.new: haproxy -c");
	e.ap_state = AP_CHECKING;
	if (parent_send(PROC_RELOADER, IMSG_HAPROXY_CHECK) == -1)
		fatal("%s: compose", __func__);
}

/*
 * What the template renders: every backend with its slots, as the
 * runtime has them or from the set being applied.
 */
static struct tmpl_backend *
render_input(void)
{
	struct tmpl_backend	*bes;
	struct pbackend		*b;
	struct tmpl_slot	*slots;
	size_t			 nslots;
	int			 i;

	if ((bes = calloc(e.nbe, sizeof(*bes))) == NULL)
		fatal("%s: calloc", __func__);
	for (i = 0; i < e.nbe; i++) {
		b = &e.be[i];
		slots = NULL;
		nslots = 0;
		if (be_runtime(b))
			runtime_slots(&b->rt, &slots, &nslots);
		else {
			if ((slots = apply_config_slots(&b->applying)) == NULL)
				fatal("%s: calloc", __func__);
			nslots = b->applying.count;
		}
		bes[i].be = b->conf;
		bes[i].slots = slots;
		bes[i].nslots = nslots;
	}
	return (bes);
}

static void
render_input_free(struct tmpl_backend *bes)
{
	int	 i;

	for (i = 0; i < e.nbe; i++)
		free((struct tmpl_slot *)bes[i].slots);
	free(bes);
}

/*
 * FNV-1a over what the template reads of each backend: its slots'
 * names and, for a slot rendered with its server, the address, port
 * and weight.
 */
static uint64_t
render_key(const struct tmpl_backend *bes, int nbe)
{
	const struct tmpl_slot	*sl;
	uint64_t		 h = 14695981039346656037ULL;
	size_t			 j, n;
	int			 i;

#define KEY_BYTES(p, len) do {						\
	const unsigned char *kp_ = (const unsigned char *)(p);		\
	size_t kn_;							\
	for (kn_ = 0; kn_ < (len); kn_++)				\
		h = (h ^ kp_[kn_]) * 1099511628211ULL;			\
} while (0)
	for (i = 0; i < nbe; i++) {
		n = bes[i].nslots;
		KEY_BYTES(&n, sizeof(n));
		for (j = 0; j < n; j++) {
			sl = &bes[i].slots[j];
			KEY_BYTES(sl->name, strnlen(sl->name,
			    sizeof(sl->name)) + 1);
			if (sl->srv == NULL) {
				KEY_BYTES("", 1);
				continue;
			}
			KEY_BYTES(sl->srv->host, strnlen(sl->srv->host,
			    sizeof(sl->srv->host)) + 1);
			KEY_BYTES(&sl->srv->port, sizeof(sl->srv->port));
			KEY_BYTES(&sl->srv->weight, sizeof(sl->srv->weight));
		}
	}
#undef KEY_BYTES
	return (h);
}

/* haproxy.cfg is, as of now, the rendering of key. */
static void
followed_set(uint64_t key)
{
	followed.valid = stat(e.conf->run.haproxy_config_file,
	    &followed.st) == 0;
	followed.key = key;
}

/* Is haproxy.cfg still the file rendered from key (no one replaced it)? */
static int
followed_same(uint64_t key)
{
	struct stat	 st;

	if (!followed.valid || followed.key != key ||
	    stat(e.conf->run.haproxy_config_file, &st) == -1)
		return (0);
	return (st.st_dev == followed.st.st_dev &&
	    st.st_ino == followed.st.st_ino &&
	    st.st_size == followed.st.st_size &&
	    st.st_mtim.tv_sec == followed.st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == followed.st.st_mtim.tv_nsec);
}

/*
 * A file that only follows the runtime needs no render: haproxy.cfg is
 * the rendering of key, and HAProxy runs it (no forced reload pending).
 */
static int
followed_unchanged(uint64_t key)
{
	return (e.bootstrapped && !e.ap_force && followed_same(key) &&
	    followed_haproxy());
}

/*
 * Is HAProxy running, for a file that only follows?  The pid
 * apply_haproxy_pid found last is taken while that process lives and
 * the pid file's watch has said nothing (engine_haproxy_moved forgets
 * it): one kill(pid, 0) instead of the pid file and two /proc files.
 */
static int
followed_haproxy(void)
{
	if (followed.pid > 0 && hapwatch_active() &&
	    (kill(followed.pid, 0) == 0 || errno == EPERM))
		return (1);
	followed.pid = apply_haproxy_pid(&e.conf->run);
	return (followed.pid > 0);
}

/* Did any backend in update_by_config get a new set? */
static int
config_changed(void)
{
	int	 i;

	for (i = 0; i < e.nbe; i++)
		if (!be_runtime(&e.be[i]) &&
		    !set_equal(&e.be[i].applying, &e.be[i].applied))
			return (1);
	return (0);
}

static int
any_runtime(void)
{
	int	 i;

	for (i = 0; i < e.nbe; i++)
		if (be_runtime(&e.be[i]))
			return (1);
	return (0);
}

void
engine_apply(void)
{
	struct pbackend	*b;
	int		 i, r;

	for (i = 0; i < e.nbe; i++)
		if (!e.be[i].have_wanted)
			return;		/* bootstrap: every source answers */
	if (e.ap_state != AP_IDLE) {
		e.ap_pending = 1;
		return;
	}
	e.ap_pending = 0;
	if (e.ap_force_next) {
		e.ap_force = 1;
		e.ap_force_next = 0;
	}
	for (i = 0; i < e.nbe; i++)
		if (set_copy(&e.be[i].applying, &e.be[i].wanted) == -1)
			fatal("set_copy");

	if (!e.bootstrapped) {
		/* EP2's bootstrap: render, then start or reload */
		e.ap_force = 1;
		for (i = 0; i < e.nbe; i++)
			if (be_runtime(&e.be[i]))
				runtime_bootstrap(&e.be[i].rt,
				    &e.be[i].applying);
		render_and_check(0);
		return;
	}
	if (e.ap_force || !any_runtime()) {
		render_and_check(0);
		return;
	}
	/* runtime backends first; the file (and a reload) after */
	e.nrt_pending = 0;
	for (i = 0; i < e.nbe; i++) {
		b = &e.be[i];
		b->rt_pending = 0;
		if (!be_runtime(b))
			continue;
		r = runtime_apply(&b->rt, &b->applying);
		b->rt_result = r;
		if (r == RUNTIME_PENDING) {
			b->rt_pending = 1;
			e.nrt_pending++;
		}
	}
	if (e.nrt_pending > 0) {
		e.ap_state = AP_RUNTIME;
		return;
	}
	runtime_applied();
}

/* Every runtime apply is over: record, then the file follows. */
static void
runtime_applied(void)
{
	struct pbackend	*b;
	int		 i, reload = 0, ok = 0;

	for (i = 0; i < e.nbe; i++) {
		b = &e.be[i];
		if (!be_runtime(b))
			continue;
		if (b->rt_result != 0) {
			if (b->rt_result == -1)
				log_warnx("runtime update of %s failed; "
				    "falling back to a validated reload",
				    b->conf->backend_name);
			reload = 1;
			continue;
		}
		if (e.nbe == 1 || !set_equal(&b->applied, &b->applying)) {
			b->last_change = time(NULL);
			b->napplied++;
		}
		if (set_copy(&b->applied, &b->applying) == -1)
			fatal("set_copy");
		be_applied(b);
		ok = 1;
	}
	if (reload) {
		e.ap_force = 1;
		render_and_check(0);
		return;
	}
	if (ok)
		set_apply_result(1, "runtime", "%s", "");
	if (config_changed() || e.conf_dirty)
		render_and_check(0);
	else
		follow_soon();
}

/*
 * Keep the file on disk equal to the running state, off the path of
 * the change: HAProxy has it already, and the next change should not
 * wait behind a render and an fsync.
 */
static void
follow(int fd, short event, void *arg)
{
	e.following = 0;
	if (e.ap_state != AP_IDLE)
		return;		/* that apply ends here again */
	render_and_check(!config_changed() && !e.conf_dirty);
	if (e.ap_state == AP_IDLE && e.ap_pending)
		engine_apply();
}

/*
 * Would follow() render anything?  Most runtime changes leave the
 * rendering as it was (see followed): that is known now, from the key
 * and a stat, so no timer wakes the parent 50 ms later to find it out.
 */
static int
follow_needed(void)
{
	struct tmpl_backend	*bes;
	uint64_t		 key;

	if (!followed.valid || e.ap_state != AP_IDLE)
		return (1);
	bes = render_input();
	key = render_key(bes, e.nbe);
	render_input_free(bes);
	return (!followed_unchanged(key));
}

static void
follow_soon(void)
{
	struct timeval	 tv;

	if (e.following)
		return;		/* that one renders the latest */
	if (!follow_needed()) {
		log_debug("haproxy.cfg unchanged; nothing to do");
		all_applied();
		return;
	}
	evtimer_set(&e.ev_follow, follow, NULL);
	timerclear(&tv);
	tv.tv_usec = FOLLOW_MS * 1000;
	evtimer_add(&e.ev_follow, &tv);
	e.following = 1;
}

static struct pbackend *
be_of_rt(struct runtime *rt)
{
	int	 i;

	for (i = 0; i < e.nbe; i++)
		if (&e.be[i].rt == rt)
			return (&e.be[i]);
	return (NULL);
}

static void
engine_runtime_done(struct runtime *rt, int r)
{
	struct pbackend	*b;

	if (e.ap_state != AP_RUNTIME || (b = be_of_rt(rt)) == NULL ||
	    !b->rt_pending) {
		log_warnx("%s: no runtime apply in progress", __func__);
		return;
	}
	b->rt_pending = 0;
	b->rt_result = r;
	if (--e.nrt_pending > 0)
		return;
	e.ap_state = AP_IDLE;
	runtime_applied();
	if (e.ap_state == AP_IDLE && e.ap_pending)
		engine_apply();
}

/* Slots changed on their own (a drained server left): disk follows. */
static void
engine_runtime_changed(struct runtime *rt)
{
	int	 i;

	if (!e.bootstrapped || be_of_rt(rt) == NULL)
		return;
	if (e.ap_state != AP_IDLE) {
		e.ap_pending = 1;
		return;
	}
	for (i = 0; i < e.nbe; i++)
		if (set_copy(&e.be[i].applying, &e.be[i].applied) == -1)
			fatal("set_copy");
	if (e.conf_dirty)
		render_and_check(0);
	else
		follow_soon();
}

/*
 * The first apply failed where trying again cannot help: the template
 * or haproxy -c refuses what the start renders, or HAProxy, not
 * running before, would not start.  Nothing serves through ep2d and
 * under systemd the start would wait for its timeout: say why, exit.
 * A HAProxy that runs (started before ep2d) is not touched.
 */
static void
boot_failed(const char *fmt, ...)
{
	char	 msg[EP2D_ERR_MAX + 128];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logit(LOG_ERR, "cannot start: %s", msg);
	(void)notify_send("STATUS=cannot start: %s", msg);
	parent_shutdown(1);
}

void
engine_result(struct haproxy_result *res)
{
	struct pbackend	*b;
	size_t		 total = 0;
	int		 i, changed;

	res->msg[sizeof(res->msg) - 1] = '\0';
	switch (res->cmd) {
	case IMSG_HAPROXY_CHECK:
		if (e.ap_state != AP_CHECKING)
			break;
		if (res->status != 0) {
			log_warnx("new haproxy configuration refused by "
			    "haproxy -c; the running HAProxy is untouched: %s",
			    res->msg);
			apply_discard(e.conf->run.haproxy_config_file);
			if (!e.bootstrapped)
				boot_failed("the first haproxy.cfg was refused "
				    "by haproxy -c (ep2d -n shows where in the "
				    "template)");
			set_apply_result(0, "check", "haproxy -c: %s",
			    res->msg);
			e.ap_force = 0;
			e.ap_state = AP_IDLE;
			break;
		}
		if (apply_install(e.conf->run.haproxy_config_file) == -1) {
			log_warn("install %s", e.conf->run.haproxy_config_file);
			set_apply_result(0, "install", "rename: %s",
			    strerror(errno));
			e.ap_state = AP_IDLE;
			break;
		}
		e.ap_state = AP_RELOADING;
		e.was_running = apply_haproxy_pid(&e.conf->run) > 0;
		if (parent_send(PROC_RELOADER, IMSG_HAPROXY_RELOAD) == -1)
			fatal("%s: compose", __func__);
		break;
	case IMSG_HAPROXY_RELOAD:
		if (e.ap_state != AP_RELOADING)
			break;
		e.ap_state = AP_IDLE;
		e.ap_force = 0;
		if (res->status != 0) {
			if (!e.bootstrapped && !e.was_running)
				boot_failed("HAProxy did not start: %s",
				    res->msg[0] != '\0' ? res->msg :
				    "it gave no reason");
			log_warnx("haproxy start/reload failed: %s", res->msg);
			set_apply_result(0, "reload", "%s", res->msg);
			break;
		}
		e.conf_dirty = 0;
		for (i = 0; i < e.nbe; i++) {
			b = &e.be[i];
			changed = !set_equal(&b->applied, &b->applying);
			if (set_copy(&b->applied, &b->applying) == -1)
				fatal("set_copy");
			if (changed || e.nbe == 1) {
				b->last_change = time(NULL);
				b->napplied++;
			}
			if (be_runtime(b))
				runtime_reloaded(&b->rt);
			be_applied(b);
			total += b->applied.count;
		}
		log_info("haproxy %s with %zu servers (pid %d)",
		    e.was_running ? "reloaded" : "started", total,
		    (int)res->pid);
		set_apply_result(1, "reload", "%s", "");
		if (!e.bootstrapped) {
			e.bootstrapped = 1;
			(void)notify_send("READY=1");
		}
		break;
	}
	if (e.ap_state == AP_IDLE && e.ap_pending)
		engine_apply();
}

/* Sets that arrive together are applied together. */
static void
apply_coalesced(int fd, short event, void *arg)
{
	e.coalescing = 0;
	engine_apply();
}

/* A backend in update_by_config has a new set: a reload is coming. */
static int
reload_coming(void)
{
	int	 i;

	for (i = 0; i < e.nbe; i++)
		if (!be_runtime(&e.be[i]) &&
		    !set_equal(&e.be[i].wanted, &e.be[i].applied))
			return (1);
	return (0);
}

static void
apply_soon(void)
{
	struct timeval	 tv;

	/*
	 * One source sends one set at a time; and a change that goes
	 * over the runtime socket saves no reload by waiting.
	 */
	if (e.nbe == 1 || (e.bootstrapped && !e.coalescing &&
	    !reload_coming())) {
		engine_apply();
		return;
	}
	if (e.coalescing)
		return;
	evtimer_set(&e.ev_coalesce, apply_coalesced, NULL);
	timerclear(&tv);
	tv.tv_usec = APPLY_COALESCE_MS * 1000;
	evtimer_add(&e.ev_coalesce, &tv);
	e.coalescing = 1;
}

/*
 * At start every backend waits for its source's first answer, so that
 * HAProxy is not reloaded once per source.  A source that says nothing
 * for BOOT_WAIT_SECS does not hold the others: its backend starts
 * empty until it answers.
 */
static void
boot_timeout(int fd, short event, void *arg)
{
	struct pbackend	*b;
	int		 i;

	e.boot_waiting = 0;
	for (i = 0; i < e.nbe; i++) {
		b = &e.be[i];
		if (b->have_wanted)
			continue;
		log_warnx("backend %s: no answer from its %s source after "
		    "%d s; starting it with no servers", b->conf->backend_name,
		    config_orchestrator_name(b->conf->orchestrator),
		    BOOT_WAIT_SECS);
		set_clear(&b->wanted);
		b->have_wanted = 1;
	}
	apply_soon();
}

static void
boot_wait(void)
{
	struct timeval	 tv;

	if (e.bootstrapped || e.boot_waiting || e.nbe < 2)
		return;
	evtimer_set(&e.ev_boot, boot_timeout, NULL);
	timerclear(&tv);
	tv.tv_sec = BOOT_WAIT_SECS;
	evtimer_add(&e.ev_boot, &tv);
	e.boot_waiting = 1;
}

/*
 * A message of the fetcher's that fits nowhere (a server or an end
 * outside a set, an unknown type): the first of each kind is logged,
 * then the count at every power of ten, so that a flood of them is a
 * few lines.
 */
static void
parent_stray(enum stray kind, uint32_t type)
{
	static const char	*what[STRAY_MAX] = {
		"a server outside a set",
		"the end of a set never begun",
		"a message of unknown type"
	};
	uint64_t		 n;

	n = ++e.stray[kind];
	if (n == 1) {
		log_warnx("fetcher: %s (imsg %u); ignored", what[kind], type);
		return;
	}
	while (n % 10 == 0)
		n /= 10;
	if (n == 1)
		log_warnx("fetcher: %llu times %s so far; ignored",
		    (unsigned long long)e.stray[kind], what[kind]);
}

/* The servers wanted by every backend but one (EP2D_MAX_TOTAL). */
static size_t
parent_total(uint32_t but)
{
	size_t	 n = 0;
	int	 i;

	for (i = 0; i < e.nbe; i++)
		if ((uint32_t)i != but && e.be[i].have_wanted)
			n += e.be[i].wanted.count;
	return (n);
}

/*
 * IMSG_SET_BEGIN: a set for one backend opens; an open one without its
 * end is dropped.
 */
static void
fetcher_set_begin(struct imsg *imsg)
{
	struct set_begin	 sb;

	if (e.incoming_open)
		log_warnx("fetcher: set %u without its end; dropped",
		    e.incoming_gen);
	if (imsg_get_data(imsg, &sb, sizeof(sb)) == -1 ||
	    sb.backend >= (uint32_t)e.nbe ||
	    sb.count > EP2D_MAX_SERVERS) {
		log_warnx("fetcher: bad set header; set dropped");
		e.incoming_open = 0;
		return;
	}
	set_clear(&e.incoming);
	e.incoming_be = sb.backend;
	e.incoming_gen = imsg_get_id(imsg);
	e.incoming_count = sb.count;
	refused_init(&e.incoming_bad);
	e.incoming_open = 1;
}

/* IMSG_SET_SERVER: one server of the open set, or a line refusing it. */
static void
fetcher_set_server(struct imsg *imsg)
{
	struct server		 srv;
	char			 shown[LOG_VISIBLE_LEN];

	if (!e.incoming_open || imsg_get_id(imsg) != e.incoming_gen) {
		parent_stray(STRAY_SERVER, imsg_get_type(imsg));
		return;
	}
	if (imsg_get_data(imsg, &srv, sizeof(srv)) == -1) {
		refused_add(&e.incoming_bad, "a server message of %zu "
		    "bytes, not %zu", imsg_get_len(imsg), sizeof(srv));
		return;
	}
	srv.host[sizeof(srv.host) - 1] = '\0';
	if (!addr_valid_host(srv.host) || srv.port == 0 ||
	    (srv.weight > EP2D_WEIGHT_MAX &&
	    srv.weight != EP2D_WEIGHT_ZERO) ||
	    set_add(&e.incoming, srv.host, srv.port) == -1) {
		log_visible(shown, sizeof(shown), srv.host,
		    strlen(srv.host));
		refused_add(&e.incoming_bad, "\"%s\" port %u weight "
		    "%u", shown, srv.port, srv.weight);
		return;
	}
	e.incoming.servers[e.incoming.count - 1].weight = srv.weight;
}

/*
 * IMSG_SET_END: the open set is whole when its count matches; it then
 * becomes the backend's wanted set and an apply is scheduled.
 */
static void
fetcher_set_end(struct imsg *imsg)
{
	struct pbackend		*b;
	char			 text[LOG_LINE_MAX];
	uint32_t		 count;

	if (!e.incoming_open || imsg_get_id(imsg) != e.incoming_gen) {
		parent_stray(STRAY_END, imsg_get_type(imsg));
		return;
	}
	e.incoming_open = 0;
	if (imsg_get_data(imsg, &count, sizeof(count)) == -1 ||
	    count != e.incoming_count ||
	    count != e.incoming.count ||
	    e.incoming_bad.count > 0) {
		/* one line for the set, however many it refused */
		refused_text(&e.incoming_bad, "fetcher", "server",
		    text, sizeof(text));
		log_warnx("fetcher: set %u incomplete or invalid "
		    "(%zu of %u servers taken)%s%s; dropped, keeping "
		    "the current servers", e.incoming_gen,
		    e.incoming.count, e.incoming_count,
		    text[0] != '\0' ? ": " : "",
		    text[0] != '\0' ? text + strlen("fetcher: ") :
		    "");
		set_free(&e.incoming);
		return;
	}
	b = &e.be[e.incoming_be];
	set_sort(&e.incoming);
	if (e.incoming.count == 0 && e.conf->keep_on_empty) {
		/* EP2 kept its servers on an empty answer */
		if (!b->empty_kept && b->have_wanted)
			log_warnx("orchestrator answered an empty set "
			    "for backend %s: keeping its %zu server%s "
			    "(keep_on_empty)", b->conf->backend_name,
			    b->wanted.count, b->wanted.count == 1 ? "" :
			    "s");
		else if (!b->empty_kept)
			log_warnx("orchestrator answered an empty set "
			    "for backend %s: waiting for servers "
			    "before HAProxy is started or reloaded "
			    "(keep_on_empty)", b->conf->backend_name);
		b->empty_kept = 1;
		set_free(&e.incoming);
		return;
	}
	b->empty_kept = 0;
	if (b->have_wanted && set_equal(&b->wanted, &e.incoming)) {
		set_free(&e.incoming);
		return;
	}
	if (parent_total(e.incoming_be) + e.incoming.count >
	    EP2D_MAX_TOTAL) {
		log_warnx("backend %s: %zu servers would make %zu in "
		    "all backends, more than %d; refused, the last "
		    "good set stays", b->conf->backend_name,
		    e.incoming.count, parent_total(e.incoming_be) +
		    e.incoming.count, EP2D_MAX_TOTAL);
		set_free(&e.incoming);
		return;
	}
	/* the new set becomes the wanted one: moved, not copied */
	set_free(&b->wanted);
	b->wanted = e.incoming;
	set_init(&e.incoming);
	b->have_wanted = 1;
	if (!b->pending) {
		clock_gettime(CLOCK_MONOTONIC, &b->pending_since);
		b->pending = 1;
	}
	if (e.nbe == 1)
		log_info("orchestrator: %zu servers",
		    b->wanted.count);
	else
		log_info("orchestrator: %zu servers for backend %s",
		    b->wanted.count, b->conf->backend_name);
	if (b->wanted.count == 0)
		log_warnx("orchestrator answered an empty set: "
		    "the backend %s will have no servers",
		    b->conf->backend_name);
	boot_wait();
	apply_soon();
}

/* IMSG_SOURCE_STATE: a source failing or recovered; its set stays. */
static void
fetcher_source_state(struct imsg *imsg)
{
	struct source_state	 st;

	if (imsg_get_data(imsg, &st, sizeof(st)) == -1 ||
	    st.backend >= (uint32_t)e.nbe) {
		log_warnx("fetcher: bad source state");
		return;
	}
	st.error[sizeof(st.error) - 1] = '\0';
	e.be[st.backend].source = st;
	if (!st.ok)
		e.be[st.backend].source_errors++;
}

/* The fetcher's messages: untrusted, checked field by field. */
void
engine_from_fetcher(struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_SET_BEGIN:
		fetcher_set_begin(imsg);
		break;
	case IMSG_SET_SERVER:
		fetcher_set_server(imsg);
		break;
	case IMSG_SET_END:
		fetcher_set_end(imsg);
		break;
	case IMSG_SOURCE_STATE:
		fetcher_source_state(imsg);
		break;
	case IMSG_HOOK_WATCH:
		hookwatch_msg(imsg);	/* hookwatch.c */
		break;
	default:
		parent_stray(STRAY_UNKNOWN, imsg_get_type(imsg));
		break;
	}
}

/* What control.c asks: one row per backend. */
size_t
parent_ctl_status(struct ctl_status **rows)
{
	struct ctl_status	*st, *r;
	struct pbackend		*b;
	int			 i;
	pid_t			 pid;

	if ((r = calloc(e.nbe, sizeof(*r))) == NULL) {
		*rows = NULL;
		return (0);
	}
	pid = apply_haproxy_pid(&e.conf->run);
	for (i = 0; i < e.nbe; i++) {
		b = &e.be[i];
		st = &r[i];
		strlcpy(st->backend, b->conf->backend_name,
		    sizeof(st->backend));
		strlcpy(st->orchestrator,
		    config_orchestrator_name(b->conf->orchestrator),
		    sizeof(st->orchestrator));
		strlcpy(st->update_type,
		    config_update_type_name(b->conf->update_type),
		    sizeof(st->update_type));
		st->source_ok = b->source.ok;
		st->last_fetch = b->source.last_fetch;
		st->last_ok = b->source.last_ok;
		st->failing_since = b->source.failing_since;
		strlcpy(st->source_error, b->source.error,
		    sizeof(st->source_error));
		st->nservers = b->wanted.count;
		st->nslots = be_runtime(b) ? runtime_nslots(&b->rt) :
		    b->applied.count;
		st->last_apply = e.last_apply;
		st->apply_ok = e.apply_ok;
		strlcpy(st->apply_how, e.apply_how, sizeof(st->apply_how));
		strlcpy(st->apply_error, e.apply_error,
		    sizeof(st->apply_error));
		st->haproxy_pid = pid;
		st->started = parent_started();
		st->napplied = e.nbe == 1 ? e.napplied : b->napplied;
		strlcpy(st->version, EP2D_VERSION, sizeof(st->version));
	}
	*rows = r;
	return (e.nbe);
}

size_t
parent_ctl_slots(struct ctl_slot **rows)
{
	struct ctl_slot	*r = NULL, *part, *nr;
	struct pbackend	*b;
	size_t		 n = 0, k, i;
	int		 j;

	for (j = 0; j < e.nbe; j++) {
		b = &e.be[j];
		part = NULL;
		if (be_runtime(b))
			k = runtime_ctl_slots(&b->rt, &part);
		else {
			k = b->applied.count;
			if ((part = calloc(k ? k : 1, sizeof(*part))) == NULL)
				k = 0;
			for (i = 0; i < k; i++) {
				strlcpy(part[i].backend, b->conf->backend_name,
				    sizeof(part[i].backend));
				snprintf(part[i].name, sizeof(part[i].name),
				    "node%zu", i + 1);
				strlcpy(part[i].host,
				    b->applied.servers[i].host,
				    sizeof(part[i].host));
				part[i].port = b->applied.servers[i].port;
				strlcpy(part[i].state, "ready",
				    sizeof(part[i].state));
			}
		}
		if (k > 0) {
			if ((nr = reallocarray(r, n + k, sizeof(*r))) ==
			    NULL) {
				free(part);
				break;
			}
			r = nr;
			memcpy(r + n, part, k * sizeof(*r));
			n += k;
		}
		free(part);
	}
	if (r == NULL)
		r = calloc(1, sizeof(*r));
	*rows = r;
	return (r == NULL ? 0 : n);
}

size_t
parent_ctl_backends(struct ctl_backend **rows)
{
	struct ctl_backend	*r;
	struct pbackend		*b;
	int			 i;

	if ((r = calloc(e.nbe, sizeof(*r))) == NULL) {
		*rows = NULL;
		return (0);
	}
	for (i = 0; i < e.nbe; i++) {
		b = &e.be[i];
		strlcpy(r[i].backend, b->conf->backend_name,
		    sizeof(r[i].backend));
		strlcpy(r[i].orchestrator,
		    config_orchestrator_name(b->conf->orchestrator),
		    sizeof(r[i].orchestrator));
		strlcpy(r[i].update_type,
		    config_update_type_name(b->conf->update_type),
		    sizeof(r[i].update_type));
		r[i].wanted = b->wanted.count;
		r[i].live = b->applied.count;
		r[i].last_change = b->last_change;
		r[i].source_ok = b->source.ok;
	}
	*rows = r;
	return (e.nbe);
}

int
parent_ctl_reload(char *err, size_t errlen)
{
	int	 i, have = 1;

	for (i = 0; i < e.nbe; i++)
		if (!e.be[i].have_wanted)
			have = 0;
	if (!have) {
		snprintf(err, errlen, "no server set from the orchestrator "
		    "yet");
		return (-1);
	}
	want_reload();
	engine_apply();
	return (0);
}

int
parent_ctl_sync(char *err, size_t errlen)
{
	int	 i;

	if (parent_send(PROC_FETCHER, IMSG_FETCH_NOW) == -1) {
		snprintf(err, errlen, "fetcher: %s", strerror(errno));
		return (-1);
	}
	/* and HAProxy's side: what was changed by hand is put back */
	for (i = 0; i < e.nbe; i++)
		if (be_runtime(&e.be[i]))
			runtime_poke(&e.be[i].rt);
	return (0);
}

/* haproxy.cfg as it is holds what every backend applies: applied. */
static void
all_applied(void)
{
	int	 i;

	for (i = 0; i < e.nbe; i++) {
		if (set_copy(&e.be[i].applied, &e.be[i].applying) == -1)
			fatal("set_copy");
		be_applied(&e.be[i]);
	}
}

/* The backend's applied set caught up with its wanted one: how long. */
static void
be_applied(struct pbackend *b)
{
	struct timespec	 now;
	double		 d;
	int		 i;

	if (!b->pending || !set_equal(&b->applied, &b->wanted))
		return;
	b->pending = 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	d = (double)(now.tv_sec - b->pending_since.tv_sec) +
	    (double)(now.tv_nsec - b->pending_since.tv_nsec) / 1e9;
	if (d < 0)
		d = 0;
	for (i = 0; i < METRICS_NBUCKETS - 1; i++)
		if (d <= metrics_le[i])
			break;
	b->hist[i]++;
	b->hist_sum += d;
	b->hist_count++;
}
