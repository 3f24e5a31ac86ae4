//! Free functions: IDX parsing, drawing preprocessing, the canvas verdict, and what the build
//! can do with the core's defaults and limits.

use super::{bytes_arg, f32_arg, js_err, js_object, to_js, MAX_ARG_BYTES};
use crate::config::{ModelKind, TrainConfig};
use crate::finetune::FineTuneConfig;
use crate::idx::{parse_idx as parse_idx_core, IdxKind};
use crate::input::IMAGE_PIXELS;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Parses and validates an IDX file (raw or gzip).
#[wasm_bindgen(js_name = parseIdx, unchecked_return_type = "IdxFile")]
pub fn parse_idx(#[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue) -> Result<JsValue, JsError> {
    let idx = parse_idx_core(&bytes_arg(&bytes, "IDX file", MAX_ARG_BYTES)?).map_err(js_err)?;
    let (kind, rows, cols) = match idx.kind {
        IdxKind::Images => ("images", idx.dims[1], idx.dims[2]),
        IdxKind::Labels => {
            crate::idx::Idx::clone(&idx).into_labels().map_err(js_err)?;
            ("labels", 0, 0)
        }
    };
    js_object(
        "IDX",
        [
            ("kind", kind.into()),
            ("count", (idx.count() as u32).into()),
            ("rows", (rows as u32).into()),
            ("cols", (cols as u32).into()),
            ("data", js_sys::Uint8Array::from(idx.data.as_slice()).into()),
        ],
    )
}

/// A canvas buffer (grayscale or RGBA, any size) to 784 MNIST-style bytes; `undefined` if empty.
#[wasm_bindgen(js_name = preprocessDrawing)]
pub fn preprocess_drawing(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | Uint8ClampedArray")] pixels: JsValue,
    width: usize,
    height: usize,
    channels: usize,
) -> Result<Option<Vec<u8>>, JsError> {
    crate::preprocess::preprocess_drawing(&bytes_arg(&pixels, "drawing pixels", MAX_ARG_BYTES)?, width, height, channels).map_err(js_err)
}

/// What this build can do: version, SIMD, threads, models.
#[wasm_bindgen(js_name = buildInfo, unchecked_return_type = "BuildInfo")]
pub fn build_info() -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct Info {
        version: &'static str,
        simd: bool,
        threads: usize,
        models: Vec<&'static str>,
        #[serde(rename = "imagePixels")]
        image_pixels: usize,
    }
    to_js(&Info {
        version: env!("CARGO_PKG_VERSION"),
        simd: cfg!(target_feature = "simd128"),
        threads: 1,
        models: ModelKind::PRESETS.iter().map(|k| k.name()).collect(),
        image_pixels: IMAGE_PIXELS,
    })
}

/// A network's summary, layer by layer (name, type, output shape, parameters, tensors), as
/// Keras' `model.summary()` gives it: of preset `model`, or of `spec` with model `custom`. An invalid
/// spec throws a message that names the layer.
#[wasm_bindgen(js_name = summarize, unchecked_return_type = "NetworkSummary")]
pub fn summarize(#[wasm_bindgen(unchecked_param_type = "{ model?: string, spec?: ModelSpec | null }")] network: JsValue) -> Result<JsValue, JsError> {
    #[derive(serde::Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct Network {
        #[serde(default)]
        model: Option<ModelKind>,
        #[serde(default)]
        spec: Option<crate::spec::ModelSpec>,
    }
    let Network { model, spec } = super::parse_object(&network, "network")?;
    let config =
        TrainConfig { model: model.unwrap_or(if spec.is_some() { ModelKind::Custom } else { TrainConfig::default().model }), spec, ..TrainConfig::default() };
    let spec = config.network().map_err(js_err)?;
    #[derive(Serialize)]
    struct Out {
        spec: crate::spec::ModelSpec,
        #[serde(flatten)]
        summary: crate::spec::Summary,
    }
    let summary = spec.summary().map_err(js_err)?;
    to_js(&Out { spec, summary })
}

/// What the canvas should say: a digit, "not sure" between two, or a scribble.
#[wasm_bindgen(unchecked_return_type = "Verdict")]
pub fn judge(
    #[wasm_bindgen(unchecked_param_type = "Float32Array")] probs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] image: JsValue,
) -> Result<JsValue, JsError> {
    let probs = f32_arg(&probs, "probabilities", crate::input::NUM_CLASSES)?;
    to_js(&crate::verdict::judge(&probs, &bytes_arg(&image, "image", IMAGE_PIXELS)?).map_err(js_err)?)
}

/// Every default setting, from the core's one home of them: the page fills its forms from these.
#[wasm_bindgen(unchecked_return_type = "Defaults")]
pub fn defaults() -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Defaults {
        trainer: TrainConfig,
        fine_tune: FineTuneConfig,
        /// Each optimizer's own starting rate (the page switches to it with the optimizer).
        learning_rates: std::collections::BTreeMap<&'static str, f64>,
    }
    let learning_rates = crate::config::OptimizerKind::ALL.iter().map(|k| (k.name(), k.default_learning_rate())).collect();
    to_js(&Defaults { trainer: TrainConfig::default(), fine_tune: FineTuneConfig::default(), learning_rates })
}

/// The limits the core enforces, for the page's form bounds and messages.
#[wasm_bindgen(unchecked_return_type = "Limits")]
pub fn limits() -> Result<JsValue, JsError> {
    to_js(&crate::config::Limits::CURRENT)
}
