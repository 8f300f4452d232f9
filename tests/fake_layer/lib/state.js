'use strict';
// In-memory world of the fake Layer.ai: workspaces with Creative Unit (CU)
// balances, models, workflows, runs that progress over polls and spend CU,
// files (generated and uploaded) and sessions. Everything is deterministic
// after reset() except timestamps and upload session ids.

const crypto = require('node:crypto');
const { gradientPng } = require('./png');
const { toneWav } = require('./wav');

// Fixture ids (UUIDs, like Layer's). Tests may rely on them.
const IDS = Object.freeze({
  workspaces: Object.freeze({
    studio: '00000000-0000-4000-8000-000000000001',
    side: '00000000-0000-4000-8000-000000000002',
  }),
  models: Object.freeze({
    imageFast: '00000000-0000-4000-8000-0000000000aa',
    imageHd: '00000000-0000-4000-8000-0000000000ab',
    studioStyle: '00000000-0000-4000-8000-0000000000ac',
    voice: '00000000-0000-4000-8000-0000000000ad',
    video: '00000000-0000-4000-8000-0000000000ae',
    mesh: '00000000-0000-4000-8000-0000000000af',
  }),
  workflows: Object.freeze({
    turnaround: '00000000-0000-4000-8000-0000000000e1',
    icons: '00000000-0000-4000-8000-0000000000e2',
  }),
});

// `price` is CU per output (per second of video); `executable` false models
// answer 403 FEATURE_DISABLED on execute (the fake makes no video or meshes).
const MODELS = [
  { model_id: IDS.models.imageFast, name: 'Layer Image Fast', modality: 'image', capabilities: ['text_to_image', 'image_editing'], price: 0.2, executable: true },
  { model_id: IDS.models.imageHd, name: 'Layer Image HD', modality: 'image', capabilities: ['text_to_image', 'inpainting', 'upscaling'], price: 0.6, executable: true },
  { model_id: IDS.models.studioStyle, name: 'Studio Hero Style', modality: 'image', capabilities: ['text_to_image', 'style_reference'], price: 0.4, executable: true, only_workspace: IDS.workspaces.studio },
  { model_id: IDS.models.voice, name: 'Voice Pro', modality: 'audio', capabilities: ['text_to_speech'], price: 0.5, executable: true },
  { model_id: IDS.models.video, name: 'Motion Video', modality: 'video', capabilities: ['text_to_video', 'image_to_video'], price: 1.0, executable: false },
  { model_id: IDS.models.mesh, name: 'Mesh Maker', modality: 'three_d', capabilities: ['text_to_3d', 'image_to_3d'], price: 8, executable: false },
];

const WORKFLOWS = [
  {
    workflow_id: IDS.workflows.turnaround,
    name: 'Character turnaround',
    description: 'Renders a character from several angles.',
    created_at: '2026-01-01T00:00:00Z',
    published_at: '2026-01-02T00:00:00Z',
    modality: 'image',
    inputs: [
      { name: 'character_image', type: 'file', required: true, description: 'Front view of the character', value_schema: { type: 'string' }, display_name: 'Character' },
      { name: 'view_count', type: 'integer', required: false, description: 'Number of views', value_schema: { type: 'integer', minimum: 1, maximum: 8 }, display_name: 'Views', default: 4 },
    ],
    outputs: [{ name: 'views', type: 'image', description: 'One image per view', value_schema: { type: 'array' }, display_name: 'Views' }],
    steps: ['prepare', 'generate_views', 'upscale'],
    base_price: 1,
    price_per_output: 0.5,
    count_input: 'view_count',
    output_name: 'views',
  },
  {
    workflow_id: IDS.workflows.icons,
    name: 'Icon set',
    description: 'A consistent set of game UI icons from one prompt.',
    created_at: '2026-02-01T00:00:00Z',
    published_at: '2026-02-01T00:00:00Z',
    modality: 'image',
    inputs: [
      { name: 'prompt', type: 'text', required: true, description: 'What the icons show', value_schema: { type: 'string', minLength: 1, maxLength: 2000 }, display_name: 'Prompt' },
      { name: 'count', type: 'integer', required: false, description: 'Number of icons', value_schema: { type: 'integer', minimum: 1, maximum: 16 }, display_name: 'Count', default: 4 },
    ],
    outputs: [{ name: 'icons', type: 'image', description: 'The icons', value_schema: { type: 'array' }, display_name: 'Icons' }],
    steps: ['generate', 'vectorize'],
    base_price: 0,
    price_per_output: 0.25,
    count_input: 'count',
    output_name: 'icons',
  },
];

const INITIAL_WORKSPACES = [
  { workspace_id: IDS.workspaces.studio, slug: 'my-studio', name: 'My Studio', balance: 300, last_active_at: '2026-09-26T10:00:00Z' },
  { workspace_id: IDS.workspaces.side, slug: 'side-project', name: 'Side Project', balance: 5, last_active_at: '2026-08-01T09:30:00Z' },
];

const ID_PREFIX = { inference: '10000000', workflow_run: '20000000', file: '30000000', session: '40000000' };

// An error the REST layer turns into Layer's error shape.
class FakeError extends Error {
  constructor(status, code, message, loc) {
    super(message);
    this.status = status;
    this.code = code;
    this.loc = loc; // for 422: FastAPI-style location, e.g. ['body', 'guidance_files', 0, 'file_id']
  }
}

// CU amounts are kept to 6 decimals so sums of fractional prices stay exact enough.
const cu = (x) => Math.round(x * 1e6) / 1e6;
const price2 = (x) => Math.round(x * 100) / 100;

function normalizeOutcome(o) {
  const s = String(o.status || '').toLowerCase();
  const result = ['complete', 'completed', 'success'].includes(s) ? 'ok'
    : ['failed', 'failure'].includes(s) ? 'fail'
      : s === 'cancelled' ? 'cancel' : null;
  if (!result) throw new Error(`unknown outcome status "${o.status}"`);
  return { result, after_polls: o.after_polls, error_code: o.error_code, error_message: o.error_message, kind: o.kind || 'any' };
}

class FakeLayerState {
  constructor({ pollsToComplete = 2, pollIntervalSeconds = 0.1 } = {}) {
    this.defaults = { pollsToComplete, pollIntervalSeconds };
    this.mediaBaseUrl = 'https://127.0.0.1:0';
    this.uploadKey = crypto.randomBytes(32);
    this.reset();
  }

  reset() {
    this.config = { pollsToComplete: this.defaults.pollsToComplete, pollIntervalSeconds: this.defaults.pollIntervalSeconds, clockOffsetSeconds: 0 };
    this.counters = { inference: 0, workflow_run: 0, file: 0, session: 0 };
    this.workspaces = new Map(INITIAL_WORKSPACES.map((w) => [w.workspace_id, {
      ...w, reserved: 0, initial_balance: w.balance, spent: 0, usage: [], sessions: new Map(),
    }]));
    this.runs = new Map(); // id -> inference or workflow run
    this.files = new Map(); // id -> file record
    this.uploadSessions = new Map(); // session id -> file id
    this.outcomes = []; // scripted outcomes for the next runs
    this.promptCounter = 0;
  }

  now() {
    return new Date(Date.now() + this.config.clockOffsetSeconds * 1000);
  }

  nowIso() {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  nextId(kind) {
    this.counters[kind] += 1;
    return `${ID_PREFIX[kind]}-0000-4000-8000-${this.counters[kind].toString(16).padStart(12, '0')}`;
  }

  // ---- workspaces ---------------------------------------------------------

  workspace(id) {
    const ws = this.workspaces.get(id);
    if (!ws) throw new FakeError(404, 'WORKSPACE_NOT_FOUND', `workspace ${id} not found`);
    return ws;
  }

  workspaceView(ws) {
    return {
      workspace_id: ws.workspace_id,
      slug: ws.slug,
      name: ws.name,
      balance_creative_units: cu(ws.balance),
      reserved_creative_units: cu(ws.reserved),
      available_creative_units: cu(ws.balance - ws.reserved),
      last_active_at: ws.last_active_at,
    };
  }

  listWorkspaces() {
    return [...this.workspaces.values()]
      .sort((a, b) => String(b.last_active_at).localeCompare(String(a.last_active_at)))
      .map((ws) => this.workspaceView(ws));
  }

  setBalance(id, balance, reserved) {
    const ws = this.workspace(id);
    if (typeof balance === 'number') ws.balance = balance;
    if (typeof reserved === 'number') ws.reserved = reserved;
    return this.workspaceView(ws);
  }

  available(ws) {
    return ws.balance - ws.reserved;
  }

  // ---- models -------------------------------------------------------------

  modelsFor(wsId) {
    this.workspace(wsId);
    return MODELS.filter((m) => !m.only_workspace || m.only_workspace === wsId);
  }

  model(wsId, modelId) {
    const m = this.modelsFor(wsId).find((x) => x.model_id === modelId);
    if (!m) throw new FakeError(404, 'MODEL_NOT_FOUND', `model ${modelId} not found in this workspace`);
    return m;
  }

  static modelView(m) {
    return { model_id: m.model_id, name: m.name, modality: m.modality, capabilities: [...m.capabilities] };
  }

  // ---- pricing ------------------------------------------------------------

  // Parameters the fake "uses" after defaults and per-model normalisation.
  static normalize(model, body) {
    const out = { batch_size: body.batch_size ?? 4 };
    if (model.modality === 'image') {
      const snap = (v) => Math.min(2048, Math.max(256, Math.round((v ?? 1024) / 8) * 8));
      out.width = snap(body.width);
      out.height = snap(body.height);
      out.num_inference_steps = body.num_inference_steps ?? 28;
      out.guidance_scale = body.guidance_scale ?? 3.5;
    } else if (model.modality === 'video') {
      out.duration_seconds = body.duration_seconds ?? 5;
      out.fps = body.fps ?? 25;
    }
    return out;
  }

  // Deterministic price in CU: model price x outputs x size/quality factors,
  // plus 0.2 CU per guidance file (which the estimate endpoint cannot see,
  // reproducing REST.md I-8: estimates can be lower than the charge).
  static price(model, body) {
    const n = FakeLayerState.normalize(model, body);
    let p = model.price * n.batch_size;
    if (model.modality === 'image') {
      p *= Math.max(1, Math.ceil((n.width * n.height) / (1024 * 1024)));
      p *= { low: 0.5, medium: 1, high: 1.5 }[body.quality] ?? 1;
    } else if (model.modality === 'audio') {
      p *= Math.max(1, Math.ceil(String(body.prompt ?? '').length / 200));
    } else if (model.modality === 'video') {
      p *= n.duration_seconds;
    }
    p += 0.2 * (body.guidance_files ? body.guidance_files.length : 0);
    return price2(p);
  }

  estimateView(ws, price) {
    const available = this.available(ws);
    return {
      estimated_price_creative_units: price,
      workspace_balance_creative_units: cu(available),
      estimated_remaining_balance_creative_units: cu(available - price),
      has_sufficient_creative_units: available >= price,
    };
  }

  estimateInference(wsId, body) {
    const ws = this.workspace(wsId);
    return this.estimateView(ws, FakeLayerState.price(this.model(wsId, body.model_id), body));
  }

  // ---- files and sessions -------------------------------------------------

  requireUsableFile(wsId, fileId, loc) {
    const f = this.files.get(fileId);
    if (!f || f.workspace_id !== wsId || !f.bytes) {
      throw new FakeError(422, 'FILE_NOT_FOUND', 'file not found in this workspace, or its upload has not finished', loc);
    }
    return f;
  }

  sessionFor(ws, { sessionId, sessionName }) {
    if (sessionId) {
      for (const id of ws.sessions.values()) if (id === sessionId) return id;
      throw new FakeError(404, 'SESSION_NOT_FOUND', `session ${sessionId} not found`);
    }
    if (!sessionName) return undefined;
    if (!ws.sessions.has(sessionName)) ws.sessions.set(sessionName, this.nextId('session'));
    return ws.sessions.get(sessionName);
  }

  mediaUrl(file) {
    return `${this.mediaBaseUrl}/media/${file.id}${file.ext}`;
  }

  addGeneratedFile(wsId, runId, index, modality) {
    const id = this.nextId('file');
    const seed = `${runId}:${index}`;
    const audio = modality === 'audio';
    const bytes = audio ? toneWav(seed) : gradientPng(seed);
    const file = {
      id, workspace_id: wsId, name: `${runId}-${index}${audio ? '.wav' : '.png'}`, ext: audio ? '.wav' : '.png',
      content_type: audio ? 'audio/wav' : 'image/png', bytes, size: bytes.length,
      width: audio ? null : 64, height: audio ? null : 64, generated: true, status: 'PROCESSED', created_at: this.nowIso(),
    };
    this.files.set(id, file);
    return file;
  }

  outputView(file, extra = {}) {
    const v = { ...extra, file_id: file.id, url: this.mediaUrl(file), content_type: file.content_type, size_bytes: file.size };
    if (file.width) Object.assign(v, { width: file.width, height: file.height });
    return v;
  }

  // ---- uploads (REST.md 4.1/4.2) -------------------------------------------

  signUpload(fileId, contentType, size, date) {
    return crypto.createHmac('sha256', this.uploadKey).update(`POST\n${fileId}\n${contentType}\n${size}\n${date}`).digest('hex');
  }

  createUpload(wsId, body) {
    this.workspace(wsId);
    const id = this.nextId('file');
    const date = Math.floor(this.now().getTime() / 1000);
    const file = {
      id, workspace_id: wsId, name: body.file_name ?? null, ext: '', content_type: body.content_type, bytes: null, size: 0,
      declared_size: body.file_size_bytes, width: null, height: null, generated: false, status: 'PENDING', created_at: this.nowIso(),
      upload: { date, expires_seconds: 900, received: [], received_bytes: 0 },
    };
    this.files.set(id, file);
    const q = new URLSearchParams({
      'X-Goog-Algorithm': 'GOOG4-HMAC-SHA256',
      'X-Goog-Date': String(date),
      'X-Goog-Expires': '900',
      'X-Goog-SignedHeaders': 'content-type;host;x-goog-content-length-range;x-goog-resumable',
      'X-Goog-Signature': this.signUpload(id, body.content_type, body.file_size_bytes, date),
    });
    return { file_id: id, upload_url: `${this.mediaBaseUrl}/upload/${id}?${q}`, content_type: body.content_type };
  }

  finishUpload(file) {
    file.bytes = Buffer.concat(file.upload.received);
    file.size = file.bytes.length;
    file.upload.received = [];
    file.status = 'UPLOADED';
    if (file.bytes.length >= 24 && file.bytes.subarray(12, 16).toString('latin1') === 'IHDR') {
      file.width = file.bytes.readUInt32BE(16);
      file.height = file.bytes.readUInt32BE(20);
    }
  }

  // ---- runs ---------------------------------------------------------------

  takeOutcome(kind) {
    const i = this.outcomes.findIndex((o) => o.kind === 'any' || o.kind === kind);
    return i < 0 ? { result: 'ok' } : this.outcomes.splice(i, 1)[0];
  }

  scriptOutcomes(list) {
    this.outcomes.push(...list.map(normalizeOutcome));
  }

  reserve(ws, price) {
    if (this.available(ws) < price) {
      throw new FakeError(402, 'INSUFFICIENT_BALANCE',
        `insufficient Creative Units: run costs ${price}, available ${cu(this.available(ws))}`);
    }
    ws.reserved = cu(ws.reserved + price);
    ws.last_active_at = this.nowIso();
  }

  createInference(wsId, body) {
    const ws = this.workspace(wsId);
    const model = this.model(wsId, body.model_id);
    if (!model.executable) throw new FakeError(403, 'FEATURE_DISABLED', `${model.modality} generation is disabled in this workspace`);
    (body.guidance_files || []).forEach((g, i) => this.requireUsableFile(wsId, g.file_id, ['body', 'guidance_files', i, 'file_id']));
    if (body.mask && body.mask.file_id) this.requireUsableFile(wsId, body.mask.file_id, ['body', 'mask', 'file_id']);
    const price = FakeLayerState.price(model, body);
    const sessionId = this.sessionFor(ws, { sessionName: body.session_name });
    this.reserve(ws, price);
    const run = {
      kind: 'inference', id: this.nextId('inference'), workspace_id: wsId, model, body,
      normalized: FakeLayerState.normalize(model, body), price, session_id: sessionId,
      status: 'in_progress', polls: 0, outcome: this.takeOutcome('inference'), created_at: this.nowIso(), outputs: [],
    };
    this.runs.set(run.id, run);
    return this.inferenceView(run);
  }

  getRun(kind, wsId, id, workflowId) {
    this.workspace(wsId);
    const run = this.runs.get(id);
    if (!run || run.kind !== kind || run.workspace_id !== wsId || (workflowId && run.workflow.workflow_id !== workflowId)) {
      throw new FakeError(404, kind === 'inference' ? 'INFERENCE_NOT_FOUND' : 'RUN_NOT_FOUND', `${kind} ${id} not found`);
    }
    return run;
  }

  // One poll: advances the run, settles CU when it ends.
  poll(run) {
    if (run.terminal) return;
    run.polls += 1;
    const target = run.outcome.after_polls ?? this.config.pollsToComplete;
    if (run.polls >= target) this.finish(run, run.outcome);
  }

  finish(run, outcome) {
    const ws = this.workspaces.get(run.workspace_id);
    ws.reserved = cu(Math.max(0, ws.reserved - run.price));
    run.terminal = true;
    run.completed_at = this.nowIso();
    const inference = run.kind === 'inference';
    if (outcome.result === 'ok') {
      ws.balance = cu(ws.balance - run.price);
      ws.spent = cu(ws.spent + run.price);
      ws.usage.push({ date: run.completed_at.slice(0, 10), model_id: inference ? run.model.model_id : run.workflow.workflow_id, price: run.price });
      run.charged = run.price;
      const n = inference ? run.normalized.batch_size : run.count;
      for (let i = 0; i < n; i++) {
        run.outputs.push(this.addGeneratedFile(run.workspace_id, run.id, i, inference ? run.model.modality : 'image'));
      }
      run.status = inference ? 'complete' : 'success';
    } else if (outcome.result === 'fail') {
      run.status = inference ? 'failed' : 'failure';
      run.error_code = outcome.error_code || (inference ? 'CONTENT_POLICY_VIOLATION' : 'STEP_FAILED');
      run.error_message = outcome.error_message || 'the fake was told to fail this run';
    } else {
      run.status = 'cancelled';
    }
  }

  cancelRun(id) {
    const run = this.runs.get(id);
    if (!run) throw new FakeError(404, 'RUN_NOT_FOUND', `run ${id} not found`);
    if (!run.terminal) this.finish(run, { result: 'cancel' });
    return { run_id: id, status: run.status };
  }

  inferenceView(run) {
    const v = {
      inference_id: run.id,
      status: run.status,
      created_at: run.created_at,
      estimated_price_creative_units: run.price,
      normalized_parameters: run.normalized,
    };
    if (run.session_id) v.session_id = run.session_id;
    if (!run.terminal) v.poll_interval_seconds = this.config.pollIntervalSeconds;
    if (run.status === 'complete') {
      v.completed_at = run.completed_at;
      v.actual_price_creative_units = run.charged;
      v.outputs = run.outputs.map((f) => this.outputView(f));
    }
    if (run.status === 'failed') Object.assign(v, { error_code: run.error_code, error_message: run.error_message });
    return v;
  }

  // ---- workflows ----------------------------------------------------------

  static workflowView(w) {
    const { workflow_id, name, description, created_at, inputs, outputs, modality, published_at } = w;
    return { workflow_id, name, description, created_at, inputs, outputs, modality, published_at };
  }

  listWorkflows(wsId, search) {
    this.workspace(wsId);
    const q = (search || '').toLowerCase();
    return WORKFLOWS.filter((w) => !q || `${w.name} ${w.description}`.toLowerCase().includes(q)).map(FakeLayerState.workflowView);
  }

  workflow(wsId, workflowId) {
    this.workspace(wsId);
    const w = WORKFLOWS.find((x) => x.workflow_id === workflowId);
    if (!w) throw new FakeError(404, 'WORKFLOW_NOT_FOUND', `workflow ${workflowId} not found`);
    return w;
  }

  // Checks inputs against the workflow's declared inputs; `validate(schema, value)`
  // returns an error message or null. Returns the number of outputs.
  checkWorkflowInputs(wsId, w, inputs, validate) {
    for (const key of Object.keys(inputs)) {
      if (!w.inputs.some((i) => i.name === key)) throw new FakeError(422, 'VALIDATION_ERROR', `unknown workflow input "${key}"`, ['body', 'inputs', key]);
    }
    for (const input of w.inputs) {
      const loc = ['body', 'inputs', input.name];
      if (!(input.name in inputs)) {
        if (input.required) throw new FakeError(422, 'VALIDATION_ERROR', 'required workflow input missing', loc);
        continue;
      }
      const err = validate(input.value_schema, inputs[input.name]);
      if (err) throw new FakeError(422, 'VALIDATION_ERROR', err, loc);
      if (input.type === 'file') this.requireUsableFile(wsId, inputs[input.name], loc);
    }
    const count = inputs[w.count_input] ?? w.inputs.find((i) => i.name === w.count_input).default;
    return { count, price: price2(w.base_price + w.price_per_output * count) };
  }

  estimateWorkflow(wsId, workflowId, body, validate) {
    const ws = this.workspace(wsId);
    const w = this.workflow(wsId, workflowId);
    const { count, price } = this.checkWorkflowInputs(wsId, w, body.inputs, validate);
    return { ...this.estimateView(ws, price), expected_outputs: { [w.output_name]: count } };
  }

  createWorkflowRun(wsId, workflowId, body, validate) {
    const ws = this.workspace(wsId);
    const w = this.workflow(wsId, workflowId);
    const { count, price } = this.checkWorkflowInputs(wsId, w, body.inputs, validate);
    const sessionId = this.sessionFor(ws, { sessionId: body.session_id, sessionName: body.session_name });
    this.reserve(ws, price);
    const run = {
      kind: 'workflow', id: this.nextId('workflow_run'), workspace_id: wsId, workflow: w, inputs: body.inputs, count, price,
      session_id: sessionId, status: 'pending', polls: 0, outcome: this.takeOutcome('workflow'), created_at: this.nowIso(), outputs: [],
    };
    this.runs.set(run.id, run);
    const v = {
      run_id: run.id, workflow_id: w.workflow_id, status: run.status, estimated_price_creative_units: price,
      poll_interval_seconds: this.config.pollIntervalSeconds, created_at: run.created_at,
    };
    if (sessionId) v.session_id = sessionId;
    return v;
  }

  pollWorkflowRun(run) {
    this.poll(run);
    if (!run.terminal) run.status = 'running';
  }

  workflowRunView(run) {
    const target = Math.max(1, run.outcome.after_polls ?? this.config.pollsToComplete);
    const steps = run.workflow.steps;
    const done = run.status === 'success' ? steps.length : Math.min(steps.length - 1, Math.floor((run.polls / target) * steps.length));
    const stepStatus = (i) => {
      if (i < done) return 'success';
      if (i > done) return run.status === 'running' || run.status === 'pending' ? 'pending' : run.status === 'failure' ? 'skipped' : 'cancelled';
      return { pending: 'pending', running: 'running', failure: 'failure', cancelled: 'cancelled', success: 'success' }[run.status];
    };
    const v = {
      run_id: run.id,
      workflow_id: run.workflow.workflow_id,
      status: run.status,
      created_at: run.created_at,
      estimated_price_creative_units: run.price,
      steps: steps.map((name, i) => ({ name, status: stepStatus(i) })),
    };
    if (run.session_id) v.session_id = run.session_id;
    if (!run.terminal) v.poll_interval_seconds = this.config.pollIntervalSeconds;
    if (run.status === 'success') {
      v.completed_at = run.completed_at;
      v.actual_price_creative_units = run.charged;
      v.outputs = run.outputs.map((f) => this.outputView(f, { output_name: run.workflow.output_name }));
    }
    if (run.status === 'failure') Object.assign(v, { error_code: run.error_code, error_message: run.error_message });
    return v;
  }

  // ---- GraphQL helpers ----------------------------------------------------

  nextPrompt() {
    const prompts = [
      'a mossy stone watchtower on a cliff, isometric, soft morning light',
      'a cheerful robot blacksmith hammering a glowing sword, cel shaded',
      'an ancient treasure chest overgrown with glowing mushrooms, top-down view',
      'a floating sky island village with windmills, painterly style',
    ];
    return prompts[this.promptCounter++ % prompts.length];
  }

  usageView(ws) {
    const byDate = {};
    const top = {};
    for (const u of ws.usage) {
      byDate[u.date] = cu((byDate[u.date] || 0) + u.price);
      top[u.model_id] = cu((top[u.model_id] || 0) + u.price);
    }
    return {
      workspaceId: ws.workspace_id,
      entitlement: { balance: cu(this.available(ws)), usage: ws.spent, overage: 0, hasAccess: true },
      grants: [{ id: `grant-${ws.slug}`, entitlementId: `entitlement-${ws.slug}`, amount: Math.round(ws.initial_balance), priority: 1, nextRecurrence: '2027-01-01T00:00:00Z' }],
      usage: { byDate, top: Object.entries(top).map(([id, total]) => ({ id, total_creative_units: total })) },
    };
  }

  summary() {
    return {
      config: this.config,
      workspaces: [...this.workspaces.values()].map((ws) => this.workspaceView(ws)),
      runs: [...this.runs.values()].map((r) => ({ kind: r.kind, id: r.id, workspace_id: r.workspace_id, status: r.status, polls: r.polls, price: r.price, charged: r.charged ?? 0 })),
      files: [...this.files.values()].map((f) => ({ id: f.id, workspace_id: f.workspace_id, status: f.status, content_type: f.content_type, size: f.size, generated: f.generated })),
      pending_outcomes: this.outcomes.length,
    };
  }
}

module.exports = { FakeLayerState, FakeError, IDS };
