#!/bin/sh
# 100 clients connect to the control socket and say nothing: ep2d
# refuses past its limit, logs it, keeps applying changes, and answers
# ep2ctl again once they are gone.  Clients that send and never read
# are closed past a bound in bytes; clients that trickle bytes are
# closed 60 seconds after they came.  Ports 25140-25159.
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
# the control socket is full: what ep2d does is seen in HAProxy
echo "127.0.0.1:$B1
127.0.0.1:$B2" > "$T/servers"
wait_for 15 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "ep2d keeps running and applying changes meanwhile"
touch "$T/release"
wait_for 10 sh -c "! kill -0 $STALL 2>/dev/null"
wait_for 10 "$EP2CTL" -s "$CTL" show status
ok $? "once they are gone, ep2ctl is answered again"
n=$(ls -l /proc/"$EP2D_PID"/fd | grep -c socket)
[ "$n" -lt 40 ]
ok $? "no descriptor kept for the closed clients ($n sockets)"

# 4 clients that pipeline "show status" and never read their answers:
# each is closed with one line once its answers pass 32 MB, or those of
# all clients 64 MB; the parent's peak memory grows by less than
# 64 MB and one answer, not by what the clients ask (the queue used to
# count messages: 170 MB a client)
hwm() {
	awk '/^VmHWM:/ { print $2 }' /proc/"$EP2D_PID"/status
}
h0=$(hwm)
: > "$T/ep2d.out"
python3 - "$CTL" <<'PY' > "$T/flood.out" 2>&1 &
import socket, struct, sys, threading
# struct imsg_hdr: type, len, flags, peerid, pid; IMSG_CTL_SHOW_STATUS
req = struct.pack("=IHHII", 4, 16, 0, 0, 0) * 150000
closed = []
def flood():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    try:
        s.sendall(req)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(60)
        # never read: wait until the parent closes (RST or EOF)
        s.recv(1, socket.MSG_PEEK)
    except OSError:
        pass
    closed.append(1)
ts = [threading.Thread(target=flood) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join(90)
print("closed %d" % len(closed))
PY
FLOOD=$!
t_pids="$t_pids $FLOOD"
wait_for 60 sh -c "[ \$(grep -c 'does not read its answers' '$T/ep2d.out') -ge 4 ]"
ok $? "clients that never read: each closed with one line ($(grep -c 'does not read its answers' "$T/ep2d.out"))"
grep -m1 'does not read its answers' "$T/ep2d.out" | sed 's/^/# /'
h1=$(hwm)
[ $((h1 - h0)) -lt $((96 * 1024)) ]
ok $? "the parent's peak memory grew by $(( (h1 - h0) / 1024 )) MB (at most 96)"
wait_for 10 "$EP2CTL" -s "$CTL" show status
ok $? "ep2ctl is answered afterwards"

# 32 clients that send a byte every 5 seconds and never a whole
# request hold every place, but only for the 60 seconds a request has:
# partial input does not extend it; then a new client is served
: > "$T/ep2d.out"
python3 - "$CTL" <<'PY' > "$T/trickle.out" 2>&1 &
import socket, sys, time
socks = []
for i in range(32):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    socks.append(s)
start = time.time()
while socks and time.time() - start < 120:
    for s in list(socks):
        try:
            s.send(b"\x04")
        except OSError:
            socks.remove(s)
    time.sleep(5)
print("left %d after %d s" % (len(socks), time.time() - start))
PY
TRICKLE=$!
t_pids="$t_pids $TRICKLE"
wait_for 10 sh -c "! '$EP2CTL' -s '$CTL' show status >/dev/null 2>&1"
ok $? "32 trickling clients: every place is taken"
wait_for 80 log_has "sent no complete request in 60 seconds, connection closed"
ok $? "trickling clients: closed after the 60 seconds of a request, with a line"
wait_for 10 "$EP2CTL" -s "$CTL" show status
ok $? "trickling clients: a new client is served"
wait_for 20 grep -q "^left 0 " "$T/trickle.out"
ok $? "trickling clients: every one of them was closed ($(cat "$T/trickle.out"))"

done_testing
