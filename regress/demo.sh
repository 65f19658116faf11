#!/bin/sh
# make demo: ep2d, a real HAProxy and three local backends on 127.0.0.1,
# driven by the file orchestrator.  Servers are added and removed; after
# each step the demo prints ep2ctl's view and which backends answer.
# Everything it starts is stopped at the end.
if [ "$(id -u)" -ne 0 ]; then
	echo "make demo runs as root (ep2d drops privileges itself)" >&2
	exit 1
fi
PORT_BASE=26000
UPDATE_TYPE=${UPDATE_TYPE:-update_by_runtime}
. "$(dirname "$0")/lib.sh"
getent passwd _ep2d >/dev/null || useradd --system --no-create-home \
    --home-dir /nonexistent --shell /usr/sbin/nologin _ep2d
t_init >/dev/null

B1=26001 B2=26002 B3=26003
say() { printf '\n== %s\n' "$*"; }
show() {
	"$EP2CTL" -s "$CTL" show slots
	printf 'answers through HAProxy (127.0.0.1:%s): %s\n' "$FE_PORT" \
	    "$(answers 9)"
}
fail() { echo "demo: $*" >&2; cat "$T/ep2d.out" >&2; exit 1; }

backends $B1 $B2 $B3 || fail "backends did not start"
write_template
write_conf "check_interval = 200ms"
say "three backends answer on 127.0.0.1:$B1, $B2, $B3; the servers file lists one"
echo "127.0.0.1:$B1" > "$T/servers"
ep2d_start
wait_for 15 hap_ready 127.0.0.1:$B1 || fail "HAProxy did not get the first server"
echo "ep2d -f $T/ep2.conf ($UPDATE_TYPE): processes:"
ps -o pid,user,args --pid "$EP2D_PID" --ppid "$EP2D_PID" | sed "s/^/  /"
show

say "scale out: add 127.0.0.1:$B2 and 127.0.0.1:$B3 to the file"
printf '127.0.0.1:%s\n127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 $B3 > "$T/servers"
wait_for 15 hap_ready 127.0.0.1:$B2 && wait_for 15 hap_ready 127.0.0.1:$B3 ||
    fail "scale-out did not reach HAProxy"
show

say "scale in: remove 127.0.0.1:$B1"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B2 $B3 > "$T/servers"
wait_for 40 hap_has 127.0.0.1:$B2 127.0.0.1:$B3 ||
    fail "scale-in did not reach HAProxy"
show

say "a hostile line is refused, the rest applies"
printf '127.0.0.1:%s\n127.0.0.1;shutdown sessions\n' $B3 > "$T/servers"
wait_for 40 hap_has 127.0.0.1:$B3 || fail "hostile file"
grep "servers:" "$T/ep2d.out" | tail -n 1 | sed 's/^/  log: /'
show

say "ep2ctl show status"
"$EP2CTL" -s "$CTL" show status
say "done; stopping ep2d, HAProxy and the backends"
