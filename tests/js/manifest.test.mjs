// The web app manifest (www/public/manifest.webmanifest): what makes the app installable, and each
// icon it names present at its stated size (tools/icons.mjs renders them).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const PUBLIC = join(import.meta.dirname, '..', '..', 'www', 'public');
const manifest = JSON.parse(readFileSync(join(PUBLIC, 'manifest.webmanifest'), 'utf8'));

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes) {
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

test('the manifest has what an install needs', () => {
  assert.equal(manifest.short_name, 'Inkling');
  assert.equal(manifest.start_url, './');
  assert.equal(manifest.display, 'standalone');
  const sizes = manifest.icons.map((i) => i.sizes);
  assert.ok(sizes.includes('192x192') && sizes.includes('512x512'), `192 and 512 px icons (${sizes})`);
});

test('every icon the manifest names exists at its stated size', () => {
  for (const icon of manifest.icons) {
    const path = join(PUBLIC, icon.src);
    assert.ok(existsSync(path), path);
    if (icon.type === 'image/png') assert.equal(pngSize(readFileSync(path)), icon.sizes, icon.src);
    else assert.match(readFileSync(path, 'utf8'), /<svg/);
  }
});

test('the page links the manifest and the icons the build copies', () => {
  const html = readFileSync(join(PUBLIC, '..', '..', 'index.html'), 'utf8');
  assert.match(html, /<link rel="manifest" href="\/manifest.webmanifest" \/>/);
  for (const [, href] of html.matchAll(/<link rel="(?:icon|apple-touch-icon)" href="\/([^"]+)"/g)) assert.ok(existsSync(join(PUBLIC, href)), href);
});
