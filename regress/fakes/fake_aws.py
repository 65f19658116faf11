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
# A fake AWS for ep2d's tests, on 127.0.0.1 only, Python standard library
# only.  One port serves:
#   POST /                      the Auto Scaling, EC2 and SQS Query APIs
#                               (DescribeAutoScalingGroups, DescribeInstances,
#                               CompleteLifecycleAction,
#                               RecordLifecycleActionHeartbeat; ReceiveMessage
#                               with long polling, DeleteMessage, also posted
#                               to a queue's URL /ACCOUNT/QUEUE), every
#                               request's SigV4 signature verified
#                               (sigv4.py), answers built from the element
#                               structure of regress/fixtures/aws-api and
#                               aws-lifecycle; the queues and lifecycle
#                               hooks are fake_lifecycle.py's;
#   /latest/...                 EC2 instance metadata, IMDSv2 only;
#   GET /ecs/...                ECS container credentials;
#   /_admin/...                 the tests' handle: configuration, faults,
#                               the request log.
#
# Admin interface (plain HTTP, for curl in shell tests):
#   GET  /_admin/ping                 "ok"
#   POST /_admin/config   JSON        merged into the configuration
#   POST /_admin/reset                empties the request log
#   GET  /_admin/log                  the request log, JSON lines
#   GET  /_admin/count?action=A[&status=S][&akid=K][&since=N]
#                                     number of logged requests matching
#   GET  /_admin/seq                  sequence number of the last request
# Lifecycle hooks and SQS (fake_lifecycle.py says how instances move):
#   POST /_admin/hook     JSON        a hook: group, name, transition
#                                     (autoscaling:EC2_INSTANCE_LAUNCHING or
#                                     _TERMINATING), queue, heartbeat_timeout,
#                                     default_result, metadata, form
#                                     (autoscaling or eventbridge); with a
#                                     queue, autoscaling:TEST_NOTIFICATION
#   POST /_admin/unhook   JSON        {"group": G, "name": H}
#   POST /_admin/launch   JSON        {"group": G, "instances": [inst...]}
#                                     or {"group": G, "ips": [IP...]}:
#                                     new instances, Pending; the ids back
#   POST /_admin/terminate JSON       {"group": G, "ids": [ID...]}: those
#                                     InService instances, Terminating
#   POST /_admin/sqs/send JSON        {"queue": Q, "body": B}: a message
#   GET  /_admin/sqs/messages?queue=Q the queue's messages, JSON (id, body,
#                                     receives, deleted, visible_at, sent)
#   GET  /_admin/actions              the lifecycle actions waiting, JSON
#   GET  /_admin/events               what moved (sent, received, deleted,
#                                     state, timeout...), JSON lines
# Configuration keys (see DEFAULTS and fake_lifecycle.DEFAULTS):
# credentials, region, groups, asg_page_size, asg_token_cycle,
# ec2_page_size, faults, imds, ecs, require_token_signed, account, queues,
# hooks (set through /_admin/hook), pending_seconds, terminating_seconds.
# A fault is {"action": A or "*", "kind": K, "count": N (-1: forever)};
# kinds: throttle, ec2limit, 500, garbage, truncated, empty, doctype,
# auth, notfound, delay (with "seconds").

import argparse
import copy
import http.server
import json
import os
import re
import secrets
import socketserver
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_lifecycle  # noqa: E402
import fakehttp  # noqa: E402
import sigv4  # noqa: E402

ASG_NS = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
SQS_NS = fake_lifecycle.SQS_NS
ACTIONS = {
    "DescribeAutoScalingGroups": ("autoscaling", "2011-01-01"),
    "DescribeInstances": ("ec2", "2016-11-15"),
    "CompleteLifecycleAction": ("autoscaling", "2011-01-01"),
    "RecordLifecycleActionHeartbeat": ("autoscaling", "2011-01-01"),
    "ReceiveMessage": ("sqs", "2012-11-05"),
    "DeleteMessage": ("sqs", "2012-11-05"),
}

DEFAULTS = {
    "region": "us-east-1",
    # access key id -> {"secret": S, "token": T or null, "expires": epoch}
    "credentials": {
        "AKIDEXAMPLE": {"secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                        "token": None},
    },
    # group name -> list of instances
    "groups": {
        "my-asg": [
            {"id": "i-0598c7d356eba48d7", "lifecycle": "InService",
             "health": "Healthy", "private_ip": "10.0.1.17"},
            {"id": "i-0b2c3d4e5f6a7b8c9", "lifecycle": "Pending",
             "health": "Healthy", "private_ip": "10.0.2.41"},
            {"id": "i-0c9d8e7f6a5b4c3d2", "lifecycle": "Terminating:Wait",
             "health": "Healthy", "private_ip": "10.0.1.88"},
        ],
    },
    "asg_page_size": 0,		# groups per page; 0: no paging
    # a broken or hostile paging: every DescribeAutoScalingGroups page
    # names as NextToken the token after the one asked in this list,
    # round and round (["A", "B"]: A, B, A, B, ...); []: off
    "asg_token_cycle": [],
    "ec2_page_size": 0,		# instances per page; 0: no paging
    "faults": [],
    "require_token_signed": True,
    # IMDSv2 and ECS: credentials handed out, registered as valid keys.
    # expires_in: seconds from the moment they are served; rotate: a
    # new key each time they are served.
    "imds": {"enabled": True, "role": "ep2d-web-role",
             "akid": "ASIAFAKEIMDS", "secret": "imds-secret",
             "token": "IQoJb3JpZ2luX2VjEXAMPLETOKENFROMIMDS==",
             "expires_in": 21600, "rotate": True},
    "ecs": {"enabled": True, "authorization": None,
            "akid": "ASIAFAKEECS", "secret": "ecs-secret",
            "token": "IQoJb3JpZ2luX2VjEXAMPLETOKENFROMECS==",
            "expires_in": 21600, "rotate": True},
}


def load_templates(fixtures):
    """The element trees of the real answers; the fake clones their
    parts, so its XML has exactly their structure."""
    d = os.path.join(fixtures, "aws-api")
    ET.register_namespace("", ASG_NS)
    asg = ET.parse(os.path.join(d, "describe-auto-scaling-groups.xml"))
    ET.register_namespace("", EC2_NS)
    ec2 = ET.parse(os.path.join(d, "describe-instances-page1.xml"))
    with open(os.path.join(d, "imds", "security-credentials-role.json")) as f:
        imds = json.load(f)
    with open(os.path.join(d, "imds", "ecs-credentials.json")) as f:
        ecs = json.load(f)
    return {"asg": asg.getroot(), "ec2": ec2.getroot(), "imds": imds,
            "ecs": ecs}


def q(ns, path):
    return "/".join("{%s}%s" % (ns, p) for p in path.split("/"))


def iso8601(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class State:
    def __init__(self, fixtures, config):
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)	# long polls
        self.tpl = load_templates(fixtures)
        self.cfg = copy.deepcopy(DEFAULTS)
        if config:
            self.merge(config)
        self.lc = fake_lifecycle.Lifecycle(self.cfg, fixtures, request_id)
        self.log = []
        self.seq = 0
        self.imds_tokens = {}
        self.served = {"imds": 0, "ecs": 0}

    def merge(self, new):
        for k, v in new.items():
            if k in ("imds", "ecs") and isinstance(v, dict):
                self.cfg[k].update(v)
            else:
                self.cfg[k] = v

    def record(self, entry):
        self.seq += 1
        entry["seq"] = self.seq
        entry["t"] = round(time.time(), 3)
        self.log.append(entry)

    def lookup(self, akid):
        c = self.cfg["credentials"].get(akid)
        if c is None:
            return None
        return (c["secret"], c.get("token"))

    def take_fault(self, action):
        for f in self.cfg["faults"]:
            if f.get("action", "*") not in ("*", action):
                continue
            n = f.get("count", -1)
            if n == 0:
                continue
            if n > 0:
                f["count"] = n - 1
            return f
        return None

    def serve_creds(self, kind):
        """Credentials for IMDS or ECS: registered as valid keys."""
        c = self.cfg[kind]
        self.served[kind] += 1
        akid = c["akid"]
        token = c["token"]
        if c.get("rotate"):
            akid = "%s%04d" % (akid, self.served[kind])
            token = "%s%04d" % (token, self.served[kind])
        expires = int(time.time()) + int(c["expires_in"])
        self.cfg["credentials"][akid] = {"secret": c["secret"],
                                         "token": token, "expires": expires}
        return akid, c["secret"], token, expires


def asg_error(code, message, typ="Sender"):
    return ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n'
            '    <Code>%s</Code>\n    <Message>%s</Message>\n  </Error>\n'
            '  <RequestId>%s</RequestId>\n</ErrorResponse>\n' % (
                ASG_NS, typ, xml_text(code), xml_text(message),
                request_id())).encode()


def ec2_error(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors>'
            '<Error><Code>%s</Code><Message>%s</Message></Error></Errors>'
            '<RequestID>%s</RequestID></Response>' % (
                xml_text(code), xml_text(message), request_id())).encode()


def xml_text(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def request_id():
    h = secrets.token_hex(16)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def sqs_error(code, message, typ="Sender"):
    """SQS's Query errors, as the SQS Developer Guide shows them
    ("Interpreting responses": Type, Code, Message, Detail)."""
    return ('<?xml version="1.0"?><ErrorResponse xmlns="%s"><Error>'
            '<Type>%s</Type><Code>%s</Code><Message>%s</Message><Detail/>'
            '</Error><RequestId>%s</RequestId></ErrorResponse>' % (
                SQS_NS, typ, xml_text(code), xml_text(message),
                request_id())).encode()


def error_for(service, code, message, status):
    if service == "ec2":
        return status, ec2_error(code, message)
    if service == "sqs":
        return status, sqs_error(code, message, "Receiver" if status >= 500
                                 else "Sender")
    return status, asg_error(code, message)


def sqs_int(p, name, lo, hi, default, why):
    """An integer parameter of ReceiveMessage, refused as SQS does."""
    v = p.get(name)
    if v is None:
        return default
    try:
        n = int(v)
    except ValueError:
        n = None
    if n is None or n < lo or n > hi:
        raise fake_lifecycle.Error("InvalidParameterValue", "Value %s for "
                                   "parameter %s is invalid. Reason: %s" % (
                                       v, name, why))
    return n


def build_asg(state, names, token):
    """DescribeAutoScalingGroups: the groups asked for that exist, in
    order, paged by asg_page_size with NextToken."""
    tpl = state.tpl["asg"]
    groups = [n for n in names if n in state.cfg["groups"]]
    cycle = state.cfg["asg_token_cycle"]
    start = int(token) if token and not cycle else 0
    size = state.cfg["asg_page_size"] or len(groups) or 1
    page = groups[start:start + size]
    root = copy.deepcopy(tpl)
    result = root.find(q(ASG_NS, "DescribeAutoScalingGroupsResult"))
    groups_el = result.find(q(ASG_NS, "AutoScalingGroups"))
    gtpl = groups_el.find(q(ASG_NS, "member"))
    groups_el.remove(gtpl)
    itpl = gtpl.find(q(ASG_NS, "Instances/member"))
    for name in page:
        g = copy.deepcopy(gtpl)
        g.find(q(ASG_NS, "AutoScalingGroupName")).text = name
        arn = g.find(q(ASG_NS, "AutoScalingGroupARN"))
        arn.text = arn.text.rsplit("/", 1)[0] + "/" + name
        insts = g.find(q(ASG_NS, "Instances"))
        for old in list(insts):
            insts.remove(old)
        members = state.cfg["groups"][name]
        g.find(q(ASG_NS, "DesiredCapacity")).text = str(len(members))
        for inst in members:
            m = copy.deepcopy(itpl)
            m.find(q(ASG_NS, "InstanceId")).text = inst["id"]
            m.find(q(ASG_NS, "LifecycleState")).text = inst.get(
                "lifecycle", "InService")
            m.find(q(ASG_NS, "HealthStatus")).text = inst.get(
                "health", "Healthy")
            insts.append(m)
        groups_el.append(g)
    if cycle:
        i = cycle.index(token) + 1 if token in cycle else 0
        nt = ET.SubElement(result, "{%s}NextToken" % ASG_NS)
        nt.text = cycle[i % len(cycle)]
    elif start + size < len(groups):
        nt = ET.SubElement(result, "{%s}NextToken" % ASG_NS)
        nt.text = str(start + size)
    root.find(q(ASG_NS, "ResponseMetadata/RequestId")).text = request_id()
    ET.register_namespace("", ASG_NS)
    return ET.tostring(root, encoding="unicode").encode()


def all_instances(state):
    out = {}
    for members in state.cfg["groups"].values():
        for inst in members:
            out[inst["id"]] = inst
    for inst in state.cfg.get("extra_instances", []):
        out[inst["id"]] = inst
    return out


def build_instances(state, ids, token):
    """DescribeInstances for the ids asked, paged by ec2_page_size with
    nextToken; each instance cloned from the fixture's first, with its
    network interface's nested addresses kept as the parser's trap."""
    tpl = state.tpl["ec2"]
    known = all_instances(state)
    start = int(token) if token else 0
    size = state.cfg["ec2_page_size"] or len(ids) or 1
    page = ids[start:start + size]
    root = copy.deepcopy(tpl)
    rset = root.find(q(EC2_NS, "reservationSet"))
    rtpl = rset.find(q(EC2_NS, "item"))
    rset.remove(rtpl)
    for old in root.findall(q(EC2_NS, "nextToken")):
        root.remove(old)
    itpl = rtpl.find(q(EC2_NS, "instancesSet/item"))
    res = copy.deepcopy(rtpl)
    iset = res.find(q(EC2_NS, "instancesSet"))
    for old in list(iset):
        iset.remove(old)
    for iid in page:
        inst = known[iid]
        it = copy.deepcopy(itpl)
        it.find(q(EC2_NS, "instanceId")).text = iid
        priv = inst.get("private_ip")
        pub = inst.get("public_ip")
        children = list(it)
        pel = it.find(q(EC2_NS, "privateIpAddress"))
        if priv is None:
            it.remove(pel)
        else:
            pel.text = priv
            it.find(q(EC2_NS, "privateDnsName")).text = (
                "ip-%s.ec2.internal" % priv.replace(".", "-"))
        if pub is not None:
            el = ET.Element("{%s}ipAddress" % EC2_NS)
            el.text = pub
            it.insert(children.index(pel) + 1, el)
            it.find(q(EC2_NS, "dnsName")).text = (
                "ec2-%s.compute-1.amazonaws.com" % pub.replace(".", "-"))
        eni = it.find(q(EC2_NS, "networkInterfaceSet/item"))
        eni.find(q(EC2_NS, "privateIpAddress")).text = priv or "10.0.9.98"
        addrs = eni.findall(q(EC2_NS, "privateIpAddressesSet/item"))
        addrs[0].find(q(EC2_NS, "privateIpAddress")).text = (
            priv or "10.0.9.98")
        if pub is not None:
            eni.insert(0, assoc(pub))
            addrs[0].insert(0, assoc(pub))
        if inst.get("nested_public_ip"):
            addrs[1].insert(0, assoc(inst["nested_public_ip"]))
        iset.append(it)
    rset.append(res)
    if start + size < len(ids):
        nt = ET.SubElement(root, "{%s}nextToken" % EC2_NS)
        nt.text = str(start + size)
    root.find(q(EC2_NS, "requestId")).text = request_id()
    ET.register_namespace("", EC2_NS)
    return ET.tostring(root, encoding="unicode").encode()


def assoc(ip):
    a = ET.Element("{%s}association" % EC2_NS)
    for tag, text in (("publicIp", ip), ("publicDnsName",
                      "ec2-%s.compute-1.amazonaws.com" % ip.replace(".", "-")),
                      ("ipOwnerId", "amazon")):
        e = ET.SubElement(a, "{%s}%s" % (EC2_NS, tag))
        e.text = text
    return a


def fault_answer(fault, service, action):
    kind = fault["kind"]
    if kind == "throttle":
        return error_for(service, "Throttling", "Rate exceeded", 400)
    if kind == "ec2limit":
        return 503, ec2_error("RequestLimitExceeded", "Request limit "
                              "exceeded.")
    if kind == "500":
        return error_for(service, "InternalFailure", "An internal error "
                         "has occurred.", 500)
    if kind == "auth":
        if service == "ec2":
            return 403, ec2_error("UnauthorizedOperation", "You are not "
                                  "authorized to perform this operation.")
        return 403, asg_error("AccessDenied", "User: arn:aws:iam::"
                              "123456789012:user/ep2d is not authorized to "
                              "perform: autoscaling:" + action)
    if kind == "garbage":
        return 200, b"<html><body>502 Bad Gateway</body></html"
    if kind == "truncated":
        return 200, ("<%sResponse xmlns=\"%s\"><%sResult><AutoScalingGroups>"
                     "<member><AutoScalingGroupName>my-asg" % (
                         action, ASG_NS, action)).encode()
    if kind == "empty":
        ns = EC2_NS if service == "ec2" else ASG_NS
        return 200, ('<%sResponse xmlns="%s"/>' % (action, ns)).encode()
    if kind == "doctype":
        return 200, (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol '
                     b'"lol">]><DescribeAutoScalingGroupsResponse>&lol;'
                     b'</DescribeAutoScalingGroupsResponse>')
    if kind == "notfound":
        return 400, ec2_error("InvalidInstanceID.NotFound", "The instance "
                              "ID 'i-0000000000000000' does not exist")
    return None


class Handler(fakehttp.Handler):
    server_version = "fake-aws/1"
    log_prefix = "fake_aws"

    def reply(self, status, body, ctype="text/xml;charset=UTF-8"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", request_id())
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def dispatch(self, method):
        st = self.server.state
        payload = self.body()
        path = urllib.parse.urlsplit(self.path).path
        self.delay = 0
        if path.startswith("/_admin/"):
            return self.admin(method, path, payload)
        with st.lock:
            if path.startswith("/latest/"):
                status, body, ctype = self.imds(method, path)
            elif path.startswith("/ecs/"):
                status, body, ctype = self.ecs(method, path)
            elif method == "POST" and (path == "/" or re.match(
                    r"^/[0-9]{12}/[A-Za-z0-9_-]{1,80}$", path)):
                status, body, ctype = self.api(payload, path)
            else:
                status, body, ctype = 404, b"not found", "text/plain"
        if self.delay:
            time.sleep(self.delay)
        self.reply(status, body, ctype)

    # -- the Query APIs
    def api(self, payload, path="/"):
        st = self.server.state
        self.delay = 0
        entry = {"kind": "api", "action": None, "params": {}}
        st.record(entry)
        ctype = self.headers.get("Content-Type", "")
        try:
            params = urllib.parse.parse_qsl(payload.decode("utf-8"),
                                            keep_blank_values=True,
                                            strict_parsing=bool(payload))
        except (UnicodeDecodeError, ValueError):
            params = []
        entry["params"] = dict(params)
        action = entry["params"].get("Action")
        entry["action"] = action
        service, version = ACTIONS.get(action, ("autoscaling", None))
        entry["service"] = service

        def fail(code, msg, status):
            entry["status"] = status
            entry["code"] = code
            s, b = error_for(service, code, msg, status)
            return s, b, "text/xml;charset=UTF-8"

        if not ctype.startswith("application/x-www-form-urlencoded"):
            return fail("InvalidParameterValue", "bad Content-Type", 400)
        headers = list(self.headers.items())
        try:
            v = sigv4.verify("POST", self.path, headers, payload, st.lookup,
                             region=st.cfg["region"], service=service,
                             now=time.time(),
                             require_token_signed=st.cfg[
                                 "require_token_signed"])
        except sigv4.SigError as e:
            code = e.code
            if service == "ec2" and code in ("SignatureDoesNotMatch",
                                             "InvalidClientTokenId"):
                code = "AuthFailure"
                e.message = ("AWS was not able to validate the provided "
                             "access credentials")
            return fail(code, e.message, e.status)
        entry["akid"] = v["akid"]
        entry["token_signed"] = "x-amz-security-token" in v["signed_headers"]
        cred = st.cfg["credentials"][v["akid"]]
        if cred.get("expires") and cred["expires"] < time.time():
            return fail("ExpiredToken", "The security token included in "
                        "the request is expired", 403)
        if version is None:
            return fail("InvalidAction", "The action %s is not valid for "
                        "this web service." % action, 400)
        if entry["params"].get("Version") != version:
            return fail("InvalidParameterValue", "Version %s is not "
                        "supported" % entry["params"].get("Version"), 400)
        f = st.take_fault(action)
        if f is not None and f["kind"] == "delay":
            self.delay = float(f.get("seconds", 40))
            f = None
        if f is not None:
            status, body = fault_answer(f, service, action)
            entry["status"] = status
            entry["code"] = "fault:" + f["kind"]
            return status, body, "text/xml;charset=UTF-8"
        p = entry["params"]
        st.lc.tick()
        try:
            body = self.lifecycle_api(action, p, path)
        except fake_lifecycle.Error as e:
            return fail(e.code, e.message, e.status)
        if body is not None:
            entry["status"] = 200
            return 200, body, "text/xml;charset=UTF-8"
        if action == "DescribeAutoScalingGroups":
            names = [p["AutoScalingGroupNames.member.%d" % i]
                     for i in range(1, 101)
                     if "AutoScalingGroupNames.member.%d" % i in p]
            body = build_asg(st, names, p.get("NextToken"))
        else:
            ids = [p["InstanceId.%d" % i] for i in range(1, 1001)
                   if "InstanceId.%d" % i in p]
            known = all_instances(st)
            missing = [i for i in ids if i not in known]
            if missing:
                return fail("InvalidInstanceID.NotFound", "The instance ID "
                            "'%s' does not exist" % missing[0], 400)
            body = build_instances(st, ids, p.get("NextToken"))
        entry["status"] = 200
        return 200, body, "text/xml;charset=UTF-8"

    def lifecycle_api(self, action, p, path):
        """SQS and the lifecycle calls: the answer, or None for the
        others; fake_lifecycle.Error for a refusal."""
        st = self.server.state
        lc = st.lc
        if action == "CompleteLifecycleAction":
            return lc.complete(p)
        if action == "RecordLifecycleActionHeartbeat":
            return lc.heartbeat(p)
        if action not in ("ReceiveMessage", "DeleteMessage"):
            return None
        name = lc.queue_of_url(p.get("QueueUrl"), path)
        if action == "DeleteMessage":
            if not p.get("ReceiptHandle"):
                raise fake_lifecycle.Error("MissingParameter", "The request "
                                           "must contain the parameter "
                                           "ReceiptHandle.")
            lc.delete(name, p["ReceiptHandle"])
            return lc.delete_xml()
        qc = st.cfg["queues"][name]
        n = sqs_int(p, "MaxNumberOfMessages", 1, 10, 1,
                    "Must be between 1 and 10, if provided.")
        wait = sqs_int(p, "WaitTimeSeconds", 0, 20,
                       int(qc.get("wait_time_seconds", 0)),
                       "Must be >= 0 and <= 20, if provided.")
        vis = sqs_int(p, "VisibilityTimeout", 0, 43200,
                      int(qc.get("visibility_timeout", 30)),
                      "Must be >= 0 and <= 43200, if provided.")
        attrs = [v for k, v in p.items() if re.match(
            r"^(AttributeName|MessageSystemAttributeName)\.[0-9]+$", k)]
        # long polling: the answer waits for a message or the time
        end = time.time() + wait
        while True:
            now = time.time()
            lc.tick(now)
            got = lc.receive(name, n, vis, now)
            if got or now >= end:
                break
            st.cond.wait(min(0.1, end - now))
        return lc.receive_xml(got, attrs)

    # -- IMDSv2
    def imds(self, method, path):
        st = self.server.state
        c = st.cfg["imds"]
        entry = {"kind": "imds", "action": "IMDS " + method + " " + path}
        st.record(entry)

        def ans(status, body, ctype="text/plain"):
            entry["status"] = status
            return status, body.encode(), ctype

        if not c.get("enabled"):
            return ans(404, "not found")
        if path == "/latest/api/token":
            if method != "PUT":
                return ans(405, "")
            try:
                ttl = int(self.headers.get(
                    "X-aws-ec2-metadata-token-ttl-seconds", ""))
            except ValueError:
                ttl = 0
            if ttl < 1 or ttl > 21600:
                return ans(400, "")
            tok = "AQAEA" + secrets.token_urlsafe(30) + "=="
            st.imds_tokens[tok] = time.time() + ttl
            entry["ttl"] = ttl
            return ans(200, tok)
        tok = self.headers.get("X-aws-ec2-metadata-token")
        if tok is None or st.imds_tokens.get(tok, 0) < time.time():
            return ans(401, "")
        base = "/latest/meta-data/iam/security-credentials/"
        if method != "GET":
            return ans(405, "")
        if path == base:
            return ans(200, c["role"])
        if path == base + c["role"]:
            akid, secret, token, exp = st.serve_creds("imds")
            doc = dict(st.tpl["imds"])
            doc.update({"LastUpdated": iso8601(time.time()),
                        "AccessKeyId": akid, "SecretAccessKey": secret,
                        "Token": token, "Expiration": iso8601(exp)})
            if c.get("code"):
                doc["Code"] = c["code"]
            entry["akid"] = akid
            return ans(200, json.dumps(doc, indent=2), "text/plain")
        return ans(404, "")

    # -- ECS container credentials
    def ecs(self, method, path):
        st = self.server.state
        c = st.cfg["ecs"]
        entry = {"kind": "ecs", "action": "ECS " + method + " " + path}
        st.record(entry)
        if not c.get("enabled") or method != "GET":
            entry["status"] = 404
            return 404, b"", "text/plain"
        want = c.get("authorization")
        if want is not None and self.headers.get("Authorization") != want:
            entry["status"] = 403
            return 403, json.dumps({"code": "AccessDenied",
                                    "message": "bad token"}).encode(), \
                "application/json"
        akid, secret, token, exp = st.serve_creds("ecs")
        doc = dict(st.tpl["ecs"])
        doc.update({"AccessKeyId": akid, "SecretAccessKey": secret,
                    "Token": token, "Expiration": iso8601(exp)})
        entry["status"] = 200
        entry["akid"] = akid
        return 200, json.dumps(doc, indent=2).encode(), "application/json"

    # -- the tests' side
    def admin(self, method, path, payload):
        st = self.server.state
        qs = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(
            self.path).query))
        with st.lock:
            if path == "/_admin/ping":
                return self.reply(200, "ok\n", "text/plain")
            if path == "/_admin/config" and method == "POST":
                try:
                    st.merge(json.loads(payload.decode() or "{}"))
                except (ValueError, AttributeError) as e:
                    return self.reply(400, "bad json: %s\n" % e,
                                      "text/plain")
                return self.reply(200, "ok\n", "text/plain")
            if path == "/_admin/config":
                return self.reply(200, json.dumps(st.cfg, indent=1),
                                  "application/json")
            if path == "/_admin/reset" and method == "POST":
                st.log = []
                st.lc.events = []
                return self.reply(200, "ok\n", "text/plain")
            if path.startswith("/_admin/") and path[8:] in (
                    "hook", "unhook", "launch", "terminate", "sqs/send",
                    "sqs/messages", "actions", "events"):
                return self.admin_lifecycle(method, path[8:], payload, qs)
            if path == "/_admin/log":
                return self.reply(200, "".join(json.dumps(e) + "\n"
                                               for e in st.log),
                                  "application/json")
            if path == "/_admin/seq":
                return self.reply(200, "%d\n" % st.seq, "text/plain")
            if path == "/_admin/count":
                n = 0
                since = int(qs.get("since", 0))
                for e in st.log:
                    if e["seq"] <= since:
                        continue
                    if "action" in qs and e.get("action") != qs["action"] \
                            and not (qs["action"].endswith("*") and
                                     str(e.get("action")).startswith(
                                         qs["action"][:-1])):
                        continue
                    if "status" in qs and str(e.get("status")) != \
                            qs["status"]:
                        continue
                    if "akid" in qs and e.get("akid") != qs["akid"]:
                        continue
                    if "token_signed" in qs and str(e.get(
                            "token_signed")).lower() != qs["token_signed"]:
                        continue
                    n += 1
                return self.reply(200, "%d\n" % n, "text/plain")
        return self.reply(404, "no such admin call\n", "text/plain")


    def admin_lifecycle(self, method, what, payload, qs):
        """The tests' handle on the queues and hooks (under the lock)."""
        st = self.server.state
        lc = st.lc
        try:
            a = json.loads(payload.decode() or "{}") if method == "POST" \
                else {}
            if not isinstance(a, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as e:
            return self.reply(400, "bad json: %s\n" % e, "text/plain")
        try:
            out = {}
            if what == "hook" and method == "POST":
                lc.put_hook(a)
            elif what == "unhook" and method == "POST":
                lc.delete_hook(a.get("group"), a.get("name"))
            elif what == "launch" and method == "POST":
                insts = a.get("instances") or [
                    {"private_ip": ip, "public_ip": ip}
                    for ip in a.get("ips", [])]
                out = {"ids": lc.launch(a.get("group"), insts)}
            elif what == "terminate" and method == "POST":
                lc.terminate(a.get("group"), a.get("ids") or [a.get("id")])
            elif what == "sqs/send" and method == "POST":
                out = {"id": lc.send(a.get("queue"), a.get("body", ""))["id"]}
            elif what == "sqs/messages":
                lc.tick()
                out = [{k: m[k] for k in ("id", "body", "receives",
                                          "deleted", "visible_at",
                                          "sent")}
                       for m in lc.queue(qs.get("queue", "my-queue"))]
            elif what == "actions":
                lc.tick()
                out = lc.public_actions()
            elif what == "events":
                lc.tick()
                return self.reply(200, "".join(json.dumps(e) + "\n"
                                               for e in lc.events),
                                  "application/json")
            else:
                return self.reply(404, "no such admin call\n", "text/plain")
        except fake_lifecycle.Error as e:
            return self.reply(400, "%s: %s\n" % (e.code, e.message),
                              "text/plain")
        st.cond.notify_all()
        return self.reply(200, json.dumps(out) + "\n", "application/json")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="fake AWS for ep2d tests")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--fixtures", default=os.environ.get(
        "EP2D_FIXTURES", os.path.join(here, "..", "fixtures")))
    ap.add_argument("--config", help="JSON file merged into the defaults")
    ap.add_argument("--pidfile")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    config = None
    if a.config:
        with open(a.config) as f:
            config = json.load(f)
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.state = State(a.fixtures, config)
    srv.verbose = a.verbose
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
