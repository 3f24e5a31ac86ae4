//! Data-parallel training (`Trainer::gradients` / `apply_gradients` / `flat_weights`): the pieces the
//! browser's worker pool uses. A step split over shards must be the same step as on the whole batch,
//! mirrored models must compute the same gradients, and bad gradients or weights change nothing.

#![cfg(not(target_arch = "wasm32"))]

use inkling::synthetic::synthetic_digits;
use inkling::{ModelKind, ShardGradients, TrainConfig, Trainer};

/// A trainer without augmentation: a split step equals the whole step only when every image is
/// the same in both (with augmentation each shard redraws its images from its own stream).
fn trainer(model: ModelKind) -> Trainer {
    Trainer::new(TrainConfig { augment: false, ..TrainConfig::for_model(model) }).unwrap()
}

/// The shards' gradients averaged, weighted by size (what `www/pool/parallel.js` does), and the mean loss.
fn combine(parts: &[ShardGradients]) -> (Vec<f32>, f32) {
    let n: usize = parts.iter().map(|p| p.count).sum();
    let mut sum = vec![0f32; parts[0].values.len()];
    for p in parts {
        let w = p.count as f32 / n as f32;
        for (s, v) in sum.iter_mut().zip(&p.values) {
            *s += w * v;
        }
    }
    (sum, parts.iter().map(|p| p.loss * p.count as f32).sum::<f32>() / n as f32)
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn a_step_split_over_shards_is_the_step_on_the_whole_batch() {
    let data = synthetic_digits(64 * 4, 3);
    // The cnn has no dropout or batch-norm, so sharding changes only the order of float sums.
    let (mut whole, mut sharded) = (trainer(ModelKind::Cnn), trainer(ModelKind::Cnn));
    for step in 0..4 {
        let idx: Vec<usize> = (step * 64..(step + 1) * 64).collect();
        let (x, y) = data.gather(&idx);
        // The whole batch's gradient on the same model (no step), and a whole-batch step on a twin.
        let reference = sharded.gradients(&x, &y, 0).unwrap();
        let stats = whole.train_batch(&x, &y).unwrap();
        // Uneven shards, 40 + 24 images, as a pool splits a batch that does not divide evenly.
        let parts = [sharded.gradients(&x[..40 * 784], &y[..40], 0).unwrap(), sharded.gradients(&x[40 * 784..], &y[40..], 1).unwrap()];
        assert_eq!(parts.iter().map(|p| p.count).sum::<usize>(), 64);
        let (grad, loss) = combine(&parts);
        assert!((loss - reference.loss).abs() < 1e-5, "step {step}: loss {loss} vs {}", reference.loss);
        assert_eq!(parts.iter().map(|p| p.correct).sum::<usize>(), reference.correct);
        // The twin's weights drift apart by float rounding (see below), its loss barely.
        let tol = if step == 0 { 1e-5 } else { 1e-3 };
        assert!((loss - stats.loss).abs() < tol, "step {step}: loss {loss} vs the twin's {}", stats.loss);
        let scale = reference.values.iter().fold(0f32, |m, v| m.max(v.abs()));
        let diff = max_diff(&grad, &reference.values) / scale;
        assert!(diff < 1e-5, "step {step}: the shards' gradient differs from the whole batch's by {diff}");
        sharded.apply_gradients(&grad, loss).unwrap();
    }
    assert_eq!(sharded.steps(), 4);
    // Adam moves each weight by about ±lr whatever the gradient's size, so a component whose gradient
    // is ~0 and whose sign the order of the float sums flips ends up to 2·lr per step apart: the
    // weights are compared in bulk, and each within what four such steps can do. (Winograd's
    // transforms round more than a direct sum, so such flips are some tenths of a percent.)
    let (a, b) = (whole.flat_weights().unwrap(), sharded.flat_weights().unwrap());
    let lr = TrainConfig::for_model(ModelKind::Cnn).learning_rate as f32;
    assert!(max_diff(&a, &b) <= 8.0 * lr * 1.01, "weights differ by {}", max_diff(&a, &b));
    let apart = a.iter().zip(&b).filter(|(x, y)| (*x - *y).abs() > 1e-4).count();
    assert!(apart * 200 < a.len(), "{apart} of {} weights differ by more than 1e-4", a.len());
}

#[test]
fn a_mirrored_model_computes_the_same_gradients_and_predictions() {
    let data = synthetic_digits(96, 5);
    for kind in ModelKind::PRESETS {
        let mut main = Trainer::new(TrainConfig { seed: 11, ..TrainConfig::for_model(kind) }).unwrap();
        let (x, y) = data.gather(&(0..32).collect::<Vec<_>>());
        main.train_batch(&x, &y).unwrap(); // move away from the initial weights
                                           // A helper made from a different seed, then mirrored.
        let mut helper = Trainer::new(TrainConfig { seed: 99, ..TrainConfig::for_model(kind) }).unwrap();
        assert_ne!(helper.flat_weights().unwrap(), main.flat_weights().unwrap());
        helper.set_flat_weights(&main.flat_weights().unwrap()).unwrap();
        assert_eq!(helper.flat_weights().unwrap(), main.flat_weights().unwrap(), "{kind}");
        let probe = &data.gather(&(32..96).collect::<Vec<_>>()).0;
        assert_eq!(helper.predict(probe).unwrap(), main.predict(probe).unwrap(), "{kind}");
        // Same shard, same stream: the same gradient, bit for bit (dropout masks included).
        let (sx, sy) = data.gather(&(32..64).collect::<Vec<_>>());
        let a = main.gradients(&sx, &sy, 7).unwrap();
        let b = helper.gradients(&sx, &sy, 7).unwrap();
        assert_eq!(a, b, "{kind}");
        assert_eq!(a.values.len(), main.parameter_count(), "{kind}");
        assert!(a.values.iter().any(|v| *v != 0.0));
    }
}

#[test]
fn dropout_streams_give_different_masks() {
    // The mlp has dropout: two streams on the same shard must differ, and one stream must repeat.
    let data = synthetic_digits(32, 8);
    let (x, y) = data.gather(&(0..32).collect::<Vec<_>>());
    let mut t = trainer(ModelKind::Mlp);
    let a = t.gradients(&x, &y, 0).unwrap();
    let b = t.gradients(&x, &y, 1).unwrap();
    let a2 = t.gradients(&x, &y, 0).unwrap();
    assert_ne!(a.values, b.values);
    assert_eq!(a, a2);
}

#[test]
fn bad_gradients_and_weights_are_refused_and_change_nothing() {
    let data = synthetic_digits(64, 4);
    let (x, y) = data.gather(&(0..64).collect::<Vec<_>>());
    let mut t = trainer(ModelKind::Cnn);
    let g = t.gradients(&x, &y, 0).unwrap();
    let before = t.flat_weights().unwrap();

    let err = t.apply_gradients(&g.values[1..], g.loss).unwrap_err().to_string();
    assert!(err.contains("gradient has 93321 values") && err.contains("93322"), "{err}");
    let err = t.set_flat_weights(&before[..10]).unwrap_err().to_string();
    assert!(err.contains("weights have 10 values"), "{err}");
    let mut nan = before.clone();
    nan[5] = f32::NAN;
    let err = t.set_flat_weights(&nan).unwrap_err().to_string();
    assert!(err.contains("not finite (value 5 is NaN)"), "{err}");
    let err = t.gradients(&x[..100], &y, 0).unwrap_err().to_string();
    assert!(err.contains("784"), "{err}");
    assert_eq!(t.flat_weights().unwrap(), before);
    assert_eq!(t.steps(), 0);

    // A good step, then a non-finite gradient: refused, and the weights from before the good step come back.
    t.apply_gradients(&g.values, g.loss).unwrap();
    assert_ne!(t.flat_weights().unwrap(), before);
    let mut bad = g.values.clone();
    bad[0] = f32::INFINITY;
    let err = t.apply_gradients(&bad, g.loss).unwrap_err().to_string();
    assert!(err.contains("diverged") && err.contains("restored"), "{err}");
    assert_eq!(t.flat_weights().unwrap(), before);
    assert!(t.apply_gradients(&g.values, f32::NAN).unwrap_err().to_string().contains("diverged"));
    assert_eq!(t.steps(), 1);
}

#[test]
fn a_diverged_shard_returns_no_gradient() {
    let data = synthetic_digits(32, 4);
    let (x, y) = data.gather(&(0..32).collect::<Vec<_>>());
    let mut t = Trainer::new(TrainConfig { learning_rate: 1000.0, optimizer: inkling::OptimizerKind::Sgd, ..TrainConfig::for_model(ModelKind::Mlp) }).unwrap();
    // Huge SGD steps blow the weights up until the loss is no longer finite.
    for step in 0..50 {
        let g = t.gradients(&x, &y, step).unwrap();
        if !g.loss.is_finite() {
            assert!(g.values.is_empty());
            assert!(t.apply_gradients(&vec![0.0; t.parameter_count()], g.loss).is_err());
            return;
        }
        if t.apply_gradients(&g.values, g.loss).is_err() {
            return; // refused at a non-finite gradient: also the guarded path
        }
    }
    panic!("the loss never diverged at lr 1000");
}

#[test]
fn native_steps_run_as_parallel_shards_give_the_same_weights_on_any_thread_count() {
    // Each step's batch runs as shards on rayon's threads; augmentation and dropout streams are drawn
    // per shard in shard order, so 1 and 3 threads must agree to the bit (mlp: dropout; cnn: neither;
    // cnn-large: batch norm, trained whole).
    let data = synthetic_digits(64 * 3, 9);
    for kind in [ModelKind::Mlp, ModelKind::Cnn, ModelKind::CnnLarge] {
        let train = || {
            let mut t = Trainer::new(TrainConfig { augment: true, ..TrainConfig::for_model(kind) }).unwrap();
            let losses: Vec<f32> = (0..3)
                .map(|step| {
                    let (x, y) = data.gather(&(step * 64..(step + 1) * 64).collect::<Vec<_>>());
                    t.train_batch(&x, &y).unwrap().loss
                })
                .collect();
            (losses, t.flat_weights().unwrap())
        };
        let on = |threads: usize| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(train);
        let ((loss1, w1), (loss3, w3)) = (on(1), on(3));
        assert_eq!(loss1, loss3, "{kind}: losses differ between 1 and 3 threads");
        assert!(w1 == w3, "{kind}: weights differ between 1 and 3 threads");
        assert!(loss1[2] < loss1[0], "{kind}: the loss falls ({loss1:?})");
    }
}
