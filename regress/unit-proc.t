#!/bin/sh
# Unit test: ep2d/proc.c, the table of processes and the reaper's one
# line per child (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_proc"
