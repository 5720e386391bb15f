#!/usr/bin/env node
// Raw-HTTP negative and isolation tests for the gateway's /mcp endpoint. One TAP line per check.
//
// usage: node http-negative.mjs URL TOKEN GATEWAY_BIN CONFIG
//   URL          the gateway endpoint, directly (not through the auth proxy), e.g.
//                http://127.0.0.1:PORT/mcp
//   TOKEN        a valid bearer token that may use every account
//   GATEWAY_BIN  the gateway binary; used as `BIN token create --name N --accounts * --config CONFIG`
//                (prints only the secret) and `BIN token revoke N --config CONFIG` to make the extra
//                tokens the revocation and cross-token checks need (revoked again at the end)
//   CONFIG       the gateway's config file
// env: NEG_SESSIONS (default 100) concurrent sessions for the isolation check.
//
// Plain node:http for ordinary requests; node:net raw sockets where node:http refuses to send
// what we need (duplicate headers, oversized bodies that the server may cut short).
import http from 'node:http';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const [urlArg, TOKEN, BIN, CONFIG] = process.argv.slice(2);
if (!urlArg || !TOKEN || !BIN || !CONFIG) {
  process.stderr.write('usage: http-negative.mjs URL TOKEN GATEWAY_BIN CONFIG\n');
  process.exit(2);
}
const URL_ = new URL(urlArg);
const HOST = URL_.hostname;
const PORT = Number(URL_.port || 80);
const PATH = URL_.pathname;
const HOSTHDR = URL_.host;
const N_SESSIONS = Number(process.env.NEG_SESSIONS ?? 100);
const KNOWN_VERSIONS = ['2025-03-26', '2025-06-18', '2025-11-25'];
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

let failures = 0;
function tap(ok, name, detail) {
  if (!ok) failures++;
  const d = detail === undefined ? '' : String(detail).replace(/\s+/g, ' ').slice(0, 400);
  process.stdout.write(`${ok ? 'ok' : 'not ok'} - http-negative: ${name}${d ? (ok ? ` # ${d}` : ` (${d})`) : ''}\n`);
}
async function check(name, fn) {
  try {
    const r = await fn();
    if (r === true || r === undefined) tap(true, name);
    else if (typeof r === 'string') tap(true, name, r);
    else tap(false, name, JSON.stringify(r));
  } catch (e) {
    tap(false, name, e?.message ?? String(e));
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

// ---------------------------------------------------------------------------------------------
// HTTP helpers

// Parse JSON-RPC messages out of an SSE body (one JSON message per data: field).
function sseMessages(text) {
  const out = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
    if (!data.trim()) continue;
    try { out.push(JSON.parse(data)); } catch { out.push({ unparsable: data }); }
  }
  return out;
}

// request({method, path, headers, body, waitIds}) → {status, headers, text, json, messages}
// For SSE responses the stream is read until every id in waitIds has a response (then closed),
// or until the server ends it.
function request({ method = 'POST', path = PATH, headers = {}, body, waitIds, timeout = 15000, keepAlive = false }) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (body !== undefined && h['Content-Type'] === undefined) h['Content-Type'] = 'application/json';
    if (method === 'POST' && h.Accept === undefined) h.Accept = 'application/json, text/event-stream';
    const req = http.request({ host: HOST, port: PORT, method, path, headers: h, agent: keepAlive ? agent : false });
    const timer = setTimeout(() => { req.destroy(new Error(`timeout after ${timeout} ms (${method} ${path})`)); }, timeout);
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    req.on('response', (res) => {
      const chunks = [];
      const isSse = (res.headers['content-type'] ?? '').includes('text/event-stream');
      const finish = () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json; let messages = [];
        if (isSse) messages = sseMessages(text);
        else if (text) { try { json = JSON.parse(text); messages = Array.isArray(json) ? json : [json]; } catch { /* not JSON */ } }
        resolve({ status: res.statusCode, headers: res.headers, text, json, messages, sse: isSse });
      };
      res.on('data', (c) => {
        chunks.push(c);
        if (isSse && waitIds) {
          const msgs = sseMessages(Buffer.concat(chunks).toString('utf8'));
          if (waitIds.every((id) => msgs.some((m) => m.id === id && ('result' in m || 'error' in m)))) {
            res.destroy();
            finish();
          }
        }
      });
      res.on('end', finish);
      res.on('close', finish);
    });
    if (body !== undefined) req.write(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    req.end();
  });
}
const once = (fn) => { let done = false; return (...a) => { if (!done) { done = true; fn(...a); } }; };

// Raw request over a socket. `head` is the request head without the final CRLF CRLF.
// Writes the body in chunks; a server that answers early and closes is fine: whatever response
// arrived is returned. Resolves {status, headersText, text, closed, writeError}.
function rawRequest(head, body = Buffer.alloc(0), { timeout = 15000, earlyWaitMs = 0 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port: PORT });
    const chunks = [];
    let writeError;
    const done = once((why) => {
      clearTimeout(timer);
      const buf = Buffer.concat(chunks);
      const text = buf.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const sep = text.indexOf('\r\n\r\n');
      sock.destroy();
      resolve({ status: m ? Number(m[1]) : 0, headersText: sep >= 0 ? text.slice(0, sep) : text, text: sep >= 0 ? buf.subarray(sep + 4).toString('utf8') : '', closed: why === 'close', writeError });
    });
    const timer = setTimeout(() => done('timeout'), timeout);
    sock.on('data', (c) => {
      chunks.push(c);
      const t = Buffer.concat(chunks).toString('latin1');
      const sep = t.indexOf('\r\n\r\n');
      if (sep >= 0) {
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(t.slice(0, sep));
        if (cl && Buffer.byteLength(t, 'latin1') - sep - 4 >= Number(cl[1])) done('complete');
        if (/\r\ntransfer-encoding:\s*chunked/i.test(t.slice(0, sep)) && t.endsWith('\r\n0\r\n\r\n')) done('complete');
      }
    });
    sock.on('error', (e) => { writeError = e.code ?? e.message; });
    sock.on('close', () => done('close'));
    sock.on('connect', async () => {
      sock.write(`${head}\r\n\r\n`);
      // Give a server that rejects on the headers alone the chance to answer before the body
      // goes out (a server that closes without draining would otherwise reset the connection
      // and the client could lose the response, RFC 9112 §9.6).
      if (earlyWaitMs > 0) await new Promise((r) => setTimeout(r, earlyWaitMs));
      if (chunks.length > 0) return;
      const step = 16384;
      for (let off = 0; off < body.length && !sock.destroyed; off += step) {
        const ok = sock.write(body.subarray(off, off + step));
        if (!ok) await new Promise((r) => { sock.once('drain', r); sock.once('close', r); });
      }
    });
  });
}

const auth = (tok = TOKEN) => ({ Authorization: `Bearer ${tok}` });

// Open a legacy session: initialize + notifications/initialized. Returns {sid, version, tok}.
async function openSession(tok = TOKEN, protocolVersion = '2025-11-25', extraHeaders = {}, keepAlive = false) {
  const r = await request({
    keepAlive,
    headers: { ...auth(tok), ...extraHeaders },
    body: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'http-negative', version: '1' } } },
    waitIds: [1],
  });
  const sid = r.headers['mcp-session-id'];
  if (r.status !== 200 || !sid) throw new Error(`initialize: HTTP ${r.status}, session ${sid}, body ${r.text.slice(0, 200)}`);
  const init = r.messages.find((m) => m.id === 1);
  const version = init?.result?.protocolVersion;
  const n = await request({ keepAlive, headers: { ...auth(tok), 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': version }, body: { jsonrpc: '2.0', method: 'notifications/initialized' } });
  if (n.status !== 202) throw new Error(`notifications/initialized: HTTP ${n.status}`);
  return { sid, version, tok, keepAlive };
}
function onSession(s, body, extra = {}) {
  const ids = Array.isArray(body) ? body.filter((m) => m.id !== undefined).map((m) => m.id) : body.id !== undefined ? [body.id] : undefined;
  return request({ keepAlive: !!s.keepAlive, headers: { ...auth(s.tok), 'Mcp-Session-Id': s.sid, 'MCP-Protocol-Version': s.version, ...extra }, body, waitIds: ids });
}
async function closeSession(s) {
  try { await request({ keepAlive: !!s.keepAlive, method: 'DELETE', headers: { ...auth(s.tok), 'Mcp-Session-Id': s.sid, 'MCP-Protocol-Version': s.version } }); } catch { /* ignore */ }
}
const ping = (id) => ({ jsonrpc: '2.0', id, method: 'ping' });
const callListAccounts = (id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'list_accounts', arguments: {} } });

// ---------------------------------------------------------------------------------------------
// Token helpers (gateway CLI)

const made = [];
function tokenCreate(name) {
  const out = execFileSync(BIN, ['token', 'create', '--name', name, '--accounts', '*', '--config', CONFIG], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  if (!/^igt_[A-Za-z0-9_-]{43}$/.test(out)) throw new Error(`token create printed ${JSON.stringify(out.slice(0, 80))}`);
  made.push(name);
  return out;
}
function tokenRevoke(name) {
  execFileSync(BIN, ['token', 'revoke', name, '--config', CONFIG], { stdio: ['ignore', 'pipe', 'pipe'] });
}
const suffix = randomBytes(4).toString('hex');

// ---------------------------------------------------------------------------------------------
// The checks

const initBody = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'http-negative', version: '1' } } };
let challengeMetadataUrl;

// (the metadata and the challenge's resource_metadata exist only with an authorization server
// configured: auth-challenge.mjs checks both cases)
await check('no token → 401 with WWW-Authenticate Bearer and an error_description naming the Authorization header', async () => {
  const r = await request({ body: initBody });
  assert(r.status === 401, `HTTP ${r.status}`);
  const w = r.headers['www-authenticate'] ?? '';
  assert(/^Bearer\b/i.test(w), `WWW-Authenticate: ${w}`);
  assert(/error_description="[^"]*Authorization header/.test(w), `no error_description naming the header in ${w}`);
  const m = /resource_metadata="([^"]+)"/.exec(w);
  challengeMetadataUrl = m?.[1];
  assert(!('mcp-session-id' in r.headers), 'a session was created without a token');
  return `${w}`;
});

await check('wrong token → 401 with error="invalid_token"', async () => {
  const r = await request({ headers: auth(`igt_${'A'.repeat(43)}`), body: initBody });
  assert(r.status === 401, `HTTP ${r.status}`);
  const w = r.headers['www-authenticate'] ?? '';
  assert(/^Bearer\b/i.test(w) && /error="invalid_token"/.test(w), `WWW-Authenticate: ${w}`);
});

await check('malformed Authorization (Basic, empty Bearer) → 401', async () => {
  for (const v of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', `bearer${TOKEN}`]) {
    const r = await request({ headers: { Authorization: v }, body: initBody });
    assert(r.status === 401, `Authorization: ${v.slice(0, 12)}… → HTTP ${r.status}`);
  }
});

for (const q of ['access_token', 'token']) {
  await check(`valid token in query string ?${q}= without header → 401 (ignored)`, async () => {
    const r = await request({ path: `${PATH}?${q}=${encodeURIComponent(TOKEN)}`, body: initBody });
    assert(r.status === 401, `HTTP ${r.status}`);
    assert(!('mcp-session-id' in r.headers), 'a session was created');
  });
}

await check('bad Origin (https://evil.example) with a valid token → 403', async () => {
  const r = await request({ headers: { ...auth(), Origin: 'https://evil.example' }, body: initBody });
  assert(r.status === 403, `HTTP ${r.status}`);
  assert(!('mcp-session-id' in r.headers), 'a session was created');
});

await check('foreign Host (evil.example.com) with a valid token → 4xx', async () => {
  const r = await request({ headers: { ...auth(), Host: 'evil.example.com' }, body: initBody });
  assert(r.status >= 400 && r.status < 500, `HTTP ${r.status}`);
});

await check('unknown session id → 404', async () => {
  const r = await request({ headers: { ...auth(), 'Mcp-Session-Id': randomBytes(16).toString('hex'), 'MCP-Protocol-Version': '2025-11-25' }, body: ping(7) });
  assert(r.status === 404, `HTTP ${r.status}`);
});

let other;
await check("another token's session id → 404", async () => {
  other = tokenCreate(`neg-other-${suffix}`);
  const s = await openSession(TOKEN);
  try {
    const mine = await onSession(s, ping(2));
    assert(mine.status === 200, `own token on own session: HTTP ${mine.status}`);
    const r = await onSession({ ...s, tok: other }, ping(3));
    assert(r.status === 404, `other token on the session: HTTP ${r.status}`);
    const g = await request({ method: 'GET', headers: { ...auth(other), Accept: 'text/event-stream', 'Mcp-Session-Id': s.sid, 'MCP-Protocol-Version': s.version }, timeout: 3000 }).catch((e) => ({ status: `error ${e.message}` }));
    assert(g.status === 404, `other token GET on the session: HTTP ${g.status}`);
    const d = await request({ method: 'DELETE', headers: { ...auth(other), 'Mcp-Session-Id': s.sid, 'MCP-Protocol-Version': s.version } });
    assert(d.status === 404, `other token DELETE on the session: HTTP ${d.status}`);
    const still = await onSession(s, ping(4));
    assert(still.status === 200, `session after foreign DELETE: HTTP ${still.status}`);
  } finally { await closeSession(s); }
});

await check('revoked token → 401 on an already-open session', async () => {
  const name = `neg-revoke-${suffix}`;
  const tok = tokenCreate(name);
  const s = await openSession(tok);
  const before = await onSession(s, ping(2));
  assert(before.status === 200, `before revocation: HTTP ${before.status}`);
  tokenRevoke(name);
  const after = await onSession(s, ping(3));
  assert(after.status === 401, `after revocation: HTTP ${after.status}`);
  const fresh = await request({ headers: auth(tok), body: initBody });
  assert(fresh.status === 401, `new initialize with revoked token: HTTP ${fresh.status}`);
});

await check('DELETE then reuse of the session id → 404', async () => {
  const s = await openSession();
  const d = await request({ method: 'DELETE', headers: { ...auth(), 'Mcp-Session-Id': s.sid, 'MCP-Protocol-Version': s.version } });
  assert(d.status >= 200 && d.status < 300, `DELETE: HTTP ${d.status}`);
  const r = await onSession(s, ping(2));
  assert(r.status === 404, `POST after DELETE: HTTP ${r.status}`);
  const d2 = await request({ method: 'DELETE', headers: { ...auth(), 'Mcp-Session-Id': s.sid, 'MCP-Protocol-Version': s.version } });
  assert(d2.status === 404, `second DELETE: HTTP ${d2.status}`);
});

await check('9 KiB body without a token → 413 or 401, never processed', async () => {
  const pad = 'x'.repeat(9 * 1024);
  const body = Buffer.from(JSON.stringify({ ...initBody, params: { ...initBody.params, clientInfo: { name: pad, version: '1' } } }));
  const r = await rawRequest(`POST ${PATH} HTTP/1.1\r\nHost: ${HOSTHDR}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${body.length}\r\nConnection: close`, body);
  assert(r.status === 413 || r.status === 401, `HTTP ${r.status || `none (${r.writeError ?? 'closed'})`}`);
  assert(!/\r\nmcp-session-id:/i.test(r.headersText), 'a session was created');
  return `HTTP ${r.status}`;
});

await check('body over 1 MiB with a valid token → 413', async () => {
  const pad = 'x'.repeat(1024 * 1024 + 4096);
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: { pad } } }));
  const r = await rawRequest(`POST ${PATH} HTTP/1.1\r\nHost: ${HOSTHDR}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${body.length}\r\nConnection: close`, body, { earlyWaitMs: 300 });
  assert(r.status === 413, `HTTP ${r.status || `none (${r.writeError ?? 'closed'})`}`);
});

await check('chunked body over 1 MiB (no Content-Length) with a valid token → 413', async () => {
  const pad = 'x'.repeat(1024 * 1024 + 4096);
  const json = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: { pad } } }));
  const parts = [];
  for (let off = 0; off < json.length; off += 65536) {
    const c = json.subarray(off, off + 65536);
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  const r = await rawRequest(`POST ${PATH} HTTP/1.1\r\nHost: ${HOSTHDR}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close`, Buffer.concat(parts));
  assert(r.status === 413, `HTTP ${r.status || `none (${r.writeError ?? 'closed'})`}`);
});

await check('body over 1 MiB announced with Expect: 100-continue → 413 before the body is sent', async () => {
  const r = await rawRequest(`POST ${PATH} HTTP/1.1\r\nHost: ${HOSTHDR}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${1024 * 1024 + 4096}\r\nExpect: 100-continue\r\nConnection: close`);
  assert(r.status === 413, `HTTP ${r.status || `none (${r.writeError ?? 'closed'})`}`);
});

// Body-level errors on a live session.
const s0 = await openSession().catch((e) => { tap(false, 'session for body checks', e.message); return null; });
function jsonRpcErrorCheck(r, codes, { needNullId = true } = {}) {
  assert(r.status === 400, `HTTP ${r.status} body ${r.text.slice(0, 160)}`);
  const m = r.messages[0];
  assert(m && m.error && codes.includes(m.error.code), `expected JSON-RPC error ${codes.join('/')} got ${r.text.slice(0, 160)}`);
  if (needNullId) assert(m.id === null, `id ${JSON.stringify(m.id)}, expected null`);
  return `HTTP 400, code ${m.error.code}`;
}
if (s0) {
  await check('JSON nested 100 deep → 400 with -32700/-32600 and id null', async () => {
    const deep = `${'['.repeat(100)}1${']'.repeat(100)}`;
    const body = `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"list_accounts","arguments":{"x":${deep}}}}`;
    return jsonRpcErrorCheck(await onSession(s0, body), [-32700, -32600]);
  });
  await check('duplicate JSON keys → 400 JSON-RPC error', async () => {
    const body = '{"jsonrpc":"2.0","id":6,"method":"ping","method":"tools/list"}';
    return jsonRpcErrorCheck(await onSession(s0, body), [-32700, -32600], { needNullId: false });
  });
  await check('invalid UTF-8 in the body → 400 with -32700', async () => {
    const body = Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":8,"method":"ping","params":{"_meta":{"x":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}}')]);
    return jsonRpcErrorCheck(await onSession(s0, body), [-32700]);
  });
  await check('invalid JSON → 400 with -32700 and id null', async () => {
    return jsonRpcErrorCheck(await onSession(s0, '{"jsonrpc":"2.0","id":9,'), [-32700]);
  });
  await check('MCP-Protocol-Version: 1999-01-01 on a session → 400', async () => {
    const r = await onSession({ ...s0, version: '1999-01-01' }, ping(10));
    assert(r.status === 400, `HTTP ${r.status}`);
  });
  await check('every known MCP-Protocol-Version (and none) accepted on a 2025-11-25 session', async () => {
    for (const v of [...KNOWN_VERSIONS, undefined]) {
      const r = await request({ headers: { ...auth(), 'Mcp-Session-Id': s0.sid, ...(v ? { 'MCP-Protocol-Version': v } : {}) }, body: ping(11), waitIds: [11] });
      assert(r.status === 200, `MCP-Protocol-Version ${v ?? '(absent)'}: HTTP ${r.status}`);
    }
  });
  await check('batch (JSON array) on a 2025-11-25 session → error, not answered as a batch', async () => {
    const r = await onSession(s0, [ping(12), ping(13)]);
    const answeredAsBatch = r.status === 200 && (Array.isArray(r.json) || r.messages.filter((m) => m.result).length === 2);
    assert(!answeredAsBatch, `answered: HTTP ${r.status} ${r.text.slice(0, 160)}`);
    assert(r.status >= 400 || r.messages.some((m) => m.error), `HTTP ${r.status} without a JSON-RPC error: ${r.text.slice(0, 160)}`);
    return `HTTP ${r.status}${r.messages[0]?.error ? `, code ${r.messages[0].error.code}` : ''}`;
  });
  // Duplicate headers (raw sockets; node:http would merge or refuse them).
  const dupBody = JSON.stringify(ping(20));
  const baseHeaders = [
    ['Host', HOSTHDR], ['Authorization', `Bearer ${TOKEN}`], ['Content-Type', 'application/json'],
    ['Accept', 'application/json, text/event-stream'], ['Mcp-Session-Id', s0.sid], ['MCP-Protocol-Version', s0.version],
    ['Content-Length', String(Buffer.byteLength(dupBody))],
  ];
  await check('control: the raw-socket request without duplicates is accepted', async () => {
    const r = await rawRequest(`POST ${PATH} HTTP/1.1\r\n${baseHeaders.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\nConnection: close`, Buffer.from(dupBody));
    assert(r.status === 200, `HTTP ${r.status}`);
  });
  for (const dup of ['Content-Length', 'Host', 'Authorization', 'Content-Type']) {
    await check(`duplicate ${dup} header → refused (400 or connection closed)`, async () => {
      const hs = [];
      for (const [k, v] of baseHeaders) { hs.push([k, v]); if (k === dup) hs.push([k, v]); }
      const r = await rawRequest(`POST ${PATH} HTTP/1.1\r\n${hs.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\nConnection: close`, Buffer.from(dupBody));
      assert(r.status === 400 || (r.status === 0 && r.closed), `HTTP ${r.status} ${r.text.slice(0, 120)}`);
      return r.status ? `HTTP ${r.status}` : 'connection closed';
    });
  }
  await closeSession(s0);
}

await check('batch on a 2025-03-26 session → answered as an array', async () => {
  const s = await openSession(TOKEN, '2025-03-26');
  try {
    assert(s.version === '2025-03-26', `negotiated ${s.version}`);
    const r = await onSession(s, [ping(1), callListAccounts(2)]);
    assert(r.status === 200, `HTTP ${r.status} ${r.text.slice(0, 160)}`);
    const got = r.sse ? r.messages : r.json;
    assert(r.sse || Array.isArray(r.json), `JSON body is not an array: ${r.text.slice(0, 160)}`);
    const ids = got.filter((m) => 'result' in m).map((m) => m.id).sort();
    assert(JSON.stringify(ids) === '[1,2]', `responses ${r.text.slice(0, 200)}`);
  } finally { await closeSession(s); }
});

await check('initialize with unknown protocolVersion → 200 with a supported version', async () => {
  const r = await request({ headers: auth(), body: { ...initBody, params: { ...initBody.params, protocolVersion: '1999-01-01' } }, waitIds: [1] });
  assert(r.status === 200, `HTTP ${r.status}`);
  const v = r.messages.find((m) => m.id === 1)?.result?.protocolVersion;
  assert(KNOWN_VERSIONS.includes(v), `protocolVersion ${v}`);
  const sid = r.headers['mcp-session-id'];
  if (sid) await closeSession({ sid, version: v, tok: TOKEN });
  return `counter-offered ${v}`;
});

await check('initialize on an existing session → refused (HTTP 400 or JSON-RPC error), session kept', async () => {
  const s = await openSession();
  try {
    const r = await onSession(s, { ...initBody, id: 2 });
    const err = r.messages.find((m) => m.id === 2)?.error;
    assert(r.status === 400 || (r.status === 200 && err), `HTTP ${r.status} ${r.text.slice(0, 160)}`);
    assert(!r.messages.some((m) => m.id === 2 && m.result), 'a second initialize succeeded');
    assert(!r.headers['mcp-session-id'] || r.headers['mcp-session-id'] === s.sid, 'a new session id was issued');
    const still = await onSession(s, ping(3));
    assert(still.status === 200, `session after the refused initialize: HTTP ${still.status}`);
    return `HTTP ${r.status}${err ? `, code ${err.code}` : ''}`;
  } finally { await closeSession(s); }
});

for (const m of ['GET', 'POST']) {
  await check(`${m} on an unknown path → 404`, async () => {
    const r = await request({ method: m, path: '/definitely-not-here', headers: auth(), body: m === 'POST' ? ping(1) : undefined });
    assert(r.status === 404, `HTTP ${r.status}`);
  });
}

for (const p of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
  await check(`protected-resource metadata at ${p} (only when the challenge names it)`, async () => {
    const r = await request({ method: 'GET', path: p });
    if (!challengeMetadataUrl) {
      assert(r.status === 404, `HTTP ${r.status} for metadata the challenge does not name`);
      return 'none published (no authorization server configured): 404';
    }
    assert(r.status === 200, `HTTP ${r.status}`);
    assert((r.headers['content-type'] ?? '').includes('application/json'), `content-type ${r.headers['content-type']}`);
    assert(typeof r.json?.resource === 'string' && r.json.resource.length > 0, `resource ${JSON.stringify(r.json?.resource)}`);
    assert(Array.isArray(r.json?.authorization_servers) && r.json.authorization_servers.length > 0, `authorization_servers ${JSON.stringify(r.json?.authorization_servers)}`);
    return `resource ${r.json.resource}`;
  });
}
await check('challenge resource_metadata (when present) points at a well-known metadata path', async () => {
  if (!challengeMetadataUrl) return 'no resource_metadata (no authorization server configured)';
  const u = new URL(challengeMetadataUrl);
  assert(u.pathname.startsWith('/.well-known/oauth-protected-resource'), `path ${u.pathname}`);
});

await check('/healthz → 200 without a token', async () => {
  const r = await request({ method: 'GET', path: '/healthz' });
  assert(r.status === 200, `HTTP ${r.status}`);
});

// ---------------------------------------------------------------------------------------------
// Isolation: N concurrent sessions, same JSON-RPC ids everywhere, per-session method layouts.

await check(`${N_SESSIONS} concurrent sessions with reused ids each get only their own responses`, async () => {
  const probe = await openSession();
  const tl = await onSession(probe, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
  const tools = tl.messages.find((m) => m.id === 1)?.result?.tools?.map((t) => t.name) ?? [];
  await closeSession(probe);
  const hasProgress = tools.includes('test_tool_with_progress');
  const tokens = [TOKEN, other].filter(Boolean);

  const layouts = [
    ['ping', 'accounts', 'tools'],
    ['accounts', 'tools', 'ping'],
    ['tools', 'ping', 'accounts'],
  ];
  const body = (kind, id, k) => {
    switch (kind) {
      case 'ping': return ping(id);
      case 'accounts': return callListAccounts(id);
      case 'tools': return { jsonrpc: '2.0', id, method: 'tools/list' };
      case 'progress': return { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'test_tool_with_progress', arguments: {}, _meta: { progressToken: `sess-${k}` } } };
      default: throw new Error(kind);
    }
  };
  const shapeOk = (kind, res) => {
    if (!res || !('result' in res)) return false;
    switch (kind) {
      case 'ping': return res.result && Object.keys(res.result).filter((x) => x !== '_meta').length === 0;
      case 'accounts': return Array.isArray(res.result?.structuredContent?.accounts);
      case 'tools': return Array.isArray(res.result?.tools);
      case 'progress': return Array.isArray(res.result?.content) && !res.result.isError;
      default: return false;
    }
  };
  const problems = [];
  let sse = 0; let json = 0; let notes = 0;
  const one = async (k) => {
    const s = await openSession(tokens[k % tokens.length], '2025-11-25', {}, true);
    try {
      const layout = [...layouts[k % layouts.length]];
      if (hasProgress && k % 2 === 0) layout.push('progress');
      const rs = await Promise.all(layout.map((kind, i) => onSession(s, body(kind, i + 1, k)).then((r) => ({ r, kind, id: i + 1 }))));
      for (const { r, kind, id } of rs) {
        if (r.sse) sse++; else json++;
        if (r.status !== 200) { problems.push(`s${k} id ${id} ${kind}: HTTP ${r.status}`); continue; }
        const responses = r.messages.filter((m) => 'result' in m || 'error' in m);
        if (responses.length !== 1 || responses[0].id !== id) problems.push(`s${k} id ${id} ${kind}: responses ${JSON.stringify(responses.map((m) => m.id))}`);
        else if (!shapeOk(kind, responses[0])) problems.push(`s${k} id ${id} ${kind}: wrong result ${JSON.stringify(responses[0]).slice(0, 120)}`);
        for (const n of r.messages.filter((m) => m.method === 'notifications/progress')) {
          notes++;
          if (kind !== 'progress' || n.params?.progressToken !== `sess-${k}`) problems.push(`s${k} id ${id} ${kind}: foreign progress ${JSON.stringify(n.params)}`);
        }
        if (kind === 'progress' && r.messages.filter((m) => m.method === 'notifications/progress').length < 3) problems.push(`s${k} progress: ${r.messages.length} messages`);
      }
    } finally { await closeSession(s); }
  };
  const results = await Promise.allSettled(Array.from({ length: N_SESSIONS }, (_, k) => one(k)));
  const errs = results.filter((x) => x.status === 'rejected').map((x) => x.reason?.message);
  if (errs.length) problems.push(`${errs.length} sessions failed: ${errs.slice(0, 3).join('; ')}`);
  assert(problems.length === 0, `${problems.length} problems: ${problems.slice(0, 5).join(' | ')}`);
  return `${N_SESSIONS} sessions, ${json} JSON + ${sse} SSE responses, ${notes} progress notifications, ${tokens.length} tokens`;
});

// Cleanup: revoke the helper tokens this run created.
for (const n of made) { try { tokenRevoke(n); } catch { /* already revoked */ } }
agent.destroy();
process.exit(failures ? 1 : 0);
