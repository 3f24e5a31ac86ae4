// The TypeScript declarations of the built package (www/pkg/inkling.d.ts, from src/wasm/types.d.ts)
// against what the core returns: every interface that describes a core value lists exactly the keys
// the core serialises, so the page's editor help and `tsc` users see the real shapes. Skipped when
// www/pkg has not been built.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { declaredKeys, loadWasm, skip } from './wasm-pkg.mjs';

let wasm;
before(async () => {
  if (skip) return;
  wasm = await loadWasm();
});

const keys = (o) => Object.keys(o).sort();

test('TrainerConfig and FineTuneConfig declare exactly the keys of the core configs', { skip }, () => {
  const d = wasm.defaults();
  assert.deepEqual(declaredKeys('TrainerConfig'), keys(d.trainer));
  assert.deepEqual(declaredKeys('FineTuneConfig'), keys(d.fineTune));
  const t = new wasm.Trainer({ model: 'mlp' });
  assert.deepEqual(declaredKeys('TrainerConfig'), keys(t.config));
  t.free();
});

test('Limits, BuildInfo, StepResult and Evaluation declare exactly what the core returns', { skip }, () => {
  assert.deepEqual(declaredKeys('Limits'), keys(wasm.limits()));
  assert.deepEqual(declaredKeys('BuildInfo'), keys(wasm.buildInfo()));
  const t = new wasm.Trainer({ model: 'mlp', batchSize: 10 });
  const images = new Uint8Array(10 * 784).map((_, i) => (i * 37) % 256);
  const labels = new Uint8Array(10).map((_, i) => i);
  assert.deepEqual(declaredKeys('StepResult'), keys(t.trainBatch(images, labels)));
  assert.deepEqual(declaredKeys('Evaluation'), keys(t.evaluate(images, labels)));
  assert.deepEqual(declaredKeys('ShardGradients'), keys(t.gradients(images, labels, 0)));
  t.free();
});

test('every config key the declarations name is accepted by the core, and an undeclared one is refused', { skip }, () => {
  const d = wasm.defaults();
  const t = new wasm.Trainer(d.trainer);
  t.free();
  assert.throws(() => new wasm.Trainer({ ...d.trainer, learningRateTypo: 1 }), /unknown field `learningRateTypo`/);
});
