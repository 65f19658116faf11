#!/bin/sh
# A start that cannot succeed fails fast and says why: when the first
# start of HAProxy fails (nothing was running), or haproxy -c refuses
# the first haproxy.cfg, ep2d exits 1 within seconds with HAProxy's own
# reason in its log, instead of retrying while nothing serves.  A
# HAProxy that was running before is left alone.
# Ports 26000-26019.
PORT_BASE=26000
. "$(dirname "$0")/lib.sh"
t_init

B1=26002
backends $B1
ok $? "a backend answers"
# ep2d_status: rc is ep2d's exit status once it has exited, else
# "running" (it is then killed, so that the next step starts afresh)
ep2d_status() {
	if kill -0 "$EP2D_PID" 2>/dev/null; then
		rc=running
		kill "$EP2D_PID"
		wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
	else
		wait "$EP2D_PID"
		rc=$?
	fi
}

write_template
write_conf
echo "127.0.0.1:$B1" > "$T/servers"

# 1. the frontend's port is taken: HAProxy cannot bind
socat TCP-LISTEN:$FE_PORT,bind=127.0.0.1,reuseaddr,fork /dev/null &
sp=$!
t_pids="$t_pids $sp"
wait_for 5 sh -c "ss -ltn | grep -q 127.0.0.1:$FE_PORT"
ok $? "someone else listens on the frontend's port"
start=$(date +%s)
ep2d_start
wait_for 15 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
ok $? "ep2d exits when the first start of HAProxy fails"
ep2d_status
el=$(( $(date +%s) - start ))
[ "$rc" = 1 ]
ok $? "with status 1 (got $rc)"
[ "$el" -le 10 ]
ok $? "within seconds ($el s), not at systemd's start timeout"
grep "haproxy start/reload failed" "$T/ep2d.out" | grep -q "cannot bind socket"
ok $? "the log has HAProxy's own reason (cannot bind socket)"
grep "cannot start: HAProxy did not start" "$T/ep2d.out" |
    grep -q "Address already in use"
ok $? "one line says why ep2d stops"
grep -q "trying the last failed apply again" "$T/ep2d.out"
[ $? -ne 0 ]
ok $? "no retry"
[ -z "$(haproxy_pid)" ] || ! kill -0 "$(haproxy_pid)" 2>/dev/null
ok $? "no HAProxy left running"
kill "$sp"
EP2D_PID=

# 2. a template haproxy -c refuses, at the first start
cp "$T/haproxy.tmpl" "$T/good.tmpl"
sed -i 's/option httpchk GET \//&\n    bogus_keyword on/' "$T/haproxy.tmpl"
ep2d_start
wait_for 15 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
ok $? "ep2d exits when haproxy -c refuses the first haproxy.cfg"
ep2d_status
[ "$rc" = 1 ]
ok $? "with status 1 (got $rc)"
grep -q "cannot start: the first haproxy.cfg was refused by haproxy -c" \
    "$T/ep2d.out" && grep -q "bogus_keyword" "$T/ep2d.out"
ok $? "the log says why, with haproxy's message"
EP2D_PID=

# 3. HAProxy started, then a later failure: ep2d keeps running
cp "$T/good.tmpl" "$T/haproxy.tmpl"
ep2d_start
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "a good start"
hp=$(haproxy_pid)
cp "$T/haproxy.tmpl" "$T/good.tmpl"
sed -i 's/option httpchk GET \//&\n    bogus_keyword on/' "$T/haproxy.tmpl"
kill -HUP "$EP2D_PID"
wait_for 10 log_has "refused by haproxy -c"
ok $? "a later refusal is logged"
ctl_status_is "not s[0]['apply_ok'] and
    'bogus_keyword' in s[0]['apply_error']" && [ "$(haproxy_pid)" = "$hp" ]
ok $? "and ep2d keeps running (show status: apply failed), HAProxy untouched"
[ $? -eq 0 ] || diag "$(cat "$T/status.json")"
kill "$EP2D_PID"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
EP2D_PID=

# 4. ep2d started again next to that HAProxy, the template still bad:
# it exits, and the HAProxy it did not start keeps serving
ep2d_start
wait_for 15 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
ok $? "a restart with a refused template exits"
kill -0 "$hp" && [ "$(haproxy_pid)" = "$hp" ] && hap_has 127.0.0.1:$B1
ok $? "the running HAProxy keeps serving"
EP2D_PID=

done_testing
