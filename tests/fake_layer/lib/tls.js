'use strict';
// Test PKI for the fake: a throw-away CA and a server certificate for
// 127.0.0.1 / localhost, made with the openssl CLI at start-up.

const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

function openssl(args, cwd) {
  // The child gets no secrets: only PATH and HOME from our environment.
  execFileSync('openssl', args, {
    cwd,
    env: { PATH: process.env.PATH || '/usr/bin:/bin', HOME: process.env.HOME || '/' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

// Writes ca.pem, server.pem and server.key (0600) into `dir` (created 0700
// if missing) and returns their paths. The CA key is deleted after signing,
// so nothing else can be issued under this CA.
function generateTestPki(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const caKey = path.join(dir, 'ca.key');
  const csr = path.join(dir, 'server.csr');
  const ext = path.join(dir, 'server.ext');
  const out = {
    caFile: path.join(dir, 'ca.pem'),
    certFile: path.join(dir, 'server.pem'),
    keyFile: path.join(dir, 'server.key'),
  };
  try {
    openssl(['req', '-x509', '-new', ...ec, '-keyout', caKey, '-out', out.caFile, '-days', '7',
      '-subj', '/O=layer-vault tests/CN=fake-layer test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    openssl(['req', '-new', ...ec, '-keyout', out.keyFile, '-out', csr,
      '-subj', '/O=layer-vault tests/CN=127.0.0.1'], dir);
    fs.writeFileSync(ext, [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid,issuer',
      '',
    ].join('\n'));
    openssl(['x509', '-req', '-in', csr, '-CA', out.caFile, '-CAkey', caKey,
      '-set_serial', '0x' + crypto.randomBytes(12).toString('hex'), '-days', '7',
      '-extfile', ext, '-out', out.certFile], dir);
    fs.chmodSync(out.keyFile, 0o600);
  } catch (err) {
    const detail = err.stderr ? String(err.stderr).trim() : err.message;
    throw new Error(`openssl failed while generating the test PKI in ${dir}: ${detail}`);
  } finally {
    for (const f of [caKey, csr, ext]) fs.rmSync(f, { force: true });
  }
  return out;
}

module.exports = { generateTestPki };
