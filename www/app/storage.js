// Persistence in IndexedDB: the current model (safetensors bytes + config) and "My digits"
// (784-byte images + labels). Every record carries a schema version and a CRC-32 over its
// bytes; corrupt or old-version content is reported so the app can start clean with a notice.
//
// The record packing/verification functions are pure and unit-tested; the IndexedDB functions
// run only in the browser. No DOM access.

import { crc32 } from './checksum.js';
import { IMAGE_BYTES } from '../shared/batching.js';

export const SCHEMA_VERSION = 1;
const DB_NAME = 'inkling';
const DB_VERSION = 1;
const STORE = 'records';
export const MODEL_KEY = 'model';
export const DIGITS_KEY = 'mydigits';

export class RecordError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RecordError';
  }
}

function configChecksumText(config) {
  // Stable key order so the checksum does not depend on object construction order.
  const keys = Object.keys(config || {}).sort();
  return JSON.stringify(keys.map((k) => [k, config[k]]));
}

/** Build the stored record for a model. */
export function packModelRecord({ config, weights, source = 'trained', savedAt = Date.now() }) {
  if (!(weights instanceof Uint8Array) || !weights.length) throw new RecordError('no weights to save');
  return {
    schema: SCHEMA_VERSION,
    config: { ...config },
    weights,
    source,
    savedAt,
    checksum: crc32(weights, configChecksumText(config)),
  };
}

/** Validate a stored model record; returns { config, weights, source, savedAt } or throws RecordError. */
export function verifyModelRecord(rec) {
  if (!rec || typeof rec !== 'object') throw new RecordError('the saved model record is unreadable');
  if (rec.schema !== SCHEMA_VERSION) throw new RecordError(`the saved model is from another version (schema ${rec.schema})`);
  if (!(rec.weights instanceof Uint8Array) || !rec.config || typeof rec.config !== 'object') {
    throw new RecordError('the saved model record is incomplete');
  }
  if (crc32(rec.weights, configChecksumText(rec.config)) !== rec.checksum) {
    throw new RecordError('the saved model failed its checksum (corrupt data)');
  }
  return { config: rec.config, weights: rec.weights, source: rec.source || 'trained', savedAt: rec.savedAt };
}

/** Build the stored record for My digits: items = [{ id, image: Uint8Array(784), label, addedAt }]. */
export function packDigitsRecord(items) {
  const n = items.length;
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Uint8Array(n);
  const ids = [];
  const addedAt = [];
  items.forEach((d, i) => {
    if (!(d.image instanceof Uint8Array) || d.image.length !== IMAGE_BYTES) throw new RecordError('a digit image is not 784 bytes');
    if (!(Number.isInteger(d.label) && d.label >= 0 && d.label <= 9)) throw new RecordError('a digit label is not 0–9');
    images.set(d.image, i * IMAGE_BYTES);
    labels[i] = d.label;
    ids.push(String(d.id));
    addedAt.push(d.addedAt || 0);
  });
  return { schema: SCHEMA_VERSION, count: n, images, labels, ids, addedAt, checksum: crc32(images, labels, ids.join(',')) };
}

/** Validate and unpack a stored My digits record; throws RecordError. */
export function unpackDigitsRecord(rec) {
  if (!rec || typeof rec !== 'object') throw new RecordError('the saved digits are unreadable');
  if (rec.schema !== SCHEMA_VERSION) throw new RecordError(`the saved digits are from another version (schema ${rec.schema})`);
  const { count, images, labels, ids } = rec;
  const ok =
    Number.isInteger(count) &&
    images instanceof Uint8Array &&
    labels instanceof Uint8Array &&
    Array.isArray(ids) &&
    images.length === count * IMAGE_BYTES &&
    labels.length === count &&
    ids.length === count;
  if (!ok) throw new RecordError('the saved digits record is incomplete');
  if (crc32(images, labels, ids.join(',')) !== rec.checksum) throw new RecordError('the saved digits failed their checksum (corrupt data)');
  const items = [];
  for (let i = 0; i < count; i++) {
    if (labels[i] > 9) throw new RecordError('a saved digit has an invalid label');
    items.push({
      id: ids[i],
      image: images.slice(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES),
      label: labels[i],
      addedAt: (rec.addedAt && rec.addedAt[i]) || 0,
    });
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// IndexedDB (browser only)

let dbPromise = null;

function openDb() {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('IndexedDB is not available in this browser'));
      return;
    }
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error || new Error('could not open IndexedDB'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
  dbPromise.catch(() => {
    dbPromise = null;
  });
  return dbPromise;
}

async function tx(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const store = t.objectStore(STORE);
    const req = fn(store);
    t.oncomplete = () => resolve(req ? req.result : undefined);
    t.onerror = () => reject(t.error || new Error('IndexedDB transaction failed'));
    t.onabort = () => reject(t.error || new Error('IndexedDB transaction aborted'));
  });
}

const get = (key) => tx('readonly', (s) => s.get(key));
const put = (key, value) => tx('readwrite', (s) => s.put(value, key));
const del = (key) => tx('readwrite', (s) => s.delete(key));

/**
 * Reads the record under `key` and checks it with `verify` (which throws on a bad record):
 * { status: 'ok', [field]: verify(record) } | { status: 'empty' } | { status: 'corrupt', reason } (the bad
 * record is deleted, so the next start is clean) | { status: 'unavailable', reason }. `empty` is merged
 * into every result but 'ok' (e.g. { items: [] }).
 */
async function loadVerified(key, verify, field, empty = {}) {
  let rec;
  try {
    rec = await get(key);
  } catch (err) {
    return { status: 'unavailable', reason: err.message, ...empty };
  }
  if (rec === undefined) return { status: 'empty', ...empty };
  try {
    return { status: 'ok', [field]: verify(rec) };
  } catch (err) {
    await del(key).catch(() => {});
    return { status: 'corrupt', reason: err.message, ...empty };
  }
}

/** The saved model: { status, model?, reason? } (see loadVerified). */
export function loadModel() {
  return loadVerified(MODEL_KEY, verifyModelRecord, 'model');
}

export async function saveModel({ config, weights, source }) {
  await put(MODEL_KEY, packModelRecord({ config, weights, source }));
}

export async function deleteModel() {
  await del(MODEL_KEY);
}

/** My digits: { status, items, reason? } (see loadVerified); `items` is empty unless the status is 'ok'. */
export function loadDigits() {
  return loadVerified(DIGITS_KEY, unpackDigitsRecord, 'items', { items: [] });
}

export async function saveDigits(items) {
  await put(DIGITS_KEY, packDigitsRecord(items));
}
