// The data-parallel pool (www/pool/) with the built wasm package, its helpers served over
// MessageChannels in this process exactly as shard-worker.js serves them in a browser worker. A pooled step must equal the plain step, pooled evaluation and prediction
// must equal the plain ones, mirrors must follow weight changes, and a failing helper must cost
// nothing but speed. Skipped when www/pkg has not been built.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { STREAM_DEPTH, TrainerPool } from '../../www/pool/parallel.js';
import { MIN_SPLIT_STEP_MS, TIMED_CALLS } from '../../www/pool/split-timer.js';
import { mirrorKey, shardHandlers } from '../../www/pool/shard.js';
import { RpcClient, plain, serveRpc } from '../../www/protocol/protocol.js';

import { loadWasm, skip, wasmPath } from './wasm-pkg.mjs';

/** n crude digit images with labels 0–9. */
function batch(n, seed = 1) {
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    labels[i] = (i * 7 + seed) % 10;
    for (let p = 0; p < 784; p++) {
      s = (s * 1103515245 + 12345) >>> 0;
      images[i * 784 + p] = (p % 28) / 28 > labels[i] / 10 ? 200 + (s % 56) : s % 30;
    }
  }
  return { images, labels };
}

const maxDiff = (a, b) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** `trainer` with `before(...args)` called ahead of each call of its method `key` (other members as they are). */
function spyOn(trainer, key, before) {
  return new Proxy(trainer, {
    get(t, k) {
      if (k === key) return (...args) => (before(...args), t[key](...args));
      const v = Reflect.get(t, k);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}

/** The twins' learning rate: the bounds below scale with it. */
const TWIN_LR = 1e-3;

/**
 * Asserts that two twins' weights agree after `steps` Adam steps on the same batches, one whole and
 * one split into shares. Adam moves each weight by about ±lr whatever its gradient's size, so a
 * component whose gradient is ~0 and whose sign the order of the float sums flips ends up to 2·lr per
 * step apart: the weights are compared in bulk (under 1 % apart by more than 1e-4; 0.3 % measured),
 * and each within what `steps` such steps can do. (The gradients themselves are compared exactly.)
 */
function assertTwins(a, b, steps, lr = TWIN_LR) {
  assert.ok(maxDiff(a, b) <= 2 * lr * steps * 1.01, `weights differ by ${maxDiff(a, b)}`);
  let apart = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-4) apart++;
  assert.ok(apart * 100 < a.length, `${apart} of ${a.length} weights differ by more than 1e-4`);
}

describe('TrainerPool with the wasm package', { skip }, () => {
  let wasm;
  const ports = [];
  before(async () => {
    wasm = await loadWasm();
  });
  after(() => ports.forEach((p) => p.close()));

  /** A pool of `helpers` helpers served in-process over MessageChannels. */
  async function makePool(helpers, options = {}) {
    const clients = [];
    for (let i = 0; i < helpers; i++) {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1, port2);
      serveRpc(port2, shardHandlers(wasm));
      port2.start();
      port1.start();
      const rpc = new RpcClient(port1);
      await rpc.call('init', { module: readFileSync(wasmPath) });
      clients.push(rpc);
    }
    return new TrainerPool(clients, { minSplitStepMs: 0, ...options });
  }

  test('a pooled step is the plain step, for every share split', async () => {
    for (const helpers of [1, 2]) {
      const pool = await makePool(helpers);
      assert.equal(pool.size, helpers + 1);
      const plainT = new wasm.Trainer({ model: 'cnn', seed: 3, augment: false, learningRate: TWIN_LR });
      const pooledT = new wasm.Trainer({ model: 'cnn', seed: 3, augment: false, learningRate: TWIN_LR });
      // The gradient the pool applies, caught on its way to the trainer.
      const applied = [];
      const spy = spyOn(pooledT, 'applyGradients', (values) => applied.push(Float32Array.from(values)));
      let version = 0;
      for (let step = 0; step < 3; step++) {
        const { images, labels } = batch(50, step + 1); // 50: shares of 25 or 17/17/16
        const whole = pooledT.gradients(images, labels, 0); // the whole batch's gradient (no step)
        const a = plainT.trainBatch(images, labels);
        const b = await pool.trainBatch(spy, images, labels, version++, step);
        assert.ok(Math.abs(b.loss - whole.loss) < 1e-5, `step ${step}: loss ${b.loss} vs ${whole.loss}`);
        const scale = whole.values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const d = maxDiff(applied[step], whole.values) / scale;
        assert.ok(d < 1e-5, `step ${step}: the shares' gradient differs from the whole batch's by ${d}`);
        // The twin stepped on the whole batch: same weights at step 0, then apart by float rounding.
        const tol = step === 0 ? 1e-5 : 1e-3;
        assert.ok(Math.abs(a.loss - b.loss) < tol, `step ${step}: loss ${a.loss} vs the twin's ${b.loss}`);
        if (step === 0) assert.ok(Math.abs(a.accuracy - b.accuracy) < 1e-6);
      }
      assert.equal(pooledT.steps, 3);
      assertTwins(plainT.flatWeights(), pooledT.flatWeights(), 3);
      plainT.free();
      pooledT.free();
    }
  });

  test("a custom network's helpers mirror its spec, not a preset", async () => {
    const pool = await makePool(1);
    const spec = { layers: [{ type: 'conv', filters: 4, kernel: 5, padding: 'same', activation: 'relu' }, { type: 'maxpool' }, { type: 'dense', units: 10 }] };
    const t = new wasm.Trainer({ model: 'custom', spec, seed: 2, augment: false });
    const { images, labels } = batch(40, 3);
    const whole = t.gradients(images, labels, 0);
    const b = await pool.trainBatch(t, images, labels, 0, 0);
    assert.ok(Math.abs(b.loss - whole.loss) < 1e-5, `pooled loss ${b.loss} vs the whole batch's ${whole.loss}`);
    const probs = await pool.predict(t, images, 1);
    assert.ok(maxDiff(probs, t.predict(images)) < 1e-6, "the helper's predictions are the network's");
    assert.equal(pool.size, 2, 'the helper built the network and stayed in the pool');
    t.free();
  });

  test('steps are split only when an unsplit step is slow enough and a timed split step is faster', async () => {
    const pool = await makePool(1, { minSplitStepMs: MIN_SPLIT_STEP_MS });
    const t = new wasm.Trainer({ model: 'mlp', seed: 1 });
    const key = `train:${mirrorKey(t)}/32`;
    const { images, labels } = batch(32, 2);
    let step = 0;
    const train = () => pool.trainBatch(t, images, labels, step, step++);
    // Plain steps (a warm-up, then TIMED_CALLS timed) before any decision; the fastest decides.
    await train();
    assert.equal(pool.worthSplitting(key), false);
    for (let i = 0; i < TIMED_CALLS; i++) {
      assert.equal(pool.timer.unsplitMs.get(key), -1, 'still timing');
      await train();
    }
    assert.ok(pool.timer.unsplitMs.get(key) >= 0);
    assert.equal(pool.timer.unsplitMs.get(key), Math.min(...pool.timer.trials.get(pool.timer.unsplitMs).get(key)), 'the fastest counts');
    pool.timer.unsplitMs.set(key, MIN_SPLIT_STEP_MS / 4); // a fast step (as the mlp's): stays plain
    await train();
    assert.equal(pool.timing.calls, 0);
    pool.timer.unsplitMs.set(key, MIN_SPLIT_STEP_MS * 4); // a slow step (as the cnn's): split trials
    const trials = 1 + TIMED_CALLS;
    for (let i = 0; i < trials; i++) {
      assert.equal(pool.worthSplitting(key), undefined, 'on trial');
      await train();
    }
    assert.equal(pool.timing.calls, trials);
    assert.ok(pool.timer.splitMs.get(key) >= 0, 'the trials are timed');
    pool.timer.splitMs.set(key, MIN_SPLIT_STEP_MS * 5); // split measured slower: plain from now on
    await train();
    assert.equal(pool.timing.calls, trials);
    pool.timer.splitMs.set(key, MIN_SPLIT_STEP_MS * 2); // split measured faster: split from now on
    await train();
    await train();
    assert.equal(pool.timing.calls, trials + 2);
    assert.equal(t.steps, step);
    t.free();
  });

  test('pooled evaluation and prediction equal the plain ones, and mirrors follow weight changes', async () => {
    const pool = await makePool(2);
    const t = new wasm.Trainer({ model: 'mlp', seed: 5 });
    const { images, labels } = batch(90, 9);
    let version = 0;
    for (let round = 0; round < 2; round++) {
      const ev = await pool.evaluate(t, images, labels, version);
      const plainEv = t.evaluate(images, labels);
      assert.deepEqual(Array.from(ev.predictions), Array.from(plainEv.predictions));
      assert.deepEqual(ev.confusion, plainEv.confusion);
      assert.ok(Math.abs(ev.loss - plainEv.loss) < 1e-5);
      const probs = await pool.predict(t, images, version);
      assert.ok(maxDiff(probs, t.predict(images)) < 1e-6);
      // Change the weights locally (as fine-tuning does): the next call must mirror the new ones.
      t.trainBatch(...Object.values(batch(32, 4)));
      version++;
    }
    // A stale mirror is never used silently: a version whose weights were not sent is an error.
    const h = pool.helpers[0];
    await assert.rejects(h.rpc.call('predict', { model: JSON.stringify({ model: 'mlp', augment: true }), version: 999, images: images.slice(0, 784) }), /never sent/);
    t.free();
  });

  /** A pool of one working helper and one whose every call fails; `lost` records each helper dropped. */
  async function poolWithBrokenHelper() {
    const lost = [];
    const pool = await makePool(1, { onHelperLost: (err, size) => lost.push([err.message, size]) });
    const broken = { call: () => Promise.reject(new Error('worker crashed')) };
    pool.helpers.push({ rpc: broken, id: 1, model: null, version: -1 });
    return { pool, lost };
  }

  /** Counts each helper's requests (by type) on their way out, and the most it had queued (`maxPending`). */
  function countCalls(pool) {
    return pool.helpers.map((h) => {
      const seen = { maxPending: 0 };
      const call = h.rpc.call.bind(h.rpc);
      h.rpc = {
        call: (type, ...rest) => {
          seen[type] = (seen[type] || 0) + 1;
          seen.maxPending = Math.max(seen.maxPending, h.pending || 0);
          return call(type, ...rest);
        },
      };
      return seen;
    });
  }

  test('streamed evaluation and prediction equal the plain ones, every worker taking whole chunks', async () => {
    const pool = await makePool(2);
    const seen = countCalls(pool);
    const t = new wasm.Trainer({ model: 'cnn', seed: 6 });
    const { images, labels } = batch(150, 8);
    let version = 0;
    for (let round = 0; round < 2; round++) {
      const ev = await pool.evaluateChunks(t, images, labels, version, 16); // 10 chunks, the last of 6
      const plainEv = plain(t.evaluate(images, labels));
      assert.deepEqual(Array.from(ev.predictions), Array.from(plainEv.predictions));
      assert.deepEqual(ev.confusion, plainEv.confusion);
      assert.equal(ev.count, 150);
      assert.ok(Math.abs(ev.loss - plainEv.loss) < 1e-5, `loss ${ev.loss} vs ${plainEv.loss}`);
      const probs = await pool.predictChunks(t, images, version, 32);
      assert.ok(maxDiff(probs, t.predict(images)) < 1e-6);
      // New weights (as after training): the helpers' mirrors must follow.
      t.trainBatch(...Object.values(batch(32, 4)));
      version++;
    }
    // Both helpers worked, never holding more than STREAM_DEPTH chunks, and the coordinator too.
    for (const s of seen) assert.ok(s.evaluate >= 1 && s.predict >= 1 && s.maxPending <= STREAM_DEPTH, JSON.stringify(seen));
    const remote = seen.reduce((n, s) => n + s.evaluate, 0);
    assert.ok(remote < 2 * 10, `all ${remote} evaluation chunks went to helpers`);
    assert.ok(pool.helpers.every((h) => h.pending === 0));
    t.free();
  });

  test('a cancelled stream stops between chunks: nothing is started after the stop, queued chunks are awaited', async () => {
    const pool = await makePool(1);
    const seen = countCalls(pool);
    const t = new wasm.Trainer({ model: 'mlp', seed: 6 });
    let local = 0;
    const counted = spyOn(t, 'evaluate', () => local++);
    const { images, labels } = batch(200, 3);
    let asked = 0;
    let atStop = null;
    const stop = () => {
      if (++asked <= 2) return false;
      atStop ??= { sent: seen[0].evaluate, local };
      return true;
    };
    const ev = await pool.evaluateChunks(counted, images, labels, 0, 10, stop);
    assert.equal(ev, null);
    // (How many chunks the helper finished before the stop depends on timing; what follows does not.)
    assert.deepEqual({ sent: seen[0].evaluate, local }, atStop, 'work started after the stop');
    assert.equal(atStop.local, 2, 'two local chunks before the stop');
    assert.equal(pool.helpers[0].pending, 0, 'the queued chunks were awaited');
    // The pool is still usable.
    const again = await pool.evaluateChunks(t, images, labels, 0, 50);
    assert.equal(again.count, 200);
    t.free();
  });

  test('a helper failing mid-stream is dropped once and its chunks are computed here', async () => {
    const { pool, lost } = await poolWithBrokenHelper();
    const t = new wasm.Trainer({ model: 'mlp', seed: 7 });
    const { images, labels } = batch(120, 5);
    const ev = await pool.evaluateChunks(t, images, labels, 0, 10);
    assert.deepEqual(Array.from(ev.predictions), Array.from(t.evaluate(images, labels).predictions));
    assert.deepEqual(lost, [['worker crashed', 2]]); // two chunks were queued on it: one loss
    assert.equal(pool.size, 2);
    t.free();
  });

  test('a failing helper costs only speed: its share is computed here and it is dropped', async () => {
    const { pool, lost } = await poolWithBrokenHelper();
    assert.equal(pool.size, 3);
    const plainT = new wasm.Trainer({ model: 'cnn', seed: 2, augment: false, learningRate: TWIN_LR });
    const pooledT = new wasm.Trainer({ model: 'cnn', seed: 2, augment: false, learningRate: TWIN_LR });
    const { images, labels } = batch(48, 3);
    const a = plainT.trainBatch(images, labels);
    const b = await pool.trainBatch(pooledT, images, labels, 0, 0);
    assert.ok(Math.abs(a.loss - b.loss) < 1e-5);
    assertTwins(plainT.flatWeights(), pooledT.flatWeights(), 1);
    assert.deepEqual(lost, [['worker crashed', 2]]);
    assert.equal(pool.size, 2);
    plainT.free();
    pooledT.free();
  });

  test('a diverged share refuses the step and restores the last good weights', async () => {
    const pool = await makePool(1);
    const t = new wasm.Trainer({ model: 'cnn', seed: 4 });
    const { images, labels } = batch(32, 1);
    await pool.trainBatch(t, images, labels, 0, 0);
    const before = t.flatWeights();
    await pool.trainBatch(t, images, labels, 1, 1);
    // The helper answers with a non-finite loss and no gradient, as a diverged shard does.
    pool.helpers[0].rpc = { call: async () => ({ loss: Infinity, correct: 0, count: 16, values: new Float32Array(0) }) };
    await assert.rejects(pool.trainBatch(t, images, labels, 2, 2), /diverged/);
    assert.deepEqual(Array.from(t.flatWeights()), Array.from(before)); // back to before the previous step
    t.free();
  });
});
