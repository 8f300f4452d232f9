'use strict';
// Shared set-up of the Layer.ai tool end-to-end tests (layer_*.test.js):
// the fake Layer.ai, a real vaultd holding the fake's PAT and relaying to
// it, and the real mcp_frontend binary driven by the official MCP SDK
// client over stdio, its stdout teed to a transcript.
//
// Environment (set by run_node_test.sh): MCP_FRONTEND_BIN, VAULTD_BIN,
// VAULTCTL_BIN, RECORD_STDOUT, OPERATIONS_DIR.

const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport, getDefaultEnvironment } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { ElicitRequestSchema } = require('@modelcontextprotocol/sdk/types.js');
const { startFake } = require('../fake_layer/harness');

const ENV = {};
for (const name of ['MCP_FRONTEND_BIN', 'VAULTD_BIN', 'VAULTCTL_BIN', 'RECORD_STDOUT', 'OPERATIONS_DIR']) {
  ENV[name] = process.env[name];
}

// The fake's fixture ids (tests/fake_layer/lib/state.js).
const IDS = {
  studio: '00000000-0000-4000-8000-000000000001',
  side: '00000000-0000-4000-8000-000000000002',
  imageFast: '00000000-0000-4000-8000-0000000000aa',
  imageHd: '00000000-0000-4000-8000-0000000000ab',
  voice: '00000000-0000-4000-8000-0000000000ad',
  turnaround: '00000000-0000-4000-8000-0000000000e1',
  icons: '00000000-0000-4000-8000-0000000000e2',
};

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Resolves once something accepts connections on the Unix socket `p`.
async function waitForSocket(p, timeoutMs, isDead) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(p);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (isDead()) throw new Error('vaultd exited during start');
    if (Date.now() > deadline) throw new Error(`nothing listens on ${p}`);
    await sleep(50);
  }
}

// A real vaultd in a short /tmp directory (Unix socket paths < 108 bytes):
//   D/state (store with `pat`), D/store.key, D/policy.json (this uid gets
//   every scope, no spend caps), D/w/workload.sock (0750), D/a/admin.sock
//   (0700), D/vaultd.log.
class Vaultd {
  constructor(fake) {
    this.fake = fake;
    this.dir = fs.mkdtempSync('/tmp/lvmcp-');
    fs.chmodSync(this.dir, 0o700);
    fs.mkdirSync(path.join(this.dir, 'w'), { mode: 0o750 });
    fs.mkdirSync(path.join(this.dir, 'a'), { mode: 0o700 });
    this.workloadSocket = path.join(this.dir, 'w', 'workload.sock');
    this.adminSocket = path.join(this.dir, 'a', 'admin.sock');
    this.keySource = `key-file:${path.join(this.dir, 'store.key')}`;
    this.logFile = path.join(this.dir, 'vaultd.log');
    this.proc = null;
    this.vaultctl(['init', '--state-dir', path.join(this.dir, 'state'), '--key-source', this.keySource]);
    this.vaultctl(['set-token', '--state-dir', path.join(this.dir, 'state'), '--key-source', this.keySource],
      `${fake.pat}\n`);
    const policy = {
      version: 1,
      global: {
        rate_limit: { requests_per_second: 1000, burst: 1000 },
        budget: { creative_units_per_period: 0, max_creative_units_per_run: 0 },
      },
      rules: [{ name: 'e2e', match: { uids: [process.getuid()] }, scopes: ['layer:read', 'layer:generate', 'layer:upload'] }],
    };
    fs.writeFileSync(path.join(this.dir, 'policy.json'), JSON.stringify(policy), { mode: 0o600 });
  }

  vaultctl(args, input) {
    const r = spawnSync(ENV.VAULTCTL_BIN, args, { input: input ?? '', encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, `vaultctl ${args[0]} failed (${r.status}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  async start() {
    assert.equal(this.proc, null, 'vaultd already runs');
    const log = fs.openSync(this.logFile, 'a');
    const env = { ...process.env };
    delete env.NOTIFY_SOCKET;
    this.proc = spawn(ENV.VAULTD_BIN, [
      `--state_dir=${path.join(this.dir, 'state')}`,
      `--key_source=${this.keySource}`,
      `--workload_socket=${this.workloadSocket}`,
      `--admin_socket=${this.adminSocket}`,
      `--policy_file=${path.join(this.dir, 'policy.json')}`,
      `--operations_dir=${ENV.OPERATIONS_DIR}`,
      `--layer_api_base=${this.fake.baseUrl}`,
      `--layer_graphql_url=${this.fake.graphqlUrl}`,
      `--ca_bundle=${this.fake.ready.ca_file}`,
    ], { stdio: ['ignore', log, log], env });
    fs.closeSync(log);
    const proc = this.proc;
    let exited = false;
    proc.once('exit', () => { exited = true; });
    try {
      await waitForSocket(this.workloadSocket, 60000, () => exited);
      await waitForSocket(this.adminSocket, 60000, () => exited);
    } catch (e) {
      throw new Error(`${e.message}; vaultd log:\n${this.log()}`);
    }
  }

  async stop() {
    const proc = this.proc;
    if (proc === null) return;
    this.proc = null;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }

  lock() { this.vaultctl(['lock', '--admin-socket', this.adminSocket]); }
  unlock() { this.vaultctl(['unlock', '--admin-socket', this.adminSocket]); }
  log() { try { return fs.readFileSync(this.logFile, 'utf8'); } catch { return ''; } }

  async cleanup() {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// One mcp_frontend process with an SDK client. Records every message both
// ways (the transcript of its stdout, and what the client sent) and its
// stderr, for the leak and hygiene checks.
class Frontend {
  constructor({ client, transport, transcript, work }) {
    this.client = client;
    this.transport = transport;
    this.transcript = transcript;
    this.work = work;
    this.stderr = '';
    this.sent = [];
    this.errors = [];
    this.elicitations = [];
  }

  call(name, args, options) {
    return this.client.callTool({ name, arguments: args }, undefined, { timeout: 120000, ...options });
  }

  async close() {
    await this.client.close();
    // record_stdout.sh writes the binary's exit status when it ends.
    const status = `${this.transcript}.status`;
    for (let i = 0; i < 200 && !fs.existsSync(status); i++) await sleep(25);
  }

  transcriptLines() {
    const text = fs.readFileSync(this.transcript, 'utf8');
    assert.ok(text === '' || text.endsWith('\n'), 'stdout ends with a newline');
    return text.split('\n').filter((l) => l !== '');
  }

  exitStatus() {
    return fs.readFileSync(`${this.transcript}.status`, 'utf8').trim();
  }
}

// The test world: the fake, vaultd, work directories (assets, inputs).
class World {
  static async create({ fakeArgs = [] } = {}) {
    for (const [k, v] of Object.entries(ENV)) assert.ok(v && fs.existsSync(v), `${k}=${v}`);
    const w = new World();
    w.work = fs.mkdtempSync(path.join(process.env.TEST_TMPDIR || os.tmpdir(), 'layer-e2e-'));
    w.assets = path.join(w.work, 'assets');
    w.inputs = path.join(w.work, 'inputs');
    fs.mkdirSync(w.inputs);
    w.fake = await startFake({ args: ['--poll-interval-seconds', '0.05', ...fakeArgs] });
    w.vaultd = new Vaultd(w.fake);
    await w.vaultd.start();
    w.frontends = [];
    return w;
  }

  // Starts the frontend. `elicit`: an elicitation handler (the client then
  // declares the capability); `flags`: extra or overriding flags.
  async connect({ elicit, flags = [], env = {} } = {}) {
    const n = this.frontends.length;
    const transcript = path.join(this.work, `stdout-${n}.jsonl`);
    const args = [
      ENV.MCP_FRONTEND_BIN,
      `--vaultd_socket=${this.vaultd.workloadSocket}`,
      `--asset_root=${this.assets}`,
      `--input_root=${this.inputs}`,
      `--allowed_media_hosts=127.0.0.1:${this.fake.ready.media_port}`,
      `--ca_bundle=${this.fake.ready.ca_file}`,
      `--default_workspace=${IDS.studio}`,
      ...flags,
    ];
    const transport = new StdioClientTransport({
      command: ENV.RECORD_STDOUT,
      args,
      env: { ...getDefaultEnvironment(), MCP_TRANSCRIPT: transcript, ...env },
      stderr: 'pipe',
    });
    const capabilities = elicit ? { elicitation: {} } : {};
    const client = new Client({ name: 'layer-e2e', version: '1.0.0' }, { capabilities });
    const f = new Frontend({ client, transport, transcript, work: this.work });
    transport.stderr.on('data', (d) => { f.stderr += d; });
    client.onerror = (e) => f.errors.push(e);
    if (elicit) {
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        f.elicitations.push(request.params);
        return elicit(request.params);
      });
    }
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      f.sent.push(message);
      return send(message, options);
    };
    await client.connect(transport);
    this.frontends.push(f);
    return f;
  }

  // Checks that hold for every run: stdout held only JSON-RPC 2.0, the SDK
  // never failed to parse it, the PAT never appeared in any MCP message
  // (either way), on stderr or anywhere but its header at the fake.
  async checkHygiene() {
    for (const f of this.frontends) {
      const lines = f.transcriptLines();
      const messages = lines.map((line, i) => {
        let m;
        assert.doesNotThrow(() => { m = JSON.parse(line); }, `stdout line ${i + 1} is JSON`);
        assert.equal(m.jsonrpc, '2.0', `stdout line ${i + 1} is JSON-RPC 2.0`);
        assert.ok(!Array.isArray(m));
        assert.ok(!line.includes(this.fake.pat), 'the PAT is not in an MCP message');
        return m;
      });
      // Every progress notification precedes its request's response.
      const answered = new Map();
      messages.forEach((m, i) => { if ('id' in m && ('result' in m || 'error' in m)) answered.set(m.id, i); });
      messages.forEach((m, i) => {
        if (m.method !== 'notifications/progress' || !answered.has(m.params.progressToken)) return;
        assert.ok(i < answered.get(m.params.progressToken), 'progress is sent before the response');
      });
      // The SDK (1.32) handles notifications a microtask later than
      // responses, so a progress notification read in the same chunk as its
      // response is reported as "unknown token" although the server sent it
      // first (typescript-sdk issue #2580). Only those are tolerated.
      const cancelled = new Set(f.sent.filter((m) => m.method === 'notifications/cancelled').map((m) => m.params.requestId));
      const unexpected = f.errors.filter((e) => {
        const late = /^Received a progress notification for an unknown token: (.*)$/s.exec(String(e.message));
        if (!late) return true;
        const token = JSON.parse(late[1]).params.progressToken;
        return !answered.has(token) && !cancelled.has(token);
      });
      assert.deepEqual(unexpected, [], 'the SDK never failed to parse stdout');
      assert.ok(!JSON.stringify(f.sent).includes(this.fake.pat));
      assert.ok(!f.stderr.includes(this.fake.pat), 'the PAT is not on stderr');
    }
    const recorded = await this.fake.requests();
    assert.deepEqual(recorded.pat_leaks, [], 'the fake saw the PAT only in its Authorization header');
    for (const r of recorded.requests.filter((q) => q.server === 'media')) {
      assert.ok(!Object.keys(r.headers).includes('authorization'), 'no credential goes to the media host');
    }
  }

  async cleanup() {
    for (const f of this.frontends) {
      try { await f.client.close(); } catch { /* already closed */ }
    }
    if (this.vaultd) await this.vaultd.cleanup();
    if (this.fake) await this.fake.stop();
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}

// The bytes the fake serves at `url` (its media port).
async function fetchMedia(fake, url) {
  const r = await fake.request({ url });
  assert.equal(r.status, 200, `GET ${url}`);
  return r.body;
}

// The requests the fake's API port got for `pathPart`, by method.
async function apiRequests(fake, method, pathPart) {
  const { requests } = await fake.requests({ server: 'api' });
  return requests.filter((r) => r.method === method && r.path.includes(pathPart));
}

module.exports = { World, IDS, ENV, sleep, fetchMedia, apiRequests };
