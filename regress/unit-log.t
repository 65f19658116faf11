#!/bin/sh
# Unit test: common/log.c, levels in log_file and journald priorities.
exec "${EP2D_UNIT_DIR:-regress/unit}/test_log"
