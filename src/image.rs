//! Resampling and stroke-width change on one 28×28 image, shared by augmentation
//! ([`crate::augment`]) and the drawn-digit sets ([`crate::drawn`]).
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
