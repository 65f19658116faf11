#!/bin/sh
# 100 clients connect to the control socket and say nothing: ep2d
# refuses past its limit, logs it, keeps applying changes, and answers
# ep2ctl again once they are gone.  Ports 25140-25159.
PORT_BASE=25140
. "$(dirname "$0")/lib.sh"
t_init

B1=25141 B2=25142
backends $B1 $B2
write_template
write_conf "check_interval = 200ms"
echo "127.0.0.1:$B1" > "$T/servers"
ep2d_start
wait_for 15 hap_has 127.0.0.1:$B1
ok $? "bootstrap"

# 100 silent clients, held open until $T/release appears
python3 - "$CTL" "$T/release" "$T/held" <<'PY' &
import os, socket, sys, time
path, release, held = sys.argv[1:4]
socks = []
for i in range(100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        socks.append(s)
    except OSError:
        s.close()
open(held, "w").write("%d\n" % len(socks))
for _ in range(600):
    if os.path.exists(release):
        break
    time.sleep(0.05)
PY
STALL=$!
t_pids="$t_pids $STALL"
wait_for 10 test -s "$T/held"
ok $? "100 clients connected and silent"
wait_for 10 log_has "control: too many clients"
ok $? "the ones past the limit are refused, and that is logged"
kill -0 "$EP2D_PID"
ok $? "ep2d keeps running"
echo "127.0.0.1:$B1
127.0.0.1:$B2" > "$T/servers"
wait_for 15 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "and keeps applying changes meanwhile"
touch "$T/release"
wait_for 10 sh -c "! kill -0 $STALL 2>/dev/null"
wait_for 10 "$EP2CTL" -s "$CTL" show status
ok $? "once they are gone, ep2ctl is answered again"
n=$(ls -l /proc/"$EP2D_PID"/fd | grep -c socket)
[ "$n" -lt 40 ]
ok $? "no descriptor kept for the closed clients ($n sockets)"

done_testing
