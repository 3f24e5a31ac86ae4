// Unit tests for tools/data.mjs on small synthetic IDX sets in temporary directories.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FILES, isOfficial, md5, readSet, writeSet } from '../../tools/data.mjs';
import { encodeImages, encodeLabels, gzip, parseIdx } from '../../tools/idx.mjs';

/** A tiny valid set: `train` and `test` digits, files gzipped or raw. */
function makeSet(dir, { train = 5, test = 3, gz = true } = {}) {
  const files = {
    [FILES.trainImages]: encodeImages(new Uint8Array(train * 784).fill(7), train),
    [FILES.trainLabels]: encodeLabels(Uint8Array.from({ length: train }, (_, i) => i % 10)),
    [FILES.testImages]: encodeImages(new Uint8Array(test * 784).fill(9), test),
    [FILES.testLabels]: encodeLabels(Uint8Array.from({ length: test }, (_, i) => (i * 3) % 10)),
  };
  for (const [name, bytes] of Object.entries(files)) {
    if (gz) writeFileSync(join(dir, name), gzip(bytes));
    else writeFileSync(join(dir, name.replace(/\.gz$/, '')), bytes);
  }
  return files;
}
const tmp = () => mkdtempSync(join(tmpdir(), 'inkling-data-'));

test('readSet accepts gzipped files and keeps their bytes', () => {
  const dir = tmp();
  makeSet(dir);
  const set = readSet(dir);
  assert.deepEqual([set.train, set.test, set.official], [5, 3, false]);
  assert.deepEqual(Buffer.from(set.gz[FILES.trainImages]), readFileSync(join(dir, FILES.trainImages)));
});

test('readSet accepts raw files and gzips them', () => {
  const dir = tmp();
  const raw = makeSet(dir, { gz: false });
  const set = readSet(dir);
  assert.equal(set.test, 3);
  for (const name of Object.values(FILES)) {
    assert.equal(set.gz[name][0], 0x1f);
    const parsed = parseIdx(set.gz[name]);
    assert.equal(parsed.count, parseIdx(raw[name]).count);
  }
});

test('readSet names a missing or broken file', () => {
  const dir = tmp();
  makeSet(dir);
  writeFileSync(join(dir, FILES.testLabels), gzip(encodeLabels(Uint8Array.of(1))));
  assert.throws(() => readSet(dir), /test: 3 images but 1 labels/);
  writeFileSync(join(dir, FILES.trainImages), 'this is not an IDX file');
  assert.throws(() => readSet(dir), /train-images-idx3-ubyte\.gz: IDX: bad magic/);
  assert.throws(() => readSet(tmp()), /is missing/);
});

test('writeSet writes the files, dataset.json and README.txt, and is idempotent', async () => {
  const src = tmp();
  makeSet(src);
  const out = join(tmp(), 'mnist');
  const set = readSet(src);
  const info = { name: 'tiny', train: set.train, test: set.test, source: 'unit test', official: false };
  writeSet(out, set.gz, info);
  const json = JSON.parse(readFileSync(join(out, 'dataset.json'), 'utf8'));
  assert.deepEqual({ ...json, files: undefined }, { ...info, files: undefined });
  assert.equal(json.files[FILES.trainLabels], md5(set.gz[FILES.trainLabels]));
  assert.match(readFileSync(join(out, 'README.txt'), 'utf8'), /^tiny: 5 training and 3 test digits/);
  assert.deepEqual(readSet(out).gz, set.gz);
  const before = statSync(join(out, FILES.trainImages)).mtimeMs;
  await new Promise((r) => setTimeout(r, 20));
  writeSet(out, set.gz, info);
  assert.equal(statSync(join(out, FILES.trainImages)).mtimeMs, before, 'unchanged files are not rewritten');
  assert.ok(!existsSync(join(out, `${FILES.trainImages}.tmp`)));
});

test('isOfficial compares md5s of the gz or the raw bytes', () => {
  assert.equal(isOfficial(FILES.testLabels, encodeLabels(Uint8Array.of(1))), false);
  assert.equal(isOfficial(FILES.testLabels, gzip(encodeLabels(Uint8Array.of(1)))), false);
  const official = '/work/shared/data/mnist/t10k-labels-idx1-ubyte.gz';
  if (existsSync(official)) assert.equal(isOfficial(FILES.testLabels, readFileSync(official)), true);
});
