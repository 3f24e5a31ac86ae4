// The helper's side of the pool: the requests a shard worker answers (SHARD), served by
// shard-worker.js, and the key a mirror shares with the coordinator's trainer. A helper keeps no
// optimizer state: the coordinator sends fresh weights whenever they changed.

import { plain, withTransfer } from '../protocol/protocol.js';

/** Requests a helper answers (shard-worker.js). */
export const SHARD = Object.freeze({
  INIT: 'init', // { module } -> { ready }
  GRADIENTS: 'gradients', // { model, version, weights?, images, labels, stream } -> ShardGradients
  EVALUATE: 'evaluate', // { model, version, weights?, images, labels } -> Evaluation
  PREDICT: 'predict', // { model, version, weights?, images } -> Float32Array
});

/**
 * What a mirror must share with the coordinator's trainer besides its weights, as a string that
 * compares by value: the network, and whether training images are augmented (a shard redraws its
 * own images from its stream, as the coordinator's share does).
 */
export function mirrorKey(trainer) {
  const { model, spec, augment } = trainer.config;
  return JSON.stringify({ model, spec, augment });
}

/**
 * The helper's request handlers (served by shard-worker.js with serveRpc): a mirror of the
 * coordinator's model, rebuilt when the model kind changes and refreshed when weights come with a
 * request. `wasm` is the package's { default: init, Trainer }.
 */
export function shardHandlers(wasm) {
  let mirror = null; // { model, t }
  let version = -1;

  const mirrored = ({ model, version: v, weights }) => {
    if (!mirror || mirror.model !== model) {
      if (mirror) mirror.t.free();
      mirror = null;
      version = -1;
      // The coordinator checks batch sizes; a share is never larger than its batch.
      mirror = { model, t: new wasm.Trainer({ ...JSON.parse(model), maxBatchSize: 65536 }) };
    }
    if (weights) {
      mirror.t.setFlatWeights(weights);
      version = v;
    } else if (v !== version) {
      throw new Error(`helper worker: the weights of version ${v} were never sent (it has ${version})`);
    }
    return mirror.t;
  };

  return {
    async [SHARD.INIT]({ module }) {
      await wasm.default({ module_or_path: module });
      return { ready: true };
    },
    [SHARD.GRADIENTS](req) {
      const g = mirrored(req).gradients(req.images, req.labels, req.stream);
      return withTransfer(g, [g.values.buffer]);
    },
    [SHARD.EVALUATE](req) {
      const ev = plain(mirrored(req).evaluate(req.images, req.labels));
      return withTransfer(ev, [ev.predictions.buffer]);
    },
    [SHARD.PREDICT](req) {
      const probs = mirrored(req).predict(req.images);
      return withTransfer(probs, [probs.buffer]);
    },
  };
}
