// Reading the header of a safetensors file (checks before handing bytes to the worker) and
// checks on an uploaded weights file. Pure (no DOM, no wasm); unit-tested.
//
// Layout: 8-byte little-endian header length N, N bytes of JSON
// { "__metadata__": {..strings..}, "<tensor>": { dtype, shape, data_offsets: [begin, end] }, ... },
// then the tensor data.

export const MAX_WEIGHTS_BYTES = 50 * 1024 * 1024; // 50 MB
// The core's presets and `custom` (a network of one's own, whose layers the file's `spec` holds).
export const MODELS = ['mlp-plain', 'mlp', 'cnn', 'keras-cnn', 'cnn-large', 'custom'];

const DTYPE_BYTES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, U16: 2, U32: 4, U64: 8, BOOL: 1 };

export class WeightsFileError extends Error {
  constructor(message) {
    super(message);
    this.name = 'WeightsFileError';
  }
}

/** Check name and size of a chosen file before reading it. Returns an error message or null. */
export function checkWeightsFile({ name = '', size = 0 }, maxBytes = MAX_WEIGHTS_BYTES) {
  if (!/\.safetensors$/i.test(name)) return `"${name}" is not a .safetensors file.`;
  if (size <= 8) return `"${name}" is empty or too small to be a safetensors file.`;
  if (size > maxBytes) {
    return `"${name}" is ${(size / 1e6).toFixed(1)} MB; the limit is ${(maxBytes / 1e6).toFixed(0)} MB.`;
  }
  return null;
}

/**
 * Parse and validate the header. Returns { headerLength, metadata, tensors } where tensors maps
 * names to { dtype, shape, data_offsets }. Throws WeightsFileError with a readable message.
 */
export function readSafetensorsHeader(bytes) {
  if (!(bytes instanceof Uint8Array)) bytes = new Uint8Array(bytes);
  if (bytes.length < 8) throw new WeightsFileError('The file is too small to be a safetensors file.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (hi !== 0 || n < 2 || n > bytes.length - 8) {
    throw new WeightsFileError('Not a safetensors file (the header length is out of range).');
  }
  let header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new WeightsFileError('Not a safetensors file (the header is not valid JSON).');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) {
    throw new WeightsFileError('Not a safetensors file (the header is not a JSON object).');
  }
  const dataLength = bytes.length - 8 - n;
  const metadata = header.__metadata__ && typeof header.__metadata__ === 'object' ? header.__metadata__ : {};
  const tensors = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const ok =
      info &&
      typeof info.dtype === 'string' &&
      Array.isArray(info.shape) &&
      Array.isArray(info.data_offsets) &&
      info.data_offsets.length === 2;
    if (!ok) throw new WeightsFileError(`The file is corrupt (tensor "${name}" has a malformed entry).`);
    const [begin, end] = info.data_offsets;
    if (!(Number.isInteger(begin) && Number.isInteger(end) && begin >= 0 && begin <= end && end <= dataLength)) {
      throw new WeightsFileError(`The file is truncated or corrupt (tensor "${name}" lies outside the data).`);
    }
    const width = DTYPE_BYTES[info.dtype];
    if (width) {
      const elems = info.shape.reduce((a, b) => a * b, 1);
      if (elems * width !== end - begin) {
        throw new WeightsFileError(`The file is corrupt (tensor "${name}" has the wrong size for its shape).`);
      }
    }
    tensors[name] = info;
  }
  if (!Object.keys(tensors).length) throw new WeightsFileError('The file holds no tensors.');
  return { headerLength: n, metadata, tensors };
}

/**
 * Which Inkling model a weights file is for: metadata.model when it names a known model.
 * Returns { model, format } or throws WeightsFileError.
 */
export function describeWeights(bytes) {
  const { metadata, tensors } = readSafetensorsHeader(bytes);
  const model = metadata.model;
  if (model !== undefined && !MODELS.includes(model)) {
    throw new WeightsFileError(`The file is for an unknown model "${model}".`);
  }
  return { model: model ?? null, format: metadata.format ?? null, tensorCount: Object.keys(tensors).length };
}
