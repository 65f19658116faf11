#!/bin/sh
# make check replays every fuzz corpus (regress/fuzz/corpus/NAME) through
# its harness built under ASan/UBSan (make asan builds them): each seed,
# and each input that once crashed, must pass.  make fuzz explores more.
TOP=$(cd "$(dirname "$0")/.." && pwd)
n=0
fail=0
for c in "$TOP"/regress/fuzz/corpus/*/; do
	name=$(basename "$c")
	bin=$TOP/obj-asan/regress/fuzz/fuzz_$name
	n=$((n + 1))
	if [ ! -x "$bin" ]; then
		echo "not ok $n - fuzz_$name: not built (make asan)"
		fail=1
		continue
	fi
	if out=$("$bin" "$c" 2>&1 >/dev/null); then
		echo "ok $n - fuzz_$name: $(ls "$c" | wc -l) inputs, no crash"
	else
		echo "not ok $n - fuzz_$name crashed"
		echo "$out" | tail -n 20 | sed 's/^/# /'
		fail=1
	fi
done
echo "1..$n"
exit $fail
