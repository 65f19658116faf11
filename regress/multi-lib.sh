# regress/multi-lib.sh: helpers for the several-backends tests
# (multi-*.t), sourced after lib.sh, t_init and consul-lib.sh.
#   multi_template     haproxy.cfg template: haproxynode ({{ nodes }}),
#                      be_files2 ({{ nodes.files2 }}), be_api
#                      ({{ nodes.api }})
#   multi_conf [EXTRA [haproxy] LINES]: ep2.conf with [haproxy] on
#                      $T/servers, [backend files2] on $T/servers2 and
#                      [backend api] on Consul service "api"
#   be_live BE         "addr" of every live server of backend BE, sorted
#   be_has BE ADDR...  the live set of BE is exactly these
#   nreloads           how many times ep2d reloaded or started HAProxy

multi_template() {
	write_template
	cat >> "$T/haproxy.tmpl" <<TMPL

backend be_files2
    balance roundrobin
    option httpchk GET /
    default-server inter 200ms fall 1 rise 1
{{ nodes.files2 }}

backend be_api
    balance roundrobin
    option httpchk GET /
    default-server inter 200ms fall 1 rise 1
{{ nodes.api }}
${1:-}
TMPL
}

multi_conf() {
	cat > "$T/ep2.conf" <<CONF
[haproxy]
haproxy_config_file = $T/haproxy.cfg
template_file = $T/haproxy.tmpl
backend_port = 6003
haproxy_binary = $HAPROXY
start_by = binary
haproxy_socket_file = $SOCK
pid_file = $T/haproxy.pid
backend_name = haproxynode
update_type = ${UPDATE_TYPE:-update_by_config}
node_slots = ${NODE_SLOTS:-4}
lock_dir = $T
orchestrator = file
sleep_before_next_run = 60
log_file = $T/ep2.log
${1:-}

[FILE]
path = $T/servers

[CONSUL]
consul_ip = 127.0.0.1
consul_port = $CONSUL_PORT

[backend files2]
backend_name = be_files2
path = $T/servers2
${2:-}

[backend api]
backend_name = be_api
orchestrator = consul
service_name = api
${3:-}
CONF
	chmod 600 "$T/ep2.conf"
}

be_live() {
	hap "show stat" | awk -F, -v be="$1" '$1 == be && $2 != "BACKEND" &&
	    $2 != "FRONTEND" && $18 !~ /MAINT/ { print $74 }' | sort
}

be_has() {
	_be=$1
	shift
	[ "$(be_live "$_be" | tr '\n' ' ')" = "$(printf '%s\n' "$@" |
	    sort | tr '\n' ' ')" ]
}

nreloads() {
	grep -c "haproxy reloaded\|haproxy started" "$T/ep2d.out"
}

# put FILE ADDR...: the servers file, replaced at once
put() {
	_f=$1
	shift
	printf '%s\n' "$@" > "$_f.tmp"
	mv "$_f.tmp" "$_f"
}
