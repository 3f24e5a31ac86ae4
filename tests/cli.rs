//! The `inkling` command line end to end, on small synthetic IDX files: train writes weights whose
//! `eval` reproduces the run's test accuracy, `finetune` takes an images file and finds its labels by
//! MNIST's naming, and bad input exits non-zero with a message.

use inkling::idx::{encode_images, encode_labels};
use inkling::synthetic::synthetic_digits;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inkling-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// MNIST's four files (uncompressed) in `dir`: 600 training and 200 test digits.
fn write_set(dir: &Path) {
    let train = synthetic_digits(600, 1);
    let test = synthetic_digits(200, 2);
    std::fs::write(dir.join("train-images-idx3-ubyte"), encode_images(train.images())).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte"), encode_labels(train.labels())).unwrap();
    std::fs::write(dir.join("t10k-images-idx3-ubyte"), encode_images(test.images())).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), encode_labels(test.labels())).unwrap();
}

fn inkling(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_inkling")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn last_json(stdout: &str) -> Value {
    serde_json::from_str(stdout.lines().rev().find(|l| l.starts_with('{')).expect("a JSON line")).unwrap()
}

#[test]
fn train_eval_finetune_round_trip() {
    let dir = scratch("round-trip");
    write_set(&dir);
    let weights = dir.join("w.safetensors");
    let (d, w) = (dir.to_str().unwrap(), weights.to_str().unwrap());
    let (ok, stdout, stderr) = inkling(&["train", "--data", d, "--model", "mlp", "--epochs", "2", "--validation", "100", "--out", w, "--json"]);
    assert!(ok, "train failed: {stderr}");
    let trained = last_json(&stdout);
    let acc = trained["test_accuracy"].as_f64().unwrap();
    assert!(acc > 0.5, "2 epochs of the mlp should learn the synthetic digits, got {acc}");
    assert!(weights.exists());

    let (ok, stdout, stderr) = inkling(&["eval", "--weights", w, "--data", d, "--json"]);
    assert!(ok, "eval failed: {stderr}");
    let evaluated = last_json(&stdout);
    assert!((evaluated["accuracy"].as_f64().unwrap() - acc).abs() < 1e-9, "eval of the written weights gives the run's test accuracy");
    assert_eq!(evaluated["confusion"].as_array().unwrap().len(), 10);

    let tuned = dir.join("tuned.safetensors");
    let images = dir.join("t10k-images-idx3-ubyte");
    let (ok, _, stderr) =
        inkling(&["finetune", "--weights", w, "--digits", images.to_str().unwrap(), "--data", d, "--steps", "10", "--out", tuned.to_str().unwrap()]);
    assert!(ok, "finetune failed: {stderr}");
    assert!(tuned.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A network of one's own from a spec file, trained on every training image (no validation split),
/// and its weights file evaluated as that network.
#[test]
fn a_spec_file_trains_without_a_validation_split_and_its_weights_evaluate() {
    let dir = scratch("spec");
    write_set(&dir);
    let (spec, weights) = (dir.join("net.json"), dir.join("net.safetensors"));
    std::fs::write(
        &spec,
        r#"{"layers":[{"type":"conv","filters":4,"kernel":5,"padding":"same","activation":"relu"},{"type":"maxpool"},{"type":"dense","units":10}]}"#,
    )
    .unwrap();
    let (d, s, w) = (dir.to_str().unwrap(), spec.to_str().unwrap(), weights.to_str().unwrap());
    let (ok, stdout, stderr) = inkling(&["train", "--data", d, "--spec", s, "--epochs", "1", "--validation", "0", "--out", w, "--json"]);
    assert!(ok, "train failed: {stderr}");
    let epoch: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert!(epoch["validation_accuracy"].is_null(), "{epoch}");
    let trained = last_json(&stdout);
    assert_eq!(trained["model"], "custom");
    let (ok, stdout, stderr) = inkling(&["eval", "--weights", w, "--data", d, "--json"]);
    assert!(ok, "eval failed: {stderr}");
    assert!((last_json(&stdout)["accuracy"].as_f64().unwrap() - trained["test_accuracy"].as_f64().unwrap()).abs() < 1e-9);
    let (ok, _, stderr) = inkling(&["train", "--data", d, "--spec", d, "--epochs", "1"]);
    assert!(!ok && stderr.contains("cannot read"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_exits_with_a_message() {
    let dir = scratch("bad");
    let d = dir.to_str().unwrap();
    let (ok, _, stderr) = inkling(&["eval", "--weights", dir.join("none.safetensors").to_str().unwrap(), "--data", d]);
    assert!(!ok);
    assert!(stderr.starts_with("error: "), "{stderr}");
    std::fs::write(dir.join("w.safetensors"), b"not a weights file").unwrap();
    write_set(&dir);
    let (ok, _, stderr) = inkling(&["eval", "--weights", dir.join("w.safetensors").to_str().unwrap(), "--data", d]);
    assert!(!ok);
    assert!(stderr.starts_with("error: "), "{stderr}");
    let (ok, _, stderr) = inkling(&["train", "--data", dir.join("missing").to_str().unwrap(), "--model", "mlp"]);
    assert!(!ok);
    assert!(stderr.contains("missing"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
