#!/bin/sh
# Unit test: ep2d/consul_watch.c, what one answer of the shared watch says to read again (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_consul_watch"
