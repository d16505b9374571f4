"""The small scripts that go into the images: content hashing of the site bundle and the Nginx
entrypoint (worker count and BACKEND_URL validation, the generated proxy configuration)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(tmp_path):
    """A site bundle shaped like scripts/build-site.sh's output."""
    s = tmp_path / "site"
    (s / "pkg").mkdir(parents=True)
    shutil.copy(ROOT / "frontend" / "index.html", s / "index.html")
    shutil.copy(ROOT / "public" / "boot.js", s / "boot.js")
    for ext, body in (("js", "export default 1;"), ("wasm", "\0asm"), ("css", "body{}")):
        (s / "pkg" / f"gharts.{ext}").write_text(body)
    return s


def test_hash_assets_renames_every_asset_and_rewrites_the_references(site):
    subprocess.run([str(ROOT / "deploy/frontend/hash-assets.sh"), str(site)], check=True, capture_output=True)
    names = sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file())
    assert [n for n in names if not re.fullmatch(r"(boot|pkg/gharts)-[0-9a-f]{16}\.(js|wasm|css)", n)] == ["index.html"]
    index = (site / "index.html").read_text()
    boot = re.search(r'src="/(boot-[0-9a-f]{16}\.js)"', index).group(1)
    assert re.search(r'href="/pkg/gharts-[0-9a-f]{16}\.css"', index)
    boot_js = (site / boot).read_text()
    for ext in ("js", "wasm"):
        ref = re.search(rf'"/(pkg/gharts-[0-9a-f]{{16}}\.{ext})"', boot_js).group(1)
        assert (site / ref).exists()


def test_hash_assets_fails_when_a_reference_is_missing(site):
    (site / "boot.js").write_text("// nothing referenced\n")
    out = subprocess.run([str(ROOT / "deploy/frontend/hash-assets.sh"), str(site)], capture_output=True, text=True)
    assert out.returncode != 0 and "does not reference" in out.stderr


def run_entrypoint(tmp_path, **env):
    """Runs the entrypoint with a fake nginx that prints its arguments and the generated config."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "nginx").write_text('#!/bin/sh\necho "nginx $*"\ncat /tmp/nginx-conf/*.conf 2>/dev/null; exit 0\n')
    (fake / "nginx").chmod(0o755)
    full_env = {"PATH": f"{fake}:/usr/bin:/bin", **env}
    try:
        return subprocess.run(["sh", str(ROOT / "deploy/nginx/entrypoint.sh")], env=full_env, capture_output=True, text=True)
    finally:
        # The entrypoint writes its generated configuration to /tmp/nginx-conf (fixed path).
        shutil.rmtree("/tmp/nginx-conf", ignore_errors=True)


def test_entrypoint_starts_nginx_in_the_foreground_with_two_workers_and_no_proxy(tmp_path):
    out = run_entrypoint(tmp_path)
    assert out.returncode == 0, out.stderr
    assert "nginx -e stderr -c /etc/nginx/nginx.conf -g daemon off; worker_processes 2;" in out.stdout
    assert "proxy_pass" not in out.stdout


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://gharts-backend:8000/", "https://[::1]:8443"])
def test_entrypoint_proxies_the_api_paths_to_a_valid_backend_url(tmp_path, url):
    out = run_entrypoint(tmp_path, BACKEND_URL=url)
    assert out.returncode == 0, out.stderr
    assert f"proxy_pass {url.rstrip('/')};" in out.stdout
    assert "location ~ ^/(api|auth|docs)(/|$)" in out.stdout
    assert "location ~ ^/(openapi\\.json|readyz|health)$" in out.stdout


@pytest.mark.parametrize("url", ["http://x:80; include /etc/passwd", "ftp://x", "http://a/path", "http://a b"])
def test_entrypoint_refuses_a_backend_url_that_could_inject_configuration(tmp_path, url):
    out = run_entrypoint(tmp_path, BACKEND_URL=url)
    assert out.returncode == 2 and "BACKEND_URL must look like" in out.stderr


@pytest.mark.parametrize("workers, ok", [("auto", True), ("4", True), ("0", False), ("2; user root", False)])
def test_entrypoint_validates_the_worker_count(tmp_path, workers, ok):
    out = run_entrypoint(tmp_path, NGINX_WORKER_PROCESSES=workers)
    assert (out.returncode == 0) is ok, out.stderr


# ---- the backend image's build context --------------------------------------------------------

EMBED = re.compile(r'(include_str|include_bytes|sqlx::migrate)!\(\s*"([^"]+)"')


def embedded_files():
    """Files the `gharts` binary embeds at compile time (include_str!/include_bytes! relative to the
    source file, sqlx::migrate! relative to the crate), as paths from the repository root."""
    found = set()
    for crate in ("server", "app"):
        src = ROOT / crate / "src"
        for rs in src.rglob("*.rs"):
            if rs.relative_to(src).parts[0] == "bin":
                continue  # the other binaries (bench, fake GitHub; files or folders) are not in the image
            for macro, rel in EMBED.findall(rs.read_text()):
                base = ROOT / crate if macro == "sqlx::migrate" else rs.parent
                found.add(os.path.relpath((base / rel).resolve(), ROOT))
    return found


def dockerignore_allowed():
    """The paths `.dockerignore` (an allowlist) lets into the build context."""
    return [line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines() if line.startswith("!")]


def test_every_file_the_backend_embeds_reaches_its_image_build():
    files = embedded_files()
    assert "public/favicon.ico" in files and any(f.startswith("server/assets/") for f in files)
    allowed = dockerignore_allowed()
    build_stage = (ROOT / "Dockerfile.backend").read_text().split(" AS build", 1)[1].split("\nFROM ", 1)[0]
    copied = [m.group(1).rstrip("/") for m in re.finditer(r"^COPY (?!--)(\S+) ", build_stage, re.M)]
    covered = lambda path, prefixes: any(path == p or path.startswith(p + "/") for p in prefixes)  # noqa: E731
    assert [f for f in sorted(files) if not covered(f, allowed)] == [], ".dockerignore leaves these out"
    assert [f for f in sorted(files) if not covered(f, copied)] == [], "Dockerfile.backend does not COPY these"


def test_the_guides_podman_quick_start_is_extracted_for_the_container_check():
    out = subprocess.run(["python3", str(ROOT / "deploy/tests/docs_quickstart.py"), "4567", "gharts-test-1-qs"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    script = out.stdout
    assert "podman pod create --name gharts-test-1-qs -p 127.0.0.1:4567:8080" in script
    assert "--pod gharts-test-1-qs --name gharts-test-1-qs-backend" in script
    assert "--pod gharts-test-1-qs --name gharts-test-1-qs-frontend" in script
    assert "http://127.0.0.1:4567/readyz" in script and "8080:8080" not in script
    assert "make images" not in script


@pytest.mark.parametrize("dockerfile", ["Dockerfile.backend", "Dockerfile.frontend"])
def test_every_file_a_dockerfile_copies_from_the_context_is_in_the_context(dockerfile):
    # `.dockerignore` is an allowlist: a COPY of a path it leaves out fails only deep in a build.
    allowed = dockerignore_allowed()
    sources = []
    for m in re.finditer(r"^COPY (?!--from)(.+)$", (ROOT / dockerfile).read_text(), re.M):
        args = [a for a in m.group(1).split() if not a.startswith("--")]
        sources += [s.rstrip("/") for s in args[:-1] if s not in (".", "./")]
    assert sources, f"{dockerfile} copies nothing from the context?"
    missing = [s for s in sources if not any(s == p or s.startswith(p + "/") or p.startswith(s + "/") for p in allowed)]
    assert missing == [], f".dockerignore leaves these out of {dockerfile}'s context"
    assert [s for s in sources if not (ROOT / s).exists()] == [], f"{dockerfile} copies paths that do not exist"
