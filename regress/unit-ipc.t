#!/bin/sh
# Unit test: the imsg of ep2d/connector.c and ep2d/runner.c, each end
# given malformed messages (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_ipc"
