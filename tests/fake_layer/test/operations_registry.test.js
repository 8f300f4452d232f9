'use strict';
// vaultd's operation registry (vaultd/relay/operations/) is well-formed, its
// GraphQL documents validate against Layer's schema, and the fake serves
// every operation in it.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv');
const {
  parse, validate, visit, visitWithTypeInfo, TypeInfo, getNamedType, isUnionType, Kind,
} = require('graphql');
const { loadSchema } = require('../lib/graphql');
const { ROUTES } = require('../lib/rest');
const S = require('../lib/schemas');
const { IDS } = require('../lib/state');
const { startFake } = require('../harness');

const ROOT = path.join(__dirname, '..', '..', '..');
const OPS_DIR = path.join(ROOT, 'vaultd', 'relay', 'operations');
const REST = JSON.parse(fs.readFileSync(path.join(OPS_DIR, 'rest_operations.json'), 'utf8'));
const GQL = JSON.parse(fs.readFileSync(path.join(OPS_DIR, 'graphql_operations.json'), 'utf8'));
const SCHEMA = loadSchema(path.join(ROOT, 'tests', 'data', 'layer_graphql_schema.json'));

const SCOPES = ['layer:read', 'layer:generate', 'layer:upload'];
const KINDS = ['read', 'estimate', 'execute', 'upload_url'];
// The JSON Schema subset vaultd implements (README.md in the registry dir).
const SUBSET = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'maxItems']);
const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
const pointer = /^(\/([^~/]|~[01])*)+$/;

function subsetKeywords(schema, where) {
  assert.equal(typeof schema, 'object', where);
  for (const [k, v] of Object.entries(schema)) {
    assert.ok(SUBSET.has(k), `${where}: keyword "${k}" is outside the subset`);
    if (k === 'properties') for (const [name, sub] of Object.entries(v)) subsetKeywords(sub, `${where}.${name}`);
    if (k === 'items') subsetKeywords(v, `${where}[]`);
    if (k === 'additionalProperties') assert.equal(typeof v, 'boolean', `${where}: additionalProperties must be a boolean`);
    if (k === 'pattern') assert.match(v, /^\^.*\$$/, `${where}: pattern must be anchored`);
  }
  const types = [].concat(schema.type || []);
  if (types.includes('object') && schema.properties) assert.equal(schema.additionalProperties, false, `${where}: objects with properties must set additionalProperties: false`);
}

// Values a strict id pattern must refuse (path traversal, encoding, injection).
const BAD_IDS = ['', '.', '..', '../x', 'a/b', 'a%2Fb', '%2e%2e', 'a b', 'a\nb', 'a\tb', 'a?b=c', 'a#b', 'a;b', 'ä', 'x'.repeat(129), 'a.b'];

test('rest_operations.json: header and operation fields', () => {
  assert.equal(REST.format_version, 1);
  assert.match(REST.base_url, /^https:\/\/[^/]+\/api$/);
  assert.deepEqual(REST.scopes, SCOPES);
  const names = REST.operations.map((o) => o.name);
  assert.equal(new Set(names).size, names.length, 'names are unique');
  for (const expected of ['workspaces.list', 'workspaces.get', 'models.list', 'models.get', 'inferences.estimate', 'inferences.execute',
    'inferences.get', 'workflows.list', 'workflows.estimate', 'workflows.execute', 'workflows.runs.get', 'files.upload_url']) {
    assert.ok(names.includes(expected), expected);
  }
  for (const op of REST.operations) {
    const w = op.name;
    assert.match(w, /^[a-z_]+(\.[a-z_]+)+$/);
    assert.ok(['GET', 'POST'].includes(op.method), `${w}: method`);
    assert.match(op.path, /^\/v1\/[a-z0-9/{}_-]+$/, `${w}: path`);
    assert.ok(SCOPES.includes(op.scope), `${w}: scope ${op.scope}`);
    assert.ok(KINDS.includes(op.kind), `${w}: kind ${op.kind}`);
    assert.equal(typeof op.idempotent, 'boolean', `${w}: idempotent`);
    if (op.method === 'GET') {
      assert.equal(op.idempotent, true, `${w}: GET is idempotent`);
      assert.equal(op.kind, 'read', `${w}: GET is a read`);
      assert.equal(op.body_schema, null, `${w}: GET has no body`);
    }
    if (op.kind === 'execute') assert.equal(op.scope, 'layer:generate', `${w}: execute needs layer:generate`);
    if (op.kind === 'upload_url') assert.equal(op.scope, 'layer:upload', `${w}`);
  }
});

test('rest_operations.json: every path parameter is declared with a strict id pattern', () => {
  for (const op of REST.operations) {
    const inTemplate = [...op.path.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
    assert.deepEqual([...inTemplate].sort(), Object.keys(op.path_params).sort(), `${op.name}: template vs path_params`);
    assert.equal(op.path.replace(/\{[a-z_]+\}/g, ''), op.path.replace(/\{[^}]*\}/g, ''), `${op.name}: param names`);
    for (const [name, schema] of Object.entries(op.path_params)) {
      assert.deepEqual(Object.keys(schema).sort(), ['pattern', 'type'], `${op.name}.${name}`);
      assert.equal(schema.type, 'string');
      const check = ajv.compile(schema);
      for (const bad of BAD_IDS) assert.equal(check(bad), false, `${op.name}.${name} must refuse ${JSON.stringify(bad)}`);
      for (const good of ['00000000-0000-4000-8000-000000000001', 'abc_DEF-123', 'x'.repeat(128)]) assert.equal(check(good), true, `${op.name}.${name} accepts ${good}`);
    }
  }
});

test('rest_operations.json: query parameters and bodies compile and stay in the schema subset', () => {
  for (const op of REST.operations) {
    for (const [name, schema] of Object.entries(op.query_params)) {
      assert.ok(!(name in op.path_params) && name !== 'body', `${op.name}: query param ${name} collides`);
      assert.ok(['string', 'integer', 'boolean'].includes(schema.type), `${op.name}?${name}: scalar type`);
      subsetKeywords(schema, `${op.name}?${name}`);
      ajv.compile(schema);
    }
    if (op.body_schema !== null) {
      assert.equal(op.body_schema.type, 'object', `${op.name}: body is an object`);
      subsetKeywords(op.body_schema, `${op.name}.body`);
      ajv.compile(op.body_schema);
    }
  }
});

test('rest_operations.json: execute operations name their estimate and where the cost is', () => {
  const byName = Object.fromEntries(REST.operations.map((o) => [o.name, o]));
  for (const op of REST.operations.filter((o) => o.kind === 'estimate')) {
    assert.match(op.price_field, pointer, `${op.name}: price_field`);
  }
  const executes = REST.operations.filter((o) => o.kind === 'execute');
  assert.ok(executes.length >= 2);
  for (const op of executes) {
    assert.equal(op.idempotent, false, `${op.name}: never retried`);
    const est = byName[op.estimate_operation];
    assert.ok(est && est.kind === 'estimate', `${op.name}: estimate_operation ${op.estimate_operation}`);
    assert.deepEqual(Object.keys(est.path_params).sort(), Object.keys(op.path_params).sort(), `${op.name}: same path params as its estimate`);
    // The estimate body is the execute body minus the omitted fields.
    const props = { ...op.body_schema.properties };
    for (const f of op.estimate_omit_body_fields) {
      assert.ok(f in props, `${op.name}: omitted field ${f} exists`);
      delete props[f];
    }
    assert.deepEqual(est.body_schema.properties, props, `${op.name}: estimate body = execute body - omitted`);
    assert.deepEqual(est.body_schema.required, op.body_schema.required);

    const c = op.cost;
    for (const k of ['reserved_price_field', 'run_id_field', 'status_field', 'charged_price_field']) assert.match(c[k], pointer, `${op.name}: cost.${k}`);
    const run = byName[c.run_operation];
    assert.ok(run && run.kind === 'read' && run.method === 'GET', `${op.name}: run_operation`);
    assert.ok(c.run_id_param in run.path_params, `${op.name}: run_id_param in ${run.name}`);
    for (const p of Object.keys(run.path_params)) {
      assert.ok(p === c.run_id_param || p in op.path_params, `${op.name}: ${run.name} param ${p} comes from the execute call`);
    }
    assert.ok(c.success_statuses.length > 0 && c.success_statuses.every((s) => c.terminal_statuses.includes(s)));
  }
});

test('rest_operations.json: the fake serves every operation, with the same body fields', () => {
  const fakeBodies = new Map([
    ['inferences.execute', S.INFERENCE_EXECUTE], ['inferences.estimate', S.INFERENCE_ESTIMATE], ['files.upload_url', S.UPLOAD_URL],
    ['workflows.estimate', S.WORKFLOW_ESTIMATE], ['workflows.execute', S.WORKFLOW_EXECUTE],
  ]);
  for (const op of REST.operations) {
    const route = ROUTES.find((r) => r.method === op.method && r.pattern === op.path);
    assert.ok(route, `fake has no route for ${op.method} ${op.path}`);
    if (op.body_schema) {
      const fakeSchema = fakeBodies.get(op.name);
      assert.ok(fakeSchema, `${op.name}: fake body schema`);
      assert.deepEqual(Object.keys(op.body_schema.properties).sort(), Object.keys(fakeSchema.properties).sort(), `${op.name}: body fields`);
      assert.deepEqual(op.body_schema.required, fakeSchema.required, `${op.name}: required`);
    }
    const fakeQuery = route.query.schema.properties;
    assert.deepEqual(Object.keys(op.query_params).sort(), Object.keys(fakeQuery).sort(), `${op.name}: query params`);
  }
});

// ---- GraphQL ---------------------------------------------------------------

// Never in an agent's reach (shared/layer-api/OPERATIONS.md section 12) plus
// fields that carry credentials or upload capabilities.
const DENIED_FIELDS = new Set([
  'createPersonalAccessToken', 'updatePersonalAccessToken', 'deletePersonalAccessToken', 'personalAccessTokens', 'token',
  'acceptTos', 'updateConsent', 'syncUser', 'updateOnboardingState', 'updateUserDismissedUI',
  'createWorkspace', 'updateWorkspace', 'deleteWorkspace', 'makeWorkspaceBillingLink', 'inviteWorkspaceMember',
  'updateWorkspaceMember', 'deleteWorkspaceMember', 'dismissWorkspaceNotices', 'logWorkspaceActivity',
  'deleteDriveItems', 'deleteObjects', 'deleteDirectory', 'deleteFile', 'updateFiles', 'updateFile', 'deleteAsset',
  'archiveAsset', 'deleteStyle', 'deleteInference', 'deleteBlueprint', 'deleteBlueprintDraft', 'moveToDirectory',
  'updateStyle', 'createStyle', 'updateBlueprintWorkspaceLink', 'publishBlueprintDraft', 'reportFile',
  'createBatchInference', 'executeBlueprint', 'executeBlueprintDraft', 'restartBlueprintRun',
  'intercomHash', 'billingInfo', 'members', 'listEvents', 'memberships', 'uploadUrl', 'attachmentUploadUrls', 'bucketPath',
]);
const ERROR_FIELDS = ['type', 'code', 'title', 'message', 'data'];

function graphqlFiles() {
  return fs.readdirSync(path.join(OPS_DIR, 'graphql')).filter((f) => f.endsWith('.graphql')).sort();
}

test('Layer\'s Error type has the fields the documents select', () => {
  const fields = Object.keys(SCHEMA.getType('Error').getFields());
  assert.deepEqual([...fields].sort(), [...ERROR_FIELDS].sort());
});

test('every graphql/*.graphql document validates against the schema', () => {
  const files = graphqlFiles();
  assert.ok(files.length > 0);
  for (const f of files) {
    const text = fs.readFileSync(path.join(OPS_DIR, 'graphql', f), 'utf8');
    const document = parse(text);
    const errors = validate(SCHEMA, document);
    assert.deepEqual(errors.map((e) => e.message), [], f);
    const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    assert.equal(ops.length, 1, `${f}: one operation`);
    assert.equal(ops[0].name && ops[0].name.value, path.basename(f, '.graphql'), `${f}: operation named after the file`);
    assert.ok(document.definitions.every((d) => d.kind === Kind.OPERATION_DEFINITION), `${f}: no fragments`);
  }
});

test('graphql_operations.json maps every document, and only those, with scope and variables', () => {
  assert.equal(GQL.format_version, 1);
  assert.match(GQL.endpoint, /^https:\/\/[^/]+\/graphql$/);
  const listed = GQL.operations.map((o) => path.basename(o.file));
  assert.deepEqual([...listed].sort(), graphqlFiles(), 'files on disk = files in the map');
  for (const op of GQL.operations) {
    const w = op.name;
    assert.equal(w, `graphql.${op.operation_name}`);
    assert.equal(op.file, `graphql/${op.operation_name}.graphql`);
    assert.ok(SCOPES.includes(op.scope), `${w}: scope`);
    assert.equal(typeof op.idempotent, 'boolean');
    const document = parse(fs.readFileSync(path.join(OPS_DIR, op.file), 'utf8'));
    const def = document.definitions[0];
    assert.equal(def.operation, op.operation_type, `${w}: operation_type`);
    if (def.operation === 'mutation') {
      assert.equal(op.idempotent, false, `${w}: mutations are not retried`);
      assert.notEqual(op.scope, 'layer:read', `${w}: mutations are not read-scoped`);
    }
    subsetKeywords(op.variables_schema, `${w}.variables`);
    ajv.compile(op.variables_schema);
    const declared = def.variableDefinitions.map((v) => v.variable.name.value);
    assert.deepEqual(Object.keys(op.variables_schema.properties).sort(), [...declared].sort(), `${w}: variables_schema covers exactly the variables`);
    const nonNull = def.variableDefinitions.filter((v) => v.type.kind === Kind.NON_NULL_TYPE && !v.defaultValue).map((v) => v.variable.name.value);
    assert.deepEqual([...op.variables_schema.required].sort(), [...nonNull].sort(), `${w}: required = non-null variables`);
  }
});

test('documents select no denied field, and every Error union member fully', () => {
  for (const f of graphqlFiles()) {
    const document = parse(fs.readFileSync(path.join(OPS_DIR, 'graphql', f), 'utf8'));
    const typeInfo = new TypeInfo(SCHEMA);
    visit(document, visitWithTypeInfo(typeInfo, {
      Field(node) {
        assert.ok(!DENIED_FIELDS.has(node.name.value), `${f}: selects denied field ${node.name.value}`);
        const t = typeInfo.getType();
        const named = t && getNamedType(t);
        if (!named || !isUnionType(named)) return;
        const members = named.getTypes().map((x) => x.name);
        const frags = node.selectionSet.selections.filter((s) => s.kind === Kind.INLINE_FRAGMENT);
        const on = (name) => frags.find((s) => s.typeCondition && s.typeCondition.name.value === name);
        if (members.includes('Error')) {
          const e = on('Error');
          assert.ok(e, `${f}: ${node.name.value} lacks "... on Error"`);
          assert.deepEqual(e.selectionSet.selections.map((s) => s.name.value).sort(), [...ERROR_FIELDS].sort(), `${f}: Error fields`);
        }
        assert.ok(members.filter((m) => m !== 'Error').some((m) => on(m)), `${f}: ${node.name.value} selects a payload member`);
      },
    }));
  }
});

// ---- the registry against the fake ------------------------------------------

let fake;
before(async () => { fake = await startFake(); });
after(async () => { await fake.stop(); });

test('each GraphQL operation runs against the fake with valid variables and gets its payload', async () => {
  const WS = IDS.workspaces.studio;
  const samples = {
    'graphql.DescribeImage': { workspaceId: WS, imageUrl: 'https://media.app.layer.ai/x/castle.png' },
    'graphql.TransformPrompt': { workspaceId: WS, prompt: 'a castle', guidance: 'more dramatic', images: null },
    'graphql.GeneratePrompt': { workspaceId: WS },
    'graphql.ListTranslationLanguages': { workspaceId: WS },
    'graphql.GetWorkspaceUsage': { workspaceId: WS, groupBy: ['MODEL_ID', 'MODALITY'] },
    'graphql.GetFiles': { fileIds: ['30000000-0000-4000-8000-000000000001'] },
  };
  assert.deepEqual(Object.keys(samples).sort(), GQL.operations.map((o) => o.name).sort(), 'a sample for each operation');
  for (const op of GQL.operations) {
    const vars = samples[op.name];
    assert.ok(ajv.validate(op.variables_schema, vars), `${op.name}: sample passes variables_schema: ${ajv.errorsText()}`);
    const r = await fake.graphql(fs.readFileSync(path.join(OPS_DIR, op.file), 'utf8'), vars);
    assert.equal(r.status, 200, `${op.name}: ${r.body}`);
    const body = r.json();
    assert.equal(body.errors, undefined, `${op.name}: ${JSON.stringify(body.errors)}`);
    const value = Object.values(body.data)[0];
    const typenames = [].concat(value).map((v) => v.__typename);
    assert.ok(typenames.length > 0, op.name);
    if (op.name !== 'graphql.GetFiles') assert.ok(!typenames.includes('Error'), `${op.name}: ${JSON.stringify(value)}`);
  }
  const bad = GQL.operations.find((o) => o.name === 'graphql.DescribeImage');
  for (const vars of [{ workspaceId: '../admin', imageUrl: 'https://x/y' }, { workspaceId: WS, imageUrl: 'file:///etc/passwd' }, { workspaceId: WS, imageUrl: 'https://x/y', extra: 1 }]) {
    assert.equal(ajv.validate(bad.variables_schema, vars), false, JSON.stringify(vars));
  }
});

test('sample REST bodies accepted by the registry are accepted by the fake', async () => {
  const byName = Object.fromEntries(REST.operations.map((o) => [o.name, o]));
  const WS = IDS.workspaces.studio;
  const execute = {
    model_id: IDS.models.imageFast, prompt: 'isometric stone tower', width: 1024, height: 1024, batch_size: 1, quality: 'high',
    seed: -1, session_name: 'towers', video_effects: [{ type: 'ORBIT_360', weight: 50 }], remove_background: true,
  };
  const cases = [
    ['inferences.estimate', { workspace_id: WS }, { model_id: IDS.models.imageFast, prompt: null, batch_size: 2, width: null }],
    ['inferences.execute', { workspace_id: WS }, execute],
    ['files.upload_url', { workspace_id: WS }, { content_type: 'image/png', file_size_bytes: 482112, file_name: 'ref.png' }],
    ['workflows.estimate', { workspace_id: WS, workflow_id: IDS.workflows.icons }, { inputs: { prompt: 'gems' } }],
    ['workflows.execute', { workspace_id: WS, workflow_id: IDS.workflows.icons }, { inputs: { prompt: 'gems', count: 2 }, session_name: 's' }],
  ];
  for (const [name, params, body] of cases) {
    const op = byName[name];
    assert.ok(ajv.validate(op.body_schema, body), `${name}: registry accepts the sample: ${ajv.errorsText()}`);
    const p = op.path.replace(/\{(\w+)\}/g, (_, k) => params[k]);
    const r = await fake.api(op.method, p, body);
    assert.equal(r.status, 200, `${name}: ${r.body}`);
  }
  // The registry refuses what the fake would also refuse.
  const ex = byName['inferences.execute'].body_schema;
  for (const body of [{ prompt: 'x' }, { model_id: 'a/b' }, { model_id: 'm', batch_size: 17 }, { model_id: 'm', parameters: {} }, { model_id: 'm', guidance_files: new Array(21).fill({ file_id: 'f', type: 'init_image' }) }]) {
    assert.equal(ajv.validate(ex, body), false, JSON.stringify(body).slice(0, 80));
  }
});
