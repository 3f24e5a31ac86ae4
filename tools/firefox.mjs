// The one Firefox launcher of the repository's tools: Debian's firefox-esr (installed by
// `node tools/setup.mjs --browser`, never downloaded), driven with puppeteer-core over WebDriver BiDi.
// The window size is a launch flag: this Firefox's BiDi lacks the command puppeteer's
// setViewport sends.
//
//   env: FIREFOX (default /usr/bin/firefox-esr)

/** Debian's Firefox ESR. */
export const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';

/** Launch headless Firefox with a `width`×`height` window; resolves to puppeteer's Browser. */
export async function launchFirefox({ width = 1280, height = 1000 } = {}) {
  const { default: puppeteer } = await import('puppeteer-core');
  return puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, defaultViewport: null, args: [`--width=${width}`, `--height=${height}`] });
}
