//! Networks built from specs: any valid spec trains, the general convolution path is exact, the
//! frozen head is the documented part, and a weights file carries its network (and refuses a wrong one).

#![cfg(not(target_arch = "wasm32"))]

use candle_core::{Device, Tensor, D};
use inkling::rng::Rng;
use inkling::spec::{preset, Act, Layer, ModelSpec, Padding};
use inkling::synthetic::synthetic_digits;
use inkling::{ModelKind, TrainConfig, Trainer};

fn spec(json: &str) -> ModelSpec {
    ModelSpec::from_json(json).unwrap().0
}

fn custom(json: &str) -> Trainer {
    Trainer::new(TrainConfig { batch_size: 32, ..TrainConfig::for_spec(spec(json)) }).unwrap()
}

/// A random sequential network: a few convolutions (3×3 or 5×5, valid or same, with or without ReLU),
/// pooling, batch-norm and dropout, then dense layers down to the logits. Some draws are invalid
/// (a map too small, too many parameters); the caller keeps the valid ones.
fn random_spec(rng: &mut Rng) -> ModelSpec {
    let act = |rng: &mut Rng| if rng.below(3) == 0 { Act::None } else { Act::Relu };
    let mut layers = Vec::new();
    for _ in 0..rng.below(4) {
        let padding = if rng.below(2) == 0 { Padding::Valid } else { Padding::Same };
        layers.push(Layer::Conv { filters: 2 + rng.below(10), kernel: [3, 5][rng.below(2)], padding, activation: act(rng) });
        match rng.below(4) {
            0 => layers.push(Layer::Maxpool),
            1 => layers.push(Layer::Batchnorm { activation: act(rng) }),
            2 => layers.push(Layer::Dropout { rate: 0.1 }),
            _ => {}
        }
    }
    for _ in 0..rng.below(3) {
        layers.push(Layer::Dense { units: 8 + rng.below(40), activation: Act::Relu });
        if rng.below(3) == 0 {
            layers.push(Layer::Batchnorm { activation: Act::None });
        }
    }
    layers.push(Layer::Dense { units: 10, activation: Act::None });
    ModelSpec { layers }
}

#[test]
fn random_valid_specs_train_and_their_loss_falls() {
    let data = synthetic_digits(640, 4);
    let mut rng = Rng::new(20);
    let mut trained = 0;
    while trained < 6 {
        let spec = random_spec(&mut rng);
        let Ok(summary) = spec.summary() else { continue };
        if summary.params > 200_000 {
            continue;
        }
        let mut t = Trainer::new(TrainConfig { batch_size: 32, augment: false, ..TrainConfig::for_spec(spec.clone()) }).unwrap();
        assert_eq!(t.parameter_count(), summary.params, "{}", spec.to_json());
        let losses: Vec<f32> = (0..40)
            .map(|i| {
                let (x, y) = data.gather(&((i % 20) * 32..(i % 20 + 1) * 32).collect::<Vec<_>>());
                t.train_batch(&x, &y).unwrap().loss
            })
            .collect();
        let (early, late) = (losses[..5].iter().sum::<f32>() / 5.0, losses[35..].iter().sum::<f32>() / 5.0);
        assert!(late < 0.8 * early, "{}: loss {early} -> {late}", spec.to_json());
        trained += 1;
    }
}

/// The model's forward pass for a `same` 5×5 convolution (im2col on a zero-padded input) against
/// Candle's own padded convolution on the same weights.
#[test]
fn a_same_5x5_convolution_matches_candle_s_padded_convolution() {
    let t =
        custom(r#"{"layers":[{"type":"conv","filters":3,"kernel":5,"padding":"same","activation":"relu"},{"type":"maxpool"},{"type":"dense","units":10}]}"#);
    let w = candle_core::safetensors::load_buffer(&t.export_weights().unwrap(), &Device::Cpu).unwrap();
    let images = synthetic_digits(4, 9);
    let xs = inkling::input::images_to_tensor(images.images(), &Device::Cpu).unwrap();
    let conv = xs.conv2d(&w["conv1.weight"], 2, 1, 1, 1).unwrap().broadcast_add(&w["conv1.bias"].reshape((1, 3, 1, 1)).unwrap()).unwrap();
    let pooled = conv.relu().unwrap().max_pool2d(2).unwrap(); // (4, 3, 14, 14)
    let logits = pooled.flatten_from(1).unwrap().matmul(&w["fc1.weight"].t().unwrap()).unwrap().broadcast_add(&w["fc1.bias"]).unwrap();
    let want: Vec<f32> = candle_nn::ops::softmax(&logits, D::Minus1).unwrap().flatten_all().unwrap().to_vec1().unwrap();
    let got = t.predict(images.images()).unwrap();
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-5, "{got:?} vs {want:?}");
    }
}

#[test]
fn freezing_trains_the_head_the_module_docs_name() {
    let data = synthetic_digits(64, 3);
    let (x, y) = data.gather(&(0..32).collect::<Vec<_>>());
    // (spec, layers that must not move, layers that must)
    let cases = [
        (preset(ModelKind::KerasCnn).unwrap(), vec!["conv1", "conv2"], vec!["fc1", "fc2"]),
        (
            spec(r#"{"layers":[{"type":"dense","units":32,"activation":"relu"},{"type":"dense","units":16,"activation":"relu"},{"type":"dense","units":10}]}"#),
            vec!["fc1"],
            vec!["fc2", "fc3"],
        ),
        (
            spec(r#"{"layers":[{"type":"conv","filters":4},{"type":"batchnorm","activation":"relu"},{"type":"maxpool"},{"type":"dense","units":10}]}"#),
            vec!["conv1", "bn1"],
            vec!["fc1"],
        ),
    ];
    for (spec, frozen, trained) in cases {
        let mut t = Trainer::new(TrainConfig { batch_size: 32, ..TrainConfig::for_spec(spec.clone()) }).unwrap();
        t.freeze_features(true).unwrap();
        let before = candle_core::safetensors::load_buffer(&t.export_weights().unwrap(), &Device::Cpu).unwrap();
        t.train_batch(&x, &y).unwrap();
        let after = candle_core::safetensors::load_buffer(&t.export_weights().unwrap(), &Device::Cpu).unwrap();
        let moved = |layer: &str| {
            let diff = |a: &Tensor, b: &Tensor| (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
            before.iter().filter(|(k, _)| k.starts_with(&format!("{layer}."))).any(|(k, v)| diff(v, &after[k]) > 0.0)
        };
        for layer in frozen {
            assert!(!moved(layer), "{layer} moved in {}", spec.to_json());
        }
        for layer in trained {
            assert!(moved(layer), "{layer} did not move in {}", spec.to_json());
        }
    }
}

/// A safetensors file with its metadata changed by `edit` (the tensors kept).
fn with_metadata(bytes: &[u8], edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>)) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    edit(header["__metadata__"].as_object_mut().unwrap());
    let mut json = serde_json::to_vec(&header).unwrap();
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    [&(json.len() as u64).to_le_bytes()[..], &json, &bytes[8 + n..]].concat()
}

#[test]
fn a_weights_file_carries_its_network_and_rebuilds_it() {
    let json = r#"{"layers":[{"type":"conv","filters":6,"kernel":5,"padding":"same","activation":"relu"},{"type":"maxpool"},{"type":"batchnorm"},{"type":"dense","units":24,"activation":"relu"},{"type":"dropout","rate":0.3},{"type":"dense","units":10}]}"#;
    let mut t = custom(json);
    let data = synthetic_digits(64, 2);
    let (x, y) = data.gather(&(0..32).collect::<Vec<_>>());
    t.train_batch(&x, &y).unwrap();
    let bytes = t.export_weights().unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let meta = &header["__metadata__"];
    assert_eq!((meta["format"].as_str(), meta["model"].as_str()), (Some("inkling-1"), Some("custom")));
    assert_eq!(ModelSpec::from_json(meta["spec"].as_str().unwrap()).unwrap().0, spec(json));
    assert_eq!(meta["normalization"], r#"{"mean":0.1307,"std":0.3081}"#);

    // Into a trainer of any other network: the file's own is rebuilt.
    let loaded = Trainer::from_weights(TrainConfig::for_model(ModelKind::Mlp), &bytes).unwrap();
    assert_eq!((loaded.config().model, loaded.spec()), (ModelKind::Custom, &spec(json)));
    assert_eq!(loaded.predict(&x).unwrap(), t.predict(&x).unwrap());
    assert_eq!(loaded.export_weights().unwrap(), bytes);
    // A preset's file rebuilds the preset.
    let cnn = Trainer::new(TrainConfig::for_model(ModelKind::KerasCnn)).unwrap().export_weights().unwrap();
    assert_eq!(Trainer::from_weights(TrainConfig::default(), &cnn).unwrap().config().model, ModelKind::KerasCnn);
}

#[test]
fn files_without_a_spec_load_as_the_preset_they_name() {
    // The shipped pretrained network, and a file as the first format wrote them (model name only).
    let shipped = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/www/public/models/cnn-mnist.safetensors")).unwrap();
    let t = Trainer::from_weights(TrainConfig::for_model(ModelKind::Mlp), &shipped).unwrap();
    assert_eq!(t.config().model, ModelKind::Cnn);
    let mlp = Trainer::new(TrainConfig { seed: 5, ..TrainConfig::for_model(ModelKind::Mlp) }).unwrap();
    let old = with_metadata(&mlp.export_weights().unwrap(), |m| {
        m.remove("spec");
        m.remove("normalization");
    });
    let loaded = Trainer::from_weights(TrainConfig::default(), &old).unwrap();
    assert_eq!(loaded.config().model, ModelKind::Mlp);
    assert_eq!(loaded.flat_weights().unwrap(), mlp.flat_weights().unwrap());
    let mut same = Trainer::new(TrainConfig::for_model(ModelKind::Mlp)).unwrap();
    same.import_weights(&old).unwrap();
    assert_eq!(same.flat_weights().unwrap(), mlp.flat_weights().unwrap());
}

#[test]
fn a_bad_spec_or_a_mismatch_is_refused_and_the_model_stays() {
    let mlp = Trainer::new(TrainConfig::for_model(ModelKind::Mlp)).unwrap().export_weights().unwrap();
    let set = |key: &str, value: String| {
        with_metadata(&mlp, |m| {
            m.insert(key.into(), value.into());
        })
    };
    let cases = [
        (set("spec", "{\"layers\":[{\"type\":\"dense\",\"units\":12}]}".into()), "the file's network spec is not valid: layer 1 (dense)"),
        (set("spec", "not json".into()), "the file's network spec is not valid: not a model spec"),
        (set("spec", preset(ModelKind::Cnn).unwrap().to_json()), "the file says its network is 'mlp', but its spec describes other layers"),
        (set("model", "resnet".into()), "unknown model 'resnet'"),
        (set("normalization", r#"{"mean":0.5,"std":0.5}"#.into()), "normalised as {\"mean\":0.5,\"std\":0.5}"),
        (
            with_metadata(&mlp, |m| {
                m.insert("model".into(), "custom".into());
                m.remove("spec");
            }),
            "a custom network but no spec",
        ),
    ];
    let mut current = Trainer::new(TrainConfig::for_model(ModelKind::Mlp)).unwrap();
    let before = current.export_weights().unwrap();
    for (bytes, want) in cases {
        let e = Trainer::from_weights(TrainConfig::default(), &bytes).err().expect("refused").to_string();
        assert!(e.contains(want), "{e}");
        let e = current.import_weights(&bytes).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
    }
    // A file whose spec and tensors disagree: the spec is rebuilt, then its tensors do not fit.
    let wrong = with_metadata(&mlp, |m| {
        m.insert("model".into(), "custom".into());
        m.insert("spec".into(), r#"{"layers":[{"type":"dense","units":64,"activation":"relu"},{"type":"dense","units":10}]}"#.into());
    });
    let e = Trainer::from_weights(TrainConfig::default(), &wrong).err().expect("refused").to_string();
    assert!(e.contains("tensor 'fc1.bias' has shape [128] but the 'custom' model needs [64]"), "{e}");
    assert_eq!(current.export_weights().unwrap(), before, "a refused file changes nothing");
}

#[test]
fn a_config_names_a_preset_or_brings_a_custom_spec() {
    let bad = |c: TrainConfig| Trainer::new(c).err().expect("refused").to_string();
    assert!(bad(TrainConfig { model: ModelKind::Custom, ..TrainConfig::default() }).contains("model 'custom' needs a spec"));
    assert!(bad(TrainConfig { spec: preset(ModelKind::Mlp), ..TrainConfig::default() }).contains("give model 'custom' with it, not 'cnn'"));
    let too_big = r#"{"layers":[{"type":"conv","filters":64,"padding":"same"},{"type":"dense","units":512},{"type":"dense","units":10}]}"#;
    let wire: TrainConfig = serde_json::from_str(&format!(r#"{{"model":"custom","spec":{too_big}}}"#)).unwrap();
    assert!(bad(wire).contains("over the limit of 5,000,000"));
}

#[test]
fn inspecting_an_image_shows_every_layer_as_the_prediction_computes_it() {
    let t = Trainer::new(TrainConfig { seed: 4, ..TrainConfig::for_model(ModelKind::Cnn) }).unwrap();
    let image = synthetic_digits(1, 5).images().to_vec();
    let seen = t.inspect(&image).unwrap();
    let rows: Vec<(&str, &str, Vec<usize>)> = seen.layers.iter().map(|l| (l.name.as_str(), l.kind, l.shape.clone())).collect();
    assert_eq!(
        rows,
        vec![
            ("conv1", "conv", vec![32, 26, 26]),
            ("maxpool1", "maxpool", vec![32, 13, 13]),
            ("conv2", "conv", vec![64, 11, 11]),
            ("maxpool2", "maxpool", vec![64, 5, 5]),
            ("conv3", "conv", vec![64, 3, 3]),
            ("fc1", "dense", vec![64]),
            ("fc2", "dense", vec![10]),
        ]
    );
    // The pooled map is the 2×2 maximum of the convolution's (ReLU'd, so non-negative) map.
    let (conv1, pool1) = (&seen.layers[0].values, &seen.layers[1].values);
    assert!(conv1.iter().all(|v| *v >= 0.0));
    for (c, y, x) in [(0, 0, 0), (5, 6, 7), (31, 12, 12)] {
        let at = |yy: usize, xx: usize| conv1[c * 676 + yy * 26 + xx];
        let want = at(2 * y, 2 * x).max(at(2 * y, 2 * x + 1)).max(at(2 * y + 1, 2 * x)).max(at(2 * y + 1, 2 * x + 1));
        assert_eq!(pool1[c * 169 + y * 13 + x], want);
    }
    // The last layer's values are the logits of the prediction.
    let logits = Tensor::new(seen.layers[6].values.as_slice(), &Device::Cpu).unwrap();
    let probs: Vec<f32> = candle_nn::ops::softmax(&logits, 0).unwrap().to_vec1().unwrap();
    for (a, b) in probs.iter().zip(t.predict(&image).unwrap()) {
        assert!((a - b).abs() < 1e-6);
    }
    let filters = seen.filters.unwrap();
    assert_eq!((filters.name.as_str(), filters.shape.clone(), filters.values.len()), ("conv1", vec![32, 1, 3, 3], 288));
    assert!(t.inspect(&image[..700]).unwrap_err().to_string().contains("one 28×28 image (784 bytes), got 700"));
    // An MLP has no filters; dropout is left out.
    let mlp = Trainer::new(TrainConfig::for_model(ModelKind::Mlp)).unwrap().inspect(&image).unwrap();
    assert_eq!(mlp.layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["fc1", "fc2"]);
    assert!(mlp.filters.is_none());
}
