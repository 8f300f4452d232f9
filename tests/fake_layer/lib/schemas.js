'use strict';
// JSON Schemas of Layer.ai's REST API as the fake enforces them, written from
// shared/layer-api/REST.md. They are deliberately independent of vaultd's
// registry (vaultd/relay/operations/rest_operations.json): the fake stands for
// the server, the registry for what vaultd allows, and tests compare the two.
//
// The fake is stricter than a FastAPI server would be: unknown body fields and
// unknown query parameters are rejected (422), so a relay that sends anything
// it was not asked to send is caught.

const UUID = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' };
const bool = { type: 'boolean' };
const num = { type: 'number' };
const positive = { type: 'number', exclusiveMinimum: 0 };
const positiveInt = { type: 'integer', exclusiveMinimum: 0 };
const unit = { type: 'number', minimum: 0, maximum: 1 };
const nullable = (schema) => ({ ...schema, type: [schema.type, 'null'] });

function object(properties, required = []) {
  return { type: 'object', additionalProperties: false, required, properties };
}

// Pagination query of list endpoints (REST.md section 0).
const LIST_QUERY = object({
  limit: { type: 'integer', minimum: 1, maximum: 100 },
  cursor: { type: 'string', minLength: 1, maxLength: 4096 },
});

// Guidance file types from the Layer skills, plus ip_adapter (TP-KR).
const GUIDANCE_FILE_TYPES = ['init_image', 'reference_image', 'pose', 'depth', 'canny', 'lineart', 'scribble',
  'face', 'first_frame', 'last_frame', 'init_video', 'reference_video', 'init_audio', 'reference_audio',
  'init_mesh', 'texture_image', 'ip_adapter'];

// Fields shared by execute (5.1) and estimate (5.2).
const INFERENCE_COMMON = {
  model_id: UUID,
  prompt: nullable({ type: 'string', maxLength: 100000 }),
  width: nullable(positiveInt),
  height: nullable(positiveInt),
  batch_size: { type: 'integer', minimum: 1, maximum: 16 },
  num_inference_steps: positiveInt,
  guidance_scale: num,
  prompt_strength: unit,
  quality: { enum: ['low', 'medium', 'high'] },
  sharpness: num,
  duration_seconds: positive,
  generate_audio: bool,
  keep_audio: bool,
  fps: positiveInt,
  video_effects: {
    type: 'array',
    items: object({ type: { type: 'string', pattern: '^[A-Z0-9_]+$' }, weight: { type: 'number', minimum: 0, maximum: 100 } }, ['type']),
  },
  use_ta_pose: bool,
  include_textures: bool,
  quad_mesh: bool,
  pbr_materials: bool,
  low_poly: bool,
  generate_parts: bool,
  face_limit: positiveInt,
  stability: unit,
  similarity_boost: unit,
  style_exaggeration: unit,
  use_speaker_boost: bool,
  speed: positive,
  upscale_ratio: num,
  creativity: num,
  resemblance: num,
  vectorize: bool,
  remove_background: bool,
  reframe: bool,
  refill: bool,
};

const INFERENCE_EXECUTE = object({
  ...INFERENCE_COMMON,
  seed: { type: 'integer', minimum: -1 },
  guidance_files: {
    type: 'array',
    maxItems: 20,
    items: object({ file_id: UUID, type: { enum: GUIDANCE_FILE_TYPES }, weight: num }, ['file_id', 'type']),
  },
  mask: object({ file_id: UUID, for_transparency: bool, for_nontransparency: bool, edge_radius: num }),
  session_name: { type: 'string', minLength: 1, maxLength: 255 },
}, ['model_id']);

const INFERENCE_ESTIMATE = object(INFERENCE_COMMON, ['model_id']);

const UPLOAD_CONTENT_TYPES = ['audio/mpeg', 'audio/wav', 'image/jpeg', 'image/png', 'image/webp', 'video/mp4'];
const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

const UPLOAD_URL = object({
  content_type: { enum: UPLOAD_CONTENT_TYPES },
  file_size_bytes: { type: 'integer', minimum: 1, maximum: MAX_UPLOAD_BYTES },
  file_name: nullable({ type: 'string', minLength: 1, maxLength: 255 }),
}, ['content_type', 'file_size_bytes']);

const WORKFLOW_ESTIMATE = object({ inputs: { type: 'object' } }, ['inputs']);
const WORKFLOW_EXECUTE = object({
  inputs: { type: 'object' },
  session_id: UUID,
  session_name: { type: 'string', minLength: 1, maxLength: 255 },
}, ['inputs']);

const WORKFLOW_LIST_QUERY = object({ ...LIST_QUERY.properties, search: { type: 'string', maxLength: 500 } });
const NO_QUERY = object({});

module.exports = {
  UUID,
  LIST_QUERY,
  WORKFLOW_LIST_QUERY,
  NO_QUERY,
  INFERENCE_EXECUTE,
  INFERENCE_ESTIMATE,
  UPLOAD_URL,
  MAX_UPLOAD_BYTES,
  WORKFLOW_ESTIMATE,
  WORKFLOW_EXECUTE,
};
