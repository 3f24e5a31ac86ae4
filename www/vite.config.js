// Vite config for the Inkling front end.
//   dev:      npx vite --config www/vite.config.js
//   build:    npx vite build --config www/vite.config.js      (-> dist/, works from any static host)
//   preview:  npx vite preview --config www/vite.config.js
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { precache } from '../tools/precache.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

// Cross-origin isolation (needed for wasm threads / SharedArrayBuffer later).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The dev server's hot-reload client talks over a WebSocket; allow it in dev only. */
function devCsp() {
  return {
    name: 'inkling-dev-csp',
    apply: 'serve',
    transformIndexHtml(html) {
      return html.replace("connect-src 'self'", "connect-src 'self' ws: wss:");
    },
  };
}

export default defineConfig({
  root,
  base: './',
  publicDir: 'www/public',
  plugins: [devCsp(), precache()],
  server: {
    host: '127.0.0.1',
    strictPort: false,
    headers: isolationHeaders,
    watch: {
      // The Rust build tree is huge and irrelevant to the page.
      ignored: ['**/target/**', '**/dist/**', '**/.git/**', '**/test-results/**', '**/bench-results/**'],
    },
  },
  preview: {
    host: '127.0.0.1',
    headers: isolationHeaders,
  },
  worker: {
    format: 'es',
  },
  optimizeDeps: {
    // The wasm-bindgen package must not be pre-bundled (it locates its .wasm via import.meta.url).
    exclude: ['inkling'],
    entries: ['index.html'],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: (file) => (file.endsWith('.wasm') ? false : undefined),
    chunkSizeWarningLimit: 1024,
    sourcemap: false,
  },
});
