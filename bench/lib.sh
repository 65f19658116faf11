# bench/lib.sh: what the parts of `make bench` share (sourced by
# bench/*.sh after setting PORT_BASE).  It builds on regress/lib.sh
# (t_init, write_template, write_conf, backends, ep2d_start, hap ...)
# and on the regress fakes; nothing here copies them.
#
# A part prints BENCH, NOTE and SKIPPED lines (see ep2bench.py) on
# stdout; run.sh collects them into bench/RESULTS.md.

TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/regress/lib.sh"
EB="python3 $TOP/bench/ep2bench.py"

skipped() {
	echo "SKIPPED: $*"
}

note() {
	echo "NOTE $*"
}

# hap_answers: the stats socket answers (HAProxy is up)
hap_answers() {
	hap "show info" | grep -q '^Pid:'
}

# hap_weighted ADDR:PORT: UP with a weight above 0 (runtime mode gives
# a new server its weight only once a check passed)
hap_weighted() {
	hap "show stat" | awk -F, -v a="$1" '$1 == "haproxynode" &&
	    $74 == a && $18 == "UP" && $19 > 0 { f = 1 } END { exit !f }'
}

# servers_file PREFIX N PORT: N addresses as ep2bench.py numbers them
servers_file() {
	python3 -c '
import sys
p, n, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for i in range(1, n + 1):
    print("127.%d.%d.%d:%d" % (p, i // 250, i % 250 + 1, port))' "$@"
}

# ep2d_up [FLAGS]: ep2d started (with $EP2D_FLAGS too, e.g. -v) and
# HAProxy answering, or SKIPPED and exit
ep2d_up() {
	ep2d_start ${EP2D_FLAGS:-} "$@"
	if ! wait_for 20 hap_answers; then
		skipped "ep2d did not bring HAProxy up within 20 s: $(tail -n 3 "$T/ep2d.out" | tr '\n' ' ')"
		exit 0
	fi
}

# runtime_probe: one change; "runtime" when it was applied without a
# HAProxy reload (update_by_runtime works), "reload" otherwise
runtime_probe() {
	$EB probe --name probe --sock "$SOCK" "$@" | sed -n 's/^PROBE //p'
}
