// Data-parallel training on all cores. The app's worker (the coordinator) keeps the one Trainer that
// owns the optimizer; helper workers (shard-worker.js), one per further core, each hold a mirror of
// the model. For every batch, each worker computes the gradient of its share of the images (the
// coordinator does its own share meanwhile), the coordinator averages the gradients weighted by
// share size and takes one optimizer step: the same step as on the whole batch, up to the order of
// float sums (tests/data_parallel.rs checks it). The mirrors are refreshed from the coordinator's
// weights (Trainer.flatWeights, ~0.4 MB for the cnn) whenever they changed, so helpers keep no
// optimizer state and can never drift. Batch prediction can be split the same way; evaluating a whole
// split (validation or test) streams chunks instead, each chunk whole to one worker (stream()).
//
// Batch-norm (cnn-large) normalises each share with its own statistics, as PyTorch's
// DistributedDataParallel does without SyncBatchNorm; the running statistics are the coordinator's.
//
// Why workers rather than wasm threads: this needs no SharedArrayBuffer (so no COOP/COEP headers
// where the app is hosted), no nightly toolchain, and one wasm build; a step costs one message
// round trip per helper. If a helper fails, its share is computed locally and it is dropped.
//
// No DOM access here: this runs inside the worker.

import { plain, yieldToEvents } from '../protocol/protocol.js';
import { IMAGE_BYTES } from '../shared/batching.js';
import { mergeEvaluations } from '../shared/metrics.js';
import { MAX_WORKERS, splitRanges, chunkRanges, combineGradients, shareOf, concat } from './shares.js';
import { SHARD, mirrorKey } from './shard.js';
import { MIN_SPLIT_STEP_MS, SplitTimer } from './split-timer.js';

/** Below this many images per worker a batch is not split (messages would cost more than they save). */
export const MIN_SHARD = 8;

/**
 * Ranges a helper keeps queued while streaming (TrainerPool.stream): two, so that it starts the next
 * one while its answer to the last waits for the coordinator, busy with a range of its own.
 */
export const STREAM_DEPTH = 2;

const FAILED = Symbol('failed');

/**
 * The coordinator's side of the pool. `helpers` are RpcClients of initialised shard workers;
 * `terminate(i)` ends helper i's worker. Every method takes the coordinator's Trainer and the
 * version of its weights (bumped by the caller whenever they change), so mirrors are refreshed
 * only when needed.
 */
export class TrainerPool {
  constructor(helpers = [], { terminate = () => {}, onHelperLost = () => {}, minSplitStepMs = MIN_SPLIT_STEP_MS } = {}) {
    this.helpers = helpers.map((rpc, i) => ({ rpc, id: i, model: null, version: -1 }));
    /** Milliseconds spent on the local share and waiting for helpers after it, over `calls` fan-outs
     * (for the benchmark: a pool whose coordinator waits long is unbalanced). */
    this.timing = { local: 0, wait: 0, calls: 0 };
    this.terminate = terminate;
    this.onHelperLost = onHelperLost;
    /** Decides, by timing, which calls are split across the workers. */
    this.timer = new SplitTimer(minSplitStepMs);
  }

  /** Whether calls under `key` are split (see SplitTimer.worthSplitting). */
  worthSplitting(key) {
    return this.timer.worthSplitting(key);
  }

  /** `split()` or `unsplit()` for a call under `key`, as the timer decides. */
  choose(key, ranges, unsplit, split) {
    return this.timer.choose(key, ranges, unsplit, split);
  }

  /** Workers in use, the coordinator included. */
  get size() {
    return this.helpers.length + 1;
  }

  /** Drops a helper after an error (its work is then done locally). */
  lose(helper, err) {
    this.helpers = this.helpers.filter((h) => h !== helper);
    try {
      this.terminate(helper.id);
    } catch {
      /* already gone */
    }
    this.onHelperLost(err, this.size);
  }

  /** The weights message part for `helper`: the weights only when its mirror is stale. */
  mirror(helper, trainer, model, version, cache) {
    const stale = helper.model !== model || helper.version !== version;
    if (stale && !cache.weights) cache.weights = trainer.flatWeights();
    return { model, version, weights: stale ? cache.weights : undefined };
  }

  /**
   * Sends a `type` request for each share ranges[1..] of `data` ({ images, labels? }) to a helper,
   * with `extra(k)` added to share k's message, and runs `local(share0, 0)` here meanwhile; a failed
   * helper's share is then run locally too. Returns the results in share order.
   */
  async fanOut(trainer, model, version, ranges, type, data, extra, local) {
    const cache = {};
    const used = this.helpers.slice(0, ranges.length - 1);
    const sent = used.map((h, i) => {
      const m = this.mirror(h, trainer, model, version, cache);
      const payload = shareOf(data, ranges[i + 1], true);
      const transfer = payload.labels ? [payload.images.buffer, payload.labels.buffer] : [payload.images.buffer];
      // Weights are copied (not transferred): the same array may go to several helpers.
      const call = h.rpc.call(type, { ...m, ...payload, ...extra(i + 1) }, transfer);
      return call.then(
        (result) => {
          h.model = m.model;
          h.version = m.version;
          return result;
        },
        (err) => {
          h.model = null;
          this.lose(h, err);
          return FAILED;
        },
      );
    });
    const t0 = performance.now();
    const results = [local(shareOf(data, ranges[0], false), 0)];
    const t1 = performance.now();
    const remote = await Promise.all(sent);
    const t2 = performance.now();
    this.timing.local += t1 - t0;
    this.timing.wait += t2 - t1;
    this.timing.calls++;
    remote.forEach((r, i) => results.push(r === FAILED ? local(shareOf(data, ranges[i + 1], false), i + 1) : r));
    return results;
  }

  /**
   * One optimizer step on a batch (N×784 bytes, N labels), split across the workers when that pays
   * (a plain `trainBatch` otherwise, see MIN_SPLIT_STEP_MS). `stream` numbers the step for dropout
   * masks (each share gets its own). Resolves to { loss, accuracy }.
   */
  async trainBatch(trainer, images, labels, version, stream) {
    const n = labels.length;
    const model = mirrorKey(trainer);
    const ranges = splitRanges(n, this.size, MIN_SHARD);
    const shareStream = (k) => stream * MAX_WORKERS + k;
    return this.choose(
      `train:${model}/${n}`,
      ranges,
      () => plain(trainer.trainBatch(images, labels)),
      async () => {
        const parts = await this.fanOut(
          trainer,
          model,
          version,
          ranges,
          SHARD.GRADIENTS,
          { images, labels },
          (k) => ({ stream: shareStream(k) }),
          (sh, k) => trainer.gradients(sh.images, sh.labels, shareStream(k)),
        );
        return this.apply(trainer, parts);
      },
    );
  }

  apply(trainer, parts) {
    const { values, loss, accuracy } = combineGradients(parts);
    // A diverged share: applyGradients refuses the NaN loss, restores the last good weights and throws.
    trainer.applyGradients(values || new Float32Array(trainer.parameterCount), loss);
    return { loss, accuracy };
  }

  /** Trainer.evaluate split across the workers; the parts merged in order. */
  async evaluate(trainer, images, labels, version) {
    const model = mirrorKey(trainer);
    const ranges = splitRanges(labels.length, this.size, MIN_SHARD);
    return this.choose(
      `evaluate:${model}/${labels.length}`,
      ranges,
      () => plain(trainer.evaluate(images, labels)),
      async () => {
        const parts = await this.fanOut(trainer, model, version, ranges, SHARD.EVALUATE, { images, labels }, () => ({}), (sh) =>
          plain(trainer.evaluate(sh.images, sh.labels)),
        );
        return mergeEvaluations(parts);
      },
    );
  }

  /**
   * Runs a `type` request on each of `ranges` (consecutive [start, end) image ranges of `data`,
   * { images, labels? }) whole, one range per worker at a time: each helper keeps STREAM_DEPTH ranges
   * queued while the coordinator works through ranges itself with `local(share)`. No worker waits for
   * another, as they do for the shares of one split call, which returns only when its slowest share
   * is done. `cancelled()` is asked between local ranges: when it says so, the helpers'
   * queued ranges are awaited and null is returned. Otherwise resolves to the results in range order.
   * A failed helper is dropped and its ranges are run here.
   */
  async stream(trainer, version, ranges, type, data, local, cancelled = () => false) {
    const model = mirrorKey(trainer);
    const cache = {};
    const results = new Array(ranges.length);
    const retry = [];
    const running = new Set();
    let next = 0;
    let stop = false;
    const feed = (h) => {
      while (!stop && (h.pending || 0) < STREAM_DEPTH && next < ranges.length && this.helpers.includes(h)) {
        const i = next++;
        const m = this.mirror(h, trainer, model, version, cache);
        // A worker serves its messages in order, so the ranges queued behind this one find the mirror
        // current (and a failure drops the helper, mirror and all).
        h.model = m.model;
        h.version = m.version;
        const payload = shareOf(data, ranges[i], true);
        const transfer = payload.labels ? [payload.images.buffer, payload.labels.buffer] : [payload.images.buffer];
        h.pending = (h.pending || 0) + 1;
        const call = h.rpc
          .call(type, { ...m, ...payload }, transfer)
          .then(
            (r) => {
              results[i] = r;
            },
            (err) => {
              h.model = null;
              if (this.helpers.includes(h)) this.lose(h, err);
              retry.push(i);
            },
          )
          .finally(() => {
            h.pending--;
            running.delete(call);
            feed(h);
          });
        running.add(call);
      }
    };
    this.helpers.forEach(feed);
    for (;;) {
      if (cancelled()) {
        stop = true;
        await Promise.allSettled([...running]);
        return null;
      }
      const i = retry.length ? retry.pop() : next < ranges.length ? next++ : -1;
      if (i >= 0) {
        results[i] = local(shareOf(data, ranges[i], false));
        await yieldToEvents();
      } else if (running.size) {
        await Promise.race(running);
      } else {
        return results;
      }
    }
  }

  /**
   * Trainer.evaluate of many images in consecutive chunks of `chunk`, streamed (see stream()); resolves
   * to the merged Evaluation, or null when `cancelled()` said so between chunks.
   */
  async evaluateChunks(trainer, images, labels, version, chunk, cancelled) {
    const ranges = chunkRanges(labels.length, chunk);
    const parts = await this.stream(trainer, version, ranges, SHARD.EVALUATE, { images, labels }, (sh) => plain(trainer.evaluate(sh.images, sh.labels)), cancelled);
    return parts && mergeEvaluations(parts);
  }

  /** Trainer.predict of many images in consecutive chunks of `chunk`, streamed: N×10 probabilities. */
  async predictChunks(trainer, images, version, chunk) {
    const ranges = chunkRanges(images.length / IMAGE_BYTES, chunk);
    return concat(await this.stream(trainer, version, ranges, SHARD.PREDICT, { images }, (sh) => trainer.predict(sh.images)));
  }

  /** Trainer.predict (N×10 probabilities) split across the workers. */
  async predict(trainer, images, version) {
    const n = images.length / IMAGE_BYTES;
    const model = mirrorKey(trainer);
    const ranges = Number.isInteger(n) ? splitRanges(n, this.size, MIN_SHARD) : [[0, n]];
    return this.choose(
      `predict:${model}/${n}`,
      ranges,
      () => trainer.predict(images),
      async () => {
        return concat(await this.fanOut(trainer, model, version, ranges, SHARD.PREDICT, { images }, () => ({}), (sh) => trainer.predict(sh.images)));
      },
    );
  }
}
