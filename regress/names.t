#!/bin/sh
# Host names from an orchestrator are resolved by the fetcher, in its
# chroot (its copy of /etc/hosts), and HAProxy gets the address; a name
# that does not resolve is left out with a line and costs only itself:
# the other servers apply, scale-out and scale-in still arrive, in both
# update types.  Ports 29180-29199.
PORT_BASE=29180
. "$(dirname "$0")/lib.sh"
t_init

# ep2d and the HAProxy it started, between the two modes
ep2d_stop_all() {
	kill "$EP2D_PID" 2>/dev/null
	wait_for 5 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
	for _p in $(cat "$T/haproxy.pid" 2>/dev/null); do
		kill "$_p" 2>/dev/null
	done
	wait_for 5 sh -c "! kill -0 $(head -n 1 "$T/haproxy.pid") 2>/dev/null"
	rm -f "$T/haproxy.pid" "$SOCK" "$T/haproxy.cfg"
	EP2D_PID=
}

B1=29182 B2=29183 B3=29184
backends $B1 $B2 $B3
write_template

for mode in update_by_config update_by_runtime; do
	UPDATE_TYPE=$mode write_conf
	printf '127.0.0.1:%s\nnonexistent.invalid:%s\n' $B1 $B2 > "$T/servers"
	ep2d_start
	wait_for 15 hap_has 127.0.0.1:$B1
	ok $? "$mode: a name that does not resolve costs only itself"
	wait_for 5 log_has "1 server refused: nonexistent.invalid does not resolve"
	ok $? "$mode: it is left out with a line"
	! grep -q nonexistent "$T/haproxy.cfg"
	ok $? "$mode: and never reaches haproxy.cfg"
	printf '127.0.0.1:%s\nnonexistent.invalid:%s\nLocalHost:%s\n' \
	    $B1 $B2 $B3 > "$T/servers"
	wait_for 15 hap_has 127.0.0.1:$B1 127.0.0.1:$B3
	ok $? "$mode: scale-out arrives; a name resolves in the fetcher's chroot"
	! grep -qi "localhost" "$T/haproxy.cfg"
	ok $? "$mode: HAProxy gets the address, not the name"
	printf 'nonexistent.invalid:%s\nlocalhost:%s\n' $B2 $B3 > "$T/servers"
	wait_for 15 hap_has 127.0.0.1:$B3
	ok $? "$mode: scale-in arrives"
	ep2d_stop_all
done

done_testing
