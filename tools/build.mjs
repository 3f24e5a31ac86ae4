#!/usr/bin/env node
// Inkling build: the wasm package (www/pkg/inkling*.js/.wasm) with wasm-pack, then the web app with Vite (dist/).
// wasm-pack runs with --mode no-install and --no-opt: it never downloads tools (setup.mjs installs
// wasm-bindgen-cli at the Cargo.lock version; wasm-opt is off in Cargo.toml too).
//
//   node tools/build.mjs            wasm + web
//   node tools/build.mjs --wasm     wasm only
//   node tools/build.mjs --web      web only (needs www/pkg)
//   node tools/build.mjs --keep-names   keep the wasm's function names (readable stack traces)

import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, banner, formatDuration, isMain, logger, main, run } from './lib.mjs';
import { stripNames } from './wasm-strip.mjs';

const log = logger('build');
export const PKG_DIR = join(ROOT, 'www', 'pkg');
export const VITE_CONFIG = join(ROOT, 'www', 'vite.config.js');
export const VITE = join(ROOT, 'node_modules', '.bin', 'vite');

/** wasm-pack arguments for the browser build. */
export const WASM_PACK_BUILD = [
  'build', '--release', '--target', 'web', '--mode', 'no-install', '--no-opt',
  '--out-dir', 'www/pkg', '--out-name', 'inkling',
  // Unknown flags (last) are passed on to cargo.
  '--no-default-features',
];

export async function buildWasm({ keepNames = false } = {}) {
  banner('build: wasm (wasm-pack)');
  const t0 = Date.now();
  await run('wasm-pack', WASM_PACK_BUILD);
  const wasm = join(PKG_DIR, 'inkling_bg.wasm');
  if (!existsSync(wasm)) throw new Error(`${wasm} was not produced`);
  if (!keepNames) writeFileSync(wasm, stripNames(readFileSync(wasm)));
  log.ok(`${wasm} (${(statSync(wasm).size / 1e6).toFixed(2)} MB) in ${formatDuration(Date.now() - t0)}`);
}

export async function buildWeb() {
  banner('build: web (vite)');
  if (!existsSync(join(PKG_DIR, 'inkling.js'))) throw new Error('www/pkg/inkling.js is missing: build the wasm first');
  if (!existsSync(VITE)) throw new Error(`${VITE} is missing: run \`npm ci\` (node tools/setup.mjs)`);
  const t0 = Date.now();
  await run(VITE, ['build', '--config', VITE_CONFIG]);
  log.ok(`web app built in ${formatDuration(Date.now() - t0)}`);
}

export async function build({ wasm = true, web = true, keepNames = false } = {}) {
  if (wasm) await buildWasm({ keepNames });
  if (web) await buildWeb();
}

if (isMain(import.meta.url)) {
  main('build', async () => {
    const { values } = parseArgs({ options: { wasm: { type: 'boolean' }, web: { type: 'boolean' }, 'keep-names': { type: 'boolean' } } });
    const both = !values.wasm && !values.web;
    await build({ wasm: both || values.wasm, web: both || values.web, keepNames: values['keep-names'] });
  });
}
