'use strict';
// The fake's GraphQL endpoint: every document is validated against Layer's
// schema, variables are coerced, implemented fields answer plausible data.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startFake } = require('../harness');
const { IDS } = require('../lib/state');

const WS = IDS.workspaces.studio;
const DOCS = path.join(__dirname, '..', '..', '..', 'vaultd', 'relay', 'operations', 'graphql');
const doc = (name) => fs.readFileSync(path.join(DOCS, `${name}.graphql`), 'utf8');
let fake;

before(async () => { fake = await startFake(); });
after(async () => { await fake.stop(); });
beforeEach(async () => { await fake.reset(); });

async function data(query, variables) {
  const r = await fake.graphql(query, variables);
  assert.equal(r.status, 200, String(r.body));
  const body = r.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

test('syntax errors, unknown fields and wrong argument types are 400 with errors[]', async () => {
  for (const q of ['query {', '{ getMyUserX { __typename } }', 'query { describeImage { __typename } }',
    'mutation { describeImage(input: {workspaceId: 1.5}) { __typename } }',
    'mutation { generatePrompt(input: {}) { __typename } }',
    // A union needs fragments; selecting a member field directly is invalid.
    'mutation M($w: ID!) { generatePrompt(input: {workspaceId: $w}) { value } }']) {
    const r = await fake.graphql(q, { w: WS });
    assert.equal(r.status, 400, q);
    const { errors } = r.json();
    assert.ok(errors.length > 0 && typeof errors[0].message === 'string', q);
  }
});

test('variables are coerced against their declared types', async () => {
  const q = doc('GetFiles');
  for (const vars of [{}, { fileIds: null }, { fileIds: [1.5] }, { fileIds: [{}] }]) {
    const r = await fake.graphql(q, vars);
    assert.equal(r.status, 400, JSON.stringify(vars));
    assert.match(r.json().errors[0].message, /Variable "\$fileIds"/);
  }
  // A single value coerces to a list, as in graphql-js.
  const d = await data(q, { fileIds: 'x' });
  assert.equal(d.getFilesById.length, 1);
});

test('fields the fake does not implement answer 501; subscriptions are refused', async () => {
  const r = await fake.graphql('query { getMyUser { __typename } }');
  assert.equal(r.status, 501);
  assert.equal(r.json().errors[0].extensions.code, 'FAKE_NOT_IMPLEMENTED');
  const s = await fake.graphql('subscription S($w: ID!) { onInferenceProgress(input: {id: $w, idType: WORKSPACE}) { id } }', { w: WS });
  assert.equal(s.status, 400);
  const two = await fake.graphql('query A { __typename } query B { __typename }');
  assert.equal(two.status, 400, 'two operations need operationName');
  assert.equal((await fake.graphql('query A { __typename } query B { __typename }', undefined, { operationName: 'B' })).status, 200);
});

test('DescribeImage, TransformPrompt, GeneratePrompt answer text', async () => {
  const d1 = await data(doc('DescribeImage'), { workspaceId: WS, imageUrl: 'https://media.example/tower.png' });
  assert.equal(d1.describeImage.__typename, 'StringWrapper');
  assert.match(d1.describeImage.value, /tower\.png/);
  const d2 = await data(doc('TransformPrompt'), { workspaceId: WS, prompt: 'a tower', guidance: 'make it spooky', images: [{ url: 'https://media.example/a.png', type: 'INIT' }] });
  assert.match(d2.transformPrompt.value, /^a tower, following "make it spooky", matching 1 reference image/);
  const p1 = (await data(doc('GeneratePrompt'), { workspaceId: WS })).generatePrompt.value;
  const p2 = (await data(doc('GeneratePrompt'), { workspaceId: WS })).generatePrompt.value;
  assert.notEqual(p1, p2);
});

test('an unknown workspace gives the Error member of the union', async () => {
  const d = await data(doc('DescribeImage'), { workspaceId: '00000000-0000-4000-8000-00000000ffff', imageUrl: 'https://x/y.png' });
  assert.deepEqual(d.describeImage, {
    __typename: 'Error', type: 'NOT_FOUND_ERROR', code: 'WORKSPACE_NOT_FOUND', title: 'Not found',
    message: 'workspace 00000000-0000-4000-8000-00000000ffff not found', data: null,
  });
});

test('GetWorkspaceUsage follows real spending', async () => {
  const run = (await fake.api('POST', `/v1/workspaces/${WS}/inferences`, { model_id: IDS.models.imageFast, batch_size: 2 })).json();
  await fake.control({ action: 'set_config', polls_to_complete: 1 });
  const done = (await fake.api('GET', `/v1/workspaces/${WS}/inferences/${run.inference_id}`)).json();
  assert.equal(done.status, 'complete');
  const u = (await data(doc('GetWorkspaceUsage'), { workspaceId: WS, groupBy: ['MODEL_ID'] })).getWorkspaceUsage;
  assert.equal(u.__typename, 'WorkspaceUsage');
  assert.equal(u.workspaceId, WS);
  assert.deepEqual(u.entitlement, { balance: 299.6, usage: 0.4, overage: 0, hasAccess: true });
  assert.equal(u.grants[0].amount, 300);
  assert.equal(Object.values(u.usage.byDate)[0], 0.4);

  // GetFiles resolves the generated outputs to their download URLs.
  const files = (await data(doc('GetFiles'), { fileIds: done.outputs.map((o) => o.file_id).concat(['missing']) })).getFilesById;
  assert.equal(files.length, 3);
  assert.deepEqual(files.slice(0, 2).map((f) => [f.__typename, f.url, f.contentType, f.isGenerated, f.width]),
    done.outputs.map((o) => ['File', o.url, 'image/png', true, 64]));
  assert.equal(files[2].__typename, 'Error');
});

test('ListTranslationLanguages lists languages', async () => {
  const d = await data(doc('ListTranslationLanguages'), { workspaceId: WS });
  assert.ok(d.listTranslationLanguages.languages.some((l) => l.id === 'en' && l.displayName === 'English'));
});
