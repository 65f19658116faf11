#!/bin/sh
# Unit test: ep2d/config.c, EP2's ep2.conf reader (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_config"
