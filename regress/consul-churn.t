#!/bin/sh
# A churning service: each change ends the blocking query, and the
# token bucket (burst 2, then one query per 50 ms) turns the loop into
# polling instead of one query per change; when the churn stops the
# last state is applied.  Ports 22100-22119.
PORT_BASE=22100
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"

B1=22102 B2=22103
backends $B1 $B2
ok $? "two backends answer"
fake_consul_start
ok $? "fake Consul answers"
consul_register web1 127.0.0.1 $B1
write_template
consul_conf
ep2d_start -v
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "bootstrap"
wait_for 5 consul_blocked

# two seconds of churn, as fast as one kept-alive connection writes
# (forking curl for each change would be slower than ep2d's 20 queries
# a second on a loaded machine, and the test would measure the load)
n0=$(consul_nqueries)
start=$(date +%s.%N)
/usr/bin/python3 - "$CONSUL_PORT" "$B2" <<'PY'
import http.client, json, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
body = json.dumps({"ID": "churn", "Name": "web", "Address": "127.0.0.1",
                   "Port": int(sys.argv[2]), "Tags": []})
end = time.monotonic() + 2
while time.monotonic() < end:
    for path, data in (("/v1/agent/service/register", body),
                       ("/v1/agent/service/deregister/churn", "")):
        c.request("PUT", path, data)
        c.getresponse().read()
PY
end=$(date +%s.%N)
n1=$(consul_nqueries)
changes=$(( $(curl -sf "$CONSUL_URL/v1/health/service/web" -o /dev/null -D - | sed -n 's/^X-Consul-Index: *\([0-9]*\).*/\1/p' | tr -d '\r') - 1448 ))
q=$((n1 - n0))
limit=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%d", (e - s) * 20 + 6 }')
diag "$changes changes, $q queries in $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }') s (limit $limit)"
[ "$changes" -gt "$q" ]
ok $? "fewer queries than changes"
[ "$q" -le "$limit" ]
ok $? "at most 20 queries a second under churn"

consul_register web2 127.0.0.1 $B2
wait_for 2 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "after the churn the last state applies at once"
done_testing
