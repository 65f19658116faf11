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
# bench/RESULTS.md from the parts' output (bench/run.sh): report.py DIR
# TOTAL-SECONDS.  DIR holds NAME.out per part: BENCH, NOTE, SKIPPED and
# TIME lines.  report.py --summary DIR: the issue 15 section alone, of
# whatever parts DIR has (run.sh prints it after any run).

import os
import platform
import re
import subprocess
import sys
import time

PARTS = [
    ("1. Propagation latency", [
        "latency-file-runtime", "latency-file-config",
        "latency-consul-runtime"],
     "One server added to, then removed from, a backend of 10, "
     "alternately, 200 times.  The clock starts just before the change "
     "is made at the orchestrator (the servers file replaced by "
     "rename; one register or deregister on the fake Consul's agent "
     "API) and stops when an answer of HAProxy's stats socket "
     "(`show servers state`, polled in a tight loop, one connection per "
     "poll, receive time taken) shows exactly the new set taking "
     "traffic (out of MAINT and DRAIN; weight and health not "
     "considered).  Changes are separated by a random pause "
     "(0-20 ms; for Consul 260-400 ms, longer than the source's pacing "
     "of one query per 250 ms under churn; `lat_consul_churn` is the "
     "back-to-back case where the pacing shows).  "
     "The fake Consul has Nagle's algorithm off on its connections, "
     "as Consul's Go server has (TCP_NODELAY): Python's http.server "
     "writes an answer's headers and body separately, and with Nagle "
     "on the body would wait for the client's delayed ACK, about "
     "40 ms.  `lat_consul_fake_floor` is "
     "what the fake alone costs: a plain Python client holding the "
     "same blocking query, time from the registration to its answer, "
     "on a service of as many instances as ep2d's (the fake's answer "
     "as big: its time grows with it) while another process polls "
     "the stats socket in the same loop as while ep2d is timed.  "
     "CPU per change: utime+stime "
     "(schedstat) of all of ep2d's processes over the run / changes; "
     "`_with_children` adds the runner's waited-for children "
     "(haproxy -c) from /proc/PID/stat cutime+cstime.  "
     "update_by_config: every change is a `haproxy -c` and a hitless "
     "reload, so the reload dominates; the same targets are printed "
     "next to it for comparison."),
    ("1b. The peer: HAProxy's own DNS discovery", ["peer-dns"],
     "HAProxy alone, no ep2d: `server-template srv 32 "
     "web.bench.test:PORT check resolvers dns init-addr none "
     "resolve-prefer ipv4` in the same template ep2d's Consul part "
     "uses (32 slots: its node_slots), a `resolvers` section against "
     "dnsmasq (Debian's dnsmasq-base, run in the foreground with "
     "`--conf-file=/dev/null --no-hosts --no-resolv --addn-hosts=FILE`, "
     "on 127.0.0.53), every resolvers timer at 1 ms (`timeout resolve`, "
     "`timeout retry`, `hold valid/other/refused/nx/timeout`) and "
     "`hold obsolete 0s`: HAProxy at its fastest, a query per "
     "millisecond or as often as it gets there.  A change: the hosts "
     "file (one A record per server) replaced by rename and dnsmasq "
     "sent SIGHUP (it re-reads it); the clock starts before the rename "
     "and stops as for ep2d.  The change pattern of "
     "`lat_consul_runtime`: 100 changes, one server in or out of a "
     "backend of 10, 260-400 ms apart at random.  CPU: schedstat of "
     "HAProxy's and dnsmasq's processes over the changes / changes, "
     "and over 30 s of nothing changing; wake-ups: the times each was "
     "put on a CPU (schedstat's third field)."),
    ("2. Scale", ["scale-runtime", "scale-growth", "scale-config",
                  "scale-max-runtime", "scale-max-config"],
     "From 10 servers to 1,000 and (after going back to 10) to 5,000 "
     "servers in one backend at once (one rename of the servers "
     "file), node_slots = 5100; time until `show servers state` shows "
     "all of them taking traffic (polled every 1 ms; one poll of 5,000 "
     "servers itself takes several ms, so the figures are that coarse). "
     "The limit (`scale_limit_N`): ep2d stopped, the same HAProxy and "
     "socket, N slots put back to MAINT, then a plain client sends the "
     "commands ep2d sends to put a new server in a free slot (`addr A "
     "port P`, `weight 0`, `state ready`, `health down` per server, as "
     "runtime_plan.c plans) pipelined "
     "over one prompt-mode connection by a process of its own (a "
     "writer thread, a reader counting the `\\n> ` prompts), polled "
     "from the start as ep2d is (HAProxy answers the polls while it "
     "takes the commands); `_replies` is until the last reply, the "
     "figure itself until `show servers state` shows all, as for "
     "ep2d.  Ratio = ep2d / limit.  `scale_growth_N`: the "
     "same with node_slots = 16, so that the slots must grow "
     "(slot_growth double, one haproxy -c and reload) before the "
     "servers fit.  `scale_config_N`: update_by_config, one "
     "haproxy -c and reload.  `scale_max-runtime_10000`, "
     "`scale_max-config_10000`: the most servers a backend may have "
     "(ep2d.8 LIMITS) at once, in each update type, and the peak "
     "memory (VmHWM) of ep2d's parent and fetcher and of HAProxy's "
     "processes."),
    ("3. Footprint", ["footprint"],
     "VmRSS (/proc/PID/status) and Pss (/proc/PID/smaps_rollup) of "
     "every process of ep2d: the parent, the fetcher, the reloader, "
     "the parent's connector and the reloader's runner (the last two "
     "are forks that share the pages of the process they came from), "
     "idle with 10 servers "
     "and with 1,000 (update_by_runtime, node_slots = 1100, file "
     "orchestrator).  RSS counts shared pages in each process "
     "(libraries, and a fork's pages it has not written), so the RSS "
     "sum counts them once per process; the Pss sum counts them "
     "once and is the memory ep2d really costs; USS "
     "(Private_Clean + Private_Dirty) is what each has to itself.  "
     "Idle CPU: "
     "utime+stime (schedstat, ns) of all of them over the idle period "
     "(60 s), with 10 "
     "servers that pass their checks; for Consul, the number of "
     "health queries the fake received over the idle period (one "
     "blocking query held open)."),
    ("4. Hitless", ["hitless-runtime", "hitless-config",
                    "hitless-idleclose"],
     "wrk -t1 -c16 (keep-alive) against HAProxy's frontend, 6 real "
     "backends (one HAProxy process answering 200).  Baseline: 10 s "
     "without changes.  Then wrk again while 100 scale-out/in changes "
     "(runtime mode: 2 fixed servers, 4 coming and going, each change "
     "waited for until HAProxy has it and, for an added server, until "
     "it is UP with its weight back, i.e. takes traffic; then 50 ms; "
     "drain_timeout 2 s) or 20 changes = 20 reloads (config mode, "
     "300 ms apart) are made; wrk starts 1 s before the churn and is "
     "stopped with SIGINT when it ends.  Config mode is run twice: "
     "keep-alive, and `Connection: close` (a new connection per "
     "request), which tells errors of connections an old HAProxy "
     "process closes at a reload (keep-alive only) from a listener "
     "handover that refuses connections (both).  `hitless_idleclose`: "
     "config mode, keep-alive, with `option idle-close-on-response` "
     "in the template's frontend (an old HAProxy process then does "
     "not close idle keep-alive connections; it ends them with the "
     "next response).  Failed requests = "
     "non-2xx answers + socket errors (connect, read, write, timeout) "
     "as wrk counts them."),
    ("5. AWS", ["aws"],
     "The fake AWS (regress/fakes/fake_aws.py, SigV4 checked on every "
     "request; Nagle off as for Consul), a group of 10 InService instances, polled every 1 s "
     "(sleep_before_next_run = 1, the smallest), update_by_runtime. "
     "Steady state over 6 s: requests logged by the fake / "
     "DescribeAutoScalingGroups requests; fetcher CPU (schedstat) / "
     "polls.  Then 5 scale-outs by one instance: time from the "
     "fake's arrival timestamp of that poll's DescribeAutoScalingGroups "
     "to HAProxy having the instance (the whole poll: both calls, "
     "parsing, the imsg to the parent, the runtime commands), and the "
     "calls of that poll (target 2: the group, then DescribeInstances "
     "for the new instance only).  "
     "Lifecycle hooks (issue 17 target 7, message -> HAProxy p50 "
     "<= 20 ms): ep2d again, with `[AWS] lifecycle_queue_url` on the "
     "fake's SQS queue, a launching and a terminating hook on the "
     "group, and the poll slowed to 30 s, so that only the queue "
     "explains a change; 20 launches one at a time (each into a server "
     "that passes its check, waited for InService, i.e. "
     "CompleteLifecycleAction CONTINUE, before the next), then their 20 "
     "terminations (each waited for until terminated, after its "
     "drain).  The clock starts at the fake's timestamp of the "
     "notification put in the queue (visible at once; ep2d's "
     "ReceiveMessage long poll is woken by it) and stops at the receive "
     "time of the first `show servers state` answer (polled in a tight "
     "loop) in which the instance takes traffic, out of MAINT and DRAIN "
     "as in part 1 (`aws_lifecycle_launch_*`: the receive, "
     "DescribeInstances for its address, the imsg to the parent, the "
     "runtime commands), or no longer does (`aws_lifecycle_terminate_*`: "
     "drained)."),
    ("6. Many backends on one Consul", ["many-10", "many-16", "many-100",
                                        "many-500"],
     "N backends in one ep2d: [haproxy]'s own on Consul service `web`, "
     "then `[backend sK]` sections on services `sK` (ep2.conf(5), "
     "SEVERAL BACKENDS), all on one fake Consul, two instances each, "
     "update_by_runtime, node_slots 4.  The fake enforces Consul's "
     "`limits.http_max_conns_per_client` (200, Consul's default): past "
     "it a new connection gets `429 Too Many Requests` and is closed, "
     "as go-connlimit does for Consul; it counts the open TCP "
     "connections per client address (ep2d: 127.0.0.1; the bench's "
     "clients connect from 127.0.0.2).  A blocking query on one service "
     "is not ended by a write to another (the fake keeps Consul's "
     "per-service index).  `_start`: from ep2d's start until HAProxy "
     "has every backend as in Consul.  Then 30 changes, one server in "
     "or out of a backend drawn at random, 260-400 ms apart, the "
     "latency measured as in part 1 on that backend; the fake's health "
     "queries per change; ep2d's CPU per change; `_conns_peak`: the "
     "most connections ep2d had open to the fake at once over the "
     "whole run; `_settled_rss_sum`, `_rss_sum`, `_pss_sum`: the "
     "memory of ep2d's processes once HAProxy has every backend and "
     "after the changes (issue 15 item 6: with more backends memory "
     "grows by what each holds, not by copies of the configuration; "
     "RSS counts the pages the connector and the runner share with "
     "the process they are forks of, PSS shares them out).  A count "
     "ep2d's configuration check (`ep2d -n`) refuses is SKIPPED with "
     "its reason (at most 512 backends: [haproxy] and 511 sections)."),
]


def load(d):
    """{name: (value, unit, target)} of every BENCH line in DIR, and
    {part: [SKIPPED reasons]}"""
    figs, skips = {}, {}
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".out"):
            continue
        with open(os.path.join(d, fn)) as f:
            for ln in f:
                ln = ln.rstrip("\n")
                if ln.startswith("BENCH "):
                    kv = dict(x.split("=", 1) for x in ln.split()[1:]
                              if "=" in x)
                    name, val = ln.split()[1].split("=", 1)
                    figs[name] = (val, kv.get("unit", ""),
                                  kv.get("target", "-"))
                elif ln.startswith("SKIPPED"):
                    skips.setdefault(fn[:-4], []).append(ln[9:])
    return figs, skips


def num(figs, name):
    try:
        return float(figs[name][0])
    except (KeyError, ValueError):
        return None


def first(figs, pattern):
    """the name of the first figure matching the regular expression"""
    for n in sorted(figs):
        if re.fullmatch(pattern, n):
            return n
    return None


def fmt(v, unit="ms"):
    if v is None:
        return "not measured"
    t = ("%.0f" if abs(v) >= 100 else "%.1f" if abs(v) >= 10 else
         "%.2f") % v
    return "%s %s" % (t, unit) if unit else t


def issue15(figs, skips):
    """The rows of the issue 15 section: (target, measured, limit or
    peer, ratio, result), and BENCH lines of the derived figures"""
    rows, derived = [], []

    def verdict(ok):
        if ok is None:
            return "not measured"
        return "PASS" if ok else "**FAIL**"

    def ratio_row(what, e, p, unit, key):
        ev, pv = num(figs, e) if e else None, num(figs, p) if p else None
        r = ev / pv if ev is not None and pv else None
        if r is not None:
            derived.append("BENCH ratio_%s=%.3f unit=x target=<=1" %
                           (key, r))
        rows.append((what, "ep2d %s" % fmt(ev, unit),
                     "DNS peer %s" % fmt(pv, unit),
                     "%.2f" % r if r is not None else "-",
                     verdict(None if r is None else r <= 1.0)))

    # the peer, same run, same change pattern
    ratio_row("latency p50 vs HAProxy's DNS discovery",
              "lat_consul_runtime_p50", "lat_dns_peer_p50", "ms",
              "lat_p50_ep2d_dns")
    ratio_row("latency p99 vs HAProxy's DNS discovery",
              "lat_consul_runtime_p99", "lat_dns_peer_p99", "ms",
              "lat_p99_ep2d_dns")
    ratio_row("CPU per change vs DNS (ep2d + HAProxy vs HAProxy + "
              "dnsmasq)", "lat_consul_runtime_cpu_per_change_side",
              "lat_dns_peer_cpu_per_change_side", "ms",
              "cpu_per_change_ep2d_dns")
    ratio_row("idle CPU, 30 s (ep2d + HAProxy vs HAProxy + dnsmasq)",
              first(figs, r"cpu_idle_consul_\d+s"),
              first(figs, r"cpu_idle_dns_\d+s"), "ms",
              "cpu_idle_ep2d_dns")

    # the floor: the fake Consul alone
    for p, extra in (("p50", 1.0), ("p99", 5.0)):
        e = num(figs, "lat_consul_runtime_" + p)
        f = num(figs, "lat_consul_fake_floor_" + p)
        d = e - f if e is not None and f is not None else None
        if d is not None:
            derived.append("BENCH lat_consul_runtime_%s_over_floor=%.1f "
                           "unit=ms target=<=%g" % (p, d, extra))
        rows.append(("latency %s <= floor %s + %g ms" % (p, p, extra),
                     "ep2d %s (%s over the floor)" % (fmt(e), fmt(d)),
                     "floor %s, limit %s" % (
                         fmt(f), fmt(f + extra if f is not None else None)),
                     "%.2f" % (e / (f + extra)) if d is not None else "-",
                     verdict(None if d is None else d <= extra)))

    # CPU per change, runtime mode, 10 servers
    for name, what in (("lat_consul_runtime", "Consul"),
                       ("lat_file_runtime", "file")):
        v = num(figs, name + "_cpu_per_change")
        each = ", ".join("%s %.3f" % (r, num(figs, "%s_cpu_per_change_%s"
                                             % (name, r)))
                         for r in ("parent", "fetcher", "reloader",
                                   "connector", "runner")
                         if num(figs, "%s_cpu_per_change_%s" %
                                (name, r)) is not None)
        rows.append(("CPU per change <= 0.5 ms (%s, runtime, 10 servers)"
                     % what, "%s (%s)" % (fmt(v), each) if each else fmt(v),
                     "0.5 ms", "%.2f" % (v / 0.5) if v is not None else "-",
                     verdict(None if v is None else v <= 0.5)))

    # idle: wake-ups and CPU, 60 s, 10 healthy servers
    idle = first(figs, r"cpu_idle_\d+s")
    if idle:
        roles = [r for r in ("parent", "fetcher", "reloader", "connector",
                             "runner")
                 if num(figs, "%s_%s_wakeups" % (idle, r)) is not None]
        w = num(figs, idle + "_wakeups")
        c = num(figs, idle)
        rows.append(("idle %s: 0 wake-ups" % idle[9:],
                     "%s (%s)" % (fmt(w, ""), ", ".join(
                         "%s %d" % (r, num(figs, "%s_%s_wakeups" %
                                           (idle, r))) for r in roles)),
                     "0", "-", verdict(None if w is None else w == 0)))
        rows.append(("idle %s: CPU <= 5 ms in all" % idle[9:],
                     "%s (%s)" % (fmt(c), ", ".join(
                         "%s %.1f" % (r, num(figs, "%s_%s" % (idle, r)))
                         for r in roles)),
                     "5 ms", "%.2f" % (c / 5) if c is not None else "-",
                     verdict(None if c is None else c <= 5)))
    else:
        rows.append(("idle 60 s: 0 wake-ups, CPU <= 5 ms", "not measured",
                     "-", "-", "not measured"))

    # many backends on one Consul
    for n in (10, 16, 100, 500):
        part = "many-%d" % n
        k = "many_%d" % n
        if part in skips and num(figs, k + "_p50") is None:
            rows.append(("%d backends on one Consul" % n,
                         "SKIPPED: " + "; ".join(skips[part]), "-", "-",
                         "SKIPPED"))
            continue
        if num(figs, k + "_p50") is None:
            rows.append(("%d backends on one Consul" % n, "not measured",
                         "-", "-", "not measured"))
            continue
        peak = num(figs, k + "_conns_peak")
        lim = figs.get(k + "_conns_peak", ("", "", "-"))[2]
        lost = num(figs, k + "_lost")
        ref = num(figs, k + "_conns_refused_429")
        ok = lost == 0 and ref == 0
        rss = num(figs, k + "_settled_rss_sum")
        pss = num(figs, k + "_settled_pss_sum")
        mem = (", RSS sum %.1f MB (PSS %.1f MB)" % (rss, pss or 0)
               if rss is not None else "")
        rows.append(("%d backends on one Consul" % n,
                     "p50 %s, p99 %s, start %s, peak %d connections, "
                     "%d refused (429), %d changes lost, %.2f queries "
                     "per change%s" % (
                         fmt(num(figs, k + "_p50")),
                         fmt(num(figs, k + "_p99")),
                         fmt(num(figs, k + "_start")), peak or 0, ref or 0,
                         lost or 0, num(figs, k + "_queries_per_change")
                         or 0, mem),
                     "http_max_conns_per_client %s; none lost, none "
                     "refused" % lim.lstrip("<="), "-", verdict(ok)))
    return rows, derived


def issue15_md(figs, skips):
    rows, derived = issue15(figs, skips)
    out = ["## Issue 15: against its targets", "",
           "Measured in this run.  Ratios are ep2d / peer (below 1: ep2d "
           "faster or cheaper; the peer rows pass at a ratio <= 1) or "
           "measured / limit.  The DNS peer is HAProxy resolving "
           "through dnsmasq with every resolvers timer at 1 ms (section "
           "1b); ep2d's side there is its five processes and HAProxy, "
           "the peer's HAProxy and dnsmasq (the sources themselves, the "
           "fake Consul and the hosts file, are not counted; HAProxy's "
           "share includes its health checks and its answers to the "
           "bench's polling of the stats socket, alike on both sides).  "
           "The floor "
           "is the fake Consul's own: a plain client's blocking query "
           "answered after a registration (section 1).", "",
           "| target | measured | limit / peer | ratio | result |",
           "|---|---|---|---:|---|"]
    for r in rows:
        out.append("| %s |" % " | ".join(x.replace("|", "/") for x in r))
    out.append("")
    return out, derived


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def meets(value, target):
    try:
        v = float(value)
    except ValueError:
        return "-"
    m = re.match(r"^(<=|>=)?([0-9.]+)", target)
    if not m or "reload" in target:
        return "-"
    t = float(m.group(2))
    op = m.group(1) or "=="
    ok = v <= t if op == "<=" else v >= t if op == ">=" else v == t
    return "yes" if ok else "**no**"


def main():
    if sys.argv[1] == "--summary":
        figs, skips = load(sys.argv[2])
        out, derived = issue15_md(figs, skips)
        print("\n".join(out))
        return
    d, total = sys.argv[1], sys.argv[2]
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for ln in f:
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    hap = sh("haproxy -v | head -n 1")
    dnsmasq = sh("dnsmasq --version 2>/dev/null | head -n 1")
    rev = sh("git -C %s rev-parse --short HEAD 2>/dev/null" %
             os.path.dirname(os.path.abspath(__file__)))
    out = []
    w = out.append
    w("# ep2d benchmarks")
    w("")
    w("Written by `make bench` (bench/run.sh; the measuring side is "
      "bench/ep2bench.py). Do not edit by hand: run it again.")
    w("")
    w("- date: %s" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    w("- machine: %s, %d cores, kernel %s, %s" % (
        cpu, os.cpu_count(), platform.release(), platform.machine()))
    w("- HAProxy: %s" % hap)
    w("- dnsmasq (the DNS peer): %s" % (dnsmasq or "not installed"))
    w("- ep2d: tree at commit %s plus the working files of that moment"
      % (rev or "?"))
    w("- whole run: %s s" % total)
    w("- everything on 127.0.0.1 (ports 28000-28999): the real HAProxy, "
      "the regress fakes, ep2d as built; the machine is shared with the "
      "other engineers' test runs, so single figures can be noisy.")
    w("")
    head = out
    out = []
    w = out.append
    allbench, skipped = [], []
    for title, names, method in PARTS:
        w("## %s" % title)
        w("")
        w("Method: " + method)
        w("")
        rows = []
        for n in names:
            p = os.path.join(d, n + ".out")
            if not os.path.exists(p):
                skipped.append("%s: not run" % n)
                w("- %s: not run" % n)
                continue
            secs = "?"
            with open(p) as f:
                for ln in f:
                    ln = ln.rstrip("\n")
                    if ln.startswith("BENCH "):
                        allbench.append(ln)
                        f2 = dict(x.split("=", 1) for x in ln.split()[1:]
                                  if "=" in x)
                        name, val = ln.split()[1].split("=", 1)
                        rows.append((name, val, f2.get("unit", ""),
                                     f2.get("target", "-")))
                    elif ln.startswith("SKIPPED"):
                        skipped.append("%s: %s" % (n, ln[9:]))
                        w("- **SKIPPED** (%s): %s" % (n, ln[9:]))
                    elif ln.startswith("NOTE "):
                        w("- note (%s): %s" % (n, ln[5:]))
                    elif ln.startswith("TIME "):
                        secs = ln[5:]
            w("- %s took %s s" % (n, secs))
        w("")
        if rows:
            w("| figure | value | unit | target | meets |")
            w("|---|---:|---|---|---|")
            for name, val, unit, tgt in rows:
                w("| %s | %s | %s | %s | %s |" % (
                    name, val, unit, tgt.replace("|", "/"),
                    meets(val, tgt)))
            w("")
    body = out
    out = head
    w = out.append
    figs, skips = load(d)
    sect, derived = issue15_md(figs, skips)
    out.extend(sect)
    w("## Against the targets")
    w("")
    w("Every figure that has a target (details, methods and all other "
      "figures in the sections below).")
    w("")
    w("| figure | value | unit | target | meets |")
    w("|---|---:|---|---|---|")
    for ln in allbench:
        f = dict(x.split("=", 1) for x in ln.split()[1:] if "=" in x)
        name, val = ln.split()[1].split("=", 1)
        tgt = f.get("target", "-")
        if tgt != "-":
            w("| %s | %s | %s | %s | %s |" % (name, val, f.get("unit", ""),
                                              tgt, meets(val, tgt)))
    w("")
    missed = [ln for ln in allbench if ln.split()[-1] != "target=-" and
              meets(ln.split()[1].split("=", 1)[1],
                    ln.split()[-1][7:]) == "**no**"]
    w("## Targets missed")
    w("")
    if missed:
        for ln in missed:
            w("- `%s`" % ln[6:])
    else:
        w("None of the figures with a numeric target missed it.")
    w("")
    w("## Skipped")
    w("")
    if skipped:
        for s in skipped:
            w("- " + s)
    else:
        w("Nothing was skipped.")
    w("")
    out.extend(body)
    w("## Machine-readable")
    w("")
    w("One line per figure: `BENCH <name>=<value> unit=<unit> "
      "target=<target>` (`-`: no target).")
    w("")
    w("```")
    out.extend(allbench)
    out.extend(derived)
    w("```")
    print("\n".join(out))


if __name__ == "__main__":
    main()
