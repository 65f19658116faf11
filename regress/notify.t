#!/bin/sh
# systemd integration seen from outside: sd_notify READY=1 after the
# bootstrap, STATUS= with the server count, WATCHDOG=1 when systemd asks
# for it (NOTIFY_SOCKET created here), and log_file reopened on SIGUSR1
# as logrotate needs.  Ports 25080-25099.
PORT_BASE=25080
. "$(dirname "$0")/lib.sh"
t_init

B1=25081 B2=25082
backends $B1 $B2
write_template
write_conf "check_interval = 200ms"
echo "127.0.0.1:$B1" > "$T/servers"

socat -u "UNIX-RECV:$T/notify.sock" "OPEN:$T/notify.log,creat,append" &
t_pids="$t_pids $!"
wait_for 5 test -S "$T/notify.sock"
ok $? "notify socket listening"

NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=400000 ep2d_start
wait_for 15 grep -q "READY=1" "$T/notify.log"
ok $? "READY=1 sent"
hap_has 127.0.0.1:$B1
ok $? "after the bootstrap applied the first set"
wait_for 10 grep -q "STATUS=1 servers wanted, 1 applied" "$T/notify.log"
ok $? "STATUS= names the server count"
n0=$(grep -o "WATCHDOG=1" "$T/notify.log" | wc -l)
wait_for 5 sh -c "[ \$(grep -o WATCHDOG=1 '$T/notify.log' | wc -l) -gt $((n0 + 2)) ]"
ok $? "WATCHDOG=1 keeps coming at WATCHDOG_USEC/2"

# logrotate: move the file away, SIGUSR1, the next line goes to a new file
wait_for 10 grep -q "haproxy started" "$T/ep2.log"
ok $? "log_file written"
mv "$T/ep2.log" "$T/ep2.log.1"
kill -USR1 "$EP2D_PID"
wait_for 10 test -e "$T/ep2.log"
ok $? "SIGUSR1 reopens log_file"
echo "127.0.0.1:$B1
127.0.0.1:$B2" > "$T/servers"
wait_for 15 grep -q "haproxy reloaded" "$T/ep2.log"
ok $? "the next lines go to the new file"
! grep -q "haproxy reloaded" "$T/ep2.log.1"
ok $? "and not to the rotated one"
grep -q "reloader: reloading haproxy" "$T/ep2.log"
ok $? "the children's lines follow too"

done_testing
