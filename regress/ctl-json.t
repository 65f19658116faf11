#!/bin/sh
# ep2ctl -j against a running ep2d (file orchestrator, real HAProxy):
# every command answers one JSON document on stdout and nothing on
# stderr, failures included (a reload before any server set is an
# error object and exit 1; so are a wrong command line and no daemon);
# show status is the same array of the same objects for one backend
# and for several (multi-lib.sh's three).  Ports 27100-27119.
PORT_BASE=27100
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"
. "$TOP/regress/multi-lib.sh"

B1=27102 B2=27103 B3=27104 B4=27105

# jcheck EXPR: stdin is one JSON document (strict UTF-8) and EXPR over
# d holds
jcheck() {
	python3 -c 'import json, sys
d = json.loads(sys.stdin.buffer.read().decode("utf-8"))
sys.exit(0 if eval("(" + sys.argv[1] + ")") else 1)' "$1"
}
# jctl RC EXPR ARG...: "ep2ctl -j ARG..." exits RC, says nothing on
# stderr, and prints one document that json.tool reads and EXPR holds of
jctl() {
	_rc=$1 _expr=$2
	shift 2
	"$EP2CTL" -s "$CTL" -j "$@" > "$T/j.out" 2> "$T/j.err"
	_r=$?
	if [ $_r -ne "$_rc" ] || [ -s "$T/j.err" ] ||
	    ! python3 -m json.tool "$T/j.out" >/dev/null ||
	    ! jcheck "$_expr" < "$T/j.out"; then
		diag "ep2ctl -j $* (exit $_r): $(cat "$T/j.out" "$T/j.err")"
		return 1
	fi
}
# the keys of a status object, in order, one backend or several
KEYS="['backend', 'orchestrator', 'update_type', 'started', 'version', 'source_ok',
    'last_fetch', 'last_ok', 'failing_since', 'source_error', 'servers',
    'slots', 'last_apply', 'apply_ok', 'apply_how', 'apply_error',
    'changes_applied', 'haproxy_pid']"

backends $B1 $B2 $B3 $B4
write_template
write_conf
# no servers file yet: the orchestrator has given no set
rm -f "$T/servers"
ep2d_start -v
wait_for 15 "$EP2CTL" -s "$CTL" show status
ok $? "ep2d answers before any server set"

jctl 1 "d == {'error': 'no server set from the orchestrator yet',
    'request': 'reload', 'refused': True}" reload
ok $? "reload before a set: an error object, refused, exit 1"
wait_for 10 jctl 0 "d['status'][0]['source_ok'] is False" show status
jctl 0 "list(d) == ['status'] and len(d['status']) == 1 and
    isinstance(d['status'][0]['source_error'], str) and
    d['status'][0]['source_error'] != '' and
    d['status'][0]['last_apply'] is None and
    d['status'][0]['apply_how'] is None and
    d['status'][0]['apply_error'] is None" show status
ok $? "show status before a set: the source's error, null for what did not happen"

printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
wait_for 20 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "the servers file: HAProxy runs its two servers"
wait_for 10 jctl 0 "d['status'][0]['last_apply'] is not None" show status

jctl 0 "list(d) == ['status'] and len(d['status']) == 1 and
    list(d['status'][0]) == $KEYS and
    d['status'][0]['source_ok'] is True and
    d['status'][0]['source_error'] is None and
    d['status'][0]['apply_ok'] is True and
    d['status'][0]['apply_error'] is None and
    d['status'][0]['servers'] == 2 and
    d['status'][0]['haproxy_pid'] == $(haproxy_pid)" show status
ok $? "show status, one backend: an array of one object, errors null"
jctl 0 "list(d) == ['slots'] and
    sorted(s['server'] for s in d['slots'] if s['server']) ==
    ['127.0.0.1:$B1', '127.0.0.1:$B2']" show slots
ok $? "show slots: the two servers"
jctl 0 "list(d) == ['backends'] and len(d['backends']) == 1 and
    d['backends'][0]['wanted'] == 2" show backends
ok $? "show backends: one row, two wanted"
jctl 0 "list(d) == ['metrics'] and isinstance(d['metrics'], str) and
    '# TYPE ep2d_servers_wanted gauge\n' in d['metrics'] and
    'ep2d_servers_wanted{backend=\"haproxynode\"} 2\n' in d['metrics']" \
    show metrics
ok $? "show metrics: the Prometheus text as one string"
"$EP2CTL" -s "$CTL" -j show metrics | python3 -c 'import json, sys
sys.stdout.write(json.load(sys.stdin)["metrics"])' > "$T/m.json"
"$EP2CTL" -s "$CTL" show metrics > "$T/m.text"
[ "$(grep -c '^# TYPE' "$T/m.json")" -gt 5 ] &&
    [ "$(grep '^# ' "$T/m.json")" = "$(grep '^# ' "$T/m.text")" ]
ok $? "show metrics: the string is the text of show metrics"

pid1=$(haproxy_pid)
jctl 0 "d == {'reload': 'started'}" reload
ok $? "reload: {\"reload\": \"started\"}"
wait_for 10 sh -c "[ \"\$(head -n 1 '$T/haproxy.pid')\" != '$pid1' ]"
ok $? "reload: HAProxy reloaded"
c1=$(grep -c "no change" "$T/ep2d.out")
jctl 0 "d == {'sync': 'requested'}" sync
ok $? "sync: {\"sync\": \"requested\"}"
wait_for 10 sh -c "[ \$(grep -c 'no change' '$T/ep2d.out') -gt $c1 ]"
ok $? "sync: the fetcher fetched again"
jctl 0 "d == {'log': 'brief'}" log brief
ok $? "log brief: {\"log\": \"brief\"}"
jctl 0 "d == {'log': 'verbose'}" log verbose
ok $? "log verbose: {\"log\": \"verbose\"}"

# ep2ctl's own failures
jctl 1 "d['error'].startswith('unknown argument \"foo\"') and
    d['request'] is None and d['refused'] is False and
    d['usage'].startswith('ep2ctl [-jV]')" show foo
ok $? "a wrong word: an error object with the usage, exit 1"
jctl 1 "d['error'] == 'unknown option -x' and 'usage' in d" -x show status
ok $? "a wrong option after -j: an error object, exit 1"
jctl 1 "d['error'].startswith('missing command') and 'usage' in d"
ok $? "no command: an error object, exit 1"
CTL=$T/nope.sock jctl 1 "d == {'error': 'cannot connect to $T/nope.sock: No such file or directory',
    'request': 'show status', 'refused': False}" show status
ok $? "no daemon: an error object, not refused, exit 1"

# several backends: the same array of the same objects
kill "$EP2D_PID"
wait_for 10 sh -c "! kill -0 $EP2D_PID"
ok $? "ep2d stopped"
fake_consul_start
SERVICE=api consul_register api1 127.0.0.1 $B4
put "$T/servers2" 127.0.0.1:$B3
multi_template
multi_conf
ep2d_start -v
wait_for 20 jctl 0 "len(d['status']) == 3 and
    all(r['last_apply'] for r in d['status'])" show status
jctl 0 "list(d) == ['status'] and
    [r['backend'] for r in d['status']] ==
    ['haproxynode', 'be_files2', 'be_api'] and
    all(list(r) == $KEYS for r in d['status']) and
    [r['servers'] for r in d['status']] == [2, 1, 1] and
    all(r['source_error'] is None and r['apply_error'] is None
    for r in d['status'])" show status
ok $? "show status, three backends: the same array, the same keys"
jctl 0 "[b['backend'] for b in d['backends']] ==
    ['haproxynode', 'be_files2', 'be_api']" show backends
ok $? "show backends, three backends"

done_testing
