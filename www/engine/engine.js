// Loading the engine inside a worker: the wasm module, compiled once after a SIMD probe, and the
// helper workers of the data-parallel pool (parallel.js) started from it. Shared by the app's worker
// (worker.js) and the benchmark's (bench-worker.js), so both measure and run the same start-up.
// No DOM access: this runs inside a worker.

import { simd } from 'wasm-feature-detect';
import { startPool } from '../pool/start.js';
import { coresOf, workerCount } from '../pool/shares.js';

/** Fetches and compiles the wasm at `wasmUrl`, after checking that this engine supports SIMD. */
export async function compileEngine(wasmUrl) {
  // Probe first, for a clear message instead of a CompileError. There is no build without SIMD: the
  // gemm crate compiles its SIMD128 kernels into every wasm32 build (docs/performance.md, "No build without SIMD").
  if (!(await simd())) {
    throw new Error('this browser does not support WebAssembly SIMD (Chrome/Edge 91+, Firefox 89+, Safari 16.4+), which the engine needs');
  }
  const res = await fetch(wasmUrl);
  if (!res.ok) throw new Error(`could not fetch the wasm engine (${res.status} ${res.statusText})`);
  try {
    return await WebAssembly.compileStreaming(res.clone());
  } catch {
    return WebAssembly.compile(await res.arrayBuffer()); // served without the application/wasm type
  }
}

/**
 * Starts one helper worker per further core (`requested` sets the total, device memory caps it: see
 * workerCount), each initialised with the compiled `module`; training goes on without any that fail
 * to start. Resolves to { pool, workers } (startPool).
 */
export function startHelpers(module, requested, { onHelperLost } = {}) {
  const count = workerCount(coresOf(self.navigator), requested, self.navigator?.deviceMemory) - 1;
  const make = () => new Worker(new URL('../pool/shard-worker.js', import.meta.url), { type: 'module', name: 'inkling-shard' });
  return startPool(count, make, module, { onHelperLost });
}
