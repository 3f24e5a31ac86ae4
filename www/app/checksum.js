// CRC-32 (IEEE 802.3, the zlib / PNG polynomial) over byte arrays. Pure; unit-tested.
// Used to detect corrupt records in IndexedDB.

let TABLE = null;

function table() {
  if (TABLE) return TABLE;
  TABLE = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    TABLE[n] = c >>> 0;
  }
  return TABLE;
}

/**
 * CRC-32 of one or more byte arrays (as if concatenated). Strings are UTF-8 encoded.
 * crc32('123456789') === 0xcbf43926.
 */
export function crc32(...parts) {
  const t = table();
  let c = 0xffffffff;
  for (let part of parts) {
    if (typeof part === 'string') part = new TextEncoder().encode(part);
    else if (part instanceof ArrayBuffer) part = new Uint8Array(part);
    else if (ArrayBuffer.isView(part) && !(part instanceof Uint8Array)) {
      part = new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
    }
    for (let i = 0; i < part.length; i++) c = t[(c ^ part[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}
