'use strict';
// End to end: workflows (declared inputs checked before anything is spent,
// price, run with step progress, outputs saved byte for byte, the run read
// back) and the GraphQL-only prompt tools, through the real frontend, a
// real vaultd and the fake Layer.ai.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { World, IDS, fetchMedia, apiRequests } = require('./layer_e2e_harness');

let world;
let mcp;
let characterFileId;

before(async () => {
  world = await World.create();
  mcp = await world.connect();
  // A character image to feed the turnaround workflow: one of the fake's
  // PNGs, uploaded from the input root.
  const made = await mcp.call('generate', { model_id: IDS.imageFast, prompt: 'hero', batch_size: 1 });
  assert.equal(made.isError, false);
  fs.copyFileSync(made.structuredContent.outputs[0].absolute_path, path.join(world.inputs, 'hero.png'));
  const up = await mcp.call('upload_file', { path: 'hero.png' });
  assert.equal(up.isError, false);
  characterFileId = up.structuredContent.file_id;
});

after(async () => {
  if (world) await world.cleanup();
});

function text(result) {
  return result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

test('list_workflows shows each workflow with its declared inputs', async () => {
  const all = await mcp.call('list_workflows', {});
  assert.equal(all.isError, false, text(all));
  const ids = all.structuredContent.workflows.map((w) => w.workflow_id);
  assert.deepEqual(ids.sort(), [IDS.turnaround, IDS.icons].sort());
  const turnaround = all.structuredContent.workflows.find((w) => w.workflow_id === IDS.turnaround);
  assert.deepEqual(turnaround.inputs.map((i) => i.name), ['character_image', 'view_count']);
  const icons = await mcp.call('list_workflows', { search: 'icon' });
  assert.deepEqual(icons.structuredContent.workflows.map((w) => w.workflow_id), [IDS.icons]);
});

test('inputs that break the declaration are refused before Layer.ai is asked', async () => {
  const before = (await apiRequests(world.fake, 'POST', '/workflows/')).length;
  const cases = [
    [{ view_count: 4 }, /character_image/],
    [{ character_image: characterFileId, view_count: 20 }, /\/inputs\/view_count/],
    [{ character_image: characterFileId, colour: 'red' }, /colour/],
    [{ character_image: 5 }, /\/inputs\/character_image/],
  ];
  for (const [inputs, pattern] of cases) {
    for (const tool of ['run_workflow', 'estimate_workflow_price']) {
      const r = await mcp.call(tool, { workflow_id: IDS.turnaround, inputs });
      assert.equal(r.isError, true, `${tool} ${JSON.stringify(inputs)}`);
      assert.match(text(r), pattern);
    }
  }
  const unknown = await mcp.call('run_workflow', { workflow_id: '00000000-0000-4000-8000-0000000000ef', inputs: {} });
  assert.equal(unknown.isError, true);
  assert.match(text(unknown), /not in this workspace/);
  assert.equal((await apiRequests(world.fake, 'POST', '/workflows/')).length, before, 'no estimate or run was sent');
});

test('run_workflow estimates, runs with step progress and saves every output', async () => {
  const inputs = { character_image: characterFileId, view_count: 3 };
  const estimate = await mcp.call('estimate_workflow_price', { workflow_id: IDS.turnaround, inputs });
  assert.equal(estimate.isError, false, text(estimate));
  assert.equal(estimate.structuredContent.estimated_price_creative_units, 2.5);
  assert.deepEqual(estimate.structuredContent.expected_outputs, { views: 3 });
  assert.equal(estimate.structuredContent.workflow_name, 'Character turnaround');

  const progress = [];
  const run = await mcp.call('run_workflow', {
    workflow_id: IDS.turnaround, inputs, session_name: 'hero turnaround', output_dir: 'turnaround',
  }, { onprogress: (p) => progress.push(p) });
  assert.equal(run.isError, false, text(run));
  const s = run.structuredContent;
  assert.equal(s.status, 'success');
  assert.equal(s.workflow_id, IDS.turnaround);
  assert.match(s.run_id, /^20000000-/);
  assert.equal(s.creative_units_charged, 2.5);
  assert.equal(s.outputs.length, 3);
  for (const o of s.outputs) {
    assert.equal(o.output_name, 'views');
    assert.match(o.saved_path, /^turnaround\/character-turnaround-[0-9a-f]{8}-\d\.png$/);
    assert.deepEqual(fs.readFileSync(path.join(world.assets, o.saved_path)), await fetchMedia(world.fake, o.url));
  }
  assert.ok(progress.some((p) => /steps done/.test(p.message)), 'steps are reported');
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].progress > progress[i - 1].progress);

  const read = await mcp.call('get_workflow_run', { workflow_id: IDS.turnaround, run_id: s.run_id });
  assert.equal(read.isError, false, text(read));
  assert.equal(read.structuredContent.state, 'succeeded');
  assert.equal(read.structuredContent.steps.length, 3);
});

test('a workflow run that fails is an error with Layer.ai\'s reason', async () => {
  await world.fake.control({ action: 'script_runs', outcomes: [{ status: 'failure', kind: 'workflow', error_code: 'STEP_FAILED', error_message: 'upscale broke' }] });
  const run = await mcp.call('run_workflow', { workflow_id: IDS.icons, inputs: { prompt: 'potions', count: 2 } });
  assert.equal(run.isError, true);
  assert.equal(run.structuredContent.state, 'ended');
  assert.equal(run.structuredContent.error_code, 'STEP_FAILED');
  assert.equal(run.structuredContent.creative_units_charged, 0);
  assert.match(text(run), /upscale broke/);
});

test('the GraphQL-only prompt tools answer with text', async () => {
  const described = await mcp.call('describe_image', { image_url: `${world.fake.mediaBaseUrl}/media/x.png` });
  assert.equal(described.isError, false, text(described));
  assert.equal(typeof described.structuredContent.description, 'string');
  assert.ok(described.structuredContent.description.length > 0);
  const improved = await mcp.call('improve_prompt', { prompt: 'a tower', instruction: 'more moss' });
  assert.equal(improved.isError, false, text(improved));
  assert.ok(improved.structuredContent.improved_prompt.length > 0);
  const suggested = await mcp.call('suggest_prompt', {});
  assert.equal(suggested.isError, false, text(suggested));
  assert.ok(suggested.structuredContent.prompt.length > 0);
  const insecure = await mcp.call('describe_image', { image_url: 'http://example.com/a.png' });
  assert.equal(insecure.isError, true);
});

test('stdout held only JSON-RPC; the PAT appeared nowhere but at the fake\'s door', async () => {
  await world.checkHygiene();
  for (const f of world.frontends) {
    await f.close();
    assert.equal(f.exitStatus(), '0');
  }
});
