#!/bin/sh
# Severities: with JOURNAL_STREAM naming ep2d's stderr (as systemd sets
# it for a service whose output goes to the journal), every line that
# any of ep2d's processes writes there starts with its syslog priority
# "<N>"; lines in log_file carry the level as a word.
# Ports 26020-26039.
PORT_BASE=26020
. "$(dirname "$0")/lib.sh"
t_init

B1=26022
backends $B1
ok $? "a backend answers"
write_template
write_conf "bogus_key = 1"
printf '127.0.0.1:%s\nno_such_host!\n' $B1 > "$T/servers"

: > "$T/ep2d.out"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/ep2d.out")
export JOURNAL_STREAM
ep2d_start
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "ep2d starts HAProxy"
wait_for 5 grep -q "haproxy started" "$T/ep2d.out"
grep -q '^<4>parent: .*unknown key "bogus_key" ignored' "$T/ep2d.out"
ok $? "a warning is <4> (warning)"
grep -q '^<6>parent: haproxy started' "$T/ep2d.out"
ok $? "an info line is <6> (info)"
grep -q '^<6>reloader: starting haproxy' "$T/ep2d.out"
ok $? "the reloader's lines too"
bad=$(grep -cv '^<[0-7]>' "$T/ep2d.out")
[ "$bad" -eq 0 ]
ok $? "every line on stderr has a priority ($bad without)"
[ "$bad" -eq 0 ] || diag "$(grep -v '^<[0-7]>' "$T/ep2d.out" | head -5)"
grep -q ']: warning: fetcher: .*no_such_host' "$T/ep2.log" &&
    grep -q ']: info: parent: haproxy started' "$T/ep2.log"
ok $? "log_file lines carry the level"
grep -q '<[0-7]>' "$T/ep2.log"
[ $? -ne 0 ]
ok $? "and no journald prefix"
kill "$EP2D_PID"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
EP2D_PID=

# stderr elsewhere (the variable inherited, the stream not): no prefix
JOURNAL_STREAM=1:1
ep2d_start
wait_for 10 log_has "haproxy reloaded"
ok $? "ep2d runs again"
grep -q '^parent: haproxy reloaded' "$T/ep2d.out" &&
    ! grep -q '^<[0-7]>' "$T/ep2d.out"
ok $? "JOURNAL_STREAM of another file: plain lines"

done_testing
