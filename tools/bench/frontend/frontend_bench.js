'use strict';
// mcp_frontend benchmark (issue 6): time from spawn to the initialize answer,
// tools/list round trip, a no-I/O tool call round trip (the frontend's own
// overhead per call), get_usage through frontend -> vaultd -> fake Layer.ai,
// and idle RSS; each beside the same figures for a minimal stdio server on
// the official TypeScript SDK, measured in the same run.
// Run: bazel run //tools/bench:frontend_bench
// Besides the table, the figures are printed once more on a line
// "BENCH bench=frontend key=value ..." for tools/bench/run.sh.

const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport, getDefaultEnvironment } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { ListToolsResultSchema } = require('@modelcontextprotocol/sdk/types.js');

const { VAULTD_BIN, VAULTCTL_BIN, MCP_FRONTEND_BIN, OPERATIONS_DIR, FAKE_LAYER_JS } = process.env;
const MINIMAL = path.join(__dirname, 'minimal_sdk_server.js');
const N_INIT = 15;
const N_CALLS = 400;
const N_USAGE = 150;

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

async function connect(command, args) {
  const transport = new StdioClientTransport({
    command, args, env: { ...getDefaultEnvironment(), NODE_PATH: process.env.NODE_PATH || '' }, stderr: 'ignore' });
  const client = new Client({ name: 'bench', version: '1.0.0' }, { capabilities: {} });
  const t = nowMs();
  await client.connect(transport);
  return { client, transport, initMs: nowMs() - t };
}

async function measure(label, command, args, noIoCall, usageCall) {
  const inits = [];
  for (let i = 0; i < N_INIT; i++) {
    const { client, initMs } = await connect(command, args);
    inits.push(initMs);
    await client.close();
  }
  const { client, transport } = await connect(command, args);
  const list = [];
  for (let i = 0; i < N_CALLS; i++) {
    const t = nowMs();
    // A raw request: Client.listTools() also compiles every output schema
    // on the client side, which is not the server's cost.
    await client.request({ method: 'tools/list', params: {} }, ListToolsResultSchema);
    list.push(nowMs() - t);
  }
  const call = [];
  for (let i = 0; i < N_CALLS; i++) {
    const t = nowMs();
    const r = await client.callTool(noIoCall);
    if (r.isError) throw new Error(`${label}: ${JSON.stringify(r.content)}`);
    call.push(nowMs() - t);
  }
  const usage = [];
  if (usageCall) {
    for (let i = 0; i < N_USAGE; i++) {
      const t = nowMs();
      const r = await client.callTool(usageCall);
      if (r.isError) throw new Error(`${label}: ${JSON.stringify(r.content)}`);
      usage.push(nowMs() - t);
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  const rss = rssKiB(transport.pid);
  await client.close();
  return { label, inits, list, call, usage, rss };
}

async function main() {
  const work = fs.mkdtempSync('/tmp/lvbench-');
  const children = [];
  try {
    for (const d of ['keys', 'w', 'a', 'tls']) fs.mkdirSync(path.join(work, d), { mode: d === 'w' ? 0o750 : 0o700 });
    const pat = `pat_BENCHONLY${crypto.randomBytes(20).toString('hex')}`;
    const fake = spawn(process.execPath, [FAKE_LAYER_JS, '--tls-dir', path.join(work, 'tls'), '--exit-with-stdin'],
      { env: { ...process.env, FAKE_LAYER_PAT: pat }, stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(fake);
    const ready = JSON.parse(await new Promise((res) => readline.createInterface({ input: fake.stdout }).once('line', res)));
    const state = path.join(work, 'state');
    const key = `key-file:${path.join(work, 'keys', 'k')}`;
    for (const [args, input] of [[['init', '--state-dir', state, '--key-source', key]], [['set-token', '--state-dir', state, '--key-source', key], pat]]) {
      const r = spawnSync(VAULTCTL_BIN, args, { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
    }
    const policy = path.join(work, 'policy.json');
    fs.writeFileSync(policy, JSON.stringify({ version: 1, global: { rate_limit: { requests_per_second: 10000, burst: 10000 } },
      rules: [{ name: 'bench', match: { uids: [process.getuid()] }, scopes: ['layer:read', 'layer:generate', 'layer:upload'] }] }), { mode: 0o600 });
    const workload = path.join(work, 'w', 'workload.sock');
    const vaultd = spawn(VAULTD_BIN, [`--state_dir=${state}`, `--key_source=${key}`, `--workload_socket=${workload}`,
      `--admin_socket=${path.join(work, 'a', 'admin.sock')}`, `--policy_file=${policy}`, `--operations_dir=${OPERATIONS_DIR}`,
      `--layer_api_base=${ready.base_url}`, `--layer_graphql_url=${ready.graphql_url}`, `--ca_bundle=${ready.ca_file}`,
      `--audit_log=${path.join(work, 'audit.jsonl')}`], { stdio: 'ignore' });
    children.push(vaultd);
    for (let i = 0; i < 200 && !fs.existsSync(workload); i++) await new Promise((r) => setTimeout(r, 25));
    if (!fs.existsSync(workload)) throw new Error(`vaultd did not start (exit ${vaultd.exitCode})`);

    const ws = '00000000-0000-4000-8000-000000000001';
    const frontend = await measure('mcp_frontend (C++)', MCP_FRONTEND_BIN,
      [`--vaultd_socket=${workload}`, `--asset_root=${path.join(work, 'assets')}`, `--input_root=${work}`,
        `--default_workspace=${ws}`],
      { name: 'get_frontend_status', arguments: {} }, { name: 'get_usage', arguments: { workspace_id: ws } });
    const minimal = await measure('minimal TS SDK server', process.execPath, [MINIMAL],
      { name: 'echo', arguments: { text: 'x' } }, null);

    const f = (x) => x.toFixed(2).padStart(8);
    const row = (r, what, xs) => `${r.label.padEnd(24)} ${what.padEnd(28)} ${f(quantile(xs, 0.5))} ${f(quantile(xs, 0.99))}`;
    console.log(`${''.padEnd(24)} ${'round trip (ms)'.padEnd(28)} ${'p50'.padStart(8)} ${'p99'.padStart(8)}`);
    for (const r of [frontend, minimal]) {
      console.log(row(r, 'spawn -> initialize answer', r.inits));
      console.log(row(r, 'tools/list', r.list));
      console.log(row(r, 'tools/call, no I/O', r.call));
      if (r.usage.length) console.log(row(r, 'get_usage (-> vaultd -> fake)', r.usage));
      console.log(`${r.label.padEnd(24)} idle RSS ${(r.rss / 1024).toFixed(1)} MiB`);
    }
    const ratio = (a, b) => (quantile(a, 0.5) / quantile(b, 0.5)).toFixed(2);
    console.log(`\nratios (frontend / SDK server, p50): initialize ${ratio(frontend.inits, minimal.inits)}, tools/list ${ratio(frontend.list, minimal.list)}, tool call ${ratio(frontend.call, minimal.call)}, RSS ${(frontend.rss / minimal.rss).toFixed(2)}`);
    console.log(`targets: initialize within 50 ms of start: ${quantile(frontend.inits, 0.5) < 50 ? 'met' : 'MISSED'} (p50 ${quantile(frontend.inits, 0.5).toFixed(1)} ms); ` +
      `idle RSS under 20 MiB: ${frontend.rss < 20 * 1024 ? 'met' : 'MISSED'}; own overhead per tool call under 1 ms p50: ${quantile(frontend.call, 0.5) < 1 ? 'met' : 'MISSED'}`);
    const q = (xs, p) => quantile(xs, p).toFixed(3);
    console.log(['BENCH bench=frontend',
      `init_ms_p50=${q(frontend.inits, 0.5)}`, `init_ms_p99=${q(frontend.inits, 0.99)}`,
      `list_ms_p50=${q(frontend.list, 0.5)}`, `list_ms_p99=${q(frontend.list, 0.99)}`,
      `call_ms_p50=${q(frontend.call, 0.5)}`, `call_ms_p99=${q(frontend.call, 0.99)}`,
      `usage_ms_p50=${q(frontend.usage, 0.5)}`, `usage_ms_p99=${q(frontend.usage, 0.99)}`,
      `idle_rss_kib=${frontend.rss}`,
      `sdk_init_ms_p50=${q(minimal.inits, 0.5)}`, `sdk_call_ms_p50=${q(minimal.call, 0.5)}`,
      `sdk_call_ms_p99=${q(minimal.call, 0.99)}`, `sdk_idle_rss_kib=${minimal.rss}`].join(' '));
  } finally {
    for (const c of children) { try { c.kill('SIGTERM'); } catch (_) { /* gone */ } }
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(`frontend_bench: ${e.message}`); process.exit(1); });
