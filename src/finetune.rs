//! The fine-tune recipe: teaching a trained model a person's handwriting from a few digits per class.
//!
//! Ten or twenty digits per class are far too few to train on as they are: a model would learn those
//! exact images, and forget MNIST while doing it. So every step
//! - draws the person's digits class by class (each class equally often, whatever was drawn most),
//! - redraws each one with [`Augmentation::DRAWN`], so a step sees new variants of every digit,
//! - fills the rest of the batch with replayed training digits (augmented the same way), so what the
//!   model knew is kept, and
//! - trains every layer from fresh optimizer state, at a rate that decays linearly to zero.

use crate::augment::Augmentation;
use crate::config::DEFAULT_MAX_BATCH_SIZE;
use crate::dataset::Dataset;
use crate::input::{IMAGE_PIXELS, NUM_CLASSES};
use crate::rng::Rng;
use crate::trainer::{StepStats, Trainer};
use candle_core::{bail, Result};
use serde::{Deserialize, Serialize};

/// The settings of a fine-tune run. Arrives from JS as a camelCase object; unknown keys are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FineTuneConfig {
    /// Optimizer steps.
    pub steps: usize,
    /// Peak step size (Adam), decayed linearly to zero over the steps; the trained model's own rate
    /// is restored afterwards by the caller.
    pub learning_rate: f64,
    /// Images per step, the person's digits and replayed ones together.
    pub batch_size: usize,
    /// Share of each batch taken from the person's digits when replay data is given.
    pub own_share: f64,
    /// Train only the dense head, keeping the convolutional features as they are.
    pub head_only: bool,
    /// Seed of the sampling and the augmentation.
    pub seed: u64,
}

impl Default for FineTuneConfig {
    fn default() -> Self {
        Self { steps: 300, learning_rate: 6e-4, batch_size: 64, own_share: 0.5, head_only: false, seed: 7 }
    }
}

/// Upper bounds of [`FineTuneConfig`], for validation and for the page's form.
pub const MAX_FINE_TUNE_STEPS: usize = 2_000;

impl FineTuneConfig {
    /// Rejects values no run can use, naming the field.
    pub fn validate(&self) -> Result<()> {
        crate::config::check_learning_rate(self.learning_rate)?;
        if self.steps == 0 || self.steps > MAX_FINE_TUNE_STEPS {
            bail!("steps must be between 1 and {MAX_FINE_TUNE_STEPS}, got {}", self.steps)
        }
        if self.batch_size < 2 || self.batch_size > DEFAULT_MAX_BATCH_SIZE {
            bail!("batchSize must be between 2 and {DEFAULT_MAX_BATCH_SIZE}, got {}", self.batch_size)
        }
        if !(self.own_share > 0.0 && self.own_share <= 1.0) {
            bail!("ownShare must be in (0, 1], got {}", self.own_share)
        }
        Ok(())
    }
}

/// A fine-tune run in progress over one person's digits.
pub struct FineTune {
    own: Dataset,
    by_class: Vec<Vec<usize>>,
    config: FineTuneConfig,
    rng: Rng,
    steps: usize,
}

impl FineTune {
    /// A run over `own` (the person's digits) with `config`. Refuses an empty set or a bad config.
    pub fn new(own: Dataset, config: FineTuneConfig) -> Result<Self> {
        config.validate()?;
        if own.is_empty() {
            bail!("no digits of your own to fine-tune on: draw some and add them first")
        }
        let mut by_class = vec![Vec::new(); NUM_CLASSES];
        for (i, &l) in own.labels().iter().enumerate() {
            by_class[l as usize].push(i);
        }
        by_class.retain(|c| !c.is_empty());
        let rng = Rng::derived(config.seed, "finetune");
        Ok(Self { own, by_class, config, rng, steps: 0 })
    }

    /// The settings.
    pub fn config(&self) -> &FineTuneConfig {
        &self.config
    }

    /// Steps taken so far.
    pub fn steps_done(&self) -> usize {
        self.steps
    }

    /// True once every planned step is taken.
    pub fn is_done(&self) -> bool {
        self.steps >= self.config.steps
    }

    /// The next batch: the person's digits (class-balanced) and, from `replay` when given, replayed
    /// digits, all augmented. `(images, labels)`.
    pub fn next_batch(&mut self, replay: Option<&Dataset>) -> (Vec<u8>, Vec<u8>) {
        let b = self.config.batch_size;
        let own_count = match replay {
            Some(r) if !r.is_empty() => ((b as f64 * self.config.own_share).round() as usize).clamp(1, b),
            _ => b,
        };
        let mut images = Vec::with_capacity(b * IMAGE_PIXELS);
        let mut labels = Vec::with_capacity(b);
        // Classes in a shuffled round so that every class is drawn equally often.
        let mut classes: Vec<usize> = (0..self.by_class.len()).collect();
        for k in 0..own_count {
            if k % classes.len() == 0 {
                self.rng.shuffle(&mut classes);
            }
            let members = &self.by_class[classes[k % classes.len()]];
            let i = members[self.rng.below(members.len())];
            images.extend_from_slice(self.own.image(i));
            labels.push(self.own.labels()[i]);
        }
        if let Some(r) = replay.filter(|r| !r.is_empty()) {
            for _ in own_count..b {
                let i = self.rng.below(r.len());
                images.extend_from_slice(r.image(i));
                labels.push(r.labels()[i]);
            }
        }
        Augmentation::DRAWN.apply_batch(&mut images, &mut self.rng);
        (images, labels)
    }

    /// One step of the recipe on `trainer`. The first step sets the learning rate and the frozen
    /// layers and resets the optimizer; the caller restores the trained model's own settings after
    /// the run (see [`FineTune::run`]).
    pub fn step(&mut self, trainer: &mut Trainer, replay: Option<&Dataset>) -> Result<StepStats> {
        if self.is_done() {
            bail!("the fine-tune run has already taken its {} steps", self.config.steps)
        }
        if self.steps == 0 {
            trainer.freeze_features(self.config.head_only)?;
            trainer.reset_optimizer()?;
        }
        // Linear decay to zero: large steps learn the style, the small last ones settle the weights.
        let left = 1.0 - self.steps as f64 / self.config.steps as f64;
        trainer.set_learning_rate(self.config.learning_rate * left)?;
        let (images, labels) = self.next_batch(replay);
        let stats = trainer.train_prepared_batch(&images, &labels)?;
        self.steps += 1;
        Ok(stats)
    }

    /// The whole recipe: every step, then the trained model's learning rate and unfrozen layers back.
    /// `progress(step, steps, stats)` is called after each step.
    pub fn run(&mut self, trainer: &mut Trainer, replay: Option<&Dataset>, mut progress: impl FnMut(usize, usize, StepStats)) -> Result<()> {
        let (rate, frozen) = (trainer.config().learning_rate, trainer.is_frozen());
        let result = (|| {
            while !self.is_done() {
                let stats = self.step(trainer, replay)?;
                progress(self.steps, self.config.steps, stats);
            }
            Ok(())
        })();
        trainer.set_learning_rate(rate)?;
        trainer.freeze_features(frozen)?;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::synthetic_digits;

    #[test]
    fn batches_are_class_balanced_and_mix_in_replay() {
        // Own digits: 9 of class 0 and one each of 1 and 2.
        let d = synthetic_digits(30, 1);
        let pick: Vec<usize> = (0..30).filter(|&i| d.labels()[i] == 0).take(9).chain([1, 2]).collect();
        let (im, lb) = d.gather(&pick);
        let own = Dataset::new(im, lb).unwrap();
        let mut ft = FineTune::new(own, FineTuneConfig { batch_size: 60, own_share: 0.5, ..Default::default() }).unwrap();
        let replay = synthetic_digits(100, 2);
        let (images, labels) = ft.next_batch(Some(&replay));
        assert_eq!((images.len(), labels.len()), (60 * IMAGE_PIXELS, 60));
        let own_part = &labels[..30];
        for c in 0..3 {
            assert_eq!(own_part.iter().filter(|&&l| l == c).count(), 10, "class {c} in {own_part:?}");
        }
        let (_, alone) = ft.next_batch(None);
        assert!(alone.iter().all(|&l| l < 3) && alone.len() == 60);
    }

    #[test]
    fn bad_settings_and_empty_sets_are_refused() {
        let own = synthetic_digits(10, 1);
        for (bad, key) in [
            (FineTuneConfig { steps: 0, ..Default::default() }, "steps"),
            (FineTuneConfig { learning_rate: -1.0, ..Default::default() }, "learningRate"),
            (FineTuneConfig { own_share: 0.0, ..Default::default() }, "ownShare"),
            (FineTuneConfig { batch_size: 1, ..Default::default() }, "batchSize"),
        ] {
            let e = FineTune::new(own.clone(), bad).err().unwrap().to_string();
            assert!(e.contains(key), "{e}");
        }
        assert!(FineTune::new(Dataset::default(), FineTuneConfig::default()).is_err());
    }
}
