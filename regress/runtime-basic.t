#!/bin/sh
# update_by_runtime with the real HAProxy: servers come and go over the
# runtime socket with HAProxy's pid unchanged; a server keeps its slot;
# a new server takes no traffic before its health check passes; the
# file on disk renders what runs; ep2ctl show slots.
# Ports 24000-24019.
PORT_BASE=24000
. "$(dirname "$0")/lib.sh"
t_init

B1=24001 B2=24002 B3=24003 DEAD=24009

# slot_of ADDR:PORT: the slot name holding that server (not in maint)
slot_of() {
	hap "show servers state haproxynode" | awk -v a="$1" '
	    NF > 18 && $2 == "haproxynode" && $5 ":" $19 == a &&
	    int($7 / 1) % 2 == 0 { print $4 }'
}

# running_set: "name addr:port" of every server not in maint, sorted
running_set() {
	hap "show servers state haproxynode" | awk 'NF > 18 &&
	    $2 == "haproxynode" && int($7) % 2 == 0 { print $4, $5 ":" $19 }' |
	    sort
}

# file_set: the same from haproxy.cfg (lines without "disabled")
file_set() {
	awk '$1 == "server" && $0 !~ / disabled/ { print $2, $3 }' \
	    "$T/haproxy.cfg" | sort
}

disk_is_running() {
	[ "$(running_set)" = "$(file_set)" ] && [ -n "$(file_set)" ]
}

# codes N: HTTP status of N requests, counted ("30x200")
codes() {
	_i=0
	while [ $_i -lt "$1" ]; do
		curl -s -o /dev/null -m 2 -w '%{http_code}\n' \
		    "http://127.0.0.1:$FE_PORT/"
		_i=$((_i + 1))
	done | sort | uniq -c | awk '{ printf "%sx%s ", $1, $2 }'
}

backends $B1 $B2 $B3
ok $? "three backends answer"

write_template
UPDATE_TYPE=update_by_runtime NODE_SLOTS=4 write_conf "check_interval = 200ms
drain_timeout = 5"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
ep2d_start -v

wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "bootstrap: HAProxy started with the two servers"
grep -q "server node1 127.0.0.1:$B1 check inter 200ms\$" "$T/haproxy.cfg" &&
    grep -q "server node3 10.0.0.1:8080 check inter 200ms disabled" \
    "$T/haproxy.cfg" &&
    grep -q "server node4 10.0.0.1:8080 check inter 200ms disabled" \
    "$T/haproxy.cfg"
ok $? "node_slots 4: two live slots, two disabled ones, stable names"
wait_for 10 hap_up 127.0.0.1:$B2
pid1=$(haproxy_pid)
n1=$(grep -c "haproxy reloaded" "$T/ep2d.out")
c1=$(grep -c "haproxy.cfg.new: haproxy -c" "$T/ep2d.out")

# scale-out: over the socket
echo "127.0.0.1:$B3" >> "$T/servers"
wait_for 10 hap_up 127.0.0.1:$B3
ok $? "scale-out: the new server is UP"
[ "$(slot_of 127.0.0.1:$B3)" = node3 ]
ok $? "scale-out: it took the first free slot, node3"
[ "$(slot_of 127.0.0.1:$B1)" = node1 ] && [ "$(slot_of 127.0.0.1:$B2)" = node2 ]
ok $? "scale-out: the others kept their slots"
wait_for 10 sh -c "curl -s http://127.0.0.1:$FE_PORT/ http://127.0.0.1:$FE_PORT/ http://127.0.0.1:$FE_PORT/ | grep -q b$B3"
ok $? "scale-out: the new server receives traffic"
[ "$(haproxy_pid)" = "$pid1" ] &&
    [ "$(grep -c "haproxy reloaded" "$T/ep2d.out")" = "$n1" ]
ok $? "scale-out: no reload (HAProxy pid $pid1 unchanged)"
wait_for 10 disk_is_running
ok $? "haproxy.cfg renders the running servers in their slots"
grep -q "haproxy.cfg follows the runtime changes" "$T/ep2d.out" &&
    [ "$(grep -c "haproxy.cfg.new: haproxy -c" "$T/ep2d.out")" = "$c1" ]
ok $? "scale-out: the file follows without haproxy -c (it goes live only by a checked reload)"

# a new server whose check fails never takes traffic
echo "127.0.0.1:$DEAD" >> "$T/servers"
wait_for 10 sh -c "[ \"\$($EP2CTL -s $CTL show slots | awk '\$3 == \"127.0.0.1:$DEAD\" { print \$4 }')\" = warming ]"
ok $? "a server failing its check stays warming (ep2ctl show slots)"
w=$(hap "show stat" | awk -F, -v a="127.0.0.1:$DEAD" '$74 == a { print $19 }')
[ "$w" = 0 ]
ok $? "its weight is 0 (got '$w')"
c=$(codes 30)
[ "$c" = "30x200 " ]
ok $? "30 requests meanwhile, all answered 200 ($c)"
! grep -q "127.0.0.1:$DEAD" "$T/haproxy.cfg"
ok $? "haproxy.cfg does not list it as live"
grep -v ":$DEAD\$" "$T/servers" > "$T/servers.tmp" && mv "$T/servers.tmp" "$T/servers"
wait_for 10 sh -c "! $EP2CTL -s $CTL show slots | grep -q ':$DEAD '"
ok $? "removed again, its slot is free"

# scale-in: node2 leaves, nobody else moves
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B3 > "$T/servers.tmp"
mv "$T/servers.tmp" "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B3
ok $? "scale-in: the server left"
[ "$(slot_of 127.0.0.1:$B1)" = node1 ] && [ "$(slot_of 127.0.0.1:$B3)" = node3 ]
ok $? "scale-in: the others kept their slots"
wait_for 10 disk_is_running
ok $? "haproxy.cfg follows (node2 disabled)"
grep -q "server node2 10.0.0.1:8080 check inter 200ms disabled" "$T/haproxy.cfg"
ok $? "node2 rendered free"
$EP2CTL -s $CTL show slots > "$T/slots"
grep -q "^haproxynode  *node1  *127.0.0.1:$B1  *ready" "$T/slots" &&
    grep -q "^haproxynode  *node2  *-  *free" "$T/slots"
ok $? "ep2ctl show slots: ready and free rows"
[ "$(haproxy_pid)" = "$pid1" ] &&
    [ "$(grep -c "haproxy reloaded" "$T/ep2d.out")" = "$n1" ]
ok $? "still no reload after all these changes"
c=$(codes 10)
[ "$c" = "10x200 " ]
ok $? "traffic still flows ($c)"
! grep -q "falling back\|refused" "$T/ep2d.out"
ok $? "no runtime command failed"

done_testing
