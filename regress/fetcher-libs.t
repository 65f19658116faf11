#!/bin/sh
# The fetcher loads libcurl and libcrypto only for a source that makes
# requests (ep2d/curl_dl.c, issue 15 item 6): with a servers file alone
# its maps hold neither and the file still reaches HAProxy; with a
# Consul source it has both (loaded before the sandbox) and the
# service reaches HAProxy.  Ports 27220-27239.
PORT_BASE=27220
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"

B1=27222 B2=27223
backends $B1 $B2
ok $? "two backends answer"

fetcher_maps() {
	_p=$(ep2d_pids fetcher)
	[ -n "$_p" ] && cat "/proc/$_p/maps"
}

# ep2d and its HAProxy gone, for the next start
ep2d_stop() {
	kill "$EP2D_PID"
	wait_for 5 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
	for _p in $(cat "$T/haproxy.pid" 2>/dev/null); do kill "$_p"; done
	wait_for 5 sh -c "! echo 'show info' | socat -t 1 - UNIX-CONNECT:$SOCK"
	rm -f "$SOCK" "$T/haproxy.pid"
}

write_template
echo "127.0.0.1:$B1" > "$T/servers"
write_conf
ep2d_start
wait_for 15 hap_has 127.0.0.1:$B1
ok $? "file source: the server reaches HAProxy"
m=$(fetcher_maps)
[ -n "$m" ] && ! echo "$m" | grep -q -e 'libcurl\.so' -e 'libcrypto\.so'
ok $? "file source: the fetcher maps neither libcurl nor libcrypto"
echo "$m" | grep -q 'libjson-c\.so'
ok $? "file source: it maps what it is linked with (json-c)"
ep2d_stop

fake_consul_start
ok $? "fake Consul answers"
consul_register web1 127.0.0.1 $B2
consul_conf
ep2d_start
wait_for 15 hap_has 127.0.0.1:$B2
ok $? "Consul source: the service reaches HAProxy"
m=$(fetcher_maps)
echo "$m" | grep -q 'libcurl\.so' && echo "$m" | grep -q 'libcrypto\.so'
ok $? "Consul source: the fetcher maps libcurl and libcrypto"
ep2d_stop

done_testing
