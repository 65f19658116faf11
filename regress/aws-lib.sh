# regress/aws-lib.sh: helpers for the AWS integration tests (aws-*.t),
# sourced after lib.sh and t_init.  A test sets PORT_BASE; then:
#   $AWS_PORT     the fake AWS (regress/fakes/fake_aws.py): Query APIs,
#                 IMDSv2 at /latest/, ECS at /ecs/, admin at /_admin/
#   $BPORT        backend_port: the instances' servers listen on
#                 127.0.0.N:$BPORT (127.0.0.0/8 is all loopback)
# Nothing here ever talks to 169.254.169.254 or 169.254.170.2: aws_env
# points the metadata and container variables at the fake, or off.

AWS_PORT=$((PORT_BASE + 1))
BPORT=$((PORT_BASE + 2))
FAKE_AWS=$TOP/regress/fakes/fake_aws.py
EP2D_FIXTURES=${EP2D_FIXTURES:-$TOP/regress/fixtures}
export EP2D_FIXTURES
AWS_AKID=AKIDEXAMPLE
AWS_SECRET=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY

# aws_env: a clean AWS environment for ep2d: no keys, no profile, no
# file of root's, instance metadata off.  Tests add what they test.
aws_env() {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
	    AWS_SECURITY_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE \
	    AWS_CONTAINER_CREDENTIALS_FULL_URI \
	    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
	    AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_ENDPOINT_URL \
	    AWS_ENDPOINT_URL_AUTO_SCALING AWS_ENDPOINT_URL_EC2 \
	    AWS_REGION AWS_DEFAULT_REGION \
	    AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE
	AWS_SHARED_CREDENTIALS_FILE=$T/no-credentials
	AWS_CONFIG_FILE=$T/no-config
	AWS_EC2_METADATA_DISABLED=true
	AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$AWS_PORT
	export AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE \
	    AWS_EC2_METADATA_DISABLED AWS_EC2_METADATA_SERVICE_ENDPOINT
}

# fake_aws_start: the fake on $AWS_PORT, ready when this returns 0
fake_aws_start() {
	python3 "$FAKE_AWS" --port "$AWS_PORT" --fixtures "$EP2D_FIXTURES" \
	    --pidfile "$T/fake_aws.pid" 2> "$T/fake_aws.err" &
	t_pids="$t_pids $!"
	wait_for 10 curl -sf "http://127.0.0.1:$AWS_PORT/_admin/ping"
}

# fake_cfg JSON: merge into the fake's configuration
fake_cfg() {
	curl -sf -X POST --data-binary "$1" \
	    "http://127.0.0.1:$AWS_PORT/_admin/config" >/dev/null
}

# fake_count QUERY: requests logged matching (action=...&since=...)
fake_count() {
	curl -sf "http://127.0.0.1:$AWS_PORT/_admin/count?$1"
}

fake_seq() {
	curl -sf "http://127.0.0.1:$AWS_PORT/_admin/seq"
}

fake_log() {
	curl -sf "http://127.0.0.1:$AWS_PORT/_admin/log"
}

# fake_count_ge N QUERY: at least N logged requests match
fake_count_ge() {
	[ "$(fake_count "$2")" -ge "$1" ] 2>/dev/null
}

# inst ID STATE IP [HEALTH]: one instance, as JSON
inst() {
	printf '{"id": "%s", "lifecycle": "%s", "private_ip": "%s", "public_ip": "%s", "health": "%s"}' \
	    "$1" "$2" "$3" "$3" "${4:-Healthy}"
}

# aws_backends N...: HAProxy answering "bN" on 127.0.0.N:$BPORT
aws_backends() {
	{
		echo "global"
		echo "defaults"
		echo "    mode http"
		echo "    timeout connect 1s"
		echo "    timeout client 30s"
		echo "    timeout server 30s"
		for _n in "$@"; do
			echo "frontend b$_n"
			echo "    bind 127.0.0.$_n:$BPORT"
			# printf: dash's echo would turn \n into a newline
			printf '    http-request return status 200 content-type text/plain string "b%s\\n"\n' "$_n"
		done
	} > "$T/backends.cfg"
	"$HAPROXY" -D -f "$T/backends.cfg" -p "$T/backends.pid" || return 1
	wait_for 5 curl -sf "http://127.0.0.$1:$BPORT/"
}

# aws_conf [EXTRA [AWS] LINES [LINE...]]: ep2.conf (lib.sh's ep2_conf)
# for the aws orchestrator, endpoints on the fake, polled every second;
# the LINEs (more sections) after [AWS]
aws_conf() {
	_ac_extra=${1:-}
	[ $# -gt 0 ] && shift
	BACKEND_PORT=$BPORT ep2_conf \
	    "update_type = ${UPDATE_TYPE:-update_by_runtime}" \
	    "node_slots = ${NODE_SLOTS:-8}" "orchestrator = aws" \
	    "sleep_before_next_run = ${SLEEP:-1}" \
	    "[AWS]" "asg_name = ${ASG_NAME:-my-asg}" "region_name = us-east-1" \
	    "ip_type = ${IP_TYPE:-private}" \
	    "autoscaling_endpoint = http://127.0.0.1:$AWS_PORT" \
	    "ec2_endpoint = http://127.0.0.1:$AWS_PORT" "$_ac_extra" "$@"
}

# aws_keys: ep2.conf lines with the fake's default keys
aws_keys() {
	printf 'aws_access_key_id = %s\naws_secret_access_key = %s\n' \
	    "$AWS_AKID" "$AWS_SECRET"
}

# ep2d_stop: ep2d and the HAProxy it started, for a test that runs
# ep2d several times
ep2d_stop() {
	if [ -n "${EP2D_PID:-}" ]; then
		kill "$EP2D_PID" 2>/dev/null
		wait_for 5 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
		kill -9 "$EP2D_PID" 2>/dev/null
		EP2D_PID=
	fi
	if [ -f "$T/haproxy.pid" ]; then
		for _p in $(cat "$T/haproxy.pid"); do
			kill "$_p" 2>/dev/null
		done
		wait_for 5 sh -c "! kill -0 $(head -n 1 "$T/haproxy.pid") 2>/dev/null"
		rm -f "$T/haproxy.pid"
	fi
	rm -f "$SOCK" "$T/haproxy.cfg"
}

# secrets_absent: no secret of the fake's or of the tests' in any log
secrets_absent() {
	! grep -qF -e "$AWS_SECRET" -e "imds-secret" -e "ecs-secret" \
	    -e "EXAMPLETOKEN" -e "sessiontoken" -e "filesecret" \
	    -e "envsecret" -e "ecs-auth-token" "$T/ep2d.out" "$T/ep2.log" \
	    2>/dev/null
}
