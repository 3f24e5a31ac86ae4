// The browser probe behind the start-up notice for missing features (shared/features.js says what
// each one costs). WebAssembly SIMD is probed where the engine loads (engine/engine.js).

import { missingFeaturesMessage } from '../shared/features.js';

/**
 * Does this browser start `{ type: 'module' }` workers? It reads the option only if it does, and
 * reads it before parsing the URL, which is invalid so that no worker starts.
 */
function moduleWorkers() {
  let read = false;
  try {
    new Worker('http://[', {
      get type() {
        read = true;
        return 'module';
      },
    }).terminate();
  } catch {
    /* the URL: expected */
  }
  return read;
}

/** What this browser has of shared/features.js's FEATURES. */
export function probeFeatures() {
  return {
    webassembly: typeof WebAssembly === 'object',
    moduleWorkers: typeof Worker === 'function' && moduleWorkers(),
    decompression: typeof DecompressionStream === 'function',
    indexedDB: typeof indexedDB === 'object' && indexedDB !== null,
  };
}

/** The notice for what is missing, or null. */
export const missingFeatures = () => missingFeaturesMessage(probeFeatures());
