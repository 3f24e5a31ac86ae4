// The training form: reads and validates it, fills it from the core's defaults and limits, and
// from a model's config.

import { dom, settings } from './store.js';

/** The form's training config, or null (with the errors shown) when a field is invalid. */
export function readConfig() {
  const errors = [];
  const num = (input, name, { min, max, integer }) => {
    const v = Number(input.value);
    const bad = input.value.trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v));
    input.setAttribute('aria-invalid', String(bad));
    if (bad) errors.push(`${name} must be ${integer ? 'a whole number' : 'a number'} between ${min} and ${max}.`);
    return v;
  };
  const { limits } = settings;
  const config = {
    model: dom.cfgModel.value,
    optimizer: dom.cfgOptimizer.value,
    learningRate: num(dom.cfgLr, 'Learning rate', { min: 1e-6, max: 1 }),
    batchSize: num(dom.cfgBatch, 'Batch size', { min: 1, max: 1024, integer: true }),
    epochs: num(dom.cfgEpochs, 'Epochs', { min: 1, max: limits.maxEpochs, integer: true }),
    augment: dom.cfgAugment.checked,
  };
  if (config.optimizer === 'adamw') config.weightDecay = 0.01;
  dom.cfgError.hidden = !errors.length;
  dom.cfgError.textContent = errors.join(' ');
  return errors.length ? null : config;
}

/** Show a model's config in the form (keys it lacks keep their values). */
export function applyConfigToForm(config = {}) {
  if (config.model) dom.cfgModel.value = config.model;
  if (config.optimizer) dom.cfgOptimizer.value = config.optimizer;
  if (config.learningRate) dom.cfgLr.value = String(config.learningRate);
  if (config.batchSize) dom.cfgBatch.value = String(config.batchSize);
  if (config.epochs) dom.cfgEpochs.value = String(config.epochs);
  if (typeof config.augment === 'boolean') dom.cfgAugment.checked = config.augment;
}

/** Take the core's defaults and limits (the engine's buildInfo) and fill both forms from them. */
export function applyCoreSettings(b) {
  if (b.defaults) settings.defaults = b.defaults;
  if (b.limits) settings.limits = b.limits;
  const { defaults, limits } = settings;
  applyConfigToForm(defaults.trainer);
  dom.cfgEpochs.max = String(limits.maxEpochs);
  const ft = defaults.fineTune;
  if (ft.learningRate) dom.ftLr.value = String(ft.learningRate);
  if (ft.steps) dom.ftSteps.value = String(ft.steps);
  dom.ftSteps.max = String(limits.maxFineTuneSteps);
  dom.ftFreeze.checked = !!ft.headOnly;
}

/** Config for a new Trainer that will receive imported weights of `model`. */
export function importConfig(model) {
  const c = readConfig() || {};
  return { ...c, model: model || c.model || 'cnn' };
}
