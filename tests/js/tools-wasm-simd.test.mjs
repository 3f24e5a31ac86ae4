// Unit tests for tools/wasm-simd.mjs (the SIMD instruction counter used by `npm run bench`),
// on tiny hand-assembled wasm modules whose immediates deliberately contain 0xFD bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countSimd } from '../../tools/wasm-simd.mjs';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const section = (id, payload) => [id, payload.length, ...payload]; // sizes < 128 here
const body = (locals, code) => {
  const b = [...locals, ...code, 0x0b]; // end
  return [b.length, ...b];
};

/** A module with one memory and the given function bodies (all of type () -> ()). */
function moduleWith(bodies) {
  const n = bodies.length;
  const code = [n, ...bodies.flat()];
  return new Uint8Array([
    ...HEADER,
    ...section(1, [0x01, 0x60, 0x00, 0x00]), // type: () -> ()
    ...section(3, [n, ...Array(n).fill(0)]), // functions: all type 0
    ...section(5, [0x01, 0x00, 0x01]), // memory: min 1 page
    ...section(10, code),
  ]);
}

const V128_CONST_WITH_FD = [0xfd, 0x0c, ...Array(16).fill(0xfd)]; // v128.const whose 16 bytes are all 0xFD

const SIMD_BODY = body(
  [0x01, 0x01, 0x7b], // one v128 local
  [
    ...V128_CONST_WITH_FD, // simd 1
    ...V128_CONST_WITH_FD, // simd 2
    0xfd, 0xe4, 0x01, // f32x4.add (sub-opcode 0xE4 = LEB e4 01)          simd 3
    0x21, 0x00, // local.set 0
    0x41, 0x00, // i32.const 0
    0xfd, 0x00, 0x04, 0xfd, 0x01, // v128.load align=16 offset=253 (0xFD in the memarg)  simd 4
    0x1a, // drop
    0x20, 0x00, // local.get 0
    0xfd, 0x1f, 0x03, // f32x4.extract_lane 3                                 simd 5
    0x1a, // drop
    0x41, 0xfd, 0x00, // i32.const 125 (LEB bytes fd 00): not SIMD
    0x1a, // drop
    0x42, 0xfd, 0x7f, // i64.const -3 (fd 7f): not SIMD
    0x1a, // drop
  ],
);
const SCALAR_BODY = body(
  [0x00],
  [
    0x41, 0xfd, 0xfd, 0x03, // i32.const (LEB fd fd 03)
    0x41, 0x00, // i32.const 0
    0x28, 0x02, 0xfd, 0x01, // i32.load offset=253
    0x6a, // i32.add
    0x1a, // drop
    0x02, 0x40, 0x0c, 0x00, 0x0b, // block br 0 end
  ],
);

test('the handcrafted modules are valid wasm', () => {
  assert.ok(WebAssembly.validate(moduleWith([SIMD_BODY])));
  assert.ok(WebAssembly.validate(moduleWith([SCALAR_BODY, SIMD_BODY])));
});

test('counts 0xFD-prefixed instructions, not 0xFD bytes in immediates', () => {
  const bytes = moduleWith([SIMD_BODY]);
  const rawFd = bytes.filter((b) => b === 0xfd).length;
  const r = countSimd(bytes);
  assert.equal(r.simd, 5);
  assert.ok(rawFd > 30, 'a naive byte count would be far off');
  assert.equal(r.functions, 1);
  assert.equal(r.functionsWithSimd, 1);
  assert.equal(r.named['v128.const'], 2);
  assert.equal(r.named['f32x4.add'], 1);
  assert.equal(r.named['v128.load'], 1);
  assert.equal(r.byOpcode['0x1f'], 1);
  assert.equal(r.instructions, 15); // including the final end
});

test('scalar-only functions count zero', () => {
  const r = countSimd(moduleWith([SCALAR_BODY, SIMD_BODY]));
  assert.equal(r.functions, 2);
  assert.equal(r.functionsWithSimd, 1);
  assert.equal(r.simd, 5);
  assert.equal(countSimd(moduleWith([SCALAR_BODY])).simd, 0);
  assert.equal(countSimd(new Uint8Array(HEADER)).simd, 0); // empty module
});

test('rejects garbage and truncated modules', () => {
  assert.throws(() => countSimd(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /bad magic/);
  const bytes = moduleWith([SIMD_BODY]);
  assert.throws(() => countSimd(bytes.subarray(0, bytes.length - 5)), /wasm:/);
  const bad = moduleWith([body([0x00], [0xff])]); // 0xFF is no opcode
  assert.throws(() => countSimd(bad), /unknown opcode 0xff/);
});
