#!/bin/sh
# make bench: every part of issues 8 and 15 in turn, each a script of
# its own (bench/*.sh) run with a time bound, on 127.0.0.1 ports
# 28000-28999, with the real HAProxy, dnsmasq, the regress fakes and the
# built ep2d; then bench/RESULTS.md from what they printed
# (bench/report.py).  A part whose prerequisite does not work prints
# "SKIPPED: reason".  A typical run takes 10-12 minutes; the bounds
# add up to about 22 (the many-backends parts refused today take a
# second each).  Run some parts only: sh bench/run.sh peer-dns
# latency-consul-runtime (names below); the issue 15 summary of what
# ran is printed at the end, RESULTS.md is left alone.
# PROFILE=1 sh bench/run.sh latency-consul-runtime: perf record of
# ep2d's processes over the changes, top symbols in bench/profile-*.txt;
# STRACE=1: their syscalls counted (strace -c) in bench/strace-*.txt.
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
OUT=$(mktemp -d /tmp/ep2d-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
trap 'exit 1' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: run as root (HAProxy, the _ep2d user, chroot)" >&2
	exit 1
fi
getent passwd _ep2d >/dev/null || make -s testuser

# name, bound in seconds, command
PARTS="
latency-file-runtime	45	bench/latency.sh file-runtime
latency-file-config	75	bench/latency.sh file-config
latency-consul-runtime	120	bench/latency.sh consul-runtime
peer-dns		110	bench/dns.sh
scale-runtime		60	bench/scale.sh runtime
scale-growth		30	bench/scale.sh growth
scale-config		30	bench/scale.sh config
scale-max-runtime	150	bench/scale.sh max-runtime
scale-max-config	150	bench/scale.sh max-config
footprint		95	bench/footprint.sh
hitless-runtime		70	bench/hitless.sh runtime
hitless-config		70	bench/hitless.sh config
hitless-idleclose	45	bench/hitless.sh idleclose
aws			75	bench/aws.sh
many-10			45	bench/many.sh 10
many-16			50	bench/many.sh 16
many-100		60	bench/many.sh 100
many-500		75	bench/many.sh 500
"

start=$(date +%s)
echo "$PARTS" | while read -r name bound script arg; do
	[ -n "$name" ] || continue
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	printf '== %s (at most %s s)\n' "$name" "$bound"
	t0=$(date +%s)
	timeout -k 15 "$bound" sh "$script" $arg > "$OUT/$name.out" \
	    2> "$OUT/$name.err"
	rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "SKIPPED: $name did not finish within its bound of $bound s (figures above are partial)" >> "$OUT/$name.out"
	fi
	# regress/lib.sh's skip_all: "1..0 # SKIP reason"
	sed -i 's/^1\.\.0 # SKIP /SKIPPED: /' "$OUT/$name.out"
	if ! grep -q -e '^BENCH' -e '^SKIPPED' "$OUT/$name.out"; then
		echo "SKIPPED: $name printed no figure (exit $rc): $(tail -n 3 "$OUT/$name.err" | tr '\n' ' ')" >> "$OUT/$name.out"
	fi
	echo "TIME $(( $(date +%s) - t0 ))" >> "$OUT/$name.out"
	cat "$OUT/$name.out"
done
total=$(( $(date +%s) - start ))
echo "== all parts: $total s"
python3 bench/report.py --summary "$OUT"

if [ $# -gt 0 ]; then
	echo "(some parts only: bench/RESULTS.md left as it is)"
	exit 0
fi
if [ "${PROFILE:-}" = 1 ] || [ "${STRACE:-}" = 1 ]; then
	echo "(PROFILE=1 or STRACE=1: figures perturbed; bench/RESULTS.md left as it is)"
	exit 0
fi
python3 bench/report.py "$OUT" "$total" > bench/RESULTS.md.new &&
    mv bench/RESULTS.md.new bench/RESULTS.md &&
    echo "wrote bench/RESULTS.md"
