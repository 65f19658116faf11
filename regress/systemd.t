#!/bin/sh
# start_by = systemd: the reloader asks systemd's manager over D-Bus
# (StartUnit, then ReloadUnit, of service_name's unit, mode "replace"),
# after haproxy -c.  A private dbus-daemon with a stand-in manager
# (regress/fakes/fake_systemd.py) takes systemd's place; it starts and
# reloads a real HAProxy as Debian's haproxy.service would.
# Ports 25060-25079.
PORT_BASE=25060
. "$(dirname "$0")/lib.sh"
command -v dbus-daemon >/dev/null || skip_all "no dbus-daemon"
/usr/bin/python3 -c "import dbus, gi" 2>/dev/null || skip_all "no python3-dbus/gi"
t_init

B1=25061 B2=25062
backends $B1 $B2
ok $? "backends answer"
write_template
write_conf "check_interval = 200ms"
sed -i 's/^start_by = binary/start_by = systemd\nservice_name = haproxy/' \
    "$T/ep2.conf"
echo "127.0.0.1:$B1" > "$T/servers"

dbus-daemon --session --nofork --address="unix:path=$T/bus" \
    > /dev/null 2>&1 &
t_pids="$t_pids $!"
wait_for 5 test -S "$T/bus"
ok $? "private bus up"
/usr/bin/python3 "$TOP/regress/fakes/fake_systemd.py" "unix:path=$T/bus" \
    "$T/systemd.log" "$HAPROXY" "$T/haproxy.cfg" "$T/haproxy.pid" \
    "$T/reload-fails" > "$T/fake.out" 2>&1 &
t_pids="$t_pids $!"
wait_for 10 grep -q ready "$T/systemd.log"
ok $? "stand-in manager owns org.freedesktop.systemd1"

EP2D_SYSTEMD_BUS="unix:path=$T/bus"
export EP2D_SYSTEMD_BUS
ep2d_start
wait_for 15 grep -q "StartUnit haproxy.service replace" "$T/systemd.log"
ok $? "bootstrap: StartUnit haproxy.service, mode replace"
wait_for 15 hap_up 127.0.0.1:$B1
ok $? "HAProxy started through systemd serves the first server"
hp=$(haproxy_pid)

echo "127.0.0.1:$B1
127.0.0.1:$B2" > "$T/servers"
wait_for 15 grep -q "ReloadUnit haproxy.service replace" "$T/systemd.log"
ok $? "a change: ReloadUnit haproxy.service"
wait_for 15 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "the reloaded HAProxy has both servers"
[ "$(haproxy_pid)" = "$hp" ]
ok $? "same master (reloaded by systemd, not restarted)"
n=$(grep -c "Unit" "$T/systemd.log")
[ "$n" -eq 2 ]
ok $? "exactly one StartUnit and one ReloadUnit asked ($n)"

# a reload the unit refuses (its ExecReload failed: systemd's job ends
# "failed") is a failure, not "reloaded"; once it works again, it applies
grep -q "JobRemoved haproxy.service done" "$T/systemd.log"
ok $? "ep2d waited for systemd's jobs (JobRemoved done)"
touch "$T/reload-fails"
: > "$T/ep2d.out"
echo "127.0.0.1:$B2" > "$T/servers"
wait_for 15 log_has "ReloadUnit haproxy.service: job failed"
ok $? "a failed reload job is logged as failed"
! log_has "haproxy reloaded"
ok $? "and not as reloaded"
hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "HAProxy keeps its servers meanwhile"
rm -f "$T/reload-fails"
wait_for 30 hap_has 127.0.0.1:$B2
ok $? "the retry after the unit works again applies the change"
echo "127.0.0.1:$B1
127.0.0.1:$B2" > "$T/servers"
wait_for 15 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
n=$(grep -c "StartUnit" "$T/systemd.log")
[ "$n" -eq 1 ]
ok $? "still one StartUnit"

# a template haproxy -c refuses never reaches systemd
n0=$(grep -c "Unit" "$T/systemd.log")
cp "$T/haproxy.tmpl" "$T/good.tmpl"
echo "    bogus-directive here" >> "$T/haproxy.tmpl"
kill -HUP "$EP2D_PID"
# the change must come after the new template: a change read before the
# SIGHUP would be applied, rightly, with the good one
wait_for 15 log_has "configuration reloaded"
echo "127.0.0.1:$B2" > "$T/servers"
wait_for 15 log_has "refused by haproxy -c"
ok $? "a bad config is refused by haproxy -c"
n=$(grep -c "Unit" "$T/systemd.log")
[ "$n" -eq "$n0" ]
ok $? "and systemd is not asked to reload it"
kill "$EP2D_PID"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"

# a unit systemd does not know: the error is systemd's, logged
cp "$T/good.tmpl" "$T/haproxy.tmpl"
kill "$(haproxy_pid)" 2>/dev/null
wait_for 10 sh -c "! kill -0 $hp 2>/dev/null"
rm -f "$T/haproxy.pid"
sed -i 's/^service_name = haproxy/service_name = nosuch/' "$T/ep2.conf"
ep2d_start
wait_for 15 log_has "StartUnit nosuch.service: "
ok $? "an unknown unit: systemd's error is logged with the unit"
grep "StartUnit nosuch.service: " "$T/ep2d.out" | grep -q "not found"
ok $? "with systemd's message"

done_testing
