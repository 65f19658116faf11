#!/bin/sh
# Part 2: scale.  1,000 and then 5,000 servers appear in one backend at
# once (the servers file rewritten); the time until HAProxy serves all
# of them.  In runtime mode, the limit: ep2d is stopped (HAProxy stays)
# and a plain client sends the same kind of commands (set server addr
# and state ready per slot, in ep2d's order: see runtime_plan.c) pipelined over one prompt-mode connection
# to the same socket; the ratio ep2d / limit.
# growth: runtime mode with node_slots = 16, so that 1,000 and then
# 5,000 servers need the slots to grow (slot_growth double: one
# haproxy -c and reload each time).
# max-runtime, max-config: the most servers a backend may have
# (10,000, ep2d.8 LIMITS) appear at once; the time until HAProxy serves
# them all, and the peak memory of ep2d's parent and fetcher and of
# HAProxy, so that the maximum is shown to apply in bounded time and
# memory in both update types.
# usage: scale.sh runtime | growth | config | max-runtime | max-config.
# Ports 28100-28199.
MODE=$1
case $MODE in
runtime)	PORT_BASE=28100; UPDATE_TYPE=update_by_runtime ;;
config)		PORT_BASE=28120; UPDATE_TYPE=update_by_config ;;
growth)		PORT_BASE=28140; UPDATE_TYPE=update_by_runtime
		SCALE_SLOTS=16 ;;
max-runtime)	PORT_BASE=28160; UPDATE_TYPE=update_by_runtime
		SCALE_SLOTS=10000 ;;
max-config)	PORT_BASE=28180; UPDATE_TYPE=update_by_config ;;
*)		echo "usage: $0 runtime|growth|config|max-runtime|max-config" >&2
		exit 2 ;;
esac
. "$(dirname "$0")/lib.sh"
t_init
DEAD=$((PORT_BASE + 9))
NODE_SLOTS=${SCALE_SLOTS:-5100}
export UPDATE_TYPE NODE_SLOTS

write_template
write_conf "check_interval = 10s
drain_timeout = 0"
servers_file 1 10 $DEAD > "$T/servers"
ep2d_up
ORCH="--orch file --servers $T/servers --port $DEAD --pid $EP2D_PID"

if [ "$MODE" != config ] && [ "$MODE" != max-config ]; then
	how=$(runtime_probe $ORCH)
	if [ "$how" != runtime ]; then
		skipped "scale $MODE: update_by_runtime not working yet (probe: ${how:-no answer})"
		exit 0
	fi
fi

# kB of VmHWM of a process, and HAProxy's master and workers together
hwm() {
	awk '/^VmHWM:/ { print $2 }' /proc/"$1"/status 2>/dev/null
}

if [ "$MODE" = max-runtime ] || [ "$MODE" = max-config ]; then
	n=10000
	$EB scale --name "scale_${MODE}_$n" --sock "$SOCK" $ORCH --count $n \
	    --timeout 90 --target "<=60000" --keep
	for pid in $(pgrep -P "$EP2D_PID"; echo "$EP2D_PID"); do
		case $(tr '\0' ' ' < /proc/"$pid"/cmdline) in
		*parent*)	name=parent ;;
		*fetcher*)	name=fetcher ;;
		*)		continue ;;
		esac
		echo "BENCH scale_${MODE}_${n}_${name}_hwm=$(( $(hwm "$pid") / 1024 )) unit=MB target=-"
	done
	# every HAProxy process of this run (master, workers)
	h=0
	for pid in $(pgrep -f "haproxy.*$T/"); do
		h=$((h + $(hwm "$pid")))
	done
	echo "BENCH scale_${MODE}_${n}_haproxy_hwm=$((h / 1024)) unit=MB target=-"
	exit 0
fi

out=$T/scale.out
for n in 1000 5000; do
	tgt=-
	[ "$MODE" = runtime ] && [ $n = 1000 ] && tgt="<=200"
	keep=
	[ $n = 5000 ] && keep=--keep
	$EB scale --name "scale_${MODE}_$n" --sock "$SOCK" $ORCH --count $n \
	    --timeout 60 --target "$tgt" $keep | tee -a "$out"
done

[ "$MODE" = runtime ] || exit 0

# the limit, on the same HAProxy and socket, ep2d stopped
kill "$EP2D_PID"
wait_for 5 sh -c "! kill -0 $EP2D_PID 2>/dev/null"
EP2D_PID=
for n in 1000 5000; do
	$EB limit --name "scale_limit_$n" --sock "$SOCK" --port $DEAD \
	    --count $n --cmds "${LIMIT_CMDS:-addr,weight0,ready,healthdown}" | tee -a "$out"
done
for n in 1000 5000; do
	awk -v n=$n '
	$2 ~ "^scale_runtime_" n "=" { split($2, a, "="); e = a[2] }
	$2 ~ "^scale_limit_" n "=" { split($2, a, "="); l = a[2] }
	END { if (e != "" && l > 0)
		printf "BENCH scale_ratio_%d=%.2f unit=x target=-\n", n, e / l }
	' "$out"
done
