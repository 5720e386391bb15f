// DEV: self-test of auth-proxy.mjs against a throwaway upstream. Prints TAP lines.
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const events = [];
let lastReq;
const upstream = http.createServer((req, res) => {
  lastReq = { method: req.method, url: req.url, raw: req.rawHeaders, body: '' };
  req.on('data', (c) => { lastReq.body += c; });
  req.on('end', () => {
    if (req.url.startsWith('/sse')) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'X-Dup': 'a' });
      res.write('id: 1\ndata: \n\n');
      const t = setTimeout(() => res.write('data: {"late":true}\n\n'), 1000);
      res.on('close', () => { clearTimeout(t); events.push('upstream-closed'); });
      return;
    }
    res.setHeader('Set-Cookie', ['a=1', 'b=2']);
    res.writeHead(207, 'Custom Reason', { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ ok: true }));
  });
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const up = upstream.address().port;
const tokFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pxy-')), 'tok');
fs.writeFileSync(tokFile, 'igt_secret\n');
const proxy = spawn(process.execPath, [path.join(here, '..', 'auth-proxy.mjs'), '--listen', '0', '--target', `http://127.0.0.1:${up}`, '--token-file', tokFile]);
const port = await new Promise((r) => proxy.stdout.on('data', (d) => { const m = /listening (\d+)/.exec(String(d)); if (m) r(Number(m[1])); }));

let fails = 0;
const tap = (ok, name, d = '') => { if (!ok) fails++; console.log(`${ok ? 'ok' : 'not ok'} - proxy: ${name}${d ? ` (${d})` : ''}`); };

// 1. raw headers: foreign Host/Origin, odd case, duplicates, client Authorization replaced; query kept.
await new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1', () => {
    const body = '{"x":1}';
    s.write(`POST /mcp?a=1&b=%20 HTTP/1.1\r\nHost: evil.example.com\r\nOrigin: http://evil.example.com\r\nx-CaSe: v\r\nX-Twice: 1\r\nX-Twice: 2\r\nAuthorization: Bearer client\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  });
  let got = '';
  s.on('data', (d) => { got += d; });
  s.on('close', () => {
    const r = lastReq;
    const pairs = []; for (let i = 0; i < r.raw.length; i += 2) pairs.push(`${r.raw[i]}: ${r.raw[i + 1]}`);
    tap(r.method === 'POST' && r.url === '/mcp?a=1&b=%20', 'method and path+query unchanged', r.url);
    tap(pairs.includes('Host: evil.example.com') && pairs.filter((p) => /^host:/i.test(p)).length === 1, 'foreign Host forwarded unchanged', pairs.join('|'));
    tap(pairs.includes('Origin: http://evil.example.com'), 'Origin forwarded unchanged');
    tap(pairs.includes('x-CaSe: v') && pairs.includes('X-Twice: 1') && pairs.includes('X-Twice: 2'), 'header case and duplicates preserved');
    tap(pairs.filter((p) => /^authorization:/i.test(p)).join() === 'Authorization: Bearer igt_secret', 'Authorization replaced by the token');
    tap(r.body === '{"x":1}', 'body forwarded');
    tap(/^HTTP\/1\.1 207 Custom Reason/.test(got) && /Set-Cookie: a=1\r\nSet-Cookie: b=2/i.test(got), 'status, reason and duplicate response headers forwarded', got.split('\r\n')[0]);
    resolve();
  });
});

// 2. SSE streaming without buffering, and client abort reaching upstream.
await new Promise((resolve) => {
  const t0 = Date.now();
  const req = http.get({ port, host: '127.0.0.1', path: '/sse', headers: { Accept: 'text/event-stream' } }, (res) => {
    res.once('data', (d) => {
      tap(Date.now() - t0 < 800 && String(d).includes('id: 1'), 'first SSE event arrives before the upstream finishes', `${Date.now() - t0} ms`);
      req.destroy();
      setTimeout(() => { tap(events.includes('upstream-closed'), 'client abort closes the upstream stream'); resolve(); }, 300);
    });
  });
});
proxy.kill('SIGTERM');
upstream.close();
upstream.closeAllConnections();
process.exit(fails ? 1 : 0);
