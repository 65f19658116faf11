#!/bin/sh
# make install DESTDIR=... PREFIX=/usr, as a packager runs it: nothing
# outside DESTDIR changes (no user made, no file written: a stub of each
# user tool first in PATH, a listing of the host before and after);
# every installed file names the paths of that PREFIX; the installed
# ep2d finds its fetcher; make uninstall takes it all away again.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/regress/lib.sh"
[ -x "$TOP/ep2d/ep2d" ] || skip_all "ep2d not built"
T=$(mktemp -d /tmp/ep2d-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
D=$T/dest

mkdir -p "$T/bin"
for c in useradd adduser groupadd systemd-sysusers systemctl; do
	printf '#!/bin/sh\necho "%s $*" >> %s/called\nexit 0\n' "$c" "$T" \
	    > "$T/bin/$c"
	chmod 755 "$T/bin/$c"
done
# the host as it stands: every name with its size and time, but for the
# places that change by themselves
listing() {
	find /etc /usr /opt /var/log /var/lib /lib /root -xdev \
	    -path /var/lib/apt -prune -o -path /var/log/journal -prune -o \
	    -newer "$T/stamp" -print 2>/dev/null | sort
}
touch "$T/stamp"
# a file system keeping whole seconds stores a later write as the second
# it began, maybe before the stamp: wait for the next second
wait_for 2 sh -c "[ \$(date +%s) -gt \$(stat -c %Y '$T/stamp') ]"
(cd "$TOP" && PATH=$T/bin:$PATH make -s install DESTDIR="$D" PREFIX=/usr \
    UNITDIR=/lib/systemd/system >"$T/out" 2>&1)
ok $? "make install DESTDIR=... PREFIX=/usr"
[ ! -s "$T/called" ]
ok $? "no user tool was run"
[ -s "$T/called" ] && diag "$(cat "$T/called")"
after=$(listing)
[ -z "$after" ]
ok $? "nothing outside DESTDIR changed"
[ -n "$after" ] && diag "$(echo "$after" | head -n 10)"

for f in usr/sbin/ep2d usr/sbin/ep2ctl usr/libexec/ep2d/ep2d-fetcher \
    usr/share/man/man8/ep2d.8 usr/share/man/man8/ep2ctl.8 \
    usr/share/man/man5/ep2.conf.5 usr/share/ep2d/ep2.conf.sample \
    usr/share/ep2d/haproxy.cfg.template.sample usr/share/ep2d/ep2d.rc \
    lib/systemd/system/ep2d.service usr/lib/sysusers.d/ep2d.conf \
    etc/logrotate.d/ep2d; do
	[ -f "$D/$f" ] || { echo "missing $f"; false; }
done > "$T/missing"
[ ! -s "$T/missing" ]
ok $? "every file in its place"
[ -s "$T/missing" ] && diag "$(cat "$T/missing")"
[ -d "$D/etc/ep2" ]
ok $? "the configuration directory"
! grep -rIl /usr/local "$D" > "$T/local"
ok $? "no installed text file names /usr/local"
[ -s "$T/local" ] && diag "$(cat "$T/local")"
grep -q '^ExecStart=/usr/sbin/ep2d ' "$D/lib/systemd/system/ep2d.service" &&
    grep -q '^EP2D=/usr/sbin/ep2d$' "$D/usr/share/ep2d/ep2d.rc" &&
    grep -q '^\.It Pa /usr/libexec/ep2d/ep2d-fetcher' "$D/usr/share/man/man8/ep2d.8"
ok $? "the unit, the rc.d script and ep2d(8) name /usr"

# the installed ep2d, built with the default prefix, finds the fetcher
# of the prefix it was installed in (no ep2d-fetcher beside it)
if [ "$(id -u)" -eq 0 ] && getent passwd _ep2d >/dev/null &&
    [ -x "$HAPROXY" ]; then
	TT=$T
	PORT_BASE=29160
	t_init
	chmod 755 "$TT" "$D"	# the fetcher (_ep2d) starts from there
	TI=$T
	trap 'T=$TI; t_cleanup; rm -rf "$TT"' EXIT
	B1=29161
	backends $B1
	write_template
	write_conf
	echo "127.0.0.1:$B1" > "$T/servers"
	EP2D=$D/usr/sbin/ep2d
	ep2d_start
	wait_for 10 hap_has 127.0.0.1:$B1
	ok $? "the installed ep2d runs, with the fetcher from /usr/libexec/ep2d"
	F=$(ep2d_pids fetcher)
	[ -n "$F" ] && [ "$(readlink /proc/$F/exe)" = \
	    "$D/usr/libexec/ep2d/ep2d-fetcher" ]
	ok $? "its fetcher is $(readlink /proc/${F:-0}/exe)"
	kill "$EP2D_PID"
	wait_for 5 sh -c "! kill -0 $EP2D_PID"
	EP2D_PID=""
	T=$TT
else
	echo "ok 8 # SKIP the installed ep2d runs: not root or no haproxy"
	echo "ok 9 # SKIP its fetcher"
	t_n=$((t_n + 2))
fi

(cd "$TOP" && PATH=$T/bin:$PATH make -s uninstall DESTDIR="$D" PREFIX=/usr \
    UNITDIR=/lib/systemd/system >"$T/out" 2>&1)
ok $? "make uninstall"
left=$(find "$D" -type f)
[ -z "$left" ]
ok $? "no file left in DESTDIR"
[ -n "$left" ] && diag "$left"

done_testing
