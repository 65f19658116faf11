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
#
# The bench's own clients of the fake Consul connect from 127.0.0.2, so
# that the fake's count of connections per client address (as Consul's
# http_max_conns_per_client counts them) from 127.0.0.1 is ep2d's alone.
# With PROFILE=1 in the environment, a latency run also records each of
# ep2d's processes with perf and writes the top symbols of each to
# bench/profile-NAME-ROLE.txt.

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
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

    def serving_all(self):
        """{backend: frozenset of addresses taking traffic} of every
        backend, or None"""
        try:
            out = self.cmd("show servers state", timeout=10)
        except OSError:
            return None
        srv = {}
        for ln in out.split("\n"):
            f = ln.split(" ")
            if len(f) < 19 or ln.startswith("#"):
                continue
            try:
                adm = int(f[6])
            except ValueError:
                continue
            s = srv.setdefault(f[1], set())
            if not adm & NOT_SERVING:
                s.add("%s:%s" % (f[4], f[18]))
        return {b: frozenset(v) for b, v in srv.items()}

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


BENCH_SRC = ("127.0.0.2", 0)


def consul_conn(host, port, timeout=5):
    """a connection to the fake Consul from the bench's own address"""
    return http.client.HTTPConnection(host, port, timeout=timeout,
                                      source_address=BENCH_SRC)


class ConsulOrch:
    """The fake Consul (regress/fakes/fake_consul.py) through Consul's
    own agent API: a server added is one register, a server removed
    one deregister (each one Raft index bump, as in Consul)."""

    def __init__(self, url, service, conn=None):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.service = service
        self.conn = conn
        self.cur = set()
        c = consul_conn(self.host, self.port)
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
                self.conn = consul_conn(self.host, self.port)
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


class DnsOrch:
    """dnsmasq's hosts file (--addn-hosts), re-read on SIGHUP: one A
    record of name per server; every server has the port of HAProxy's
    server-template line, so the addresses alone are written."""

    def __init__(self, path, name, pidfile):
        self.path = path
        self.name = name
        with open(pidfile) as f:
            self.pid = int(f.read().split()[0])

    def set(self, servers):
        tmp = self.path + ".bench"
        with open(tmp, "w") as f:
            f.write("".join("%s %s\n" % (s.rsplit(":", 1)[0], self.name)
                            for s in sorted(servers)))
        os.chmod(tmp, 0o644)
        t = now()
        os.replace(tmp, self.path)
        os.kill(self.pid, signal.SIGHUP)
        return t


def make_orch(a):
    if a.orch == "file":
        return FileOrch(a.servers)
    if a.orch == "consul":
        return ConsulOrch(a.url, a.service)
    if a.orch == "dns":
        return DnsOrch(a.servers, a.dns_name, a.dns_pid)
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


def task_stat(pid):
    """(ns on a CPU, times put on a CPU) of every thread of pid, from
    /proc/PID/task/TID/schedstat (fields 1 and 3), or None when pid is
    gone.  A process asleep in epoll_wait runs only when woken, so in
    an idle period the second is its wake-ups (and any preemption,
    which an idle process does not meet)."""
    ns = runs = 0
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                v = f.read().split()
            ns += int(v[0])
            runs += int(v[2])
    except (OSError, ValueError, IndexError):
        return None
    return ns, runs


def hap_procs(cfg):
    """{"haproxy.PID": PID} of every HAProxy process run on the
    configuration file cfg (a master and its workers)"""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            exe = os.path.basename(os.readlink("/proc/%s/exe" % d))
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if exe.startswith("haproxy") and cfg.encode() in argv:
            out["haproxy.%s" % d] = int(d)
    return out


def side_procs(a):
    """the processes measured: ep2d's (--pid, its parent), HAProxy's
    (--hap-cfg) and any --extra ROLE=PID"""
    procs = ep2d_procs(a.pid) if getattr(a, "pid", 0) else {}
    if getattr(a, "hap_cfg", None):
        procs.update(hap_procs(a.hap_cfg))
    for e in getattr(a, "extra", None) or []:
        role, pid = e.split("=", 1)
        procs[role] = int(pid)
    return procs


def role_order(procs):
    """ep2d's roles first, in their order, then the others"""
    return ([r for r in ROLES if r in procs] +
            sorted(r for r in procs if r not in ROLES))


def group(role):
    """the figure a process is summed into: haproxy for all of them"""
    return role.split(".", 1)[0]


class Profile:
    """PROFILE=1: one perf record per process (cpu-clock samples, no
    call graphs), and at the end the top symbols of each in
    bench/profile-NAME-ROLE.txt"""

    def __init__(self, name, procs):
        self.name = name
        self.runs = []
        self.straces = []
        procs = {r: p for r, p in procs.items() if group(r) != "haproxy"}
        if os.environ.get("STRACE") == "1":
            self.strace(procs)
        if os.environ.get("PROFILE") != "1" or not procs:
            return
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="ep2d-profile.")
        for role, pid in procs.items():
            out = os.path.join(self.dir, "%s.data" % role)
            try:
                p = subprocess.Popen(
                    ["perf", "record", "-q", "-e", "cpu-clock", "-F",
                     "4999", "-p", str(pid), "-o", out],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except OSError as e:
                note("%s: PROFILE=1 but no perf (%s)" % (name, e))
                return
            self.runs.append((role, pid, out, p))
        time.sleep(0.5)         # perf attached
        note("%s: profiled with perf record (figures perturbed)" % name)

    def strace(self, procs):
        """STRACE=1: strace -c of each process over the changes, the
        counts in bench/strace-NAME-ROLE.txt"""
        here = os.path.dirname(os.path.abspath(__file__))
        for role, pid in procs.items():
            path = os.path.join(here, "strace-%s-%s.txt" %
                                (self.name, group(role)))
            try:
                p = subprocess.Popen(["strace", "-c", "-o", path + ".new",
                                      "-p", str(pid)],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            except OSError as e:
                note("%s: STRACE=1 but no strace (%s)" % (self.name, e))
                return
            self.straces.append((role, pid, path, p))
        time.sleep(0.5)         # strace attached
        note("%s: traced with strace -c (figures perturbed)" % self.name)

    def stop(self, changes):
        for role, pid, path, p in self.straces:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
            try:
                with open(path + ".new") as f:
                    body = f.read()
                os.unlink(path + ".new")
            except OSError:
                continue
            with open(path, "w") as f:
                f.write("# %s, process %s (pid %d), %d changes: strace "
                        "-c -p PID over the changes\n" %
                        (self.name, role, pid, changes))
                f.write(body)
            note("%s: syscalls of %s in %s" % (self.name, role,
                                               os.path.basename(path)))
        if not self.runs:
            return
        here = os.path.dirname(os.path.abspath(__file__))
        for role, pid, out, p in self.runs:
            p.send_signal(signal.SIGINT)
        for role, pid, out, p in self.runs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
            rep = {}
            for key in ("dso", "dso,sym"):
                try:
                    rep[key] = subprocess.run(
                        ["perf", "report", "-i", out, "--stdio",
                         "--no-children", "--sort", key,
                         "--percent-limit", "0.3"],
                        capture_output=True, text=True,
                        timeout=120).stdout
                except (OSError, subprocess.SubprocessError) as e:
                    rep[key] = "perf report failed: %s\n" % e
            head = [ln for ln in rep["dso,sym"].splitlines()
                    if ln.startswith("# Samples") or
                    ln.startswith("# Event count")]

            def rows(key):
                return [ln for ln in rep[key].splitlines()
                        if ln.strip() and not ln.startswith("#")]
            path = os.path.join(here, "profile-%s-%s.txt" %
                                (self.name, group(role)))
            with open(path, "w") as f:
                f.write("# %s, process %s (pid %d), %d changes: perf "
                        "record -e cpu-clock -F 4999 -p PID over the "
                        "changes; perf report --no-children (shares of "
                        "this process's samples).  In this VM the "
                        "kernel's samples mostly land on "
                        "pvm_irq_enable (taken when interrupts are "
                        "enabled again): read [k] as kernel time, not "
                        "as that function.\n" %
                        (self.name, role, pid, changes))
                for ln in head:
                    f.write(ln + "\n")
                f.write("\n# by object (--sort dso)\n")
                for ln in rows("dso")[:12]:
                    f.write(ln + "\n")
                f.write("\n# top symbols (--sort dso,sym)\n")
                for ln in rows("dso,sym")[:40]:
                    f.write(ln + "\n")
                f.write("\n# top user-space symbols\n")
                for ln in [r for r in rows("dso,sym")
                           if "[k]" not in r][:25]:
                    f.write(ln + "\n")
            note("%s: profile of %s in %s" % (self.name, role,
                                               os.path.basename(path)))
        subprocess.run(["rm", "-rf", self.dir])


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
    procs = side_procs(a)
    prof = Profile(a.name, procs)
    st0 = {r: task_stat(p) for r, p in procs.items()}
    ep2d = {r: p for r, p in procs.items() if r in ROLES}
    cpuc0 = cpu_ticks(ep2d, True)
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
    st1 = {r: task_stat(p) for r, p in procs.items()}
    cpuc1 = cpu_ticks(ep2d, True)
    prof.stop(n)
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
    # CPU over the changes: ep2d's processes (the figure), each of
    # them, HAProxy's and the others (the peer's), and all of them
    per = {}
    for r in role_order(procs):
        if st0[r] is None or st1[r] is None:
            note("%s: process %s (pid %d) gone during the run" %
                 (a.name, r, procs[r]))
            continue
        g = group(r)
        per[g] = per.get(g, 0.0) + (st1[r][0] - st0[r][0]) / 1e6 / n
    if ep2d:
        bench(a.name + "_cpu_per_change",
              sum(v for g, v in per.items() if g in ROLES), "ms",
              a.cpu_target, fmt="%.3f")
        for g in ROLES:
            if g in per:
                bench("%s_cpu_per_change_%s" % (a.name, g), per[g], "ms",
                      fmt="%.3f")
        if not a.runtime:
            bench(a.name + "_cpu_per_change_with_children",
                  (cpuc1 - cpuc0) * 1000.0 / CLK / n, "ms", fmt="%.2f")
    for g in sorted(g for g in per if g not in ROLES):
        bench("%s_cpu_per_change_%s" % (a.name, g), per[g], "ms",
              fmt="%.3f")
    if set(per) - set(ROLES):
        bench(a.name + "_cpu_per_change_side", sum(per.values()), "ms",
              fmt="%.3f")
    return 0


def cmd_poll(a):
    """Poll the stats socket as cmd_latency does, for a set never there,
    until killed (or a.seconds): the load of the measuring side alone."""
    Hap(a.sock, a.backend).wait_serving(frozenset(["none:0"]), a.seconds)
    return 0


def cmd_consul_floor(a):
    """What the fake Consul alone costs: a plain client holds the same
    blocking health query ep2d holds; a registration is made; the time
    until that query answers.  a.changes times (add, then remove).
    As ep2d is measured: the service has as many instances as ep2d's
    (a.base, then one more or not), so that the fake makes an answer as
    big (10 instances: 16 KB, against 1.5 KB for one; the fake's time
    grows with it), and a second process polls HAProxy's stats socket
    in the same tight loop as while ep2d's changes are timed, so that
    the fake and the client share the machine as ep2d's processes do."""
    orch = ConsulOrch(a.url, a.service)
    if a.base:
        orch.set(orch.cur | set(addrs(6, a.base, a.port)))
    poller = subprocess.Popen([sys.executable, os.path.abspath(__file__),
                               "poll", "--name", "poll", "--sock", a.sock,
                               "--backend", a.backend])
    try:
        return consul_floor(a, orch)
    finally:
        poller.kill()
        poller.wait()


def consul_floor(a, orch):
    u = urllib.parse.urlsplit(a.url)
    path = "/v1/health/service/%s?passing" % a.service
    c = consul_conn(u.hostname, u.port, timeout=10)
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
        time.sleep(random.uniform(0.02, 0.05))     # the query is held
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
    report_lat(a.name, lat, "-", "-")
    return 0


# ---- many backends on one Consul ---------------------------------------

def multi_names(count):
    """[(HAProxy backend, Consul service)] of the many-backends part:
    [haproxy]'s own on service web, then be_sK on service sK"""
    return [("haproxynode", "web")] + [("be_s%d" % k, "s%d" % k)
                                       for k in range(1, count)]


def multi_base(k, base, port):
    """backend k's base servers, and its extra one"""
    v = addrs(1, base + 1, port, start=k * 8 + 1)
    return set(v[:base]), v[base]


def cmd_multi_set(a):
    """Register a.base instances of each of the a.count services"""
    u = urllib.parse.urlsplit(a.url)
    conn = consul_conn(u.hostname, u.port)
    for k, (be, svc) in enumerate(multi_names(a.count)):
        ConsulOrch(a.url, svc, conn).set(multi_base(k, a.base, a.port)[0])
    return 0


def fake_get(a, path):
    u = urllib.parse.urlsplit(a.url)
    c = consul_conn(u.hostname, u.port)
    try:
        c.request("GET", path)
        return c.getresponse().read().decode()
    finally:
        c.close()


def cmd_multi(a):
    """a.count backends, each on its own service of one fake Consul:
    the time until HAProxy has them all, then a.changes changes, each
    one server in or out of a backend drawn at random (the latency as
    in cmd_latency), ep2d's CPU over them, the health queries the fake
    answered, and the most TCP connections ep2d (127.0.0.1) had open to
    the fake at once, as the fake counts them (http_max_conns_per_client)
    """
    hap = Hap(a.sock, None)
    names = multi_names(a.count)
    u = urllib.parse.urlsplit(a.url)
    conn = consul_conn(u.hostname, u.port)
    orchs, cur, extra = [], [], []
    for k, (be, svc) in enumerate(names):
        orchs.append(ConsulOrch(a.url, svc, conn))
        b, x = multi_base(k, a.base, a.port)
        cur.append(b)
        extra.append(x)
    t0 = now()
    want = {be: frozenset(cur[k]) for k, (be, svc) in enumerate(names)}
    while True:
        got = hap.serving_all() or {}
        if all(got.get(be) == w for be, w in want.items()):
            break
        if now() - t0 > a.timeout * 3:
            bad = [be for be, w in want.items() if got.get(be) != w]
            skipped("%s: %d of %d backends not as in Consul after %.0f s "
                    "(e.g. %s)" % (a.name, len(bad), len(names),
                                   a.timeout * 3, bad[0]))
            conns_report(a)
            return 1
        time.sleep(0.05)
    # from ep2d's start (the shell's clock: wall time)
    bench(a.name + "_start", (time.time() - a.since) * 1000.0, "ms")
    procs = {r: p for r, p in side_procs(a).items() if r in ROLES}
    multi_mem(a.name + "_settled", procs)
    st0 = {r: task_stat(p) for r, p in procs.items()}
    q0 = len(fake_get(a, "/_fake/log").splitlines())
    lat, lost = [], 0
    start = now()
    for i in range(a.changes):
        if now() - start > a.max_seconds:
            note("%s: stopped after %d changes (%d s bound)" %
                 (a.name, i, a.max_seconds))
            break
        k = random.randrange(len(names))
        be = names[k][0]
        if extra[k] in cur[k]:
            cur[k].discard(extra[k])
        else:
            cur[k].add(extra[k])
        t0 = orchs[k].set(cur[k])
        bh = Hap(a.sock, be)
        t1 = bh.wait_serving(frozenset(cur[k]), a.timeout)
        if t1 is None:
            lost += 1
            note("%s: change %d (%s) not seen within %.1f s" %
                 (a.name, i, be, a.timeout))
            if lost >= 3:
                break
            continue
        lat.append(t1 - t0)
        time.sleep(random.uniform(a.min_gap, a.gap))
    q1 = len(fake_get(a, "/_fake/log").splitlines())
    st1 = {r: task_stat(p) for r, p in procs.items()}
    if lat:
        report_lat(a.name, lat, "-", "-")
    bench(a.name + "_lost", lost, "changes", "0")
    n = max(1, len(lat) + lost)
    bench(a.name + "_queries_per_change", (q1 - q0) / n, "requests",
          fmt="%.2f")
    if procs and all(st0[r] and st1[r] for r in procs):
        bench(a.name + "_cpu_per_change",
              sum(st1[r][0] - st0[r][0] for r in procs) / 1e6 / n, "ms",
              fmt="%.3f")
    multi_mem(a.name, procs)
    conns_report(a)
    return 0


def multi_mem(name, procs):
    """the RSS and PSS sums of ep2d's processes, and the parent's and
    the fetcher's own RSS: what grows with the backends (issue 15
    item 6: by the servers, not by copies of the configuration)"""
    rs = ps = 0
    for role, pid in procs.items():
        rss, pss, uss = mem_kb(pid)
        if rss is None:
            continue
        rs += rss
        ps += pss or 0
        if role in ("parent", "fetcher"):
            bench("%s_rss_%s" % (name, role), rss / 1024.0, "MB", "-",
                  "%.2f")
    bench(name + "_rss_sum", rs / 1024.0, "MB", "-", "%.2f")
    bench(name + "_pss_sum", ps / 1024.0, "MB", "-", "%.2f")


def conns_report(a):
    try:
        c = json.loads(fake_get(a, "/_fake/conns"))
    except (OSError, ValueError, http.client.HTTPException) as e:
        note("%s: the fake's connection count: %s" % (a.name, e))
        return
    ip = "127.0.0.1"
    bench(a.name + "_conns_peak", c["peak"].get(ip, 0), "connections",
          "<=%d" % c["max"] if c["max"] else "-")
    bench(a.name + "_conns_open", c["current"].get(ip, 0), "connections")
    bench(a.name + "_conns_refused_429", c["refused"].get(ip, 0),
          "connections", "0")


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


def cmd_aws_lifecycle(a):
    """Issue 17 target 7, message -> HAProxy: a.changes launches into a
    group with a launching and a terminating hook on the fake's queue,
    one at a time, then their terminations.  The clock starts at the
    fake's own timestamp of the notification put in the queue (visible
    at once: the queue has no delay) and stops at the receive time of
    the first stats socket answer (`show servers state`, polled in a
    tight loop) in which the instance takes traffic (launch: out of
    MAINT and DRAIN, weight and health not considered, as part 1) or
    no longer does (termination: drained, or its slot freed).  Between
    two, the instance is waited for InService (its check passed,
    CompleteLifecycleAction CONTINUE) or gone (its drain over), so that
    no call of the last one is in flight."""
    base_url = a.url.rstrip("/")

    def admin(path, d=None):
        req = urllib.request.Request(
            base_url + "/_admin/" + path, data=None if d is None else
            json.dumps(d).encode(), method="GET" if d is None else "POST")
        return urllib.request.urlopen(req, timeout=5).read().decode()

    def lifecycle(iid):
        for g in json.loads(admin("config"))["groups"].values():
            for i in g:
                if i["id"] == iid:
                    return i["lifecycle"]
        return "gone"

    def sent(iid, transition):
        for m in json.loads(admin("sqs/messages?queue=" + a.queue)):
            if iid in m["body"] and transition in m["body"]:
                return m["sent"]
        return None

    def until(cond, secs):
        end = time.time() + secs
        while time.time() < end:
            if cond():
                return True
            time.sleep(0.005)
        return False

    def wait_addr(addr, serving, secs):
        """the wall-clock receive time of the first answer in which addr
        takes traffic (serving) or does not, or None"""
        end = time.time() + secs
        while True:
            st = hap.state()
            t = time.time()
            if st is not None:
                up = any(ad == addr and not adm & NOT_SERVING
                         for ad, adm, op in st.values())
                if up == serving:
                    return t
            if t > end:
                return None
            time.sleep(0.0002)

    hap = Hap(a.sock, a.backend)
    for name, tr in (("bench-in", "autoscaling:EC2_INSTANCE_LAUNCHING"),
                     ("bench-out", "autoscaling:EC2_INSTANCE_TERMINATING")):
        admin("hook", {"group": a.asg, "name": name, "transition": tr,
                       "queue": a.queue, "heartbeat_timeout": 60,
                       "default_result": "CONTINUE"})
    # ep2d reads the queue: the hooks' test notifications deleted
    if not until(lambda: all(m["deleted"] for m in json.loads(
            admin("sqs/messages?queue=" + a.queue))), 30):
        skipped("aws-lifecycle: the queue's test notifications not "
                "deleted within 30 s (ep2d does not read the queue)")
        return 1
    up, down, ids = [], [], []
    for k in range(a.changes):
        ip = "127.0.%d.%d" % (a.net, k + 1)
        addr = "%s:%d" % (ip, a.port)
        iid = json.loads(admin("launch", {"group": a.asg,
                                          "ips": [ip]}))["ids"][0]
        t = wait_addr(addr, True, a.timeout)
        t0 = sent(iid, "EC2_INSTANCE_LAUNCHING")
        if t is None or t0 is None:
            note("aws-lifecycle: launch %d not in HAProxy within %.0f s"
                 % (k, a.timeout))
            continue
        up.append((t - t0) * 1000.0)
        if not until(lambda: lifecycle(iid) == "InService", a.timeout):
            note("aws-lifecycle: launch %d not InService within %.0f s "
                 "(%s)" % (k, a.timeout, lifecycle(iid)))
            continue
        ids.append((iid, addr))
    for k, (iid, addr) in enumerate(ids):
        admin("terminate", {"group": a.asg, "ids": [iid]})
        t = wait_addr(addr, False, a.timeout)
        t0 = sent(iid, "EC2_INSTANCE_TERMINATING")
        if t is None or t0 is None:
            note("aws-lifecycle: termination %d still in HAProxy after "
                 "%.0f s" % (k, a.timeout))
            continue
        down.append((t - t0) * 1000.0)
        if not until(lambda: lifecycle(iid) == "gone", a.timeout):
            note("aws-lifecycle: termination %d not over within %.0f s "
                 "(%s)" % (k, a.timeout, lifecycle(iid)))
    if not up:
        skipped("aws-lifecycle: no launch reached HAProxy")
        return 1
    for what, v in (("launch", up), ("terminate", down)):
        if not v:
            continue
        v.sort()
        bench("aws_lifecycle_%s_n" % what, len(v), "changes")
        bench("aws_lifecycle_%s_p50" % what, pct(v, 50), "ms", "<=20")
        bench("aws_lifecycle_%s_p99" % what, pct(v, 99), "ms")
        bench("aws_lifecycle_%s_max" % what, v[-1], "ms")
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
    # The client is a process of its own, as ep2d is, and the polling
    # runs from the start, as it does for ep2d: HAProxy serves both at
    # once (polled after the last reply only, the limit had HAProxy and
    # the CPUs to itself while ep2d's commands shared them with the
    # dumps of 5,100 slots every 1 ms).
    r, w = os.pipe()
    t0 = now()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = 1
        try:
            sent, bad = prompt_send(a.sock, lines)
            os.write(w, ("%.6f %d" % (sent, bad)).encode())
            code = 0
        except OSError as e:
            os.write(w, ("error %s" % e).encode())
        finally:
            os._exit(code)
    os.close(w)
    t1 = hap.wait_serving(frozenset(want), 30, pause=0.001)
    with os.fdopen(r) as f:
        res = f.read().split()
    os.waitpid(pid, 0)
    if len(res) != 2 or res[0] == "error":
        skipped("%s: the client failed: %s" % (a.name, " ".join(res)))
        return 1
    sent, bad = float(res[0]), int(res[1])
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
    """CPU (ms) and wake-ups (times put on a CPU, schedstat) of each
    process over a.seconds of nothing changing, and their sums"""
    procs = side_procs(a)
    if a.settle > 0:
        # a start or a change ends with a few seconds of watching (the
        # warm-up poll, the watch after HAProxy's pid file was written):
        # idle begins when no process woke in a whole 2 s window.  A
        # poll of 2 s or faster never settles: measured as it is.
        t0, quiet = now(), False
        while now() - t0 < a.settle:
            w0 = {r: task_stat(p) for r, p in procs.items()}
            time.sleep(2)
            w1 = {r: task_stat(p) for r, p in procs.items()}
            if all(w0[r] is not None and w1[r] is not None and
                   w1[r][1] == w0[r][1] for r in procs):
                quiet = True
                break
        bench(a.name + "_settle", now() - t0, "s", "-")
        if not quiet:
            note("%s: never quiet for 2 s within %d s" %
                 (a.name, a.settle))
    st0 = {r: task_stat(p) for r, p in procs.items()}
    time.sleep(a.seconds)
    st1 = {r: task_stat(p) for r, p in procs.items()}
    cpu, wake = {}, {}
    for r in role_order(procs):
        if st0[r] is None or st1[r] is None:
            note("%s: process %s (pid %d) gone" % (a.name, r, procs[r]))
            continue
        g = group(r)
        cpu[g] = cpu.get(g, 0.0) + (st1[r][0] - st0[r][0]) / 1e6
        wake[g] = wake.get(g, 0) + st1[r][1] - st0[r][1]
    order = [g for g in ROLES if g in cpu] + sorted(g for g in cpu
                                                    if g not in ROLES)
    for g in order:
        bench("%s_%s" % (a.name, g), cpu[g], "ms", a.t_cpu_each)
        bench("%s_%s_wakeups" % (a.name, g), wake[g], "wakeups", a.t_wake)
    bench(a.name, sum(cpu.values()), "ms", a.t_cpu)
    bench(a.name + "_wakeups", sum(wake.values()), "wakeups", a.t_wake)
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
        sp.add_argument("--dns-name", default="web.bench.test",
                        help="the A record's name (dns)")
        sp.add_argument("--dns-pid", help="dnsmasq's pid file (dns)")
        procs_args(sp)

    def procs_args(sp):
        sp.add_argument("--hap-cfg", help="HAProxy's configuration file: "
                        "its processes are measured too")
        sp.add_argument("--extra", action="append",
                        help="ROLE=PID: measured too")

    sp = sub.add_parser("latency")
    common(sp)
    sp.add_argument("--changes", type=int, default=200)
    sp.add_argument("--max-seconds", type=float, default=90)
    sp.add_argument("--gap", type=float, default=0.02)
    sp.add_argument("--min-gap", type=float, default=0.0)
    sp.add_argument("--runtime", action="store_true")
    sp.add_argument("--t50", default="<=20")
    sp.add_argument("--t99", default="<=100")
    sp.add_argument("--cpu-target", default="-")
    sp = sub.add_parser("probe")
    common(sp)
    sp = sub.add_parser("set")
    common(sp)
    sp = sub.add_parser("aws")
    common(sp)
    sp.add_argument("--asg", default="my-asg")
    sp.add_argument("--seconds", type=float, default=6)
    sp.add_argument("--changes", type=int, default=5)
    sp = sub.add_parser("aws-lifecycle")
    common(sp)
    sp.add_argument("--asg", default="my-asg")
    sp.add_argument("--queue", default="my-queue")
    sp.add_argument("--net", type=int, default=10,
                    help="the instances are 127.0.NET.1 ...")
    sp.add_argument("--changes", type=int, default=20)
    sp = sub.add_parser("consul-floor")
    common(sp)
    sp.add_argument("--changes", type=int, default=100)
    sp = sub.add_parser("poll")
    common(sp)
    sp.add_argument("--seconds", type=float, default=600)
    sp = sub.add_parser("multi-set")
    common(sp)
    sp.add_argument("--count", type=int, required=True)
    sp = sub.add_parser("multi")
    common(sp)
    sp.add_argument("--count", type=int, required=True)
    sp.add_argument("--since", type=float, default=time.time(),
                    help="ep2d's start, seconds since the epoch")
    sp.add_argument("--changes", type=int, default=30)
    sp.add_argument("--max-seconds", type=float, default=30)
    sp.add_argument("--gap", type=float, default=0.4)
    sp.add_argument("--min-gap", type=float, default=0.26)
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
    sp.add_argument("--pid", type=int, default=0, help="ep2d parent")
    sp.add_argument("--seconds", type=float, default=20)
    sp.add_argument("--t-cpu", default="-", help="target of the sum")
    sp.add_argument("--t-cpu-each", default="-")
    sp.add_argument("--t-wake", default="-", help="target of each")
    sp.add_argument("--settle", type=float, default=0,
                    help="first wait up to this long for 2 s of quiet")
    procs_args(sp)
    sp = sub.add_parser("churn")
    common(sp)
    sp.add_argument("--fixed", required=True)
    sp.add_argument("--pool", required=True)
    sp.add_argument("--changes", type=int, default=100)
    sp.add_argument("--gap", type=float, default=0.05)
    sp.add_argument("--weighted", action="store_true")
    a = p.parse_args()
    return {"latency": cmd_latency, "probe": cmd_probe, "set": cmd_set,
            "poll": cmd_poll, "aws": cmd_aws,
            "aws-lifecycle": cmd_aws_lifecycle,
            "consul-floor": cmd_consul_floor,
            "multi-set": cmd_multi_set, "multi": cmd_multi,
            "scale": cmd_scale, "limit": cmd_limit, "mem": cmd_mem,
            "idle": cmd_idle, "churn": cmd_churn}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
