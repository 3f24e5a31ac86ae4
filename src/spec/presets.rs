//! The networks a learner starts from, as specs: the brief's models, smallest first.

use super::{Act, Layer, ModelSpec, Padding};

/// Every preset's name, smallest network first.
pub const PRESETS: [&str; 5] = ["mlp-plain", "mlp", "cnn", "keras-cnn", "cnn-large"];

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

/// The preset called `name`, or `None`.
///
/// - `mlp-plain`: 784-128 ReLU-10.
/// - `mlp`: 784-128 ReLU-dropout 0.2-10 (the TensorFlow beginner tutorial).
/// - `cnn`: conv 32-pool-conv 64-pool-conv 64-dense 64-dense 10 (the TensorFlow CNN tutorial).
/// - `keras-cnn`: conv 32-conv 64-pool-dropout 0.25-dense 128-dropout 0.5-dense 10 (Keras'
///   `mnist_cnn` example, trained there with Adadelta).
/// - `cnn-large`: [conv 32-BN-ReLU]×2-pool-[conv 64-BN-ReLU]×2-pool-dropout 0.25-dense 256-BN-ReLU-
///   dropout 0.4-dense 10.
pub fn preset(name: &str) -> Option<ModelSpec> {
    use Act::{None as Linear, Relu};
    let layers = match name {
        "mlp-plain" => vec![dense(128, Relu), dense(10, Linear)],
        "mlp" => vec![dense(128, Relu), dropout(0.2), dense(10, Linear)],
        "cnn" => vec![conv(32, Relu), Layer::Maxpool, conv(64, Relu), Layer::Maxpool, conv(64, Relu), dense(64, Relu), dense(10, Linear)],
        "keras-cnn" => vec![conv(32, Relu), conv(64, Relu), Layer::Maxpool, dropout(0.25), dense(128, Relu), dropout(0.5), dense(10, Linear)],
        "cnn-large" => vec![
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
        _ => return None,
    };
    Some(ModelSpec { layers })
}
