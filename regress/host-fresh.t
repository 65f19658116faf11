#!/bin/sh
# The README's test command as the first command on a fresh Debian 12:
# a debootstrap minbase root with git and make (cached, see host-lib.sh),
# a throw-away overlay, the project copied in as a clone has it, then
# `make check` in a chroot as root.  Its own host tests are skipped in
# there (EP2D_HOST_TESTS=no): they are what is running it.
# EP2D_HOST_CHECK=no leaves this one out (it takes minutes).
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/regress/lib.sh"
. "$TOP/regress/host-lib.sh"
[ "${EP2D_HOST_CHECK:-yes}" != no ] || skip_all "EP2D_HOST_CHECK=no"
host_init
rm -f "$HOST_DIR/fresh-check.failed"

host_overlay fresh-check
ok $? "a throw-away overlay of a fresh Debian 12 root"
host_copy_tree
host_chroot_up
host_run 'command -v pkg-config cc gcc haproxy' >/dev/null 2>&1
[ $? -ne 0 ]
ok $? "the root is fresh: no compiler, no pkg-config, no haproxy"

host_run 'cd /root/ep2d && EP2D_HOST_TESTS=no make check' \
    > "$HR/check.log" 2>&1
rc=$?
[ $rc -eq 0 ]
ok $? "make check as the first command passes (exit $rc)"
# the last Result line is the whole run's (make unit prints its own first)
[ "$(grep '^Result: ' "$HR/check.log" | tail -n 1)" = "Result: PASS" ]
ok $? "prove over regress/ says Result: PASS"
# prove shows a test's stderr, not its comments: the reasons go there,
# and the whole log stays in the cache directory for a post mortem.
cp "$HR/check.log" "$HOST_DIR/fresh-check.log" 2>/dev/null
# what regress/postmortem.sh prints at the end of a failed make check
[ $rc -eq 0 ] || { grep -E 'Dubious|Failed [0-9]' "$HR/check.log" | head -n 20
    sed -n '/^Test Summary Report/,$p' "$HR/check.log" | tail -n 40
    [ -n "$(sed -n '/^Test Summary Report/p' "$HR/check.log")" ] ||
    tail -n 20 "$HR/check.log"; } > "$HOST_DIR/fresh-check.failed"
[ $rc -eq 0 ] || { grep -E '^not ok|Failed|Dubious|error' "$HR/check.log" |
    head -n 40 | sed 's/^/# /'; tail -n 30 "$HR/check.log" |
    sed 's/^/# /'; } >&2
files=$(sed -n 's/^Files=\([0-9]*\),.*/\1/p' "$HR/check.log" | tail -n 1)
[ "${files:-0}" -ge 50 ]
ok $? "it ran every test file (${files:-0})"

done_testing
