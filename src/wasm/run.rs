//! The training run's plan and the fine-tune recipe, as the worker's driver walks them in chunks.

use super::{bytes_arg, js_err, parse_config, parse_object, to_js, Trainer, MAX_ARG_BYTES};
use crate::dataset::Dataset;
use crate::finetune::FineTuneConfig;
use wasm_bindgen::prelude::*;

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
        Ok(RunPlan { inner: crate::run::RunPlan::new(&parse_config(&config)?.run().map_err(js_err)?, train_count).map_err(js_err)? })
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
