#!/bin/sh
# Several backends with AWS: two Auto Scaling groups polled at once by
# one fetcher, each filling its own backend, next to a servers file; a
# group that scales changes its backend only; AWS failing leaves the
# file backend working, and both groups recover on their own.
# Ports 29100-29119.
PORT_BASE=29100
. "$(dirname "$0")/lib.sh"
t_init
. "$(dirname "$0")/aws-lib.sh"
. "$TOP/regress/multi-lib.sh"
aws_env

fake_aws_start
ok $? "fake AWS up on $AWS_PORT"
aws_backends 2 3 4 5 6
ok $? "backends on 127.0.0.2-6:$BPORT"

fake_cfg "{\"groups\": {
    \"web-asg\": [$(inst i-0000000000000b002 InService 127.0.0.2)],
    \"batch-asg\": [$(inst i-0000000000000b004 InService 127.0.0.4)]}}"
put "$T/servers2" 127.0.0.6:$BPORT
multi_template
sed -i 's/{{ nodes.api }}/{{ nodes.batch }}/; s/^backend be_api$/backend be_batch/' \
    "$T/haproxy.tmpl"
ASG_NAME=web-asg aws_conf "$(aws_keys)" \
    "[FILE]" "path = $T/servers" \
    "[backend files2]" "backend_name = be_files2" "orchestrator = file" \
    "path = $T/servers2" \
    "[backend batch]" "backend_name = be_batch" "asg_name = batch-asg"
: > "$T/servers"
"$EP2D" -n -f "$T/ep2.conf" > "$T/n.out" 2>&1
ok $? "ep2d -n: two AWS backends and a file one ($(tail -n 1 "$T/n.out"))"
ep2d_start -v

wait_for 20 be_has haproxynode 127.0.0.2:$BPORT &&
    wait_for 10 be_has be_batch 127.0.0.4:$BPORT &&
    wait_for 10 be_has be_files2 127.0.0.6:$BPORT
ok $? "each group in its own backend, the file in its own"
fake_log | grep DescribeAutoScalingGroups | grep -q '"batch-asg"' &&
    fake_log | grep DescribeAutoScalingGroups | grep -q '"web-asg"'
ok $? "both groups asked for"

fake_cfg "{\"groups\": {
    \"web-asg\": [$(inst i-0000000000000b002 InService 127.0.0.2)],
    \"batch-asg\": [$(inst i-0000000000000b004 InService 127.0.0.4),
                  $(inst i-0000000000000b005 InService 127.0.0.5)]}}"
wait_for 15 be_has be_batch 127.0.0.4:$BPORT 127.0.0.5:$BPORT
ok $? "batch-asg scales out: be_batch follows"
be_has haproxynode 127.0.0.2:$BPORT
ok $? "haproxynode untouched"

fake_cfg '{"faults": [{"kind": "500", "action": "*", "count": -1}]}'
wait_for 15 sh -c "'$EP2CTL' -s '$CTL' show backends | grep -Eq '^be_batch .* failing' &&
    '$EP2CTL' -s '$CTL' show backends | grep -Eq '^haproxynode .* failing'"
ok $? "AWS failing: both AWS sources fail"
put "$T/servers2" 127.0.0.3:$BPORT
wait_for 10 be_has be_files2 127.0.0.3:$BPORT
ok $? "the file backend still applies"
be_has be_batch 127.0.0.4:$BPORT 127.0.0.5:$BPORT &&
    be_has haproxynode 127.0.0.2:$BPORT
ok $? "the AWS backends keep their last good sets"

fake_cfg '{"faults": []}'
wait_for 20 sh -c "! '$EP2CTL' -s '$CTL' show backends | grep -q failing"
ok $? "AWS back: every source ok again"

done_testing
