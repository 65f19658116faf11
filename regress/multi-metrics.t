#!/bin/sh
# Metrics: ep2ctl show metrics and metrics_file in Prometheus's text
# format, checked line by line against the format's rules (names,
# labels and their escapes, HELP/TYPE once and before the samples,
# families not interleaved, no series twice, counters, histograms
# cumulative with +Inf = _count); the values follow the backends, the
# sources' errors and the processes.  Ports 29060-29079.
PORT_BASE=29060
. "$(dirname "$0")/lib.sh"
t_init
. "$TOP/regress/consul-lib.sh"
. "$TOP/regress/multi-lib.sh"

B1=29062 B2=29063 B3=29064
backends $B1 $B2 $B3
ok $? "three backends answer"
fake_consul_start
ok $? "fake Consul answers"

cat > "$T/promcheck.py" <<'PY'
import math, re, sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*\Z')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*\Z')
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"),
            "summary": ("_sum", "_count", "")}

def fail(n, why):
    sys.exit("line %d: %s" % (n, why))

def parse_labels(s, n):
    labels, i = [], 0
    while i < len(s):
        m = re.match(r'([^=]*)="', s[i:])
        if not m or not LABEL.match(m.group(1)):
            fail(n, "bad label name in {%s}" % s)
        i += m.end()
        v = ""
        while True:
            if i >= len(s):
                fail(n, "unterminated label value")
            c = s[i]
            if c == "\\":
                if i + 1 >= len(s) or s[i + 1] not in '\\"n':
                    fail(n, "bad escape in a label value")
                v += s[i:i + 2]
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == "\n":
                fail(n, "newline in a label value")
            v += c
            i += 1
        labels.append((m.group(1), v))
        if i < len(s):
            if s[i] != ",":
                fail(n, "expected ',' between labels")
            i += 1
    names = [k for k, _ in labels]
    if len(set(names)) != len(names):
        fail(n, "label given twice")
    return labels

text = sys.stdin.read()
if not text.endswith("\n"):
    sys.exit("no newline at the end")
types, helps, done, cur = {}, set(), set(), None
series, samples = set(), []
for n, line in enumerate(text[:-1].split("\n"), 1):
    if line.startswith("#"):
        p = line.split(" ", 3)
        if len(p) >= 3 and p[1] in ("HELP", "TYPE"):
            if not NAME.match(p[2]):
                fail(n, "bad metric name " + p[2])
            if p[1] == "TYPE":
                if len(p) != 4 or p[3] not in TYPES:
                    fail(n, "bad TYPE")
                if p[2] in types:
                    fail(n, "TYPE twice for " + p[2])
                if any(s[0] == p[2] for s in samples):
                    fail(n, "TYPE after samples of " + p[2])
                types[p[2]] = p[3]
            else:
                if p[2] in helps:
                    fail(n, "HELP twice for " + p[2])
                helps.add(p[2])
        continue
    if line == "":
        fail(n, "empty line")
    m = re.match(r'([^{ ]+)(?:\{(.*)\})? ([^ ]+)(?: (-?[0-9]+))?\Z', line)
    if not m:
        fail(n, "not a sample: %r" % line)
    name, lab, val = m.group(1), m.group(2) or "", m.group(3)
    if not NAME.match(name):
        fail(n, "bad metric name " + name)
    labels = parse_labels(lab, n)
    try:
        v = float(val)
    except ValueError:
        fail(n, "bad value " + val)
    fam = name
    for f, t in types.items():
        for suf in SUFFIXES.get(t, ()):
            if suf and name == f + suf:
                fam = f
    if fam not in types:
        fail(n, "sample before its TYPE: " + name)
    if fam != cur:
        if fam in done:
            fail(n, "family %s interleaved" % fam)
        if cur is not None:
            done.add(cur)
        cur = fam
    key = (name, tuple(sorted(labels)))
    if key in series:
        fail(n, "series twice: %s{%s}" % (name, lab))
    series.add(key)
    if types[fam] == "counter":
        if not name.endswith("_total") or v < 0 or math.isnan(v):
            fail(n, "a counter named %s = %s" % (name, val))
    samples.append((fam, name, dict(labels), v))

for fam, t in types.items():
    if t != "histogram":
        continue
    groups = {}
    for f, name, labels, v in samples:
        if f != fam:
            continue
        rest = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
        g = groups.setdefault(rest, {"b": [], "sum": None, "count": None})
        if name == fam + "_bucket":
            if "le" not in labels:
                sys.exit("%s: a bucket without le" % fam)
            g["b"].append((float(labels["le"]), v))
        elif name == fam + "_sum":
            g["sum"] = v
        elif name == fam + "_count":
            g["count"] = v
    for rest, g in groups.items():
        b = g["b"]
        if not b or b[-1][0] != math.inf:
            sys.exit("%s%s: no +Inf bucket last" % (fam, rest))
        if [x for x, _ in b] != sorted(x for x, _ in b):
            sys.exit("%s%s: le not increasing" % (fam, rest))
        if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
            sys.exit("%s%s: buckets not cumulative" % (fam, rest))
        if g["count"] is None or g["sum"] is None:
            sys.exit("%s%s: no _sum or _count" % (fam, rest))
        if g["count"] != b[-1][1]:
            sys.exit("%s%s: _count is not the +Inf bucket" % (fam, rest))
print("ok %d families, %d samples" % (len(types), len(samples)))
PY

# metric NAME LABELS: the value of one series
metric() {
	grep -F "$1{$2} " "$T/m.out" | awk '{ print $NF }'
}
metrics() {
	"$EP2CTL" -s "$CTL" show metrics > "$T/m.out" 2>&1
}

SERVICE=api consul_register api1 127.0.0.1 $B3
put "$T/servers" 127.0.0.1:$B1
put "$T/servers2" 127.0.0.1:$B2
multi_template
multi_conf "metrics_file = $T/ep2d.prom"
ep2d_start -v
wait_for 15 be_has haproxynode 127.0.0.1:$B1 &&
    wait_for 10 be_has be_files2 127.0.0.1:$B2 &&
    wait_for 10 be_has be_api 127.0.0.1:$B3
ok $? "three backends running"

metrics
ok $? "ep2ctl show metrics"
python3 "$T/promcheck.py" < "$T/m.out" > "$T/check.out" 2>&1
ok $? "show metrics: valid Prometheus text ($(cat "$T/check.out"))"
[ "$(metric ep2d_servers_wanted 'backend="be_api"')" = 1 ] &&
    [ "$(metric ep2d_servers_live 'backend="haproxynode"')" = 1 ] &&
    [ "$(metric ep2d_source_up 'backend="be_api",orchestrator="consul"')" = 1 ]
ok $? "per backend: servers wanted and live, source up"
[ "$(metric ep2d_apply_latency_seconds_count 'backend="be_files2"')" -ge 1 ]
ok $? "the first apply is in be_files2's latency histogram"
# ep2d_haproxy_up has no label: its line is the name and the value
[ "$(metric ep2d_applies_total 'how="reload"')" -ge 1 ] &&
    grep -qx "ep2d_haproxy_up 1" "$T/m.out"
ok $? "applies counted, HAProxy up"
bad=""
for pr in parent fetcher reloader; do
	v=$(metric ep2d_process_resident_memory_bytes "process=\"$pr\"")
	[ -n "$v" ] && [ "$v" -gt 0 ] || bad="$bad $pr"
done
[ -z "$bad" ]
ok $? "resident memory of the three processes${bad:+ (none for:$bad)}"

wait_for 5 test -s "$T/ep2d.prom"
ok $? "metrics_file written"
python3 "$T/promcheck.py" < "$T/ep2d.prom" > "$T/check.out" 2>&1
ok $? "metrics_file: valid Prometheus text ($(cat "$T/check.out"))"
[ ! -e "$T/ep2d.prom.tmp" ]
ok $? "no temporary file left beside it"

put "$T/servers2" 127.0.0.1:$B1 127.0.0.1:$B2
wait_for 10 be_has be_files2 127.0.0.1:$B1 127.0.0.1:$B2
wait_for 5 grep -q 'ep2d_servers_live{backend="be_files2"} 2' "$T/ep2d.prom"
ok $? "metrics_file rewritten after an apply"

fake_consul_stop
wait_for 15 sh -c "'$EP2CTL' -s '$CTL' show metrics |
    grep -q 'ep2d_source_up{backend=\"be_api\",orchestrator=\"consul\"} 0'"
ok $? "Consul down: its source_up is 0"
metrics
[ "$(metric ep2d_source_errors_total 'backend="be_api"')" -ge 1 ] &&
    [ "$(metric ep2d_source_errors_total 'backend="haproxynode"')" = 0 ]
ok $? "its errors counted, the file sources' not"
python3 "$T/promcheck.py" < "$T/m.out" > "$T/check.out" 2>&1
ok $? "still valid ($(cat "$T/check.out"))"

# SIGHUP: no metrics_file, no timer; one set again is written at once
# (its 15 s timer alone would take up to 15 s)
n=$(grep -c "configuration reloaded" "$T/ep2d.out")
multi_conf ""
kill -HUP $EP2D_PID
wait_for 10 sh -c "[ \$(grep -c 'configuration reloaded' '$T/ep2d.out') -gt $n ]"
ok $? "SIGHUP without metrics_file taken"
multi_conf "metrics_file = $T/ep2d2.prom"
kill -HUP $EP2D_PID
wait_for 5 test -s "$T/ep2d2.prom"
ok $? "SIGHUP with a new metrics_file: written at once"

# the checker itself refuses what breaks the rules
printf '# TYPE a counter\na 1\n' | python3 "$T/promcheck.py" >/dev/null 2>&1
[ $? -ne 0 ]
ok $? "checker: a counter not named _total is refused"
printf '# TYPE a gauge\na{x="1} 1\n' | python3 "$T/promcheck.py" >/dev/null 2>&1
[ $? -ne 0 ]
ok $? "checker: an unterminated label is refused"
printf '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n' |
    python3 "$T/promcheck.py" >/dev/null 2>&1
[ $? -ne 0 ]
ok $? "checker: buckets not cumulative are refused"

done_testing
