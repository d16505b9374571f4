"""The kind/minikube scripts, run against stub `kind`, `kubectl`, `helm`, `podman`, `minikube` and
`curl` commands (no cluster can run here). Each stub logs its arguments; the tests check the
commands each script issues, in order, and that it never waits for input.
"""

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

STUB = textwrap.dedent("""\
    #!/usr/bin/env bash
    # Stub: logs "<name> <args>" and answers the few queries the scripts make.
    name="$(basename "$0")"
    echo "$name $*" >> "$STUB_LOG"
    case "$name $*" in
      "kind get clusters"*) printf '%s\\n' ${KIND_CLUSTERS:-} ;;
      "kubectl get secret"*) exit 1 ;;
      "kubectl create"*"--dry-run=client"*) echo "kind: Stub" ;;
      *"apply -f -"*) cat > /dev/null ;;
      "kubectl"*"get svc"*) echo "service/envoy-shared" ;;
      "kubectl"*"port-forward"*) exec sleep 30 ;;
      "podman save"*) out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done; : > "$out" ;;
      "minikube status"*) [ -n "${MINIKUBE_RUNNING:-}" ] || exit 1 ;;
      "minikube ip"*) echo 192.168.49.2 ;;
      "curl"*"/app/"*) echo "<html><title>GHARTS</title></html>" ;;
      "curl"*) echo '{"status":"ready"}' ;;
    esac
    exit 0
""")


@pytest.fixture
def stubs(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("kind", "kubectl", "helm", "podman", "minikube", "curl"):
        (bin_dir / name).write_text(STUB)
        (bin_dir / name).chmod(0o755)
    return tmp_path


def run(stubs, script, **env):
    log = stubs / "calls.log"
    log.write_text("")
    full_env = {
        **os.environ,
        "PATH": f"{stubs / 'bin'}:{os.environ['PATH']}",
        "STUB_LOG": str(log),
        "GHARTS_TOOLS_DIR": str(stubs / "tools"),
        **env,
    }
    out = subprocess.run([str(ROOT / "scripts" / script)], env=full_env, stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=120)
    return out, log.read_text().splitlines()


def index(calls, prefix):
    for i, c in enumerate(calls):
        if c.startswith(prefix):
            return i
    raise AssertionError(f"no call starting with {prefix!r} in:\n" + "\n".join(calls))


def test_setup_kind_creates_the_cluster_with_the_config_and_a_pinned_ingress_controller(stubs):
    out, calls = run(stubs, "setup-kind-cluster.sh")
    assert out.returncode == 0, out.stderr
    create = calls[index(calls, "kind create cluster")]
    assert "--name gharts" in create and "--config kind-config.yaml" in create and "kindest/node:v1.33" in create
    apply = calls[index(calls, "kubectl apply -f https://raw.githubusercontent.com/kubernetes/ingress-nginx/controller-v1.")]
    assert "/main/" not in apply
    assert index(calls, "kind create") < index(calls, "kubectl apply -f https") < index(calls, "kubectl -n ingress-nginx rollout status")
    assert any(c.startswith("kubectl create namespace gharts --dry-run=client") for c in calls)


def test_setup_kind_reuses_an_existing_cluster(stubs):
    out, calls = run(stubs, "setup-kind-cluster.sh", KIND_CLUSTERS="other gharts")
    assert out.returncode == 0, out.stderr
    assert not any(c.startswith("kind create") for c in calls)
    assert "exists" in out.stdout


def test_setup_kind_with_gateway_routing_installs_gateway_api_and_envoy(stubs):
    out, calls = run(stubs, "setup-kind-cluster.sh", ROUTING="gateway")
    assert out.returncode == 0, out.stderr
    assert any("gateway-api/releases/download/v1." in c and "standard-install.yaml" in c for c in calls)
    helm = calls[index(calls, "helm upgrade --install envoy-gateway")]
    assert "--version v1." in helm and "--wait" in helm
    assert any(c == "kubectl apply -f deploy/kind/gateway.yaml" for c in calls)
    assert not any("ingress-nginx" in c for c in calls)


def test_setup_kind_rejects_an_unknown_routing(stubs):
    out, _ = run(stubs, "setup-kind-cluster.sh", ROUTING="bogus")
    assert out.returncode == 2 and "ingress or gateway" in out.stderr


def test_load_to_kind_goes_through_an_oci_archive_with_podman(stubs):
    out, calls = run(stubs, "load-to-kind.sh", BACKEND_IMAGE="localhost/b:1", FRONTEND_IMAGE="localhost/f:1")
    assert out.returncode == 0, out.stderr
    saves = [c for c in calls if c.startswith("podman save --format oci-archive")]
    loads = [c for c in calls if c.startswith("kind load image-archive")]
    assert [s.split()[-1] for s in saves] == ["localhost/b:1", "localhost/f:1"]
    assert len(loads) == 2 and all(c.endswith("--name gharts") for c in loads)


def test_load_to_kind_uses_docker_images_with_docker(stubs):
    out, calls = run(stubs, "load-to-kind.sh", CONTAINER_TOOL="docker", CLUSTER_NAME="c1")
    assert out.returncode == 0, out.stderr
    assert calls == ["kind load docker-image localhost/gharts-backend:dev --name c1",
                     "kind load docker-image localhost/gharts-frontend:dev --name c1"]


def test_deploy_to_kind_installs_postgres_secrets_the_chart_then_tests_it(stubs):
    out, calls = run(stubs, "deploy-to-kind.sh", SKIP_BUILD="1")
    assert out.returncode == 0, out.stderr + out.stdout
    order = [
        index(calls, "podman save"),
        index(calls, "kubectl -n gharts apply -f deploy/kind/postgres.yaml"),
        index(calls, "kubectl -n gharts rollout status statefulset/gharts-postgresql"),
        index(calls, "kubectl -n gharts create secret generic gharts-db"),
        index(calls, "helm upgrade --install gharts chart"),
        index(calls, "helm test gharts"),
        index(calls, "curl -fsS -H Host: gharts.local http://127.0.0.1:8080/readyz"),
    ]
    assert order == sorted(order)
    helm = calls[index(calls, "helm upgrade --install")]
    for arg in ("-f chart/examples/values-dev.yaml", "--wait", "backend.image.repository=localhost/gharts-backend",
                "backend.image.tag=dev", "auth.sessionSecret.existingSecret=gharts-session", "ingress.hosts[0]=gharts.local"):
        assert arg in helm, arg
    # Secrets are applied (create --dry-run | apply), so a second run updates instead of failing.
    assert all("--dry-run=client" in c for c in calls if c.startswith("kubectl -n gharts create secret"))
    assert "smoke test passed" in out.stdout
    assert "github." not in helm and "GitHub:   off" in out.stdout


def test_deploy_to_kind_connects_a_github_app_from_a_key_file(stubs):
    key = stubs / "app.pem"
    key.write_text("-----BEGIN RSA PRIVATE KEY-----\n")
    out, calls = run(stubs, "deploy-to-kind.sh", SKIP_BUILD="1", SKIP_LOAD="1", GITHUB_APP_ID="123",
                     GITHUB_ORG="acme", GITHUB_APP_PRIVATE_KEY_FILE=str(key), GITHUB_INSTALLATION_ID="456")
    assert out.returncode == 0, out.stderr + out.stdout
    secret = calls[index(calls, "kubectl -n gharts create secret generic gharts-github")]
    assert f"--from-file=private-key={key}" in secret and "--from-literal=webhook-secret=" in secret
    assert index(calls, "kubectl -n gharts create secret generic gharts-github") < index(calls, "helm upgrade --install")
    helm = calls[index(calls, "helm upgrade --install")]
    for arg in ("github.appId=123", "github.org=acme", "github.installationId=456",
                "github.privateKey.existingSecret=gharts-github", "github.webhookSecret.existingSecret=gharts-github"):
        assert arg in helm, arg
    assert "App 123 on acme" in out.stdout


def test_deploy_to_kind_refuses_a_github_app_without_its_key(stubs):
    out, calls = run(stubs, "deploy-to-kind.sh", SKIP_BUILD="1", SKIP_LOAD="1", GITHUB_APP_ID="123", GITHUB_ORG="acme")
    assert out.returncode != 0 and "GITHUB_APP_PRIVATE_KEY_FILE" in out.stderr
    assert not any(c.startswith("helm upgrade") for c in calls)


def test_deploy_to_kind_with_gateway_routing_attaches_the_httproute(stubs):
    out, calls = run(stubs, "deploy-to-kind.sh", SKIP_BUILD="1", SKIP_LOAD="1", ROUTING="gateway")
    assert out.returncode == 0, out.stderr + out.stdout
    helm = calls[index(calls, "helm upgrade --install")]
    assert "ingress.enabled=false" in helm and "httpRoute.enabled=true" in helm
    assert "httpRoute.parentRefs[0].namespace=envoy-gateway-system" in helm
    assert any("port-forward service/envoy-shared" in c for c in calls)
    assert not any(c.startswith(("podman save", "kind load")) for c in calls)


def test_setup_minikube_starts_loads_and_deploys_against_its_ip(stubs):
    out, calls = run(stubs, "setup-minikube.sh", SKIP_BUILD="1")
    assert out.returncode == 0, out.stderr + out.stdout
    start = calls[index(calls, "minikube start")]
    assert "--addons ingress" in start and "--profile gharts" in start
    assert len([c for c in calls if c.startswith("minikube image load")]) == 2
    assert any(c.endswith("http://192.168.49.2/readyz") for c in calls)
    assert not any(c.startswith("kind ") for c in calls)


def test_setup_minikube_reuses_a_running_profile(stubs):
    out, calls = run(stubs, "setup-minikube.sh", SKIP_BUILD="1", MINIKUBE_RUNNING="1")
    assert out.returncode == 0, out.stderr + out.stdout
    assert not any(c.startswith("minikube start") for c in calls)
