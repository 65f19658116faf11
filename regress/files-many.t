#!/bin/sh
# The most backends ep2d takes, each on a servers file of its own:
# [haproxy] on $T/servers and 511 [backend fK] on $T/srv/fK, runtime
# mode.  More than the 128 inotify instances a user may have by default
# (fs.inotify.max_user_instances): the fetcher watches them all with
# one, a watch a directory.  Every backend gets its file's server, and
# a rename onto one file reaches its backend alone.
# Ports 29300-29319.
PORT_BASE=29300
. "$(dirname "$0")/lib.sh"
t_init

N=512
# backend K's server: 127.0.X.Y:9, nothing listens (a server is live
# when not MAINT, whatever its check says)
srv() {
	echo "127.0.$(($1 / 250)).$(($1 % 250 + 2)):9"
}

write_template
mkdir "$T/srv"
srv 0 > "$T/servers"
sections=""
k=1
while [ $k -lt $N ]; do
	cat >> "$T/haproxy.tmpl" <<TMPL

backend be_f$k
    balance roundrobin
{{ nodes.f$k }}
TMPL
	srv $k > "$T/srv/f$k"
	sections="$sections
[backend f$k]
backend_name = be_f$k
path = $T/srv/f$k"
	k=$((k + 1))
done
UPDATE_TYPE=update_by_runtime
NODE_SLOTS=2
write_conf "" "$sections"
"$EP2D" -n -f "$T/ep2.conf" > "$T/n.out" 2>&1
ok $? "ep2d -n: $N file backends"
[ $? -eq 0 ] || diag "$(head -n 5 "$T/n.out")"

# all_served: every backend has its file's server, one show stat
all_served() {
	hap "show stat" | awk -F, -v n=$N '
	$2 == "BACKEND" || $2 == "FRONTEND" || $18 ~ /MAINT/ { next }
	{ live[$1] = live[$1] " " $74; cnt[$1]++ }
	END {
		for (k = 0; k < n; k++) {
			be = k == 0 ? "haproxynode" : "be_f" k
			want = sprintf(" 127.0.%d.%d:9", int(k / 250),
			    k % 250 + 2)
			if (cnt[be] != 1 || live[be] != want)
				exit 1
		}
	}'
}

ep2d_start
wait_for 30 all_served
ok $? "each of the $N backends has its file's server"
[ $? -eq 0 ] || diag "$(grep -v 'started:\|servers for' "$T/ep2d.out" | tail -n 5)"
! log_has "inotify_init1"
ok $? "no inotify instance refused"

echo "127.9.9.9:9" > "$T/srv/f300.new" && mv "$T/srv/f300.new" "$T/srv/f300"
f300() {
	[ "$(hap "show stat" | awk -F, '$1 == "be_f300" &&
	    $2 != "BACKEND" && $18 !~ /MAINT/ { print $74 }')" = \
	    "127.9.9.9:9" ]
}
wait_for 10 f300
ok $? "a rename onto f300 reaches be_f300"
hap "show stat" | awk -F, '$1 == "be_f299" && $2 != "BACKEND" &&
    $18 !~ /MAINT/ { print $74 }' | grep -qx "$(srv 299)"
ok $? "be_f299, in the same directory, unchanged"

done_testing
