//! `parse_idx` on arbitrary bytes, and `Dataset::from_idx` on the input split in two at a point taken
//! from its first byte. Any panic is a bug; errors are expected. Accepted data must be consistent.
#![no_main]

use inkling::dataset::Dataset;
use inkling::idx::{parse_idx, IdxKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(idx) = parse_idx(data) {
        assert_eq!(idx.data.len(), idx.dims.iter().product::<usize>(), "payload must match the header");
        assert_eq!(idx.dims.len(), if idx.kind == IdxKind::Images { 3 } else { 1 });
        let _ = idx.clone().into_images();
        if let Ok(labels) = idx.into_labels() {
            assert!(labels.iter().all(|&l| l <= 9));
        }
    }
    if let Some((&split, rest)) = data.split_first() {
        // The split point: the first byte scaled to the rest's length.
        let at = rest.len() * split as usize / 255;
        let (images, labels) = rest.split_at(at.min(rest.len()));
        if let Ok(ds) = Dataset::from_idx(images, labels) {
            assert_eq!(ds.images().len(), ds.len() * 784);
            assert!(ds.labels().iter().all(|&l| l <= 9));
        }
    }
});
