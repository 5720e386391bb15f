#!/usr/bin/env node
// The 401 challenge and the RFC 9728 protected-resource metadata as an OAuth-capable client
// (mcp-remote, Claude Code, SDK v1's auth flow) reads them (issue #12 B3). The MCP
// authorization spec and RFC 9728 need at least one entry in `authorization_servers`; a
// gateway without one configured must not publish metadata that points nowhere (clients then
// try Dynamic Client Registration against /mcp and fail with "HTTP 404"), and its 401 must say
// how to authenticate instead.
//   AUTH_SERVERS = 0: both metadata paths 404, the challenge has no resource_metadata, and
//                    error_description says to send the bearer token in the Authorization header
//   AUTH_SERVERS = N: both metadata paths 200 with exactly N authorization_servers (https URLs)
//                    and `resource` equal to the endpoint; the challenge's resource_metadata
//                    names one of them
//   either: a wrong token's challenge has error="invalid_token"
// usage: node auth-challenge.mjs URL AUTH_SERVERS
const [urlArg, nArg] = process.argv.slice(2);
if (!urlArg || nArg === undefined) {
  process.stderr.write('usage: auth-challenge.mjs URL AUTH_SERVERS\n');
  process.exit(2);
}
const url = new URL(urlArg);
const nAs = Number(nArg);
let failures = 0;
function tap(ok, name, detail) {
  if (!ok) failures++;
  const d = detail ? String(detail).replace(/\s+/g, ' ').slice(0, 400) : '';
  process.stdout.write(`${ok ? 'ok' : 'not ok'} - auth-challenge (${nAs} authorization servers): ${name}${d ? (ok ? ` # ${d}` : ` (${d})`) : ''}\n`);
}
const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'auth-challenge', version: '1' } } });
async function post(headers = {}) {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers }, body: init });
}

try {
  const r = await post();
  const w = r.headers.get('www-authenticate') ?? '';
  const meta = /resource_metadata="([^"]+)"/.exec(w)?.[1];
  const desc = /error_description="([^"]*)"/.exec(w)?.[1] ?? '';
  tap(r.status === 401 && /^Bearer\b/.test(w), 'no token → 401 Bearer', `${r.status} ${w}`);
  tap(/Authorization header/.test(desc) && /[Bb]earer/.test(desc) && !/error="/.test(w),
    'error_description says to send a bearer token in the Authorization header (no error code for a missing token)', w);
  const body = await r.json().catch(() => ({}));
  tap(/Authorization header/.test(body?.error?.message ?? ''), 'the 401 body says the same', JSON.stringify(body));
  if (nAs === 0) tap(meta === undefined, 'the challenge names no metadata', w);
  else tap(meta !== undefined && meta.startsWith(`${url.origin}/.well-known/oauth-protected-resource`), 'the challenge names the metadata', w);
  for (const p of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
    const m = await fetch(new URL(p, url.origin));
    if (nAs === 0) {
      tap(m.status === 404, `${p} → 404 (nothing to publish)`, `HTTP ${m.status} ${await m.text().catch(() => '')}`);
      continue;
    }
    const j = await m.json().catch(() => null);
    const as = j?.authorization_servers;
    tap(m.status === 200 && Array.isArray(as) && as.length === nAs && as.every((u) => /^https:\/\//.test(u)) && j.resource === url.href,
      `${p} → 200 with ${nAs} authorization server(s)`, JSON.stringify(j));
  }
  const bad = await post({ Authorization: `Bearer igt_${'A'.repeat(43)}` });
  const wb = bad.headers.get('www-authenticate') ?? '';
  tap(bad.status === 401 && /error="invalid_token"/.test(wb), 'wrong token → 401 error="invalid_token"', wb);
} catch (e) {
  tap(false, 'requests', e.message);
}
process.exit(failures ? 1 : 0);
