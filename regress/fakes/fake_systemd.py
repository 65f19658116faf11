#!/usr/bin/python3
# A stand-in for systemd's manager on a private D-Bus, for the
# start_by = systemd tests: it owns org.freedesktop.systemd1, answers
# Manager.StartUnit and Manager.ReloadUnit as systemd does (a job path),
# logs each call as "METHOD UNIT MODE" and then does what Debian's
# haproxy.service would: StartUnit runs "haproxy -W -D -f CFG -p PID",
# ReloadUnit sends the master SIGUSR2.  As systemd, it announces the end
# of each job with the signal JobRemoved(id, job, unit, result) once the
# job's work is done (after the method's answer); result is "done", or
# "failed" while the file FAILFILE exists (a unit whose ExecReload fails,
# as Debian's does on a host without /bin/kill).  Subscribe is accepted.
#
# usage: fake_systemd.py BUS-ADDRESS LOG HAPROXY CFG PIDFILE [FAILFILE]
import os
import signal
import subprocess
import sys

import dbus
import dbus.service
import dbus.mainloop.glib
from gi.repository import GLib

addr, logpath, haproxy, cfg, pidfile = sys.argv[1:6]
failfile = sys.argv[6] if len(sys.argv) > 6 else None
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(addr)
name = dbus.service.BusName("org.freedesktop.systemd1", bus)
IFACE = "org.freedesktop.systemd1.Manager"
jobs = [0]


def log(line):
    with open(logpath, "a") as f:
        f.write(line + "\n")


def master_pid():
    try:
        with open(pidfile) as f:
            return int(f.readline())
    except (OSError, ValueError):
        return 0


class Manager(dbus.service.Object):
    def job(self, unit):
        jobs[0] += 1
        path = dbus.ObjectPath("/org/freedesktop/systemd1/job/%d" % jobs[0])
        result = "failed" if failfile and os.path.exists(failfile) else "done"
        GLib.idle_add(self.job_removed, jobs[0], path, unit, result)
        return path

    def job_removed(self, jid, path, unit, result):
        log("JobRemoved %s %s" % (unit, result))
        self.JobRemoved(dbus.UInt32(jid), path, unit, result)
        return False

    @dbus.service.signal(IFACE, signature="uoss")
    def JobRemoved(self, jid, path, unit, result):
        pass

    @dbus.service.method(IFACE, in_signature="", out_signature="")
    def Subscribe(self):
        pass

    @dbus.service.method(IFACE, in_signature="ss", out_signature="o")
    def StartUnit(self, unit, mode):
        log("StartUnit %s %s" % (unit, mode))
        if unit != "haproxy.service":
            raise dbus.exceptions.DBusException(
                "Unit %s not found." % unit,
                name="org.freedesktop.systemd1.NoSuchUnit")
        subprocess.run([haproxy, "-W", "-D", "-q", "-f", cfg, "-p", pidfile])
        return self.job(unit)

    @dbus.service.method(IFACE, in_signature="ss", out_signature="o")
    def ReloadUnit(self, unit, mode):
        log("ReloadUnit %s %s" % (unit, mode))
        pid = master_pid()
        if pid > 0 and not (failfile and os.path.exists(failfile)):
            os.kill(pid, signal.SIGUSR2)
        return self.job(unit)


Manager(bus, "/org/freedesktop/systemd1")
log("ready")
GLib.MainLoop().run()
