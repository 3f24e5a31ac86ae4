// Loading the MNIST IDX files: fetch with progress, gunzip via DecompressionStream, Cache API
// caching (a reload does not download again), and clear error classification.
//
// No DOM and no wasm here: it runs inside the worker, which passes a `validate` callback that
// parses each file with the wasm `parseIdx`. Error classification is pure and unit-tested.

export const DEFAULT_DATA_BASE = 'data/mnist/';
export const DATA_CACHE = 'inkling-data-v1';

export const MNIST_FILES = Object.freeze([
  { key: 'trainImages', name: 'train-images-idx3-ubyte.gz', kind: 'images', approxBytes: 9912422 },
  { key: 'trainLabels', name: 'train-labels-idx1-ubyte.gz', kind: 'labels', approxBytes: 28881 },
  { key: 'testImages', name: 't10k-images-idx3-ubyte.gz', kind: 'images', approxBytes: 1648877 },
  { key: 'testLabels', name: 't10k-labels-idx1-ubyte.gz', kind: 'labels', approxBytes: 4542 },
]);

/**
 * A data loading failure. kind: 'not-found' | 'http' | 'network' | 'truncated' | 'corrupt'
 * | 'bad-magic' | 'bad-format' | 'mismatch' | 'bad-url'. All are retryable from the UI.
 */
export class DataError extends Error {
  constructor(kind, message, { url = '', file = '' } = {}) {
    super(message);
    this.name = 'DataError';
    this.kind = kind;
    this.url = url;
    this.file = file;
  }
}

function fileName(url) {
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() || url);
  } catch {
    return String(url).split('/').pop() || String(url);
  }
}

/**
 * The base URL for the data files: `param` (from ?data=URL) when given, else data/mnist/
 * next to the page. Always absolute, http(s), with a trailing slash.
 */
export function resolveDataBase(pageUrl, param) {
  const raw = param && String(param).trim() ? String(param).trim() : DEFAULT_DATA_BASE;
  let url;
  try {
    url = new URL(raw, pageUrl);
  } catch {
    throw new DataError('bad-url', `The data URL "${raw}" is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DataError('bad-url', `The data URL must be http(s), not "${url.protocol}".`);
  }
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** DataError for an unsuccessful HTTP status. */
export function classifyHttpStatus(status, url) {
  const file = fileName(url);
  if (status === 404 || status === 410) {
    return new DataError('not-found', `${file} was not found (HTTP ${status}) at ${url}.`, { url, file });
  }
  return new DataError('http', `${file} could not be downloaded: the server answered HTTP ${status}.`, { url, file });
}

/** Map anything thrown while loading `url` onto a DataError with a readable message. */
export function classifyDataError(err, url = '') {
  if (err instanceof DataError) return err;
  const file = url ? fileName(url) : 'a data file';
  const msg = String((err && err.message) || err || '');
  const where = { url, file };
  if (/^IDX:/i.test(msg) || /\bIDX\b/.test(msg)) {
    if (/magic/i.test(msg)) {
      return new DataError('bad-magic', `${file} is not an MNIST IDX file (wrong magic number). ${msg}`, where);
    }
    if (/truncat|short|length|size|expected \d+ bytes|too small|end of/i.test(msg)) {
      return new DataError('truncated', `${file} is truncated or incomplete. ${msg}`, where);
    }
    return new DataError('bad-format', `${file} is not a valid IDX file. ${msg}`, where);
  }
  if (/gzip|decompress|compressed|zlib|inflate|unexpected end|incomplete|junk/i.test(msg)) {
    return new DataError('corrupt', `${file} could not be decompressed: the download is truncated or corrupt.`, where);
  }
  if ((err && err.name === 'TypeError' && /fetch|network|load failed/i.test(msg)) || /network|failed to fetch/i.test(msg)) {
    return new DataError('network', `${file} could not be downloaded (network error). Check your connection.`, where);
  }
  if (err && err.name === 'AbortError') return new DataError('network', `Loading ${file} was cancelled.`, where);
  return new DataError('bad-format', `${file}: ${msg || 'unknown error'}`, where);
}

/** gzip streams start with 0x1f 0x8b. */
export function isGzip(bytes) {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Looks like an HTML page (a dev server's fallback page instead of a missing file). */
export function looksLikeHtml(bytes) {
  let i = 0;
  while (i < bytes.length && i < 64 && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return bytes[i] === 0x3c; // '<'
}

async function streamToBytes(stream, onChunk) {
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (onChunk) onChunk(size);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Decompress gzip bytes with the platform's DecompressionStream. */
export async function gunzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return streamToBytes(stream);
}

/** Raw IDX bytes from a downloaded file: gunzip when it is gzip (servers may already have decoded it). */
export async function decodeDownload(bytes, url) {
  if (looksLikeHtml(bytes)) {
    const file = fileName(url);
    throw new DataError('not-found', `${file} was not found: the server sent a web page instead (the file is probably missing).`, { url, file });
  }
  return isGzip(bytes) ? gunzip(bytes) : bytes;
}

async function openCache(cacheStorage) {
  if (!cacheStorage) return null;
  try {
    return await cacheStorage.open(DATA_CACHE);
  } catch {
    return null; // e.g. opaque origins or private mode: just download every time
  }
}

/** Download `url` as bytes, reporting progress (loaded, total) as it streams. */
export async function download(url, { fetchImpl = fetch, onProgress, expectedBytes = 0, signal } = {}) {
  let res;
  try {
    res = await fetchImpl(url, { signal, cache: 'no-cache' });
  } catch (err) {
    throw classifyDataError(err, url);
  }
  if (!res.ok) throw classifyHttpStatus(res.status, url);
  const type = res.headers.get('content-type') || '';
  if (/text\/html/i.test(type)) {
    const file = fileName(url);
    throw new DataError('not-found', `${file} was not found: the server sent a web page instead (the file is probably missing).`, { url, file });
  }
  const encoded = !!res.headers.get('content-encoding');
  const length = Number(res.headers.get('content-length')) || 0;
  const total = !encoded && length ? length : expectedBytes;
  let bytes;
  try {
    bytes = res.body
      ? await streamToBytes(res.body, (n) => onProgress && onProgress(Math.min(n, total || n), total || n))
      : new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new DataError('truncated', `${fileName(url)} was cut off while downloading. ${err && err.message ? err.message : ''}`.trim(), {
      url,
      file: fileName(url),
    });
  }
  if (!encoded && length && bytes.length !== length) {
    throw new DataError('truncated', `${fileName(url)} is truncated: got ${bytes.length} of ${length} bytes.`, { url, file: fileName(url) });
  }
  return bytes;
}

/**
 * Load one file: from the Cache API when present, else from the network. `validate(idxBytes)`
 * (e.g. the wasm parseIdx) runs before the download is cached; a cached copy that fails
 * validation is dropped and downloaded again. Returns { parsed, fromCache, bytes }.
 */
export async function loadFile(url, { fetchImpl = fetch, cacheStorage = globalThis.caches, validate = (b) => b, onProgress, expectedBytes = 0 } = {}) {
  const cache = await openCache(cacheStorage);
  if (cache) {
    try {
      const hit = await cache.match(url);
      if (hit) {
        const bytes = new Uint8Array(await hit.arrayBuffer());
        try {
          const parsed = validate(await decodeDownload(bytes, url));
          if (onProgress) onProgress(bytes.length, bytes.length, true);
          return { parsed, fromCache: true, size: bytes.length };
        } catch {
          await cache.delete(url); // stale or corrupt copy: fetch again below
        }
      }
    } catch {
      /* cache unreadable: fall through to the network */
    }
  }
  const bytes = await download(url, {
    fetchImpl,
    expectedBytes,
    onProgress: (loaded, total) => onProgress && onProgress(loaded, total, false),
  });
  let parsed;
  try {
    parsed = validate(await decodeDownload(bytes, url));
  } catch (err) {
    throw classifyDataError(err, url);
  }
  if (cache) {
    try {
      await cache.put(url, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }));
    } catch {
      /* quota exceeded etc.: not fatal */
    }
  }
  return { parsed, fromCache: false, size: bytes.length };
}

/**
 * Check that four parsed IDX files ({ kind, count, rows, cols, data }) form a consistent
 * MNIST-style dataset. Throws DataError('mismatch' | 'bad-format').
 */
export function checkDataset(files) {
  for (const spec of MNIST_FILES) {
    const f = files[spec.key];
    if (!f) throw new DataError('bad-format', `${spec.name} is missing.`, { file: spec.name });
    if (f.kind !== spec.kind) {
      throw new DataError('bad-format', `${spec.name} holds ${f.kind}, expected ${spec.kind}.`, { file: spec.name });
    }
    if (spec.kind === 'images' && (f.rows !== 28 || f.cols !== 28)) {
      throw new DataError('bad-format', `${spec.name} has ${f.rows}×${f.cols} images; 28×28 expected.`, { file: spec.name });
    }
    if (f.count < 1) throw new DataError('bad-format', `${spec.name} is empty.`, { file: spec.name });
  }
  for (const [img, lbl] of [
    ['trainImages', 'trainLabels'],
    ['testImages', 'testLabels'],
  ]) {
    if (files[img].count !== files[lbl].count) {
      throw new DataError(
        'mismatch',
        `${files[img].count} images but ${files[lbl].count} labels in the ${img.startsWith('train') ? 'training' : 'test'} set.`,
      );
    }
    const labels = files[lbl].data;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] > 9) throw new DataError('bad-format', `Label ${labels[i]} at index ${i} is not a digit 0–9.`);
    }
  }
  return true;
}

/**
 * Load all four files from `baseUrl` in parallel. onProgress({ loaded, total, fromCache, file })
 * reports the overall byte progress. Returns { files: {key: parsed}, fromCache, bytes }.
 */
export async function loadDataset(baseUrl, { fetchImpl = fetch, cacheStorage = globalThis.caches, validate = (b) => b, onProgress } = {}) {
  const loaded = {};
  const totals = {};
  for (const spec of MNIST_FILES) {
    loaded[spec.key] = 0;
    totals[spec.key] = spec.approxBytes;
  }
  let allCached = true;
  const report = (file, fromCache) => {
    if (!onProgress) return;
    const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
    onProgress({ loaded: sum(loaded), total: sum(totals), file, fromCache });
  };
  const results = await Promise.all(
    MNIST_FILES.map(async (spec) => {
      const url = new URL(spec.name, baseUrl).href;
      const r = await loadFile(url, {
        fetchImpl,
        cacheStorage,
        expectedBytes: spec.approxBytes,
        validate: (bytes) => {
          const parsed = validate(bytes, spec);
          if (parsed && parsed.kind && parsed.kind !== spec.kind) {
            throw new DataError('bad-format', `${spec.name} holds ${parsed.kind}, expected ${spec.kind}.`, { url, file: spec.name });
          }
          return parsed;
        },
        onProgress: (n, total, fromCache) => {
          loaded[spec.key] = n;
          totals[spec.key] = Math.max(total, n);
          if (!fromCache) allCached = false;
          report(spec.name, fromCache);
        },
      });
      return [spec.key, r];
    }),
  );
  const files = {};
  let bytes = 0;
  for (const [key, r] of results) {
    files[key] = r.parsed;
    bytes += r.size;
    if (!r.fromCache) allCached = false;
  }
  checkDataset(files);
  return { files, fromCache: allCached, bytes };
}
