#!/bin/sh
# ep2d -n is the whole check: the template rendered as a start renders
# it (no server yet, the slots of the start), haproxy -c run on that in
# a private directory of its own, HAProxy's messages named by the
# template's file and line; nothing of the running setup touched.  -r
# prints the rendered haproxy.cfg too.
# Ports 26040-26059.
PORT_BASE=26040
. "$(dirname "$0")/lib.sh"
t_init

B1=26042
UPDATE_TYPE=update_by_runtime
write_template
write_conf
echo "127.0.0.1:$B1" > "$T/servers"
mkdir "$T/tmp"
export TMPDIR="$T/tmp"
cp "$T/haproxy.tmpl" "$T/good.tmpl"

# nodes_line: the line of {{ nodes }} in the template
nodes_line() {
	grep -n '{{ nodes' "$T/haproxy.tmpl" | head -1 | cut -d: -f1
}

"$EP2D" -n -f "$T/ep2.conf" > "$T/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "^configuration OK$" "$T/out"
ok $? "a good configuration: configuration OK"
[ $rc -eq 0 ] || diag "$(cat "$T/out")"
[ ! -e "$T/haproxy.cfg" ] && [ ! -e "$T/haproxy.cfg.new" ] &&
    [ ! -e "$T/haproxy.pid" ] && [ ! -e "$SOCK" ] &&
    [ -z "$(ls "$T"/*.lock 2>/dev/null)" ]
ok $? "nothing written where the start writes (haproxy.cfg, pid, socket, lock)"
[ -z "$(ls -A "$T/tmp")" ]
ok $? "its scratch directory in TMPDIR is gone"

# a keyword HAProxy refuses, in the template: its line is named
sed -i 's/^    balance roundrobin/&\n    bogus_keyword on/' "$T/haproxy.tmpl"
line=$(grep -n bogus_keyword "$T/haproxy.tmpl" | cut -d: -f1)
"$EP2D" -n -f "$T/ep2.conf" > "$T/out" 2>&1
rc=$?
[ $rc -eq 1 ]
ok $? "a template haproxy -c refuses: exit 1 (got $rc)"
grep -q "haproxy.tmpl:$line: haproxy -c: error: unknown keyword 'bogus_keyword'" \
    "$T/out"
ok $? "the error names the template's line $line"
[ $? -eq 0 ] || diag "$(cat "$T/out")"
! grep -q "NOTICE\|$T/tmp\|Fatal errors" "$T/out"
ok $? "no NOTICE line, no scratch path, no summary line"
grep -q "configuration refused" "$T/out" && ! grep -q "configuration OK" "$T/out"
ok $? "and says the configuration is refused"
[ -z "$(ls -A "$T/tmp")" ]
ok $? "scratch directory gone after a refusal too"

# an error on a server line: named by the line of {{ nodes }}
cp "$T/good.tmpl" "$T/haproxy.tmpl"
sed -i 's/^{{ nodes }}$/{{ nodes }} bogus_option/' "$T/haproxy.tmpl"
"$EP2D" -n -f "$T/ep2.conf" > "$T/out" 2>&1
[ $? -eq 1 ] && grep -q "haproxy.tmpl:$(nodes_line): haproxy -c: error: 'server haproxynode/node4' : unknown keyword 'bogus_option'" "$T/out"
ok $? "a rendered server line maps to the template line of {{ nodes }}"
[ $? -eq 0 ] || diag "$(cat "$T/out")"

# a warning of haproxy -c is said, the check still passes
cp "$T/good.tmpl" "$T/haproxy.tmpl"
printf 'listen tcpx\n    mode tcp\n    bind 127.0.0.1:%s\n    option httplog\n' \
    $((PORT_BASE + 9)) >> "$T/haproxy.tmpl"
line=$(grep -n "option httplog" "$T/haproxy.tmpl" | cut -d: -f1)
"$EP2D" -n -f "$T/ep2.conf" > "$T/out" 2>&1
[ $? -eq 0 ] && grep -q "haproxy.tmpl:$line: haproxy -c: warning: 'option httplog' not usable" "$T/out" &&
    grep -q "^configuration OK$" "$T/out"
ok $? "a warning is said with its template line; configuration OK"

# EP2's seed template: "if {{ ssl_fc }}" said once, with what it means
cp "$T/good.tmpl" "$T/haproxy.tmpl"
sed -i 's/^    default_backend haproxynode$/    http-request redirect scheme https if {{ ssl_fc }}\n&/' \
    "$T/haproxy.tmpl"
line=$(grep -n "ssl_fc" "$T/haproxy.tmpl" | cut -d: -f1)
"$EP2D" -n -f "$T/ep2.conf" > "$T/out" 2>&1
[ $? -eq 0 ] && [ "$(grep -c "haproxy.tmpl:$line: {{ ssl_fc }} renders empty" "$T/out")" -eq 1 ] &&
    grep -q "can never fire as written; HAProxy reads \"{ ssl_fc }\", with single braces, as an anonymous ACL" "$T/out"
ok $? "if {{ ssl_fc }}: one warning, the rule can never fire, { ssl_fc } is HAProxy's"
[ $? -eq 0 ] || diag "$(cat "$T/out")"

# one backend in update_by_runtime: backend_name must hold {{ nodes }}
cp "$T/good.tmpl" "$T/haproxy.tmpl"
sed 's/^backend_name = haproxynode/backend_name = web/' "$T/ep2.conf" \
    > "$T/web.conf"
"$EP2D" -n -f "$T/web.conf" > "$T/out" 2>&1
[ $? -eq 1 ] && grep -q "haproxy.tmpl:$(nodes_line): {{ nodes }} is not in \"backend web\"" "$T/out"
ok $? "a backend_name that the template lacks is refused (runtime mode)"
[ $? -eq 0 ] || diag "$(cat "$T/out")"
sed -e 's/^backend_name = haproxynode/backend_name = web/' \
    -e 's/^update_type = .*/update_type = update_by_config/' "$T/ep2.conf" \
    > "$T/web.conf"
"$EP2D" -n -f "$T/web.conf" > "$T/out" 2>&1
ok $? "update_by_config does not use backend_name: accepted, as by EP2"

# a runtime socket the template does not declare: a warning
sed "s|^haproxy_socket_file = .*|haproxy_socket_file = $T/other.sock|" \
    "$T/ep2.conf" > "$T/sock.conf"
"$EP2D" -n -f "$T/sock.conf" > "$T/out" 2>&1
[ $? -eq 0 ] && grep -q "no \"stats socket $T/other.sock\" in the template" "$T/out"
ok $? "haproxy_socket_file not in the template: a warning"

# -r: the rendered haproxy.cfg on standard output
"$EP2D" -r -f "$T/ep2.conf" > "$T/rendered" 2> "$T/out"
[ $? -eq 0 ] && grep -q "^configuration OK$" "$T/out" &&
    grep -q "^    server node1 10.0.0.1:8080 check disabled$" "$T/rendered" &&
    grep -q "^    server node4 10.0.0.1:8080 check disabled$" "$T/rendered" &&
    ! grep -q "{{" "$T/rendered" && grep -q "^backend haproxynode" "$T/rendered"
ok $? "-r prints haproxy.cfg as the start renders it (4 free slots)"
"$HAPROXY" -c -f "$T/rendered" > /dev/null 2>&1
ok $? "and that file passes haproxy -c"
[ ! -e "$T/haproxy.cfg" ]
ok $? "-r does not write haproxy.cfg"

# next to a running ep2d: no lock taken, nothing it runs touched
ep2d_start
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "ep2d runs"
hp=$(haproxy_pid)
cp "$T/haproxy.cfg" "$T/cfg.before"
"$EP2D" -n -f "$T/ep2.conf" > "$T/out" 2>&1
ok $? "-n passes while ep2d runs with the same configuration"
cmp -s "$T/haproxy.cfg" "$T/cfg.before" && [ "$(haproxy_pid)" = "$hp" ] &&
    hap_has 127.0.0.1:$B1 &&
    ctl_status_is "s[0]['source_ok'] and s[0]['servers'] == 1 and
    s[0]['haproxy_pid'] == $hp"
ok $? "haproxy.cfg, HAProxy and ep2d untouched (ep2d answers, same state)"
"$EP2D" -r -f "$T/ep2.conf" 2>/dev/null | grep -q "server node1 10.0.0.1:8080"
ok $? "-r renders the start's set (no server), not the running one"

done_testing
