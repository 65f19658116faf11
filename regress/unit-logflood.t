#!/bin/sh
# Unit test: common/log.c, the flood guard (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_logflood"
