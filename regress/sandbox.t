#!/bin/sh
# The sandbox of each process, seen from /proc: the fetcher's user,
# groups, capabilities, no_new_privs, seccomp and chroot; the chroot's
# contents; the parent's, the reloader's and the runner's restrictions
# and HAProxy inheriting the runner's; a sandbox violation in the
# reloader's runner reported; and the file source still working inside
# the sandbox.  Ports 21000-21099.
PORT_BASE=21000
. "$(dirname "$0")/lib.sh"
# the production sandbox: a refused call kills
unset EP2D_SANDBOX_DEBUG
t_init

B1=21001 B2=21002
CHROOT=/run/ep2d/fetcher
backends $B1 $B2
write_template
write_conf
echo "127.0.0.1:$B1" > "$T/servers"
chmod 644 "$T/servers"

# status_is PID FIELD VALUE: the whole value of a /proc/PID/status line
status_is() {
	[ "$(awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ +/, ""); print }' \
	    "/proc/$1/status" | tr -s ' \t' ' ')" = "$3" ]
}

ep2d_start -v
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "ep2d up with the file source, HAProxy has the server"

F=$(ep2d_pids fetcher)
R=$(ep2d_pids reloader)
P=$EP2D_PID
U=$(id -u _ep2d)
G=$(id -g _ep2d)
[ -n "$F" ] && [ -n "$R" ] && [ -d /proc/$F ] && [ -d /proc/$R ]
ok $? "fetcher ($F) and reloader ($R) found"
if [ $t_failed -ne 0 ]; then
	diag "$(cat "$T/ep2d.out")"
	done_testing
fi

# fetcher: the user, with nothing left of root
status_is "$F" Uid "$U $U $U $U"
ok $? "fetcher: real, effective, saved and fs uid are _ep2d ($U)"
status_is "$F" Gid "$G $G $G $G"
ok $? "fetcher: real, effective, saved and fs gid are _ep2d's ($G)"
status_is "$F" Groups "$G"
ok $? "fetcher: supplementary groups are only _ep2d's"
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
	status_is "$F" $c 0000000000000000
	ok $? "fetcher: $c empty"
done
status_is "$F" NoNewPrivs 1
ok $? "fetcher: NoNewPrivs 1"
status_is "$F" Seccomp 2
ok $? "fetcher: Seccomp 2 (filter)"
[ "$(readlink /proc/$F/root)" = "$CHROOT" ]
ok $? "fetcher: root directory is $CHROOT"
[ "$(readlink /proc/$F/cwd)" = "$CHROOT" ]
ok $? "fetcher: working directory is the chroot's root"
[ "$(stat -c %U /proc/$F/status)" = "root" ]
ok $? "fetcher: not dumpable (its /proc files are root's)"
cat /proc/$F/limits | awk '/^Max core file size/ { exit !($5 == 0 && $6 == 0) }'
ok $? "fetcher: core size limit 0"

# the chroot: root-owned, read-only for the fetcher, resolver files only
[ "$(stat -c '%U %a' $CHROOT)" = "root 755" ] &&
    [ "$(stat -c '%U %a' $CHROOT/etc)" = "root 755" ]
ok $? "chroot and its etc are root's, mode 755"
extra=$(cd $CHROOT && find . -mindepth 1 ! -path ./etc ! -path ./etc/resolv.conf \
    ! -path ./etc/hosts ! -path ./etc/nsswitch.conf ! -path ./etc/gai.conf \
    ! -path ./etc/host.conf)
[ -z "$extra" ]
ok $? "chroot holds the resolver's files only${extra:+ (also: $extra)}"
bad=$(find $CHROOT -mindepth 2 \( ! -user root -o -perm /022 -o ! -type f \))
[ -z "$bad" ]
ok $? "chroot files are root's plain files, not writable by others"
cmp -s /etc/hosts $CHROOT/etc/hosts &&
    { [ ! -e /etc/resolv.conf ] || cmp -s /etc/resolv.conf $CHROOT/etc/resolv.conf; }
ok $? "chroot's hosts and resolv.conf are copies of the host's"
[ ! -e /proc/$F/root/etc/shadow ] && [ ! -e /proc/$F/root/etc/passwd ] &&
    [ ! -e /proc/$F/root/bin/sh ] && [ ! -e /proc/$F/root/proc ]
ok $? "fetcher cannot reach /etc/shadow, /etc/passwd, /bin/sh or /proc"

# the sandbox does not break the source
echo "127.0.0.1:$B2" >> "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
ok $? "fetcher sees a servers file change from inside the sandbox"
printf '127.0.0.1:%s\n' $B2 > "$T/servers.tmp"
chmod 644 "$T/servers.tmp"
mv "$T/servers.tmp" "$T/servers"
wait_for 10 hap_has 127.0.0.1:$B2
ok $? "and a file replaced by rename"
kill -HUP $P
wait_for 10 log_has "fetcher.*configuration reloaded"
ok $? "fetcher reads a new configuration passed by descriptor"
# the same servers again: the fetcher, under its new configuration,
# reads the file and says so (no seccomp kill, no restart)
c=$(grep -c "no change" "$T/ep2d.out")
cp "$T/servers" "$T/servers.tmp" && mv "$T/servers.tmp" "$T/servers"
wait_for 10 sh -c "[ \$(grep -c 'no change' '$T/ep2d.out') -gt $c ]" &&
    [ "$(ep2d_pids fetcher)" = "$F" ] && hap_has 127.0.0.1:$B2
ok $? "fetcher still reads the file after all that, the same process"
! grep -q "signal 31\|sandbox violation\|system call [0-9]* refused" \
    "$T/ep2d.out"
ok $? "no sandbox violation in the log"

# what this machine allows at all (a container may have less)
MBND=$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)

# parent: root, no_new_privs, filter, capabilities for others' files
# CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SYS_RESOURCE
PCAPS=$(printf '%016x' $(( 0x100003f & 0x$MBND )))
status_is "$P" Uid "0 0 0 0"
ok $? "parent: stays root"
status_is "$P" CapBnd $PCAPS && status_is "$P" CapEff $PCAPS &&
    status_is "$P" CapPrm $PCAPS
ok $? "parent: capabilities and bounding set reduced ($PCAPS)"
status_is "$P" NoNewPrivs 1
ok $? "parent: NoNewPrivs 1"
status_is "$P" Seccomp 2
ok $? "parent: Seccomp 2 (allow-list)"

# reloader: root without a capability, no_new_privs, allow-list
status_is "$R" Uid "0 0 0 0"
ok $? "reloader: stays root"
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
	status_is "$R" $c 0000000000000000
	ok $? "reloader: $c empty"
done
status_is "$R" NoNewPrivs 1
ok $? "reloader: NoNewPrivs 1"
status_is "$R" Seccomp 2
ok $? "reloader: Seccomp 2 (allow-list)"

# the parent's connector: root, DAC_OVERRIDE and DAC_READ_SEARCH only
C=$(ep2d_pids connector)
[ -n "$C" ]
ok $? "the parent's connector ($C) is its child"
CCAPS=$(printf '%016x' $(( 0x6 & 0x$MBND )))
status_is "$C" CapBnd $CCAPS && status_is "$C" CapEff $CCAPS &&
    status_is "$C" CapPrm $CCAPS
ok $? "connector: capabilities and bounding set reduced ($CCAPS)"
status_is "$C" NoNewPrivs 1 && status_is "$C" Seccomp 2
ok $? "connector: NoNewPrivs 1, Seccomp 2 (allow-list)"

# its runner: root, no_new_privs, deny-list, HAProxy's capabilities only
# CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID
# NET_BIND_SERVICE NET_ADMIN NET_RAW IPC_LOCK SYS_CHROOT SYS_NICE
# SYS_RESOURCE
RCAPS=$(printf '%016x' $(( 0x18474ff & 0x$MBND )))
N=$(pgrep -P "$R" -f '^ep2d: runner')
[ -n "$N" ]
ok $? "the reloader's runner ($N) is its child"
status_is "$N" Uid "0 0 0 0"
ok $? "runner: stays root"
status_is "$N" NoNewPrivs 1
ok $? "runner: NoNewPrivs 1"
status_is "$N" Seccomp 2
ok $? "runner: Seccomp 2 (deny-list)"
status_is "$N" CapBnd $RCAPS && status_is "$N" CapEff $RCAPS &&
    status_is "$N" CapPrm $RCAPS
ok $? "runner: capabilities and bounding set are HAProxy's ($RCAPS)"
status_is "$N" CapInh 0000000000000000 && status_is "$N" CapAmb 0000000000000000
ok $? "runner: no inheritable or ambient capabilities"

# HAProxy started by the runner inherits its restrictions, and works
H=$(haproxy_pid)
[ -n "$H" ] && status_is "$H" NoNewPrivs 1 && status_is "$H" Seccomp 2 &&
    status_is "$H" CapBnd $RCAPS
ok $? "HAProxy ($H) inherits the runner's restrictions"
wait_for 10 hap_up 127.0.0.1:$B2
[ "$(answers 2)" = "b$B2 " ]
ok $? "HAProxy serves under them"

# what a seccomp kill looks like to the parent (the kernel sends SIGSYS)
kill -SYS $F
wait_for 10 sh -c "! kill -0 $P 2>/dev/null"
ok $? "a fetcher killed by SIGSYS ends the daemon"
grep -q "lost child: fetcher pid $F terminated; signal 31 (sandbox violation)" \
    "$T/ep2d.out"
ok $? "and the log says it was a sandbox violation"
kill -0 "$H" && [ "$(answers 2)" = "b$B2 " ]
ok $? "HAProxy keeps serving"

# the same through the reloader: its runner dies of SIGSYS
ep2d_start -v
wait_for 10 sh -c "[ -n \"\$(ep2d_pids reloader)\" ]"
R=$(ep2d_pids reloader)
wait_for 10 sh -c "pgrep -P $R -f '^ep2d: runner' >/dev/null"
N=$(pgrep -P "$R" -f '^ep2d: runner')
[ -n "$N" ]
ok $? "restarted; runner $N"
kill -SYS "$N"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
ok $? "a runner killed by SIGSYS ends the daemon"
grep -q "runner pid $N terminated; signal 31 (sandbox violation)" \
    "$T/ep2d.out" && grep -q "lost child: reloader pid $R" "$T/ep2d.out"
ok $? "the reloader names the runner and the violation, the parent the reloader"
H=$(haproxy_pid)
kill -0 "$H" && [ "$(answers 2)" = "b$B2 " ]
ok $? "HAProxy keeps serving"

# and through the parent's connector
ep2d_start -v
wait_for 10 sh -c "[ -n \"\$(ep2d_pids connector)\" ]"
C=$(ep2d_pids connector)
kill -SYS "$C"
wait_for 10 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
ok $? "a connector killed by SIGSYS ends the daemon"
grep -q "lost child: connector pid $C terminated; signal 31 (sandbox violation)" \
    "$T/ep2d.out"
ok $? "and the log says so"
kill -0 "$(haproxy_pid)" && [ "$(answers 2)" = "b$B2 " ]
ok $? "HAProxy keeps serving"

done_testing
