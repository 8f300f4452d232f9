'use strict';
// The fake's REST API: auth, schema checks, every endpoint, runs that spend
// Creative Units and produce real PNG bytes, balance exhaustion, uploads.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const { startFake } = require('../harness');
const { IDS } = require('../lib/state');
const { crc32 } = require('../lib/png');

const WS = IDS.workspaces.studio;
const SIDE = IDS.workspaces.side;
const IMG = IDS.models.imageFast;
let fake;

before(async () => { fake = await startFake(); });
after(async () => { await fake.stop(); });
beforeEach(async () => { await fake.reset(); });

async function ok(promise) {
  const r = await promise;
  assert.equal(r.status, 200, `HTTP ${r.status}: ${r.body}`);
  return r.json();
}

async function pollUntilDone(url, isDone, max = 10) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    const v = await ok(fake.api('GET', url));
    seen.push(v.status);
    if (isDone(v.status)) return { v, seen };
  }
  throw new Error(`not done after ${max} polls: ${seen}`);
}

// Minimal PNG reader: checks the signature and each chunk's CRC, inflates IDAT.
function readPng(buf) {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let off = 8;
  const chunks = {};
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('ascii', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    assert.equal(buf.readUInt32BE(off + 8 + len), crc32(buf.subarray(off + 4, off + 8 + len)), `CRC of ${type}`);
    chunks[type] = Buffer.concat([chunks[type] || Buffer.alloc(0), data]);
    off += 12 + len;
  }
  const width = chunks.IHDR.readUInt32BE(0);
  const height = chunks.IHDR.readUInt32BE(4);
  return { width, height, pixels: zlib.inflateSync(chunks.IDAT), end: 'IEND' in chunks };
}

test('requests without the PAT, or with another token, get 401 in the error shape', async () => {
  for (const auth of [false, 'Bearer pat_fake_wrong', `Basic ${Buffer.from(`x:${fake.pat}`).toString('base64')}`, fake.pat]) {
    const r = await fake.api('GET', '/v1/workspaces', undefined, { auth });
    assert.equal(r.status, 401, `auth=${auth}`);
    assert.equal(r.headers['www-authenticate'], 'Bearer');
    const body = r.json();
    assert.equal(body.code, 'UNAUTHENTICATED');
    assert.equal(typeof body.detail, 'string');
  }
  const g = await fake.graphql('{ __typename }', undefined, { auth: false });
  assert.equal(g.status, 401);
  assert.equal(g.json().errors[0].extensions.code, 'UNAUTHENTICATED');
});

test('workspaces: list (most recently active first), pagination, get, unknown', async () => {
  const all = await ok(fake.api('GET', '/v1/workspaces'));
  assert.deepEqual(all.workspaces.map((w) => w.workspace_id), [WS, SIDE]);
  assert.deepEqual(all.pagination, { has_more_results: false, next_cursor: null, total_count: 2 });
  const w = all.workspaces[0];
  assert.deepEqual(Object.keys(w).sort(), ['available_creative_units', 'balance_creative_units', 'last_active_at', 'name', 'reserved_creative_units', 'slug', 'workspace_id']);

  const p1 = await ok(fake.api('GET', '/v1/workspaces?limit=1'));
  assert.equal(p1.workspaces.length, 1);
  assert.equal(p1.pagination.has_more_results, true);
  const p2 = await ok(fake.api('GET', `/v1/workspaces?limit=1&cursor=${encodeURIComponent(p1.pagination.next_cursor)}`));
  assert.equal(p2.workspaces[0].workspace_id, SIDE);
  assert.equal(p2.pagination.has_more_results, false);

  assert.deepEqual(await ok(fake.api('GET', `/v1/workspaces/${WS}`)), w);
  const missing = await fake.api('GET', '/v1/workspaces/00000000-0000-4000-8000-00000000ffff');
  assert.equal(missing.status, 404);
  assert.equal(missing.json().code, 'WORKSPACE_NOT_FOUND');
});

test('models: list per workspace, get, unknown', async () => {
  const studio = await ok(fake.api('GET', `/v1/workspaces/${WS}/models`));
  const side = await ok(fake.api('GET', `/v1/workspaces/${SIDE}/models`));
  assert.ok(studio.models.some((m) => m.model_id === IDS.models.studioStyle), 'trained style in its workspace');
  assert.ok(!side.models.some((m) => m.model_id === IDS.models.studioStyle), 'and only there');
  assert.equal(studio.pagination.total_count, studio.models.length);
  const m = await ok(fake.api('GET', `/v1/workspaces/${WS}/models/${IMG}`));
  assert.deepEqual(m, studio.models.find((x) => x.model_id === IMG));
  assert.deepEqual(Object.keys(m).sort(), ['capabilities', 'modality', 'model_id', 'name']);
  const r = await fake.api('GET', `/v1/workspaces/${SIDE}/models/${IDS.models.studioStyle}`);
  assert.equal(r.status, 404);
  assert.equal(r.json().code, 'MODEL_NOT_FOUND');
});

test('schema: bad path, query and body are rejected with FastAPI-style 422', async () => {
  const cases = [
    [fake.api('GET', '/v1/workspaces/not-a-uuid'), ['path', 'workspace_id']],
    [fake.api('GET', '/v1/workspaces?limit=0'), ['query', 'limit']],
    [fake.api('GET', '/v1/workspaces?limit=abc'), ['query', 'limit']],
    [fake.api('GET', '/v1/workspaces?debug=1'), ['query', 'debug']],
    [fake.api('GET', '/v1/workspaces?cursor=bogus'), ['query', 'cursor']],
    [fake.api('POST', `/v1/workspaces/${WS}/inferences`, { prompt: 'x' }), ['body', 'model_id']],
    [fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IMG, batch_size: 17 }), ['body', 'batch_size']],
    [fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IMG, quality: 'ultra' }), ['body', 'quality']],
    [fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IMG, parameters: { prompt: 'nested (I-1)' } }), ['body', 'parameters']],
    [fake.api('POST', `/v1/workspaces/${WS}/inferences/estimate`, { model_id: IMG, seed: 1 }), ['body', 'seed']],
    [fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IMG, guidance_files: [{ file_id: IMG }] }), ['body', 'guidance_files', 0, 'type']],
    [fake.api('POST', `/v1/workspaces/${WS}/files/upload-url`, { content_type: 'text/html', file_size_bytes: 10 }), ['body', 'content_type']],
    [fake.api('POST', `/v1/workspaces/${WS}/files/upload-url`, { content_type: 'image/png', file_size_bytes: 64 * 1024 * 1024 + 1 }), ['body', 'file_size_bytes']],
    [fake.api('POST', `/v1/workspaces/${WS}/inferences`, '{"model_id":', { headers: { 'content-type': 'application/json' } }), ['body']],
    [fake.api('POST', `/v1/workspaces/${WS}/inferences`, `{"model_id":"${IMG}"}`, { headers: { 'content-type': 'text/plain' } }), ['body']],
    [fake.api('GET', '/v1/workspaces', 'unexpected'), ['body']],
  ];
  for (const [promise, loc] of cases) {
    const r = await promise;
    assert.equal(r.status, 422, `expected 422 for ${JSON.stringify(loc)}, got ${r.status} ${r.body}`);
    const { detail } = r.json();
    assert.ok(Array.isArray(detail) && detail.length > 0);
    for (const d of detail) assert.deepEqual(Object.keys(d).sort(), ['loc', 'msg', 'type']);
    assert.ok(detail.some((d) => JSON.stringify(d.loc) === JSON.stringify(loc)), `loc ${JSON.stringify(loc)} in ${JSON.stringify(detail)}`);
  }
  assert.equal((await fake.api('GET', '/v1/nope')).status, 404);
  assert.equal((await fake.api('DELETE', `/v1/workspaces/${WS}`)).status, 405);
  // Nothing was spent or created by rejected requests.
  const { state } = await fake.control({ action: 'get_state' });
  assert.equal(state.runs.length, 0);
  assert.equal(state.workspaces[0].balance_creative_units, 300);
});

test('estimates are deterministic in model and parameters, and free', async () => {
  const est = (body) => ok(fake.api('POST', `/v1/workspaces/${WS}/inferences/estimate`, { model_id: IMG, ...body }));
  const one = await est({ batch_size: 1 });
  assert.deepEqual(one, {
    estimated_price_creative_units: 0.2,
    workspace_balance_creative_units: 300,
    estimated_remaining_balance_creative_units: 299.8,
    has_sufficient_creative_units: true,
  });
  assert.equal((await est({})).estimated_price_creative_units, 0.8, 'default batch_size is 4');
  assert.equal((await est({ batch_size: 3, quality: 'high' })).estimated_price_creative_units, 0.9);
  assert.equal((await est({ batch_size: 1, width: 2048, height: 2048 })).estimated_price_creative_units, 0.8);
  assert.deepEqual(await est({ batch_size: 3, quality: 'high' }), await est({ batch_size: 3, quality: 'high' }));
  const hd = await ok(fake.api('POST', `/v1/workspaces/${WS}/inferences/estimate`, { model_id: IDS.models.imageHd, batch_size: 2 }));
  assert.equal(hd.estimated_price_creative_units, 1.2);
  const ws = await ok(fake.api('GET', `/v1/workspaces/${WS}`));
  assert.equal(ws.balance_creative_units, 300);
});

test('an inference run goes in_progress -> complete, spends CU and yields PNG bytes', async () => {
  const start = await ok(fake.api('POST', `/v1/workspaces/${WS}/inferences`, {
    model_id: IMG, prompt: 'isometric stone tower', batch_size: 2, width: 1024, height: 1024, seed: -1, session_name: 'towers',
  }));
  assert.equal(start.status, 'in_progress');
  assert.equal(start.estimated_price_creative_units, 0.4);
  assert.ok(start.poll_interval_seconds > 0);
  assert.match(start.session_id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(start.normalized_parameters, { batch_size: 2, width: 1024, height: 1024, num_inference_steps: 28, guidance_scale: 3.5 });

  let ws = await ok(fake.api('GET', `/v1/workspaces/${WS}`));
  assert.equal(ws.reserved_creative_units, 0.4);
  assert.equal(ws.available_creative_units, 299.6);
  assert.equal(ws.balance_creative_units, 300);

  const { v: done, seen } = await pollUntilDone(`/v1/workspaces/${WS}/inferences/${start.inference_id}`, (s) => s !== 'in_progress');
  assert.deepEqual(seen, ['in_progress', 'complete']);
  assert.equal(done.actual_price_creative_units, 0.4);
  assert.equal(done.poll_interval_seconds, undefined);
  assert.match(done.completed_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(done.outputs.length, 2);

  ws = await ok(fake.api('GET', `/v1/workspaces/${WS}`));
  assert.equal(ws.balance_creative_units, 299.6);
  assert.equal(ws.reserved_creative_units, 0);

  const bytes = [];
  for (const out of done.outputs) {
    assert.equal(out.content_type, 'image/png');
    assert.ok(out.url.startsWith(`${fake.mediaBaseUrl}/media/${out.file_id}`));
    const r = await fake.request({ url: out.url });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'image/png');
    assert.equal(r.body.length, out.size_bytes);
    const png = readPng(r.body);
    assert.equal(png.width, 64);
    assert.equal(png.height, 64);
    assert.equal(png.pixels.length, 64 * (1 + 64 * 3));
    assert.ok(png.end);
    bytes.push(r.body);
  }
  assert.ok(!bytes[0].equals(bytes[1]), 'outputs differ');
  // A later poll is stable and charges nothing more.
  assert.deepEqual(await ok(fake.api('GET', `/v1/workspaces/${WS}/inferences/${start.inference_id}`)), done);
  assert.equal((await ok(fake.api('GET', `/v1/workspaces/${WS}`))).balance_creative_units, 299.6);

  // Same ids after a reset give the same bytes (deterministic from the run id).
  await fake.reset();
  const again = await ok(fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IMG, batch_size: 2 }));
  assert.equal(again.inference_id, start.inference_id);
  const { v: done2 } = await pollUntilDone(`/v1/workspaces/${WS}/inferences/${again.inference_id}`, (s) => s === 'complete');
  assert.ok((await fake.request({ url: done2.outputs[0].url })).body.equals(bytes[0]));
});

test('runs can be scripted to fail or be cancelled; neither is charged', async () => {
  await fake.control({ action: 'script_runs', outcomes: [{ status: 'failed', error_code: 'CONTENT_POLICY_VIOLATION', after_polls: 1 }] });
  const a = await ok(fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IMG, batch_size: 1 }));
  const failed = await ok(fake.api('GET', `/v1/workspaces/${WS}/inferences/${a.inference_id}`));
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error_code, 'CONTENT_POLICY_VIOLATION');
  assert.equal(typeof failed.error_message, 'string');
  assert.equal(failed.outputs, undefined);

  const b = await ok(fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IMG, batch_size: 1 }));
  assert.equal((await ok(fake.api('GET', `/v1/workspaces/${WS}`))).reserved_creative_units, 0.2);
  await fake.control({ action: 'cancel_run', run_id: b.inference_id });
  assert.equal((await ok(fake.api('GET', `/v1/workspaces/${WS}/inferences/${b.inference_id}`))).status, 'cancelled');
  const ws = await ok(fake.api('GET', `/v1/workspaces/${WS}`));
  assert.equal(ws.balance_creative_units, 300);
  assert.equal(ws.reserved_creative_units, 0);

  const unknown = await fake.api('GET', `/v1/workspaces/${WS}/inferences/10000000-0000-4000-8000-00000000ffff`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json().code, 'INFERENCE_NOT_FOUND');
});

test('balance exhaustion: runs reserve then spend until INSUFFICIENT_BALANCE', async () => {
  // Side Project holds 5 CU; an HD batch of 4 costs 2.4 CU.
  const body = { model_id: IDS.models.imageHd, batch_size: 4 };
  const est = await ok(fake.api('POST', `/v1/workspaces/${SIDE}/inferences/estimate`, body));
  assert.equal(est.estimated_price_creative_units, 2.4);
  const r1 = await ok(fake.api('POST', `/v1/workspaces/${SIDE}/inferences`, body));
  const r2 = await ok(fake.api('POST', `/v1/workspaces/${SIDE}/inferences`, body));
  const third = await fake.api('POST', `/v1/workspaces/${SIDE}/inferences`, body);
  assert.equal(third.status, 402);
  assert.equal(third.json().code, 'INSUFFICIENT_BALANCE');
  const low = await ok(fake.api('POST', `/v1/workspaces/${SIDE}/inferences/estimate`, body));
  assert.equal(low.has_sufficient_creative_units, false);
  assert.equal(low.estimated_remaining_balance_creative_units, -2.2);
  for (const r of [r1, r2]) await pollUntilDone(`/v1/workspaces/${SIDE}/inferences/${r.inference_id}`, (s) => s === 'complete');
  const ws = await ok(fake.api('GET', `/v1/workspaces/${SIDE}`));
  assert.equal(ws.balance_creative_units, 0.2);
  assert.equal(ws.reserved_creative_units, 0);

  await fake.control({ action: 'set_balance', workspace_id: SIDE, balance_creative_units: 100 });
  assert.equal((await fake.api('POST', `/v1/workspaces/${SIDE}/inferences`, body)).status, 200);
});

test('guidance files must exist; they add to the charge but not to the estimate (I-8)', async () => {
  const missing = await fake.api('POST', `/v1/workspaces/${WS}/inferences`, {
    model_id: IMG, batch_size: 1, guidance_files: [{ file_id: '30000000-0000-4000-8000-00000000ffff', type: 'reference_image' }],
  });
  assert.equal(missing.status, 422);
  assert.deepEqual(missing.json().detail[0].loc, ['body', 'guidance_files', 0, 'file_id']);

  const first = await ok(fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IMG, batch_size: 1 }));
  const { v } = await pollUntilDone(`/v1/workspaces/${WS}/inferences/${first.inference_id}`, (s) => s === 'complete');
  const fileId = v.outputs[0].file_id;
  const est = await ok(fake.api('POST', `/v1/workspaces/${WS}/inferences/estimate`, { model_id: IMG, batch_size: 1 }));
  const run = await ok(fake.api('POST', `/v1/workspaces/${WS}/inferences`, {
    model_id: IMG, batch_size: 1, guidance_files: [{ file_id: fileId, type: 'init_image', weight: 0.5 }],
  }));
  assert.equal(est.estimated_price_creative_units, 0.2);
  assert.equal(run.estimated_price_creative_units, 0.4);
});

test('video and 3D models are listed but FEATURE_DISABLED on execute', async () => {
  const r = await fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IDS.models.video, prompt: 'x', duration_seconds: 4 });
  assert.equal(r.status, 403);
  assert.equal(r.json().code, 'FEATURE_DISABLED');
  const est = await ok(fake.api('POST', `/v1/workspaces/${WS}/inferences/estimate`, { model_id: IDS.models.video, batch_size: 1, duration_seconds: 4 }));
  assert.equal(est.estimated_price_creative_units, 4);
});

test('audio models produce WAV bytes', async () => {
  const run = await ok(fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IDS.models.voice, prompt: 'Hello, adventurer!', batch_size: 1 }));
  const { v } = await pollUntilDone(`/v1/workspaces/${WS}/inferences/${run.inference_id}`, (s) => s === 'complete');
  const r = await fake.request({ url: v.outputs[0].url });
  assert.equal(r.headers['content-type'], 'audio/wav');
  assert.equal(r.body.toString('ascii', 0, 4), 'RIFF');
  assert.equal(r.body.toString('ascii', 8, 12), 'WAVE');
});

test('workflows: list, search, estimate, run to success with outputs, validation', async () => {
  const list = await ok(fake.api('GET', `/v1/workspaces/${WS}/workflows`));
  assert.equal(list.workflows.length, 2);
  for (const w of list.workflows) {
    for (const k of ['workflow_id', 'name', 'description', 'created_at', 'inputs', 'outputs', 'modality', 'published_at']) assert.ok(k in w, k);
  }
  const found = await ok(fake.api('GET', `/v1/workspaces/${WS}/workflows?search=ICON`));
  assert.deepEqual(found.workflows.map((w) => w.workflow_id), [IDS.workflows.icons]);

  const base = `/v1/workspaces/${WS}/workflows/${IDS.workflows.icons}`;
  const est = await ok(fake.api('POST', `${base}/estimate`, { inputs: { prompt: 'potion icons', count: 6 } }));
  assert.equal(est.estimated_price_creative_units, 1.5);
  assert.deepEqual(est.expected_outputs, { icons: 6 });
  assert.equal(est.has_sufficient_creative_units, true);

  for (const [inputs, loc] of [[{ count: 2 }, 'prompt'], [{ prompt: 'x', count: 99 }, 'count'], [{ prompt: 'x', colour: 'red' }, 'colour']]) {
    const bad = await fake.api('POST', `${base}/runs`, { inputs });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.json().detail[0].loc, ['body', 'inputs', loc]);
  }

  const run = await ok(fake.api('POST', `${base}/runs`, { inputs: { prompt: 'potion icons', count: 3 }, session_name: 'icons' }));
  assert.equal(run.status, 'pending');
  assert.equal(run.estimated_price_creative_units, 0.75);
  assert.ok(run.session_id);
  const { v, seen } = await pollUntilDone(`${base}/runs/${run.run_id}`, (s) => ['success', 'failure', 'cancelled'].includes(s));
  assert.deepEqual(seen, ['running', 'success']);
  assert.equal(v.actual_price_creative_units, 0.75);
  assert.equal(v.outputs.length, 3);
  assert.ok(v.outputs.every((o) => o.output_name === 'icons' && o.content_type === 'image/png'));
  assert.deepEqual(v.steps.map((s) => s.status), ['success', 'success']);
  assert.equal((await ok(fake.api('GET', `/v1/workspaces/${WS}`))).balance_creative_units, 299.25);

  // A run is only found under its own workflow.
  const wrong = await fake.api('GET', `/v1/workspaces/${WS}/workflows/${IDS.workflows.turnaround}/runs/${run.run_id}`);
  assert.equal(wrong.status, 404);

  // A session_id must exist.
  const nosession = await fake.api('POST', `${base}/runs`, { inputs: { prompt: 'x' }, session_id: '40000000-0000-4000-8000-00000000ffff' });
  assert.equal(nosession.status, 404);
  assert.equal(nosession.json().code, 'SESSION_NOT_FOUND');
});

test('workflow failure reports an error code and refunds the reservation', async () => {
  await fake.control({ action: 'script_runs', outcomes: [{ status: 'failure', error_code: 'DOWNSTREAM_SERVICE_ERROR', after_polls: 2 }] });
  const base = `/v1/workspaces/${WS}/workflows/${IDS.workflows.icons}`;
  const run = await ok(fake.api('POST', `${base}/runs`, { inputs: { prompt: 'x', count: 2 } }));
  const { v, seen } = await pollUntilDone(`${base}/runs/${run.run_id}`, (s) => s === 'failure');
  assert.deepEqual(seen, ['running', 'failure']);
  assert.equal(v.error_code, 'DOWNSTREAM_SERVICE_ERROR');
  assert.equal(v.outputs, undefined);
  assert.equal((await ok(fake.api('GET', `/v1/workspaces/${WS}`))).available_creative_units, 300);
});

test('upload flow: signed URL, resumable start, PUT, then the file_id is usable', async () => {
  const png = require('../lib/png').gradientPng('upload-test');
  const up = await ok(fake.api('POST', `/v1/workspaces/${WS}/files/upload-url`, { content_type: 'image/png', file_size_bytes: png.length, file_name: 'ref.png' }));
  assert.deepEqual(Object.keys(up).sort(), ['content_type', 'file_id', 'upload_url']);
  assert.equal(up.content_type, 'image/png');
  assert.ok(up.upload_url.startsWith(`${fake.mediaBaseUrl}/upload/${up.file_id}?`));

  // Not usable before the bytes arrive.
  const early = await fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IMG, batch_size: 1, guidance_files: [{ file_id: up.file_id, type: 'init_image' }] });
  assert.equal(early.status, 422);

  const startHeaders = { 'x-goog-resumable': 'start', 'x-goog-content-length-range': `0,${png.length}`, 'content-type': 'image/png' };
  const gcsCode = (r) => /<Code>([^<]+)<\/Code>/.exec(r.body.toString())[1];
  // What TP-KR saw: the documented header alone is not enough, a 64 MiB range does not match.
  let r = await fake.request({ method: 'POST', url: up.upload_url, headers: { 'x-goog-resumable': 'start', 'content-type': 'image/png' } });
  assert.equal(r.status, 400);
  assert.equal(gcsCode(r), 'MalformedSecurityHeader');
  r = await fake.request({ method: 'POST', url: up.upload_url, headers: { ...startHeaders, 'x-goog-content-length-range': `0,${64 * 1024 * 1024}` } });
  assert.equal(gcsCode(r), 'SignatureDoesNotMatch');
  r = await fake.request({ method: 'POST', url: up.upload_url, headers: { ...startHeaders, 'content-type': 'image/jpeg' } });
  assert.equal(gcsCode(r), 'SignatureDoesNotMatch');
  r = await fake.request({ method: 'POST', url: up.upload_url.replace(/X-Goog-Signature=[0-9a-f]+/, 'X-Goog-Signature=00'), headers: startHeaders });
  assert.equal(gcsCode(r), 'SignatureDoesNotMatch');
  r = await fake.request({ method: 'PUT', url: up.upload_url, headers: { 'content-type': 'image/png' }, body: png });
  assert.equal(r.status, 403, 'the signed URL is for the resumable POST, not a PUT');
  r = await fake.request({ method: 'POST', url: up.upload_url, headers: { ...startHeaders, authorization: `Bearer ${fake.pat}` } });
  assert.equal(r.status, 400, 'no credential is accepted on the storage host');

  const start = await fake.request({ method: 'POST', url: up.upload_url, headers: startHeaders });
  assert.equal(start.status, 201);
  const session = start.headers.location;
  assert.ok(session.startsWith(`${fake.mediaBaseUrl}/upload-session/`));

  // Resumable: two chunks, then done.
  const half = Math.floor(png.length / 2);
  r = await fake.request({ method: 'PUT', url: session, headers: { 'content-type': 'image/png', 'content-range': `bytes 0-${half - 1}/*` }, body: png.subarray(0, half) });
  assert.equal(r.status, 308, String(r.body));
  assert.equal(r.headers.range, `bytes=0-${half - 1}`);
  r = await fake.request({ method: 'PUT', url: session, headers: { 'content-range': `bytes */${png.length}` } });
  assert.equal(r.status, 308, 'status query while incomplete');
  r = await fake.request({ method: 'PUT', url: session, headers: { 'content-type': 'image/png', 'content-range': `bytes ${half}-${png.length - 1}/${png.length}` }, body: png.subarray(half) });
  assert.equal(r.status, 200, String(r.body));
  assert.equal(r.json().size, String(png.length));

  const media = await fake.request({ url: `${fake.mediaBaseUrl}/media/${up.file_id}` });
  assert.ok(media.body.equals(png), 'stored bytes are the uploaded bytes');
  const run = await fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IMG, batch_size: 1, guidance_files: [{ file_id: up.file_id, type: 'init_image' }] });
  assert.equal(run.status, 200);

  // Whole-body PUT, too large for the declared size; then an expired URL.
  const up2 = await ok(fake.api('POST', `/v1/workspaces/${WS}/files/upload-url`, { content_type: 'image/png', file_size_bytes: 10 }));
  const s2 = await fake.request({ method: 'POST', url: up2.upload_url, headers: { ...startHeaders, 'x-goog-content-length-range': '0,10' } });
  r = await fake.request({ method: 'PUT', url: s2.headers.location, headers: { 'content-type': 'image/png' }, body: Buffer.alloc(11) });
  assert.equal(gcsCode(r), 'EntityTooLarge');
  const up3 = await ok(fake.api('POST', `/v1/workspaces/${WS}/files/upload-url`, { content_type: 'audio/wav', file_size_bytes: 100 }));
  await fake.control({ action: 'set_config', clock_offset_seconds: 901 });
  r = await fake.request({ method: 'POST', url: up3.upload_url, headers: { ...startHeaders, 'content-type': 'audio/wav', 'x-goog-content-length-range': '0,100' } });
  assert.equal(gcsCode(r), 'ExpiredToken');
});
