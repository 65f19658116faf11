#!/bin/sh
# Unit test: ep2d/aws_lifecycle.c, the SQS answers and lifecycle hook notifications against regress/fixtures/aws-lifecycle, the Query bodies (normal or ASan build).
exec "${EP2D_UNIT_DIR:-regress/unit}/test_awslc"
