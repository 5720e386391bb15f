// DEV ONLY: a small legacy-era MCP server built with the v1 SDK, used to validate the test
// tooling (auth proxy, conformance runner, SDK client checks) before the C gateway runs.
// Not a judge of anything. Env: DEV_TOKEN (required), DEV_PORT (0 = free), DEV_ORIGINS
// (comma-separated allowed Origins). Prints "LISTENING <url>".
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, SetLevelRequestSchema, McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';

const TOKEN = process.env.DEV_TOKEN;
const ORIGINS = new Set((process.env.DEV_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const WAV = 'UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const noArgs = { type: 'object', properties: {} };
const tools = [
  { name: 'list_accounts', description: 'List accounts', inputSchema: noArgs },
  { name: 'test_simple_text', description: 'simple text', inputSchema: noArgs },
  { name: 'test_image_content', description: 'image', inputSchema: noArgs },
  { name: 'test_audio_content', description: 'audio', inputSchema: noArgs },
  { name: 'test_embedded_resource', description: 'resource', inputSchema: noArgs },
  { name: 'test_multiple_content_types', description: 'mixed', inputSchema: noArgs },
  { name: 'test_error_handling', description: 'error', inputSchema: noArgs },
  { name: 'test_tool_with_progress', description: 'progress', inputSchema: noArgs },
  { name: 'test_tool_with_logging', description: 'logging', inputSchema: noArgs },
];

function makeServer(transportRef) {
  const s = new Server({ name: 'dev-server', version: '0.0.1' }, { capabilities: { tools: {}, logging: {} } });
  s.setRequestHandler(SetLevelRequestSchema, async () => ({}));
  s.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  s.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const name = req.params.name;
    const text = (t) => ({ content: [{ type: 'text', text: t }] });
    switch (name) {
      case 'list_accounts':
        return { content: [{ type: 'text', text: '{"accounts":[{"name":"work","posture":"full"},{"name":"home","posture":"readonly"}]}' }],
          structuredContent: { accounts: [{ name: "work", posture: "full" }, { name: "home", posture: "readonly" }] } };
      case 'test_simple_text': return text('This is a simple text response for testing.');
      case 'test_image_content': return { content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] };
      case 'test_audio_content': return { content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }] };
      case 'test_embedded_resource': return { content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }] };
      case 'test_multiple_content_types': return { content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG, mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: '{"test":"data","value":123}' } }] };
      case 'test_error_handling': return { isError: true, ...text('This tool intentionally returns an error for testing') };
      case 'test_tool_with_progress': {
        const tok = req.params._meta?.progressToken;
        for (const p of [0, 50, 100]) {
          if (tok !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: tok, progress: p, total: 100 } });
          if (p < 100) await sleep(50);
        }
        return text('progress done');
      }
      case 'test_tool_with_logging': {
        for (const [i, m] of ['Tool execution started', 'Tool processing data', 'Tool execution completed'].entries()) {
          if (i) await sleep(50);
          await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: m } });
        }
        return text('logging done');
      }
      default: throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    }
  });
  return s;
}

const sessions = new Map();
const httpServer = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/healthz') { res.writeHead(200); res.end('ok'); return; }
  if (url.pathname !== '/mcp') { res.writeHead(404); res.end(); return; }
  if (req.headers.origin && !ORIGINS.has(req.headers.origin)) { res.writeHead(403); res.end('bad origin'); return; }
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) { res.writeHead(403); res.end('bad host'); return; }
  const presented = (req.headers.authorization ?? '').replace(/^Bearer /, '');
  const extra = process.env.DEV_TOKENS_FILE ? (await import('node:fs')).readFileSync(process.env.DEV_TOKENS_FILE, 'utf8').split('\n').map((l) => l.split(' ')[1]).filter(Boolean) : [];
  if (!(presented === TOKEN || extra.includes(presented))) {
    res.writeHead(401, { 'WWW-Authenticate': 'Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/mcp"' });
    res.end(); return;
  }
  const chunks = []; for await (const c of req) chunks.push(c);
  let body; if (chunks.length) { try { body = JSON.parse(Buffer.concat(chunks).toString()); } catch { res.writeHead(400); res.end(); return; } }
  if (req.headers['mcp-protocol-version'] === '2026-07-28' && !req.headers['mcp-session-id']) {
    // Minimal stateless 2026-07-28 answers (dev only): discover, tools/list, tools/call.
    const send = (code, obj) => { res.writeHead(code, { 'Content-Type': 'application/json' }); res.end(JSON.stringify({ jsonrpc: '2.0', id: body?.id ?? null, ...obj })); };
    const meta = { 'io.modelcontextprotocol/serverInfo': { name: 'dev-server', version: '0.0.1' } };
    if (body?.method === 'server/discover') return send(200, { result: { resultType: 'complete', ttlMs: 0, cacheScope: 'private', supportedVersions: ['2026-07-28'], capabilities: { tools: {} }, _meta: meta } });
    if (body?.method === 'tools/list') return send(200, { result: { resultType: 'complete', ttlMs: 0, cacheScope: 'private', tools } });
    if (body?.method === 'tools/call' && body.params?.name === 'list_accounts') return send(200, { result: { resultType: 'complete', content: [{ type: 'text', text: '{"accounts":[{"name":"work","posture":"full"},{"name":"home","posture":"readonly"}]}' }], structuredContent: { accounts: [{ name: 'work', posture: 'full' }, { name: 'home', posture: 'readonly' }] } } });
    return send(404, { error: { code: -32601, message: 'Method not found' } });
  }
  const sid = req.headers['mcp-session-id'];
  let t = sid ? sessions.get(sid) : undefined;
  if (t && t.owner !== presented) t = undefined;
  if (sid && !t) { res.writeHead(404, { 'Content-Type': 'application/json' }); res.end('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}'); return; }
  if (!t) {
    if (req.method !== 'POST' || body?.method !== 'initialize') { res.writeHead(400); res.end(); return; }
    t = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => sessions.set(id, t) });
    t.owner = presented;
    t.onclose = () => { if (t.sessionId) sessions.delete(t.sessionId); };
    await makeServer(t).connect(t);
  }
  await t.handleRequest(req, res, body);
});
httpServer.listen(Number(process.env.DEV_PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING http://127.0.0.1:${httpServer.address().port}/mcp\n`);
});
process.on('SIGTERM', () => { httpServer.close(); httpServer.closeAllConnections(); process.exit(0); });
