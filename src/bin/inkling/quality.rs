//! `inkling quality`: a model on the drawn-digit sets and the style fine-tune benchmark.

use crate::train::load_trainer;
use candle_core::Result;
use inkling::dataset::load_dir;
use inkling::drawn::CanvasLook;
use inkling::finetune::FineTuneConfig;
use inkling::quality::{drawn_set, per_class, style_benchmark, Rendering};
use inkling::run::validation_size;
use inkling::TrainConfig;
use serde_json::json;
use std::path::Path;
use std::time::Instant;

pub fn quality(weights: &Path, dir: &Path, count: usize, split: &str, json: bool) -> Result<()> {
    let sets = load_dir(dir)?;
    let n = sets.train.len();
    let (train, validation) = sets.train.split_validation(validation_size(TrainConfig::default().validation_size, n))?;
    let source = match split {
        "test" => &sets.test,
        "validation" => &validation,
        _ => candle_core::bail!("--split must be test or validation, got {split}"),
    };
    let count = count.min(source.len());
    let first: Vec<usize> = (0..count).collect();
    let mut trainer = load_trainer(weights)?;
    let mnist = trainer.evaluate_dataset(&sets.test)?.accuracy;
    let canvas = trainer.evaluate_dataset(&drawn_set(source, &first, Rendering::Canvas(CanvasLook::DRAWN), 1)?)?.accuracy;
    let strokes = trainer.evaluate_dataset(&drawn_set(source, &first, Rendering::Strokes, 2)?)?.accuracy;
    // The style benchmark stands for one person: their digits and the held-out ones come from the
    // same writers, the validation split (which training holds out): the first digits of each class
    // to fine-tune on, its last 1,500 to score. MNIST accuracy is the test split's.
    let style = Rendering::Canvas(CanvasLook::SLANTED_HEAVY);
    let held_out = drawn_set(&validation, &(validation.len().saturating_sub(1_500)..validation.len()).collect::<Vec<_>>(), style, 5)?;
    let bytes = trainer.export_weights()?;
    let mut styles = Vec::new();
    for k in [10, 20] {
        let own = drawn_set(&validation, &per_class(&validation, k, 0), style, 4)?;
        trainer.import_weights(&bytes)?;
        let start = Instant::now();
        let r = style_benchmark(&mut trainer, &own, &held_out, &train, &sets.test, FineTuneConfig::default())?;
        styles.push((r, start.elapsed().as_secs_f64()));
    }
    if json {
        let style_rows: Vec<_> = styles.iter().map(|(r, s)| json!({"result": r, "seconds": s})).collect();
        println!("{}", json!({"split": split, "count": count, "mnist_test": mnist, "canvas": canvas, "strokes": strokes, "style": style_rows}));
    } else {
        println!("{} on drawn digits made from {count} MNIST {split} digits:", weights.display());
        println!("  MNIST test              {:6.2} %", 100.0 * mnist);
        println!("  canvas-style drawings   {:6.2} %", 100.0 * canvas);
        println!("  brush-stroke drawings   {:6.2} %", 100.0 * strokes);
        for (r, s) in &styles {
            println!(
                "  fine-tune, {:2} per class of a slanted heavy style: held-out error {:.1} % -> {:.1} %, MNIST test {:.2} % -> {:.2} % ({} steps, {:.1} s natively)",
                r.per_class,
                100.0 * r.error_before,
                100.0 * r.error_after,
                100.0 * r.mnist_before,
                100.0 * r.mnist_after,
                r.steps,
                s
            );
        }
    }
    Ok(())
}
