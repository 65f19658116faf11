#!/bin/sh
# Part 5: the AWS source against the fake AWS (regress/fakes/fake_aws.py,
# every request's SigV4 signature checked): calls per poll in the
# steady state and the fetcher's CPU per poll; then 5 scale-outs by
# one instance: the time from that poll's first request to HAProxy
# having the instance, and the calls of that poll.  Polled every 1 s
# (sleep_before_next_run = 1, the smallest).  Then lifecycle hooks
# (issue 17 target 7, message -> HAProxy p50 <= 20 ms): ep2d again with
# [AWS] lifecycle_queue_url on the fake's queue and the poll slowed to
# 30 s, so that only the queue explains a change; 20 launches, one at a
# time, each into servers that pass their checks, then their
# terminations: the time from the notification put in the queue to
# HAProxy having (or draining) the instance.  Ports 28400-28419.
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

ep2d_stop

# -- lifecycle hooks: 20 launches and terminations through the queue
LC_NET=10
LC_N=${LC_CHANGES:-20}
{
	echo "global"
	echo "defaults"
	echo "    mode http"
	echo "    timeout connect 1s"
	echo "    timeout client 30s"
	echo "    timeout server 30s"
	echo "frontend lc"
	i=1
	while [ $i -le "$LC_N" ]; do
		echo "    bind 127.0.$LC_NET.$i:$BPORT"
		i=$((i + 1))
	done
	echo '    http-request return status 200 content-type text/plain string "lc"'
} > "$T/lc-backends.cfg"
"$HAPROXY" -D -f "$T/lc-backends.cfg" -p "$T/lc-backends.pid" ||
    { skipped "aws-lifecycle: the instances' servers did not start"; exit 0; }
fake_cfg "$(PYTHONDONTWRITEBYTECODE=1 python3 -c '
import json, sys
sys.path.insert(0, sys.argv[1])
import ep2bench
print(json.dumps({"groups": {"my-asg": [ep2bench.aws_inst(i) for i in range(2)]},
                  "queues": {"my-queue": {"visibility_timeout": 30,
                                          "wait_time_seconds": 0}}}))' "$TOP/bench")" ||
    { skipped "aws-lifecycle: the fake AWS refused its configuration"; exit 0; }
SLEEP=30 aws_conf "$(aws_keys)
lifecycle_queue_url = http://127.0.0.1:$AWS_PORT/123456789012/my-queue
lifecycle_hook_name = bench-in, bench-out"
ep2d_up
$EB aws-lifecycle --name aws-lifecycle --sock "$SOCK" \
    --url "http://127.0.0.1:$AWS_PORT" --port "$BPORT" --pid "$EP2D_PID" \
    --net "$LC_NET" --changes "$LC_N" --timeout 10
