//! The three networks, selected by [`ModelKind`], and what they share: seeded initialisation, seeded
//! dropout, and the split into *features* (frozen when fine-tuning the head) and *head*.
//!
//! Every model maps normalised images `(B, 1, 28, 28)` to logits `(B, 10)`.
//!
//! # Weights-file format
//! The names given through `VarBuilder::pp` are the safetensors keys, so they are a file format and
//! must not change. Each layer stores `<layer>.weight` and `<layer>.bias`; batch-norm layers also store
//! `<layer>.running_mean` and `<layer>.running_var`. Convolution weights are `(out, in, 3, 3)` and dense
//! weights `(out, in)`, as in PyTorch, so the files load into an equivalent `torch.nn` module.
//!
//! | model | layers (features → head) |
//! |---|---|
//! | `mlp` | `fc1` → `fc2` |
//! | `cnn` | `conv1`, `conv2`, `conv3` → `fc1`, `fc2` |
//! | `cnn-large` | `conv1`–`conv4`, `bn1`–`bn4` → `fc1`, `bn5`, `fc2` |

mod cnn;
mod cnn_large;
mod mlp;

pub use cnn::Cnn;
pub use cnn_large::CnnLarge;
pub use mlp::Mlp;

use crate::config::ModelKind;
use crate::ops::{self, Activation};
use crate::rng::Rng;
use candle_core::{bail, Result, Tensor, Var};
use candle_nn::{Conv2d, Linear, VarBuilder, VarMap};

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

/// One of the three networks.
// One value per trainer, built once: boxing the largest variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Model {
    /// See [`Mlp`].
    Mlp(Mlp),
    /// See [`Cnn`].
    Cnn(Cnn),
    /// See [`CnnLarge`].
    CnnLarge(CnnLarge),
}

impl Model {
    /// Builds `kind`, creating its variables in `vb`.
    pub fn new(kind: ModelKind, vb: VarBuilder) -> Result<Self> {
        Ok(match kind {
            ModelKind::Mlp => Model::Mlp(Mlp::new(vb)?),
            ModelKind::Cnn => Model::Cnn(Cnn::new(vb)?),
            ModelKind::CnnLarge => Model::CnnLarge(CnnLarge::new(vb)?),
        })
    }

    /// Which network this is.
    pub fn kind(&self) -> ModelKind {
        match self {
            Model::Mlp(_) => ModelKind::Mlp,
            Model::Cnn(_) => ModelKind::Cnn,
            Model::CnnLarge(_) => ModelKind::CnnLarge,
        }
    }

    /// Layer names of the head (the part trained when features are frozen).
    pub fn head_layers(kind: ModelKind) -> &'static [&'static str] {
        match kind {
            ModelKind::Mlp => Mlp::HEAD,
            ModelKind::Cnn => Cnn::HEAD,
            ModelKind::CnnLarge => CnnLarge::HEAD,
        }
    }

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

    fn features(&self, xs: &Tensor, pass: &mut Pass) -> Result<Tensor> {
        match self {
            Model::Mlp(m) => m.features(xs, pass),
            Model::Cnn(m) => m.features(xs, pass),
            Model::CnnLarge(m) => m.features(xs, pass),
        }
    }

    fn head(&self, xs: &Tensor, pass: &mut Pass) -> Result<Tensor> {
        match self {
            Model::Mlp(m) => m.head(xs, pass),
            Model::Cnn(m) => m.head(xs, pass),
            Model::CnnLarge(m) => m.head(xs, pass),
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

/// `max_pool2(relu(conv + bias))` of a convolution layer with the fused [`ops::conv2d_pool2x2`].
fn conv_relu_pool(conv: &Conv2d, xs: &Tensor) -> Result<Tensor> {
    let Some(bias) = conv.bias() else { bail!("convolution layers have a bias") };
    ops::conv2d_pool2x2(xs, conv.weight(), bias, Activation::Relu)
}

/// `act(conv + bias)` of a convolution layer (stride 1, no padding) with the fused [`ops::conv2d`].
pub(super) fn conv_bias(conv: &Conv2d, xs: &Tensor, activation: Activation) -> Result<Tensor> {
    let Some(bias) = conv.bias() else { bail!("convolution layers have a bias") };
    ops::conv2d(xs, conv.weight(), bias, activation)
}

/// `act(xs · wᵀ + b)` of a dense layer with the fused [`ops::linear`].
pub(super) fn dense(layer: &Linear, xs: &Tensor, activation: Activation) -> Result<Tensor> {
    let Some(bias) = layer.bias() else { bail!("dense layers have a bias") };
    ops::linear(xs, layer.weight(), bias, activation)
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
