#!/bin/sh
# Unit test: common/addr.c, the one address check (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_addr"
