//! Browser tests of the wasm API (`wasm-pack test --headless --chrome`): the exported `Trainer` trains,
//! predicts, round-trips weights, and throws a JS `Error` on bad input while staying usable; the run
//! plan is the CLI's and the fine-tune recipe runs.

#![cfg(target_arch = "wasm32")]

use inkling::synthetic::synthetic_digits;
use inkling::wasm::{parse_idx, preprocess_drawing, FineTune, RunPlan, Trainer};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn config(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

/// A byte slice as the `Uint8Array` the exported functions take.
fn u8s(bytes: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(bytes).into()
}

fn field(v: &JsValue, key: &str) -> f64 {
    js_sys::Reflect::get(v, &key.into()).unwrap().as_f64().unwrap()
}

/// The message of the JS `Error` a failed call throws.
fn message(e: wasm_bindgen::JsError) -> String {
    let v: JsValue = e.into();
    js_sys::Error::from(v).message().into()
}

#[wasm_bindgen_test]
fn a_few_steps_lower_the_loss_and_predictions_are_probabilities() {
    let data = synthetic_digits(256, 3);
    let mut t = Trainer::new(config(r#"{"model":"cnn","seed":3}"#)).unwrap();
    let mut losses = vec![];
    for step in 0..12 {
        let idx: Vec<usize> = (0..32).map(|i| (step * 32 + i) % 256).collect();
        let (x, y) = data.gather(&idx);
        losses.push(field(&t.train_batch(u8s(&x), u8s(&y)).unwrap(), "loss"));
    }
    assert!(losses[11] < losses[0] * 0.8, "loss {:?}", losses);
    assert_eq!(t.steps(), 12);
    let probs = t.predict(u8s(&data.images()[..5 * 784])).unwrap();
    assert_eq!(probs.len(), 50);
    for row in probs.chunks(10) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }
    let eval = t.evaluate(u8s(&data.images()[..100 * 784]), u8s(&data.labels()[..100])).unwrap();
    assert!(field(&eval, "accuracy") > 0.1);
}

#[wasm_bindgen_test]
fn weights_round_trip_and_other_models_are_refused() {
    let t = Trainer::new(config(r#"{"model":"mlp","seed":1}"#)).unwrap();
    let bytes = t.export_weights().unwrap();
    let mut u = Trainer::new(config(r#"{"model":"mlp","seed":2}"#)).unwrap();
    u.import_weights(u8s(&bytes)).unwrap();
    assert!(u.export_weights().unwrap() == bytes);
    let mut cnn = Trainer::new(JsValue::UNDEFINED).unwrap();
    let before = cnn.export_weights().unwrap();
    assert!(message(cnn.import_weights(u8s(&bytes)).unwrap_err()).contains("'mlp'"));
    assert!(message(cnn.import_weights(u8s(&[1, 2, 3])).unwrap_err()).contains("safetensors"));
    assert!(cnn.export_weights().unwrap() == before);
}

/// A network of one's own through the wasm API: a `same` 5×5 convolution (the general path), batch-norm
/// and pooling; it trains, predicts, and its weights file rebuilds it in a trainer of another network.
#[wasm_bindgen_test]
fn a_custom_spec_trains_predicts_and_its_file_rebuilds_it() {
    let spec = r#"{"layers":[{"type":"conv","filters":6,"kernel":5,"padding":"same","activation":"relu"},{"type":"maxpool"},{"type":"conv","filters":8},{"type":"batchnorm","activation":"relu"},{"type":"maxpool"},{"type":"dense","units":10}]}"#;
    let data = synthetic_digits(256, 6);
    let mut t = Trainer::new(config(&format!(r#"{{"model":"custom","spec":{spec},"seed":2,"augment":false}}"#))).unwrap();
    let mut losses = vec![];
    for step in 0..16 {
        let idx: Vec<usize> = (0..32).map(|i| (step * 32 + i) % 256).collect();
        let (x, y) = data.gather(&idx);
        losses.push(field(&t.train_batch(u8s(&x), u8s(&y)).unwrap(), "loss"));
    }
    assert!(losses[15] < losses[0] * 0.8, "loss {:?}", losses);
    let probe = &data.images()[..4 * 784];
    let probs = t.predict(u8s(probe)).unwrap();
    assert_eq!(probs.len(), 40);
    let bytes = t.export_weights().unwrap();
    let u = Trainer::from_weights(u8s(&bytes), config(r#"{"model":"mlp"}"#)).unwrap();
    assert_eq!(u.predict(u8s(probe)).unwrap(), probs);
    let cfg = u.config().unwrap();
    assert_eq!(js_sys::Reflect::get(&cfg, &"model".into()).unwrap().as_string().as_deref(), Some("custom"));
    let layers = js_sys::Reflect::get(&js_sys::Reflect::get(&cfg, &"spec".into()).unwrap(), &"layers".into()).unwrap();
    assert_eq!(js_sys::Array::from(&layers).length(), 6);
    let bad = config(r#"{"model":"custom","spec":{"layers":[{"type":"dense","units":12}]}}"#);
    assert!(message(Trainer::new(bad).err().unwrap()).contains("layer 1 (dense)"));
}

#[wasm_bindgen_test]
fn bad_input_throws_and_the_trainer_keeps_working() {
    let data = synthetic_digits(64, 4);
    let mut t = Trainer::new(config(r#"{"model":"mlp"}"#)).unwrap();
    let before = t.export_weights().unwrap();
    let (x, y) = data.gather(&(0..8).collect::<Vec<_>>());
    assert!(message(t.train_batch(u8s(&x[..783]), u8s(&y)).unwrap_err()).contains("multiple of 784"));
    assert!(message(t.train_batch(u8s(&x), u8s(&y[..7])).unwrap_err()).contains("7 labels for 8 images"));
    let mut bad_labels = y.clone();
    bad_labels[3] = 12;
    assert!(message(t.train_batch(u8s(&x), u8s(&bad_labels)).unwrap_err()).contains("label 12"));
    assert!(message(t.train_batch(u8s(&[]), u8s(&[])).unwrap_err()).contains("empty"));
    assert!(message(t.predict(u8s(&x[..100])).unwrap_err()).contains("multiple of 784"));
    assert!(message(t.set_learning_rate(f64::NAN).unwrap_err()).contains("learningRate"));
    assert!(message(t.set_learning_rate(-0.1).unwrap_err()).contains("learningRate"));
    assert!(t.export_weights().unwrap() == before, "bad calls must not change the weights");
    assert!(field(&t.train_batch(u8s(&x), u8s(&y)).unwrap(), "loss").is_finite());
    assert_eq!(t.predict(u8s(&x)).unwrap().len(), 80);
}

#[wasm_bindgen_test]
fn bad_configs_throw() {
    for (json, expected) in [
        (r#"{"learningRte":0.1}"#, "unknown field"),
        (r#"{"model":"resnet"}"#, "unknown variant"),
        (r#"{"batchSize":0}"#, "batchSize"),
        (r#"{"learningRate":-1}"#, "learningRate"),
    ] {
        let e = Trainer::new(config(json)).err().expect(json);
        assert!(message(e).contains(expected), "{json}");
    }
}

#[wasm_bindgen_test]
fn idx_and_drawings() {
    let idx = parse_idx(u8s(&inkling::idx::encode_labels(&[1, 2, 3]))).unwrap();
    assert_eq!(field(&idx, "count"), 3.0);
    assert!(message(parse_idx(u8s(&[0, 0, 8, 3])).unwrap_err()).contains("IDX"));
    let mut canvas = vec![255u8; 100 * 100];
    for y in 20..80 {
        for x in 45..55 {
            canvas[y * 100 + x] = 0;
        }
    }
    let img = preprocess_drawing(u8s(&canvas), 100, 100, 1).unwrap().unwrap();
    assert_eq!(img.len(), 784);
    assert!(preprocess_drawing(u8s(&vec![255u8; 100 * 100]), 100, 100, 1).unwrap().is_none());
    assert!(preprocess_drawing(u8s(&canvas), 99, 100, 1).is_err());
}

/// In wasm32 the fast kernels (Winograd, and the direct first layer) run on SIMD128 intrinsics
/// (`ops::lanes`), which native tests never compile (natively, SSE): their output, plain or pooled and ReLU'd, and all
/// three gradients (through the recorded pooling winners) must match im2col's here too.
#[wasm_bindgen_test]
fn fast_kernels_match_im2col_in_the_browser() {
    use candle_core::{Device, Tensor, Var};
    use inkling::ops::{conv2d_with, Activation, Kernels};
    let mut rng = inkling::rng::Rng::new(4);
    // (images, Cin, side, Cout, pooled): the cnn's conv2 (13×13 → 11×11, pooled to 5×5, odd row
    // dropped) and conv1 (direct, 28×28 → 26×26 → 13×13), and both unpooled on other sizes.
    for (b, cin, h, cout, pool) in [(3, 32, 13, 64, true), (3, 1, 28, 32, true), (2, 16, 10, 8, false), (2, 1, 9, 8, false)] {
        let side = if pool { (h - 2) / 2 } else { h - 2 };
        let mut var =
            |dims: &[usize], lo, hi| Var::from_tensor(&Tensor::from_vec(rng.uniform_vec(dims.iter().product(), lo, hi), dims, &Device::Cpu).unwrap()).unwrap();
        let (x, w, bias) = (var(&[b, cin, h, h], 0.0, 2.0), var(&[cout, cin, 3, 3], -0.2, 0.2), var(&[cout], -0.5, 0.5));
        let r = var(&[b, cout, side, side], -1.0, 1.0);
        let run = |kernels: Kernels| {
            let out = conv2d_with(&x, &w, &bias, Activation::Relu, pool, kernels).unwrap();
            let grads = (&out * r.as_tensor()).unwrap().sum_all().unwrap().backward().unwrap();
            let mut values = vec![out.flatten_all().unwrap().to_vec1::<f32>().unwrap()];
            for v in [&x, &w, &bias] {
                values.push(grads.get(v).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap());
            }
            values
        };
        let (ours, reference) = (run(Kernels::ALL), run(Kernels::IM2COL));
        for (what, (a, c)) in ["output", "dx", "dw", "dbias"].iter().zip(ours.iter().zip(&reference)) {
            let scale = c.iter().fold(1f32, |m, v| m.max(v.abs()));
            let d = a.iter().zip(c).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max) / scale;
            assert!(d < 1e-4, "{:?} {what}: the fast kernel differs from im2col by {d}", (b, cin, h, cout, pool));
        }
        assert!(ours[0].iter().any(|&v| v > 0.0) && ours[0].contains(&0.0), "ReLU should both pass and clip values");
    }
}

#[wasm_bindgen_test]
fn the_run_plan_is_the_clis_and_fine_tuning_runs_in_the_browser() {
    // The same orders as src/run.rs's fixed-plan test: the browser trains on the CLI's batches.
    let plan = RunPlan::new(config(r#"{"seed":42,"batchSize":5}"#), 12).unwrap();
    assert_eq!(plan.epoch_order(0), [2, 6, 9, 5, 0, 4, 7, 10, 3, 1, 11, 8]);
    assert_eq!(plan.stream(7), 2_818_572_295.0);
    let data = synthetic_digits(100, 5);
    let mut t = Trainer::new(config(r#"{"model":"mlp","seed":1}"#)).unwrap();
    let mut ft = FineTune::new(u8s(&data.images()[..40 * 784]), u8s(&data.labels()[..40]), config(r#"{"steps":5,"batchSize":16}"#)).unwrap();
    ft.set_replay(u8s(&data.images()[40 * 784..]), u8s(&data.labels()[40..])).unwrap();
    while !ft.is_done() {
        assert!(field(&ft.step(&mut t).unwrap(), "loss").is_finite());
    }
    assert_eq!((ft.steps_done(), t.steps()), (5, 5));
    assert!(message(ft.step(&mut t).err().unwrap()).contains("already taken"));
    assert!(message(FineTune::new(u8s(&[]), u8s(&[]), JsValue::UNDEFINED).err().unwrap()).contains("no digits"));
}
