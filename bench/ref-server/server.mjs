// Reference MCP server for bench/mcp_overhead.sh, built only with the official
// TypeScript SDK (@modelcontextprotocol/sdk, pinned in package.json).
//
// It follows the SDK's own documented stateful example
// (dist/esm/examples/server/jsonResponseStreamableHttp.js): createMcpExpressApp()
// (Host-header / DNS-rebinding check + express.json), one McpServer +
// StreamableHTTPServerTransport per session, enableJsonResponse: true so ping and
// tools/list are answered with application/json like imapgate does. Differences
// from the example, all chosen to keep the comparison fair to the SDK:
//   - no console.log per request (logging would dominate the measurement);
//   - a bearer-token check like imapgate's (constant-time compare), so both sides
//     pay for authentication;
//   - the same infrastructure tool names as imapgate (list_accounts, use_account).
//
// Environment:
//   REF_TOKEN  required; requests must carry "Authorization: Bearer <REF_TOKEN>"
//   REF_PORT   TCP port on 127.0.0.1 (0 = pick a free one); default 0
// On start it prints exactly one line "LISTENING http://127.0.0.1:<port>/mcp" on stdout.

import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod/v4';

const TOKEN = process.env.REF_TOKEN;
if (!TOKEN) {
    console.error('ref-server: REF_TOKEN must be set');
    process.exit(2);
}
const PORT = Number.parseInt(process.env.REF_PORT ?? '0', 10);
if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) {
    console.error('ref-server: REF_PORT must be a port number (0 = any free port)');
    process.exit(2);
}

// Compare fixed-length digests so timingSafeEqual never sees unequal lengths.
const tokenDigest = createHash('sha256').update(TOKEN).digest();
function tokenMatches(presented) {
    const d = createHash('sha256').update(presented).digest();
    return timingSafeEqual(d, tokenDigest);
}

function requireBearer(req, res, next) {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer ([^\s]+)$/.exec(h) : null;
    if (!m || !tokenMatches(m[1])) {
        res.status(401)
            .set('WWW-Authenticate', 'Bearer')
            .json({ jsonrpc: '2.0', error: { code: -32001, message: 'Unauthorized' }, id: null });
        return;
    }
    next();
}

const getServer = () => {
    const server = new McpServer({ name: 'imapgate-bench-ref', version: '1.0.0' }, { capabilities: {} });
    server.registerTool('list_accounts', {
        title: 'List accounts',
        description: 'List the mail accounts this token may use, with their posture and default flag.',
        inputSchema: {},
        outputSchema: {
            accounts: z.array(z.object({
                name: z.string(),
                address: z.string(),
                posture: z.string(),
                default: z.boolean()
            }))
        },
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }
    }, async () => {
        const structuredContent = { accounts: [] };
        return { structuredContent, content: [{ type: 'text', text: JSON.stringify(structuredContent) }] };
    });
    server.registerTool('use_account', {
        title: 'Use account',
        description: 'Set the default account for the rest of this session.',
        inputSchema: { account: z.string().min(1).max(128).describe('Account name from list_accounts') },
        annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }
    }, async () => {
        const error = { code: 'ERR_NOT_FOUND', message: 'account not found' };
        return { isError: true, structuredContent: { error }, content: [{ type: 'text', text: JSON.stringify({ error }) }] };
    });
    return server;
};

const app = createMcpExpressApp(); // host defaults to 127.0.0.1 → Host-header validation on
app.use('/mcp', requireBearer);

const MAX_SESSIONS = 1000;
const sessions = new Map(); // session id → transport

app.post('/mcp', async (req, res) => {
    try {
        const sessionId = req.headers['mcp-session-id'];
        const existing = sessionId ? sessions.get(sessionId) : undefined;
        if (existing) {
            await existing.handleRequest(req, res, req.body);
            return;
        }
        if (!sessionId && isInitializeRequest(req.body)) {
            if (sessions.size >= MAX_SESSIONS) {
                res.status(503).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Too many open sessions' }, id: null });
                return;
            }
            const transport = new StreamableHTTPServerTransport({
                sessionIdGenerator: () => randomUUID(),
                enableJsonResponse: true,
                onsessioninitialized: sid => { sessions.set(sid, transport); }
            });
            transport.onclose = () => {
                const sid = transport.sessionId;
                if (sid) sessions.delete(sid);
            };
            await getServer().connect(transport);
            await transport.handleRequest(req, res, req.body);
            return;
        }
        if (sessionId) {
            res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
            return;
        }
        res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: No valid session ID provided' }, id: null });
    } catch (error) {
        console.error('ref-server: error handling MCP request:', error);
        if (!res.headersSent) {
            res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null });
        }
    }
});

// Session termination, as in the SDK examples.
app.delete('/mcp', async (req, res) => {
    const sessionId = req.headers['mcp-session-id'];
    const transport = sessionId ? sessions.get(sessionId) : undefined;
    if (!transport) {
        res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
        return;
    }
    await transport.handleRequest(req, res);
});

// No standalone SSE stream in JSON-response mode: 405, as in the SDK example.
app.get('/mcp', (req, res) => {
    res.status(405).set('Allow', 'POST, DELETE').send('Method Not Allowed');
});

const httpServer = app.listen(PORT, '127.0.0.1', error => {
    if (error) {
        console.error('ref-server: failed to listen:', error);
        process.exit(1);
    }
    const { port } = httpServer.address();
    process.stdout.write(`LISTENING http://127.0.0.1:${port}/mcp\n`);
});

const shutdown = () => {
    for (const t of sessions.values()) t.close().catch(() => {});
    httpServer.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
