// Count the SIMD (v128) instructions in a WebAssembly binary, without any external tool.
//
// It walks the module's sections to the code section (id 10), then decodes every function body
// instruction by instruction (opcode + its immediates), so a 0xFD byte that is part of an
// immediate (a LEB128 constant, a memarg offset, the 16 bytes of v128.const...) is never mistaken
// for the SIMD prefix. Every instruction whose opcode starts with the 0xFD prefix is SIMD.
// Covers the MVP plus the extensions Rust/LLVM emit: sign-extension, saturating truncation,
// bulk memory (0xFC), SIMD128 + relaxed SIMD (0xFD), threads/atomics (0xFE), reference types,
// tail calls and legacy exception handling. An unknown opcode throws (naming its offset) rather
// than guessing. Pure: bytes in, counts out. Unit-tested in tests/js/tools-wasm-simd.test.mjs.
//
//   node tools/wasm-simd.mjs path/to/module.wasm      prints the counts as JSON

import { readFileSync } from 'node:fs';
import { isMain } from './lib.mjs';

/** A few SIMD opcodes worth naming in the report (0xFD sub-opcode -> mnemonic). */
export const SIMD_NAMES = {
  0x00: 'v128.load',
  0x0b: 'v128.store',
  0x0c: 'v128.const',
  0x0d: 'i8x16.shuffle',
  0x13: 'f32x4.splat',
  0xe4: 'f32x4.add',
  0xe5: 'f32x4.sub',
  0xe6: 'f32x4.mul',
  0xe7: 'f32x4.div',
  0xe8: 'f32x4.min',
  0xe9: 'f32x4.max',
  0x105: 'f32x4.relaxed_madd',
};

class Reader {
  constructor(bytes) {
    this.b = bytes;
    this.p = 0;
  }
  byte() {
    if (this.p >= this.b.length) throw new Error(`wasm: unexpected end of data at offset ${this.p}`);
    return this.b[this.p++];
  }
  /** Unsigned LEB128 (up to 64 bits; returned as a Number, exact below 2^53). */
  u() {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if (!(b & 0x80)) return result;
      mul *= 128;
    }
    throw new Error(`wasm: LEB128 too long at offset ${this.p}`);
  }
  /** Signed LEB128: only skipped (its value is never needed here). */
  s() {
    for (let i = 0; i < 10; i++) if (!(this.byte() & 0x80)) return;
    throw new Error(`wasm: LEB128 too long at offset ${this.p}`);
  }
  skip(n) {
    if (this.p + n > this.b.length) throw new Error(`wasm: unexpected end of data at offset ${this.p}`);
    this.p += n;
  }
  memarg() {
    const align = this.u();
    if (align & 0x40) this.u(); // multi-memory: explicit memory index
    this.u(); // offset
  }
}

/** Skip the immediates of one 0xFD (SIMD) instruction with sub-opcode `op`. */
function simdImmediates(r, op) {
  if (op <= 0x0b || op === 0x5c || op === 0x5d) r.memarg(); // loads/stores, load32/64_zero
  else if (op === 0x0c || op === 0x0d) r.skip(16); // v128.const, i8x16.shuffle
  else if (op >= 0x15 && op <= 0x22) r.skip(1); // extract_lane / replace_lane
  else if (op >= 0x54 && op <= 0x5b) {
    r.memarg(); // load*_lane / store*_lane
    r.skip(1);
  }
  // everything else (arithmetic, comparisons, conversions, relaxed SIMD 0x100..) has no immediates
}

/** Skip the immediates of one 0xFC instruction. */
function miscImmediates(r, op, at) {
  if (op <= 0x07) return; // trunc_sat
  switch (op) {
    case 0x08: r.u(); r.u(); return; // memory.init data, mem
    case 0x09: r.u(); return; // data.drop
    case 0x0a: r.u(); r.u(); return; // memory.copy
    case 0x0b: r.u(); return; // memory.fill
    case 0x0c: r.u(); r.u(); return; // table.init
    case 0x0d: r.u(); return; // elem.drop
    case 0x0e: r.u(); r.u(); return; // table.copy
    case 0x0f: case 0x10: case 0x11: r.u(); return; // table.grow/size/fill
    default: throw new Error(`wasm: unknown opcode 0xfc ${op} at offset ${at}`);
  }
}

/** Skip the immediates of one 0xFE (atomics) instruction. */
function atomicImmediates(r, op, at) {
  if (op === 0x03) r.skip(1); // atomic.fence
  else if (op <= 0x02 || (op >= 0x10 && op <= 0x4e)) r.memarg();
  else throw new Error(`wasm: unknown opcode 0xfe ${op} at offset ${at}`);
}

/**
 * Decode instructions in r up to `end`; calls onSimd(subOpcode) for each SIMD instruction.
 * Returns the number of instructions decoded.
 */
function decodeBody(r, end, onSimd) {
  let count = 0;
  while (r.p < end) {
    const at = r.p;
    const op = r.byte();
    count++;
    if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x19 || op === 0x1a || op === 0x1b || op === 0xd1 || op === 0xd3) continue;
    if (op >= 0x45 && op <= 0xc4) continue; // numeric, no immediates
    switch (op) {
      case 0x02: case 0x03: case 0x04: case 0x06: r.s(); break; // block/loop/if/try: blocktype (s33)
      case 0x07: case 0x08: case 0x09: case 0x0c: case 0x0d: case 0x18: r.u(); break; // catch/throw/rethrow/br/br_if/delegate
      case 0x0e: { // br_table
        const n = r.u();
        for (let i = 0; i <= n; i++) r.u();
        break;
      }
      case 0x10: case 0x12: r.u(); break; // call, return_call
      case 0x11: case 0x13: r.u(); r.u(); break; // call_indirect, return_call_indirect
      case 0x1c: { // select t*
        const n = r.u();
        r.skip(n);
        break;
      }
      case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26: r.u(); break;
      case 0x3f: case 0x40: r.u(); break; // memory.size/grow
      case 0x41: case 0x42: r.s(); break; // i32/i64.const
      case 0x43: r.skip(4); break;
      case 0x44: r.skip(8); break;
      case 0xd0: r.s(); break; // ref.null heaptype
      case 0xd2: case 0xd4: case 0xd5: r.u(); break; // ref.func, br_on_null, br_on_non_null
      case 0xfc: miscImmediates(r, r.u(), at); break;
      case 0xfd: {
        const sub = r.u();
        simdImmediates(r, sub);
        onSimd(sub);
        break;
      }
      case 0xfe: atomicImmediates(r, r.u(), at); break;
      default:
        if (op >= 0x28 && op <= 0x3e) {
          r.memarg(); // loads and stores
          break;
        }
        throw new Error(`wasm: unknown opcode 0x${op.toString(16)} at offset ${at}`);
    }
  }
  if (r.p !== end) throw new Error(`wasm: function body overran its size (ended at ${r.p}, expected ${end})`);
  return count;
}

/**
 * Count SIMD instructions in a wasm binary.
 * Returns { simd, instructions, functions, functionsWithSimd, byOpcode: {hexSubOpcode: n}, named: {mnemonic: n} }.
 */
export function countSimd(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const r = new Reader(b);
  const magic = [0x00, 0x61, 0x73, 0x6d];
  for (let i = 0; i < 4; i++) if (r.byte() !== magic[i]) throw new Error('wasm: bad magic (not a WebAssembly module)');
  const version = r.byte() | (r.byte() << 8) | (r.byte() << 16) | (r.byte() << 24);
  if (version !== 1) throw new Error(`wasm: unsupported version ${version}`);

  const out = { simd: 0, instructions: 0, functions: 0, functionsWithSimd: 0, byOpcode: {}, named: {} };
  const onSimd = (sub) => {
    out.simd++;
    const key = `0x${sub.toString(16).padStart(2, '0')}`;
    out.byOpcode[key] = (out.byOpcode[key] || 0) + 1;
    if (SIMD_NAMES[sub]) out.named[SIMD_NAMES[sub]] = (out.named[SIMD_NAMES[sub]] || 0) + 1;
  };
  while (r.p < b.length) {
    const id = r.byte();
    const size = r.u();
    const end = r.p + size;
    if (end > b.length) throw new Error(`wasm: section ${id} runs past the end of the file`);
    if (id === 10) {
      const n = r.u();
      for (let f = 0; f < n; f++) {
        const bodySize = r.u();
        const bodyEnd = r.p + bodySize;
        const groups = r.u();
        for (let g = 0; g < groups; g++) {
          r.u(); // count
          r.s(); // valtype (single byte for numeric/vector/ref types)
        }
        const before = out.simd;
        out.instructions += decodeBody(r, bodyEnd, onSimd);
        out.functions++;
        if (out.simd > before) out.functionsWithSimd++;
      }
      if (r.p !== end) throw new Error('wasm: code section size mismatch');
    }
    r.p = end;
  }
  return out;
}

if (isMain(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node tools/wasm-simd.mjs module.wasm');
    process.exit(2);
  }
  console.log(JSON.stringify(countSimd(readFileSync(file)), null, 2));
}
