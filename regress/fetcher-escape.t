#!/bin/sh
# The fetcher reads the servers file through the descriptor of its
# directory, which reaches outside the chroot: a symbolic link there
# that leads out of the directory (relative with "..", or absolute) is
# refused with one line and the backend keeps its servers, while a link
# to another name of the same directory is followed.  What Landlock adds
# for a fetcher that would try itself is in unit-sandbox.t.
# Ports 26540-26559.
PORT_BASE=26540
. "$(dirname "$0")/lib.sh"
t_init

B1=26541 B2=26542 B3=26543
backends $B1 $B2 $B3
write_template
write_conf
mkdir -p "$T/srv" "$T/outside"
chmod 755 "$T/srv" "$T/outside"
sed -i "s|^path = .*|path = $T/srv/servers|" "$T/ep2.conf"
echo "127.0.0.1:$B1" > "$T/srv/servers"
echo "127.0.0.1:$B2" > "$T/outside/servers"
chmod 644 "$T/srv/servers" "$T/outside/servers"

ep2d_start
wait_for 10 hap_has 127.0.0.1:$B1
ok $? "HAProxy has the server of the servers file"

# relink NAME TARGET: the servers file becomes a link, atomically
relink() {
	ln -s "$1" "$T/srv/servers.link"
	mv -T "$T/srv/servers.link" "$T/srv/servers"
}

relink ../outside/servers
wait_for 10 log_has 'servers file .*: a symbolic link to "../outside/servers", outside its directory: refused; the last servers stay'
ok $? "a relative link out of the directory: refused with a line"
hap_has 127.0.0.1:$B1
ok $? "the backend keeps its server"
[ "$(grep -c 'outside its directory' "$T/ep2d.out")" -eq 1 ]
ok $? "one line"

relink /etc/passwd
wait_for 10 log_has 'a symbolic link to "/etc/passwd", outside its directory: refused'
ok $? "an absolute link: refused with a line"
! grep -q "root:" "$T/ep2d.out" && hap_has 127.0.0.1:$B1
ok $? "nothing of /etc/passwd reached the log; the backend keeps its server"

# a link to another name of the same directory is how versions switch
echo "127.0.0.1:$B3" > "$T/srv/servers.v2"
chmod 644 "$T/srv/servers.v2"
relink servers.v2
wait_for 10 hap_has 127.0.0.1:$B3
ok $? "a link to a file of the same directory is followed"
log_has "servers file $T/srv/servers: readable again"
ok $? "and the log says the file is readable again"
! log_has "sandbox violation\|signal 31"
ok $? "no sandbox violation"

done_testing
