#!/bin/sh
# AWS scale-in in update_by_runtime: an instance that leaves InService
# (Terminating:Wait, the lifecycle hook's window, or Standby) is drained
# before it disappears: no new request reaches it, the one it serves
# finishes, then its slot is freed.  Ports 25200-25219.
PORT_BASE=25200
. "$(dirname "$0")/lib.sh"
t_init
. "$(dirname "$0")/aws-lib.sh"
aws_env

fake_aws_start
ok $? "fake AWS up on $AWS_PORT"
aws_backends 2
ok $? "a backend on 127.0.0.2:$BPORT"

# the instance at 127.0.0.7 answers /slow after 3 s
python3 "$TOP/regress/fakes/slow_backend.py" 127.0.0.7 $BPORT &
t_pids="$t_pids $!"
wait_for 5 curl -sf "http://127.0.0.7:$BPORT/"
ok $? "the slow instance answers"

slow_busy() {
	[ "$(hap 'show stat' | awk -F, -v a="127.0.0.7:$BPORT" \
	    '$74 == a { print $5 }')" -ge 1 ]
}

fake_cfg "{\"groups\": {\"my-asg\": [
    $(inst i-0000000000000d002 InService 127.0.0.2),
    $(inst i-0000000000000d007 InService 127.0.0.7)]}}"
write_template
HAPROXY_EXTRA="drain_timeout = 20" aws_conf "$(aws_keys)"
ep2d_start -v
wait_for 20 hap_ready 127.0.0.2:$BPORT && wait_for 20 hap_ready 127.0.0.7:$BPORT
ok $? "both InService instances take traffic"
pid1=$(haproxy_pid)

curl -s -m 10 "http://127.0.0.1:$FE_PORT/slow" > "$T/r1" &
c1=$!
curl -s -m 10 "http://127.0.0.1:$FE_PORT/slow" > "$T/r2" &
c2=$!
wait_for 5 slow_busy
ok $? "a long request runs on the instance at 127.0.0.7"

fake_cfg "{\"groups\": {\"my-asg\": [
    $(inst i-0000000000000d002 InService 127.0.0.2),
    $(inst i-0000000000000d007 Terminating:Wait 127.0.0.7)]}}"
wait_for 10 sh -c "\"$EP2CTL\" -s \"$CTL\" show slots | grep -q '127.0.0.7:$BPORT *drain'"
ok $? "Terminating:Wait: its slot drains"
st=$(hap "show stat" | awk -F, -v a="127.0.0.7:$BPORT" '$74 == a { print $18 }')
[ "$st" = DRAIN ]
ok $? "HAProxy shows it DRAIN ($st)"
c=$(answers 6)
[ "$c" = "b2 " ]
ok $? "new requests go to the other instance only ($c)"
wait $c1 $c2
grep -q slow "$T/r1" || grep -q slow "$T/r2"
ok $? "the request it was serving finished with its answer"
wait_for 10 sh -c "! \"$EP2CTL\" -s \"$CTL\" show slots | grep -q '127.0.0.7'"
ok $? "then the slot is free"
[ "$(haproxy_pid)" = "$pid1" ]
ok $? "without a reload"

done_testing
