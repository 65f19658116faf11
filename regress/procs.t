#!/bin/sh
# The processes: titles, the fetcher's user and confinement, the lock,
# -n, a killed child or helper taking the daemon down with one line
# while HAProxy keeps serving; ep2d as process 1 (a container's entry
# point).  Ports 25020-25039.
PORT_BASE=25020
. "$(dirname "$0")/lib.sh"
t_init

B1=25021
backends $B1
write_template
write_conf
echo "127.0.0.1:$B1" > "$T/servers"

out=$("$EP2D" -n -f "$T/ep2.conf" 2>&1)
[ $? -eq 0 ] && [ "$out" = "configuration OK" ]
ok $? "-n: configuration OK, exit 0"
printf '[haproxy]\nbackend_port = 0\nnode_slots = many\n' > "$T/bad.conf"
out=$("$EP2D" -n -f "$T/bad.conf" 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "bad.conf:2" &&
    echo "$out" | grep -q "backend_port"
ok $? "-n: a bad value is named with file:line and key, exit 1"

ep2d_start
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "ep2d up, HAProxy has the server"

F=$(ep2d_pids fetcher)
R=$(ep2d_pids reloader)
[ -n "$F" ] && [ -n "$R" ]
ok $? "processes titled 'ep2d: fetcher' and 'ep2d: reloader' ($F, $R)"
C=$(ep2d_pids connector)
N=$(pgrep -P "$R" -f '^ep2d: runner')
[ -n "$C" ] && [ -n "$N" ]
ok $? "the parent's connector ($C) and the reloader's runner ($N)"
ps -o args= -p $EP2D_PID | grep -q "^ep2d: parent"
ok $? "the parent is titled 'ep2d: parent'"
[ "$(stat -c %U /proc/$F)" = "_ep2d" ]
ok $? "the fetcher runs as _ep2d"
grep -q "^NoNewPrivs:[[:space:]]*1" /proc/$F/status
ok $? "fetcher: NoNewPrivs 1"
grep -q "^Seccomp:[[:space:]]*2" /proc/$F/status
ok $? "fetcher: Seccomp 2 (filter)"
grep -q "^CapEff:[[:space:]]*0000000000000000" /proc/$F/status &&
    grep -q "^CapBnd:[[:space:]]*0000000000000000" /proc/$F/status
ok $? "fetcher: no capabilities, empty bounding set"
[ "$(readlink /proc/$F/root)" = "/run/ep2d/fetcher" ]
ok $? "fetcher: chrooted to /run/ep2d/fetcher"
grep -q "^NoNewPrivs:[[:space:]]*1" /proc/$R/status
ok $? "reloader: NoNewPrivs 1"
[ "$(stat -c %U /proc/$R)" = "root" ]
ok $? "reloader stays root"
[ "$(stat -c %a "$CTL")" = "660" ] || [ "$(stat -c %a "$CTL")" = "600" ]
ok $? "control socket mode 0660 or stricter"

out=$("$EP2D" -d -f "$T/ep2.conf" -s "$T/other.sock" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "another ep2d (pid $EP2D_PID)"
ok $? "a second ep2d on the same config is refused by the lock"

hp=$(haproxy_pid)
kill -9 "$F"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
ok $? "killing the fetcher ends the daemon"
grep -q "lost child: fetcher pid $F" "$T/ep2d.out"
ok $? "one log line says which child was lost"
[ -z "$(ep2d_pids reloader)" ] && ! kill -0 "$R" 2>/dev/null
ok $? "no orphan: the reloader is gone too"
wait_for 5 sh -c "! kill -0 $C 2>/dev/null && ! kill -0 $N 2>/dev/null"
ok $? "and the connector and the runner"
kill -0 "$hp" && [ "$(answers 2)" = "b$B1 " ]
ok $? "HAProxy keeps running with its last configuration"

# the reloader's turn, and a clean SIGTERM
: > "$T/ep2d.out"
ep2d_start
wait_for 10 sh -c "[ -n \"\$(pgrep -f '^ep2d: reloader')\" ]"
wait_for 10 log_has "haproxy reloaded"
R=$(ep2d_pids reloader)
C=$(ep2d_pids connector)
N=$(pgrep -P "$R" -f '^ep2d: runner')
kill -9 "$R"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
ok $? "killing the reloader ends the daemon"
grep -q "lost child: reloader pid $R" "$T/ep2d.out"
ok $? "and the log names the reloader"
wait_for 5 sh -c "! kill -0 $C 2>/dev/null && ! kill -0 $N 2>/dev/null"
ok $? "its runner and the connector are gone too"

: > "$T/ep2d.out"
ep2d_start
wait_for 10 log_has "haproxy reloaded"
C=$(ep2d_pids connector)
R=$(ep2d_pids reloader)
N=$(pgrep -P "$R" -f '^ep2d: runner')
kill -TERM $EP2D_PID
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
ok $? "SIGTERM: clean exit"
wait_for 5 sh -c "! kill -0 $C 2>/dev/null && ! kill -0 $N 2>/dev/null && ! kill -0 $R 2>/dev/null"
ok $? "no process of ep2d left ($C $R $N)"
wait $EP2D_PID
ok $? "exit status 0 after SIGTERM"
[ ! -e "$CTL" ]
ok $? "control socket removed"
kill -0 "$(haproxy_pid)" && [ "$(answers 2)" = "b$B1 " ]
ok $? "HAProxy still running and serving after ep2d stopped"

# the helpers' turn: the one who forked it says, once, how it ended
: > "$T/ep2d.out"
ep2d_start
wait_for 10 log_has "haproxy reloaded"
C=$(ep2d_pids connector)
R=$(ep2d_pids reloader)
N=$(pgrep -P "$R" -f '^ep2d: runner')
kill -9 "$C"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
ok $? "killing the connector ends the daemon"
wait $EP2D_PID
st=$?
[ "$st" -ne 0 ] && [ "$(grep -c "lost child" "$T/ep2d.out")" -eq 1 ] &&
    grep -q "lost child: connector pid $C terminated; signal 9" "$T/ep2d.out"
ok $? "exit $st, and one 'lost child' line, the connector's" ||
    diag "$(grep "lost child" "$T/ep2d.out")"
wait_for 5 sh -c "! kill -0 $R 2>/dev/null && ! kill -0 $N 2>/dev/null"
ok $? "the reloader and its runner are gone too"

: > "$T/ep2d.out"
ep2d_start
wait_for 10 log_has "haproxy reloaded"
C=$(ep2d_pids connector)
R=$(ep2d_pids reloader)
N=$(pgrep -P "$R" -f '^ep2d: runner')
kill -9 "$N"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
ok $? "killing the runner ends the daemon"
wait $EP2D_PID
st=$?
[ "$st" -ne 0 ] && [ "$(grep -c "lost child" "$T/ep2d.out")" -eq 2 ] &&
    [ "$(grep -c "lost child: runner" "$T/ep2d.out")" -eq 1 ] &&
    grep -q "lost child: runner pid $N terminated; signal 9" \
    "$T/ep2d.out" &&
    grep -q "lost child: reloader pid $R exited 1" "$T/ep2d.out"
ok $? "exit $st; a line from the reloader for its runner, one from the parent for the reloader" ||
    diag "$(grep "lost child" "$T/ep2d.out")"
wait_for 5 sh -c "! kill -0 $C 2>/dev/null"
ok $? "the connector is gone too"
kill -0 "$(haproxy_pid)" && [ "$(answers 2)" = "b$B1 " ]
ok $? "HAProxy keeps serving"

# ep2d as process 1 of a PID namespace, as a container's entry point:
# its helpers must not take process 1 for a dead parent
if unshare --pid --fork --mount-proc true 2>/dev/null; then
	kill "$(haproxy_pid)" 2>/dev/null
	wait_for 5 sh -c "! kill -0 $(haproxy_pid) 2>/dev/null"
	B2=25022
	backends $B2
	: > "$T/ep2d.out"
	UPDATE_TYPE=update_by_runtime NODE_SLOTS=4 write_conf
	unshare --pid --fork --mount-proc "$EP2D" -d -v \
	    -f "$T/ep2.conf" -s "$CTL" >> "$T/ep2d.out" 2>&1 &
	U=$!
	t_pids="$t_pids $U"
	wait_for 10 hap_has 127.0.0.1:$B1
	ok $? "ep2d as process 1: bootstrap"
	printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
	wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
	ok $? "ep2d as process 1: a change applies over the runtime socket"
	! log_has "lost child" && ! log_has "haproxy reloaded"
	ok $? "no helper lost, no reload"
	# unshare ignores SIGTERM while it waits: signal ep2d itself
	kill "$(pgrep -P "$U")"
	wait_for 10 sh -c "! kill -0 $U 2>/dev/null"
	ok $? "and it stops on SIGTERM"
else
	diag "no unshare --pid here: ep2d as process 1 not tried"
fi

done_testing
