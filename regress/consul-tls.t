#!/bin/sh
# scheme = https: ca_file, cert_file and key_file are read before the
# sandbox (root-only files outside the fetcher's chroot) and used from
# memory; tls_server_name is the name checked in Consul's certificate
# while the connection goes to consul_ip.  A certificate from another
# CA, or a name that does not match, is refused.
# Ports 22080-22099.
PORT_BASE=22080
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"
command -v openssl >/dev/null || skip_all "no openssl"

# a CA, Consul's certificate (DNS:consul.test only), a client
# certificate, and a second CA that signed nothing we use
mkcert() {
	# mkcert NAME CN EXT CA
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$1.key" -out "$T/$1.csr" -subj "/CN=$2" 2>/dev/null &&
	printf '%s\n' "$3" > "$T/$1.ext" &&
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$4.crt" \
	    -CAkey "$T/$4.key" -CAcreateserial -days 2 -out "$T/$1.crt" \
	    -extfile "$T/$1.ext" 2>/dev/null
}
for ca in ca otherca; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$T/$ca.key" -out "$T/$ca.crt" -days 2 \
	    -subj "/CN=ep2d test $ca" 2>/dev/null
done
mkcert server consul.test "subjectAltName=DNS:consul.test" ca &&
    mkcert client ep2d "extendedKeyUsage=clientAuth" ca
ok $? "test certificates made"
chmod 600 "$T"/*.key "$T"/*.crt

B1=22082
backends $B1
ok $? "a backend answers"
CONSUL_URL=https://consul.test:$CONSUL_PORT
CONSUL_CURL_OPTS="--cacert $T/ca.crt --cert $T/client.crt --key $T/client.key --resolve consul.test:$CONSUL_PORT:127.0.0.1"
fake_consul_start --tls-cert "$T/server.crt" --tls-key "$T/server.key" \
    --tls-client-ca "$T/ca.crt"
ok $? "fake Consul answers https, with a client certificate only"
consul_register web1 127.0.0.1 $B1
write_template

tls_conf() {
	consul_conf "scheme = https
ca_file = $T/$1.crt
cert_file = $T/client.crt
key_file = $T/client.key
$2"
}

# the right CA and name
tls_conf ca "tls_server_name = consul.test"
ep2d_start -v
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "https with ca_file, client certificate and tls_server_name"
log_has "at https://127.0.0.1:$CONSUL_PORT"
ok $? "the connection goes to consul_ip"
wait_for 5 consul_blocked
ok $? "blocking queries over https"
! ep2d_pids fetcher | while read -r p; do
	ls -l "/proc/$p/fd" 2>/dev/null; done | grep -q "$T/.*\.\(key\|crt\)"
ok $? "the fetcher holds no TLS file open: they are in memory"
kill "$EP2D_PID"
wait_for 5 sh -c "! kill -0 $EP2D_PID"

# a CA that did not sign Consul's certificate
tls_conf otherca "tls_server_name = consul.test"
n=$(consul_nqueries)
ep2d_start -v
wait_for 10 log_has "SSL certificate problem"
ok $? "a certificate from another CA is refused"
[ "$(consul_nqueries)" -eq "$n" ]
ok $? "no query reached Consul"
kill "$EP2D_PID"
wait_for 5 sh -c "! kill -0 $EP2D_PID"

# no tls_server_name: 127.0.0.1 is not in the certificate
tls_conf ca ""
ep2d_start -v
wait_for 10 log_has "SSL: no alternative certificate subject name matches"
ok $? "without tls_server_name the address does not match the certificate"
kill "$EP2D_PID"
wait_for 5 sh -c "! kill -0 $EP2D_PID"

# no client certificate: Consul (verify_incoming) refuses
consul_conf "scheme = https
ca_file = $T/ca.crt
tls_server_name = consul.test"
ep2d_start -v
wait_for 10 sh -c "grep -q 'the last servers stay' '$T/ep2d.out'"
ok $? "without a client certificate the handshake fails"

done_testing
