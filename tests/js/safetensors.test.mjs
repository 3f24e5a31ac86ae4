import test from 'node:test';
import assert from 'node:assert/strict';
import { readSafetensorsHeader, describeWeights, checkWeightsFile, WeightsFileError, MAX_WEIGHTS_BYTES } from '../../www/app/safetensors.js';

/** Build a safetensors file with F32 tensors. */
export function makeSafetensors(tensors, metadata) {
  const header = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  for (const [name, { shape }] of Object.entries(tensors)) {
    const n = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [off, off + n] };
    off += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}

test('reads metadata and tensors of a valid file', () => {
  const bytes = makeSafetensors({ 'fc.weight': { shape: [10, 784] }, 'fc.bias': { shape: [10] } }, { model: 'mlp', format: 'inkling-1' });
  const h = readSafetensorsHeader(bytes);
  assert.equal(h.metadata.model, 'mlp');
  assert.deepEqual(Object.keys(h.tensors).sort(), ['fc.bias', 'fc.weight']);
  assert.deepEqual(describeWeights(bytes), { model: 'mlp', format: 'inkling-1', tensorCount: 2 });
  assert.equal(describeWeights(makeSafetensors({ w: { shape: [2] } })).model, null);
});

test('rejects garbage, truncation and unknown models with readable errors', () => {
  const good = makeSafetensors({ w: { shape: [4, 4] } }, { model: 'cnn' });
  assert.throws(() => readSafetensorsHeader(new Uint8Array(4)), WeightsFileError);
  assert.throws(() => readSafetensorsHeader(new TextEncoder().encode('PK\x03\x04 this is a zip file')), /header length/);
  assert.throws(() => readSafetensorsHeader(good.subarray(0, good.length - 10)), /truncated/);
  const badJson = good.slice(); badJson[8] = 0x41;
  assert.throws(() => readSafetensorsHeader(badJson), /JSON/);
  assert.throws(() => describeWeights(makeSafetensors({ w: { shape: [1] } }, { model: 'resnet' })), /unknown model "resnet"/);
  assert.throws(() => readSafetensorsHeader(makeSafetensors({}, { model: 'cnn' })), /no tensors/);
});

test('checkWeightsFile checks name and size before reading', () => {
  assert.equal(checkWeightsFile({ name: 'inkling-cnn.safetensors', size: 1000 }), null);
  assert.match(checkWeightsFile({ name: 'photo.png', size: 1000 }), /not a \.safetensors/);
  assert.match(checkWeightsFile({ name: 'a.safetensors', size: 0 }), /empty/);
  assert.match(checkWeightsFile({ name: 'a.safetensors', size: MAX_WEIGHTS_BYTES + 1 }), /limit is 52 MB/);
});
