//! The [`Trainer`]: one model with its weights and optimizer; steps on batches, evaluates, predicts, and
//! saves or loads weights. This is the core type the CLI and the wasm binding wrap.
//!
//! Every method validates its input before touching the model, so a bad call returns an error and
//! leaves weights, optimizer state and counters as they were. Data-parallel training (a shard's
//! gradient, a combined step, mirroring weights) is in [`parallel`]; natively, every step also runs
//! its batch as parallel shards (`shards`).

mod inspect;
mod parallel;
#[cfg(not(target_arch = "wasm32"))]
mod shards;

pub use inspect::{Inspection, LayerView};
pub use parallel::ShardGradients;

use crate::augment::Augmentation;
use crate::checkpoint;
use crate::config::{check_learning_rate, ModelKind, TrainConfig};
use crate::dataset::Dataset;
use crate::input::{image_count, images_to_tensor, labels_to_tensor, NUM_CLASSES};
use crate::metrics::Evaluation;
use crate::models::{init_weights, Mode, Model};
use crate::optim::Optimizer;
use crate::rng::Rng;
use crate::run::RunPlan;
use crate::spec::ModelSpec;
use candle_core::{bail, DType, Device, Result, Tensor, Var, D};
use candle_nn::{loss, ops, VarBuilder, VarMap};

/// Images per forward pass when evaluating or predicting large sets (bounds memory).
const EVAL_CHUNK: usize = 500;

/// Loss and accuracy of one training step (measured before the update).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct StepStats {
    /// Mean cross-entropy of the batch.
    pub loss: f32,
    /// Fraction of the batch classified correctly.
    pub accuracy: f32,
}

/// Mean loss and accuracy over one epoch, and its speed.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EpochStats {
    /// Mean of the batch losses.
    pub loss: f32,
    /// Fraction of training examples classified correctly (before each update).
    pub accuracy: f32,
    /// Examples trained on.
    pub samples: usize,
    /// Wall-clock seconds (native only; 0 on wasm32, where `Instant` is unavailable).
    pub seconds: f64,
}

/// A model being trained.
pub struct Trainer {
    config: TrainConfig,
    device: Device,
    varmap: VarMap,
    model: Model,
    optimizer: Optimizer,
    rng: Rng,
    steps: usize,
    frozen: bool,
    /// Weights before the last step, restored if the next loss is not finite.
    last_good: Vec<(Var, Tensor)>,
}

impl Trainer {
    /// A freshly initialised model on the CPU, from `config.seed`.
    pub fn new(config: TrainConfig) -> Result<Self> {
        config.validate()?;
        let device = Device::Cpu;
        let varmap = VarMap::new();
        let model = Model::new(&config.network()?, VarBuilder::from_varmap(&varmap, DType::F32, &device))?;
        init_weights(&varmap, config.seed)?;
        let optimizer = Optimizer::new(&config, trainable(&varmap, &model, false))?;
        let rng = Rng::derived(config.seed, "dropout");
        Ok(Self { config, device, varmap, model, optimizer, rng, steps: 0, frozen: false, last_good: Vec::new() })
    }

    /// The configuration, with the current learning rate.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Optimizer steps taken since creation.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Number of trainable parameters (batch-norm running statistics excluded).
    pub fn parameter_count(&self) -> usize {
        trainable(&self.varmap, &self.model, false).iter().map(|v| v.elem_count()).sum()
    }

    /// True while only the head trains.
    pub fn is_frozen(&self) -> bool {
        self.frozen
    }

    /// One optimizer step on a batch of raw images (N × 784 bytes) and labels (N digits), each image
    /// redrawn by [`crate::augment`] first when `config.augment` is on.
    ///
    /// If the loss is NaN or infinite, no step is taken, the weights from before the previous step are
    /// restored, the optimizer state is reset, and an error explains it.
    pub fn train_batch(&mut self, images: &[u8], labels: &[u8]) -> Result<StepStats> {
        self.step(images, labels, self.config.augment)
    }

    /// [`Trainer::train_batch`] on images used exactly as given, whatever `config.augment` says (for
    /// batches that a recipe such as [`crate::finetune`] has already augmented).
    pub fn train_prepared_batch(&mut self, images: &[u8], labels: &[u8]) -> Result<StepStats> {
        self.step(images, labels, false)
    }

    fn step(&mut self, images: &[u8], labels: &[u8], augment: bool) -> Result<StepStats> {
        let n = self.check_batch(images)?;
        let pass = Pass { model: &self.model, augment, frozen: self.frozen, device: &self.device };
        #[cfg(not(target_arch = "wasm32"))]
        let sharded = shards::sharded_step(&self.varmap, pass, images, labels, n, &mut self.rng)?;
        #[cfg(target_arch = "wasm32")]
        let sharded = None;
        let (loss_value, accuracy, grads) = match sharded {
            Some(step) => step,
            None => {
                let (logits, loss, loss_value) = training_loss(pass, images, labels, n, &mut self.rng)?;
                let accuracy = batch_accuracy(&logits, labels)?;
                let grads = if loss_value.is_finite() { loss.backward()? } else { Default::default() };
                (loss_value, accuracy, grads)
            }
        };
        if !loss_value.is_finite() {
            return self.diverged(loss_value);
        }
        self.last_good = snapshot(&self.varmap)?;
        self.optimizer.step(&grads)?;
        self.steps += 1;
        Ok(StepStats { loss: loss_value, accuracy })
    }

    /// Forgets the optimizer's state (Adam's moments, momentum): a new phase such as fine-tuning
    /// starts from clean estimates rather than those of the data it trained on before.
    pub fn reset_optimizer(&mut self) -> Result<()> {
        self.optimizer = Optimizer::new(&self.config, trainable(&self.varmap, &self.model, self.frozen))?;
        Ok(())
    }

    /// Epoch `epoch` of the run planned by [`RunPlan`] for this config over `data`: its shuffled order
    /// and its learning rate. `progress(batch, batches, stats)` is called after each step.
    pub fn train_epoch(&mut self, data: &Dataset, epoch: usize, mut progress: impl FnMut(usize, usize, StepStats)) -> Result<EpochStats> {
        let plan = RunPlan::new(&self.config.run()?, data.len())?;
        // The config keeps the base rate; the optimizer gets this epoch's rate from the plan.
        self.optimizer.set_learning_rate(plan.learning_rate(epoch));
        let order = plan.epoch_order(epoch);
        let batches = plan.batches_per_epoch();
        #[cfg(not(target_arch = "wasm32"))]
        let start = std::time::Instant::now();
        let (mut loss_sum, mut correct) = (0f64, 0f64);
        for i in 0..batches {
            let batch: Vec<usize> = plan.batch(&order, i).iter().map(|&k| k as usize).collect();
            let (images, labels) = data.gather(&batch);
            let stats = self.train_batch(&images, &labels)?;
            loss_sum += stats.loss as f64;
            correct += stats.accuracy as f64 * labels.len() as f64;
            progress(i + 1, batches, stats);
        }
        #[cfg(not(target_arch = "wasm32"))]
        let seconds = start.elapsed().as_secs_f64();
        #[cfg(target_arch = "wasm32")]
        let seconds = 0.0;
        Ok(EpochStats { loss: (loss_sum / batches.max(1) as f64) as f32, accuracy: (correct / data.len().max(1) as f64) as f32, samples: data.len(), seconds })
    }

    /// Loss, accuracy, confusion matrix and per-class scores on a labelled set. Weights are unchanged.
    pub fn evaluate(&self, images: &[u8], labels: &[u8]) -> Result<Evaluation> {
        let n = image_count(images)?;
        labels_to_tensor(labels, n, &self.device)?; // validates before any work
        let mut predictions = Vec::with_capacity(n);
        let mut loss_sum = 0f64;
        for (imgs, lbls) in images.chunks(EVAL_CHUNK * 784).zip(labels.chunks(EVAL_CHUNK)) {
            let logits = self.model.forward(&images_to_tensor(imgs, &self.device)?, Mode::Eval)?;
            let ys = labels_to_tensor(lbls, lbls.len(), &self.device)?;
            loss_sum += loss::cross_entropy(&logits, &ys)?.to_scalar::<f32>()? as f64 * lbls.len() as f64;
            predictions.extend(logits.argmax(D::Minus1)?.to_vec1::<u32>()?.into_iter().map(|p| p as u8));
        }
        Ok(Evaluation::new(labels, predictions, loss_sum))
    }

    /// [`Trainer::evaluate`] on a [`Dataset`].
    pub fn evaluate_dataset(&self, data: &Dataset) -> Result<Evaluation> {
        self.evaluate(data.images(), data.labels())
    }

    /// Class probabilities (N × 10, softmax) for raw images (N × 784 bytes).
    pub fn predict(&self, images: &[u8]) -> Result<Vec<f32>> {
        image_count(images)?;
        let mut out = Vec::with_capacity(images.len() / 784 * NUM_CLASSES);
        for imgs in images.chunks(EVAL_CHUNK * 784) {
            let logits = self.model.forward(&images_to_tensor(imgs, &self.device)?, Mode::Eval)?;
            out.extend(ops::softmax_last_dim(&logits)?.flatten_all()?.to_vec1::<f32>()?);
        }
        Ok(out)
    }

    /// The weights as safetensors bytes (see [`crate::checkpoint`]).
    pub fn export_weights(&self) -> Result<Vec<u8>> {
        checkpoint::to_safetensors(&self.varmap, self.config.model, self.model.spec())
    }

    /// A trainer for the network a weights file describes ([`checkpoint::network_of`]; `config`'s
    /// own when the file does not say), with the file's weights and `config`'s other settings. A
    /// bad file is an error.
    pub fn from_weights(config: TrainConfig, bytes: &[u8]) -> Result<Self> {
        let config = match checkpoint::network_of(bytes)? {
            Some((ModelKind::Custom, spec)) => TrainConfig { model: ModelKind::Custom, spec: Some(spec), ..config },
            Some((kind, _)) => TrainConfig { model: kind, spec: None, ..config },
            None => config,
        };
        let mut trainer = Self::new(config)?;
        trainer.import_weights(bytes)?;
        Ok(trainer)
    }

    /// The network's layers.
    pub fn spec(&self) -> &ModelSpec {
        self.model.spec()
    }

    /// Replaces the weights with those in a safetensors file made for the same network. A file for
    /// another network, or a damaged one, is an error and the current weights stay (see
    /// [`Trainer::from_weights`] to load any network). Optimizer state is reset.
    pub fn import_weights(&mut self, bytes: &[u8]) -> Result<()> {
        let values = checkpoint::read_safetensors(bytes, self.config.model, self.model.spec(), &self.varmap, &self.device)?;
        checkpoint::apply(&self.varmap, &values)?;
        self.optimizer = Optimizer::new(&self.config, trainable(&self.varmap, &self.model, self.frozen))?;
        self.last_good.clear();
        Ok(())
    }

    /// Changes the learning rate for the following steps (e.g. 1e-4 for fine-tuning).
    pub fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        check_learning_rate(lr)?;
        self.config.learning_rate = lr;
        self.optimizer.set_learning_rate(lr);
        Ok(())
    }

    /// Freezes (or unfreezes) the feature layers so that only the head trains. The optimizer restarts
    /// over the newly trainable variables.
    pub fn freeze_features(&mut self, freeze: bool) -> Result<()> {
        if freeze != self.frozen {
            self.optimizer = Optimizer::new(&self.config, trainable(&self.varmap, &self.model, freeze))?;
            self.frozen = freeze;
        }
        Ok(())
    }

    fn check_batch(&self, images: &[u8]) -> Result<usize> {
        let n = image_count(images)?;
        if n > self.config.max_batch_size {
            bail!("batch of {n} images is larger than maxBatchSize ({})", self.config.max_batch_size)
        }
        Ok(n)
    }

    /// Restores the last good weights and returns the error that says training diverged at `loss`.
    fn diverged<T>(&mut self, loss: f32) -> Result<T> {
        self.restore_last_good()?;
        bail!(
            "training diverged: the loss became {loss} (learning rate {} is probably too high); \
             the last good weights were restored",
            self.config.learning_rate
        )
    }

    fn restore_last_good(&mut self) -> Result<()> {
        for (var, value) in &self.last_good {
            var.set(value)?;
        }
        self.optimizer = Optimizer::new(&self.config, trainable(&self.varmap, &self.model, self.frozen))?;
        Ok(())
    }
}

/// The variables an optimizer updates: all weights (or only the head's when `head_only`), never the
/// batch-norm running statistics. Sorted by name so the order is reproducible.
fn trainable(varmap: &VarMap, model: &Model, head_only: bool) -> Vec<Var> {
    let head = model.head_layers();
    let vars = varmap.data().lock().expect("varmap lock");
    let mut named: Vec<(&String, &Var)> = vars
        .iter()
        .filter(|(name, _)| !name.contains(".running_"))
        .filter(|(name, _)| !head_only || head.iter().any(|h| name.split('.').next() == Some(h)))
        .collect();
    named.sort_by(|a, b| a.0.cmp(b.0));
    named.into_iter().map(|(_, v)| v.clone()).collect()
}

/// What a training forward pass reads of the trainer, borrowed apart from its generator (which the
/// pass draws from mutably).
#[derive(Clone, Copy)]
struct Pass<'a> {
    model: &'a Model,
    /// Redraw the images with [`Augmentation::DRAWN`] first.
    augment: bool,
    /// Train the head only.
    frozen: bool,
    device: &'a Device,
}

/// The forward pass in training mode (head only when `frozen`; augmentation, when on, and dropout
/// from `rng`) and the batch's mean cross-entropy: `(logits, loss, loss value)`. `n` is the image
/// count, already checked.
fn training_loss(pass: Pass, images: &[u8], labels: &[u8], n: usize, rng: &mut Rng) -> Result<(Tensor, Tensor, f32)> {
    let Pass { model, augment, frozen, device } = pass;
    let ys = labels_to_tensor(labels, n, device)?;
    let xs = if augment {
        let mut redrawn = images.to_vec();
        Augmentation::DRAWN.apply_batch(&mut redrawn, rng);
        images_to_tensor(&redrawn, device)?
    } else {
        images_to_tensor(images, device)?
    };
    let mode = if frozen { Mode::TrainHead(rng) } else { Mode::Train(rng) };
    let logits = model.forward(&xs, mode)?;
    let loss = loss::cross_entropy(&logits, &ys)?;
    let loss_value = loss.to_scalar::<f32>()?;
    Ok((logits, loss, loss_value))
}

fn snapshot(varmap: &VarMap) -> Result<Vec<(Var, Tensor)>> {
    let vars = varmap.data().lock().expect("varmap lock");
    vars.values().map(|v| Ok((v.clone(), v.as_tensor().copy()?))).collect()
}

fn batch_accuracy(logits: &Tensor, labels: &[u8]) -> Result<f32> {
    let predicted = logits.argmax(D::Minus1)?.to_vec1::<u32>()?;
    let correct = predicted.iter().zip(labels).filter(|(p, &l)| **p == l as u32).count();
    Ok(correct as f32 / labels.len() as f32)
}
