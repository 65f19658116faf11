#!/bin/sh
# The runner may execute haproxy_binary, nothing else, and neither may
# the HAProxy it starts: a "program" section whose command runs /bin/sh
# through the dynamic loader (which Landlock must let the runner
# execute, as haproxy's ELF interpreter) never runs.  The runner's check
# refuses such a template with a line; spelt so that the check misses
# it, HAProxy cannot run the program (nor re-execute itself as a
# master) and ends.  A plain template then starts, serves and reloads.
# Ports 26500-26519.
PORT_BASE=26500
. "$(dirname "$0")/lib.sh"
t_init

B1=26501 B2=26502
LDSO=$(readelf -l "$HAPROXY" 2>/dev/null |
    sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ -n "$LDSO" ] && [ -x "$LDSO" ] || skip_all "no ELF interpreter for $HAPROXY"
backends $B1 $B2
write_template
cp "$T/haproxy.tmpl" "$T/plain.tmpl"
# program_template MASTER-WORKER PROGRAM: the keywords as spelt
program_template() {
	sed "s/^global\$/global\\n    $1/" "$T/plain.tmpl" > "$T/haproxy.tmpl"
	cat >> "$T/haproxy.tmpl" <<TMPL

$2 evil
    command $LDSO /bin/sh -c "id > $T/pwned; exec sleep 26503"
TMPL
}
program_template master-worker program
write_conf
echo "127.0.0.1:$B1" > "$T/servers"

ep2d_start
wait_for 10 log_has 'haproxy.cfg.new:2: "master-worker": HAProxy started by ep2d (start_by = binary) may run no program'
ok $? "master-worker and a program section: refused by the check, with a line"
log_has "new haproxy configuration refused by haproxy -c"
ok $? "the parent says the configuration was refused"
[ ! -e "$T/haproxy.pid" ] && [ ! -e "$T/pwned" ]
ok $? "HAProxy did not start, the loader did not run /bin/sh"

# nothing was ever serving: a start that cannot succeed ends ep2d
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
wait "$EP2D_PID"
st=$?
EP2D_PID=""
[ "$st" -eq 1 ] && log_has "cannot start:"
ok $? "the first start refused: ep2d ends, status 1 ($st), 'cannot start'"

# the same keywords quoted: HAProxy reads them, the check does not
program_template '"master-worker"' '"program"'
echo "127.0.0.1:$B2" >> "$T/servers"
ep2d_start
wait_for 10 log_has "haproxy started"
ok $? "quoted, they pass the check and HAProxy is started"
M=$(haproxy_pid)
[ -n "$M" ] && wait_for 10 sh -c "! kill -0 $M 2>/dev/null"
ok $? "HAProxy ($M) cannot re-execute itself as a master and ends"
[ ! -e "$T/pwned" ] && ! pgrep -f "sleep 26503" >/dev/null
ok $? "and its program did not run: no shell ($(cat "$T/pwned" 2>/dev/null))"
wait_for 5 ctl_status_is "s[0]['source_ok'] and s[0]['servers'] == 2" &&
    ! log_has "sandbox violation\|signal 31"
ok $? "ep2d lives on and answers, no sandbox violation (the refusal is EPERM)"

# a plain template: HAProxy starts, serves and reloads
cp "$T/plain.tmpl" "$T/haproxy.tmpl"
: > "$T/ep2d.out"
kill -HUP "$EP2D_PID"
wait_for 10 log_has "configuration reloaded"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "a plain template: HAProxy starts with both servers"
M=$(haproxy_pid)
printf '127.0.0.1:%s\n' $B2 > "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B2
ok $? "a change reloads it"
[ "$(haproxy_pid)" != "$M" ] && [ "$(answers 4)" = "b$B2 " ]
ok $? "by a new HAProxy, which serves"

done_testing
