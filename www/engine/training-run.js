// The one driver of the core's training run, shared by the app's worker, the bench and the soak.
//
// The core owns the run (`RunPlan` in src/run.rs: each epoch's shuffled order and learning rate,
// the partial last batch, each step's dropout stream), so the CLI, the app and the benchmarks train
// on the same batches for a seed. This module only walks that plan: it gathers each batch, hands it
// to `step` (a plain `trainBatch` or the worker pool's) and calls the caller's hooks, which pause,
// stop, yield, report and evaluate. No DOM, no wasm import: the plan and the trainer come in.

import { IMAGE_BYTES, gatherBatch } from '../shared/batching.js';

/**
 * Runs `plan` on `trainer` over the first `plan`-sized part of `images`/`labels` (N × 784 bytes, N
 * labels; the training split comes first).
 *
 * - `step(images, labels, stream)` trains one batch and resolves to its `{ loss, accuracy }`;
 * - `beforeBatch({ epoch, batch })` may wait (pause) and resolves to false to stop the run;
 * - `afterBatch({ epoch, batch, count, result })` after each step (`batch` counts from 1);
 * - `afterEpoch({ epoch })` after each full epoch (evaluation, events).
 *
 * Resolves to `{ stopped, batchesDone }`. The trainer's rate is the plan's base rate afterwards, so a
 * later continue or fine-tune starts from it.
 */
export async function driveRun({ plan, trainer, images, labels, step, beforeBatch = () => true, afterBatch = () => {}, afterEpoch = () => {} }) {
  const bs = plan.batchSize;
  const imgBuf = new Uint8Array(bs * IMAGE_BYTES);
  const lblBuf = new Uint8Array(bs);
  let batchesDone = 0;
  try {
    for (let epoch = 0; epoch < plan.epochs; epoch++) {
      trainer.setLearningRate(plan.learningRate(epoch));
      const order = plan.epochOrder(epoch);
      for (let batch = 0; batch < plan.batchesPerEpoch; batch++) {
        if (!(await beforeBatch({ epoch, batch }))) return { stopped: true, batchesDone };
        const s = batch * bs;
        const count = gatherBatch(images, labels, order, s, Math.min(s + bs, order.length), imgBuf, lblBuf);
        const im = count === bs ? imgBuf : imgBuf.subarray(0, count * IMAGE_BYTES);
        const lb = count === bs ? lblBuf : lblBuf.subarray(0, count);
        const result = await step(im, lb, plan.stream(trainer.steps));
        batchesDone++;
        await afterBatch({ epoch, batch: batch + 1, count, result });
      }
      await afterEpoch({ epoch });
    }
    return { stopped: false, batchesDone };
  } finally {
    trainer.setLearningRate(plan.learningRate(0));
  }
}
