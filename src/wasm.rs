//! The JavaScript binding: a thin layer over the core. Each exported type wraps an `inner` core value,
//! and every export returns `Result<_, JsError>`, so bad input throws a JS `Error` and nothing panics
//! across the boundary (a panic would kill the wasm instance and the user's training with it).
//!
//! Byte buffers must be a `Uint8Array` (a Node `Buffer` is one) or a `Uint8ClampedArray` (canvas
//! `ImageData.data`). Anything else throws: wasm-bindgen's `&[u8]` glue would instead convert element
//! by element modulo 256, so a `Float32Array` of 0–1 pixels would silently train on black images.
//!
//! Compiled for wasm32 only: building a `JsError` off wasm32 panics, so native tests never touch this.

use crate::config::{ModelKind, TrainConfig};
use crate::dataset::Dataset;
use crate::finetune::FineTuneConfig;
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
  lrDecay?: number;
  augment?: boolean;
}
export interface FineTuneConfig {
  steps?: number; learningRate?: number; batchSize?: number; ownShare?: number; headOnly?: boolean; seed?: number;
}
export type Verdict =
  | { kind: 'digit'; digit: number; probability: number }
  | { kind: 'unsure'; first: number; firstProbability: number; second: number; secondProbability: number }
  | { kind: 'scribble' };
export interface Defaults { trainer: Required<TrainerConfig>; fineTune: Required<FineTuneConfig>; }
export interface Limits {
  maxEpochs: number; maxBatchSize: number; maxLearningRate: number; maxFineTuneSteps: number;
  maxWeightsBytes: number; maxCanvasSide: number;
}
export interface StepResult { loss: number; accuracy: number; }
export interface ShardGradients { loss: number; correct: number; count: number; values: Float32Array; }
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

/// The largest byte buffer any call copies into wasm memory: a raw IDX file at its limit. Bigger ones are
/// refused before copying, since a failed allocation would abort the instance.
const MAX_ARG_BYTES: usize = crate::idx::MAX_IDX_BYTES + 16;

/// Copies a byte-buffer argument named `name` of at most `limit` bytes, refusing anything but
/// `Uint8Array`/`Uint8ClampedArray`.
fn bytes_arg(value: &JsValue, name: &str, limit: usize) -> Result<Vec<u8>, JsError> {
    let check = |len: u32| match len as usize > limit {
        true => Err(js_err(format!("{name} is {} MB; the limit is {} MB", len >> 20, limit >> 20))),
        false => Ok(()),
    };
    if let Some(a) = value.dyn_ref::<js_sys::Uint8Array>() {
        check(a.length())?;
        return Ok(a.to_vec());
    }
    if let Some(a) = value.dyn_ref::<js_sys::Uint8ClampedArray>() {
        check(a.length())?;
        return Ok(a.to_vec());
    }
    Err(js_err(format!("{name} must be a Uint8Array of bytes (0–255), got {}", type_name(value))))
}

/// Copies a `Float32Array` argument named `name` of at most `limit` values, refusing anything else
/// (wasm-bindgen's `&[f32]` glue would convert an `Array` or a `Uint8Array` element by element).
fn f32_arg(value: &JsValue, name: &str, limit: usize) -> Result<Vec<f32>, JsError> {
    let Some(a) = value.dyn_ref::<js_sys::Float32Array>() else {
        return Err(js_err(format!("{name} must be a Float32Array, got {}", type_name(value))));
    };
    if a.length() as usize > limit {
        return Err(js_err(format!("{name} has {} values; the limit is {limit}", a.length())));
    }
    Ok(a.to_vec())
}

/// The most values a flat gradient or weight vector may have (far above cnn-large's 330,858).
const MAX_FLAT_VALUES: usize = 1 << 24;

/// `Float32Array`, `Array`, `number`, `null`…: what a wrong argument is, for error messages.
fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        return "null".into();
    }
    if value.is_object() {
        let ctor = js_sys::Reflect::get(value, &"constructor".into()).ok().filter(|c| c.is_function());
        let name = ctor.and_then(|c| js_sys::Reflect::get(&c, &"name".into()).ok()).and_then(|n| n.as_string());
        return name.filter(|n| !n.is_empty()).unwrap_or_else(|| "object".into());
    }
    value.js_typeof().as_string().unwrap_or_else(|| "unknown".into())
}

/// Parses a config object (`what` names it in messages) into `T`. Non-finite numbers are refused by name (JSON would turn them into
/// `null` and the message would not say which key), arrays and non-objects as a whole.
fn parse_config(config: &JsValue) -> Result<TrainConfig, JsError> {
    parse_object(config, "trainer config")
}

fn parse_object<T: serde::de::DeserializeOwned + Default>(config: &JsValue, what: &str) -> Result<T, JsError> {
    if config.is_undefined() || config.is_null() {
        return Ok(T::default());
    }
    if !config.is_object() || js_sys::Array::is_array(config) || config.is_function() {
        return Err(js_err(format!("invalid {what}: expected an object of settings, got {}", type_name(config))));
    }
    for entry in js_sys::Object::entries(config.unchecked_ref()).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        if let Some(v) = pair.get(1).as_f64().filter(|v| !v.is_finite()) {
            let key = pair.get(0).as_string().unwrap_or_default();
            let v = if v.is_nan() {
                "NaN"
            } else if v > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            };
            return Err(js_err(format!("invalid {what}: {key} must be a finite number, got {v}")));
        }
    }
    // Through JSON so that serde sees every key and refuses unknown ones (serde-wasm-bindgen only looks up
    // the known fields).
    let json = js_sys::JSON::stringify(config).ok().and_then(|j| j.as_string());
    let json = json.ok_or_else(|| js_err(format!("invalid {what}: not a plain object (JSON.stringify failed)")))?;
    serde_json::from_str(&json).map_err(|e| js_err(format!("invalid {what}: {e}")))
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
        let config = parse_config(&config)?;
        Ok(Trainer { inner: crate::Trainer::new(config).map_err(js_err)? })
    }

    /// One optimizer step on `images` (N×784 raw bytes) and `labels` (N digits).
    #[wasm_bindgen(js_name = trainBatch, unchecked_return_type = "StepResult")]
    pub fn train_batch(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
    ) -> Result<JsValue, JsError> {
        let (images, labels) = (bytes_arg(&images, "images", MAX_ARG_BYTES)?, bytes_arg(&labels, "labels", MAX_ARG_BYTES)?);
        to_js(&self.inner.train_batch(&images, &labels).map_err(js_err)?)
    }

    /// Data-parallel training: the gradient of the mean loss over `images`/`labels` (one shard of a
    /// batch), without an update. `stream` (an integer) picks the dropout masks; give each shard of
    /// each step its own. A shard whose loss is not finite comes back with empty `values`.
    #[wasm_bindgen(unchecked_return_type = "ShardGradients")]
    pub fn gradients(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
        stream: f64,
    ) -> Result<JsValue, JsError> {
        if !(stream >= 0.0 && stream.fract() == 0.0 && stream <= 9_007_199_254_740_991.0) {
            return Err(js_err(format!("stream must be a non-negative integer, got {stream}")));
        }
        let (images, labels) = (bytes_arg(&images, "images", MAX_ARG_BYTES)?, bytes_arg(&labels, "labels", MAX_ARG_BYTES)?);
        let g = self.inner.gradients(&images, &labels, stream as u64).map_err(js_err)?;
        let out = js_sys::Object::new();
        let values = js_sys::Float32Array::from(g.values.as_slice());
        for (key, value) in [("loss", JsValue::from(g.loss)), ("correct", g.correct.into()), ("count", g.count.into()), ("values", values.into())] {
            js_sys::Reflect::set(&out, &key.into(), &value).map_err(|_| js_err("could not build the gradient object"))?;
        }
        Ok(out.into())
    }

    /// One optimizer step from a combined gradient (a `Float32Array` of `parameterCount` values) and
    /// the batch's mean loss. A wrong length throws and changes nothing; a non-finite loss or gradient
    /// throws and restores the weights from before the previous step.
    #[wasm_bindgen(js_name = applyGradients)]
    pub fn apply_gradients(&mut self, #[wasm_bindgen(unchecked_param_type = "Float32Array")] values: JsValue, loss: f32) -> Result<(), JsError> {
        self.inner.apply_gradients(&f32_arg(&values, "gradient", MAX_FLAT_VALUES)?, loss).map_err(js_err)
    }

    /// Every variable (weights and batch-norm statistics) as one `Float32Array`, to mirror the model
    /// in another worker with `setFlatWeights`.
    #[wasm_bindgen(js_name = flatWeights)]
    pub fn flat_weights(&self) -> Result<Vec<f32>, JsError> {
        self.inner.flat_weights().map_err(js_err)
    }

    /// Overwrites every variable from `flatWeights()` of a model of the same kind (optimizer state
    /// kept). A wrong length or a non-finite value throws and changes nothing.
    #[wasm_bindgen(js_name = setFlatWeights)]
    pub fn set_flat_weights(&mut self, #[wasm_bindgen(unchecked_param_type = "Float32Array")] values: JsValue) -> Result<(), JsError> {
        self.inner.set_flat_weights(&f32_arg(&values, "weights", MAX_FLAT_VALUES)?).map_err(js_err)
    }

    /// Loss, accuracy, confusion matrix, per-class precision/recall/F1 and predictions.
    #[wasm_bindgen(unchecked_return_type = "Evaluation")]
    pub fn evaluate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
    ) -> Result<JsValue, JsError> {
        let (images, labels) = (bytes_arg(&images, "images", MAX_ARG_BYTES)?, bytes_arg(&labels, "labels", MAX_ARG_BYTES)?);
        let eval = self.inner.evaluate(&images, &labels).map_err(js_err)?;
        let value = to_js(&eval)?;
        // Predictions as a typed array rather than a plain array of numbers.
        js_sys::Reflect::set(&value, &"predictions".into(), &js_sys::Uint8Array::from(eval.predictions.as_slice()))
            .map_err(|_| js_err("could not build the evaluation object"))?;
        Ok(value)
    }

    /// Softmax probabilities, N×10.
    pub fn predict(&self, #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue) -> Result<Vec<f32>, JsError> {
        self.inner.predict(&bytes_arg(&images, "images", MAX_ARG_BYTES)?).map_err(js_err)
    }

    /// The weights as safetensors bytes.
    #[wasm_bindgen(js_name = exportWeights)]
    pub fn export_weights(&self) -> Result<Vec<u8>, JsError> {
        self.inner.export_weights().map_err(js_err)
    }

    /// Loads safetensors weights made for the same model; on error the current weights stay.
    #[wasm_bindgen(js_name = importWeights)]
    pub fn import_weights(&mut self, #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue) -> Result<(), JsError> {
        let bytes = bytes_arg(&bytes, "weights file", crate::checkpoint::MAX_WEIGHTS_BYTES)?;
        self.inner.import_weights(&bytes).map_err(js_err)
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
pub fn parse_idx(#[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue) -> Result<JsValue, JsError> {
    let idx = parse_idx_core(&bytes_arg(&bytes, "IDX file", MAX_ARG_BYTES)?).map_err(js_err)?;
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
        models: ModelKind::ALL.iter().map(|k| k.name()).collect(),
        image_pixels: IMAGE_PIXELS,
    })
}

/// The plan of a training run (see the core's `run` module): each epoch's order of the training
/// images, its learning rate and each step's dropout stream. The worker's driver follows it, so the
/// browser trains on the same batches as `inkling train` for the same seed.
#[wasm_bindgen]
pub struct RunPlan {
    inner: crate::run::RunPlan,
}

#[wasm_bindgen]
impl RunPlan {
    /// The plan of `config` over `trainCount` training images (validation excluded).
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "TrainerConfig | undefined")] config: JsValue, train_count: usize) -> Result<RunPlan, JsError> {
        Ok(RunPlan { inner: crate::run::RunPlan::new(&parse_config(&config)?, train_count).map_err(js_err)? })
    }

    /// Passes over the training set.
    #[wasm_bindgen(getter)]
    pub fn epochs(&self) -> usize {
        self.inner.epochs()
    }

    /// Images per step (the last step of an epoch may have fewer).
    #[wasm_bindgen(getter, js_name = batchSize)]
    pub fn batch_size(&self) -> usize {
        self.inner.batch_size()
    }

    /// Steps per epoch.
    #[wasm_bindgen(getter, js_name = batchesPerEpoch)]
    pub fn batches_per_epoch(&self) -> usize {
        self.inner.batches_per_epoch()
    }

    /// Steps in the run.
    #[wasm_bindgen(getter, js_name = totalBatches)]
    pub fn total_batches(&self) -> usize {
        self.inner.total_batches()
    }

    /// The order of the training images in epoch `epoch` (0-based).
    #[wasm_bindgen(js_name = epochOrder)]
    pub fn epoch_order(&self, epoch: usize) -> Vec<u32> {
        self.inner.epoch_order(epoch)
    }

    /// The learning rate of epoch `epoch`.
    #[wasm_bindgen(js_name = learningRate)]
    pub fn learning_rate(&self, epoch: usize) -> f64 {
        self.inner.learning_rate(epoch)
    }

    /// The stream of the step after `steps` optimizer steps, for `Trainer.gradients`.
    pub fn stream(&self, steps: usize) -> f64 {
        self.inner.stream(steps) as f64
    }
}

/// Images held out for validation from a training set of `trainTotal`: the requested number, but no
/// more than a tenth of the set.
#[wasm_bindgen(js_name = validationSize)]
pub fn validation_size(requested: usize, train_total: usize) -> usize {
    crate::run::validation_size(requested, train_total)
}

/// The fine-tune recipe over a person's digits (see the core's `finetune` module): class-balanced,
/// augmented, with replayed MNIST digits when `setReplay` was given them.
#[wasm_bindgen]
pub struct FineTune {
    inner: crate::finetune::FineTune,
    replay: Option<Dataset>,
}

#[wasm_bindgen]
impl FineTune {
    /// A run over `images` (N×784) and `labels` (N) with `config` (keys optional, unknown keys throw).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
        #[wasm_bindgen(unchecked_param_type = "FineTuneConfig | undefined")] config: JsValue,
    ) -> Result<FineTune, JsError> {
        let config: FineTuneConfig = parse_object(&config, "fine-tune config")?;
        let own = Dataset::new(bytes_arg(&images, "images", MAX_ARG_BYTES)?, bytes_arg(&labels, "labels", MAX_ARG_BYTES)?).map_err(js_err)?;
        Ok(FineTune { inner: crate::finetune::FineTune::new(own, config).map_err(js_err)?, replay: None })
    }

    /// The training digits replayed in every step so that nothing is forgotten (copied once).
    #[wasm_bindgen(js_name = setReplay)]
    pub fn set_replay(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
    ) -> Result<(), JsError> {
        self.replay = Some(Dataset::new(bytes_arg(&images, "images", MAX_ARG_BYTES)?, bytes_arg(&labels, "labels", MAX_ARG_BYTES)?).map_err(js_err)?);
        Ok(())
    }

    /// One step of the recipe on `trainer` (the first also sets its rate and resets its optimizer).
    #[wasm_bindgen(unchecked_return_type = "StepResult")]
    pub fn step(&mut self, trainer: &mut Trainer) -> Result<JsValue, JsError> {
        to_js(&self.inner.step(&mut trainer.inner, self.replay.as_ref()).map_err(js_err)?)
    }

    /// Steps taken.
    #[wasm_bindgen(getter, js_name = stepsDone)]
    pub fn steps_done(&self) -> usize {
        self.inner.steps_done()
    }

    /// Steps planned.
    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> usize {
        self.inner.config().steps
    }

    /// True once every planned step is taken.
    #[wasm_bindgen(getter, js_name = isDone)]
    pub fn is_done(&self) -> bool {
        self.inner.is_done()
    }
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
    }
    to_js(&Defaults { trainer: TrainConfig::default(), fine_tune: FineTuneConfig::default() })
}

/// The limits the core enforces, for the page's form bounds and messages.
#[wasm_bindgen(unchecked_return_type = "Limits")]
pub fn limits() -> Result<JsValue, JsError> {
    to_js(&crate::config::Limits::CURRENT)
}
