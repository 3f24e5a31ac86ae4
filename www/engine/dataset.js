// The data set inside the engine: loading the four IDX files (data.js fetches, checks and caches
// them; the core parses them), the validation split the core sizes, and views of each split.

import { parseIdx, validationSize as coreValidationSize } from '../pkg/inkling.js';
import { plain, EVT } from '../protocol/protocol.js';
import { loadDataset } from '../data/data.js';
import { describeDataset } from '../data/about.js';
import { engine, ensureInit, coreDefaults, now } from './state.js';
import { acquire } from './jobs.js';

const PROGRESS_MS = 60; // at most one download-progress event per this many ms

/** The images and labels of `split` ('train', 'validation' or 'test'): its offset and count in them. */
export function splitView(split) {
  const { data } = engine;
  if (!data) throw new Error('The dataset is not loaded yet.');
  if (split === 'test') return { images: data.testImages, labels: data.testLabels, offset: 0, count: data.testCount };
  if (split === 'validation') return { images: data.trainImages, labels: data.trainLabels, offset: data.trainCount, count: data.valCount };
  if (split === 'train') return { images: data.trainImages, labels: data.trainLabels, offset: 0, count: data.trainCount };
  throw new Error(`unknown split "${split}"`);
}

/** What the page shows about the loaded data set, or null. */
export function datasetSummary() {
  const { data } = engine;
  if (!data) return null;
  return {
    train: data.trainCount,
    validation: data.valCount,
    test: data.testCount,
    baseUrl: data.baseUrl,
    fromCache: data.fromCache,
    bytes: data.bytes,
    name: data.name,
    source: data.source,
  };
}

/** Loads the data set at `baseUrl`; the last `validationSize` training images become the validation split. */
export async function loadData({ baseUrl, validationSize }) {
  await ensureInit();
  validationSize ??= coreDefaults().trainer.validationSize;
  const j = await acquire('load');
  try {
    let last = 0;
    const result = await loadDataset(baseUrl, {
      validate: (bytes) => plain(parseIdx(bytes)),
      onProgress: (p) => {
        const t = now();
        if (t - last > PROGRESS_MS || p.loaded >= p.total) {
          last = t;
          engine.emit(EVT.DATA_PROGRESS, p);
        }
      },
    });
    const f = result.files;
    const about = await describeDataset(baseUrl);
    const val = coreValidationSize(validationSize, f.trainImages.count);
    engine.data = {
      trainImages: f.trainImages.data,
      trainLabels: f.trainLabels.data,
      trainCount: f.trainImages.count - val,
      valCount: val,
      testImages: f.testImages.data,
      testLabels: f.testLabels.data,
      testCount: f.testImages.count,
      baseUrl,
      fromCache: result.fromCache,
      bytes: result.bytes,
      name: about.name,
      source: about.source,
    };
    engine.evalCache.clear();
    return datasetSummary();
  } finally {
    j.finish();
  }
}
