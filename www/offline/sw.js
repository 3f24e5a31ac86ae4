// The app's service worker: after the first visit the app opens, trains, predicts and fine-tunes
// with the network cut. It holds one cache per build with every file the page needs (the shell, the
// workers, the wasm, the pretrained weights, the data set's description); the MNIST files themselves
// sit in the data loader's own cache (data/data.js), which outlives builds. A new build's worker
// installs its cache next to the old one and, once active, deletes every other build's cache.
//
// The build writes this file to dist/sw.js with BUILD and FILES filled in (tools/precache.mjs).

const BUILD = '__INKLING_BUILD__';
const FILES = ['__INKLING_FILES__'];
const PREFIX = 'inkling-shell-';
const CACHE = `${PREFIX}${BUILD}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `reload`: past any HTTP cache, so the cache holds exactly this build's files.
      await cache.addAll(FILES.map((f) => new Request(new URL(f, self.registration.scope), { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  // Pages and the data set's description: the network's newest, the cached copy when offline.
  // Everything else this build names is immutable (content-hashed names): the cache first.
  const fresh = request.mode === 'navigate' || request.url.endsWith('/dataset.json');
  event.respondWith(fresh ? networkFirst(request) : cacheFirst(request));
});

async function networkFirst(request) {
  try {
    return await fetch(request);
  } catch (err) {
    const hit = await caches.match(request, { cacheName: CACHE, ignoreSearch: request.mode === 'navigate' });
    if (hit) return hit;
    throw err;
  }
}

async function cacheFirst(request) {
  return (await caches.match(request, { cacheName: CACHE })) ?? fetch(request);
}

self.addEventListener('message', (event) => {
  if (event.data === 'build') event.source?.postMessage({ build: BUILD });
});
