// The bench's build: what is out of date is rebuilt (the wasm package, the app, the bench page in
// bench-results/site), and the .wasm the figures are for.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildWasm, buildWeb, PKG_DIR, VITE } from '../build.mjs';
import { banner, logger, ROOT, run } from '../lib.mjs';

const log = logger('bench');

export const RESULTS = join(ROOT, 'bench-results');
export const SITE = join(RESULTS, 'site');
export const BENCH_CONFIG = join(ROOT, 'tools', 'vite.bench.config.js');
export const DIST = join(ROOT, 'dist');

/** Newest mtime (ms) among files under the given paths (recursive; missing paths ignored). */
export function newest(paths, skip = () => false) {
  let t = 0;
  const visit = (p) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) if (!skip(e)) visit(join(p, e));
    } else t = Math.max(t, st.mtimeMs);
  };
  for (const p of paths) visit(p);
  return t;
}

export const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

/** Rebuild what is out of date: the wasm package, the app (dist/), the bench page (bench-results/site). */
export async function buildIfNeeded() {
  const wasmOut = join(PKG_DIR, 'inkling_bg.wasm');
  const wasmInputs = newest(['src', 'Cargo.toml', 'Cargo.lock'].map((p) => join(ROOT, p)));
  if (mtime(wasmOut) < wasmInputs) await buildWasm();
  else log.ok('www/pkg is up to date');

  const webInputs = newest([PKG_DIR, join(ROOT, 'index.html'), join(ROOT, 'www')], (name) => name === 'bench' || name === 'pkg');
  if (mtime(join(DIST, 'index.html')) < webInputs) await buildWeb();
  else log.ok('dist/ is up to date');

  const benchInputs = Math.max(webInputs, newest([join(ROOT, 'www', 'bench'), BENCH_CONFIG]));
  if (mtime(join(SITE, 'www', 'bench', 'bench.html')) < benchInputs) await buildBenchPage();
  else log.ok('bench page is up to date');
}

export async function buildBenchPage() {
  banner('build: bench page (vite)');
  await run(VITE, ['build', '--config', BENCH_CONFIG, '--logLevel', 'warn']);
}

/** The .wasm in `dir`/assets (inkling_bg-*.wasm), or null. */
export function wasmIn(dir) {
  const assets = join(dir, 'assets');
  const hit = existsSync(assets) && readdirSync(assets).find((f) => /^inkling_bg.*\.wasm$/.test(f));
  return hit ? join(assets, hit) : null;
}

/**
 * The .wasm the figures are for: the bench page's (built from the same www/pkg as dist/, the shipped
 * app). With --no-build the page may be older than dist/: then the figures are still for the page's,
 * and a warning says so.
 */
export function measuredWasm() {
  const site = wasmIn(SITE);
  const shipped = wasmIn(DIST) ?? join(PKG_DIR, 'inkling_bg.wasm');
  if (!site) return shipped;
  if (existsSync(shipped) && !readFileSync(site).equals(readFileSync(shipped))) {
    log.warn(`the bench page's wasm differs from ${relative(ROOT, shipped)} (built since; run without --no-build): these figures are for the page's`);
  }
  return site;
}
