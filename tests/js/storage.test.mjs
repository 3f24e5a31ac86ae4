import test from 'node:test';
import assert from 'node:assert/strict';
import { packModelRecord, verifyModelRecord, packDigitsRecord, unpackDigitsRecord, RecordError, SCHEMA_VERSION } from '../../www/app/storage.js';

const digit = (id, label, fill) => ({ id, label, image: new Uint8Array(784).fill(fill), addedAt: 1 });

test('model record round-trips and detects corruption and old versions', () => {
  const weights = Uint8Array.from({ length: 100 }, (_, i) => i);
  const rec = packModelRecord({ config: { model: 'cnn', learningRate: 0.001 }, weights, source: 'pretrained' });
  assert.equal(rec.schema, SCHEMA_VERSION);
  const back = verifyModelRecord(structuredClone(rec));
  assert.equal(back.config.model, 'cnn'); assert.equal(back.source, 'pretrained'); assert.deepEqual(back.weights, weights);
  const flipped = structuredClone(rec); flipped.weights[10] ^= 0xff;
  assert.throws(() => verifyModelRecord(flipped), /checksum/);
  const changedConfig = structuredClone(rec); changedConfig.config.model = 'mlp';
  assert.throws(() => verifyModelRecord(changedConfig), /checksum/);
  assert.throws(() => verifyModelRecord({ ...rec, schema: 0 }), /another version/);
  assert.throws(() => verifyModelRecord(null), RecordError);
  assert.throws(() => verifyModelRecord({ ...rec, weights: [1, 2] }), /incomplete/);
  assert.throws(() => packModelRecord({ config: {}, weights: new Uint8Array(0) }), RecordError);
});

test('digits record round-trips and detects corruption', () => {
  const items = [digit('a', 3, 7), digit('b', 9, 200)];
  const rec = packDigitsRecord(items);
  assert.equal(rec.count, 2);
  const back = unpackDigitsRecord(structuredClone(rec));
  assert.deepEqual(back.map((d) => [d.id, d.label, d.image[0]]), [['a', 3, 7], ['b', 9, 200]]);
  const bad = structuredClone(rec); bad.images[900] = 1;
  assert.throws(() => unpackDigitsRecord(bad), /checksum/);
  const badLabel = structuredClone(rec); badLabel.labels[0] = 4;
  assert.throws(() => unpackDigitsRecord(badLabel), /checksum/);
  assert.throws(() => unpackDigitsRecord({ ...rec, schema: 99 }), /another version/);
  assert.throws(() => unpackDigitsRecord({ ...rec, count: 3 }), /incomplete/);
  assert.deepEqual(unpackDigitsRecord(packDigitsRecord([])), []);
  assert.throws(() => packDigitsRecord([{ id: 'x', label: 11, image: new Uint8Array(784) }]), /0–9/);
  assert.throws(() => packDigitsRecord([{ id: 'x', label: 1, image: new Uint8Array(10) }]), /784/);
});

// ---- loadModel / loadDigits over a minimal in-memory IndexedDB --------------------------------------

/** Just enough of IndexedDB for storage.js: one database, one store, get/put/delete, async events. */
function fakeIndexedDB() {
  const data = new Map();
  const later = (fn) => setTimeout(fn, 0);
  const request = (result) => ({ result });
  const db = {
    objectStoreNames: { contains: () => true },
    transaction() {
      const t = {
        objectStore: () => ({
          get: (k) => request(structuredClone(data.get(k))),
          put: (v, k) => (data.set(k, structuredClone(v)), request(k)),
          delete: (k) => (data.delete(k), request(undefined)),
        }),
      };
      later(() => t.oncomplete && t.oncomplete());
      return t;
    },
  };
  return {
    data,
    open() {
      const req = { result: db };
      later(() => req.onsuccess());
      return req;
    },
  };
}

test('loadModel/loadDigits: unavailable, empty, ok, and a corrupt record is reported and deleted', async () => {
  const storage = await import('../../www/app/storage.js');
  delete globalThis.indexedDB;
  assert.deepEqual(await storage.loadDigits(), { status: 'unavailable', reason: 'IndexedDB is not available in this browser', items: [] });
  assert.equal((await storage.loadModel()).status, 'unavailable');

  const fake = fakeIndexedDB();
  globalThis.indexedDB = fake;
  try {
    assert.deepEqual(await storage.loadModel(), { status: 'empty' });
    assert.deepEqual(await storage.loadDigits(), { status: 'empty', items: [] });
    const weights = Uint8Array.from({ length: 64 }, (_, i) => i * 3);
    await storage.saveModel({ config: { model: 'cnn' }, weights, source: 'trained' });
    await storage.saveDigits([digit('x', 4, 9)]);
    const model = await storage.loadModel();
    assert.equal(model.status, 'ok');
    assert.deepEqual(model.model.weights, weights);
    const digits = await storage.loadDigits();
    assert.equal(digits.status, 'ok');
    assert.deepEqual(digits.items.map((d) => [d.id, d.label]), [['x', 4]]);

    // Flip a byte in each stored record: reported as corrupt, deleted, and empty afterwards.
    for (const [key, rec] of fake.data) {
      const field = rec.weights ? 'weights' : 'images';
      rec[field][5] ^= 0xff;
      fake.data.set(key, rec);
    }
    const badModel = await storage.loadModel();
    assert.equal(badModel.status, 'corrupt');
    assert.match(badModel.reason, /checksum/);
    const badDigits = await storage.loadDigits();
    assert.equal(badDigits.status, 'corrupt');
    assert.deepEqual(badDigits.items, []);
    assert.equal(fake.data.size, 0);
    assert.deepEqual(await storage.loadModel(), { status: 'empty' });
  } finally {
    delete globalThis.indexedDB;
  }
});
