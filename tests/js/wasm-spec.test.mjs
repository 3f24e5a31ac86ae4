// Networks as specs through the built wasm package (www/pkg): summaries of presets and custom specs,
// an invalid spec named by its layer, a weights file that rebuilds its own network, and the page's
// list of models against the core's. Skipped when www/pkg has not been built.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { MODELS, describeWeights } from '../../www/app/safetensors.js';

import { declaredKeys, loadWasm, skip } from './wasm-pkg.mjs';

let wasm;
before(async () => {
  if (skip) return;
  wasm = await loadWasm();
});

const SMALL = { layers: [{ type: 'conv', filters: 4, kernel: 5, padding: 'same', activation: 'relu' }, { type: 'maxpool' }, { type: 'dense', units: 10 }] };

test('summarize gives every layer of a preset or a custom spec, as declared', { skip }, () => {
  const keras = wasm.summarize({ model: 'keras-cnn' });
  assert.equal(keras.params, 1_199_882);
  assert.deepEqual(
    keras.layers.map((l) => [l.name, l.output]),
    [['conv1', [32, 26, 26]], ['conv2', [64, 24, 24]], ['maxpool1', [64, 12, 12]], ['dropout1', [64, 12, 12]], ['flatten', [9216]], ['fc1', [128]], ['dropout2', [128]], ['fc2', [10]]],
  );
  assert.deepEqual(declaredKeys('NetworkSummary'), Object.keys(keras).sort());
  assert.deepEqual(declaredKeys('LayerSummary'), Object.keys(keras.layers[0]).sort());
  const small = wasm.summarize({ spec: SMALL });
  assert.deepEqual(small.layers.map((l) => l.params), [4 * 25 + 4, 0, 0, 10 * 4 * 14 * 14 + 10]);
  assert.deepEqual(small.spec.layers[0], SMALL.layers[0]);
  assert.equal(wasm.summarize().params, 93_322, 'no argument: the default cnn');
});

test('an invalid network throws a message naming the layer', { skip }, () => {
  const bad = (spec) => assert.throws(() => wasm.summarize({ spec }), Error);
  bad({ layers: [] });
  assert.throws(() => wasm.summarize({ spec: { layers: [{ type: 'dense', units: 64 }, { type: 'conv', filters: 8 }, { type: 'dense', units: 10 }] } }), /layer 2 \(conv\): a convolution needs a feature map/);
  assert.throws(() => wasm.summarize({ spec: { layers: [{ type: 'conv', filters: 8, kernel: 7 }, { type: 'dense', units: 10 }] } }), /layer 1 \(conv\): kernel is 3 or 5, not 7/);
  assert.throws(() => wasm.summarize({ model: 'cnn', spec: SMALL }), /give model 'custom' with it/);
  assert.throws(() => wasm.summarize({ model: 'resnet' }), /unknown variant `resnet`/);
  assert.throws(() => new wasm.Trainer({ model: 'custom' }), /model 'custom' needs a spec/);
});

test('a weights file rebuilds its own network, whatever the trainer asked for', { skip }, () => {
  const t = new wasm.Trainer({ model: 'custom', spec: SMALL, seed: 3 });
  const bytes = t.exportWeights();
  const desc = describeWeights(bytes);
  assert.equal(desc.model, 'custom');
  const u = wasm.Trainer.fromWeights(bytes, { model: 'cnn', batchSize: 32 });
  assert.equal(u.config.model, 'custom');
  assert.equal(u.config.batchSize, 32);
  assert.deepEqual(u.config.spec, wasm.summarize({ spec: SMALL }).spec);
  const probe = new Uint8Array(2 * 784).map((_, i) => (i * 13) % 256);
  assert.deepEqual(u.predict(probe), t.predict(probe));
  assert.throws(() => wasm.Trainer.fromWeights(bytes.subarray(0, 40), {}), /safetensors/);
  const cnn = new wasm.Trainer({ model: 'cnn' });
  assert.equal(cnn.config.spec, null, 'a preset has no spec of its own');
  const again = wasm.Trainer.fromWeights(cnn.exportWeights(), { model: 'mlp' });
  assert.equal(again.config.model, 'cnn');
  for (const x of [t, u, cnn, again]) x.free();
});

test('inspect gives every layer of a drawing, as declared', { skip }, () => {
  const t = new wasm.Trainer({ model: 'custom', spec: SMALL });
  const seen = t.inspect(new Uint8Array(784).map((_, i) => (i % 28 > 10 && i % 28 < 16 ? 255 : 0)));
  assert.deepEqual(declaredKeys('Inspection'), Object.keys(seen).sort());
  assert.deepEqual(declaredKeys('LayerView'), Object.keys(seen.layers[0]).sort());
  assert.deepEqual(seen.layers.map((l) => [l.name, l.shape.join('x'), l.values.length]), [['conv1', '4x28x28', 3136], ['maxpool1', '4x14x14', 784], ['fc1', '10', 10]]);
  assert.ok(seen.layers[0].values instanceof Float32Array);
  assert.deepEqual(seen.filters.shape, [4, 1, 5, 5]);
  assert.throws(() => t.inspect(new Uint8Array(783)), /one 28×28 image \(784 bytes\), got 783/);
  t.free();
});

test("the page's model names are the core's presets and custom", { skip }, () => {
  assert.deepEqual(MODELS, [...wasm.buildInfo().models, 'custom']);
});
