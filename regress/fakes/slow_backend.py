#!/usr/bin/env python3
# A backend for the draining tests: answers "slow" to /slow after 3 s
# (/slowN: after N s), at once to anything else (health checks).
# usage: slow_backend.py ADDRESS PORT
import http.server
import socketserver
import sys
import time


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            time.sleep(3)
        elif self.path.startswith("/slow") and self.path[5:].isdigit():
            time.sleep(int(self.path[5:]))
        b = b"slow\n"
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)
        except (BrokenPipeError, ConnectionResetError):
            # HAProxy ends a health check with a reset once it has
            # read the status line: normal, not worth a traceback
            pass

    def log_message(self, *a):
        pass


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


S((sys.argv[1], int(sys.argv[2])), H).serve_forever()
