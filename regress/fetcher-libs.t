#!/bin/sh
# The fetcher loads libcurl and libcrypto only for a source that makes
# requests (ep2d/curl_dl.c, issue 15 item 6): with a servers file alone
# its maps hold neither and the file still reaches HAProxy; with a
# Consul source it has both (loaded before the sandbox) and the
# service reaches HAProxy.  OpenSSL's configuration is read only when
# a source may speak TLS (http.c, fetcher.c): one that activates the
# legacy provider shows it in the maps with scheme = https or
# CONSUL_HTTP_SSL, and not with plain http, and a reload cannot turn
# https on then.  Ports 27220-27239.
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

printf '%s\n' "openssl_conf = ep2d_test" "[ep2d_test]" \
    "providers = ep2d_providers" "[ep2d_providers]" "default = ep2d_on" \
    "legacy = ep2d_on" "[ep2d_on]" "activate = 1" > "$T/openssl.cnf"
OPENSSL_CONF=$T/openssl.cnf
export OPENSSL_CONF

legacy_mapped() {
	fetcher_maps | grep -q 'ossl-modules/legacy\.so'
}

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
[ -n "$m" ] && ! legacy_mapped
ok $? "Consul over http: OpenSSL's configuration is not read"
# https by a reload would need what the sandbox now keeps out
consul_conf "scheme = https"
kill -HUP "$EP2D_PID"
wait_for 10 log_has "the start set up no TLS; restart ep2d"
ok $? "a reload to scheme = https: refused, a restart asked for"
consul_register web2 127.0.0.1 $B1
wait_for 15 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "the source goes on over http"
ep2d_stop

consul_conf "scheme = https"
ep2d_start
wait_for 15 legacy_mapped
ok $? "Consul, scheme = https: OpenSSL's configuration is read"
ep2d_stop

consul_conf
CONSUL_HTTP_SSL=true ep2d_start
wait_for 15 legacy_mapped
ok $? "Consul, CONSUL_HTTP_SSL: OpenSSL's configuration is read"
ep2d_stop

done_testing
