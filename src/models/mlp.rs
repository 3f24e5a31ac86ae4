//! `mlp`: the seed model, 784-128-ReLU-dropout(0.2)-10 (101,770 parameters).

use super::{dense, Pass};
use crate::input::{IMAGE_PIXELS, NUM_CLASSES};
use crate::ops::Activation;
use candle_core::{Result, Tensor};
use candle_nn::{linear, Linear, VarBuilder};

const HIDDEN: usize = 128;
const DROPOUT: f32 = 0.2;

/// A one-hidden-layer perceptron.
#[derive(Debug)]
pub struct Mlp {
    fc1: Linear,
    fc2: Linear,
}

impl Mlp {
    /// Layers trained when features are frozen.
    pub const HEAD: &'static [&'static str] = &["fc2"];

    /// Creates the layers under `vb` (`fc1`, `fc2`).
    pub fn new(vb: VarBuilder) -> Result<Self> {
        Ok(Self { fc1: linear(IMAGE_PIXELS, HIDDEN, vb.pp("fc1"))?, fc2: linear(HIDDEN, NUM_CLASSES, vb.pp("fc2"))? })
    }

    pub(super) fn features(&self, xs: &Tensor, _pass: &mut Pass) -> Result<Tensor> {
        let xs = xs.flatten_from(1)?; // (B, 784)
        dense(&self.fc1, &xs, Activation::Relu) // (B, 128)
    }

    pub(super) fn head(&self, xs: &Tensor, pass: &mut Pass) -> Result<Tensor> {
        let xs = pass.dropout(xs, DROPOUT)?;
        dense(&self.fc2, &xs, Activation::Identity) // (B, 10)
    }
}
