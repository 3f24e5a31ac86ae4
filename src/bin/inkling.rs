//! `inkling`: train, evaluate and benchmark the digit models natively, on all cores.
//!
//! ```text
//! inkling train --data DIR [--model cnn] [--epochs 3] [--batch-size 64] [--lr 0.003] [--lr-decay 0.25] [--optimizer adam]
//!               [--seed 1] [--limit N] [--no-augment] [--out model.safetensors] [--json]
//! inkling eval  --weights FILE --data DIR [--json]
//! inkling bench [--model cnn] [--batch-size 64] [--seconds 10] [--json]
//! inkling finetune --weights FILE --digits DIR_OR_IDX [--data DIR] [--steps 300] [--lr 0.0006]
//!               [--out tuned.safetensors] [--json]
//! inkling quality --weights FILE --data DIR [--count 1000] [--split test|validation] [--json]
//! ```

use candle_core::Result;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use inkling::checkpoint::model_of;
use inkling::dataset::load_dir;
use inkling::drawn::CanvasLook;
use inkling::finetune::{FineTune, FineTuneConfig};
use inkling::quality::{drawn_set, per_class, style_benchmark, Rendering};
use inkling::run::{validation_size, RunPlan};
use inkling::synthetic::synthetic_digits;
use inkling::Dataset;
use inkling::{ModelKind, OptimizerKind, TrainConfig, Trainer};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser)]
#[command(name = "inkling", version, about = "Train handwritten-digit networks with Candle")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model on an MNIST-format directory and report test accuracy.
    Train {
        /// Directory with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-….
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "cnn")]
        model: ModelKind,
        #[arg(long, default_value_t = TrainConfig::default().epochs)]
        epochs: usize,
        #[arg(long, default_value_t = TrainConfig::default().batch_size)]
        batch_size: usize,
        #[arg(long, default_value_t = TrainConfig::default().learning_rate)]
        lr: f64,
        /// Learning-rate factor per epoch (1 = constant).
        #[arg(long, default_value_t = TrainConfig::default().lr_decay)]
        lr_decay: f64,
        #[arg(long, default_value = "adam")]
        optimizer: OptimizerKind,
        #[arg(long, default_value_t = TrainConfig::default().seed)]
        seed: u64,
        /// Train on the first N training images only.
        #[arg(long)]
        limit: Option<usize>,
        /// Images held out from the training set for validation.
        #[arg(long, default_value_t = TrainConfig::default().validation_size)]
        validation: usize,
        /// Train on the images as they are, without the canvas-like augmentation (the page's
        /// "Augment" box unticked).
        #[arg(long)]
        no_augment: bool,
        /// Where to write the weights (safetensors).
        #[arg(long)]
        out: Option<PathBuf>,
        /// One JSON object per epoch and a final one, instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate a weights file on the test set: accuracy, per-class scores, confusion matrix.
    Eval {
        #[arg(long)]
        weights: PathBuf,
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Fine-tune a weights file on your own digits (IDX files), replaying MNIST when --data is given.
    Finetune {
        #[arg(long)]
        weights: PathBuf,
        /// A directory holding one `*images*` and one `*labels*` IDX file (raw or .gz), or the images
        /// file itself (its labels file named alike with "labels" for "images").
        #[arg(long)]
        digits: PathBuf,
        /// MNIST directory whose training digits are replayed so nothing is forgotten.
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long, default_value_t = FineTuneConfig::default().steps)]
        steps: usize,
        #[arg(long, default_value_t = FineTuneConfig::default().learning_rate)]
        lr: f64,
        /// Train only the dense head.
        #[arg(long)]
        head_only: bool,
        #[arg(long, default_value_t = FineTuneConfig::default().seed)]
        seed: u64,
        /// Where to write the fine-tuned weights (default: next to --weights, "-tuned" added).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// How well a model reads canvas drawings, and what fine-tuning on a handwriting style does.
    Quality {
        #[arg(long)]
        weights: PathBuf,
        #[arg(long)]
        data: PathBuf,
        /// Digits per drawn set.
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// The MNIST split the drawn sets are made from: `test` for reporting, `validation` for
        /// tuning a recipe without ever looking at the test digits.
        #[arg(long, default_value = "test")]
        split: String,
        #[arg(long)]
        json: bool,
    },
    /// Training and inference speed on generated data.
    Bench {
        #[arg(long, default_value = "cnn")]
        model: ModelKind,
        #[arg(long, default_value_t = TrainConfig::default().batch_size)]
        batch_size: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        #[arg(long)]
        json: bool,
    },
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train { data, model, epochs, batch_size, lr, lr_decay, optimizer, seed, limit, validation, no_augment, out, json } => {
            let config = TrainConfig {
                model,
                epochs,
                batch_size,
                learning_rate: lr,
                lr_decay,
                optimizer,
                seed,
                validation_size: validation,
                augment: !no_augment,
                ..TrainConfig::default()
            };
            train(config, &data, limit, out, json)
        }
        Command::Eval { weights, data, json } => eval(&weights, &data, json),
        Command::Bench { model, batch_size, seconds, json } => bench(model, batch_size, seconds, json),
        Command::Finetune { weights, digits, data, steps, lr, head_only, seed, out, json } => {
            let config = FineTuneConfig { steps, learning_rate: lr, head_only, seed, ..FineTuneConfig::default() };
            finetune(&weights, &digits, data.as_deref(), config, out, json)
        }
        Command::Quality { weights, data, count, split, json } => quality(&weights, &data, count, &split, json),
    }
}

fn train(config: TrainConfig, dir: &std::path::Path, limit: Option<usize>, out: Option<PathBuf>, json: bool) -> Result<()> {
    let sets = load_dir(dir)?;
    let train = match limit {
        Some(n) => sets.train.take(n),
        None => sets.train,
    };
    let held_out = validation_size(config.validation_size, train.len());
    let (train, validation) = train.split_validation(held_out)?;
    let plan = RunPlan::new(&config, train.len())?;
    let mut trainer = Trainer::new(config.clone())?;
    if !json {
        println!(
            "training {} ({} parameters) on {} images, validating on {}, testing on {}; {} threads",
            config.model,
            trainer.parameter_count(),
            train.len(),
            validation.len(),
            sets.test.len(),
            candle_core::utils::get_num_threads()
        );
    }
    for epoch in 0..config.epochs {
        let bar = ProgressBar::new(train.len().div_ceil(config.batch_size) as u64);
        bar.set_style(
            ProgressStyle::with_template("epoch {msg} [{bar:30}] {pos}/{len} batches  {per_sec}  eta {eta}").expect("template").progress_chars("=> "),
        );
        bar.set_message(format!("{}/{}", epoch + 1, config.epochs));
        let stats = trainer.train_epoch(&train, epoch, |_, _, s| {
            bar.inc(1);
            if bar.position().is_multiple_of(20) {
                bar.set_message(format!("{}/{} loss {:.4}", epoch + 1, config.epochs, s.loss));
            }
        })?;
        bar.finish_and_clear();
        let val = trainer.evaluate_dataset(&validation)?;
        let samples_per_s = stats.samples as f64 / stats.seconds;
        if json {
            println!(
                "{}",
                json!({"epoch": epoch + 1, "train_loss": stats.loss, "train_accuracy": stats.accuracy, "validation_accuracy": val.accuracy, "validation_loss": val.loss, "samples_per_s": samples_per_s, "seconds": stats.seconds, "learning_rate": plan.learning_rate(epoch)})
            );
        } else {
            println!(
                "epoch {}/{}: train loss {:.4} acc {:.2} %  validation acc {:.2} %  {:.0} samples/s ({:.1} s)",
                epoch + 1,
                config.epochs,
                stats.loss,
                100.0 * stats.accuracy,
                100.0 * val.accuracy,
                samples_per_s,
                stats.seconds
            );
        }
    }
    let test = trainer.evaluate_dataset(&sets.test)?;
    if let Some(path) = &out {
        std::fs::write(path, trainer.export_weights()?).map_err(|e| candle_core::Error::Msg(format!("{}: {e}", path.display())))?;
    }
    if json {
        println!(
            "{}",
            json!({"model": config.model.name(), "test_accuracy": test.accuracy, "test_loss": test.loss, "macro_f1": test.macro_f1, "epochs": config.epochs, "weights": out.map(|p| p.display().to_string())})
        );
    } else {
        println!("test accuracy {:.2} % (loss {:.4}, macro-F1 {:.4})", 100.0 * test.accuracy, test.loss, test.macro_f1);
        if let Some(p) = out {
            println!("weights written to {}", p.display());
        }
    }
    Ok(())
}

/// A trainer holding the weights in `path`, of whichever model the file names.
fn load_trainer(path: &Path) -> Result<Trainer> {
    let bytes = read(path)?;
    let kind: ModelKind = match model_of(&bytes)? {
        Some(name) => name.parse()?,
        None => candle_core::bail!("{}: no model kind in the metadata (not an Inkling weights file?)", path.display()),
    };
    let mut trainer = Trainer::new(TrainConfig::for_model(kind))?;
    trainer.import_weights(&bytes)?;
    Ok(trainer)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| candle_core::Error::Msg(format!("{}: {e}", path.display())))
}

fn eval(weights: &Path, dir: &Path, json: bool) -> Result<()> {
    let trainer = load_trainer(weights)?;
    let kind = trainer.config().model;
    let test = trainer.evaluate_dataset(&load_dir(dir)?.test)?;
    if json {
        let per_class: Vec<_> = (0..10).map(|c| json!({"precision": test.precision[c], "recall": test.recall[c], "f1": test.f1[c]})).collect();
        println!(
            "{}",
            json!({"model": kind.name(), "accuracy": test.accuracy, "loss": test.loss, "macro_f1": test.macro_f1, "per_class": per_class, "confusion": test.confusion})
        );
    } else {
        println!("model {kind}, {}", weights.display());
        print!("{}", test.report());
    }
    Ok(())
}

fn bench(model: ModelKind, batch_size: usize, seconds: f64, json: bool) -> Result<()> {
    let data = synthetic_digits(batch_size.max(256) * 4, 7);
    let mut trainer = Trainer::new(TrainConfig { model, batch_size, ..TrainConfig::default() })?;
    let batch: Vec<usize> = (0..batch_size).collect();
    let (images, labels) = data.gather(&batch);
    trainer.train_batch(&images, &labels)?; // warm-up
    let (mut steps, start) = (0usize, Instant::now());
    while start.elapsed().as_secs_f64() < seconds / 2.0 {
        trainer.train_batch(&images, &labels)?;
        steps += 1;
    }
    let train_per_s = (steps * batch_size) as f64 / start.elapsed().as_secs_f64();
    let infer = &data.images()[..256 * 784];
    let (mut passes, start) = (0usize, Instant::now());
    while start.elapsed().as_secs_f64() < seconds / 2.0 {
        trainer.predict(infer)?;
        passes += 1;
    }
    let infer_per_s = (passes * 256) as f64 / start.elapsed().as_secs_f64();
    let threads = candle_core::utils::get_num_threads();
    if json {
        println!(
            "{}",
            json!({"model": model.name(), "batch_size": batch_size, "train_samples_per_s": train_per_s, "inference_samples_per_s_b256": infer_per_s, "threads": threads, "target": "native"})
        );
    } else {
        println!(
            "{model} native, {threads} threads: training {train_per_s:.0} samples/s (batch {batch_size}), inference {infer_per_s:.0} samples/s (batch 256)"
        );
    }
    Ok(())
}

/// The images and labels IDX files of `--digits`: a directory with one of each, or the images file.
fn own_digits(path: &Path) -> Result<Dataset> {
    let (images, labels) = if path.is_dir() {
        let mut found = (None, None);
        let entries = std::fs::read_dir(path).map_err(|e| candle_core::Error::Msg(format!("{}: {e}", path.display())))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_lowercase();
            let slot = if name.contains("images") {
                &mut found.0
            } else if name.contains("labels") {
                &mut found.1
            } else {
                continue;
            };
            if slot.replace(entry.path()).is_some() {
                candle_core::bail!("{}: more than one {} file", path.display(), if name.contains("images") { "images" } else { "labels" })
            }
        }
        match found {
            (Some(i), Some(l)) => (i, l),
            _ => candle_core::bail!("{}: needs one *images* and one *labels* IDX file", path.display()),
        }
    } else {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !name.contains("images") {
            candle_core::bail!("{}: expected an images IDX file (its name containing \"images\") or a directory", path.display())
        }
        (path.to_path_buf(), path.with_file_name(name.replace("images", "labels")))
    };
    Dataset::from_idx(&read(&images)?, &read(&labels)?).map_err(|e| e.context(format!("{}", path.display())))
}

fn finetune(weights: &Path, digits: &Path, data: Option<&Path>, config: FineTuneConfig, out: Option<PathBuf>, json: bool) -> Result<()> {
    let mut trainer = load_trainer(weights)?;
    let own = own_digits(digits)?;
    let replay = match data {
        Some(dir) => {
            let train = load_dir(dir)?.train;
            let n = train.len();
            Some(train.split_validation(validation_size(TrainConfig::default().validation_size, n))?.0)
        }
        None => None,
    };
    let before = trainer.evaluate_dataset(&own)?;
    let start = Instant::now();
    FineTune::new(own.clone(), config.clone())?.run(&mut trainer, replay.as_ref(), |_, _, _| {})?;
    let seconds = start.elapsed().as_secs_f64();
    let after = trainer.evaluate_dataset(&own)?;
    let out = out.unwrap_or_else(|| {
        let stem = weights.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
        weights.with_file_name(format!("{stem}-tuned.safetensors"))
    });
    std::fs::write(&out, trainer.export_weights()?).map_err(|e| candle_core::Error::Msg(format!("{}: {e}", out.display())))?;
    if json {
        println!(
            "{}",
            json!({"digits": own.len(), "steps": config.steps, "accuracy_before": before.accuracy, "accuracy_after": after.accuracy, "seconds": seconds, "replay": replay.is_some(), "weights": out.display().to_string()})
        );
    } else {
        println!(
            "fine-tuned on {} digits ({} steps, {:.1} s{}): their accuracy {:.1} % -> {:.1} %; weights written to {}",
            own.len(),
            config.steps,
            seconds,
            if replay.is_some() { ", MNIST replayed" } else { "" },
            100.0 * before.accuracy,
            100.0 * after.accuracy,
            out.display()
        );
    }
    Ok(())
}

fn quality(weights: &Path, dir: &Path, count: usize, split: &str, json: bool) -> Result<()> {
    let sets = load_dir(dir)?;
    let n = sets.train.len();
    let (train, validation) = sets.train.split_validation(validation_size(TrainConfig::default().validation_size, n))?;
    let source = match split {
        "test" => &sets.test,
        "validation" => &validation,
        _ => candle_core::bail!("--split must be test or validation, got {split}"),
    };
    let count = count.min(source.len() / 2);
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
