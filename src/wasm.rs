//! The JavaScript binding: a thin layer over the core. Each exported type wraps an `inner` core value,
//! and every export returns `Result<_, JsError>`, so bad input throws a JS `Error` and nothing panics
//! across the boundary (a panic would kill the wasm instance and the user's training with it).
//!
//! Compiled for wasm32 only: building a `JsError` off wasm32 panics, so native tests never touch this.

use crate::config::{ModelKind, TrainConfig};
use crate::idx::{parse_idx as parse_idx_core, IdxKind};
use crate::input::IMAGE_PIXELS;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
export interface TrainerConfig {
  model?: 'mlp' | 'cnn' | 'cnn-large';
  optimizer?: 'adam' | 'adamw' | 'sgd';
  learningRate?: number;
  batchSize?: number;
  epochs?: number;
  seed?: number;
  weightDecay?: number;
  momentum?: number;
  validationSize?: number;
  maxBatchSize?: number;
}
export interface StepResult { loss: number; accuracy: number; }
export interface Evaluation {
  count: number; loss: number; accuracy: number;
  confusion: number[][]; precision: number[]; recall: number[]; f1: number[];
  macroF1: number; predictions: Uint8Array;
}
export interface IdxFile { kind: 'images' | 'labels'; count: number; rows: number; cols: number; data: Uint8Array; }
export interface BuildInfo { version: string; simd: boolean; threads: number; models: string[]; }
"#;

/// Turns any displayable core error into a JS `Error`.
fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_err)
}

/// A model with its optimizer: trains on batches, evaluates, predicts, saves and loads weights.
#[wasm_bindgen]
pub struct Trainer {
    inner: crate::Trainer,
}

#[wasm_bindgen]
impl Trainer {
    /// Creates a trainer; `config` keys are optional, unknown keys or bad values throw.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "TrainerConfig | undefined")] config: JsValue) -> Result<Trainer, JsError> {
        console_error_panic_hook::set_once();
        let config: TrainConfig = if config.is_undefined() || config.is_null() {
            TrainConfig::default()
        } else {
            // Through JSON so that serde sees every key and refuses unknown ones (serde-wasm-bindgen
            // only looks up the known fields).
            let json = js_sys::JSON::stringify(&config).map_err(|_| js_err("invalid trainer config: not a plain object"))?;
            serde_json::from_str(&String::from(json)).map_err(|e| js_err(format!("invalid trainer config: {e}")))?
        };
        Ok(Trainer { inner: crate::Trainer::new(config).map_err(js_err)? })
    }

    /// One optimizer step on `images` (N×784 raw bytes) and `labels` (N digits).
    #[wasm_bindgen(js_name = trainBatch, unchecked_return_type = "StepResult")]
    pub fn train_batch(&mut self, images: &[u8], labels: &[u8]) -> Result<JsValue, JsError> {
        to_js(&self.inner.train_batch(images, labels).map_err(js_err)?)
    }

    /// Loss, accuracy, confusion matrix, per-class precision/recall/F1 and predictions.
    #[wasm_bindgen(unchecked_return_type = "Evaluation")]
    pub fn evaluate(&self, images: &[u8], labels: &[u8]) -> Result<JsValue, JsError> {
        let eval = self.inner.evaluate(images, labels).map_err(js_err)?;
        let value = to_js(&eval)?;
        // Predictions as a typed array rather than a plain array of numbers.
        js_sys::Reflect::set(&value, &"predictions".into(), &js_sys::Uint8Array::from(eval.predictions.as_slice()))
            .map_err(|_| js_err("could not build the evaluation object"))?;
        Ok(value)
    }

    /// Softmax probabilities, N×10.
    pub fn predict(&self, images: &[u8]) -> Result<Vec<f32>, JsError> {
        self.inner.predict(images).map_err(js_err)
    }

    /// The weights as safetensors bytes.
    #[wasm_bindgen(js_name = exportWeights)]
    pub fn export_weights(&self) -> Result<Vec<u8>, JsError> {
        self.inner.export_weights().map_err(js_err)
    }

    /// Loads safetensors weights made for the same model; on error the current weights stay.
    #[wasm_bindgen(js_name = importWeights)]
    pub fn import_weights(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.inner.import_weights(bytes).map_err(js_err)
    }

    /// Sets the learning rate for the following steps.
    #[wasm_bindgen(js_name = setLearningRate)]
    pub fn set_learning_rate(&mut self, lr: f64) -> Result<(), JsError> {
        self.inner.set_learning_rate(lr).map_err(js_err)
    }

    /// With `true`, only the dense head trains (fine-tuning).
    #[wasm_bindgen(js_name = freezeFeatures)]
    pub fn freeze_features(&mut self, freeze: bool) -> Result<(), JsError> {
        self.inner.freeze_features(freeze).map_err(js_err)
    }

    /// The resolved configuration.
    #[wasm_bindgen(getter, unchecked_return_type = "TrainerConfig")]
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(self.inner.config())
    }

    /// Optimizer steps taken.
    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> usize {
        self.inner.steps()
    }

    /// Trainable parameters.
    #[wasm_bindgen(getter, js_name = parameterCount)]
    pub fn parameter_count(&self) -> usize {
        self.inner.parameter_count()
    }
}

/// Parses and validates an IDX file (raw or gzip).
#[wasm_bindgen(js_name = parseIdx, unchecked_return_type = "IdxFile")]
pub fn parse_idx(bytes: &[u8]) -> Result<JsValue, JsError> {
    let idx = parse_idx_core(bytes).map_err(js_err)?;
    let (kind, rows, cols) = match idx.kind {
        IdxKind::Images => ("images", idx.dims[1], idx.dims[2]),
        IdxKind::Labels => {
            crate::idx::Idx::clone(&idx).into_labels().map_err(js_err)?;
            ("labels", 0, 0)
        }
    };
    let out = js_sys::Object::new();
    let set = |k: &str, v: JsValue| js_sys::Reflect::set(&out, &k.into(), &v).map(|_| ());
    set("kind", kind.into())
        .and(set("count", (idx.count() as u32).into()))
        .and(set("rows", (rows as u32).into()))
        .and(set("cols", (cols as u32).into()))
        .and(set("data", js_sys::Uint8Array::from(idx.data.as_slice()).into()))
        .map_err(|_| js_err("could not build the IDX object"))?;
    Ok(out.into())
}

/// A canvas buffer (grayscale or RGBA, any size) to 784 MNIST-style bytes; `undefined` if empty.
#[wasm_bindgen(js_name = preprocessDrawing)]
pub fn preprocess_drawing(pixels: &[u8], width: usize, height: usize, channels: usize) -> Result<Option<Vec<u8>>, JsError> {
    crate::preprocess::preprocess_drawing(pixels, width, height, channels).map_err(js_err)
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
        models: ModelKind::ALL.iter().map(|k| k.name()).collect(),
        image_pixels: IMAGE_PIXELS,
    })
}
