#!/bin/sh
# Many backends on one Consul: 12 Consul backends ([haproxy] on service
# web, [backend s1] .. [backend s11] on s1 .. s11) on one fake Consul
# that closes a client past 10 connections (Consul's
# limits.http_max_conns_per_client, 200 by default, with a 429).  Past
# CONSUL_MAX_WATCHES (8) backends share one watch; every backend gets
# its servers, a check's change is read for its own service only, a
# registration reaches its backend, a read that fails keeps that
# backend's last servers, the index going backwards starts the watch
# over, an outage fails and recovers each backend, a new ep2.conf that
# names another agent moves them all to it; ep2d never holds more than
# 8 + 2 connections and never gets the 429.  With 8 backends, each has
# its own blocking query as before.
# Ports 29240-29279.
PORT_BASE=29240
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"
. "$TOP/regress/multi-lib.sh"

N=12
MAXCONN=10
# backend K's instance listens on port $((B + K)), a second one on
# $((B2 + K))
B=$((PORT_BASE + 2))
B2=$((PORT_BASE + 16))
ports=""
k=0
while [ $k -lt 14 ]; do
	ports="$ports $((B + k)) $((B2 + k))"
	k=$((k + 1))
done
backends $ports
ok $? "the backends answer"
fake_consul_start --max-conns-per-client $MAXCONN
ok $? "fake Consul answers, at most $MAXCONN connections a client"

# be K: haproxynode for 0, be_sK else; svc K: web, sK
be() { [ "$1" -eq 0 ] && echo haproxynode || echo "be_s$1"; }
svc() { [ "$1" -eq 0 ] && echo web || echo "s$1"; }

write_template
sections=""
k=1
while [ $k -lt $N ]; do
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
consul_conf "" "$sections"
"$EP2D" -n -f "$T/ep2.conf" > "$T/n.out" 2>&1
ok $? "ep2d -n: $N Consul backends"
[ $? -eq 0 ] || diag "$(cat "$T/n.out")"

k=0
while [ $k -lt $N ]; do
	SERVICE=$(svc $k) consul_register "$(svc $k)-1" 127.0.0.1 $((B + k))
	k=$((k + 1))
done

# all_first: every backend has exactly its first instance
all_first() {
	_k=0
	while [ $_k -lt $N ]; do
		be_has "$(be $_k)" "127.0.0.1:$((B + _k))" || return 1
		_k=$((_k + 1))
	done
}

# all_but K ADDR...: every backend but K has its first instance
all_but() {
	_x=$1
	_k=0
	while [ $_k -lt $N ]; do
		if [ $_k -ne "$_x" ]; then
			be_has "$(be $_k)" "127.0.0.1:$((B + _k))" || return 1
		fi
		_k=$((_k + 1))
	done
}

# reads_since LINE: the services read (GET /v1/health/service/NAME)
# in ep2d's log after line LINE, sorted, one a line
reads_since() {
	tail -n +"$1" "$T/ep2d.out" |
	    sed -n 's|.*consul: GET [^ ]*/v1/health/service/\([^?]*\).*|\1|p' |
	    sort -u
}

# conns KEY: the fake's count of KEY (peak, current, refused) for us
conns() {
	consul_curl "$CONSUL_URL/_fake/conns" | python3 -c '
import json, sys
print(json.load(sys.stdin)[sys.argv[1]].get("127.0.0.1", 0))' "$1"
}

# be_empty BE: no live server in backend BE
be_empty() {
	[ -z "$(be_live "$1")" ]
}

# nfailing: the backends ep2ctl shows failing
nfailing() {
	"$EP2CTL" -s "$CTL" show backends | grep -c ' failing'
}

ep2d_start -v
wait_for 20 all_first
ok $? "each of the $N backends has its service's instance"
[ $? -eq 0 ] || diag "$("$EP2CTL" -s "$CTL" show backends 2>&1)"
log_has "consul: $N backends ask http://127.0.0.1:$CONSUL_PORT, more than 8 blocking queries: they share one watch"
ok $? "past 8 backends on one agent, one shared watch"
n=$(grep -c 'consul: GET [^ ]*/v1/health/service/[^ ]*index=' "$T/ep2d.out")
[ "$n" -eq 0 ]
ok $? "no blocking query of a service of its own ($n)"
wait_for 5 sh -c "[ \$(grep -c 'consul: GET [^ ]*/v1/health/state/any?.*index=' '$T/ep2d.out') -ge 1 ] &&
    [ \$(grep -c 'consul: GET [^ ]*/v1/catalog/services?.*index=' '$T/ep2d.out') -ge 1 ]"
ok $? "the watch blocks on health/state/any and catalog/services"

# a check: the health state's index moves, not the catalog's
n0=$(wc -l < "$T/ep2d.out")
consul_check fail s5-1
wait_for 10 be_empty be_s5
ok $? "s5's only instance failing: be_s5 is emptied"
sleep 0.5
[ "$(reads_since "$n0" | tr '\n' ' ')" = "s5 " ]
ok $? "only s5 is read again"
[ $? -eq 0 ] || diag "read: $(reads_since "$n0" | tr '\n' ' ')"
all_but 5
ok $? "the other backends keep their servers"
consul_check pass s5-1
wait_for 10 be_has be_s5 127.0.0.1:$((B + 5))
ok $? "s5 passing again: be_s5 has it back"

# a registration: the catalog moves too, every service is read, s3's
# first, and only be_s3 changes
n0=$(wc -l < "$T/ep2d.out")
SERVICE=s3 consul_register s3-2 127.0.0.1 $((B2 + 3))
wait_for 10 be_has be_s3 127.0.0.1:$((B + 3)) 127.0.0.1:$((B2 + 3))
ok $? "a second instance of s3 reaches be_s3"
all_but 3
ok $? "the other backends are unchanged"
# the catalog's answer may come first and start 4 reads of the others
pos=$(tail -n +"$n0" "$T/ep2d.out" |
    sed -n 's|.*consul: GET [^ ]*/v1/health/service/\([^?]*\).*|\1|p' |
    grep -n -x s3 | head -n 1 | cut -d: -f1)
[ -n "$pos" ] && [ "$pos" -le 5 ]
ok $? "the service the health state shows changed is among the first 4 + 1 read ($pos)"

# explained ARG...: register or deregister (ARG...) one of s6's
# instances; true when the catalog's move is taken as the health
# state's (one Raft write moved both) and no other service is read
# for it, once both watch queries block again
explained() {
	_n0=$(wc -l < "$T/ep2d.out")
	"$@"
	wait_for 10 sh -c "tail -n +$_n0 '$T/ep2d.out' |
	    grep -q \"the catalog's move at [0-9]* is the health state's\"" &&
	wait_for 10 sh -c "[ \"\$(curl -sf '$CONSUL_URL/_fake/waiting')\" = 2 ]" &&
	[ -z "$(reads_since "$_n0" | grep -v -x s6)" ]
}
reg6() { SERVICE=s6 consul_register s6-2 127.0.0.1 $((B2 + 6)); }
dereg6() { consul_deregister s6-2; }
# the catalog's and the state's answers race; past 50 ms the rest is
# read anyway (a loaded machine): one of three is enough
x=1
for try in 1 2 3; do
	explained reg6 && wait_for 10 be_has be_s6 127.0.0.1:$((B + 6)) \
	    127.0.0.1:$((B2 + 6)) && explained dereg6 &&
	    wait_for 10 be_has be_s6 127.0.0.1:$((B + 6)) && { x=0; break; }
	dereg6
	wait_for 10 be_has be_s6 127.0.0.1:$((B + 6))
done
ok $x "a registration with checks reads its own service only, as its deregistration does"
[ $x -eq 0 ] || diag "$(reads_since "$_n0" | tr '\n' ' ')"
# a new port of an instance shows in neither answer: every service is
# read again, and be_s8 follows
n0=$(wc -l < "$T/ep2d.out")
SERVICE=s8 consul_register s8-1 127.0.0.1 $((B2 + 8))
wait_for 10 be_has be_s8 127.0.0.1:$((B2 + 8))
ok $? "s8-1 on a new port (a catalog move the health state does not explain) reaches be_s8"
all_read() { [ "$(reads_since "$n0" | wc -l)" -eq $N ]; }
wait_for 10 all_read
ok $? "every service was read for it"
SERVICE=s8 consul_register s8-1 127.0.0.1 $((B + 8))
wait_for 10 be_has be_s8 127.0.0.1:$((B + 8))
ok $? "and back"

# a read that fails (the only instance's address is refused): that
# backend keeps its last servers and fails alone
consul_register_json "{\"ID\": \"s7-1\", \"Name\": \"s7\",
    \"Address\": \"not an address!\", \"Port\": $((B + 7))}"
wait_for 10 sh -c "'$EP2CTL' -s '$CTL' show backends | grep -Eq '^be_s7 .* failing'"
ok $? "s7's answer refused: be_s7 failing"
log_has "consul s7: no valid instance (1 refused); the last servers stay"
ok $? "said once, as a service of its own says it"
be_has be_s7 127.0.0.1:$((B + 7))
ok $? "be_s7 keeps its last good server"
[ "$(nfailing)" -eq 1 ]
ok $? "no other backend failing"
SERVICE=s7 consul_register s7-1 127.0.0.1 $((B2 + 7))
wait_for 15 be_has be_s7 127.0.0.1:$((B2 + 7))
ok $? "s7 registered again, good: be_s7 follows"
wait_for 10 sh -c "'$EP2CTL' -s '$CTL' show backends | grep -Eq '^be_s7 .* ok '"
ok $? "and is ok again"

# the index going backwards (a restored snapshot): the watch starts
# over and still follows
consul_set_index 5
wait_for 10 log_has "X-Consul-Index went backwards to 5: starting over"
ok $? "the index went backwards: the watch starts over"
consul_check fail s9-1
wait_for 10 be_empty be_s9
ok $? "and a change after it is seen (be_s9 emptied)"
consul_check pass s9-1
wait_for 10 be_has be_s9 127.0.0.1:$((B + 9))
ok $? "be_s9 back"

peak=$(conns peak)
[ "$peak" -le $((8 + 2)) ]
ok $? "at most 8 + 2 connections to the agent at once (peak $peak)"
refused=$(conns refused)
[ "$refused" -eq 0 ]
ok $? "no connection refused with a 429 ($refused)"

# an outage: every backend fails on its own and keeps its servers;
# each recovers
fake_consul_stop
wait_for 15 sh -c "[ \$('$EP2CTL' -s '$CTL' show backends | grep -c ' failing') -eq $N ]"
ok $? "Consul down: the $N backends fail"
[ "$(grep -c 'the last servers stay, retrying' "$T/ep2d.out")" -ge $N ]
ok $? "each says so once"
# what each backend has by now
all_now() {
	_k=0
	while [ $_k -lt $N ]; do
		case $_k in
		3)	be_has be_s3 127.0.0.1:$((B + 3)) \
			    127.0.0.1:$((B2 + 3)) || return 1 ;;
		7)	be_has be_s7 127.0.0.1:$((B2 + 7)) || return 1 ;;
		*)	be_has "$(be $_k)" "127.0.0.1:$((B + _k))" ||
			    return 1 ;;
		esac
		_k=$((_k + 1))
	done
}
all_now
ok $? "and keeps its servers"
fake_consul_start --max-conns-per-client $MAXCONN
wait_for 30 sh -c "! '$EP2CTL' -s '$CTL' show backends | grep -q ' failing'"
ok $? "Consul back: every backend recovers"
SERVICE=s1 consul_deregister s1-1
wait_for 10 be_empty be_s1
ok $? "and follows changes again"
refused=$(conns refused)
[ "$refused" -eq 0 ]
ok $? "no 429 after the outage either ($refused)"

# SIGHUP, a new ep2.conf naming another agent (a second fake with the
# same services): the backends move to it, the first is left alone
P2=$((PORT_BASE + 30))
cp "$T/consul.state" "$T/consul2.state"
python3 "$FAKE_CONSUL" --port $P2 --fixtures "$EP2D_FIXTURES" \
    --state "$T/consul2.state" --pidfile "$T/fake_consul2.pid" \
    --max-conns-per-client $MAXCONN 2>> "$T/fake_consul.err" &
t_pids="$t_pids $!"
wait_for 10 consul_curl "http://127.0.0.1:$P2/_fake/ping"
ok $? "a second fake Consul answers"
CONSUL_PORT=$P2 consul_conf "" "$sections"
: > "$T/ep2d.out"
kill -HUP "$EP2D_PID"
wait_for 10 log_has "consul: $N backends ask http://127.0.0.1:$P2, more than 8 blocking queries: they share one watch"
ok $? "after SIGHUP the $N backends share a watch on the new agent"
# the watch's two queries end; the reads' 4 idle connections stay in
# libcurl's cache until it drops them (unused for 118 s).  The fake's
# own counts keep a query the client closed until its wait ends:
# ep2d's side of the connections says it.
old_conns() {
	ss -Htn state established "( dport = :$CONSUL_PORT )" | wc -l
}
wait_for 10 sh -c "[ \$(ss -Htn state established '( dport = :$CONSUL_PORT )' | wc -l) -le 4 ]"
ok $? "and the watch on the old one ended ($(old_conns) idle connections left)"
CONSUL_URL=http://127.0.0.1:$P2 SERVICE=s1 consul_register s1-1 127.0.0.1 \
    $((B + 1))
wait_for 10 be_has be_s1 127.0.0.1:$((B + 1))
ok $? "a change on the new agent reaches its backend"
peak=$(CONSUL_URL=http://127.0.0.1:$P2 conns peak)
[ "$peak" -le $((8 + 2)) ]
ok $? "at most 8 + 2 connections to the new agent (peak $peak)"

# 8 backends, the bound: a blocking query each, as ever
kill "$EP2D_PID"
wait_for 10 sh -c "! kill -0 $EP2D_PID"
EP2D_PID=
sections8=$(printf '%s\n' "$sections" | awk '/^\[backend s8\]/ { exit } { print }')
CONSUL_PORT=$P2 consul_conf "" "$sections8"
sed -i '/^backend be_s8$/,$d' "$T/haproxy.tmpl"
"$EP2D" -n -f "$T/ep2.conf" > "$T/n.out" 2>&1
ok $? "ep2d -n: 8 Consul backends"
[ $? -eq 0 ] || diag "$(cat "$T/n.out")"
ep2d_start -v
# blocking: dport 8 connections, and each service's query has index=
blocking8() {
	[ "$(ss -Htn state established "( dport = :$P2 )" | wc -l)" -eq 8 ] &&
	    [ "$(sed -n 's|.*consul: GET [^ ]*/v1/health/service/\([^?]*\)?.*index=.*|\1|p' \
	    "$T/ep2d.out" | sort -u | wc -l)" -eq 8 ]
}
wait_for 20 blocking8
ok $? "8 backends: 8 blocking queries of their own, 8 connections"
! log_has "share one watch"
ok $? "and no shared watch"

done_testing
