#!/bin/sh
# The Consul source with the fake agent and the real HAProxy: a
# registered instance appears and takes traffic; scale-out arrives
# through a blocking query well before sleep_before_next_run (60 s);
# deregistration and failing health (only_passing) take it out; Service
# Port 0 means backend_port; hostile addresses are skipped while the
# valid instances apply; an empty service empties the backend.
# Ports 22000-22019.
PORT_BASE=22000
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"

B1=22002 B2=22003 B3=22004 BP=22005
BACKEND_PORT=$BP
backends $B1 $B2 $B3 $BP
ok $? "four backends answer"
fake_consul_start
ok $? "fake Consul answers"

consul_register web1 127.0.0.1 $B1
SERVICE=other consul_register other1 127.0.0.1 22006
write_template
consul_conf
ep2d_start -v

wait_for 10 hap_has 127.0.0.1:$B1
ok $? "bootstrap: the registered instance is in HAProxy"
wait_for 10 hap_up 127.0.0.1:$B1
a=$(answers 3)
[ "$a" = "b$B1 " ]
ok $? "it takes the traffic ($a)"
consul_log | head -n 1 | grep -q '"query": "passing"'
ok $? "first query: /v1/health/service/web?passing, no index"

wait_for 5 consul_blocked
ok $? "then ep2d waits in a blocking query"
consul_log | tail -n 1 | grep -Eq '"query": "passing&index=[0-9]+&wait=[0-9]+ms"'
ok $? "the query carries index= and wait= after the first answer"
diag "$(consul_log | tail -n 1)"

# scale-out: a blocking query brings it well before the 60 s poll
consul_register web2 127.0.0.1 $B2
wait_for 2 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "scale-out reaches HAProxy within 2 s (sleep_before_next_run 60)"
wait_for 10 hap_up 127.0.0.1:$B2
wait_for 10 sh -c "curl -s http://127.0.0.1:$FE_PORT/ http://127.0.0.1:$FE_PORT/ http://127.0.0.1:$FE_PORT/ | grep -q b$B2"
ok $? "the new instance takes traffic"

# failing health: only_passing (the default) takes it out
consul_check fail web2
wait_for 2 hap_has 127.0.0.1:$B1
ok $? "an instance whose check fails leaves (only_passing)"
consul_check pass web2
wait_for 2 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "it is back when the check passes"
consul_check warn web2
wait_for 2 hap_has 127.0.0.1:$B1
ok $? "a warning check is not passing either"
consul_check pass web2

# scale-in
wait_for 2 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
consul_deregister web1
wait_for 2 hap_has 127.0.0.1:$B2
ok $? "a deregistered instance leaves"

# Service.Port 0: backend_port; Service.Address empty: Node.Address
consul_register_json "{\"ID\": \"web3\", \"Name\": \"web\", \"Address\": \"\",
    \"Port\": 0, \"NodeAddress\": \"127.0.0.1\"}"
wait_for 2 hap_has 127.0.0.1:$B2 127.0.0.1:$BP
ok $? "Port 0 and no Service.Address: Node.Address and backend_port"
consul_deregister web3

# hostile addresses: skipped with a warning naming the instance
consul_register_json '{"ID": "evil-nl", "Name": "web", "Port": 80,
    "Address": "10.0.0.1\n    server evil 127.0.0.1:80"}'
consul_register_json '{"ID": "evil-semi", "Name": "web", "Port": 80,
    "Address": "127.0.0.1;shutdown sessions server haproxynode/node1"}'
consul_register_json '{"ID": "evil-space", "Name": "web", "Port": 80,
    "Address": "127.0.0.1 backup"}'
consul_register web4 127.0.0.1 $B3
wait_for 2 hap_has 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "hostile instances skipped, the valid ones apply"
log_has "instance evil-nl" && log_has "instance evil-semi" &&
    log_has "instance evil-space"
ok $? "each hostile instance is named in the log"
! grep -Eq "evil|shutdown|backup" "$T/haproxy.cfg"
ok $? "no hostile text in haproxy.cfg"
hap "show servers state haproxynode" > "$T/state.txt"
! grep -Eq "evil|shutdown|backup" "$T/state.txt"
ok $? "no hostile text in HAProxy's servers"
for i in evil-nl evil-semi evil-space web4; do consul_deregister $i; done
wait_for 2 hap_has 127.0.0.1:$B2
ok $? "they leave together"

# the other service's instance never came
! hap_live | grep -q ":22006\$"
ok $? "instances of another service are not taken"

# empty: the truth, applied, with a warning
consul_deregister web2
wait_for 2 hap_empty
ok $? "no instance left: the backend is emptied"
log_has "has no passing instance"
ok $? "an empty service is logged as a warning"
consul_register web1 127.0.0.1 $B1
wait_for 2 hap_has 127.0.0.1:$B1
ok $? "and an instance registered again comes back"

# nothing changes: a quiet ep2d waits in one query
n1=$(consul_nqueries)
wait_for 5 consul_blocked
sleep 1
n2=$(consul_nqueries)
[ $((n2 - n1)) -le 1 ]
ok $? "idle: at most one query per quiet second ($n1 -> $n2)"

# after the quiet time ep2d still answers, and follows a change at once
ctl_status_is "s[0]['source_ok'] and s[0]['servers'] == 1"
ok $? "ep2ctl show status after the quiet time: source ok, one server"
consul_register web2 127.0.0.1 $B2
wait_for 2 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "and a change after the quiet time arrives at once"
done_testing
