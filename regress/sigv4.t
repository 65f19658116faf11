#!/bin/sh
# The fake AWS's SigV4 verifier (regress/fakes/sigv4.py) against AWS's
# official Signature Version 4 test suite: canonical request, string to
# sign and Authorization for every case, and the signed requests (.sreq)
# accepted, with a wrong secret refused.
top=$(cd "$(dirname "$0")/.." && pwd)
EP2D_FIXTURES=${EP2D_FIXTURES:-$top/regress/fixtures}
export EP2D_FIXTURES
exec python3 - "$top/regress/fakes" <<'PYEOF'
import hashlib, os, sys
sys.path.insert(0, sys.argv[1])
import sigv4

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = ("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwd"
         "QWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kM"
         "cGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp"
         "75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZ"
         "bqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/"
         "oLxBA==")
n = 0
failed = 0

def ok(cond, name, diag=None):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print("%sok %d - %s" % ("" if cond else "not ", n, name))
    if not cond and diag:
        for ln in diag.splitlines():
            print("#   " + ln)

def skip(name, why):
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, name, why))

def read(p):
    with open(p, "rb") as f:
        return f.read()

suite = os.path.join(os.environ["EP2D_FIXTURES"], "aws-sigv4")
cases = []
for dirpath, dirs, files in os.walk(suite):
    for f in files:
        if f.endswith(".req"):
            cases.append(os.path.join(dirpath, f[:-4]))
cases.sort()
if len(cases) < 20:
    print("1..1\nnot ok 1 - test suite found in %s (%d cases)" %
          (suite, len(cases)))
    sys.exit(1)

for base in cases:
    name = os.path.basename(base)
    method, target, headers, body = sigv4.parse_raw_request(read(base + ".req"))
    creq, sts, authz = sigv4.sign(method, target, headers, body, AKID, SECRET,
                                  "us-east-1", "service")
    want = read(base + ".creq").decode("utf-8")
    ok(creq == want, "%s: canonical request" % name,
       "got:\n%s\nwant:\n%s" % (creq, want))
    want = read(base + ".sts").decode("utf-8")
    if want.split("\n")[-1] != hashlib.sha256(read(base + ".creq")).hexdigest():
        # Two cases of the suite are known to be inconsistent: their .sts
        # does not hash their own .creq (the signature was made without
        # Content-Length, and with charset=utf8 for -parameters), so
        # their .sts, .authz and .sreq cannot agree with any signer.
        for what in ("string to sign", "Authorization",
                     "signed request verifies", "wrong secret refused"):
            skip("%s: %s" % (name, what), "suite erratum: .sts does not "
                 "hash .creq")
        continue
    ok(sts == want, "%s: string to sign" % name)
    want = read(base + ".authz").decode("utf-8")
    ok(authz == want, "%s: Authorization" % name, "got %s\nwant %s" %
       (authz, want))

    # The signed request as the suite gives it must pass verification.
    method, target, headers, body = sigv4.parse_raw_request(
        read(base + ".sreq"))
    has_token = sigv4.header_value(headers, "x-amz-security-token")
    creds = (SECRET, TOKEN if has_token else None)
    after = name == "post-sts-header-after"
    try:
        sigv4.verify(method, target, headers, body,
                     lambda k: creds if k == AKID else None,
                     region="us-east-1", service="service",
                     require_token_signed=not after)
        ok(True, "%s: signed request verifies" % name)
    except sigv4.SigError as e:
        ok(False, "%s: signed request verifies" % name, e.code + " " +
           e.message)
    try:
        sigv4.verify(method, target, headers, body,
                     lambda k: ("x" + SECRET, creds[1]) if k == AKID else None,
                     require_token_signed=not after)
        ok(False, "%s: wrong secret refused" % name)
    except sigv4.SigError as e:
        ok(e.code == "SignatureDoesNotMatch", "%s: wrong secret refused "
           "(SignatureDoesNotMatch)" % name, e.code)
    if after:
        # The token added after signing is refused where ep2d's fake
        # insists that the token be signed.
        try:
            sigv4.verify(method, target, headers, body,
                         lambda k: creds if k == AKID else None)
            ok(False, "%s: unsigned token refused" % name)
        except sigv4.SigError as e:
            ok(e.code == "SignatureDoesNotMatch",
               "%s: unsigned token refused" % name, e.code)

# Refusals AWS makes before the signature: unknown key, wrong scope.
method, target, headers, body = sigv4.parse_raw_request(
    read(os.path.join(suite, "post-vanilla", "post-vanilla.sreq")))
for what, kw, code in [
        ("unknown access key", {"lookup": lambda k: None},
         "InvalidClientTokenId"),
        ("wrong service in scope", {"service": "ec2"},
         "SignatureDoesNotMatch"),
        ("wrong region in scope", {"region": "eu-west-1"},
         "SignatureDoesNotMatch"),
        ("request too old", {"now": 1440938160 + 3600},
         "SignatureDoesNotMatch"),
        ("token expected but absent",
         {"lookup": lambda k: (SECRET, "TOKEN")}, "InvalidClientTokenId")]:
    args = {"lookup": lambda k: (SECRET, None)}
    args.update(kw)
    try:
        sigv4.verify(method, target, headers, body, **args)
        ok(False, "verify: %s refused" % what)
    except sigv4.SigError as e:
        ok(e.code == code, "verify: %s refused with %s" % (what, code), e.code)
try:
    sigv4.verify(method, target, [h for h in headers
                                  if h[0].lower() != "authorization"], body,
                 lambda k: (SECRET, None))
    ok(False, "verify: unsigned request refused")
except sigv4.SigError as e:
    ok(e.code == "MissingAuthenticationToken",
       "verify: unsigned request refused (MissingAuthenticationToken)")
ok(sigv4.verify(method, target, headers, body, lambda k: (SECRET, None),
                now=1440938160 + 60) is not None,
   "verify: a minute of clock skew accepted")

# libcurl's signer (CURLOPT_AWS_SIGV4, the one ep2d uses) through the
# curl program against the suite, for the cases it can express: a path
# of "/" and a sorted query (libcurl 7.88 neither normalizes paths nor
# sorts the query, nor joins repeated headers; ep2d sends POST / with a
# form body, so none of these is in its way).
import http.server, subprocess, threading, time
seen = {}

class Catch(http.server.BaseHTTPRequestHandler):
    def any(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        seen["authz"] = self.headers.get("Authorization")
        seen["req"] = (self.command, self.path, list(self.headers.items()),
                       body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_GET = do_POST = any

    def log_message(self, *a):
        pass

srv = http.server.HTTPServer(("127.0.0.1", 23100), Catch)
threading.Thread(target=srv.serve_forever, daemon=True).start()

def curl(method, target, headers, body, user, sigv4arg):
    seen.clear()
    args = ["curl", "-s", "-o", "/dev/null", "--max-time", "10",
            "--aws-sigv4", sigv4arg, "-u", user, "-X", method]
    for hn, hv in headers:
        args += ["-H", "%s: %s" % (hn, hv.strip())]
    if body:
        args += ["--data-binary", body]
    args.append("http://127.0.0.1:23100" + target)
    subprocess.run(args, check=False, timeout=20)
    return seen.get("authz")

for name in ("get-vanilla", "get-vanilla-query", "get-unreserved",
             "get-header-value-trim", "post-vanilla", "post-vanilla-query",
             "post-header-key-case", "post-header-key-sort",
             "post-header-value-case", "post-sts-header-before"):
    base = [c for c in cases if os.path.basename(c) == name][0]
    method, target, headers, body = sigv4.parse_raw_request(read(base + ".req"))
    got = curl(method, target, headers, body, AKID + ":" + SECRET,
               "aws:amz:us-east-1:service")
    want = read(base + ".authz").decode("utf-8")
    ok(got == want, "libcurl: %s: Authorization as the suite's" % name,
       "got %s\nwant %s" % (got, want))

# An Auto Scaling call as ep2d makes it, signed by libcurl now, with a
# session token, passes the verifier with the clock checked.
form = (b"Action=DescribeAutoScalingGroups&Version=2011-01-01&"
        b"AutoScalingGroupNames.member.1=my-asg")
got = curl("POST", "/", [("Content-Type", "application/x-www-form-urlencoded;"
                          " charset=utf-8"), ("X-Amz-Security-Token", TOKEN)],
           form, AKID + ":" + SECRET, "aws:amz:us-east-1:autoscaling")
try:
    method, target, headers, body = seen["req"]
    v = sigv4.verify(method, target, headers, body,
                     lambda k: (SECRET, TOKEN) if k == AKID else None,
                     region="us-east-1", service="autoscaling", now=time.time())
    ok("x-amz-security-token" in v["signed_headers"],
       "libcurl: form POST with session token verifies, token signed")
except (KeyError, sigv4.SigError) as e:
    ok(False, "libcurl: form POST with session token verifies", repr(e))
srv.shutdown()

print("1..%d" % n)
sys.exit(1 if failed else 0)
PYEOF
