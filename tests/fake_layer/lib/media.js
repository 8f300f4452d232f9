'use strict';
// The media port: stands for both the host of generated files
// (media.app.layer.ai) and the signed-URL storage host
// (storage.googleapis.com). No Layer credential is ever expected here.
//
//   GET|HEAD /media/<file_id>[.ext]           download a generated or uploaded file
//   POST     /upload/<file_id>?X-Goog-...     start a resumable upload (REST.md 4.2 step 2)
//   PUT      /upload-session/<session_id>     send bytes, whole or in chunks (step 3)

const crypto = require('node:crypto');
const { MAX_UPLOAD_BYTES } = require('./schemas');

const UUID_RE = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

// Google Cloud Storage's XML error body.
function gcsError(status, code, message, headers = {}) {
  return {
    status,
    headers: { 'content-type': 'application/xml; charset=UTF-8', ...headers },
    body: `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  };
}

function objectResource(file) {
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: {
      kind: 'storage#object',
      bucket: 'fake-layer-uploads',
      name: `uploads/${file.id}`,
      size: String(file.size),
      contentType: file.content_type,
      md5Hash: crypto.createHash('md5').update(file.bytes).digest('base64'),
    },
  };
}

function download(state, fileId) {
  const f = state.files.get(fileId);
  if (!f || !f.bytes) return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
  return {
    status: 200,
    headers: { 'content-type': f.content_type, 'cache-control': 'public, max-age=31536000' },
    body: f.bytes, // Node sends no body for HEAD but keeps Content-Length
  };
}

function startUpload(state, fileId, searchParams, headers) {
  const file = state.files.get(fileId);
  const q = (k) => searchParams.get(k);
  if (!file || file.generated || !q('X-Goog-Signature') || !q('X-Goog-Date')) {
    return gcsError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  const expected = state.signUpload(file.id, file.content_type, file.declared_size, Number(q('X-Goog-Date')));
  const given = String(q('X-Goog-Signature'));
  if (given.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected))) {
    return gcsError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  if (state.now().getTime() / 1000 > file.upload.date + file.upload.expires_seconds) {
    return gcsError(400, 'ExpiredToken', 'Invalid argument: the signed URL has expired.');
  }
  if (String(headers['x-goog-resumable'] || '').toLowerCase() !== 'start') {
    return gcsError(403, 'SignatureDoesNotMatch', 'Signed header x-goog-resumable: start is missing.');
  }
  const range = headers['x-goog-content-length-range'];
  if (range === undefined) {
    return gcsError(400, 'MalformedSecurityHeader', 'Your request has a malformed header. Header was missing: x-goog-content-length-range.');
  }
  if (String(range).replace(/\s/g, '') !== `0,${file.declared_size}`) {
    return gcsError(403, 'SignatureDoesNotMatch', 'x-goog-content-length-range does not match the signed range.');
  }
  if (String(headers['content-type'] || '').split(';')[0].trim() !== file.content_type) {
    return gcsError(403, 'SignatureDoesNotMatch', 'Content-Type does not match the signed content type.');
  }
  if (file.status !== 'PENDING') return gcsError(403, 'AccessDenied', 'This upload has already completed.');
  const sessionId = crypto.randomBytes(24).toString('base64url');
  state.uploadSessions.set(sessionId, file.id);
  return {
    status: 201,
    headers: { location: `${state.mediaBaseUrl}/upload-session/${sessionId}`, 'x-guploader-uploadid': sessionId },
    body: Buffer.alloc(0),
  };
}

function putUpload(state, sessionId, headers, body) {
  const file = state.files.get(state.uploadSessions.get(sessionId));
  if (!file) return gcsError(404, 'NoSuchUpload', 'No such upload session.');
  if (file.status !== 'PENDING') return objectResource(file);
  const ct = headers['content-type'];
  if (ct !== undefined && String(ct).split(';')[0].trim() !== file.content_type) {
    return gcsError(400, 'InvalidArgument', `Content-Type must be ${file.content_type}.`);
  }
  const limit = Math.min(file.declared_size, MAX_UPLOAD_BYTES);
  const up = file.upload;
  const incomplete = () => ({
    status: 308,
    headers: up.received_bytes > 0 ? { range: `bytes=0-${up.received_bytes - 1}` } : {},
    body: Buffer.alloc(0),
  });
  const finish = () => {
    state.finishUpload(file);
    return objectResource(file);
  };
  const cr = headers['content-range'];
  if (cr === undefined) {
    if (up.received_bytes + body.length > limit) return gcsError(400, 'EntityTooLarge', `Upload exceeds the signed size of ${file.declared_size} bytes.`);
    up.received.push(body);
    up.received_bytes += body.length;
    return finish();
  }
  const status = /^bytes \*\/(\d+|\*)$/.exec(cr);
  if (status) {
    if (status[1] !== '*' && Number(status[1]) === up.received_bytes && body.length === 0) return finish();
    return incomplete();
  }
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr);
  if (!m) return gcsError(400, 'InvalidArgument', `Malformed Content-Range: ${cr}`);
  const [first, last] = [Number(m[1]), Number(m[2])];
  const total = m[3] === '*' ? null : Number(m[3]);
  if (first !== up.received_bytes || last < first || last - first + 1 !== body.length) {
    return gcsError(400, 'InvalidArgument', `Content-Range ${cr} does not continue at byte ${up.received_bytes} with ${body.length} bytes.`);
  }
  if (last + 1 > limit || (total !== null && total > limit)) {
    return gcsError(400, 'EntityTooLarge', `Upload exceeds the signed size of ${file.declared_size} bytes.`);
  }
  up.received.push(body);
  up.received_bytes += body.length;
  return total !== null && last + 1 === total ? finish() : incomplete();
}

function handleMedia(state, { method, path, searchParams, headers, body }) {
  if (headers.authorization !== undefined) {
    return gcsError(400, 'InvalidArgument', 'Unexpected Authorization header: the media and storage host takes signed URLs only.');
  }
  let m = new RegExp(`^/media/(${UUID_RE})(\\.[a-z0-9]+)?$`).exec(path);
  if (m) {
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, headers: { allow: 'GET, HEAD' }, body: '' };
    return download(state, m[1]);
  }
  m = new RegExp(`^/upload/(${UUID_RE})$`).exec(path);
  if (m) {
    if (method !== 'POST') return gcsError(403, 'SignatureDoesNotMatch', `The URL was signed for POST (resumable start), not ${method}.`);
    return startUpload(state, m[1], searchParams, headers);
  }
  m = /^\/upload-session\/([A-Za-z0-9_-]+)$/.exec(path);
  if (m) {
    if (method !== 'PUT') return gcsError(405, 'MethodNotAllowed', 'Use PUT to send bytes to an upload session.');
    return putUpload(state, m[1], headers, body);
  }
  return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
}

module.exports = { handleMedia };
