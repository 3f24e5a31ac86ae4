// The one long job the engine runs at a time (loading, training, fine-tuning, evaluating, replacing
// the model) and its pause, resume and stop. A running evaluation gives way to any other job; the
// others refuse a second one with a message, so a click never corrupts a running job.

import { setTrainer, modelSummary } from './state.js';

/** The running job: { kind, paused, stop, wake, done, finish }, or null. */
let job = null;

export const currentJob = () => job;

/** Waits for a running evaluation to stop, then claims the worker for `kind`; throws if busy. */
export async function acquire(kind) {
  while (job && job.kind === 'evaluate') {
    job.stop = true;
    await job.done;
  }
  if (job) throw new Error(`The worker is busy (${job.kind} in progress).`);
  let finish;
  const j = { kind, paused: false, stop: false, wake: null, done: new Promise((r) => (finish = r)) };
  j.finish = () => {
    if (job === j) job = null;
    finish();
  };
  job = j;
  return j;
}

/** Throws at once if a job other than an evaluation is running. */
export function refuseIfBusy() {
  if (job && job.kind !== 'evaluate') throw new Error(`The worker is busy (${job.kind} in progress).`);
}

/** Makes `t` the worker's trainer once no job holds the current one (new model, imported weights). */
export async function installTrainer(kind, t) {
  let j;
  try {
    j = await acquire(kind);
  } catch (err) {
    t.free();
    throw err;
  }
  try {
    setTrainer(t);
  } finally {
    j.finish();
  }
  return modelSummary();
}

function wake(j) {
  if (j && j.wake) {
    const w = j.wake;
    j.wake = null;
    w();
  }
}

/** Resolves when the paused job `j` is resumed or stopped. */
export function waitForResume(j) {
  return new Promise((resolve) => {
    j.wake = resolve;
  });
}

export function pause() {
  if (job && (job.kind === 'train' || job.kind === 'finetune')) job.paused = true;
  return { paused: !!job && job.paused };
}

export function resume() {
  if (job) {
    job.paused = false;
    wake(job);
  }
  return { paused: false };
}

export function stop() {
  if (job) {
    job.stop = true;
    job.paused = false;
    wake(job);
  }
  return { stopping: !!job };
}

/** An evaluation stopped to make way for another job. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}
