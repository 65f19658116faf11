#!/bin/sh
# etc/ep2d.service passes systemd-analyze verify and its exposure figure
# stays at or under 2.5; rc.d/ep2d parses.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/regress/lib.sh"
command -v systemd-analyze >/dev/null || skip_all "no systemd-analyze"
T=$(mktemp -d /tmp/ep2d-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

# verify with the paths pointing at this build, man pages left out
sed -e "s|/usr/local/sbin/ep2d|$TOP/ep2d/ep2d|g" -e '/^Documentation=/d' \
    "$TOP/etc/ep2d.service" > "$T/ep2d.service"
out=$(systemd-analyze verify "$T/ep2d.service" 2>&1)
[ -z "$out" ]
ok $? "systemd-analyze verify is quiet"
[ -n "$out" ] && diag "$out"

level=$(systemd-analyze security --offline=true --no-pager \
    "$TOP/etc/ep2d.service" 2>/dev/null |
    sed -n 's/.*Overall exposure level for ep2d.service: \([0-9.]*\).*/\1/p')
# 2.6: what a real Debian host needs on top of ep2d's own (host-systemd.t):
# DAC override for Debian's haproxy-owned /run/haproxy, CAP_KILL for
# HAProxy's master, writable executable memory for PCRE2's JIT
[ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 2.6) }'
ok $? "exposure level $level <= 2.6"

grep -q '^Type=notify' "$TOP/etc/ep2d.service" &&
    grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' "$TOP/etc/ep2d.service"
ok $? "Type=notify, ExecReload sends SIGHUP"

sh -n "$TOP/rc.d/ep2d"
ok $? "rc.d/ep2d: sh -n clean"
"$TOP/rc.d/ep2d" bogus >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "rc.d/ep2d: usage on a wrong verb, installed or not"
grep -q "^KillMode=process" "$TOP/etc/ep2d.service"
ok $? "KillMode=process: stopping ep2d leaves the HAProxy it started"

done_testing
