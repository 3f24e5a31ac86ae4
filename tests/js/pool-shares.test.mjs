// The data-parallel pool's pure parts (www/pool/shares.js: ranges, chunks, worker count, averaging
// gradients) and its start-up (start.js leaves out helpers that fail).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GIB_PER_WORKER, MAX_WORKERS, chunkRanges, combineGradients, coresOf, splitRanges, workerCount } from '../../www/pool/shares.js';
import { startPool } from '../../www/pool/start.js';

test('splitRanges: contiguous, sizes within one, larger first, respecting the minimum share', () => {
  assert.deepEqual(splitRanges(64, 2), [[0, 32], [32, 64]]);
  assert.deepEqual(splitRanges(10, 3), [[0, 4], [4, 7], [7, 10]]);
  assert.deepEqual(splitRanges(5, 8), [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]);
  assert.deepEqual(splitRanges(20, 4, 8), [[0, 10], [10, 20]]); // 4 shares of 5 would be under 8
  assert.deepEqual(splitRanges(7, 4, 8), [[0, 7]]);
  assert.deepEqual(splitRanges(0, 3), [[0, 0]]);
  for (const [n, k] of [[1000, 7], [33, 2], [64, 8]]) {
    const r = splitRanges(n, k);
    assert.equal(r[0][0], 0);
    assert.equal(r.at(-1)[1], n);
    r.slice(1).forEach(([s], i) => assert.equal(s, r[i][1]));
    const sizes = r.map(([s, e]) => e - s);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  }
});

test('chunkRanges: consecutive chunks of the size asked, the last shorter; bad sizes refused', () => {
  assert.deepEqual(chunkRanges(10, 4), [[0, 4], [4, 8], [8, 10]]);
  assert.deepEqual(chunkRanges(8, 4), [[0, 4], [4, 8]]);
  assert.deepEqual(chunkRanges(3, 256), [[0, 3]]);
  assert.deepEqual(chunkRanges(0, 4), []);
  assert.throws(() => chunkRanges(2.5, 4), /cannot cut/);
  assert.throws(() => chunkRanges(10, 0), /positive integer/);
});

test('workerCount: one per core unless asked, within 1..MAX_WORKERS', () => {
  assert.equal(workerCount(2), 2);
  assert.equal(workerCount(64), MAX_WORKERS);
  assert.equal(workerCount(undefined), 1);
  assert.equal(workerCount(8, 1), 1);
  assert.equal(workerCount(2, 3), 3);
  assert.equal(workerCount(4, 0), 4);
  assert.equal(workerCount(4, 2.5), 4);
});

test('workerCount: no more workers than GiB of device memory, unless asked', () => {
  assert.equal(GIB_PER_WORKER, 1);
  assert.equal(workerCount(8, undefined, 0.5), 1);
  assert.equal(workerCount(8, undefined, 1), 1);
  assert.equal(workerCount(8, undefined, 4), 4);
  assert.equal(workerCount(2, undefined, 8), 2);
  assert.equal(workerCount(4, undefined, undefined), 4); // Firefox and Safari report none
  assert.equal(workerCount(4, undefined, Number.NaN), 4);
  assert.equal(workerCount(8, 3, 1), 3); // ?workers=N is the user's choice
  assert.equal(workerCount(8, 8, 1), 8);
});

test("coresOf: the reported count, except half of WebKit's privacy bucket", () => {
  const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36';
  const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
  const webkit = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5 Safari/605.1.15';
  const iosChrome = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1';
  assert.equal(coresOf({ hardwareConcurrency: 2, userAgent: chrome }), 2);
  assert.equal(coresOf({ hardwareConcurrency: 12, userAgent: firefox }), 12);
  assert.equal(coresOf({ hardwareConcurrency: 4, userAgent: webkit }), 2);
  assert.equal(coresOf({ hardwareConcurrency: 8, userAgent: webkit }), 4);
  assert.equal(coresOf({ hardwareConcurrency: 4, userAgent: iosChrome }), 2);
  assert.equal(coresOf({ hardwareConcurrency: 1, userAgent: webkit }), 1);
  assert.equal(coresOf({ hardwareConcurrency: undefined, userAgent: webkit }), undefined);
  assert.equal(coresOf({ hardwareConcurrency: 3 }), 3);
  assert.equal(coresOf(undefined), undefined);
  assert.equal(workerCount(coresOf({ hardwareConcurrency: 4, userAgent: webkit })), 2);
});

test('combineGradients: size-weighted mean, mean loss, accuracy; a diverged share poisons the step', () => {
  const a = { loss: 1, correct: 3, count: 3, values: new Float32Array([3, 0]) };
  const b = { loss: 2, correct: 0, count: 1, values: new Float32Array([-1, 4]) };
  const c = combineGradients([a, b]);
  assert.deepEqual(Array.from(c.values), [2, 1]); // (3*3 + 1*-1)/4, (0 + 4)/4
  assert.equal(c.loss, 1.25);
  assert.equal(c.accuracy, 0.75);
  assert.equal(c.count, 4);
  const bad = combineGradients([a, { loss: NaN, correct: 0, count: 1, values: new Float32Array(0) }]);
  assert.equal(bad.values, null);
  assert.ok(Number.isNaN(bad.loss));
  assert.throws(() => combineGradients([a, { ...b, values: new Float32Array(3) }]), /different lengths/);
});

test('startPool leaves out helpers that fail, throw or never answer, and terminates them', async () => {
  const terminated = [];
  /** A fake worker: 'ok' answers init, 'error' answers with an error, 'silent' never answers. */
  const fake = (kind, i) => {
    const listeners = new Set();
    return {
      addEventListener: (type, fn) => type === 'message' && listeners.add(fn),
      removeEventListener: (type, fn) => listeners.delete(fn),
      terminate: () => terminated.push(i),
      postMessage({ id }) {
        if (kind === 'silent') return;
        const data = kind === 'ok' ? { id, ok: true, result: { ready: true } } : { id, ok: false, error: { message: 'no wasm' } };
        setTimeout(() => listeners.forEach((fn) => fn({ data })));
      },
    };
  };
  const kinds = ['ok', 'error', 'silent', 'throw', 'ok'];
  let i = 0;
  const make = () => {
    const k = i++;
    if (kinds[k] === 'throw') throw new Error('workers are blocked');
    return fake(kinds[k], k);
  };
  const { pool, workers } = await startPool(kinds.length, make, null, { initTimeoutMs: 50 });
  assert.equal(pool.size, 3); // the coordinator and the two helpers that answered
  assert.equal(workers.length, 2);
  assert.deepEqual(terminated.sort(), [1, 2]);
  const none = await startPool(0, make, null);
  assert.equal(none.pool.size, 1);
});

// ---- with the wasm package --------------------------------------------------------------------------
