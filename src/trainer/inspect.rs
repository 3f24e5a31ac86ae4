//! A look inside the network: what each layer makes of one image (the feature maps of the
//! convolutions and poolings, the dense layers' activations) and the first layer's filters, for the
//! page to draw as tiles beside the prediction.

use super::Trainer;
use crate::input::{images_to_tensor, IMAGE_PIXELS};
use candle_core::{bail, Result};
use serde::Serialize;

/// One layer's output for the image, or the first layer's filters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerView {
    /// The layer's name (`conv1`, `maxpool2`, `fc1`, `bn1`).
    pub name: String,
    /// Its type word (`conv`, `maxpool`, `dense`, `batchnorm`).
    pub kind: &'static str,
    /// The values' shape, batch left out: `(C, H, W)` for a feature map, `(N)` for a vector, and
    /// `(filters, in, k, k)` for filters.
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub values: Vec<f32>,
}

/// Every layer's view of one image, input first, and the first convolution's filters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspection {
    /// Each layer with an output of its own (dropout, the identity at inference, left out).
    pub layers: Vec<LayerView>,
    /// The first convolution's weights, when the network has one.
    pub filters: Option<LayerView>,
}

impl Trainer {
    /// What every layer makes of one image (784 raw bytes), at inference. Weights are unchanged.
    pub fn inspect(&self, image: &[u8]) -> Result<Inspection> {
        if image.len() != IMAGE_PIXELS {
            bail!("inspect takes one 28×28 image ({IMAGE_PIXELS} bytes), got {} bytes", image.len())
        }
        let outputs = self.model.layer_outputs(&images_to_tensor(image, &self.device)?)?;
        let layers = outputs
            .into_iter()
            .map(|(i, t)| {
                let t = t.squeeze(0)?; // (1, ...) → (...)
                let (name, kind) = (self.model.layer_name(i).to_string(), self.model.spec().layers[i].kind());
                Ok(LayerView { name, kind, shape: t.dims().to_vec(), values: t.flatten_all()?.to_vec1()? })
            })
            .collect::<Result<Vec<_>>>()?;
        let filters = match self.model.first_filters() {
            Some(w) => Some(LayerView { name: "conv1".into(), kind: "conv", shape: w.dims().to_vec(), values: w.flatten_all()?.to_vec1()? }),
            None => None,
        };
        Ok(Inspection { layers, filters })
    }
}
