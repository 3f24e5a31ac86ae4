import test from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { resolveDataBase, classifyHttpStatus, classifyDataError, DataError, isGzip, looksLikeHtml, gunzip, loadFile, loadDataset, checkDataset, MNIST_FILES } from '../../www/data/data.js';

test('resolveDataBase: default, ?data= override, always a directory URL', () => {
  assert.equal(resolveDataBase('http://127.0.0.1:5173/index.html'), 'http://127.0.0.1:5173/data/mnist/');
  assert.equal(resolveDataBase('http://h/app/?data=x', ''), 'http://h/app/data/mnist/');
  assert.equal(resolveDataBase('http://h/app/', 'https://cdn.example/mnist'), 'https://cdn.example/mnist/');
  assert.equal(resolveDataBase('http://h/app/', 'other/?v=1'), 'http://h/app/other/');
  assert.throws(() => resolveDataBase('http://h/', 'javascript:alert(1)'), (e) => e.kind === 'bad-url');
});

test('HTTP and thrown errors are classified', () => {
  const e404 = classifyHttpStatus(404, 'http://h/data/mnist/t10k-images-idx3-ubyte.gz');
  assert.equal(e404.kind, 'not-found');
  assert.match(e404.message, /t10k-images-idx3-ubyte\.gz was not found \(HTTP 404\)/);
  assert.equal(classifyHttpStatus(500, 'http://h/x.gz').kind, 'http');
  const url = 'http://h/train-labels-idx1-ubyte.gz';
  assert.equal(classifyDataError(new Error('IDX: bad magic number 0x00000000 (expected 0x00000801 or 0x00000803)'), url).kind, 'bad-magic');
  assert.equal(classifyDataError(new Error('IDX: truncated: expected 60008 bytes, got 100'), url).kind, 'truncated');
  assert.equal(classifyDataError(new Error('IDX: 3 dimensions expected'), url).kind, 'bad-format');
  assert.equal(classifyDataError(new TypeError('Failed to fetch'), url).kind, 'network');
  assert.equal(classifyDataError(new TypeError('unexpected end of file'), url).kind, 'corrupt');
  const keep = new DataError('mismatch', 'x');
  assert.equal(classifyDataError(keep), keep);
});

test('gzip and HTML sniffing; gunzip with DecompressionStream', async () => {
  const raw = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 2, 3, 4]);
  const gz = new Uint8Array(gzipSync(raw));
  assert.ok(isGzip(gz)); assert.ok(!isGzip(raw));
  assert.ok(looksLikeHtml(new TextEncoder().encode('\n  <!doctype html>')));
  assert.ok(!looksLikeHtml(gz));
  assert.deepEqual(await gunzip(gz), raw);
  await assert.rejects(gunzip(gz.subarray(0, gz.length - 6)));
});

/** Minimal fake IDX parser standing in for the wasm parseIdx. */
function fakeParse(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint32(0);
  if (magic === 0x801) { const n = v.getUint32(4); if (bytes.length !== 8 + n) throw new Error('IDX: truncated'); return { kind: 'labels', count: n, rows: 0, cols: 0, data: bytes.slice(8) }; }
  if (magic === 0x803) { const n = v.getUint32(4); if (bytes.length !== 16 + n * 784) throw new Error('IDX: truncated'); return { kind: 'images', count: n, rows: v.getUint32(8), cols: v.getUint32(12), data: bytes.slice(16) }; }
  throw new Error(`IDX: bad magic number 0x${magic.toString(16)}`);
}
function idxLabels(labels) { const b = new Uint8Array(8 + labels.length); const v = new DataView(b.buffer); v.setUint32(0, 0x801); v.setUint32(4, labels.length); b.set(labels, 8); return b; }
function idxImages(n) { const b = new Uint8Array(16 + n * 784); const v = new DataView(b.buffer); v.setUint32(0, 0x803); v.setUint32(4, n); v.setUint32(8, 28); v.setUint32(12, 28); return b; }

function fakeServer(files) {
  const calls = [];
  const fetchImpl = async (url) => {
    calls.push(url);
    const name = url.split('/').pop();
    if (!(name in files)) return new Response('missing', { status: 404 });
    const body = files[name];
    return new Response(body, { status: 200, headers: { 'content-length': String(body.length), 'content-type': 'application/gzip' } });
  };
  return { fetchImpl, calls };
}
function fakeCaches() {
  const store = new Map();
  const cache = { match: async (u) => (store.has(u) ? new Response(store.get(u)) : undefined), put: async (u, r) => { store.set(u, new Uint8Array(await r.arrayBuffer())); }, delete: async (u) => store.delete(u) };
  return { open: async () => cache, store };
}

test('loadFile: downloads, validates, caches, and then serves from the cache', async () => {
  const gz = new Uint8Array(gzipSync(idxLabels([1, 2, 3])));
  const { fetchImpl, calls } = fakeServer({ 'l.gz': gz });
  const cacheStorage = fakeCaches();
  const progress = [];
  const a = await loadFile('http://h/l.gz', { fetchImpl, cacheStorage, validate: fakeParse, onProgress: (n, t, c) => progress.push([n, t, c]) });
  assert.equal(a.fromCache, false); assert.equal(a.parsed.count, 3);
  assert.deepEqual(progress.at(-1), [gz.length, gz.length, false]);
  const b = await loadFile('http://h/l.gz', { fetchImpl, cacheStorage, validate: fakeParse });
  assert.equal(b.fromCache, true); assert.equal(calls.length, 1);
  // A corrupt cached copy is dropped and downloaded again.
  cacheStorage.store.set('http://h/l.gz', Uint8Array.from([1, 2, 3]));
  const c = await loadFile('http://h/l.gz', { fetchImpl, cacheStorage, validate: fakeParse });
  assert.equal(c.fromCache, false); assert.equal(calls.length, 2);
});

test('loadFile: clear errors for 404, wrong magic, truncated gzip and an HTML fallback page', async () => {
  const good = new Uint8Array(gzipSync(idxLabels([1, 2, 3])));
  const { fetchImpl } = fakeServer({
    'magic.gz': new Uint8Array(gzipSync(Uint8Array.from([0, 0, 9, 9, 0, 0, 0, 0]))),
    'cut.gz': good.subarray(0, good.length - 8),
    'page.gz': new TextEncoder().encode('<!DOCTYPE html><html></html>'),
  });
  const opts = { fetchImpl, cacheStorage: null, validate: fakeParse };
  await assert.rejects(loadFile('http://h/none.gz', opts), (e) => e.kind === 'not-found' && /none\.gz was not found/.test(e.message));
  await assert.rejects(loadFile('http://h/magic.gz', opts), (e) => e.kind === 'bad-magic');
  await assert.rejects(loadFile('http://h/cut.gz', opts), (e) => e.kind === 'corrupt' || e.kind === 'truncated');
  await assert.rejects(loadFile('http://h/page.gz', opts), (e) => e.kind === 'not-found');
  const short = async () => new Response(good.subarray(0, 10), { headers: { 'content-length': String(good.length) } });
  await assert.rejects(loadFile('http://h/x.gz', { ...opts, fetchImpl: short }), (e) => e.kind === 'truncated');
});

test('loadDataset: four files, overall progress, consistency checks', async () => {
  const files = {
    'train-images-idx3-ubyte.gz': new Uint8Array(gzipSync(idxImages(20))),
    'train-labels-idx1-ubyte.gz': new Uint8Array(gzipSync(idxLabels(new Array(20).fill(3)))),
    't10k-images-idx3-ubyte.gz': new Uint8Array(gzipSync(idxImages(5))),
    't10k-labels-idx1-ubyte.gz': new Uint8Array(gzipSync(idxLabels([0, 1, 2, 3, 4]))),
  };
  const { fetchImpl } = fakeServer(files);
  const events = [];
  const r = await loadDataset('http://h/data/mnist/', { fetchImpl, cacheStorage: fakeCaches(), validate: fakeParse, onProgress: (p) => events.push(p) });
  assert.equal(r.files.trainImages.count, 20); assert.equal(r.files.testLabels.count, 5);
  const last = events.at(-1);
  assert.equal(last.loaded, last.total);
  const bad = { ...files, 't10k-labels-idx1-ubyte.gz': new Uint8Array(gzipSync(idxLabels([0, 1]))) };
  await assert.rejects(loadDataset('http://h/', { fetchImpl: fakeServer(bad).fetchImpl, cacheStorage: null, validate: fakeParse }), (e) => e.kind === 'mismatch');
  const swapped = { ...files, 'train-labels-idx1-ubyte.gz': files['t10k-images-idx3-ubyte.gz'] };
  await assert.rejects(loadDataset('http://h/', { fetchImpl: fakeServer(swapped).fetchImpl, cacheStorage: null, validate: fakeParse }), (e) => e.kind === 'bad-format' && /expected labels/.test(e.message));
});

test('checkDataset rejects labels outside 0-9', () => {
  const f = (kind, count, extra = {}) => ({ kind, count, rows: kind === 'images' ? 28 : 0, cols: kind === 'images' ? 28 : 0, data: new Uint8Array(kind === 'labels' ? count : count * 784), ...extra });
  const files = { trainImages: f('images', 2), trainLabels: f('labels', 2, { data: Uint8Array.from([1, 12]) }), testImages: f('images', 1), testLabels: f('labels', 1) };
  assert.throws(() => checkDataset(files), /Label 12/);
  assert.equal(MNIST_FILES.length, 4);
});

test('describeDataset: reads name, source and official from dataset.json; absent, failing or malformed gives no fields', async () => {
  const { describeDataset } = await import('../../www/data/about.js');
  const reply = (status, body) => async (url) => {
    assert.equal(String(url), 'https://x.test/d/dataset.json');
    return { ok: status === 200, status, json: async () => (typeof body === 'string' ? JSON.parse(body) : body) };
  };
  assert.deepEqual(await describeDataset('https://x.test/d/', { fetchImpl: reply(200, { name: 'MNIST', source: 'yann.lecun.com', official: true }) }), { name: 'MNIST', source: 'yann.lecun.com', official: true });
  assert.deepEqual(await describeDataset('https://x.test/d/', { fetchImpl: reply(200, { name: 7, official: 'yes' }) }), { name: undefined, source: undefined, official: false });
  assert.deepEqual(await describeDataset('https://x.test/d/', { fetchImpl: reply(404, {}) }), { official: false });
  assert.deepEqual(await describeDataset('https://x.test/d/', { fetchImpl: reply(200, '{not json') }), { official: false });
  assert.deepEqual(await describeDataset('https://x.test/d/', { fetchImpl: async () => { throw new TypeError('offline'); } }), { official: false });
});
