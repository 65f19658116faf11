#!/bin/sh
# update_by_runtime: a command HAProxy refuses (here: the stats socket
# is at level operator, "set server" answers "Permission denied") is
# noticed, logged, and ep2d falls back to a validated reload that brings
# the servers anyway.
# Ports 24140-24159.
PORT_BASE=24140
. "$(dirname "$0")/lib.sh"
t_init

B1=24141 B2=24142

backends $B1 $B2
ok $? "backends answer"
write_template
sed -i 's/level admin/level operator/' "$T/haproxy.tmpl"
UPDATE_TYPE=update_by_runtime NODE_SLOTS=4 write_conf "check_interval = 200ms"
printf '127.0.0.1:%s\n' $B1 > "$T/servers"
ep2d_start -v
wait_for 10 hap_up 127.0.0.1:$B1
ok $? "bootstrap"
pid1=$(haproxy_pid)

printf '127.0.0.1:%s\n' $B2 >> "$T/servers"
wait_for 10 log_has "Permission denied"
ok $? "the refused command and its answer are in the log"
log_has "falling back to a validated reload"
ok $? "ep2d falls back to a reload"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "the new server runs after the reload"
[ "$(haproxy_pid)" != "$pid1" ]
ok $? "HAProxy was reloaded"
wait_for 10 grep -q "server node2 127.0.0.1:$B2 check" "$T/haproxy.cfg"
ok $? "haproxy.cfg holds it"

done_testing
