#!/bin/sh
# EP2 migration: an empty answer from the orchestrator.  By default it
# empties the backend (and at start HAProxy runs with no server); with
# [haproxy] keep_on_empty = yes, as EP2 did, the servers stay, and at
# start ep2d waits for servers before it starts or reloads HAProxy.
# For the file orchestrator and for Consul.  Also: a Consul answer with
# no X-Consul-KnownLeader header (HashiCorp's API double) is taken,
# and said once; "false" still means no leader.
# Ports 26060-26079.
PORT_BASE=26060
. "$(dirname "$0")/lib.sh"
t_init

B1=26062 B2=26063 B3=26064
backends $B1 $B2 $B3
ok $? "three backends answer"
write_template

hap_none() {
	[ -z "$(hap_live)" ]
}

# 1. file, default: an empty file empties the backend
write_conf
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
ep2d_start
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "file: two servers"
: > "$T/servers"
wait_for 10 hap_none
ok $? "file, keep_on_empty unset: an empty file empties the backend"
kill "$EP2D_PID"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
EP2D_PID=
kill "$(haproxy_pid)"
wait_for 10 sh -c "! kill -0 $(haproxy_pid) 2>/dev/null"
rm -f "$T/haproxy.pid" "$T/haproxy.cfg"

# 2. file, keep_on_empty = yes: at start, an empty file starts nothing
write_conf "keep_on_empty = yes"
: > "$T/servers"
ep2d_start
wait_for 10 log_has "waiting for servers before HAProxy is started"
ok $? "file, keep_on_empty: an empty first answer is said"
[ ! -e "$T/haproxy.pid" ] && [ ! -e "$T/haproxy.cfg" ] &&
    ctl_status_is "s[0]['source_ok'] and s[0]['servers'] == 0 and
    s[0]['last_apply'] is None and s[0]['haproxy_pid'] is None"
ok $? "and HAProxy is not started; ep2d waits (show status: no apply yet)"
[ $? -eq 0 ] || diag "$(cat "$T/status.json")"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "the first servers start HAProxy"
: > "$T/servers"
wait_for 10 log_has "keeping its 2 servers (keep_on_empty)"
ok $? "an empty file later: said"
grep -q "no servers: the servers stay (keep_on_empty)" "$T/ep2d.out"
ok $? "the fetcher says the servers stay, not that the backend empties"
hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "and the servers stay"
echo "127.0.0.1:$B3" > "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B3
ok $? "the next non-empty set applies"
: > "$T/servers"
wait_for 10 sh -c "[ \$(grep -c 'keeping its' '$T/ep2d.out') -ge 2 ]"
# the log's flood guard counts an identical line instead of writing it
# again: the fetch time says the second empty answer was read
last_fetch() {
	"$EP2CTL" -s "$CTL" -j show status | python3 -c \
	    'import json, sys; print(json.load(sys.stdin)["status"][0]["last_fetch"])'
}
fetched_after() {
	[ "$(last_fetch)" -gt "$1" ]
}
# a control answer lost under load must not leave lf empty: then no
# later fetch could be "after" it
lf= i=0
while ! [ "$lf" -gt 0 ] 2>/dev/null && [ $i -lt 100 ]; do
	lf=$(last_fetch 2>/dev/null)
	[ "$lf" -gt 0 ] 2>/dev/null || sleep 0.05
	i=$((i + 1))
done
wait_for 5 sh -c "[ \$(date +%s) -gt ${lf:-0} ]"
echo "" > "$T/servers"
wait_for 10 fetched_after "$lf"
ok $? "another empty answer is read (last fetch after ${lf:-nothing})"
if [ $? -ne 0 ]; then
	# said once when it failed: what the parent has now and its log
	diag "last_fetch now: $(last_fetch 2>&1); date: $(date +%s)"
	diag "$(tail -n 15 "$T/ep2d.out")"
fi
[ "$(grep -c 'keeping its' "$T/ep2d.out")" -eq 2 ] && hap_has 127.0.0.1:$B3
ok $? "one parent line per empty spell, not one per answer; servers stay"
kill "$EP2D_PID"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
EP2D_PID=

# 3. Consul, keep_on_empty = yes
. "$TOP/regress/consul-lib.sh"
fake_consul_start
ok $? "fake Consul answers"
consul_register web1 127.0.0.1 $B1
consul_register web2 127.0.0.1 $B2
HAPROXY_EXTRA="keep_on_empty = yes" consul_conf
ep2d_start
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "consul: two instances"
consul_deregister web1
wait_for 10 hap_has 127.0.0.1:$B2
consul_deregister web2
wait_for 10 log_has "has no passing instance: the servers stay (keep_on_empty)"
ok $? "consul: no instance left, the fetcher says the servers stay"
wait_for 5 sh -c "grep -c 'keeping its 1 server (keep_on_empty)' '$T/ep2d.out' | grep -q '^1$'"
ok $? "consul: the parent keeps the last server"
hap_has 127.0.0.1:$B2
ok $? "consul: it is still in HAProxy"
consul_register web3 127.0.0.1 $B3
wait_for 10 hap_has 127.0.0.1:$B3
ok $? "consul: a new instance applies"

# 4. no X-Consul-KnownLeader header: taken, said once
consul_mode noleaderheader
consul_register web1 127.0.0.1 $B1
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B3
ok $? "an answer without X-Consul-KnownLeader is taken"
consul_register web2 127.0.0.1 $B2
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "and the next one"
[ "$(grep -c 'no X-Consul-KnownLeader header' "$T/ep2d.out")" -eq 1 ]
ok $? "said once"
! grep -q "Consul knows no leader" "$T/ep2d.out"
ok $? "not reported as no leader"
consul_mode noleader
wait_for 10 log_has "Consul knows no leader (X-Consul-KnownLeader: false)"
ok $? "an explicit false is still no leader"
hap_has 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "and the servers stay"

done_testing
