// Cuts GitHub's own OpenAPI description (npm @octokit/openapi, pinned in package.json) down to
// the operations GHARTS calls, keeping every component they reference, so Prism starts fast.
//   node cut-spec.mjs [out.json]   (default: cut-spec.json next to this file)
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const source = join(dirname(require.resolve('@octokit/openapi/package.json')), 'generated', 'api.github.com.json');
const spec = JSON.parse(readFileSync(source, 'utf8'));

// path -> methods GHARTS uses (keep in sync with server/src/github/app_client.rs).
const used = {
  '/app': ['get'],
  '/orgs/{org}/installation': ['get'],
  '/app/installations/{installation_id}/access_tokens': ['post'],
  '/orgs/{org}/actions/runners/generate-jitconfig': ['post'],
  '/orgs/{org}/actions/runners': ['get'],
  '/orgs/{org}/actions/runners/{runner_id}': ['get', 'delete'],
  '/orgs/{org}/actions/runner-groups': ['get'],
  '/repos/{owner}/{repo}/actions/runs/{run_id}/cancel': ['post'],
  '/rate_limit': ['get'],
};

const paths = {};
for (const [path, methods] of Object.entries(used)) {
  const item = spec.paths[path];
  if (!item) throw new Error(`GitHub's description has no ${path}`);
  paths[path] = {};
  if (item.parameters) paths[path].parameters = item.parameters;
  for (const m of methods) {
    if (!item[m]) throw new Error(`GitHub's description has no ${m.toUpperCase()} ${path}`);
    paths[path][m] = item[m];
  }
}

// Every component reachable from the kept operations.
const components = {};
const seen = new Set();
const visit = (node) => {
  if (Array.isArray(node)) return node.forEach(visit);
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/') && !seen.has(v)) {
      seen.add(v);
      const [, , kind, name] = v.split('/');
      components[kind] ??= {};
      components[kind][name] = spec.components[kind][name];
      visit(spec.components[kind][name]);
    } else {
      visit(v);
    }
  }
};
visit(paths);

const cut = { openapi: spec.openapi, info: { ...spec.info, title: `${spec.info.title} (cut for GHARTS)` }, servers: [{ url: '/' }], paths, components };
const out = process.argv[2] ?? join(here, 'cut-spec.json');
writeFileSync(out, JSON.stringify(cut));
console.log(`cut-spec: ${Object.keys(paths).length} paths, ${seen.size} components -> ${out}`);
