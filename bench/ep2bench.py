#!/usr/bin/env python3
#
# Copyright (c) 2026 The ep2d authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# The measuring side of `make bench` (bench/run.sh): it makes a change
# at the orchestrator (the servers file, the fake Consul, the fake AWS),
# takes a monotonic timestamp, and polls HAProxy's stats socket in a
# tight loop until HAProxy has the change.  Standard library only.
#
# Every figure is printed as one line a script can read:
#   BENCH <name>=<value> unit=<unit> target=<target or ->
# and a part that cannot run prints "SKIPPED: <reason>".

import argparse
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request

# srv_admin_state bits (HAProxy 2.6, show servers state): FMAINT 0x01,
# IMAINT 0x02, CMAINT 0x04 (the config's "disabled"; stays set after
# "state ready"), FDRAIN 0x08, IDRAIN 0x10, RMAINT 0x20, HMAINT 0x40.
# A server takes new traffic when none of these but CMAINT is set.
NOT_SERVING = 0x01 | 0x02 | 0x08 | 0x10 | 0x20 | 0x40


def now():
    return time.monotonic()


def bench(name, value, unit, target="-", fmt="%.1f"):
    if isinstance(value, float):
        value = fmt % value
    print("BENCH %s=%s unit=%s target=%s" % (name, value, unit, target),
          flush=True)


def note(msg):
    print("NOTE %s" % msg, flush=True)


def skipped(msg):
    print("SKIPPED: %s" % msg, flush=True)


class Hap:
    """HAProxy's stats socket, one command per connection (a reload
    replaces the process behind the socket, so nothing is kept open)."""

    def __init__(self, path, backend):
        self.path = path
        self.backend = backend

    def cmd(self, line, timeout=5.0):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.path)
            s.sendall(line.encode() + b"\n")
            chunks = []
            while True:
                b = s.recv(262144)
                if not b:
                    break
                chunks.append(b)
        finally:
            s.close()
        return b"".join(chunks).decode(errors="replace")

    def state(self):
        """{name: (addr:port, admin, op)} of the backend's servers, or
        None when the socket does not answer (a reload in progress)."""
        try:
            out = self.cmd("show servers state " + self.backend)
        except OSError:
            return None
        srv = {}
        for ln in out.split("\n"):
            f = ln.split(" ")
            if len(f) < 19 or ln.startswith("#"):
                continue
            try:
                srv[f[3]] = ("%s:%s" % (f[4], f[18]), int(f[6]),
                             int(f[5]))
            except ValueError:
                continue
        if not srv and "Can't find backend" in out:
            return None
        return srv

    def serving(self):
        st = self.state()
        if st is None:
            return None
        return frozenset(a for a, adm, op in st.values()
                         if not adm & NOT_SERVING)

    def weighted(self, addr):
        """addr is UP with a weight above 0 (takes traffic)"""
        try:
            out = self.cmd("show stat")
        except OSError:
            return False
        for ln in out.split("\n"):
            f = ln.split(",")
            if len(f) > 73 and f[0] == self.backend and f[73] == addr:
                if f[17] == "UP" and f[18].isdigit() and int(f[18]) > 0:
                    return True
        return False

    def worker_pid(self):
        try:
            for ln in self.cmd("show info").split("\n"):
                if ln.startswith("Pid: "):
                    return int(ln[5:])
        except (OSError, ValueError):
            pass
        return None

    def wait_serving(self, want, timeout, pause=0.0002):
        """Poll until the serving set is exactly want; the monotonic
        time at which the matching answer was received, or None."""
        end = now() + timeout
        while True:
            got = self.serving()
            t = now()
            if got == want:
                return t
            if t > end:
                return None
            time.sleep(pause)


# ---- orchestrators -------------------------------------------------------

class FileOrch:
    def __init__(self, path):
        self.path = path

    def set(self, servers):
        tmp = self.path + ".bench"
        with open(tmp, "w") as f:
            f.write("".join(s + "\n" for s in sorted(servers)))
        os.chmod(tmp, 0o644)
        t = now()
        os.replace(tmp, self.path)
        return t


class ConsulOrch:
    """The fake Consul (regress/fakes/fake_consul.py) through Consul's
    own agent API: a server added is one register, a server removed
    one deregister (each one Raft index bump, as in Consul)."""

    def __init__(self, url, service):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.service = service
        self.conn = None
        self.cur = set()
        c = http.client.HTTPConnection(self.host, self.port, timeout=5)
        c.request("GET", "/v1/health/service/" + service)
        r = c.getresponse()
        for e in json.loads(r.read() or b"[]"):
            sv = e["Service"]
            if sv["ID"].startswith(service + "-"):
                self.cur.add("%s:%d" % (sv["Address"], sv["Port"]))
        c.close()

    def put(self, path, body=b""):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host,
                                                       self.port,
                                                       timeout=5)
            try:
                self.conn.request("PUT", path, body=body)
                r = self.conn.getresponse()
                r.read()
                if r.status != 200:
                    raise OSError("fake consul: PUT %s: %d" %
                                  (path, r.status))
                return
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def sid(self, s):
        return "%s-%s" % (self.service, s.replace(":", "-"))

    def set(self, servers):
        servers = set(servers)
        add = sorted(servers - self.cur)
        gone = sorted(self.cur - servers)
        t = now()
        for s in add:
            host, port = s.rsplit(":", 1)
            self.put("/v1/agent/service/register", json.dumps({
                "ID": self.sid(s), "Name": self.service,
                "Address": host, "Port": int(port)}).encode())
        for s in gone:
            self.put("/v1/agent/service/deregister/" + self.sid(s))
        self.cur = servers
        return t


def make_orch(a):
    if a.orch == "file":
        return FileOrch(a.servers)
    if a.orch == "consul":
        return ConsulOrch(a.url, a.service)
    raise SystemExit("unknown orchestrator " + a.orch)


def addrs(prefix, n, port, start=1):
    """n distinct loopback addresses 127.P.x.y:port"""
    out = []
    for i in range(start, start + n):
        out.append("127.%d.%d.%d:%d" % (prefix, i // 250, i % 250 + 1,
                                        port))
    return out


# ---- /proc ----------------------------------------------------------------

CLK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    f = s[s.rindex(")") + 2:].split()
    # fields from 3 on: state=0 ppid=1 ... utime=11 stime=12 cutime=13
    return {"ppid": int(f[1]), "utime": int(f[11]), "stime": int(f[12]),
            "cutime": int(f[13]), "cstime": int(f[14])}


ROLES = ("parent", "fetcher", "reloader", "connector", "runner")


def ep2d_procs(parent):
    """{"parent": pid, "fetcher": pid, "reloader": pid, "connector": pid,
    "runner": pid}: the parent's children and the reloader's runner"""
    procs = {"parent": parent}
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            ppid = proc_stat(int(d))["ppid"]
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        for role in ROLES[1:]:
            if cmd.startswith("ep2d: " + role):
                kids.setdefault(role, []).append((int(d), ppid))
    for role in ("fetcher", "reloader", "connector"):
        for pid, ppid in kids.get(role, []):
            if ppid == parent:
                procs[role] = pid
    for pid, ppid in kids.get("runner", []):
        if ppid == procs.get("reloader"):
            procs["runner"] = pid
    return procs


def cpu_ns(pid):
    """CPU time of every thread of pid, in ns (schedstat: exact, where
    /proc/PID/stat counts 10 ms ticks)"""
    tot = 0
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                tot += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return tot


def cpu_ticks(procs, children=False):
    """CPU time of procs in ticks (1/CLK s); with children, also the
    children they waited for (haproxy -c of the runner), from
    /proc/PID/stat, which has them only at tick resolution"""
    tot = 0.0
    for pid in procs.values():
        try:
            st = proc_stat(pid)
        except OSError:
            continue
        ns = cpu_ns(pid)
        if ns is None:
            tot += st["utime"] + st["stime"]
        else:
            tot += ns * CLK / 1e9
        if children:
            tot += st["cutime"] + st["cstime"]
    return tot


def mem_kb(pid):
    """(VmRSS, Pss, Private_Clean + Private_Dirty) in kB"""
    rss = pss = None
    uss = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    rss = int(ln.split()[1])
    except OSError:
        pass
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for ln in f:
                if ln.startswith("Pss:"):
                    pss = int(ln.split()[1])
                elif ln.startswith(("Private_Clean:", "Private_Dirty:")):
                    uss += int(ln.split()[1])
    except OSError:
        pass
    return rss, pss, uss


# ---- statistics -------------------------------------------------------------

def pct(v, p):
    """nearest-rank percentile of a sorted list"""
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


def report_lat(name, lat, target50, target99):
    v = sorted(x * 1000.0 for x in lat)
    bench(name + "_n", len(v), "changes")
    bench(name + "_p50", pct(v, 50), "ms", target50)
    bench(name + "_p90", pct(v, 90), "ms")
    bench(name + "_p99", pct(v, 99), "ms", target99)
    bench(name + "_max", v[-1] if v else float("nan"), "ms")


# ---- commands ---------------------------------------------------------------

def cmd_latency(a):
    hap = Hap(a.sock, a.backend)
    orch = make_orch(a)
    base = set(addrs(1, a.base, a.port))
    extra = addrs(2, a.changes, a.port)
    t0 = orch.set(base)
    if hap.wait_serving(frozenset(base), 20) is None:
        skipped("%s: HAProxy never had the %d base servers (20 s)" %
                (a.name, a.base))
        return 1
    procs = ep2d_procs(a.pid) if a.pid else {}
    cpu0 = cpu_ticks(procs)
    cpuc0 = cpu_ticks(procs, True)
    pid0 = hap.worker_pid()
    reloads = 0
    lat_add, lat_del = [], []
    start = now()
    cur = set(base)
    timeouts = 0
    for i in range(a.changes):
        if now() - start > a.max_seconds:
            note("%s: stopped after %d changes (%d s bound)" %
                 (a.name, i, a.max_seconds))
            break
        add = (i % 2 == 0)
        s = extra[i // 2]
        if add:
            cur.add(s)
        else:
            cur.discard(s)
        t0 = orch.set(cur)
        t1 = hap.wait_serving(frozenset(cur), a.timeout)
        if t1 is None:
            timeouts += 1
            note("%s: change %d not seen within %.1f s" %
                 (a.name, i, a.timeout))
            if timeouts >= 3:
                break
            continue
        (lat_add if add else lat_del).append(t1 - t0)
        p = hap.worker_pid()
        if p is not None and p != pid0:
            reloads += 1
            pid0 = p
        # a random pause, so that changes do not lock to any timer
        time.sleep(random.uniform(a.min_gap, a.gap))
    n = len(lat_add) + len(lat_del)
    if n == 0:
        skipped("%s: no change reached HAProxy within %.1f s" %
                (a.name, a.timeout))
        return 1
    report_lat(a.name, lat_add + lat_del, a.t50, a.t99)
    bench(a.name + "_add_p50", pct(sorted(x * 1000 for x in lat_add), 50),
          "ms")
    bench(a.name + "_del_p50", pct(sorted(x * 1000 for x in lat_del), 50),
          "ms")
    bench(a.name + "_lost", timeouts, "changes", "0")
    bench(a.name + "_haproxy_reloads", reloads, "reloads",
          "0" if a.runtime else "-")
    if procs:
        cpu = (cpu_ticks(procs) - cpu0) * 1000.0 / CLK / n
        cpuc = (cpu_ticks(procs, True) - cpuc0) * 1000.0 / CLK / n
        bench(a.name + "_cpu_per_change", cpu, "ms", fmt="%.2f")
        if not a.runtime:
            bench(a.name + "_cpu_per_change_with_children", cpuc, "ms",
                  fmt="%.2f")
    return 0


def cmd_consul_floor(a):
    """What the fake Consul alone costs: a plain client holds the same
    blocking health query ep2d holds; a registration is made; the time
    until that query answers.  a.changes times (add, then remove)."""
    orch = ConsulOrch(a.url, a.service)
    u = urllib.parse.urlsplit(a.url)
    path = "/v1/health/service/%s?passing" % a.service
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    index = r.getheader("X-Consul-Index")
    cur = set(orch.cur)
    extra = addrs(5, a.changes, a.port)
    lat = []
    for i in range(a.changes):
        box = {}

        def blocked():
            c.request("GET", "%s&index=%s&wait=10s" % (path, index))
            rr = c.getresponse()
            rr.read()
            box["t"] = now()
            box["index"] = rr.getheader("X-Consul-Index")

        th = threading.Thread(target=blocked)
        th.start()
        time.sleep(0.02)        # the query is held
        s = extra[i // 2]
        if i % 2 == 0:
            cur.add(s)
        else:
            cur.discard(s)
        t0 = orch.set(cur)
        th.join(15)
        if "t" not in box:
            skipped("consul floor: the blocking query did not answer")
            return 1
        index = box["index"]
        lat.append(box["t"] - t0)
    v = sorted(x * 1000.0 for x in lat)
    bench(a.name + "_p50", pct(v, 50), "ms")
    bench(a.name + "_max", v[-1], "ms")
    return 0


def aws_inst(n):
    ip = "127.0.%d.%d" % (n // 250, n % 250 + 2)
    return {"id": "i-%017x" % (0xbe0000 + n), "lifecycle": "InService",
            "health": "Healthy", "private_ip": ip, "public_ip": ip}


def cmd_aws(a):
    """The AWS source against the fake AWS: calls per poll in the steady
    state (from the fake's request log), the fetcher's CPU per poll, and
    for a change: the time from the poll's first request to HAProxy
    having the new instance, and the calls that poll made."""
    base_url = a.url.rstrip("/")

    def admin(path, body=None):
        req = urllib.request.Request(base_url + path, data=body,
                                     method="POST" if body else "GET")
        return urllib.request.urlopen(req, timeout=5).read().decode()

    def group(n):
        admin("/_admin/config", json.dumps({"groups": {a.asg: [
            aws_inst(i) for i in range(n)]}}).encode())

    def count(q):
        return int(admin("/_admin/count?" + q))

    hap = Hap(a.sock, a.backend)
    want = frozenset("%s:%d" % (aws_inst(i)["private_ip"], a.port)
                     for i in range(a.base))
    if hap.wait_serving(want, 30) is None:
        skipped("aws: HAProxy never had the %d instances (30 s)" % a.base)
        return 1
    procs = ep2d_procs(a.pid)
    fetcher = {"f": procs["fetcher"]} if "fetcher" in procs else {}
    # steady state
    seq = int(admin("/_admin/seq"))
    c0 = cpu_ticks(fetcher)
    time.sleep(a.seconds)
    c1 = cpu_ticks(fetcher)
    polls = count("action=DescribeAutoScalingGroups&since=%d" % seq)
    calls = count("since=%d" % seq)
    if polls == 0:
        skipped("aws: no poll in %.0f s" % a.seconds)
        return 1
    bench("aws_polls_%ds" % a.seconds, polls, "polls")
    bench("aws_calls_per_poll", calls / polls, "calls", "1", "%.2f")
    if fetcher:
        bench("aws_fetcher_cpu_per_poll", (c1 - c0) * 1000.0 / CLK / polls,
              "ms", "-", "%.2f")
    # changes: one new instance each
    per_poll, lat, calls_change = [], [], []
    n = a.base
    for k in range(a.changes):
        seq = int(admin("/_admin/seq"))
        n += 1
        want = frozenset("%s:%d" % (aws_inst(i)["private_ip"], a.port)
                         for i in range(n))
        tc = time.time()
        group(n)
        if hap.wait_serving(want, a.timeout) is None:
            note("aws: change %d not in HAProxy within %.0f s" %
                 (k, a.timeout))
            continue
        th = time.time()
        log = [json.loads(ln) for ln in
               admin("/_admin/log").splitlines() if ln.strip()]
        asg = [e for e in log if e.get("action") ==
               "DescribeAutoScalingGroups" and e["t"] <= th]
        after = [e for e in asg if e["seq"] > seq]
        first = after[0] if after else (asg[-1] if asg else None)
        if first is None:
            continue
        per_poll.append(th - first["t"])
        lat.append(th - tc)
        calls_change.append(len([e for e in log if e["seq"] >= first["seq"]
                                 and e["t"] <= th and e.get("action")]))
    if per_poll:
        v = sorted(x * 1000.0 for x in per_poll)
        bench("aws_change_poll_time_p50", pct(v, 50), "ms")
        bench("aws_change_poll_time_max", v[-1], "ms")
        bench("aws_change_calls_per_poll", max(calls_change), "calls",
              "2")
        v = sorted(x * 1000.0 for x in lat)
        bench("aws_change_latency_p50", pct(v, 50), "ms",
              "<=poll-interval")
    return 0


def cmd_set(a):
    """Put a.base servers (the base set) at the orchestrator."""
    make_orch(a).set(set(addrs(1, a.base, a.port)))
    return 0


def cmd_probe(a):
    """One change; tells whether it arrived and whether HAProxy was
    reloaded for it (runtime mode must not reload)."""
    hap = Hap(a.sock, a.backend)
    orch = make_orch(a)
    base = set(addrs(1, a.base, a.port))
    orch.set(base)
    if hap.wait_serving(frozenset(base), a.timeout) is None:
        print("PROBE none")
        return 1
    pid0 = hap.worker_pid()
    cur = base | {addrs(3, 1, a.port)[0]}
    orch.set(cur)
    if hap.wait_serving(frozenset(cur), a.timeout) is None:
        print("PROBE lost")
        return 1
    orch.set(base)
    if hap.wait_serving(frozenset(base), a.timeout) is None:
        print("PROBE lost")
        return 1
    print("PROBE %s" % ("runtime" if hap.worker_pid() == pid0 else
                        "reload"))
    return 0


def cmd_scale(a):
    hap = Hap(a.sock, a.backend)
    orch = make_orch(a)
    base = set(addrs(1, a.base, a.port))
    orch.set(base)
    if hap.wait_serving(frozenset(base), 30) is None:
        skipped("%s: HAProxy never had the base set" % a.name)
        return 1
    procs = ep2d_procs(a.pid) if a.pid else {}
    want = frozenset(addrs(4, a.count, a.port))
    cpu0 = cpu_ticks(procs)
    t0 = orch.set(want)
    t1 = hap.wait_serving(want, a.timeout, pause=0.001)
    if t1 is None:
        got = hap.serving() or frozenset()
        skipped("%s: HAProxy had %d of %d servers after %.0f s" %
                (a.name, len(got & want), a.count, a.timeout))
        return 1
    bench(a.name, (t1 - t0) * 1000.0, "ms", a.target)
    if procs:
        bench(a.name + "_cpu", (cpu_ticks(procs) - cpu0) * 1000.0 / CLK,
              "ms")
    if a.keep:
        return 0
    orch.set(base)
    if hap.wait_serving(frozenset(base), a.timeout, pause=0.01) is None:
        note("%s: the base set did not come back" % a.name)
    return 0


def prompt_send(path, lines, timeout=30.0):
    """Send every line over one prompt-mode connection, as fast as
    HAProxy takes them (a thread writes while this one reads); return
    (seconds until the last reply, replies not of the success kind)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    data = ("prompt\n" + "".join(ln + "\n" for ln in lines)).encode()
    want = len(lines) + 1
    err = []

    def writer():
        try:
            s.sendall(data)
        except OSError as e:
            err.append(e)

    t0 = now()
    w = threading.Thread(target=writer)
    w.start()
    chunks = []
    seen = 0
    tail = b""
    while seen < want:
        try:
            b = s.recv(1 << 20)
        except OSError as e:
            err.append(e)
            break
        if not b:
            break
        chunks.append(b)
        seen += (tail + b).count(b"\n> ")
        tail = b[-2:]
    t1 = now()
    w.join()
    try:
        s.sendall(b"quit\n")
    except OSError:
        pass
    s.close()
    if seen < want:
        raise OSError("prompt session ended after %d of %d replies (%s)" %
                      (seen, want, err[0] if err else "EOF"))
    bad = 0
    for r in b"".join(chunks).split(b"\n> ")[1:]:
        r = r.strip()
        if r and not (r.startswith(b"IP changed") or
                      r.startswith(b"no need to change")):
            bad += 1
    return t1 - t0, bad


def cmd_limit(a):
    """The limit: a plain client sends the commands that put a.count
    servers into free slots, pipelined over one prompt-mode connection
    to the same socket, and waits until HAProxy serves them."""
    hap = Hap(a.sock, a.backend)
    st = hap.state()
    if st is None or len(st) < a.count:
        skipped("%s: the backend has %d slots, %d needed" %
                (a.name, 0 if st is None else len(st), a.count))
        return 1
    names = sorted(st, key=lambda n: (len(n), n))[:a.count]
    # free every slot of the backend first (untimed)
    reset = []
    for n in st:
        reset.append("set server %s/%s state maint" % (a.backend, n))
        reset.append("set server %s/%s addr 10.0.0.1 port 8080" %
                     (a.backend, n))
    prompt_send(a.sock, reset)
    if hap.wait_serving(frozenset(), 30, pause=0.01) is None:
        skipped("%s: could not free the slots" % a.name)
        return 1
    want = addrs(4, a.count, a.port)
    lines = []
    for n, s in zip(names, want):
        host, port = s.rsplit(":", 1)
        for c in a.cmds.split(","):
            if c == "addr":
                lines.append("set server %s/%s addr %s port %s" %
                             (a.backend, n, host, port))
            elif c == "ready":
                lines.append("set server %s/%s state ready" %
                             (a.backend, n))
            elif c == "weight0":
                lines.append("set server %s/%s weight 0" % (a.backend, n))
            elif c == "weight":
                lines.append("set server %s/%s weight 1" % (a.backend, n))
            elif c == "healthdown":
                lines.append("set server %s/%s health down" %
                             (a.backend, n))
            elif c == "maint":
                lines.append("set server %s/%s state maint" %
                             (a.backend, n))
    t0 = now()
    sent, bad = prompt_send(a.sock, lines)
    t1 = hap.wait_serving(frozenset(want), 30, pause=0.001)
    if t1 is None:
        skipped("%s: HAProxy did not serve the %d servers" %
                (a.name, a.count))
        return 1
    bench(a.name + "_replies", sent * 1000.0, "ms")
    bench(a.name, (t1 - t0) * 1000.0, "ms")
    bench(a.name + "_commands", len(lines), "commands")
    if bad:
        note("%s: %d replies were not the expected success text" %
             (a.name, bad))
    return 0


def cmd_mem(a):
    procs = ep2d_procs(a.pid)
    missing = [r for r in ("parent", "fetcher", "reloader")
               if r not in procs]
    if missing:
        note("%s: no %s process found" % (a.name, ", ".join(missing)))
    rs = ps = us = 0
    for role in ROLES:
        if role not in procs:
            continue
        rss, pss, uss = mem_kb(procs[role])
        bench("%s_rss_%s" % (a.name, role), rss / 1024.0, "MB", "-",
              "%.2f")
        bench("%s_pss_%s" % (a.name, role), pss / 1024.0, "MB", "-",
              "%.2f")
        bench("%s_uss_%s" % (a.name, role), uss / 1024.0, "MB", "-",
              "%.2f")
        rs += rss
        ps += pss
        us += uss
    bench(a.name + "_rss_sum", rs / 1024.0, "MB", "<=15", "%.2f")
    bench(a.name + "_pss_sum", ps / 1024.0, "MB", "<=15", "%.2f")
    bench(a.name + "_uss_sum", us / 1024.0, "MB", "-", "%.2f")
    return 0


def cmd_idle(a):
    procs = ep2d_procs(a.pid)
    c0 = {r: cpu_ticks({r: p}) for r, p in procs.items()}
    time.sleep(a.seconds)
    c1 = {r: cpu_ticks({r: p}) for r, p in procs.items()}
    for r in ROLES:
        if r in procs:
            bench("%s_%s" % (a.name, r), (c1[r] - c0[r]) * 1000.0 / CLK,
                  "ms", "~0")
    bench(a.name, sum(c1[r] - c0[r] for r in procs) * 1000.0 / CLK, "ms",
          "~0")
    return 0


def cmd_churn(a):
    """Scale out and in among real backends, every change waited for,
    for the hitless test: a.changes changes over the pool."""
    hap = Hap(a.sock, a.backend)
    orch = make_orch(a)
    fixed = ["127.0.0.1:%s" % p for p in a.fixed.split(",")]
    pool = ["127.0.0.1:%s" % p for p in a.pool.split(",")]
    cur = set(fixed)
    orch.set(cur)
    if hap.wait_serving(frozenset(cur), 20) is None:
        skipped("%s: HAProxy never had the fixed servers" % a.name)
        return 1
    lost = 0
    unweighted = 0
    done = 0
    t0 = now()
    for i in range(a.changes):
        s = pool[(i // 2) % len(pool)]
        if i % 2 == 0:
            cur.add(s)
        else:
            cur.discard(s)
        orch.set(cur)
        if hap.wait_serving(frozenset(cur), a.timeout) is None:
            lost += 1
        elif i % 2 == 0 and a.weighted:
            # the new server takes traffic before it leaves again
            end = now() + a.timeout
            while not hap.weighted(s) and now() < end:
                time.sleep(0.01)
            if not hap.weighted(s):
                unweighted += 1
        done += 1
        time.sleep(a.gap)
    bench(a.name + "_changes", done, "changes")
    bench(a.name + "_seconds", now() - t0, "s")
    bench(a.name + "_lost", lost, "changes", "0")
    if a.weighted:
        bench(a.name + "_never_weighted", unweighted, "servers", "0")
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--name", required=True)
        sp.add_argument("--sock", required=True)
        sp.add_argument("--backend", default="haproxynode")
        sp.add_argument("--orch", default="file")
        sp.add_argument("--servers", help="servers file (file)")
        sp.add_argument("--url", help="fake consul URL")
        sp.add_argument("--service", default="web")
        sp.add_argument("--port", type=int, default=28999)
        sp.add_argument("--pid", type=int, default=0, help="ep2d parent")
        sp.add_argument("--base", type=int, default=10)
        sp.add_argument("--timeout", type=float, default=10.0)

    sp = sub.add_parser("latency")
    common(sp)
    sp.add_argument("--changes", type=int, default=200)
    sp.add_argument("--max-seconds", type=float, default=90)
    sp.add_argument("--gap", type=float, default=0.02)
    sp.add_argument("--min-gap", type=float, default=0.0)
    sp.add_argument("--runtime", action="store_true")
    sp.add_argument("--t50", default="<=20")
    sp.add_argument("--t99", default="<=100")
    sp = sub.add_parser("probe")
    common(sp)
    sp = sub.add_parser("set")
    common(sp)
    sp = sub.add_parser("aws")
    common(sp)
    sp.add_argument("--asg", default="my-asg")
    sp.add_argument("--seconds", type=float, default=6)
    sp.add_argument("--changes", type=int, default=5)
    sp = sub.add_parser("consul-floor")
    common(sp)
    sp.add_argument("--changes", type=int, default=20)
    sp = sub.add_parser("scale")
    common(sp)
    sp.add_argument("--count", type=int, required=True)
    sp.add_argument("--target", default="-")
    sp.add_argument("--keep", action="store_true")
    sp = sub.add_parser("limit")
    common(sp)
    sp.add_argument("--count", type=int, required=True)
    sp.add_argument("--cmds", default="addr,weight0,ready,healthdown")
    sp = sub.add_parser("mem")
    sp.add_argument("--name", required=True)
    sp.add_argument("--pid", type=int, required=True)
    sp = sub.add_parser("idle")
    sp.add_argument("--name", required=True)
    sp.add_argument("--pid", type=int, required=True)
    sp.add_argument("--seconds", type=float, default=20)
    sp = sub.add_parser("churn")
    common(sp)
    sp.add_argument("--fixed", required=True)
    sp.add_argument("--pool", required=True)
    sp.add_argument("--changes", type=int, default=100)
    sp.add_argument("--gap", type=float, default=0.05)
    sp.add_argument("--weighted", action="store_true")
    a = p.parse_args()
    return {"latency": cmd_latency, "probe": cmd_probe, "set": cmd_set, "aws": cmd_aws,
            "consul-floor": cmd_consul_floor,
            "scale": cmd_scale, "limit": cmd_limit, "mem": cmd_mem,
            "idle": cmd_idle, "churn": cmd_churn}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
