'use strict';
// End to end: vaultd stopped, restarted, sealed and unsealed under a running
// frontend. Tools answer isError with the fix, the frontend keeps serving,
// and it recovers by itself. A PAT planted in LAYER_API_TOKEN is ignored.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');

const { World, IDS, sleep } = require('./layer_e2e_harness');

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
  // The frontend's idle connection closed with the stop (client channels
  // close after a second idle; vaultd waits for that), so this call finds
  // vaultd gone rather than writing into a dead connection.
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

// vaultd's audit events (JSON lines in its log) written after offset `from`.
function auditEventsSince(from) {
  return world.vaultd.log().slice(from).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

test('vaultd killed mid-call: the call ends at once with isError naming vaultd; restarted: the next call works', async () => {
  const logStart = world.vaultd.log().length;
  const before = await listWorkspaces();
  assert.equal(before.isError, false, text(before));
  const calls = auditEventsSince(logStart).filter((e) => e.event === 'relay.call' && e.decision === 'allow');
  assert.ok(calls.length > 0 && calls[calls.length - 1].jti, 'vaultd audited the call with its token id');
  const jtiBefore = calls[calls.length - 1].jti;

  // Hold the next upstream request inside vaultd's relay far longer than
  // the bound below, so that only vaultd's death can end the call in time.
  const holdMs = 20000;
  await world.fake.control({ action: 'inject_fault', type: 'delay', delay_ms: holdMs, method: 'GET', path: '/api/v1/workspaces' });
  const { requests: seen } = await world.fake.requests({ server: 'api' });
  const since = seen.length === 0 ? 0 : seen[seen.length - 1].seq;
  const pending = listWorkspaces();
  // In flight: the fake has the request and is holding it.
  for (let i = 0; ; i++) {
    const { requests } = await world.fake.requests({ server: 'api', since });
    if (requests.some((r) => r.fault && r.fault.type === 'delay')) break;
    assert.ok(i < 400, 'the call reached the fake');
    await sleep(25);
  }

  const proc = world.vaultd.proc;
  const killed = new Promise((r) => proc.once('exit', (code, signal) => r(signal)));
  proc.kill('SIGKILL');
  assert.equal(await killed, 'SIGKILL');
  await world.vaultd.stop();
  const killedAt = Date.now();
  const boundMs = 5000;
  let timer;
  const answer = await Promise.race([
    pending,
    new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${boundMs} ms of the kill`)), boundMs);
    }),
  ]);
  clearTimeout(timer);
  const elapsed = Date.now() - killedAt;
  const message = text(answer);
  assert.equal(answer.isError, true, message);
  assert.match(message, /vaultd is unavailable: the connection to it was lost/);
  assert.match(message, /Start vaultd/);
  assert.ok(!message.includes(world.fake.pat), 'no PAT in the answer');
  assert.doesNotMatch(message, /v4\.public\./, 'no token in the answer');
  assert.ok(elapsed < boundMs, `answered ${elapsed} ms after the kill`);
  assert.deepEqual(await mcp.client.ping(), {}, 'the frontend keeps serving');
  console.log(`answered ${elapsed} ms after the SIGKILL: ${message}`);

  const logBefore = world.vaultd.log().length;
  await world.vaultd.start();
  const back = await listWorkspaces();
  assert.equal(back.isError, false, text(back));
  // The restarted vaultd served it. Signing keys and revocations live in
  // the store, so the frontend's token outlived the crash (a token is
  // re-issued only when vaultd refuses the cached one).
  const after = auditEventsSince(logBefore).filter((e) => e.event === 'relay.call' && e.decision === 'allow');
  assert.equal(after.length, 1, 'the call went through the restarted vaultd');
  assert.equal(after[0].jti, jtiBefore, 'with the token issued before the crash');
  await world.fake.control({ action: 'clear_faults' });
});

test('LAYER_API_TOKEN is ignored and only named; stdout held only JSON-RPC; no PAT anywhere', async () => {
  assert.match(mcp.stderr, /LAYER_API_TOKEN/);
  const status = await mcp.call('get_frontend_status', {});
  assert.equal(status.structuredContent.warnings.length, 1);
  await world.checkHygiene();
  await mcp.close();
  assert.equal(mcp.exitStatus(), '0');
});
