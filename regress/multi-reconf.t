#!/bin/sh
# Several backends: SIGHUP applies a [backend NAME]'s new keys to that
# backend only; a new file that adds a backend is refused and the
# running one kept; at start, a source that does not answer holds the
# others back 10 seconds at most.  Ports 29080-29099.
PORT_BASE=29080
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"
. "$TOP/regress/multi-lib.sh"

B1=29082 B2=29083 B3=29084
backends $B1 $B2 $B3
ok $? "three backends answer"
fake_consul_start
ok $? "fake Consul answers"

SERVICE=api consul_register api1 127.0.0.1 $B3
put "$T/servers" 127.0.0.1:$B1
put "$T/servers2" 127.0.0.1:$B2
multi_template
multi_conf
ep2d_start -v
wait_for 15 be_has haproxynode 127.0.0.1:$B1 &&
    wait_for 10 be_has be_files2 127.0.0.1:$B2 &&
    wait_for 10 be_has be_api 127.0.0.1:$B3
ok $? "three backends running"

# slim BE ADDR: the session limit HAProxy runs server ADDR of BE with
# (show stat's slim, empty for none)
slim() {
	hap "show stat" | awk -F, -v be="$1" -v a="$2" \
	    '$1 == be && $74 == a { print $7; f = 1 } END { exit !f }'
}
# slim_is BE ADDR LIMIT
slim_is() {
	[ "$(slim "$1" "$2")" = "$3" ]
}

slim_is haproxynode 127.0.0.1:$B1 "" && slim_is be_files2 127.0.0.1:$B2 "" &&
    slim_is be_api 127.0.0.1:$B3 ""
ok $? "no session limit on any server before the SIGHUP"
multi_conf "" "check_interval = 300ms
backend_maxconn = 7"
n0=$(nreloads)
kill -HUP $EP2D_PID
wait_for 10 slim_is be_files2 127.0.0.1:$B2 7
ok $? "SIGHUP: HAProxy runs be_files2's server with its new maxconn 7"
[ "$(nreloads)" -gt "$n0" ] &&
    grep -q "node1 127.0.0.1:$B2 check inter 300ms maxconn 7$" "$T/haproxy.cfg"
ok $? "through a reload, with the new keys in its server line"
slim_is haproxynode 127.0.0.1:$B1 "" && slim_is be_api 127.0.0.1:$B3 "" &&
    grep -q "node1 127.0.0.1:$B1 check$" "$T/haproxy.cfg" &&
    grep -q "node1 127.0.0.1:$B3 check weight 10$" "$T/haproxy.cfg"
ok $? "the other backends' servers and lines unchanged"

cp "$T/ep2.conf" "$T/ep2.conf.good"
printf '\n[backend more]\npath = %s/servers3\n' "$T" >> "$T/ep2.conf"
: > "$T/servers3"
kill -HUP $EP2D_PID
wait_for 10 log_has "backends added or removed: restart ep2d"
ok $? "a backend added by SIGHUP: refused, restart needed"
put "$T/servers2" 127.0.0.1:$B2 127.0.0.1:$B1
wait_for 10 be_has be_files2 127.0.0.1:$B1 127.0.0.1:$B2 &&
    slim_is be_files2 127.0.0.1:$B1 7
ok $? "the running configuration goes on: a change applies, with its keys"
ctl_status_is "sorted(b['backend'] for b in s) ==
    ['be_api', 'be_files2', 'haproxynode']"
ok $? "and ep2d still runs the three backends of the start"
cp "$T/ep2.conf.good" "$T/ep2.conf"

# start with Consul down: the file backends wait 10 s at most
kill $EP2D_PID
wait_for 5 sh -c "! kill -0 $EP2D_PID"
ok $? "ep2d stopped"
fake_consul_stop
: > "$T/ep2d.out"
put "$T/servers" 127.0.0.1:$B1 127.0.0.1:$B2
ep2d_start -v
# ep2d has the file's two servers (show status) but applies nothing yet
wait_for 5 ctl_status_is "[(b['servers'], b['last_apply']) for b in s
    if b['backend'] == 'haproxynode'] == [(2, None)]" &&
    be_has haproxynode 127.0.0.1:$B1
ok $? "while Consul is silent, ep2d holds the file's new set back"
[ $? -eq 0 ] || diag "$(cat "$T/status.json")"
wait_for 20 be_has haproxynode 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "after the wait, the file backends apply"
# HAProxy runs the servers a moment before the apply is over and
# recorded (the answer to its last command)
wait_for 5 ctl_status_is "[b['last_apply'] is not None for b in s
    if b['backend'] == 'haproxynode'] == [True]" &&
    ctl_status_is "[b['last_apply'] - b['started'] >= 9 for b in s
    if b['backend'] == 'haproxynode'] == [True]"
ok $? "not before the 10 s (show status: started, then the first apply)"
[ $? -eq 0 ] || diag "$(cat "$T/status.json")"
log_has "backend be_api: no answer from its consul source after 10 s"
ok $? "the log names the silent backend"
fake_consul_start
wait_for 20 be_has be_api 127.0.0.1:$B3
ok $? "Consul back: be_api gets its server"

done_testing
