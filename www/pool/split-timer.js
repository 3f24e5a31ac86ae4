// Whether a call of the pool is split across the workers: decided per kind of call, model and batch
// size by timing both ways, as which one wins depends on the model, the batch size and the machine.
// No DOM access here: this runs inside the worker.

/**
 * A call (training step, evaluation or prediction) is tried split across workers only if it takes at
 * least this long unsplit: a split step costs a few ms of copying and messages (weights out, gradients
 * back), more than a short step such as the mlp's saves by sharing its work. Above it, split and
 * unsplit calls are both timed and the faster is kept, as which one wins depends on the model, the
 * batch size and the machine.
 */
export const MIN_SPLIT_STEP_MS = 12;

/**
 * Calls timed each way (after one untimed warm-up call) before the pool decides; the fastest of them
 * counts, as noise only ever adds time. Several calls, so that one call slowed by other work on the
 * machine does not settle the whole run on the slower way.
 */
export const TIMED_CALLS = 3;

/** The timings of split and unsplit calls per key, and the decision they lead to. */
export class SplitTimer {
  /** `minSplitStepMs` 0: always split (tests). */
  constructor(minSplitStepMs = MIN_SPLIT_STEP_MS) {
    this.minSplitStepMs = minSplitStepMs;
    /** ms of an unsplit call per "kind:model/images", the fastest of TIMED_CALLS (-1: still timing),
     * to decide on splitting. */
    this.unsplitMs = new Map();
    /** The same for split calls (-1: on trial). */
    this.splitMs = new Map();
    /** The times so far per map and key, while on trial. */
    this.trials = new Map([[this.unsplitMs, new Map()], [this.splitMs, new Map()]]);
  }

  /** Records a call's `ms` under `key` in `map` (unsplitMs or splitMs): the first call is a warm-up;
   * after TIMED_CALLS more, the map holds the fastest. */
  record(map, key, ms) {
    const trials = this.trials.get(map);
    if (!trials.has(key)) {
      trials.set(key, []);
      map.set(key, -1);
      return;
    }
    const times = trials.get(key);
    times.push(ms);
    map.set(key, times.length < TIMED_CALLS ? -1 : Math.min(...times));
  }

  /**
   * Whether calls under `key` are split: not before an unsplit call was timed, never when it took
   * under MIN_SPLIT_STEP_MS, and otherwise when a timed split call was faster (`undefined` while the
   * split calls are still on trial).
   */
  worthSplitting(key) {
    if (this.minSplitStepMs <= 0) return true;
    const ms = this.unsplitMs.get(key);
    if (ms === undefined || ms < this.minSplitStepMs) return false;
    const splitMs = this.splitMs.get(key);
    return splitMs === undefined || splitMs < 0 ? undefined : splitMs < ms;
  }

  /**
   * `split()` or `unsplit()` for a call under `key` (see worthSplitting): unsplit calls of each key are
   * timed first (a warm-up, then TIMED_CALLS), then, when they are slow enough, as many trial split
   * calls (the warm-up readies the helpers); after that the faster way is used.
   */
  async choose(key, ranges, unsplit, split) {
    const worth = ranges.length > 1 ? this.worthSplitting(key) : false;
    if (worth === true) return split();
    if (worth === undefined) {
      const t0 = performance.now();
      const result = await split();
      this.record(this.splitMs, key, performance.now() - t0);
      return result;
    }
    const t0 = performance.now();
    const result = unsplit();
    const ms = performance.now() - t0;
    const seen = this.unsplitMs.get(key);
    if (seen === undefined || seen < 0) this.record(this.unsplitMs, key, ms);
    return result;
  }
}
