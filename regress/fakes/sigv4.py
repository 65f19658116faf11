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
# AWS Signature Version 4, written from the specification, independently
# of libcurl: the fake AWS verifies ep2d's requests with it, and
# regress/sigv4.t checks it against AWS's own test suite first, so that
# a bug in libcurl's signer and one here cannot cancel out.  Python
# standard library only.

import datetime
import hashlib
import hmac
import re
import urllib.parse

ALGORITHM = "AWS4-HMAC-SHA256"
UNRESERVED = "-_.~"		# with ALPHA and DIGIT, RFC 3986 section 2.3
MAX_SKEW = 15 * 60		# AWS refuses requests older or newer than this


def uri_encode(s, safe=""):
    """Percent-encode every byte but the unreserved ones, upper-case hex."""
    if isinstance(s, str):
        s = s.encode("utf-8", "surrogateescape")
    return urllib.parse.quote(s, safe=UNRESERVED + safe)


def normalize_path(path):
    """RFC 3986 dot-segment removal plus empty segments dropped, as the
    suite's normalize-path cases want (all services but S3)."""
    out = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    res = "/" + "/".join(out)
    if len(out) > 0 and (path.endswith("/") or path.endswith("/.") or
                         path.endswith("/..")):
        res += "/"
    return res


def canonical_uri(path):
    """The path as it appears in the request line, normalized, then
    encoded once more (so a %XX on the wire becomes %25XX: AWS's rule for
    every service but S3)."""
    if path == "":
        path = "/"
    return uri_encode(normalize_path(path), safe="/")


def canonical_query(query):
    """Decode each name and value, encode them the AWS way, sort."""
    if query == "":
        return ""
    pairs = []
    for part in query.split("&"):
        if part == "":
            continue
        name, _, value = part.partition("=")
        name = urllib.parse.unquote_to_bytes(name)
        value = urllib.parse.unquote_to_bytes(value)
        pairs.append((uri_encode(name), uri_encode(value)))
    pairs.sort()
    return "&".join("%s=%s" % p for p in pairs)


def trim_value(v):
    """Leading/trailing blanks off, inner runs of blanks to one space,
    folded continuation lines joined (the suite: joined with ',')."""
    lines = [re.sub(r"[ \t]+", " ", x).strip() for x in v.split("\n")]
    return ",".join(x for x in lines if x != "")


def canonical_headers(headers, signed):
    """headers: list of (name, value) in arrival order; signed: lower-case
    names.  Repeated headers are joined with ',' in their order."""
    values = {}
    for name, value in headers:
        ln = name.lower().strip()
        if ln in signed:
            values.setdefault(ln, []).append(trim_value(value))
    lines = []
    for ln in sorted(signed):
        if ln not in values:
            raise KeyError(ln)
        lines.append("%s:%s\n" % (ln, ",".join(values[ln])))
    return "".join(lines)


def canonical_request(method, path, query, headers, signed, payload):
    signed = sorted(set(h.lower() for h in signed))
    return "\n".join([
        method.upper(),
        canonical_uri(path),
        canonical_query(query),
        canonical_headers(headers, signed),
        ";".join(signed),
        hashlib.sha256(payload).hexdigest(),
    ])


def string_to_sign(amzdate, scope, creq):
    return "\n".join([ALGORITHM, amzdate, scope,
                      hashlib.sha256(creq.encode("utf-8",
                                                 "surrogateescape")
                                     ).hexdigest()])


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret, date, region, service):
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def signature(secret, date, region, service, sts):
    return hmac.new(signing_key(secret, date, region, service),
                    sts.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(akid, scope, signed, sig):
    return "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ALGORITHM, akid, scope, ";".join(sorted(set(
            h.lower() for h in signed))), sig)


def sign(method, target, headers, payload, akid, secret, region, service):
    """Sign a request whose headers already hold X-Amz-Date; every header
    given is signed.  Returns (creq, sts, authorization)."""
    path, _, query = target.partition("?")
    amzdate = header_value(headers, "x-amz-date")
    scope = "%s/%s/%s/aws4_request" % (amzdate[:8], region, service)
    signed = [n for n, _ in headers]
    creq = canonical_request(method, path, query, headers, signed, payload)
    sts = string_to_sign(amzdate, scope, creq)
    sig = signature(secret, amzdate[:8], region, service, sts)
    return creq, sts, authorization(akid, scope, signed, sig)


def header_value(headers, name):
    for n, v in headers:
        if n.lower() == name:
            return v.strip()
    return None


AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/"
    r"aws4_request,\s*SignedHeaders=([a-z0-9;._-]+),\s*"
    r"Signature=([0-9a-f]{64})$")


class SigError(Exception):
    """code and message as AWS would send them."""

    def __init__(self, code, message, status=403):
        Exception.__init__(self, message)
        self.code = code
        self.message = message
        self.status = status


def verify(method, target, headers, payload, lookup, region=None,
           service=None, now=None, require_token_signed=True):
    """Check a signed request as AWS does.  lookup(akid) returns
    (secret, session_token or None) or None for an unknown key.  Returns
    a dict describing what was signed; raises SigError."""
    auth = header_value(headers, "authorization")
    if auth is None:
        raise SigError("MissingAuthenticationToken",
                       "Request is missing Authentication Token")
    m = AUTH_RE.match(auth)
    if m is None:
        raise SigError("IncompleteSignature",
                       "Authorization header requires 'Credential', "
                       "'Signature' and 'SignedHeaders' parameters.", 400)
    akid, date, sregion, sservice, signed_s, sig = m.groups()
    signed = signed_s.split(";")
    if "host" not in signed:
        raise SigError("SignatureDoesNotMatch",
                       "'Host' must be a 'SignedHeader' in the AWS "
                       "Authorization.")
    amzdate = header_value(headers, "x-amz-date")
    if amzdate is None or not re.match(r"^\d{8}T\d{6}Z$", amzdate):
        raise SigError("IncompleteSignature",
                       "Authorization header requires existence of either "
                       "a 'X-Amz-Date' or a 'Date' header.", 400)
    if "x-amz-date" not in signed:
        raise SigError("SignatureDoesNotMatch",
                       "'X-Amz-Date' must be a 'SignedHeader'.")
    if amzdate[:8] != date:
        raise SigError("SignatureDoesNotMatch",
                       "Date in Credential scope does not match YYYYMMDD "
                       "from ISO-8601 version of date from HTTP")
    if region is not None and sregion != region:
        raise SigError("SignatureDoesNotMatch",
                       "Credential should be scoped to a valid region. ")
    if service is not None and sservice != service:
        raise SigError("SignatureDoesNotMatch",
                       "Credential should be scoped to correct service: "
                       "'%s'. " % service)
    if now is not None:
        t = datetime.datetime.strptime(amzdate, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        if abs(now - t) > MAX_SKEW:
            raise SigError("SignatureDoesNotMatch", "Signature expired: "
                           "%s is now earlier than the allowed window"
                           % amzdate)
    creds = lookup(akid)
    if creds is None:
        raise SigError("InvalidClientTokenId",
                       "The security token included in the request is "
                       "invalid.")
    secret, token = creds
    sent_token = header_value(headers, "x-amz-security-token")
    if token is not None:
        if sent_token is None or sent_token != token:
            raise SigError("InvalidClientTokenId",
                           "The security token included in the request "
                           "is invalid.")
        if require_token_signed and "x-amz-security-token" not in signed:
            raise SigError("SignatureDoesNotMatch",
                           "The security token is not signed.")
    elif sent_token is not None:
        raise SigError("InvalidClientTokenId",
                       "The security token included in the request is "
                       "invalid.")
    path, _, query = target.partition("?")
    try:
        creq = canonical_request(method, path, query, headers, signed,
                                 payload)
    except KeyError as e:
        raise SigError("SignatureDoesNotMatch",
                       "Signed header '%s' is missing." % e.args[0])
    scope = "%s/%s/%s/aws4_request" % (date, sregion, sservice)
    sts = string_to_sign(amzdate, scope, creq)
    want = signature(secret, date, sregion, sservice, sts)
    if not hmac.compare_digest(want, sig):
        raise SigError("SignatureDoesNotMatch",
                       "The request signature we calculated does not "
                       "match the signature you provided. Check your AWS "
                       "Secret Access Key and signing method. Consult the "
                       "service documentation for details.")
    return {"akid": akid, "region": sregion, "service": sservice,
            "signed_headers": signed, "creq": creq, "sts": sts}


def parse_raw_request(data):
    """A request as the suite writes it (.req/.sreq): request line,
    headers (folded lines kept), blank line, body.  The request line's
    target may hold spaces (get-space), so split at both ends."""
    head, sep, body = data.partition(b"\n\n")
    lines = head.decode("utf-8", "surrogateescape").split("\n")
    first = lines[0]
    method, _, rest = first.partition(" ")
    target, _, _ = rest.rpartition(" ")
    headers = []
    for ln in lines[1:]:
        if ln.startswith((" ", "\t")) and headers:
            n, v = headers[-1]
            headers[-1] = (n, v + "\n" + ln)
            continue
        n, _, v = ln.partition(":")
        headers.append((n, v))
    return method, target, headers, body
