#!/bin/sh
# Unit test: ep2d/template.c, EP2's {{nodes}} template (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_template"
