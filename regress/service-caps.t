#!/bin/sh
# ep2d works inside etc/ep2d.service's capability bounding set: the set
# is read from the unit and applied with setpriv(1), as systemd would,
# and ep2d bootstraps, follows a change and stops (children included)
# without the capabilities left out.  Ports 25120-25139.
PORT_BASE=25120
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || skip_all "no setpriv"
t_init

caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$TOP/etc/ep2d.service" |
    tr ' ' '\n' | sed -n 's/^CAP_//p' | tr 'A-Z' 'a-z' |
    sed 's/^/+/' | paste -sd, -)
[ -n "$caps" ]
ok $? "bounding set from the unit: $caps"

B1=25121 B2=25122
backends $B1 $B2
write_template
write_conf "check_interval = 200ms"
echo "127.0.0.1:$B1" > "$T/servers"
setpriv --bounding-set=-all,$caps --inh-caps=-all \
    "$EP2D" -d -f "$T/ep2.conf" -s "$CTL" >> "$T/ep2d.out" 2>&1 &
EP2D_PID=$!
wait_for 15 hap_has 127.0.0.1:$B1
ok $? "bootstrap inside the unit's bounding set"
R=$(ep2d_pids reloader)
N=$(pgrep -P "$R" -f '^ep2d: runner')
bnd=$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$N/status")
# left out by the unit: CAP_NET_ADMIN (bit 12), CAP_SYS_PTRACE (19),
# CAP_SYS_ADMIN (21), CAP_SYS_RESOURCE (24) must be gone; kept for
# HAProxy on Debian: CAP_DAC_OVERRIDE (1, /run/haproxy), CAP_KILL (5, its
# workers), CAP_SETUID (7, its "user")
[ -n "$bnd" ] && [ $((0x$bnd & 0x1281000)) -eq 0 ] &&
    [ $((0x$bnd & 0xa2)) -eq $((0xa2)) ]
ok $? "the set really applies (the runner's CapEff $bnd)"
echo "127.0.0.1:$B1
127.0.0.1:$B2" > "$T/servers"
wait_for 15 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "a change applies"
F=$(ep2d_pids fetcher)
C=$(ep2d_pids connector)
[ -n "$F" ] && [ -n "$R" ] && [ -n "$C" ] && [ -n "$N" ]
ok $? "fetcher, reloader, connector and runner running"
kill -TERM "$EP2D_PID"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
ok $? "SIGTERM: ep2d exits"
wait_for 10 sh -c "! kill -0 $F 2>/dev/null && ! kill -0 $R 2>/dev/null &&
    ! kill -0 $C 2>/dev/null && ! kill -0 $N 2>/dev/null"
ok $? "and all its processes too, without CAP_KILL"
! grep -i "sandbox" "$T/ep2d.out" | grep -qi "refused\|failed\|cannot"
ok $? "no sandbox step failed"
grep -i "sandbox" "$T/ep2d.out" | head -n 5 | while read -r l; do diag "$l"; done

done_testing
