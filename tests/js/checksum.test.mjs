import test from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from '../../www/app/checksum.js';

test('crc32 known vectors', () => {
  assert.equal(crc32('123456789'), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32('The quick brown fox jumps over the lazy dog'), 0x414fa339);
});

test('crc32 over parts equals crc32 of the concatenation; views and buffers work', () => {
  const a = new TextEncoder().encode('1234');
  const b = new TextEncoder().encode('56789');
  assert.equal(crc32(a, b), 0xcbf43926);
  assert.equal(crc32(a, '56789'), 0xcbf43926);
  const whole = new TextEncoder().encode('xx123456789');
  assert.equal(crc32(whole.subarray(2)), 0xcbf43926);
  assert.equal(crc32(whole.buffer.slice(2)), 0xcbf43926);
});

test('crc32 detects a flipped bit', () => {
  const bytes = new Uint8Array(1000).map((_, i) => i * 7);
  const c = crc32(bytes);
  bytes[500] ^= 1;
  assert.notEqual(crc32(bytes), c);
});
