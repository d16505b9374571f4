"""HTTP checks of the running images (used by scripts/test-containers.sh and test-kube-play.sh).

    python3 check_http.py frontend BASE_URL [--proxy]   # Nginx: headers, types, caching, gzip, proxy
    python3 check_http.py backend BASE_URL              # the API alone
    python3 check_http.py webhook BASE_URL              # GitHub webhook signatures; the secrets come
                                                        # from WEBHOOK_SECRET(_PREVIOUS) in the environment

Prints one line per check and exits 1 when any fails.
"""

import gzip
import hashlib
import hmac
import json
import os
import re
import sys
import urllib.error
import urllib.request

FAILURES = []
SECURITY_HEADERS = {
    "content-security-policy": "script-src 'self' 'wasm-unsafe-eval'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=()",
    "x-frame-options": "DENY",
}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def get(url, headers=None, method="GET"):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with OPENER.open(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


PASSED = []


def check(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")
    (PASSED if ok else FAILURES).append(name)


def has_security_headers(path, headers, https=False):
    missing = [h for h, v in SECURITY_HEADERS.items() if v not in headers.get(h, "")]
    csp = headers.get("content-security-policy", "")
    if "unsafe-inline" in csp or "frame-ancestors 'none'" not in csp:
        missing.append("CSP without unsafe-inline and with frame-ancestors 'none'")
    if https != ("strict-transport-security" in headers):
        missing.append("HSTS exactly when https")
    check(f"security headers on {path}", not missing, ", ".join(missing))


def frontend(base, proxy):
    status, h, body = get(f"{base}/app/")
    check("/app/ serves index.html", status == 200 and b"<title>GHARTS</title>" in body, str(status))
    check("/app/ is no-store", h.get("cache-control") == "no-store", h.get("cache-control", ""))
    has_security_headers("/app/", h)
    html = body.decode()
    boot = re.search(r'src="(/boot-[0-9a-f]{16}\.js)"', html)
    css = re.search(r'href="(/pkg/gharts-[0-9a-f]{16}\.css)"', html)
    check("index.html references content-hashed boot.js and CSS", bool(boot and css), html[:300])
    if not (boot and css):
        return
    status, h, body = get(base + boot.group(1))
    check("boot.js is JavaScript, immutable", status == 200 and "javascript" in h.get("content-type", "")
          and "immutable" in h.get("cache-control", ""), f"{status} {h.get('content-type')} {h.get('cache-control')}")
    has_security_headers(boot.group(1), h)
    js = re.search(r'"(/pkg/gharts-[0-9a-f]{16}\.js)"', body.decode())
    wasm = re.search(r'"(/pkg/gharts-[0-9a-f]{16}\.wasm)"', body.decode())
    check("boot.js references hashed glue and WASM", bool(js and wasm))
    if wasm:
        status, h, body = get(base + wasm.group(1), {"Accept-Encoding": "gzip"})
        check("WASM is application/wasm", status == 200 and h.get("content-type") == "application/wasm",
              f"{status} {h.get('content-type')}")
        check("WASM is gzip-compressed", h.get("content-encoding") == "gzip" and
              gzip.decompress(body)[:4] == b"\0asm", h.get("content-encoding", "none"))
        check("WASM is immutable", "immutable" in h.get("cache-control", ""))
        has_security_headers(wasm.group(1), h)
    status, h, _ = get(base + css.group(1))
    check("CSS is text/css", status == 200 and h.get("content-type", "").startswith("text/css"), h.get("content-type"))
    for path in ("/app", "/app/login", "/app/some/deep/route"):
        status, h, body = get(base + path)
        check(f"SPA fallback {path}", status == 200 and b"<title>GHARTS</title>" in body, str(status))
    status, h, _ = get(f"{base}/")
    check("/ redirects to /app/", status in (301, 302) and h.get("location") == "/app/", f"{status} {h.get('location')}")
    has_security_headers("/ (redirect)", h)
    status, h, body = get(f"{base}/healthz")
    check("/healthz answers ok", status == 200 and body.strip() == b"ok", str(status))
    has_security_headers("/healthz", h)
    for path in ("/.env", "/app/.env", "/pkg/.git/config", "/.well-hidden"):
        status, h, _ = get(base + path)
        check(f"dotfile {path} denied", status == 404, str(status))
        has_security_headers(f"{path} (404)", h)
    status, h, _ = get(f"{base}/no-such-file.js")
    check("unknown file is 404", status == 404, str(status))
    has_security_headers("404", h)
    status, h, _ = get(f"{base}/favicon.ico")
    check("favicon served, revalidated", status == 200 and h.get("cache-control") == "no-cache", str(status))
    status, h, _ = get(f"{base}/app/", {"X-Forwarded-Proto": "https"})
    has_security_headers("/app/ behind https", h, https=True)

    status, h, body = get(f"{base}/api/v1/auth/me")
    if proxy:
        check("/api proxied to the backend (401 JSON)", status == 401 and
              json.loads(body).get("error_code") is not None, f"{status} {body[:100]!r}")
        check("proxied API response is no-store", h.get("cache-control") == "no-store", h.get("cache-control", ""))
        has_security_headers("/api/v1/auth/me (proxied)", h)
        status, h, body = get(f"{base}/readyz")
        check("/readyz proxied: ready", status == 200 and json.loads(body)["status"] == "ready", str(status))
        status, h, body = get(f"{base}/openapi.json")
        check("/openapi.json proxied: the API description", status == 200 and "openapi" in json.loads(body), str(status))
        status, h, body = get(f"{base}/auth/login")
        check("/auth proxied to the backend", status != 200 or b"<title>GHARTS</title>" not in body, str(status))
    else:
        check("/api not served without BACKEND_URL", status == 404, str(status))


def backend(base):
    status, _, body = get(f"{base}/healthz")
    check("backend /healthz", status == 200 and json.loads(body)["status"] == "ok", str(status))
    status, _, body = get(f"{base}/readyz")
    check("backend /readyz ready", status == 200 and json.loads(body)["status"] == "ready", f"{status} {body[:200]!r}")
    status, h, body = get(f"{base}/api/v1/auth/me")
    check("backend /api/v1/auth/me needs auth", status == 401 and "error_code" in json.loads(body), str(status))
    status, _, body = get(f"{base}/app/")
    check("backend image serves no site bundle", status == 404, str(status))
    status, h, body = get(f"{base}/metrics")
    check("backend /metrics is Prometheus text", status == 200 and b"# TYPE" in body, str(status))
    status, _, body = get(f"{base}/health")
    check("backend /health", status == 200 and json.loads(body).get("checks", {}).get("database") == "ok", str(status))


def webhook(base):
    """The backend verifies GitHub's HMAC with the secrets mounted from the chart's Secret files."""
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()

    def deliver(secret, n):
        sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(f"{base}/api/v1/webhooks/github", data=body, method="POST", headers={
            "Content-Type": "application/json", "X-GitHub-Event": "ping", "X-GitHub-Delivery": f"kube-play-{os.getpid()}-{n}",
            "X-Hub-Signature-256": sig})
        try:
            with OPENER.open(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    status, body_ = deliver(os.environ["WEBHOOK_SECRET"], 1)
    check("webhook signed with github.webhookSecret accepted", status == 200, f"{status} {body_[:200]!r}")
    status, body_ = deliver(os.environ["WEBHOOK_SECRET_PREVIOUS"], 2)
    check("webhook signed with github.webhookSecretPrevious accepted", status == 200, f"{status} {body_[:200]!r}")
    status, body_ = deliver("not-the-secret", 3)
    check("webhook with a wrong signature refused (401)", status == 401 and b"WEBHOOK_SIGNATURE_INVALID" in body_, str(status))


if __name__ == "__main__":
    kind, base = sys.argv[1], sys.argv[2].rstrip("/")
    if kind == "frontend":
        frontend(base, "--proxy" in sys.argv)
    elif kind == "webhook":
        webhook(base)
    else:
        backend(base)
    print(f"http checks ({kind}{' via proxy' if '--proxy' in sys.argv else ''}): {len(PASSED)} passed, {len(FAILURES)} failed")
    sys.exit(1 if FAILURES else 0)
