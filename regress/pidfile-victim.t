#!/bin/sh
# Only HAProxy's own processes get -sf: pids of other processes written
# into pid_file (a plain victim, and one named haproxy but not running
# our haproxy.cfg nor writing our pid file) survive a reload, each named by a line, while the
# reload happens and the old HAProxy finishes.  Nor does another
# process at HAProxy's pid pass for a running HAProxy.
# Ports 26560-26579.
PORT_BASE=26560
. "$(dirname "$0")/lib.sh"
t_init

B1=26561 B2=26562
backends $B1 $B2
write_template
write_conf
echo "127.0.0.1:$B1" > "$T/servers"

# alive PID: the process exists and is not a zombie (a child of this
# shell killed by a signal stays one until waited for)
alive() {
	_s=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$_s" ] &&
	    [ "${_s#Z}" = "$_s" ]
}

ep2d_start
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "HAProxy up with the first server"
H=$(haproxy_pid)

# the victims: sleep, and a sleep called haproxy (comm "haproxy")
sleep 26563 &
V1=$!
cp /bin/sleep "$T/haproxy"
"$T/haproxy" 26564 &
V2=$!
t_pids="$t_pids $V1 $V2"
wait_for 5 sh -c "[ \"\$(cat /proc/$V2/comm)\" = haproxy ]"
ok $? "victims $V1 (sleep) and $V2 (named haproxy) run"
printf '%s\n%s\n' "$V1" "$V2" >> "$T/haproxy.pid"

echo "127.0.0.1:$B2" >> "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "a change reloads HAProxy"
wait_for 10 sh -c "! kill -0 $H 2>/dev/null"
ok $? "the old HAProxy ($H) was told to finish (-sf) and is gone"
[ "$(haproxy_pid)" != "$H" ]
ok $? "a new HAProxy ($(haproxy_pid)) runs"
alive "$V1" && alive "$V2"
ok $? "both victims are still alive"
log_has "pid $V1 is not HAProxy's, not signalled: it is \"sleep\", not haproxy"
ok $? "a line names the first victim and why"
log_has "pid $V2 is not HAProxy's, not signalled: it was started with neither -f $T/haproxy.cfg nor -p $T/haproxy.pid"
ok $? "a line names the second victim and why"
[ "$(answers 4)" = "b$B1 b$B2 " ]
ok $? "the new HAProxy serves both servers"

# HAProxy gone and its pid taken by another process: not HAProxy to
# ep2d, which starts one even though haproxy.cfg is as it should be
kill "$EP2D_PID"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
H=$(haproxy_pid)
kill "$H"
wait_for 10 sh -c "! kill -0 $H 2>/dev/null"
ok $? "ep2d and HAProxy ($H) stopped"
echo "$V1" > "$T/haproxy.pid"
ep2d_start
wait_for 10 sh -c "[ \"\$(haproxy_pid)\" != $V1 ]"
ok $? "ep2d starts HAProxy: the pid file's live process ($V1) is not it"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "which serves the servers"
alive "$V1"
ok $? "the victim still lives"

# and while ep2d runs: HAProxy killed, its pid file naming the victim
H=$(haproxy_pid)
kill "$H"
wait_for 10 sh -c "! kill -0 $H 2>/dev/null"
echo "$V1" > "$T/haproxy.pid"
haproxy_down() {
	"$EP2CTL" -s "$CTL" show metrics | grep -qx "ep2d_haproxy_up 0"
}
wait_for 10 haproxy_down
ok $? "ep2d_haproxy_up is 0: the victim does not pass for HAProxy"

done_testing
