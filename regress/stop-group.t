#!/bin/sh
# A stop sent to ep2d's whole process group (^C in a terminal, systemd's
# KillMode=control-group) reaches the children too, maybe before the
# parent: that is a stop (exit 0, no "lost child"), HAProxy keeps
# serving.  A child that really fails still makes ep2d exit 1.
# Ports 29140-29159.
PORT_BASE=29140
. "$(dirname "$0")/lib.sh"
t_init

B1=29141
backends $B1
write_template
write_conf
echo "127.0.0.1:$B1" > "$T/servers"

# ep2d_group_start: ep2d -d as the leader of a process group of its own;
# its exit status goes to $T/ep2d.status (no test waits unbounded)
ep2d_group_start() {
	: > "$T/ep2d.out"
	rm -f "$T/ep2d.status"
	( setsid "$EP2D" -d -f "$T/ep2.conf" -s "$CTL" >> "$T/ep2d.out" 2>&1
	    echo $? > "$T/ep2d.status" ) &
	_sub=$!
	wait_for 5 sh -c "pgrep -P $_sub >/dev/null"
	EP2D_PID=$(pgrep -P "$_sub" | head -n 1)
}
# ep2d_status: ep2d's exit status once it has exited (10 s at most),
# else 255 and what is left of its group
ep2d_status() {
	if wait_for 10 test -s "$T/ep2d.status"; then
		st=$(cat "$T/ep2d.status")
	else
		diag "$(ps -o pid,stat,args -g "$EP2D_PID")"
		st=255
	fi
	EP2D_PID=""
}

# stop_round NAME HOW: start, stop by HOW, check exit 0 and HAProxy
stop_round() {
	ep2d_group_start
	# up: the start's reload is over (a group signal in the middle of
	# it would reach the new HAProxy before it leaves the group)
	wait_for 10 hap_has 127.0.0.1:$B1 &&
	    wait_for 10 grep -Eq "haproxy (reloaded|started) with" "$T/ep2d.out"
	ok $? "$1: ep2d up, HAProxy has the server"
	wait_for 5 sh -c "[ \$(pgrep -g $EP2D_PID -f '^ep2d: ' | wc -l) -ge 5 ]"
	ok $? "$1: parent, fetcher, reloader, connector, runner in the group"
	$2
	ep2d_status
	[ "$st" -eq 0 ]
	ok $? "$1: ep2d exits 0 (got $st)"
	! grep -q "lost child" "$T/ep2d.out"
	ok $? "$1: no 'lost child' line"
	[ "$st" -eq 0 ] || diag "$(cat "$T/ep2d.out")"
	# HAProxy answers (a loaded machine may still be handing the
	# listeners from a reload's old process to the new; its pid file
	# is rewritten then, so it is not read here)
	wait_for 5 sh -c \
	    "curl -sf http://127.0.0.1:$FE_PORT/ | grep -q b$B1"
	ok $? "$1: HAProxy keeps serving"
}
group_term() { kill -TERM -"$EP2D_PID"; }
group_int() { kill -INT -"$EP2D_PID"; }
# the children first, the parent once they are gone: an order in which
# systemd may signal a control group
children_first() {
	_c=$(pgrep -g "$EP2D_PID" -f '^ep2d: (fetcher|reloader|connector|runner)')
	kill -TERM $_c
	wait_for 5 sh -c "! pgrep -g $EP2D_PID -f '^ep2d: (fetcher|reloader|connector|runner)'"
	kill -TERM "$EP2D_PID" 2>/dev/null
}
stop_round "SIGTERM to the group" group_term
stop_round "SIGINT to the group" group_int
stop_round "SIGTERM to the children, then the parent" children_first

# a child killed by something else is still a failure
ep2d_group_start
wait_for 10 hap_has 127.0.0.1:$B1
wait_for 5 sh -c "[ -n \"\$(pgrep -P $EP2D_PID -f '^ep2d: fetcher')\" ]"
F=$(ep2d_pids fetcher)
[ -n "$F" ] && kill -KILL "$F"
ep2d_status
[ "$st" -eq 1 ] && grep -q "lost child: fetcher pid $F terminated; signal 9" \
    "$T/ep2d.out"
ok $? "a fetcher ($F) killed by SIGKILL: 'lost child', exit 1 (got $st)"

done_testing
