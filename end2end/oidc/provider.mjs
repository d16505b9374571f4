// A real OpenID Provider for GHARTS tests, built on the certified `oidc-provider` library.
//
//   node provider.mjs --port <PORT> --keys <keys.json> [--ready-file <path>]
//   node provider.mjs --add-key <keys.json>        # prepend a new RS256 key (new signer), exit
//   node provider.mjs --drop-last-key <keys.json>  # remove the last (oldest) key, exit
//
// Issuer: http://127.0.0.1:<PORT>. State (sessions, grants, codes) lives in memory only.
// See README.md for the accounts, clients and /__test/ hooks.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import * as jose from 'jose';
import Provider, { errors, interactionPolicy } from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    keys: { type: 'string' },
    'ready-file': { type: 'string' },
    'add-key': { type: 'string' },
    'drop-last-key': { type: 'string' },
  },
});

// ---------------------------------------------------------------- signing keys
async function newKey() {
  const kid = randomBytes(12).toString('base64url');
  const { privateKey } = await jose.generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, alg: 'RS256', private_jwk: jwk, private_pem: await jose.exportPKCS8(privateKey) };
}
const readKeys = (path) => JSON.parse(readFileSync(path, 'utf8')).keys;
function writeKeys(path, keys) { // write-then-rename so readers never see a partial file
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

if (args['add-key']) {
  const path = args['add-key'];
  const keys = existsSync(path) ? readKeys(path) : [];
  const key = await newKey();
  writeKeys(path, [key, ...keys]);
  console.log(`added key ${key.kid}; ${keys.length + 1} key(s) in ${path}`);
  process.exit(0);
}
if (args['drop-last-key']) {
  const path = args['drop-last-key'];
  const keys = readKeys(path);
  if (keys.length < 2) { console.error('refusing to drop the only key'); process.exit(1); }
  const dropped = keys.pop();
  writeKeys(path, keys);
  console.log(`dropped key ${dropped.kid}; ${keys.length} key(s) in ${path}`);
  process.exit(0);
}
if (!args.port || !args.keys) {
  console.error('usage: node provider.mjs --port <PORT> --keys <keys.json> [--ready-file <path>]');
  process.exit(2);
}
if (!existsSync(args.keys)) writeKeys(args.keys, [await newKey()]);
const jwks = { keys: readKeys(args.keys).map((k) => k.private_jwk) }; // first key signs

// ---------------------------------------------------------------- accounts
const ACCOUNTS = [
  { username: 'alice', sub: 'alice-sub', email: 'alice@example.com', email_verified: true, name: 'Alice Example', preferred_username: 'alice' },
  { username: 'bob', sub: 'bob-sub', email: 'bob@example.com', email_verified: true, preferred_username: 'bob' },
  { username: 'carol', sub: 'carol-sub', email: 'Carol@Example.com', email_verified: false, preferred_username: 'carol' },
  { username: 'dave', sub: 'dave-sub-2', email: 'alice@example.com', email_verified: true, preferred_username: 'dave' },
];
const PASSWORD = 'password';
const userClaims = ({ email, email_verified, name, preferred_username }) => ({ email, email_verified, name, preferred_username });

// ---------------------------------------------------------------- clients
const port = Number(args.port);
const issuer = `http://127.0.0.1:${port}`;
// RFC 8252 §7.3: for application_type "native", oidc-provider compares http loopback
// redirect URIs ignoring the port, so these match http://127.0.0.1:<any>/auth/callback.
const loopback = { application_type: 'native', redirect_uris: ['http://127.0.0.1/auth/callback'], post_logout_redirect_uris: ['http://127.0.0.1/app/login'], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] };
const m2m = (id) => ({ client_id: id, client_secret: `${id}-secret`, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' });
const clients = [
  { ...loopback, client_id: 'gharts-ui', client_secret: 'gharts-ui-secret', token_endpoint_auth_method: 'client_secret_basic' },
  { ...loopback, client_id: 'gharts-ui-public', token_endpoint_auth_method: 'none' },
  ...['m2m-a', 'm2m-b', 'm2m-c', 'm2m-d'].map(m2m),
];

// Native clients normally get a forced consent prompt; we auto-grant instead (see loadExistingGrant).
const policy = interactionPolicy.base();
policy.get('consent').checks.remove('native_client_prompt');

const RESOURCE = 'urn:gharts:api';
async function autoGrant(ctx, accountId) { // the "skip consent for first-party clients" pattern
  const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
  grant.addOIDCScope('openid profile email offline_access');
  grant.addOIDCClaims(['email', 'email_verified', 'name', 'preferred_username']);
  grant.addResourceScope(RESOURCE, 'gharts:read gharts:write');
  await grant.save();
  return grant;
}
const page = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(issuer, {
  clients,
  jwks,
  // Browsers scope cookies by host, not port: GHARTS on 127.0.0.1:<other port> shares this jar,
  // so use OP cookie names that cannot collide with the app's (defaults are _session, _interaction...).
  cookies: { keys: ['gharts-test-oidc-cookie-key'], names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_interaction_resume' } },
  pkce: { required: () => true }, // S256 is the only method oidc-provider 9 supports
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
  conformIdTokenClaims: false, // put scope claims into the id_token itself
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // Local pages: the library defaults pull fonts from the internet.
      logoutSource: async (ctx, form) => { ctx.body = page('Logout', `${form}<h1>Sign out?</h1><button id="logout" type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button><button id="stay" type="submit" form="op.logoutForm">No</button>`); },
      postLogoutSuccessSource: async (ctx) => { ctx.body = page('Signed out', '<h1 id="signed-out">Signed out</h1>'); },
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, indicator) => {
        if (indicator !== RESOURCE) throw new errors.InvalidTarget(); // only our API is known
        return { scope: 'gharts:read gharts:write', audience: 'gharts-api', accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  async findAccount(ctx, sub) {
    const account = ACCOUNTS.find((a) => a.sub === sub);
    return account && { accountId: sub, claims: async () => ({ sub, ...userClaims(account) }) };
  },
  async extraTokenClaims(ctx, token) { // user access tokens only; M2M tokens have no accountId
    const account = token.kind === 'AccessToken' && ACCOUNTS.find((a) => a.sub === token.accountId);
    return account ? userClaims(account) : undefined;
  },
  async loadExistingGrant(ctx) {
    const accountId = ctx.oidc.account.accountId;
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    const existing = grantId && (await ctx.oidc.provider.Grant.find(grantId));
    if (existing && existing.accountId === accountId) return existing;
    return autoGrant(ctx, accountId);
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  async renderError(ctx, out) { ctx.type = 'html'; ctx.body = page('Error', `<h1 id="op-error">${esc(out.error)}</h1><p>${esc(out.error_description ?? '')}</p>`); },
  ttl: { AccessToken: 3600, ClientCredentials: 3600, IdToken: 3600, AuthorizationCode: 60, Interaction: 600, Session: 86400, Grant: 86400, RefreshToken: 86400 },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

// ---------------------------------------------------------------- HTTP front door
const hits = { jwks: 0, discovery: 0 };
const loginForm = (uid, error) => page('Sign in', `<h1>GHARTS test OP</h1>${error ? `<p id="error">${error}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
<input id="username" name="username" autocomplete="username"><input id="password" name="password" type="password">
<button id="login" type="submit">Sign in</button></form>`);
const send = (res, status, type, body) => { res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }); res.end(body); };
async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interactions(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  if (details.prompt.name === 'consent') { // defensive: consent is normally satisfied by loadExistingGrant
    const grant = (details.grantId && (await provider.Grant.find(details.grantId)))
      || new provider.Grant({ clientId: details.params.client_id, accountId: details.session.accountId });
    grant.addOIDCScope('openid profile email offline_access');
    grant.addResourceScope(RESOURCE, 'gharts:read gharts:write');
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }
  if (req.method === 'GET' && !action) return send(res, 200, 'text/html; charset=utf-8', loginForm(uid));
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const account = ACCOUNTS.find((a) => a.username === form.get('username'));
    if (!account || form.get('password') !== PASSWORD) return send(res, 401, 'text/html; charset=utf-8', loginForm(uid, 'Invalid credentials'));
    return provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
  }
  return send(res, 404, 'text/plain', 'not found');
}

const oidc = provider.callback();
const server = createServer(async (req, res) => {
  const { pathname } = new URL(req.url, issuer);
  try {
    if (pathname === '/__test/hits' && req.method === 'GET') return send(res, 200, 'application/json', JSON.stringify(hits));
    if (pathname === '/__test/reset-hits' && req.method === 'POST') { hits.jwks = 0; hits.discovery = 0; return send(res, 200, 'application/json', JSON.stringify(hits)); }
    if (pathname.startsWith('/__test/')) return send(res, 404, 'text/plain', 'unknown test hook');
    const m = pathname.match(/^\/interaction\/([^/]+)(?:\/(login))?$/);
    if (m) return await interactions(req, res, m[1], m[2]);
    if (req.method === 'GET' && pathname === '/jwks') hits.jwks += 1;
    if (req.method === 'GET' && pathname === '/.well-known/openid-configuration') hits.discovery += 1;
    return oidc(req, res);
  } catch (err) {
    console.error('interaction error', err);
    if (!res.headersSent) send(res, 400, 'text/plain', `${err.name}: ${err.message}`);
  }
});

server.listen(port, '127.0.0.1', () => {
  if (args['ready-file']) { // atomic, so a poller never reads an empty file
    writeFileSync(`${args['ready-file']}.tmp`, issuer);
    renameSync(`${args['ready-file']}.tmp`, args['ready-file']);
  }
  console.log(`oidc-provider ready ${issuer}`);
});
const stop = () => { server.close(() => process.exit(0)); server.closeAllConnections(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
