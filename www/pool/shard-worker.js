// A helper worker of the data-parallel pool (parallel.js, shard.js): holds a mirror of the coordinator's model
// and computes gradients, evaluations and predictions for its share of the images. It keeps no
// optimizer state: the coordinator sends fresh weights whenever they changed.

import * as wasm from '../pkg/inkling.js';
import { serveRpc } from '../protocol/protocol.js';
import { shardHandlers } from './shard.js';

serveRpc(self, shardHandlers(wasm));
