#!/bin/sh
# update_by_runtime: when the free slots run out no server is dropped:
# the slot count grows (slot_growth: double by default, or +N), one
# validated reload brings the new slots, the new servers are filled at
# runtime after their health check, and changes go on at runtime.
# Ports 24040-24059.
PORT_BASE=24040
. "$(dirname "$0")/lib.sh"
t_init

B1=24041 B2=24042 B3=24043 B4=24044 B5=24045 B6=24046

hap_ready() {
	hap "show stat" | awk -F, -v a="$1" '$1 == "haproxynode" &&
	    $74 == a && $18 == "UP" && $19 > 0 { f = 1 } END { exit !f }'
}

nslots() {
	grep -c "^    server node" "$T/haproxy.cfg"
}

reloads() {
	grep -c "haproxy reloaded" "$T/ep2d.out"
}

backends $B1 $B2 $B3 $B4 $B5 $B6
ok $? "six backends answer"

write_template
UPDATE_TYPE=update_by_runtime NODE_SLOTS=2 write_conf "check_interval = 200ms"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
ep2d_start -v
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "bootstrap: two servers in node_slots 2"
[ "$(nslots)" = 2 ]
ok $? "two slots rendered"
wait_for 10 hap_ready 127.0.0.1:$B2
r1=$(reloads)

printf '127.0.0.1:%s\n' $B3 >> "$T/servers"
wait_for 10 hap_ready 127.0.0.1:$B3
ok $? "a third server: UP, nothing dropped"
hap_has 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "all three live"
[ "$(nslots)" = 4 ]
ok $? "slots doubled to 4"
[ "$(reloads)" = $((r1 + 1)) ]
ok $? "by one reload"
grep -q "growing from 2 to 4 slots" "$T/ep2d.out"
ok $? "the log says so"
wait_for 10 grep -q "server node3 127.0.0.1:$B3 check" "$T/haproxy.cfg"
ok $? "the new server is in node3 in haproxy.cfg"
grep -q "server node1 127.0.0.1:$B1 check" "$T/haproxy.cfg" &&
    grep -q "server node2 127.0.0.1:$B2 check" "$T/haproxy.cfg"
ok $? "the others kept their slots"

# the fourth fits in the grown slots: runtime again
r2=$(reloads)
pid=$(haproxy_pid)
printf '127.0.0.1:%s\n' $B4 >> "$T/servers"
wait_for 10 hap_ready 127.0.0.1:$B4
ok $? "a fourth server in node4"
[ "$(reloads)" = "$r2" ] && [ "$(haproxy_pid)" = "$pid" ]
ok $? "without a reload"

# two more at once: 4 -> 8
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B5 $B6 >> "$T/servers"
wait_for 10 hap_ready 127.0.0.1:$B5 && wait_for 10 hap_ready 127.0.0.1:$B6
ok $? "two more: both UP"
hap_has 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B3 127.0.0.1:$B4 \
    127.0.0.1:$B5 127.0.0.1:$B6
ok $? "all six live"
[ "$(nslots)" = 8 ]
ok $? "8 slots"
c=$(answers 12)
[ "$c" = "b$B1 b$B2 b$B3 b$B4 b$B5 b$B6 " ]
ok $? "traffic reaches all six ($c)"
kill $EP2D_PID
wait_for 5 sh -c "! kill -0 $EP2D_PID"

# slot_growth = 3: 2 -> 5 (without the old file, whose 8 slots would
# be kept)
rm "$T/haproxy.cfg"
UPDATE_TYPE=update_by_runtime NODE_SLOTS=2 write_conf "check_interval = 200ms
slot_growth = 3"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
ep2d_start -v
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "restarted with slot_growth = 3"
wait_for 10 hap_ready 127.0.0.1:$B2
printf '127.0.0.1:%s\n' $B3 >> "$T/servers"
wait_for 10 hap_ready 127.0.0.1:$B3
ok $? "a third server"
[ "$(nslots)" = 5 ]
ok $? "slots grew by 3 to 5"

done_testing
