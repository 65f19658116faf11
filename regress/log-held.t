#!/bin/sh
# The log's flood guard says what it held back on time: 150 different
# bad requests on the control socket at once make 100 lines (its
# burst), and then, with nothing else happening, the count of the rest
# and the latest of them within a second, not only with the next line
# the parent happens to log (that could be hours later).  The bound of
# the guard itself is in unit-logflood.t.  Ports 29320-29339.
PORT_BASE=29320
. "$(dirname "$0")/lib.sh"
t_init

B1=29321
backends $B1
write_template
write_conf
echo "127.0.0.1:$B1" > "$T/servers"
ep2d_start
wait_for 15 hap_has 127.0.0.1:$B1
ok $? "bootstrap"
wait_for 10 "$EP2CTL" -s "$CTL" show status
ok $? "ep2ctl is answered"

# each request its own connection and its own type: 150 different lines
python3 - "$CTL" <<'PY'
import socket, struct, sys
for i in range(150):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    # struct imsg_hdr: type, len, flags, peerid, pid
    s.sendall(struct.pack("=IHHII", 5000 + i, 16, 0, 0, 0))
    s.settimeout(10)
    # the whole answer (a failure), so that closing resets nothing
    ans = b""
    while len(ans) < 16 or len(ans) < struct.unpack("=IH", ans[:6])[1]:
        b = s.recv(4096)
        if not b:
            sys.exit("request %d: closed before its answer" % i)
        ans += b
    s.close()
PY
ok $? "150 bad requests sent, each answered"
# the burst is 100 lines of the parent: a few went to the start
n=$(grep "bad request (type" "$T/ep2d.out" | grep -vc "type 5149,")
[ "$n" -ge 90 ] && [ "$n" -le 100 ]
ok $? "the first lines are logged at once ($n)"
wait_for 5 log_has "bad request (type 5149,"
ok $? "the latest one held back is logged on time, with nothing else to log"
grep -B1 "bad request (type 5149," "$T/ep2d.out" | head -n 1 |
    grep -Eq "parent: $((149 - n)) lines not logged \(more than 100 at once, then 5 a second\); the latest one follows\$"
ok $? "after the count of the others"
grep -B1 "bad request (type 5149," "$T/ep2d.out" | sed 's/^/# /'
m=$(grep -c "bad request (type" "$T/ep2d.out")
[ "$m" -eq $((n + 1)) ]
ok $? "and only it: the others are counted ($m named)"
"$EP2CTL" -s "$CTL" show status > /dev/null
ok $? "ep2ctl is answered after the flood"

done_testing
