#!/bin/sh
# Log floods: 2,000 hostile Consul instances registered one after the
# other make one line per answer (the count and the first few), not one
# per instance and answer; the same answer again is not logged again;
# the good instances apply meanwhile.  The daemon's own bound (100
# lines at once, then 5 a second, per process) is in unit-log.t.
# Ports 29140-29159.
PORT_BASE=29140
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"

B1=29142 B2=29143
BACKEND_PORT=$B1
backends $B1 $B2
fake_consul_start
ok $? "fake Consul answers"
consul_register web1 127.0.0.1 $B1
write_template
consul_conf
ep2d_start
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "bootstrap: the good instance is in HAProxy"

lines0=$(wc -l < "$T/ep2.log")
t0=$(date +%s)
python3 - "$CONSUL_PORT" <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for i in range(2000):
    body = json.dumps({"ID": "evil%d" % i, "Name": "web", "Port": 80,
                       "Address": "10.0.0.1;evil%d" % i})
    c.request("PUT", "/v1/agent/service/register", body)
    c.getresponse().read()
PY
ok $? "2000 hostile instances registered"
consul_register web2 127.0.0.1 $B2
wait_for 30 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "the good instances apply meanwhile"
# Past its burst the guard lets 5 lines a second through, and answers
# of a churning service come 20 a second: the ones with all 2000 (the
# flood's last, web2's) may have been held back (seen in the fresh-root
# run, slower).  The latest line held back is said once the rate
# allows (log-held.t), with no further answer.
wait_for 30 grep -q "consul: 2000 instances refused (first: instance evil" \
    "$T/ep2.log"
ok $? "one line per answer: the count and the first ones"
grep -m1 "consul: 2000 instances refused" "$T/ep2.log" | cut -c1-200 |
    sed 's/^/# /'
n=$(( $(wc -l < "$T/ep2.log") - lines0 ))
# each answer is one line; answers come as fast as Consul changes, so
# the guard's bound holds them: 100 at once, then 5 a second and as
# many lines of counts, and a few lines of the other processes
t=$(( $(date +%s) - t0 + 1 ))
[ "$n" -le $((120 + 10 * t)) ]
ok $? "2000 hostile instances, answered over and over for $t s: $n lines (at most $((120 + 10 * t)))"
[ "$(grep -c 'evil1999' "$T/ep2.log")" -eq 0 ]
ok $? "instances past the first few are counted, not named"

done_testing
