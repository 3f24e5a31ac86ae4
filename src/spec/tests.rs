use super::*;

fn summary_of(json: &str) -> Result<Summary> {
    ModelSpec::from_json(json).map(|(_, s)| s)
}

fn err(json: &str) -> String {
    summary_of(json).expect_err("the spec is refused").to_string()
}

#[test]
fn presets_have_the_brief_s_parameter_counts() {
    let counts: Vec<(&str, usize, usize)> = ModelKind::PRESETS
        .iter()
        .map(|&kind| {
            let s = preset(kind).unwrap().summary().unwrap();
            (kind.name(), s.params, s.fixed)
        })
        .collect();
    assert_eq!(counts, vec![("mlp-plain", 101_770, 0), ("mlp", 101_770, 0), ("cnn", 93_322, 0), ("keras-cnn", 1_199_882, 0), ("cnn-large", 330_858, 896)]);
    assert!(preset(ModelKind::Custom).is_none());
    assert!("resnet".parse::<ModelKind>().unwrap_err().to_string().contains("expected mlp-plain, mlp, cnn, keras-cnn, cnn-large or custom"));
}

#[test]
fn keras_cnn_shapes_match_the_keras_example() {
    let s = preset(ModelKind::KerasCnn).unwrap().summary().unwrap();
    let rows: Vec<(&str, Vec<usize>, usize)> = s.layers.iter().map(|r| (r.name.as_str(), r.output.dims(), r.params)).collect();
    assert_eq!(
        rows,
        vec![
            ("conv1", vec![32, 26, 26], 320),
            ("conv2", vec![64, 24, 24], 18_496),
            ("maxpool1", vec![64, 12, 12], 0),
            ("dropout1", vec![64, 12, 12], 0),
            ("flatten", vec![9216], 0),
            ("fc1", vec![128], 1_179_776),
            ("dropout2", vec![128], 0),
            ("fc2", vec![10], 1290),
        ]
    );
}

/// The tensors each preset names are the weights-file format: files of these networks written
/// before specs existed hold exactly these keys and shapes, and must keep loading.
#[test]
fn preset_tensors_are_the_weights_file_format() {
    let keys = |kind: ModelKind| -> String {
        let rows = preset(kind).unwrap().summary().unwrap().layers;
        rows.into_iter().flat_map(|r| r.tensors).map(|(k, s)| format!("{k}{s:?}")).collect::<Vec<_>>().join(" ")
    };
    let fc = |i: usize, out: usize, inp: usize| format!("fc{i}.weight[{out}, {inp}] fc{i}.bias[{out}]");
    let conv = |i: usize, out: usize, inp: usize| format!("conv{i}.weight[{out}, {inp}, 3, 3] conv{i}.bias[{out}]");
    let bn = |i: usize, n: usize| format!("bn{i}.weight[{n}] bn{i}.bias[{n}] bn{i}.running_mean[{n}] bn{i}.running_var[{n}]");
    assert_eq!(keys(ModelKind::Mlp), format!("{} {}", fc(1, 128, 784), fc(2, 10, 128)));
    assert_eq!(keys(ModelKind::MlpPlain), keys(ModelKind::Mlp));
    assert_eq!(keys(ModelKind::Cnn), [conv(1, 32, 1), conv(2, 64, 32), conv(3, 64, 64), fc(1, 64, 576), fc(2, 10, 64)].join(" "));
    let large = [
        conv(1, 32, 1),
        bn(1, 32),
        conv(2, 32, 32),
        bn(2, 32),
        conv(3, 64, 32),
        bn(3, 64),
        conv(4, 64, 64),
        bn(4, 64),
        fc(1, 256, 1024),
        bn(5, 256),
        fc(2, 10, 256),
    ];
    assert_eq!(keys(ModelKind::CnnLarge), large.join(" "));
}

#[test]
fn json_round_trips_and_defaults_apply() {
    let (spec, s) = ModelSpec::from_json(r#"{"layers":[{"type":"conv","filters":8},{"type":"maxpool"},{"type":"dense","units":10}]}"#).unwrap();
    assert_eq!(spec.layers[0], Layer::Conv { filters: 8, kernel: 3, padding: Padding::Valid, activation: Act::None });
    assert_eq!(s.layers.iter().map(|r| r.output).collect::<Vec<_>>(), vec![Shape::Map(8, 26, 26), Shape::Map(8, 13, 13), Shape::Flat(1352), Shape::Flat(10)]);
    let (again, _) = ModelSpec::from_json(&spec.to_json()).unwrap();
    assert_eq!(again, spec);
    for kind in ModelKind::PRESETS {
        let p = preset(kind).unwrap();
        assert_eq!(ModelSpec::from_json(&p.to_json()).unwrap().0, p, "{kind}");
    }
}

#[test]
fn same_padding_keeps_the_side_and_5x5_kernels_count() {
    let s = summary_of(
        r#"{"layers":[{"type":"conv","filters":4,"kernel":5,"padding":"same","activation":"relu"},{"type":"batchnorm"},{"type":"dense","units":10}]}"#,
    )
    .unwrap();
    assert_eq!(s.layers[0].output, Shape::Map(4, 28, 28));
    assert_eq!(s.layers[0].params, 4 * 25 + 4);
    assert_eq!((s.layers[1].params, s.layers[1].fixed), (8, 8));
    assert_eq!(s.layers[3].params, 10 * 4 * 28 * 28 + 10);
}

#[test]
fn each_mistake_is_named_with_its_layer() {
    let cases = [
        (r#"{"layers":[]}"#, "no layers"),
        (r#"{"layers":[{"type":"dense","units":64}]}"#, "layer 1 (dense): the last layer gives one logit per digit, so it has 10 units, not 64"),
        (r#"{"layers":[{"type":"dense","units":10,"activation":"relu"}]}"#, "layer 1 (dense): the last layer gives the logits, so it has no activation"),
        (r#"{"layers":[{"type":"dense","units":10},{"type":"dropout","rate":0.5}]}"#, "layer 2 (dropout): the last layer is a dense layer of 10 units"),
        (
            r#"{"layers":[{"type":"dense","units":32},{"type":"conv","filters":8},{"type":"dense","units":10}]}"#,
            "layer 2 (conv): a convolution needs a feature map, but it follows a dense layer",
        ),
        (r#"{"layers":[{"type":"dense","units":32},{"type":"maxpool"},{"type":"dense","units":10}]}"#, "layer 2 (maxpool): pooling needs a feature map"),
        (r#"{"layers":[{"type":"conv","filters":8,"kernel":4},{"type":"dense","units":10}]}"#, "layer 1 (conv): kernel is 3 or 5, not 4"),
        (r#"{"layers":[{"type":"conv","filters":0},{"type":"dense","units":10}]}"#, "layer 1 (conv): filters is 1 to 1024, not 0"),
        (r#"{"layers":[{"type":"dense","units":5000},{"type":"dense","units":10}]}"#, "layer 1 (dense): units is 1 to 1024, not 5000"),
        (r#"{"layers":[{"type":"dropout","rate":1.0},{"type":"dense","units":10}]}"#, "layer 1 (dropout): rate is in [0, 1), not 1"),
        (r#"{"layers":[{"type":"dense","units":10,"size":3}]}"#, "not a model spec: unknown field `size`"),
        (r#"{"layers":[{"type":"lstm"}]}"#, "not a model spec: unknown variant `lstm`"),
        (r#"{"layers":[{"type":"dense","units":10}],"name":"x"}"#, "not a model spec: unknown field `name`"),
        (r#"{"layers":[{"type":"conv","filters":8,"activation":"tanh"},{"type":"dense","units":10}]}"#, "not a model spec: unknown variant `tanh`"),
    ];
    for (json, want) in cases {
        let got = err(json);
        assert!(got.contains(want), "{json}: {got}");
    }
}

#[test]
fn a_feature_map_too_small_names_the_layer() {
    // 28 → 26 → 13 → 11 → 5 → 3 → 1: a fifth convolution meets a 1×1 map with its 3×3 kernel.
    let convs = r#"{"type":"conv","filters":8},{"type":"maxpool"},{"type":"conv","filters":8},{"type":"maxpool"},{"type":"conv","filters":8},{"type":"conv","filters":8}"#;
    assert_eq!(summary_of(&format!(r#"{{"layers":[{convs},{{"type":"dense","units":10}}]}}"#)).unwrap().layers[5].output, Shape::Map(8, 1, 1));
    let got = err(&format!(r#"{{"layers":[{convs},{{"type":"conv","filters":8}},{{"type":"dense","units":10}}]}}"#));
    assert!(got.contains("layer 7 (conv): the feature map is 1×1, too small for a 3×3 kernel without padding"), "{got}");
    // 28 → 24 → 12 → 8 → 4 → 2 → 1: a fourth pooling meets a 1×1 map.
    let pools = r#"{"type":"conv","filters":8,"kernel":5},{"type":"maxpool"},{"type":"conv","filters":8,"kernel":5},{"type":"maxpool"},{"type":"conv","filters":8},{"type":"maxpool"}"#;
    let pooled = err(&format!(r#"{{"layers":[{pools},{{"type":"maxpool"}},{{"type":"dense","units":10}}]}}"#));
    assert!(pooled.contains("layer 7 (maxpool): the feature map is 1×1, too small to pool 2×2"), "{pooled}");
}

#[test]
fn the_parameter_limit_names_the_largest_layer() {
    let got = err(r#"{"layers":[{"type":"conv","filters":64,"padding":"same"},{"type":"dense","units":512},{"type":"dense","units":10}]}"#);
    assert!(got.contains("the network has 25,696,394 parameters, over the limit of 5,000,000"), "{got}");
    assert!(got.contains("fc1 has 25,690,624"), "{got}");
    let mut layers = vec![r#"{"type":"dropout","rate":0.1}"#; MAX_LAYERS];
    layers.push(r#"{"type":"dense","units":10}"#);
    let got = err(&format!(r#"{{"layers":[{}]}}"#, layers.join(",")));
    assert!(got.contains(&format!("{} layers; at most {MAX_LAYERS}", MAX_LAYERS + 1)), "{got}");
}

#[test]
fn the_summary_prints_as_keras_does() {
    let table = preset(ModelKind::Cnn).unwrap().summary().unwrap().to_string();
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("Layer (type)"), "{table}");
    assert!(lines.iter().any(|l| l.starts_with("conv1 (conv)") && l.contains("(None, 32, 26, 26)") && l.ends_with(" 320")), "{table}");
    assert!(lines.iter().any(|l| l.starts_with("flatten (flatten)") && l.contains("(None, 576)")), "{table}");
    assert!(lines.iter().any(|l| l.starts_with("fc1 (dense)") && l.ends_with("36,928")), "{table}");
    assert_eq!(lines[lines.len() - 3], "Total params: 93,322");
    assert_eq!(lines[lines.len() - 2], "Trainable params: 93,322");
    assert_eq!(lines[lines.len() - 1], "Non-trainable params: 0");
    assert_eq!(group(1_199_882), "1,199,882");
    assert_eq!(group(999), "999");
    assert_eq!(group(0), "0");
}
