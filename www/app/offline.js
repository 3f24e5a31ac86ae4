// Offline use: registers the service worker (www/offline/sw.js, built to sw.js) so that the app
// opens, trains and fine-tunes without a network after the first visit, and says so in the footer.
// The dev server has no sw.js (the build writes it), so there is nothing to register.

import { dom } from './store.js';

/** Registers the service worker; resolves once it is active (or at once where there is none). */
export async function enableOffline() {
  if (!import.meta.env.PROD) return;
  if (!('serviceWorker' in navigator)) {
    dom.offlineStatus.textContent = ' This browser has no service workers: the app needs the network on each visit.';
    dom.offlineStatus.dataset.ready = 'false';
    return;
  }
  try {
    await navigator.serviceWorker.register('./sw.js');
    await navigator.serviceWorker.ready;
    dom.offlineStatus.textContent = ' It works offline after this visit.';
    dom.offlineStatus.dataset.ready = 'true';
  } catch (err) {
    // Private windows and some embedded browsers refuse service workers; the app works online.
    dom.offlineStatus.textContent = ` Offline use is not available here (${err.message}).`;
    dom.offlineStatus.dataset.ready = 'false';
  }
}
