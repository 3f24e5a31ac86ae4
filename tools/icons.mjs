#!/usr/bin/env node
// Renders the app's icon (www/public/icons/icon.svg) to the PNG sizes its web app manifest names
// (192 and 512 pixels), with Debian's Chromium. The PNGs are committed; rerun after changing the
// SVG. tests/js/manifest.test.mjs checks that each named icon exists at its stated size.
//
//   node tools/icons.mjs

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { ROOT, logger, main } from './lib.mjs';

const log = logger('icons');
const DIR = join(ROOT, 'www', 'public', 'icons');

main('icons', async () => {
  const svg = readFileSync(join(DIR, 'icon.svg'), 'utf8');
  const browser = await launchChromium();
  try {
    for (const size of [192, 512]) {
      const page = await browser.newPage({ viewport: { width: size, height: size } });
      await page.setContent(`<style>html,body{margin:0}svg{display:block;width:${size}px;height:${size}px}</style>${svg}`);
      const path = join(DIR, `icon-${size}.png`);
      await page.screenshot({ path, omitBackground: true });
      log(`wrote ${path}`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
});
