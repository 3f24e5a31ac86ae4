//! Unit tests of the augment module (they reach its private functions).

use super::*;

/// A vertical bar, 3 pixels wide, rows 4–23.
fn bar() -> Vec<u8> {
    let mut img = vec![0u8; IMAGE_PIXELS];
    for y in 4..24 {
        for x in 13..16 {
            img[y * IMAGE_SIDE + x] = 255;
        }
    }
    img
}

const NONE: Augmentation =
    Augmentation { rotation_deg: 0.0, shear: 0.0, scale: 0.0, aspect: 0.0, shift: 0.0, stroke: 0.0, thicken: 0.0, canvas: 0.0, binarize: 0.0, keep: 0.0 };

fn ink(img: &[u8]) -> f32 {
    img.iter().map(|&p| p as f32).sum::<f32>() / 255.0
}

/// Mean x of the ink in row `y`.
fn centre_x(img: &[u8], y: usize) -> f32 {
    let row = &img[y * IMAGE_SIDE..(y + 1) * IMAGE_SIDE];
    let m: f32 = row.iter().map(|&p| p as f32).sum();
    row.iter().enumerate().map(|(x, &p)| x as f32 * p as f32).sum::<f32>() / m
}

#[test]
fn identity_settings_change_nothing() {
    let src = bar();
    let mut dst = vec![0u8; IMAGE_PIXELS];
    NONE.apply(&src, &mut dst, &mut Rng::new(3));
    assert_eq!(dst, src);
    Augmentation { keep: 1.0, ..Augmentation::DRAWN }.apply(&src, &mut dst, &mut Rng::new(3));
    assert_eq!(dst, src);
}

#[test]
fn same_seed_same_images_and_other_seeds_differ() {
    let src: Vec<u8> = [bar(), bar(), bar()].concat();
    let run = |seed| {
        let mut imgs = src.clone();
        Augmentation::DRAWN.apply_batch(&mut imgs, &mut Rng::new(seed));
        imgs
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
    let r = run(5);
    assert_ne!(r[..IMAGE_PIXELS], r[IMAGE_PIXELS..2 * IMAGE_PIXELS], "each image gets its own transform");
}

#[test]
fn shear_slants_and_keeps_the_area() {
    let slant = Augmentation { shear: 0.5, ..NONE };
    let mut rng = Rng::new(11);
    let src = bar();
    let mut dst = vec![0u8; IMAGE_PIXELS];
    let lean = loop {
        slant.apply(&src, &mut dst, &mut rng);
        let lean = centre_x(&dst, 6) - centre_x(&dst, 21);
        if lean.abs() > 3.0 {
            break lean;
        }
    };
    assert!(lean.abs() < 0.5 * 15.0 + 1.0, "lean {lean}");
    assert!((ink(&dst) - ink(&src)).abs() < 0.1 * ink(&src), "a shear keeps the area");
}

#[test]
fn thickening_adds_ink_thinning_removes_it_and_binarising_is_hard() {
    let src = bar();
    let thick = Augmentation { stroke: 1.0, thicken: 1.0, ..NONE };
    let mut dst = vec![0u8; IMAGE_PIXELS];
    thick.apply(&src, &mut dst, &mut Rng::new(2));
    assert!(ink(&dst) > ink(&src));
    Augmentation { thicken: 0.0, ..thick }.apply(&src, &mut dst, &mut Rng::new(2));
    assert!(ink(&dst) < ink(&src));
    // A soft blob binarised: its inside is solid ink, its edge only a pixel wide.
    let soft: Vec<u8> = (0..IMAGE_PIXELS)
        .map(|i| {
            let (x, y) = ((i % IMAGE_SIDE) as f32 - 13.5, (i / IMAGE_SIDE) as f32 - 13.5);
            (255.0 * (1.0 - (x * x + y * y).sqrt() / 10.0)).clamp(0.0, 255.0) as u8
        })
        .collect();
    Augmentation { binarize: 1.0, ..NONE }.apply(&soft, &mut dst, &mut Rng::new(4));
    let solid = dst.iter().filter(|&&p| p == 255).count();
    let edge = dst.iter().filter(|&&p| p > 0 && p < 255).count();
    assert!(solid > 3 * edge, "{solid} solid, {edge} edge pixels");
}

#[test]
fn the_canvas_look_is_framed_as_a_drawing_is() {
    // A short bar in the top-left corner comes out 20 px tall, at the centre, with hard strokes.
    let mut src = vec![0u8; IMAGE_PIXELS];
    for y in 2..12 {
        for x in 2..5 {
            src[y * IMAGE_SIDE + x] = 255;
        }
    }
    let mut dst = vec![0u8; IMAGE_PIXELS];
    Augmentation { canvas: 1.0, ..NONE }.apply(&src, &mut dst, &mut Rng::new(9));
    let rows: Vec<usize> = (0..IMAGE_SIDE).filter(|&y| dst[y * IMAGE_SIDE..(y + 1) * IMAGE_SIDE].iter().any(|&p| p > 32)).collect();
    assert_eq!(rows.len(), 20, "rows with ink: {rows:?}");
    let mass: f32 = dst.iter().map(|&p| p as f32).sum();
    let cy = dst.iter().enumerate().map(|(i, &p)| (i / IMAGE_SIDE) as f32 * p as f32).sum::<f32>() / mass;
    let cx = dst.iter().enumerate().map(|(i, &p)| (i % IMAGE_SIDE) as f32 * p as f32).sum::<f32>() / mass;
    assert!((cx - 13.5).abs() < 1.0 && (cy - 13.5).abs() < 1.0, "centre of mass ({cx}, {cy})");
    assert!(dst.iter().filter(|&&p| p == 255).count() > 20, "solid strokes");
}
