#!/bin/sh
# Unit test: ep2d/runtime.c and ep2d/haproxy.c (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_runtime"
