// The one WebKit launcher of the repository's tools: Debian's WebKitGTK MiniBrowser driven by its
// WebDriver (`WebKitWebDriver` from webkit2gtk-driver, installed by `node tools/setup.mjs --browser`,
// never downloaded) through selenium-webdriver. MiniBrowser has no headless mode, so it draws on a
// private Xvfb display that lives as long as the session.
//
//   env: WEBKIT_DRIVER (default /usr/bin/WebKitWebDriver), MINIBROWSER (default Debian's path)

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** Debian's WebKitGTK WebDriver. */
export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver';
/** The browser WebKitWebDriver starts: WebKitGTK's MiniBrowser. */
export const MINIBROWSER = process.env.MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
/** The X server MiniBrowser draws on (xvfb). */
export const XVFB = '/usr/bin/Xvfb';

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts Xvfb on a display it picks itself; resolves to { display, process }. */
function startXvfb(width, height) {
  return new Promise((resolve, reject) => {
    const xvfb = spawn(XVFB, ['-displayfd', '1', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    xvfb.on('error', reject);
    xvfb.on('exit', (code) => reject(new Error(`Xvfb exited (${code}) before it named its display`)));
    xvfb.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve({ display: `:${out.trim()}`, process: xvfb });
    });
  });
}

/** Polls `url` until it answers (the driver's /status), for at most `ms`. */
async function waitUntilUp(url, ms) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`${WEBKIT_DRIVER} did not answer at ${url} within ${ms / 1000}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts MiniBrowser through WebKitWebDriver on a fresh `width`×`height` Xvfb display. Resolves to
 * { driver (selenium's WebDriver), version, quit }: quit ends the session, the driver and the display.
 */
export async function launchWebKit({ width = 1280, height = 1000 } = {}) {
  const { Builder } = await import('selenium-webdriver');
  const xvfb = await startXvfb(width, height);
  const port = await freePort();
  const server = spawn(WEBKIT_DRIVER, [`--port=${port}`], { stdio: 'ignore', env: { ...process.env, DISPLAY: xvfb.display } });
  const stopAll = () => {
    server.kill();
    xvfb.process.removeAllListeners('exit');
    xvfb.process.kill();
  };
  try {
    await waitUntilUp(`http://127.0.0.1:${port}/status`, 10_000);
    const driver = await new Builder()
      .usingServer(`http://127.0.0.1:${port}`)
      .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] } })
      .build();
    await driver.manage().window().setRect({ x: 0, y: 0, width, height });
    const caps = await driver.getCapabilities();
    return {
      driver,
      version: `WebKitGTK ${caps.get('browserVersion') ?? '(version unknown)'}`,
      async quit() {
        await driver.quit().catch(() => {});
        stopAll();
      },
    };
  } catch (err) {
    stopAll();
    throw err;
  }
}
