'use strict';
// Starts the fake Layer.ai in a child process and talks to it, for Node
// tests (node:test). C++ tests spawn server.js themselves (see README.md).

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');

const SERVER = path.join(__dirname, 'server.js');

// A fresh, visibly fake PAT.
function fakePat() {
  return `pat_fake_${crypto.randomBytes(18).toString('hex')}`;
}

function readReadyLine(proc, timeoutMs) {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => done(new Error(`fake did not get ready in ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
    function done(e, v) {
      clearTimeout(timer);
      proc.stdout.removeAllListeners('data');
      proc.removeAllListeners('exit');
      if (e) reject(e);
      else resolve(v);
    }
    proc.stderr.on('data', (d) => { err += d; });
    proc.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      try {
        done(null, JSON.parse(out.slice(0, nl)));
      } catch (e) {
        done(new Error(`bad ready line ${JSON.stringify(out.slice(0, nl))}: ${e.message}`));
      }
    });
    proc.on('exit', (code) => done(new Error(`fake exited with ${code} before ready; stderr: ${err}`)));
  });
}

class FakeLayer {
  constructor({ proc, ready, pat, tlsDir }) {
    this.proc = proc;
    this.ready = ready;
    this.pat = pat;
    this.tlsDir = tlsDir;
    this.ca = fs.readFileSync(ready.ca_file);
    this.baseUrl = ready.base_url;
    this.graphqlUrl = ready.graphql_url;
    this.mediaBaseUrl = ready.media_base_url;
    this.stderr = '';
    proc.stderr.on('data', (d) => { this.stderr += d; });
  }

  // Sends one HTTPS request on a fresh connection. `body`: Buffer, string, or
  // a JSON value (sent as application/json). Resolves { status, headers,
  // body: Buffer, json() }; rejects on connection errors.
  request({ method = 'GET', url, headers = {}, body, timeoutMs = 15000 }) {
    let payload;
    const h = { ...headers };
    if (body !== undefined) {
      if (Buffer.isBuffer(body) || typeof body === 'string') {
        payload = Buffer.from(body);
      } else {
        payload = Buffer.from(JSON.stringify(body));
        if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
      }
      h['content-length'] = String(payload.length);
    }
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, headers: h, ca: this.ca, agent: false, timeout: timeoutMs }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString('utf8')) });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  // REST call under /api with the PAT unless `auth` is false or a string (the header value).
  api(method, apiPath, body, { auth = true, headers = {}, ...rest } = {}) {
    const h = { ...headers };
    if (auth === true) h.authorization = `Bearer ${this.pat}`;
    else if (typeof auth === 'string') h.authorization = auth;
    return this.request({ method, url: this.baseUrl + apiPath, headers: h, body, ...rest });
  }

  graphql(query, variables, { auth = true, operationName } = {}) {
    const h = auth ? { authorization: `Bearer ${this.pat}` } : {};
    const body = { query };
    if (variables !== undefined) body.variables = variables;
    if (operationName) body.operationName = operationName;
    return this.request({ method: 'POST', url: this.graphqlUrl, headers: h, body });
  }

  async controlRequest(method, p, body) {
    const r = await this.request({ method, url: `https://127.0.0.1:${this.ready.port}${p}`, headers: { 'x-fake-control-token': this.ready.control_token }, body });
    if (r.status !== 200) throw new Error(`control ${p} answered ${r.status}: ${r.body}`);
    return r.json();
  }

  control(command) {
    return this.controlRequest('POST', '/__control', command);
  }

  requests({ server, since } = {}) {
    const q = new URLSearchParams();
    if (server) q.set('server', server);
    if (since) q.set('since', String(since));
    return this.controlRequest('GET', `/__requests?${q}`);
  }

  reset() {
    return this.controlRequest('POST', '/__reset');
  }

  async stop() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(this.tlsDir, { recursive: true, force: true });
  }
}

// Starts server.js with a fresh PAT (or `pat`) and a temporary TLS directory.
async function startFake({ pat = fakePat(), args = [], timeoutMs = 30000 } = {}) {
  const tlsDir = fs.mkdtempSync(path.join(process.env.TEST_TMPDIR || os.tmpdir(), 'fake-layer-'));
  const proc = spawn(process.execPath, [SERVER, '--tls-dir', tlsDir, '--exit-with-stdin', ...args], {
    env: { ...process.env, FAKE_LAYER_PAT: pat },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  try {
    const ready = await readReadyLine(proc, timeoutMs);
    return new FakeLayer({ proc, ready, pat, tlsDir });
  } catch (e) {
    proc.kill('SIGKILL');
    fs.rmSync(tlsDir, { recursive: true, force: true });
    throw e;
  }
}

module.exports = { startFake, fakePat, SERVER };
