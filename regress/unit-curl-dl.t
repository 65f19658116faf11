#!/bin/sh
# Unit test: ep2d/curl_dl.c, libcurl and libcrypto through dlopen (normal
# or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_curl_dl"
