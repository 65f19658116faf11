#!/bin/sh
# Unit test: ep2d/consul.c, the health answer parser and the blocking-query rules (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_consul"
