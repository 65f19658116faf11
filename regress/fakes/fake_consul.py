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
# A fake Consul agent for ep2d's tests, on 127.0.0.1 only, Python
# standard library only.  Its health answers are built from the real
# sample in regress/fixtures/consul (health-service.json: each entry a
# copy of the sample's, with the registered values put in; headers as
# headers.txt), and it implements blocking queries as Consul does.
#
# Consul's own endpoints:
#   GET /v1/health/service/NAME[?passing][&tag=T]...[&dc=DC][&stale]
#       [&index=N&wait=D]
#   PUT /v1/agent/service/register      {"ID", "Name", "Address", "Port",
#                                        "Tags", and the fake's own
#                                        "NodeAddress", "Status"}
#   PUT /v1/agent/service/deregister/ID
#   PUT /v1/agent/check/{pass,warn,fail}/service:ID
# With --token T, ACLs are on (default deny): a request without a token
# gets 403 "Permission denied", with another token 403 "ACL not found".
#
# The tests' handle (no token needed):
#   GET  /_fake/ping              "ok"
#   POST /_fake/mode  {"mode": M, "seconds": S, "pad": N}
#        M: ok, 500, close (no answer at all), garbage (not JSON),
#        notarray (JSON, wrong shape), noleader (X-Consul-Knownleader:
#        false), noleaderheader (no X-Consul-Knownleader header at all,
#        as HashiCorp's API double answers), noindex (no X-Consul-Index),
#        filtered (an empty list
#        with X-Consul-Results-Filtered-By-ACLs), slow (answer after S
#        seconds), pad (N bytes of blank space in the JSON)
#   POST /_fake/index {"index": N}  set the index (may go backwards);
#        this and a mode change end the blocking queries held
#   GET  /_fake/log                 the health requests, JSON lines:
#        {"n", "query", "token": "ok"|"missing"|"bad", "blocked": secs}
#   GET  /_fake/waiting             health requests blocked right now
# With --tls-cert/--tls-key it speaks https only (--tls-client-ca: a
# client certificate from that CA is required).

import argparse
import copy
import http.server
import json
import os
import random
import ssl
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakehttp  # noqa: E402

MAX_WAIT = 600.0        # Consul caps wait at 10 minutes
DEFAULT_WAIT = 300.0


def parse_wait(s):
    """A Go duration as Consul takes it: 10ms, 5s, 5m, 1h, 1m30s."""
    if not s:
        return DEFAULT_WAIT
    units = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
             "h": 3600.0}
    total, num, i = 0.0, "", 0
    while i < len(s):
        c = s[i]
        if c.isdigit() or c == ".":
            num += c
            i += 1
            continue
        for u in ("ns", "us", "ms", "s", "m", "h"):
            if s.startswith(u, i) and num:
                total += float(num) * units[u]
                num = ""
                i += len(u)
                break
        else:
            raise ValueError("bad duration " + s)
    if num:
        raise ValueError("missing unit in duration " + s)
    return total


class State:
    def __init__(self, args):
        self.lock = threading.Condition()
        self.index = args.index
        self.services = {}          # ID -> registration
        self.mode = {"mode": "ok"}
        self.token = args.token
        self.node_address = args.node_address
        self.state_file = args.state
        self.log = []
        self.waiting = 0
        self.gen = 0                # any change of index or mode
        with open(os.path.join(args.fixtures, "consul",
                               "health-service.json")) as f:
            self.sample = json.load(f)[0]
        if self.state_file and os.path.exists(self.state_file):
            with open(self.state_file) as f:
                st = json.load(f)
            self.index = st["index"]
            self.services = st["services"]

    def save(self):
        if not self.state_file:
            return
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"index": self.index, "services": self.services}, f)
        os.rename(tmp, self.state_file)

    def changed(self):
        """Under the lock: a write, as a Raft index bump."""
        self.index += 1
        self.gen += 1
        self.save()
        self.lock.notify_all()

    def entry(self, reg):
        e = copy.deepcopy(self.sample)
        node = e["Node"]
        node["Address"] = reg.get("NodeAddress", self.node_address)
        node["TaggedAddresses"] = {"lan": node["Address"],
                                   "wan": node["Address"]}
        svc = e["Service"]
        svc["ID"] = reg["ID"]
        svc["Service"] = reg["Name"]
        svc["Tags"] = list(reg.get("Tags") or [])
        svc["Address"] = reg.get("Address", "")
        svc["Port"] = reg.get("Port", 0)
        svc["Meta"] = reg.get("Meta") or {}
        addr = svc["Address"] or node["Address"]
        svc["TaggedAddresses"] = {
            "lan": {"address": addr, "port": svc["Port"]},
            "wan": {"address": addr, "port": svc["Port"]}}
        checks = e["Checks"]
        for c in checks:
            c["Node"] = node["Node"]
        checks[0]["CheckID"] = "service:" + reg["ID"]
        checks[0]["Name"] = "Service '%s' check" % reg["Name"]
        checks[0]["Status"] = reg.get("Status", "passing")
        checks[0]["ServiceID"] = reg["ID"]
        checks[0]["ServiceName"] = reg["Name"]
        checks[0]["ServiceTags"] = list(svc["Tags"])
        return e

    def answer(self, name, passing, tags):
        out = []
        for sid in sorted(self.services):
            reg = self.services[sid]
            if reg.get("Name") != name:
                continue
            if any(t not in (reg.get("Tags") or []) for t in tags):
                continue
            e = self.entry(reg)
            if passing and any(c["Status"] != "passing"
                               for c in e["Checks"]):
                continue
            out.append(e)
        return out


class Handler(fakehttp.Handler):
    server_version = "Consul"
    log_prefix = "fake_consul"

    # Consul sends no Server header
    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def reply(self, code, body, ctype="text/plain; charset=utf-8",
              headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Vary", "Accept-Encoding")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def token_state(self):
        st = self.server.state
        t = self.headers.get("X-Consul-Token")
        if st.token is None:
            return "ok" if t is None else "extra"
        if t is None:
            return "missing"
        return "ok" if t == st.token else "bad"

    def acl_refused(self, tstate):
        if tstate == "missing":
            self.reply(403, "Permission denied: anonymous token lacks "
                       "permission 'service:read'")
            return True
        if tstate == "bad":
            self.reply(403, "ACL not found")
            return True
        return False

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/_fake/ping":
            return self.reply(200, "ok\n")
        if u.path == "/_fake/log":
            st = self.server.state
            with st.lock:
                lines = "".join(json.dumps(x) + "\n" for x in st.log)
            return self.reply(200, lines)
        if u.path == "/_fake/waiting":
            with self.server.state.lock:
                return self.reply(200, "%d\n" % self.server.state.waiting)
        if u.path.startswith("/v1/health/service/"):
            return self.health(u)
        return self.reply(404, "Not found\n")

    def health(self, u):
        st = self.server.state
        name = urllib.parse.unquote(u.path[len("/v1/health/service/"):])
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        tstate = self.token_state()
        entry = {"query": u.query, "token": tstate, "blocked": 0.0}
        with st.lock:
            entry["n"] = len(st.log) + 1
            st.log.append(entry)
        if self.acl_refused(tstate):
            return
        if "dc" in q and q["dc"][-1] != "dc1":
            return self.reply(500, "No path to datacenter")
        try:
            index = int(q["index"][-1]) if "index" in q else 0
            wait = min(parse_wait(q["wait"][-1]) if "wait" in q else
                       DEFAULT_WAIT, MAX_WAIT)
        except ValueError as e:
            return self.reply(400, str(e))
        passing = "passing" in q and q["passing"][-1] in ("", "1",
                                                           "true")
        tags = q.get("tag", [])
        t0 = time.monotonic()
        with st.lock:
            if index > 0 and st.index <= index and \
                    st.mode["mode"] == "ok":
                # Consul adds up to wait/16 of jitter
                deadline = t0 + wait + random.uniform(0, wait / 16)
                gen = st.gen
                st.waiting += 1
                try:
                    while st.gen == gen:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            break
                        st.lock.wait(left)
                finally:
                    st.waiting -= 1
            entry["blocked"] = round(time.monotonic() - t0, 3)
            mode = dict(st.mode)
            cur = st.index
            body = st.answer(name, passing, tags)
        m = mode["mode"]
        if m == "slow":
            time.sleep(float(mode.get("seconds", 5)))
        if m == "500":
            return self.reply(500, "rpc error making call: No cluster "
                              "leader")
        if m == "close":
            self.close_connection = True
            return
        headers = {
            "X-Consul-Default-Acl-Policy": "deny" if st.token else
            "allow",
            "X-Consul-Effective-Consistency": "stale" if "stale" in q
            else "leader",
            "X-Consul-Index": str(cur),
            "X-Consul-Knownleader": "false" if m == "noleader" else "true",
            "X-Consul-Lastcontact": "0",
            "X-Consul-Query-Backend": "blocking-query",
        }
        if m == "noindex":
            del headers["X-Consul-Index"]
        if m == "noleaderheader":
            del headers["X-Consul-Knownleader"]
        text = json.dumps(body, indent=2)
        if m == "garbage":
            text = text[:len(text) // 2] + "<html>oops"
        elif m == "notarray":
            text = json.dumps({"Services": body})
        elif m == "filtered":
            text = "[]"
            headers["X-Consul-Results-Filtered-By-ACLs"] = "true"
        elif m == "pad":
            text = "[" + " " * int(mode.get("pad", 0)) + text[1:]
        return self.reply(200, text, "application/json", headers)

    def do_PUT(self):
        st = self.server.state
        u = urllib.parse.urlsplit(self.path)
        body = self.read_body()
        if u.path.startswith("/_fake/"):
            return self.admin(u, body)
        if self.acl_refused(self.token_state()):
            return
        if u.path == "/v1/agent/service/register":
            try:
                reg = json.loads(body)
                if not isinstance(reg, dict) or "Name" not in reg:
                    raise ValueError("Name is required")
                reg.setdefault("ID", reg["Name"])
            except ValueError as e:
                return self.reply(400, "Request decode failed: %s" % e)
            with st.lock:
                st.services[reg["ID"]] = reg
                st.changed()
            return self.reply(200, "")
        pre = "/v1/agent/service/deregister/"
        if u.path.startswith(pre):
            sid = urllib.parse.unquote(u.path[len(pre):])
            with st.lock:
                if sid not in st.services:
                    return self.reply(404, 'Unknown service ID "%s". '
                                      'Ensure that the service ID is '
                                      'passed, not the service name.'
                                      % sid)
                del st.services[sid]
                st.changed()
            return self.reply(200, "")
        for verb, status in (("pass", "passing"), ("warn", "warning"),
                             ("fail", "critical")):
            pre = "/v1/agent/check/%s/service:" % verb
            if u.path.startswith(pre):
                sid = urllib.parse.unquote(u.path[len(pre):])
                with st.lock:
                    if sid not in st.services:
                        return self.reply(404, "Unknown check ID")
                    if st.services[sid].get("Status") != status:
                        st.services[sid]["Status"] = status
                        st.changed()
                return self.reply(200, "")
        return self.reply(404, "Not found\n")

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        body = self.read_body()
        if u.path.startswith("/_fake/"):
            return self.admin(u, body)
        return self.reply(405, "method POST not allowed")

    def admin(self, u, body):
        st = self.server.state
        try:
            arg = json.loads(body or b"{}")
        except ValueError as e:
            return self.reply(400, str(e))
        with st.lock:
            if u.path == "/_fake/mode":
                st.mode = arg
            elif u.path == "/_fake/index":
                st.index = int(arg["index"])
                st.save()
            elif u.path == "/_fake/reset-log":
                st.log = []
            else:
                return self.reply(404, "Not found\n")
            st.gen += 1
            st.lock.notify_all()
        return self.reply(200, "ok\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--fixtures", default=os.environ.get(
        "EP2D_FIXTURES", os.path.join(os.path.dirname(
            os.path.abspath(__file__)), "..", "fixtures")))
    ap.add_argument("--token", default=None)
    ap.add_argument("--index", type=int, default=1447)
    ap.add_argument("--node-address", default="127.0.0.1")
    ap.add_argument("--state", default=None)
    ap.add_argument("--pidfile", default=None)
    ap.add_argument("--tls-cert", default=None, help="serve https")
    ap.add_argument("--tls-key", default=None)
    ap.add_argument("--tls-client-ca", default=None,
                    help="require a client certificate from this CA")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    srv = Server(("127.0.0.1", args.port), Handler)
    srv.state = State(args)
    srv.verbose = args.verbose
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.tls_client_ca)
        # the handshake happens in the handler's thread, not in accept
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
