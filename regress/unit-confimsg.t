#!/bin/sh
# Unit test: ep2d/config_imsg.c, the parent's configuration to each
# child over imsg, and what a broken parent could send (normal or ASan
# build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_confimsg"
