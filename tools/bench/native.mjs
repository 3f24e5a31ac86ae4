// The bench's native side: `inkling bench` (release build) for each model and batch size.

import { join } from 'node:path';
import { OUT_DIR as DATA_DIR } from '../data.mjs';
import { banner, capture, logger, ROOT, run } from '../lib.mjs';
import { fmt } from './report.mjs';

const log = logger('bench');

export async function nativeBench({ seconds, models, batches, epoch, plain = false, results }) {
  banner('native: inkling bench (release)');
  await run('cargo', ['build', '--release', '--quiet', '--bin', 'inkling']);
  const bin = join(ROOT, 'target', 'release', 'inkling');
  if (epoch) {
    // The browser's first epoch, natively: same seed, same plan, the kernels round differently.
    const r = capture(bin, ['train', '--data', DATA_DIR, '--epochs', '1', '--seed', '1', '--json']);
    const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const [first, end] = [lines.find((l) => l.epoch === 1), lines.find((l) => 'test_accuracy' in l)];
    if (r.ok && first && end) {
      results.push({ bench: 'epoch', target: 'native', model: 'cnn', batch: 64, seconds: first.seconds, testAccuracy: end.test_accuracy });
      log(`inkling train --epochs 1: ${first.seconds.toFixed(1)} s, test accuracy ${(end.test_accuracy * 100).toFixed(2)} %`);
    } else log.warn(`inkling train --epochs 1 failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  }
  // The peers' like-for-like figure first (cnn B=64 without augmentation), then every model and batch.
  const runs = [...(plain ? [{ model: 'cnn', batch: 64, plain: true }] : []), ...models.flatMap((model) => batches.map((batch) => ({ model, batch })))];
  for (const { model, batch, plain: off } of runs) {
    // `cargo run --release -- bench ...` without cargo's per-call overhead: the binary it just built.
    const r = capture(bin, ['bench', '--model', model, '--batch-size', String(batch), '--seconds', String(seconds * 2), '--json', ...(off ? ['--no-augment'] : [])]);
    const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
    if (!r.ok || !line) {
      log.warn(`native ${model} B=${batch} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
      continue;
    }
    const j = JSON.parse(line);
    if (off) {
      results.push({ bench: 'train-plain', target: 'native', model, batch, samplesPerSec: j.train_samples_per_s, threads: j.threads });
      log(`${model.padEnd(9)} B=${String(batch).padEnd(3)} augmentation off: ${fmt(j.train_samples_per_s)} samples/s (${j.threads} threads)`);
      continue;
    }
    results.push({ bench: 'train', target: 'native', model, batch, samplesPerSec: j.train_samples_per_s, threads: j.threads });
    if (batch === batches[batches.length - 1]) results.push({ bench: 'infer', target: 'native', model, batch: 256, samplesPerSec: j.inference_samples_per_s_b256, threads: j.threads });
    log(`${model.padEnd(9)} B=${String(batch).padEnd(3)} ${fmt(j.train_samples_per_s)} samples/s, inference ${fmt(j.inference_samples_per_s_b256)} samples/s (${j.threads} threads)`);
  }
}
