'use strict';
// The fake's PNG encoder: CRC-32 vectors, structure, determinism.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('node:zlib');
const { crc32, encodePng, gradientPng, PNG_SIGNATURE } = require('../lib/png');
const { toneWav } = require('../lib/wav');

test('crc32 matches the standard check values', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.alloc(0)), 0);
  assert.equal(crc32(Buffer.from('IEND')), 0xae426082);
  if (typeof zlib.crc32 === 'function') {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));
    assert.equal(crc32(data), zlib.crc32(data));
  }
});

test('encodePng writes signature, IHDR, IDAT with filtered rows, IEND', () => {
  const png = encodePng(3, 2, (x, y) => [x * 10, y * 20, 255]);
  assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE));
  assert.equal(png.toString('ascii', 12, 16), 'IHDR');
  assert.equal(png.readUInt32BE(16), 3);
  assert.equal(png.readUInt32BE(20), 2);
  assert.deepEqual([...png.subarray(24, 29)], [8, 2, 0, 0, 0]);
  const idatLen = png.readUInt32BE(33);
  assert.equal(png.toString('ascii', 37, 41), 'IDAT');
  const raw = zlib.inflateSync(png.subarray(41, 41 + idatLen));
  assert.deepEqual([...raw], [0, 0, 0, 255, 10, 0, 255, 20, 0, 255, 0, 0, 20, 255, 10, 20, 255, 20, 20, 255]);
  assert.ok(png.subarray(-12).equals(Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82])));
});

test('gradientPng is deterministic in its seed', () => {
  assert.ok(gradientPng('run-1:0').equals(gradientPng('run-1:0')));
  assert.ok(!gradientPng('run-1:0').equals(gradientPng('run-1:1')));
  assert.equal(gradientPng('x', 16).readUInt32BE(16), 16);
});

test('toneWav is a PCM RIFF/WAVE file of the stated length', () => {
  const wav = toneWav('a');
  assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
  assert.equal(wav.readUInt32LE(4), wav.length - 8);
  assert.equal(wav.readUInt16LE(20), 1);
  assert.equal(wav.readUInt32LE(40), wav.length - 44);
  assert.ok(wav.equals(toneWav('a')));
});
