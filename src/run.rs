//! The plan of a training run, owned by the core so that the CLI and the browser run the same one:
//! the validation split, each epoch's shuffled order (the last batch may be smaller), the learning
//! rate of each epoch and the dropout stream of each data-parallel step.
//!
//! The plan only says *what* to train on and with which rate; the caller feeds the batches to a
//! [`crate::Trainer`] (the CLI in a loop, the browser's worker in chunks between which it yields).

use crate::config::RunSettings;
use crate::rng::Rng;
use candle_core::{bail, Result};

/// At most this share of a training set goes to validation (a small set keeps most of its images).
const MAX_VALIDATION_SHARE: usize = 10;

/// Images held out for validation from a training set of `train_total`: the requested number, but no
/// more than a tenth of the set.
pub fn validation_size(requested: usize, train_total: usize) -> usize {
    requested.min(train_total / MAX_VALIDATION_SHARE)
}

/// One training run over `train_count` images, from a config's [`RunSettings`].
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    seed: u64,
    batch_size: usize,
    epochs: usize,
    train_count: usize,
    learning_rate: f64,
    lr_decay: f64,
}

impl RunPlan {
    /// The plan of `run` (from [`crate::TrainConfig::run`], which validates it) over a training set of
    /// `train_count` images (validation excluded).
    pub fn new(run: &RunSettings, train_count: usize) -> Result<Self> {
        if train_count == 0 {
            bail!("the training set is empty")
        }
        let RunSettings { seed, batch_size, epochs, learning_rate, lr_decay, .. } = *run;
        Ok(Self { seed, batch_size, epochs, train_count, learning_rate, lr_decay })
    }

    /// Passes over the training set.
    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// Images per step (the last step of an epoch may have fewer).
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Steps in one epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.train_count.div_ceil(self.batch_size)
    }

    /// Steps in the whole run.
    pub fn total_batches(&self) -> usize {
        self.batches_per_epoch() * self.epochs
    }

    /// The order of the training images in epoch `epoch` (0-based): a permutation of
    /// `0..train_count` drawn from the seed and the epoch alone.
    pub fn epoch_order(&self, epoch: usize) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.train_count as u32).collect();
        Rng::derived(self.seed, &format!("epoch{epoch}")).shuffle(&mut order);
        order
    }

    /// Batch `batch` of an epoch's `order`: consecutive images, the last batch holding the rest.
    pub fn batch<'a>(&self, order: &'a [u32], batch: usize) -> &'a [u32] {
        let start = (batch * self.batch_size).min(order.len());
        &order[start..(start + self.batch_size).min(order.len())]
    }

    /// The learning rate of epoch `epoch`: the base rate times `lrDecay` per finished epoch.
    pub fn learning_rate(&self, epoch: usize) -> f64 {
        self.learning_rate * self.lr_decay.powi(epoch as i32)
    }

    /// The dropout and augmentation stream of the step after `steps` optimizer steps, for
    /// [`crate::Trainer::gradients`]: unique within the run, and the same in every worker.
    pub fn stream(&self, steps: usize) -> u64 {
        ((self.seed % (1 << 20)) << 26) + (steps as u64 % (1 << 26))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrainConfig;

    #[test]
    fn epochs_are_seeded_permutations_with_a_short_last_batch() {
        let plan = RunPlan::new(&TrainConfig { batch_size: 4, epochs: 2, ..TrainConfig::default() }.run().unwrap(), 10).unwrap();
        let (a, b) = (plan.epoch_order(0), plan.epoch_order(1));
        assert_ne!(a, b);
        assert_eq!(a, plan.epoch_order(0));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<u32>>());
        assert_eq!(plan.batches_per_epoch(), 3);
        assert_eq!(plan.total_batches(), 6);
        assert_eq!(plan.batch(&a, 2), &a[8..10]);
        assert_eq!(plan.batch(&a, 3), &[] as &[u32]);
        let other = RunPlan::new(&TrainConfig { seed: 2, ..TrainConfig::default() }.run().unwrap(), 10).unwrap();
        assert_ne!(other.epoch_order(0), a);
    }

    /// The plan is a format shared with the browser: `tests/js/wasm-run.test.mjs` checks the same
    /// orders from the wasm build, so the CLI and the app train on the same batches for a seed.
    #[test]
    fn the_plan_of_seed_42_is_fixed() {
        let plan = RunPlan::new(&TrainConfig { seed: 42, batch_size: 5, ..TrainConfig::default() }.run().unwrap(), 12).unwrap();
        assert_eq!(plan.epoch_order(0), [2, 6, 9, 5, 0, 4, 7, 10, 3, 1, 11, 8]);
        assert_eq!(plan.epoch_order(2), [5, 7, 10, 4, 3, 9, 0, 2, 8, 11, 6, 1]);
        assert_eq!(plan.stream(7), 2_818_572_295);
    }

    #[test]
    fn rates_decay_per_epoch_and_streams_are_unique() {
        let plan = RunPlan::new(&TrainConfig { learning_rate: 1e-3, lr_decay: 0.5, ..TrainConfig::default() }.run().unwrap(), 100).unwrap();
        assert_eq!(plan.learning_rate(0), 1e-3);
        assert!((plan.learning_rate(2) - 2.5e-4).abs() < 1e-12);
        assert_ne!(plan.stream(0), plan.stream(1));
        let other = RunPlan::new(&TrainConfig { seed: 2, ..TrainConfig::default() }.run().unwrap(), 100).unwrap();
        assert_ne!(plan.stream(5), other.stream(5));
        assert!(RunPlan::new(&TrainConfig::default().run().unwrap(), 0).is_err());
        assert_eq!(validation_size(5000, 60_000), 5000);
        assert_eq!(validation_size(5000, 1000), 100);
    }
}
