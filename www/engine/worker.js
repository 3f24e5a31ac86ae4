// The app's wasm worker: owns the one Trainer and the data set (state.js). All wasm work runs here
// and in the helper workers of the data-parallel pool it starts (pool/parallel.js); the page talks
// to it through the RPC of protocol/protocol.js. Long jobs (jobs.js: training, fine-tuning,
// evaluation) run in short chunks and yield between them, so predict, pause and stop are answered
// while they run. This file only maps each request to its handler.

import { Trainer, preprocessDrawing, judge, summarize } from '../pkg/inkling.js';
import { serveRpc, withTransfer, plain, MSG } from '../protocol/protocol.js';
import { engine, ensureInit, engineInfo, requireTrainer, modelSummary } from './state.js';
import { currentJob, installTrainer, refuseIfBusy, pause, resume, stop } from './jobs.js';
import { loadData, datasetSummary } from './dataset.js';
import { evaluate } from './evaluation.js';
import { train } from './training.js';
import { finetune } from './finetune.js';

function preprocess({ pixels, width, height, channels }) {
  return preprocessDrawing(pixels, width, height, channels);
}

const handlers = {
  async [MSG.INIT]({ workers } = {}) {
    await ensureInit(workers);
    return { buildInfo: await engineInfo() };
  },
  [MSG.LOAD_DATA]: loadData,
  async [MSG.NEW_MODEL]({ config = {} }) {
    await ensureInit();
    refuseIfBusy();
    const t = new Trainer(config); // throws on a bad config; the current model stays
    return installTrainer('reset', t);
  },
  [MSG.TRAIN]: train,
  [MSG.PAUSE]: pause,
  [MSG.RESUME]: resume,
  [MSG.STOP]: stop,
  async [MSG.PREDICT](req) {
    await ensureInit();
    const image = preprocess(req);
    if (!image) return { empty: true };
    const probs = requireTrainer().predict(image);
    const verdict = plain(judge(probs, image));
    return withTransfer({ empty: false, probs, preview: image, verdict, version: engine.weightsVersion }, [probs.buffer, image.buffer]);
  },
  async [MSG.PREPROCESS](req) {
    await ensureInit();
    const image = preprocess(req);
    return image ? withTransfer({ empty: false, image }, [image.buffer]) : { empty: true };
  },
  [MSG.EVALUATE]: evaluate,
  async [MSG.EXPORT]() {
    await ensureInit();
    const t = requireTrainer();
    const bytes = t.exportWeights();
    return withTransfer({ bytes, config: plain(t.config) }, [bytes.buffer]);
  },
  async [MSG.IMPORT]({ bytes, config = {} }) {
    await ensureInit();
    refuseIfBusy();
    // The file's own network is rebuilt; a refused file leaves the current model as it is.
    return installTrainer('import', Trainer.fromWeights(bytes, config));
  },
  [MSG.FINETUNE]: finetune,
  async [MSG.INSPECT]({ image }) {
    await ensureInit();
    const seen = requireTrainer().inspect(image);
    const buffers = [...seen.layers, ...(seen.filters ? [seen.filters] : [])].map((v) => v.values.buffer);
    return withTransfer(seen, buffers);
  },
  async [MSG.SUMMARIZE]({ model, spec }) {
    await ensureInit();
    return plain(summarize({ ...(model && { model }), ...(spec && { spec }) }));
  },
  async [MSG.INFO]() {
    await ensureInit();
    const job = currentJob();
    return { model: engine.trainer ? modelSummary() : null, dataset: datasetSummary(), buildInfo: await engineInfo(), job: job ? job.kind : null };
  },
};

const server = serveRpc(self, handlers);
engine.emit = (event, payload) => server.emit(event, payload);
