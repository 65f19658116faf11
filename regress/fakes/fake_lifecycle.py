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
# fake_aws.py's SQS queues and Auto Scaling lifecycle hooks: the state and
# its rules, and the answers, built from the element structure of
# regress/fixtures/aws-lifecycle (as fake_aws.py builds its own from
# aws-api).  Python standard library only; fake_aws.py holds the lock
# around every call here.
#
# An instance's way, as the Auto Scaling User Guide draws it ("Amazon EC2
# Auto Scaling instance lifecycle"):
#   launch:    Pending -> [Pending:Wait -> Pending:Proceed] -> InService
#   terminate: InService -> Terminating -> [Terminating:Wait ->
#              Terminating:Proceed] -> Terminated
# The bracketed states when the group has a hook for that transition:
# entering the wait state puts one notification per hook in the hook's
# queue (the hook's own JSON, or an EventBridge event when its form is
# "eventbridge"); CompleteLifecycleAction (by token or by instance) or
# the hook's heartbeat timeout (its DefaultResult) ends the wait;
# RecordLifecycleActionHeartbeat restarts the timeout, within the global
# timeout (100 heartbeats or 48 hours, whichever is less).  ABANDON of a
# launch terminates the instance (its termination hooks are not run: the
# documentation read does not say they are); ABANDON and CONTINUE of a
# termination both let it go.  Making a hook with a queue puts
# autoscaling:TEST_NOTIFICATION in the queue, as PutLifecycleHook does.

import base64
import copy
import hashlib
import json
import os
import secrets
import time
import urllib.parse
import xml.etree.ElementTree as ET

SQS_NS = "http://queue.amazonaws.com/doc/2012-11-05/"
ASG_NS = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"
TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
DETAIL_TYPE = {LAUNCHING: "EC2 Instance-launch Lifecycle Action",
               TERMINATING: "EC2 Instance-terminate Lifecycle Action"}
SQS_ATTRIBUTES = ("SenderId", "SentTimestamp", "ApproximateReceiveCount",
                  "ApproximateFirstReceiveTimestamp")

# configuration keys of fake_aws.py's State this module reads
DEFAULTS = {
    "account": "123456789012",
    # queue name -> attributes; the URL is http://HOST/ACCOUNT/NAME
    "queues": {"my-queue": {"visibility_timeout": 30,
                            "wait_time_seconds": 0}},
    "pending_seconds": 0,	# Pending before the hooks or InService
    "terminating_seconds": 0,	# Terminating before the hooks
}


class Error(Exception):
    """An AWS error: code, message, HTTP status."""

    def __init__(self, code, message, status=400):
        Exception.__init__(self, message)
        self.code = code
        self.message = message
        self.status = status


def q(ns, path):
    return "/".join("{%s}%s" % (ns, p) for p in path.split("/"))


def iso8601_ms(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
        ".%03dZ" % (int(t * 1000) % 1000)


def uuid4():
    h = secrets.token_hex(16)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], "4" + h[13:16],
                               "89ab"[int(h[16], 16) % 4] + h[17:20],
                               h[20:])


def new_instance_id():
    return "i-" + secrets.token_hex(9)[:17]


def load_templates(fixtures):
    d = os.path.join(fixtures, "aws-lifecycle")

    def js(name):
        with open(os.path.join(d, name)) as f:
            return json.load(f)

    ET.register_namespace("", SQS_NS)
    recv = ET.parse(os.path.join(d, "sqs-receive-message-doc.xml"))
    ET.register_namespace("", ASG_NS)
    complete = ET.parse(os.path.join(d, "complete-lifecycle-action.xml"))
    beat = ET.parse(os.path.join(d, "record-lifecycle-action-heartbeat.xml"))
    return {"launch": js("asg-launch.json"),
            "test": js("asg-test-notification.json"),
            "eventbridge": js("eventbridge-launch.json"),
            "receive": recv.getroot(), "complete": complete.getroot(),
            "heartbeat": beat.getroot()}


class Lifecycle:
    """Queues, hooks and the instances' ways; under the caller's lock."""

    def __init__(self, cfg, fixtures, request_id):
        self.cfg = cfg			# fake_aws.py's configuration
        self.tpl = load_templates(fixtures)
        self.request_id = request_id
        self.messages = {}		# queue -> [message]
        self.handles = {}		# receipt handle -> (queue, message)
        self.actions = {}		# token -> action
        self.events = []		# what happened, for the tests
        for k, v in DEFAULTS.items():
            cfg.setdefault(k, copy.deepcopy(v))
        cfg.setdefault("hooks", {})

    def event(self, what, **kw):
        kw["event"] = what
        kw["t"] = round(time.time(), 3)
        self.events.append(kw)

    # -- SQS
    def queue(self, name):
        if name not in self.cfg["queues"]:
            raise Error("AWS.SimpleQueueService.NonExistentQueue",
                        "The specified queue does not exist for this wsdl "
                        "version.")
        return self.messages.setdefault(name, [])

    def queue_of_url(self, url, path):
        """The queue a request names: QueueUrl, or the path it was
        posted to (the Query API takes either)."""
        if url:
            path = urllib.parse.urlsplit(url).path
        parts = [p for p in path.split("/") if p]
        if len(parts) != 2 or parts[0] != self.cfg["account"]:
            if not url and path in ("", "/"):
                raise Error("MissingParameter", "The request must contain "
                            "the parameter QueueUrl.")
            raise Error("AWS.SimpleQueueService.NonExistentQueue",
                        "The specified queue does not exist for this wsdl "
                        "version.")
        self.queue(parts[1])
        return parts[1]

    def send(self, name, body):
        msgs = self.queue(name)
        m = {"id": uuid4(), "body": body,
             "md5": hashlib.md5(body.encode("utf-8")).hexdigest(),
             "sent": time.time(), "visible_at": 0.0, "receives": 0,
             "first_receive": None, "deleted": False, "queue": name}
        msgs.append(m)
        self.event("sent", queue=name, id=m["id"])
        return m

    def visible(self, name, now):
        return [m for m in self.queue(name)
                if not m["deleted"] and m["visible_at"] <= now]

    def next_visible(self, name):
        """When a message in flight becomes visible again, or None."""
        t = [m["visible_at"] for m in self.queue(name) if not m["deleted"]]
        return min(t) if t else None

    def receive(self, name, n, visibility, now):
        out = []
        for m in self.visible(name, now)[:n]:
            m["visible_at"] = now + visibility
            m["receives"] += 1
            if m["first_receive"] is None:
                m["first_receive"] = now
            h = base64.b64encode(secrets.token_bytes(132)).decode()
            self.handles[h] = (name, m)
            out.append((m, h))
            self.event("received", queue=name, id=m["id"],
                       receives=m["receives"])
        return out

    def delete(self, name, handle):
        """A handle SQS never gave is refused; one it gave deletes the
        message, even if received again since (the API Reference: the
        request succeeds, the message might not be deleted); a handle of
        a message deleted already succeeds."""
        if handle not in self.handles:
            raise Error("ReceiptHandleIsInvalid", 'The input receipt handle '
                        '"%s" is not a valid receipt handle.' % handle)
        qname, m = self.handles[handle]
        if qname != name:
            raise Error("ReceiptHandleIsInvalid", 'The receipt handle "%s" '
                        'is not valid for this queue.' % handle)
        if not m["deleted"]:
            m["deleted"] = True
            self.event("deleted", queue=name, id=m["id"])

    def receive_xml(self, got, attrs):
        root = copy.deepcopy(self.tpl["receive"])
        result = root.find(q(SQS_NS, "ReceiveMessageResult"))
        mtpl = result.find(q(SQS_NS, "Message"))
        result.remove(mtpl)
        atpl = mtpl.find(q(SQS_NS, "Attribute"))
        for old in mtpl.findall(q(SQS_NS, "Attribute")):
            mtpl.remove(old)
        for m, h in got:
            e = copy.deepcopy(mtpl)
            e.find(q(SQS_NS, "MessageId")).text = m["id"]
            e.find(q(SQS_NS, "ReceiptHandle")).text = h
            e.find(q(SQS_NS, "MD5OfBody")).text = m["md5"]
            e.find(q(SQS_NS, "Body")).text = m["body"]
            values = {"SenderId": "AROAEXAMPLEAUTOSCALING:AutoScaling",
                      "SentTimestamp": str(int(m["sent"] * 1000)),
                      "ApproximateReceiveCount": str(m["receives"]),
                      "ApproximateFirstReceiveTimestamp":
                      str(int(m["first_receive"] * 1000))}
            for name in SQS_ATTRIBUTES:
                if "All" in attrs or name in attrs:
                    a = copy.deepcopy(atpl)
                    a.find(q(SQS_NS, "Name")).text = name
                    a.find(q(SQS_NS, "Value")).text = values[name]
                    e.append(a)
            result.append(e)
        root.find(q(SQS_NS, "ResponseMetadata/RequestId")).text = \
            self.request_id()
        ET.register_namespace("", SQS_NS)
        return ET.tostring(root, encoding="unicode").encode()

    def delete_xml(self):
        return ('<?xml version="1.0"?><DeleteMessageResponse xmlns="%s">'
                '<ResponseMetadata><RequestId>%s</RequestId>'
                '</ResponseMetadata></DeleteMessageResponse>' % (
                    SQS_NS, self.request_id())).encode()

    # -- Auto Scaling: hooks
    def group(self, name):
        g = self.cfg["groups"].get(name)
        if g is None:
            raise Error("ValidationError", "AutoScalingGroup name not "
                        "found - AutoScalingGroup %s not found" % name)
        return g

    def hooks(self, group, transition):
        return [h for h in self.cfg["hooks"].get(group, [])
                if h.get("transition") == transition]

    def put_hook(self, hook):
        """A hook: group, name, transition, queue (or none: no
        notification), heartbeat_timeout (3600), default_result
        (ABANDON), metadata, form ("autoscaling" or "eventbridge")."""
        for k in ("group", "name", "transition"):
            if not hook.get(k):
                raise Error("ValidationError", "hook needs %s" % k)
        if hook["transition"] not in (LAUNCHING, TERMINATING):
            raise Error("ValidationError", "bad transition")
        self.group(hook["group"])
        h = {"name": hook["name"], "transition": hook["transition"],
             "queue": hook.get("queue"),
             "heartbeat_timeout": int(hook.get("heartbeat_timeout", 3600)),
             "default_result": hook.get("default_result", "ABANDON"),
             "metadata": hook.get("metadata"),
             "form": hook.get("form", "autoscaling")}
        if h["queue"] is not None:
            self.queue(h["queue"])
        lst = [x for x in self.cfg["hooks"].get(hook["group"], [])
               if x["name"] != h["name"]]
        lst.append(h)
        self.cfg["hooks"][hook["group"]] = lst
        self.event("hook", group=hook["group"], hook=h["name"])
        if h["queue"] is not None and h["form"] == "autoscaling":
            self.send(h["queue"], self.test_body(hook["group"]))

    def delete_hook(self, group, name):
        self.cfg["hooks"][group] = [x for x in self.cfg["hooks"].get(
            group, []) if x["name"] != name]

    def group_arn(self, group):
        return ("arn:aws:autoscaling:%s:%s:autoScalingGroup:"
                "930d940e-891e-4781-a11a-7b0acd480f03:"
                "autoScalingGroupName/%s" % (self.cfg["region"],
                                             self.cfg["account"], group))

    def test_body(self, group):
        b = copy.deepcopy(self.tpl["test"])
        b.update({"AccountId": self.cfg["account"],
                  "RequestId": uuid4(),
                  "AutoScalingGroupARN": self.group_arn(group),
                  "AutoScalingGroupName": group,
                  "Time": iso8601_ms(time.time())})
        return json.dumps(b, separators=(",", ":"))

    def action_body(self, a, hook):
        if hook["form"] == "eventbridge":
            b = copy.deepcopy(self.tpl["eventbridge"])
            d = b["detail"]
            b.update({"id": uuid4(), "detail-type":
                      DETAIL_TYPE[a["transition"]],
                      "account": self.cfg["account"],
                      "time": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                            time.gmtime()),
                      "region": self.cfg["region"],
                      "resources": [self.group_arn(a["group"])]})
            d.update({"LifecycleActionToken": a["token"],
                      "AutoScalingGroupName": a["group"],
                      "LifecycleHookName": hook["name"],
                      "EC2InstanceId": a["instance"],
                      "LifecycleTransition": a["transition"]})
            if a["transition"] == LAUNCHING:
                d.update({"Origin": "EC2", "Destination":
                          "AutoScalingGroup"})
            else:
                d.update({"Origin": "AutoScalingGroup",
                          "Destination": "EC2"})
            if hook.get("metadata") is None:
                d.pop("NotificationMetadata", None)
            else:
                d["NotificationMetadata"] = hook["metadata"]
            return json.dumps(b, separators=(",", ":"))
        b = {}
        for k in self.tpl["launch"]:
            b[k] = self.tpl["launch"][k]
        b.update({"LifecycleHookName": hook["name"],
                  "AccountId": self.cfg["account"],
                  "RequestId": uuid4(),
                  "LifecycleTransition": a["transition"],
                  "AutoScalingGroupName": a["group"],
                  "Time": iso8601_ms(time.time()),
                  "EC2InstanceId": a["instance"],
                  "LifecycleActionToken": a["token"]})
        if hook.get("metadata") is None:
            b.pop("NotificationMetadata", None)
        else:
            b["NotificationMetadata"] = hook["metadata"]
        return json.dumps(b, separators=(",", ":"))

    # -- Auto Scaling: the instances' ways
    def launch(self, group, instances):
        g = self.group(group)
        now = time.time()
        out = []
        for inst in instances:
            inst = dict(inst)
            inst.setdefault("id", new_instance_id())
            inst.setdefault("health", "Healthy")
            inst["lifecycle"] = "Pending"
            inst["_lc"] = True
            inst["_until"] = now + float(self.cfg["pending_seconds"])
            g.append(inst)
            out.append(inst["id"])
            self.event("launch", group=group, instance=inst["id"])
        self.tick(now)
        return out

    def terminate(self, group, ids):
        g = self.group(group)
        now = time.time()
        for iid in ids:
            inst = next((i for i in g if i["id"] == iid), None)
            if inst is None:
                raise Error("ValidationError", "Instance Id not found - "
                            "No managed instance found for instance ID "
                            "%s" % iid)
            if inst["lifecycle"] != "InService":
                raise Error("ValidationError", "%s is %s, not InService"
                            % (iid, inst["lifecycle"]))
            inst["lifecycle"] = "Terminating"
            inst["_lc"] = True
            inst["_until"] = now + float(self.cfg["terminating_seconds"])
            self.event("terminate", group=group, instance=iid)
        self.tick(now)

    def set_state(self, group, inst, state):
        inst["lifecycle"] = state
        self.event("state", group=group, instance=inst["id"], state=state)

    def wait_on_hooks(self, group, inst, transition, now):
        """Into the wait state when the group has hooks for this
        transition: 1 waiting, 0 no hook."""
        hooks = self.hooks(group, transition)
        if not hooks:
            return 0
        self.set_state(group, inst, "Pending:Wait" if transition ==
                       LAUNCHING else "Terminating:Wait")
        for h in hooks:
            a = {"token": uuid4(), "group": group, "hook": h["name"],
                 "instance": inst["id"], "transition": transition,
                 "timeout": h["heartbeat_timeout"],
                 "deadline": now + h["heartbeat_timeout"],
                 "global_deadline": now + min(100 * h["heartbeat_timeout"],
                                              172800),
                 "default": h["default_result"], "result": None}
            self.actions[a["token"]] = a
            if h["queue"] is not None:
                self.send(h["queue"], self.action_body(a, h))
        return 1

    def tick(self, now=None):
        """Timeouts run out and the instances move on."""
        now = time.time() if now is None else now
        for a in list(self.actions.values()):
            if a["result"] is None and (now >= a["deadline"] or
                                        now >= a["global_deadline"]):
                a["result"] = a["default"]
                self.event("timeout", token=a["token"],
                           instance=a["instance"], result=a["default"])
        for group, members in self.cfg["groups"].items():
            for inst in list(members):
                self.advance(group, members, inst, now)

    def advance(self, group, members, inst, now):
        """Only the instances launched or terminated here move: those a
        test lists in its groups keep the state it gave them."""
        if not inst.get("_lc"):
            return
        st = inst.get("lifecycle")
        if st in ("Pending", "Terminating"):
            if now < inst.get("_until", 0):
                return
            inst.pop("_until", None)
            if st == "Pending":
                if not self.wait_on_hooks(group, inst, LAUNCHING, now):
                    self.set_state(group, inst, "InService")
            elif not self.wait_on_hooks(group, inst, TERMINATING, now):
                self.set_state(group, inst, "Terminated")
                members.remove(inst)
            return
        if st not in ("Pending:Wait", "Terminating:Wait"):
            return
        mine = [a for a in self.actions.values()
                if a["instance"] == inst["id"] and a["transition"] ==
                (LAUNCHING if st == "Pending:Wait" else TERMINATING)]
        if not mine or any(a["result"] is None for a in mine):
            return
        results = [a["result"] for a in mine]
        for a in mine:
            del self.actions[a["token"]]
        if st == "Pending:Wait":
            if "ABANDON" in results:
                self.set_state(group, inst, "Terminating")
                self.set_state(group, inst, "Terminated")
                members.remove(inst)
                return
            self.set_state(group, inst, "Pending:Proceed")
            self.set_state(group, inst, "InService")
        else:
            self.set_state(group, inst, "Terminating:Proceed")
            self.set_state(group, inst, "Terminated")
            members.remove(inst)

    def find_action(self, p):
        """The active action CompleteLifecycleAction or
        RecordLifecycleActionHeartbeat names, or AWS's ValidationError."""
        missing = [m for m, k in (("lifecycleHookName", "LifecycleHookName"),
                                  ("autoScalingGroupName",
                                   "AutoScalingGroupName"))
                   if not p.get(k)]
        if missing:
            raise Error("ValidationError", "%d validation error%s "
                        "detected: %s" % (len(missing), "s" if len(missing)
                                          > 1 else "", "; ".join(
                                              "Value null at '%s' failed to "
                                              "satisfy constraint: Member "
                                              "must not be null" % m
                                              for m in missing)))
        token = p.get("LifecycleActionToken")
        iid = p.get("InstanceId")
        if not token and not iid:
            raise Error("ValidationError", "Either a lifecycle action token "
                        "or an instance ID must be given")
        for a in self.actions.values():
            if a["result"] is not None or a["group"] != p[
                    "AutoScalingGroupName"] or a["hook"] != p[
                    "LifecycleHookName"]:
                continue
            if token and a["token"] != token:
                continue
            if iid and a["instance"] != iid:
                continue
            return a
        if token:
            raise Error("ValidationError", "No active Lifecycle Action "
                        "found with token %s" % token)
        raise Error("ValidationError", "No active Lifecycle Action found "
                    "with instance ID %s" % iid)

    def complete(self, p):
        self.tick()
        result = p.get("LifecycleActionResult")
        if not result:
            raise Error("ValidationError", "1 validation error detected: "
                        "Value null at 'lifecycleActionResult' failed to "
                        "satisfy constraint: Member must not be null")
        if result not in ("CONTINUE", "ABANDON"):
            raise Error("ValidationError", "Value %s at "
                        "'lifecycleActionResult' is not CONTINUE or ABANDON"
                        % result)
        a = self.find_action(p)
        a["result"] = result
        self.event("complete", token=a["token"], instance=a["instance"],
                   result=result)
        self.tick()
        return self.answer_xml("complete")

    def heartbeat(self, p):
        self.tick()
        a = self.find_action(p)
        now = time.time()
        a["deadline"] = min(now + a["timeout"], a["global_deadline"])
        self.event("heartbeat", token=a["token"], instance=a["instance"])
        return self.answer_xml("heartbeat")

    def answer_xml(self, which):
        root = copy.deepcopy(self.tpl[which])
        root.find(q(ASG_NS, "ResponseMetadata/RequestId")).text = \
            self.request_id()
        ET.register_namespace("", ASG_NS)
        return ET.tostring(root, encoding="unicode").encode()

    def public_actions(self):
        return [{k: v for k, v in a.items()} for a in self.actions.values()
                if a["result"] is None]
