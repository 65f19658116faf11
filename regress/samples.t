#!/bin/sh
# The shipped samples: etc/ep2.conf.sample passes "ep2d -n" as it is and
# with every commented key turned on, for each orchestrator; the
# template etc/haproxy.cfg.template.sample, rendered with servers and
# free slots by template.c (regress/unit/test_template), passes
# "haproxy -c".  No process is left running: nothing is started.

cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
EP2D=${EP2D:-$TOP/ep2d/ep2d}
RENDER=${EP2D_UNIT_DIR:-regress/unit}/test_template
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
T=$(mktemp -d /tmp/samples.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
n=0
fail=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
		[ -s "$T/out" ] && sed 's/^/# /' "$T/out"
	fi
}

# the sample, with its two paths pointing here
sed -e "s|^template_file = .*|template_file = $TOP/etc/haproxy.cfg.template.sample|" \
    -e "s|^haproxy_config_file = .*|haproxy_config_file = $T/haproxy.cfg|" \
    etc/ep2.conf.sample > "$T/ep2.conf"
"$EP2D" -n -f "$T/ep2.conf" > "$T/out" 2>&1 && grep -q "configuration OK" "$T/out"
ok $? "ep2.conf.sample: ep2d -n says configuration OK"
grep -q -i -e warn -e unknown "$T/out"
[ $? -ne 0 ]
ok $? "ep2.conf.sample: no warning"

# every commented-out key turned on, with each orchestrator
sed -e 's/^#\([a-z_0-9]* = \)/\1/' "$T/ep2.conf" > "$T/all.conf"
chmod 600 "$T/all.conf"
for o in file consul aws; do
	sed -e "s/^orchestrator = .*/orchestrator = $o/" "$T/all.conf" \
	    > "$T/o.conf"
	chmod 600 "$T/o.conf"
	"$EP2D" -n -f "$T/o.conf" > "$T/out" 2>&1 &&
	    grep -q "configuration OK" "$T/out"
	ok $? "ep2.conf.sample, every key on, orchestrator $o: OK"
done

# EP2's implicit ip_type: public, with a warning at start
sed -e "s/^orchestrator = .*/orchestrator = aws/" \
    -e "s/^#asg_name = /asg_name = /" "$T/ep2.conf" > "$T/aws.conf"
"$EP2D" -n -f "$T/aws.conf" > "$T/out" 2>&1 &&
    grep -q "ip_type is not set" "$T/out"
ok $? "aws without ip_type: accepted with a warning"

# a bad value: refused with file:line and the key, exit 1
sed -e "s/^backend_port = .*/backend_port = 0/" "$T/ep2.conf" > "$T/bad.conf"
line=$(grep -n "^backend_port" "$T/bad.conf" | cut -d: -f1)
"$EP2D" -n -f "$T/bad.conf" > "$T/out" 2>&1
[ $? -eq 1 ] && grep -q "$T/bad.conf:$line: backend_port" "$T/out"
ok $? "bad backend_port: exit 1, error names file:$line and the key"

# the template, rendered with two live servers and two free slots
[ -x "$RENDER" ]
ok $? "renderer $RENDER built"
TEST_TEMPLATE_IN=etc/haproxy.cfg.template.sample \
TEST_TEMPLATE_OUT="$T/haproxy.cfg" \
    "$RENDER" 127.0.0.1:8001 "[::1]:8002" > "$T/out" 2>&1
ok $? "template rendered"
grep -q "^    server node1 127.0.0.1:8001 check inter 2s maxconn 100$" \
    "$T/haproxy.cfg" &&
grep -q "^    server node2 \[::1\]:8002 check inter 2s maxconn 100$" \
    "$T/haproxy.cfg" &&
grep -q "^    server node3 10.0.0.1:8080 check inter 2s maxconn 100 disabled$" \
    "$T/haproxy.cfg"
ok $? "rendered server lines in EP2's format, free slot disabled"
grep -q "{{" "$T/haproxy.cfg"
[ $? -ne 0 ]
ok $? "no {{ left in the rendered file"
"$HAPROXY" -c -f "$T/haproxy.cfg" > "$T/out" 2>&1
ok $? "rendered sample template passes haproxy -c"
grep -q -i "warning" "$T/out"
[ $? -ne 0 ]
ok $? "haproxy -c: no warning"

# a template with no server at all is still a valid configuration
TEST_TEMPLATE_IN=etc/haproxy.cfg.template.sample \
TEST_TEMPLATE_OUT="$T/empty.cfg" "$RENDER" > "$T/out" 2>&1 &&
    "$HAPROXY" -c -f "$T/empty.cfg" > "$T/out" 2>&1
ok $? "rendered with free slots only: haproxy -c passes"

# every key config.c knows is documented and in the sample
keys=$(grep -o '{ SEC_[A-Z]*, "[a-z_0-9]*"' ep2d/config.c |
    sed 's/.*"\(.*\)"/\1/' | sort -u)
[ -n "$keys" ]
ok $? "keys found in config.c"
missing=
for k in $keys; do
	grep -q "^\.It Ic $k" man/ep2.conf.5 || missing="$missing $k"
done
echo "$missing" > "$T/out"
[ -z "$missing" ]
ok $? "every key has an entry in ep2.conf.5"
missing=
for k in $keys; do
	grep -q "^#*$k = " etc/ep2.conf.sample || missing="$missing $k"
done
echo "$missing" > "$T/out"
[ -z "$missing" ]
ok $? "every key appears in ep2.conf.sample"

echo "1..$n"
exit $fail
