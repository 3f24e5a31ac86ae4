// The bench's native TensorFlow CPU peer (`npm run bench -- --peers`): the same cnn as Inkling's,
// trained by Keras on TensorFlow's CPU build (tools/bench/peer_tf.py), so the native and wasm
// figures sit beside what the common Python stack does on this machine.
//
// TensorFlow is never installed implicitly. It comes from a Python that can `import tensorflow`:
// $TF_PYTHON, else <repo>/.venv-peers/bin/python, else python3. The explicit install:
//
//   node tools/bench/tf-cpu.mjs --setup     create <repo>/.venv-peers, pip install tensorflow-cpu numpy
//   node tools/bench/tf-cpu.mjs             one bench (B=64, 5 s, TF's default threads), JSON on stdout
//   node tools/bench/tf-cpu.mjs --batch 64 --seconds 5 --threads 1 --mnist DIR --epoch

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT } from '../lib.mjs';

const SCRIPT = fileURLToPath(new URL('peer_tf.py', import.meta.url));
const VENV = join(ROOT, '.venv-peers');
const VENV_PYTHON = join(VENV, 'bin', 'python');
// TensorFlow's C++ logging off (INFO and WARNING), so a child's stdout is the JSON line alone.
const QUIET_ENV = { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' };

/** The install the bench suggests when no Python can import TensorFlow (run from the repo root). */
export const TF_SETUP = 'node tools/bench/tf-cpu.mjs --setup (a venv in .venv-peers with tensorflow-cpu from PyPI)';

/** Whether `python` runs and can `import tensorflow` (quietly; importing takes seconds). */
function canImportTf(python) {
  const r = spawnSync(python, ['-c', 'import tensorflow'], { stdio: 'ignore', timeout: 120_000, env: QUIET_ENV });
  return r.status === 0;
}

/**
 * The path of a Python that can `import tensorflow`: $TF_PYTHON, then <repo>/.venv-peers/bin/python,
 * then `python3` from PATH; null when none can.
 */
export function findTfPython() {
  const candidates = [process.env.TF_PYTHON, existsSync(VENV_PYTHON) ? VENV_PYTHON : null, 'python3'];
  for (const python of candidates) if (python && canImportTf(python)) return python;
  return null;
}

/**
 * Train Inkling's cnn with Keras on TensorFlow CPU (tools/bench/peer_tf.py) and resolve to its JSON
 * record: samplesPerSec of `seconds` of training at `batch` after an untimed warm-up, the parameter
 * count, TF version, threads, dataset; with `epoch`, also epochSamplesPerSec of one `model.fit`
 * epoch. `threads` 0 is TF's default (all cores). `mnistDir`: the four official IDX .gz files
 * (otherwise pseudo-random pixels, said so in `dataset`). Rejects when no Python can import
 * TensorFlow or the run fails (the message carries the tail of its stderr).
 */
export async function tfCpuBench({ batch = 64, seconds = 5, threads = 0, mnistDir, epoch = false, python = findTfPython() } = {}) {
  if (!python) throw new Error(`no Python can import tensorflow (set TF_PYTHON, or from the repo root: ${TF_SETUP})`);
  const args = [SCRIPT, '--batch', String(batch), '--seconds', String(seconds), '--threads', String(threads)];
  if (mnistDir) args.push('--mnist', mnistDir);
  if (epoch) args.push('--epoch');
  // Import, warm-up and the timed window, plus one epoch on a slow machine when asked.
  const timeoutMs = (120 + 3 * seconds + (epoch ? 1800 : 0)) * 1000;
  const { code, signal, stdout, stderr } = await new Promise((resolve, reject) => {
    const child = spawn(python, args, { env: QUIET_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${python}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (code !== 0 || !line) {
    const tail = stderr.trim().split('\n').slice(-15).join('\n');
    const why = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs / 1000} s)` : ''}` : `exit code ${code}`;
    throw new Error(`TensorFlow peer failed (${python} ${args.slice(1).join(' ')}: ${why})${tail ? `\n${tail}` : ''}`);
  }
  return JSON.parse(line);
}

/** The explicit install: <repo>/.venv-peers with tensorflow-cpu and numpy from PyPI. */
function setup() {
  const step = (cmd, args) => {
    console.error(`[tf-cpu] ${[cmd, ...args].join(' ')}`);
    const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed${r.error ? `: ${r.error.message}` : ` (exit code ${r.status})`}`);
  };
  if (!existsSync(VENV_PYTHON)) step('python3', ['-m', 'venv', VENV]);
  step(VENV_PYTHON, ['-m', 'pip', 'install', '--upgrade', 'pip']);
  step(VENV_PYTHON, ['-m', 'pip', 'install', 'tensorflow-cpu', 'numpy']);
  if (!canImportTf(VENV_PYTHON)) throw new Error(`${VENV_PYTHON} still cannot import tensorflow`);
  const v = spawnSync(VENV_PYTHON, ['-c', 'import tensorflow as tf; print(tf.__version__)'], { env: QUIET_ENV, encoding: 'utf8' });
  console.error(`[tf-cpu] ok: tensorflow ${v.stdout.trim()} in ${VENV}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      setup: { type: 'boolean', default: false },
      batch: { type: 'string', default: '64' },
      seconds: { type: 'string', default: '5' },
      threads: { type: 'string', default: '0' },
      mnist: { type: 'string' },
      epoch: { type: 'boolean', default: false },
    },
  });
  try {
    if (values.setup) setup();
    else {
      const r = await tfCpuBench({ batch: Number(values.batch), seconds: Number(values.seconds), threads: Number(values.threads), mnistDir: values.mnist, epoch: values.epoch });
      console.log(JSON.stringify(r));
    }
  } catch (e) {
    console.error(`[tf-cpu] error: ${e.message}`);
    process.exitCode = 1;
  }
}
