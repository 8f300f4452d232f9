'use strict';
// layer-vault end-to-end demo, on built-in defaults and with no Layer.ai
// account: the local fake of Layer.ai (HTTPS, throw-away test CA), a real
// vaultd holding a generated, obviously fake PAT in an encrypted store, and
// the real mcp_frontend driven by the official MCP TypeScript SDK client.
// It generates an image, saves the PNG, prints a summary, then stops every
// process and removes every temporary file.
//
// Run it with `bazel run //tools:demo` (tools/demo.sh sets up first).
// Environment (set by the Bazel wrapper): VAULTD_BIN, VAULTCTL_BIN,
// MCP_FRONTEND_BIN, OPERATIONS_DIR, FAKE_LAYER_JS. DEMO_KEEP_ASSETS=DIR
// copies the generated files there before clean-up (default: ./demo-output
// in the workspace).

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport, getDefaultEnvironment } = require('@modelcontextprotocol/sdk/client/stdio.js');

const env = (name) => {
  const v = process.env[name];
  if (!v || !fs.existsSync(v)) throw new Error(`${name} is not set or missing (${v}); run: bazel run //tools:demo`);
  return v;
};

const t0 = Date.now();
const ms = () => `${((Date.now() - t0) / 1000).toFixed(2)} s`;
const say = (line) => process.stdout.write(`[${ms()}] ${line}\n`);

const children = [];
let work = null;

function cleanup() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try { c.kill('SIGTERM'); } catch (_) { /* gone */ }
    }
  }
  if (work) {
    fs.rmSync(work, { recursive: true, force: true });
    work = null;
  }
}

function waitForLine(child, what, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs} ms`)), timeoutMs);
    const rl = readline.createInterface({ input: child.stdout });
    rl.once('line', (line) => { clearTimeout(timer); rl.close(); resolve(line); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited with ${code}`)); });
  });
}

async function waitForSocket(p, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vaultd exited with ${child.exitCode}`);
    try { if (fs.statSync(p).isSocket()) return; } catch (_) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`vaultd did not create ${p} within ${timeoutMs} ms`);
}

function run(bin, args, input) {
  const r = spawnSync(bin, args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} ${args[0]} failed (${r.status}): ${r.stderr}`);
  return r;
}

// Searches a live process's memory for `needle` (root, or a descendant
// process that is still dumpable). Returns true/false, or null if the
// memory could not be read.
function memoryHolds(pid, needle) {
  let maps;
  try { maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8'); } catch (_) { return null; }
  let fd;
  try { fd = fs.openSync(`/proc/${pid}/mem`, 'r'); } catch (_) { return null; }
  const pattern = Buffer.from(needle);
  let readAny = false;
  try {
    for (const line of maps.split('\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) (r)/.exec(line);
      if (!m || line.includes('[vvar]') || line.includes('[vsyscall]')) continue;
      const start = BigInt(`0x${m[1]}`);
      const end = BigInt(`0x${m[2]}`);
      const size = Number(end - start);
      if (size > 256 * 1024 * 1024) continue;
      const buf = Buffer.alloc(size);
      try {
        fs.readSync(fd, buf, 0, size, start);
        readAny = true;
      } catch (_) { continue; }
      if (buf.indexOf(pattern) !== -1) return true;
    }
  } finally { fs.closeSync(fd); }
  return readAny ? false : null;
}

async function main() {
  const VAULTD = env('VAULTD_BIN');
  const VAULTCTL = env('VAULTCTL_BIN');
  const FRONTEND = env('MCP_FRONTEND_BIN');
  const OPERATIONS = env('OPERATIONS_DIR');
  const FAKE = env('FAKE_LAYER_JS');

  work = fs.mkdtempSync('/tmp/lvdemo-');
  fs.chmodSync(work, 0o700);
  for (const d of ['keys', 'w', 'a', 'tls', 'project']) fs.mkdirSync(path.join(work, d), { mode: 0o700 });
  fs.chmodSync(path.join(work, 'w'), 0o750);

  // An obviously fake PAT, generated for this run only.
  const pat = `pat_DEMOONLY${crypto.randomBytes(24).toString('hex')}`;
  const uid = process.getuid();

  say('starting the fake Layer.ai (HTTPS on 127.0.0.1, throw-away test CA)');
  const fake = spawn(process.execPath, [FAKE, '--tls-dir', path.join(work, 'tls'), '--exit-with-stdin',
    '--poll-interval-seconds', '0.3', '--polls-to-complete', '3'], {
    env: { ...process.env, FAKE_LAYER_PAT: pat }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(fake);
  const ready = JSON.parse(await waitForLine(fake, 'the fake Layer.ai', 20000));

  say('vaultctl init: encrypted store (AES-256-GCM) with a 32-byte key file');
  const state = path.join(work, 'state');
  const keyFile = path.join(work, 'keys', 'store.key');
  run(VAULTCTL, ['init', '--state-dir', state, '--key-source', `key-file:${keyFile}`]);
  say('vaultctl set-token: the PAT goes in through a pipe, never argv or env');
  run(VAULTCTL, ['set-token', '--state-dir', state, '--key-source', `key-file:${keyFile}`], pat);

  const policy = path.join(work, 'policy.json');
  fs.writeFileSync(policy, JSON.stringify({
    version: 1,
    global: { budget: { period: 'day', creative_units_per_period: 50, max_creative_units_per_run: 10 } },
    rules: [{ name: 'demo-user', match: { uids: [uid] }, scopes: ['layer:read', 'layer:generate', 'layer:upload'] }],
  }), { mode: 0o600 });

  say('starting vaultd (attests callers, issues 5-minute tokens, relays with the PAT attached)');
  const workload = path.join(work, 'w', 'workload.sock');
  const admin = path.join(work, 'a', 'admin.sock');
  const vaultdLog = path.join(work, 'vaultd.log');
  const vaultdOut = fs.openSync(vaultdLog, 'w', 0o600);
  const vaultd = spawn(VAULTD, [
    `--state_dir=${state}`, `--key_source=key-file:${keyFile}`,
    `--workload_socket=${workload}`, `--admin_socket=${admin}`, `--policy_file=${policy}`,
    `--operations_dir=${OPERATIONS}`, `--layer_api_base=${ready.base_url}`,
    `--layer_graphql_url=${ready.graphql_url}`, `--ca_bundle=${ready.ca_file}`,
  ], { stdio: ['ignore', vaultdOut, vaultdOut] });
  children.push(vaultd);
  await waitForSocket(workload, vaultd, 10000);

  say('launching mcp_frontend under the official MCP client (its environment has no PAT)');
  const assets = path.join(work, 'project', 'assets');
  const transcript = [];
  const frontendEnv = getDefaultEnvironment();
  const transport = new StdioClientTransport({
    command: FRONTEND,
    args: [`--vaultd_socket=${workload}`, `--asset_root=${assets}`, `--input_root=${path.join(work, 'project')}`,
      `--allowed_media_hosts=127.0.0.1:${ready.media_port}`, `--ca_bundle=${ready.ca_file}`],
    env: frontendEnv,
    stderr: 'pipe',
  });
  let frontendStderr = '';
  transport.stderr.on('data', (d) => { frontendStderr += d; });
  const client = new Client({ name: 'layer-vault-demo', version: '1.0.0' }, { capabilities: {} });
  // Record every message in both directions, from the first one on.
  const origSend = transport.send.bind(transport);
  transport.send = (m) => { transcript.push(JSON.stringify(m)); return origSend(m); };
  let onmessage = null;
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    set(fn) { onmessage = fn; },
    get() { return onmessage && ((m) => { transcript.push(JSON.stringify(m)); onmessage(m); }); },
  });
  await client.connect(transport);
  const server = client.getServerVersion();
  const init = transcript.map((m) => JSON.parse(m)).find((m) => m.result && m.result.protocolVersion);
  say(`MCP session: ${server.name} ${server.version}, protocol ${init ? init.result.protocolVersion : '?'}`);

  const tools = (await client.listTools()).tools.map((t) => t.name);
  say(`tools: ${tools.join(', ')}`);

  const call = async (name, args, extra) => {
    const started = Date.now();
    const r = await client.callTool({ name, arguments: args }, undefined, extra);
    if (r.isError) throw new Error(`${name} failed: ${r.content.map((c) => c.text).join(' ')}`);
    say(`${name}: ${Date.now() - started} ms`);
    return r;
  };

  const ws = (await call('list_workspaces', {})).structuredContent;
  const workspace = (ws.workspaces || [])[0];
  if (!workspace) throw new Error('no workspace listed');
  say(`workspace "${workspace.name}" (${workspace.workspace_id}), balance ${workspace.balance_creative_units ?? workspace.balance} CU`);

  const models = (await call('list_models', { workspace_id: workspace.workspace_id })).structuredContent.models || [];
  const model = models.find((m) => m.modality === 'image' || m.type === 'image') || models[0];
  if (!model) throw new Error('no model listed');
  say(`model "${model.name}" (${model.model_id})`);

  const prompt = 'a small potion bottle, game asset, isometric, clean background';
  const estimate = (await call('estimate_price', { workspace_id: workspace.workspace_id, model_id: model.model_id, prompt, batch_size: 1 })).structuredContent;
  say(`estimated price: ${JSON.stringify(estimate.price_creative_units ?? estimate.price ?? estimate)}`);

  say('generate: estimate, execute, poll with progress, download into the asset root');
  let lastProgress = -1;
  const generated = await call('generate', {
    workspace_id: workspace.workspace_id, model_id: model.model_id, prompt, batch_size: 1,
  }, {
    onprogress: (p) => {
      if (p.progress > lastProgress) {
        lastProgress = p.progress;
        say(`  progress ${p.progress}${p.total ? `/${p.total}` : ''}${p.message ? `: ${p.message}` : ''}`);
      }
    },
    timeout: 120000,
  });
  const g = generated.structuredContent;
  const files = (g.files || g.outputs || []).filter((f) => f.saved_path || f.path);
  if (files.length === 0) throw new Error(`generate saved no file: ${JSON.stringify(g)}`);
  const saved = files.map((f) => path.resolve(assets, f.saved_path || f.path));
  for (const f of saved) {
    const head = fs.readFileSync(f).subarray(0, 8);
    if (!head.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error(`${f} is not a PNG`);
  }
  const images = generated.content.filter((c) => c.type === 'image').length;

  // What the agent's side held: environment, memory, messages.
  const frontendPid = transport.pid;
  let environHeld = null;
  try { environHeld = fs.readFileSync(`/proc/${frontendPid}/environ`).includes(Buffer.from(pat)); } catch (_) { /* not permitted */ }
  // Control: the scan must find what the frontend does hold (its socket
  // path), or it proves nothing.
  const memoryReadable = memoryHolds(frontendPid, workload) === true;
  const memoryHeld = memoryReadable ? memoryHolds(frontendPid, pat) : null;
  const messagesHeld = transcript.some((m) => m.includes(pat)) || frontendStderr.includes(pat);
  const status = JSON.parse(run(VAULTCTL, ['status', '--admin-socket', admin, '--json']).stdout);

  await client.close();
  vaultd.kill('SIGTERM');
  await new Promise((r) => (vaultd.exitCode !== null ? r() : vaultd.once('exit', r)));
  const vaultdLogText = fs.readFileSync(vaultdLog, 'utf8');
  const leaks = JSON.parse(spawnSync('curl', ['-s', '--cacert', ready.ca_file, '-H', `X-Fake-Control-Token: ${ready.control_token}`,
    `https://127.0.0.1:${ready.port}/__requests`], { encoding: 'utf8' }).stdout || '{}').pat_leaks;

  // The generated files are the product: keep a copy outside the temp dir.
  const keep = process.env.DEMO_KEEP_ASSETS ||
    path.join(process.env.BUILD_WORKSPACE_DIRECTORY || process.cwd(), 'demo-output');
  fs.mkdirSync(keep, { recursive: true });
  const kept = saved.map((f) => {
    const dest = path.join(keep, path.basename(f));
    fs.copyFileSync(f, dest);
    return dest;
  });

  const yesNo = (v) => (v === null ? 'not checked (no permission to read it)' : v ? 'YES (leak!)' : 'no');
  const lines = [
    '',
    '=== layer-vault demo summary ===',
    `called: list_workspaces, list_models, estimate_price, generate (${tools.length} tools offered)`,
    `run: ${g.run_id || g.inference_id || ''} status ${g.status}, charged ${g.creative_units_charged ?? g.charged_creative_units ?? '?'} CU`,
    `saved by the frontend into its asset root: ${saved.map((f) => `${path.relative(work, f)} (${fs.statSync(f).size} bytes, PNG)`).join(', ')}${images ? `; ${images} image(s) also returned to the model` : ''}`,
    `kept: ${kept.join(', ')}`,
    `tokens: vaultd issued ${status.tokens_issued ?? status.tokens?.issued ?? '?'} token(s), each valid 300 s and bound to the frontend's process`,
    `PAT in the frontend's environment: ${yesNo(environHeld)}`,
    `PAT in the frontend's memory:      ${yesNo(memoryHeld)}`,
    `PAT in any MCP message or log:     ${yesNo(messagesHeld || vaultdLogText.includes(pat))}`,
    `PAT sent to Layer.ai outside the Authorization header: ${Array.isArray(leaks) ? (leaks.length ? 'YES' : 'no') : 'not checked'}`,
    `total time: ${ms()}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const failed = environHeld === true || memoryHeld === true || messagesHeld || vaultdLogText.includes(pat) ||
    (Array.isArray(leaks) && leaks.length > 0);
  return failed ? 1 : 0;
}

process.on('SIGINT', () => { cleanup(); process.exit(130); });
main().then((code) => {
  cleanup();
  process.stdout.write(code === 0 ? 'demo: OK (every process stopped, temporary files removed)\n' : 'demo: FAILED\n');
  process.exit(code);
}, (err) => {
  process.stderr.write(`demo: FAILED: ${err.message}\n`);
  if (work && fs.existsSync(path.join(work, 'vaultd.log'))) {
    process.stderr.write(`vaultd's log:\n${fs.readFileSync(path.join(work, 'vaultd.log'), 'utf8')}`);
  }
  cleanup();
  process.exit(1);
});
