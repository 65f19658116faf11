#!/bin/sh
# Unit test: common/file.c, how every file is opened (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_file"
