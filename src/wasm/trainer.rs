//! The `Trainer` binding: a model with its optimizer, wrapping the core's `Trainer`.

use super::{bytes_arg, f32_arg, js_err, js_object, parse_config, to_js, MAX_ARG_BYTES, MAX_FLAT_VALUES};
use wasm_bindgen::prelude::*;

/// A model with its optimizer: trains on batches, evaluates, predicts, saves and loads weights.
#[wasm_bindgen]
pub struct Trainer {
    pub(crate) inner: crate::Trainer,
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

    /// A trainer for the network a weights file describes (its spec, or the preset it names;
    /// `config`'s own network when the file says nothing), holding the file's weights, with
    /// `config`'s other settings. A bad file throws.
    #[wasm_bindgen(js_name = fromWeights)]
    pub fn from_weights(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
        #[wasm_bindgen(unchecked_param_type = "TrainerConfig | undefined")] config: JsValue,
    ) -> Result<Trainer, JsError> {
        console_error_panic_hook::set_once();
        let bytes = bytes_arg(&bytes, "weights file", crate::checkpoint::MAX_WEIGHTS_BYTES)?;
        let config = parse_config(&config)?;
        Ok(Trainer { inner: crate::Trainer::from_weights(config, &bytes).map_err(js_err)? })
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
        let values = js_sys::Float32Array::from(g.values.as_slice());
        js_object("gradient", [("loss", JsValue::from(g.loss)), ("correct", g.correct.into()), ("count", g.count.into()), ("values", values.into())])
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

    /// What every layer makes of one image (784 raw bytes): each conv, pool, batch-norm and dense
    /// layer's output (`values` a `Float32Array` of `shape`), and the first convolution's filters.
    #[wasm_bindgen(unchecked_return_type = "Inspection")]
    pub fn inspect(&self, #[wasm_bindgen(unchecked_param_type = "Uint8Array")] image: JsValue) -> Result<JsValue, JsError> {
        let seen = self.inner.inspect(&bytes_arg(&image, "image", MAX_ARG_BYTES)?).map_err(js_err)?;
        let view = |v: &crate::trainer::LayerView| -> Result<JsValue, JsError> {
            let shape: js_sys::Array = v.shape.iter().map(|&d| JsValue::from(d as u32)).collect();
            let values = js_sys::Float32Array::from(v.values.as_slice());
            js_object("inspection", [("name", JsValue::from(v.name.as_str())), ("kind", v.kind.into()), ("shape", shape.into()), ("values", values.into())])
        };
        let layers = seen.layers.iter().map(view).collect::<Result<js_sys::Array, _>>()?;
        let filters = match &seen.filters {
            Some(f) => view(f)?,
            None => JsValue::NULL,
        };
        js_object("inspection", [("layers", layers.into()), ("filters", filters)])
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
