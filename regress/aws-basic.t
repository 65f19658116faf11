#!/bin/sh
# The AWS source against the fake AWS (every request's SigV4 signature
# checked): InService and Healthy instances reach HAProxy and take
# traffic, the others do not; paging on both calls; one call per poll
# in the steady state; a new instance costs one DescribeInstances; a
# group scaled to zero empties the backend; an instance without an
# address is skipped; ip_type public.  Ports 23000-23019.
PORT_BASE=23000
. "$(dirname "$0")/lib.sh"
t_init
. "$(dirname "$0")/aws-lib.sh"
aws_env

fake_aws_start
ok $? "fake AWS up on $AWS_PORT"
aws_backends 2 3 4 5 6
ok $? "backends on 127.0.0.2-6:$BPORT"

fake_cfg "{\"groups\": {\"my-asg\": [
    $(inst i-0000000000000a002 InService 127.0.0.2),
    $(inst i-0000000000000a003 InService 127.0.0.3),
    $(inst i-0000000000000a004 Pending 127.0.0.4),
    $(inst i-0000000000000a005 Terminating:Wait 127.0.0.5),
    $(inst i-0000000000000a006 InService 127.0.0.6 Unhealthy)]}}"
write_template
aws_conf "$(aws_keys)"
ep2d_start -v

wait_for 20 hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT
ok $? "the two InService and Healthy instances reach HAProxy"
! hap_live | grep -q -e "127.0.0.4" -e "127.0.0.5" -e "127.0.0.6"
ok $? "Pending, Terminating:Wait and Unhealthy instances do not"
wait_for 10 hap_up 127.0.0.2:$BPORT && wait_for 10 hap_up 127.0.0.3:$BPORT
a=$(answers 6)
[ "$a" = "b2 b3 " ]
ok $? "traffic reaches both ($a)"
[ "$(fake_count 'action=DescribeAutoScalingGroups&status=200')" -ge 1 ] &&
    fake_log | grep DescribeAutoScalingGroups | head -n 1 |
    grep -q '"AutoScalingGroupNames.member.1": "my-asg"'
ok $? "DescribeAutoScalingGroups asked for my-asg, signature accepted"
fake_log | grep '"DescribeInstances"' | head -n 1 |
    grep -q '"InstanceId.1": "i-0000000000000a00[23]"' &&
    ! fake_log | grep '"DescribeInstances"' | grep -q -e a004 -e a005 -e a006
ok $? "DescribeInstances only for the InService instances"
[ "$(fake_count 'status=403')" -eq 0 ] && [ "$(fake_count 'status=400')" -eq 0 ]
ok $? "no request refused by the fake's verifier"

# steady state: one call per poll
s=$(fake_seq)
wait_for 15 fake_count_ge 4 "action=DescribeAutoScalingGroups&since=$s"
ok $? "four more polls"
n_asg=$(fake_count "action=DescribeAutoScalingGroups&since=$s")
n_all=$(fake_count "since=$s")
[ "$(fake_count "action=DescribeInstances&since=$s")" -eq 0 ] &&
    [ "$n_all" -eq "$n_asg" ]
ok $? "steady state: one call per poll ($n_all calls, $n_asg polls)"

# a new instance: one DescribeInstances, for it alone
s=$(fake_seq)
fake_cfg "{\"groups\": {\"my-asg\": [
    $(inst i-0000000000000a002 InService 127.0.0.2),
    $(inst i-0000000000000a003 InService 127.0.0.3),
    $(inst i-0000000000000a004 InService 127.0.0.4)]}}"
wait_for 15 hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT 127.0.0.4:$BPORT
ok $? "an instance turning InService is added"
fake_log | awk -v s="$s" -F'"seq": ' '{ split($2, a, ","); if (a[1] > s) print }' |
    grep '"DescribeInstances"' > "$T/di.log"
[ "$(wc -l < "$T/di.log")" -eq 1 ] && grep -q '"InstanceId.1": "i-0000000000000a004"' "$T/di.log" &&
    ! grep -q '"InstanceId.2"' "$T/di.log"
ok $? "it cost one DescribeInstances for that instance only"

# one leaves: removed, nothing asked about the others
fake_cfg "{\"groups\": {\"my-asg\": [
    $(inst i-0000000000000a002 InService 127.0.0.2),
    $(inst i-0000000000000a004 Terminating 127.0.0.4)]}}"
wait_for 15 hap_has 127.0.0.2:$BPORT
ok $? "instances leaving InService are removed"

# paging: two groups one per page, instances one per page
s=$(fake_seq)
fake_cfg "{\"asg_page_size\": 1, \"ec2_page_size\": 1, \"groups\": {
    \"my-asg\": [$(inst i-0000000000000a002 InService 127.0.0.2),
                 $(inst i-0000000000000a005 InService 127.0.0.5)],
    \"other-asg\": [$(inst i-0000000000000b003 InService 127.0.0.3),
                 $(inst i-0000000000000b006 InService 127.0.0.6)]}}"
sed -i 's/^asg_name = .*/asg_name = my-asg, other-asg/' "$T/ep2.conf"
kill -HUP "$EP2D_PID"
wait_for 20 hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT 127.0.0.5:$BPORT \
    127.0.0.6:$BPORT
ok $? "two groups, paged: all four instances reach HAProxy"
fake_log | grep DescribeAutoScalingGroups | grep -q '"NextToken": "1"'
ok $? "DescribeAutoScalingGroups followed NextToken"
fake_log | grep '"DescribeInstances"' | grep -q '"NextToken": "'
ok $? "DescribeInstances followed nextToken"
fake_log | grep DescribeAutoScalingGroups | tail -n 1 |
    grep -q '"AutoScalingGroupNames.member.2": "other-asg"'
ok $? "both groups named in one call"

# an instance without the address asked for is skipped, with a warning
fake_cfg '{"asg_page_size": 0, "ec2_page_size": 0, "groups": {"my-asg": [
    {"id": "i-0000000000000c002", "lifecycle": "InService", "health": "Healthy", "private_ip": "127.0.0.2"},
    {"id": "i-0000000000000c009", "lifecycle": "InService", "health": "Healthy"}],
    "other-asg": []}}'
wait_for 15 hap_has 127.0.0.2:$BPORT
ok $? "an instance without a private address is left out"
wait_for 5 log_has "i-0000000000000c009 has no private IP address"
ok $? "with a warning naming it"

# a group scaled to zero is an empty backend (EP2 could not)
fake_cfg '{"groups": {"my-asg": [], "other-asg": []}}'
hap_empty() {
	[ -z "$(hap_live)" ]
}
wait_for 15 hap_empty
ok $? "scaled to zero: no live server left"
log_has "no InService and Healthy instance"
ok $? "with a warning"

# ip_type public: the instance's ipAddress, not the interface's
ep2d_stop
fake_cfg "{\"groups\": {\"my-asg\": [
    {\"id\": \"i-0000000000000d003\", \"lifecycle\": \"InService\", \"health\": \"Healthy\", \"private_ip\": \"10.9.9.9\", \"public_ip\": \"127.0.0.3\"},
    {\"id\": \"i-0000000000000d004\", \"lifecycle\": \"InService\", \"health\": \"Healthy\", \"private_ip\": \"10.9.9.8\", \"nested_public_ip\": \"127.0.0.4\"}]}}"
IP_TYPE=public aws_conf "$(aws_keys)"
: > "$T/ep2d.out"
ep2d_start -v
wait_for 20 hap_has 127.0.0.3:$BPORT
ok $? "ip_type public: the instance's own public address"
wait_for 5 log_has "i-0000000000000d004 has no public IP address"
ok $? "an address on a secondary interface address is not taken"

# one instance listed 5000 times by the group is one server, said in
# one line, and not again at each poll
: > "$T/ep2d.out"
# (in a file: 650 KB is more than one argument may hold)
python3 -c 'import sys
print("{\"groups\": {\"my-asg\": [%s, %s]}}" % (",".join([sys.argv[1]] * 5000),
    sys.argv[2]))' "$(inst i-0000000000000d003 InService 127.0.0.3)" \
    "$(inst i-0000000000000d005 InService 10.9.9.7)" > "$T/many.json"
curl -sf -X POST --data-binary @"$T/many.json" \
    "http://127.0.0.1:$AWS_PORT/_admin/config" >/dev/null
wait_for 20 log_has "aws: 4999 instances listed more than once"
ok $? "an instance listed 5000 times: one line with the count"
s=$(fake_seq)
wait_for 10 fake_count_ge 3 "action=DescribeAutoScalingGroups&status=200&since=$s"
[ "$(grep -c 'listed more than once' "$T/ep2d.out")" -eq 1 ]
ok $? "not again at each poll"
wait_for 10 hap_has 10.9.9.7:$BPORT
[ "$(hap_live | grep -c "127.0.0.3:$BPORT")" -eq 1 ] &&
    [ "$(hap_live | wc -l)" -eq 2 ]
ok $? "one server for it, and the other instance ($(hap_live | tr '\n' ' '))"

secrets_absent
ok $? "no secret in the logs"

done_testing
