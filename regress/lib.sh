# regress/lib.sh: helpers for ep2d's integration tests (sourced by *.t).
#
# A test sets PORT_BASE (its own range, see each test) and calls t_init.
# It then gets a temp dir $T (removed at exit), a HAProxy template whose
# frontend listens on 127.0.0.1:$FE_PORT and whose stats socket is
# $T/haproxy.sock, an ep2.conf for the file orchestrator, and helpers to
# start real backends, HAProxy, ep2d and to wait for conditions.
# Everything started here is killed by the EXIT trap.

TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
EP2D=$TOP/ep2d/ep2d
EP2CTL=$TOP/ep2ctl/ep2ctl
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
t_n=0
t_failed=0
t_pids=""

ok() {
	# ok CONDITION-EXIT-STATUS DESCRIPTION  (use: cmd; ok $? "desc");
	# returns the condition, so that "ok ...; [ $? -eq 0 ] || diag"
	# says why a check failed
	t_n=$((t_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $t_n - $2"
	else
		echo "not ok $t_n - $2"
		t_failed=$((t_failed + 1))
	fi
	return "$1"
}

diag() {
	echo "$*" | sed 's/^/# /'
}

done_testing() {
	echo "1..$t_n"
	[ "$t_failed" -eq 0 ]
	exit $?
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# wait_for SECONDS COMMAND...: poll COMMAND every 50 ms until it
# succeeds or SECONDS have passed.  The only way tests wait.
wait_for() {
	_limit=$(( $1 * 20 ))
	shift
	_i=0
	while [ $_i -lt $_limit ]; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}

t_cleanup() {
	if [ -n "${EP2D_PID:-}" ]; then
		kill "$EP2D_PID" 2>/dev/null
		wait_for 5 sh -c "! kill -0 $EP2D_PID"
		kill -9 "$EP2D_PID" 2>/dev/null
	fi
	for _f in "$T"/*.pid; do
		[ -f "$_f" ] || continue
		for _p in $(cat "$_f" 2>/dev/null); do
			kill "$_p" 2>/dev/null
		done
	done
	for _p in $t_pids; do
		kill "$_p" 2>/dev/null
	done
	# what is left and names $T (HAProxy workers still finishing after
	# a reload, helpers started in the background), by pid, not this shell
	for _d in /proc/[0-9]*; do
		_p=${_d#/proc/}
		[ "$_p" = "$$" ] && continue
		if { tr '\0' ' ' < "$_d/cmdline"; } 2>/dev/null |
		    grep -qF "$T/"; then
			kill "$_p" 2>/dev/null
		fi
	done
	if [ -n "${KEEP_T:-}" ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
}

t_init() {
	umask 022
	[ "$(id -u)" -eq 0 ] || skip_all "integration tests run as root"
	[ -x "$EP2D" ] || skip_all "ep2d not built"
	[ -x "$HAPROXY" ] || skip_all "no haproxy"
	getent passwd _ep2d >/dev/null || skip_all "no _ep2d user"
	T=$(mktemp -d /tmp/ep2d-test.XXXXXX)
	# the fetcher runs as _ep2d and reads the servers file here
	chmod 755 "$T"
	trap t_cleanup EXIT
	trap 'exit 1' INT TERM
	FE_PORT=$((PORT_BASE))
	SOCK=$T/haproxy.sock
	CTL=$T/ep2d.sock
}

# backends PORT...: one HAProxy process answering "bPORT" on each port,
# for GET / (health checks included).
backends() {
	{
		echo "global"
		echo "defaults"
		echo "    mode http"
		echo "    timeout connect 1s"
		echo "    timeout client 30s"
		echo "    timeout server 30s"
		for _p in "$@"; do
			echo "frontend b$_p"
			echo "    bind 127.0.0.1:$_p"
			printf '    http-request return status 200 content-type text/plain string "b%s\\n"\n' "$_p"
		done
	} > "$T/backends.cfg"
	"$HAPROXY" -D -f "$T/backends.cfg" -p "$T/backends.pid" || return 1
	wait_for 5 curl -sf "http://127.0.0.1:$1/"
}

# write_template [EXTRA-BACKEND-LINES]: haproxy.cfg template for ep2d
write_template() {
	cat > "$T/haproxy.tmpl" <<TMPL
global
    stats socket $SOCK mode 600 level admin expose-fd listeners
    stats timeout 30s

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 0

frontend fe
    bind 127.0.0.1:$FE_PORT
    default_backend haproxynode

backend haproxynode
    balance roundrobin
    option httpchk GET /
    default-server inter 200ms fall 1 rise 1
${1:-}
{{ nodes }}
TMPL
}

# ep2_conf LINE...: write $T/ep2.conf; every test's ep2.conf comes from
# here (write_conf, multi_conf, aws_conf, consul_conf or a test's own
# call).  [haproxy] opens with the keys all tests share, backend_port
# from BACKEND_PORT (6003) and the lines of HAPROXY_EXTRA; then each
# argument, one line or several: "[name]" starts a section, after a
# blank line.  Blank lines are dropped, so an extra left empty may be
# passed as it is.  Mode 600: some hold secrets, which ep2d wants
# readable by no one else.
ep2_conf() {
	{
		cat <<CONF
[haproxy]
haproxy_config_file = $T/haproxy.cfg
template_file = $T/haproxy.tmpl
backend_port = ${BACKEND_PORT:-6003}
haproxy_binary = $HAPROXY
start_by = binary
haproxy_socket_file = $SOCK
pid_file = $T/haproxy.pid
backend_name = haproxynode
lock_dir = $T
log_file = $T/ep2.log
${HAPROXY_EXTRA:-}
CONF
		printf '%s\n' "$@"
	} | awk 'NF == 0 { next } /^\[/ && NR > 1 { print "" } { print }' \
	    > "$T/ep2.conf"
	chmod 600 "$T/ep2.conf"
}

# write_conf [EXTRA [haproxy] LINES [LINE...]]: ep2.conf for the file
# orchestrator, on $T/servers; the LINEs (more sections) after [FILE]
write_conf() {
	_wc_extra=${1:-}
	[ $# -gt 0 ] && shift
	ep2_conf "update_type = ${UPDATE_TYPE:-update_by_config}" \
	    "node_slots = ${NODE_SLOTS:-4}" "orchestrator = file" \
	    "$_wc_extra" "[FILE]" "path = $T/servers" "$@"
}

# ep2d_start [FLAGS]: start ep2d in the foreground (-d) in the background
ep2d_start() {
	# a fresh file per start, written in append mode so that a test
	# may empty it (: > ep2d.out) while ep2d runs
	: > "$T/ep2d.out"
	"$EP2D" -d -f "$T/ep2.conf" -s "$CTL" "$@" >> "$T/ep2d.out" 2>&1 &
	EP2D_PID=$!
}

ep2d_pids() {
	# pid of the parent's children with the given title
	pgrep -f "^ep2d: $1" | while read -r _p; do
		[ "$(ps -o ppid= -p "$_p" | tr -d ' ')" = "$EP2D_PID" ] &&
		    echo "$_p"
	done
}

hap() {
	echo "$1" | socat -t 5 - "UNIX-CONNECT:$SOCK"
}

# hap_live: "addr" of every server of haproxynode not in MAINT, sorted
hap_live() {
	hap "show stat" | awk -F, '$1 == "haproxynode" && $2 != "BACKEND" &&
	    $2 != "FRONTEND" && $18 !~ /MAINT/ { print $74 }' | sort
}

# hap_has ADDR:PORT...: the live set is exactly these
hap_has() {
	[ "$(hap_live | tr '\n' ' ')" = "$(printf '%s\n' "$@" |
	    sort | tr '\n' ' ')" ]
}

# hap_ready ADDR:PORT: UP and taking traffic (weight > 0; runtime mode
# keeps a new server at weight 0 until its first check passes)
hap_ready() {
	hap "show stat" | awk -F, -v a="$1" '$1 == "haproxynode" &&
	    $74 == a && $18 == "UP" && $19 > 0 { f = 1 } END { exit !f }'
}

# hap_up ADDR:PORT: that server is UP (checked)
hap_up() {
	hap "show stat" | awk -F, -v a="$1" '$1 == "haproxynode" &&
	    $74 == a && $18 == "UP" { f = 1 } END { exit !f }'
}

# hap_settled: no HAProxy of before a reload is left for this test's
# haproxy.cfg (a master and its worker at most); right after a reload
# the old process may still accept a connection, with its old servers
hap_settled() {
	[ "$(pgrep -f -- "-f $T/haproxy.cfg " | wc -l)" -le 2 ]
}

# answers N: the distinct answers of N requests through the frontend,
# once HAProxy has settled after a reload (old processes still serving
# long requests are waited for 5 s at most)
answers() {
	wait_for 5 hap_settled
	_i=0
	while [ $_i -lt "$1" ]; do
		curl -s -m 2 "http://127.0.0.1:$FE_PORT/"
		_i=$((_i + 1))
	done | sort -u | tr '\n' ' '
}

haproxy_pid() {
	head -n 1 "$T/haproxy.pid" 2>/dev/null
}

log_has() {
	grep -q -- "$1" "$T/ep2d.out"
}

# ctl_status_is EXPR: ep2d answers "ep2ctl -j show status" and the Python
# expression EXPR holds of s, the list of its backends' status objects
# (s[0] the first; keys as in ep2ctl(8)).  The answer stays in
# $T/status.json for a diag.
ctl_status_is() {
	"$EP2CTL" -s "$CTL" -j show status > "$T/status.json" 2>&1 &&
	    python3 -c '
import json, sys
s = json.load(open(sys.argv[2]))["status"]
sys.exit(0 if eval("(" + sys.argv[1] + ")") else 1)' "$1" "$T/status.json"
}
