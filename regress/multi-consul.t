#!/bin/sh
# Two Consul services and one servers file in one ep2d, each reaching
# its own HAProxy backend through one fetcher: a change to one service
# touches its backend only; a service emptied in Consul empties its
# backend only; Consul down keeps both Consul backends as they were
# while the file backend goes on; both recover.  Ports 29120-29139.
PORT_BASE=29120
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"
. "$TOP/regress/multi-lib.sh"

# be_empty BE: no live server in backend BE
be_empty() {
	[ -z "$(be_live "$1")" ]
}

B1=29122 B2=29123 B3=29124 B4=29125 B5=29126
backends $B1 $B2 $B3 $B4 $B5
ok $? "five backends answer"
fake_consul_start
ok $? "fake Consul answers"

SERVICE=api consul_register api1 127.0.0.1 $B2
SERVICE=web consul_register web1 127.0.0.1 $B3
put "$T/servers" 127.0.0.1:$B1
multi_template "
backend be_web
    balance roundrobin
    option httpchk GET /
    default-server inter 200ms fall 1 rise 1
{{ nodes.web }}"
# the second Consul service instead of the second file
write_conf "sleep_before_next_run = 60" \
    "[CONSUL]" "consul_ip = 127.0.0.1" "consul_port = $CONSUL_PORT" \
    "[backend api]" "backend_name = be_api" "orchestrator = consul" \
    "service_name = api" \
    "[backend web]" "backend_name = be_web" "orchestrator = consul" \
    "service_name = web"
sed -i '/^{{ nodes.files2 }}$/d; /^backend be_files2$/,/^$/d' \
    "$T/haproxy.tmpl"
"$EP2D" -n -f "$T/ep2.conf" > "$T/n.out" 2>&1
ok $? "ep2d -n: a file and two Consul services, each in the template"
[ $? -eq 0 ] || diag "$(cat "$T/n.out")"
ep2d_start -v

wait_for 15 be_has haproxynode 127.0.0.1:$B1 &&
    wait_for 10 be_has be_api 127.0.0.1:$B2 &&
    wait_for 10 be_has be_web 127.0.0.1:$B3
ok $? "each source reaches its own backend"

SERVICE=web consul_register web2 127.0.0.1 $B4
wait_for 10 be_has be_web 127.0.0.1:$B3 127.0.0.1:$B4
ok $? "a second instance of web reaches be_web"
be_has be_api 127.0.0.1:$B2 && be_has haproxynode 127.0.0.1:$B1
ok $? "be_api and haproxynode untouched"

consul_deregister api1
wait_for 10 be_empty be_api
ok $? "api emptied in Consul: be_api is empty"
be_has be_web 127.0.0.1:$B3 127.0.0.1:$B4 && be_has haproxynode 127.0.0.1:$B1
ok $? "the other two backends keep their servers"

SERVICE=api consul_register api2 127.0.0.1 $B5
wait_for 10 be_has be_api 127.0.0.1:$B5
ok $? "api back with a new instance"

fake_consul_stop
wait_for 15 sh -c "[ \$('$EP2CTL' -s '$CTL' show backends | grep -c ' failing') -eq 2 ]"
ok $? "Consul down: both Consul sources fail, each on its own"
put "$T/servers" 127.0.0.1:$B1 127.0.0.1:$B2
wait_for 10 be_has haproxynode 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "the file backend still follows its file"
be_has be_api 127.0.0.1:$B5 && be_has be_web 127.0.0.1:$B3 127.0.0.1:$B4
ok $? "the Consul backends keep their last good servers"
fake_consul_start
wait_for 20 sh -c "! '$EP2CTL' -s '$CTL' show backends | grep -q ' failing'"
ok $? "Consul back: both sources recover"
SERVICE=web consul_deregister web1
wait_for 10 be_has be_web 127.0.0.1:$B4
ok $? "and follow changes again"

done_testing
