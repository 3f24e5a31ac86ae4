//! `preprocess_drawing` on small canvases: width, height (1–64) and channels (1, 4, or a bad value)
//! from the first three bytes, pixels from the rest (cycled to fill the canvas; the raw rest too, to
//! hit the length check). Output, when there is any, is always 784 bytes.
#![no_main]

use inkling::preprocess::preprocess_drawing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (w, h) = (data[0] as usize % 64 + 1, data[1] as usize % 64 + 1);
    let channels = match data[2] % 8 {
        0..=3 => 1,
        4..=6 => 4,
        c => c as usize, // 7: refused
    };
    let rest = &data[3..];
    // The raw bytes: usually the wrong length, which must be an error, never a panic.
    let _ = preprocess_drawing(rest, w, h, channels);
    let n = w * h * channels;
    let pixels: Vec<u8> = if rest.is_empty() { vec![0; n] } else { rest.iter().copied().cycle().take(n).collect() };
    match preprocess_drawing(&pixels, w, h, channels) {
        Ok(Some(img)) => assert_eq!(img.len(), 784),
        Ok(None) => {}
        Err(e) => assert!(channels == 7, "a well-formed {w}×{h}×{channels} canvas was refused: {e}"),
    }
});
