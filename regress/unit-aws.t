#!/bin/sh
# Unit test: ep2d/aws.c, aws_creds.c: parsers against the fixtures, the chain, one source (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_aws"
