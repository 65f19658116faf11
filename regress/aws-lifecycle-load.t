#!/bin/sh
# Lifecycle hooks under load: wrk through HAProxy to slow instances (1 s
# a request) while 20 scale-ins go through the fake's SQS queue, each
# instance launched first to keep three in service; each instance that
# Auto Scaling terminates is killed at once, as a real termination
# would.  No request fails, and no instance is terminated before its
# last connection ended.  Ports 25240-25259.
PORT_BASE=25240
. "$(dirname "$0")/lib.sh"
t_init
. "$(dirname "$0")/aws-lib.sh"
aws_env
command -v wrk >/dev/null || skip_all "no wrk"

. "$(dirname "$0")/lifecycle-lib.sh"

fake_aws_start
ok $? "fake AWS up on $AWS_PORT"
fake_cfg "{\"groups\": {\"my-asg\": [
    $(inst i-00000000000010010 InService 127.0.0.10),
    $(inst i-00000000000010011 InService 127.0.0.11),
    $(inst i-00000000000010012 InService 127.0.0.12)]}}"
admin hook '{"group": "my-asg", "name": "out", "transition": "autoscaling:EC2_INSTANCE_TERMINATING", "queue": "my-queue", "heartbeat_timeout": 30, "default_result": "CONTINUE"}' >/dev/null &&
admin hook '{"group": "my-asg", "name": "in", "transition": "autoscaling:EC2_INSTANCE_LAUNCHING", "queue": "my-queue", "heartbeat_timeout": 30, "default_result": "ABANDON"}' >/dev/null
ok $? "a hook for each transition"

cat > "$T/scale.py" <<'PY'
# scale.py ADMIN SOCK BPORT N SLOW OUT: N scale-ins, each after a launch;
# the instances' slow backends started and killed here.  A thread
# watches HAProxy's sessions per address every 5 ms.  OUT gets one
# line per scale-in: instance, address, the last time it had a
# session, the time Auto Scaling had its CONTINUE, the sessions
# HAProxy still counted when it was terminated.
import json, os, signal, socket, subprocess, sys, threading, time
import urllib.request
admin, sock, bport, n, slow, out = sys.argv[1:7]
n = int(n)
def post(path, d):
    r = urllib.request.Request(admin + "/" + path, json.dumps(d).encode())
    return json.loads(urllib.request.urlopen(r, timeout=10).read() or b"{}")
def get(path):
    return urllib.request.urlopen(admin + "/" + path, timeout=10).read().decode()
def stat():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(b"show stat\n")
    b = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        b += d
    s.close()
    rows = {}
    for ln in b.decode().splitlines():
        f = ln.split(",")
        if len(f) > 73 and f[0] == "haproxynode" and f[1] not in (
                "FRONTEND", "BACKEND") and f[73]:
            rows.setdefault(f[73], []).append(f)
    return rows
busy = {}
stop = False
def watch():
    while not stop:
        now = time.time()
        try:
            rows = stat()
        except OSError:
            rows = {}	# HAProxy not there yet, or reloading
        for a, rs in rows.items():
            if sum(int(r[4] or 0) for r in rs) > 0:
                busy[a] = now
        time.sleep(0.005)
threading.Thread(target=watch, daemon=True).start()
procs = {}
def backend(ip):
    p = subprocess.Popen([sys.executable, slow, ip, bport])
    procs[ip] = p
    for _ in range(100):
        try:
            socket.create_connection((ip, int(bport)), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("backend %s does not answer" % ip)
def state(iid):
    for g in json.loads(get("config"))["groups"].values():
        for i in g:
            if i["id"] == iid:
                return i["lifecycle"]
    return "gone"
def until(cond, secs, what):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return time.time()
        time.sleep(0.01)
    raise SystemExit("timeout: " + what)
def ready(addr):
    rs = stat().get(addr, [])
    return any(r[17] == "UP" and int(r[18] or 0) > 0 for r in rs)
def continued(iid):
    t = None	# the last: a launched one's first is its launch's
    for ln in get("events").splitlines():
        e = json.loads(ln)
        if e["event"] == "complete" and e["instance"] == iid:
            t = e["t"]
    return t
live = [("i-0000000000001001%d" % k, "127.0.0.1%d" % k) for k in range(3)]
for _, ip in live:
    backend(ip)
pool = ["127.0.0.13", "127.0.0.14", "127.0.0.15"]
with open(out, "w") as o:
    o.write("ready\n")
    o.flush()
    time.sleep(2)
    for k in range(n):
        ip = pool.pop(0)
        backend(ip)
        new = post("launch", {"group": "my-asg", "ips": [ip]})["ids"][0]
        until(lambda: ready("%s:%s" % (ip, bport)) and
              state(new) == "InService", 15, "launch %s" % new)
        old, oip = live.pop(0)
        post("terminate", {"group": "my-asg", "ids": [old]})
        until(lambda: state(old) == "gone", 30, "termination %s" % old)
        # terminated: what HAProxy still counts, then the instance dies
        left = sum(int(r[4] or 0) for r in stat().get("%s:%s" % (
            oip, bport), []))
        procs[oip].kill()
        procs[oip].wait()
        o.write("%s %s %.3f %.3f %d\n" % (old, oip, busy.get("%s:%s" % (
            oip, bport), 0), continued(old) or 0, left))
        o.flush()
        pool.append(oip)
        live.append((new, ip))
    o.write("done\n")
stop = True
# the load stops first: the instances left live until then
until(lambda: os.path.exists(out + ".stop"), 60, "the end")
for p in procs.values():
    p.kill()
PY

write_template
SLEEP=30 HAPROXY_EXTRA="drain_timeout = 10" aws_conf "$(aws_keys)
lifecycle_queue_url = $QURL
lifecycle_hook_name = out, in
lifecycle_heartbeat_timeout = 30"
python3 "$T/scale.py" "$ADMIN" "$SOCK" "$BPORT" 20 \
    "$TOP/regress/fakes/slow_backend.py" "$T/scale.out" 2> "$T/scale.err" &
sc=$!
t_pids="$t_pids $sc"
wait_for 10 grep -q ready "$T/scale.out"
ok $? "three slow instances up"
ep2d_start
wait_for 20 hap_ready 127.0.0.10:$BPORT && wait_for 20 hap_ready 127.0.0.11:$BPORT &&
    wait_for 20 hap_ready 127.0.0.12:$BPORT
ok $? "they take traffic"
# the answers by status, and the errors, as wrk's script sees them
cat > "$T/status.lua" <<'LUA'
local codes = {}
response = function(status, headers, body)
	codes[status] = (codes[status] or 0) + 1
end
done = function(summary, latency, requests)
	for k, v in pairs(codes) do
		io.write(string.format("status %d: %d\n", k, v))
	end
end
LUA
wrk -t1 -c16 -d300s --timeout 10s -s "$T/status.lua" \
    "http://127.0.0.1:$FE_PORT/slow1" > "$T/wrk.out" 2>&1 &
wk=$!
t_pids="$t_pids $wk"
wait_for 180 grep -q -e done -e timeout "$T/scale.out" "$T/scale.err"
grep -q done "$T/scale.out"
ok $? "20 scale-ins, each after a launch, under load"
[ $? -eq 0 ] || diag "$(cat "$T/scale.err")"
kill -INT $wk
wait $wk
touch "$T/scale.out.stop"
wait $sc
hap "show stat" | awk -F, '$1 == "haproxynode" || $1 == "fe" { print $1, $2, "2xx", $41, "4xx", $43, "5xx", $44, "econ", $14, "eresp", $15, "cli_abrt", $50, "srv_abrt", $51 }' > "$T/stat.out"
diag "$(cat "$T/stat.out")"
diag "$(grep -e Requests -e requests -e Latency -e rrors -e Non-2xx -e status "$T/wrk.out")"
req=$(awk '/requests in/ { print $1 }' "$T/wrk.out")
[ "${req:-0}" -ge 100 ] && ! grep -q -e "Socket errors" -e "Non-2xx" "$T/wrk.out"
ok $? "no request failed ($req requests)"
[ "$(grep -c '^i-' "$T/scale.out")" -eq 20 ] &&
    awk '/^i-/ && ($4 == 0 || $4 < $3 || $5 != 0) { bad = 1 } END { exit bad }' "$T/scale.out"
ok $? "each CONTINUE after the instance's last session, none left at its end"
awk '/^i-/ && $3 > 0 { n++ } END { exit !(n >= 10) }' "$T/scale.out"
ok $? "most of them were serving when they were scaled in ($(awk '/^i-/ && $3 > 0' "$T/scale.out" | wc -l) of 20)"
[ "$(grep -c -e 'fatal' -e 'sandbox violation' "$T/ep2d.out")" -eq 0 ]
ok $? "no fatal error, no sandbox violation"
done_testing
