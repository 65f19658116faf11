# regress/multi-lib.sh: helpers for the several-backends tests
# (multi-*.t), sourced after lib.sh, t_init and consul-lib.sh.
#   multi_template     haproxy.cfg template: haproxynode ({{ nodes }}),
#                      be_files2 ({{ nodes.files2 }}), be_api
#                      ({{ nodes.api }})
#   multi_conf [HAPROXY-EXTRA [FILES2-EXTRA [API-EXTRA]]]: ep2.conf
#                      (write_conf's) with [haproxy] on $T/servers,
#                      [backend files2] on $T/servers2 and [backend api]
#                      on Consul service "api", each with its extra lines
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
	write_conf "sleep_before_next_run = 60
${1:-}" \
	    "[CONSUL]" "consul_ip = 127.0.0.1" "consul_port = $CONSUL_PORT" \
	    "[backend files2]" "backend_name = be_files2" \
	    "path = $T/servers2" "${2:-}" \
	    "[backend api]" "backend_name = be_api" "orchestrator = consul" \
	    "service_name = api" "${3:-}"
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
