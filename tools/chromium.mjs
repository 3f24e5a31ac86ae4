// The one Chromium launcher of the repository's tools: Debian's chromium (installed by
// `node tools/setup.mjs --browser`, never downloaded by Playwright), driven with playwright-core.
// The flags keep a headless run quiet and runnable as root; webdriver.json (read by
// `wasm-pack test --chrome` at the crate root) carries the same flags, and a test checks it.
//
//   env: CHROMIUM (default /usr/bin/chromium)

/** Debian's Chromium. */
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Flags for every headless Chromium the tools start. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Launch headless Chromium with playwright-core; resolves to its Browser. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
