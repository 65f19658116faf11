#!/bin/sh
# Unit test: ep2d/runtime_plan.c, linked without runtime.c (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_runtime_plan"
