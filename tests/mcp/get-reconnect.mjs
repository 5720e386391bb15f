#!/usr/bin/env node
// A dropped standalone GET stream must not block reconnection (issue #12 B6). When a client's
// GET connection dies without the server noticing (no FIN reaches it: NAT timeout, laptop
// sleep, a proxy that keeps its upstream socket), the server still holds the stream as
// attached; a reconnecting client used to get 409 "this stream is already open" until
// keep-alives failed (~30 s), and SDK v1 gives up after 2 retries. Now a new GET for the
// session takes the stream over at once:
//   1. initialize a session (raw HTTP), open GET A and read its priming event, keep A open
//      without reading further (the "dead" connection);
//   2. GET B on the same session → 200 text/event-stream (not 409), and the server ends A;
//   3. a tools/call answered as SSE is resumed by GET C with Last-Event-ID while B is attached
//      (the response is replayed); GET D replaces B, which the server ends;
//   4. the official SDK v1 client connects, then its standalone GET is replaced by a raw GET
//      on its session, and the client still works (tools/list).
// usage: node get-reconnect.mjs URL TOKEN
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [urlArg, token] = process.argv.slice(2);
if (!urlArg || !token) {
  process.stderr.write('usage: get-reconnect.mjs URL TOKEN\n');
  process.exit(2);
}
const url = new URL(urlArg);
let failures = 0;
function tap(ok, name, detail) {
  if (!ok) failures++;
  const d = detail ? String(detail).replace(/\s+/g, ' ').slice(0, 400) : '';
  process.stdout.write(`${ok ? 'ok' : 'not ok'} - get-reconnect: ${name}${d ? (ok ? ` # ${d}` : ` (${d})`) : ''}\n`);
}
const agent = new http.Agent({ keepAlive: false });
const base = { host: url.hostname, port: url.port, path: url.pathname, agent };

function post(body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...base, method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

// Opens a GET stream; resolves with its state once the response headers are in. The
// connection stays open; st.ended tells when the server closed it, st.text what came.
function openGet(sid, lastEventId) {
  return new Promise((resolve) => {
    const headers = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream', 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' };
    if (lastEventId) headers['Last-Event-ID'] = lastEventId;
    const st = { status: 0, text: '', ended: false, req: null, res: null };
    const req = http.request({ ...base, method: 'GET', headers }, (res) => {
      st.status = res.statusCode;
      st.res = res;
      res.setEncoding('utf8');
      res.on('data', (c) => { st.text += c; });
      res.on('end', () => { st.ended = true; });
      res.on('error', () => { st.ended = true; });
      resolve(st);
    });
    st.req = req;
    req.on('error', (e) => { st.ended = true; st.error = e; resolve(st); });
    req.end();
  });
}

async function until(cond, ms) {
  for (let waited = 0; waited < ms; waited += 50) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

const opened = [];
try {
  const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'get-reconnect', version: '1' } } });
  const sid = init.headers['mcp-session-id'];
  tap(init.status === 200 && !!sid, 'initialize opens a session', `${init.status}`);
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' });

  const a = await openGet(sid);
  opened.push(a);
  a.res?.pause(); // the "dead" connection: open, never read again
  tap(a.status === 200, 'GET A: 200 text/event-stream', `${a.status}`);

  const b = await openGet(sid);
  opened.push(b);
  tap(b.status === 200, 'GET B while A is still attached: 200, not 409', `${b.status}`);
  a.res?.resume();
  tap(await until(() => a.ended, 15000), 'the server ends A once B took the stream over');

  // a tools/call answered as SSE: its events carry ids; resume it by GET + Last-Event-ID
  // while B is attached
  const call = await post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'list_accounts', arguments: {} } },
    { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25', Accept: 'text/event-stream' });
  const ids = [...call.text.matchAll(/^id: (\S+)$/gm)].map((m) => m[1]);
  tap(call.status === 200 && ids.length >= 2, 'tools/call as SSE: a priming event and the response, with ids', `${call.status} ids ${ids.join(',')}`);
  const c = await openGet(sid, ids[0]);
  opened.push(c);
  tap(c.status === 200 && await until(() => /"id":7,"result"/.test(c.text), 15000),
    'GET C with Last-Event-ID of that call while B is attached: 200, the response replayed', `Last-Event-ID ${ids[0]}: ${c.status} ${c.text.slice(0, 160)}`);

  const d = await openGet(sid);
  opened.push(d);
  tap(d.status === 200, 'GET D while B is attached: 200', `${d.status}`);
  tap(await until(() => b.ended, 15000), 'the server ends B once D took the stream over');
  await new Promise((resolve) => {
    const req = http.request({ ...base, method: 'DELETE', headers: { Authorization: `Bearer ${token}`, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' } }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', resolve);
    req.end();
  });
} catch (e) {
  tap(false, 'raw GET reconnection', e.message);
}
for (const s of opened) s.req?.destroy();

// The SDK client's own standalone GET is replaced under it; the client keeps working.
try {
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'get-reconnect-sdk', version: '1' }, { capabilities: {} });
  await client.connect(transport);
  await new Promise((r) => setTimeout(r, 200)); // let its GET stream attach
  const g = await openGet(transport.sessionId);
  tap(g.status === 200, 'a GET on an SDK 1.32 session whose GET stream is open: 200', `${g.status}`);
  const { tools } = await client.listTools();
  tap(tools.length > 0, 'the SDK client still works after its GET stream was replaced', `${tools.length} tools`);
  g.req?.destroy();
  await transport.terminateSession().catch(() => {});
  await client.close();
} catch (e) {
  tap(false, 'SDK 1.32 session with a replaced GET stream', e.message);
}
process.exit(failures ? 1 : 0);
