// What the app needs from a browser beyond the basics, and what a visitor is told when something is
// missing: the feature, what it costs them, and what still works. Pure: the page probes the
// browser (app/features.js) and passes what it found.

/** Each feature the app uses, with the sentence shown when it is missing. */
export const FEATURES = Object.freeze([
  {
    id: 'webassembly',
    name: 'WebAssembly',
    missing: 'the engine cannot run here, so nothing can be trained or predicted; a current Chrome, Edge, Firefox or Safari has it',
  },
  {
    id: 'moduleWorkers',
    name: 'module workers',
    missing: 'the engine cannot start outside the page (Chrome 80+, Firefox 114+, Safari 15+)',
  },
  {
    id: 'decompression',
    name: 'DecompressionStream',
    missing: 'the MNIST files cannot be unpacked, so there is no data to train on (Chrome 80+, Firefox 113+, Safari 16.4+); the pretrained CNN still loads and reads your drawings',
  },
  {
    id: 'indexedDB',
    name: 'IndexedDB',
    missing: 'the model and My digits are not kept when the page closes (a private window often has none); everything else works, and Download weights keeps a model',
  },
]);

/** The message for the features `present` lacks (`present[id]` false), or null when none is missing. */
export function missingFeaturesMessage(present) {
  const lacking = FEATURES.filter((f) => present[f.id] === false);
  if (!lacking.length) return null;
  return `This browser lacks ${lacking.map((f) => `${f.name}: ${f.missing}`).join('. It also lacks ')}.`;
}
