#!/bin/sh
# The Debian package on a fresh Debian 12 (host-lib.sh): make deb on this
# machine, `apt-get install ./ep2d_VERSION_amd64.deb` in a fresh root with
# systemd (as every installed Debian has), booted: installed but neither
# enabled nor started; `systemctl enable --now ep2d` serves with the
# shipped configuration; `apt-get remove` stops it and keeps the
# conffiles; `apt-get purge` leaves what Debian policy says (the _ep2d
# user, files the operator made) and nothing else.
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/regress/lib.sh"
. "$TOP/regress/host-lib.sh"
host_init
command -v dpkg-buildpackage >/dev/null || skip_all "no dpkg-buildpackage"


(cd "$TOP" && make -s deb) > "$HOST_DIR/deb.log" 2>&1
ok $? "make deb (dpkg-buildpackage, lintian with no error)"
deb=$(ls "$TOP"/obj-deb/ep2d_*_amd64.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { tail -n 20 "$HOST_DIR/deb.log" | sed 's/^/# /';
    done_testing; }

host_overlay deb || { ok 1 "overlay"; done_testing; }
host_chroot_up
cp "$deb" "$HR/root/root/"
host_run "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends systemd-sysv dbus curl \
    iproute2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    /root/$(basename "$deb")" > "$HR/apt.log" 2>&1
rc=$?
ok $rc "apt-get install ./$(basename "$deb") on a fresh Debian 12"
[ $rc -eq 0 ] || tail -n 20 "$HR/apt.log" | sed 's/^/# /'
host_run 'getent passwd _ep2d && dpkg -s haproxy >/dev/null' >/dev/null
ok $? "the _ep2d user is made, haproxy came as a dependency"
host_run 'test -x /usr/libexec/ep2d/ep2d-fetcher &&
    [ "$(ep2d -V)" = "ep2d $(dpkg-query -W -f="\${Version}" ep2d)" ] &&
    [ "$(ep2ctl -V)" = "ep2ctl $(dpkg-query -W -f="\${Version}" ep2d)" ]'
ok $? "the fetcher in /usr/libexec/ep2d; ep2d -V says the package's version"

host_boot
ok $? "the root boots with systemd as PID 1"
[ -n "$HOST_PID1" ] || done_testing
[ "$(host_exec 'systemctl is-enabled ep2d')" = disabled ] &&
    [ "$(host_exec 'systemctl is-active ep2d')" = inactive ]
ok $? "ep2d.service is installed disabled and not running"
host_exec 'systemctl is-active haproxy' >/dev/null
ok $? "haproxy.service runs"

# the shipped /etc/ep2/ep2.conf as it is, a server in the servers file
host_exec 'printf "global\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend b1\n    bind 127.0.0.1:8001\n    http-request return status 200 content-type text/plain string \"b1\\\\n\"\n" > /root/b.cfg &&
    haproxy -D -f /root/b.cfg && echo 127.0.0.1:8001 > /etc/ep2/servers'
host_exec 'systemctl enable --now ep2d' >/dev/null 2>&1
ok $? "systemctl enable --now ep2d"
hwait 15 'curl -sf http://127.0.0.1/ | grep -q b1'
rc=$?
ok $rc "HAProxy answers from the server in /etc/ep2/servers"
[ $rc -eq 0 ] || host_exec 'journalctl -u ep2d -u haproxy --no-pager |
    tail -n 20' | sed 's/^/# /'

host_exec 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq ep2d' \
    > "$HR/remove.log" 2>&1
ok $? "apt-get remove ep2d"
host_exec '! test -e /usr/sbin/ep2d && ! pgrep -f "^ep2d: parent"'
ok $? "the programs are gone and ep2d is stopped"
host_exec 'test -f /etc/ep2/ep2.conf && test -f /etc/ep2/ep2.template'
ok $? "the conffiles stay after remove"
host_exec 'systemctl is-active haproxy' >/dev/null
ok $? "haproxy.service still runs"
host_exec 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq ep2d' \
    > "$HR/purge.log" 2>&1
ok $? "apt-get purge ep2d"
left=$(host_exec 'dpkg -S ep2d 2>/dev/null; ls -d /etc/ep2/ep2.conf \
    /etc/ep2/ep2.template /etc/logrotate.d/ep2d /etc/init.d/ep2d \
    /var/log/ep2 /lib/systemd/system/ep2d.service \
    /etc/systemd/system/multi-user.target.wants/ep2d.service 2>/dev/null')
[ -z "$left" ]
ok $? "purge leaves no conffile, log, unit or link"
[ -n "$left" ] && diag "$left"
host_exec 'test -f /etc/ep2/servers && getent passwd _ep2d' >/dev/null
ok $? "what policy keeps: the operator's servers file, the system user"

done_testing
