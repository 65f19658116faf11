#!/bin/sh
# regress/fixtures is a copy of the project's reference data
# (../shared/fixtures: real Consul and AWS answers, AWS's SigV4 test
# suite under its Apache licence), so that the fakes and the parsers'
# tests work from a clone alone.  Where the original sits beside the
# checkout, the copy must be the same, byte for byte.
TOP=$(cd "$(dirname "$0")/.." && pwd)
ORIG=${EP2D_SHARED_FIXTURES:-$TOP/../shared/fixtures}
echo "1..2"
if [ -f "$TOP/regress/fixtures/consul/health-service.json" ] &&
    [ -f "$TOP/regress/fixtures/aws-sigv4/LICENSE" ]; then
	echo "ok 1 - the copy is in the tree, with the SigV4 suite's licence"
else
	echo "not ok 1 - regress/fixtures incomplete"
fi
if [ ! -d "$ORIG" ]; then
	echo "ok 2 # SKIP no $ORIG beside this checkout"
	exit 0
fi
if out=$(diff -r "$ORIG" "$TOP/regress/fixtures" 2>&1); then
	echo "ok 2 - regress/fixtures equals $ORIG"
else
	echo "not ok 2 - regress/fixtures differs from $ORIG"
	echo "$out" | head -n 20 | sed 's/^/# /'
	exit 1
fi
