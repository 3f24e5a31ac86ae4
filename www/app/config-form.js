// The training form: reads and validates it, fills it from the core's defaults and limits, and
// from a model's config.

import { dom, settings, state } from './store.js';
import { showNetwork } from './builder.js';

/**
 * A number field's value checked against its own `min`, `max` and `step` (filled from the core's
 * limits at start-up); marks the field and adds a message to `errors` when it is out of bounds.
 */
function numberField(input, name, errors) {
  const v = Number(input.value);
  const [min, max] = [Number(input.min), Number(input.max)];
  const integer = input.step === '1';
  const bad = input.value.trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v));
  input.setAttribute('aria-invalid', String(bad));
  if (bad) errors.push(`${name} must be ${integer ? 'a whole number' : 'a number'} between ${min} and ${max}.`);
  return v;
}

/** Shows `errors` under a form (hidden when there are none); true when there are none. */
function showErrors(el, errors) {
  el.hidden = !errors.length;
  el.textContent = errors.join(' ');
  return !errors.length;
}

/** The form's training config, or null (with the errors shown) when a field is invalid. */
export function readConfig() {
  const errors = [];
  const config = {
    model: dom.cfgModel.value,
    optimizer: dom.cfgOptimizer.value,
    learningRate: numberField(dom.cfgLr, 'Learning rate', errors),
    batchSize: numberField(dom.cfgBatch, 'Batch size', errors),
    epochs: numberField(dom.cfgEpochs, 'Epochs', errors),
    augment: dom.cfgAugment.checked,
  };
  if (config.optimizer === 'adamw') config.weightDecay = 0.01;
  if (config.model === 'custom') {
    config.spec = state.network.spec;
    if (state.network.error) errors.push(`The network is not valid: ${state.network.error}`);
  }
  return showErrors(dom.cfgError, errors) ? config : null;
}

/** The fine-tune form's settings, or null (with the errors shown) when a field is invalid. */
export function readFineTuneSettings() {
  const errors = [];
  const settings = {
    learningRate: numberField(dom.ftLr, 'Learning rate', errors),
    steps: numberField(dom.ftSteps, 'Steps', errors),
    headOnly: dom.ftFreeze.checked,
  };
  return showErrors(dom.ftError, errors) ? settings : null;
}

/** Show a model's config in the form (keys it lacks keep their values). */
export function applyConfigToForm(config = {}) {
  if (config.model) {
    dom.cfgModel.value = config.model;
    showNetwork(config);
  }
  if (config.optimizer) dom.cfgOptimizer.value = config.optimizer;
  if (config.learningRate) dom.cfgLr.value = String(config.learningRate);
  if (config.batchSize) dom.cfgBatch.value = String(config.batchSize);
  if (config.epochs) dom.cfgEpochs.value = String(config.epochs);
  if (typeof config.augment === 'boolean') dom.cfgAugment.checked = config.augment;
}

/** Sets a number field's bounds. */
function bound(input, min, max) {
  input.min = String(min);
  input.max = String(max);
}

/** Take the core's defaults and limits (the engine's buildInfo) and fill both forms from them. */
export function applyCoreSettings(b) {
  settings.defaults = b.defaults;
  settings.limits = b.limits;
  const { defaults, limits } = settings;
  bound(dom.cfgLr, limits.minLearningRate, limits.maxLearningRate);
  bound(dom.cfgBatch, 1, defaults.trainer.maxBatchSize);
  bound(dom.cfgEpochs, 1, limits.maxEpochs);
  bound(dom.ftLr, limits.minLearningRate, limits.maxLearningRate);
  bound(dom.ftSteps, 1, limits.maxFineTuneSteps);
  applyConfigToForm(defaults.trainer);
  // A rate left at one optimizer's default follows the optimizer (Adadelta starts from 1.0, the
  // others from the core's default); a rate the user typed stays.
  let chosen = dom.cfgOptimizer.value;
  dom.cfgOptimizer.addEventListener('change', () => {
    const rates = defaults.learningRates ?? {};
    if (Number(dom.cfgLr.value) === rates[chosen] && rates[dom.cfgOptimizer.value] !== undefined) dom.cfgLr.value = String(rates[dom.cfgOptimizer.value]);
    chosen = dom.cfgOptimizer.value;
  });
  const ft = defaults.fineTune;
  dom.ftLr.value = String(ft.learningRate);
  dom.ftSteps.value = String(ft.steps);
  dom.ftFreeze.checked = ft.headOnly;
}

/** Config for a new Trainer that will receive imported weights of `model`. */
export function importConfig(model) {
  const { spec, ...c } = readConfig() || {};
  const chosen = model || c.model || 'cnn';
  return chosen === 'custom' && spec ? { ...c, model: chosen, spec } : { ...c, model: chosen === 'custom' ? 'cnn' : chosen };
}
