#!/bin/sh
# Part 5: the AWS source against the fake AWS (regress/fakes/fake_aws.py,
# every request's SigV4 signature checked): calls per poll in the
# steady state and the fetcher's CPU per poll; then 5 scale-outs by
# one instance: the time from that poll's first request to HAProxy
# having the instance, and the calls of that poll.  Polled every 1 s
# (sleep_before_next_run = 1, the smallest).  Ports 28400-28419.
PORT_BASE=28400
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/aws-lib.sh"
aws_env
UPDATE_TYPE=update_by_runtime
NODE_SLOTS=32
SLEEP=1
export UPDATE_TYPE NODE_SLOTS SLEEP

fake_aws_start || { skipped "aws: the fake AWS did not start"; exit 0; }
grp=$(PYTHONDONTWRITEBYTECODE=1 python3 -c '
import json, sys
sys.path.insert(0, sys.argv[1])
import ep2bench
print(json.dumps({"groups": {"my-asg": [ep2bench.aws_inst(i) for i in range(10)]}}))' "$TOP/bench")
fake_cfg "$grp" || { skipped "aws: the fake AWS refused its configuration"; exit 0; }
write_template
aws_conf "$(aws_keys)"
ep2d_up
$EB aws --name aws --sock "$SOCK" --url "http://127.0.0.1:$AWS_PORT" \
    --port "$BPORT" --pid "$EP2D_PID" --base 10 --seconds 6 --changes 5 \
    --timeout 10
