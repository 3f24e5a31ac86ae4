// Starting the pool's helper workers: each is initialised with the compiled wasm module, and any
// that fails or does not answer in time is left out, so the app never waits on a helper.

import { RpcClient } from '../protocol/protocol.js';
import { TrainerPool } from './parallel.js';
import { SHARD } from './shard.js';
/**
 * Starts `count` helper workers from `makeWorker()` and initialises each with the compiled wasm
 * `module`. Helpers that fail to start, or do not answer within `initTimeoutMs`, are left out (and
 * terminated), so the app never waits on a helper. Returns { pool, workers }.
 */
export async function startPool(count, makeWorker, module, { onHelperLost, initTimeoutMs = 20_000 } = {}) {
  const workers = [];
  const started = await Promise.all(
    Array.from({ length: Math.max(0, count) }, async () => {
      let w;
      let timer;
      try {
        w = makeWorker();
        const rpc = new RpcClient(w);
        const timeout = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('the helper worker did not start in time')), initTimeoutMs);
        });
        await Promise.race([rpc.call(SHARD.INIT, { module }), timeout]);
        return { w, rpc };
      } catch (err) {
        if (w) w.terminate();
        return null;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const ok = started.filter(Boolean);
  ok.forEach(({ w }) => workers.push(w));
  const pool = new TrainerPool(
    ok.map((s) => s.rpc),
    { terminate: (i) => ok[i].w.terminate(), onHelperLost },
  );
  return { pool, workers };
}
