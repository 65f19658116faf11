#!/bin/sh
# update_by_runtime, scale-in: the server leaving is drained; a long
# request on it finishes, then its slot goes to maint and is free; with
# drain_timeout the slot is freed after that time even with a session
# left, and the session still completes.
# Ports 24020-24039.
PORT_BASE=24020
. "$(dirname "$0")/lib.sh"
t_init

B1=24021 SLOW=24022

command -v python3 >/dev/null || skip_all "no python3"

# a backend answering "slow" to /slow after 3 s, at once to anything else
python3 "$TOP/regress/fakes/slow_backend.py" 127.0.0.1 $SLOW &
t_pids="$t_pids $!"
backends $B1
ok $? "backend answers"
wait_for 5 curl -sf "http://127.0.0.1:$SLOW/"
ok $? "slow backend answers"

slot_state() {
	$EP2CTL -s $CTL show slots | awk -v n="$1" '$2 == n { print $4 }'
}

# slot_is NAME STATE
slot_is() {
	[ "$(slot_state "$1")" = "$2" ]
}

# slow_busy: a session runs on the slow server
slow_busy() {
	[ "$(hap 'show stat' | awk -F, -v a="127.0.0.1:$SLOW" \
	    '$74 == a { print $5 }')" -ge 1 ]
}

# hap_ready ADDR:PORT: UP with its weight back (warm-up over)
hap_ready() {
	hap "show stat" | awk -F, -v a="$1" '$1 == "haproxynode" &&
	    $74 == a && $18 == "UP" && $19 > 0 { f = 1 } END { exit !f }'
}

write_template
UPDATE_TYPE=update_by_runtime NODE_SLOTS=4 write_conf "check_interval = 200ms
drain_timeout = 20"
printf '127.0.0.1:%s\n' $SLOW > "$T/servers"
ep2d_start -v
wait_for 10 hap_up 127.0.0.1:$SLOW
ok $? "bootstrap: the slow server is UP in node1"
echo "127.0.0.1:$B1" >> "$T/servers"
wait_for 10 hap_ready 127.0.0.1:$B1
ok $? "a second server is UP"
pid1=$(haproxy_pid)

# only the slow server answers /slow slowly: start requests until one
# is on it (round robin: at most two)
curl -s -m 10 "http://127.0.0.1:$FE_PORT/slow" > "$T/r1" &
c1=$!
curl -s -m 10 "http://127.0.0.1:$FE_PORT/slow" > "$T/r2" &
c2=$!
wait_for 5 slow_busy
ok $? "a long request runs on the slow server"

printf '127.0.0.1:%s\n' $B1 > "$T/servers"
wait_for 5 slot_is node1 drain
ok $? "scale-in: node1 drains (ep2ctl show slots)"
a=$(hap "show stat" | awk -F, -v a="127.0.0.1:$SLOW" '$74 == a { print $18 }')
[ "$a" = DRAIN ]
ok $? "HAProxy shows it DRAIN ($a)"
c=$(answers 6)
[ "$c" = "b$B1 " ]
ok $? "new requests avoid the draining server ($c)"
wait $c1 $c2
grep -q slow "$T/r1" || grep -q slow "$T/r2"
ok $? "the long request finished with its answer"
wait_for 5 slot_is node1 free
ok $? "then the slot is free"
st=$(hap "show servers state haproxynode" | awk '$4 == "node1" { print $7 }')
[ $((st % 2)) = 1 ]
ok $? "and in maint in HAProxy (admin state $st)"
grep -q "node1: 127.0.0.1 drained" "$T/ep2d.out"
ok $? "the log says it drained"
[ "$(haproxy_pid)" = "$pid1" ]
ok $? "no reload"

# drain_timeout: 1 s, a 3 s request
kill $EP2D_PID
wait_for 5 sh -c "! kill -0 $EP2D_PID"
UPDATE_TYPE=update_by_runtime NODE_SLOTS=4 write_conf "check_interval = 200ms
drain_timeout = 1"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $SLOW $B1 > "$T/servers"
ep2d_start -v
wait_for 10 hap_up 127.0.0.1:$SLOW
ok $? "restarted with drain_timeout 1"
# both at their weight: one of the two requests below must reach the
# slow server (UP at weight 0 in a warm-up takes none)
wait_for 10 hap_ready 127.0.0.1:$SLOW
wait_for 10 hap_ready 127.0.0.1:$B1
# the restart reloaded HAProxy (the slow server came back into the
# configuration); the old process, which has the slot in maint, may
# still accept for a moment: requests go out once it is gone
wait_for 10 sh -c "! kill -0 $pid1 2>/dev/null"
ok $? "the HAProxy before the reload has left"
curl -s -m 10 "http://127.0.0.1:$FE_PORT/slow" > "$T/r1" &
c1=$!
curl -s -m 10 "http://127.0.0.1:$FE_PORT/slow" > "$T/r2" &
c2=$!
wait_for 5 slow_busy
ok $? "a long request runs on the slow server"
printf '127.0.0.1:%s\n' $B1 > "$T/servers"
# one or both requests on the slow server (round robin over a server
# still warming takes both): a session left is what is tested
wait_for 3 grep -Eq "drain_timeout with [1-9][0-9]* sessions left" "$T/ep2d.out"
ok $? "drain_timeout: the slot is freed with a session left"
[ $? -eq 0 ] || diag "$(grep -e drain -e node1 "$T/ep2d.out")"
kill -0 $c1 2>/dev/null || kill -0 $c2 2>/dev/null
ok $? "while the request still runs"
wait $c1 $c2
grep -q slow "$T/r1" || grep -q slow "$T/r2"
ok $? "and the request still completes"

done_testing
