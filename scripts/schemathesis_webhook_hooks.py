"""Schemathesis hook for the webhook phase of scripts/schemathesis.sh: signs every fuzzed
delivery with the server's webhook secret (X-Hub-Signature-256 over the exact bytes sent), so
generated requests get past the HMAC check and reach the handler. The secret comes from
GHARTS_ST_WEBHOOK_SECRET; unsigned and badly signed deliveries are the integration tests' job."""

import hashlib
import hmac
import json
import os

import schemathesis
from schemathesis.core import NotSet

SECRET = os.environ["GHARTS_ST_WEBHOOK_SECRET"].encode()


@schemathesis.hook
def before_call(context, case, kwargs):
    if isinstance(case.body, NotSet):
        body = b""
    elif isinstance(case.body, (bytes, bytearray)):
        body = bytes(case.body)
    else:
        body = json.dumps(case.body).encode()
    kwargs["data"] = body  # sent as is, so the signature covers exactly these bytes
    headers = dict(case.headers or {})
    headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    case.headers = headers
