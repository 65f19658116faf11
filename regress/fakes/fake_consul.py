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
#   GET /v1/catalog/services[?dc=DC][&stale][&index=N&wait=D]
#       {"NAME": [TAG, ...], ...}: every service with the union of its
#       instances' tags, and "consul" (the servers' own service), as in
#       the sample response of catalog.mdx ("List Services")
#   GET /v1/health/state/STATE[?dc=DC][&stale][&index=N&wait=D]
#       STATE any, passing, warning or critical: the checks in that
#       state, each in the shape of the "Checks" entries of
#       health-service.json (health.mdx's "List Checks in State" sample
#       has the same objects): the node's serfHealth once, then one
#       "service:ID" check per instance, sorted by node and CheckID
# Each read endpoint blocks as Consul's does and answers X-Consul-Index
# from the table it reads (Consul's state store, agent/consul/state):
#   health/service/NAME  the service's own index ("service.NAME"), set
#                        by every write to one of its instances or
#                        checks; a service without instances answers
#                        the index at which the last service went extinct,
#                        or the highest index when none ever did; so a
#                        write to another service does not end the query
#   catalog/services     the services table's: registrations and
#                        deregistrations, not check updates
#   health/state/STATE   the checks table's: registrations,
#                        deregistrations and check updates
# Every write is one Raft index (one more than the last).  A blocking
# query returns when its index passed the client's, or after wait (and
# up to wait/16 of jitter); an index below 1 is answered as 1.
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
#   GET  /_fake/conns  {"max": M, "current": {IP: N}, "peak": {IP: N},
#        "refused": {IP: N}}: TCP connections per client address, as
#        the limit below counts them; POST /_fake/reset-conns starts the
#        peaks again from the connections open now
# The log and the waiting count cover every read endpoint; a log entry
# of an endpoint other than /v1/health/service has "path" too.
#
# --max-conns-per-client N (default 200, 0: no limit) is Consul's
# limits.http_max_conns_per_client, done as Consul does it (agent.go
# hands go-connlimit's HTTPConnStateFuncWithDefault429Handler(10ms) to
# its HTTP server; connlimit.go, hashicorp/go-connlimit; since
# hashicorp/consul PR 8221, 2020; from 1.6.3 until then the connection
# was just closed, issue 7527): the limit counts the open TCP
# connections of a client IP, idle keep-alive ones included; a
# connection accepted past it gets,
# before any request is read, "HTTP/1.1 429 Too Many Requests" with
# Content-Type: text/plain, Connection: close and the body "Your IP is
# issuing too many concurrent connections, please rate limit your
# calls\n", written within 10 ms, and is closed.
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
TOO_MANY_MSG = ("Your IP is issuing too many concurrent connections, "
                "please rate limit your calls\n")
TOO_MANY = ("HTTP/1.1 429 Too Many Requests\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: %d\r\n"
            "Connection: close\r\n\r\n%s" %
            (len(TOO_MANY_MSG), TOO_MANY_MSG)).encode()
CHECK_STATES = ("any", "passing", "warning", "critical")


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
        self.admin_gen = 0          # a change through /_fake/
        # the state store's index table: "service.NAME", the services
        # and checks tables, the last extinction of a service
        self.svc_index = {}
        self.services_index = self.checks_index = self.index
        self.extinct_index = 0
        with open(os.path.join(args.fixtures, "consul",
                               "health-service.json")) as f:
            self.sample = json.load(f)[0]
        if self.state_file and os.path.exists(self.state_file):
            with open(self.state_file) as f:
                st = json.load(f)
            self.index = st["index"]
            self.services = st["services"]
            self.svc_index = st.get("svc_index", {
                r["Name"]: self.index for r in self.services.values()})
            self.services_index = st.get("services_index", self.index)
            self.checks_index = st.get("checks_index", self.index)
            self.extinct_index = st.get("extinct_index", 0)

    def save(self):
        if not self.state_file:
            return
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"index": self.index, "services": self.services,
                       "svc_index": self.svc_index,
                       "services_index": self.services_index,
                       "checks_index": self.checks_index,
                       "extinct_index": self.extinct_index}, f)
        os.rename(tmp, self.state_file)

    def exists(self, name):
        return any(r.get("Name") == name for r in self.services.values())

    def changed(self, names, services=True):
        """Under the lock: a write to instances of the services names,
        as one Raft index bump; services: the services table too (a
        registration or deregistration, not a check update)."""
        self.index += 1
        self.checks_index = self.index
        if services:
            self.services_index = self.index
        for name in names:
            if self.exists(name):
                self.svc_index[name] = self.index
            else:
                # the last instance gone: Consul drops the service's
                # index and keeps the extinction's
                self.svc_index.pop(name, None)
                self.extinct_index = self.index
        self.gen += 1
        self.save()
        self.lock.notify_all()

    def set_index(self, index):
        """Under the lock: the whole store at index (a test's handle:
        a Consul whose state was lost, the index going backwards)."""
        self.index = index
        for name in self.svc_index:
            self.svc_index[name] = index
        self.services_index = self.checks_index = index
        if self.extinct_index:
            self.extinct_index = min(self.extinct_index, index)
        self.save()

    def service_index(self, name):
        """X-Consul-Index of health/service/NAME"""
        if name in self.svc_index:
            return self.svc_index[name]
        if self.extinct_index:
            return self.extinct_index
        return self.index

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

    def catalog_services(self):
        out = {"consul": []}
        for reg in self.services.values():
            tags = out.setdefault(reg["Name"], [])
            for t in reg.get("Tags") or []:
                if t not in tags:
                    tags.append(t)
        return {k: sorted(v) for k, v in sorted(out.items())}

    def checks(self, state):
        """the checks in state (any: all), as health/state answers"""
        out = {}
        for sid in sorted(self.services):
            for c in self.entry(self.services[sid])["Checks"]:
                out[(c["Node"], c["CheckID"])] = c
        return [out[k] for k in sorted(out)
                if state == "any" or out[k]["Status"] == state]

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
        if u.path == "/_fake/conns":
            return self.reply(200, json.dumps(self.server.conns_view()),
                              "application/json")
        if u.path.startswith("/v1/health/service/"):
            name = urllib.parse.unquote(
                u.path[len("/v1/health/service/"):])
            q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
            passing = "passing" in q and q["passing"][-1] in ("", "1",
                                                               "true")
            tags = q.get("tag", [])
            return self.read(u, q, lambda st: st.service_index(name),
                             lambda st: st.answer(name, passing, tags))
        if u.path == "/v1/catalog/services":
            q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
            return self.read(u, q, lambda st: st.services_index,
                             lambda st: st.catalog_services(), True)
        if u.path.startswith("/v1/health/state/"):
            state = urllib.parse.unquote(u.path[len("/v1/health/state/"):])
            if state not in CHECK_STATES:
                return self.reply(400, "Bad state: %s" % state)
            q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
            return self.read(u, q, lambda st: st.checks_index,
                             lambda st: st.checks(state), True)
        return self.reply(404, "Not found\n")

    def read(self, u, q, index_of, body_of, logpath=False):
        """A read endpoint: ACL, dc, a blocking query on index_of(state),
        the fake's modes, Consul's headers; body_of(state) the answer."""
        st = self.server.state
        tstate = self.token_state()
        entry = {"query": u.query, "token": tstate, "blocked": 0.0}
        if logpath:
            entry["path"] = u.path
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
        t0 = time.monotonic()
        with st.lock:
            if index > 0 and index_of(st) <= index and \
                    st.mode["mode"] == "ok":
                # Consul adds up to wait/16 of jitter
                deadline = t0 + wait + random.uniform(0, wait / 16)
                agen = st.admin_gen
                st.waiting += 1
                try:
                    while st.admin_gen == agen and index_of(st) <= index:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            break
                        st.lock.wait(left)
                finally:
                    st.waiting -= 1
            entry["blocked"] = round(time.monotonic() - t0, 3)
            mode = dict(st.mode)
            cur = max(1, index_of(st))
            body = body_of(st)
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
            # valid JSON of the other shape
            text = json.dumps({"Services": body} if isinstance(body, list)
                              else [body])
        elif m == "filtered":
            text = "[]" if isinstance(body, list) else "{}"
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
                old = st.services.get(reg["ID"]) or reg
                st.services[reg["ID"]] = reg
                st.changed({old.get("Name"), reg["Name"]})
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
                st.changed([st.services.pop(sid).get("Name")])
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
                        st.changed([st.services[sid].get("Name")],
                                   services=False)
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
                st.set_index(int(arg["index"]))
            elif u.path == "/_fake/reset-log":
                st.log = []
            elif u.path == "/_fake/reset-conns":
                self.server.reset_conns()
            else:
                return self.reply(404, "Not found\n")
            st.gen += 1
            st.admin_gen += 1
            st.lock.notify_all()
        return self.reply(200, "ok\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    max_conns = 200

    def server_activate(self):
        self.conn_lock = threading.Lock()
        self.conns = {}             # client IP -> open connections
        self.peak = {}
        self.refused = {}
        super().server_activate()

    def process_request(self, request, client_address):
        """go-connlimit's Accept: count the client's open connections;
        past the limit, the 429 within 10 ms and the connection closed,
        no request read"""
        ip = client_address[0]
        with self.conn_lock:
            n = self.conns.get(ip, 0)
            over = self.max_conns > 0 and n >= self.max_conns
            if over:
                self.refused[ip] = self.refused.get(ip, 0) + 1
            else:
                self.conns[ip] = n + 1
                self.peak[ip] = max(self.peak.get(ip, 0), n + 1)
        if over:
            try:
                request.settimeout(0.01)
                request.sendall(TOO_MANY)
            except (OSError, ValueError):
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            ip = client_address[0]
            with self.conn_lock:
                self.conns[ip] -= 1
                if self.conns[ip] == 0:
                    del self.conns[ip]

    def conns_view(self):
        with self.conn_lock:
            return {"max": self.max_conns, "current": dict(self.conns),
                    "peak": dict(self.peak), "refused": dict(self.refused)}

    def reset_conns(self):
        with self.conn_lock:
            self.peak = dict(self.conns)
            self.refused = {}


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
    ap.add_argument("--max-conns-per-client", type=int, default=200,
                    help="Consul's limits.http_max_conns_per_client "
                    "(0: none)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    Server.max_conns = args.max_conns_per_client
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
