# regress/consul-lib.sh: helpers for the Consul integration tests
# (consul-*.t), sourced after lib.sh and t_init.  A test sets PORT_BASE;
# then:
#   $CONSUL_PORT   the fake Consul agent (regress/fakes/fake_consul.py)
#   consul_conf [EXTRA]   an ep2.conf with orchestrator = consul
#   fake_consul_start [ARGS]   start (or restart) the fake
#   consul_register ID ADDR PORT [TAG,...]   and consul_deregister ID
#   consul_check pass|warn|fail ID, consul_mode MODE [JSON-REST]
# The fake's state lives in $T/consul.state (or $CONSUL_STATE), so a
# restarted fake (a Consul outage) comes back with the same services
# and index.

CONSUL_PORT=$((PORT_BASE + 1))
FAKE_CONSUL=$TOP/regress/fakes/fake_consul.py
EP2D_FIXTURES=${EP2D_FIXTURES:-$TOP/regress/fixtures}
# the fake's base URL and curl's options for it (the TLS test sets both)
CONSUL_URL=http://127.0.0.1:$CONSUL_PORT
CONSUL_CURL_OPTS=""
unset CONSUL_HTTP_ADDR CONSUL_HTTP_TOKEN CONSUL_HTTP_SSL CONSUL_CACERT \
    CONSUL_CLIENT_CERT CONSUL_CLIENT_KEY CONSUL_TLS_SERVER_NAME

# consul_conf [EXTRA [CONSUL] LINES [LINE...]]: ep2.conf (lib.sh's
# ep2_conf) for the Consul source, the LINEs (more sections) after
# [CONSUL]; sleep_before_next_run is long, so only blocking queries can
# be quick
consul_conf() {
	_cc_extra=${1:-}
	[ $# -gt 0 ] && shift
	ep2_conf "update_type = ${UPDATE_TYPE:-update_by_runtime}" \
	    "node_slots = ${NODE_SLOTS:-4}" "orchestrator = consul" \
	    "sleep_before_next_run = 60" \
	    "[CONSUL]" "service_name = web" "consul_ip = 127.0.0.1" \
	    "consul_port = $CONSUL_PORT" "$_cc_extra" "$@"
}

fake_consul_start() {
	python3 "$FAKE_CONSUL" --port "$CONSUL_PORT" \
	    --fixtures "$EP2D_FIXTURES" --state "${CONSUL_STATE:-$T/consul.state}" \
	    --pidfile "$T/fake_consul.pid" "$@" 2>> "$T/fake_consul.err" &
	t_pids="$t_pids $!"
	FAKE_CONSUL_PID=$!
	wait_for 10 consul_curl "$CONSUL_URL/_fake/ping"
}

fake_consul_stop() {
	kill "$FAKE_CONSUL_PID" 2>/dev/null
	wait_for 5 sh -c "! kill -0 $FAKE_CONSUL_PID"
}

consul_curl() {
	curl -sf $CONSUL_CURL_OPTS "$@"
}

# consul_put PATH [BODY]: a write through Consul's agent API
consul_put() {
	consul_curl -X PUT ${CONSUL_TOKEN:+-H "X-Consul-Token: $CONSUL_TOKEN"} \
	    --data-binary "${2:-}" "$CONSUL_URL$1" >/dev/null
}

consul_register() {
	_tags=""
	if [ -n "${4:-}" ]; then
		_tags=$(printf '%s' "$4" | sed 's/[^,][^,]*/"&"/g')
	fi
	consul_put /v1/agent/service/register "{\"ID\": \"$1\",
	    \"Name\": \"${SERVICE:-web}\", \"Address\": \"$2\",
	    \"Port\": $3, \"Tags\": [$_tags]}"
}

# consul_register_json JSON: a registration as is (hostile addresses)
consul_register_json() {
	consul_put /v1/agent/service/register "$1"
}

consul_deregister() {
	consul_put "/v1/agent/service/deregister/$1"
}

consul_check() {
	consul_put "/v1/agent/check/$1/service:$2"
}

# consul_mode MODE [, "key": value ...]: make the fake misbehave
consul_mode() {
	consul_curl -X POST --data-binary "{\"mode\": \"$1\"${2:-}}" \
	    "$CONSUL_URL/_fake/mode" >/dev/null
}

consul_set_index() {
	consul_curl -X POST --data-binary "{\"index\": $1}" \
	    "$CONSUL_URL/_fake/index" >/dev/null
}

# consul_log: the health queries the fake received, JSON lines
consul_log() {
	consul_curl "$CONSUL_URL/_fake/log"
}

consul_nqueries() {
	consul_log | wc -l
}

# consul_waiting: health queries the fake holds (blocking) right now
consul_blocked() {
	[ "$(consul_curl "$CONSUL_URL/_fake/waiting")" -ge 1 ]
}

# ctl_status: ep2ctl's view of the source
ctl_status() {
	"$EP2CTL" -s "$CTL" show status 2>&1
}

# hap_empty: no live server in haproxynode
hap_empty() {
	[ -z "$(hap_live)" ]
}
