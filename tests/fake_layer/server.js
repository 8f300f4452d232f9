#!/usr/bin/env node
'use strict';
// Fake Layer.ai for tests: HTTPS REST API (/api/v1/...), GraphQL (/graphql)
// and a media/storage host, on 127.0.0.1 with a test CA made at start-up.
// See README.md beside this file for flags, the ready line and the control API.

const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');

const USAGE = `usage: FAKE_LAYER_PAT=<token> node server.js --tls-dir DIR [options]

  --tls-dir DIR               where ca.pem, server.pem, server.key are written (required)
  --port N                    API port (default 0: any free port)
  --media-port N              media/storage port (default 0: any free port)
  --schema FILE               GraphQL introspection JSON (default ../data/layer_graphql_schema.json)
  --polls-to-complete N       polls a run takes to finish (default 2)
  --poll-interval-seconds X   poll_interval_seconds the API reports (default 0.1)
  --exit-with-stdin           exit when stdin closes (so a crashed parent leaves no server behind)
  --verbose                   log one line per request to stderr

The PAT comes only from the environment variable FAKE_LAYER_PAT.
On success one JSON line is printed on stdout (see README.md), nothing else.`;

function fail(message) {
  process.stderr.write(`fake_layer: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = { port: 0, mediaPort: 0, schema: path.join(__dirname, '..', 'data', 'layer_graphql_schema.json'), pollsToComplete: 2, pollIntervalSeconds: 0.1, exitWithStdin: false, verbose: false };
  const num = (flag, v) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) fail(`${flag} needs a non-negative number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    switch (f) {
      case '--tls-dir': a.tlsDir = argv[++i]; break;
      case '--port': a.port = num(f, argv[++i]); break;
      case '--media-port': a.mediaPort = num(f, argv[++i]); break;
      case '--schema': a.schema = argv[++i]; break;
      case '--polls-to-complete': a.pollsToComplete = num(f, argv[++i]); break;
      case '--poll-interval-seconds': a.pollIntervalSeconds = num(f, argv[++i]); break;
      case '--exit-with-stdin': a.exitWithStdin = true; break;
      case '--verbose': a.verbose = true; break;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: fail(`unknown argument ${JSON.stringify(f)}\n${USAGE}`);
    }
  }
  if (!a.tlsDir) fail(`--tls-dir is required\n${USAGE}`);
  return a;
}

// Fails with a clear message when tests/node_modules is missing.
function checkDeps() {
  try {
    require.resolve('graphql');
    require.resolve('ajv');
  } catch {
    fail(`npm packages missing: run "npm ci" in ${path.join(__dirname, '..')}`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function safeEqual(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const pat = process.env.FAKE_LAYER_PAT;
  delete process.env.FAKE_LAYER_PAT; // children (openssl) must not inherit it
  if (!pat || !/^[\x21-\x7e]+$/.test(pat)) fail('FAKE_LAYER_PAT must be set to a non-empty token without spaces');
  checkDeps();
  const { MAX_UPLOAD_BYTES } = require('./lib/schemas');
  const { generateTestPki } = require('./lib/tls');
  const { FakeLayerState } = require('./lib/state');
  const { handleRest } = require('./lib/rest');
  const { createGraphqlHandler } = require('./lib/graphql');
  const { handleMedia } = require('./lib/media');
  const { Recorder, Faults, faultResponse, oversize, handleControl } = require('./lib/control');
  const { readBody, json, restError, send } = require('./lib/http_util');

  const pki = generateTestPki(path.resolve(args.tlsDir));
  const tlsOptions = { key: fs.readFileSync(pki.keyFile), cert: fs.readFileSync(pki.certFile) };
  const state = new FakeLayerState({ pollsToComplete: args.pollsToComplete, pollIntervalSeconds: args.pollIntervalSeconds });
  const recorder = new Recorder(pat);
  const faults = new Faults();
  const handleGraphql = createGraphqlHandler(state, args.schema);
  const controlToken = crypto.randomBytes(16).toString('hex');
  const BODY_LIMIT = { api: 1024 * 1024, media: MAX_UPLOAD_BYTES + 1024 * 1024 };

  function unauthorized(graphql, message) {
    const headers = { 'www-authenticate': 'Bearer' };
    return graphql
      ? json(401, { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] }, headers)
      : restError(401, 'UNAUTHENTICATED', message, headers);
  }

  function routeApi(ctx) {
    const graphql = ctx.path === '/graphql';
    if (!graphql && !ctx.path.startsWith('/api/')) return json(404, { detail: 'Not Found' });
    const auth = ctx.headers.authorization;
    if (auth === undefined) return unauthorized(graphql, 'Not authenticated');
    if (!safeEqual(auth, `Bearer ${pat}`)) return unauthorized(graphql, 'Invalid or expired token');
    if (graphql) return handleGraphql(ctx);
    return handleRest(state, { ...ctx, path: ctx.path.slice('/api'.length) });
  }

  async function serve(server, req, res) {
    const url = new URL(req.url, 'https://127.0.0.1');
    const { body, tooLarge } = await readBody(req, BODY_LIMIT[server]);
    const ctx = { method: req.method, path: url.pathname, searchParams: url.searchParams, headers: req.headers, body };

    if (server === 'api' && url.pathname.startsWith('/__')) {
      if (!safeEqual(req.headers['x-fake-control-token'] || '', controlToken)) {
        send(res, json(403, { error: 'control token missing or wrong (X-Fake-Control-Token)' }));
        return;
      }
      send(res, handleControl({ state, recorder, faults }, ctx));
      return;
    }

    const record = recorder.add(server, req, url, body);
    const fault = faults.take(server, req.method, url.pathname);
    if (fault) record.fault = { id: fault.id, type: fault.type };
    if (args.verbose) process.stderr.write(`fake_layer: #${record.seq} ${server} ${req.method} ${url.pathname}${fault ? ` [fault ${fault.type}]` : ''}\n`);
    const drop = () => {
      record.status = 'dropped';
      req.socket.destroy();
    };

    let r;
    if (fault && fault.when === 'before') {
      if (fault.type === 'drop') return drop();
      if (fault.type === 'delay') await sleep(fault.delay_ms || 0);
    }
    if (fault && fault.type === 'status' && fault.when === 'before') {
      r = faultResponse(fault);
    } else if (tooLarge) {
      r = server === 'api' ? restError(413, 'PAYLOAD_TOO_LARGE', 'request body too large') : { status: 413, headers: {}, body: 'Payload Too Large' };
    } else {
      r = server === 'api' ? routeApi(ctx) : handleMedia(state, ctx);
    }
    if (fault && fault.when === 'after') {
      if (fault.type === 'drop') return drop();
      if (fault.type === 'delay') await sleep(fault.delay_ms || 0);
      if (fault.type === 'status') r = faultResponse(fault);
    }
    if (fault && fault.type === 'oversize') r = oversize(r, fault.bytes);
    record.status = r.status;
    if (!res.destroyed) send(res, r, { chunked: Boolean(fault && fault.chunked) });
  }

  function makeServer(name) {
    const s = https.createServer(tlsOptions, (req, res) => {
      serve(name, req, res).catch((err) => {
        process.stderr.write(`fake_layer: internal error on ${name} ${req.method} ${req.url}: ${err.stack}\n`);
        if (!res.headersSent) send(res, json(500, { detail: 'Internal Server Error' }));
        else res.destroy();
      });
    });
    s.on('tlsClientError', (err) => {
      if (args.verbose) process.stderr.write(`fake_layer: TLS client error on ${name}: ${err.message}\n`);
    });
    return s;
  }

  const listen = (s, port) => new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s.address().port));
  });
  const api = makeServer('api');
  const media = makeServer('media');
  const port = await listen(api, args.port);
  const mediaPort = await listen(media, args.mediaPort);
  state.mediaBaseUrl = `https://127.0.0.1:${mediaPort}`;

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    for (const s of [api, media]) {
      s.close();
      s.closeAllConnections();
    }
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (args.exitWithStdin) {
    process.stdin.on('end', shutdown);
    process.stdin.on('error', shutdown);
    process.stdin.resume();
  }

  process.stdout.write(`${JSON.stringify({
    ready: true,
    pid: process.pid,
    port,
    media_port: mediaPort,
    base_url: `https://127.0.0.1:${port}/api`,
    graphql_url: `https://127.0.0.1:${port}/graphql`,
    media_base_url: state.mediaBaseUrl,
    ca_file: pki.caFile,
    control_token: controlToken,
  })}\n`);
}

main().catch((err) => fail(err.stack || String(err)));
