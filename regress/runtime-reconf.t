#!/bin/sh
# update_by_runtime and SIGHUP: a change of the file's own text (the
# template, node_slots, check_interval) cannot go over the socket: ep2d
# renders, validates and reloads; a SIGHUP that changes nothing of it
# reloads nothing, and one read while the last one's reload is in
# flight is not lost.  Ports 24160-24179.
PORT_BASE=24160
. "$(dirname "$0")/lib.sh"
t_init

B1=24161 B2=24162
backends $B1 $B2
write_template
UPDATE_TYPE=update_by_runtime NODE_SLOTS=4 write_conf "check_interval = 200ms"
echo "127.0.0.1:$B1" > "$T/servers"
ep2d_start
wait_for 15 hap_ready 127.0.0.1:$B1
ok $? "bootstrap in runtime mode"
hp=$(haproxy_pid)

echo "127.0.0.1:$B1
127.0.0.1:$B2" > "$T/servers"
wait_for 15 hap_ready 127.0.0.1:$B2
ok $? "scale-out at runtime"
[ "$(haproxy_pid)" = "$hp" ]
ok $? "without a reload"

kill -HUP "$EP2D_PID"
wait_for 10 sh -c "[ \$(grep -c 'configuration reloaded' '$T/ep2d.out') -ge 1 ]"
ok $? "SIGHUP with nothing changed"
n=0
while [ $n -lt 10 ] && [ "$(haproxy_pid)" = "$hp" ]; do
	hap "show info" >/dev/null
	n=$((n + 1))
done
[ "$(haproxy_pid)" = "$hp" ] && ! grep -q "haproxy reloaded" "$T/ep2d.out"
ok $? "reloads nothing"

sed -i 's/^    timeout server 30s$/    timeout server 31s/' "$T/haproxy.tmpl"
grep -q "timeout server 31s" "$T/haproxy.tmpl"
ok $? "template edited"
kill -HUP "$EP2D_PID"
wait_for 15 grep -q "timeout server 31s" "$T/haproxy.cfg"
ok $? "the new template is rendered into haproxy.cfg"
wait_for 15 sh -c "[ \"\$(head -n 1 '$T/haproxy.pid')\" != '$hp' ]"
ok $? "and HAProxy is reloaded with it"
wait_for 15 hap_ready 127.0.0.1:$B1 && wait_for 15 hap_ready 127.0.0.1:$B2
ok $? "with both servers still in"
hp=$(haproxy_pid)

sed -i 's/^node_slots = 4$/node_slots = 8/' "$T/ep2.conf"
kill -HUP "$EP2D_PID"
wait_for 15 sh -c "[ \$(grep -c '^ *server ' '$T/haproxy.cfg') -ge 8 ]"
ok $? "node_slots raised: haproxy.cfg has the new slots"
wait_for 15 sh -c "[ \"\$(head -n 1 '$T/haproxy.pid')\" != '$hp' ]"
ok $? "and HAProxy is reloaded with them"
n=$(hap "show stat" | awk -F, '$1 == "haproxynode" && $2 != "BACKEND"' | wc -l)
[ "$n" -ge 8 ]
ok $? "HAProxy runs $n slots"

# A SIGHUP that lands while the last one's reload is still in flight:
# its own change needs a reload too, and gets one when that apply ends.
# The reloader is stopped (SIGSTOP) before the first SIGHUP, so that
# its check waits in the reloader's channel until the test lets it go.
rl=$(ep2d_pids reloader)
[ -n "$rl" ] && kill -STOP $rl
ok $? "the reloader is held"
said=$(grep -c 'configuration reloaded' "$T/ep2d.out")
sed -i 's/^    timeout server 31s$/    timeout server 32s/' "$T/haproxy.tmpl"
kill -HUP "$EP2D_PID"
wait_for 15 grep -q "timeout server 32s" "$T/haproxy.cfg.new"
ok $? "a SIGHUP's new haproxy.cfg waits for its check"
sed -i 's/^node_slots = 8$/node_slots = 12/' "$T/ep2.conf"
kill -HUP "$EP2D_PID"
wait_for 10 sh -c "[ \$(grep -c 'configuration reloaded' '$T/ep2d.out') -ge $((said + 2)) ]"
ok $? "a second SIGHUP (node_slots 12), read while the first one's check waits"
kill -CONT $rl
slots() {
	[ "$(hap "show stat" | awk -F, '$1 == "haproxynode" &&
	    $2 != "BACKEND"' | wc -l)" -ge 12 ]
}
wait_for 15 slots
ok $? "HAProxy is reloaded with the second SIGHUP's 12 slots"
grep -q "timeout server 32s" "$T/haproxy.cfg"
ok $? "and the first one's template"
wait_for 15 hap_ready 127.0.0.1:$B1 && wait_for 15 hap_ready 127.0.0.1:$B2
ok $? "with both servers still in"

done_testing
