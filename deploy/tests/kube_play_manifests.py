"""Turns `helm template` output into what `podman kube play` can run on one machine.

    python3 kube_play_manifests.py rendered.yaml > play.yaml

podman kube play runs Deployments (one pod each), ConfigMaps and PVCs, and enforces the
securityContext, read-only root and limits; it ignores Services, HPAs, PDBs, Ingress and routes,
and cannot use Secrets (broken in podman 4.3) or projected volumes. So this keeps the
Deployments, ConfigMaps and PVCs, turns Secrets into ConfigMaps and secret/projected volumes
into configMap volumes (a projected volume drawing on several Secrets becomes one ConfigMap of
its own holding those items), runs one replica, and publishes each container port on 127.0.0.1
at the port given by the environment (HOSTPORT_BACKEND, HOSTPORT_FRONTEND).
"""

import base64
import os
import sys

import yaml

KEEP = {"Deployment", "ConfigMap", "PersistentVolumeClaim"}


def secret_to_configmap(secret):
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": secret["metadata"], "data": data}


def configmap_volume(volume, secrets, owner, extra):
    """The volume with Secrets replaced by ConfigMaps; `extra` collects merged ConfigMaps."""
    if "secret" in volume:
        s = volume.pop("secret")
        volume["configMap"] = {"name": s["secretName"], **{k: s[k] for k in ("items", "defaultMode") if k in s}}
    elif "projected" in volume:
        p = volume.pop("projected")
        names = {src["secret"]["name"] for src in p["sources"]}
        items = [i for src in p["sources"] for i in src["secret"]["items"]]
        if len(names) == 1:
            volume["configMap"] = {"name": names.pop(), "items": items, "defaultMode": p.get("defaultMode", 0o440)}
        else:
            # Several Secrets: one ConfigMap with each item's data under its file name.
            name = f"{owner}-{volume['name']}-merged"
            data = {}
            for src in p["sources"]:
                secret = secrets.get(src["secret"]["name"])
                if secret is None:
                    sys.exit(f"kube play test: Secret {src['secret']['name']} is not in the manifests")
                for item in src["secret"]["items"]:
                    data[item["path"]] = secret["data"][item["key"]]
            extra.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})
            volume["configMap"] = {"name": name, "defaultMode": p.get("defaultMode", 0o440)}
    return volume


def main(path):
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    secrets = {d["metadata"]["name"]: secret_to_configmap(d) for d in docs if d["kind"] == "Secret"}
    out, extra = [], []
    for doc in docs:
        if doc["kind"] == "Secret":
            doc = secrets[doc["metadata"]["name"]]
        if doc["kind"] not in KEEP:
            continue
        if doc["kind"] == "Deployment":
            doc["spec"]["replicas"] = 1
            spec = doc["spec"]["template"]["spec"]
            owner = doc["metadata"]["name"]
            spec["volumes"] = [configmap_volume(v, secrets, owner, extra) for v in spec.get("volumes", [])]
            component = doc["metadata"]["labels"]["app.kubernetes.io/component"]
            for c in spec["containers"]:
                for p in c.get("ports", []):
                    p["hostIP"] = "127.0.0.1"
                    p["hostPort"] = int(os.environ[f"HOSTPORT_{component.upper()}"])
        out.append(doc)
    # ConfigMaps first: kube play reads them before the pods that mount them.
    yaml.safe_dump_all(extra + out, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main(sys.argv[1])
