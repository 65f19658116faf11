#!/bin/sh
# Unit test: ep2d/consul_scan.c, the health answer's one-pass reader, held to json-c's on fixtures, edge cases and mutations (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_consul_scan"
