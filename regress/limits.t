#!/bin/sh
# Scale limits (ep2d.8 LIMITS): a set past the servers a backend may
# have (10,000) is refused whole with one line, and the last good set
# stays: none of it is cut, nothing half applies.  That the maximum
# itself applies in bounded time and memory is bench/scale.sh's
# (make bench).  Ports 29200-29219.
PORT_BASE=29200
. "$(dirname "$0")/lib.sh"
t_init

B1=29202 B2=29203
backends $B1 $B2
write_template
write_conf
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
ep2d_start
wait_for 15 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "two servers"

python3 -c '
for i in range(10001):
    print("127.%d.%d.%d:80" % (1 + i // 62500, i // 250 % 250, i % 250 + 1))
' > "$T/servers.new"
mv "$T/servers.new" "$T/servers"
wait_for 20 log_has "servers, more than the 10000 a backend may have; refused, the last good set stays"
ok $? "10001 servers: refused whole, with one line"
hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "the last good set stays"
"$EP2CTL" -s "$CTL" show status 2>/dev/null | grep -q "more than the 10000"
ok $? "ep2ctl show status says why"
printf '127.0.0.1:%s\n' $B1 > "$T/servers"
wait_for 15 hap_has 127.0.0.1:$B1
ok $? "a set within the limit applies again"

done_testing
