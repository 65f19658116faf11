#!/bin/sh
# update_by_runtime under load: wrk runs through HAProxy while 30
# changes (servers added and removed, drained) go over the runtime
# socket; not one request fails, and HAProxy is never reloaded.
# Ports 24120-24139.
PORT_BASE=24120
. "$(dirname "$0")/lib.sh"
t_init

command -v wrk >/dev/null || skip_all "no wrk"

B1=24121 B2=24122 B3=24123 B4=24124

hap_ready() {
	hap "show stat" | awk -F, -v a="$1" '$1 == "haproxynode" &&
	    $74 == a && $18 == "UP" && $19 > 0 { f = 1 } END { exit !f }'
}

# gone ADDR:PORT: in no slot any more (maint)
gone() {
	! hap_live | grep -qx "$1"
}

backends $B1 $B2 $B3 $B4
ok $? "backends answer"

write_template
UPDATE_TYPE=update_by_runtime NODE_SLOTS=4 write_conf "check_interval = 200ms
drain_timeout = 5"
printf '127.0.0.1:%s\n' $B1 > "$T/servers"
ep2d_start
wait_for 10 hap_ready 127.0.0.1:$B1
ok $? "bootstrap with one server"
pid1=$(haproxy_pid)

# longer than the changes take even on a loaded machine; stopped by
# SIGINT once they are done (wrk then prints its figures)
wrk -t 2 -c 16 -d 120s "http://127.0.0.1:$FE_PORT/" > "$T/wrk.out" 2>&1 &
wrk=$!
t_pids="$t_pids $wrk"

t0=$(date +%s)
i=0 fail=0
while [ $i -lt 15 ]; do
	b=$((B2 + i % 3))
	printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $b > "$T/servers.tmp"
	mv "$T/servers.tmp" "$T/servers"
	wait_for 10 hap_ready 127.0.0.1:$b || fail=$((fail + 1))
	printf '127.0.0.1:%s\n' $B1 > "$T/servers.tmp"
	mv "$T/servers.tmp" "$T/servers"
	wait_for 10 gone 127.0.0.1:$b || fail=$((fail + 1))
	i=$((i + 1))
done
[ $fail = 0 ]
ok $? "30 changes applied in $(($(date +%s) - t0)) s ($fail late)"
kill -INT $wrk 2>/dev/null
ok $? "all of them while wrk was running"
wait $wrk
cat "$T/wrk.out" | sed 's/^/# /'
n=$(awk '/requests in/ { print $1 }' "$T/wrk.out")
[ "${n:-0}" -gt 1000 ]
ok $? "wrk sent $n requests"
! grep -q "Non-2xx" "$T/wrk.out"
ok $? "no answer but 2xx"
! grep -q "Socket errors" "$T/wrk.out"
ok $? "no socket error"
[ "$(haproxy_pid)" = "$pid1" ] && ! log_has "haproxy reloaded"
ok $? "no reload"
! log_has "falling back\|refused"
ok $? "no runtime command failed"

done_testing
