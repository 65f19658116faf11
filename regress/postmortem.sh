#!/bin/sh
# After a failed make check: the failures of host-fresh.t's nested run
# (make check in a fresh Debian 12 root), which the outer summary shows
# only as "host-fresh.t 3-4".  CI keeps the end of the output; this puts
# the nested run's own summary there.
F=${EP2D_HOST_DIR:-/var/tmp/ep2d-host}/fresh-check.failed
[ -s "$F" ] || exit 0
echo
echo "host-fresh.t: the nested make check's failures (whole log beside $F):"
sed 's/^/    /' "$F"
