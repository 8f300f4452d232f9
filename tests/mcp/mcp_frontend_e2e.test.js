'use strict';
// End to end: the official TypeScript MCP SDK client drives the real
// mcp_frontend binary over stdio, and a raw client feeds it hostile framing.
// Both check that stdout carried nothing but JSON-RPC 2.0 messages.
//
// Environment (set by run_node_test.sh): MCP_FRONTEND_BIN, RECORD_STDOUT.

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport, getDefaultEnvironment } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { McpError, LATEST_PROTOCOL_VERSION } = require('@modelcontextprotocol/sdk/types.js');
const Ajv2020 = require('ajv/dist/2020').default;

const BIN = process.env.MCP_FRONTEND_BIN;
const RECORD = process.env.RECORD_STDOUT;
// A PAT-shaped value that must be ignored, and never echoed anywhere.
const FAKE_PAT = 'pat_e2e_must_never_appear_0123456789';

let work;
let flags;

before(() => {
  assert.ok(BIN && fs.existsSync(BIN), `MCP_FRONTEND_BIN=${BIN}`);
  work = fs.mkdtempSync(path.join(process.env.TEST_TMPDIR || os.tmpdir(), 'mcp-e2e-'));
  fs.mkdirSync(path.join(work, 'inputs'));
  flags = [
    `--asset_root=${path.join(work, 'assets')}`,
    `--input_root=${path.join(work, 'inputs')}`,
    // No vaultd in this test: the frontend must run without one.
    '--vaultd_socket=/tmp/layer-vault-e2e-none/workload.sock',
    '--allowed_media_hosts=127.0.0.1:9,media.app.layer.ai',
    '--confirm_threshold=7.5',
  ];
});

// Every line of `text` must be one JSON-RPC 2.0 message.
function parseTranscript(text) {
  assert.ok(text.endsWith('\n') || text === '', 'stdout ends with a newline');
  const lines = text.split('\n');
  lines.pop();
  return lines.map((line, i) => {
    let message;
    assert.doesNotThrow(() => { message = JSON.parse(line); }, `stdout line ${i + 1} is JSON: ${line.slice(0, 200)}`);
    assert.equal(typeof message, 'object');
    assert.ok(!Array.isArray(message), 'no batches');
    assert.equal(message.jsonrpc, '2.0', `line ${i + 1}: jsonrpc 2.0`);
    const isResponse = 'id' in message && ('result' in message || 'error' in message);
    const isRequestOrNotification = typeof message.method === 'string';
    assert.ok(isResponse !== isRequestOrNotification, `line ${i + 1} is a request, notification or response`);
    return message;
  });
}

test('the official SDK client initializes, lists tools, pings and calls the status tool', async () => {
  const transcript = path.join(work, 'sdk-stdout.jsonl');
  const transport = new StdioClientTransport({
    command: RECORD,
    args: [BIN, ...flags],
    env: { ...getDefaultEnvironment(), MCP_TRANSCRIPT: transcript, LAYER_API_TOKEN: FAKE_PAT },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr.on('data', (d) => { stderr += d; });
  const transportErrors = [];
  const client = new Client({ name: 'layer-vault-e2e', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  client.onerror = (e) => transportErrors.push(e);

  await client.connect(transport);
  assert.equal(client.getServerVersion().name, 'layer-vault');
  assert.equal(client.getServerVersion().title, 'Layer.ai (layer-vault)');
  const caps = client.getServerCapabilities();
  assert.deepEqual(caps.tools, { listChanged: false });
  assert.deepEqual(caps.logging, {});
  assert.equal(caps.resources, undefined);
  const instructions = client.getInstructions();
  for (const word of ['list_workspaces', 'estimate_price', 'generate', 'get_run', '7.5 CU', 'vaultctl unlock']) {
    assert.ok(instructions.includes(word), `instructions mention ${word}`);
  }

  const { tools } = await client.listTools();
  // The self-check first, then the Layer.ai tools (tests/mcp/layer_*.test.js).
  assert.equal(tools[0].name, 'get_frontend_status');
  assert.ok(tools.some((t) => t.name === 'generate'));
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
  for (const tool of tools) {
    assert.ok(tool.description.length > 40, `${tool.name} has a real description`);
    assert.doesNotThrow(() => ajv.compile(tool.inputSchema), `${tool.name} inputSchema compiles`);
    if (tool.outputSchema) {
      assert.doesNotThrow(() => ajv.compile(tool.outputSchema), `${tool.name} outputSchema compiles`);
    }
    assert.equal(typeof tool.annotations.readOnlyHint, 'boolean');
  }

  assert.deepEqual(await client.ping(), {});
  await client.setLoggingLevel('debug');

  // The SDK checks structuredContent against the tool's outputSchema.
  const status = await client.callTool({ name: 'get_frontend_status', arguments: {} });
  assert.equal(status.isError, false);
  const s = status.structuredContent;
  assert.equal(s.server.name, 'layer-vault');
  assert.equal(s.vaultd.reachable, false);
  assert.match(s.vaultd.problem, /not running/);
  assert.equal(s.asset_root.path, path.join(work, 'assets'));
  assert.equal(s.asset_root.exists, false);
  assert.equal(s.confirm_threshold_creative_units, 7.5);
  assert.deepEqual(s.allowed_media_hosts, ['127.0.0.1:9', 'media.app.layer.ai']);
  assert.equal(s.warnings.length, 1);
  assert.match(s.warnings[0], /LAYER_API_TOKEN/);
  assert.equal(status.content[0].type, 'text');

  const invalid = await client.callTool({ name: 'get_frontend_status', arguments: { workspace: 'x' } });
  assert.equal(invalid.isError, true);
  assert.match(invalid.content[0].text, /Invalid arguments/);

  await assert.rejects(
    client.callTool({ name: 'generate_everything', arguments: {} }),
    (e) => e instanceof McpError && e.code === -32602 && /Unknown tool/.test(e.message),
  );

  // Concurrent requests on one connection.
  const many = await Promise.all([
    client.ping(),
    client.listTools(),
    client.callTool({ name: 'get_frontend_status', arguments: {} }),
    client.ping(),
  ]);
  assert.equal(many[2].isError, false);

  await client.close();
  assert.deepEqual(transportErrors, [], 'the SDK never failed to parse stdout');
  assert.equal(fs.readFileSync(`${transcript}.status`, 'utf8').trim(), '0', 'clean exit at end of input');

  const raw = fs.readFileSync(transcript, 'utf8');
  const messages = parseTranscript(raw);
  assert.equal(messages[0].result.protocolVersion, LATEST_PROTOCOL_VERSION);
  assert.ok(!raw.includes(FAKE_PAT) && !raw.includes('pat_'), 'no PAT on stdout');
  assert.match(stderr, /warning: LAYER_API_TOKEN is set/);
  assert.ok(!stderr.includes(FAKE_PAT), 'no PAT on stderr');
});

test('hostile framing is answered on stdout with JSON-RPC errors only', async () => {
  const child = spawn(BIN, flags, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  const out = [];
  let err = '';
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));

  const send = (text) => child.stdin.write(text);
  send(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'tools/list' }) + '\n'); // before initialize
  send(JSON.stringify({
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
  }) + '\n');
  send('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  send('this is not json\n');
  send(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":2,"method":"p'), Buffer.from([0xff, 0xfe]), Buffer.from('ing"}\n')]));
  send('[{"jsonrpc":"2.0","id":3,"method":"ping"}]\n');
  send(`{"jsonrpc":"2.0","id":4,"method":"ping","params":{"pad":"${'x'.repeat(4 * 1024 * 1024)}"}}\n`);
  send('{"jsonrpc":"2.0","id":5,"method":"ping"}\r\n');
  send('{"jsonrpc":"2.0","id":6,"method":"resources/list"}\n');
  send('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"nope"}}\n');
  send('{"jsonrpc":"2.0","id":8,"method":"tools/list"}');  // last line, no newline
  child.stdin.end();

  assert.equal(await exited, 0);
  const messages = parseTranscript(Buffer.concat(out).toString('utf8'));
  const byId = new Map(messages.filter((m) => m.id !== null).map((m) => [m.id, m]));
  const anonymous = messages.filter((m) => m.id === null).map((m) => m.error.code).sort();

  assert.equal(byId.get(0).error.code, -32600, 'refused before initialize');
  assert.equal(byId.get(1).result.protocolVersion, '2024-11-05');
  // garbage and invalid UTF-8: -32700; batch and oversize: -32600; all id null.
  assert.deepEqual(anonymous, [-32700, -32700, -32600, -32600].sort());
  assert.ok(!byId.has(2) && !byId.has(3) && !byId.has(4));
  assert.deepEqual(byId.get(5).result, {});
  assert.equal(byId.get(6).error.code, -32601);
  assert.equal(byId.get(7).error.code, -32602);
  assert.equal(byId.get(8).result.tools[0].name, 'get_frontend_status');
  assert.match(err, /discarded a message of/);
});
