#!/usr/bin/env node
// Official MCP SDK clients against a server with a bearer token: connect, list tools, call
// `list_accounts`, check the result shape, and close. One TAP line per client mode:
//   sdk 1.32 (Client + StreamableHTTPClientTransport, then terminateSession)
//   client 2.4 versionNegotiation legacy / auto / pinned 2026-07-28
//
// usage: node sdk-clients.mjs URL TOKEN
// env:   EXPECT_ACCOUNTS   comma-separated account names list_accounts must return (any order;
//                          unset = do not compare names)
//        EXPECT_AUTO_ERA   era the `auto` mode must end in: modern (default), legacy, any
//        SDK_TIMEOUT_MS    per-mode time limit (default 20000)
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  process.stderr.write('usage: sdk-clients.mjs URL TOKEN\n');
  process.exit(2);
}
const expectAccounts = process.env.EXPECT_ACCOUNTS
  ? process.env.EXPECT_ACCOUNTS.split(',').map((s) => s.trim()).filter(Boolean).sort()
  : null;
const expectAutoEra = process.env.EXPECT_AUTO_ERA ?? 'modern';
const timeoutMs = Number(process.env.SDK_TIMEOUT_MS ?? 20000);
const POSTURES = new Set(['readonly', 'draft-safe', 'full', 'destructive']);
const clientInfo = { name: 'imapgate-sdk-clients-test', version: '1.0.0' };

let failures = 0;
function tap(ok, name, detail) {
  if (!ok) failures++;
  const d = detail ? String(detail).replace(/\s+/g, ' ').slice(0, 300) : '';
  process.stdout.write(`${ok ? 'ok' : 'not ok'} - ${name}${d ? (ok ? ` # ${d}` : ` (${d})`) : ''}\n`);
}

// A fetch that records what went over the wire (method, JSON-RPC method, status, version header).
function recordingFetch(log) {
  return async (input, init = {}) => {
    let rpc;
    if (typeof init.body === 'string') {
      try { const b = JSON.parse(init.body); rpc = Array.isArray(b) ? 'batch' : b.method ?? 'response'; } catch { rpc = '?'; }
    }
    const h = new Headers(init.headers);
    const res = await fetch(input, init);
    log.push({ method: init.method ?? 'GET', rpc, status: res.status, version: h.get('mcp-protocol-version'), auth: h.has('authorization') });
    return res;
  };
}

function withTimeout(p, what) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: timed out after ${timeoutMs} ms`)), timeoutMs); }),
  ]);
}

function checkTools(list) {
  const tools = list?.tools;
  if (!Array.isArray(tools) || tools.length === 0) throw new Error('tools/list returned no tools');
  const la = tools.find((t) => t.name === 'list_accounts');
  if (!la) throw new Error(`list_accounts not listed (tools: ${tools.map((t) => t.name).join(', ')})`);
  if (la.inputSchema?.type !== 'object') throw new Error('list_accounts inputSchema.type is not "object"');
  if (typeof la.description !== 'string' || !la.description) throw new Error('list_accounts has no description');
  return tools.length;
}

function checkAccounts(res) {
  if (res?.isError) throw new Error(`list_accounts returned isError: ${JSON.stringify(res.content).slice(0, 200)}`);
  if (!Array.isArray(res?.content) || res.content.length === 0) throw new Error('list_accounts result has no content');
  const sc = res.structuredContent;
  if (!sc || !Array.isArray(sc.accounts)) throw new Error(`structuredContent.accounts missing: ${JSON.stringify(res).slice(0, 200)}`);
  for (const a of sc.accounts) {
    if (typeof a?.name !== 'string' || !a.name) throw new Error(`account without name: ${JSON.stringify(a)}`);
    if (!POSTURES.has(a.posture)) throw new Error(`account ${a.name}: bad posture ${JSON.stringify(a.posture)}`);
    if (a.address !== undefined && typeof a.address !== 'string') throw new Error(`account ${a.name}: address not a string`);
  }
  const names = sc.accounts.map((a) => a.name).sort();
  if (expectAccounts && JSON.stringify(names) !== JSON.stringify(expectAccounts)) {
    throw new Error(`accounts ${names.join(',')} != expected ${expectAccounts.join(',')}`);
  }
  // The text content mirrors the structured content for text-only clients.
  const text = res.content.find((c) => c.type === 'text')?.text ?? '';
  for (const n of names) if (!text.includes(n)) throw new Error(`text content does not mention account ${n}`);
  return names;
}

async function runV1() {
  const log = [];
  const transport = new TransportV1(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    fetch: recordingFetch(log),
  });
  const client = new ClientV1(clientInfo, { capabilities: {} });
  try {
    await client.connect(transport);
    const sid = transport.sessionId;
    if (!sid) throw new Error('no Mcp-Session-Id after initialize');
    const ver = client.getServerVersion();
    if (!ver?.name) throw new Error('no serverInfo');
    const nTools = checkTools(await client.listTools());
    const names = checkAccounts(await client.callTool({ name: 'list_accounts', arguments: {} }));
    await client.ping();
    await transport.terminateSession();
    const del = log.find((e) => e.method === 'DELETE');
    if (!del || del.status < 200 || del.status >= 300) throw new Error(`DELETE answered ${del?.status}`);
    if (transport.sessionId !== undefined) throw new Error('session id still set after terminateSession');
    return `protocol ${transport.protocolVersion}, ${nTools} tools, accounts [${names.join(',')}]`;
  } finally {
    await client.close().catch(() => {});
  }
}

async function runV2(mode) {
  const log = [];
  const transport = new TransportV2(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    fetch: recordingFetch(log),
  });
  const client = new ClientV2(clientInfo, { capabilities: {}, versionNegotiation: { mode } });
  try {
    await client.connect(transport);
    const era = client.getProtocolEra();
    const version = client.getNegotiatedProtocolVersion();
    // the safety instructions in every era: from initialize or from server/discover
    if (!client.getInstructions()?.includes('untrusted')) throw new Error(`no server instructions (era ${era})`);
    const sentInit = log.some((e) => e.rpc === 'initialize');
    const sentDiscover = log.some((e) => e.rpc === 'server/discover');
    if (mode === 'legacy') {
      if (era !== 'legacy') throw new Error(`era ${era}, expected legacy`);
      if (sentDiscover) throw new Error('legacy mode sent server/discover');
      if (!transport.sessionId) throw new Error('no Mcp-Session-Id after initialize');
    } else if (mode === 'auto') {
      if (!sentDiscover) throw new Error('auto mode did not probe server/discover');
      if (expectAutoEra !== 'any' && era !== expectAutoEra) {
        throw new Error(`auto ended in era ${era} (version ${version}), expected ${expectAutoEra}; wire: ${JSON.stringify(log.slice(0, 4))}`);
      }
    } else {
      if (era !== 'modern' || version !== mode.pin) throw new Error(`era ${era} version ${version}, expected modern ${mode.pin}`);
      if (sentInit) throw new Error('pinned mode sent initialize');
    }
    const nTools = checkTools(await client.listTools());
    const names = checkAccounts(await client.callTool({ name: 'list_accounts', arguments: {} }));
    if (era === 'modern') {
      const modernPosts = log.filter((e) => e.method === 'POST');
      const bad = modernPosts.find((e) => e.version !== version && e.rpc !== 'server/discover');
      if (bad) throw new Error(`modern request ${bad.rpc} sent MCP-Protocol-Version ${bad.version}`);
    } else {
      await transport.terminateSession();
      const del = log.find((e) => e.method === 'DELETE');
      if (!del || del.status < 200 || del.status >= 300) throw new Error(`DELETE answered ${del?.status}`);
    }
    return `era ${era}, protocol ${version}, ${nTools} tools, accounts [${names.join(',')}]`;
  } finally {
    await client.close().catch(() => {});
  }
}

const modes = [
  ['sdk-client @modelcontextprotocol/sdk 1.32 StreamableHTTP', () => runV1()],
  ['sdk-client @modelcontextprotocol/client 2.4 versionNegotiation legacy', () => runV2('legacy')],
  ['sdk-client @modelcontextprotocol/client 2.4 versionNegotiation auto', () => runV2('auto')],
  ['sdk-client @modelcontextprotocol/client 2.4 versionNegotiation pin 2026-07-28', () => runV2({ pin: '2026-07-28' })],
];
for (const [name, fn] of modes) {
  try {
    const detail = await withTimeout(fn(), name);
    tap(true, name, detail);
  } catch (e) {
    tap(false, name, e?.stack?.split('\n').slice(0, 2).join(' ') ?? String(e));
  }
}
process.exit(failures ? 1 : 0);
