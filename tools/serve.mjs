// The one static file server of the repository's tools: serves a built site (dist/, the bench page)
// on 127.0.0.1 with the cross-origin isolation headers (COOP/COEP) the app needs for
// SharedArrayBuffer. Files are sent as they are: .gz data files keep their gzip bytes (no
// Content-Encoding). The e2e test serves with `no-store`; the bench lets the browser keep Vite's
// hashed assets (as a CDN would), so a reload is a real warm start.
//
//   node tools/serve.mjs [dist] [port]     (for manual checks; the e2e test and the bench import serveStatic)

import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Start serving `root`; resolves to { url, close() }. Port 0 picks a free port. close() also ends
 * kept-alive connections, so that the port is free again at once.
 * `cacheAssets`: files under /assets/ (Vite's content-hashed names) are cacheable for a year;
 * everything else, and every file without it, is `no-store`.
 */
export function serveStatic(root, { port = 0, host = '127.0.0.1', cacheAssets = false } = {}) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    let urlPath;
    let HEADERS = { ...ISOLATION, 'Cache-Control': 'no-store' };
    try {
      // Prefixed, not resolved against a base: a path such as '//' is a path here, not a host.
      urlPath = decodeURIComponent(new URL(`http://x${req.url}`).pathname);
    } catch {
      res.writeHead(400, { ...HEADERS, 'Content-Type': 'text/plain' }).end('bad request path');
      return;
    }
    if (cacheAssets && urlPath.startsWith('/assets/')) HEADERS = { ...ISOLATION, 'Cache-Control': 'public, max-age=31536000, immutable' };
    let file = normalize(join(base, urlPath));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403, HEADERS).end('forbidden');
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const { size } = statSync(file);
      res.writeHead(200, {
        ...HEADERS,
        'Content-Type': TYPES[extname(file)] || 'application/octet-stream',
        'Content-Length': size,
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { ...HEADERS, 'Content-Type': 'text/plain' }).end(`not found: ${urlPath}`);
    }
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolvePromise({ url: `http://${host}:${actual}/`, close: () => new Promise((r) => (server.close(r), server.closeAllConnections())) });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] || 'dist';
  const { url } = await serveStatic(root, { port: Number(process.argv[3] || 4174) });
  console.log(`serving ${resolve(root)} at ${url}`);
}
