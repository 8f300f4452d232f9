'use strict';
// End to end: vaultd stopped, restarted, sealed and unsealed under a running
// frontend. Tools answer isError with the fix, the frontend keeps serving,
// and it recovers by itself. A PAT planted in LAYER_API_TOKEN is ignored.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { World, IDS } = require('./layer_e2e_harness');

let world;
let mcp;

before(async () => {
  world = await World.create();
  // The real PAT in the frontend's environment: it must be ignored, and
  // never show up anywhere (checkHygiene).
  mcp = await world.connect({ env: { LAYER_API_TOKEN: world.fake.pat } });
});

after(async () => {
  if (world) await world.cleanup();
});

function text(result) {
  return result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

async function listWorkspaces() {
  return mcp.call('list_workspaces', {});
}

test('vaultd stopped: isError with the fix; restarted: the same frontend recovers', async () => {
  const ok = await listWorkspaces();
  assert.equal(ok.isError, false, text(ok));

  await world.vaultd.stop();
  const down = await listWorkspaces();
  assert.equal(down.isError, true);
  assert.match(text(down), /vaultd is not running/);
  assert.match(text(down), /Start vaultd/);
  const generate = await mcp.call('generate', { model_id: IDS.imageFast, prompt: 'x' });
  assert.equal(generate.isError, true);
  assert.match(text(generate), /vaultd is not running/);
  assert.deepEqual(await mcp.client.ping(), {}, 'the frontend keeps serving');
  const status = await mcp.call('get_frontend_status', {});
  assert.equal(status.structuredContent.vaultd.reachable, false);

  await world.vaultd.start();
  const back = await listWorkspaces();
  assert.equal(back.isError, false, text(back));
  const run = await mcp.call('generate', { model_id: IDS.imageFast, prompt: 'after the restart', batch_size: 1 });
  assert.equal(run.isError, false, text(run));
  assert.equal(run.structuredContent.outputs.length, 1);
});

test('vaultd sealed: isError says run vaultctl unlock; unlocked: it works again', async () => {
  world.vaultd.lock();
  const sealed = await listWorkspaces();
  assert.equal(sealed.isError, true);
  assert.match(text(sealed), /sealed/);
  assert.match(text(sealed), /vaultctl unlock/);
  world.vaultd.unlock();
  const back = await listWorkspaces();
  assert.equal(back.isError, false, text(back));
});

test('LAYER_API_TOKEN is ignored and only named; stdout held only JSON-RPC; no PAT anywhere', async () => {
  assert.match(mcp.stderr, /LAYER_API_TOKEN/);
  const status = await mcp.call('get_frontend_status', {});
  assert.equal(status.structuredContent.warnings.length, 1);
  await world.checkHygiene();
  await mcp.close();
  assert.equal(mcp.exitStatus(), '0');
});
