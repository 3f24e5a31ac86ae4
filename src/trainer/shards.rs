//! Native data parallelism inside one training step: the batch is cut into [`SHARDS`] parts whose
//! forward and backward passes run on rayon's threads at the same time, and their gradients are
//! averaged (weighted by image count) into the one optimizer step.
//!
//! Why: a step of a small network is a chain of short ops (a dense layer, the loss, the optimizer,
//! the small last convolution) that cannot keep two cores busy one at a time; two whole passes on
//! half batches can. The browser gets the same effect from its worker pool.
//!
//! The shard count is fixed, not the thread count, so a step gives the same result on one thread as
//! on eight. Each shard draws its augmentation and dropout from a stream taken from the trainer's
//! generator in shard order. Models with batch normalisation train on the whole batch: per-shard
//! batch statistics would change what the layer computes, and two shards updating the running
//! statistics at once would make the result depend on which finishes last.

use super::{batch_accuracy, trainable, training_loss, Pass};
use crate::rng::Rng;
use candle_core::backprop::GradStore;
use candle_core::Result;
use candle_nn::VarMap;
use rayon::prelude::*;

/// Parts a batch is cut into.
pub(super) const SHARDS: usize = 2;

/// Fewest images per shard: below this the passes are too short to gain from running side by side.
const MIN_SHARD: usize = 8;

/// The batch's mean loss, its accuracy, and the gradient of the mean loss for every trainable
/// parameter, from [`SHARDS`] passes run in parallel; `None` when the batch is to be trained whole
/// (too small, or the model has batch normalisation). A shard with a loss that is not finite makes
/// the batch's loss not finite (the caller then refuses the step) and no gradient is computed.
pub(super) fn sharded_step(varmap: &VarMap, pass: Pass, images: &[u8], labels: &[u8], n: usize, rng: &mut Rng) -> Result<Option<(f32, f32, GradStore)>> {
    if n < SHARDS * MIN_SHARD || pass.model.has_batch_norm() {
        return Ok(None);
    }
    // Shard k holds images [k·n/S, (k+1)·n/S): sizes differ by at most one.
    let bounds: Vec<(usize, usize)> = (0..SHARDS).map(|k| (k * n / SHARDS, (k + 1) * n / SHARDS)).collect();
    let streams: Vec<u64> = bounds.iter().map(|_| rng.next_u64()).collect();
    let passes: Vec<Result<(f32, f32, Option<GradStore>)>> = bounds
        .par_iter()
        .zip(streams)
        .map(|(&(a, b), stream)| {
            let mut shard_rng = Rng::new(stream);
            let labels = &labels[a..b];
            let (logits, loss, loss_value) = training_loss(pass, &images[a * 784..b * 784], labels, b - a, &mut shard_rng)?;
            let accuracy = batch_accuracy(&logits, labels)?;
            let grads = if loss_value.is_finite() { Some(loss.backward()?) } else { None };
            Ok((loss_value, accuracy, grads))
        })
        .collect();
    let (mut loss, mut correct, mut stores) = (0f32, 0f32, Vec::with_capacity(SHARDS));
    for (shard, &(a, b)) in passes.into_iter().zip(&bounds) {
        let (shard_loss, shard_accuracy, grads) = shard?;
        let weight = (b - a) as f32 / n as f32;
        loss += weight * shard_loss;
        correct += shard_accuracy * (b - a) as f32;
        // A shard without a gradient has a loss that is not finite, and so then has the batch.
        if let Some(g) = grads {
            stores.push((weight as f64, g));
        }
    }
    let accuracy = correct / n as f32;
    if !loss.is_finite() {
        return Ok(Some((loss, accuracy, GradStore::default())));
    }
    // Σ_k (n_k / n) · g_k, in shard order, into the first shard's store.
    for var in trainable(varmap, pass.model, pass.frozen) {
        let mut sum = None;
        for (weight, grads) in &stores {
            let Some(g) = grads.get(var.as_tensor()) else { continue };
            let part = g.affine(*weight, 0.0)?;
            sum = Some(match sum {
                None => part,
                Some(s) => (s + part)?,
            });
        }
        if let Some(sum) = sum {
            stores[0].1.insert(var.as_tensor(), sum);
        }
    }
    Ok(Some((loss, accuracy, stores.swap_remove(0).1)))
}
