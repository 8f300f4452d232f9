'use strict';
// The fake's control API: fault injection, request recording, PAT-leak
// detection, reset, and the control token.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { startFake } = require('../harness');
const { IDS } = require('../lib/state');

const WS = IDS.workspaces.studio;
let fake;

before(async () => { fake = await startFake(); });
after(async () => { await fake.stop(); });
beforeEach(async () => { await fake.reset(); });

test('control endpoints need the control token and are not recorded', async () => {
  for (const p of ['/__control', '/__requests', '/__reset']) {
    const r = await fake.request({ method: p === '/__requests' ? 'GET' : 'POST', url: `https://127.0.0.1:${fake.ready.port}${p}`, body: p === '/__control' ? { action: 'get_state' } : undefined });
    assert.equal(r.status, 403, p);
  }
  const wrong = await fake.request({ method: 'POST', url: `https://127.0.0.1:${fake.ready.port}/__reset`, headers: { 'x-fake-control-token': 'f'.repeat(32) } });
  assert.equal(wrong.status, 403);
  await fake.control({ action: 'get_state' });
  assert.deepEqual((await fake.requests()).requests, []);
});

test('429 with Retry-After for the next N requests, then normal answers', async () => {
  const { fault } = await fake.control({ action: 'inject_fault', type: 'status', status: 429, retry_after: 7, count: 2, path: '/api/v1/workspaces' });
  assert.equal(fault.count, 2);
  for (let i = 0; i < 2; i++) {
    const r = await fake.api('GET', '/v1/workspaces');
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '7');
    assert.equal(r.json().code, 'RATE_LIMITED');
  }
  assert.equal((await fake.api('GET', '/v1/workspaces')).status, 200);
  const recs = (await fake.requests()).requests;
  assert.deepEqual(recs.map((r) => [r.status, r.fault && r.fault.type]), [[429, 'status'], [429, 'status'], [200, null]]);
});

test('a status fault matches only its path, method and server', async () => {
  await fake.control({ action: 'inject_fault', type: 'status', status: 503, method: 'POST', path_prefix: '/api/v1/workspaces/' });
  assert.equal((await fake.api('GET', `/v1/workspaces/${WS}`)).status, 200, 'GET does not match');
  assert.equal((await fake.api('GET', '/v1/workspaces')).status, 200);
  const r = await fake.api('POST', `/v1/workspaces/${WS}/inferences/estimate`, { model_id: IDS.models.imageFast });
  assert.equal(r.status, 503);
  assert.equal(r.json().code, 'INTERNAL_SERVER_ERROR');
  // The faulted execute had no effect on state; the next one succeeds.
  await fake.control({ action: 'inject_fault', type: 'status', status: 502, body: '<html>bad gateway</html>', content_type: 'text/html', server: 'any' });
  const html = await fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IDS.models.imageFast });
  assert.equal(html.status, 502);
  assert.equal(html.headers['content-type'], 'text/html');
  assert.equal((await fake.control({ action: 'get_state' })).state.runs.length, 0);
});

test('a status fault "after" lets the request take effect, then answers the error', async () => {
  await fake.control({ action: 'inject_fault', type: 'status', status: 500, when: 'after', method: 'POST' });
  const r = await fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IDS.models.imageFast, batch_size: 1 });
  assert.equal(r.status, 500);
  const { state } = await fake.control({ action: 'get_state' });
  assert.equal(state.runs.length, 1, 'the run exists although the client saw 500');
  assert.equal(state.workspaces[0].reserved_creative_units, 0.2);
});

test('slow responses: delay before answering', async () => {
  await fake.control({ action: 'inject_fault', type: 'delay', delay_ms: 600 });
  const t0 = Date.now();
  const r = await fake.api('GET', '/v1/workspaces');
  assert.equal(r.status, 200);
  assert.ok(Date.now() - t0 >= 550, `took ${Date.now() - t0} ms`);
  await fake.control({ action: 'inject_fault', type: 'delay', delay_ms: 5000 });
  await assert.rejects(fake.api('GET', '/v1/workspaces', undefined, { timeoutMs: 300 }), /timed out/);
});

test('oversized responses: JSON stays valid and grows past the requested size', async () => {
  await fake.control({ action: 'inject_fault', type: 'oversize', bytes: 3 * 1024 * 1024 });
  const r = await fake.api('GET', `/v1/workspaces/${WS}`);
  assert.equal(r.status, 200);
  assert.ok(r.body.length >= 3 * 1024 * 1024);
  assert.equal(Number(r.headers['content-length']), r.body.length);
  assert.equal(r.json().workspace_id, WS);

  // On the media host, chunked (no Content-Length), so a client must count.
  const run = (await fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IDS.models.imageFast, batch_size: 1 })).json();
  await fake.control({ action: 'set_config', polls_to_complete: 1 });
  const done = (await fake.api('GET', `/v1/workspaces/${WS}/inferences/${run.inference_id}`)).json();
  await fake.control({ action: 'inject_fault', type: 'oversize', server: 'media', bytes: 1024 * 1024, chunked: true });
  const big = await fake.request({ url: done.outputs[0].url });
  assert.equal(big.headers['content-length'], undefined);
  assert.equal(big.headers['transfer-encoding'], 'chunked');
  assert.ok(big.body.length >= 1024 * 1024);
});

test('dropped connections, before or after the request took effect', async () => {
  await fake.control({ action: 'inject_fault', type: 'drop' });
  await assert.rejects(fake.api('GET', '/v1/workspaces'), (e) => /socket hang up|ECONNRESET|EOF/i.test(e.message));
  await fake.control({ action: 'inject_fault', type: 'drop', when: 'after', path: `/api/v1/workspaces/${WS}/inferences` });
  await assert.rejects(fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IDS.models.imageFast, batch_size: 1 }));
  const { state } = await fake.control({ action: 'get_state' });
  assert.equal(state.runs.length, 1, 'the run was created although the answer was lost');
  assert.equal(state.workspaces[0].reserved_creative_units, 0.2);
  const recs = (await fake.requests()).requests;
  assert.deepEqual(recs.map((r) => r.status), ['dropped', 'dropped']);
  assert.equal((await fake.api('GET', '/v1/workspaces')).status, 200);
});

test('unlimited faults last until cleared', async () => {
  await fake.control({ action: 'inject_fault', type: 'status', status: 500, count: -1 });
  for (let i = 0; i < 3; i++) assert.equal((await fake.api('GET', '/v1/workspaces')).status, 500);
  await fake.control({ action: 'clear_faults' });
  assert.equal((await fake.api('GET', '/v1/workspaces')).status, 200);
});

test('bad control commands are refused', async () => {
  for (const cmd of [{ action: 'inject_fault', type: 'explode' }, { action: 'nope' }, { action: 'set_config', polls: 1 }, { action: 'script_runs', outcomes: [{ status: 'weird' }] }]) {
    const r = await fake.request({ method: 'POST', url: `https://127.0.0.1:${fake.ready.port}/__control`, headers: { 'x-fake-control-token': fake.ready.control_token }, body: cmd });
    assert.equal(r.status, 400, JSON.stringify(cmd));
  }
});

test('request recording: method, path, query, headers, body; and where the PAT appeared', async () => {
  await fake.api('GET', '/v1/workspaces?limit=5', undefined, { headers: { 'user-agent': 'layer-vault-test' } });
  await fake.api('POST', `/v1/workspaces/${WS}/inferences/estimate`, { model_id: IDS.models.imageFast, prompt: 'héllo' });
  await fake.request({ url: `${fake.mediaBaseUrl}/media/30000000-0000-4000-8000-000000000001` });
  let { requests, pat_leaks: leaks } = await fake.requests();
  assert.equal(requests.length, 3);
  const [a, b, c] = requests;
  assert.deepEqual([a.seq, a.server, a.method, a.path, a.query, a.raw_query], [1, 'api', 'GET', '/api/v1/workspaces', { limit: '5' }, 'limit=5']);
  assert.equal(a.headers['user-agent'], 'layer-vault-test');
  assert.equal(a.headers.authorization, `Bearer ${fake.pat}`);
  assert.equal(a.body_bytes, 0);
  assert.equal(a.status, 200);
  assert.deepEqual(JSON.parse(b.body), { model_id: IDS.models.imageFast, prompt: 'héllo' });
  assert.equal(b.body_encoding, 'utf8');
  assert.equal(b.headers['content-type'], 'application/json');
  assert.deepEqual([c.server, c.status], ['media', 404]);
  assert.deepEqual(leaks, [], 'the PAT only in the API Authorization header is not a leak');
  assert.deepEqual((await fake.requests({ server: 'media' })).requests.map((r) => r.seq), [3]);
  assert.deepEqual((await fake.requests({ since: 2 })).requests.map((r) => r.seq), [3]);

  // Anywhere else, it is.
  await fake.api('GET', `/v1/workspaces?cursor=${fake.pat}`);
  await fake.api('POST', `/v1/workspaces/${WS}/inferences/estimate`, { model_id: IDS.models.imageFast, prompt: `key ${fake.pat}` });
  await fake.api('GET', '/v1/workspaces', undefined, { headers: { 'x-debug': fake.pat } });
  await fake.request({ url: `${fake.mediaBaseUrl}/media/x`, headers: { authorization: `Bearer ${fake.pat}` } });
  ({ pat_leaks: leaks } = await fake.requests());
  assert.deepEqual(leaks.map((l) => [l.seq, l.server, l.where]), [
    [4, 'api', ['query']],
    [5, 'api', ['body']],
    [6, 'api', ['header:x-debug']],
    [7, 'media', ['header:authorization']],
  ]);
  const body = JSON.stringify(await fake.control({ action: 'get_state' }));
  assert.ok(!body.includes(fake.pat), 'the fake never echoes the PAT in its state');
});

test('binary bodies are recorded as base64 with their size and hash', async () => {
  await fake.request({ method: 'PUT', url: `${fake.mediaBaseUrl}/upload-session/none`, body: Buffer.from([0, 1, 2, 255]) });
  const [r] = (await fake.requests()).requests;
  assert.equal(r.body_encoding, 'base64');
  assert.deepEqual([...Buffer.from(r.body, 'base64')], [0, 1, 2, 255]);
  assert.equal(r.body_bytes, 4);
  assert.equal(r.body_sha256, require('node:crypto').createHash('sha256').update(Buffer.from([0, 1, 2, 255])).digest('hex'));
});

test('too-large request bodies get 413', async () => {
  const r = await fake.api('POST', `/v1/workspaces/${WS}/inferences`, Buffer.alloc(1024 * 1024 + 1, 0x20), { headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 413);
  assert.equal(r.json().code, 'PAYLOAD_TOO_LARGE');
});

test('reset restores balances and clears runs, faults and recordings', async () => {
  await fake.control({ action: 'set_balance', workspace_id: WS, balance_creative_units: 1 });
  await fake.control({ action: 'inject_fault', type: 'status', status: 500, count: -1, path: '/never' });
  await fake.api('GET', '/v1/workspaces');
  await fake.reset();
  const { state, faults } = await fake.control({ action: 'get_state' });
  assert.equal(state.workspaces[0].balance_creative_units, 300);
  assert.deepEqual(faults, []);
  assert.deepEqual((await fake.requests()).requests, []);
});

test('server exits with its stdin when asked to, and refuses to start without a PAT', async () => {
  const { spawn } = require('node:child_process');
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const { SERVER } = require('../harness');
  const dir = fs.mkdtempSync(path.join(process.env.TEST_TMPDIR || os.tmpdir(), 'fake-nopat-'));
  try {
    const env = { ...process.env };
    delete env.FAKE_LAYER_PAT;
    const p = spawn(process.execPath, [SERVER, '--tls-dir', dir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    p.stderr.on('data', (d) => { err += d; });
    p.stdout.on('data', (d) => { out += d; });
    const code = await new Promise((r) => p.on('exit', r));
    assert.equal(code, 2);
    assert.match(err, /FAKE_LAYER_PAT/);
    assert.equal(out, '');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const other = await startFake();
  const exited = new Promise((r) => other.proc.on('exit', r));
  other.proc.stdin.end();
  assert.equal(await exited, 0);
  await other.stop();
});
