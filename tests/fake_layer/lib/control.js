'use strict';
// Test control of the fake: request recording, fault injection and the
// /__control, /__requests, /__reset endpoints (see ../README.md).

const crypto = require('node:crypto');
const Ajv = require('ajv');
const { json, bodyBuffer } = require('./http_util');

const MAX_RECORDS = 10000;
const MAX_RECORDED_BODY = 64 * 1024;

// Records every request the fake serves (control requests excepted) and
// notes where the PAT appears anywhere but the API's Authorization header.
class Recorder {
  constructor(pat) {
    this.pat = pat;
    this.clear();
  }

  clear() {
    this.records = [];
    this.seq = 0;
  }

  add(server, req, url, body) {
    const seq = ++this.seq;
    const text = body.toString('utf8');
    const textual = Buffer.from(text, 'utf8').equals(body) && !/[\x00-\x08\x0e-\x1f]/.test(text);
    const shown = body.subarray(0, MAX_RECORDED_BODY);
    const record = {
      seq,
      server,
      time: new Date().toISOString(),
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      raw_query: url.search.replace(/^\?/, ''),
      headers: { ...req.headers },
      body: textual ? shown.toString('utf8') : shown.toString('base64'),
      body_encoding: textual ? 'utf8' : 'base64',
      body_bytes: body.length,
      body_sha256: crypto.createHash('sha256').update(body).digest('hex'),
      body_truncated: body.length > MAX_RECORDED_BODY,
      pat_found_in: this.findPat(server, req, url, body),
      status: null,
      fault: null,
    };
    this.records.push(record);
    if (this.records.length > MAX_RECORDS) this.records.shift();
    return record;
  }

  findPat(server, req, url, body) {
    const pat = this.pat;
    const has = (s) => typeof s === 'string' && s.includes(pat);
    const decoded = (s) => { try { return decodeURIComponent(s); } catch { return s; } };
    const where = [];
    if (has(url.pathname) || has(decoded(url.pathname))) where.push('path');
    if (has(url.search) || has(decoded(url.search))) where.push('query');
    for (const [name, value] of Object.entries(req.headers)) {
      const v = Array.isArray(value) ? value.join(', ') : value;
      if (!has(v)) continue;
      if (server === 'api' && name === 'authorization' && v === `Bearer ${pat}`) continue;
      where.push(`header:${name}`);
    }
    if (body.includes(pat)) where.push('body');
    return where;
  }

  list({ server, since } = {}) {
    return this.records.filter((r) => (!server || r.server === server) && (!since || r.seq > since));
  }

  leaks() {
    return this.records.filter((r) => r.pat_found_in.length).map((r) => ({ seq: r.seq, server: r.server, method: r.method, path: r.path, where: r.pat_found_in }));
  }
}

const FAULT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['action', 'type'],
  properties: {
    action: { const: 'inject_fault' },
    type: { enum: ['status', 'delay', 'oversize', 'drop'] },
    server: { enum: ['api', 'media', 'any'] },
    method: { type: 'string' },
    path: { type: 'string' },
    path_prefix: { type: 'string' },
    count: { type: 'integer', minimum: -1 },
    status: { type: 'integer', minimum: 100, maximum: 599 },
    retry_after: { type: ['integer', 'string'] },
    body: {},
    content_type: { type: 'string' },
    delay_ms: { type: 'integer', minimum: 0, maximum: 600000 },
    bytes: { type: 'integer', minimum: 1, maximum: 512 * 1024 * 1024 },
    chunked: { type: 'boolean' },
    when: { enum: ['before', 'after'] },
  },
};

// Faults for the next requests that match; each matches `count` times
// (-1: until cleared). The first matching fault wins.
class Faults {
  constructor() {
    this.list = [];
    this.nextId = 1;
  }

  add(spec) {
    const fault = { id: this.nextId++, server: 'api', count: 1, when: 'before', ...spec };
    delete fault.action;
    if (fault.type === 'status' && fault.status === undefined) fault.status = 503;
    this.list.push(fault);
    return fault;
  }

  clear() {
    this.list = [];
  }

  take(server, method, path) {
    const f = this.list.find((x) => (x.server === 'any' || x.server === server)
      && (!x.method || x.method.toUpperCase() === method)
      && (!x.path || x.path === path)
      && (!x.path_prefix || path.startsWith(x.path_prefix)));
    if (!f) return null;
    if (f.count > 0 && --f.count === 0) this.list.splice(this.list.indexOf(f), 1);
    return f;
  }
}

// Default bodies of injected status answers, in the fake's REST error shape.
function faultResponse(f) {
  const headers = {};
  if (f.retry_after !== undefined) headers['retry-after'] = String(f.retry_after);
  if (f.body !== undefined) {
    const ct = f.content_type || (typeof f.body === 'string' ? 'text/plain' : 'application/json');
    return { status: f.status, headers: { ...headers, 'content-type': ct }, body: typeof f.body === 'string' ? f.body : JSON.stringify(f.body) };
  }
  const code = { 429: 'RATE_LIMITED', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 402: 'INSUFFICIENT_BALANCE' }[f.status]
    || (f.status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'ERROR');
  const message = f.status === 429 ? 'Too many requests' : `injected HTTP ${f.status}`;
  return json(f.status, { detail: message, code }, headers);
}

// Pads a response to at least `bytes` bytes: JSON bodies get a
// "_fake_padding" member (still valid JSON), other bodies trailing zeros.
function oversize(r, bytes) {
  const buf = bodyBuffer(r);
  if (buf.length >= bytes) return r;
  const isJson = /json/.test(String(r.headers['content-type'] || ''));
  if (isJson && r.body && typeof r.body === 'object' && !Buffer.isBuffer(r.body) && !Array.isArray(r.body)) {
    return { ...r, body: { ...r.body, _fake_padding: 'x'.repeat(bytes - buf.length) } };
  }
  return { ...r, body: Buffer.concat([buf, Buffer.alloc(bytes - buf.length)]) };
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const checkFault = ajv.compile(FAULT_SCHEMA);

// Handles /__control, /__requests, /__reset (token already checked).
function handleControl({ state, recorder, faults }, { method, path, searchParams, body }) {
  if (path === '/__requests' && method === 'GET') {
    const since = Number(searchParams.get('since') || 0);
    return json(200, { requests: recorder.list({ server: searchParams.get('server') || undefined, since }), pat_leaks: recorder.leaks() });
  }
  if (path === '/__reset' && method === 'POST') {
    state.reset();
    recorder.clear();
    faults.clear();
    return json(200, { ok: true });
  }
  if (path !== '/__control' || method !== 'POST') return json(404, { error: 'unknown control endpoint' });
  let cmd;
  try {
    cmd = JSON.parse(body.toString('utf8'));
  } catch (e) {
    return json(400, { error: `invalid JSON: ${e.message}` });
  }
  try {
    switch (cmd && cmd.action) {
      case 'inject_fault':
        if (!checkFault(cmd)) return json(400, { error: ajv.errorsText(checkFault.errors) });
        return json(200, { ok: true, fault: faults.add(cmd) });
      case 'clear_faults':
        faults.clear();
        return json(200, { ok: true });
      case 'set_balance':
        return json(200, { ok: true, workspace: state.setBalance(cmd.workspace_id, cmd.balance_creative_units, cmd.reserved_creative_units) });
      case 'set_config': {
        const map = { polls_to_complete: 'pollsToComplete', poll_interval_seconds: 'pollIntervalSeconds', clock_offset_seconds: 'clockOffsetSeconds' };
        for (const [k, v] of Object.entries(cmd)) {
          if (k === 'action') continue;
          if (!map[k] || typeof v !== 'number') return json(400, { error: `unknown or non-numeric config "${k}"` });
          state.config[map[k]] = v;
        }
        return json(200, { ok: true, config: state.config });
      }
      case 'script_runs':
        if (!Array.isArray(cmd.outcomes)) return json(400, { error: 'outcomes must be an array' });
        state.scriptOutcomes(cmd.outcomes);
        return json(200, { ok: true, pending_outcomes: state.outcomes.length });
      case 'cancel_run':
        return json(200, { ok: true, ...state.cancelRun(cmd.run_id) });
      case 'clear_requests':
        recorder.clear();
        return json(200, { ok: true });
      case 'get_state':
        return json(200, { ok: true, state: state.summary(), faults: faults.list });
      default:
        return json(400, { error: `unknown action "${cmd && cmd.action}"` });
    }
  } catch (e) {
    return json(400, { error: e.message });
  }
}

module.exports = { Recorder, Faults, faultResponse, oversize, handleControl };
