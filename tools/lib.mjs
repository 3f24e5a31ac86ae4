// Shared helpers for Inkling's node tools (setup, data, build, start, test).
// Node built-ins only: these run before `npm ci` has installed anything.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file is tools/lib.mjs). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// `cargo install` puts binaries in $CARGO_HOME/bin; make them visible even when
// the shell never sourced ~/.cargo/env (fresh CI machines).
const cargoBin = join(process.env.CARGO_HOME || join(homedir(), '.cargo'), 'bin');
if (existsSync(cargoBin) && !(process.env.PATH || '').split(delimiter).includes(cargoBin)) {
  process.env.PATH = `${cargoBin}${delimiter}${process.env.PATH || ''}`;
}

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, s) => (useColor ? `\x1b[${code}m${s}\x1b[0m` : s);

/** Log a line prefixed with the tool's name, e.g. `[setup] wasm-pack 0.15.1 found`. */
export function logger(tool) {
  const prefix = paint('36', `[${tool}]`);
  const log = (...args) => console.log(prefix, ...args);
  log.ok = (...args) => console.log(prefix, paint('32', 'ok'), ...args);
  log.warn = (...args) => console.log(prefix, paint('33', 'warning:'), ...args);
  log.error = (...args) => console.error(prefix, paint('31', 'error:'), ...args);
  return log;
}

/** Bold section banner. */
export function banner(title) {
  console.log(`\n${paint('1', `==> ${title}`)}`);
}

/** Shell-like rendering of a command for logs. */
export function showCommand(cmd, args = []) {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/**
 * Run a command with inherited stdio (its output stays visible).
 * Resolves with the exit code (never rejects on a non-zero code; `run` does).
 */
export function runStatus(cmd, args = [], { cwd = ROOT, env = {}, quiet = false } = {}) {
  if (!quiet) console.log(paint('2', `$ ${showCommand(cmd, args)}`));
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: 'inherit' });
    // Pass SIGINT/SIGTERM on to the child (e.g. the server started by `npm start`), then exit with it.
    const forward = (sig) => child.kill(sig);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    const done = (code) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolvePromise(code);
    };
    child.on('error', (err) => {
      console.error(`cannot start ${cmd}: ${err.message}`);
      done(127);
    });
    child.on('exit', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

/** Run a command; throw an Error naming it when it exits non-zero. */
export async function run(cmd, args = [], opts = {}) {
  const code = await runStatus(cmd, args, opts);
  if (code !== 0) throw new Error(`\`${showCommand(cmd, args)}\` exited with code ${code}`);
}

/** Run a command silently and capture its output: { ok, code, stdout, stderr }. */
export function capture(cmd, args = [], { cwd = ROOT } = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) return { ok: false, code: null, stdout: '', stderr: r.error.message };
  return { ok: r.status === 0, code: r.status, stdout: r.stdout || '', stderr: r.stderr || '' };
}

/** Absolute path of an executable on PATH, or null. */
export function which(name) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** First x.y.z version printed by `bin --version` (or other args), or null if it cannot run. */
export function versionOf(bin, args = ['--version']) {
  const r = capture(bin, args);
  if (!r.ok) return null;
  return parseVersion(r.stdout + r.stderr);
}

/** Extract the first x.y.z(-pre) version from a text, or null. */
export function parseVersion(text) {
  const m = /(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/.exec(text || '');
  return m ? m[1] : null;
}

/**
 * Versions of a package in a Cargo.lock text (there may be several).
 * Pure: parses the `[[package]]` tables' name/version lines.
 */
export function cargoLockVersions(lockText, name) {
  const versions = [];
  for (const block of lockText.split(/^\[\[package\]\]\s*$/m).slice(1)) {
    const n = /^name\s*=\s*"([^"]+)"/m.exec(block);
    const v = /^version\s*=\s*"([^"]+)"/m.exec(block);
    if (n && v && n[1] === name) versions.push(v[1]);
  }
  return versions;
}

/** The single version of `name` locked in ROOT/Cargo.lock; throws if absent or ambiguous. */
export function lockedVersion(name, lockPath = join(ROOT, 'Cargo.lock')) {
  if (!existsSync(lockPath)) throw new Error(`${lockPath} not found (run \`cargo generate-lockfile\`)`);
  const versions = cargoLockVersions(readFileSync(lockPath, 'utf8'), name);
  if (versions.length !== 1) {
    throw new Error(`expected one \`${name}\` in Cargo.lock, found ${versions.length ? versions.join(', ') : 'none'}`);
  }
  return versions[0];
}

/** True when running as root (apt-get allowed). */
export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Format seconds as "1m 05s" / "12.3s". */
export function formatDuration(ms) {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m ${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** True when this module is the entry point (`node tools/x.mjs`). */
export function isMain(importMetaUrl) {
  return process.argv[1] && resolve(process.argv[1]) === fileURLToPath(importMetaUrl);
}

/** Run an async main(), print its error plainly and exit 1 on failure. */
export function main(tool, fn) {
  const log = logger(tool);
  fn().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (err) => {
      log.error(err && err.message ? err.message : String(err));
      if (process.env.INKLING_DEBUG && err && err.stack) console.error(err.stack);
      process.exitCode = 1;
    },
  );
}
