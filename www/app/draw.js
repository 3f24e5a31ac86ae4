// The drawing panel: the pad, the live prediction of what is drawn (with the engine's verdict:
// a digit, "4 or 9" when unsure, or not a digit), the "model sees" preview, labelling a drawing
// into My digits, and the keyboard shortcuts.

import { LatestOnlyQueue, MSG } from '../protocol/protocol.js';
import { argmax } from '../shared/metrics.js';
import { DrawingPad, paintDigit } from './canvas.js';
import { addDigit } from './digits.js';
import { clearInside, showInside } from './inside.js';
import { formatPercent } from './format.js';
import { dom, on, rpc, state } from './store.js';
import { $, buildLabelButtons, buildProbBars, toast } from './ui.js';

const PREDICT_DEBOUNCE_MS = 70;
// During training the weights change every chunk; re-predict the drawing at most this often.
const LIVE_PREDICT_MS = 1500;

const updateProbs = buildProbBars($('probs'));

let drawVersion = 0;
let predictTimer = 0;
let lastLivePredict = 0;
const predictQueue = new LatestOnlyQueue(
  (pixels) => rpc.call(MSG.PREDICT, pixels, [pixels.pixels.buffer]),
  (r) => showPrediction(r),
  () => {},
);

/** Empty the prediction display (nothing drawn). */
export function clearPrediction() {
  dom.prediction.textContent = '';
  delete dom.prediction.dataset.verdict;
  dom.predictionEmpty.hidden = false;
  dom.confidence.textContent = '';
  dom.predictionLive.textContent = '';
  updateProbs(null);
  dom.preview.getContext('2d').clearRect(0, 0, 28, 28);
  clearInside();
}

// One decimal, as the bars beside it show: a 99.7 % read is not "100 % sure".
const pct = (p) => formatPercent(p, 1);

let lastAnnounced = '';
function showPrediction(r) {
  if (pad.isEmpty || !r || r.empty) {
    clearPrediction();
    return;
  }
  const probs = r.probs;
  const v = r.verdict || { kind: 'digit', digit: argmax(probs), probability: probs[argmax(probs)] };
  dom.predictionEmpty.hidden = true;
  dom.prediction.dataset.verdict = v.kind;
  let msg;
  if (v.kind === 'scribble') {
    // Too much ink for a digit: say so rather than classify it.
    dom.prediction.textContent = '?';
    dom.confidence.textContent = 'Not a digit: too much ink.';
    updateProbs(null);
    msg = 'That does not look like a digit';
  } else if (v.kind === 'unsure') {
    dom.prediction.textContent = `${v.first} or ${v.second}`;
    dom.confidence.textContent = `Not sure: ${pct(v.firstProbability)} ${v.first}, ${pct(v.secondProbability)} ${v.second}`;
    updateProbs(probs);
    msg = `Not sure: ${v.first} or ${v.second}`;
  } else {
    dom.prediction.textContent = String(v.digit);
    dom.confidence.textContent = `${pct(v.probability)} sure`;
    updateProbs(probs);
    msg = `Prediction: ${v.digit}, ${Math.round(v.probability * 100)} percent`;
  }
  paintDigit(dom.preview, r.preview);
  showInside(r.preview);
  if (!pad.current && msg !== lastAnnounced) {
    dom.predictionLive.textContent = msg;
    lastAnnounced = msg;
  }
}

/** Predict the drawing now (the latest request wins; an empty pad clears the display). */
function predictNow() {
  clearTimeout(predictTimer);
  if (pad.isEmpty) {
    predictQueue.cancelQueued();
    clearPrediction();
    return;
  }
  if (state.engine !== 'ready' || !state.model) return;
  predictQueue.push(pad.grayscale());
}

function schedulePredict() {
  clearTimeout(predictTimer);
  predictTimer = setTimeout(predictNow, PREDICT_DEBOUNCE_MS);
}

const pad = new DrawingPad(dom.canvas, {
  onInput: () => {
    drawVersion++;
    schedulePredict();
  },
  onStrokeEnd: () => predictNow(),
  onChange: () => {
    drawVersion++;
    dom.undo.disabled = pad.strokeCount === 0;
    if (pad.isEmpty) predictNow();
  },
});

// New weights: the prediction shown is stale. While training, only now and then, and never
// in the middle of a stroke.
on('weights', ({ live }) => {
  if (!live) {
    predictNow();
    return;
  }
  const t = performance.now();
  if (!pad.isEmpty && !pad.current && t - lastLivePredict > LIVE_PREDICT_MS) {
    lastLivePredict = t;
    predictNow();
  }
});

// Adds run one after another; the pixels are taken when the label is chosen, so a quick
// "label, clear, draw the next one" sequence never mixes drawings up.
let addChain = Promise.resolve();
function addCurrentDrawing(label) {
  if (pad.isEmpty) {
    toast('Draw a digit first, then pick its label.');
    return addChain;
  }
  const pixels = pad.grayscale();
  const version = drawVersion;
  addChain = addChain.then(async () => {
    try {
      const r = await rpc.call(MSG.PREPROCESS, pixels, [pixels.pixels.buffer]);
      if (r.empty) {
        toast('Draw a digit first, then pick its label.');
        return;
      }
      addDigit(r.image, label, { quiet: false });
      // Ready for the next one — unless the user already started another drawing meanwhile.
      if (drawVersion === version) {
        pad.clear();
        predictNow();
      }
    } catch (err) {
      toast(`Could not add the digit: ${err.message}`);
    }
  });
  return addChain;
}

buildLabelButtons($('label-buttons'), (d) => addCurrentDrawing(d));

dom.clear.addEventListener('click', () => {
  pad.clear();
  predictNow();
});
dom.undo.addEventListener('click', () => {
  pad.undo();
  predictNow();
});

function isTyping(target) {
  return target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA' || target.isContentEditable);
}

document.addEventListener('keydown', (e) => {
  if (isTyping(e.target) || e.altKey) return;
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') {
    if (pad.undo()) predictNow();
    e.preventDefault();
    return;
  }
  if (e.ctrlKey || e.metaKey) return;
  if (/^[0-9]$/.test(e.key)) {
    e.preventDefault();
    addCurrentDrawing(Number(e.key));
  } else if ((e.key === 'Delete' || e.key === 'Backspace' || e.key === 'Escape') && e.target === dom.canvas) {
    e.preventDefault();
    pad.clear();
    predictNow();
  }
});
