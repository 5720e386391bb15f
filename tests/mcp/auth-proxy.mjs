#!/usr/bin/env node
// Loopback HTTP proxy that adds `Authorization: Bearer <token>` and forwards everything else
// unchanged: method, path+query, every request header as received (raw names, order, duplicates,
// foreign Host/Origin values), the body, and the response (status, raw headers, streamed body,
// SSE included, without buffering). A client that goes away aborts the upstream request, so
// closing an SSE stream reaches the server.
//
// The official conformance suite cannot send an Authorization header (conformance#453); this
// proxy sits in front of the gateway for it. Any Authorization header sent by the client is
// replaced by the configured one.
//
// usage: node auth-proxy.mjs --listen PORT --target http://127.0.0.1:PORT --token-file FILE
//        (PORT 0 picks a free port). Prints "listening PORT" on stdout when ready.
import http from 'node:http';
import fs from 'node:fs';

function usage(msg) {
  if (msg) process.stderr.write(`auth-proxy: ${msg}\n`);
  process.stderr.write('usage: auth-proxy.mjs --listen PORT --target http://HOST:PORT --token-file FILE\n');
  process.exit(2);
}

const opts = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--listen' || a === '--target' || a === '--token-file') {
    if (i + 1 >= argv.length) usage(`${a} needs a value`);
    opts[a.slice(2)] = argv[++i];
  } else if (a === '--help' || a === '-h') {
    usage();
  } else {
    usage(`unknown argument ${a}`);
  }
}
if (opts.listen === undefined || !opts.target || !opts['token-file']) usage('missing argument');
const listenPort = Number(opts.listen);
if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65535) usage('bad --listen');
let target;
try { target = new URL(opts.target); } catch { usage('bad --target'); }
if (target.protocol !== 'http:') usage('--target must be http://');
const token = fs.readFileSync(opts['token-file'], 'utf8').trim();
if (!token || /[\r\n]/.test(token)) usage('token file is empty or malformed');

const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });

const server = http.createServer((req, res) => {
  // Raw headers as received, minus any Authorization, plus ours.
  const raw = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === 'authorization') continue;
    raw.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  raw.push('Authorization', `Bearer ${token}`);

  let finished = false;
  const up = http.request({
    host: target.hostname,
    port: target.port || 80,
    method: req.method,
    path: req.url,            // path + query exactly as received
    headers: raw,             // array form: sent as-is, names and duplicates preserved
    setHost: false,           // never invent or rewrite Host
    agent: upstreamAgent,
  });

  up.on('response', (ur) => {
    res.writeHead(ur.statusCode, ur.statusMessage, ur.rawHeaders);
    res.flushHeaders();
    ur.on('end', () => { finished = true; });
    ur.on('close', () => { if (!ur.complete) res.destroy(); });
    ur.pipe(res);
  });
  up.on('error', (err) => {
    if (!res.headersSent) {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`auth-proxy: upstream error: ${err.code || err.message}\n`);
    } else {
      res.destroy();
    }
  });

  // Request body, streamed.
  req.pipe(up);

  // Client went away (e.g. cancelled an SSE stream) before the response ended: abort upstream.
  res.on('close', () => {
    if (!finished) up.destroy();
  });
});

server.keepAliveTimeout = 30_000;
server.headersTimeout = 60_000;
server.requestTimeout = 0;          // long-lived SSE streams
server.on('clientError', (err, socket) => {
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  else socket.destroy();
});

server.listen(listenPort, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

function shutdown() {
  server.close();
  server.closeAllConnections?.();
  upstreamAgent.destroy();
  setTimeout(() => process.exit(0), 200).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
