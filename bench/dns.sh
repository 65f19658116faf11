#!/bin/sh
# Part 1b: the peer.  HAProxy's own service discovery on the change
# pattern of the Consul latency part (latency.sh consul-runtime): a
# server-template of 32 slots (ep2d's node_slots there) on one name,
# resolved through a resolvers section against dnsmasq, whose hosts
# file (--addn-hosts) has one A record per server and is re-read on
# SIGHUP; 100 changes, one server in or out of a backend of 10, spaced
# 260-400 ms at random as for Consul.  HAProxy's resolvers timers at
# 1 ms (timeout resolve, timeout retry, every hold but obsolete, which
# is 0: a record gone is a server gone at once), so that this is
# HAProxy at its fastest: a query every millisecond.  The same template
# as ep2d's (checks against a port where nothing listens), the same
# measuring side (ep2bench.py: the clock starts before the hosts file
# is replaced, stops when `show servers state` shows the new set).
# CPU of HAProxy's processes and dnsmasq's over the changes and over
# 30 s of idle (DNS_IDLE), for report.py's ep2d/DNS ratios.
# dnsmasq: Debian package dnsmasq-base (make deps), the binary only; it
# runs here in the foreground with no configuration file of its own,
# no system resolver and no /etc/hosts, on 127.0.0.53:PORT_BASE+1.
# Ports 28060-28079.
PORT_BASE=28060
. "$(dirname "$0")/lib.sh"
t_init
DEAD=$((PORT_BASE + 9))
DNS_ADDR=127.0.0.53
DNS_PORT=$((PORT_BASE + 1))
NAME=web.bench.test
SLOTS=32
DNSMASQ=${DNSMASQ:-$(command -v dnsmasq || echo /usr/sbin/dnsmasq)}
[ -x "$DNSMASQ" ] ||
    { skipped "peer-dns: no dnsmasq (Debian package dnsmasq-base: make deps)"; exit 0; }

# the base set, as ep2bench.py numbers it (one A record per server)
servers_file 1 10 $DEAD | sed "s/:[0-9]*\$/ $NAME/" > "$T/dns.hosts"
chmod 644 "$T/dns.hosts"
"$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --no-hosts \
    --no-resolv --addn-hosts="$T/dns.hosts" --listen-address=$DNS_ADDR \
    --bind-interfaces --port=$DNS_PORT --pid-file="$T/dnsmasq.pid" \
    --log-facility="$T/dnsmasq.log" 2> "$T/dnsmasq.err" &
t_pids="$t_pids $!"
wait_for 5 sh -c "[ -s '$T/dnsmasq.pid' ]" ||
    { skipped "peer-dns: dnsmasq did not start: $(cat "$T/dnsmasq.err")"; exit 0; }
DNS_PID=$(cat "$T/dnsmasq.pid")

# ep2d's template, its server list replaced by the template of slots
write_template
CFG=$T/dns-haproxy.cfg
sed "s|^{{ nodes }}\$|    server-template srv $SLOTS $NAME:$DEAD check resolvers dns init-addr none resolve-prefer ipv4|" \
    "$T/haproxy.tmpl" > "$CFG"
cat >> "$CFG" <<CFG

resolvers dns
    nameserver ns1 $DNS_ADDR:$DNS_PORT
    accepted_payload_size 8192
    resolve_retries 3
    timeout resolve 1ms
    timeout retry 1ms
    hold valid 1ms
    hold other 1ms
    hold refused 1ms
    hold nx 1ms
    hold timeout 1ms
    hold obsolete 0s
CFG
"$HAPROXY" -c -q -f "$CFG" > "$T/hap-c.out" 2>&1 ||
    { skipped "peer-dns: haproxy -c refused the configuration: $(tr '\n' ' ' < "$T/hap-c.out")"; exit 0; }
"$HAPROXY" -D -f "$CFG" -p "$T/dns-haproxy.pid" ||
    { skipped "peer-dns: HAProxy did not start"; exit 0; }
wait_for 10 hap_answers ||
    { skipped "peer-dns: HAProxy's stats socket did not answer"; exit 0; }

ORCH="--orch dns --servers $T/dns.hosts --dns-name $NAME --dns-pid $T/dnsmasq.pid"
$EB latency --name lat_dns_peer --sock "$SOCK" $ORCH --port $DEAD \
    --hap-cfg "$CFG" --extra dnsmasq=$DNS_PID --changes 100 \
    --max-seconds 60 --min-gap 0.26 --gap 0.4 --t50 - --t99 - --runtime
$EB idle --name cpu_idle_dns_${DNS_IDLE:-30}s --hap-cfg "$CFG" \
    --extra dnsmasq=$DNS_PID --seconds ${DNS_IDLE:-30}
