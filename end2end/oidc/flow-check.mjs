// Smoke test for provider.mjs: `node flow-check.mjs <issuer>` prints OK or exits non-zero.
// Drives real HTTP flows (no browser): client_credentials, authorization code + PKCE with the
// login form on two different loopback redirect ports, SSO, refresh, RP-initiated logout,
// redirect_uri rejection and the /__test/ hit counters. Never connects to the redirect URIs.
import { createHash, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import * as jose from 'jose';

const issuer = process.argv[2];
if (!issuer) { console.error('usage: node flow-check.mjs <issuer>'); process.exit(2); }
const verbose = process.env.VERBOSE === '1';
const log = (...a) => { if (verbose) console.log(...a); };

const disco = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
assert.equal(disco.issuer, issuer);
assert.ok(disco.jwks_uri && disco.end_session_endpoint && disco.token_endpoint);
const JWKS = jose.createRemoteJWKSet(new URL(disco.jwks_uri));
const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const verify = async (jwt, audience) => (await jose.jwtVerify(jwt, JWKS, { issuer, audience })).payload;

// A tiny path-aware cookie jar (the OP's cookies are scoped to /interaction/<uid>, /auth/<uid>, ...).
function newBrowser() {
  const jar = new Map(); // `${name} ${path}` -> {name, value, path}
  return async function go(url, init = {}) {
    const u = new URL(url, issuer);
    const cookie = [...jar.values()].filter((c) => u.pathname.startsWith(c.path)).map((c) => `${c.name}=${c.value}`).join('; ');
    const res = await fetch(u, { ...init, redirect: 'manual', headers: { ...init.headers, ...(cookie && { cookie }) } });
    for (const sc of res.headers.getSetCookie()) {
      const [pair, ...attrs] = sc.split(';').map((s) => s.trim());
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) || '/';
      const expired = attrs.some((a) => /^expires=/i.test(a) && new Date(a.slice(8)) < new Date());
      if (expired || value === '') jar.delete(`${name} ${path}`); else jar.set(`${name} ${path}`, { name, value, path });
    }
    return res;
  };
}

// Follow redirects on the OP only; stop at the login page or at the client's redirect_uri.
async function follow(go, res, stopPrefix) {
  for (let i = 0; i < 10; i += 1) {
    if (res.status === 200) return { page: await res.text(), url: res.url };
    assert.ok([302, 303].includes(res.status), `unexpected status ${res.status}: ${await res.text()}`);
    const loc = new URL(res.headers.get('location'), issuer).href;
    log('  ->', loc);
    if (loc.startsWith(stopPrefix)) return { redirect: new URL(loc) };
    assert.ok(loc.startsWith(`${issuer}/`), `left the OP for ${loc}`);
    res = await go(loc);
  }
  throw new Error('too many redirects');
}

async function codeFlow(go, { clientId, secret, redirectUri, user, expectLogin = true, scope = 'openid profile email' }) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope, code_challenge: challenge, code_challenge_method: 'S256', state: 's', nonce: 'n' });
  let step = await follow(go, await go(`${disco.authorization_endpoint}?${q}`), redirectUri);
  if (expectLogin) {
    assert.ok(step.page, 'expected the login page');
    for (const id of ['id="username"', 'id="password"', 'id="login"']) assert.ok(step.page.includes(id), `login form lacks ${id}`);
    const action = new URL(step.page.match(/action="([^"]+)"/)[1], issuer).href;
    const bad = await go(action, { method: 'POST', body: new URLSearchParams({ username: user, password: 'nope' }) });
    assert.equal(bad.status, 401);
    assert.ok((await bad.text()).includes('<p id="error">Invalid credentials</p>'));
    const ok = await go(action, { method: 'POST', body: new URLSearchParams({ username: user, password: 'password' }) });
    step = await follow(go, ok, redirectUri);
  }
  assert.ok(step.redirect, `expected a redirect to ${redirectUri}, got a page: ${step.page?.slice(0, 300)}`);
  const cb = step.redirect;
  assert.equal(`${cb.origin}${cb.pathname}`, redirectUri);
  assert.equal(cb.searchParams.get('state'), 's');
  assert.equal(cb.searchParams.get('iss'), issuer);
  const code = cb.searchParams.get('code');
  assert.ok(code, `no code in ${cb}`);
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
  const headers = secret ? { authorization: basic(clientId, secret) } : {};
  if (!secret) body.set('client_id', clientId);
  const tok = await (await fetch(disco.token_endpoint, { method: 'POST', headers, body })).json();
  assert.ok(tok.id_token && tok.access_token, JSON.stringify(tok));
  return { tok, id: await verify(tok.id_token, clientId), at: await verify(tok.access_token, 'gharts-api') };
}

// 1. client_credentials: RS256 JWT for gharts-api, no user claims.
const cc = await (await fetch(disco.token_endpoint, { method: 'POST', headers: { authorization: basic('m2m-a', 'm2m-a-secret') }, body: new URLSearchParams({ grant_type: 'client_credentials' }) })).json();
const ccHeader = jose.decodeProtectedHeader(cc.access_token);
const ccClaims = await verify(cc.access_token, 'gharts-api');
log('m2m header', ccHeader, 'claims', ccClaims);
assert.equal(ccHeader.alg, 'RS256');
assert.equal(ccClaims.sub, 'm2m-a');
assert.equal(ccClaims.client_id, 'm2m-a');
assert.ok(!('email' in ccClaims));
const other = await fetch(disco.token_endpoint, { method: 'POST', headers: { authorization: basic('m2m-b', 'm2m-b-secret') }, body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'urn:other' }) });
assert.equal((await other.json()).error, 'invalid_target');

// 2. authorization code + PKCE for alice via the confidential client on port 45678.
const alice = newBrowser();
const a1 = await codeFlow(alice, { clientId: 'gharts-ui', secret: 'gharts-ui-secret', redirectUri: 'http://127.0.0.1:45678/auth/callback', user: 'alice' });
log('alice id_token', a1.id, '\nalice access_token', a1.at);
assert.deepEqual([a1.id.sub, a1.id.email, a1.id.email_verified, a1.id.nonce, a1.id.aud, a1.id.name, a1.id.preferred_username], ['alice-sub', 'alice@example.com', true, 'n', 'gharts-ui', 'Alice Example', 'alice']);
assert.deepEqual([a1.at.sub, a1.at.aud, a1.at.client_id, a1.at.email, a1.at.email_verified, a1.at.name], ['alice-sub', 'gharts-api', 'gharts-ui', 'alice@example.com', true, 'Alice Example']);
assert.ok(a1.tok.refresh_token, 'expected a refresh token');

// 3. same session, different redirect port: no login form (SSO, no consent screen), port ignored.
const a2 = await codeFlow(alice, { clientId: 'gharts-ui', secret: 'gharts-ui-secret', redirectUri: 'http://127.0.0.1:51234/auth/callback', user: 'alice', expectLogin: false });
assert.equal(a2.id.sub, 'alice-sub');

// 4. refresh token -> fresh access token with user claims.
const rt = await (await fetch(disco.token_endpoint, { method: 'POST', headers: { authorization: basic('gharts-ui', 'gharts-ui-secret') }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: a1.tok.refresh_token }) })).json();
assert.equal((await verify(rt.access_token, 'gharts-api')).email, 'alice@example.com');

// 5. public client + PKCE, fresh browser, carol (unverified, mixed-case email), yet another port.
const c = await codeFlow(newBrowser(), { clientId: 'gharts-ui-public', redirectUri: 'http://127.0.0.1:40001/auth/callback', user: 'carol', scope: 'openid profile email gharts:read' });
assert.deepEqual([c.id.sub, c.id.email, c.id.email_verified, c.at.email_verified, c.at.scope], ['carol-sub', 'Carol@Example.com', false, false, 'gharts:read']);
const d = await codeFlow(newBrowser(), { clientId: 'gharts-ui', secret: 'gharts-ui-secret', redirectUri: 'http://127.0.0.1:45678/auth/callback', user: 'dave' });
assert.deepEqual([d.id.sub, d.id.email], ['dave-sub-2', 'alice@example.com']);

// 6. unregistered redirect URIs are refused (error page, no redirect).
for (const bad of ['http://127.0.0.1:45678/other', 'http://localhost:45678/auth/callback', 'http://127.0.0.2:45678/auth/callback']) {
  const q = new URLSearchParams({ client_id: 'gharts-ui', redirect_uri: bad, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
  const res = await fetch(`${disco.authorization_endpoint}?${q}`, { redirect: 'manual' });
  assert.equal(res.status, 400, `${bad} should be rejected`);
}

// 7. RP-initiated logout back to a loopback post_logout_redirect_uri on an arbitrary port.
const q = new URLSearchParams({ id_token_hint: a1.tok.id_token, post_logout_redirect_uri: 'http://127.0.0.1:47777/app/login', state: 'bye' });
const lo = await alice(`${disco.end_session_endpoint}?${q}`);
const loPage = await lo.text();
assert.equal(lo.status, 200, loPage);
const form = new URLSearchParams({ logout: 'yes' });
for (const [, n, v] of loPage.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) form.set(n, v);
const loDone = await alice(loPage.match(/action="([^"]+)"/)[1], { method: 'POST', body: form });
const loTarget = new URL(loDone.headers.get('location'));
assert.equal(`${loTarget.origin}${loTarget.pathname}`, 'http://127.0.0.1:47777/app/login');
assert.equal(loTarget.searchParams.get('state'), 'bye');

// 8. hit counters.
await fetch(`${issuer}/__test/reset-hits`, { method: 'POST' });
await fetch(disco.jwks_uri); await fetch(disco.jwks_uri); await fetch(`${issuer}/.well-known/openid-configuration`);
assert.deepEqual(await (await fetch(`${issuer}/__test/hits`)).json(), { jwks: 2, discovery: 1 });

console.log('OK');
