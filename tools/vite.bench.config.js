// Vite config for the benchmark page only (www/bench/bench.html + bench.js + bench-worker.js), used by
// tools/bench.mjs. It extends the app's www/vite.config.js (same root, worker format, build
// target) but builds just the bench entry into bench-results/site/ (git-ignored), so the app's
// dist/ stays exactly what ships. The data files come along through the same publicDir.
import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vite';
import app from '../www/vite.config.js';

export const BENCH_OUT = fileURLToPath(new URL('../bench-results/site', import.meta.url));

export default mergeConfig(app, {
  build: {
    outDir: BENCH_OUT,
    emptyOutDir: true,
    rollupOptions: { input: { bench: fileURLToPath(new URL('../www/bench/bench.html', import.meta.url)) } },
  },
});
