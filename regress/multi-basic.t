#!/bin/sh
# Several backends in one ep2d (update_by_config): [haproxy] from a
# servers file, [backend files2] from another file, [backend api] from
# a Consul service, each reaching its own HAProxy backend; ep2ctl shows
# each; a burst of changes to two backends is one reload; a failing
# Consul leaves the file backends working, and its backend recovers on
# its own.  Ports 29000-29019.
PORT_BASE=29000
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"
. "$TOP/regress/multi-lib.sh"

B1=29002 B2=29003 B3=29004 B4=29005 B5=29006 B6=29007
backends $B1 $B2 $B3 $B4 $B5 $B6
ok $? "six backends answer"
fake_consul_start
ok $? "fake Consul answers"

SERVICE=api consul_register api1 127.0.0.1 $B5
put "$T/servers" 127.0.0.1:$B1
put "$T/servers2" 127.0.0.1:$B3
multi_template
multi_conf
"$EP2D" -n -f "$T/ep2.conf" >/dev/null 2>&1
ok $? "ep2d -n: three backends, each placed in the template"
ep2d_start -v

wait_for 15 be_has haproxynode 127.0.0.1:$B1
ok $? "[haproxy]'s file reaches haproxynode"
wait_for 10 be_has be_files2 127.0.0.1:$B3
ok $? "[backend files2]'s file reaches be_files2"
wait_for 10 be_has be_api 127.0.0.1:$B5
ok $? "[backend api]'s Consul service reaches be_api"
[ "$(nreloads)" -eq 1 ]
ok $? "one start for the three first sets ($(nreloads))"

out=$("$EP2CTL" -s "$CTL" show backends 2>&1)
echo "$out" | grep -Eq '^haproxynode +file +update_by_config +1 +1' &&
    echo "$out" | grep -Eq '^be_files2 +file +update_by_config +1 +1' &&
    echo "$out" | grep -Eq '^be_api +consul +update_by_config +1 +1'
ok $? "show backends: one row per backend"
diag "$out"
out=$("$EP2CTL" -s "$CTL" show slots 2>&1)
echo "$out" | grep -Eq "^be_api +node1 +127.0.0.1:$B5" &&
    echo "$out" | grep -Eq "^be_files2 +node1 +127.0.0.1:$B3" &&
    echo "$out" | grep -Eq "^haproxynode +node1 +127.0.0.1:$B1"
ok $? "show slots: every backend's slots"
out=$("$EP2CTL" -s "$CTL" show status 2>&1)
[ "$(echo "$out" | grep -c '^backend ')" -eq 3 ] &&
    echo "$out" | grep -q '^backend          be_api$'
ok $? "show status: a block per backend"
"$EP2CTL" -s "$CTL" -j show status | python3 -c '
import json, sys
d = json.load(sys.stdin)["status"]
assert [r["backend"] for r in d] == ["haproxynode", "be_files2", "be_api"]
assert [r["orchestrator"] for r in d] == ["file", "file", "consul"]
assert all(r["source_ok"] for r in d)
'
ok $? "show status -j: an array, one object per backend"

# a burst: both files change together, one reload
n0=$(nreloads)
# the fetcher stopped while both files are renamed: it sees the two
# changes in one turn and sends them back to back, well within the
# coalescing window however loaded the machine is
fpid=$(ep2d_pids fetcher)
printf '%s\n' 127.0.0.1:$B1 127.0.0.1:$B2 > "$T/servers.tmp"
printf '%s\n' 127.0.0.1:$B3 127.0.0.1:$B4 > "$T/servers2.tmp"
kill -STOP $fpid
mv "$T/servers.tmp" "$T/servers" && mv "$T/servers2.tmp" "$T/servers2"
kill -CONT $fpid
wait_for 10 be_has haproxynode 127.0.0.1:$B1 127.0.0.1:$B2 &&
    wait_for 10 be_has be_files2 127.0.0.1:$B3 127.0.0.1:$B4
ok $? "a burst to two backends: both applied"
wait_for 5 sh -c "[ \$(grep -c 'haproxy reloaded' '$T/ep2d.out') -ge 1 ]"
n1=$(nreloads)
[ $((n1 - n0)) -eq 1 ]
ok $? "one reload for the burst ($((n1 - n0)))"
grep -q "haproxy reloaded with 5 servers" "$T/ep2d.out"
ok $? "the reload had both backends' servers"

# Consul fails: the file backends go on, be_api keeps its server
fake_consul_stop
wait_for 15 sh -c "'$EP2CTL' -s '$CTL' show backends | grep -Eq '^be_api .* failing'"
ok $? "the Consul source fails alone"
"$EP2CTL" -s "$CTL" show backends | grep -Eq '^haproxynode .* ok '
ok $? "the file sources are still ok"
put "$T/servers" 127.0.0.1:$B2
wait_for 10 be_has haproxynode 127.0.0.1:$B2
ok $? "a file change applies while Consul is down"
be_has be_api 127.0.0.1:$B5
ok $? "be_api keeps its last good set"

# Consul back, with a change
fake_consul_start
SERVICE=api consul_register api2 127.0.0.1 $B6
wait_for 20 be_has be_api 127.0.0.1:$B5 127.0.0.1:$B6
ok $? "Consul back: be_api follows again"
wait_for 10 sh -c "'$EP2CTL' -s '$CTL' show backends | grep -Eq '^be_api .* ok '"
ok $? "and its source is ok again"
be_has haproxynode 127.0.0.1:$B2 && be_has be_files2 127.0.0.1:$B3 \
    127.0.0.1:$B4
ok $? "the other backends untouched"

# -n: each backend needs its place, in its own section
multi_template
sed -i 's/{{ nodes.api }}//' "$T/haproxy.tmpl"
"$EP2D" -n -f "$T/ep2.conf" > "$T/n.out" 2>&1
[ $? -ne 0 ] && grep -q "no {{ nodes.api }}" "$T/n.out"
ok $? "-n: a backend without {{ nodes.NAME }} is refused"
multi_template "{{ nodes.nope }}"
"$EP2D" -n -f "$T/ep2.conf" > "$T/n.out" 2>&1
[ $? -ne 0 ] && grep -q "no \[backend nope\]" "$T/n.out"
ok $? "-n: {{ nodes.NAME }} of no backend is refused"
multi_template
sed -i 's/^backend be_api$/backend be_other/' "$T/haproxy.tmpl"
"$EP2D" -n -f "$T/ep2.conf" > "$T/n.out" 2>&1
[ $? -ne 0 ] && grep -q 'not in "backend be_api"' "$T/n.out"
ok $? "-n: a server list in another backend's section is refused"
diag "$(cat "$T/n.out")"

done_testing
