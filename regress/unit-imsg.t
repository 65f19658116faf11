#!/bin/sh
# Unit test: common/imsg.c (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_imsg"
