// "My digits": the user's labelled drawings, kept in IndexedDB; the strip of thumbnails and the
// per-class counts.

import { HOLDOUT_MIN, holdoutCount } from '../shared/batching.js';
import { dom, refreshControls, state } from './store.js';
import * as storage from './storage.js';
import { $, renderClassCounts, renderThumbs, toast } from './ui.js';

function newId() {
  return typeof crypto !== 'undefined' && crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

async function persistDigits() {
  try {
    await storage.saveDigits(state.digits);
  } catch (err) {
    console.warn('could not save My digits in IndexedDB:', err);
    toast('Could not save your digits in this browser.');
  }
}

/** Redraw the strip, the counts and the fine-tune hint from `state.digits`. */
export function renderDigits() {
  const n = state.digits.length;
  dom.digitsCount.textContent = String(n);
  dom.digitsEmpty.hidden = n > 0;
  renderThumbs(dom.thumbs, state.digits, (id) => deleteDigit(id));
  renderClassCounts(dom.classCounts, state.digits);
  if (!state.finetuning && dom.ftResult.dataset.state !== 'done') {
    const hint = $('ft-hint');
    if (hint) {
      const held = holdoutCount(n);
      hint.textContent =
        n === 0
          ? 'Add at least one digit to fine-tune.'
          : held
            ? `${n} digits: ${n - held} for training, ${held} held out for the before/after check.`
            : `${n} digit${n === 1 ? '' : 's'} — add ${HOLDOUT_MIN - n} more to hold some out for a before/after check.`;
    }
  }
  refreshControls();
}

/** Add a 28×28 digit with its label and save the set. */
export function addDigit(image, label, { quiet = true } = {}) {
  state.digits.push({ id: newId(), image: Uint8Array.from(image), label, addedAt: Date.now() });
  renderDigits();
  persistDigits();
  if (!quiet) toast(`Added a ${label} to My digits (${state.digits.length}).`);
}

function deleteDigit(id) {
  state.digits = state.digits.filter((d) => d.id !== id);
  renderDigits();
  persistDigits();
}

/** Take the digits saved in this browser; returns a problem to report, or null. */
export function restoreDigits(result) {
  let problem = null;
  if (result.status === 'ok') state.digits = result.items;
  else if (result.status === 'corrupt') problem = `My digits: ${result.reason}`;
  renderDigits();
  return problem;
}

dom.digitsClear.addEventListener('click', () => {
  if (!state.digits.length) return;
  if (!confirm(`Delete all ${state.digits.length} of your digits?`)) return;
  state.digits = [];
  renderDigits();
  persistDigits();
});
