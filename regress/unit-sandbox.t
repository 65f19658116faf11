#!/bin/sh
# Unit test: ep2d/sandbox.c, each process's sandbox (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_sandbox"
