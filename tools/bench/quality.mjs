// `npm run bench -- --quality`: drawn-digit accuracy and the fine-tune benchmark.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from '../chromium.mjs';
import { banner, capture, logger, ROOT, run } from '../lib.mjs';
import { serveStatic } from '../serve.mjs';
import { machineInfo, machineLine, pct } from './report.mjs';
import { buildIfNeeded, RESULTS, SITE } from './site.mjs';

const log = logger('bench');

export const PRETRAINED = 'www/public/models/cnn-mnist.safetensors';

/**
 * How well a model reads drawn digits and learns a style (`inkling quality` on real MNIST, see
 * src/quality.rs for which split each set comes from), and how long the app's fine-tune takes in
 * headless Chromium. Needs MNIST_DIR (the four official files).
 */
export async function qualityBench({ weights, build }) {
  const dir = process.env.MNIST_DIR;
  if (!dir || !existsSync(dir)) throw new Error('--quality needs the real MNIST files: set MNIST_DIR to their directory');
  const machine = machineInfo();
  banner('quality: drawn digits and fine-tuning');
  log(`${machineLine(machine)}; weights ${weights}`);
  await run('cargo', ['build', '--release', '--quiet', '--bin', 'inkling']);
  const bin = join(ROOT, 'target', 'release', 'inkling');
  const q = JSON.parse(capture(bin, ['quality', '--weights', weights, '--data', dir, '--json']).stdout);
  if (build) await buildIfNeeded();
  const site = await serveStatic(SITE, { cacheAssets: true });
  const browser = await launchChromium();
  machine.chromium = browser.version();
  const times = {};
  try {
    const page = await browser.newPage();
    await page.goto(new URL('www/bench/bench.html', site.url).href);
    await page.waitForFunction(() => window.bench);
    const call = (task, params) => page.evaluate(([t, p]) => window.bench.run(t, p), [task, params]);
    await call('init');
    await call('load', { baseUrl: await page.evaluate(() => window.bench.dataBase()) });
    for (const perClass of [10, 20]) times[perClass] = await call('finetune', { perClass });
  } finally {
    await browser.close();
    await site.close();
  }
  const rows = [
    '| measure | result |',
    '|---|---|',
    `| MNIST test | ${pct(q.mnist_test)} |`,
    `| canvas-style drawings (${q.count.toLocaleString('en-US')} MNIST test digits, scaled 5–10×, off-centre, slanted, normal or heavy hard strokes) | ${pct(q.canvas)} |`,
    `| brush-stroke drawings (the same digits traced along their centre line with the app's round brush) | ${pct(q.strokes)} |`,
  ];
  for (const { result: r } of q.style) {
    const t = times[r.per_class];
    rows.push(
      `| fine-tune on ${r.per_class} per class of a strongly slanted heavy style: held-out error of the style | ${pct(r.error_before)} → ${pct(r.error_after)} (MNIST test ${pct(r.mnist_before)} → ${pct(r.mnist_after)}; ${r.steps} steps, ${t ? `${(t.ms / 1000).toFixed(1)} s in Chromium` : 'not timed'}) |`,
    );
  }
  banner('quality results');
  console.log(`machine: ${machineLine(machine)}; weights: ${weights}; \`npm run bench -- --quality\``);
  console.log(rows.join('\n'));
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'quality.json'), `${JSON.stringify({ machine, weights, quality: q, browserFineTune: times }, null, 2)}\n`);
  return 0;
}
