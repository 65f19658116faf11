#!/bin/sh
# Unit test: ep2ctl parser, tables and JSON output (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_ep2ctl"
