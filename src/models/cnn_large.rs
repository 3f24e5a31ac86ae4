//! `cnn-large`: a deeper CNN with batch-norm and dropout (~335k parameters), for the best accuracy.
//!
//! [conv 32 → BN → ReLU] ×2 → max-pool → [conv 64 → BN → ReLU] ×2 → max-pool → dropout 0.25 →
//! dense 256 → BN → ReLU → dropout 0.4 → dense 10. All convolutions are 3×3 without padding.

use super::Pass;
use crate::input::NUM_CLASSES;
use candle_core::{Module, ModuleT, Result, Tensor};
use candle_nn::{batch_norm, conv2d, linear, BatchNorm, BatchNormConfig, Conv2d, Conv2dConfig, Linear, VarBuilder};

const FEATURE_DROPOUT: f32 = 0.25;
const HEAD_DROPOUT: f32 = 0.4;

/// A VGG-style CNN with batch normalisation.
#[derive(Debug)]
pub struct CnnLarge {
    convs: [(Conv2d, BatchNorm); 4],
    fc1: Linear,
    bn5: BatchNorm,
    fc2: Linear,
}

impl CnnLarge {
    /// Layers trained when features are frozen.
    pub const HEAD: &'static [&'static str] = &["fc1", "bn5", "fc2"];

    /// Creates the layers under `vb` (`conv1`–`conv4`, `bn1`–`bn5`, `fc1`, `fc2`).
    pub fn new(vb: VarBuilder) -> Result<Self> {
        let cfg = Conv2dConfig::default();
        let bn = BatchNormConfig { eps: 1e-5, remove_mean: true, affine: true, momentum: 0.1 };
        let block = |i: usize, cin: usize, cout: usize| -> Result<(Conv2d, BatchNorm)> {
            Ok((conv2d(cin, cout, 3, cfg, vb.pp(format!("conv{i}")))?, batch_norm(cout, bn, vb.pp(format!("bn{i}")))?))
        };
        Ok(Self {
            convs: [block(1, 1, 32)?, block(2, 32, 32)?, block(3, 32, 64)?, block(4, 64, 64)?],
            fc1: linear(1024, 256, vb.pp("fc1"))?,
            bn5: batch_norm(256, bn, vb.pp("bn5"))?,
            fc2: linear(256, NUM_CLASSES, vb.pp("fc2"))?,
        })
    }

    pub(super) fn features(&self, xs: &Tensor, pass: &mut Pass) -> Result<Tensor> {
        let train = pass.is_train();
        let block = |xs: &Tensor, i: usize| -> Result<Tensor> {
            let (conv, bn) = &self.convs[i];
            bn.forward_t(&conv.forward(xs)?, train)?.relu()
        };
        let xs = block(xs, 0)?; // (B, 32, 26, 26)
        let xs = block(&xs, 1)?.max_pool2d(2)?; // (B, 32, 24, 24) → (B, 32, 12, 12)
        let xs = block(&xs, 2)?; // (B, 64, 10, 10)
        let xs = block(&xs, 3)?.max_pool2d(2)?; // (B, 64, 8, 8) → (B, 64, 4, 4)
        pass.dropout(&xs.flatten_from(1)?, FEATURE_DROPOUT) // (B, 1024)
    }

    pub(super) fn head(&self, xs: &Tensor, pass: &mut Pass) -> Result<Tensor> {
        let xs = self.bn5.forward_t(&self.fc1.forward(xs)?, pass.is_train())?.relu()?; // (B, 256)
        let xs = pass.dropout(&xs, HEAD_DROPOUT)?;
        self.fc2.forward(&xs) // (B, 10)
    }
}
