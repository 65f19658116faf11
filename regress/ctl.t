#!/bin/sh
# The control socket and ep2ctl against a running ep2d (file
# orchestrator, real HAProxy): show status/slots/backends as text and
# JSON, reload, sync, log verbose/brief, the socket's mode, a stale or
# busy socket, the connection limit, and hostile clients that must not
# hurt the daemon.  ep2ctl's error paths, as text and as JSON, are also
# tried against a fake daemon (the JSON of every command against a real
# one: ctl-json.t).  Ports 27000-27099.
PORT_BASE=27000
. "$(dirname "$0")/lib.sh"
t_init

B1=27001 B2=27002 B3=27003

# A small imsg client, a connection holder and a fake daemon.  Message
# types are read from ep2d.h, so that they follow the enum.
cat > "$T/ctltool.py" <<'PY'
import os, re, socket, struct, sys, time

def imsg_types():
    src = open(os.environ["TOP"] + "/ep2d/ep2d.h").read()
    body = re.search(r"enum imsg_type \{(.*?)\};", src, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    names = [n.strip() for n in body.split(",") if n.strip()]
    return {n: i for i, n in enumerate(names)}

T = imsg_types()
N = {v: k for k, v in T.items()}

def msg(typ, data=b""):
    return struct.pack("=IHHII", typ, 16 + len(data), 0, 0, 0) + data

def connect(path):
    # a full listen queue answers EAGAIN at once: retry for a while
    for _ in range(200):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            time.sleep(0.05)
    raise TimeoutError("connect " + path)

def replies(s):
    """Type names of the answer until END, OK or FAIL; CLOSED if the
    daemon hangs up first."""
    out, buf = [], b""
    while True:
        while len(buf) >= 16:
            typ, ln = struct.unpack("=IH", buf[:6])
            if len(buf) < ln:
                break
            data, buf = buf[16:ln], buf[ln:]
            name = N.get(typ, str(typ))
            if name == "IMSG_CTL_FAIL":
                name += ":" + data.rstrip(b"\0").decode()
            out.append(name)
            if typ in (T["IMSG_CTL_END"], T["IMSG_CTL_OK"],
                       T["IMSG_CTL_FAIL"]):
                return out
        try:
            d = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            d = b""
        if not d:
            return out + ["CLOSED"]
        buf += d

def send(path, raw):
    s = connect(path)
    s.sendall(raw)
    r = replies(s)
    s.close()
    return r

cmd, path = sys.argv[1], sys.argv[2]
if cmd == "stale":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)        # and exit without unlink: a dead daemon's socket
elif cmd == "request":
    # request TYPE [struct-format value]: print the answer
    data = b""
    if len(sys.argv) > 4:
        data = struct.pack(sys.argv[4], int(sys.argv[5]))
    print(" ".join(send(path, msg(T.get(sys.argv[3], 0) if
        sys.argv[3] in T else int(sys.argv[3]), data))))
elif cmd == "statuslen":
    s = connect(path)
    s.sendall(msg(T["IMSG_CTL_SHOW_STATUS"]))
    h = s.recv(16, socket.MSG_WAITALL)
    print(struct.unpack("=IH", h[:6])[1] - 16)
elif cmd == "raw":
    # raw HEX: send bytes, print what comes back
    print(" ".join(send(path, bytes.fromhex(sys.argv[3]))))
elif cmd == "garbage":
    print(" ".join(send(path, b"GET / HTTP/1.0\r\n\r\n" + os.urandom(4096))))
elif cmd == "hold":
    # hold N READYFILE STOPFILE: keep N connections open
    conns = [connect(path) for _ in range(int(sys.argv[3]))]
    open(sys.argv[4], "w").close()
    for _ in range(400):
        if os.path.exists(sys.argv[5]):
            break
        time.sleep(0.05)
elif cmd == "fake":
    # fake MODE READYFILE: a daemon that answers one request badly
    mode = sys.argv[3]
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(1)
    ls.settimeout(10)
    open(sys.argv[4], "w").close()
    c, _ = ls.accept()
    c.recv(1024)
    if mode == "fail":
        c.sendall(msg(T["IMSG_CTL_FAIL"], b"no server set yet\0"))
    elif mode == "shortrow":
        c.sendall(msg(T["IMSG_CTL_STATUS"], b"x" * 10) +
                  msg(T["IMSG_CTL_END"]))
    elif mode == "wrongtype":
        c.sendall(msg(T["IMSG_CTL_SLOT"], b"\0" * 8))
    elif mode == "hostile":
        # a status of the right size whose strings hold quotes, control
        # bytes, bad UTF-8 and no terminating NUL
        pat = b"\"\\\n\x1b[2J\xff\xc3"
        n = int(sys.argv[5])
        c.sendall(msg(T["IMSG_CTL_STATUS"], (pat * n)[:n]) +
                  msg(T["IMSG_CTL_END"]))
    time.sleep(0.2)
    c.close()
    ls.close()
    os.unlink(path)
PY
export TOP
tool() {
	python3 "$T/ctltool.py" "$@"
}
ctl() {
	"$EP2CTL" -s "$CTL" "$@"
}
# jcheck EXPR: stdin is JSON (strict UTF-8) and EXPR over d holds
jcheck() {
	python3 -c 'import json, sys
d = json.loads(sys.stdin.buffer.read().decode("utf-8"))
sys.exit(0 if eval("(" + sys.argv[1] + ")") else 1)' "$1"
}

backends $B1 $B2
write_template
write_conf
printf '127.0.0.1:%s\n127.0.0.1:%s\n[::1]:%s\n' $B1 $B2 $B3 > "$T/servers"

# a socket left behind by a dead daemon is replaced
tool stale "$CTL"
[ -S "$CTL" ]
ok $? "a stale control socket is in place"
ep2d_start -v
wait_for 30 hap_has 127.0.0.1:$B1 127.0.0.1:$B2 "[::1]:$B3"
ok $? "ep2d up with the three servers of the file"
log_has "removed stale control socket"
ok $? "the stale socket was removed and replaced"

# mode 0660 or stricter, owned by root
python3 -c 'import os, stat, sys
st = os.lstat(sys.argv[1])
sys.exit(0 if stat.S_ISSOCK(st.st_mode) and st.st_uid == 0 and
    st.st_mode & 0o117 == 0 else 1)' "$CTL"
ok $? "socket mode $(stat -c %a "$CTL") (0660 or stricter), owner root"

# show status
out=$(ctl show status)
ok $? "show status: exit 0"
diag "$out"
echo "$out" | grep -q '^orchestrator  *file$' &&
    echo "$out" | grep -q '^update type  *update_by_config$' &&
    echo "$out" | grep -q '^source  *ok$' &&
    echo "$out" | grep -q '^servers  *3$' &&
    echo "$out" | grep -q '^last fetch  *[0-9][0-9]*s ago$' &&
    echo "$out" | grep -q "^haproxy pid  *$(haproxy_pid)\$" &&
    echo "$out" | grep -q "^ep2d version  *$("$EP2D" -V | cut -d' ' -f2)\$"
ok $? "show status: orchestrator, source, servers, age, haproxy pid, version"
ctl sh st | grep -q '^orchestrator  *file$'
ok $? "abbreviated: sh st"
ctl -j show status | jcheck "len(d['status']) == 1 and
    d['status'][0]['orchestrator'] == 'file' and
    d['status'][0]['servers'] == 3 and
    d['status'][0]['source_ok'] is True and
    isinstance(d['status'][0]['last_fetch'], int) and
    abs(d['status'][0]['last_fetch'] - $(date +%s)) < 60 and
    d['status'][0]['haproxy_pid'] == $(haproxy_pid)"
ok $? "show status -j: valid JSON, an array of one, epoch times, haproxy pid"

# show slots
out=$(ctl show slots)
ok $? "show slots: exit 0"
diag "$out"
echo "$out" | grep -q '^BACKEND  *SLOT  *SERVER  *STATE  *SESSIONS$' &&
    echo "$out" | grep -q "^haproxynode  *node1  *127.0.0.1:$B1  *ready " &&
    echo "$out" | grep -q "^haproxynode  *node3  *\[::1\]:$B3  *ready "
ok $? "show slots: header, IPv4 and [IPv6]:port rows"
# where STATE and each "ready" start: one column for all four lines
[ "$(echo "$out" | awk '{ i = index($0, "STATE"); if (!i)
    i = index($0, "ready"); print i }' | sort -u | tr '\n' ' ')" != "0 " ] &&
    [ "$(echo "$out" | awk '{ i = index($0, "STATE"); if (!i)
    i = index($0, "ready"); print i }' | sort -u | wc -l)" -eq 1 ]
ok $? "show slots: the STATE column is aligned"
ctl -j show slots | jcheck "len(d['slots']) == 3 and
    sorted(s['server'] for s in d['slots']) == sorted(['127.0.0.1:$B1',
    '127.0.0.1:$B2', '[::1]:$B3']) and
    all(s['state'] == 'ready' for s in d['slots'])"
ok $? "show slots -j: valid JSON, the three servers"

# show backends
out=$(ctl show backends)
ok $? "show backends: exit 0"
diag "$out"
echo "$out" | grep -q '^haproxynode  *file  *update_by_config  *3  *3  *ok  *[0-9]'
ok $? "show backends: wanted 3, live 3, source ok"
ctl -j sh b | jcheck "d['backends'][0]['backend'] == 'haproxynode' and
    d['backends'][0]['wanted'] == 3 and d['backends'][0]['live'] == 3 and
    isinstance(d['backends'][0]['last_change'], int)"
ok $? "show backends -j: valid JSON"

# reload: HAProxy is reloaded (a new master pid)
pid1=$(haproxy_pid)
out=$(ctl reload)
ok $? "reload: exit 0 ($out)"
wait_for 10 sh -c "[ \"\$(head -n 1 '$T/haproxy.pid')\" != '$pid1' ]"
ok $? "reload: HAProxy reloaded (pid $pid1 -> $(haproxy_pid))"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2 "[::1]:$B3"
ok $? "reload: same servers after the reload"

# sync: the fetcher reads the file again
c1=$(grep -c "no change" "$T/ep2d.out")
ctl sync >/dev/null
ok $? "sync: exit 0"
wait_for 10 sh -c "[ \$(grep -c 'no change' '$T/ep2d.out') -gt $c1 ]"
ok $? "sync: the fetcher fetched again"

# log brief / verbose: debug lines stop and come back
ctl log brief >/dev/null
ok $? "log brief: exit 0"
n1=$(grep -c "control: client pid" "$T/ep2d.out")
ctl show status >/dev/null
ctl show status >/dev/null
n2=$(grep -c "control: client pid" "$T/ep2d.out")
[ "$n1" = "$n2" ]
ok $? "log brief: no more debug lines ($n1 = $n2)"
ctl l v >/dev/null
ok $? "log verbose (abbreviated l v): exit 0"
ctl show status >/dev/null
wait_for 5 sh -c "[ \$(grep -c 'control: client pid' '$T/ep2d.out') -gt $n2 ]"
ok $? "log verbose: debug lines again"

# errors of ep2ctl itself
out=$("$EP2CTL" -s "$T/nope.sock" show status 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "^ep2ctl: cannot connect to $T/nope.sock: No such file or directory"
ok $? "no daemon: exit 1 and a clear message ($out)"
EP2D_SOCKET=$CTL "$EP2CTL" show status | grep -q '^orchestrator'
ok $? "EP2D_SOCKET names the socket"
out=$(ctl show foo 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q 'unknown argument "foo"; expected one of status, slots, backends'
ok $? "a wrong word: exit 1, the expected words named"
out=$(ctl s 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q 'ambiguous argument "s": show, sync'
ok $? "an ambiguous word: exit 1, the candidates named"
"$EP2CTL" >/dev/null 2>&1
[ $? -eq 1 ]
ok $? "no command: usage, exit 1"

# hostile clients
r=$(tool request "$CTL" 999)
[ "$r" = "IMSG_CTL_FAIL:bad request" ]
ok $? "unknown message type: FAIL bad request ($r)"
r=$(tool request "$CTL" IMSG_CTL_SHOW_STATUS "=i" 1)
[ "$r" = "IMSG_CTL_FAIL:bad request" ]
ok $? "show status with a payload: FAIL bad request ($r)"
r=$(tool request "$CTL" IMSG_CTL_VERBOSE "=h" 1)
[ "$r" = "IMSG_CTL_FAIL:bad request" ]
ok $? "verbose with a short int: FAIL bad request ($r)"
r=$(tool request "$CTL" IMSG_CTL_VERBOSE "=i" 7)
[ "$r" = "IMSG_CTL_FAIL:bad request" ]
ok $? "verbose out of range: FAIL bad request ($r)"
r=$(tool request "$CTL" IMSG_CTL_VERBOSE "=i" -1)
[ "$r" = "IMSG_CTL_FAIL:bad request" ]
ok $? "verbose negative: FAIL bad request ($r)"
r=$(tool request "$CTL" IMSG_CTL_STATUS "=i" 0)
[ "$r" = "IMSG_CTL_FAIL:bad request" ]
ok $? "a reply type sent as a request: FAIL bad request ($r)"
r=$(tool raw "$CTL" 040000000800000000000000000000000000)
[ "$r" = "CLOSED" ]
ok $? "a length below the header: connection closed ($r)"
r=$(tool raw "$CTL" 04000000ffff00000000000000000000)
[ "$r" = "CLOSED" ]
ok $? "a length above the maximum: connection closed ($r)"
r=$(tool garbage "$CTL")
[ "$r" = "CLOSED" ]
ok $? "garbage: connection closed ($r)"
r=$(tool request "$CTL" IMSG_CTL_SHOW_SLOTS)
[ "$r" = "IMSG_CTL_SLOT IMSG_CTL_SLOT IMSG_CTL_SLOT IMSG_CTL_END" ]
ok $? "a good request on a new connection after all that ($r)"
ctl_status_is "s[0]['source_ok'] and s[0]['servers'] == 3 and
    s[0]['haproxy_pid'] == $(haproxy_pid)"
ok $? "ep2d survived the hostile clients: show status, the same state"

# connection limit
rm -f "$T/held" "$T/release"
tool hold "$CTL" 32 "$T/held" "$T/release" &
holder=$!
t_pids="$t_pids $holder"
wait_for 10 test -e "$T/held"
wait_for 10 sh -c "! $EP2CTL -s $CTL show status"
ok $? "32 idle clients: the next one is refused"
wait_for 5 log_has "too many clients"
ok $? "the refusal is logged"
touch "$T/release"
wait "$holder"
wait_for 10 sh -c "$EP2CTL -s $CTL show status"
ok $? "clients gone: accepted again"

# a second ep2d on the same socket refuses to start
sed "s|^lock_dir = .*|lock_dir = $T/lock2|" "$T/ep2.conf" > "$T/ep2b.conf"
mkdir -p "$T/lock2"
timeout 20 "$EP2D" -d -f "$T/ep2b.conf" -s "$CTL" > "$T/second.out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "in use" "$T/second.out"
ok $? "a second ep2d on a live socket refuses to start (rc $rc)"
diag "$(cat "$T/second.out")"
ctl show status >/dev/null
ok $? "the first ep2d still answers on its socket"

# ep2ctl against a fake daemon: its answers are not trusted
nfake=0
fake() {
	# one socket per fake: the previous one may still be going away
	[ -n "${fake_pid:-}" ] && wait "$fake_pid"
	nfake=$((nfake + 1))
	FAKE=$T/fake$nfake.sock
	tool fake "$FAKE" "$1" "$T/fake$nfake.ready" ${2:-} &
	fake_pid=$!
	t_pids="$t_pids $fake_pid"
	wait_for 5 test -e "$T/fake$nfake.ready"
}
fake fail
out=$("$EP2CTL" -s "$FAKE" reload 2>&1)
rc=$?
[ $rc -eq 1 ] && [ "$out" = "ep2ctl: reload failed: no server set yet" ]
ok $? "FAIL from the daemon: exit 1 and its text ($out)"
fake fail
out=$("$EP2CTL" -s "$FAKE" -j reload 2>"$T/fake.err")
rc=$?
[ $rc -eq 1 ] && [ ! -s "$T/fake.err" ] && echo "$out" |
    jcheck "d == {'error': 'no server set yet', 'request': 'reload',
    'refused': True}"
ok $? "FAIL from the daemon with -j: exit 1, an error object on stdout only"
fake shortrow
out=$("$EP2CTL" -s "$FAKE" show status 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "bad status"
ok $? "a short status row: exit 1 ($out)"
fake shortrow
out=$("$EP2CTL" -s "$FAKE" -j show status 2>"$T/fake.err")
rc=$?
[ $rc -eq 1 ] && [ ! -s "$T/fake.err" ] && echo "$out" |
    jcheck "d == {'error': 'bad status from ep2d',
    'request': 'show status', 'refused': False}"
ok $? "a short status row with -j: exit 1, an error object"
fake wrongtype
out=$("$EP2CTL" -s "$FAKE" show status 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "unexpected answer"
ok $? "an answer of the wrong type: exit 1 ($out)"
stlen=$(tool statuslen "$CTL")
fake hostile "$stlen"
out=$("$EP2CTL" -s "$FAKE" show status 2>&1)
rc=$?
[ $rc -eq 0 ] && ! printf '%s' "$out" | grep -q "$(printf '\033')" &&
    printf '%s' "$out" | grep -qF 'backend          "\??[2J??"\??[2J'
ok $? "hostile strings ($stlen-byte status): printed without control bytes"
fake hostile "$stlen"
"$EP2CTL" -s "$FAKE" -j show status |
    jcheck "len(d['status'][0]['backend']) == 127"
ok $? "hostile strings: still valid JSON with -j"

# the socket goes with the daemon
kill "$EP2D_PID"
wait_for 10 sh -c "! kill -0 $EP2D_PID"
ok $? "ep2d stops on SIGTERM"
[ ! -e "$CTL" ]
ok $? "the control socket is removed at exit"
EP2D_PID=

done_testing
