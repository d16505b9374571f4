"""Chart tests over `helm template` output: the rules schemas cannot see.

Run by scripts/test-chart.sh (pytest, with helm on PATH). Each test renders the chart with some
values and checks the resulting objects.
"""

import functools
import shutil
import json
import subprocess
from pathlib import Path

import pytest
import yaml

import chart_docs

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "chart"
EXAMPLES = sorted((CHART / "examples").glob("values-*.yaml"))
API_VERSIONS = ["gateway.networking.k8s.io/v1/HTTPRoute", "monitoring.coreos.com/v1/ServiceMonitor"]
# Minimal PostgreSQL settings for tests that need that mode.
PG = ["database.type=postgres", "database.postgres.existingSecret=db"]


def helm(*args):
    cmd = ["helm", "template", "rel", str(CHART), "--namespace", "ns"]
    for api in API_VERSIONS:
        cmd += ["--api-versions", api]
    return subprocess.run(cmd + list(args), capture_output=True, text=True)


@functools.lru_cache(maxsize=None)
def render(*args):
    """Renders with `--set`/`-f` arguments; returns the list of objects."""
    out = helm(*args)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def sets(*pairs):
    return tuple(a for p in pairs for a in ("--set", p))


def render_fails(*args):
    out = helm(*args)
    assert out.returncode != 0, "the render should have failed"
    return out.stderr


def of_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def one(docs, kind, name):
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def pod_specs(docs):
    """(owner, pod spec) for every pod template and bare pod."""
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            yield f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"]
        elif d["kind"] == "Pod":
            yield f"Pod/{d['metadata']['name']}", d["spec"]


# Every configuration the tests and CI render: the defaults, each example, and the modes.
SCENARIOS = {
    "default": (),
    **{p.stem: ("-f", str(p)) for p in EXAMPLES},
    "postgres-inline": sets("database.type=postgres", "database.postgres.url=postgres://u:p@db/gharts",
                            "auth.bootstrapAdmin.password=pw", "auth.sessionSecret.value=" + "s" * 32),
    "everything": sets(*PG, "backend.autoscaling.enabled=true", "frontend.autoscaling.enabled=true",
                       "ingress.enabled=true", "ingress.hosts[0]=g.example.com", "httpRoute.enabled=true",
                       "gateway.create=true", "gateway.className=gc", "routing.allowIngressAndHttpRoute=true",
                       "networkPolicy.enabled=true", "serviceMonitor.enabled=true", "frontend.backendProxy=true",
                       "auth.oidc.enabled=true", "auth.oidc.issuer=https://idp.example.com",
                       "auth.oidc.clientId=ui", "auth.sessionSecret.existingSecret=sess",
                       "metrics.token.existingSecret=metrics", "routing.exposeMetrics=true"),
    "github": sets(*PG, "backend.replicaCount=3", "github.appId=123456", "github.org=acme",
                   "github.installationId=987654321", "github.apiUrl=https://ghe.example.com/api/v3",
                   "github.privateKey.existingSecret=gh-app", "github.webhookSecret.existingSecret=gh-hook",
                   "github.webhookSecretPrevious.existingSecret=gh-hook", "config.labelPolicy.enforcement=enforce",
                   "config.labelPolicy.deleteBusyRunners=true", "config.sync.leaseSeconds=15",
                   "metrics.token.existingSecret=metrics"),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_pod_runs_restricted(scenario):
    for owner, spec in pod_specs(render(*SCENARIOS[scenario])):
        psc = spec["securityContext"]
        assert psc["runAsNonRoot"] is True, owner
        assert psc["seccompProfile"]["type"] == "RuntimeDefault", owner
        assert spec["automountServiceAccountToken"] is not True or "cloud-sql-proxy" in json.dumps(spec), owner
        for c in spec["containers"]:
            if c["name"] not in ("backend", "frontend", "migrate", "test"):
                continue  # sidecars a user adds (values-gcp) carry their own
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, (owner, c["name"])
            assert sc["readOnlyRootFilesystem"] is True, (owner, c["name"])
            assert sc["capabilities"]["drop"] == ["ALL"], (owner, c["name"])
            assert "add" not in sc["capabilities"], (owner, c["name"])
            assert c["resources"]["requests"] and c["resources"]["limits"]["memory"], (owner, c["name"])
            # A writable /tmp is the only writable path (read-only root filesystem).
            if c["name"] != "test":
                assert any(m["mountPath"] == "/tmp" for m in c["volumeMounts"]), (owner, c["name"])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_deployments_have_probes_prestop_and_grace(scenario):
    docs = render(*SCENARIOS[scenario])
    deployments = of_kind(docs, "Deployment")
    assert {d["metadata"]["labels"]["app.kubernetes.io/component"] for d in deployments} == {"backend", "frontend"}
    for d in deployments:
        spec = d["spec"]["template"]["spec"]
        component = d["metadata"]["labels"]["app.kubernetes.io/component"]
        c = next(c for c in spec["containers"] if c["name"] == component)
        paths = {p: c[p]["httpGet"]["path"] for p in ("livenessProbe", "readinessProbe", "startupProbe")}
        if component == "backend":
            assert paths == {"livenessProbe": "/healthz", "readinessProbe": "/readyz", "startupProbe": "/healthz"}
        else:
            assert set(paths.values()) == {"/healthz"}
        sleep = c["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert 0 < sleep < spec["terminationGracePeriodSeconds"], d["metadata"]["name"]
        assert [p["name"] for p in c["ports"]] == ["http"]
        assert all(
            t["labelSelector"]["matchLabels"] == d["spec"]["selector"]["matchLabels"]
            for t in spec.get("topologySpreadConstraints", [])
        )


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_pdbs_have_exactly_one_bound_and_select_their_deployment(scenario):
    docs = render(*SCENARIOS[scenario])
    pdbs = of_kind(docs, "PodDisruptionBudget")
    assert pdbs, "a PDB per component by default"
    deployments = {d["metadata"]["name"]: d for d in of_kind(docs, "Deployment")}
    for pdb in pdbs:
        bounds = {"minAvailable", "maxUnavailable"} & set(pdb["spec"])
        assert len(bounds) == 1, pdb["metadata"]["name"]
        target = deployments[pdb["metadata"]["name"]]
        assert pdb["spec"]["selector"]["matchLabels"] == target["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_services_ports_and_names_match_the_python_chart(scenario):
    docs = render(*SCENARIOS[scenario])
    backend = one(docs, "Service", "rel-gharts-backend")
    frontend = one(docs, "Service", "rel-gharts-frontend")
    assert backend["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]
    assert frontend["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    for svc, component in ((backend, "backend"), (frontend, "frontend")):
        assert svc["spec"]["selector"] == {
            "app.kubernetes.io/name": "gharts",
            "app.kubernetes.io/instance": "rel",
            "app.kubernetes.io/component": component,
        }
        deployment = one(docs, "Deployment", svc["metadata"]["name"])
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["ports"][0]["containerPort"] == (8000 if component == "backend" else 8080)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_secrets_reach_the_backend_only_as_files(scenario):
    docs = render(*SCENARIOS[scenario])
    deployment = one(docs, "Deployment", "rel-gharts-backend")
    spec = deployment["spec"]["template"]["spec"]
    backend = spec["containers"][0]
    for env in backend.get("env", []):
        assert "valueFrom" not in env or "secretKeyRef" not in env["valueFrom"], env["name"]
    file_vars = {e["name"]: e["value"] for e in backend.get("env", []) if e["name"].endswith("_FILE")}
    volumes = {v["name"]: v for v in spec["volumes"]}
    items = [i["path"] for s in volumes.get("secrets", {}).get("projected", {}).get("sources", [])
             for i in s["secret"]["items"]]
    assert sorted(f"/etc/gharts/secrets/{p}" for p in items) == sorted(file_vars.values())


def test_default_values_hold_no_secret_data_and_create_no_secret():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    auth, pg = values["auth"], values["database"]["postgres"]
    assert auth["bootstrapAdmin"]["password"] == ""
    assert auth["sessionSecret"]["value"] == ""
    assert auth["oidc"]["clientSecret"]["value"] == ""
    assert pg["url"] == ""
    assert values["metrics"]["token"]["value"] == ""
    # GitHub's secrets have no inline form at all: only references to existing Secrets.
    for ref in ("privateKey", "webhookSecret", "webhookSecretPrevious"):
        assert set(values["github"][ref]) == {"existingSecret", "existingSecretKey"}
        assert values["github"][ref]["existingSecret"] == ""
    assert of_kind(render(), "Secret") == []


# ---- GitHub App, webhook, label policy, sync ------------------------------------------------

def backend_env(docs):
    container = one(docs, "Deployment", "rel-gharts-backend")["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def secret_items(docs):
    """{path: (secret, key)} of the backend's projected secrets volume."""
    spec = one(docs, "Deployment", "rel-gharts-backend")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    return {i["path"]: (src["secret"]["name"], i["key"])
            for src in volumes.get("secrets", {}).get("projected", {}).get("sources", []) for i in src["secret"]["items"]}


def test_github_settings_reach_the_configmap_and_its_secrets_arrive_as_files_from_existing_secrets():
    docs = render(*SCENARIOS["github"])
    config = one(docs, "ConfigMap", "rel-gharts-config")["data"]
    assert {k: v for k, v in config.items() if k.startswith(("GITHUB_", "LABEL_", "SYNC_"))} == {
        "GITHUB_APP_ID": "123456", "GITHUB_ORG": "acme", "GITHUB_INSTALLATION_ID": "987654321",
        "GITHUB_API_URL": "https://ghe.example.com/api/v3", "GITHUB_TIMEOUT_SECONDS": "10",
        "GITHUB_RETRY_DEADLINE_SECONDS": "20", "LABEL_POLICY_ENFORCEMENT": "enforce",
        "LABEL_DRIFT_DELETE_BUSY_RUNNERS": "true", "SYNC_ENABLED": "true", "SYNC_INTERVAL_SECONDS": "120",
        "SYNC_LEASE_SECONDS": "15"}
    env = backend_env(docs)
    for var, path in (("GITHUB_APP_PRIVATE_KEY", "github-app-private-key"), ("GITHUB_WEBHOOK_SECRET", "github-webhook-secret"),
                      ("GITHUB_WEBHOOK_SECRET_PREVIOUS", "github-webhook-secret-previous"), ("METRICS_TOKEN", "metrics-token")):
        assert env[f"{var}_FILE"] == f"/etc/gharts/secrets/{path}"
        assert var not in env and var not in config
    items = secret_items(docs)
    assert items["github-app-private-key"] == ("gh-app", "private-key")
    assert items["github-webhook-secret"] == ("gh-hook", "webhook-secret")
    assert items["github-webhook-secret-previous"] == ("gh-hook", "webhook-secret-previous")
    assert items["metrics-token"] == ("metrics", "metrics-token")
    # No Secret of the chart's own: every secret above is an existing one.
    assert [s["metadata"]["name"] for s in of_kind(docs, "Secret")] == []


def test_github_is_off_by_default_with_the_backend_defaults_for_policy_and_sync():
    docs = render()
    config = one(docs, "ConfigMap", "rel-gharts-config")["data"]
    assert not [k for k in config if k.startswith("GITHUB_")]
    assert (config["LABEL_POLICY_ENFORCEMENT"], config["LABEL_DRIFT_DELETE_BUSY_RUNNERS"]) == ("audit", "false")
    assert (config["SYNC_ENABLED"], config["SYNC_INTERVAL_SECONDS"], config["SYNC_LEASE_SECONDS"]) == ("true", "120", "10")
    assert config["JIT_UNUSED_EXPIRY"] == "1800"
    assert not [k for k in backend_env(docs) if k.startswith("GITHUB_")]


def test_the_webhook_secret_works_without_the_app():
    docs = render(*sets("github.webhookSecret.existingSecret=hook", "github.webhookSecret.existingSecretKey=s"))
    assert backend_env(docs)["GITHUB_WEBHOOK_SECRET_FILE"] == "/etc/gharts/secrets/github-webhook-secret"
    assert secret_items(docs) == {"github-webhook-secret": ("hook", "s")}


def test_the_sync_worker_needs_no_deployment_of_its_own():
    """Every backend replica runs the worker; the database lease elects the leader."""
    docs = render(*SCENARIOS["github"])
    assert sorted(d["metadata"]["name"] for d in of_kind(docs, "Deployment")) == ["rel-gharts-backend", "rel-gharts-frontend"]
    assert one(docs, "Deployment", "rel-gharts-backend")["spec"]["replicas"] == 3


def test_integers_from_a_values_file_render_as_integers(tmp_path):
    """YAML numbers reach templates as floats: 987654321 must not become 9.87654321e+08."""
    values = tmp_path / "values.yaml"
    values.write_text("github: {appId: 1234567, org: acme, installationId: 987654321, privateKey: {existingSecret: gh}}\n"
                      "config: {jitUnusedExpirySeconds: 1000000, sessionAbsoluteTimeoutSeconds: 2592000}\n")
    config = one(render("-f", str(values)), "ConfigMap", "rel-gharts-config")["data"]
    assert (config["GITHUB_APP_ID"], config["GITHUB_INSTALLATION_ID"]) == ("1234567", "987654321")
    assert (config["JIT_UNUSED_EXPIRY"], config["SESSION_ABSOLUTE_TIMEOUT"]) == ("1000000", "2592000")


def test_inline_secrets_create_one_secret_and_the_migration_hook_gets_its_own():
    docs = render(*SCENARIOS["postgres-inline"])
    secret = one(docs, "Secret", "rel-gharts-secrets")
    assert set(secret["stringData"]) == {"database-url", "bootstrap-admin-password", "session-secret"}
    hook_secret = one(docs, "Secret", "rel-gharts-migrate")
    job = one(docs, "Job", "rel-gharts-migrate")
    weight = lambda d: int(d["metadata"]["annotations"]["helm.sh/hook-weight"])  # noqa: E731
    assert weight(hook_secret) < weight(job)
    assert hook_secret["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"


def routes_of_ingress(ingress):
    out = set()
    for rule in ingress["spec"]["rules"]:
        for p in rule["http"]["paths"]:
            assert p["pathType"] == "Prefix"
            out.add((p["path"], p["backend"]["service"]["name"]))
    return out


def routes_of_httproute(route):
    out = set()
    for rule in route["spec"]["rules"]:
        (ref,) = rule["backendRefs"]
        for m in rule["matches"]:
            assert m["path"]["type"] == "PathPrefix"
            out.add((m["path"]["value"], ref["name"]))
    return out


@pytest.mark.parametrize("metrics", [False, True])
def test_ingress_and_httproute_route_the_same_paths(metrics):
    docs = render(*SCENARIOS["everything"][:-2], *sets(f"routing.exposeMetrics={str(metrics).lower()}"))
    ingress = routes_of_ingress(one(docs, "Ingress", "rel-gharts"))
    route = routes_of_httproute(one(docs, "HTTPRoute", "rel-gharts"))
    assert ingress == route
    backend_paths = {p for p, svc in ingress if svc == "rel-gharts-backend"}
    assert {"/api", "/auth", "/healthz", "/readyz", "/docs", "/openapi.json"} <= backend_paths
    assert ("/metrics" in backend_paths) is metrics
    assert ("/", "rel-gharts-frontend") in ingress


def test_httproute_attaches_to_the_charts_gateway_when_no_parent_is_given():
    docs = render(*SCENARIOS["everything"])
    gateway = one(docs, "Gateway", "rel-gharts")
    route = one(docs, "HTTPRoute", "rel-gharts")
    assert route["spec"]["parentRefs"] == [{"name": gateway["metadata"]["name"]}]


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook_and_pods_then_skip_migrations():
    docs = render(*sets(*PG))
    job = one(docs, "Job", "rel-gharts-migrate")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # Hooks run before the release's ConfigMap and ServiceAccount exist.
    assert "envFrom" not in container
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == "default"
    assert one(docs, "ConfigMap", "rel-gharts-config")["data"]["RUN_MIGRATIONS"] == "false"


def test_sqlite_mode_has_no_migration_job_one_replica_recreate_and_a_kept_pvc():
    docs = render()
    assert of_kind(docs, "Job") == []
    config = one(docs, "ConfigMap", "rel-gharts-config")["data"]
    assert config["RUN_MIGRATIONS"] == "true"
    assert config["DATABASE_URL"] == "sqlite:///data/gharts.db"
    backend = one(docs, "Deployment", "rel-gharts-backend")
    assert backend["spec"]["replicas"] == 1
    assert backend["spec"]["strategy"]["type"] == "Recreate"
    pvc = one(docs, "PersistentVolumeClaim", "rel-gharts-data")
    assert pvc["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_autoscaling_leaves_replicas_to_the_hpa():
    docs = render(*SCENARIOS["everything"])
    for name in ("rel-gharts-backend", "rel-gharts-frontend"):
        assert "replicas" not in one(docs, "Deployment", name)["spec"]
        hpa = one(docs, "HorizontalPodAutoscaler", name)
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}


def test_frontend_never_gets_a_service_account_token_or_https_egress():
    docs = render(*SCENARIOS["everything"])
    assert one(docs, "ServiceAccount", "rel-gharts-frontend")["automountServiceAccountToken"] is False
    spec = one(docs, "Deployment", "rel-gharts-frontend")["spec"]["template"]["spec"]
    assert spec["automountServiceAccountToken"] is False
    policy = one(docs, "NetworkPolicy", "rel-gharts-frontend")
    ports = {p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]}
    assert ports == {53, 8000}  # DNS and, with backendProxy, the backend


def test_backend_proxy_points_nginx_at_the_backend_service():
    docs = render(*sets("frontend.backendProxy=true"))
    env = one(docs, "Deployment", "rel-gharts-frontend")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "BACKEND_URL", "value": "http://rel-gharts-backend:8000"} in env


def test_metrics_token_reaches_the_backend_as_a_file_and_the_servicemonitor_as_bearer_auth():
    docs = render(*SCENARIOS["everything"])
    env = one(docs, "Deployment", "rel-gharts-backend")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "METRICS_TOKEN_FILE", "value": "/etc/gharts/secrets/metrics-token"} in env
    endpoint = one(docs, "ServiceMonitor", "rel-gharts")["spec"]["endpoints"][0]
    assert endpoint["path"] == "/metrics" and endpoint["port"] == "http"
    assert endpoint["authorization"] == {"type": "Bearer", "credentials": {"name": "metrics", "key": "metrics-token"}}
    inline = render(*sets("serviceMonitor.enabled=true", "metrics.token.value=t0ken"))
    assert one(inline, "Secret", "rel-gharts-secrets")["stringData"]["metrics-token"] == "t0ken"
    assert one(inline, "ServiceMonitor", "rel-gharts")["spec"]["endpoints"][0]["authorization"]["credentials"] == {
        "name": "rel-gharts-secrets", "key": "metrics-token"}


def test_helm_test_pod_hits_readyz_through_the_backend_service():
    pod = one(render(), "Pod", "rel-gharts-test")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    script = pod["spec"]["containers"][0]["args"][0]
    assert "http://rel-gharts-backend:8000/readyz" in script
    assert "http://rel-gharts-frontend:80/app/" in script


def test_config_changes_roll_the_backend():
    a = one(render(), "Deployment", "rel-gharts-backend")
    b = one(render(*sets("config.logLevel=debug")), "Deployment", "rel-gharts-backend")
    key = "checksum/config"
    assert a["spec"]["template"]["metadata"]["annotations"][key] != b["spec"]["template"]["metadata"]["annotations"][key]


def test_oidc_settings_reach_the_configmap_only_when_enabled():
    off = one(render(*sets("auth.oidc.issuer=https://idp.example.com")), "ConfigMap", "rel-gharts-config")
    assert "OIDC_ISSUER" not in off["data"]
    on = one(render(*SCENARIOS["everything"]), "ConfigMap", "rel-gharts-config")["data"]
    assert on["OIDC_ISSUER"] == "https://idp.example.com" and on["OIDC_CLIENT_ID"] == "ui"


@pytest.mark.parametrize(
    "args, message",
    [
        (sets("backend.replicaCount=2"), "database.type=sqlite runs exactly one backend replica"),
        (sets("database.type=postgres"), "database.type=postgres needs the URL"),
        (sets(*PG, "database.postgres.url=postgres://x/y"), "either database.postgres.existingSecret"),
        (sets("ingress.enabled=true", "ingress.hosts[0]=a", "httpRoute.enabled=true", "gateway.create=true",
              "gateway.className=x"), "choose one"),
        (sets("ingress.enabled=true"), "needs ingress.hosts"),
        (sets("httpRoute.enabled=true"), "needs httpRoute.parentRefs"),
        (sets("gateway.create=true"), "needs gateway.className"),
        (sets("auth.oidc.enabled=true"), "needs auth.oidc.issuer"),
        (sets(*PG, "backend.replicaCount=2", "auth.oidc.enabled=true", "auth.oidc.issuer=https://i",
              "auth.oidc.clientId=c"), "needs a shared auth.sessionSecret"),
        (sets("auth.sessionSecret.value=short"), "at least 32 characters"),
        (sets("auth.bootstrapAdmin.password=a", "auth.bootstrapAdmin.existingSecret=b"), "not both"),
        (sets("backend.pdb.minAvailable=1"), "exactly one of minAvailable and maxUnavailable"),
        (sets("unknownKey=1"), "Additional property unknownKey is not allowed"),
        (sets("backend.image.digest=latest"), "backend.image.digest"),
        (sets("config.logFormat=xml"), "config.logFormat"),
        (sets("routing.exposeMetrics=true"), "set metrics.token"),
        (sets("github.appId=1", "github.privateKey.existingSecret=gh"), "set github.org"),
        (sets("github.appId=1", "github.org=acme"), "set github.privateKey.existingSecret"),
        (sets("github.org=acme"), "set github.appId"),
        (sets("github.webhookSecretPrevious.existingSecret=old"), "set github.webhookSecret.existingSecret"),
        (sets("github.privateKey.value=inline"), "Additional property value is not allowed"),
        (sets("github.appId=abc"), "github.appId"),
        (sets("github.installationId=0"), "github.installationId"),
        (sets("config.labelPolicy.enforcement=strict"), "config.labelPolicy.enforcement"),
        (sets("config.sync.leaseSeconds=2"), "config.sync.leaseSeconds"),
        (sets("config.sync.intervalSeconds=5"), "config.sync.intervalSeconds"),
        (sets("config.jitUnusedExpirySeconds=30"), "config.jitUnusedExpirySeconds"),
    ],
)
def test_mistakes_stop_the_render_with_a_message_saying_what_to_set(args, message):
    assert message in render_fails(*args)


def test_capability_gated_kinds_fail_loudly_without_their_api():
    out = subprocess.run(["helm", "template", "rel", str(CHART), "--set", "serviceMonitor.enabled=true"],
                         capture_output=True, text=True)
    assert out.returncode != 0 and "Prometheus Operator CRDs" in out.stderr


# ---- values documentation and schema -------------------------------------------------------

def schema_paths(node, prefix=""):
    """Dotted paths of every property the schema declares, descending into strict objects."""
    for key, sub in node.get("properties", {}).items():
        path = f"{prefix}{key}"
        yield path
        if sub.get("additionalProperties") is False:
            yield from schema_paths(sub, path + ".")


def test_every_value_is_documented_and_in_the_strict_schema_and_nothing_else_is():
    schema = json.loads((CHART / "values.schema.json").read_text())
    documented = {p for p, _ in chart_docs.documented_keys((CHART / "values.yaml").read_text())}
    declared = set(schema_paths(schema))
    assert documented == declared


def test_schema_objects_with_properties_are_closed():
    def walk(node, path):
        if "properties" in node:
            assert node.get("additionalProperties") is False or path.endswith("parentRefs.items"), path
        for key, sub in node.get("properties", {}).items():
            walk(sub, f"{path}.{key}")
    walk(json.loads((CHART / "values.schema.json").read_text()), "")


def test_readme_values_table_is_generated_from_values():
    assert subprocess.run(["python3", str(Path(chart_docs.__file__)), "--check"]).returncode == 0


# ---- NOTES.txt -------------------------------------------------------------------------------

def render_notes(tmp_path, *args):
    """NOTES.txt as `helm install` would print it (helm template skips NOTES): a copy of the chart
    wraps it in a ConfigMap."""
    chart = tmp_path / "chart"
    shutil.copytree(CHART, chart)
    notes = (chart / "templates" / "NOTES.txt").read_text()
    (chart / "templates" / "_notes_test.tpl").write_text('{{- define "notes.test" }}' + notes + "{{- end }}")
    (chart / "templates" / "notes-test.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: |\n"
        '{{ include "notes.test" . | indent 4 }}\n')
    out = subprocess.run(["helm", "template", "rel", str(chart), "--namespace", "ns",
                          "--show-only", "templates/notes-test.yaml", *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)["data"]["notes"]


def test_notes_tell_how_to_reach_it_create_the_admin_and_warn_about_sqlite(tmp_path):
    notes = render_notes(tmp_path)
    assert "helm test rel -n ns" in notes
    assert "kubectl -n ns exec -it deploy/rel-gharts-backend -- gharts admin create --username admin" in notes
    assert "WARNING: SQLite" in notes
    assert "Set config.publicUrl" in notes


def test_notes_for_an_ingress_install_with_an_existing_admin_secret(tmp_path):
    notes = render_notes(tmp_path, "-f", str(CHART / "examples" / "values-dev.yaml"))
    assert "http://gharts.local/app/" in notes
    assert "kubectl -n ns get secret gharts-bootstrap -o jsonpath='{.data.password}' | base64 -d" in notes
    assert "WARNING: SQLite" not in notes


def test_notes_for_port_forward_with_the_backend_proxy(tmp_path):
    notes = render_notes(tmp_path, "--set", "frontend.backendProxy=true", "--set", "auth.bootstrapAdmin.password=x")
    assert "kubectl -n ns port-forward svc/rel-gharts-frontend 8080:80" in notes
    assert "the auth.bootstrapAdmin.password you set" in notes


def test_notes_tell_how_to_connect_github_and_where_the_webhook_goes(tmp_path):
    assert "Connect GitHub: set github.appId, github.org and github.privateKey.existingSecret" in render_notes(tmp_path / "a")
    notes = render_notes(tmp_path / "b", "-f", str(CHART / "examples" / "values-prod.yaml"), "--api-versions",
                         "gateway.networking.k8s.io/v1/HTTPRoute", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor")
    assert 'GitHub App 123456 manages the runners of "example-org"' in notes
    assert "https://gharts.example.com/api/v1/webhooks/github (event: workflow_job)" in notes
    assert "Label policy: enforce. Sync: every 120s, one leader among the backend pods." in notes


def test_notes_warn_when_a_broad_proxy_range_is_trusted_without_network_policy(tmp_path):
    broad = ("--set", "config.trustedProxies={10.0.0.0/8,fd00::/8}")
    notes = render_notes(tmp_path / "a", *broad)
    assert "WARNING: config.trustedProxies trusts 10.0.0.0/8, fd00::/8 and networkPolicy is off" in notes
    assert "WARNING: config.trustedProxies" not in render_notes(tmp_path / "b", *broad, "--set", "networkPolicy.enabled=true")
    assert "WARNING: config.trustedProxies" not in render_notes(tmp_path / "c", "--set", "config.trustedProxies={10.42.7.0/24,192.0.2.10}")
    prod = render_notes(tmp_path / "d", "-f", str(CHART / "examples" / "values-prod.yaml"), "--set", "networkPolicy.enabled=false",
                        "--api-versions", "gateway.networking.k8s.io/v1/HTTPRoute", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor")
    assert "WARNING: config.trustedProxies" not in prod, "the production example trusts only its Gateway's subnet"


def test_the_gcp_example_runs_the_cloud_sql_proxy_as_a_native_sidecar_with_probes():
    docs = render("-f", str(CHART / "examples" / "values-gcp.yaml"), "--api-versions", "gateway.networking.k8s.io/v1/HTTPRoute")
    pod = one(docs, "Deployment", "rel-gharts-backend")["spec"]["template"]["spec"]
    assert "cloud-sql-proxy" not in [c["name"] for c in pod["containers"]], "a plain sidecar can start after the backend"
    proxy = next(c for c in pod["initContainers"] if c["name"] == "cloud-sql-proxy")
    assert proxy["restartPolicy"] == "Always"
    assert proxy["startupProbe"]["httpGet"]["path"] == "/startup"
    assert proxy["livenessProbe"]["httpGet"]["path"] == "/liveness"
    assert "--health-check" in proxy["args"]
