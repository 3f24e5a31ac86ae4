//! What the canvas says about a prediction: a digit, "not sure" between the top two, or "not a digit".
//!
//! A model always puts its probability somewhere, so showing its top class alone would turn every
//! doubt and every scribble into a confident wrong digit. The page shows a [`Verdict`] instead.

use crate::input::{IMAGE_PIXELS, NUM_CLASSES};
use candle_core::{bail, Result};
use serde::Serialize;

/// Below this top probability the model is "not sure".
pub const SURE_PROBABILITY: f32 = 0.7;
/// When the top two are closer than this, the model is "not sure" either.
pub const TIE_MARGIN: f32 = 0.3;
/// More pixels than this above half ink, in the preprocessed 28×28 drawing, is a scribble, not a
/// digit. Preprocessing thins heavy strokes, so drawings of digits stay light: of 15,000 MNIST digits
/// drawn on the canvas (normal, heavy, slanted) or with the brush ([`crate::drawn`]), the heaviest has
/// 195 such pixels; a zigzag over the whole pad has 230–290 and a box filled solid 400.
pub const MAX_INK_PIXELS: usize = 220;

/// The answer to show for one drawing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Verdict {
    /// A confident answer.
    Digit {
        /// The digit.
        digit: u8,
        /// Its probability.
        probability: f32,
    },
    /// The model hesitates: both candidates are shown.
    Unsure {
        /// The most probable digit.
        first: u8,
        /// Its probability.
        first_probability: f32,
        /// The runner-up.
        second: u8,
        /// Its probability.
        second_probability: f32,
    },
    /// Too much ink for any digit: not classified.
    Scribble,
}

/// The verdict for `image` (784 preprocessed bytes) and the model's `probs` (10 probabilities).
pub fn judge(probs: &[f32], image: &[u8]) -> Result<Verdict> {
    if probs.len() != NUM_CLASSES || probs.iter().any(|p| !p.is_finite()) {
        bail!("a verdict needs {NUM_CLASSES} finite probabilities, got {} values", probs.len())
    }
    if image.len() != IMAGE_PIXELS {
        bail!("a verdict needs the {IMAGE_PIXELS}-byte image, got {} bytes", image.len())
    }
    if image.iter().filter(|&&p| p > 128).count() > MAX_INK_PIXELS {
        return Ok(Verdict::Scribble);
    }
    let mut order: Vec<usize> = (0..NUM_CLASSES).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let (first, second) = (order[0], order[1]);
    let (p1, p2) = (probs[first], probs[second]);
    Ok(if p1 < SURE_PROBABILITY || p1 - p2 < TIE_MARGIN {
        Verdict::Unsure { first: first as u8, first_probability: p1, second: second as u8, second_probability: p2 }
    } else {
        Verdict::Digit { digit: first as u8, probability: p1 }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probs(pairs: &[(usize, f32)]) -> Vec<f32> {
        let rest = (1.0 - pairs.iter().map(|p| p.1).sum::<f32>()) / (NUM_CLASSES - pairs.len()) as f32;
        (0..NUM_CLASSES).map(|c| pairs.iter().find(|p| p.0 == c).map_or(rest, |p| p.1)).collect()
    }

    #[test]
    fn confident_unsure_and_tied_answers() {
        let digit = vec![0u8; IMAGE_PIXELS];
        assert_eq!(judge(&probs(&[(3, 0.95)]), &digit).unwrap(), Verdict::Digit { digit: 3, probability: 0.95 });
        match judge(&probs(&[(4, 0.55), (9, 0.4)]), &digit).unwrap() {
            Verdict::Unsure { first: 4, second: 9, .. } => {}
            v => panic!("{v:?}"),
        }
        assert!(matches!(judge(&probs(&[(1, 0.6)]), &digit).unwrap(), Verdict::Unsure { first: 1, .. }));
    }

    #[test]
    fn a_filled_canvas_is_a_scribble_and_bad_input_is_refused() {
        let blob = vec![255u8; IMAGE_PIXELS];
        assert_eq!(judge(&probs(&[(8, 0.99)]), &blob).unwrap(), Verdict::Scribble);
        assert!(judge(&[0.5; 9], &blob).is_err());
        assert!(judge(&[f32::NAN; 10], &blob).is_err());
        assert!(judge(&probs(&[(8, 0.99)]), &blob[..10]).is_err());
    }

    #[test]
    fn heavy_drawings_are_digits_and_a_zigzag_over_the_pad_is_a_scribble() {
        use crate::drawn::{BRUSH, CANVAS_SIDE};
        use crate::quality::{drawn_set, Rendering};
        let source = crate::synthetic::synthetic_digits(200, 4);
        let heavy = drawn_set(&source, &(0..200).collect::<Vec<_>>(), Rendering::Canvas(crate::drawn::CanvasLook::SLANTED_HEAVY), 2).unwrap();
        let p = probs(&[(0, 0.99)]);
        for i in 0..heavy.len() {
            assert_ne!(judge(&p, heavy.image(i)).unwrap(), Verdict::Scribble, "heavy drawing {i}");
        }
        // Seven strokes corner to corner with the app's brush, as a person scribbles the pad full.
        let side = CANVAS_SIDE as f32;
        let points: Vec<(f32, f32)> = (0..8).map(|k| (if k % 2 == 0 { 0.05 } else { 0.95 } * side, (0.05 + 0.9 * k as f32 / 7.0) * side)).collect();
        let near = |x: f32, y: f32| {
            points.windows(2).any(|w| {
                let ((ax, ay), (bx, by)) = (w[0], w[1]);
                let t = (((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax).powi(2) + (by - ay).powi(2))).clamp(0.0, 1.0);
                (x - ax - t * (bx - ax)).hypot(y - ay - t * (by - ay)) < BRUSH / 2.0
            })
        };
        let canvas: Vec<u8> = (0..CANVAS_SIDE * CANVAS_SIDE).map(|i| if near((i % CANVAS_SIDE) as f32, (i / CANVAS_SIDE) as f32) { 0 } else { 255 }).collect();
        let image = crate::preprocess::preprocess_drawing(&canvas, CANVAS_SIDE, CANVAS_SIDE, 1).unwrap().unwrap();
        assert_eq!(judge(&p, &image).unwrap(), Verdict::Scribble, "{} ink pixels", image.iter().filter(|&&v| v > 128).count());
    }
}
