'use strict';
// End to end: the official MCP SDK client drives the real mcp_frontend
// against a real vaultd relaying to the fake Layer.ai: the tool list and
// its schemas, discovery, generate with progress and byte-exact saved files,
// the price confirmation (elicitation accepted and declined, confirm_price
// without elicitation), cancellation mid-poll, invalid arguments, uploads
// used as guidance, and the stdout / PAT hygiene of it all.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const Ajv2020 = require('ajv/dist/2020').default;
const { World, IDS, ENV, sleep, fetchMedia, apiRequests } = require('./layer_e2e_harness');

const LAYER_TOOLS = [
  'list_workspaces', 'get_workspace', 'list_models', 'get_model', 'estimate_price', 'generate', 'get_run',
  'list_workflows', 'estimate_workflow_price', 'run_workflow', 'get_workflow_run', 'upload_file', 'get_usage',
  'describe_image', 'improve_prompt', 'suggest_prompt',
];
// generate's arguments that are the tool's own, not Layer.ai's.
const TOOL_OWN = ['workspace_id', 'wait', 'download', 'output_dir', 'file_name', 'overwrite', 'confirm_price'];

let world;
let mcp; // with elicitation; threshold 20 (the default)

before(async () => {
  world = await World.create();
  mcp = await world.connect({ elicit: () => ({ action: 'decline' }) });
});

after(async () => {
  if (world) await world.cleanup();
});

function text(result) {
  return result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

// Removes "description" and "default" members, recursively.
function constraints(schema) {
  if (Array.isArray(schema)) return schema.map(constraints);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'description' || k === 'default' || k === 'title') continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, constraints(s)])) : constraints(v);
  }
  return out;
}

test('every tool is listed with schemas that compile, annotations, and the registry\'s parameters', async () => {
  const { tools } = await mcp.client.listTools();
  const names = tools.map((t) => t.name);
  for (const name of LAYER_TOOLS) assert.ok(names.includes(name), `${name} is listed`);
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
  for (const tool of tools) {
    assert.doesNotThrow(() => ajv.compile(tool.inputSchema), `${tool.name} inputSchema compiles`);
    assert.ok(tool.outputSchema, `${tool.name} has an outputSchema`);
    assert.doesNotThrow(() => ajv.compile(tool.outputSchema), `${tool.name} outputSchema compiles`);
    for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']) {
      assert.equal(typeof tool.annotations[hint], 'boolean', `${tool.name} ${hint}`);
    }
  }
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  assert.equal(byName.list_workspaces.annotations.readOnlyHint, true);
  assert.equal(byName.generate.annotations.readOnlyHint, false);
  assert.equal(byName.generate.annotations.idempotentHint, false);

  // generate and estimate_price take exactly what vaultd's registry lets
  // through, with the same constraints.
  const registry = JSON.parse(fs.readFileSync(path.join(ENV.OPERATIONS_DIR, 'rest_operations.json'), 'utf8'));
  const op = (name) => registry.operations.find((o) => o.name === name);
  const execute = op('inferences.execute').body_schema.properties;
  const generate = byName.generate.inputSchema.properties;
  for (const [key, schema] of Object.entries(execute)) {
    assert.deepEqual(constraints(generate[key]), constraints(schema), `generate.${key} matches the registry`);
  }
  for (const key of Object.keys(generate)) {
    assert.ok(key in execute || TOOL_OWN.includes(key), `generate.${key} is in the registry`);
  }
  assert.deepEqual(byName.generate.inputSchema.required, op('inferences.execute').body_schema.required);
  for (const key of Object.keys(op('inferences.estimate').body_schema.properties)) {
    assert.ok(key in byName.estimate_price.inputSchema.properties, `estimate_price.${key}`);
  }
});

test('discovery: workspaces with balances, models filtered client-side, usage with the local budget', async () => {
  const ws = await mcp.call('list_workspaces', {});
  assert.equal(ws.isError, false, text(ws));
  const studio = ws.structuredContent.workspaces.find((w) => w.workspace_id === IDS.studio);
  assert.equal(studio.balance_creative_units, 300);
  assert.equal(typeof studio.available_creative_units, 'number');
  assert.equal(ws.structuredContent.default_workspace_id, IDS.studio);
  assert.match(text(ws), /My Studio/);

  const audio = await mcp.call('list_models', { modality: 'audio' });
  assert.equal(audio.isError, false, text(audio));
  assert.deepEqual(audio.structuredContent.models.map((m) => m.model_id), [IDS.voice]);
  assert.equal(audio.structuredContent.filtered_client_side, true);
  const inpaint = await mcp.call('list_models', { capability: 'Inpainting' });
  assert.deepEqual(inpaint.structuredContent.models.map((m) => m.model_id), [IDS.imageHd]);
  const side = await mcp.call('list_models', { workspace_id: IDS.side, text: 'style' });
  assert.deepEqual(side.structuredContent.models, [], 'the trained style is My Studio\'s only');

  const model = await mcp.call('get_model', { model_id: IDS.imageFast });
  assert.equal(model.structuredContent.name, 'Layer Image Fast');

  const usage = await mcp.call('get_usage', { include_history: true });
  assert.equal(usage.isError, false, text(usage));
  assert.equal(usage.structuredContent.workspace_id, IDS.studio);
  assert.equal(usage.structuredContent.vaultd_budget.per_run_cap_creative_units, null);
  assert.equal(usage.structuredContent.vaultd_budget.period_budget_creative_units, null);
  assert.equal(typeof usage.structuredContent.history, 'object');
});

test('generate reports progress and saves every output byte for byte', async () => {
  const progress = [];
  const result = await mcp.call('generate', {
    model_id: IDS.imageFast, prompt: 'Isometric stone tower', batch_size: 2, width: 512, height: 512, seed: 7,
  }, { onprogress: (p) => progress.push(p) });
  assert.equal(result.isError, false, text(result));
  const s = result.structuredContent;
  assert.equal(s.status, 'complete');
  assert.equal(s.state, 'succeeded');
  assert.equal(s.creative_units_charged, 0.4);
  assert.equal(s.confirmation, 'not_needed');
  assert.match(s.inference_id, /^10000000-/);
  assert.equal(s.outputs.length, 2);
  const images = result.content.filter((c) => c.type === 'image');
  assert.equal(images.length, 2, 'small images come back as image content');
  for (const [i, o] of s.outputs.entries()) {
    assert.equal(o.content_type, 'image/png');
    assert.match(o.saved_path, new RegExp(`^isometric-stone-tower-[0-9a-f]{8}-${i + 1}\\.png$`));
    assert.equal(o.absolute_path, path.join(world.assets, o.saved_path));
    const saved = fs.readFileSync(o.absolute_path);
    assert.deepEqual(saved, await fetchMedia(world.fake, o.url), 'the saved file is the fake\'s PNG');
    assert.equal(o.saved_bytes, saved.length);
    assert.equal(o.size_bytes, saved.length);
    assert.equal((fs.statSync(o.absolute_path).mode & 0o777), 0o644);
    assert.deepEqual(Buffer.from(images[i].data, 'base64'), saved);
    assert.equal(images[i].mimeType, 'image/png');
  }
  assert.ok(progress.length >= 5, `progress notifications: ${progress.length}`);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].progress > progress[i - 1].progress, 'progress increases');
  assert.ok(progress.some((p) => /poll/.test(p.message)), 'polls are reported');
  assert.ok(progress.some((p) => /saved output/.test(p.message)), 'downloads are reported');

  // Polling went through vaultd at the fake's pace; the run was charged.
  const gets = await apiRequests(world.fake, 'GET', `/inferences/${s.inference_id}`);
  assert.equal(gets.length, 2, 'the fake completes a run on its 2nd poll');
  const usage = await mcp.call('get_usage', {});
  assert.ok(usage.structuredContent.vaultd_budget.period_spent_creative_units >= 0.4);
});

test('above the threshold the user is asked: yes runs, no does not', async () => {
  let answer = { action: 'accept', content: { confirm: true } };
  const asking = await world.connect({ elicit: () => answer, flags: ['--confirm_threshold=1'] });
  const args = { model_id: IDS.imageHd, prompt: 'a castle', file_name: 'castle' };
  const yes = await asking.call('generate', args);
  assert.equal(yes.isError, false, text(yes));
  assert.equal(yes.structuredContent.confirmation, 'elicitation');
  assert.equal(yes.structuredContent.outputs.length, 4);
  assert.equal(asking.elicitations.length, 1);
  assert.match(asking.elicitations[0].message, /2\.4 Creative Units/);
  assert.equal(asking.elicitations[0].requestedSchema.properties.confirm.type, 'boolean');

  const executes = (await apiRequests(world.fake, 'POST', '/inferences')).filter((r) => !r.path.endsWith('/estimate')).length;
  answer = { action: 'decline' };
  const no = await asking.call('generate', args);
  assert.equal(no.isError, true);
  assert.match(text(no), /declined spending 2\.4 Creative Units/);
  answer = { action: 'accept', content: { confirm: false } };
  const unchecked = await asking.call('generate', args);
  assert.equal(unchecked.isError, true);
  assert.equal(asking.elicitations.length, 3);
  const after = (await apiRequests(world.fake, 'POST', '/inferences')).filter((r) => !r.path.endsWith('/estimate')).length;
  assert.equal(after, executes, 'nothing was executed after a refusal');
});

test('without elicitation the error states the price; confirm_price runs it', async () => {
  const plain = await world.connect({ flags: ['--confirm_threshold=1'] });
  const args = { model_id: IDS.imageHd, prompt: 'a bridge', batch_size: 2 };
  const refused = await plain.call('generate', args);
  assert.equal(refused.isError, true);
  assert.match(text(refused), /1\.2 Creative Units/);
  assert.match(text(refused), /confirm_price: 1\.2/);
  const low = await plain.call('generate', { ...args, confirm_price: 1 });
  assert.equal(low.isError, true);
  assert.match(text(low), /does not cover/);
  const ok = await plain.call('generate', { ...args, confirm_price: 1.2 });
  assert.equal(ok.isError, false, text(ok));
  assert.equal(ok.structuredContent.confirmation, 'confirm_price');
  const estimate = await plain.call('estimate_price', args);
  assert.equal(estimate.structuredContent.estimated_price_creative_units, 1.2);
  assert.equal(estimate.structuredContent.needs_confirmation, true);
});

test('cancelling mid-poll stops polling and downloads; get_run follows the run later', async () => {
  await world.fake.control({ action: 'set_config', polls_to_complete: 1000 });
  try {
    const controller = new AbortController();
    const progress = [];
    const call = mcp.call('generate', { model_id: IDS.imageFast, prompt: 'never finishes', batch_size: 1 }, {
      signal: controller.signal,
      onprogress: (p) => {
        progress.push(p);
        if (/poll 2/.test(p.message)) controller.abort();
      },
    });
    await assert.rejects(call, /abort/i);
    const id = progress.map((p) => /inference (\S+):/.exec(p.message)).find(Boolean)[1];
    await sleep(300);
    const before = (await apiRequests(world.fake, 'GET', `/inferences/${id}`)).length;
    await sleep(1200);
    const later = (await apiRequests(world.fake, 'GET', `/inferences/${id}`)).length;
    assert.equal(later, before, 'no poll after the cancellation');
    assert.ok(before <= 3, `polls: ${before}`);

    const running = await mcp.call('get_run', { inference_id: id });
    assert.equal(running.isError, false, text(running));
    assert.equal(running.structuredContent.state, 'running');
    assert.match(running.structuredContent.next_step, /wait: true/);
    await world.fake.control({ action: 'set_config', polls_to_complete: 1 });
    const done = await mcp.call('get_run', { inference_id: id, wait: true, download: true, output_dir: 'later' });
    assert.equal(done.isError, false, text(done));
    assert.equal(done.structuredContent.state, 'succeeded');
    assert.match(done.structuredContent.outputs[0].saved_path, /^later\/layer-/);
  } finally {
    await world.fake.control({ action: 'set_config', polls_to_complete: 2 });
  }
});

test('invalid arguments and Layer.ai refusals are isError results that say what is wrong', async () => {
  const cases = [
    [{ prompt: 'no model' }, /model_id/],
    [{ model_id: IDS.imageFast, batch_size: 99 }, /batch_size/],
    [{ model_id: IDS.imageFast, quality: 'ultra' }, /quality/],
    [{ model_id: '../admin' }, /model_id/],
    [{ model_id: IDS.imageFast, output_dir: '../../etc' }, /output_dir/],
    [{ model_id: '00000000-0000-4000-8000-0000000000ff' }, /MODEL_NOT_FOUND/],
    [{ model_id: IDS.imageFast, workspace_id: '00000000-0000-4000-8000-00000000ffff' }, /NOT_FOUND/],
  ];
  for (const [args, pattern] of cases) {
    const r = await mcp.call('generate', args);
    assert.equal(r.isError, true, JSON.stringify(args));
    assert.match(text(r), pattern, JSON.stringify(args));
  }
  const video = await mcp.call('generate', { model_id: '00000000-0000-4000-8000-0000000000ae', prompt: 'x', batch_size: 1 });
  assert.equal(video.isError, true);
  assert.match(text(video), /FEATURE_DISABLED/);
  const limit = await mcp.call('list_models', { limit: 0 });
  assert.equal(limit.isError, true);
  assert.match(text(limit), /limit/);
});

test('upload_file sends a local file through the signed URL; generate uses it as guidance', async () => {
  const first = fs.readdirSync(world.assets).find((f) => f.endsWith('.png'));
  fs.mkdirSync(path.join(world.inputs, 'refs'), { recursive: true });
  const bytes = fs.readFileSync(path.join(world.assets, first));
  fs.writeFileSync(path.join(world.inputs, 'refs', 'tower.png'), bytes);
  const up = await mcp.call('upload_file', { path: 'refs/tower.png' });
  assert.equal(up.isError, false, text(up));
  assert.match(up.structuredContent.file_id, /^30000000-/);
  assert.equal(up.structuredContent.size_bytes, bytes.length);
  const { requests } = await world.fake.requests({ server: 'media' });
  const put = requests.filter((r) => r.method === 'PUT').pop();
  assert.equal(put.body_bytes, bytes.length);

  const guided = await mcp.call('generate', {
    model_id: IDS.imageFast, prompt: 'like this', batch_size: 1,
    guidance_files: [{ file_id: up.structuredContent.file_id, type: 'reference_image', weight: 0.5 }],
  });
  assert.equal(guided.isError, false, text(guided));
  assert.equal(guided.structuredContent.creative_units_charged, 0.4, '0.2 + 0.2 for the guidance file');

  fs.writeFileSync(path.join(world.inputs, 'notes.png'), 'not an image at all');
  for (const [p, pattern] of [['notes.png', /does not look like/], ['../secret.png', /\.\./], ['/etc/passwd', /absolute/]]) {
    const r = await mcp.call('upload_file', { path: p });
    assert.equal(r.isError, true, p);
    assert.match(text(r), pattern, p);
  }
});

test('stdout held only JSON-RPC; the PAT appeared nowhere but at the fake\'s door', async () => {
  await world.checkHygiene();
  for (const f of world.frontends) {
    await f.close();
    assert.equal(f.exitStatus(), '0', 'the frontend exits 0 at end of input');
  }
});
