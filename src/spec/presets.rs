//! The networks a learner starts from, as specs: the brief's models, smallest first, named by
//! [`ModelKind`].

use super::{Act, Layer, ModelSpec, Padding};
use candle_core::{bail, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which network to build: a preset, or `custom` for a spec of one's own. The names are part of the
/// weights-file format (safetensors metadata).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ModelKind {
    /// 784-128 ReLU-10.
    #[serde(rename = "mlp-plain")]
    MlpPlain,
    /// 784-128 ReLU-dropout 0.2-10.
    #[serde(rename = "mlp")]
    Mlp,
    /// The TensorFlow tutorial CNN: conv32-pool-conv64-pool-conv64-dense64-dense10 (93,322 parameters).
    #[serde(rename = "cnn")]
    Cnn,
    /// Keras' `mnist_cnn` example: conv32-conv64-pool-dropout-dense128-dropout-dense10 (1,199,882).
    #[serde(rename = "keras-cnn")]
    KerasCnn,
    /// A deeper CNN with batch-norm and dropout.
    #[serde(rename = "cnn-large")]
    CnnLarge,
    /// The network of the config's (or the weights file's) own spec.
    #[serde(rename = "custom")]
    Custom,
}

impl ModelKind {
    /// Every preset, smallest network first.
    pub const PRESETS: [ModelKind; 5] = [ModelKind::MlpPlain, ModelKind::Mlp, ModelKind::Cnn, ModelKind::KerasCnn, ModelKind::CnnLarge];

    /// The presets' names, comma-separated, for messages.
    pub fn preset_names() -> String {
        ModelKind::PRESETS.map(|k| k.name()).join(", ")
    }

    /// The name used on the command line, in the UI and in weights files.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::MlpPlain => "mlp-plain",
            ModelKind::Mlp => "mlp",
            ModelKind::Cnn => "cnn",
            ModelKind::KerasCnn => "keras-cnn",
            ModelKind::CnnLarge => "cnn-large",
            ModelKind::Custom => "custom",
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = candle_core::Error;
    fn from_str(s: &str) -> Result<Self> {
        match ModelKind::PRESETS.iter().chain([&ModelKind::Custom]).find(|k| k.name() == s) {
            Some(k) => Ok(*k),
            None => bail!("unknown model '{s}' (expected {} or custom)", ModelKind::preset_names()),
        }
    }
}

fn conv(filters: usize, activation: Act) -> Layer {
    Layer::Conv { filters, kernel: 3, padding: Padding::Valid, activation }
}

fn dense(units: usize, activation: Act) -> Layer {
    Layer::Dense { units, activation }
}

fn dropout(rate: f64) -> Layer {
    Layer::Dropout { rate }
}

fn bn_relu() -> Layer {
    Layer::Batchnorm { activation: Act::Relu }
}

/// The network of preset `kind`; `None` for [`ModelKind::Custom`].
///
/// - `mlp-plain`: 784-128 ReLU-10.
/// - `mlp`: 784-128 ReLU-dropout 0.2-10 (the TensorFlow beginner tutorial).
/// - `cnn`: conv 32-pool-conv 64-pool-conv 64-dense 64-dense 10 (the TensorFlow CNN tutorial).
/// - `keras-cnn`: conv 32-conv 64-pool-dropout 0.25-dense 128-dropout 0.5-dense 10 (Keras'
///   `mnist_cnn` example, trained there with Adadelta).
/// - `cnn-large`: [conv 32-BN-ReLU]×2-pool-[conv 64-BN-ReLU]×2-pool-dropout 0.25-dense 256-BN-ReLU-
///   dropout 0.4-dense 10.
pub fn preset(kind: ModelKind) -> Option<ModelSpec> {
    use Act::{None as Linear, Relu};
    let layers = match kind {
        ModelKind::MlpPlain => vec![dense(128, Relu), dense(10, Linear)],
        ModelKind::Mlp => vec![dense(128, Relu), dropout(0.2), dense(10, Linear)],
        ModelKind::Cnn => vec![conv(32, Relu), Layer::Maxpool, conv(64, Relu), Layer::Maxpool, conv(64, Relu), dense(64, Relu), dense(10, Linear)],
        ModelKind::KerasCnn => vec![conv(32, Relu), conv(64, Relu), Layer::Maxpool, dropout(0.25), dense(128, Relu), dropout(0.5), dense(10, Linear)],
        ModelKind::CnnLarge => vec![
            conv(32, Linear),
            bn_relu(),
            conv(32, Linear),
            bn_relu(),
            Layer::Maxpool,
            conv(64, Linear),
            bn_relu(),
            conv(64, Linear),
            bn_relu(),
            Layer::Maxpool,
            dropout(0.25),
            dense(256, Linear),
            bn_relu(),
            dropout(0.4),
            dense(10, Linear),
        ],
        ModelKind::Custom => return None,
    };
    Some(ModelSpec { layers })
}
