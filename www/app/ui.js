// DOM rendering helpers (the results tables, galleries, probability bars, My digits strip,
// fine-tune report, toasts). The page modules (www/app/) are the only ones that touch the DOM.

import { paintDigit } from './canvas.js';
import { formatPercent, formatInt } from './format.js';

export const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el;
};

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

/** Set a progress bar (role=progressbar wrapper + fill) to a fraction in [0, 1]. */
export function setProgress(bar, fraction, { state } = {}) {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const fill = bar.querySelector('.progress-fill');
  fill.style.transform = `scaleX(${f.toFixed(4)})`;
  bar.setAttribute('aria-valuenow', String(Math.round(f * 100)));
  bar.classList.toggle('is-done', state === 'done');
  bar.classList.toggle('is-paused', state === 'paused');
}

// ---- toast / notice ----------------------------------------------------------------------------

let toastTimer = 0;
export function toast(message, ms = 2600) {
  const t = $('toast');
  t.textContent = message;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    t.hidden = true;
  }, ms);
}

export function showNotice(message) {
  $('notice-text').textContent = message;
  $('notice').hidden = false;
}

// ---- prediction -------------------------------------------------------------------------------

/** Build the ten probability rows; returns an update(probs | null) function. */
export function buildProbBars(list) {
  const rows = [];
  for (let d = 0; d < 10; d++) {
    const fill = el('div', { class: 'prob-fill' });
    const value = el('span', { class: 'prob-value', text: '—' });
    const bar = el('div', {
      class: 'prob-bar',
      role: 'meter',
      'aria-label': `probability of ${d}`,
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': '0',
    }, fill);
    const li = el('li', { 'data-testid': `prob-${d}`, 'data-value': '0' }, el('span', { class: 'prob-digit', text: String(d) }), bar, value);
    list.append(li);
    rows.push({ li, fill, value, bar });
  }
  return function update(probs) {
    let best = -1;
    if (probs) {
      best = 0;
      for (let d = 1; d < 10; d++) if (probs[d] > probs[best]) best = d;
    }
    rows.forEach((r, d) => {
      const p = probs ? probs[d] : 0;
      r.fill.style.transform = `scaleX(${p.toFixed(4)})`;
      r.value.textContent = probs ? `${(p * 100).toFixed(1)} %` : '—';
      r.li.dataset.value = probs ? p.toFixed(6) : '0';
      r.bar.setAttribute('aria-valuenow', String(Math.round(p * 100)));
      r.li.classList.toggle('top', d === best);
    });
  };
}

export function buildLabelButtons(container, onLabel) {
  for (let d = 0; d < 10; d++) {
    container.append(
      el('button', {
        type: 'button',
        class: 'btn',
        id: `label-${d}`,
        'data-testid': `label-${d}`,
        'aria-label': `Add the drawing to My digits as ${d}`,
        'aria-keyshortcuts': String(d),
        text: String(d),
        onclick: () => onLabel(d),
      }),
    );
  }
}

// ---- results ----------------------------------------------------------------------------------

export function renderConfusion(table, confusion) {
  table.replaceChildren();
  const max = Math.max(1, ...confusion.flatMap((row, t) => row.filter((_, p) => p !== t)));
  const head = el('tr', {}, el('th', { class: 'corner', scope: 'col', 'aria-label': 'true digit \\ predicted digit', text: 't\\p' }));
  for (let p = 0; p < 10; p++) head.append(el('th', { scope: 'col', text: String(p) }));
  table.append(el('thead', {}, head));
  const body = el('tbody');
  confusion.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const tr = el('tr', {}, el('th', { scope: 'row', text: String(t) }));
    row.forEach((count, p) => {
      const diag = p === t;
      // Diagonal shaded by recall; off-diagonal by count relative to the largest error.
      const v = diag ? 0.15 + 0.75 * (count / total) : count ? 0.08 + Math.sqrt(count / max) * 0.6 : 0;
      const td = el('td', {
        class: [diag ? 'diag' : '', v > 0.5 ? 'strong' : '', count === 0 ? 'zero' : ''].filter(Boolean).join(' '),
        title: `true ${t}, predicted ${p}: ${count}`,
        text: String(count),
      });
      td.style.setProperty('--v', v.toFixed(3));
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(body);
}

export function renderClassTable(table, report) {
  table.replaceChildren();
  const pct = (x) => (x * 100).toFixed(1);
  table.append(
    el(
      'thead',
      {},
      el('tr', {}, ...['digit', 'precision', 'recall', 'F1', 'support'].map((h) => el('th', { scope: 'col', text: h }))),
    ),
  );
  const body = el('tbody');
  const worst = Math.min(...report.f1);
  for (let d = 0; d < 10; d++) {
    body.append(
      el(
        'tr',
        {},
        el('th', { scope: 'row', text: String(d) }),
        el('td', { text: pct(report.precision[d]) }),
        el('td', { text: pct(report.recall[d]) }),
        el('td', { class: report.f1[d] === worst && report.f1[d] < 0.999 ? 'low' : undefined, text: pct(report.f1[d]) }),
        el('td', { text: formatInt(report.support[d]) }),
      ),
    );
  }
  table.append(body);
  table.append(
    el(
      'tfoot',
      {},
      el('tr', {}, el('td', { text: 'all' }), el('td', { colspan: '2', text: `accuracy ${pct(report.accuracy)} %` }), el('td', { text: pct(report.macroF1) }), el('td', { text: formatInt(report.count) })),
    ),
  );
}

/** Misclassified digits, each with "add to my digits" (with its true label). */
export function renderGallery(list, gallery, onAdd, { initial = 21 } = {}) {
  list.replaceChildren();
  const items = [];
  gallery.labels.forEach((label, k) => {
    const pred = gallery.predictions[k];
    const image = gallery.images.slice(k * 784, (k + 1) * 784);
    const canvas = el('canvas', { role: 'img', 'aria-label': `test digit ${label}, predicted ${pred}` });
    paintDigit(canvas, image);
    const li = el('li', {}, canvas, el('span', { class: 'verdict' }, `true ${label} → `, el('b', { text: String(pred) })));
    const btn = el('button', {
      type: 'button',
      class: 'btn',
      'data-testid': 'gallery-add',
      'aria-label': `Add this ${label} to My digits`,
      text: '+ My digits',
    });
    btn.addEventListener('click', () => {
      onAdd(image, label);
      btn.replaceWith(el('span', { class: 'added', text: 'Added ✓' }));
    });
    li.append(btn);
    if (k >= initial) li.hidden = true;
    items.push(li);
  });
  list.append(...items);
  if (items.length > initial) {
    const more = el('button', { type: 'button', class: 'btn btn-small gallery-more', text: `Show ${items.length - initial} more` });
    more.addEventListener('click', () => {
      items.forEach((li) => (li.hidden = false));
      more.parentElement.remove();
      items[initial].querySelector('button')?.focus();
    });
    list.append(el('li', { class: 'gallery-more-item' }, more));
  }
}

// ---- my digits --------------------------------------------------------------------------------

export function renderThumbs(list, items, onDelete) {
  list.replaceChildren();
  // Newest first so the digit just added is visible.
  for (let i = items.length - 1; i >= 0; i--) {
    const d = items[i];
    const canvas = el('canvas', { role: 'img', 'aria-label': `my digit ${d.label}` });
    paintDigit(canvas, d.image);
    const del = el('button', {
      type: 'button',
      class: 'del',
      'aria-label': `Delete this ${d.label} (digit ${i + 1} of ${items.length})`,
      title: 'Delete',
      text: '×',
      onclick: () => onDelete(d.id),
    });
    list.append(el('li', { 'data-testid': 'mydigit' }, canvas, el('span', { text: String(d.label) }), del));
  }
}

export function renderClassCounts(list, items) {
  const counts = new Array(10).fill(0);
  for (const d of items) counts[d.label]++;
  list.replaceChildren(
    ...counts.map((c, d) =>
      el('li', { class: c ? 'has' : undefined, 'aria-label': `${c} of digit ${d}` }, el('b', { text: String(c) }), String(d)),
    ),
  );
}

// ---- fine-tune ---------------------------------------------------------------------------------

function delta(before, after) {
  if (!Number.isFinite(before) || !Number.isFinite(after)) return el('td', { text: '—' });
  const d = (after - before) * 100;
  const text = `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(2)} pt`;
  // Differences under 0.1 points are noise: shown, but not coloured.
  return el('td', { class: d >= 0.1 ? 'delta-up' : d <= -0.1 ? 'delta-down' : undefined, text });
}

export function renderFinetuneResult(container, r) {
  const rows = [];
  const hb = r.before.holdout;
  const ha = r.after.holdout;
  if (hb && ha) {
    rows.push(
      el(
        'tr',
        {},
        el('td', { text: `Held-out my digits (${hb.count})` }),
        el('td', { text: `${formatPercent(hb.accuracy, 1)} (${hb.correct}/${hb.count})` }),
        el('td', { text: `${formatPercent(ha.accuracy, 1)} (${ha.correct}/${ha.count})` }),
        delta(hb.accuracy, ha.accuracy),
      ),
    );
  }
  if (r.before.test && r.after.test) {
    rows.push(
      el(
        'tr',
        {},
        el('td', { text: 'MNIST test set' }),
        el('td', { text: formatPercent(r.before.test.accuracy) }),
        el('td', { text: formatPercent(r.after.test.accuracy) }),
        delta(r.before.test.accuracy, r.after.test.accuracy),
      ),
    );
  }
  const table = el(
    'table',
    { class: 'compare' },
    el('thead', {}, el('tr', {}, ...['', 'before', 'after', 'change'].map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, ...rows),
  );
  const summary = [];
  if (hb && ha) summary.push(`held-out my digits ${formatPercent(hb.accuracy, 1)} → ${formatPercent(ha.accuracy, 1)}`);
  if (r.before.test && r.after.test) summary.push(`MNIST test ${formatPercent(r.before.test.accuracy)} → ${formatPercent(r.after.test.accuracy)}`);
  const headline = el('p', { class: 'finetune-summary', text: `Fine-tuned: ${summary.length ? summary.join('; ') : 'done'}.` });
  const notes = [];
  notes.push(
    `${r.stopped ? 'Stopped after' : 'Trained'} ${r.steps} steps on ${r.trainCount} of your digits${r.mnistReplay ? ' mixed with MNIST replay' : ''}.`,
  );
  if (!hb) notes.push('Add at least 5 digits to hold some out for a before/after comparison.');
  if (!r.mnistReplay) notes.push('MNIST is not loaded, so there was no replay and no test-set check.');
  container.replaceChildren(headline, table, el('p', { class: 'muted small', text: notes.join(' ') }));
}
