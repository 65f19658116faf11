#!/bin/sh
# AWS failures leave the backend as it was: Auto Scaling Throttling and
# EC2 RequestLimitExceeded (backed off, logged once, recovery logged),
# HTTP 500, XML that does not parse, a well-formed answer that lacks
# the groups, a DOCTYPE, permission errors, a group that does not
# exist, NextTokens that loop, a request that hangs (timeout).  Ports 23040-23059.
PORT_BASE=23040
. "$(dirname "$0")/lib.sh"
t_init
. "$(dirname "$0")/aws-lib.sh"
aws_env

fake_aws_start
ok $? "fake AWS up on $AWS_PORT"
aws_backends 2 3 4
fake_cfg "{\"groups\": {\"my-asg\": [
    $(inst i-0000000000000a002 InService 127.0.0.2),
    $(inst i-0000000000000a003 InService 127.0.0.3)]}}"
write_template
aws_conf "$(aws_keys)"
ep2d_start -v
wait_for 20 hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT
ok $? "two instances in HAProxy"

# fault KIND ACTION COUNT: inject, then wait until served and retried
# to success; the backend must not move meanwhile.  The group changes
# at the same time, so that a failure taken for an answer would show.
fault() {
	s=$(fake_seq)
	fake_cfg "{\"faults\": [{\"kind\": \"$1\", \"action\": \"$2\", \"count\": $3}],
	    \"groups\": {\"my-asg\": [$(inst i-0000000000000a002 InService 127.0.0.2),
	    $(inst i-0000000000000a003 InService 127.0.0.3),
	    $(inst i-0000000000000a004 InService 127.0.0.4)]}}"
}

# settle: faults off, and a good poll seen, so that the next case
# starts from a source that is well (HAProxy may already hold the set)
settle() {
	_s=$(fake_seq)
	fake_cfg "{\"faults\": [], \"groups\": {\"my-asg\": [
	    $(inst i-0000000000000a002 InService 127.0.0.2),
	    $(inst i-0000000000000a003 InService 127.0.0.3)]}}"
	wait_for 20 hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT &&
	    wait_for 20 fake_count_ge 1 \
	    "action=DescribeAutoScalingGroups&status=200&since=$_s" &&
	    wait_for 5 grep -aq "aws: recovered" "$T/ep2d.out"
}

for k in garbage truncated empty doctype 500; do
	: > "$T/ep2d.out"
	fault $k DescribeAutoScalingGroups -1
	wait_for 10 fake_count_ge 2 "action=DescribeAutoScalingGroups&since=$s"
	hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT
	ok $? "$k answers: the backend stays as it was"
	grep -q "aws: DescribeAutoScalingGroups" "$T/ep2d.out"
	ok $? "$k answers: logged ($(grep -a -m1 'aws: Desc' "$T/ep2d.out" | sed 's/.*aws: //'))"
	settle
	ok $? "$k answers: back to normal afterwards"
done

# throttling: backed off with growing delays, logged once, recovery
: > "$T/ep2d.out"
fault throttle DescribeAutoScalingGroups 3
wait_for 30 fake_count_ge 1 "action=DescribeAutoScalingGroups&status=200&since=$s"
ok $? "Throttling three times, then an answer"
hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT 127.0.0.4:$BPORT ||
    wait_for 5 hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT 127.0.0.4:$BPORT
ok $? "after the throttling, the new instance applies"
[ "$(grep -ac "Throttling" "$T/ep2d.out")" -eq 1 ]
ok $? "Throttling logged once, not at each retry"
log_has "aws: recovered after 3 failed attempts"
ok $? "the recovery logged"
fake_log | awk -F'"seq": ' -v s="$s" '{ split($2, a, ","); if (a[1] > s) print }' |
    grep '"DescribeAutoScalingGroups"' | sed 's/.*"t": \([0-9.]*\).*/\1/' |
    head -n 4 > "$T/times"
awk 'NR > 1 { d[NR] = $1 - p } { p = $1 } END { exit !(d[4] > d[2] && d[4] >= 1.8) }' "$T/times"
ok $? "the retries back off ($(tr '\n' ' ' < "$T/times"))"
settle

: > "$T/ep2d.out"
fault ec2limit DescribeInstances 2
wait_for 30 hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT 127.0.0.4:$BPORT
ok $? "EC2 RequestLimitExceeded twice, then the new instance applies"
[ "$(grep -ac "RequestLimitExceeded" "$T/ep2d.out")" -eq 1 ]
ok $? "RequestLimitExceeded logged once"
settle

# permission refused: one line with AWS's code, the backend stays
: > "$T/ep2d.out"
fault auth DescribeAutoScalingGroups -1
wait_for 10 log_has "AccessDenied"
ok $? "AccessDenied: AWS's code in the log"
hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT
ok $? "AccessDenied: the backend stays"
settle

# a group that does not exist is a mistake, not an empty group
: > "$T/ep2d.out"
sed -i 's/^asg_name = .*/asg_name = my-asg, no-such-asg/' "$T/ep2.conf"
kill -HUP "$EP2D_PID"
wait_for 10 log_has 'Auto Scaling group "no-such-asg" not found'
ok $? "a missing group: said in the log"
hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT
ok $? "a missing group: the backend stays"
sed -i 's/^asg_name = .*/asg_name = my-asg/' "$T/ep2.conf"
kill -HUP "$EP2D_PID"
settle

# NextTokens that alternate (A, B, A, ...) are a loop as much as one
# token repeated: each walk stops at its first repeat, the failed walks
# back off, the loop is logged once; a few requests, not thousands
: > "$T/ep2d.out"
s=$(fake_seq)
fake_cfg '{"asg_token_cycle": ["A", "B"]}'
wait_for 10 log_has "DescribeAutoScalingGroups: NextToken loops"
ok $? "alternating NextTokens: the loop is said in the log"
t1=$(date +%s)
n=$(fake_count "action=DescribeAutoScalingGroups&since=$s")
[ "$n" -le 4 ]
ok $? "alternating NextTokens: the walk stops at the first repeat ($n requests)"
wait_for 30 fake_count_ge $((n + 9)) \
    "action=DescribeAutoScalingGroups&since=$s"
ok $? "alternating NextTokens: walked again, 3 requests each"
t2=$(date +%s)
[ $((t2 - t1)) -ge 3 ]
ok $? "alternating NextTokens: the walks back off (3 in $((t2 - t1)) s)"
[ "$(grep -ac "NextToken loops" "$T/ep2d.out")" -eq 1 ]
ok $? "alternating NextTokens: logged once"
hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT
ok $? "alternating NextTokens: the backend stays"
fake_cfg '{"asg_token_cycle": []}'
"$EP2CTL" -s "$CTL" sync >/dev/null 2>&1
settle
ok $? "alternating NextTokens: back to normal afterwards"

# a request that hangs is cut by the total timeout (30 s)
: > "$T/ep2d.out"
fault delay DescribeAutoScalingGroups 1
wait_for 45 log_has "DescribeAutoScalingGroups: .*[Tt]ime"
ok $? "a hanging request times out ($(grep -a -m1 'Timeout\|timed out' "$T/ep2d.out" | sed 's/.*aws: //'))"
wait_for 20 hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT 127.0.0.4:$BPORT
ok $? "and the next poll applies"

secrets_absent
ok $? "no secret in the logs"

done_testing
