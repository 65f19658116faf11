#!/bin/sh
# Unit test: servers_parse() of ep2d/filesrc.c, the servers file (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_servers"
