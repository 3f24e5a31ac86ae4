//! A generated stand-in for MNIST: ten distinct, noisy stroke patterns on 28×28, one per class.
//!
//! Tests and benchmarks use it when the real MNIST files are not available, so they never download.
//! It is easy but not trivial: every image is randomly shifted and noised, so a model must learn shapes.

use crate::dataset::Dataset;
use crate::input::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::rng::Rng;

/// `n` generated examples with labels cycling 0–9, from `seed`.
pub fn synthetic_digits(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut images = vec![0u8; n * IMAGE_PIXELS];
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = (i % 10) as u8;
        let img = &mut images[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS];
        let (dx, dy) = (rng.below(5) as i32 - 2, rng.below(5) as i32 - 2);
        for (x0, y0, x1, y1) in strokes(class) {
            draw_line(img, x0 + dx, y0 + dy, x1 + dx, y1 + dy);
        }
        for p in img.iter_mut() {
            let noise = rng.below(40) as i32 - 20;
            *p = (*p as i32 + noise).clamp(0, 255) as u8;
        }
        labels.push(class);
    }
    Dataset::new(images, labels).expect("generated data is well-formed")
}

/// Line segments `(x0, y0, x1, y1)` that make up each class's pattern, roughly digit-like.
fn strokes(class: u8) -> Vec<(i32, i32, i32, i32)> {
    match class {
        0 => vec![(9, 6, 18, 6), (18, 6, 18, 21), (18, 21, 9, 21), (9, 21, 9, 6)],
        1 => vec![(14, 5, 14, 22)],
        2 => vec![(8, 6, 19, 6), (19, 6, 19, 13), (19, 13, 8, 21), (8, 21, 20, 21)],
        3 => vec![(8, 6, 19, 6), (19, 6, 19, 21), (10, 13, 19, 13), (8, 21, 19, 21)],
        4 => vec![(9, 5, 9, 14), (9, 14, 20, 14), (17, 5, 17, 22)],
        5 => vec![(19, 6, 8, 6), (8, 6, 8, 13), (8, 13, 19, 13), (19, 13, 19, 21), (19, 21, 8, 21)],
        6 => vec![(18, 5, 9, 13), (9, 13, 9, 21), (9, 21, 18, 21), (18, 21, 18, 14), (18, 14, 9, 14)],
        7 => vec![(8, 6, 20, 6), (20, 6, 12, 22)],
        8 => vec![(9, 5, 18, 5), (9, 13, 18, 13), (9, 22, 18, 22), (9, 5, 9, 22), (18, 5, 18, 22)],
        _ => vec![(9, 6, 18, 6), (9, 6, 9, 13), (9, 13, 18, 13), (18, 6, 18, 22)],
    }
}

/// Draws a 2-pixel-wide bright line, clipped to the image.
fn draw_line(img: &mut [u8], x0: i32, y0: i32, x1: i32, y1: i32) {
    let steps = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
    for s in 0..=steps {
        let x = x0 + (x1 - x0) * s / steps;
        let y = y0 + (y1 - y0) * s / steps;
        for (ox, oy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let (px, py) = (x + ox, y + oy);
            if (0..IMAGE_SIDE as i32).contains(&px) && (0..IMAGE_SIDE as i32).contains(&py) {
                img[py as usize * IMAGE_SIDE + px as usize] = 230;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_sets_are_deterministic_and_balanced() {
        let a = synthetic_digits(50, 1);
        assert_eq!(a, synthetic_digits(50, 1));
        assert_ne!(a, synthetic_digits(50, 2));
        assert_eq!(a.labels().iter().filter(|&&l| l == 3).count(), 5);
        assert!(a.image(0).iter().filter(|&&p| p > 128).count() > 40);
    }
}
