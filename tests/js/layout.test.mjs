// The layout's rules, read from the sources: no import circle among the JavaScript modules, and the
// DOM touched only by the page (www/app/) and the bench page's own module (www/bench/bench.js);
// workers, the pool and the shared modules stay free of it so they run in a worker and in node.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function sources(dir, out = []) {
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'pkg' && e.name !== 'public') sources(p, out);
    } else if (/\.m?js$/.test(e.name)) out.push(normalize(p));
  }
  return out;
}

const FILES = [...sources('www'), ...sources('tools')];
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"?]+)|import\(?\s*['"](\.{1,2}\/[^'"?]+)/g;

function importsOf(file) {
  const src = readFileSync(join(ROOT, file), 'utf8');
  return [...src.matchAll(IMPORT)].map((m) => normalize(join(dirname(file), m[1] || m[2])));
}

test('no import circle among the www/ and tools/ modules', () => {
  const graph = new Map(FILES.map((f) => [f, importsOf(f).filter((d) => FILES.includes(d))]));
  assert.ok(graph.get(normalize('www/engine/worker.js')).includes(normalize('www/engine/state.js')), 'the import scan sees imports');
  const state = new Map();
  const circles = [];
  const visit = (f, path) => {
    state.set(f, 'open');
    for (const d of graph.get(f)) {
      if (state.get(d) === 'open') circles.push([...path.slice(path.indexOf(d)), d].join(' -> '));
      else if (!state.has(d)) visit(d, [...path, d]);
    }
    state.set(f, 'done');
  };
  for (const f of FILES) if (!state.has(f)) visit(f, [f]);
  assert.deepEqual(circles, []);
});

test('only the page modules touch the DOM', () => {
  const DOM = /\b(document|window)\.|\bHTMLElement\b|\blocalStorage\b/;
  const allowed = (f) => f.startsWith(normalize('www/app/')) || f === normalize('www/bench/bench.js') || f === normalize('www/bench/peers.js');
  const offenders = FILES.filter((f) => f.startsWith('www') && !allowed(f))
    .filter((f) => readFileSync(join(ROOT, f), 'utf8').split('\n').some((l) => !/^\s*(\/\/|\*)/.test(l) && DOM.test(l)));
  assert.deepEqual(offenders.map((f) => relative('.', f)), []);
  assert.ok(FILES.some((f) => allowed(f) && DOM.test(readFileSync(join(ROOT, f), 'utf8'))), 'the scan finds the page\'s DOM access');
});
