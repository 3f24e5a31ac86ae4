//! The trainer end to end: shapes, learning, determinism, checkpoints, fine-tuning and bad input.

#![cfg(not(target_arch = "wasm32"))]

use inkling::synthetic::synthetic_digits;
use inkling::{Dataset, ModelKind, OptimizerKind, TrainConfig, Trainer};

fn trainer(model: ModelKind) -> Trainer {
    Trainer::new(TrainConfig::for_model(model)).unwrap()
}

/// Real MNIST (first `n` training, first 1,000 test images) when present, else generated digits.
fn data(n: usize) -> (Dataset, Dataset) {
    let dir = std::env::var("MNIST_DIR").map(std::path::PathBuf::from).unwrap_or_else(|_| "../shared/data/mnist".into());
    match inkling::dataset::load_dir(&dir) {
        Ok(sets) => (sets.train.take(n), sets.test.take(1_000)),
        Err(_) => (synthetic_digits(n, 1), synthetic_digits(1_000, 2)),
    }
}

#[test]
fn models_have_the_documented_sizes_and_output_shapes() {
    assert_eq!(trainer(ModelKind::Cnn).parameter_count(), 93_322);
    assert_eq!(trainer(ModelKind::Mlp).parameter_count(), 784 * 128 + 128 + 128 * 10 + 10);
    for kind in ModelKind::PRESETS {
        let t = trainer(kind);
        let probs = t.predict(&vec![0u8; 3 * 784]).unwrap();
        assert_eq!(probs.len(), 3 * 10, "{kind}");
        for row in probs.chunks(10) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            assert!(row.iter().all(|p| (0.0..=1.0).contains(p)));
        }
    }
}

#[test]
fn every_model_learns_loss_falls_and_accuracy_rises() {
    let (train, test) = data(2_000);
    for (kind, steps, min_acc) in [(ModelKind::Mlp, 60, 0.7), (ModelKind::Cnn, 60, 0.6), (ModelKind::CnnLarge, 25, 0.3)] {
        let mut t = trainer(kind);
        let before = t.evaluate_dataset(&test).unwrap();
        let mut losses = Vec::new();
        for i in 0..steps {
            let idx: Vec<usize> = (0..32).map(|j| (i * 32 + j) % train.len()).collect();
            let (x, y) = train.gather(&idx);
            losses.push(t.train_batch(&x, &y).unwrap().loss);
        }
        let after = t.evaluate_dataset(&test).unwrap();
        let early: f32 = losses[..5].iter().sum::<f32>() / 5.0;
        let late: f32 = losses[steps - 5..].iter().sum::<f32>() / 5.0;
        assert!(late < 0.7 * early, "{kind}: loss {early} -> {late}");
        assert!(after.loss < before.loss, "{kind}: test loss {} -> {}", before.loss, after.loss);
        assert!(after.accuracy > min_acc && after.accuracy > before.accuracy + 0.2, "{kind}: accuracy {} -> {}", before.accuracy, after.accuracy);
        assert_eq!(t.steps(), steps);
    }
}

#[test]
fn every_optimizer_trains_at_its_own_default_rate() {
    let (train, test) = data(2_000);
    for optimizer in [OptimizerKind::Adam, OptimizerKind::Adamw, OptimizerKind::Sgd, OptimizerKind::Adadelta] {
        let config = TrainConfig { optimizer, learning_rate: optimizer.default_learning_rate(), lr_decay: 1.0, ..TrainConfig::for_model(ModelKind::Mlp) };
        let mut t = Trainer::new(config).unwrap();
        let before = t.evaluate_dataset(&test).unwrap();
        for i in 0..60 {
            let idx: Vec<usize> = (0..32).map(|j| (i * 32 + j) % train.len()).collect();
            let (x, y) = train.gather(&idx);
            t.train_batch(&x, &y).unwrap();
        }
        let after = t.evaluate_dataset(&test).unwrap();
        assert!(
            after.accuracy > 0.6 && after.loss < before.loss,
            "{}: accuracy {} -> {}, loss {} -> {}",
            optimizer.name(),
            before.accuracy,
            after.accuracy,
            before.loss,
            after.loss
        );
    }
}

#[test]
fn same_seed_same_numbers_and_different_seed_differs() {
    let (train, _) = data(256);
    let run = |seed: u64| {
        let mut t = Trainer::new(TrainConfig { model: ModelKind::CnnLarge, seed, ..TrainConfig::default() }).unwrap();
        let plan = inkling::run::RunPlan::new(&t.config().run().unwrap(), train.len()).unwrap();
        let order: Vec<usize> = plan.epoch_order(0).into_iter().map(|i| i as usize).collect();
        for batch in order.chunks(64).take(3) {
            let (x, y) = train.gather(batch);
            t.train_batch(&x, &y).unwrap();
        }
        t.export_weights().unwrap()
    };
    assert!(run(5) == run(5), "same seed must give identical weights");
    assert!(run(5) != run(6), "another seed must give other weights");
}

#[test]
fn weights_round_trip_bit_exactly_and_other_architectures_are_refused() {
    let (train, test) = data(256);
    let mut a = trainer(ModelKind::Cnn);
    let (x, y) = train.gather(&(0..64).collect::<Vec<_>>());
    a.train_batch(&x, &y).unwrap();
    let bytes = a.export_weights().unwrap();
    let mut b = Trainer::new(TrainConfig { seed: 99, ..TrainConfig::default() }).unwrap();
    b.import_weights(&bytes).unwrap();
    assert!(b.export_weights().unwrap() == bytes, "round trip must be bit-exact");
    assert!(a.predict(test.images()).unwrap() == b.predict(test.images()).unwrap());

    // The header is plain safetensors JSON with our metadata, readable by Python's safetensors.
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    assert_eq!(header["__metadata__"]["model"], "cnn");
    assert_eq!(header["conv1.weight"]["shape"], serde_json::json!([32, 1, 3, 3]));
    assert_eq!(header["fc2.bias"]["dtype"], "F32");
    // And candle reads it too.
    let loaded = candle_core::safetensors::load_buffer(&bytes, &candle_core::Device::Cpu).unwrap();
    assert_eq!(loaded.len(), 10);

    let before = b.export_weights().unwrap();
    let mlp_bytes = trainer(ModelKind::Mlp).export_weights().unwrap();
    let e = b.import_weights(&mlp_bytes).unwrap_err().to_string();
    assert!(e.contains("'mlp'") && e.contains("'cnn'"), "{e}");
    for bad in [&bytes[..bytes.len() / 2], &b"garbage"[..], &[][..]] {
        assert!(b.import_weights(bad).unwrap_err().to_string().contains("safetensors"));
    }
    assert!(b.export_weights().unwrap() == before, "failed imports must not change the weights");
}

#[test]
fn wrong_shapes_missing_tensors_and_nan_weights_are_refused() {
    use candle_core::{Device, Tensor};
    let t = trainer(ModelKind::Mlp);
    let mut tensors = candle_core::safetensors::load_buffer(&t.export_weights().unwrap(), &Device::Cpu).unwrap();
    let save = |m: &std::collections::HashMap<String, Tensor>| {
        let sorted: std::collections::BTreeMap<_, _> = m.iter().collect();
        safetensors::serialize(sorted.into_iter().map(|(k, v)| (k.as_str(), v)), None).unwrap()
    };
    let mut target = trainer(ModelKind::Mlp);
    let before = target.export_weights().unwrap();
    // No metadata but the right tensors (e.g. written by PyTorch): accepted.
    target.import_weights(&save(&tensors)).unwrap();
    target.import_weights(&before).unwrap();
    let mut wrong_shape = tensors.clone();
    wrong_shape.insert("fc2.bias".into(), Tensor::zeros(11, candle_core::DType::F32, &Device::Cpu).unwrap());
    assert!(target.import_weights(&save(&wrong_shape)).unwrap_err().to_string().contains("shape"));
    let mut nan = tensors.clone();
    nan.insert("fc2.bias".into(), Tensor::new(&[f32::NAN; 10], &Device::Cpu).unwrap());
    assert!(target.import_weights(&save(&nan)).unwrap_err().to_string().contains("NaN"));
    let mut f64s = tensors.clone();
    f64s.insert("fc2.bias".into(), Tensor::zeros(10, candle_core::DType::F64, &Device::Cpu).unwrap());
    assert!(target.import_weights(&save(&f64s)).unwrap_err().to_string().contains("F32"));
    tensors.remove("fc1.weight");
    assert!(target.import_weights(&save(&tensors)).unwrap_err().to_string().contains("lacks tensor 'fc1.weight'"));
    assert!(target.export_weights().unwrap() == before, "failed imports must not change the weights");
}

#[test]
fn bad_batches_are_refused_and_change_nothing() {
    let mut t = Trainer::new(TrainConfig { max_batch_size: 8, batch_size: 8, ..TrainConfig::default() }).unwrap();
    let before = t.export_weights().unwrap();
    let cases: Vec<(Vec<u8>, Vec<u8>, &str)> = vec![
        (vec![0; 785], vec![1], "multiple of 784"),
        (vec![], vec![], "empty"),
        (vec![0; 784 * 2], vec![1], "1 labels for 2 images"),
        (vec![0; 784 * 2], vec![1, 10], "label 10"),
        (vec![0; 784 * 9], vec![1; 9], "maxBatchSize"),
    ];
    for (x, y, msg) in cases {
        let e = t.train_batch(&x, &y).unwrap_err().to_string();
        assert!(e.contains(msg), "{e} should mention {msg}");
    }
    assert!(t.evaluate(&[0; 784], &[11]).is_err());
    assert!(t.predict(&[0; 100]).is_err());
    assert!(t.set_learning_rate(-1.0).is_err() && t.set_learning_rate(f64::NAN).is_err());
    assert!(t.export_weights().unwrap() == before, "bad batches must not change the weights");
    assert_eq!(t.steps(), 0);
    t.train_batch(&[0; 784 * 2], &[1, 2]).unwrap(); // still works
}

#[test]
fn divergence_stops_and_restores_the_last_good_weights() {
    let (train, _) = data(512);
    let mut t =
        Trainer::new(TrainConfig { model: ModelKind::Mlp, optimizer: OptimizerKind::Sgd, learning_rate: 1_000.0, momentum: 0.9, ..TrainConfig::default() })
            .unwrap();
    let mut error = None;
    for i in 0..200 {
        let idx: Vec<usize> = (0..64).map(|j| (i * 64 + j) % train.len()).collect();
        let (x, y) = train.gather(&idx);
        let before = t.steps();
        match t.train_batch(&x, &y) {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(t.steps(), before);
                error = Some(e.to_string());
                break;
            }
        }
    }
    let e = error.expect("lr 1000 should diverge");
    assert!(e.contains("diverged") && e.contains("restored"), "{e}");
    let probs = t.predict(train.image(0)).unwrap();
    assert!(probs.iter().all(|p| p.is_finite()), "restored weights must be finite");
    t.set_learning_rate(1e-3).unwrap();
    let (x, y) = train.gather(&(0..64).collect::<Vec<_>>());
    assert!(t.train_batch(&x, &y).unwrap().loss.is_finite());
}

#[test]
fn frozen_features_only_the_head_changes() {
    let (train, _) = data(256);
    let mut t = trainer(ModelKind::Cnn);
    let tensors = |t: &Trainer| candle_core::safetensors::load_buffer(&t.export_weights().unwrap(), &candle_core::Device::Cpu).unwrap();
    let before = tensors(&t);
    t.freeze_features(true).unwrap();
    t.set_learning_rate(inkling::finetune::FineTuneConfig::default().learning_rate).unwrap();
    let (x, y) = train.gather(&(0..64).collect::<Vec<_>>());
    t.train_batch(&x, &y).unwrap();
    let after = tensors(&t);
    for (name, value) in &before {
        let same = value.flatten_all().unwrap().to_vec1::<f32>().unwrap() == after[name].flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(same, name.starts_with("conv"), "{name}");
    }
    assert!(t.is_frozen());
}
