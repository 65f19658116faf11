#!/bin/sh
# The AWS credential chain, each link against the fake AWS: ep2.conf's
# keys, the environment (a session token, signed), the shared
# credentials file (AWS_PROFILE), ECS container credentials (with the
# authorization token), IMDSv2 (token first, role, keys), refresh of
# expiring keys; the order of the links; a wrong secret gives AWS's
# error code in the log and leaves the backend as it was.  Nothing
# here reaches 169.254.169.254 or 169.254.170.2: aws_env points the
# metadata variables at the fake or disables them.  Also the config
# file's [profile NAME], region and endpoint from the environment; the
# region from the config file.
# Ports 23020-23039.
PORT_BASE=23020
. "$(dirname "$0")/lib.sh"
t_init
. "$(dirname "$0")/aws-lib.sh"
aws_env

fake_aws_start
ok $? "fake AWS up on $AWS_PORT"
aws_backends 2 3
fake_cfg "{\"groups\": {\"my-asg\": [
    $(inst i-0000000000000a002 InService 127.0.0.2),
    $(inst i-0000000000000a003 InService 127.0.0.3)]},
    \"credentials\": {
      \"AKIDCONF\": {\"secret\": \"confsecret\", \"token\": null},
      \"AKIDENV\": {\"secret\": \"envsecret\", \"token\": \"sessiontoken-env\"},
      \"AKIDFILE\": {\"secret\": \"filesecret\", \"token\": null}},
    \"ecs\": {\"authorization\": \"ecs-auth-token\"}}"
write_template

# run_case NAME AKID: ep2d up, servers in HAProxy, calls signed by AKID
run_case() {
	: > "$T/ep2d.out"
	s=$(fake_seq)
	ep2d_start -v
	wait_for 20 hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT
	ok $? "$1: instances reach HAProxy"
	wait_for 5 fake_count_ge 1 "action=DescribeAutoScalingGroups&status=200&akid=$2&since=$s"
	ok $? "$1: calls signed with $2"
}

# 1. ep2.conf's keys, before the environment
AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=envsecret \
    AWS_SESSION_TOKEN=sessiontoken-env
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
aws_conf "aws_access_key_id = AKIDCONF
aws_secret_access_key = confsecret"
run_case "ep2.conf keys (environment set too)" AKIDCONF
log_has "using credentials from ep2.conf"
ok $? "ep2.conf keys: origin logged"

# a wrong secret: AWS's code in the log, the backend stays
sed -i 's/^aws_secret_access_key = .*/aws_secret_access_key = wrongsecret/' \
    "$T/ep2.conf"
kill -HUP "$EP2D_PID"
wait_for 10 log_has "SignatureDoesNotMatch"
ok $? "wrong secret: SignatureDoesNotMatch in the log"
log_has "DescribeAutoScalingGroups refused (HTTP 403): SignatureDoesNotMatch: The request signature we calculated"
ok $? "wrong secret: one line with the call, AWS's code and message"
hap_has 127.0.0.2:$BPORT 127.0.0.3:$BPORT
ok $? "wrong secret: the backend is left as it was"
s=$(fake_seq)
wait_for 10 fake_count_ge 2 "action=DescribeAutoScalingGroups&since=$s"
[ "$(grep -c SignatureDoesNotMatch "$T/ep2d.out")" -eq 1 ]
ok $? "wrong secret: logged once, not at each retry"
"$EP2CTL" -s "$CTL" show status 2>/dev/null | grep -q SignatureDoesNotMatch
ok $? "wrong secret: ep2ctl show status shows the error"
sed -i 's/^aws_secret_access_key = .*/aws_secret_access_key = confsecret/' \
    "$T/ep2.conf"
kill -HUP "$EP2D_PID"
wait_for 10 log_has "aws: recovered"
ok $? "the right secret again: recovery logged"
ep2d_stop

# 2. the environment, with a session token that must be signed
aws_conf
run_case "environment" AKIDENV
[ "$(fake_count "akid=AKIDENV&token_signed=false")" -eq 0 ] &&
    [ "$(fake_count "akid=AKIDENV&token_signed=true")" -ge 1 ]
ok $? "environment: X-Amz-Security-Token sent and signed"
ep2d_stop
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

# 3. the shared credentials file, the profile from AWS_PROFILE
cat > "$T/credentials" <<EOF
# ep2d test
[default]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = not-the-right-one

[ep2d]
aws_access_key_id   =   AKIDFILE
aws_secret_access_key = filesecret
EOF
AWS_SHARED_CREDENTIALS_FILE=$T/credentials AWS_PROFILE=ep2d
export AWS_PROFILE
run_case "shared credentials file, profile ep2d" AKIDFILE
ep2d_stop
AWS_SHARED_CREDENTIALS_FILE=$T/no-credentials
unset AWS_PROFILE

# 3b. the config file's [profile NAME]; region and endpoint from the
# environment, ep2.conf naming neither
cat > "$T/config" <<EOF
[default]
region = eu-west-3

[profile ep2d]
aws_access_key_id = AKIDFILE
aws_secret_access_key = filesecret
EOF
AWS_CONFIG_FILE=$T/config AWS_PROFILE=ep2d AWS_REGION=us-east-1
AWS_ENDPOINT_URL=http://127.0.0.1:$AWS_PORT
export AWS_PROFILE AWS_REGION AWS_ENDPOINT_URL
aws_conf
sed -i -e '/^region_name/d' -e '/^autoscaling_endpoint/d' \
    -e '/^ec2_endpoint/d' "$T/ep2.conf"
run_case "config file, profile ep2d; AWS_REGION, AWS_ENDPOINT_URL" AKIDFILE
ep2d_stop

# 3c. no region_name, no AWS_REGION: the profile's region in the config
# file, as boto3 (and so EP2) reads it; a profile does not take
# [default]'s
cat > "$T/config" <<EOF
[default]
region = eu-west-3

[profile ep2d]
region = us-east-1
aws_access_key_id = AKIDFILE
aws_secret_access_key = filesecret
EOF
unset AWS_REGION
run_case "config file: the profile's region" AKIDFILE
s=$(fake_seq)
wait_for 5 fake_count_ge 1 "action=DescribeAutoScalingGroups&status=200&since=$s"
ok $? "config file region: the calls are signed for us-east-1"
ep2d_stop
AWS_CONFIG_FILE=$T/no-config
unset AWS_PROFILE AWS_REGION AWS_ENDPOINT_URL
aws_conf

# 4. ECS container credentials, with the authorization token
AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:$AWS_PORT/ecs/v2/credentials/ep2d
AWS_CONTAINER_AUTHORIZATION_TOKEN=ecs-auth-token
export AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN
run_case "ECS container credentials" ASIAFAKEECS0001
[ "$(fake_count "action=ECS*&status=403")" -eq 0 ]
ok $? "ECS: the authorization token was sent"
[ "$(fake_count "akid=ASIAFAKEECS0001&token_signed=true")" -ge 1 ]
ok $? "ECS: the session token signed"
ep2d_stop

# 4b. FULL_URI is parsed as libcurl reads it, not as text: user
# information ("localhost@" before the real host) and a name that only
# starts like a loopback address are refused with one line, and the
# container token is not sent anywhere
refused_uri() {
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$1
	export AWS_CONTAINER_CREDENTIALS_FULL_URI
	: > "$T/ep2d.out"
	s=$(fake_seq)
	ep2d_start -v
	wait_for 10 log_has "$2; container credentials not used"
	ok $? "FULL_URI $1: refused with a line"
	wait_for 10 log_has "no credentials"
	[ "$(fake_count "action=ECS*&since=$s")" -eq 0 ]
	ok $? "FULL_URI $1: nothing asked, no token sent"
	ep2d_stop
}
AWS_EC2_METADATA_DISABLED=true
export AWS_EC2_METADATA_DISABLED
refused_uri "http://localhost@127.0.0.1:$AWS_PORT/ecs/v2/credentials/ep2d" \
    "FULL_URI holds a user name"
refused_uri "http://127.attacker.example:$AWS_PORT/ecs/v2/credentials/ep2d" \
    "FULL_URI must be https, or http to a loopback address, localhost or the ECS or EKS container host"
unset AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN

# 5. IMDSv2, and a refresh before Expiration
unset AWS_EC2_METADATA_DISABLED
fake_cfg '{"imds": {"expires_in": 304}}'
run_case "IMDSv2" ASIAFAKEIMDS0001
fake_log | grep -q '"action": "IMDS PUT /latest/api/token".*"ttl": 21600'
ok $? "IMDSv2: token asked with a TTL of 21600 s"
[ "$(fake_count "action=IMDS*&status=401")" -eq 0 ]
ok $? "IMDSv2: every GET carried the token"
fake_count_ge 1 "action=IMDS+GET+/latest/meta-data/iam/security-credentials/ep2d-web-role&status=200&since=$s"
ok $? "IMDSv2: the role's keys fetched"
wait_for 20 fake_count_ge 1 "action=DescribeAutoScalingGroups&status=200&akid=ASIAFAKEIMDS0002"
ok $? "IMDSv2: keys expiring in 304 s renewed before (5 min margin)"
[ "$(fake_count "status=403&since=$s")" -eq 0 ]
ok $? "IMDSv2: no call refused"
ep2d_stop

# 6. nothing anywhere: a clear failure, no request to anything
AWS_EC2_METADATA_DISABLED=true
export AWS_EC2_METADATA_DISABLED
aws_conf
: > "$T/ep2d.out"
ep2d_start -v
wait_for 10 log_has "no credentials"
ok $? "no credentials at all: said in the log"
ep2d_stop

secrets_absent
ok $? "no secret, token or key in the logs"

done_testing
