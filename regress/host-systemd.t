#!/bin/sh
# ep2d on a real host, installed as README says: a fresh Debian 12 root
# (host-lib.sh), `make demo` as the first command, `make install`, the
# shipped samples, rc.d/ep2d in the chroot (a host without systemd), then
# the same root booted with systemd as PID 1 next to Debian's haproxy
# package as it installs itself: the shipped ep2d.service in both start_by
# modes, reload, stop, restart, the watchdog, logrotate.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/regress/lib.sh"
. "$TOP/regress/host-lib.sh"
host_init

# hdiag CMD: CMD's output inside the booted host as TAP comments
hdiag() {
	host_exec "$1" 2>&1 | tail -n 25 | sed 's/^/# /'
}

host_overlay systemd || { ok 1 "overlay"; done_testing; }
host_copy_tree
host_chroot_up

# 1. The README's first command on a fresh machine.
host_run 'cd /root/ep2d && make demo' > "$HR/demo.log" 2>&1
rc=$?
[ $rc -eq 0 ]
ok $? "make demo as the first command on a fresh Debian 12 (exit $rc)"
[ $rc -eq 0 ] || tail -n 30 "$HR/demo.log" | sed 's/^/# /'
grep -q 'scale out' "$HR/demo.log" && grep -q 'scale in' "$HR/demo.log" &&
    grep -q 'answers through HAProxy.*b26002' "$HR/demo.log"
ok $? "the demo scaled out and in, and HAProxy answered from the new server"

# 2. Installed as README says.
host_run 'cd /root/ep2d && make install' > "$HR/install.log" 2>&1
ok $? "make install"
host_run 'test -x /usr/local/sbin/ep2d && test -x /usr/local/sbin/ep2ctl &&
    test -x /usr/local/libexec/ep2d/ep2d-fetcher &&
    test -f /usr/local/lib/systemd/system/ep2d.service && getent passwd _ep2d'
ok $? "programs, fetcher, unit and the _ep2d user are in place"

# The shipped samples as the configuration, with one regex rule in the
# template (PCRE2's JIT needs writable executable memory) and two
# backends inside the host.
host_run 'mkdir -p /etc/ep2 &&
    cp /usr/local/share/ep2d/ep2.conf.sample /etc/ep2/ep2.conf &&
    sed "s|^    default_backend haproxynode|    http-request deny if { path_reg ^/api/v[0-9]+/admin }\n&|" \
	/usr/local/share/ep2d/haproxy.cfg.template.sample > /etc/ep2/ep2.template &&
    grep -q path_reg /etc/ep2/ep2.template &&
    cat > /etc/ep2/backends.cfg <<CFG
global
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend b1
    bind 127.0.0.1:8001
    http-request return status 200 content-type text/plain string "b1\n"
frontend b2
    bind 127.0.0.1:8002
    http-request return status 200 content-type text/plain string "b2\n"
frontend b3
    bind 127.0.0.1:8003
    http-request return status 200 content-type text/plain string "b3\n"
CFG
    echo 127.0.0.1:8001 > /etc/ep2/servers'
ok $? "the shipped samples in /etc/ep2, a regex rule in the template"

# 3. rc.d/ep2d on a host without systemd (the chroot, its own network
# namespace), start_by = binary.
host_run -n 'cp /etc/ep2/ep2.conf /etc/ep2/rc.conf &&
    sed -i "s/^start_by = .*/start_by = binary/" /etc/ep2/rc.conf &&
    mkdir -p /run/haproxy /var/log/ep2 &&
    haproxy -D -f /etc/ep2/backends.cfg -p /run/backends.pid &&
    echo EP2D_CONF=/etc/ep2/rc.conf > /etc/default/ep2d &&
    S=/usr/local/share/ep2d/ep2d.rc &&
    $S start && $S status &&
    i=0; until curl -sf http://127.0.0.1/ | grep -q b1; do
	i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done &&
    hp=$(head -n 1 /run/haproxy.pid) &&
    $S reload && cp /etc/ep2/rc.conf /root/rc.good &&
    sed -i "s/^node_slots = .*/node_slots = many/" /etc/ep2/rc.conf &&
    ! $S reload 2>/root/rc.err && grep -q node_slots /root/rc.err &&
    cp /root/rc.good /etc/ep2/rc.conf && $S status &&
    $S stop && ! $S status &&
    kill -0 $hp && curl -sf http://127.0.0.1/ | grep -q b1;
    r=$?; $S bogus; b=$?;
    kill $(cat /run/haproxy.pid /run/backends.pid) 2>/dev/null;
    rm -f /etc/default/ep2d; [ $r -eq 0 ] && [ $b -eq 2 ]' \
    > "$HR/rcd.log" 2>&1
ok $? "rc.d: start, status, reload (a bad ep2.conf refused with its reason), stop (HAProxy left serving), usage"
[ -s "$HR/rcd.log" ] && sed 's/^/# /' "$HR/rcd.log" | tail -n 15

# 4. Booted with systemd as PID 1.
host_boot
ok $? "the root boots with systemd as PID 1"
[ -n "$HOST_PID1" ] || { cat "$HR/boot.log" | sed 's/^/# /'; done_testing; }
host_exec 'systemctl is-active haproxy' >/dev/null
ok $? "Debian's haproxy.service runs, as the package left it"
host_exec 'haproxy -D -f /etc/ep2/backends.cfg -p /run/backends.pid'
ok $? "three backends inside the host"

# 4a. The samples as shipped: start_by = systemd, Debian's haproxy.service.
host_exec 'systemctl show -p MainPID --value haproxy' > "$HR/hpid0"
host_exec 'systemctl enable --now ep2d' >/dev/null 2>&1
ok $? "systemctl enable --now ep2d (the shipped unit and samples)"
[ "$(host_exec 'systemctl is-active ep2d')" = active ] ||
    hdiag 'systemctl status ep2d --no-pager; journalctl -u ep2d --no-pager'
hwait 15 'curl -sf http://127.0.0.1/ | grep -q b1'
ok $? "HAProxy answers from the first server, through the regex rule"
hwait 5 'curl -s -o /dev/null -w %{http_code} http://127.0.0.1/api/v2/admin |
    grep -q 403'
ok $? "the regex rule works (403 for /api/v2/admin)"
host_exec 'printf "127.0.0.1:8001\n127.0.0.1:8002\n" > /etc/ep2/servers'
hwait 15 'for i in 1 2 3 4; do curl -s http://127.0.0.1/; done | grep -q b2'
ok $? "a server added to the file takes traffic (update_by_runtime)"
[ "$(host_exec 'systemctl show -p MainPID --value haproxy')" = \
    "$(cat "$HR/hpid0")" ]
ok $? "haproxy.service's master kept its pid"
host_exec 'sed -i "s/^update_type = .*/update_type = update_by_config/" \
    /etc/ep2/ep2.conf && systemctl restart ep2d'
ok $? "restart ep2d in update_by_config"
host_exec 'printf "127.0.0.1:8002\n127.0.0.1:8003\n" > /etc/ep2/servers'
hwait 15 'for i in 1 2 3 4; do curl -s http://127.0.0.1/; done | grep -q b3'
ok $? "update_by_config: the new set reaches HAProxy by systemctl reload haproxy"
hwait 10 '! for i in 1 2 3 4 5 6; do curl -s http://127.0.0.1/; done | grep -q b1'
ok $? "the removed server takes no more traffic"
[ "$(host_exec 'systemctl show -p MainPID --value haproxy')" = \
    "$(cat "$HR/hpid0")" ]
ok $? "haproxy.service reloaded, not restarted: master pid kept"

host_exec 'systemctl reload ep2d'
ok $? "systemctl reload ep2d with a good ep2.conf succeeds"
host_exec 'cp /etc/ep2/ep2.conf /root/good.conf &&
    sed -i "s/^node_slots = .*/node_slots = many/" /etc/ep2/ep2.conf'
host_exec 'systemctl reload ep2d' >/dev/null 2>&1
[ $? -ne 0 ]
ok $? "systemctl reload ep2d with a bad ep2.conf fails"
hwait 5 'journalctl -u ep2d -p warning --no-pager | grep -q node_slots'
ok $? "the reason is in the journal at warning or above"
host_exec 'systemctl is-active ep2d' >/dev/null
ok $? "ep2d keeps running on the old configuration"
host_exec 'cp /root/good.conf /etc/ep2/ep2.conf'

host_exec 'systemctl stop ep2d'
ok $? "systemctl stop ep2d"
[ "$(host_exec 'systemctl is-active ep2d')" = inactive ]
ok $? "the unit is inactive, not failed"
host_exec 'systemctl is-active haproxy' >/dev/null &&
    host_exec 'curl -sf http://127.0.0.1/' >/dev/null
ok $? "haproxy.service keeps running and serving"

# 4b. start_by = binary: ep2d runs HAProxy itself, haproxy.service off.
host_exec 'systemctl disable --now haproxy' >/dev/null 2>&1
host_exec 'sed -i -e "s/^start_by = .*/start_by = binary/" \
    -e "s/^update_type = .*/update_type = update_by_runtime/" \
    /etc/ep2/ep2.conf && printf "127.0.0.1:8001\n" > /etc/ep2/servers'
# a start that cannot succeed (port 80 taken) fails within seconds, the
# reason in the journal
host_exec 'setsid python3 -c "import socket, time
s = socket.socket(); s.bind((\"\", 80)); s.listen(); time.sleep(120)" \
    </dev/null >/dev/null 2>&1 & echo $! > /root/squatter.pid'
hwait 5 'ss -ltn | grep -q ":80 "'
t0=$(date +%s)
host_exec 'systemctl start ep2d' >/dev/null 2>&1
rc=$?
t1=$(date +%s)
[ $rc -ne 0 ] && [ $((t1 - t0)) -le 20 ]
ok $? "start_by = binary, port 80 taken: systemctl start fails ($rc) in $((t1 - t0)) s"
host_exec 'journalctl -u ep2d -p err --no-pager | grep -q "cannot start:.*bind"'
ok $? "the journal says why, at priority err: cannot start, HAProxy's bind error"
host_exec 'kill $(cat /root/squatter.pid); systemctl reset-failed ep2d'
hwait 5 '! ss -ltn | grep -q ":80 "'
host_exec 'systemctl start ep2d'
ok $? "start_by = binary: systemctl start ep2d"
[ "$(host_exec 'systemctl is-active ep2d')" = active ] ||
    hdiag 'journalctl -u ep2d --no-pager'
hwait 15 'curl -sf http://127.0.0.1/ | grep -q b1'
ok $? "ep2d started HAProxy; it answers"
hp=$(host_exec 'head -n 1 /run/haproxy.pid')
host_exec 'systemctl stop ep2d'
ok $? "systemctl stop ep2d"
[ "$(host_exec 'systemctl is-active ep2d')" = inactive ]
ok $? "the unit is inactive, not failed"
host_exec "kill -0 $hp && curl -sf http://127.0.0.1/ | grep -q b1"
ok $? "the HAProxy ep2d started keeps serving"
host_exec 'systemctl start ep2d'
hwait 10 'systemctl is-active ep2d'
ok $? "start again"
host_exec 'printf "127.0.0.1:8001\n127.0.0.1:8003\n" > /etc/ep2/servers'
hwait 15 'for i in 1 2 3 4; do curl -s http://127.0.0.1/; done | grep -q b3'
ok $? "changes apply to the HAProxy it adopted"
# (the old process of the adopting reload may take a moment to leave)
hwait 10 '[ $(ps -C haproxy -o args= | grep -c -- "-f /etc/haproxy/haproxy.cfg") -le 2 ]'
ok $? "one HAProxy, not a second one: $(host_exec 'ps -C haproxy -o pid=,args=' | grep -c -- '-f /etc/haproxy/haproxy.cfg') processes"

mp=$(host_exec 'systemctl show -p MainPID --value ep2d')
host_exec 'systemctl restart ep2d'
hwait 10 'systemctl is-active ep2d'
ok $? "systemctl restart ep2d"
[ "$(host_exec 'systemctl show -p MainPID --value ep2d')" != "$mp" ]
ok $? "a new main process"
host_exec 'curl -sf http://127.0.0.1/' >/dev/null
ok $? "HAProxy serving after the restart"

# logrotate, as Debian's cron would run it
host_exec 'logrotate -f /etc/logrotate.d/ep2d'
ok $? "logrotate -f /etc/logrotate.d/ep2d"
host_exec 'printf "127.0.0.1:8003\n" > /etc/ep2/servers'
hwait 10 'test -s /var/log/ep2/ep2.log && grep -q . /var/log/ep2/ep2.log'
ok $? "ep2d writes to the new ep2.log after the rotation"

# a hung parent: the watchdog (WatchdogSec) replaces it; HAProxy serves
mp=$(host_exec 'systemctl show -p MainPID --value ep2d')
host_exec "kill -STOP $mp"
host_exec 'curl -sf http://127.0.0.1/' >/dev/null
ok $? "HAProxy serves while the parent hangs"
hwait 90 "[ \"\$(systemctl show -p MainPID --value ep2d)\" != $mp ] &&
    systemctl is-active ep2d"
ok $? "the watchdog replaced the hung parent"
host_exec 'curl -sf http://127.0.0.1/' >/dev/null
ok $? "HAProxy serving after the watchdog's restart"
host_exec 'journalctl -u ep2d --no-pager | grep -qi watchdog'
ok $? "the journal says it was the watchdog"

host_exec 'systemd-analyze security ep2d --no-pager' > "$HR/security" 2>&1
level=$(sed -n 's/.*Overall exposure level for ep2d.service: \([0-9.]*\).*/\1/p' \
    "$HR/security")
[ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 3.0) }'
ok $? "systemd-analyze security on the host: $level"

done_testing
