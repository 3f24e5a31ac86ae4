//! Digits as a person draws them on the app's canvas, made from MNIST digits: the measuring sets of
//! the quality benchmark ([`crate::quality`]).
//!
//! Two renderings, both onto a white 280×280 canvas with the app's dark ink, both seeded:
//! - [`render_canvas`]: the digit scaled up 5–10×, placed off-centre, slanted, with solid strokes of
//!   normal or heavy width and hard edges (the look of a canvas drawing, not of a scanned pen stroke);
//! - [`render_strokes`]: the digit traced along its centre line (a one-pixel skeleton) by the app's
//!   round brush, one tenth of the canvas wide, as a pointer would draw it.
//!
//! The canvas then goes through [`crate::preprocess::preprocess_drawing`] exactly as a drawing does.

use crate::image::{bilinear, morph};
use crate::input::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::rng::Rng;

/// Side of the app's drawing canvas, in canvas pixels.
pub const CANVAS_SIDE: usize = 280;
/// The app's brush width: a tenth of the canvas (`www` canvas pad).
pub const BRUSH: f32 = CANVAS_SIDE as f32 / 10.0;
/// Grey level of the app's ink on its white paper.
const INK: u8 = 20;

/// How a digit is drawn on the canvas by [`render_canvas`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CanvasLook {
    /// Range of the scale factor from the 28×28 digit to canvas pixels.
    pub scale: (f32, f32),
    /// Range of the horizontal shear (slant), top leaning right for positive values.
    pub shear: (f32, f32),
    /// Probability of heavy strokes (a stroke-width step up before thresholding).
    pub heavy: f32,
    /// Extra dilation steps of heavy strokes (1 = heavy, 2 = very heavy).
    pub heavy_steps: usize,
}

impl CanvasLook {
    /// Canvas drawings of every kind: scale 5–10×, slant either way, half of them heavy.
    pub const DRAWN: CanvasLook = CanvasLook { scale: (5.0, 10.0), shear: (-0.3, 0.3), heavy: 0.5, heavy_steps: 1 };
    /// A handwriting style the models get wrong: strongly slanted and very heavy.
    pub const SLANTED_HEAVY: CanvasLook = CanvasLook { scale: (6.0, 9.0), shear: (0.6, 0.8), heavy: 1.0, heavy_steps: 1 };
}

/// Draws a 28×28 MNIST digit (white on black) on a white canvas in dark ink (grayscale,
/// `CANVAS_SIDE²` bytes), as described by `look`, choosing from `rng`.
pub fn render_canvas(digit: &[u8], look: &CanvasLook, rng: &mut Rng) -> Vec<u8> {
    assert_eq!(digit.len(), IMAGE_PIXELS, "a digit is 784 bytes");
    let scale = look.scale.0 + (look.scale.1 - look.scale.0) * rng.next_f32();
    let shear = look.shear.0 + (look.shear.1 - look.shear.0) * rng.next_f32();
    let heavy = rng.next_f32() < look.heavy;
    let mut ink = [0f32; IMAGE_PIXELS];
    for (v, &p) in ink.iter_mut().zip(digit) {
        *v = p as f32 / 255.0;
    }
    if heavy {
        for _ in 0..look.heavy_steps {
            ink = morph(&ink, true, 1.0);
        }
    }
    let threshold = if heavy { 0.35 } else { 0.5 };
    // Where the slanted, scaled digit lands: its ink box, placed at random inside the canvas.
    let c = IMAGE_SIDE as f32 / 2.0;
    let forward = |x: f32, y: f32| ((x - c + shear * (c - y)) * scale, (y - c) * scale);
    let (mut lo, mut hi) = ((f32::MAX, f32::MAX), (f32::MIN, f32::MIN));
    for y in 0..IMAGE_SIDE {
        for x in 0..IMAGE_SIDE {
            if ink[y * IMAGE_SIDE + x] > threshold {
                for (px, py) in [(x as f32, y as f32), (x as f32 + 1.0, y as f32 + 1.0), (x as f32 + 1.0, y as f32), (x as f32, y as f32 + 1.0)] {
                    let (u, v) = forward(px, py);
                    lo = (lo.0.min(u), lo.1.min(v));
                    hi = (hi.0.max(u), hi.1.max(v));
                }
            }
        }
    }
    let mut canvas = vec![255u8; CANVAS_SIDE * CANVAS_SIDE];
    if lo.0 > hi.0 {
        return canvas; // no ink
    }
    let side = CANVAS_SIDE as f32;
    let place = |lo: f32, hi: f32, r: f32| (side - (hi - lo)).max(0.0) * r - lo;
    let (ox, oy) = (place(lo.0, hi.0, rng.next_f32()), place(lo.1, hi.1, rng.next_f32()));
    for py in 0..CANVAS_SIDE {
        for px in 0..CANVAS_SIDE {
            // Inverse of `forward` plus the offset, at the canvas pixel's centre.
            let v = (py as f32 + 0.5 - oy) / scale;
            let y = v + c;
            let x = (px as f32 + 0.5 - ox) / scale + c - shear * (c - y);
            if bilinear(&ink, x - 0.5, y - 0.5) > threshold {
                canvas[py * CANVAS_SIDE + px] = INK;
            }
        }
    }
    canvas
}

/// Traces a 28×28 MNIST digit along its skeleton with the app's round brush on a white canvas
/// (grayscale, anti-aliased edges as a canvas draws them). The digit's box fills 50–85 % of the
/// canvas, at a random place.
pub fn render_strokes(digit: &[u8], rng: &mut Rng) -> Vec<u8> {
    assert_eq!(digit.len(), IMAGE_PIXELS, "a digit is 784 bytes");
    let mask: Vec<bool> = digit.iter().map(|&p| p > 128).collect();
    let skeleton = thin(&mask);
    let on = |x: isize, y: isize| x >= 0 && y >= 0 && x < IMAGE_SIDE as isize && y < IMAGE_SIDE as isize && skeleton[y as usize * IMAGE_SIDE + x as usize];
    let mut segments = Vec::new();
    let (mut lo, mut hi) = ((f32::MAX, f32::MAX), (f32::MIN, f32::MIN));
    for y in 0..IMAGE_SIDE as isize {
        for x in 0..IMAGE_SIDE as isize {
            if !on(x, y) {
                continue;
            }
            let a = (x as f32 + 0.5, y as f32 + 0.5);
            lo = (lo.0.min(a.0), lo.1.min(a.1));
            hi = (hi.0.max(a.0), hi.1.max(a.1));
            segments.push((a, a));
            for (dx, dy) in [(1, 0), (0, 1), (1, 1), (-1, 1)] {
                if on(x + dx, y + dy) {
                    segments.push((a, (a.0 + dx as f32, a.1 + dy as f32)));
                }
            }
        }
    }
    let mut canvas = vec![255u8; CANVAS_SIDE * CANVAS_SIDE];
    if segments.is_empty() {
        return canvas;
    }
    let side = CANVAS_SIDE as f32;
    let extent = (hi.0 - lo.0).max(hi.1 - lo.1).max(1.0);
    let fill = 0.5 + 0.35 * rng.next_f32();
    let scale = (fill * side - BRUSH) / extent;
    let (w, h) = ((hi.0 - lo.0) * scale + BRUSH, (hi.1 - lo.1) * scale + BRUSH);
    let ox = (side - w).max(0.0) * rng.next_f32() + BRUSH / 2.0 - lo.0 * scale;
    let oy = (side - h).max(0.0) * rng.next_f32() + BRUSH / 2.0 - lo.1 * scale;
    let mut coverage = vec![0f32; CANVAS_SIDE * CANVAS_SIDE];
    let r = BRUSH / 2.0;
    for &((ax, ay), (bx, by)) in &segments {
        let (ax, ay, bx, by) = (ox + ax * scale, oy + ay * scale, ox + bx * scale, oy + by * scale);
        let x0 = (ax.min(bx) - r - 1.0).max(0.0) as usize;
        let x1 = ((ax.max(bx) + r + 1.0) as usize).min(CANVAS_SIDE - 1);
        let y0 = (ay.min(by) - r - 1.0).max(0.0) as usize;
        let y1 = ((ay.max(by) + r + 1.0) as usize).min(CANVAS_SIDE - 1);
        for py in y0..=y1 {
            for px in x0..=x1 {
                let d = distance_to_segment(px as f32 + 0.5, py as f32 + 0.5, ax, ay, bx, by);
                let cov = (r - d + 0.5).clamp(0.0, 1.0);
                let cell = &mut coverage[py * CANVAS_SIDE + px];
                *cell = cell.max(cov);
            }
        }
    }
    for (p, &cov) in canvas.iter_mut().zip(&coverage) {
        *p = (255.0 - cov * (255 - INK) as f32).round() as u8;
    }
    canvas
}

fn distance_to_segment(px: f32, py: f32, ax: f32, ay: f32, bx: f32, by: f32) -> f32 {
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let (qx, qy) = (ax + t * dx - px, ay + t * dy - py);
    (qx * qx + qy * qy).sqrt()
}

/// Zhang–Suen thinning of a 28×28 mask to a one-pixel skeleton.
fn thin(mask: &[bool]) -> Vec<bool> {
    let n = IMAGE_SIDE as isize;
    let mut m = mask.to_vec();
    loop {
        let mut changed = false;
        for pass in 0..2 {
            let at = |m: &[bool], x: isize, y: isize| x >= 0 && y >= 0 && x < n && y < n && m[(y * n + x) as usize];
            let mut remove = Vec::new();
            for y in 0..n {
                for x in 0..n {
                    if !at(&m, x, y) {
                        continue;
                    }
                    // Neighbours clockwise from north: P2..P9.
                    let p = [
                        at(&m, x, y - 1),
                        at(&m, x + 1, y - 1),
                        at(&m, x + 1, y),
                        at(&m, x + 1, y + 1),
                        at(&m, x, y + 1),
                        at(&m, x - 1, y + 1),
                        at(&m, x - 1, y),
                        at(&m, x - 1, y - 1),
                    ];
                    let b = p.iter().filter(|&&v| v).count();
                    let a = (0..8).filter(|&i| !p[i] && p[(i + 1) % 8]).count();
                    let (north, east, south, west) = (p[0], p[2], p[4], p[6]);
                    // Zhang–Suen's conditions, written as the method states them.
                    #[allow(clippy::nonminimal_bool)]
                    let ok =
                        if pass == 0 { !(north && east && south) && !(east && south && west) } else { !(north && east && west) && !(north && south && west) };
                    if (2..=6).contains(&b) && a == 1 && ok {
                        remove.push((y * n + x) as usize);
                    }
                }
            }
            changed |= !remove.is_empty();
            for i in remove {
                m[i] = false;
            }
        }
        if !changed {
            return m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::preprocess_drawing;

    /// A hollow box digit (a "0"), 2 pixels thick.
    fn zero() -> Vec<u8> {
        let mut img = vec![0u8; IMAGE_PIXELS];
        for y in 5..23 {
            for x in 9..19 {
                if !(7..21).contains(&y) || !(11..17).contains(&x) {
                    img[y * IMAGE_SIDE + x] = 255;
                }
            }
        }
        img
    }

    #[test]
    fn canvas_rendering_is_seeded_hard_edged_and_preprocesses_to_a_digit() {
        let a = render_canvas(&zero(), &CanvasLook::DRAWN, &mut Rng::new(1));
        assert_eq!(a, render_canvas(&zero(), &CanvasLook::DRAWN, &mut Rng::new(1)));
        assert!(a.iter().all(|&p| p == 255 || p == INK), "only paper and ink");
        let ink = a.iter().filter(|&&p| p == INK).count();
        assert!(ink > 1000, "{ink} ink pixels");
        let img = preprocess_drawing(&a, CANVAS_SIDE, CANVAS_SIDE, 1).unwrap().unwrap();
        assert!(img[14 * IMAGE_SIDE + 14] < 64, "the hole of the 0 stays empty");
    }

    #[test]
    fn strokes_follow_the_skeleton_with_the_brush_width() {
        let canvas = render_strokes(&zero(), &mut Rng::new(3));
        let img = preprocess_drawing(&canvas, CANVAS_SIDE, CANVAS_SIDE, 1).unwrap().unwrap();
        assert!(img[14 * IMAGE_SIDE + 14] < 64, "the hole stays empty");
        // Thinning a 2-pixel ring gives a 1-pixel ring.
        let skeleton = thin(&zero().iter().map(|&p| p > 128).collect::<Vec<_>>());
        let count = skeleton.iter().filter(|&&v| v).count();
        assert!((40..70).contains(&count), "{count} skeleton pixels");
        // A row through the left side of the ring crosses about one brush width of ink.
        let row = CANVAS_SIDE / 2;
        let first = (0..CANVAS_SIDE).find(|&x| canvas[row * CANVAS_SIDE + x] < 128).unwrap();
        let width = (first..CANVAS_SIDE).take_while(|&x| canvas[row * CANVAS_SIDE + x] < 128).count();
        assert!((BRUSH as usize - 3..=BRUSH as usize + 3).contains(&width), "stroke {width} px");
    }

    #[test]
    fn heavy_strokes_have_more_ink() {
        let look = |heavy| CanvasLook { scale: (8.0, 8.0), shear: (0.0, 0.0), heavy, heavy_steps: 1 };
        let count = |c: Vec<u8>| c.iter().filter(|&&p| p == INK).count();
        let normal = count(render_canvas(&zero(), &look(0.0), &mut Rng::new(2)));
        let heavy = count(render_canvas(&zero(), &look(1.0), &mut Rng::new(2)));
        assert!(heavy as f32 > 1.3 * normal as f32, "{heavy} vs {normal}");
    }
}
