#!/bin/sh
# Lifecycle hooks with several backends: [haproxy]'s on web-asg and
# [backend batch] on batch-asg, one queue ([AWS] lifecycle_queue_url is
# shared, ep2.conf(5)), the same hook names on both groups, so that only
# the group can tell where a notification goes.  A launch in web-asg
# joins haproxynode only, and is completed only once its check passes;
# a termination in batch-asg drains be_batch's server only, its long
# request finishes, and it is completed after the drain; a notification
# of a group no backend polls (hooks named alike) is left in the queue.
# The poll is slowed to 30 s: only the queue explains a fast change.
# Ports 25260-25279.
PORT_BASE=25260
. "$(dirname "$0")/lib.sh"
t_init
. "$(dirname "$0")/aws-lib.sh"
. "$TOP/regress/multi-lib.sh"
aws_env

FE2_PORT=$((PORT_BASE + 3))	# be_batch's frontend
. "$(dirname "$0")/lifecycle-lib.sh"

# completes ID: CompleteLifecycleAction CONTINUE events for ID
completes() {
	events complete instance="$1" result=CONTINUE | wc -l
}

# be_row BE ADDR: the status column of ADDR in backend BE, or nothing
be_row() {
	hap "show stat" | awk -F, -v be="$1" -v a="$2" '$1 == be &&
	    $74 == a { print $18 }'
}

# be_ready BE ADDR: UP with a weight above 0 in BE
be_ready() {
	hap "show stat" | awk -F, -v be="$1" -v a="$2" '$1 == be &&
	    $74 == a && $18 == "UP" && $19 > 0 { f = 1 } END { exit !f }'
}

# nowhere ADDR: no backend of HAProxy has ADDR in a slot
nowhere() {
	! hap "show stat" | awk -F, '{ print $74 }' | grep -qx "$1"
}

be_drain() {
	be_row "$1" "$2" | grep -q DRAIN
}

fake_aws_start
ok $? "fake AWS up on $AWS_PORT"
aws_backends 2 3 4 5
ok $? "backends on 127.0.0.2-5:$BPORT"
python3 "$TOP/regress/fakes/slow_backend.py" 127.0.0.7 $BPORT &
t_pids="$t_pids $!"
wait_for 5 curl -sf "http://127.0.0.7:$BPORT/"
ok $? "the slow instance answers"

fake_cfg "{\"groups\": {
    \"web-asg\": [$(inst i-0000000000000a002 InService 127.0.0.2)],
    \"batch-asg\": [$(inst i-0000000000000b004 InService 127.0.0.4),
                  $(inst i-0000000000000b007 InService 127.0.0.7)],
    \"other-asg\": [$(inst i-0000000000000f009 InService 127.0.0.9)]},
    \"queues\": {\"my-queue\": {\"visibility_timeout\": 5,
    \"wait_time_seconds\": 0}}}"
r=0
for g in web-asg batch-asg other-asg; do
	admin hook "{\"group\": \"$g\", \"name\": \"ep2d-in\", \"transition\": \"autoscaling:EC2_INSTANCE_LAUNCHING\", \"queue\": \"my-queue\", \"heartbeat_timeout\": 30, \"default_result\": \"ABANDON\"}" >/dev/null || r=1
	[ $g = other-asg ] && continue
	admin hook "{\"group\": \"$g\", \"name\": \"ep2d-out\", \"transition\": \"autoscaling:EC2_INSTANCE_TERMINATING\", \"queue\": \"my-queue\", \"heartbeat_timeout\": 30, \"default_result\": \"CONTINUE\"}" >/dev/null || r=1
done
ok $r "hooks ep2d-in and ep2d-out on web-asg and batch-asg, ep2d-in on other-asg, one queue"

write_template
cat >> "$T/haproxy.tmpl" <<TMPL

frontend fe_batch
    bind 127.0.0.1:$FE2_PORT
    default_backend be_batch

backend be_batch
    balance roundrobin
    option httpchk GET /
    default-server inter 200ms fall 1 rise 1
{{ nodes.batch }}
TMPL
ASG_NAME=web-asg SLEEP=30 HAPROXY_EXTRA="drain_timeout = 20" \
    aws_conf "$(aws_keys)
lifecycle_queue_url = $QURL
lifecycle_hook_name = ep2d-out, ep2d-in" \
    "[backend batch]" "backend_name = be_batch" "asg_name = batch-asg"
"$EP2D" -n -f "$T/ep2.conf" > "$T/n.out" 2>&1
ok $? "ep2d -n: two AWS backends, one queue ($(tail -n 1 "$T/n.out"))"
ep2d_start -v
wait_for 20 be_has haproxynode 127.0.0.2:$BPORT &&
    wait_for 10 be_has be_batch 127.0.0.4:$BPORT 127.0.0.7:$BPORT
ok $? "each group in its own backend"
wait_for 10 log_has "reading the lifecycle queue"
ok $? "the fetcher reads the queue"
wait_for 10 sh -c "[ \$(curl -sf '$ADMIN/sqs/messages?queue=my-queue' | grep -o '\"deleted\": true' | wc -l) -eq 4 ]"
ok $? "the four test notifications of web-asg and batch-asg deleted"
undeleted | grep -q '"AutoScalingGroupName":"other-asg"'
ok $? "the test notification of other-asg left in the queue"
# a poll of now puts the next one 27 s or more away (30 s, 10 % jitter),
# after what follows: any later one would be one not needed
s=$(fake_seq)
"$EP2CTL" -s "$CTL" sync >/dev/null
wait_for 5 fake_count_ge 2 "action=DescribeAutoScalingGroups&since=$s"
polls0=$(fake_count "action=DescribeAutoScalingGroups")

# -- a launch in web-asg, at an address nothing answers yet: in
# haproxynode at once, not ready, not completed; completed once a
# server there passes its check
id8=$(admin launch '{"group": "web-asg", "ips": ["127.0.0.8"]}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["ids"][0])')
wait_for 3 sh -c "[ -n \"\$(echo 'show stat' | socat -t 5 - UNIX-CONNECT:$SOCK | awk -F, '\$1 == \"haproxynode\" && \$74 == \"127.0.0.8:$BPORT\"')\" ]"
ok $? "a launch in web-asg reaches haproxynode within 3 s (poll every 30 s)"
[ -z "$(be_row be_batch 127.0.0.8:$BPORT)" ]
ok $? "and not be_batch"
sleep 2
! be_ready haproxynode 127.0.0.8:$BPORT && [ "$(completes "$id8")" -eq 0 ] &&
    is_state "$id8" Pending:Wait
ok $? "its check fails: no traffic, no CONTINUE, still Pending:Wait ($(be_row haproxynode 127.0.0.8:$BPORT))"
cat > "$T/b8.cfg" <<CFG
global
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
frontend b8
    bind 127.0.0.8:$BPORT
    http-request return status 200 content-type text/plain string "b8\n"
CFG
tup=$(python3 -c 'import time; print("%.3f" % time.time())')
"$HAPROXY" -D -f "$T/b8.cfg" -p "$T/b8.pid"
ok $? "a server comes up at 127.0.0.8"
wait_for 10 be_ready haproxynode 127.0.0.8:$BPORT
ok $? "it takes traffic in haproxynode once its check passed"
wait_for 10 has_event complete instance=$id8 result=CONTINUE
ok $? "CompleteLifecycleAction CONTINUE for it"
tc=$(evtime complete instance=$id8)
python3 -c "import sys; sys.exit(0 if $tc >= $tup else 1)"
ok $? "only after its server came up (up $tup, CONTINUE $tc)"
wait_for 5 is_state "$id8" InService
ok $? "it is InService ($(state "$id8"))"
be_has be_batch 127.0.0.4:$BPORT 127.0.0.7:$BPORT &&
    be_has haproxynode 127.0.0.2:$BPORT 127.0.0.8:$BPORT
ok $? "be_batch untouched, haproxynode has both"

# -- a termination in batch-asg, under a long request
cat > "$T/hapwatch.py" <<'PY'
# hapwatch.py SOCK BE ADDR OUT: the time the server at ADDR of BE had a
# session, then the time it had none left, each a line of OUT
import socket, sys, time
sock, be, addr, out = sys.argv[1:5]
def scur():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(b"show stat\n")
    b = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        b += d
    s.close()
    for ln in b.decode().splitlines():
        f = ln.split(",")
        if len(f) > 73 and f[0] == be and f[73] == addr:
            return int(f[4] or 0)
    return 0
busy = None
end = time.time() + 30
with open(out, "w") as o:
    while time.time() < end:
        n = scur()
        if busy is None and n > 0:
            busy = time.time()
            o.write("%.3f\n" % busy); o.flush()
        elif busy is not None and n == 0:
            o.write("%.3f\n" % time.time()); o.flush()
            break
        time.sleep(0.01)
PY
python3 "$T/hapwatch.py" "$SOCK" be_batch "127.0.0.7:$BPORT" "$T/sessions" &
hw=$!
# roundrobin over two: one of the two reaches the slow instance, for 6 s
curl -s -m 15 "http://127.0.0.1:$FE2_PORT/slow6" > "$T/r1" &
c1=$!
curl -s -m 15 "http://127.0.0.1:$FE2_PORT/slow6" > "$T/r2" &
c2=$!
wait_for 5 sh -c "[ -s '$T/sessions' ]"
ok $? "a long request runs on be_batch's instance at 127.0.0.7"
admin terminate '{"group": "batch-asg", "ids": ["i-0000000000000b007"]}' >/dev/null
wait_for 3 be_drain be_batch 127.0.0.7:$BPORT
ok $? "Terminating:Wait: be_batch's server drains within 3 s"
be_ready haproxynode 127.0.0.2:$BPORT && be_ready haproxynode 127.0.0.8:$BPORT &&
    be_ready be_batch 127.0.0.4:$BPORT
ok $? "haproxynode's servers and be_batch's other one keep taking traffic"
[ "$(completes i-0000000000000b007)" -eq 0 ]
ok $? "no CONTINUE while its request runs"
wait $c1 $c2
cat "$T/r1" "$T/r2" | grep -q slow
ok $? "the request it was serving finished with its answer"
wait $hw
wait_for 10 has_event complete instance=i-0000000000000b007 result=CONTINUE
ok $? "CompleteLifecycleAction CONTINUE for it"
tz=$(sed -n 2p "$T/sessions")
tc=$(evtime complete instance=i-0000000000000b007)
python3 -c "import sys; sys.exit(0 if $tz and $tc >= $tz - 0.05 else 1)"
ok $? "only after its sessions reached 0 (0 at $tz, CONTINUE at $tc)"
wait_for 5 is_state i-0000000000000b007 gone
ok $? "then it is terminated"
wait_for 5 be_has be_batch 127.0.0.4:$BPORT
ok $? "be_batch keeps the other"
be_has haproxynode 127.0.0.2:$BPORT 127.0.0.8:$BPORT
ok $? "haproxynode untouched by batch-asg's termination"

# -- a group no backend polls, its hook named as ours: left alone
ido=$(admin launch '{"group": "other-asg", "ips": ["127.0.0.9"]}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["ids"][0])')
wait_for 5 sh -c "curl -sf '$ADMIN/sqs/messages?queue=my-queue' | grep -q '$ido.*\"receives\": [1-9]'"
ok $? "a launch in other-asg is received"
sleep 1
undeleted | grep -q "$ido" && is_state "$ido" Pending:Wait &&
    [ -z "$(events complete instance=$ido)" ] && nowhere 127.0.0.9:$BPORT
ok $? "but not deleted, not completed, in no backend"

[ -z "$(undeleted | grep -v other-asg)" ]
ok $? "every notification of web-asg and batch-asg deleted"
[ "$(fake_count "action=DescribeAutoScalingGroups")" -eq "$polls0" ]
ok $? "no poll needed for any of it"
[ "$(completes "$id8")" -eq 1 ] && [ "$(completes i-0000000000000b007)" -eq 1 ]
ok $? "each action completed once"
[ "$(grep -c -e 'fatal' -e 'sandbox violation' "$T/ep2d.out")" -eq 0 ]
ok $? "no fatal error, no sandbox violation"
secrets_absent
ok $? "no secret in the logs"
done_testing
