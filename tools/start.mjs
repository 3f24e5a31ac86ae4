#!/usr/bin/env node
// `npm start`: set up what is missing (no browser needed), prepare the data (MNIST_DIR respected),
// build the wasm + web app, then serve dist/ with `vite preview` on 127.0.0.1 (the COOP/COEP headers
// come from www/vite.config.js). `--dev` serves the sources with the Vite dev server instead.
//
//   npm start                       http://127.0.0.1:4173/
//   npm start -- --port 8080        (or PORT=8080 npm start)
//   npm start -- --dev              Vite dev server (hot reload of www/; rebuild wasm with build.mjs --wasm)

import { parseArgs } from 'node:util';
import { VITE, VITE_CONFIG, build } from './build.mjs';
import { ensureData } from './data.mjs';
import { ROOT, banner, logger, main, runStatus } from './lib.mjs';
import { setup } from './setup.mjs';

const log = logger('start');

main('start', async () => {
  const { values } = parseArgs({
    options: {
      dev: { type: 'boolean' },
      port: { type: 'string', default: process.env.PORT },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const port = values.port || (values.dev ? '5173' : '4173');
  await setup({ browser: false });
  await ensureData();
  await build({ wasm: true, web: !values.dev });

  banner(values.dev ? 'serve (vite dev server)' : 'serve (vite preview of dist/)');
  const url = `http://${values.host}:${port}/`;
  log(`Inkling at ${url}  (Ctrl-C to stop)`);
  const args = [values.dev ? 'dev' : 'preview', '--config', VITE_CONFIG, '--host', values.host, '--port', port, '--strictPort'];
  return runStatus(VITE, args, { cwd: ROOT });
});
