//! Data-parallel training: each worker computes [`Trainer::gradients`] on its shard of a batch, the
//! shards are averaged (weighted by their image counts) and one step is applied everywhere with
//! [`Trainer::apply_gradients`]; [`Trainer::flat_weights`] and [`Trainer::set_flat_weights`] mirror a
//! model into another worker.

use super::{batch_accuracy, snapshot, trainable, training_loss, Pass, Trainer};
use crate::rng::Rng;
use candle_core::backprop::GradStore;
use candle_core::{bail, Result, Tensor, Var};
use candle_nn::VarMap;

/// The gradient of one shard of a batch, for data-parallel training: each worker computes one with
/// [`Trainer::gradients`] on its part of the batch, the parts are averaged (weighted by `count`), and
/// every step is applied with [`Trainer::apply_gradients`].
#[derive(Debug, Clone, PartialEq)]
pub struct ShardGradients {
    /// Mean cross-entropy over the shard (NaN or infinite when training diverged).
    pub loss: f32,
    /// Images of the shard classified correctly, before the update.
    pub correct: usize,
    /// Images in the shard.
    pub count: usize,
    /// The gradient of the shard's mean loss for every trainable parameter, flattened in the order of
    /// [`Trainer::parameter_count`]'s parameters (sorted by name). Empty when `loss` is not finite.
    pub values: Vec<f32>,
}

impl Trainer {
    /// The gradient of the mean loss over one shard of a batch, without updating anything but the
    /// batch-norm running statistics (as a training forward pass does). `stream` alone picks the
    /// dropout masks, so mirrored models give the same gradient for the same shard and stream; the
    /// caller gives every shard of every step its own stream.
    ///
    /// A shard whose loss is not finite returns no gradient; [`Trainer::apply_gradients`] then refuses
    /// the step. With frozen features, their gradients are zero.
    pub fn gradients(&mut self, images: &[u8], labels: &[u8], stream: u64) -> Result<ShardGradients> {
        let n = self.check_batch(images)?;
        let mut rng = Rng::derived(stream, "dropout/shard");
        let (logits, loss, loss_value) =
            training_loss(Pass { model: &self.model, augment: self.config.augment, frozen: self.frozen, device: &self.device }, images, labels, n, &mut rng)?;
        let correct = (batch_accuracy(&logits, labels)? * n as f32).round() as usize;
        if !loss_value.is_finite() {
            return Ok(ShardGradients { loss: loss_value, correct, count: n, values: Vec::new() });
        }
        let grads = loss.backward()?;
        let params = trainable(&self.varmap, &self.model, false);
        let mut values = Vec::with_capacity(params.iter().map(|v| v.elem_count()).sum());
        for var in &params {
            match grads.get(var.as_tensor()) {
                Some(g) => values.extend(g.flatten_all()?.to_vec1::<f32>()?),
                None => values.resize(values.len() + var.elem_count(), 0.0), // a frozen feature layer
            }
        }
        Ok(ShardGradients { loss: loss_value, correct, count: n, values })
    }

    /// One optimizer step from a gradient combined from [`Trainer::gradients`] shards, `loss` being
    /// the batch's mean loss. Nothing changes if the length is wrong. If the loss or any gradient is
    /// not finite, no step is taken and the weights from before the previous step are restored (as
    /// [`Trainer::train_batch`] does).
    pub fn apply_gradients(&mut self, values: &[f32], loss: f32) -> Result<()> {
        let params = trainable(&self.varmap, &self.model, false);
        let expected: usize = params.iter().map(|v| v.elem_count()).sum();
        if values.len() != expected {
            bail!("gradient has {} values; this {} model has {expected} parameters", values.len(), self.config.model.name())
        }
        if !loss.is_finite() || values.iter().any(|v| !v.is_finite()) {
            return self.diverged(loss);
        }
        self.last_good = snapshot(&self.varmap)?;
        let mut grads = GradStore::default();
        for (var, part) in split_flat(values, &params) {
            grads.insert(var.as_tensor(), Tensor::from_slice(part, var.shape(), &self.device)?);
        }
        self.optimizer.step(&grads)?;
        self.steps += 1;
        Ok(())
    }

    /// Every variable's values (weights and batch-norm running statistics), flattened in name order:
    /// what a data-parallel worker needs to mirror this model with [`Trainer::set_flat_weights`].
    pub fn flat_weights(&self) -> Result<Vec<f32>> {
        let mut out = Vec::new();
        for var in sorted_vars(&self.varmap) {
            out.extend(var.as_tensor().flatten_all()?.to_vec1::<f32>()?);
        }
        Ok(out)
    }

    /// Overwrites every variable from [`Trainer::flat_weights`] of a model of the same kind. The
    /// optimizer state is kept. A wrong length or a non-finite value is an error and changes nothing.
    pub fn set_flat_weights(&mut self, values: &[f32]) -> Result<()> {
        let vars = sorted_vars(&self.varmap);
        let expected: usize = vars.iter().map(|v| v.elem_count()).sum();
        if values.len() != expected {
            bail!("weights have {} values; this {} model has {expected}", values.len(), self.config.model.name())
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            bail!("weights are not finite (value {i} is {})", values[i])
        }
        for (var, part) in split_flat(values, &vars) {
            var.set(&Tensor::from_slice(part, var.shape(), &self.device)?)?;
        }
        Ok(())
    }
}

/// All variables, sorted by name.
fn sorted_vars(varmap: &VarMap) -> Vec<Var> {
    let vars = varmap.data().lock().expect("varmap lock");
    let mut named: Vec<(&String, &Var)> = vars.iter().collect();
    named.sort_by(|a, b| a.0.cmp(b.0));
    named.into_iter().map(|(_, v)| v.clone()).collect()
}

/// `values` cut into one slice per variable, in order (the caller has checked the total length).
fn split_flat<'a>(values: &'a [f32], vars: &'a [Var]) -> impl Iterator<Item = (&'a Var, &'a [f32])> {
    let mut rest = values;
    vars.iter().map(move |var| {
        let (part, tail) = rest.split_at(var.elem_count());
        rest = tail;
        (var, part)
    })
}
