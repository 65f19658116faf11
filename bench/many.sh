#!/bin/sh
# Part 6: many backends on one Consul.  N backends in one ep2d
# ([haproxy]'s own on Consul service web, then [backend sK] sections,
# K = 1 .. N-1, each on service sK into HAProxy backend be_sK; see
# ep2.conf(5) SEVERAL BACKENDS), all on one fake Consul, which enforces
# Consul's limits.http_max_conns_per_client (CONSUL_MAX_CONNS, default
# 200 as Consul's: past it a new connection gets a 429 and is closed).
# Two instances a service; then 30 changes, each one server in or out
# of a backend drawn at random, spaced 260-400 ms; per N: the time
# until HAProxy had every backend, the change latency p50/p99, the
# health queries per change, ep2d's CPU per change, the most TCP
# connections ep2d had open to the fake at once (the fake counts them
# per client address; the bench's own clients come from 127.0.0.2),
# and the RSS and PSS of ep2d's processes once settled and after the
# changes (issue 15 item 6: 10 against 100 against 500 backends).
# A count ep2d refuses (ep2d -n) is "SKIPPED: reason".
# usage: many.sh 10 | 16 | 100 | 500.  Ports 28500-28579.
N=$1
case $N in
10)	PORT_BASE=28500 ;;
16)	PORT_BASE=28520 ;;
100)	PORT_BASE=28540 ;;
500)	PORT_BASE=28560 ;;
*)	echo "usage: $0 10|16|100|500" >&2; exit 2 ;;
esac
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"
DEAD=$((PORT_BASE + 9))
UPDATE_TYPE=update_by_runtime
NODE_SLOTS=4
export UPDATE_TYPE NODE_SLOTS

write_template
sections=""
k=1
while [ $k -lt "$N" ]; do
	cat >> "$T/haproxy.tmpl" <<TMPL

backend be_s$k
    balance roundrobin
    option httpchk GET /
    default-server inter 200ms fall 1 rise 1
{{ nodes.s$k }}
TMPL
	sections="$sections
[backend s$k]
backend_name = be_s$k
orchestrator = consul
service_name = s$k"
	k=$((k + 1))
done
consul_conf "wait = 300s" "$sections"
if ! "$EP2D" -n -f "$T/ep2.conf" > "$T/n.out" 2>&1; then
	skipped "many_$N: ep2d refuses $N backends (ep2d -n): $(grep -v '^$' "$T/n.out" | head -n 1 | sed "s|$T/||")"
	exit 0
fi

fake_consul_start --max-conns-per-client "${CONSUL_MAX_CONNS:-200}" ||
    { skipped "many_$N: the fake Consul did not start"; exit 0; }
URL="http://127.0.0.1:$CONSUL_PORT"
$EB multi-set --name "many_$N" --sock "$SOCK" --url "$URL" --count "$N" \
    --base 2 --port $DEAD
since=$(date +%s.%N)
ep2d_up
$EB multi --name "many_$N" --sock "$SOCK" --url "$URL" --count "$N" \
    --base 2 --port $DEAD --pid "$EP2D_PID" --since "$since" --changes 30 \
    --max-seconds 30 --timeout 10
