#!/bin/sh
# Part 1: propagation latency, orchestrator change -> HAProxy has it
# (read from HAProxy's stats socket), over 200 changes (one server
# added, then removed, alternately, to a backend of 10; 100 for
# Consul, the pattern bench/dns.sh repeats with HAProxy's own DNS
# discovery).  CPU per change of ep2d's processes (and, for Consul, of
# HAProxy's, for the comparison with the peer).  consul-runtime also
# measures the fake Consul's floor (a plain client's blocking query,
# 100 changes) and 30 s of idle (CONSUL_IDLE).  PROFILE=1: perf record
# of each of ep2d's processes over the changes (bench/profile-*.txt).
# usage: latency.sh file-runtime | file-config | consul-runtime
# Ports 28000-28059.
MODE=$1
case $MODE in
file-runtime)	PORT_BASE=28000 ;;
file-config)	PORT_BASE=28020 ;;
consul-runtime)	PORT_BASE=28040 ;;
*)		echo "usage: $0 file-runtime|file-config|consul-runtime" >&2
		exit 2 ;;
esac
. "$(dirname "$0")/lib.sh"
t_init
DEAD=$((PORT_BASE + 9))		# nothing listens: checks fail, fast

write_template
case $MODE in
*-runtime)	UPDATE_TYPE=update_by_runtime; RT=--runtime ;;
*)		UPDATE_TYPE=update_by_config; RT= ;;
esac
NODE_SLOTS=32
export UPDATE_TYPE NODE_SLOTS

case $MODE in
file-*)
	write_conf "check_interval = 2s
drain_timeout = 0"
	servers_file 1 10 $DEAD > "$T/servers"
	ORCH="--orch file --servers $T/servers"
	;;
consul-*)
	. "$TOP/regress/consul-lib.sh"
	# the fake rewrites its state at every change: not in the pid
	# file's directory, which the parent watches (hapwatch), or each
	# change wakes it one to three times more than a real Consul would
	mkdir "$T/fake"
	CONSUL_STATE=$T/fake/consul.state
	if ! fake_consul_start; then
		skipped "$MODE: the fake Consul did not start"
		exit 0
	fi
	ORCH="--orch consul --url http://127.0.0.1:$CONSUL_PORT --service web"
	$EB set --name base --sock "$SOCK" $ORCH --port $DEAD
	consul_conf "wait = 300s"
	;;
esac
ep2d_up

if [ -n "$RT" ]; then
	how=$(runtime_probe $ORCH --port $DEAD)
	case $how in
	runtime)	;;
	reload)		skipped "$MODE: update_by_runtime applied the change by reloading HAProxy (runtime path not working yet)"
			exit 0 ;;
	*)		skipped "$MODE: a change did not reach HAProxy within 10 s"
			exit 0 ;;
	esac
	if [ "$MODE" = consul-runtime ]; then
		# Changes spaced by more than the source's pacing (a token
		# bucket: 2 queries at once, then one per 250 ms), as a
		# change reaches a quiet service; then back-to-back churn,
		# where the pacing is what shows.
		$EB latency --name lat_consul_runtime --sock "$SOCK" $ORCH \
		    --port $DEAD --pid "$EP2D_PID" --changes 100 \
		    --max-seconds 60 --min-gap 0.26 --gap 0.4 \
		    --hap-cfg "$T/haproxy.cfg" --cpu-target "<=0.5" $RT
		# the fake alone: a plain client's blocking query, on a
		# service of its own (ep2d's query is not woken by it)
		$EB consul-floor --name lat_consul_fake_floor --sock "$SOCK" \
		    --url "http://127.0.0.1:$CONSUL_PORT" --service floor \
		    --port $DEAD --changes 100
		$EB latency --name lat_consul_churn --sock "$SOCK" $ORCH \
		    --port $DEAD --pid "$EP2D_PID" --changes 40 \
		    --max-seconds 30 --gap 0.02 --t50 - --t99 - $RT
	else
		$EB latency --name "lat_${MODE%-*}_runtime" --sock "$SOCK" \
		    $ORCH --port $DEAD --pid "$EP2D_PID" --changes 200 \
		    --max-seconds 35 --cpu-target "<=0.5" $RT
	fi
	if [ "$MODE" = consul-runtime ]; then
		# idle: a blocking query held open, no polling of Consul;
		# HAProxy's processes too, for the comparison with the peer
		q0=$(consul_nqueries)
		$EB idle --name cpu_idle_consul_${CONSUL_IDLE:-30}s \
		    --pid "$EP2D_PID" --hap-cfg "$T/haproxy.cfg" \
		    --seconds ${CONSUL_IDLE:-30}
		echo "BENCH consul_queries_idle_${CONSUL_IDLE:-30}s=$(($(consul_nqueries) - q0)) unit=requests target=~0"
	fi
else
	$EB latency --name "lat_${MODE%-*}_config" --sock "$SOCK" $ORCH \
	    --port $DEAD --pid "$EP2D_PID" --changes 200 --max-seconds 50 \
	    --t50 "<=20(reload-dominated)" --t99 "<=100(reload-dominated)"
fi
