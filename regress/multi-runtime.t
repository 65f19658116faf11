#!/bin/sh
# Several backends, update_by_runtime: each backend has its own slots
# and runtime socket work, a change to one goes over the socket without
# a reload and leaves the others alone; a backend in update_by_config
# next to them reloads for its own changes only; a restarted ep2d finds
# each backend's servers in their slots in that backend's section.
# Ports 29020-29039.
PORT_BASE=29020
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"
. "$TOP/regress/multi-lib.sh"

B1=29022 B2=29023 B3=29024 B4=29025 B5=29026 B6=29027
backends $B1 $B2 $B3 $B4 $B5 $B6
ok $? "six backends answer"
fake_consul_start
ok $? "fake Consul answers"

SERVICE=api consul_register api1 127.0.0.1 $B5
put "$T/servers" 127.0.0.1:$B1
put "$T/servers2" 127.0.0.1:$B3
multi_template
UPDATE_TYPE=update_by_runtime multi_conf "check_interval = 200ms" "" \
    "update_type = update_by_config"
ep2d_start -v

wait_for 15 be_has haproxynode 127.0.0.1:$B1 &&
    wait_for 10 be_has be_files2 127.0.0.1:$B3 &&
    wait_for 10 be_has be_api 127.0.0.1:$B5
ok $? "bootstrap: the three backends have their servers"
out=$("$EP2CTL" -s "$CTL" show backends 2>&1)
echo "$out" | grep -Eq '^haproxynode +file +update_by_runtime' &&
    echo "$out" | grep -Eq '^be_files2 +file +update_by_runtime' &&
    echo "$out" | grep -Eq '^be_api +consul +update_by_config'
ok $? "update_type per backend"
diag "$out"
"$EP2CTL" -s "$CTL" show slots | grep -Eq '^be_files2 +node4 +- +free'
ok $? "show slots: be_files2's free slots (node_slots inherited)"
"$EP2CTL" -s "$CTL" show slots > "$T/slots.out" 2>&1
diag "$(cat "$T/slots.out")"

n0=$(nreloads)
put "$T/servers2" 127.0.0.1:$B3 127.0.0.1:$B4
wait_for 10 be_has be_files2 127.0.0.1:$B3 127.0.0.1:$B4
ok $? "be_files2 grows at runtime"
wait_for 10 grep -q "node2 127.0.0.1:$B4" "$T/haproxy.cfg"
ok $? "haproxy.cfg follows"
[ "$(nreloads)" -eq "$n0" ]
ok $? "without a reload"
be_has haproxynode 127.0.0.1:$B1 && be_has be_api 127.0.0.1:$B5
ok $? "the other backends untouched"

put "$T/servers" 127.0.0.1:$B2
wait_for 10 be_has haproxynode 127.0.0.1:$B2
ok $? "haproxynode changes at runtime too"
[ "$(nreloads)" -eq "$n0" ]
ok $? "still no reload"

SERVICE=api consul_register api2 127.0.0.1 $B6
wait_for 15 be_has be_api 127.0.0.1:$B5 127.0.0.1:$B6
ok $? "be_api (update_by_config) gets its new server"
[ "$(nreloads)" -eq $((n0 + 1)) ]
ok $? "by one reload ($(nreloads) - $n0)"
be_has be_files2 127.0.0.1:$B3 127.0.0.1:$B4
ok $? "the runtime backends keep their servers through the reload"

# restart: each runtime backend finds its servers in its own section
grep -A8 "^backend be_files2" "$T/haproxy.cfg" | grep -q "node2 127.0.0.1:$B4"
ok $? "be_files2's node2 holds B4 in haproxy.cfg"
kill $EP2D_PID
wait_for 5 sh -c "! kill -0 $EP2D_PID"
ok $? "ep2d stopped"
: > "$T/ep2d.out"
ep2d_start -v
wait_for 15 log_has "haproxy reloaded\|haproxy started"
ok $? "ep2d started again"
wait_for 5 log_has "2 servers kept their slots"
ok $? "be_files2's servers kept their slots"
grep -A8 "^backend be_files2" "$T/haproxy.cfg" | grep -q "node2 127.0.0.1:$B4"
ok $? "B4 still in be_files2's node2"

done_testing
