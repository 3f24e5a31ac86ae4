//! [`Model`]: the network a [`ModelSpec`] describes, built layer by layer on the fused ops.
//!
//! Consecutive layers fuse where an op covers them: a convolution directly followed by max-pooling
//! runs as one [`ops::conv2d_pool2x2`] (the activation and the pooling applied while each value is in
//! registers), and every convolution goes through [`ops::conv2d`], which takes the fastest path that
//! fits its shape (Winograd, the direct first-layer kernel, or im2col for any other kernel size). A
//! `same` convolution pads its input with zeros first and then runs as a `valid` one. Batch-norm
//! applies its activation after the normalisation.
//!
//! The network is split into *features* and *head* for fine-tuning with frozen features: the head
//! is everything from the first dense layer on when other layers come before it (a CNN's dense
//! layers), and everything after the first dense layer when the network starts with one (an MLP's
//! output layer).

use super::Pass;
use crate::input::IMAGE_SIDE;
use crate::ops::{self, Activation, FusedBatchNorm};
use crate::spec::{Act, Layer, ModelSpec, Padding, Shape};
use candle_core::{bail, Result, Tensor};
use candle_nn::{conv2d, linear, Conv2d, Conv2dConfig, Linear, VarBuilder};

/// One step of the forward pass: a spec layer, or a convolution with the pooling that follows it.
#[derive(Debug)]
enum Block {
    /// `act(conv(pad(x)) + b)`, 2×2-max-pooled when `pool`.
    Conv { conv: Conv2d, pad: usize, act: Activation, pool: bool },
    /// 2×2 max-pooling on its own (after a batch-norm, say).
    Pool,
    /// `(B, C, H, W)` to `(B, C·H·W)`, before the first dense layer.
    Flatten,
    /// `act(x · wᵀ + b)`.
    Dense { layer: Linear, act: Activation },
    /// Inverted dropout while training.
    Dropout(f32),
    /// Batch normalisation, then `relu` when set.
    BatchNorm { bn: FusedBatchNorm, relu: bool },
}

/// A network built from a spec: maps normalised images `(B, 1, 28, 28)` to logits `(B, 10)`.
#[derive(Debug)]
pub struct Model {
    spec: ModelSpec,
    blocks: Vec<Block>,
    /// Each block's spec layer (a fused convolution's own; its pooling is the next layer), `None`
    /// for the implied flatten.
    layer_of: Vec<Option<usize>>,
    /// Index of the head's first block.
    head_from: usize,
    /// Names of the head's layers with weights (their tensor prefixes).
    head: Vec<String>,
    /// Every spec layer's name (`conv1`, `maxpool1`, `fc2`), from the summary.
    names: Vec<String>,
}

impl Model {
    /// Checks `spec` and creates its variables in `vb` under the layers' names (`conv1`, `fc2`, …).
    pub fn new(spec: &ModelSpec, vb: VarBuilder) -> Result<Self> {
        let summary = spec.summary()?;
        let rows: Vec<_> = summary.layers.iter().filter(|r| r.kind != "flatten").collect();
        let head_layer = head_start(&spec.layers);
        let mut shape = Shape::Map(1, IMAGE_SIDE, IMAGE_SIDE);
        let (mut blocks, mut head_from, mut head) = (Vec::with_capacity(spec.layers.len() + 1), 0, Vec::new());
        let mut layer_of = Vec::with_capacity(spec.layers.len() + 1);
        for (i, (layer, row)) in spec.layers.iter().zip(&rows).enumerate() {
            if i >= head_layer && !row.tensors.is_empty() {
                head.push(row.name.clone());
            }
            let vb = vb.pp(&row.name);
            let block = match *layer {
                Layer::Conv { filters, kernel, padding, activation } => {
                    let pad = if padding == Padding::Same { kernel / 2 } else { 0 };
                    let conv = conv2d(channels(shape), filters, kernel, Conv2dConfig::default(), vb)?;
                    Block::Conv { conv, pad, act: activation_of(activation), pool: false }
                }
                // The pooling joins the convolution right before it (the head never starts at a
                // pooling layer, which needs a feature map, so the two are on the same side).
                Layer::Maxpool => match blocks.last_mut() {
                    Some(Block::Conv { pool, .. }) if !*pool => {
                        *pool = true;
                        shape = row.output;
                        continue;
                    }
                    _ => Block::Pool,
                },
                Layer::Dense { units, activation } => {
                    if let Shape::Map(..) = shape {
                        blocks.push(Block::Flatten);
                        layer_of.push(None);
                        shape = Shape::Flat(shape.size());
                    }
                    Block::Dense { layer: linear(shape.size(), units, vb)?, act: activation_of(activation) }
                }
                Layer::Dropout { rate } => Block::Dropout(rate as f32),
                Layer::Batchnorm { activation } => Block::BatchNorm { bn: FusedBatchNorm::new(channels(shape), vb)?, relu: activation == Act::Relu },
            };
            if i == head_layer {
                head_from = blocks.len();
            }
            blocks.push(block);
            layer_of.push(Some(i));
            shape = row.output;
        }
        let names = rows.iter().map(|r| r.name.clone()).collect();
        Ok(Self { spec: spec.clone(), blocks, layer_of, head_from, head, names })
    }

    /// The spec this network was built from.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// The name of spec layer `i` (its tensor prefix, or its kind and position).
    pub fn layer_name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// Whether any layer is a batch normalisation (whose training pass needs the whole batch).
    pub fn has_batch_norm(&self) -> bool {
        self.blocks.iter().any(|b| matches!(b, Block::BatchNorm { .. }))
    }

    /// Names of the head's layers (the part trained when features are frozen).
    pub fn head_layers(&self) -> &[String] {
        &self.head
    }

    /// Inference on `xs` layer by layer, keeping each spec layer's output: `(layer index, output)` for
    /// every layer but dropout (which is the identity at inference). A fused convolution runs as
    /// the convolution and then the pooling, which gives the same values, so both are seen.
    pub fn layer_outputs(&self, xs: &Tensor) -> Result<Vec<(usize, Tensor)>> {
        let mut pass = Pass::eval();
        let mut out = Vec::with_capacity(self.spec.layers.len());
        let mut xs = xs.clone();
        for (block, at) in self.blocks.iter().zip(&self.layer_of) {
            if let (Block::Conv { conv, pad, act, pool: true }, Some(i)) = (block, at) {
                xs = conv_forward(conv, *pad, *act, false, &xs)?;
                out.push((*i, xs.clone()));
                xs = ops::max_pool2x2(&xs)?;
                out.push((i + 1, xs.clone()));
                continue;
            }
            xs = block.forward(&xs, &mut pass)?;
            if let (Some(i), false) = (at, matches!(block, Block::Dropout(_))) {
                out.push((*i, xs.clone()));
            }
        }
        Ok(out)
    }

    /// The first convolution's weights `(filters, 1, k, k)`, if the network has one.
    pub fn first_filters(&self) -> Option<&Tensor> {
        self.blocks.iter().find_map(|b| match b {
            Block::Conv { conv, .. } => Some(conv.weight()),
            _ => None,
        })
    }

    /// The feature layers on `xs`: everything before the head.
    pub(super) fn features(&self, xs: &Tensor, pass: &mut Pass) -> Result<Tensor> {
        run(&self.blocks[..self.head_from], xs, pass)
    }

    /// The head on the features' output: the logits `(B, 10)`.
    pub(super) fn head(&self, xs: &Tensor, pass: &mut Pass) -> Result<Tensor> {
        run(&self.blocks[self.head_from..], xs, pass)
    }
}

/// The blocks in order on `xs`.
fn run(blocks: &[Block], xs: &Tensor, pass: &mut Pass) -> Result<Tensor> {
    blocks.iter().try_fold(xs.clone(), |xs, block| block.forward(&xs, pass))
}

impl Block {
    /// This block on `xs`.
    fn forward(&self, xs: &Tensor, pass: &mut Pass) -> Result<Tensor> {
        match self {
            Block::Conv { conv, pad, act, pool } => conv_forward(conv, *pad, *act, *pool, xs),
            Block::Pool => ops::max_pool2x2(xs),  // (B, C, H, W) → (B, C, H/2, W/2)
            Block::Flatten => xs.flatten_from(1), // (B, C, H, W) → (B, C·H·W)
            Block::Dense { layer, act } => {
                let Some(bias) = layer.bias() else { bail!("dense layers have a bias") };
                ops::linear(xs, layer.weight(), bias, *act) // (B, in) → (B, units)
            }
            Block::Dropout(p) => pass.dropout(xs, *p),
            Block::BatchNorm { bn, relu } => {
                let ys = bn.forward_t(xs, pass.is_train())?;
                if *relu {
                    ops::relu(&ys)
                } else {
                    Ok(ys)
                }
            }
        }
    }
}

/// `act(conv(pad(xs)) + b)`, 2×2-max-pooled when `pool`.
fn conv_forward(conv: &Conv2d, pad: usize, act: Activation, pool: bool, xs: &Tensor) -> Result<Tensor> {
    // (B, Cin, H, W) → (B, Cin, H + 2·pad, W + 2·pad)
    let padded = if pad > 0 { xs.pad_with_zeros(2, pad, pad)?.pad_with_zeros(3, pad, pad)? } else { xs.clone() };
    let Some(bias) = conv.bias() else { bail!("convolution layers have a bias") };
    // → (B, Cout, OH, OW), or (B, Cout, OH/2, OW/2) pooled
    if pool {
        ops::conv2d_pool2x2(&padded, conv.weight(), bias, act)
    } else {
        ops::conv2d(&padded, conv.weight(), bias, act)
    }
}

/// Index of the head's first layer in `layers` (see the [module docs](self)); `layers.len()` never,
/// as the last layer, the logits, is always in the head.
fn head_start(layers: &[Layer]) -> usize {
    match layers.iter().position(|l| matches!(l, Layer::Dense { .. })) {
        Some(0) if layers.len() > 1 => 1,
        Some(first) => first,
        None => 0,
    }
}

fn channels(shape: Shape) -> usize {
    match shape {
        Shape::Map(c, ..) => c,
        Shape::Flat(n) => n,
    }
}

fn activation_of(act: Act) -> Activation {
    match act {
        Act::None => Activation::Identity,
        Act::Relu => Activation::Relu,
    }
}
