#!/usr/bin/env python3
#
# Copyright (c) 2026 The ep2d authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# A fetcher that is not one: a test puts it beside a copy of ep2d as
# ep2d-fetcher, and it sends the parent on fd 3 what a compromised
# fetcher could: servers and ends outside a set, messages of unknown
# type, a set with a short server message, then one good set with the
# server in $FAKE_FETCHER_GOOD (HOST:PORT).  Then it waits for the
# parent to go.  The imsg numbers and sizes are ep2d.h's.

import os
import socket
import struct

IMSG_SET_BEGIN, IMSG_SET_SERVER, IMSG_SET_END = 19, 20, 21
HOST_MAX = 256


def imsg(t, peerid, data=b""):
    return struct.pack("=IHHII", t, 16 + len(data), 0, peerid, 0) + data


def server(host, port, weight=0):
    return host.encode().ljust(HOST_MAX, b"\0") + struct.pack("=HH", port,
                                                              weight)


s = socket.socket(fileno=3)
s.setblocking(True)
host, port = os.environ["FAKE_FETCHER_GOOD"].rsplit(":", 1)
out = []
out += [imsg(IMSG_SET_SERVER, 7, server("10.9.9.9", 80))] * 1000
out += [imsg(IMSG_SET_END, 7, struct.pack("=I", 0))]
out += [imsg(999, 0)] * 20000
out += [imsg(IMSG_SET_BEGIN, 8, struct.pack("=II", 0, 1)),
        imsg(IMSG_SET_SERVER, 8, b"10.9.9.9\0\0"),
        imsg(IMSG_SET_END, 8, struct.pack("=I", 1))]
out += [imsg(IMSG_SET_BEGIN, 9, struct.pack("=II", 0, 1)),
        imsg(IMSG_SET_SERVER, 9, server(host, int(port))),
        imsg(IMSG_SET_END, 9, struct.pack("=I", 1))]
s.sendall(b"".join(out))
while s.recv(65536):
    pass
