#!/bin/sh
# Consul failing never changes the backend: HTTP 500, a closed
# connection, garbage, JSON of the wrong shape, no known leader, no
# index, results hidden by ACLs, a body over max_response_size, and
# Consul down altogether all keep the last good servers; ep2d recovers
# when Consul does, logging the first failure and the recovery once.
# An index going backwards starts the blocking loop over.
# Ports 22040-22059.
PORT_BASE=22040
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"

B1=22042 B2=22043 B3=22044
backends $B1 $B2 $B3
ok $? "three backends answer"
fake_consul_start
ok $? "fake Consul answers"
consul_register web1 127.0.0.1 $B1
consul_register web2 127.0.0.1 $B2
write_template
consul_conf "max_response_size = 64K"
ep2d_start -v
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "bootstrap with two instances"

nrecovered() {
	grep -c "answering again" "$T/ep2d.out"
}

# fail_mode MODE LOG-TEXT [JSON]: Consul misbehaves; ep2d must see it
# (LOG-TEXT in its log), keep both servers, and recover
fail_mode() {
	_r=$(nrecovered)
	_n=$(grep -c -- "$2" "$T/ep2d.out")
	consul_mode "$1" "${3:-}"
	wait_for 5 sh -c "[ \$(grep -c -- '$2' '$T/ep2d.out') -gt $_n ]"
	ok $? "$1: ep2d sees the failure ($2)"
	hap_has 127.0.0.1:$B1 127.0.0.1:$B2
	ok $? "$1: the servers stay"
	consul_mode ok
	wait_for 5 sh -c "[ \$(grep -c 'answering again' '$T/ep2d.out') -gt $_r ]"
	ok $? "$1: recovery when Consul answers again"
}

fail_mode 500 "HTTP status 500: rpc error making call: No cluster leader"
fail_mode close "Empty reply from server"
fail_mode garbage "bad answer: not JSON"
fail_mode notarray "bad answer: not a JSON array"
fail_mode noleader "Consul knows no leader"
fail_mode noindex "no valid X-Consul-Index"
fail_mode filtered "X-Consul-Results-Filtered-By-ACLs"
fail_mode pad "response body larger than 65536 bytes" ', "pad": 100000'
status=$(ctl_status)
echo "$status" | grep -q "source.*ok"
ok $? "ep2ctl show status: source ok after recovery"
[ -n "$status" ] && diag "$status"

# a change while Consul fails waits for it to answer again
consul_mode 500
wait_for 5 sh -c "ep2ctl_out=\$('$EP2CTL' -s '$CTL' show status 2>&1); echo \"\$ep2ctl_out\" | grep -q 'failing since'"
ok $? "ep2ctl show status: failing since ..."
ctl_status | grep -q "HTTP status 500"
ok $? "ep2ctl show status: the last error"
consul_deregister web1
consul_register web3 127.0.0.1 $B3
# ep2d retries meanwhile, answered 500 each time
n=$(consul_nqueries)
wait_for 10 sh -c "[ \$(curl -sf $CONSUL_URL/_fake/log | wc -l) -ge $((n + 2)) ]"
ok $? "ep2d retries"
hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "no change while Consul answers 500"
consul_mode ok
wait_for 10 hap_has 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "the change applies when Consul answers again"

# Consul down: connection refused, then back with the same state
n_first=$(grep -c "the last servers stay, retrying" "$T/ep2d.out")
fake_consul_stop
wait_for 5 log_has "Connection refused"
ok $? "Consul down: connection refused seen"
# several retries, each refused
s=$(grep -c "still failing" "$T/ep2d.out")
wait_for 10 sh -c "[ \$(grep -c 'still failing' '$T/ep2d.out') -ge $((s + 2)) ]"
ok $? "Consul down: ep2d retries"
hap_has 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "Consul down: the servers stay"
[ "$(grep -c "the last servers stay, retrying" "$T/ep2d.out")" -eq \
    $((n_first + 1)) ]
ok $? "the failure is logged once, not at each retry"
r=$(nrecovered)
fake_consul_start
ok $? "Consul back"
wait_for 10 sh -c "[ \$(grep -c 'answering again' '$T/ep2d.out') -gt $r ]"
ok $? "ep2d recovers (within the backoff)"
consul_register web1 127.0.0.1 $B1
wait_for 2 hap_has 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "and follows changes at once again"

# index going backwards: start over from 0 (block on 1), then follow
wait_for 5 consul_blocked
consul_set_index 5
wait_for 5 log_has "X-Consul-Index went backwards to 5"
ok $? "an index going backwards is noticed"
wait_for 5 sh -c "curl -sf http://127.0.0.1:$CONSUL_PORT/_fake/log | grep -q 'index=1&'"
ok $? "the next query blocks on index 1, not on the old index"
wait_for 5 sh -c "curl -sf http://127.0.0.1:$CONSUL_PORT/_fake/log | grep -q 'index=5&'"
ok $? "then on the new index"
consul_deregister web3
wait_for 2 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "a change after the reset arrives at once"

! grep -q "fatal\|lost child" "$T/ep2d.out"
ok $? "no process lost"
ctl_status_is "s[0]['source_ok'] and s[0]['failing_since'] is None and
    s[0]['servers'] == 2 and s[0]['source_error'] is None"
ok $? "after all that, ep2ctl show status: source ok, two servers, no error"
done_testing
