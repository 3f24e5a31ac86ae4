// The build's service-worker step (a Vite plugin): lists the files of the built site that the
// service worker (www/offline/sw.js) caches, names the build by a hash of their contents, and writes
// dist/sw.js with both filled in. The MNIST files are left out: the data loader keeps them in its
// own cache (www/data/data.js), across builds.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../www/offline/sw.js', import.meta.url));

/** Does the service worker cache this built file (a path relative to the site's root)? */
export function cached(path) {
  if (path === 'sw.js') return false;
  if (path.startsWith('data/')) return path.endsWith('/dataset.json');
  return true;
}

/** Every file under `dir`, as '/'-separated paths relative to it, sorted. */
export function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** The build's name: 12 hex digits of a SHA-256 over each cached file's path and bytes. */
export function buildId(dir, files) {
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f}\0`).update(readFileSync(join(dir, f))).update('\0');
  return hash.digest('hex').slice(0, 12);
}

/** The service worker's source with the build's name and files filled in. */
export function serviceWorker(source, build, files) {
  for (const placeholder of ["'__INKLING_BUILD__'", "['__INKLING_FILES__']"]) {
    if (!source.includes(placeholder)) throw new Error(`www/offline/sw.js: the placeholder ${placeholder} is missing`);
  }
  const list = ['./', ...files].map((f) => JSON.stringify(f)).join(', ');
  return source.replace("'__INKLING_BUILD__'", JSON.stringify(build)).replace("['__INKLING_FILES__']", `[${list}]`);
}

/** Writes `dir`/sw.js for the site built in `dir`; resolves to { build, files }. */
export function writeServiceWorker(dir) {
  const files = listFiles(dir).filter(cached);
  const build = buildId(dir, files);
  writeFileSync(join(dir, 'sw.js'), serviceWorker(readFileSync(SOURCE, 'utf8'), build, files));
  return { build, files };
}

/** The Vite plugin: after `vite build` has written the site, adds its sw.js. */
export function precache() {
  let outDir;
  return {
    name: 'inkling-precache',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const { build, files } = writeServiceWorker(outDir);
      this.info?.(`sw.js: build ${build}, ${files.length} files`);
    },
  };
}
