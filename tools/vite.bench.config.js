// Vite config for the benchmark pages only (www/bench/bench.html + bench.js + bench-worker.js, and the
// peers page www/bench/peers.html with TensorFlow.js and jax-js), used by
// tools/bench.mjs. It extends the app's www/vite.config.js (same root, worker format, build
// target) but builds just the bench entry into bench-results/site/ (git-ignored), so the app's
// dist/ stays exactly what ships. The data files come along through the same publicDir.
import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vite';
import app from '../www/vite.config.js';

export const BENCH_OUT = fileURLToPath(new URL('../bench-results/site', import.meta.url));

export default mergeConfig(app, {
  build: {
    // TF.js's threaded wasm backend starts its pthread workers from the source text of one of its
    // functions (Function.prototype.toString), which breaks once a minifier renames the names it uses.
    minify: false,
    outDir: BENCH_OUT,
    emptyOutDir: true,
    rollupOptions: {
      input: {
        bench: fileURLToPath(new URL('../www/bench/bench.html', import.meta.url)),
        peers: fileURLToPath(new URL('../www/bench/peers.html', import.meta.url)),
      },
    },
  },
});
