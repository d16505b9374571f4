// Validates the custom resources of rendered manifests (Gateway API, Prometheus Operator) against
// the schemas shipped in @kubernetes-models; kubernetes-validate covers the core kinds.
//   node validate-crds.mjs rendered.yaml...
// Prints one line per custom resource, then a summary line; exits 1 when any is invalid (or an
// unknown CRD).
import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { Gateway, HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const models = {
  "gateway.networking.k8s.io/v1/Gateway": Gateway,
  "gateway.networking.k8s.io/v1/HTTPRoute": HTTPRoute,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};
const core = /^(v1|apps\/v1|batch\/v1|policy\/v1|autoscaling\/v2|networking\.k8s\.io\/v1)$/;

let failed = false;
let valid = 0;
let invalid = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(readFileSync(file, "utf8"))) {
    if (!doc || core.test(doc.apiVersion)) continue;
    const key = `${doc.apiVersion}/${doc.kind}`;
    const Model = models[key];
    if (!Model) {
      console.error(`${file}: no schema for ${key}`);
      failed = true;
      invalid++;
      continue;
    }
    try {
      new Model(doc).validate();
      console.log(`${file}: ${key} ${doc.metadata.name} valid`);
      valid++;
    } catch (e) {
      console.error(`${file}: ${key} ${doc.metadata.name} INVALID: ${e.message}`);
      failed = true;
      invalid++;
    }
  }
}
console.log(`CRD schemas: ${valid} custom resources valid, ${invalid} invalid`);
process.exit(failed ? 1 : 0);
