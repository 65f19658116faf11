#!/bin/sh
# The Consul token: sent as X-Consul-Token (the fake's ACLs check it),
# never in the URL, never in a log or haproxy.cfg; a wrong token (403
# "ACL not found") keeps the servers; CONSUL_HTTP_TOKEN and
# CONSUL_HTTP_ADDR are honoured as Consul's tools do.
# Ports 22060-22079.
PORT_BASE=22060
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"

TOKEN=4f3c2b1a-9e8d-7c6b-5a49-ep2dsecret01
B1=22062 B2=22063
backends $B1 $B2
ok $? "two backends answer"
fake_consul_start --token "$TOKEN"
ok $? "fake Consul with ACLs answers"
CONSUL_TOKEN=$TOKEN consul_register web1 127.0.0.1 $B1
ok $? "registered with the token"
write_template
consul_conf "token = $TOKEN"
ep2d_start -v

wait_for 10 hap_has 127.0.0.1:$B1
ok $? "with the token in ep2.conf the instance arrives"
consul_log | grep -q '"token": "ok"' &&
    ! consul_log | grep -v -q '"token": "ok"'
ok $? "every query carried the right X-Consul-Token header"
! consul_log | grep -q "$TOKEN"
ok $? "the token is never in a URL"
CONSUL_TOKEN=$TOKEN consul_register web2 127.0.0.1 $B2
wait_for 2 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "blocking queries with the token follow changes"

# a wrong token: 403 ACL not found; the servers stay
consul_conf "token = wrong-token-0000"
kill -HUP "$EP2D_PID"
wait_for 5 log_has "HTTP status 403: ACL not found"
ok $? "a wrong token: 403 ACL not found, logged"
hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "a wrong token keeps the servers"
consul_conf "token = $TOKEN"
kill -HUP "$EP2D_PID"
wait_for 5 log_has "answering again"
ok $? "the right token again: recovery"

! grep -q "$TOKEN" "$T/ep2d.out" "$T/ep2.log" "$T/haproxy.cfg"
ok $? "the token is in no log and not in haproxy.cfg"
kill "$EP2D_PID"
wait_for 5 sh -c "! kill -0 $EP2D_PID"
ok $? "ep2d stopped"

# no token key, no address keys: CONSUL_HTTP_TOKEN and CONSUL_HTTP_ADDR
ep2_conf "update_type = update_by_runtime" "node_slots = 4" \
    "orchestrator = consul" "sleep_before_next_run = 60" \
    "[CONSUL]" "service_name = web"
curl -sf -X POST http://127.0.0.1:$CONSUL_PORT/_fake/reset-log >/dev/null
CONSUL_TOKEN=$TOKEN consul_deregister web2
CONSUL_HTTP_TOKEN=$TOKEN CONSUL_HTTP_ADDR=http://127.0.0.1:$CONSUL_PORT \
    ep2d_start -v
wait_for 10 sh -c "curl -sf http://127.0.0.1:$CONSUL_PORT/_fake/log | grep -q '\"token\": \"ok\"'"
ok $? "CONSUL_HTTP_ADDR and CONSUL_HTTP_TOKEN: the query reached Consul with the token"
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "and its answer applies"
! grep -q "$TOKEN" "$T/ep2d.out" "$T/ep2.log"
ok $? "the token from the environment is in no log"
log_has "with a token"
ok $? "the log says a token is used, not which"

done_testing
