//! Turning a canvas drawing into an MNIST-style 28×28 image.
//!
//! MNIST digits were size-normalised to fit a 20×20 box keeping their aspect ratio (with antialiasing),
//! then centred in the 28×28 frame by their centre of mass. A drawing must go through the same steps or
//! the model sees something unlike its training data:
//!
//! 1. ink: per-pixel ink amount, whichever the polarity (dark on light, light on dark, or strokes on a
//!    transparent canvas), decided from the border of the canvas;
//! 2. bounding box of the ink;
//! 3. scale the box so its longest side is 20 px, by area averaging (antialiased);
//! 4. place it in 28×28 so its centre of mass is at the centre.
//!
//! An empty drawing yields `None`: it is reported, not classified.

use crate::input::{IMAGE_PIXELS, IMAGE_SIDE};
use candle_core::{bail, Result};

/// Longest side of the digit's box in the 28×28 frame, as in MNIST.
pub const DIGIT_BOX: usize = 20;
/// Ink below this (0–255) is treated as background when finding the bounding box.
const INK_THRESHOLD: f32 = 32.0;
/// Largest canvas side accepted.
pub const MAX_CANVAS_SIDE: usize = 4096;

/// Converts a grayscale (`channels == 1`) or RGBA (`channels == 4`) canvas buffer of any size to 784
/// bytes in the MNIST convention (white digit on black), or `None` if there is no ink.
pub fn preprocess_drawing(pixels: &[u8], width: usize, height: usize, channels: usize) -> Result<Option<Vec<u8>>> {
    if channels != 1 && channels != 4 {
        bail!("drawing must have 1 (grayscale) or 4 (RGBA) channels, got {channels}")
    }
    if width == 0 || height == 0 || width > MAX_CANVAS_SIDE || height > MAX_CANVAS_SIDE {
        bail!("drawing size {width}×{height} is outside 1..={MAX_CANVAS_SIDE} pixels per side")
    }
    if pixels.len() != width * height * channels {
        bail!("drawing buffer has {} bytes but {width}×{height}×{channels} needs {}", pixels.len(), width * height * channels)
    }
    Ok(frame_ink(&ink_map(pixels, width, height, channels), width, height))
}

/// Steps 2–4 on an ink map (`width × height`, 0–255, background 0): the digit's box scaled to 20 px
/// by its longest side and placed by its centre of mass. `None` without ink. Training augmentation
/// ([`crate::augment`]) frames its redrawn digits with this too, so they look as drawings do.
pub fn frame_ink(ink: &[f32], width: usize, height: usize) -> Option<Vec<u8>> {
    let (x0, y0, x1, y1) = bounding_box(ink, width, height)?;
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    let mut crop: Vec<f32> = (y0..=y1).flat_map(|y| ink[y * width + x0..=y * width + x1].iter().copied()).collect();
    if thin_heavy_strokes(&mut crop, bw, bh) {
        // Thinning shrank the ink: frame what is left.
        let (cx0, cy0, cx1, cy1) = bounding_box(&crop, bw, bh)?;
        let inner: Vec<f32> = (cy0..=cy1).flat_map(|y| crop[y * bw + cx0..=y * bw + cx1].iter().copied()).collect();
        return Some(scale_and_place(&inner, cx1 - cx0 + 1, cy1 - cy0 + 1));
    }
    Some(scale_and_place(&crop, bw, bh))
}

/// Strokes wider than this share of the digit's longest side are thinned to it. MNIST's pen strokes
/// are about an eighth of their 20 px box; a digit drawn small with the canvas's fixed brush has
/// strokes twice as heavy, a look the models read worse.
const MAX_STROKE_SHARE: f32 = 0.16;

/// Thins the strokes of a cropped ink map (`w × h`) whose mean stroke width is above
/// [`MAX_STROKE_SHARE`] of its longest side, by eroding the ink evenly from its edges. The width is
/// estimated as `2 · area / perimeter` of the ink (exact for long strokes). Returns whether it thinned.
fn thin_heavy_strokes(crop: &mut [f32], w: usize, h: usize) -> bool {
    let inside = |x: isize, y: isize| x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h && crop[y as usize * w + x as usize] > 127.0;
    let (mut area, mut perimeter) = (0usize, 0usize);
    for y in 0..h as isize {
        for x in 0..w as isize {
            if inside(x, y) {
                area += 1;
                perimeter += [(1, 0), (-1, 0), (0, 1), (0, -1)].iter().any(|&(dx, dy)| !inside(x + dx, y + dy)) as usize;
            }
        }
    }
    let limit = MAX_STROKE_SHARE * w.max(h) as f32;
    let stroke = if perimeter > 0 { 2.0 * area as f32 / perimeter as f32 } else { 0.0 };
    if stroke <= limit {
        return false;
    }
    let depth = chamfer_depth(crop, w, h);
    // Never erode a shape away: its deepest pixel keeps full ink.
    let deepest = depth.iter().copied().fold(0.0, f32::max);
    let erode = ((stroke - limit) / 2.0).min(deepest - 1.0);
    if erode <= 0.0 {
        return false;
    }
    for (v, &d) in crop.iter_mut().zip(&depth) {
        *v = if d > 0.0 { 255.0 * (d - erode).clamp(0.0, 1.0) } else { 0.0 };
    }
    true
}

/// Distance of each ink pixel (> 127) to the nearest background pixel, in pixels (3-4 chamfer; an
/// edge pixel is at 1), 0 for background. Outside the map counts as background.
fn chamfer_depth(ink: &[f32], w: usize, h: usize) -> Vec<f32> {
    const FAR: u32 = u32::MAX / 2;
    let mut d: Vec<u32> = ink.iter().map(|&v| if v > 127.0 { FAR } else { 0 }).collect();
    let get = |d: &[u32], x: isize, y: isize| if x < 0 || y < 0 || x as usize >= w || y as usize >= h { 0 } else { d[y as usize * w + x as usize] };
    for y in 0..h as isize {
        for x in 0..w as isize {
            let i = y as usize * w + x as usize;
            if d[i] != 0 {
                let best = [get(&d, x - 1, y) + 3, get(&d, x, y - 1) + 3, get(&d, x - 1, y - 1) + 4, get(&d, x + 1, y - 1) + 4];
                d[i] = d[i].min(*best.iter().min().expect("four neighbours"));
            }
        }
    }
    for y in (0..h as isize).rev() {
        for x in (0..w as isize).rev() {
            let i = y as usize * w + x as usize;
            if d[i] != 0 {
                let best = [get(&d, x + 1, y) + 3, get(&d, x, y + 1) + 3, get(&d, x + 1, y + 1) + 4, get(&d, x - 1, y + 1) + 4];
                d[i] = d[i].min(*best.iter().min().expect("four neighbours"));
            }
        }
    }
    d.into_iter().map(|v| v as f32 / 3.0).collect()
}

/// A cropped `bw × bh` ink map scaled to 20 px by its longest side and placed by its centre of mass.
fn scale_and_place(crop: &[f32], bw: usize, bh: usize) -> Vec<u8> {
    let scale = DIGIT_BOX as f32 / bw.max(bh) as f32;
    let (nw, nh) = (((bw as f32 * scale).round() as usize).clamp(1, DIGIT_BOX), ((bh as f32 * scale).round() as usize).clamp(1, DIGIT_BOX));
    let small = resample_area(crop, bw, bh, nw, nh);
    place_by_centre_of_mass(&small, nw, nh)
}

/// Ink amount per pixel in 0–255, background 0.
fn ink_map(pixels: &[u8], width: usize, height: usize, channels: usize) -> Vec<f32> {
    let border = |f: &dyn Fn(usize) -> f32| -> f32 {
        let idx: Vec<usize> =
            (0..width).flat_map(|x| [x, (height - 1) * width + x]).chain((0..height).flat_map(|y| [y * width, y * width + width - 1])).collect();
        idx.iter().map(|&i| f(i)).sum::<f32>() / idx.len() as f32
    };
    if channels == 4 {
        let alpha = |i: usize| pixels[4 * i + 3] as f32;
        if border(&alpha) < 128.0 {
            // Strokes on a transparent canvas: the alpha channel is the ink.
            return (0..width * height).map(alpha).collect();
        }
    }
    let gray = |i: usize| -> f32 {
        if channels == 1 {
            return pixels[i] as f32;
        }
        let p = &pixels[4 * i..4 * i + 4];
        let lum = 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32;
        let a = p[3] as f32 / 255.0;
        a * lum + (1.0 - a) * 255.0 // composited over white
    };
    let light_background = border(&gray) >= 128.0;
    (0..width * height).map(|i| if light_background { 255.0 - gray(i) } else { gray(i) }).collect()
}

/// Inclusive box `(x0, y0, x1, y1)` around pixels with ink above the threshold.
fn bounding_box(ink: &[f32], width: usize, height: usize) -> Option<(usize, usize, usize, usize)> {
    let mut b: Option<(usize, usize, usize, usize)> = None;
    for y in 0..height {
        for x in 0..width {
            if ink[y * width + x] > INK_THRESHOLD {
                b = Some(match b {
                    None => (x, y, x, y),
                    Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                });
            }
        }
    }
    b
}

/// Resizes by area averaging: each output pixel is the mean of the input area it covers (exact
/// fractional coverage), which antialiases when shrinking. Separable: rows first, then columns.
fn resample_area(src: &[f32], sw: usize, sh: usize, dw: usize, dh: usize) -> Vec<f32> {
    let rows: Vec<f32> = (0..sh).flat_map(|y| resample_line(&src[y * sw..(y + 1) * sw], dw)).collect(); // (sh, dw)
    let mut out = vec![0f32; dw * dh];
    for x in 0..dw {
        let column: Vec<f32> = (0..sh).map(|y| rows[y * dw + x]).collect();
        for (y, v) in resample_line(&column, dh).into_iter().enumerate() {
            out[y * dw + x] = v;
        }
    }
    out
}

/// One line resized to `n` samples by area averaging.
fn resample_line(line: &[f32], n: usize) -> Vec<f32> {
    let step = line.len() as f32 / n as f32;
    (0..n)
        .map(|i| {
            let (start, end) = (i as f32 * step, (i + 1) as f32 * step);
            let mut sum = 0f32;
            let mut j = start.floor() as usize;
            while (j as f32) < end && j < line.len() {
                let overlap = (end.min(j as f32 + 1.0) - start.max(j as f32)).max(0.0);
                sum += line[j] * overlap;
                j += 1;
            }
            sum / step
        })
        .collect()
}

/// Puts a `w × h` image into the 28×28 frame so that its centre of mass is at the frame centre
/// (clamped so the whole digit stays inside).
fn place_by_centre_of_mass(img: &[f32], w: usize, h: usize) -> Vec<u8> {
    let (mut mass, mut mx, mut my) = (0f32, 0f32, 0f32);
    for y in 0..h {
        for x in 0..w {
            let v = img[y * w + x];
            mass += v;
            mx += v * (x as f32 + 0.5);
            my += v * (y as f32 + 0.5);
        }
    }
    let centre = IMAGE_SIDE as f32 / 2.0;
    let offset = |com: f32, size: usize| ((centre - com).round() as i64).clamp(0, (IMAGE_SIDE - size) as i64) as usize;
    let (ox, oy) = if mass > 0.0 { (offset(mx / mass, w), offset(my / mass, h)) } else { ((IMAGE_SIDE - w) / 2, (IMAGE_SIDE - h) / 2) };
    let mut out = vec![0u8; IMAGE_PIXELS];
    for y in 0..h {
        for x in 0..w {
            out[(oy + y) * IMAGE_SIDE + ox + x] = img[y * w + x].round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests;
