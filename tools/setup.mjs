#!/usr/bin/env node
// Inkling setup: install whatever is missing to build (and with --browser, test) the app.
// Idempotent; prints one line per check. Targets Debian 12 with rustup's Rust and Node 20.
// Downloads only through package registries: rustup, crates.io (cargo install), apt, npm.
//
//   node tools/setup.mjs             toolchain + npm packages (what `npm start` needs)
//   node tools/setup.mjs --browser   also Chromium + chromedriver, Firefox ESR + geckodriver, WebKitGTK's
//                                    WebKitWebDriver + MiniBrowser + Xvfb (what `npm test` needs)
//   node tools/setup.mjs --check     report only; exit 1 if anything is missing

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHROMIUM } from './chromium.mjs';
import { FIREFOX } from './firefox.mjs';
import { MINIBROWSER, WEBKIT_DRIVER, XVFB } from './webkit.mjs';
import { ROOT, banner, capture, isMain, isRoot, lockedVersion, logger, main, run, versionOf, which } from './lib.mjs';

const log = logger('setup');
const WASM_TARGET = 'wasm32-unknown-unknown';
const WASM_PACK_VERSION = '0.15.1';
const GECKODRIVER_VERSION = '0.37.1';

/** chromedriver path: PATH first, then Debian's location; null if absent. */
export function findChromedriver() {
  return which('chromedriver') || (existsSync('/usr/bin/chromedriver') ? '/usr/bin/chromedriver' : null);
}

/** WebKitGTK's version from its Debian package (MiniBrowser prints it only on a display); null if unknown. */
function webkitVersion() {
  const r = capture('dpkg-query', ['-W', '-f', '${Version}', 'libwebkit2gtk-4.1-0']);
  return r.ok ? r.stdout.replace(/-.*/, '') : null;
}

/** geckodriver path (crates.io's, for `wasm-pack test --firefox`): PATH first, then cargo's bin; null if absent. */
export function findGeckodriver() {
  const cargoBin = join(process.env.CARGO_HOME || join(process.env.HOME || '', '.cargo'), 'bin', 'geckodriver');
  return which('geckodriver') || (existsSync(cargoBin) ? cargoBin : null);
}

/** Does node_modules need `npm ci`? (missing, or older than package-lock.json) */
export function npmInstallNeeded(root = ROOT) {
  const lock = join(root, 'package-lock.json');
  const marker = join(root, 'node_modules', '.package-lock.json'); // written by npm on every install
  if (!existsSync(join(root, 'node_modules')) || !existsSync(marker)) return 'node_modules is missing';
  if (existsSync(lock) && statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
    return 'node_modules is older than package-lock.json';
  }
  return null;
}

async function cargoInstall(crate, version, { locked }) {
  const args = ['install', crate];
  if (version) args.push('--version', version);
  if (locked) {
    // --locked reproduces the crate's own Cargo.lock; fall back to fresh resolution if it fails.
    try {
      return await run('cargo', [...args, '--locked']);
    } catch (err) {
      log.warn(`${err.message}; retrying without --locked`);
    }
  }
  await run('cargo', args);
}

/**
 * Check and install. Options: browser (Chromium + chromedriver, Firefox), check (report only).
 * Resolves to true when everything is present; throws (or, with check, resolves false) otherwise.
 */
export async function setup({ browser = false, check = false } = {}) {
  banner(`setup${browser ? ' (with browser)' : ''}${check ? ' --check' : ''}`);
  const missing = [];
  const need = (what, why) => {
    missing.push(what);
    log(`${check ? 'missing' : 'installing'}: ${what} (${why})`);
  };

  // 1. Rust itself comes from rustup; we only add the target.
  const cargoV = versionOf('cargo');
  if (!cargoV || !which('rustup')) {
    throw new Error('Rust is not installed: install it with rustup (https://rustup.rs), then rerun');
  }
  log.ok(`cargo ${cargoV}`);
  const targets = capture('rustup', ['target', 'list', '--installed']).stdout.split(/\s+/);
  if (targets.includes(WASM_TARGET)) log.ok(`rust target ${WASM_TARGET}`);
  else {
    need(`rust target ${WASM_TARGET}`, 'not installed');
    if (!check) await run('rustup', ['target', 'add', WASM_TARGET]);
  }
  // rustfmt and clippy for the lint stage of `npm test` (rustup components, from rustup's server).
  const components = capture('rustup', ['component', 'list', '--installed']).stdout;
  const lacking = ['rustfmt', 'clippy'].filter((c) => !new RegExp(`^${c}(-|$)`, 'm').test(components));
  if (!lacking.length) log.ok('rust components rustfmt, clippy');
  else {
    need(`rust components ${lacking.join(', ')}`, 'not installed');
    if (!check) await run('rustup', ['component', 'add', ...lacking]);
  }

  // 2. System packages (apt): a C compiler for cargo builds; Chromium, Firefox and WebKitGTK (with
  //    the X server its MiniBrowser draws on) for the tests.
  const apt = [];
  if (which('cc')) log.ok(`C compiler ${which('cc')}`);
  else {
    need('build-essential', 'no `cc` for linking and for building C parts of crates');
    apt.push('build-essential');
  }
  if (browser) {
    const driver = findChromedriver();
    if (existsSync(CHROMIUM) && driver) {
      log.ok(`chromium ${versionOf(CHROMIUM) ?? '(version unknown)'}, chromedriver ${versionOf(driver) ?? ''} at ${driver}`);
    } else {
      need('chromium chromium-driver', `${existsSync(CHROMIUM) ? '' : `${CHROMIUM} missing; `}${driver ? '' : 'chromedriver missing'}`);
      apt.push('chromium', 'chromium-driver');
    }
    if (existsSync(FIREFOX)) log.ok(`firefox ${versionOf(FIREFOX) ?? '(version unknown)'}`);
    else {
      need('firefox-esr', `${FIREFOX} missing`);
      apt.push('firefox-esr');
    }
    const webkit = [WEBKIT_DRIVER, MINIBROWSER, XVFB].filter((f) => !existsSync(f));
    if (!webkit.length) log.ok(`WebKitWebDriver, MiniBrowser (WebKitGTK ${webkitVersion() ?? 'version unknown'}), Xvfb`);
    else {
      need('webkit2gtk-driver xvfb', `${webkit.join(', ')} missing`);
      apt.push('webkit2gtk-driver', 'xvfb');
    }
  }
  if (apt.length && !check) {
    if (!isRoot() || !which('apt-get')) {
      throw new Error(`please install these Debian packages (as root): apt-get install -y ${apt.join(' ')}`);
    }
    await run('apt-get', ['update']);
    await run('apt-get', ['install', '-y', ...apt], {
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    });
  }

  // 3. wasm-bindgen-cli at exactly the version in Cargo.lock (the generated JS glue must match).
  const bindgenWant = lockedVersion('wasm-bindgen');
  const bindgenHave = versionOf('wasm-bindgen');
  const runnerHave = versionOf('wasm-bindgen-test-runner');
  if (bindgenHave === bindgenWant && runnerHave === bindgenWant) log.ok(`wasm-bindgen-cli ${bindgenHave} (= Cargo.lock)`);
  else {
    need(`wasm-bindgen-cli ${bindgenWant}`, bindgenHave ? `found ${bindgenHave}` : 'not installed');
    // No --locked: the crate's published lockfile does not build on current Rust.
    if (!check) await cargoInstall('wasm-bindgen-cli', bindgenWant, { locked: false });
  }

  // 4. wasm-pack: any installed version will do (build/test tell it never to download tools);
  //    when missing, the version these scripts were checked with.
  const packHave = versionOf('wasm-pack');
  if (packHave) log.ok(`wasm-pack ${packHave}`);
  else {
    need(`wasm-pack ${WASM_PACK_VERSION}`, 'not installed');
    if (!check) await cargoInstall('wasm-pack', WASM_PACK_VERSION, { locked: true });
  }

  // 5. geckodriver from crates.io, for the wasm tests in Firefox.
  if (browser) {
    const gecko = findGeckodriver();
    if (gecko) log.ok(`geckodriver ${versionOf(gecko)?.split('\n')[0] ?? ''} at ${gecko}`);
    else {
      need(`geckodriver ${GECKODRIVER_VERSION}`, 'not installed');
      if (!check) await cargoInstall('geckodriver', GECKODRIVER_VERSION, { locked: true });
    }
  }

  // 6. npm packages from package-lock.json.
  const npmWhy = npmInstallNeeded();
  if (!npmWhy) log.ok('node_modules up to date with package-lock.json');
  else {
    need('npm packages', npmWhy);
    if (!check) await run('npm', ['ci', '--no-audit', '--no-fund']);
  }

  if (check) {
    if (missing.length) log(`missing: ${missing.join(', ')} (run without --check to install)`);
    else log('everything is installed');
    return missing.length === 0;
  }
  log(missing.length ? `installed: ${missing.join(', ')}` : 'nothing to install, everything is present');
  return true;
}

if (isMain(import.meta.url)) {
  main('setup', async () => {
    const { values } = parseArgs({
      options: { browser: { type: 'boolean' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      console.log('usage: node tools/setup.mjs [--browser] [--check]');
      return 0;
    }
    return (await setup(values)) ? 0 : 1;
  });
}
