// The core's training run and fine-tune recipe through the built wasm package (www/pkg), in node: the
// plan is the one the CLI follows (the same orders as src/run.rs's fixed-plan test), fine-tuning
// learns and refuses bad settings, the verdict and the exported defaults and limits; the one JS driver
// of the run (www/training-run.js, used by the app's worker, the bench and the soak) makes the plan's calls.
// Skipped when www/pkg/inkling_bg.wasm has not been built.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { driveRun } from '../../www/engine/training-run.js';

import { loadWasm, skip } from './wasm-pkg.mjs';

let wasm;
before(async () => {
  if (skip) return;
  wasm = await loadWasm();
});

/** n images of a digit-dependent bar pattern, labels cycling 0–9 (or all `label`). */
function digits(n, { shift = 0, label } = {}) {
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = label ?? i % 10;
    labels[i] = c;
    for (let y = 4; y < 24; y++) for (let x = 0; x < 3; x++) images[i * 784 + y * 28 + ((2 + c * 2 + x + shift) % 28)] = 255;
  }
  return { images, labels };
}

test('the run plan is the CLI plan: same orders, rates and streams for a seed', { skip }, () => {
  const plan = new wasm.RunPlan({ seed: 42, batchSize: 5 }, 12);
  assert.deepEqual(Array.from(plan.epochOrder(0)), [2, 6, 9, 5, 0, 4, 7, 10, 3, 1, 11, 8]);
  assert.deepEqual(Array.from(plan.epochOrder(2)), [5, 7, 10, 4, 3, 9, 0, 2, 8, 11, 6, 1]);
  assert.equal(plan.stream(7), 2818572295);
  assert.equal(plan.batchesPerEpoch, 3);
  assert.equal(plan.totalBatches, 9);
  plan.free();
  const rates = new wasm.RunPlan({ learningRate: 0.002, lrDecay: 0.5 }, 12);
  assert.deepEqual([0, 1, 2].map((e) => rates.learningRate(e)), [0.002, 0.001, 0.0005]);
  rates.free();
  assert.throws(() => new wasm.RunPlan({ seed: 1 }, 0), /training set is empty/);
  assert.throws(() => new wasm.RunPlan({ epochs: 0 }, 10), /epochs/);
  assert.equal(wasm.validationSize(5000, 60000), 5000);
  assert.equal(wasm.validationSize(5000, 800), 80);
});

test('defaults and limits come from the core', { skip }, () => {
  const d = wasm.defaults();
  assert.equal(d.trainer.model, 'cnn');
  assert.equal(d.trainer.augment, true);
  assert.equal(d.trainer.validationSize, 5000);
  assert.ok(d.fineTune.steps > 0 && d.fineTune.learningRate > 0);
  const l = wasm.limits();
  assert.ok(l.maxEpochs >= d.trainer.epochs && l.maxFineTuneSteps >= d.fineTune.steps);
  assert.equal(l.maxWeightsBytes, 64 << 20);
});

test('fine-tuning learns a shifted style, restores nothing it should not, and refuses bad settings', { skip }, () => {
  const t = new wasm.Trainer({ model: 'mlp', seed: 3 });
  const base = digits(200);
  for (let k = 0; k < 30; k++) t.trainBatch(base.images, base.labels);
  const style = digits(40, { shift: 9 }); // the same bars, moved: a "handwriting" it has not seen
  const before = t.evaluate(style.images, style.labels).accuracy;
  const ft = new wasm.FineTune(style.images, style.labels, { steps: 60, learningRate: 2e-3 });
  ft.setReplay(base.images, base.labels);
  while (!ft.isDone) ft.step(t);
  assert.equal(ft.stepsDone, 60);
  assert.throws(() => ft.step(t), /already taken its 60 steps/);
  const after = t.evaluate(style.images, style.labels).accuracy;
  assert.ok(after > before + 0.2, `style accuracy ${before} -> ${after}`);
  ft.free();
  for (const [settings, re] of [
    [{ steps: 0 }, /steps/],
    [{ learningRate: -1 }, /learningRate/],
    [{ ownShare: 2 }, /ownShare/],
    [{ stepz: 3 }, /unknown field/],
    [{ steps: Number.NaN }, /steps must be a finite number/],
  ]) {
    assert.throws(() => new wasm.FineTune(style.images, style.labels, settings), re);
  }
  assert.throws(() => new wasm.FineTune(new Uint8Array(0), new Uint8Array(0), {}), /no digits of your own/);
  assert.throws(() => new wasm.FineTune(style.images, style.labels.subarray(1), {}), /images but/);
  t.free();
});

test('the verdict: a digit, not sure between two, or a scribble', { skip }, () => {
  const probs = (top, p, second = (top + 1) % 10, q = (1 - p) / 9) => Float32Array.from({ length: 10 }, (_, i) => (i === top ? p : i === second ? q : (1 - p - q) / 8));
  const image = digits(1).images;
  assert.deepEqual(wasm.judge(probs(3, 0.97), image), { kind: 'digit', digit: 3, probability: Math.fround(0.97) });
  const unsure = wasm.judge(probs(4, 0.5, 9, 0.45), image);
  assert.equal(unsure.kind, 'unsure');
  assert.deepEqual([unsure.first, unsure.second], [4, 9]);
  // The probabilities the page prints: camelCase numbers, as the TypeScript type declares.
  assert.ok(Math.abs(unsure.firstProbability - 0.5) < 1e-6 && Math.abs(unsure.secondProbability - 0.45) < 1e-6, JSON.stringify(unsure));
  assert.equal(wasm.judge(probs(8, 0.99), new Uint8Array(784).fill(255)).kind, 'scribble');
  assert.throws(() => wasm.judge(new Float32Array(3), image), /10 finite probabilities/);
});

test('the driver makes the plan\'s calls: its batches, streams and rates, a partial last batch, a stop', { skip }, async () => {
  // 13 digits with distinct labels per position, so a batch's labels name its images.
  const { images } = digits(13);
  const labels = Uint8Array.from({ length: 13 }, (_, i) => i % 10);
  const config = { model: 'mlp', seed: 42, batchSize: 5, epochs: 2, learningRate: 0.002, lrDecay: 0.5 };
  const plan = new wasm.RunPlan(config, 12); // the 13th image is not in the training split
  const t = new wasm.Trainer(config);
  const rates = [];
  const setRate = t.setLearningRate.bind(t);
  t.setLearningRate = (lr) => (rates.push(lr), setRate(lr));
  const seen = [];
  const epochs = [];
  const run = await driveRun({
    plan,
    trainer: t,
    images,
    labels,
    step: (im, lb, stream) => {
      seen.push({ labels: Array.from(lb), stream, images: im.length / 784 });
      return t.trainBatch(im, lb);
    },
    afterEpoch: ({ epoch }) => epochs.push(epoch),
  });
  const expected = [];
  for (let e = 0; e < 2; e++) {
    const order = Array.from(plan.epochOrder(e));
    for (let s = 0; s < 12; s += 5) {
      const part = order.slice(s, s + 5);
      expected.push({ labels: part.map((i) => labels[i]), stream: plan.stream(expected.length), images: part.length });
    }
  }
  assert.deepEqual(seen, expected);
  assert.deepEqual(run, { stopped: false, batchesDone: 6 });
  assert.deepEqual(epochs, [0, 1]);
  assert.deepEqual(rates, [0.002, 0.001, 0.002], 'each epoch its rate, then the base rate back');
  // Stopped before the second batch: one step taken, no epoch finished, the base rate back.
  rates.length = 0;
  const stopped = await driveRun({ plan, trainer: t, images, labels, step: (im, lb) => t.trainBatch(im, lb), beforeBatch: ({ batch }) => batch < 1, afterEpoch: () => assert.fail('no epoch ends') });
  assert.deepEqual(stopped, { stopped: true, batchesDone: 1 });
  assert.deepEqual(rates, [0.002, 0.002]);
  plan.free();
  t.free();
});
