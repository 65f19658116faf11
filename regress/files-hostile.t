#!/bin/sh
# Files ep2d writes as root, in directories somebody else may write: an
# entry put at a name cannot block the daemon, lead it elsewhere or make
# it change another file.  A FIFO at metrics_file's temporary name and at
# haproxy.cfg.new is replaced and ep2d keeps applying; a symbolic link
# and a hard link at log_file are refused with one line each and their
# targets stay as they were; a hard link at the lock file stops the start
# with a line, the target untouched.  Ports 26520-26539.
PORT_BASE=26520
. "$(dirname "$0")/lib.sh"
t_init

B1=26521 B2=26522 B3=26523
backends $B1 $B2 $B3
write_template
mkdir -p "$T/logs"
write_conf "metrics_file = $T/ep2d.prom"
sed -i "s|^log_file = .*|log_file = $T/logs/ep2.log|" "$T/ep2.conf"
echo "127.0.0.1:$B1" > "$T/servers"
echo "a file that must not change" > "$T/target"
cp "$T/target" "$T/target.orig"

# hostile entries, in place before ep2d starts
mkfifo "$T/ep2d.prom.tmp" "$T/haproxy.cfg.new"
ln -s "$T/target" "$T/logs/ep2.log"

ep2d_start
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "FIFOs at metrics_file.tmp and haproxy.cfg.new: ep2d applies"
wait_for 10 sh -c "[ -f $T/ep2d.prom ] && grep -q ep2d_applies_total $T/ep2d.prom"
ok $? "and writes metrics_file"
[ ! -p "$T/ep2d.prom.tmp" ] && [ ! -p "$T/haproxy.cfg.new" ]
ok $? "the FIFOs were removed, not opened"
echo "127.0.0.1:$B2" >> "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "and ep2d keeps applying"
mkfifo "$T/ep2d.prom.tmp"
echo "127.0.0.1:$B3" >> "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "a FIFO put there while it runs does not stop it either"
wait_for 20 sh -c "[ ! -p $T/ep2d.prom.tmp ]"
ok $? "and goes at the next metrics write"

[ "$(grep -c "log_file $T/logs/ep2.log: a symbolic link, refused" "$T/ep2d.out")" -eq 1 ]
ok $? "a symbolic link at log_file: refused, one line"
[ "$(grep -c "logs/ep2.log" "$T/ep2d.out")" -eq 1 ]
ok $? "no other line about it (the children say nothing more)"
cmp -s "$T/target" "$T/target.orig" && [ -L "$T/logs/ep2.log" ]
ok $? "the link's target is unchanged"
kill "$EP2D_PID"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"

# a hard link at log_file: another name of a file elsewhere
rm -f "$T/logs/ep2.log"
ln "$T/target" "$T/logs/ep2.log"
ep2d_start
wait_for 10 log_has "log_file $T/logs/ep2.log: the file has other hard links, refused"
ok $? "a hard link at log_file: refused with a line"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2 127.0.0.1:$B3
ok $? "ep2d runs without it"
cmp -s "$T/target" "$T/target.orig"
ok $? "and the linked file is unchanged"
kill "$EP2D_PID"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"

# a hard link at the lock file
L=$(ls "$T"/ep2d-*.lock 2>/dev/null | head -n 1)
[ -n "$L" ] && rm -f "$L" && ln "$T/target" "$L"
ok $? "the lock file ($L) replaced by a hard link"
out=$("$EP2D" -d -f "$T/ep2.conf" -s "$CTL" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "lock file $L: the file has other hard links, refused"
ok $? "ep2d refuses to start, saying why"
cmp -s "$T/target" "$T/target.orig"
ok $? "and the linked file is unchanged"

done_testing
