#!/bin/sh
# The fake AWS's SQS queue and lifecycle hooks (regress/fakes/
# fake_lifecycle.py), driven by botocore as a real client would be, every
# request SigV4-signed and checked, every answer parsed by botocore's own
# parsers: SQS through the Query-protocol model of Debian 12's botocore
# (regress/fixtures/aws-lifecycle/botocore), Auto Scaling through the
# installed one.  ReceiveMessage's long polling, MaxNumberOfMessages and
# visibility timeout; DeleteMessage and a bad receipt handle; a hook's
# test notification; launch -> Pending:Wait -> CONTINUE -> InService by
# token and by instance; a heartbeat, then the timeout's DefaultResult;
# terminate -> Terminating:Wait (an EventBridge event) -> Terminated;
# the errors AWS answers.  Ports 23060-23079.
PORT_BASE=23060
TOP=$(cd "$(dirname "$0")/.." && pwd)
exec python3 - "$TOP" "$((PORT_BASE + 1))" <<'PYEOF'
import hashlib, json, os, shutil, subprocess, sys, tempfile, threading
import time, urllib.request

top, port = sys.argv[1], int(sys.argv[2])
n = 0
failed = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print("%sok %d - %s" % ("" if cond else "not ", n, name))
    if not cond and diag is not None:
        for ln in str(diag).splitlines():
            print("#   " + ln)
    sys.stdout.flush()
    return cond


def skip_all(why):
    print("1..0 # SKIP %s" % why)
    sys.exit(0)


for k in list(os.environ):
    if k.startswith("AWS_"):
        del os.environ[k]
os.environ.update({"AWS_CONFIG_FILE": "/nonexistent",
                   "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                   "AWS_EC2_METADATA_DISABLED": "true"})
try:
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:
    skip_all("no botocore")

fixtures = os.path.join(top, "regress", "fixtures")
base = "http://127.0.0.1:%d" % port
queue_url = base + "/123456789012/my-queue"
tmp = tempfile.mkdtemp(prefix="ep2d-lcfake.")
err = open(os.path.join(tmp, "fake_aws.err"), "w")
fake = subprocess.Popen([sys.executable, os.path.join(
    top, "regress", "fakes", "fake_aws.py"), "--port", str(port),
    "--fixtures", fixtures], stderr=err)


def admin(path, data=None):
    req = urllib.request.Request(base + "/_admin/" + path, data=None if
                                 data is None else json.dumps(data).encode(),
                                 method="GET" if data is None else "POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def code_of(f, *a, **kw):
    try:
        f(*a, **kw)
    except ClientError as e:
        return (e.response["Error"]["Code"], e.response["Error"]["Message"],
                e.response["ResponseMetadata"]["HTTPStatusCode"])
    return None


def states(asg, group="my-asg"):
    g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])
    return {i["InstanceId"]: i["LifecycleState"]
            for i in g["AutoScalingGroups"][0]["Instances"]}


def until(cond, secs):
    end = time.time() + secs
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    return cond()


try:
    for _ in range(100):
        try:
            admin("ping")
            break
        except OSError:
            time.sleep(0.1)
    ok(admin("ping") == "ok\n", "fake AWS up on %d" % port)

    sess = botocore.session.get_session()
    sess.get_component("data_loader").search_paths.insert(
        0, os.path.join(fixtures, "aws-lifecycle", "botocore"))
    cfg = Config(retries={"total_max_attempts": 1}, read_timeout=40)
    keys = {"region_name": "us-east-1", "endpoint_url": base,
            "aws_access_key_id": "AKIDEXAMPLE",
            "aws_secret_access_key":
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "config": cfg}
    sqs = sess.create_client("sqs", **keys)
    asg = sess.create_client("autoscaling", **keys)
    raw = []		# the fake's ReceiveMessage answers, as sent

    def keep_raw(response_dict=None, **kw):
        if response_dict["status_code"] == 200:
            raw.append(response_dict["body"])
    sqs.meta.events.register("before-parse.sqs.ReceiveMessage", keep_raw)
    ok(sqs.meta.service_model.protocol == "query" and
       asg.meta.service_model.protocol == "query",
       "botocore speaks the Query protocol to both, as Debian 12's does")

    # -- SQS
    t0 = time.time()
    r = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
    dt = time.time() - t0
    ok("Messages" not in r and 0.9 <= dt < 3,
       "an empty queue: the long poll waits its WaitTimeSeconds (%.1f s) "
       "and answers no message" % dt)
    body = '{"hello": "<&>"}'
    mid = json.loads(admin("sqs/send", {"queue": "my-queue",
                                        "body": body}))["id"]
    r = sqs.receive_message(QueueUrl=queue_url, AttributeNames=["All"],
                            VisibilityTimeout=1)
    m = r.get("Messages", [{}])[0]
    ok(len(r.get("Messages", [])) == 1 and m["MessageId"] == mid and
       m["Body"] == body and m["MD5OfBody"] ==
       hashlib.md5(body.encode()).hexdigest(),
       "a message: its id, its body escaped and back, its MD5OfBody", r)
    ok(m.get("Attributes", {}).get("ApproximateReceiveCount") == "1" and
       "SentTimestamp" in m.get("Attributes", {}),
       "AttributeName All: ApproximateReceiveCount 1, SentTimestamp", m)
    r = sqs.receive_message(QueueUrl=queue_url)
    ok("Messages" not in r, "received, not deleted: hidden meanwhile")
    time.sleep(1.1)
    r = sqs.receive_message(QueueUrl=queue_url, AttributeNames=[
        "ApproximateReceiveCount"], VisibilityTimeout=30)
    m2 = r.get("Messages", [{}])[0]
    ok(m2.get("MessageId") == mid and m2.get("ReceiptHandle") !=
       m["ReceiptHandle"] and m2.get("Attributes", {}).get(
           "ApproximateReceiveCount") == "2",
       "after its visibility timeout it comes back, a new receipt handle, "
       "ApproximateReceiveCount 2", r)
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m2["ReceiptHandle"])
    msgs = json.loads(admin("sqs/messages?queue=my-queue"))
    ok([x["deleted"] for x in msgs if x["id"] == mid] == [True],
       "DeleteMessage by its receipt handle deletes it")
    ok(code_of(sqs.delete_message, QueueUrl=queue_url,
               ReceiptHandle=m2["ReceiptHandle"]) is None,
       "deleting it again succeeds")
    c = code_of(sqs.delete_message, QueueUrl=queue_url, ReceiptHandle="fake")
    ok(c == ("ReceiptHandleIsInvalid", 'The input receipt handle "fake" is '
             'not a valid receipt handle.', 400),
       "a receipt handle SQS never gave: ReceiptHandleIsInvalid, 400", c)
    c = code_of(sqs.receive_message, QueueUrl=base +
                "/123456789012/no-such-queue")
    ok(c is not None and c[0] == "AWS.SimpleQueueService.NonExistentQueue",
       "a queue that does not exist: AWS.SimpleQueueService."
       "NonExistentQueue", c)
    c = code_of(sqs.receive_message, QueueUrl=queue_url,
                MaxNumberOfMessages=11)
    ok(c is not None and c[0] == "InvalidParameterValue" and c[2] == 400,
       "MaxNumberOfMessages 11: InvalidParameterValue", c)
    c = code_of(sqs.receive_message, QueueUrl=queue_url, WaitTimeSeconds=21)
    ok(c is not None and c[0] == "InvalidParameterValue",
       "WaitTimeSeconds 21: InvalidParameterValue", c)

    for i in range(12):
        admin("sqs/send", {"queue": "my-queue", "body": "m%d" % i})
    r1 = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    r2 = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    ok(len(r1.get("Messages", [])) == 10 and
       len(r2.get("Messages", [])) == 2,
       "MaxNumberOfMessages 10: ten, then the two left")
    for m in r1["Messages"] + r2["Messages"]:
        sqs.delete_message(QueueUrl=queue_url,
                           ReceiptHandle=m["ReceiptHandle"])

    got = {}

    def poll():
        t = time.time()
        got["r"] = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=10)
        got["dt"] = time.time() - t

    th = threading.Thread(target=poll)
    th.start()
    time.sleep(0.7)
    admin("sqs/send", {"queue": "my-queue", "body": "late"})
    th.join(15)
    ok(got.get("r", {}).get("Messages", [{}])[0].get("Body") == "late" and
       got["dt"] < 3,
       "a long poll answers as soon as a message comes (%.1f s)" %
       got.get("dt", -1))
    sqs.delete_message(QueueUrl=queue_url,
                       ReceiptHandle=got["r"]["Messages"][0]["ReceiptHandle"])
    bad = sess.create_client("sqs", **dict(
        keys, aws_secret_access_key="wrong"))
    c = code_of(bad.receive_message, QueueUrl=queue_url)
    ok(c is not None and c[0] == "SignatureDoesNotMatch" and c[2] == 403,
       "a request signed with a wrong secret is refused", c)

    # -- a launch hook
    admin("hook", {"group": "my-asg", "name": "my-launch-hook",
                   "transition": "autoscaling:EC2_INSTANCE_LAUNCHING",
                   "queue": "my-queue", "heartbeat_timeout": 2,
                   "default_result": "ABANDON"})
    r = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2)
    b = json.loads(r["Messages"][0]["Body"])
    ok(b.get("Event") == "autoscaling:TEST_NOTIFICATION" and
       b.get("Service") == "AWS Auto Scaling" and
       b.get("AutoScalingGroupName") == "my-asg" and
       b.get("AutoScalingGroupARN", "").endswith(
           "autoScalingGroupName/my-asg"),
       "a new hook puts autoscaling:TEST_NOTIFICATION in its queue", b)
    sqs.delete_message(QueueUrl=queue_url,
                       ReceiptHandle=r["Messages"][0]["ReceiptHandle"])

    ids = json.loads(admin("launch", {"group": "my-asg", "ips": [
        "127.0.0.7", "127.0.0.8", "127.0.0.9"]}))["ids"]
    s = states(asg)
    ok(len(ids) == 3 and all(s.get(i) == "Pending:Wait" for i in ids),
       "three instances launched wait in Pending:Wait", s)
    r = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                            WaitTimeSeconds=2)
    bodies = [json.loads(m["Body"]) for m in r.get("Messages", [])]
    by = {x.get("EC2InstanceId"): x for x in bodies}
    ok(sorted(by) == sorted(ids) and all(
        x.get("LifecycleTransition") == "autoscaling:EC2_INSTANCE_LAUNCHING"
        and x.get("LifecycleHookName") == "my-launch-hook" and
        len(x.get("LifecycleActionToken", "")) == 36 and
        x.get("Service") == "AWS Auto Scaling" for x in bodies),
       "one notification each: the instance, the hook, the token", bodies)
    for m in r.get("Messages", []):
        sqs.delete_message(QueueUrl=queue_url,
                           ReceiptHandle=m["ReceiptHandle"])
    a, b2, c3 = ids
    asg.complete_lifecycle_action(
        LifecycleHookName="my-launch-hook", AutoScalingGroupName="my-asg",
        LifecycleActionToken=by[a]["LifecycleActionToken"],
        LifecycleActionResult="CONTINUE")
    ok(states(asg).get(a) == "InService",
       "CONTINUE by token: InService")
    c = code_of(asg.complete_lifecycle_action,
                LifecycleHookName="my-launch-hook",
                AutoScalingGroupName="my-asg",
                LifecycleActionToken=by[a]["LifecycleActionToken"],
                LifecycleActionResult="CONTINUE")
    ok(c == ("ValidationError", "No active Lifecycle Action found with "
             "token %s" % by[a]["LifecycleActionToken"], 400),
       "the same token again: ValidationError, no active action", c)
    asg.complete_lifecycle_action(
        LifecycleHookName="my-launch-hook", AutoScalingGroupName="my-asg",
        InstanceId=b2, LifecycleActionResult="CONTINUE")
    ok(states(asg).get(b2) == "InService",
       "CONTINUE by instance id: InService")
    c = code_of(asg.record_lifecycle_action_heartbeat,
                LifecycleHookName="my-launch-hook",
                AutoScalingGroupName="my-asg", InstanceId=a)
    ok(c == ("ValidationError", "No active Lifecycle Action found with "
             "instance ID %s" % a, 400),
       "a heartbeat for an instance not waiting: ValidationError", c)
    c = code_of(asg.complete_lifecycle_action,
                LifecycleHookName="other-hook", AutoScalingGroupName="my-asg",
                InstanceId=c3, LifecycleActionResult="CONTINUE")
    ok(c is not None and c[0] == "ValidationError",
       "another hook's name: ValidationError", c)
    time.sleep(1.2)
    asg.record_lifecycle_action_heartbeat(
        LifecycleHookName="my-launch-hook", AutoScalingGroupName="my-asg",
        LifecycleActionToken=by[c3]["LifecycleActionToken"])
    time.sleep(1.2)
    ok(states(asg).get(c3) == "Pending:Wait",
       "a heartbeat restarts the timeout: still waiting after 2.4 s")
    gone = until(lambda: c3 not in states(asg), 3)
    ok(gone, "the timeout's DefaultResult ABANDON: the launch is "
       "abandoned, the instance terminated")
    ev = [json.loads(x) for x in admin("events").splitlines()]
    ok(any(e["event"] == "timeout" and e["instance"] == c3 and
           e["result"] == "ABANDON" for e in ev),
       "the fake says it was the timeout")

    # -- a termination hook, through EventBridge
    admin("hook", {"group": "my-asg", "name": "my-terminate-hook",
                   "transition": "autoscaling:EC2_INSTANCE_TERMINATING",
                   "queue": "my-queue", "heartbeat_timeout": 30,
                   "form": "eventbridge"})
    r = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
    ok("Messages" not in r, "an EventBridge hook: no test notification")
    admin("terminate", {"group": "my-asg", "ids": [a]})
    ok(states(asg).get(a) == "Terminating:Wait",
       "terminate: Terminating:Wait")
    r = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2)
    e = json.loads(r["Messages"][0]["Body"])
    d = e.get("detail", {})
    ok(e.get("source") == "aws.autoscaling" and e.get("detail-type") ==
       "EC2 Instance-terminate Lifecycle Action" and
       d.get("EC2InstanceId") == a and d.get("LifecycleTransition") ==
       "autoscaling:EC2_INSTANCE_TERMINATING" and
       d.get("Origin") == "AutoScalingGroup" and
       d.get("Destination") == "EC2", "the EventBridge event", e)
    sqs.delete_message(QueueUrl=queue_url,
                       ReceiptHandle=r["Messages"][0]["ReceiptHandle"])
    asg.complete_lifecycle_action(
        LifecycleHookName="my-terminate-hook", AutoScalingGroupName="my-asg",
        LifecycleActionToken=d["LifecycleActionToken"],
        LifecycleActionResult="ABANDON")
    ok(a not in states(asg), "ABANDON of a termination: Terminated, gone")
    ev = [json.loads(x) for x in admin("events").splitlines()]
    seq = [x["state"] for x in ev if x["event"] == "state" and
           x["instance"] == a]
    ok(seq == ["Pending:Wait", "Pending:Proceed", "InService",
               "Terminating:Wait", "Terminating:Proceed", "Terminated"],
       "its way: Pending:Wait, Pending:Proceed, InService, "
       "Terminating:Wait, Terminating:Proceed, Terminated", seq)
    log = [json.loads(x) for x in admin("log").splitlines()]
    ok(all(x.get("status") == 200 for x in log if x.get("kind") == "api" and
           x.get("code") not in ("ReceiptHandleIsInvalid", "ValidationError",
                                 "InvalidParameterValue",
                                 "SignatureDoesNotMatch",
                                 "AWS.SimpleQueueService.NonExistentQueue")),
       "every other request was signed well and answered 200")
    ok(any(x.get("action") == "ReceiveMessage" and
           x.get("params", {}).get("QueueUrl") == queue_url for x in log),
       "botocore sent QueueUrl in the form, Query style")

    # the same answers through ep2d's own parsers
    unit = os.path.join(os.environ.get("EP2D_UNIT_DIR", os.path.join(
        top, "regress", "unit")), "test_awslc")
    want = []
    for x in bodies + [e]:
        kind = {"autoscaling:EC2_INSTANCE_LAUNCHING": "launch",
                "autoscaling:EC2_INSTANCE_TERMINATING": "terminate"}
        dd = x.get("detail", x)
        want.append("%s %s my-asg %s %s %s" % (
            kind[dd["LifecycleTransition"]], dd["EC2InstanceId"],
            dd["LifecycleHookName"], dd["LifecycleActionToken"],
            "eventbridge" if "detail" in x else "autoscaling"))
    got = []
    if os.access(unit, os.X_OK):
        for i, body in enumerate(raw):
            path = os.path.join(tmp, "answer-%d.xml" % i)
            with open(path, "wb") as f:
                f.write(body)
            got += subprocess.run([unit, "-r", path], capture_output=True,
                                  text=True).stdout.splitlines()
        missing = [w for w in want if w not in got]
        ok(not missing and not any(g.startswith("answer refused")
                                   for g in got),
           "ep2d's parsers read the fake's %d answers: the same instances, "
           "hooks and tokens" % len(raw), "\n".join(missing + got))
    else:
        print("ok %d # SKIP %s not built (make unit)" % (n + 1, unit))
        n += 1
finally:
    fake.terminate()
    fake.wait(5)
    err.close()
    if failed:
        with open(os.path.join(tmp, "fake_aws.err")) as f:
            for ln in f.read().splitlines()[-20:]:
                print("# fake: " + ln)
    shutil.rmtree(tmp)
print("1..%d" % n)
sys.exit(1 if failed else 0)
PYEOF
