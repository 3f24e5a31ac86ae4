//! `cnn-large`: a deeper CNN with batch-norm and dropout (330,858 parameters), for the best accuracy.
//!
//! [conv 32 → BN → ReLU] ×2 → max-pool → [conv 64 → BN → ReLU] ×2 → max-pool → dropout 0.25 →
//! dense 256 → BN → ReLU → dropout 0.4 → dense 10. All convolutions are 3×3 without padding.

use super::{conv_bias, dense, Pass};
use crate::input::NUM_CLASSES;
use crate::ops::{self, Activation, FusedBatchNorm};
use candle_core::{Result, Tensor};
use candle_nn::{conv2d, linear, Conv2d, Conv2dConfig, Linear, VarBuilder};

const FEATURE_DROPOUT: f32 = 0.25;
const HEAD_DROPOUT: f32 = 0.4;

/// A VGG-style CNN with batch normalisation.
#[derive(Debug)]
pub struct CnnLarge {
    convs: [(Conv2d, FusedBatchNorm); 4],
    fc1: Linear,
    bn5: FusedBatchNorm,
    fc2: Linear,
}

impl CnnLarge {
    /// Layers trained when features are frozen.
    pub const HEAD: &'static [&'static str] = &["fc1", "bn5", "fc2"];

    /// Creates the layers under `vb` (`conv1`–`conv4`, `bn1`–`bn5`, `fc1`, `fc2`).
    pub fn new(vb: VarBuilder) -> Result<Self> {
        let cfg = Conv2dConfig::default();
        let block = |i: usize, cin: usize, cout: usize| -> Result<(Conv2d, FusedBatchNorm)> {
            Ok((conv2d(cin, cout, 3, cfg, vb.pp(format!("conv{i}")))?, FusedBatchNorm::new(cout, vb.pp(format!("bn{i}")))?))
        };
        Ok(Self {
            convs: [block(1, 1, 32)?, block(2, 32, 32)?, block(3, 32, 64)?, block(4, 64, 64)?],
            fc1: linear(1024, 256, vb.pp("fc1"))?,
            bn5: FusedBatchNorm::new(256, vb.pp("bn5"))?,
            fc2: linear(256, NUM_CLASSES, vb.pp("fc2"))?,
        })
    }

    pub(super) fn features(&self, xs: &Tensor, pass: &mut Pass) -> Result<Tensor> {
        let train = pass.is_train();
        let block = |xs: &Tensor, i: usize| -> Result<Tensor> {
            let (conv, bn) = &self.convs[i];
            // Batch-norm sits between the convolution and the ReLU, so the bias is fused but not the ReLU.
            ops::relu(&bn.forward_t(&conv_bias(conv, xs, Activation::Identity)?, train)?)
        };
        let xs = block(xs, 0)?; // (B, 32, 26, 26)
        let xs = ops::max_pool2x2(&block(&xs, 1)?)?; // (B, 32, 24, 24) → (B, 32, 12, 12)
        let xs = block(&xs, 2)?; // (B, 64, 10, 10)
        let xs = ops::max_pool2x2(&block(&xs, 3)?)?; // (B, 64, 8, 8) → (B, 64, 4, 4)
        pass.dropout(&xs.flatten_from(1)?, FEATURE_DROPOUT) // (B, 1024)
    }

    pub(super) fn head(&self, xs: &Tensor, pass: &mut Pass) -> Result<Tensor> {
        let xs = ops::relu(&self.bn5.forward_t(&dense(&self.fc1, xs, Activation::Identity)?, pass.is_train())?)?; // (B, 256)
        let xs = pass.dropout(&xs, HEAD_DROPOUT)?;
        dense(&self.fc2, &xs, Activation::Identity) // (B, 10)
    }
}
