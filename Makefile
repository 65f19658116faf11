# ep2d: keep HAProxy's backends in step with an orchestrator.
# Plain GNU make and pkg-config, Debian 12.

# Every installed path follows these; the same values serve the build
# (compiled-in defaults) and make install.  ep2d finds its fetcher in
# libexec/ep2d beside the sbin it was installed in, whatever PREFIX the
# build had.
PREFIX	?= /usr/local
DESTDIR	?=
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/ep2d
SYSCONFDIR ?= /etc
LIBEXECDIR ?= $(PREFIX)/libexec/ep2d
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

CC	?= cc
# libevent_core: the event loop only; libevent is core and extra (HTTP,
# DNS, RPC), which nothing here calls, mapped in every process.
PKGS	 = libevent_core libcurl json-c expat libbsd-overlay libbsd-ctor \
	   libcrypto libsystemd
# Asked when a recipe runs, not when this file is read: on a fresh
# machine the packages arrive by make deps, after the Makefile was read.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The fetcher loads libcurl and libcrypto only when a source needs them
# (ep2d/curl_dl.c): they are not on its link line, so that nothing in
# it binds to them at start.
FETCHER_PKGS = $(filter-out libcurl libcrypto,$(PKGS))
FETCHER_LIBS = $(shell pkg-config --libs $(FETCHER_PKGS) 2>/dev/null)

CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	   -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
	   -Wformat=2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
	   -D_GNU_SOURCE -Icommon -Iep2d $(PKG_CFLAGS)
# A section per function and object, so that --gc-sections leaves out
# of each program what it never calls (the fetcher links the parent's
# objects too): text every process maps and pages in.
CFLAGS	+= -ffunction-sections -fdata-sections
# --as-needed: each program keeps only the libraries it calls, so that
# libcurl and its twenty-odd libraries load in the fetcher alone (and
# there only for a source that makes requests, see FETCHER_LIBS).
LDFLAGS	+= -pie -Wl,-z,relro,-z,now -Wl,--as-needed -Wl,--gc-sections
LDLIBS	+= $(PKG_LIBS)

ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all

COMMON_SRCS = $(sort $(wildcard common/*.c))
EP2D_SRCS   = $(sort $(filter-out ep2d/ep2d.c ep2d/fetcher_main.c \
	      ep2d/curl_dl.c, $(wildcard ep2d/*.c)))
EP2CTL_SRCS = $(sort $(wildcard ep2ctl/*.c))
UNIT_SRCS   = $(sort $(wildcard regress/unit/*.c))
UNIT_BINS   = $(UNIT_SRCS:.c=)
ASAN_UNIT_BINS = $(addprefix obj-asan/,$(UNIT_BINS))

COMMON_OBJS = $(COMMON_SRCS:.c=.o)
EP2D_OBJS   = $(EP2D_SRCS:.c=.o)
EP2CTL_OBJS = $(EP2CTL_SRCS:.c=.o)

DEBS	= build-essential pkg-config libevent-dev libcurl4-openssl-dev \
	  libjson-c-dev libexpat1-dev libbsd-dev libssl-dev libsystemd-dev \
	  haproxy mandoc curl wrk python3 procps socat iproute2 clang \
	  perl systemd logrotate dbus-daemon python3-dbus python3-gi \
	  git debootstrap systemd-container debhelper dpkg-dev lintian \
	  dnsmasq-base

.PHONY: all check unit asan lint install uninstall deps demo bench fuzz clean \
	testuser deb pkgcheck fuzz-run

all: pkgcheck ep2d/ep2d ep2d/ep2d-fetcher ep2ctl/ep2ctl

# One clear line instead of a compiler error when a library is missing.
pkgcheck:
	@pkg-config --exists $(PKGS) 2>/dev/null || { \
	    echo "missing build dependencies (pkg-config: $(PKGS));" \
	    "run make deps"; exit 1; }

common/libcommon.a: $(COMMON_OBJS)
	rm -f $@ && ar rcs $@ $^

ep2d/libep2d.a: $(EP2D_OBJS)
	rm -f $@ && ar rcs $@ $^

ep2d/ep2d: ep2d/ep2d.o ep2d/libep2d.a common/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

ep2d/ep2d-fetcher: ep2d/fetcher_main.o ep2d/curl_dl.o ep2d/libep2d.a \
    common/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(FETCHER_LIBS)

ep2d/proc.o: CFLAGS += -DEP2D_LIBEXECDIR=\"$(LIBEXECDIR)\"
# The version, in one place: the top entry of debian/changelog.
VERSION	:= $(shell awk -F'[()]' 'NR == 1 { print $$2 }' debian/changelog)
ep2d/ep2d.o ep2d/engine.o ep2d/control.o ep2ctl/ep2ctl.o: \
    CFLAGS += -DEP2D_VERSION=\"$(VERSION)\"
ep2d/ep2d.o ep2d/engine.o ep2d/control.o ep2ctl/ep2ctl.o: debian/changelog

ep2ctl/ep2ctl: $(EP2CTL_OBJS) common/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

%.o: %.c common/*.h ep2d/*.h $(wildcard ep2ctl/*.h)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Each unit test names the objects it needs in regress/unit/NAME.mk
# (NAME_OBJS = ...), so that it builds while other parts are in progress.
-include $(wildcard regress/unit/*.mk)
.SECONDEXPANSION:
.SECONDARY:

regress/unit/%: regress/unit/%.c $$(%_OBJS) regress/tap.h
	$(CC) $(CFLAGS) -Iregress $(LDFLAGS) -o $@ $< $(filter %.o,$^) \
	    $(LDLIBS)

# The unit tests again under AddressSanitizer and UBSan, from their own
# objects so that the daemon's build is not touched.
obj-asan/%.o: %.c common/*.h ep2d/*.h $(wildcard ep2ctl/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

obj-asan/regress/unit/%: regress/unit/%.c $$(addprefix obj-asan/,$$(%_OBJS)) \
    regress/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -Iregress -o $@ $< $(filter %.o,$^) \
	    $(LDLIBS)

# Fuzz harnesses (regress/fuzz/fuzz_NAME.c, objects in fuzz_NAME.mk):
# linked with replay.c under ASan for make check (the corpora replayed),
# and with libFuzzer by clang for make fuzz.
FUZZ_SRCS   = $(sort $(wildcard regress/fuzz/fuzz_*.c))
FUZZ_NAMES  = $(notdir $(FUZZ_SRCS:.c=))
REPLAY_BINS = $(addprefix obj-asan/regress/fuzz/,$(FUZZ_NAMES))
FUZZ_BINS   = $(addprefix obj-fuzz/regress/fuzz/,$(FUZZ_NAMES))
FUZZTIME   ?= 60
FUZZ_CC    ?= clang
FUZZ_FLAGS  = -fsanitize=fuzzer-no-link,address,undefined \
	      -fno-omit-frame-pointer -fno-sanitize-recover=all

-include $(wildcard regress/fuzz/*.mk)

obj-asan/regress/fuzz/%: regress/fuzz/%.c obj-asan/regress/fuzz/replay.o \
    $$(addprefix obj-asan/,$$(%_OBJS)) regress/fuzz/fuzz.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -Iregress/fuzz -o $@ $< \
	    $(filter %.o,$^) $(LDLIBS)

obj-fuzz/%.o: %.c common/*.h ep2d/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_FLAGS) -c -o $@ $<

obj-fuzz/regress/fuzz/%: regress/fuzz/%.c \
    $$(addprefix obj-fuzz/,$$(%_OBJS)) regress/fuzz/fuzz.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -Iregress/fuzz \
	    -o $@ $< $(filter %.o,$^) $(LDLIBS)

# Each harness for FUZZTIME seconds; new inputs go to obj-fuzz/corpus,
# the seeds in regress/fuzz/corpus stay as they are.  Crashes are left
# as obj-fuzz/crash-* and fail the target.
fuzz: deps
	$(MAKE) fuzz-run

fuzz-run: $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
	    c=obj-fuzz/corpus/$${n#fuzz_}; mkdir -p $$c; \
	    echo "== $$n ($(FUZZTIME) s)"; \
	    obj-fuzz/regress/fuzz/$$n -max_total_time=$(FUZZTIME) \
		-close_fd_mask=2 -artifact_prefix=obj-fuzz/ -print_final_stats=1 \
		$$c regress/fuzz/corpus/$${n#fuzz_} 2>&1 | \
		grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|^==' \
		|| true; \
	done; \
	if ls obj-fuzz/crash-* obj-fuzz/leak-* obj-fuzz/timeout-* \
	    >/dev/null 2>&1; then echo "fuzz: findings in obj-fuzz/"; \
	    exit 1; fi

unit: $(UNIT_BINS)

asan: $(ASAN_UNIT_BINS) $(REPLAY_BINS)
	EP2D_UNIT_DIR=obj-asan/regress/unit prove regress/unit-*.t

# Everything mandoc says, but whether the pages we refer to are installed
# on this machine (that depends on the machine, not on the pages).
lint:
	@out=$$(mandoc -Tlint -Wstyle man/*.[0-9] 2>&1 | \
	    grep -v -e 'referenced manual not found' -e 'mandoc.db'); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi

# The targets a newcomer types first install what is missing, then
# start a new make, which finds the libraries (make -j safe).
check: deps
	$(MAKE) all unit asan lint testuser
	prove -r regress/ || { sh regress/postmortem.sh; exit 1; }

# The fetcher's user; integration tests need it as an installed ep2d does.
testuser:
	@getent passwd _ep2d >/dev/null || useradd --system --no-create-home \
	    --home-dir /nonexistent --shell /usr/sbin/nologin _ep2d

deps:
	@missing=""; for p in $(DEBS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	fi

demo: deps
	$(MAKE) all
	sh regress/demo.sh

bench: deps
	$(MAKE) all
	sh bench/run.sh

# Paths in the installed files: the sources name the default prefix.
INSTALL_SED = sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
	-e 's|/usr/local/libexec/ep2d|$(LIBEXECDIR)|g' \
	-e 's|/usr/local/share/ep2d|$(SHAREDIR)|g'

# Nothing outside $(DESTDIR) is touched, but for the _ep2d user when
# installing into the running system itself (no DESTDIR): sysusers.d
# makes it at boot or now; a package does it in its postinst.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SHAREDIR) \
	    $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/logrotate.d \
	    $(DESTDIR)$(SYSCONFDIR)/ep2
	install -m 0755 ep2d/ep2d ep2ctl/ep2ctl $(DESTDIR)$(SBINDIR)
	install -m 0755 ep2d/ep2d-fetcher $(DESTDIR)$(LIBEXECDIR)
	$(INSTALL_SED) man/ep2.conf.5 > $(DESTDIR)$(MANDIR)/man5/ep2.conf.5
	$(INSTALL_SED) man/ep2d.8 > $(DESTDIR)$(MANDIR)/man8/ep2d.8
	$(INSTALL_SED) man/ep2ctl.8 > $(DESTDIR)$(MANDIR)/man8/ep2ctl.8
	chmod 0644 $(DESTDIR)$(MANDIR)/man5/ep2.conf.5 \
	    $(DESTDIR)$(MANDIR)/man8/ep2d.8 $(DESTDIR)$(MANDIR)/man8/ep2ctl.8
	install -m 0644 etc/ep2.conf.sample \
	    etc/haproxy.cfg.template.sample $(DESTDIR)$(SHAREDIR)
	$(INSTALL_SED) rc.d/ep2d > $(DESTDIR)$(SHAREDIR)/ep2d.rc
	chmod 0755 $(DESTDIR)$(SHAREDIR)/ep2d.rc
	$(INSTALL_SED) etc/ep2d.service > $(DESTDIR)$(UNITDIR)/ep2d.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ep2d.service
	install -m 0644 etc/sysusers.d/ep2d.conf $(DESTDIR)$(SYSUSERSDIR)/ep2d.conf
	install -m 0644 etc/logrotate.d/ep2d $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	@if [ -z "$(DESTDIR)" ] && ! getent passwd _ep2d >/dev/null; then \
	    if command -v systemd-sysusers >/dev/null; then \
		echo "systemd-sysusers $(SYSUSERSDIR)/ep2d.conf"; \
		systemd-sysusers $(SYSUSERSDIR)/ep2d.conf; \
	    else \
		echo "useradd _ep2d"; \
		useradd --system --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin _ep2d; \
	    fi; \
	fi

# What install put there; not ep2.conf and the template an operator
# wrote in $(SYSCONFDIR)/ep2, nor the _ep2d user.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ep2d $(DESTDIR)$(SBINDIR)/ep2ctl \
	    $(DESTDIR)$(LIBEXECDIR)/ep2d-fetcher \
	    $(DESTDIR)$(MANDIR)/man5/ep2.conf.5 \
	    $(DESTDIR)$(MANDIR)/man8/ep2d.8 $(DESTDIR)$(MANDIR)/man8/ep2ctl.8 \
	    $(DESTDIR)$(SHAREDIR)/ep2.conf.sample \
	    $(DESTDIR)$(SHAREDIR)/haproxy.cfg.template.sample \
	    $(DESTDIR)$(SHAREDIR)/ep2d.rc $(DESTDIR)$(UNITDIR)/ep2d.service \
	    $(DESTDIR)$(SYSUSERSDIR)/ep2d.conf \
	    $(DESTDIR)$(SYSCONFDIR)/logrotate.d/ep2d
	-rmdir $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SHAREDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/ep2 2>/dev/null

# The Debian package, built from a copy of the tree as a clone has it
# (obj-deb/), so that nothing is written beside the checkout.
deb:
	rm -rf obj-deb && mkdir -p obj-deb/ep2d-$(VERSION)
	git ls-files -z --cached --others --exclude-standard | \
	    xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	    tar --null -T - -cf - | tar -xf - -C obj-deb/ep2d-$(VERSION)
	cd obj-deb/ep2d-$(VERSION) && dpkg-buildpackage -b -us -uc
	lintian --fail-on error obj-deb/ep2d_$(VERSION)_*.deb
	@ls obj-deb/*.deb

clean:
	rm -rf obj-asan obj-fuzz obj-deb
	rm -f common/*.o common/*.a ep2d/*.o ep2d/*.a ep2d/ep2d ep2d/ep2d-fetcher \
	    ep2ctl/*.o ep2ctl/ep2ctl $(UNIT_BINS)
