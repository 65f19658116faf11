#!/bin/sh
# regress/fixtures is a copy of the project's reference data
# (../shared/fixtures: real Consul and AWS answers, AWS's SigV4 test
# suite under its Apache licence), so that the fakes and the parsers'
# tests work from a clone alone.  Where the original sits beside the
# checkout, what it holds must be in the copy, byte for byte.  The copy
# may hold more: the directories named in OWN (reference data gathered
# in the tree itself), and README.md may go on after the original's text
# to describe them.
TOP=$(cd "$(dirname "$0")/.." && pwd)
ORIG=${EP2D_SHARED_FIXTURES:-$TOP/../shared/fixtures}
OWN="aws-lifecycle"
COPY=$TOP/regress/fixtures
echo "1..3"
if [ -f "$COPY/consul/health-service.json" ] &&
    [ -f "$COPY/aws-sigv4/LICENSE" ] &&
    [ -f "$COPY/aws-lifecycle/asg-launch.json" ]; then
	echo "ok 1 - the copy is in the tree, with the SigV4 suite's licence"
else
	echo "not ok 1 - regress/fixtures incomplete"
fi
if [ ! -d "$ORIG" ]; then
	echo "ok 2 # SKIP no $ORIG beside this checkout"
	echo "ok 3 # SKIP no $ORIG beside this checkout"
	exit 0
fi
out=$(diff -r -x README.md "$ORIG" "$COPY" 2>&1)
for d in $OWN; do
	[ -d "$ORIG/$d" ] && continue	# taken into the original: compared
	out=$(printf '%s\n' "$out" | grep -vxF "Only in $COPY: $d")
done
if [ -z "$out" ]; then
	echo "ok 2 - regress/fixtures holds $ORIG unchanged (and $OWN)"
else
	echo "not ok 2 - regress/fixtures differs from $ORIG"
	echo "$out" | head -n 20 | sed 's/^/# /'
	fail=1
fi
n=$(wc -c < "$ORIG/README.md")
if head -c "$n" "$COPY/README.md" | cmp -s - "$ORIG/README.md"; then
	echo "ok 3 - README.md begins with the original's, byte for byte"
else
	echo "not ok 3 - README.md does not begin with $ORIG/README.md"
	fail=1
fi
exit ${fail:-0}
