#!/bin/sh
# The most backends ep2d takes (ep2d.h EP2D_MAX_BACKENDS: [haproxy] and
# 511 [backend NAME]), all in runtime mode on one fake Consul that
# closes a client past 10 connections (Consul's
# limits.http_max_conns_per_client, 200 by default): every backend gets
# its service's instance; ep2d holds a bounded number of connections
# to the agent whatever the backends (the watch's 2 blocking queries
# and 4 reads; 8 + 2 at most, consul-many.t's bound, for the start) and
# never gets the 429; a registration and a
# deregistration reach their backend alone; HAProxy's runtime socket
# never refuses a connection (EAGAIN: the backends take turns);
# ep2ctl's show status and show backends answer one row a backend, in
# text and JSON; one backend more is refused by ep2d -n with one line.
# The instances need not answer: a server is live (not MAINT) whatever
# its health check says.
# Ports 29280-29299.
PORT_BASE=29280
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"
. "$TOP/regress/multi-lib.sh"

N=512
MAXCONN=10
DEAD=$((PORT_BASE + 9))

fake_consul_start --max-conns-per-client $MAXCONN
ok $? "fake Consul answers, at most $MAXCONN connections a client"

# be K: haproxynode for 0, be_sK else; svc K: web, sK; K's instance
# 127.0.X.Y as bench/ep2bench.py numbers them
write_template
sections=""
k=1
while [ $k -lt $N ]; do
	cat >> "$T/haproxy.tmpl" <<TMPL

backend be_s$k
    balance roundrobin
    default-server inter 2s fall 1 rise 1
{{ nodes.s$k }}
TMPL
	sections="$sections
[backend s$k]
backend_name = be_s$k
orchestrator = consul
service_name = s$k"
	k=$((k + 1))
done
NODE_SLOTS=2
consul_conf "wait = 300s" "$sections"
"$EP2D" -n -f "$T/ep2.conf" > "$T/n.out" 2>&1
ok $? "ep2d -n: $N Consul backends"
[ $? -eq 0 ] || diag "$(head -n 5 "$T/n.out")"

# register K [INSTANCE]: one keep-alive connection, from 127.0.0.2 so
# that the fake counts it apart from ep2d
register() {
	python3 - "$CONSUL_PORT" "$DEAD" "$@" <<'PY'
import http.client, json, sys
port, dead = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                               source_address=("127.0.0.2", 0))
def addr(k, i):
    n = k * 2 + i + 1
    return "127.1.%d.%d" % (n // 250, n % 250 + 1)
def put(path, body=b""):
    c.request("PUT", path, body=body)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        raise SystemExit("PUT %s: %d" % (path, r.status))
args = sys.argv[3:]
if args[0] == "all":
    todo = [(k, 0) for k in range(int(args[1]))]
else:
    todo = [(int(args[0]), int(args[1]))]
for k, i in todo:
    svc = "web" if k == 0 else "s%d" % k
    put("/v1/agent/service/register", json.dumps({
        "ID": "%s-%d" % (svc, i), "Name": svc, "Address": addr(k, i),
        "Port": dead}).encode())
PY
}

# addr K I: instance I of backend K
addr() {
	_n=$(($1 * 2 + $2 + 1))
	echo "127.1.$((_n / 250)).$((_n % 250 + 1)):$DEAD"
}

# all_first: every backend has exactly its first instance (one show
# stat for all of them)
all_first() {
	hap "show stat" | awk -F, -v n=$N -v dead=$DEAD '
	$2 == "BACKEND" || $2 == "FRONTEND" || $18 ~ /MAINT/ { next }
	{ live[$1] = live[$1] " " $74; cnt[$1]++ }
	END {
		for (k = 0; k < n; k++) {
			be = k == 0 ? "haproxynode" : "be_s" k
			m = k * 2 + 1
			want = sprintf(" 127.1.%d.%d:%d", int(m / 250),
			    m % 250 + 1, dead)
			if (cnt[be] != 1 || live[be] != want)
				exit 1
		}
	}'
}

# conns KEY: the fake's count of KEY (peak, current, refused) for us
conns() {
	consul_curl "$CONSUL_URL/_fake/conns" | python3 -c '
import json, sys
print(json.load(sys.stdin)[sys.argv[1]].get("127.0.0.1", 0))' "$1"
}

register all $N
ok $? "$N services registered, one instance each"

t0=$(date +%s)
ep2d_start
wait_for 40 all_first
ok $? "each of the $N backends has its service's instance"
[ $? -eq 0 ] || diag "$(tail -n 5 "$T/ep2d.out")"
diag "$N backends up in $(($(date +%s) - t0)) s"
log_has "consul: $N backends ask http://127.0.0.1:$CONSUL_PORT, more than 8 blocking queries: they share one watch"
ok $? "one shared watch"

# a second instance of s400, then of [haproxy]'s web; then s400's gone
register 400 1 && wait_for 10 be_has be_s400 "$(addr 400 0)" "$(addr 400 1)"
ok $? "a registration reaches be_s400"
be_has be_s399 "$(addr 399 0)" && be_has be_s401 "$(addr 401 0)"
ok $? "its neighbours unchanged"
register 0 1 && wait_for 10 be_has haproxynode "$(addr 0 0)" "$(addr 0 1)"
ok $? "a registration reaches [haproxy]'s backend"
consul_deregister s400-1 && wait_for 10 be_has be_s400 "$(addr 400 0)"
ok $? "a deregistration reaches be_s400"

peak=$(conns peak)
[ "$peak" -ge 1 ] && [ "$peak" -le $((8 + 2)) ]
ok $? "$N backends, at most 8 + 2 connections to the agent (peak $peak)"
refused=$(conns refused)
[ "$refused" -eq 0 ]
ok $? "no connection of ep2d refused with a 429 ($refused)"
! log_has "connect: Resource temporarily unavailable"
ok $? "HAProxy's runtime socket refused no connection"

"$EP2CTL" -s "$CTL" show status > "$T/status.out" 2>&1 &&
    [ "$(grep -c 'be_s[0-9]' "$T/status.out")" -ge $((N - 1)) ]
ok $? "ep2ctl show status: every backend"
[ $? -eq 0 ] || diag "$(head -n 20 "$T/status.out")"
ctl_status_is "len(s) == $N and len(set(x['backend'] for x in s)) == $N"
ok $? "ep2ctl -j show status: $N rows, one a backend"
nb=$("$EP2CTL" -s "$CTL" show backends | grep -c 'be_s[0-9]')
[ "$nb" -eq $((N - 1)) ]
ok $? "ep2ctl show backends: a row a [backend NAME] ($nb)"
"$EP2CTL" -s "$CTL" show metrics | grep -q 'backend="be_s511"'
ok $? "ep2ctl show metrics names the last backend"

# one [backend NAME] more: refused with one line
cat >> "$T/ep2.conf" <<CONF
[backend s$N]
backend_name = be_s$N
orchestrator = consul
service_name = s$N
CONF
"$EP2D" -n -f "$T/ep2.conf" > "$T/n.out" 2>&1
[ $? -ne 0 ] && [ "$(grep -c 'more than 511' "$T/n.out")" -eq 1 ] &&
    grep -q "ep2.conf:[0-9]*: more than 511 \[backend NAME\] sections: \[backend s$N\] and any after it refused" "$T/n.out"
ok $? "$((N + 1)) backends: ep2d -n refuses them with one line"
[ $? -eq 0 ] || diag "$(head -n 3 "$T/n.out")"

done_testing
