//! Unit tests of the preprocess module (they reach its private functions).

use super::*;

/// A white `w × h` canvas with a black filled rectangle.
fn canvas_with_rect(w: usize, h: usize, rect: (usize, usize, usize, usize)) -> Vec<u8> {
    let mut px = vec![255u8; w * h];
    for y in rect.1..rect.1 + rect.3 {
        for x in rect.0..rect.0 + rect.2 {
            px[y * w + x] = 0;
        }
    }
    px
}

fn ink_box(img: &[u8]) -> (usize, usize, usize, usize) {
    let ink: Vec<f32> = img.iter().map(|&p| p as f32).collect();
    bounding_box(&ink, 28, 28).unwrap()
}

#[test]
fn a_wide_rectangle_is_scaled_to_20_pixels_and_centred() {
    // A 100×10 bar (a stroke of a tenth of its length) in the top-left of a 300×200 canvas.
    let out = preprocess_drawing(&canvas_with_rect(300, 200, (10, 20, 100, 10)), 300, 200, 1).unwrap().unwrap();
    let (x0, y0, x1, y1) = ink_box(&out);
    assert_eq!((x1 - x0 + 1, y1 - y0 + 1), (20, 2));
    assert_eq!((x0, y0), (4, 13)); // centre of mass at (14, 14)
    assert_eq!(out[14 * 28 + 14], 255);
    assert_eq!(out[0], 0);
}

#[test]
fn polarity_and_rgba_do_not_matter() {
    let gray = canvas_with_rect(80, 120, (30, 20, 10, 80));
    let reference = preprocess_drawing(&gray, 80, 120, 1).unwrap().unwrap();
    let inverted: Vec<u8> = gray.iter().map(|p| 255 - p).collect();
    assert_eq!(preprocess_drawing(&inverted, 80, 120, 1).unwrap().unwrap(), reference);
    let rgba: Vec<u8> = gray.iter().flat_map(|&p| [p, p, p, 255]).collect();
    assert_eq!(preprocess_drawing(&rgba, 80, 120, 4).unwrap().unwrap(), reference);
    // Black strokes on a transparent canvas.
    let transparent: Vec<u8> = gray.iter().flat_map(|&p| [0, 0, 0, 255 - p]).collect();
    assert_eq!(preprocess_drawing(&transparent, 80, 120, 4).unwrap().unwrap(), reference);
    // A tall thin stroke keeps its aspect ratio: 20 tall, 3 wide (10/80*20 = 2.5 → 3).
    let (x0, y0, x1, y1) = ink_box(&reference);
    assert_eq!((x1 - x0 + 1, y1 - y0 + 1), (3, 20));
}

#[test]
fn heavy_strokes_are_thinned_towards_mnist_width() {
    // The same "L" drawn with a 16 px and a 60 px brush, 200 px tall.
    let ell = |brush: usize| {
        let mut px = vec![255u8; 280 * 280];
        for y in 40..240 {
            for x in 60..60 + brush {
                px[y * 280 + x] = 0;
            }
        }
        for y in 240 - brush..240 {
            for x in 60..200 {
                px[y * 280 + x] = 0;
            }
        }
        preprocess_drawing(&px, 280, 280, 1).unwrap().unwrap()
    };
    let ink = |img: &[u8]| img.iter().map(|&p| p as f32).sum::<f32>() / 255.0;
    let (thin, heavy) = (ink(&ell(16)), ink(&ell(60)));
    // Unthinned, the heavy L would carry 60/16 times the ink; thinned to the limit, about twice.
    assert!(heavy > 1.5 * thin && heavy < 2.5 * thin, "thin {thin}, heavy {heavy}");
    // A filled square is a blob, not a stroke: it is thinned but never erased.
    let blob = preprocess_drawing(&canvas_with_rect(100, 100, (30, 30, 40, 40)), 100, 100, 1).unwrap().unwrap();
    assert!(blob.iter().filter(|&&p| p > 128).count() > 50);
}

#[test]
fn shrinking_is_antialiased() {
    // A 1-pixel line on a 280-wide canvas becomes a faint grey line, not a hard one nor nothing.
    let mut px = canvas_with_rect(280, 280, (40, 40, 200, 200));
    for y in 40..240 {
        for x in 40..240 {
            px[y * 280 + x] = if x == 140 || y == 40 { 0 } else { 255 };
        }
    }
    let out = preprocess_drawing(&px, 280, 280, 1).unwrap().unwrap();
    let max = *out.iter().max().unwrap();
    assert!(max > 0 && max < 128, "max {max}");
}

#[test]
fn empty_dot_and_bad_buffers() {
    assert_eq!(preprocess_drawing(&vec![255u8; 50 * 50], 50, 50, 1).unwrap(), None);
    assert_eq!(preprocess_drawing(&vec![0u8; 50 * 50 * 4], 50, 50, 4).unwrap(), None);
    let dot = canvas_with_rect(50, 50, (25, 25, 1, 1));
    let out = preprocess_drawing(&dot, 50, 50, 1).unwrap().unwrap();
    assert!(out.iter().filter(|&&p| p > 0).count() > 0);
    let tiny = preprocess_drawing(&[0u8], 1, 1, 1).unwrap(); // 1×1 canvas: border is the ink itself
    assert_eq!(tiny, None);
    assert!(preprocess_drawing(&[0u8; 10], 3, 3, 1).unwrap_err().to_string().contains("needs 9"));
    assert!(preprocess_drawing(&[0u8; 9], 3, 3, 2).is_err());
    assert!(preprocess_drawing(&[], 0, 0, 1).is_err());
}
