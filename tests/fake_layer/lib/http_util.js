'use strict';
// Small HTTP helpers shared by the fake's handlers. Handlers return a
// response object { status, headers, body } (body: Buffer, string or a JSON
// value) instead of writing, so fault injection can alter it before sending.

// Reads the whole request body. Past `limit` bytes the rest is drained and
// dropped, and the result is { body: <first limit bytes>, tooLarge: true }.
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge: size > limit }));
    req.on('error', reject);
  });
}

function json(status, value, headers = {}) {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: value };
}

// Layer's REST error shape as the fake answers it. No error page was found
// (REST.md 0): FastAPI-style `detail` is inferred, and `code` carries the
// machine-readable names the Layer skills use (UNAUTHENTICATED,
// MODEL_NOT_FOUND, INSUFFICIENT_BALANCE, RATE_LIMITED, FEATURE_DISABLED, ...).
function restError(status, code, message, headers = {}) {
  return json(status, { detail: message, code }, headers);
}

// FastAPI's validation error: 422 {"detail":[{"loc","msg","type"}]}.
function validationError(items) {
  return json(422, { detail: items });
}

function bodyBuffer(r) {
  if (Buffer.isBuffer(r.body)) return r.body;
  if (typeof r.body === 'string') return Buffer.from(r.body);
  if (r.body === undefined || r.body === null) return Buffer.alloc(0);
  return Buffer.from(JSON.stringify(r.body));
}

function send(res, r, { chunked = false } = {}) {
  const body = bodyBuffer(r);
  const headers = { ...r.headers };
  if (!chunked) headers['content-length'] = String(body.length);
  res.writeHead(r.status, headers);
  res.end(body);
  return body.length;
}

module.exports = { readBody, json, restError, validationError, bodyBuffer, send };
