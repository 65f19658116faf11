#!/bin/sh
# Part 4: hitless.  wrk through HAProxy's frontend (real backends),
# first without churn (the baseline), then during 100 scale-out/in
# changes (runtime mode) or 20 reloads (config mode): non-2xx answers
# and socket errors (target 0), latency with churn vs without.
# idleclose: config mode again, keep-alive only, with "option
# idle-close-on-response" in the template's frontend (HAProxy 2.6: an
# old process does not close idle keep-alive connections at a reload).
# usage: hitless.sh runtime | config | idleclose.  Ports 28300-28359.
MODE=$1
case $MODE in
runtime)	PORT_BASE=28300; UPDATE_TYPE=update_by_runtime; N=100 ;;
config)		PORT_BASE=28320; UPDATE_TYPE=update_by_config; N=20 ;;
idleclose)	PORT_BASE=28340; UPDATE_TYPE=update_by_config; N=20
		HITLESS_FE_OPTION="option idle-close-on-response" ;;
*)		echo "usage: $0 runtime|config|idleclose" >&2; exit 2 ;;
esac
. "$(dirname "$0")/lib.sh"
t_init
command -v wrk >/dev/null || { skipped "hitless: no wrk (Debian package wrk)"; exit 0; }
DUR=${WRK_SECONDS:-10}
NODE_SLOTS=16
export UPDATE_TYPE NODE_SLOTS
B1=$((PORT_BASE + 1)) B2=$((PORT_BASE + 2)) B3=$((PORT_BASE + 3))
B4=$((PORT_BASE + 4)) B5=$((PORT_BASE + 5)) B6=$((PORT_BASE + 6))
backends $B1 $B2 $B3 $B4 $B5 $B6 ||
    { skipped "hitless: the backends did not start"; exit 0; }

write_template
if [ -n "${HITLESS_FE_OPTION:-}" ]; then
	# e.g. "option idle-close-on-response": a line for the frontend
	sed -i "s/^frontend fe\$/frontend fe\n    $HITLESS_FE_OPTION/" \
	    "$T/haproxy.tmpl"
fi
write_conf "drain_timeout = 2"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
ep2d_up
wait_for 10 hap_up 127.0.0.1:$B1 && wait_for 10 hap_up 127.0.0.1:$B2 ||
    { skipped "hitless: the two fixed servers never came UP"; exit 0; }
ORCH="--orch file --servers $T/servers --pid $EP2D_PID"

if [ "$MODE" = runtime ]; then
	how=$(runtime_probe $ORCH --port $((PORT_BASE + 9)))
	if [ "$how" != runtime ]; then
		skipped "hitless runtime: update_by_runtime not working yet (probe: ${how:-no answer})"
		exit 0
	fi
	# the probe took the two out: back, checked, weighted again
	printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 > "$T/servers"
	wait_for 10 hap_has 127.0.0.1:$B1 127.0.0.1:$B2
	wait_for 10 hap_weighted 127.0.0.1:$B1 &&
	    wait_for 10 hap_weighted 127.0.0.1:$B2 ||
	    note "hitless runtime: the two servers did not get weight within 10 s"
fi

# wrk_report NAME FILE: BENCH lines from wrk --latency's output
wrk_report() {
	awk -v n="$1" -v m="$MODE" '
	function ms(s) {
		if (s ~ /us$/) return substr(s, 1, length(s) - 2) / 1000
		if (s ~ /ms$/) return substr(s, 1, length(s) - 2) + 0
		if (s ~ /s$/) return substr(s, 1, length(s) - 1) * 1000
		return s + 0
	}
	/requests in/ { req = $1 }
	/Non-2xx or 3xx responses:/ { non2xx = $NF }
	/Socket errors:/ {
		gsub(",", "")
		serr = $4 + $6 + $8 + $10
		split($4 " " $6 " " $8 " " $10, e, " ")
	}
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/Requests\/sec:/ { rps = $2 }
	END {
		printf "BENCH %s_requests=%d unit=requests target=-\n", n, req
		printf "BENCH %s_rps=%.0f unit=req/s target=-\n", n, rps
		printf "BENCH %s_non2xx=%d unit=requests target=0\n", n, non2xx
		printf "BENCH %s_socket_errors=%d unit=errors target=0\n", n, serr
		if (serr > 0)
			printf "NOTE %s socket errors: connect %d, read %d, write %d, timeout %d\n", n, e[1], e[2], e[3], e[4]
		printf "BENCH %s_p50=%.2f unit=ms target=-\n", n, p50
		printf "BENCH %s_p99=%.2f unit=ms target=-\n", n, p99
	}' "$2"
}

URL=http://127.0.0.1:$FE_PORT/
if [ "$MODE" != idleclose ]; then
	wrk -t1 -c16 -d"${DUR}s" --latency "$URL" > "$T/wrk.base" 2>&1
	wrk_report "hitless_${MODE}_baseline" "$T/wrk.base"
fi

# churn NAME [WRK-ARGS]: wrk while the changes are made
churn() {
	_n=$1
	shift
	wrk -t1 -c16 -d"$((DUR + 25))s" --latency "$@" "$URL" > "$T/wrk.$_n" 2>&1 &
	WRK=$!
	t_pids="$t_pids $WRK"
	sleep 1		# wrk connected (a fixed pause: nothing to wait on)
	$EB churn --name "$_n" --sock "$SOCK" $ORCH \
	    --fixed $B1,$B2 --pool $B3,$B4,$B5,$B6 --changes $N --gap $gap \
	    --timeout 10 $WEIGHTED > "$T/churn.out"
	cat "$T/churn.out"
	kill -INT $WRK 2>/dev/null
	wait_for 10 sh -c "! kill -0 $WRK 2>/dev/null"
	wrk_report "$_n" "$T/wrk.$_n"
}

if [ "$MODE" = runtime ]; then
	gap=0.05
	WEIGHTED=--weighted
else
	gap=0.3
fi
churn "hitless_${MODE}_churn"
if [ "$MODE" = config ]; then
	# the same without keep-alive: a new connection per request, so
	# that a connection an old HAProxy process closes while a request
	# is on its way cannot be the cause of an error
	churn "hitless_${MODE}_churn_close" -H "Connection: close"
fi
