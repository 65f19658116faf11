#!/bin/sh
# update_by_runtime: HAProxy restarted behind ep2d's back (from an older
# haproxy.cfg) is noticed by its pid and brought back to the wanted
# servers at runtime; changes made by hand on the socket (drift) are
# repaired by the slow poll.
# Ports 24060-24079.
PORT_BASE=24060
. "$(dirname "$0")/lib.sh"
t_init

B1=24061 B2=24062 B3=24063 B4=24064

hap_ready() {
	hap "show stat" | awk -F, -v a="$1" '$1 == "haproxynode" &&
	    $74 == a && $18 == "UP" && $19 > 0 { f = 1 } END { exit !f }'
}

# slot_is NAME ADDR:PORT: HAProxy has that server in that slot, ready
slot_is() {
	hap "show servers state haproxynode" | awk -v n="$1" -v a="$2" '
	    $4 == n && $5 ":" $19 == a && int($7) % 2 == 0 { f = 1 }
	    END { exit !f }'
}

reloads() {
	grep -c "haproxy reloaded\|haproxy started" "$T/ep2d.out"
}

backends $B1 $B2 $B3 $B4
ok $? "backends answer"

write_template
UPDATE_TYPE=update_by_runtime NODE_SLOTS=4 write_conf "check_interval = 200ms"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
ep2d_start -v
wait_for 10 hap_ready 127.0.0.1:$B2
ok $? "bootstrap"
cp "$T/haproxy.cfg" "$T/old.cfg"
printf '127.0.0.1:%s\n' $B3 >> "$T/servers"
wait_for 10 hap_ready 127.0.0.1:$B3
ok $? "a third server at runtime"
wait_for 10 grep -q "node3 127.0.0.1:$B3" "$T/haproxy.cfg"
r1=$(reloads)

# restart HAProxy by hand from the old file: node3 is disabled there
old=$(haproxy_pid)
kill "$old"
wait_for 5 sh -c "! kill -0 $old"
ok $? "HAProxy stopped by hand"
"$HAPROXY" -W -D -f "$T/old.cfg" -p "$T/haproxy.pid"
ok $? "and started from an older haproxy.cfg"
wait_for 10 slot_is node3 127.0.0.1:$B3
ok $? "ep2d fills node3 again at runtime"
wait_for 10 hap_ready 127.0.0.1:$B3
ok $? "and it takes traffic once checked"
hap_has 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "the wanted set runs again"
log_has "restarted behind ep2d's back" || log_has "HAProxy answers again"
ok $? "the log says HAProxy was restarted"
[ "$(reloads)" = "$r1" ]
ok $? "without a reload by ep2d"

# drift: a server put in maint by hand, another moved by hand
# (ep2d does not poll an idle HAProxy: ep2ctl sync makes it look)
hap "set server haproxynode/node1 state maint" > /dev/null
hap "set server haproxynode/node2 addr 127.0.0.1 port $B4" |
    grep -q "port changed from '$B2' to '$B4'"
ok $? "node2 moved by hand"
"$EP2CTL" -s "$CTL" sync > /dev/null &&
    wait_for 10 slot_is node1 127.0.0.1:$B1 &&
    wait_for 10 slot_is node2 127.0.0.1:$B2
ok $? "ep2ctl sync: the poll puts node1 and node2 back"
wait_for 10 hap_ready 127.0.0.1:$B1 && wait_for 10 hap_ready 127.0.0.1:$B2
ok $? "both ready again"
# the three, and nothing else, answer (sampled until true, 5 s at most:
# a request may still be on its way to the moved server)
wanted_traffic() {
	[ "$(answers 9)" = "b$B1 b$B2 b$B3 " ]
}
wait_for 5 wanted_traffic
ok $? "traffic on the wanted three only ($(answers 9))"

# ep2d itself restarts: every server keeps its slot
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B2 $B3 > "$T/servers.tmp"
mv "$T/servers.tmp" "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B2 127.0.0.1:$B3
printf '127.0.0.1:%s\n' $B4 >> "$T/servers"
wait_for 10 slot_is node1 127.0.0.1:$B4 && wait_for 10 hap_ready 127.0.0.1:$B4
ok $? "node1 freed and taken by a new server"
wait_for 10 grep -q "node1 127.0.0.1:$B4" "$T/haproxy.cfg"
kill $EP2D_PID
wait_for 5 sh -c "! kill -0 $EP2D_PID"
ok $? "ep2d stopped"
ep2d_start -v
wait_for 10 log_has "haproxy reloaded\|haproxy started"
ok $? "ep2d started again (bootstrap reload)"
log_has "3 servers kept their slots"
ok $? "the servers kept their slots from haproxy.cfg"
slot_is node1 127.0.0.1:$B4 && slot_is node2 127.0.0.1:$B2 &&
    slot_is node3 127.0.0.1:$B3
ok $? "node1, node2, node3 hold the same servers as before"

done_testing
