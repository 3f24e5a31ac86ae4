//! Resampling and stroke-width change on one 28×28 image, shared by augmentation
//! ([`crate::augment`]) and the drawn-digit sets ([`crate::drawn`]), and a digit's centre line traced
//! by the app's round brush (the drawn sets' pen).
//!
//! Images here are `f32` grey levels on any scale (0–1 or 0–255), ink bright on a dark ground.

use crate::input::{IMAGE_PIXELS, IMAGE_SIDE};

/// Bilinear sample of a 28×28 image at pixel coordinates (pixel centres at integers), 0 outside.
#[inline]
pub fn bilinear(img: &[f32; IMAGE_PIXELS], x: f32, y: f32) -> f32 {
    if !(x > -1.0 && y > -1.0 && x < IMAGE_SIDE as f32 && y < IMAGE_SIDE as f32) {
        return 0.0;
    }
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (x0, y0) = (x0 as isize, y0 as isize);
    let at = |xi: isize, yi: isize| -> f32 {
        if xi < 0 || yi < 0 || xi >= IMAGE_SIDE as isize || yi >= IMAGE_SIDE as isize {
            0.0
        } else {
            img[yi as usize * IMAGE_SIDE + xi as usize]
        }
    };
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
    let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Grey-level dilation (`thicken`) or erosion over the 3×3 cross, blended with the original by
/// `amount` in [0, 1] (1 = the full dilation or erosion): a stroke-width change of up to a pixel on
/// each side.
pub fn morph(img: &[f32; IMAGE_PIXELS], thicken: bool, amount: f32) -> [f32; IMAGE_PIXELS] {
    let n = IMAGE_SIDE;
    let mut out = [0f32; IMAGE_PIXELS];
    for y in 0..n {
        for x in 0..n {
            let i = y * n + x;
            let around = [
                if x > 0 { img[i - 1] } else { 0.0 },
                if x + 1 < n { img[i + 1] } else { 0.0 },
                if y > 0 { img[i - n] } else { 0.0 },
                if y + 1 < n { img[i + n] } else { 0.0 },
            ];
            let v = img[i];
            let m = if thicken { around.iter().fold(v, |a, &b| a.max(b)) } else { around.iter().fold(v, |a, &b| a.min(b)) };
            // Exactly `m` at amount 1 and exactly `v` at amount 0.
            out[i] = m * amount + v * (1.0 - amount);
        }
    }
    out
}

/// A straight piece of a stroke, from one point to another (`(x, y)` pixel coordinates, a pixel's
/// centre at `+0.5`); a dot when both ends are the same point.
pub type Segment = ((f32, f32), (f32, f32));

/// The centre line of the strokes of a 28×28 mask: its skeleton (Zhang–Suen thinning to one pixel),
/// as a dot at every skeleton pixel and a segment to each skeleton neighbour, what a pen tracing
/// the digit would pass through.
pub fn centre_line(mask: &[bool]) -> Vec<Segment> {
    let skeleton = thin(mask);
    let n = IMAGE_SIDE as isize;
    let on = |x: isize, y: isize| x >= 0 && y >= 0 && x < n && y < n && skeleton[(y * n + x) as usize];
    let mut segments = Vec::new();
    for y in 0..n {
        for x in 0..n {
            if !on(x, y) {
                continue;
            }
            let a = (x as f32 + 0.5, y as f32 + 0.5);
            segments.push((a, a));
            for (dx, dy) in [(1, 0), (0, 1), (1, 1), (-1, 1)] {
                if on(x + dx, y + dy) {
                    segments.push((a, (a.0 + dx as f32, a.1 + dy as f32)));
                }
            }
        }
    }
    segments
}

/// Paints `segments`, each point mapped to `p · scale + offset`, with a round brush of radius `r`
/// onto a `width`-wide coverage map (0 paper … 1 ink; anti-aliased over one pixel at the edge, and
/// overlapping strokes do not add up), as a canvas draws a pen's path.
pub fn paint_strokes(coverage: &mut [f32], width: usize, segments: &[Segment], scale: f32, offset: (f32, f32), r: f32) {
    let height = coverage.len() / width;
    for &((ax, ay), (bx, by)) in segments {
        let (ax, ay, bx, by) = (offset.0 + ax * scale, offset.1 + ay * scale, offset.0 + bx * scale, offset.1 + by * scale);
        let x0 = (ax.min(bx) - r - 1.0).max(0.0) as usize;
        let x1 = ((ax.max(bx) + r + 1.0).max(0.0) as usize).min(width - 1);
        let y0 = (ay.min(by) - r - 1.0).max(0.0) as usize;
        let y1 = ((ay.max(by) + r + 1.0).max(0.0) as usize).min(height - 1);
        for py in y0..=y1 {
            for px in x0..=x1 {
                let d = distance_to_segment(px as f32 + 0.5, py as f32 + 0.5, ax, ay, bx, by);
                let cell = &mut coverage[py * width + px];
                *cell = cell.max((r - d + 0.5).clamp(0.0, 1.0));
            }
        }
    }
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

    fn dot(x: usize, y: usize) -> [f32; IMAGE_PIXELS] {
        let mut img = [0f32; IMAGE_PIXELS];
        img[y * IMAGE_SIDE + x] = 1.0;
        img
    }

    #[test]
    fn bilinear_is_exact_at_pixel_centres_and_interpolates_between_them() {
        let img = dot(10, 12);
        assert_eq!(bilinear(&img, 10.0, 12.0), 1.0);
        assert_eq!(bilinear(&img, 11.0, 12.0), 0.0);
        assert!((bilinear(&img, 10.5, 12.0) - 0.5).abs() < 1e-6);
        assert!((bilinear(&img, 10.5, 12.5) - 0.25).abs() < 1e-6);
    }

    #[test]
    fn bilinear_is_zero_outside_and_fades_at_the_border() {
        let img = [1f32; IMAGE_PIXELS];
        assert_eq!(bilinear(&img, -1.0, 5.0), 0.0);
        assert_eq!(bilinear(&img, 5.0, 28.0), 0.0);
        assert!((bilinear(&img, -0.5, 5.0) - 0.5).abs() < 1e-6);
        assert!((bilinear(&img, 27.5, 5.0) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn full_dilation_grows_a_dot_into_a_cross_and_erosion_removes_it() {
        let img = dot(5, 5);
        let grown = morph(&img, true, 1.0);
        let lit: Vec<usize> = (0..IMAGE_PIXELS).filter(|&i| grown[i] == 1.0).collect();
        let centre = 5 * IMAGE_SIDE + 5;
        assert_eq!(lit, vec![centre - IMAGE_SIDE, centre - 1, centre, centre + 1, centre + IMAGE_SIDE]);
        assert!(morph(&img, false, 1.0).iter().all(|&v| v == 0.0));
    }

    #[test]
    fn amount_blends_between_the_image_and_its_morph() {
        let img = dot(5, 5);
        assert_eq!(morph(&img, true, 0.0), img);
        let half = morph(&img, true, 0.5);
        assert_eq!(half[5 * IMAGE_SIDE + 6], 0.5);
        assert_eq!(half[5 * IMAGE_SIDE + 5], 1.0);
    }
}
