//! The quality benchmark: how well a model reads digits drawn on the canvas, and how much a person's
//! own digits teach it. `inkling quality` and `npm run bench -- --quality` print these figures.
//!
//! Every set is made from MNIST digits through [`crate::drawn`] and then the app's own
//! [`preprocess_drawing`], seeded, so the figures are repeatable. Which MNIST split each set comes
//! from matters: a set built from test digits may only ever be scored, never trained or tuned on. The
//! style benchmark stands for one person, so the digits it fine-tunes on and the held-out digits it
//! scores come from the same writers: disjoint parts of the validation split, which the training run
//! holds out.

use crate::dataset::Dataset;
use crate::drawn::{render_canvas, render_strokes, CanvasLook, CANVAS_SIDE};
use crate::finetune::{FineTune, FineTuneConfig};
use crate::input::{IMAGE_PIXELS, NUM_CLASSES};
use crate::preprocess::preprocess_drawing;
use crate::rng::Rng;
use crate::trainer::Trainer;
use candle_core::{bail, Result};

/// How a set of drawings is made from MNIST digits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rendering {
    /// Solid, hard-edged strokes scaled, placed and slanted on the canvas ([`render_canvas`]).
    Canvas(CanvasLook),
    /// The digit's centre line traced by the app's round brush ([`render_strokes`]).
    Strokes,
}

/// `source`'s examples at `indices`, each drawn on the canvas as `rendering` says and preprocessed as
/// the app preprocesses a drawing. Labels are kept.
pub fn drawn_set(source: &Dataset, indices: &[usize], rendering: Rendering, seed: u64) -> Result<Dataset> {
    let mut rng = Rng::derived(seed, "drawn");
    let mut images = Vec::with_capacity(indices.len() * IMAGE_PIXELS);
    let mut labels = Vec::with_capacity(indices.len());
    for &i in indices {
        if i >= source.len() {
            bail!("digit {i} is outside a set of {}", source.len())
        }
        let canvas = match rendering {
            Rendering::Canvas(look) => render_canvas(source.image(i), &look, &mut rng),
            Rendering::Strokes => render_strokes(source.image(i), &mut rng),
        };
        // An empty rendering (a digit too faint to threshold) is skipped, as the app would not classify it.
        if let Some(image) = preprocess_drawing(&canvas, CANVAS_SIDE, CANVAS_SIDE, 1)? {
            images.extend_from_slice(&image);
            labels.push(source.labels()[i]);
        }
    }
    Dataset::new(images, labels)
}

/// The first `per_class` examples of each class in `source`, from index `start` on.
pub fn per_class(source: &Dataset, per_class: usize, start: usize) -> Vec<usize> {
    let mut counts = [0usize; NUM_CLASSES];
    let mut out = Vec::with_capacity(per_class * NUM_CLASSES);
    for i in start..source.len() {
        let c = source.labels()[i] as usize;
        if counts[c] < per_class {
            counts[c] += 1;
            out.push(i);
        }
    }
    out
}

/// What fine-tuning on a handwriting style did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StyleResult {
    /// The person's digits per class that the model was fine-tuned on.
    pub per_class: usize,
    /// Error on held-out digits of the style before fine-tuning.
    pub error_before: f64,
    /// The same after fine-tuning.
    pub error_after: f64,
    /// MNIST test accuracy before fine-tuning.
    pub mnist_before: f64,
    /// The same after fine-tuning.
    pub mnist_after: f64,
    /// Optimizer steps taken.
    pub steps: usize,
}

/// Fine-tunes a copy of the model in `weights` (a safetensors file of `trainer`'s kind) on `own`
/// with the default recipe and `replay`, and measures `held_out` (same style, other digits) and
/// `mnist_test` before and after. `trainer` is left with the fine-tuned weights.
pub fn style_benchmark(
    trainer: &mut Trainer,
    own: &Dataset,
    held_out: &Dataset,
    replay: &Dataset,
    mnist_test: &Dataset,
    config: FineTuneConfig,
) -> Result<StyleResult> {
    let error_before = 1.0 - trainer.evaluate_dataset(held_out)?.accuracy;
    let mnist_before = trainer.evaluate_dataset(mnist_test)?.accuracy;
    let steps = config.steps;
    let per_class = own.len() / NUM_CLASSES;
    FineTune::new(own.clone(), config)?.run(trainer, Some(replay), |_, _, _| {})?;
    let error_after = 1.0 - trainer.evaluate_dataset(held_out)?.accuracy;
    let mnist_after = trainer.evaluate_dataset(mnist_test)?.accuracy;
    Ok(StyleResult { per_class, error_before, error_after, mnist_before, mnist_after, steps })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::synthetic_digits;

    #[test]
    fn drawn_sets_keep_labels_and_are_seeded() {
        let source = synthetic_digits(40, 3);
        let idx = per_class(&source, 2, 0);
        assert_eq!(idx.len(), 20);
        let a = drawn_set(&source, &idx, Rendering::Canvas(CanvasLook::DRAWN), 1).unwrap();
        assert_eq!(a, drawn_set(&source, &idx, Rendering::Canvas(CanvasLook::DRAWN), 1).unwrap());
        assert_ne!(a, drawn_set(&source, &idx, Rendering::Canvas(CanvasLook::DRAWN), 2).unwrap());
        assert_eq!(a.len(), 20);
        assert_eq!(a.labels(), source.gather(&idx).1.as_slice());
        let s = drawn_set(&source, &idx, Rendering::Strokes, 1).unwrap();
        assert!(s.len() >= 18, "{} of 20 stroke drawings", s.len());
        assert!(drawn_set(&source, &[99], Rendering::Strokes, 1).is_err());
    }
}
