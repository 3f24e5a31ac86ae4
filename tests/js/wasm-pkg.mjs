// The built wasm package (www/pkg) for the JS tests that use it: whether it is there (tests skip
// without it), loading it in node, and the keys its TypeScript declarations give an interface.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const pkgDir = fileURLToPath(new URL('../../www/pkg/', import.meta.url));
export const wasmPath = `${pkgDir}inkling_bg.wasm`;
export const skip = existsSync(wasmPath) ? false : 'www/pkg/inkling_bg.wasm is missing: build it first (npm run build)';

/** The package's module namespace, initialised. */
export async function loadWasm() {
  const wasm = await import(`${pkgDir}inkling.js`);
  await wasm.default({ module_or_path: readFileSync(wasmPath) });
  return wasm;
}

let dts;

/** The property names declared by `export interface name { ... }` in inkling.d.ts (no nested object types), sorted. */
export function declaredKeys(name) {
  dts ??= readFileSync(`${pkgDir}inkling.d.ts`, 'utf8');
  const m = dts.match(new RegExp(`export interface ${name} \\{([^}]*)\\}`));
  assert.ok(m, `inkling.d.ts declares interface ${name}`);
  return [...m[1].matchAll(/([A-Za-z_][A-Za-z0-9_]*)\??:/g)].map((k) => k[1]).sort();
}
