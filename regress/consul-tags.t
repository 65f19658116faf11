#!/bin/sh
# [CONSUL] tags, only_passing = no, datacenter and stale: the query
# carries one tag= per tag, dc= and stale, and no passing; an instance
# must carry every tag; with only_passing off a failing instance stays.
# Ports 22020-22039.
PORT_BASE=22020
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"

B1=22022 B2=22023 B3=22024 B4=22025
backends $B1 $B2 $B3 $B4
ok $? "four backends answer"
fake_consul_start
ok $? "fake Consul answers"
consul_register web1 127.0.0.1 $B1 blue,v2
consul_register web2 127.0.0.1 $B2 blue
consul_register web3 127.0.0.1 $B3 extra,v2,blue
consul_register web4 127.0.0.1 $B4 v2
write_template
consul_conf "tags = blue, v2
only_passing = no
datacenter = dc1
stale = yes"
ep2d_start -v

wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B3
ok $? "only the instances carrying every tag"
consul_log | head -n 1 | grep -q '"query": "tag=blue&tag=v2&dc=dc1&stale"'
ok $? "query: tag=blue&tag=v2&dc=dc1&stale, no passing"
diag "$(consul_log | head -n 1)"

consul_register web2 127.0.0.1 $B2 blue,v2
wait_for 2 hap_has 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "an instance given the missing tag joins"
consul_register web3 127.0.0.1 $B3 extra,blue
wait_for 2 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "an instance losing a tag leaves"

n=$(consul_nqueries)
consul_check fail web1
# the held query returns with the change and ep2d asks again
wait_for 2 sh -c "[ \$(curl -sf http://127.0.0.1:$CONSUL_PORT/_fake/log | wc -l) -gt $n ]"
ok $? "ep2d saw the check fail"
wait_for 2 consul_blocked
# the answer is the parent's (show status) and HAProxy's alike
ctl_status_is "s[0]['servers'] == 2" && hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "only_passing = no: a failing instance stays"
consul_log | grep -q passing
[ $? -ne 0 ]
ok $? "no query asked for passing"

ctl_status_is "s[0]['source_ok'] and s[0]['servers'] == 2"
ok $? "ep2ctl show status: source ok, the two servers"
consul_register web4 127.0.0.1 $B4 blue,v2
wait_for 2 hap_has 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B4
ok $? "and a change after the failing check still arrives at once"
done_testing
