#!/bin/sh
# The parent's intake of a compromised fetcher's messages: 1000 servers
# outside a set, an end never begun, 20000 messages of unknown type, a
# set with a short server message: each kind refused with a line, and
# a flood of one kind with a few (the count at powers of ten); the good
# set after them applies.  The fetcher is regress/fakes/fake_fetcher.py
# beside a copy of ep2d.  Ports 29160-29179.
PORT_BASE=29160
. "$(dirname "$0")/lib.sh"
t_init

B1=29162
backends $B1
write_template
write_conf
: > "$T/servers"
mkdir "$T/bin"
cp "$EP2D" "$T/bin/ep2d"
cp "$TOP/regress/fakes/fake_fetcher.py" "$T/bin/ep2d-fetcher"
FAKE_FETCHER_GOOD=127.0.0.1:$B1
export FAKE_FETCHER_GOOD
EP2D=$T/bin/ep2d
ep2d_start
wait_for 15 hap_has 127.0.0.1:$B1
ok $? "the good set after the forged messages applies"
log_has "fetcher: a server outside a set (imsg 20); ignored"
ok $? "a server outside a set: said"
log_has "fetcher: 1000 times a server outside a set so far; ignored"
ok $? "1000 of them: counted"
log_has "fetcher: the end of a set never begun (imsg 21); ignored"
ok $? "an end never begun: said"
log_has "fetcher: a message of unknown type (imsg 999); ignored" &&
    log_has "fetcher: 10000 times a message of unknown type so far"
ok $? "20000 messages of unknown type: said and counted"
log_has "fetcher: set 8 incomplete or invalid (0 of 1 servers taken): 1 server refused: a server message of 10 bytes, not 260; dropped"
ok $? "a short server message: the set dropped, with a line"
n=$(grep -c "fetcher: " "$T/ep2d.out")
[ "$n" -le 20 ]
ok $? "21003 forged messages: $n lines"
grep "fetcher: " "$T/ep2d.out" | sed 's/^/# /'

done_testing
