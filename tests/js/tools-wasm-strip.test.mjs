// tools/wasm-strip.mjs: the `name` section goes, every other byte of the module stays, and the result
// still compiles with the same exports (a hand-made module, and the built engine when present).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sections, stripNames } from '../../tools/wasm-strip.mjs';

const custom = (name, payload) => {
  const n = new TextEncoder().encode(name);
  const body = [n.length, ...n, ...payload];
  return [0, body.length, ...body];
};
// (func (export "two") (result i32) i32.const 2), then a name section and a "keep" section.
const MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type: () -> i32
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x07, 0x07, 0x01, 0x03, 0x74, 0x77, 0x6f, 0x00, 0x00, // export "two" = func 0
  0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x02, 0x0b, // code: i32.const 2
  ...custom('name', [0x01, 0x06, 0x01, 0x00, 0x03, 0x74, 0x77, 0x6f]), // function 0 is "two"
  ...custom('keep', [1, 2, 3]),
]);

test('the name section is removed and every other section kept byte for byte', async () => {
  assert.deepEqual(sections(MODULE).map((s) => s.name ?? s.id), [1, 3, 7, 10, 'name', 'keep']);
  const out = stripNames(MODULE);
  assert.deepEqual(sections(out).map((s) => s.name ?? s.id), [1, 3, 7, 10, 'keep']);
  const nameSection = sections(MODULE).find((s) => s.name === 'name');
  assert.equal(out.length, MODULE.length - (nameSection.end - nameSection.start));
  assert.deepEqual(out.subarray(0, nameSection.start), MODULE.subarray(0, nameSection.start));
  const { instance } = await WebAssembly.instantiate(out);
  assert.equal(instance.exports.two(), 2);
  assert.deepEqual(stripNames(out), out, 'stripping twice changes nothing');
});

test('a damaged module is refused with a message', () => {
  assert.throws(() => stripNames(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])), /bad magic/);
  assert.throws(() => stripNames(MODULE.subarray(0, MODULE.length - 2)), /truncated/);
});

const built = fileURLToPath(new URL('../../www/pkg/inkling_bg.wasm', import.meta.url));
test('the built engine has no name section and compiles with its exports', { skip: existsSync(built) ? false : 'www/pkg is not built' }, async () => {
  const bytes = readFileSync(built);
  assert.ok(!sections(bytes).some((s) => s.name === 'name'), 'the build strips the names');
  const exports = WebAssembly.Module.exports(await WebAssembly.compile(bytes)).map((e) => e.name);
  assert.ok(exports.includes('trainer_new') && exports.includes('memory'), exports.slice(0, 5).join(', '));
});
