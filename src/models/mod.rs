//! The network a spec describes ([`Model`], built from a [`crate::spec::ModelSpec`]), and what every
//! network shares: seeded initialisation, seeded dropout, and the split into *features* (frozen when
//! fine-tuning the head) and *head*.
//!
//! Every model maps normalised images `(B, 1, 28, 28)` to logits `(B, 10)`.
//!
//! # Weights-file format
//! The names given through `VarBuilder::pp` are the safetensors keys, so they are a file format and
//! must not change: each layer is named by kind and position ([`crate::spec`]: `conv1`, `fc2`, `bn3`)
//! and stores `<layer>.weight` and `<layer>.bias`; batch-norm layers also store
//! `<layer>.running_mean` and `<layer>.running_var`. Convolution weights are `(out, in, k, k)` and
//! dense weights `(out, in)`, as in PyTorch, so the files load into an equivalent `torch.nn` module.
//!
//! | preset | layers (features → head) |
//! |---|---|
//! | `mlp-plain`, `mlp` | `fc1` → `fc2` |
//! | `cnn` | `conv1`, `conv2`, `conv3` → `fc1`, `fc2` |
//! | `keras-cnn` | `conv1`, `conv2` → `fc1`, `fc2` |
//! | `cnn-large` | `conv1`–`conv4`, `bn1`–`bn4` → `fc1`, `bn5`, `fc2` |

mod network;

pub use network::Model;

use crate::rng::Rng;
use candle_core::{Result, Tensor, Var};
use candle_nn::VarMap;

/// How a forward pass runs.
pub enum Mode<'a> {
    /// Inference: batch-norm uses running statistics, no dropout, no gradients needed.
    Eval,
    /// Training every layer; dropout masks come from the given seeded generator.
    Train(&'a mut Rng),
    /// Training the head only: the features run as in `Eval` and are detached, so no gradient is
    /// computed for them (fine-tuning with frozen features).
    TrainHead(&'a mut Rng),
}

impl Model {
    /// Images `(B, 1, 28, 28)` to logits `(B, 10)`.
    pub fn forward(&self, xs: &Tensor, mode: Mode) -> Result<Tensor> {
        match mode {
            Mode::Eval => {
                let mut pass = Pass::eval();
                let f = self.features(xs, &mut pass)?;
                self.head(&f, &mut pass)
            }
            Mode::Train(rng) => {
                let mut pass = Pass::train(rng);
                let f = self.features(xs, &mut pass)?;
                self.head(&f, &mut pass)
            }
            Mode::TrainHead(rng) => {
                let f = self.features(xs, &mut Pass::eval())?.detach();
                self.head(&f, &mut Pass::train(rng))
            }
        }
    }
}

/// State of one forward pass, handed to each layer: whether it trains, and the dropout generator.
pub struct Pass<'a> {
    rng: Option<&'a mut Rng>,
}

impl<'a> Pass<'a> {
    /// An inference pass.
    pub fn eval() -> Self {
        Self { rng: None }
    }

    /// A training pass drawing dropout masks from `rng`.
    pub fn train(rng: &'a mut Rng) -> Self {
        Self { rng: Some(rng) }
    }

    /// True in training passes (batch-norm then uses batch statistics).
    pub fn is_train(&self) -> bool {
        self.rng.is_some()
    }

    /// Inverted dropout with probability `p` in training passes, identity otherwise. The mask comes
    /// from the seeded generator, not Candle's unseedable one, so runs are reproducible.
    pub fn dropout(&mut self, xs: &Tensor, p: f32) -> Result<Tensor> {
        let Some(rng) = self.rng.as_deref_mut() else { return Ok(xs.clone()) };
        let scale = 1.0 / (1.0 - p);
        let mask: Vec<f32> = (0..xs.elem_count()).map(|_| if rng.next_f32() < p { 0.0 } else { scale }).collect();
        xs.mul(&Tensor::from_vec(mask, xs.shape(), xs.device())?)
    }
}

/// Re-initialises every variable from the seeded generator, each from its own stream derived from its
/// name, so the result depends on the seed alone. Conv and dense weights get Glorot-uniform (Keras'
/// default), biases zero; batch-norm scales one, shifts and running means zero, running variances one.
pub fn init_weights(varmap: &VarMap, seed: u64) -> Result<()> {
    let vars = varmap.data().lock().expect("varmap lock");
    for (name, var) in vars.iter() {
        var.set(&initial_value(name, var, seed)?)?;
    }
    Ok(())
}

fn initial_value(name: &str, var: &Var, seed: u64) -> Result<Tensor> {
    let dims = var.dims();
    let fill = |v: f32| Tensor::full(v, dims, var.device());
    if name.ends_with(".running_var") || (name.ends_with(".weight") && dims.len() == 1) {
        return fill(1.0);
    }
    if !name.ends_with(".weight") {
        return fill(0.0); // biases, batch-norm shifts, running means
    }
    let receptive: usize = dims[2..].iter().product();
    let (fan_in, fan_out) = (dims[1] * receptive, dims[0] * receptive);
    let bound = (6.0 / (fan_in + fan_out) as f32).sqrt();
    let values = Rng::derived(seed, name).uniform_vec(var.elem_count(), -bound, bound);
    Tensor::from_vec(values, dims, var.device())
}
