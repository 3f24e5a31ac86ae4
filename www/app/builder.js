// The model builder: the layers of the network the training form describes, editable row by row
// (change, move, remove, add), with a live summary in the manner of Keras' model.summary() from the
// core (summarize() in the worker) and an inline message for an invalid network. A preset shows its
// own layers; editing them makes the network "custom", whose spec goes with the training config.

import { MSG } from '../protocol/protocol.js';
import { dom, rpc, state, refreshControls } from './store.js';
import { formatInt } from './format.js';

const ACTIVATIONS = [
  ['relu', 'ReLU'],
  ['none', 'none'],
];

/** A new layer of `type` with the settings a learner would start from. */
function newLayer(type) {
  switch (type) {
    case 'conv':
      return { type, filters: 32, kernel: 3, padding: 'valid', activation: 'relu' };
    case 'dense':
      return { type, units: 64, activation: 'relu' };
    case 'dropout':
      return { type, rate: 0.25 };
    case 'batchnorm':
      return { type, activation: 'relu' };
    default:
      return { type };
  }
}

/** Where a new layer of `type` goes: feature-map layers after the last one, the rest before the logits. */
function insertAt(layers, type) {
  if (type !== 'conv' && type !== 'maxpool' && type !== 'batchnorm') return Math.max(0, layers.length - 1);
  const dense = layers.findIndex((l) => l.type === 'dense');
  const mapLayer = (l, i) => l.type === 'conv' || l.type === 'maxpool' || (l.type === 'batchnorm' && (dense < 0 || i < dense));
  let at = 0;
  layers.forEach((l, i) => {
    if (mapLayer(l, i)) at = i + 1;
  });
  return at;
}

let layers = [];
let names = []; // each layer's name from the last good summary (conv1, fc2, ...)
let asked = 0; // the latest summary request, so a slow answer never overwrites a newer one

/** Shows the network of a config or model summary: a preset's layers, or its custom spec. */
export async function showNetwork({ model, spec }) {
  if (model !== 'custom') return refresh({ model });
  if (spec) layers = structuredClone(spec.layers);
  return refresh();
}

/** Re-renders the rows and asks the core for the summary of `network` (the current layers by default). */
async function refresh(network) {
  const ask = ++asked;
  render();
  try {
    const summary = await rpc.call(MSG.SUMMARIZE, network ?? { model: 'custom', spec: { layers } });
    if (ask !== asked) return;
    layers = summary.spec.layers;
    focusRow = null;
    state.network = { spec: summary.spec, error: null };
    names = summary.layers.filter((l) => l.kind !== 'flatten').map((l) => l.name);
    render();
    renderSummary(summary);
  } catch (err) {
    if (ask !== asked) return;
    state.network = { spec: { layers: structuredClone(layers) }, error: err.message };
    renderSummary(null, err.message);
  }
  refreshControls();
}

/** An edit by the user: the network is now a custom one. */
function edited() {
  dom.cfgModel.value = 'custom';
  refresh();
}

function control(tag, attrs, label) {
  const el = Object.assign(document.createElement(tag), attrs);
  const wrap = document.createElement('label');
  wrap.className = 'net-field';
  wrap.append(Object.assign(document.createElement('span'), { textContent: label }), el);
  return { wrap, el };
}

function numberInput(layer, key, label, { min, max, step }) {
  const { wrap, el } = control('input', { type: 'number', min, max, step, value: String(layer[key]), inputMode: step === 1 ? 'numeric' : 'decimal' }, label);
  el.addEventListener('change', () => {
    layer[key] = Number(el.value);
    edited();
  });
  return wrap;
}

function choice(layer, key, label, options) {
  const { wrap, el } = control('select', {}, label);
  for (const [value, text] of options) el.append(new Option(text, value, false, String(layer[key]) === value));
  el.addEventListener('change', () => {
    layer[key] = typeof layer[key] === 'number' ? Number(el.value) : el.value;
    edited();
  });
  return wrap;
}

const TITLES = { conv: 'Convolution', maxpool: 'Max-pool 2×2', dense: 'Dense', dropout: 'Dropout', batchnorm: 'Batch-norm' };

function fields(layer) {
  switch (layer.type) {
    case 'conv':
      return [
        numberInput(layer, 'filters', 'filters', { min: 1, max: 1024, step: 1 }),
        choice(layer, 'kernel', 'kernel', [
          ['3', '3×3'],
          ['5', '5×5'],
        ]),
        choice(layer, 'padding', 'padding', [
          ['valid', 'valid'],
          ['same', 'same'],
        ]),
        choice(layer, 'activation', 'activation', ACTIVATIONS),
      ];
    case 'dense':
      return [numberInput(layer, 'units', 'units', { min: 1, max: 1024, step: 1 }), choice(layer, 'activation', 'activation', ACTIVATIONS)];
    case 'dropout':
      return [numberInput(layer, 'rate', 'rate', { min: 0, max: 0.95, step: 0.05 })];
    case 'batchnorm':
      return [choice(layer, 'activation', 'then', ACTIVATIONS)];
    default:
      return [];
  }
}

function button(text, label, onClick, disabled = false) {
  const b = Object.assign(document.createElement('button'), { type: 'button', className: 'btn btn-small btn-icon', textContent: text, disabled });
  b.setAttribute('aria-label', label);
  b.title = label;
  b.addEventListener('click', onClick);
  return b;
}

let focusRow = null; // the row that keeps the focus after a move or a removal

function move(i, by) {
  const [layer] = layers.splice(i, 1);
  layers.splice(i + by, 0, layer);
  focusRow = i + by;
  edited();
}

/** Where the focus is inside the rows: [row, control], or null. */
function focusedControl() {
  const active = document.activeElement;
  const li = active && dom.netLayers.contains(active) ? active.closest('li') : null;
  if (!li) return null;
  return [[...dom.netLayers.children].indexOf(li), [...li.querySelectorAll('input, select, button')].indexOf(active)];
}

/** Re-creates the rows, keeping the keyboard focus on the same control (or the moved row's). */
function render() {
  const focus = focusedControl();
  const rows = layers.map((layer, i) => {
    const li = document.createElement('li');
    li.className = 'net-layer';
    li.dataset.type = layer.type;
    const title = document.createElement('span');
    title.className = 'net-title';
    title.textContent = `${TITLES[layer.type] ?? layer.type}${names[i] ? ` · ${names[i]}` : ''}`;
    const tools = document.createElement('span');
    tools.className = 'net-tools';
    const n = i + 1;
    tools.append(
      button('↑', `Move layer ${n} up`, () => move(i, -1), i === 0),
      button('↓', `Move layer ${n} down`, () => move(i, 1), i === layers.length - 1),
      button('✕', `Remove layer ${n}`, () => {
        layers.splice(i, 1);
        focusRow = Math.min(i, layers.length - 1);
        edited();
      }),
    );
    li.append(title, ...fields(layer), tools);
    return li;
  });
  dom.netLayers.replaceChildren(...rows);
  if (!focus) return;
  const [r, k] = [focusRow ?? focus[0], focus[1]];
  const controls = rows[Math.max(0, Math.min(r, rows.length - 1))]?.querySelectorAll('input, select, button');
  if (!controls?.length) return;
  let target = controls[Math.min(k, controls.length - 1)];
  if (target.disabled) target = [...controls].reverse().find((c) => !c.disabled) ?? target;
  target.focus();
}

function cell(tag, text, className) {
  return Object.assign(document.createElement(tag), { textContent: text, ...(className && { className }) });
}

function renderSummary(summary, error) {
  dom.netError.hidden = !error;
  dom.netError.textContent = error ? `This network cannot be built: ${error}` : '';
  dom.netSummary.hidden = !!error;
  if (error) {
    dom.netTotal.textContent = '· not valid';
    return;
  }
  const head = document.createElement('thead');
  head.append(row('th', ['Layer (type)', 'Output shape', 'Param #']));
  const body = document.createElement('tbody');
  for (const l of summary.layers) body.append(row('td', [`${l.name} (${l.kind})`, `(None, ${l.output.join(', ')})`, formatInt(l.params + l.fixed)]));
  const foot = document.createElement('tfoot');
  foot.append(row('td', ['Total', '', formatInt(summary.params + summary.fixed)]));
  if (summary.fixed) foot.append(row('td', ['of which not trained (batch-norm statistics)', '', formatInt(summary.fixed)]));
  dom.netSummary.replaceChildren(head, body, foot);
  dom.netTotal.textContent = `· ${layers.length} layers, ${formatInt(summary.params)} parameters`;
}

function row(tag, texts) {
  const tr = document.createElement('tr');
  tr.append(...texts.map((t, i) => cell(tag, t, i === 2 ? 'num' : '')));
  return tr;
}

dom.netAdd.addEventListener('click', () => {
  const type = dom.netAddType.value;
  layers.splice(insertAt(layers, type), 0, newLayer(type));
  edited();
});

dom.cfgModel.addEventListener('change', () => showNetwork({ model: dom.cfgModel.value }));
