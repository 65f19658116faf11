#!/bin/sh
# Consul's Service.Weights reach HAProxy: Weights.Passing (10 in the
# fixture the fake answers from) as the server's weight, at runtime and
# in haproxy.cfg; a check in "warning" drains the instance (weight 0)
# with on_warning = drain and brings it back when it passes; with
# update_by_config and on_warning = passing it runs at Weights.Warning
# (1); with on_warning = remove it leaves.  Ports 29040-29059.
PORT_BASE=29040
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"

B1=29042 B2=29043
backends $B1 $B2
ok $? "two backends answer"
fake_consul_start
ok $? "fake Consul answers"

# hap_weight ADDR:PORT: haproxynode's weight for that server
hap_weight() {
	hap "show stat" | awk -F, -v a="$1" '$1 == "haproxynode" &&
	    $74 == a { print $19 }'
}
weight_is() {
	[ "$(hap_weight "$1")" = "$2" ]
}

consul_register web1 127.0.0.1 $B1
consul_register web2 127.0.0.1 $B2
write_template
HAPROXY_EXTRA="check_interval = 200ms" consul_conf "on_warning = drain"
ep2d_start -v

wait_for 15 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "runtime: both instances in HAProxy"
wait_for 10 weight_is 127.0.0.1:$B1 10
ok $? "Weights.Passing 10 is HAProxy's weight ($(hap_weight 127.0.0.1:$B1))"
grep -q "server node[12] 127.0.0.1:$B1 check inter 200ms weight 10" \
    "$T/haproxy.cfg"
ok $? "and haproxy.cfg says weight 10"
n0=$(grep -c "haproxy reloaded" "$T/ep2d.out")

consul_check warn web1
wait_for 10 weight_is 127.0.0.1:$B1 0
ok $? "warning, on_warning = drain: weight 0 at runtime"
hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "the instance stays in the backend"
weight_is 127.0.0.1:$B2 10
ok $? "the other one keeps weight 10"
wait_for 10 grep -q "127.0.0.1:$B1 check inter 200ms weight 0" \
    "$T/haproxy.cfg"
ok $? "haproxy.cfg follows (weight 0)"
consul_check pass web1
wait_for 10 weight_is 127.0.0.1:$B1 10
ok $? "passing again: weight 10"
[ "$(grep -c "haproxy reloaded" "$T/ep2d.out")" -eq "$n0" ]
ok $? "all of it without a reload"

# the weight lost behind ep2d's back is put back by the poll
hap "set server haproxynode/$(grep "127.0.0.1:$B2" "$T/haproxy.cfg" |
    awk '{ print $2 }') weight 3" >/dev/null
wait_for 10 weight_is 127.0.0.1:$B2 10
ok $? "a weight changed by hand is repaired"

kill $EP2D_PID
wait_for 5 sh -c "! kill -0 $EP2D_PID"
ok $? "ep2d stopped"

# update_by_config: warning at Weights.Warning
consul_check warn web1
UPDATE_TYPE=update_by_config consul_conf "on_warning = passing"
ep2d_start -v
wait_for 15 sh -c "grep -q 'server node1 127.0.0.1:$B1 check$' '$T/haproxy.cfg'"
ok $? "config: warning, on_warning = passing: Weights.Warning 1, HAProxy's default"
grep -q "server node2 127.0.0.1:$B2 check weight 10" "$T/haproxy.cfg"
ok $? "the passing one at weight 10"
wait_for 10 weight_is 127.0.0.1:$B1 1
ok $? "HAProxy runs it at weight 1"
consul_check pass web1
wait_for 10 grep -q "server node1 127.0.0.1:$B1 check weight 10" \
    "$T/haproxy.cfg"
ok $? "passing: weight 10 by a reload"
kill $EP2D_PID
wait_for 5 sh -c "! kill -0 $EP2D_PID"

# on_warning = remove, all instances otherwise (only_passing = no)
consul_check warn web1
UPDATE_TYPE=update_by_config consul_conf "on_warning = remove
only_passing = no"
ep2d_start -v
wait_for 15 hap_has 127.0.0.1:$B2
ok $? "on_warning = remove: the warning instance is left out"
consul_check pass web1
wait_for 15 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "and comes back when it passes"
consul_log | tail -n 1 | grep -vq '"query": "passing'
ok $? "without ?passing (only_passing = no)"

done_testing
