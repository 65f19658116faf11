#!/bin/sh
# update_by_config with the file orchestrator and the real HAProxy:
# servers added to and removed from the file reach HAProxy through a
# validated hitless reload; hostile lines never reach haproxy.cfg; a
# config that fails haproxy -c is refused and the old one kept.
# Ports 25000-25019.
PORT_BASE=25000
. "$(dirname "$0")/lib.sh"
t_init

B1=25001 B2=25002 B3=25003
backends $B1 $B2 $B3
ok $? "three backends answer"

write_template
write_conf "check_interval = 200ms"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
ep2d_start -v

wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "bootstrap: HAProxy started with the two servers of the file"
grep -q "server node1 127.0.0.1:$B1 check inter 200ms" "$T/haproxy.cfg"
ok $? "server lines in EP2's format"
wait_for 10 hap_up 127.0.0.1:$B2
a=$(answers 6)
[ "$a" = "b$B1 b$B2 " ]
ok $? "traffic reaches both servers ($a)"

pid1=$(haproxy_pid)
echo "127.0.0.1:$B3" >> "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "a server added to the file appears in show stat"
wait_for 10 hap_up 127.0.0.1:$B3
wait_for 10 sh -c "curl -s http://127.0.0.1:$FE_PORT/ http://127.0.0.1:$FE_PORT/ http://127.0.0.1:$FE_PORT/ | grep -q b$B3"
ok $? "the new server receives traffic"
[ "$(haproxy_pid)" != "$pid1" ]
ok $? "config mode reloads HAProxy (new master pid)"

# replace the file by rename, one server fewer
n0=$(grep -c "haproxy reloaded" "$T/ep2d.out")
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B3 > "$T/servers.tmp"
mv "$T/servers.tmp" "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B3
ok $? "a server removed (file replaced by rename) leaves"
# the new HAProxy may serve before ep2d logs its reload: the counts
# below start after that line
wait_for 10 sh -c "[ \$(grep -c 'haproxy reloaded' '$T/ep2d.out') -gt $n0 ]"

# nothing changed: nothing written, nothing reloaded
sum1=$(md5sum < "$T/haproxy.cfg")
pid2=$(haproxy_pid)
n1=$(grep -c "haproxy reloaded" "$T/ep2d.out")
c1=$(grep -c "no change" "$T/ep2d.out")
cp "$T/servers" "$T/servers.tmp" && mv "$T/servers.tmp" "$T/servers"
wait_for 10 sh -c "[ \$(grep -c 'no change' '$T/ep2d.out') -gt $c1 ]"
ok $? "the fetcher saw the rewritten file"
[ "$(md5sum < "$T/haproxy.cfg")" = "$sum1" ] &&
    [ "$(haproxy_pid)" = "$pid2" ] &&
    [ "$(grep -c "haproxy reloaded" "$T/ep2d.out")" = "$n1" ]
ok $? "same servers again: haproxy.cfg and HAProxy untouched"

# hostile lines are refused, the valid ones apply
cat > "$T/servers" <<HOSTILE
127.0.0.1:$B1
127.0.0.1:$B2 # a comment
10.0.0.1
    server evil 127.0.0.1:$B3
127.0.0.1;shutdown sessions server haproxynode/node1
127.0.0.1 backup
"127.0.0.1"
127.0.0.1:0
127.0.0.1:70000
HOSTILE
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2 10.0.0.1:6003
ok $? "valid entries of a file with hostile lines apply"
! grep -Eq "evil|shutdown|backup|\"|:0\$|70000" "$T/haproxy.cfg"
ok $? "no hostile text in haproxy.cfg"
grep -q "server evil" "$T/ep2d.out" || grep -q "not an IP address" "$T/ep2d.out"
ok $? "hostile entries are named in the log"

# a template haproxy -c refuses: the old config stays, HAProxy untouched
printf '127.0.0.1:%s\n' $B1 > "$T/servers.good"
cp "$T/haproxy.cfg" "$T/haproxy.cfg.before"
pid3=$(haproxy_pid)
sed -i 's/option httpchk GET \//option httpchk GET \/\n    bogus_keyword on/' "$T/haproxy.tmpl"
kill -HUP $EP2D_PID
wait_for 10 log_has "refused by haproxy -c"
ok $? "a template that fails haproxy -c is refused"
grep "refused by haproxy -c" "$T/ep2d.out" | grep -q "unknown keyword 'bogus_keyword'" &&
    ! grep "refused by haproxy -c" "$T/ep2d.out" | grep -q NOTICE
ok $? "the log line gives haproxy's reason, on one line"
cmp -s "$T/haproxy.cfg" "$T/haproxy.cfg.before" && [ "$(haproxy_pid)" = "$pid3" ]
ok $? "the old haproxy.cfg is kept and HAProxy is untouched"
[ ! -e "$T/haproxy.cfg.new" ]
ok $? "the refused file is removed"
wait_for 5 ctl_status_is "not s[0]['apply_ok'] and
    'bogus_keyword' in s[0]['apply_error']"
ok $? "ep2d answers; show status says the apply failed, with haproxy's reason"
[ $? -eq 0 ] || diag "$(cat "$T/status.json")"

# a template with a syntax error is refused at SIGHUP
write_template
printf '{{ nodes }\n' >> "$T/haproxy.tmpl"
kill -HUP $EP2D_PID
wait_for 10 log_has "new template refused"
ok $? "a broken template is refused on SIGHUP"

# fixing it lets the next change through
write_template
kill -HUP $EP2D_PID
cp "$T/servers.good" "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "a good template and a change apply again"

# the file disappears: the backend keeps its servers
rm -f "$T/servers"
wait_for 5 ctl_status_is "not s[0]['source_ok']" && hap_has 127.0.0.1:$B1
ok $? "a vanished servers file: the source fails, the backend stays as it was"

# a SIGHUP naming another haproxy_binary: said, and HAProxy is still
# reloaded with the one ep2d started with (the runner may run only it)
sed -i "s|^haproxy_binary = .*|haproxy_binary = /bin/sh|" "$T/ep2.conf"
kill -HUP $EP2D_PID
wait_for 10 log_has "haproxy_binary changed: restart ep2d to use it; $HAPROXY stays until then"
ok $? "SIGHUP with a new haproxy_binary: the log says it needs a restart"
pid4=$(haproxy_pid)
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "a change still applies"
exe=$(readlink -f "/proc/$(haproxy_pid)/exe")
[ "$(haproxy_pid)" != "$pid4" ] && [ "$exe" = "$(readlink -f "$HAPROXY")" ] &&
    ctl_status_is "s[0]['apply_ok'] and s[0]['apply_how'] == 'reload'"
ok $? "through a reload by the old binary (show status: reload ok)"

# a pid file with a line that is not a pid: said, the live pid used
pid5=$(haproxy_pid)
printf 'bogus\n%s\n' "$pid5" > "$T/haproxy.pid"
printf '127.0.0.1:%s\n' $B2 > "$T/servers"
wait_for 10 log_has 'ignoring "bogus": not a pid'
ok $? "a pid file line that is not a pid is named in the log"
wait_for 10 hap_has 127.0.0.1:$B2
ok $? "and the reload still happens (-sf with the live pid)"
wait_for 10 sh -c "! kill -0 $pid5 2>/dev/null"
ok $? "the old HAProxy leaves"

done_testing
