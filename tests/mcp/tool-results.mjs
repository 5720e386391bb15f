#!/usr/bin/env node
// Every tool's schemas and error results as a real client sees them (issue #12 B1, B2), with
// the official SDK v1 client, which validates any structuredContent against the tool's
// outputSchema and throws "Structured content does not match the tool's output schema"
// (as LangChain's adapters and the Inspector, built on it, do):
//   - every production tool's inputSchema and outputSchema uses only shapes a single-type
//     dialect (Gemini function declarations, OpenAPI 3.0) expresses: each schema node has one
//     `type` string, no type arrays, no anyOf/oneOf/allOf/not/$ref/const/nullable, arrays
//     have `items`, `required` names declared properties;
//   - every tool driven into an error (an unknown argument: ERR_INVALID_INPUT; an unknown
//     account for the mail tools) gives the SDK an isError result it accepts, whose text
//     starts with the code and whose _meta["imapgate/error"].code carries it.
// The test-only fixture tools of the conformance suite (test_*, json_schema_2020_12_tool) are
// left out: their shapes are the conformance scenarios' contract.
//
// usage: node tool-results.mjs URL TOKEN
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  process.stderr.write('usage: tool-results.mjs URL TOKEN\n');
  process.exit(2);
}

let failures = 0;
function tap(ok, name, detail) {
  if (!ok) failures++;
  const d = detail ? String(detail).replace(/\s+/g, ' ').slice(0, 600) : '';
  process.stdout.write(`${ok ? 'ok' : 'not ok'} - ${name}${d ? (ok ? ` # ${d}` : ` (${d})`) : ''}\n`);
}

const isFixture = (name) => name.startsWith('test_') || name === 'json_schema_2020_12_tool';
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
const FORBIDDEN = ['anyOf', 'oneOf', 'allOf', 'not', '$ref', '$defs', 'definitions', 'const',
  'if', 'then', 'else', 'nullable', 'patternProperties', 'prefixItems', 'dependentSchemas'];

// Problems of one schema node (and below) for a single-type dialect.
function dialectProblems(s, path, out, depth = 0) {
  if (depth > 32) { out.push(`${path}: nested too deep`); return; }
  if (s === null || typeof s !== 'object' || Array.isArray(s)) { out.push(`${path}: not a schema object`); return; }
  if (typeof s.type !== 'string') out.push(`${path}: type is ${JSON.stringify(s.type)}, not one type name`);
  else if (!TYPES.has(s.type)) out.push(`${path}: type ${s.type}`);
  for (const k of FORBIDDEN) if (k in s) out.push(`${path}: uses ${k}`);
  if (s.type === 'array') {
    if (s.items === undefined) out.push(`${path}: array without items`);
    else dialectProblems(s.items, `${path}.items`, out, depth + 1);
  }
  if (s.type === 'object') {
    const props = s.properties ?? {};
    for (const [k, v] of Object.entries(props)) dialectProblems(v, `${path}.${k}`, out, depth + 1);
    for (const r of s.required ?? []) if (!(r in props)) out.push(`${path}: required ${r} not a property`);
    if (typeof s.additionalProperties === 'object') out.push(`${path}: additionalProperties is a schema`);
  }
  if (s.enum !== undefined && (!Array.isArray(s.enum) || s.enum.some((v) => typeof v !== typeof s.enum[0] || v === null)))
    out.push(`${path}: enum of mixed or null values`);
}

// A minimal value valid for schema s (for the required arguments of a call).
function minimal(s) {
  switch (s?.type) {
    case 'string': return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    case 'integer': case 'number': return s.minimum ?? 1;
    case 'boolean': return false;
    case 'array': return Array.from({ length: s.minItems ?? 0 }, (_, i) => (s.items?.type === 'integer' ? (s.items.minimum ?? 1) + i : minimal(s.items)));
    case 'object': {
      const o = {};
      for (const r of s.required ?? []) o[r] = minimal(s.properties?.[r]);
      return o;
    }
    default: return null;
  }
}

function errorProblem(res, wantCode) {
  if (!res?.isError) return `not isError: ${JSON.stringify(res).slice(0, 200)}`;
  const err = res._meta?.['imapgate/error'];
  if (typeof err?.code !== 'string' || !/^ERR_[A-Z_]+$/.test(err.code)) return `no _meta.imapgate/error.code: ${JSON.stringify(res).slice(0, 200)}`;
  if (wantCode && err.code !== wantCode) return `code ${err.code}, want ${wantCode}`;
  if (typeof err.message !== 'string' || !err.message) return 'no _meta.imapgate/error.message';
  const text = res.content?.[0]?.text ?? '';
  if (!text.startsWith(`${err.code}: `)) return `text does not start with the code: ${text.slice(0, 100)}`;
  if ('structuredContent' in res) return 'an error carries structuredContent';
  return null;
}

const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
const client = new Client({ name: 'imapgate-tool-results-test', version: '1.0.0' }, { capabilities: {} });
try {
  await client.connect(transport);
  const { tools } = await client.listTools();
  const prod = tools.filter((t) => !isFixture(t.name));
  tap(prod.length > 0, 'tool-results: tools/list has production tools', `${prod.length}`);

  // B2: every input and output schema in a single-type dialect
  const schemaBad = [];
  for (const t of prod) {
    dialectProblems(t.inputSchema, `${t.name}.inputSchema`, schemaBad);
    if (t.outputSchema !== undefined) dialectProblems(t.outputSchema, `${t.name}.outputSchema`, schemaBad);
  }
  tap(schemaBad.length === 0,
    `tool-results: every input/output schema of ${prod.length} tools is single-type (no type arrays, combinators, nullable; arrays have items)`,
    schemaBad.slice(0, 8).join('; '));

  // B1: every tool driven into an error, through the SDK's output-schema check
  const bad = [];
  let calls = 0;
  for (const t of prod) {
    const cases = [[{ no_such_argument: 1 }, 'ERR_INVALID_INPUT']];
    if (t.inputSchema?.properties?.account)
      cases.push([{ ...minimal(t.inputSchema), account: 'no-such-account' }, null]);
    for (const [args, want] of cases) {
      calls++;
      try {
        const res = await client.callTool({ name: t.name, arguments: args });
        const p = errorProblem(res, want);
        if (p) bad.push(`${t.name}(${Object.keys(args).join(',')}): ${p}`);
      } catch (e) {
        bad.push(`${t.name}(${Object.keys(args).join(',')}): SDK threw: ${e.message}`);
      }
    }
  }
  tap(bad.length === 0,
    `tool-results: SDK 1.32 accepts the error result of every tool (${calls} calls, ${prod.length} tools); code in text and _meta`,
    bad.slice(0, 6).join('; '));
  await transport.terminateSession().catch(() => {});
  await client.close();
} catch (e) {
  tap(false, 'tool-results: SDK 1.32 session', e.message);
}
process.exit(failures === 0 ? 0 : 1);
