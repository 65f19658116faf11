#!/bin/sh
# ep2d -n (check only), usage errors, and make install with DESTDIR.
# Ports 25040-25059 (none opened: nothing here starts a daemon).
PORT_BASE=25040
. "$(dirname "$0")/lib.sh"
t_init

write_template
write_conf
echo "127.0.0.1:25041" > "$T/servers"

out=$("$EP2D" -n -f "$T/ep2.conf" 2>&1)
[ $? -eq 0 ] && [ "$out" = "configuration OK" ]
ok $? "-n on a good config and template prints 'configuration OK'"

sed 's/^backend_port = 6003/backend_port = 70000/' "$T/ep2.conf" > "$T/bad.conf"
out=$("$EP2D" -n -f "$T/bad.conf" 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "bad.conf:[0-9]*.*backend_port"
ok $? "-n on a bad value exits 1 naming file:line and the key"
[ $rc -eq 1 ] || diag "$out"

sed 's/^\[haproxy\]$/[haproxy]\nbogus_key = 1/' "$T/ep2.conf" > "$T/unk.conf"
out=$("$EP2D" -n -f "$T/unk.conf" 2>&1)
[ $? -eq 0 ] && echo "$out" | grep -q "bogus_key"
ok $? "-n: an unknown key is a warning, not an error"

printf 'frontend x\n    bind 127.0.0.1:1\n{{ nodes }\n' > "$T/haproxy.tmpl"
out=$("$EP2D" -n -f "$T/ep2.conf" 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "haproxy.tmpl"
ok $? "-n on a broken template exits 1 and names the template"

out=$("$EP2D" -n -f "$T/missing.conf" 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "missing.conf"
ok $? "-n on a missing file names it"

write_template
chmod 0666 "$T/ep2.conf"
out=$("$EP2D" -n -f "$T/ep2.conf" 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "writable by anyone"
ok $? "a world-writable ep2.conf is refused"
chmod 0644 "$T/ep2.conf"
chmod 0646 "$T/haproxy.tmpl"
out=$("$EP2D" -n -f "$T/ep2.conf" 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "haproxy.tmpl.*writable by anyone"
ok $? "a world-writable template is refused"
chmod 0644 "$T/haproxy.tmpl"
chown nobody "$T/ep2.conf"
out=$("$EP2D" -n -f "$T/ep2.conf" 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "owned by uid"
ok $? "an ep2.conf owned by another user is refused"
chown root "$T/ep2.conf"
"$EP2D" -n -f "$T/ep2.conf" >/dev/null 2>&1
ok $? "root-owned 0644 files are accepted"

"$EP2D" -x >/dev/null 2>&1
[ $? -eq 1 ]
ok $? "a wrong flag exits 1 with usage"

"$EP2CTL" -s "$T/nosuch.sock" show status > "$T/ctl.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "nosuch.sock" "$T/ctl.out"
ok $? "ep2ctl without a daemon: exit 1 and the socket named"

D="$T/destdir"
make -s -C "$TOP" install DESTDIR="$D" PREFIX=/opt/ep2d > "$T/install.out" 2>&1
ok $? "make install DESTDIR=... PREFIX=/opt/ep2d"
missing=""
for f in sbin/ep2d sbin/ep2ctl libexec/ep2d/ep2d-fetcher \
    share/man/man8/ep2d.8 share/man/man8/ep2ctl.8 \
    share/man/man5/ep2.conf.5 share/ep2d/ep2.conf.sample \
    share/ep2d/haproxy.cfg.template.sample; do
	[ -e "$D/opt/ep2d/$f" ] || missing="$missing $f"
done
[ -z "$missing" ]
ok $? "installed under DESTDIR/PREFIX:${missing:- everything}"
[ -e "$D/opt/ep2d/lib/systemd/system/ep2d.service" ] &&
    [ -e "$D/etc/logrotate.d/ep2d" ]
ok $? "systemd unit and logrotate file installed"
grep -q "/opt/ep2d/sbin/ep2d" "$D/opt/ep2d/lib/systemd/system/ep2d.service"
ok $? "the unit points at PREFIX's binary"
# libcurl is no link of either: the fetcher loads it by dlopen for the
# sources that make requests (fetcher-libs.t)
ldd "$TOP/ep2d/ep2d" | grep -q -e libcurl -e libjson-c -e libexpat
[ $? -ne 0 ] && ldd "$TOP/ep2d/ep2d-fetcher" | grep -q libjson-c &&
    ldd "$TOP/ep2d/ep2d-fetcher" | grep -q libexpat &&
    ! ldd "$TOP/ep2d/ep2d-fetcher" | grep -q -e libcurl -e libcrypto
ok $? "only the fetcher program links json-c and expat; libcurl neither"
"$TOP/ep2d/ep2d-fetcher" -f "$T/ep2.conf" > "$T/f.out" 2>&1
[ $? -eq 1 ] && grep -q "started by ep2d" "$T/f.out"
ok $? "ep2d-fetcher refuses to run by hand"

# the version, from its one place (debian/changelog's top entry)
v=$(awk -F'[()]' 'NR == 1 { print $2 }' "$TOP/debian/changelog")
[ -n "$v" ] && [ "$("$TOP/ep2d/ep2d" -V)" = "ep2d $v" ] &&
    [ "$("$TOP/ep2ctl/ep2ctl" -V)" = "ep2ctl $v" ]
ok $? "ep2d -V and ep2ctl -V print $v"

done_testing
