#!/usr/bin/env node
// `npm test`: every check of the project, in order, stopping at the first failure.
//   setup     install what is missing, Chromium + chromedriver and Firefox included (setup.mjs --browser)
//   cargo     cargo test (native unit + integration tests)
//   wasm      wasm-pack test --headless --chrome / --firefox --no-default-features --test web
//   data      www/public/data/mnist from MNIST_DIR when set, else kept / embedded default (data.mjs)
//   build     wasm-pack build + vite build (build.mjs)
//   js        node --test over tests/js/**/*.test.{js,mjs}
//   e2e       tests/e2e/app.e2e.mjs in Chromium, Firefox and WebKit; builder, phone, offline and features (on dist/)
// Each stage's own output stays visible; the last line is "N passed, N failed" (stages).
//
//   npm test -- --only js,e2e      run some stages      npm test -- --skip cargo,wasm
//   npm test -- --keep-going       run every stage even after a failure

import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from './build.mjs';
import { ensureData } from './data.mjs';
import { ROOT, banner, formatDuration, logger, main, run } from './lib.mjs';
import { findChromedriver, findGeckodriver, setup } from './setup.mjs';

const log = logger('test');

/** Test files under a directory (recursive), sorted: *.test.js / *.test.mjs. */
export function findTestFiles(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out = out.concat(findTestFiles(p));
    else if (/\.test\.m?js$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

export const STAGES = [
  { id: 'setup', title: 'setup (with browser)', run: () => setup({ browser: true }) },
  {
    id: 'lint',
    title: 'cargo fmt --check, cargo clippy (native and wasm32), eslint',
    run: async () => {
      await run(join(ROOT, 'node_modules', '.bin', 'eslint'), ['--max-warnings', '0', '.'], { cwd: ROOT });
      await run('cargo', ['fmt', '--check']);
      await run('cargo', ['clippy', '--all-targets', '--', '-D', 'warnings']);
      await run('cargo', ['clippy', '--lib', '--target', 'wasm32-unknown-unknown', '--no-default-features', '--', '-D', 'warnings']);
    },
  },
  { id: 'cargo', title: 'cargo test', run: () => run('cargo', ['test']) },
  {
    id: 'wasm',
    title: 'wasm-pack test (headless Chromium and Firefox)',
    run: async () => {
      const chromedriver = findChromedriver();
      if (!chromedriver) throw new Error('chromedriver not found (node tools/setup.mjs --browser)');
      const geckodriver = findGeckodriver();
      if (!geckodriver) throw new Error('geckodriver not found (node tools/setup.mjs --browser)');
      // webdriver.json (crate root) holds each browser's flags; the timeout is per test, in seconds.
      const env = { CHROMEDRIVER: chromedriver, GECKODRIVER: geckodriver, WASM_BINDGEN_TEST_TIMEOUT: process.env.WASM_BINDGEN_TEST_TIMEOUT || '600' };
      // Only tests/web.rs: the other integration tests are native. The dev profile (dependencies at
      // opt-level 3, see Cargo.toml) compiles much faster than the LTO release profile.
      const args = ['--mode', 'no-install', '--no-default-features', '--test', 'web'];
      await run('wasm-pack', ['test', '--headless', '--chrome', '--chromedriver', chromedriver, ...args], { env });
      await run('wasm-pack', ['test', '--headless', '--firefox', '--geckodriver', geckodriver, ...args], { env });
    },
  },
  { id: 'data', title: 'data', run: () => ensureData() },
  { id: 'build', title: 'build (wasm + vite)', run: () => build() },
  {
    id: 'js',
    title: 'node --test tests/js',
    run: () => {
      const files = findTestFiles(join(ROOT, 'tests', 'js')).map((f) => relative(ROOT, f));
      if (!files.length) throw new Error('no tests found under tests/js/');
      return run(process.execPath, ['--test', '--test-reporter=spec', ...files]);
    },
  },
  {
    id: 'e2e',
    title: 'e2e (tests/e2e/app.e2e.mjs in Chromium, Firefox and WebKit; builder, phone, offline, features)',
    run: async () => {
      await run(process.execPath, ['tests/e2e/app.e2e.mjs', '--browser', 'chromium']);
      await run(process.execPath, ['tests/e2e/app.e2e.mjs', '--browser', 'firefox']);
      await run(process.execPath, ['tests/e2e/app.e2e.mjs', '--browser', 'webkit']);
      await run(process.execPath, ['tests/e2e/builder.e2e.mjs']);
      await run(process.execPath, ['tests/e2e/phone.e2e.mjs']);
      await run(process.execPath, ['tests/e2e/offline.e2e.mjs']);
      await run(process.execPath, ['tests/e2e/features.e2e.mjs']);
    },
  },
];

main('test', async () => {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, skip: { type: 'string' }, 'keep-going': { type: 'boolean' } },
  });
  const ids = STAGES.map((s) => s.id);
  const list = (v) => (v ? v.split(',').map((x) => x.trim()).filter(Boolean) : []);
  for (const id of [...list(values.only), ...list(values.skip)]) {
    if (!ids.includes(id)) throw new Error(`unknown stage "${id}" (stages: ${ids.join(', ')})`);
  }
  const only = list(values.only);
  const skip = list(values.skip);
  const selected = STAGES.filter((s) => (!only.length || only.includes(s.id)) && !skip.includes(s.id));

  const results = [];
  const t0 = Date.now();
  for (const stage of selected) {
    if (results.some((r) => r.status === 'FAIL') && !values['keep-going']) {
      results.push({ stage, status: 'skipped', ms: 0 });
      continue;
    }
    banner(`stage ${stage.id}: ${stage.title}`);
    const start = Date.now();
    try {
      await stage.run();
      results.push({ stage, status: 'ok', ms: Date.now() - start });
    } catch (err) {
      log.error(`stage ${stage.id} failed: ${err.message}`);
      results.push({ stage, status: 'FAIL', ms: Date.now() - start, error: err.message });
    }
  }

  banner(`summary (${formatDuration(Date.now() - t0)})`);
  for (const r of results) {
    const time = r.status === 'skipped' ? '' : formatDuration(r.ms);
    console.log(`  ${r.status.padEnd(7)} ${r.stage.id.padEnd(6)} ${time.padStart(8)}  ${r.stage.title}${r.error ? ` -- ${r.error}` : ''}`);
  }
  const passed = results.filter((r) => r.status === 'ok').length;
  const failed = results.filter((r) => r.status === 'FAIL').length;
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
});
