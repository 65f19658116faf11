# regress/fakes/fakehttp.py: what the fake services (fake_consul.py,
# fake_aws.py) share: an HTTP/1.1 handler without Nagle, as the real
# servers (Go, Java) answer.  http.server writes the headers and the
# body apart; with Nagle the body would wait for the client's delayed
# ACK, some 40 ms, and every latency measured through a fake with it.
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    log_prefix = "fake"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write(self.log_prefix + ": " + (fmt % args) + "\n")
