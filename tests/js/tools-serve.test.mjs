// The tools' one static server and one Chromium configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { serveStatic } from '../../tools/serve.mjs';
import { CHROMIUM_ARGS } from '../../tools/chromium.mjs';

function site() {
  const dir = mkdtempSync(join(tmpdir(), 'inkling-serve-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets', 'app-1234.wasm'), Buffer.from([0, 97, 115, 109]));
  return dir;
}

/** A raw GET (fetch would normalise paths such as '/../'). */
function get(url, path) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serveStatic serves files with the cross-origin isolation headers and refuses what is outside its root', async () => {
  const server = await serveStatic(site());
  try {
    const index = await get(server.url, '/');
    assert.equal(index.status, 200);
    assert.match(index.headers['content-type'], /text\/html/);
    assert.equal(index.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(index.headers['cross-origin-embedder-policy'], 'require-corp');
    assert.equal(index.headers['cache-control'], 'no-store');
    const wasm = await get(server.url, '/assets/app-1234.wasm');
    assert.equal(wasm.headers['content-type'], 'application/wasm');
    assert.deepEqual([...wasm.body], [0, 97, 115, 109]);
    assert.equal(wasm.headers['cache-control'], 'no-store');
    assert.equal((await get(server.url, '/missing.js')).status, 404);
    assert.equal((await get(server.url, '/%2e%2e%2f%2e%2e%2fetc%2fpasswd')).status, 403);
    assert.equal((await get(server.url, '/%E0%A4%A')).status, 400);
  } finally {
    await server.close();
  }
});

test('serveStatic with cacheAssets lets the browser keep hashed assets only', async () => {
  const server = await serveStatic(site(), { cacheAssets: true });
  try {
    assert.match((await get(server.url, '/assets/app-1234.wasm')).headers['cache-control'], /immutable/);
    assert.equal((await get(server.url, '/index.html')).headers['cache-control'], 'no-store');
  } finally {
    await server.close();
  }
});

test('webdriver.json starts Chromium with the flags every other tool uses', () => {
  const config = JSON.parse(readFileSync(new URL('../../webdriver.json', import.meta.url), 'utf8'));
  const args = config['goog:chromeOptions'].args;
  for (const flag of CHROMIUM_ARGS) assert.ok(args.includes(flag), `webdriver.json lacks ${flag}`);
});

test('webdriver.json starts the same Firefox as the end-to-end test, headless', async () => {
  const { FIREFOX } = await import('../../tools/firefox.mjs');
  const config = JSON.parse(readFileSync(new URL('../../webdriver.json', import.meta.url), 'utf8'));
  assert.equal(config['moz:firefoxOptions'].binary, FIREFOX);
  assert.ok(config['moz:firefoxOptions'].args.includes('-headless'));
});
