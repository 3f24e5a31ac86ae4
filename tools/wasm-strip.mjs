// Removes the `name` custom section (function and local names, for stack traces and profilers) from
// a wasm module: a large share of the engine's download, and nothing the engine runs needs. Every
// other section is copied byte for byte. `node tools/build.mjs --keep-names` keeps them for debugging.

/** Reads an unsigned LEB128 at `at`: [value, next offset]. */
function leb128(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at >= bytes.length) throw new Error('truncated wasm module (LEB128 runs past the end)');
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return [value, at];
    shift += 7;
    if (shift > 35) throw new Error('malformed wasm module (LEB128 longer than 5 bytes)');
  }
}

/** The module's sections: [{ id, name (custom sections only), start, end }] in file order. */
export function sections(bytes) {
  const magic = [0x00, 0x61, 0x73, 0x6d];
  if (bytes.length < 8 || magic.some((m, i) => bytes[i] !== m)) throw new Error('not a wasm module (bad magic number)');
  const out = [];
  let at = 8;
  while (at < bytes.length) {
    const start = at;
    const id = bytes[at];
    const [size, body] = leb128(bytes, at + 1);
    const end = body + size;
    if (end > bytes.length) throw new Error(`truncated wasm module (section ${id} ends past the file)`);
    let name;
    if (id === 0) {
      const [len, nameAt] = leb128(bytes, body);
      name = new TextDecoder().decode(bytes.subarray(nameAt, nameAt + len));
    }
    out.push({ id, name, start, end });
    at = end;
  }
  return out;
}

/** `bytes` without its `name` custom section(s), as a new Uint8Array. */
export function stripNames(bytes) {
  const keep = sections(bytes).filter((s) => !(s.id === 0 && s.name === 'name'));
  const size = 8 + keep.reduce((n, s) => n + s.end - s.start, 0);
  const out = new Uint8Array(size);
  out.set(bytes.subarray(0, 8));
  let at = 8;
  for (const s of keep) {
    out.set(bytes.subarray(s.start, s.end), at);
    at += s.end - s.start;
  }
  return out;
}
