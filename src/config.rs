//! The one home of hyperparameters: [`TrainConfig`] with its `Default`, shared by the CLI, the tests and
//! the wasm API (where it arrives as a camelCase JS object and unknown keys are refused).

pub use crate::spec::ModelKind;
use crate::spec::{preset, ModelSpec};
use candle_core::{bail, Result};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Which optimizer updates the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Adam (AdamW with no weight decay unless `weight_decay` is set).
    Adam,
    /// AdamW: Adam with decoupled weight decay.
    Adamw,
    /// SGD with (heavy-ball) momentum.
    Sgd,
    /// Adadelta with Keras' constants (rho 0.95, epsilon 1e-7); its learning rate is 1.0.
    Adadelta,
}

impl OptimizerKind {
    /// Every optimizer.
    pub const ALL: [OptimizerKind; 4] = [OptimizerKind::Adam, OptimizerKind::Adamw, OptimizerKind::Sgd, OptimizerKind::Adadelta];

    /// The name used on the command line and in the UI.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "adam",
            OptimizerKind::Adamw => "adamw",
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adadelta => "adadelta",
        }
    }

    /// The learning rate a run with this optimizer starts from unless one is given: Adadelta
    /// scales its own steps and takes 1.0 (Keras' `mnist_cnn` example); the others take
    /// [`TrainConfig::default`]'s.
    pub fn default_learning_rate(self) -> f64 {
        match self {
            OptimizerKind::Adadelta => 1.0,
            _ => TrainConfig::default().learning_rate,
        }
    }
}

impl FromStr for OptimizerKind {
    type Err = candle_core::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "adam" => Ok(OptimizerKind::Adam),
            "adamw" => Ok(OptimizerKind::Adamw),
            "sgd" => Ok(OptimizerKind::Sgd),
            "adadelta" => Ok(OptimizerKind::Adadelta),
            _ => bail!("unknown optimizer '{s}' (expected adam, adamw, sgd or adadelta)"),
        }
    }
}

/// Every hyperparameter of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TrainConfig {
    /// The network: a preset, or `custom` with `spec`.
    pub model: ModelKind,
    /// The layers of a `custom` network ([`crate::spec`]); `None` (null) for a preset.
    pub spec: Option<ModelSpec>,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// Step size at the start; each epoch multiplies it by `lr_decay`.
    pub learning_rate: f64,
    /// Images per training step.
    pub batch_size: usize,
    /// Passes over the training set.
    pub epochs: usize,
    /// Seed for weight initialisation, shuffling and dropout: the same seed gives the same numbers.
    pub seed: u64,
    /// Decoupled weight decay (AdamW) or L2 factor (SGD).
    pub weight_decay: f64,
    /// Momentum for SGD.
    pub momentum: f64,
    /// Images held out from the training set for validation.
    pub validation_size: usize,
    /// The largest batch one `train_batch`/`predict` call accepts (bounds memory).
    pub max_batch_size: usize,
    /// Learning-rate factor applied after each epoch (1 = constant).
    pub lr_decay: f64,
    /// Redraw each training image with random canvas-like transforms ([`crate::augment`]): slant,
    /// rotation, scale, shift, stroke width and hard strokes, so drawings on the canvas are read
    /// as well as MNIST digits.
    pub augment: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            model: ModelKind::Cnn,
            spec: None,
            optimizer: OptimizerKind::Adam,
            // A large first step with a steep decay: 3 epochs read MNIST and drawings better
            // than 1e-3 halved each epoch.
            learning_rate: 3e-3,
            batch_size: 64,
            epochs: 3,
            seed: 1,
            weight_decay: 0.0,
            momentum: 0.9,
            validation_size: 5_000,
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
            // A quarter each epoch: 3 epochs end at a small rate, which settles the weights.
            lr_decay: 0.25,
            augment: true,
        }
    }
}

/// The part of a [`TrainConfig`] that plans a training run ([`crate::run::RunPlan`]): passes,
/// batches, the validation split, the rate schedule and the seed of the shuffles and streams. The
/// rest is the trainer's own (model, optimizer and its coefficients, batch bound, augmentation). One
/// flat config carries both, so that the page's form, the CLI's flags and a weights file's metadata
/// stay one object whose unknown keys are refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSettings {
    /// Seed of each epoch's order and each step's stream.
    pub seed: u64,
    /// Images per step.
    pub batch_size: usize,
    /// Passes over the training set.
    pub epochs: usize,
    /// Images held out for validation (at most a tenth of the set, see [`crate::run::validation_size`]).
    pub validation_size: usize,
    /// The first epoch's learning rate.
    pub learning_rate: f64,
    /// Learning-rate factor after each epoch.
    pub lr_decay: f64,
}

impl TrainConfig {
    /// The run's settings, after validating the whole config.
    pub fn run(&self) -> Result<RunSettings> {
        self.validate()?;
        let TrainConfig { seed, batch_size, epochs, validation_size, learning_rate, lr_decay, .. } = *self;
        Ok(RunSettings { seed, batch_size, epochs, validation_size, learning_rate, lr_decay })
    }

    /// A config for `model` with every other value at its default.
    pub fn for_model(model: ModelKind) -> Self {
        Self { model, ..Self::default() }
    }

    /// A config for the network of `spec`, every other value at its default.
    pub fn for_spec(spec: ModelSpec) -> Self {
        Self { model: ModelKind::Custom, spec: Some(spec), ..Self::default() }
    }

    /// The network to build: the preset's spec, or the custom one. A `custom` model without a spec,
    /// or a preset with one, is an error.
    pub fn network(&self) -> Result<ModelSpec> {
        match (self.model, &self.spec) {
            (ModelKind::Custom, Some(spec)) => Ok(spec.clone()),
            (ModelKind::Custom, None) => bail!("model 'custom' needs a spec: the network's layers"),
            (kind, None) => Ok(preset(kind).expect("every kind but custom is a preset")),
            (kind, Some(_)) => bail!("a spec describes a custom network: give model 'custom' with it, not '{kind}'"),
        }
    }

    /// Rejects values no run can use, naming the field.
    pub fn validate(&self) -> Result<()> {
        self.network()?.summary()?;
        check_learning_rate(self.learning_rate)?;
        if self.max_batch_size == 0 || self.max_batch_size > MAX_BATCH_SIZE {
            bail!("maxBatchSize must be between 1 and {MAX_BATCH_SIZE}, got {}", self.max_batch_size)
        }
        if self.batch_size == 0 || self.batch_size > self.max_batch_size {
            bail!("batchSize must be between 1 and maxBatchSize ({}), got {}", self.max_batch_size, self.batch_size)
        }
        if self.epochs == 0 || self.epochs > MAX_EPOCHS {
            bail!("epochs must be between 1 and {MAX_EPOCHS}, got {}", self.epochs)
        }
        if !self.weight_decay.is_finite() || !(0.0..1.0).contains(&self.weight_decay) {
            bail!("weightDecay must be a finite number in [0, 1), got {}", self.weight_decay)
        }
        if !self.momentum.is_finite() || !(0.0..1.0).contains(&self.momentum) {
            bail!("momentum must be a finite number in [0, 1), got {}", self.momentum)
        }
        if !self.lr_decay.is_finite() || self.lr_decay <= 0.0 || self.lr_decay > 1.0 {
            bail!("lrDecay must be a finite number in (0, 1], got {}", self.lr_decay)
        }
        Ok(())
    }
}

/// The bounds every setting is checked against, in one place: validation uses them, and the page
/// reads them (through the wasm `limits()`) for its forms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// Most epochs of one run.
    pub max_epochs: usize,
    /// Largest `maxBatchSize`.
    pub max_batch_size: usize,
    /// Smallest learning rate.
    pub min_learning_rate: f64,
    /// Largest learning rate.
    pub max_learning_rate: f64,
    /// Most fine-tune steps.
    pub max_fine_tune_steps: usize,
    /// Largest weights file accepted.
    pub max_weights_bytes: usize,
    /// Largest drawing side.
    pub max_canvas_side: usize,
}

impl Limits {
    /// The limits of this build.
    pub const CURRENT: Limits = Limits {
        max_epochs: MAX_EPOCHS,
        max_batch_size: MAX_BATCH_SIZE,
        min_learning_rate: MIN_LEARNING_RATE,
        max_learning_rate: MAX_LEARNING_RATE,
        max_fine_tune_steps: crate::finetune::MAX_FINE_TUNE_STEPS,
        max_weights_bytes: crate::checkpoint::MAX_WEIGHTS_BYTES,
        max_canvas_side: crate::preprocess::MAX_CANVAS_SIDE,
    };
}

/// Most epochs of one run.
pub const MAX_EPOCHS: usize = 100;
/// The largest batch a trainer accepts by default (`maxBatchSize`), and the fine-tune's bound.
pub const DEFAULT_MAX_BATCH_SIZE: usize = 1_024;
/// The largest batch any call accepts.
pub const MAX_BATCH_SIZE: usize = 65_536;

/// The largest learning rate accepted; far above any useful value, it only rules out typos.
pub const MAX_LEARNING_RATE: f64 = 1_000.0;

/// The smallest learning rate accepted: below it a run of any length would not move the weights.
pub const MIN_LEARNING_RATE: f64 = 1e-7;

/// A learning rate must be a finite number in [[`MIN_LEARNING_RATE`], [`MAX_LEARNING_RATE`]].
pub fn check_learning_rate(lr: f64) -> Result<()> {
    if !lr.is_finite() || !(MIN_LEARNING_RATE..=MAX_LEARNING_RATE).contains(&lr) {
        bail!("learningRate must be a finite number between {MIN_LEARNING_RATE} and {MAX_LEARNING_RATE}, got {lr}")
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones_and_valid() {
        let c = TrainConfig::default();
        assert_eq!((c.model, c.optimizer, c.learning_rate, c.batch_size), (ModelKind::Cnn, OptimizerKind::Adam, 3e-3, 64));
        c.validate().unwrap();
    }

    #[test]
    fn json_is_camel_case_and_unknown_keys_fail() {
        let c: TrainConfig = serde_json::from_str(r#"{"model":"cnn-large","learningRate":0.01}"#).unwrap();
        assert_eq!(c.model, ModelKind::CnnLarge);
        assert_eq!(c.learning_rate, 0.01);
        assert_eq!(c.batch_size, 64);
        let e = serde_json::from_str::<TrainConfig>(r#"{"learning_rate":0.01}"#).unwrap_err().to_string();
        assert!(e.contains("unknown field"), "{e}");
        assert!(serde_json::from_str::<TrainConfig>(r#"{"model":"resnet"}"#).is_err());
    }

    #[test]
    fn bad_values_are_named() {
        let bad = |f: fn(&mut TrainConfig)| {
            let mut c = TrainConfig::default();
            f(&mut c);
            c.validate().unwrap_err().to_string()
        };
        assert!(bad(|c| c.learning_rate = -1.0).contains("learningRate"));
        assert!(bad(|c| c.learning_rate = f64::NAN).contains("learningRate"));
        assert!(bad(|c| c.batch_size = 0).contains("batchSize"));
        assert!(bad(|c| c.batch_size = 5000).contains("batchSize"));
        assert!(bad(|c| c.momentum = 1.5).contains("momentum"));
        assert!("cnn".parse::<ModelKind>().is_ok() && "x".parse::<ModelKind>().is_err());
    }
}
