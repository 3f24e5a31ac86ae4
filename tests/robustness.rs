//! No input may destroy the user's work: every bad input gets an error naming the failed check, and the
//! trainer's weights are byte-identical afterwards and it still trains and predicts. Fills the gaps of
//! `tests/idx.rs` and `tests/training.rs` (size limits, hostile safetensors headers, odd canvases,
//! non-finite and out-of-range settings, gzip edge cases). Cases found by `npm run fuzz` land here too.
#![cfg(not(target_arch = "wasm32"))]

use candle_core::{DType, Device, Tensor};
use inkling::checkpoint::MAX_WEIGHTS_BYTES;
use inkling::config::{MAX_LEARNING_RATE, MIN_LEARNING_RATE};
use inkling::dataset::Dataset;
use inkling::idx::{encode_images, encode_labels, parse_idx, MAX_IDX_BYTES};
use inkling::preprocess::{preprocess_drawing, MAX_CANVAS_SIDE};
use inkling::synthetic::synthetic_digits;
use inkling::{ModelKind, TrainConfig, Trainer};
use std::collections::BTreeMap;
use std::io::Write;

fn mlp() -> Trainer {
    Trainer::new(TrainConfig { model: ModelKind::Mlp, max_batch_size: 16, batch_size: 16, ..TrainConfig::default() }).unwrap()
}

/// The trainer is as it was: same weight bytes, still predicts probabilities and still trains.
fn assert_intact(t: &mut Trainer, before: &[u8], after: &str) {
    assert!(t.export_weights().unwrap() == before, "weights changed after {after}");
    let data = synthetic_digits(8, 7);
    let probs = t.predict(data.images()).unwrap();
    assert_eq!(probs.len(), 80);
    assert!(probs.iter().all(|p| p.is_finite() && (0.0..=1.0).contains(p)), "bad probabilities after {after}");
    let stats = t.train_batch(data.images(), data.labels()).unwrap();
    assert!(stats.loss.is_finite(), "training broken after {after}");
}

/// A safetensors file: 8-byte little-endian header length, the header, then `data`.
fn safetensors_file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

// ---- weights ---------------------------------------------------------------------------------------

#[test]
fn uploads_over_the_size_limit_are_refused_before_parsing() {
    let mut t = mlp();
    let before = t.export_weights().unwrap();
    // A valid file padded past the limit, and a 1 GB buffer (calloc'd: its pages are never touched,
    // which also shows the check comes before any read).
    let mut padded = before.clone();
    padded.resize(MAX_WEIGHTS_BYTES + 1, 0);
    let gigabyte = vec![0u8; 1 << 30];
    for (what, bytes) in [("padded", &padded), ("1 GB", &gigabyte)] {
        let e = t.import_weights(bytes).unwrap_err().to_string();
        assert!(e.contains("limit") && e.contains("MB"), "{what}: {e}");
    }
    drop(gigabyte);
    // The largest model is far below the limit, so a real file never hits it.
    let large = Trainer::new(TrainConfig::for_model(ModelKind::CnnLarge)).unwrap().export_weights().unwrap();
    assert!(large.len() * 8 < MAX_WEIGHTS_BYTES, "cnn-large is {} bytes", large.len());
    assert_intact(&mut t, &before, "oversized uploads");
}

#[test]
fn hostile_safetensors_headers_are_refused() {
    let mut t = mlp();
    let before = t.export_weights().unwrap();
    let meta = r#""__metadata__":{"format":"inkling-1","model":"mlp"}"#;
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("7 bytes", vec![1, 2, 3, 4, 5, 6, 7]),
        ("header length u64::MAX", u64::MAX.to_le_bytes().to_vec()),
        ("header length past the end", {
            let mut b = 1_000_000u64.to_le_bytes().to_vec();
            b.extend_from_slice(b"{}");
            b
        }),
        ("header not JSON", safetensors_file("not json at all!", &[])),
        ("header not UTF-8", {
            let mut b = 4u64.to_le_bytes().to_vec();
            b.extend_from_slice(&[0xff, 0xfe, 0xfd, 0xfc]);
            b
        }),
        ("header a JSON array", safetensors_file("[1,2,3]  ", &[])),
        (
            "huge offsets",
            safetensors_file(&format!(r#"{{{meta},"fc2.bias":{{"dtype":"F32","shape":[10],"data_offsets":[0,4611686018427387904]}}}}"#), &[0; 40]),
        ),
        ("offsets past the data", safetensors_file(&format!(r#"{{{meta},"fc2.bias":{{"dtype":"F32","shape":[10],"data_offsets":[40,80]}}}}"#), &[0; 40])),
        (
            "offsets disagree with the shape",
            safetensors_file(&format!(r#"{{{meta},"fc2.bias":{{"dtype":"F32","shape":[10],"data_offsets":[0,36]}}}}"#), &[0; 36]),
        ),
        (
            "shape overflows",
            safetensors_file(&format!(r#"{{{meta},"fc2.bias":{{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,40]}}}}"#), &[0; 40]),
        ),
        ("unknown dtype", safetensors_file(&format!(r#"{{{meta},"fc2.bias":{{"dtype":"Q9","shape":[10],"data_offsets":[0,40]}}}}"#), &[0; 40])),
        ("another model in the metadata", safetensors_file(r#"{"__metadata__":{"model":"cnn-large"}}"#, &[])),
        ("right names, nothing else", safetensors_file(&format!("{{{meta}}}"), &[])),
    ];
    // The real file with its data section cut short.
    cases.push(("truncated", before[..before.len() - 100].to_vec()));
    // The real file with its header length off by eight.
    let mut shifted = before.clone();
    let n = u64::from_le_bytes(shifted[..8].try_into().unwrap());
    shifted[..8].copy_from_slice(&(n + 8).to_le_bytes());
    cases.push(("header length off by 8", shifted));
    for (what, bytes) in &cases {
        let e = t.import_weights(bytes).unwrap_err().to_string();
        let useful = ["safetensors", "weights", "tensor", "model"].iter().any(|w| e.contains(w));
        assert!(useful && e.len() > 20, "{what}: unhelpful message {e:?}");
    }
    assert_intact(&mut t, &before, "hostile headers");
}

#[test]
fn another_models_tensors_without_metadata_and_wrong_dtypes_are_refused() {
    let save = |m: &BTreeMap<String, Tensor>| safetensors::serialize(m.iter().map(|(k, v)| (k.as_str(), v)), None).unwrap();
    let load = |b: &[u8]| -> BTreeMap<String, Tensor> { candle_core::safetensors::load_buffer(b, &Device::Cpu).unwrap().into_iter().collect() };
    let mut t = mlp();
    let before = t.export_weights().unwrap();
    // A CNN file with its metadata stripped (as if re-saved by PyTorch) says which tensor is foreign.
    let cnn = load(&Trainer::new(TrainConfig::for_model(ModelKind::Cnn)).unwrap().export_weights().unwrap());
    let e = t.import_weights(&save(&cnn)).unwrap_err().to_string();
    assert!(e.contains("'mlp' model does not have") && e.contains("tensor 'conv"), "{e}");
    // Right names and shapes but integers or halves: refused by dtype, not misread as floats.
    let mine = load(&before);
    for dtype in [DType::U32, DType::F16, DType::BF16, DType::U8] {
        let mut m = mine.clone();
        m.insert("fc1.weight".into(), Tensor::zeros((128, 784), dtype, &Device::Cpu).unwrap());
        let e = t.import_weights(&save(&m)).unwrap_err().to_string();
        assert!(e.contains("fc1.weight") && e.contains("F32"), "{dtype:?}: {e}");
    }
    // Infinity is refused like NaN.
    let mut m = mine.clone();
    m.insert("fc2.weight".into(), Tensor::full(f32::INFINITY, (10, 128), &Device::Cpu).unwrap());
    assert!(t.import_weights(&save(&m)).unwrap_err().to_string().contains("infinite"));
    assert_intact(&mut t, &before, "foreign tensors");
    // And a good file still loads after all that.
    let good = t.export_weights().unwrap();
    let mut u = mlp();
    u.import_weights(&good).unwrap();
    assert!(u.export_weights().unwrap() == good);
}

// ---- settings --------------------------------------------------------------------------------------

#[test]
fn non_finite_and_out_of_range_learning_rates_are_refused() {
    let mut t = mlp();
    let before = t.export_weights().unwrap();
    let lr = t.config().learning_rate;
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, -1e-3, MIN_LEARNING_RATE / 2.0, MAX_LEARNING_RATE * 2.0, f64::MAX] {
        let e = t.set_learning_rate(bad).unwrap_err().to_string();
        assert!(e.contains("learningRate") && e.contains("finite number"), "{bad}: {e}");
        assert_eq!(t.config().learning_rate, lr, "{bad} changed the learning rate");
    }
    assert_intact(&mut t, &before, "bad learning rates");
    t.set_learning_rate(1e-4).unwrap();
    assert_eq!(t.config().learning_rate, 1e-4);
}

#[test]
fn bad_config_json_is_refused_with_the_field_named() {
    for (json, expected) in [
        (r#"{"foo":1}"#, "unknown field `foo`"),
        (r#"{"learningRate":1e999}"#, "number out of range"),
        (r#"{"learningRate":null}"#, "invalid type: null"),
        (r#"{"learningRate":"0.1"}"#, "invalid type: string"),
        (r#"{"learningRate":0}"#, "learningRate"),
        (r#"{"learningRate":1e300}"#, "learningRate"),
        (r#"{"batchSize":0}"#, "batchSize"),
        (r#"{"batchSize":-1}"#, "invalid value: integer `-1`"),
        (r#"{"batchSize":1.5}"#, "invalid type: floating point"),
        (r#"{"batchSize":1e20}"#, "invalid type: floating point"),
        (r#"{"batchSize":18446744073709551616}"#, "invalid type: floating point"),
        (r#"{"batchSize":2048}"#, "batchSize"),
        (r#"{"maxBatchSize":100000,"batchSize":64}"#, "maxBatchSize"),
        (r#"{"epochs":0}"#, "epochs"),
        (r#"{"epochs":1000000}"#, "epochs"),
        (r#"{"seed":-1}"#, "invalid value: integer `-1`"),
        (r#"{"weightDecay":1}"#, "weightDecay"),
        (r#"{"momentum":-0.1}"#, "momentum"),
        (r#"{"lrDecay":0}"#, "lrDecay"),
        (r#"{"model":"MLP"}"#, "unknown variant `MLP`"),
        (r#"{"optimizer":"rmsprop"}"#, "unknown variant `rmsprop`"),
        (r#""cnn""#, "invalid type: string"),
    ] {
        let e = match serde_json::from_str::<TrainConfig>(json) {
            Err(e) => e.to_string(),
            Ok(c) => Trainer::new(c).err().unwrap_or_else(|| panic!("{json} was accepted")).to_string(),
        };
        assert!(e.contains(expected), "{json}: {e}");
    }
    // The largest accepted values are fine.
    let c: TrainConfig =
        serde_json::from_str(r#"{"model":"mlp","learningRate":1000,"maxBatchSize":65536,"batchSize":65536,"seed":18446744073709551615}"#).unwrap();
    Trainer::new(c).unwrap();
}

#[test]
fn batches_over_max_batch_size_and_odd_buffers_change_nothing() {
    let mut t = mlp();
    let before = t.export_weights().unwrap();
    let data = synthetic_digits(17, 3);
    let e = t.train_batch(data.images(), data.labels()).unwrap_err().to_string();
    assert!(e.contains("batch of 17 images") && e.contains("maxBatchSize (16)"), "{e}");
    // Labels for another batch size, in either direction, and labels as the image buffer.
    let (x, y) = data.gather(&(0..4).collect::<Vec<_>>());
    assert!(t.train_batch(&x, &y[..3]).unwrap_err().to_string().contains("3 labels for 4 images"));
    assert!(t.train_batch(&x, data.labels()).unwrap_err().to_string().contains("17 labels for 4 images"));
    assert!(t.train_batch(&y, &y).unwrap_err().to_string().contains("not a multiple of 784"));
    assert!(t.evaluate(&x, &y[..3]).unwrap_err().to_string().contains("3 labels for 4 images"));
    assert!(t.evaluate(&[], &[]).unwrap_err().to_string().contains("empty"));
    assert!(t.predict(&[]).unwrap_err().to_string().contains("empty"));
    assert_eq!(t.steps(), 0);
    // predict and evaluate take any number of images (they work in chunks), so more than maxBatchSize is fine.
    assert_eq!(t.predict(data.images()).unwrap().len(), 170);
    assert_intact(&mut t, &before, "bad batches");
}

// ---- IDX -------------------------------------------------------------------------------------------

#[test]
fn gzip_edge_cases_name_their_check() {
    let err = |b: &[u8]| parse_idx(b).unwrap_err().to_string();
    let image = encode_images(&[7u8; 784]);
    // A gzip stream that inflates to fewer bytes than the magic number, or to a partial header.
    let e = err(&gzip(&[0, 0]));
    assert!(e.contains("too short") && e.contains("2 bytes"), "{e}");
    assert!(err(&gzip(&[])).contains("too short"));
    assert!(err(&gzip(&image[..10])).contains("header"));
    // A header promising more than the limit is refused without inflating anything.
    let mut huge = image[..16].to_vec();
    huge[4..8].copy_from_slice(&(MAX_IDX_BYTES as u32 / 784 + 1).to_be_bytes());
    assert!(err(&gzip(&huge)).contains("limit"));
    // A gzip header alone, and a gzip whose payload is gzip again.
    assert!(err(&gzip(&image)[..10]).contains("gzip"));
    assert!(err(&gzip(&gzip(&image))).contains("wrong magic"));
    // Truncated payload inside a valid stream, and a bad CRC.
    assert!(err(&gzip(&image[..500])).contains("truncated"));
    let mut bad_crc = gzip(&image);
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0xff;
    assert!(err(&bad_crc).contains("gzip"), "{}", err(&bad_crc));
    // A labels file that is only a header (zero labels) is refused like any zero dimension.
    assert!(err(&encode_labels(&[])).contains("zero"));
    // Errors from Dataset::from_idx say which of the two files failed.
    let e = Dataset::from_idx(&image, &[0, 0, 8, 1, 0, 0]).unwrap_err().to_string();
    assert!(e.contains("labels file") && e.contains("too short"), "{e}");
    let e = Dataset::from_idx(&image[..20], &encode_labels(&[1])).unwrap_err().to_string();
    assert!(e.contains("images file") && e.contains("truncated"), "{e}");
}

// ---- drawings --------------------------------------------------------------------------------------

#[test]
fn unusual_canvases_give_an_image_or_none_never_a_panic() {
    let side = MAX_CANVAS_SIDE;
    // 1×4096 and 4096×1 with a stroke in the middle: a thin digit, 20 px long, kept thin.
    let mut column = vec![255u8; side];
    column[1000..3000].fill(0);
    for (w, h) in [(1, side), (side, 1)] {
        let img = preprocess_drawing(&column, w, h, 1).unwrap().unwrap_or_else(|| panic!("{w}×{h}: no ink found"));
        assert_eq!(img.len(), 784);
        let inked = img.iter().filter(|&&p| p > 0).count();
        assert_eq!(inked, 20, "{w}×{h}: {inked} inked pixels");
    }
    // A single dot: a small bright blob in the middle, not an error.
    let mut dot = vec![255u8; 280 * 280];
    dot[140 * 280 + 17] = 0;
    let img = preprocess_drawing(&dot, 280, 280, 1).unwrap().unwrap();
    assert!(img.iter().any(|&p| p > 0));
    // All ink (the border is ink too, so it reads as background): nothing to classify.
    assert_eq!(preprocess_drawing(&vec![0u8; 64 * 64], 64, 64, 1).unwrap(), None);
    assert_eq!(preprocess_drawing(&[0, 0, 0, 255].repeat(64 * 64), 64, 64, 4).unwrap(), None);
    assert_eq!(preprocess_drawing(&vec![255u8; 64 * 64], 64, 64, 1).unwrap(), None);
    // Ink touching every edge of a white canvas (a frame) still works.
    let mut frame = vec![255u8; 50 * 30];
    for y in 0..30 {
        for x in 0..50 {
            if x < 2 || y < 2 {
                frame[y * 50 + x] = 0;
            }
        }
    }
    assert!(preprocess_drawing(&frame, 50, 30, 1).unwrap().is_some());
    // Out of range sizes and wrong lengths are errors naming the size.
    let e = preprocess_drawing(&vec![255u8; side + 1], side + 1, 1, 1).unwrap_err().to_string();
    assert!(e.contains("4097×1") && e.contains("outside"), "{e}");
    assert!(preprocess_drawing(&[], 0, 10, 1).unwrap_err().to_string().contains("0×10"));
    assert!(preprocess_drawing(&[0; 12], 2, 2, 3).unwrap_err().to_string().contains("channels"));
    let e = preprocess_drawing(&[0; 15], 2, 2, 4).unwrap_err().to_string();
    assert!(e.contains("15 bytes") && e.contains("needs 16"), "{e}");
    // usize::MAX dimensions are refused by the size check before any multiplication can overflow.
    assert!(preprocess_drawing(&[0; 4], usize::MAX, usize::MAX, 4).is_err());
    // The result of an odd canvas is a normal input.
    let t = mlp();
    let img = preprocess_drawing(&column, 1, side, 1).unwrap().unwrap();
    assert!(t.predict(&img).unwrap().iter().all(|p| p.is_finite()));
}
