'use strict';
// REST endpoints of Layer.ai (shared/layer-api/REST.md), served under /api.
// Every path parameter, query parameter and body is checked against the
// schemas in schemas.js before the state is touched.

const Ajv = require('ajv');
const S = require('./schemas');
const { FakeLayerState, FakeError } = require('./state');
const { json, restError, validationError } = require('./http_util');

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const ajvQuery = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, coerceTypes: true });
const ajvLoose = new Ajv({ allErrors: true, strict: false }); // workflow value_schemas come from data
const uuidCheck = ajv.compile(S.UUID);

// FastAPI-style error items from Ajv errors; `where` is 'body' or 'query'.
function ajvDetail(errors, where) {
  return errors.map((e) => {
    const loc = [where, ...e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p))];
    if (e.keyword === 'required') loc.push(e.params.missingProperty);
    if (e.keyword === 'additionalProperties') loc.push(e.params.additionalProperty);
    return { loc, msg: e.message, type: e.keyword };
  });
}

function route(method, pattern, { query = S.NO_QUERY, body = null }, handler) {
  const names = [];
  const re = new RegExp('^' + pattern.replace(/\{(\w+)\}/g, (_, n) => { names.push(n); return '([^/]*)'; }) + '$');
  return { method, pattern, re, names, query: ajvQuery.compile(query), body: body && ajv.compile(body), handler };
}

function page(items, query, key) {
  const limit = query.limit ?? 20;
  let offset = 0;
  if (query.cursor !== undefined) {
    const m = /^o(\d+)$/.exec(Buffer.from(query.cursor, 'base64url').toString('latin1'));
    if (!m) throw new FakeError(422, 'VALIDATION_ERROR', 'invalid cursor', ['query', 'cursor']);
    offset = Number(m[1]);
  }
  const slice = items.slice(offset, offset + limit);
  const more = offset + limit < items.length;
  return {
    [key]: slice,
    pagination: {
      has_more_results: more,
      next_cursor: more ? Buffer.from(`o${offset + limit}`).toString('base64url') : null,
      total_count: items.length,
    },
  };
}

function validateValue(schema, value) {
  const v = ajvLoose.compile(schema);
  return v(value) ? null : ajvLoose.errorsText(v.errors, { dataVar: 'input' });
}

const WS = '/v1/workspaces/{workspace_id}';
const ROUTES = [
  route('GET', '/v1/workspaces', { query: S.LIST_QUERY }, ({ state, query }) =>
    page(state.listWorkspaces(), query, 'workspaces')),
  route('GET', WS, {}, ({ state, p }) => state.workspaceView(state.workspace(p.workspace_id))),
  route('GET', `${WS}/models`, { query: S.LIST_QUERY }, ({ state, p, query }) =>
    page(state.modelsFor(p.workspace_id).map(FakeLayerState.modelView), query, 'models')),
  route('GET', `${WS}/models/{model_id}`, {}, ({ state, p }) =>
    FakeLayerState.modelView(state.model(p.workspace_id, p.model_id))),
  route('POST', `${WS}/files/upload-url`, { body: S.UPLOAD_URL }, ({ state, p, body }) =>
    state.createUpload(p.workspace_id, body)),
  route('POST', `${WS}/inferences`, { body: S.INFERENCE_EXECUTE }, ({ state, p, body }) =>
    state.createInference(p.workspace_id, body)),
  route('POST', `${WS}/inferences/estimate`, { body: S.INFERENCE_ESTIMATE }, ({ state, p, body }) =>
    state.estimateInference(p.workspace_id, body)),
  route('GET', `${WS}/inferences/{inference_id}`, {}, ({ state, p }) => {
    const run = state.getRun('inference', p.workspace_id, p.inference_id);
    state.poll(run);
    return state.inferenceView(run);
  }),
  route('GET', `${WS}/workflows`, { query: S.WORKFLOW_LIST_QUERY }, ({ state, p, query }) =>
    page(state.listWorkflows(p.workspace_id, query.search), query, 'workflows')),
  route('POST', `${WS}/workflows/{workflow_id}/estimate`, { body: S.WORKFLOW_ESTIMATE }, ({ state, p, body }) =>
    state.estimateWorkflow(p.workspace_id, p.workflow_id, body, validateValue)),
  route('POST', `${WS}/workflows/{workflow_id}/runs`, { body: S.WORKFLOW_EXECUTE }, ({ state, p, body }) =>
    state.createWorkflowRun(p.workspace_id, p.workflow_id, body, validateValue)),
  route('GET', `${WS}/workflows/{workflow_id}/runs/{run_id}`, {}, ({ state, p }) => {
    const run = state.getRun('workflow', p.workspace_id, p.run_id, p.workflow_id);
    state.pollWorkflowRun(run);
    return state.workflowRunView(run);
  }),
];

// Handles one request under /api. `path` excludes the /api prefix.
function handleRest(state, { method, path, searchParams, headers, body }) {
  const matches = ROUTES.map((r) => ({ r, m: r.re.exec(path) })).filter((x) => x.m);
  if (matches.length === 0) return json(404, { detail: 'Not Found' });
  const hit = matches.find((x) => x.r.method === method);
  if (!hit) return json(405, { detail: 'Method Not Allowed' }, { allow: [...new Set(matches.map((x) => x.r.method))].join(', ') });
  const { r, m } = hit;

  const detail = [];
  const p = {};
  r.names.forEach((name, i) => {
    let value;
    try {
      value = decodeURIComponent(m[i + 1]);
    } catch {
      value = m[i + 1];
    }
    p[name] = value;
    if (!uuidCheck(value)) detail.push({ loc: ['path', name], msg: 'must be a UUID', type: 'uuid_parsing' });
  });

  const query = {};
  for (const key of new Set(searchParams.keys())) {
    const all = searchParams.getAll(key);
    if (all.length > 1) detail.push({ loc: ['query', key], msg: 'repeated query parameter', type: 'repeated' });
    query[key] = all[0];
  }
  if (!r.query(query)) detail.push(...ajvDetail(r.query.errors, 'query'));

  let parsed;
  if (r.body) {
    const ct = String(headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (ct !== 'application/json') {
      detail.push({ loc: ['body'], msg: 'Content-Type must be application/json', type: 'content_type' });
    } else if (body.length === 0) {
      detail.push({ loc: ['body'], msg: 'Field required', type: 'missing' });
    } else {
      try {
        parsed = JSON.parse(body.toString('utf8'));
        if (!r.body(parsed)) detail.push(...ajvDetail(r.body.errors, 'body'));
      } catch (e) {
        detail.push({ loc: ['body'], msg: `JSON decode error: ${e.message}`, type: 'json_invalid' });
      }
    }
  } else if (body.length > 0) {
    detail.push({ loc: ['body'], msg: `${method} takes no body (the fake is strict)`, type: 'unexpected_body' });
  }
  if (detail.length) return validationError(detail);

  try {
    return json(200, r.handler({ state, p, query, body: parsed }));
  } catch (e) {
    if (!(e instanceof FakeError)) throw e;
    if (e.status === 422) return validationError([{ loc: e.loc || ['body'], msg: e.message, type: e.code.toLowerCase() }]);
    return restError(e.status, e.code, e.message);
  }
}

module.exports = { handleRest, ROUTES };
