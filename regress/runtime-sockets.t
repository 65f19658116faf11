#!/bin/sh
# update_by_runtime with several sockets (haproxy_socket_file, one per
# HAProxy process): every process follows the same changes; a socket
# that fails makes ep2d fall back to a validated reload.
# Ports 24080-24099.
PORT_BASE=24080
. "$(dirname "$0")/lib.sh"
t_init

FE2=24081 B1=24082 B2=24083 B3=24084 B4=24085
SOCK2=$T/haproxy2.sock

hap2() {
	echo "$1" | socat -t 5 - "UNIX-CONNECT:$SOCK2"
}

# ready_on SOCKET ADDR:PORT: UP with its weight back on that process
ready_on() {
	echo "show stat" | socat -t 5 - "UNIX-CONNECT:$1" | awk -F, -v a="$2" \
	    '$1 == "haproxynode" && $74 == a && $18 == "UP" && $19 > 0 {
	    f = 1 } END { exit !f }'
}

# live_on SOCKET: servers not in maint, sorted, one line
live_on() {
	echo "show stat" | socat -t 5 - "UNIX-CONNECT:$1" | awk -F, '
	    $1 == "haproxynode" && $2 != "BACKEND" && $2 != "FRONTEND" &&
	    $18 !~ /MAINT/ { print $74 }' | sort | tr '\n' ' '
}

both_have() {
	_w=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$(live_on "$SOCK")" = "$_w" ] && [ "$(live_on "$SOCK2")" = "$_w" ]
}

backends $B1 $B2 $B3 $B4
ok $? "backends answer"

write_template
UPDATE_TYPE=update_by_runtime NODE_SLOTS=4 write_conf "check_interval = 200ms
drain_timeout = 5"
sed -i "s|^haproxy_socket_file = .*|haproxy_socket_file = $SOCK, $SOCK2|" \
    "$T/ep2.conf"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
ep2d_start -v
wait_for 10 ready_on "$SOCK" 127.0.0.1:$B2
ok $? "bootstrap: the first HAProxy runs"

# the second process: the same file, its own socket and port
sed -e "s|$SOCK |$SOCK2 |" -e "s|127.0.0.1:$FE_PORT|127.0.0.1:$FE2|" \
    "$T/haproxy.cfg" > "$T/haproxy2.cfg"
"$HAPROXY" -D -f "$T/haproxy2.cfg" -p "$T/haproxy2.pid"
ok $? "a second HAProxy process with its own socket"
wait_for 10 ready_on "$SOCK2" 127.0.0.1:$B2
ok $? "it runs the two servers"
pid1=$(haproxy_pid)
pid2=$(cat "$T/haproxy2.pid")

printf '127.0.0.1:%s\n' $B3 >> "$T/servers"
wait_for 10 ready_on "$SOCK" 127.0.0.1:$B3 &&
    wait_for 10 ready_on "$SOCK2" 127.0.0.1:$B3
ok $? "scale-out: both processes have the new server, ready"
both_have 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "both run the same three"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B2 $B3 > "$T/servers.tmp"
mv "$T/servers.tmp" "$T/servers"
wait_for 10 both_have 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "scale-in: the server left both"
[ "$(haproxy_pid)" = "$pid1" ] && [ "$(cat "$T/haproxy2.pid")" = "$pid2" ] &&
    ! log_has "haproxy reloaded"
ok $? "no reload of either"
c=$(for i in 1 2 3 4; do curl -s "http://127.0.0.1:$FE2/"; done | sort -u |
    tr '\n' ' ')
[ "$c" = "b$B2 b$B3 " ]
ok $? "the second process serves the new set ($c)"

# the second process dies: its socket fails, ep2d reloads instead
kill "$pid2"
wait_for 5 sh -c "! kill -0 $pid2"
printf '127.0.0.1:%s\n' $B4 >> "$T/servers"
wait_for 10 log_has "falling back to a validated reload"
ok $? "a failing socket: fall back to a reload, said in the log"
log_has "runtime socket $SOCK2: connect"
ok $? "the failing socket is named"
wait_for 10 ready_on "$SOCK" 127.0.0.1:$B4
ok $? "the new server runs on the first process"
wait_for 10 log_has "haproxy reloaded"
[ "$(haproxy_pid)" != "$pid1" ]
ok $? "through a reload (pid $pid1 -> $(haproxy_pid))"
# B4 was still warming when the reload rendered: it is written disabled
# (an unchecked server takes no traffic) and the new process gets it back
# from ep2d's reconcile after the reload, a few ms later
wait_for 10 hap_has 127.0.0.1:$B2 127.0.0.1:$B3 127.0.0.1:$B4
ok $? "the first process runs the wanted set" ||
    diag "live on $SOCK: $(hap_live | tr '\n' ' ')"

# a SIGHUP naming another socket list: said, and the sockets of the
# start (those the connector knows) keep working
SOCK3=$T/haproxy3.sock
sed -i "s|^haproxy_socket_file = .*|haproxy_socket_file = $SOCK, $SOCK3|" \
    "$T/ep2.conf"
kill -HUP $EP2D_PID
wait_for 10 log_has "haproxy_socket_file changed: restart ep2d to use it; the sockets of the start stay until then"
ok $? "SIGHUP with a new runtime socket: the log says to restart"
printf '127.0.0.1:%s\n' $B1 >> "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B3 127.0.0.1:$B4
ok $? "changes still reach HAProxy"
! log_has "haproxy3.sock"
ok $? "the new socket is not tried before a restart"
ctl_status_is "s[0]['apply_ok'] and s[0]['servers'] == 4 and
    s[0]['apply_error'] is None"
ok $? "ep2d answers: show status says the last apply went well, four servers"
[ $? -eq 0 ] || diag "$(cat "$T/status.json")"

done_testing
