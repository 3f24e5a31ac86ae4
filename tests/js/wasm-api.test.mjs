// The built wasm package (www/pkg) under hostile calls, in node: every bad call throws a JS Error whose
// message names the failed check, the trainer's exported weights are byte-identical afterwards, it
// still trains and predicts, and the wasm instance never traps (a trap would end the user's session).
// Runs after the build stage of `npm test`; skipped when www/pkg/inkling_bg.wasm has not been built.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { loadWasm, skip } from './wasm-pkg.mjs';

let wasm; // the module namespace: { Trainer, parseIdx, preprocessDrawing, buildInfo }
before(async () => {
  if (skip) return;
  wasm = await loadWasm();
});

// ---- helpers -----------------------------------------------------------------------------------------

/** n images (n × 784 bytes) of a crude digit-dependent pattern, with labels 0–9. */
function batch(n, seed = 1) {
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    labels[i] = i % 10;
    for (let p = 0; p < 784; p++) {
      s = (s * 1103515245 + 12345) >>> 0;
      images[i * 784 + p] = (p % 28) / 28 > labels[i] / 10 ? 200 + (s % 56) : s % 30;
    }
  }
  return { images, labels };
}

const same = (a, b) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Asserts fn throws a JS Error (not a string, not a trap) whose message matches re. */
function throwsError(fn, re, what = String(re)) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, `${what}: threw ${typeof e} ${String(e)}, not an Error`);
    assert.match(e.message, re, what);
    return true;
  });
}

/** The trainer is unchanged (same weight bytes) and still predicts and trains. */
function assertIntact(t, weightsBefore, after) {
  assert.ok(same(t.exportWeights(), weightsBefore), `weights changed after ${after}`);
  const { images, labels } = batch(8, 9);
  const probs = t.predict(images);
  assert.equal(probs.length, 80);
  assert.ok(probs.every((p) => Number.isFinite(p) && p >= 0 && p <= 1), `bad probabilities after ${after}`);
  const step = t.trainBatch(images, labels);
  assert.ok(Number.isFinite(step.loss), `training broken after ${after}`);
}

const mlp = (extra = {}) => new wasm.Trainer({ model: 'mlp', maxBatchSize: 16, batchSize: 16, ...extra });

// ---- tests -----------------------------------------------------------------------------------------

test('bad batches throw and change nothing', { skip }, () => {
  const t = mlp();
  const w = t.exportWeights();
  const { images, labels } = batch(8);
  throwsError(() => t.trainBatch(images.subarray(0, 783), labels), /not a multiple of 784/);
  throwsError(() => t.trainBatch(images, labels.subarray(0, 7)), /7 labels for 8 images/);
  throwsError(() => t.trainBatch(images, new Uint8Array(9)), /9 labels for 8 images/);
  throwsError(() => t.trainBatch(new Uint8Array(0), new Uint8Array(0)), /empty batch/);
  const big = batch(17);
  throwsError(() => t.trainBatch(big.images, big.labels), /batch of 17 images is larger than maxBatchSize \(16\)/);
  const bad = labels.slice();
  bad[3] = 12;
  throwsError(() => t.trainBatch(images, bad), /label 12 at index 3/);
  throwsError(() => t.evaluate(images, labels.subarray(0, 3)), /3 labels for 8 images/);
  throwsError(() => t.predict(images.subarray(0, 100)), /not a multiple of 784/);
  throwsError(() => t.predict(new Uint8Array(0)), /empty/);
  assert.equal(t.steps, 0);
  assertIntact(t, w, 'bad batches');
});

test('byte buffers must be Uint8Array: typed arrays of other kinds and plain arrays throw', { skip }, () => {
  // wasm-bindgen's plain `&[u8]` glue would convert these element-wise modulo 256 (0.5 → 0, 300 → 44),
  // so a Float32Array of 0–1 pixels would silently become black images. The binding refuses them.
  const t = mlp();
  const w = t.exportWeights();
  const { images, labels } = batch(4);
  const wrong = [
    [new Float32Array(images), 'Float32Array'],
    [new Float64Array(images), 'Float64Array'],
    [new Int8Array(images.length), 'Int8Array'],
    [new Uint16Array(images.length), 'Uint16Array'],
    [Array.from(images), 'Array'],
    [images.buffer, 'ArrayBuffer'],
    [new DataView(images.buffer), 'DataView'],
    [null, 'null'],
    [undefined, 'undefined'],
    [42, 'number'],
    ['pixels', 'string'],
    [{ length: 784 }, 'Object'],
  ];
  for (const [value, name] of wrong) {
    throwsError(() => t.trainBatch(value, labels), new RegExp(`images must be a Uint8Array .*got ${name}`), name);
    throwsError(() => t.trainBatch(images, value), new RegExp(`labels must be a Uint8Array .*got ${name}`), name);
    throwsError(() => t.predict(value), new RegExp(`images must be a Uint8Array .*got ${name}`), name);
    throwsError(() => t.importWeights(value), new RegExp(`weights file must be a Uint8Array .*got ${name}`), name);
    throwsError(() => wasm.parseIdx(value), new RegExp(`IDX file must be a Uint8Array .*got ${name}`), name);
    throwsError(() => wasm.preprocessDrawing(value, 28, 28, 1), new RegExp(`drawing pixels must be a Uint8Array .*got ${name}`), name);
  }
  assertIntact(t, w, 'wrong buffer types');
  // Accepted: Node's Buffer (a Uint8Array), Uint8ClampedArray (canvas ImageData.data) and subarrays.
  const u = mlp();
  const p1 = u.predict(Buffer.from(images));
  const p2 = u.predict(new Uint8ClampedArray(images));
  const padded = new Uint8Array(images.length + 10);
  padded.set(images, 10);
  const p3 = u.predict(padded.subarray(10));
  assert.deepEqual(p1, u.predict(images));
  assert.deepEqual(p2, p1);
  assert.deepEqual(p3, p1);
  assert.equal(wasm.preprocessDrawing(new Uint8ClampedArray(4 * 28 * 28).fill(255), 28, 28, 4), undefined);
});

test('learning rates that are not finite positive numbers throw', { skip }, () => {
  const t = mlp();
  const w = t.exportWeights();
  for (const lr of [NaN, Infinity, -Infinity, 0, -0.001, 1e6, undefined, 'fast', {}]) {
    throwsError(() => t.setLearningRate(lr), /learningRate must be a finite number/, String(lr));
  }
  assert.equal(t.config.learningRate, wasm.defaults().trainer.learningRate);
  assertIntact(t, w, 'bad learning rates');
  // A numeric string is converted by JS (Number('0.0001')), like any number argument.
  t.setLearningRate('0.0001');
  assert.equal(t.config.learningRate, 1e-4);
});

test('bad trainer configs throw, naming the key', { skip }, () => {
  const cases = [
    [{ learningRate: NaN }, /learningRate must be a finite number, got NaN/],
    [{ learningRate: Infinity }, /learningRate must be a finite number, got Infinity/],
    [{ momentum: -Infinity }, /momentum must be a finite number, got -Infinity/],
    [{ learningRate: -1 }, /learningRate must be a finite number between 0.0000001 and 1000, got -1/],
    [{ learningRate: '0.1' }, /invalid type: string/],
    [{ batchSize: 0 }, /batchSize must be between 1 and maxBatchSize/],
    [{ batchSize: 1.5 }, /invalid type: floating point/],
    [{ batchSize: -1 }, /invalid value: integer `-1`/],
    [{ batchSize: 4096 }, /batchSize must be between 1 and maxBatchSize \(1024\)/],
    [{ maxBatchSize: 1e6 }, /maxBatchSize must be between 1 and 65536/],
    [{ epochs: 0 }, /epochs must be between 1 and 100\b/],
    [{ foo: 1 }, /unknown field `foo`/],
    [{ learning_rate: 0.1 }, /unknown field `learning_rate`/],
    [{ model: 'resnet' }, /unknown variant `resnet`/],
    [{ seed: 1n }, /not a plain object/],
    [[], /expected an object .*got Array/],
    ['cnn', /expected an object .*got string/],
    [42, /expected an object .*got number/],
    [() => ({}), /expected an object .*got function/],
    [Symbol('x'), /expected an object .*got symbol/],
  ];
  for (const [config, re] of cases) throwsError(() => new wasm.Trainer(config), re, String(config?.toString?.() ?? config));
  // A self-referencing object cannot be serialised: an Error, not a hang or a trap.
  const cyclic = { model: 'mlp' };
  cyclic.self = cyclic;
  throwsError(() => new wasm.Trainer(cyclic), /invalid trainer config/);
  // undefined / null / {} give the defaults.
  for (const config of [undefined, null, {}]) assert.equal(new wasm.Trainer(config).config.model, 'cnn');
});

test('weights: oversized, damaged and foreign files throw and the model stays', { skip }, () => {
  const t = mlp();
  const w = t.exportWeights();
  throwsError(() => t.importWeights(new Uint8Array(70 * 1024 * 1024)), /weights file is 70 MB; the limit is 64 MB/);
  throwsError(() => t.importWeights(new Uint8Array(0)), /not a valid safetensors/);
  throwsError(() => t.importWeights(new TextEncoder().encode('<!doctype html><html></html>')), /not a valid safetensors/);
  throwsError(() => t.importWeights(w.subarray(0, w.length - 1)), /safetensors/);
  throwsError(() => t.importWeights(w.subarray(0, 100)), /safetensors/);
  const cnn = new wasm.Trainer({ model: 'cnn' });
  throwsError(() => t.importWeights(cnn.exportWeights()), /holds a 'cnn' model but the current model is 'mlp'/);
  throwsError(() => cnn.importWeights(w), /holds a 'mlp' model but the current model is 'cnn'/);
  // NaN weights: right names and shapes, poisoned values (the last tensor is fc2.weight).
  const poisoned = w.slice();
  new DataView(poisoned.buffer).setFloat32(poisoned.length - 4, NaN, true);
  throwsError(() => t.importWeights(poisoned), /'fc2.weight' contains NaN or infinite values/);
  assertIntact(t, w, 'bad weight files');
  cnn.free();
  // A good file still round-trips bit-exactly.
  const good = t.exportWeights();
  const u = mlp({ seed: 7 });
  u.importWeights(good);
  assert.ok(same(u.exportWeights(), good));
  u.free();
});

test('IDX files and drawings: bad input throws, odd canvases work', { skip }, () => {
  throwsError(() => wasm.parseIdx(new Uint8Array(0)), /IDX: the file is empty/);
  throwsError(() => wasm.parseIdx(Uint8Array.of(0x1f, 0x8b, 8, 0)), /IDX: .*gzip/);
  throwsError(() => wasm.parseIdx(Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 2, 3, 12)), /label 12 at index 1/);
  throwsError(() => wasm.parseIdx(Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 3, 1)), /truncated/);
  assert.equal(wasm.parseIdx(Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 2, 3, 4)).count, 2);
  // Canvas sizes: 0, negative (ToUint32 wraps -1 to 4294967295), NaN (→ 0), too large.
  const px = new Uint8Array(100).fill(255);
  for (const [w, h] of [[0, 100], [-1, 100], [NaN, 100], [4097, 1]]) {
    throwsError(() => wasm.preprocessDrawing(px, w, h, 1), /drawing size .* is outside 1..=4096/, `${w}×${h}`);
  }
  throwsError(() => wasm.preprocessDrawing(px, 10, 10, 3), /1 \(grayscale\) or 4 \(RGBA\) channels, got 3/);
  throwsError(() => wasm.preprocessDrawing(px, 10, 11, 1), /100 bytes but 10×11×1 needs 110/);
  // Empty canvas → undefined; 1×4096 and 4096×1 strokes and a single dot → 784 bytes.
  assert.equal(wasm.preprocessDrawing(px, 10, 10, 1), undefined);
  const line = new Uint8Array(4096).fill(255).fill(0, 1000, 3000);
  for (const [w, h] of [[1, 4096], [4096, 1]]) assert.equal(wasm.preprocessDrawing(line, w, h, 1).length, 784);
  const dot = new Uint8Array(280 * 280).fill(255);
  dot[140 * 280 + 140] = 0;
  const img = wasm.preprocessDrawing(dot, 280, 280, 1);
  assert.equal(img.length, 784);
  assert.ok(img.some((p) => p > 0));
});

test('calls after free() throw a JS Error and other trainers keep working', { skip }, () => {
  const keep = mlp();
  const w = keep.exportWeights();
  const gone = mlp();
  gone.free();
  const { images, labels } = batch(4);
  for (const [name, call] of [
    ['trainBatch', () => gone.trainBatch(images, labels)],
    ['predict', () => gone.predict(images)],
    ['evaluate', () => gone.evaluate(images, labels)],
    ['exportWeights', () => gone.exportWeights()],
    ['importWeights', () => gone.importWeights(w)],
    ['setLearningRate', () => gone.setLearningRate(0.01)],
    ['freezeFeatures', () => gone.freezeFeatures(true)],
    ['config', () => gone.config],
    ['steps', () => gone.steps],
  ]) {
    throwsError(call, /null pointer passed to rust/, name);
  }
  // A second free() is harmless.
  try {
    gone.free();
  } catch (e) {
    assert.ok(e instanceof Error, 'a second free() may throw, but only an Error');
  }
  assertIntact(keep, w, 'calls on a freed trainer');
});

test('divergence under a huge learning rate stops with a message and restores the last good weights', { skip }, () => {
  const t = new wasm.Trainer({ model: 'mlp', optimizer: 'sgd', learningRate: 1000, momentum: 0.9, batchSize: 32, seed: 3 });
  const { images, labels } = batch(32, 5);
  let error;
  for (let i = 0; i < 200 && !error; i++) {
    const steps = t.steps;
    try {
      t.trainBatch(images, labels);
    } catch (e) {
      error = e;
      assert.equal(t.steps, steps, 'a diverged step is not counted');
    }
  }
  assert.ok(error instanceof Error, 'learning rate 1000 should diverge');
  assert.match(error.message, /training diverged: the loss became (NaN|inf).*last good weights were restored/);
  const probs = t.predict(images);
  assert.ok(probs.every(Number.isFinite), 'restored weights must give finite probabilities');
  t.setLearningRate(1e-3);
  assert.ok(Number.isFinite(t.trainBatch(images, labels).loss));
});

test('data-parallel calls: bad gradients, weights and streams throw and change nothing', { skip }, () => {
  const t = mlp();
  const w = t.exportWeights();
  const { images, labels } = batch(8);
  const g = t.gradients(images, labels, 0);
  assert.ok(g.values instanceof Float32Array && g.values.length === t.parameterCount);
  assert.equal(g.count, 8);
  throwsError(() => t.gradients(images, labels, -1), /stream must be a non-negative integer, got -1/);
  throwsError(() => t.gradients(images, labels, 0.5), /stream must be a non-negative integer/);
  throwsError(() => t.gradients(images, labels, NaN), /stream must be a non-negative integer, got NaN/);
  throwsError(() => t.gradients(images, labels.subarray(0, 7), 0), /7 labels for 8 images/);
  throwsError(() => t.applyGradients(Array.from(g.values), g.loss), /gradient must be a Float32Array, got Array/);
  throwsError(() => t.applyGradients(new Uint8Array(g.values.length), g.loss), /gradient must be a Float32Array, got Uint8Array/);
  throwsError(() => t.applyGradients(g.values.subarray(1), g.loss), /gradient has \d+ values; this mlp model has \d+ parameters/);
  const flat = t.flatWeights();
  throwsError(() => t.setFlatWeights(flat.subarray(2)), /weights have \d+ values; this mlp model has \d+/);
  const nan = flat.slice();
  nan[9] = NaN;
  throwsError(() => t.setFlatWeights(nan), /not finite \(value 9 is NaN\)/);
  throwsError(() => t.setFlatWeights(null), /weights must be a Float32Array, got null/);
  assert.equal(t.steps, 0);
  assertIntact(t, w, 'bad data-parallel calls');
  // And the good path: the gradient applied is one step; the weights mirror into another trainer.
  t.applyGradients(t.gradients(images, labels, 1).values, 1.0);
  const other = mlp({ seed: 77 });
  other.setFlatWeights(t.flatWeights());
  assert.ok(same(other.exportWeights(), t.exportWeights()));
  other.free();
  t.free();
});

test('after everything, the instance has not trapped: a fresh default trainer trains and predicts', { skip }, () => {
  const t = new wasm.Trainer();
  assert.equal(t.config.model, 'cnn');
  const { images, labels } = batch(16, 11);
  const first = t.trainBatch(images, labels).loss;
  for (let i = 0; i < 5; i++) t.trainBatch(images, labels);
  assert.ok(t.trainBatch(images, labels).loss < first, 'the loss should fall on a repeated batch');
  const ev = t.evaluate(images, labels);
  assert.equal(ev.count, 16);
  assert.ok(ev.predictions instanceof Uint8Array);
  assert.equal(t.predict(images).length, 160);
  assert.ok(wasm.buildInfo().models.includes('mlp'));
  t.free();
});
