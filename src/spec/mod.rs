//! A network described as data: a sequence of layers, read from JSON, checked, and summarised layer
//! by layer as Keras' `model.summary()` does.
//!
//! ```json
//! { "layers": [
//!   { "type": "conv", "filters": 32, "kernel": 3, "activation": "relu" },
//!   { "type": "maxpool" },
//!   { "type": "dense", "units": 10 }
//! ] }
//! ```
//!
//! The input is one 28×28 grey image, `(1, 28, 28)`. Layers:
//! - `conv`: `filters`, `kernel` 3 or 5 (default 3), `padding` `"valid"` (default) or `"same"`,
//!   `activation`;
//! - `maxpool`: 2×2, stride 2 (an odd side loses its last row and column);
//! - `dense`: `units`, `activation`; the feature map is flattened before the first dense layer;
//! - `dropout`: `rate` in [0, 1);
//! - `batchnorm`: per channel after a convolution, per unit after a dense layer; `activation`
//!   applied after the normalisation (conv → batch-norm → ReLU).
//!
//! `activation` is `"relu"` or `"none"` (the default). Softmax belongs to the loss, so the last
//! layer is a dense layer of 10 units without activation: the logits.
//!
//! # Names
//! Layers with weights are named by kind and position: `conv1`, `conv2`, … for convolutions,
//! `fc1`, … for dense layers and `bn1`, … for batch-norm layers, counted from the input. These names
//! are the safetensors keys (`conv1.weight`, `bn1.running_mean`, …), so a spec for today's `mlp`,
//! `cnn` and `cnn-large` names its tensors as those models do and loads their weights files.

mod presets;

pub use presets::{preset, ModelKind};

use crate::input::{IMAGE_SIDE, NUM_CLASSES};
use candle_core::{bail, Result};
use serde::{Deserialize, Serialize};

/// Most parameters a spec may have: a network this size still trains in a browser tab.
pub const MAX_PARAMS: usize = 5_000_000;
/// Most layers in a spec.
pub const MAX_LAYERS: usize = 32;
/// Most filters of a convolution and units of a dense layer.
pub const MAX_WIDTH: usize = 1024;

/// What follows a convolution, a dense layer or a batch-norm layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Act {
    /// Nothing: the layer's output as it is.
    #[default]
    None,
    /// max(0, x).
    Relu,
}

/// How a convolution treats the border.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Padding {
    /// No padding: each side shrinks by `kernel - 1`.
    #[default]
    Valid,
    /// Zero padding of `kernel / 2`: the side stays.
    Same,
}

fn default_kernel() -> usize {
    3
}

/// One layer of a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Layer {
    /// A 2-D convolution, stride 1.
    Conv {
        /// Output channels.
        filters: usize,
        /// Side of the square kernel: 3 or 5.
        #[serde(default = "default_kernel")]
        kernel: usize,
        /// Border handling.
        #[serde(default)]
        padding: Padding,
        /// Applied to the output.
        #[serde(default)]
        activation: Act,
    },
    /// 2×2 max-pooling, stride 2.
    Maxpool,
    /// A fully connected layer (the feature map is flattened before the first).
    Dense {
        /// Output units.
        units: usize,
        /// Applied to the output.
        #[serde(default)]
        activation: Act,
    },
    /// Inverted dropout while training; nothing at inference.
    Dropout {
        /// Share of the inputs zeroed, in [0, 1).
        rate: f64,
    },
    /// Batch normalisation (per channel or per unit), then `activation`.
    Batchnorm {
        /// Applied after the normalisation.
        #[serde(default)]
        activation: Act,
    },
}

impl Layer {
    /// The word a spec uses for this layer's type.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Conv { .. } => "conv",
            Layer::Maxpool => "maxpool",
            Layer::Dense { .. } => "dense",
            Layer::Dropout { .. } => "dropout",
            Layer::Batchnorm { .. } => "batchnorm",
        }
    }
}

/// A sequential network from a `(1, 28, 28)` image to 10 logits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// The layers, input first.
    pub layers: Vec<Layer>,
}

/// The shape of the activations between layers (batch left out); serialised as its dimensions,
/// `[32, 26, 26]` or `[128]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A feature map: (channels, height, width).
    Map(usize, usize, usize),
    /// A vector of units.
    Flat(usize),
}

impl Shape {
    /// The shape's dimensions, as a summary prints them.
    pub fn dims(self) -> Vec<usize> {
        match self {
            Shape::Map(c, h, w) => vec![c, h, w],
            Shape::Flat(n) => vec![n],
        }
    }

    /// Values per example.
    pub fn size(self) -> usize {
        self.dims().iter().product()
    }
}

impl Serialize for Shape {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(self.dims())
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Map(c, h, w) => write!(f, "({c}, {h}, {w})"),
            Shape::Flat(n) => write!(f, "({n})"),
        }
    }
}

/// One row of a summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerSummary {
    /// The layer's name: its tensor prefix (`conv1`, `fc2`, `bn3`) or, for layers without weights,
    /// its kind and position (`maxpool1`, `dropout2`, `flatten`).
    pub name: String,
    /// The layer's type word (`conv`, `maxpool`, `flatten`, ...).
    pub kind: &'static str,
    /// Output shape, batch left out.
    pub output: Shape,
    /// Trainable parameters (weights and biases; batch-norm's scale and shift).
    pub params: usize,
    /// Parameters kept but not trained (batch-norm's running mean and variance).
    pub fixed: usize,
    /// The layer's tensors as a weights file holds them: key and shape.
    pub tensors: Vec<(String, Vec<usize>)>,
}

/// A checked spec, layer by layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// One row per layer, the implied flatten included.
    pub layers: Vec<LayerSummary>,
    /// Trainable parameters in all.
    pub params: usize,
    /// Running statistics in all.
    pub fixed: usize,
}

impl ModelSpec {
    /// Reads a spec from JSON (unknown keys and layer types are refused) and checks it.
    pub fn from_json(text: &str) -> Result<(Self, Summary)> {
        let spec: ModelSpec = match serde_json::from_str(text) {
            Ok(spec) => spec,
            Err(e) => bail!("not a model spec: {e}"),
        };
        let summary = spec.summary()?;
        Ok((spec, summary))
    }

    /// The spec as JSON, the form kept in weights files.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a spec always serialises")
    }

    /// Checks the spec and computes every layer's output shape and parameter count. An error names
    /// the layer (position and type) that is wrong and why.
    pub fn summary(&self) -> Result<Summary> {
        if self.layers.is_empty() {
            bail!("the network has no layers: it needs at least a dense layer of {NUM_CLASSES} units");
        }
        if self.layers.len() > MAX_LAYERS {
            bail!("the network has {} layers; at most {MAX_LAYERS} are allowed", self.layers.len());
        }
        let mut shape = Shape::Map(1, IMAGE_SIDE, IMAGE_SIDE);
        let mut rows = Vec::with_capacity(self.layers.len() + 1);
        let mut counts = [0usize; 5]; // conv, maxpool, dense, dropout, batchnorm
        for (i, layer) in self.layers.iter().enumerate() {
            let at = format!("layer {} ({})", i + 1, layer.kind());
            let (name, output, params, fixed) = match *layer {
                Layer::Conv { filters, kernel, padding, .. } => {
                    let Shape::Map(c, h, w) = shape else {
                        bail!("{at}: a convolution needs a feature map, but it follows a dense layer");
                    };
                    check_width(&at, "filters", filters)?;
                    if kernel != 3 && kernel != 5 {
                        bail!("{at}: kernel is 3 or 5, not {kernel}");
                    }
                    let (oh, ow) = match padding {
                        Padding::Same => (h, w),
                        Padding::Valid => {
                            if h < kernel || w < kernel {
                                bail!("{at}: the feature map is {h}×{w}, too small for a {kernel}×{kernel} kernel without padding (use padding \"same\" or fewer pooling layers)");
                            }
                            (h - kernel + 1, w - kernel + 1)
                        }
                    };
                    counts[0] += 1;
                    (format!("conv{}", counts[0]), Shape::Map(filters, oh, ow), filters * c * kernel * kernel + filters, 0)
                }
                Layer::Maxpool => {
                    let Shape::Map(c, h, w) = shape else {
                        bail!("{at}: pooling needs a feature map, but it follows a dense layer");
                    };
                    if h < 2 || w < 2 {
                        bail!("{at}: the feature map is {h}×{w}, too small to pool 2×2");
                    }
                    counts[1] += 1;
                    (format!("maxpool{}", counts[1]), Shape::Map(c, h / 2, w / 2), 0, 0)
                }
                Layer::Dense { units, .. } => {
                    check_width(&at, "units", units)?;
                    if let Shape::Map(..) = shape {
                        let flat = Shape::Flat(shape.size());
                        rows.push(LayerSummary { name: "flatten".into(), kind: "flatten", output: flat, params: 0, fixed: 0, tensors: Vec::new() });
                        shape = flat;
                    }
                    counts[2] += 1;
                    (format!("fc{}", counts[2]), Shape::Flat(units), units * shape.size() + units, 0)
                }
                Layer::Dropout { rate } => {
                    if !(0.0..1.0).contains(&rate) {
                        bail!("{at}: rate is in [0, 1), not {rate}");
                    }
                    counts[3] += 1;
                    (format!("dropout{}", counts[3]), shape, 0, 0)
                }
                Layer::Batchnorm { .. } => {
                    let features = channels(shape);
                    counts[4] += 1;
                    (format!("bn{}", counts[4]), shape, 2 * features, 2 * features)
                }
            };
            let tensors = match *layer {
                Layer::Conv { filters, kernel, .. } => {
                    vec![(format!("{name}.weight"), vec![filters, channels(shape), kernel, kernel]), (format!("{name}.bias"), vec![filters])]
                }
                Layer::Dense { units, .. } => vec![(format!("{name}.weight"), vec![units, shape.size()]), (format!("{name}.bias"), vec![units])],
                Layer::Batchnorm { .. } => {
                    ["weight", "bias", "running_mean", "running_var"].iter().map(|t| (format!("{name}.{t}"), vec![channels(shape)])).collect()
                }
                Layer::Maxpool | Layer::Dropout { .. } => Vec::new(),
            };
            rows.push(LayerSummary { name, kind: layer.kind(), output, params, fixed, tensors });
            shape = output;
        }
        let last = self.layers.len();
        match self.layers[last - 1] {
            Layer::Dense { units, activation } => {
                if units != NUM_CLASSES {
                    bail!("layer {last} (dense): the last layer gives one logit per digit, so it has {NUM_CLASSES} units, not {units}");
                }
                if activation != Act::None {
                    bail!("layer {last} (dense): the last layer gives the logits, so it has no activation (softmax belongs to the loss)");
                }
            }
            ref other => bail!("layer {last} ({}): the last layer is a dense layer of {NUM_CLASSES} units, the logits", other.kind()),
        }
        let params = rows.iter().map(|r| r.params).sum();
        let fixed = rows.iter().map(|r| r.fixed).sum();
        if params > MAX_PARAMS {
            let biggest = rows.iter().max_by_key(|r| r.params).map(|r| format!(" ({} has {})", r.name, group(r.params))).unwrap_or_default();
            bail!("the network has {} parameters, over the limit of {} that keeps a browser tab usable{biggest}", group(params), group(MAX_PARAMS));
        }
        Ok(Summary { layers: rows, params, fixed })
    }
}

/// Channels of a feature map, units of a vector: what batch-norm normalises over.
fn channels(shape: Shape) -> usize {
    match shape {
        Shape::Map(c, ..) => c,
        Shape::Flat(n) => n,
    }
}

fn check_width(at: &str, what: &str, n: usize) -> Result<()> {
    if n == 0 || n > MAX_WIDTH {
        bail!("{at}: {what} is 1 to {MAX_WIDTH}, not {n}");
    }
    Ok(())
}

/// `n` with thousands separated by commas, as a summary prints counts.
pub fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

impl std::fmt::Display for Summary {
    /// The table Keras' `model.summary()` prints: layer, output shape, parameters, and the totals.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rows: Vec<[String; 3]> = self
            .layers
            .iter()
            .map(|r| {
                [
                    format!("{} ({})", r.name, r.kind),
                    format!("(None, {})", r.output.dims().iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
                    group(r.params + r.fixed),
                ]
            })
            .collect();
        let header = ["Layer (type)".to_string(), "Output Shape".to_string(), "Param #".to_string()];
        let width = |k: usize| rows.iter().map(|r| r[k].chars().count()).chain([header[k].len()]).max().unwrap_or(0);
        let (a, b, c) = (width(0), width(1), width(2));
        let rule = "─".repeat(a + b + c + 6);
        writeln!(f, "{:<a$}   {:<b$}   {:>c$}", header[0], header[1], header[2])?;
        writeln!(f, "{rule}")?;
        for r in &rows {
            writeln!(f, "{:<a$}   {:<b$}   {:>c$}", r[0], r[1], r[2])?;
        }
        writeln!(f, "{rule}")?;
        writeln!(f, "Total params: {}", group(self.params + self.fixed))?;
        writeln!(f, "Trainable params: {}", group(self.params))?;
        write!(f, "Non-trainable params: {}", group(self.fixed))
    }
}

#[cfg(test)]
mod tests;
