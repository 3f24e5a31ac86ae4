//! `cnn`: the classic Keras MNIST CNN (93,322 parameters).
//!
//! conv 32 3×3 ReLU → max-pool 2 → conv 64 3×3 ReLU → max-pool 2 → conv 64 3×3 ReLU → flatten 576 →
//! dense 64 ReLU → dense 10.

use super::{conv_bias, conv_relu_pool, dense, Pass};
use crate::input::NUM_CLASSES;
use crate::ops::Activation;
use candle_core::{Result, Tensor};
use candle_nn::{conv2d, linear, Conv2d, Conv2dConfig, Linear, VarBuilder};

/// The Keras example CNN.
#[derive(Debug)]
pub struct Cnn {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
    fc1: Linear,
    fc2: Linear,
}

impl Cnn {
    /// Layers trained when features are frozen.
    pub const HEAD: &'static [&'static str] = &["fc1", "fc2"];

    /// Creates the layers under `vb` (`conv1`–`conv3`, `fc1`, `fc2`).
    pub fn new(vb: VarBuilder) -> Result<Self> {
        let cfg = Conv2dConfig::default();
        Ok(Self {
            conv1: conv2d(1, 32, 3, cfg, vb.pp("conv1"))?,
            conv2: conv2d(32, 64, 3, cfg, vb.pp("conv2"))?,
            conv3: conv2d(64, 64, 3, cfg, vb.pp("conv3"))?,
            fc1: linear(576, 64, vb.pp("fc1"))?,
            fc2: linear(64, NUM_CLASSES, vb.pp("fc2"))?,
        })
    }

    pub(super) fn features(&self, xs: &Tensor, _pass: &mut Pass) -> Result<Tensor> {
        let xs = conv_relu_pool(&self.conv1, xs)?; // (B, 32, 26, 26) pooled to (B, 32, 13, 13)
        let xs = conv_relu_pool(&self.conv2, &xs)?; // (B, 64, 11, 11) pooled to (B, 64, 5, 5)
        let xs = conv_bias(&self.conv3, &xs, Activation::Relu)?; // (B, 64, 3, 3)
        xs.flatten_from(1) // (B, 576)
    }

    pub(super) fn head(&self, xs: &Tensor, _pass: &mut Pass) -> Result<Tensor> {
        let xs = dense(&self.fc1, xs, Activation::Relu)?; // (B, 64)
        dense(&self.fc2, &xs, Activation::Identity) // (B, 10)
    }
}
