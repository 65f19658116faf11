#!/bin/sh
# Faults around the apply path: the disk full when haproxy.cfg is
# written, HAProxy killed, a start that fails (its port taken), a storm
# of SIGHUPs.  Each time ep2d keeps running, HAProxy keeps its last good
# set, a log line says what happened, and ep2d recovers by itself.
# Ports 25100-25119.
PORT_BASE=25100
. "$(dirname "$0")/lib.sh"
t_init

B1=25101 B2=25102 B3=25103
backends $B1 $B2 $B3
mkdir "$T/cfg"
if mount -t tmpfs -o size=256k tmpfs "$T/cfg" 2>/dev/null; then
	trap 'umount "$T/cfg" 2>/dev/null; t_cleanup' EXIT
	mounted=1
fi
write_template
write_conf "check_interval = 200ms"
sed -i "s|^haproxy_config_file = .*|haproxy_config_file = $T/cfg/haproxy.cfg|" \
    "$T/ep2.conf"
echo "127.0.0.1:$B1" > "$T/servers"
ep2d_start
wait_for 15 hap_has 127.0.0.1:$B1
ok $? "bootstrap"

# 1. disk full
if [ -n "${mounted:-}" ]; then
	cp "$T/cfg/haproxy.cfg" "$T/before.cfg"
	dd if=/dev/zero of="$T/cfg/fill" bs=4k 2>/dev/null
	echo "127.0.0.1:$B1
127.0.0.1:$B2" > "$T/servers"
	wait_for 15 log_has "No space left on device"
	ok $? "disk full: the failed write is logged"
	cmp -s "$T/before.cfg" "$T/cfg/haproxy.cfg"
	ok $? "disk full: haproxy.cfg is the old one, whole"
	[ ! -e "$T/cfg/haproxy.cfg.new" ]
	ok $? "disk full: no half-written haproxy.cfg.new left"
	hap_has 127.0.0.1:$B1
	ok $? "disk full: HAProxy keeps its last good set"
	wait_for 5 ctl_status_is "not s[0]['apply_ok'] and
	    'No space left on device' in s[0]['apply_error']"
	ok $? "disk full: ep2d answers; show status: the apply failed, and why"
	[ $? -eq 0 ] || diag "$(cat "$T/status.json")"
	rm -f "$T/cfg/fill"
	wait_for 20 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
	ok $? "space again: the apply is retried by itself"
else
	for i in 1 2 3 4 5 6; do
		echo "ok $((t_n + 1)) # SKIP cannot mount a tmpfs here"
		t_n=$((t_n + 1))
	done
	echo "127.0.0.1:$B1
127.0.0.1:$B2" > "$T/servers"
	wait_for 15 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
fi

# 2. HAProxy killed: the next change starts it again
ns=$(grep -c "haproxy started" "$T/ep2d.out")
hp=$(haproxy_pid)
kill -9 "$hp" 2>/dev/null
pkill -9 -f "haproxy.*$T/cfg/haproxy.cfg" 2>/dev/null
wait_for 10 sh -c "! kill -0 $hp 2>/dev/null"
echo "127.0.0.1:$B2
127.0.0.1:$B3" > "$T/servers"
wait_for 15 hap_has 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "HAProxy killed: the next change starts it with the new set"
# the new HAProxy may serve before ep2d logs its start
wait_for 10 sh -c "[ \$(grep -c 'haproxy started' '$T/ep2d.out') -gt $ns ]"
ok $? "and says it started (not reloaded) HAProxy"

# 3. a start that fails: the frontend's port is taken by someone else
hp=$(haproxy_pid)
kill -9 "$hp" 2>/dev/null
pkill -9 -f "haproxy.*$T/cfg/haproxy.cfg" 2>/dev/null
wait_for 10 sh -c "! kill -0 $hp 2>/dev/null"
socat TCP-LISTEN:$FE_PORT,bind=127.0.0.1,reuseaddr,fork /dev/null &
sp=$!
t_pids="$t_pids $sp"
wait_for 5 sh -c "ss -ltn | grep -q 127.0.0.1:$FE_PORT"
echo "127.0.0.1:$B3" > "$T/servers"
wait_for 15 log_has "haproxy start/reload failed"
grep "haproxy start/reload failed" "$T/ep2d.out" | grep -q "cannot bind socket"
ok $? "a start that fails is logged with haproxy's message"
wait_for 5 ctl_status_is "not s[0]['apply_ok'] and
    'cannot bind socket' in s[0]['apply_error']"
ok $? "ep2d answers, show status says the start failed and why"
[ $? -eq 0 ] || diag "$(cat "$T/status.json")"
kill "$sp"
wait_for 20 hap_has 127.0.0.1:$B3
ok $? "port free again: the start is retried by itself"

# 4. SIGHUP storm
i=0
while [ $i -lt 50 ]; do
	kill -HUP "$EP2D_PID"
	i=$((i + 1))
done
wait_for 10 sh -c "[ \$(grep -c 'SIGHUP: reloading' '$T/ep2d.out') -ge 1 ]"
wait_for 20 ctl_status_is "s[0]['source_ok'] and s[0]['apply_ok'] and
    s[0]['servers'] == 1"
ok $? "50 SIGHUPs in a row: ep2d answers, source and apply ok"
[ $? -eq 0 ] || diag "$(cat "$T/status.json")"
echo "127.0.0.1:$B1" > "$T/servers"
wait_for 15 hap_has 127.0.0.1:$B1
ok $? "and still applies changes"
[ -n "$(ep2d_pids fetcher)" ] && [ -n "$(ep2d_pids reloader)" ]
ok $? "with both children"

if [ -n "${mounted:-}" ]; then
	kill "$EP2D_PID"
	wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
	pkill -f "haproxy.*$T/cfg/haproxy.cfg"
	wait_for 10 sh -c "! pgrep -f 'haproxy.*$T/cfg/' >/dev/null"
fi
done_testing
