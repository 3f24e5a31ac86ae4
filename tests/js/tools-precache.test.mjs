// The service worker's file list and build name (tools/precache.mjs) and the source it fills in
// (www/offline/sw.js).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildId, cached, listFiles, serviceWorker, writeServiceWorker } from '../../tools/precache.mjs';

function site(files) {
  const dir = mkdtempSync(join(tmpdir(), 'inkling-precache-'));
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), body);
  }
  return dir;
}

test('cached: the shell, the weights and the data description; not the MNIST files or sw.js', () => {
  for (const f of ['index.html', 'assets/worker-abc.js', 'assets/inkling_bg-x.wasm', 'models/cnn-mnist.safetensors', 'manifest.webmanifest', 'icons/icon-192.png', 'data/mnist/dataset.json']) assert.ok(cached(f), f);
  for (const f of ['sw.js', 'data/mnist/train-images-idx3-ubyte.gz', 'data/mnist/README.txt']) assert.ok(!cached(f), f);
});

test('listFiles walks the site; buildId changes with any cached byte and only then', () => {
  const dir = site({ 'index.html': '<p>a</p>', 'assets/x.js': 'x', 'data/mnist/t.gz': 'gz' });
  try {
    assert.deepEqual(listFiles(dir), ['assets/x.js', 'data/mnist/t.gz', 'index.html']);
    const files = listFiles(dir).filter(cached);
    const a = buildId(dir, files);
    assert.match(a, /^[0-9a-f]{12}$/);
    assert.equal(buildId(dir, files), a);
    writeFileSync(join(dir, 'data/mnist/t.gz'), 'other');
    assert.equal(buildId(dir, files), a, 'an uncached file does not name the build');
    writeFileSync(join(dir, 'index.html'), '<p>b</p>');
    assert.notEqual(buildId(dir, files), a);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeServiceWorker fills the real sw.js source with the build and its files', () => {
  const dir = site({ 'index.html': '<p>a</p>', 'assets/x.js': 'x' });
  try {
    const { build, files } = writeServiceWorker(dir);
    const sw = readFileSync(join(dir, 'sw.js'), 'utf8');
    assert.ok(sw.includes(`const BUILD = ${JSON.stringify(build)};`));
    assert.ok(sw.includes('const FILES = ["./", "assets/x.js", "index.html"];'), sw.split('\n').find((l) => l.startsWith('const FILES')));
    assert.deepEqual(files, ['assets/x.js', 'index.html']);
    assert.ok(!sw.includes('__INKLING_'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serviceWorker refuses a source whose placeholders it cannot fill', () => {
  assert.throws(() => serviceWorker("const BUILD = '__INKLING_BUILD__';", 'abc', []), /placeholder/);
});
