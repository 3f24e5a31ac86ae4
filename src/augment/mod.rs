//! Seeded data augmentation: each training image is redrawn the way a person might have drawn it.
//!
//! MNIST digits are soft grey pen strokes. Digits drawn on the app's canvas arrive, after
//! [`crate::preprocess`], as hard strokes of one width (often heavy), at other slants and shapes. A
//! model trained on MNIST alone has never seen that look, so each training image is redrawn on the
//! fly:
//!
//! 1. stroke width: a fractional grey-level dilation (heavier strokes) or erosion (thinner ones);
//! 2. a random affine map about the centre (rotation, horizontal shear for slant, size and aspect, a
//!    shift of up to two pixels), sampled bilinearly;
//! 3. hard strokes as a canvas draws them: the warped digit thresholded at a random level (which
//!    also varies the width) at twice the resolution, so that each pixel is the coverage of four
//!    sub-samples, a solid stroke with an anti-aliased edge. Most such images are then framed by the
//!    app's own preprocessing ([`frame_ink`]: box scaled to 20 px, centre of mass at the centre,
//!    heavy strokes thinned), exactly as a drawing is; the rest keep their place and size.
//!
//! Each image draws from its own generator, seeded from the batch's, so a seed fixes every image
//! whatever the thread count: the same run gives the same batches natively and in wasm. It works on
//! raw bytes before normalisation (see [`crate::input`]).

use crate::image::{bilinear, morph};
use crate::input::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::preprocess::frame_ink;
use crate::rng::Rng;

/// How strongly images are transformed. [`Augmentation::DRAWN`] is what training uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Augmentation {
    /// Largest rotation either way, in degrees.
    pub rotation_deg: f32,
    /// Largest horizontal shear either way (x shift per pixel of height): the slant of handwriting.
    pub shear: f32,
    /// Largest relative change of size, either way.
    pub scale: f32,
    /// Largest relative change of the width-to-height ratio, either way.
    pub aspect: f32,
    /// Largest shift either way, in pixels.
    pub shift: f32,
    /// Probability that the stroke width changes (dilation or erosion, by a random amount).
    pub stroke: f32,
    /// Of those changes, the share that thickens (the rest thin).
    pub thicken: f32,
    /// Probability that the image is redrawn as a drawing on the canvas: hard strokes, framed by
    /// the app's preprocessing.
    pub canvas: f32,
    /// Probability that the strokes are made hard in place, without framing.
    pub binarize: f32,
    /// Probability that an image is left exactly as it is.
    pub keep: f32,
}

impl Augmentation {
    /// The transforms that make MNIST look like the canvas's drawings. A third of the images look
    /// like canvas drawings and most keep MNIST's soft strokes: more canvas images read drawings no
    /// better and MNIST worse.
    pub const DRAWN: Augmentation = Augmentation {
        rotation_deg: 12.0,
        shear: 0.3,
        scale: 0.12,
        aspect: 0.08,
        shift: 2.0,
        stroke: 0.6,
        thicken: 0.75,
        canvas: 0.35,
        binarize: 0.15,
        keep: 0.1,
    };

    /// Transforms every image of a batch (N × 784 bytes) in place, drawing from `rng`.
    pub fn apply_batch(&self, images: &mut [u8], rng: &mut Rng) {
        let base = rng.next_u64();
        let each = |(i, image): (usize, &mut [u8])| {
            let mut scratch = [0u8; IMAGE_PIXELS];
            scratch.copy_from_slice(image);
            self.apply(&scratch, image, &mut Rng::new(base ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        };
        #[cfg(not(target_arch = "wasm32"))]
        {
            use rayon::prelude::*;
            images.par_chunks_exact_mut(IMAGE_PIXELS).enumerate().for_each(each);
        }
        #[cfg(target_arch = "wasm32")]
        images.chunks_exact_mut(IMAGE_PIXELS).enumerate().for_each(each);
    }

    /// Writes a transformed copy of one 28×28 image `src` into `dst`.
    pub fn apply(&self, src: &[u8], dst: &mut [u8], rng: &mut Rng) {
        let keep = rng.next_f32() < self.keep;
        let stroke = rng.next_f32() < self.stroke;
        let thicken = rng.next_f32() < self.thicken;
        let amount = rng.next_f32();
        let look = rng.next_f32();
        let (canvas, binarize) = (look < self.canvas, look >= self.canvas && look < self.canvas + self.binarize);
        let threshold = 255.0 * (0.15 + 0.35 * rng.next_f32());
        let mut sym = || 2.0 * rng.next_f32() - 1.0;
        let angle = self.rotation_deg.to_radians() * sym();
        let shear = self.shear * sym();
        let scale = 1.0 + self.scale * sym();
        let aspect = 1.0 + self.aspect * sym();
        let (dx, dy) = (self.shift * sym(), self.shift * sym());
        if keep {
            dst.copy_from_slice(src);
            return;
        }
        let mut ink = [0f32; IMAGE_PIXELS];
        for (v, &p) in ink.iter_mut().zip(src) {
            *v = p as f32;
        }
        if stroke {
            // Thin strokes vanish under a full erosion: thinning goes at most half way.
            ink = morph(&ink, thicken, if thicken { amount } else { 0.5 * amount });
        }
        let warp = Affine::new(angle, shear, scale * aspect, scale / aspect, dx, dy);
        if canvas || binarize {
            // Hard strokes at twice the resolution, so that each output pixel covers four solid-or-
            // paper sub-samples: a solid stroke with an anti-aliased edge.
            let mut hard = [0f32; HARD_SIDE * HARD_SIDE]; // (56, 56)
            for y in 0..HARD_SIDE {
                for x in 0..HARD_SIDE {
                    let (sx, sy) = warp.source((x as f32 + 0.5) / 2.0 - 0.5, (y as f32 + 0.5) / 2.0 - 0.5);
                    hard[y * HARD_SIDE + x] = if bilinear(&ink, sx, sy) > threshold { 255.0 } else { 0.0 };
                }
            }
            if binarize {
                // In place: each pixel the mean of its four sub-samples.
                for y in 0..IMAGE_SIDE {
                    for x in 0..IMAGE_SIDE {
                        let at = |dx: usize, dy: usize| hard[(2 * y + dy) * HARD_SIDE + 2 * x + dx];
                        dst[y * IMAGE_SIDE + x] = ((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4.0).round() as u8;
                    }
                }
                return;
            }
            // Framed as the app frames a drawing.
            if let Some(framed) = frame_ink(&hard, HARD_SIDE, HARD_SIDE) {
                dst.copy_from_slice(&framed);
                return;
            }
            // No ink left above the threshold: the plain warp below keeps the digit.
        }
        for y in 0..IMAGE_SIDE {
            for x in 0..IMAGE_SIDE {
                let (sx, sy) = warp.source(x as f32, y as f32);
                dst[y * IMAGE_SIDE + x] = bilinear(&ink, sx, sy).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
}

/// Side of the hard-stroke grid: two sub-samples per pixel each way.
const HARD_SIDE: usize = 2 * IMAGE_SIDE;

/// The inverse of "scale, shear, rotate about the centre, then shift": maps an output pixel to the
/// source position it is sampled from.
struct Affine {
    m: [f32; 4],
    c: f32,
    dx: f32,
    dy: f32,
}

impl Affine {
    fn new(angle: f32, shear: f32, sx: f32, sy: f32, dx: f32, dy: f32) -> Self {
        let (s, c) = angle.sin_cos();
        // Forward map F = R · K · S, with K = [[1, shear], [0, 1]] (the top leans right for shear > 0).
        let f = [c * sx, (c * shear - s) * sy, s * sx, (s * shear + c) * sy];
        let det = f[0] * f[3] - f[1] * f[2];
        Self { m: [f[3] / det, -f[1] / det, -f[2] / det, f[0] / det], c: (IMAGE_SIDE as f32 - 1.0) / 2.0, dx, dy }
    }

    #[inline]
    fn source(&self, x: f32, y: f32) -> (f32, f32) {
        let (u, v) = (x - self.c - self.dx, y - self.c - self.dy);
        (self.m[0] * u + self.m[1] * v + self.c, self.m[2] * u + self.m[3] * v + self.c)
    }
}

#[cfg(test)]
mod tests;
