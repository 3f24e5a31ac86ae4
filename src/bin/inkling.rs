//! `inkling`: train, evaluate and benchmark the digit models natively, on all cores.
//!
//! ```text
//! inkling train --data DIR [--model cnn] [--epochs 3] [--batch-size 64] [--lr 0.001] [--optimizer adam]
//!               [--seed 1] [--limit N] [--out model.safetensors] [--json]
//! inkling eval  --weights FILE --data DIR [--json]
//! inkling bench [--model cnn] [--batch-size 64] [--seconds 10] [--json]
//! ```

use candle_core::Result;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use inkling::checkpoint::model_of;
use inkling::dataset::load_dir;
use inkling::synthetic::synthetic_digits;
use inkling::{ModelKind, OptimizerKind, TrainConfig, Trainer};
use serde_json::json;
use std::path::PathBuf;
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
        Command::Train { data, model, epochs, batch_size, lr, lr_decay, optimizer, seed, limit, validation, out, json } => {
            let config = TrainConfig { model, epochs, batch_size, learning_rate: lr, lr_decay, optimizer, seed, validation_size: validation, ..TrainConfig::default() };
            train(config, &data, limit, out, json)
        }
        Command::Eval { weights, data, json } => eval(&weights, &data, json),
        Command::Bench { model, batch_size, seconds, json } => bench(model, batch_size, seconds, json),
    }
}

fn train(config: TrainConfig, dir: &std::path::Path, limit: Option<usize>, out: Option<PathBuf>, json: bool) -> Result<()> {
    let sets = load_dir(dir)?;
    let train = match limit {
        Some(n) => sets.train.take(n),
        None => sets.train,
    };
    // At most a tenth of a small (--limit) training set goes to validation.
    let validation_size = config.validation_size.min(train.len() / 10);
    let (train, validation) = train.split_validation(validation_size)?;
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
        bar.set_style(ProgressStyle::with_template("epoch {msg} [{bar:30}] {pos}/{len} batches  {per_sec}  eta {eta}").expect("template").progress_chars("=> "));
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
            println!("{}", json!({"epoch": epoch + 1, "train_loss": stats.loss, "train_accuracy": stats.accuracy, "validation_accuracy": val.accuracy, "validation_loss": val.loss, "samples_per_s": samples_per_s, "seconds": stats.seconds, "learning_rate": config.learning_rate_for_epoch(epoch)}));
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
        println!("{}", json!({"model": config.model.name(), "test_accuracy": test.accuracy, "test_loss": test.loss, "macro_f1": test.macro_f1, "epochs": config.epochs, "weights": out.map(|p| p.display().to_string())}));
    } else {
        println!("test accuracy {:.2} % (loss {:.4}, macro-F1 {:.4})", 100.0 * test.accuracy, test.loss, test.macro_f1);
        if let Some(p) = out {
            println!("weights written to {}", p.display());
        }
    }
    Ok(())
}

fn eval(weights: &std::path::Path, dir: &std::path::Path, json: bool) -> Result<()> {
    let bytes = std::fs::read(weights).map_err(|e| candle_core::Error::Msg(format!("{}: {e}", weights.display())))?;
    let kind: ModelKind = match model_of(&bytes)? {
        Some(name) => name.parse()?,
        None => candle_core::bail!("{}: no model kind in the metadata (not an Inkling weights file?)", weights.display()),
    };
    let mut trainer = Trainer::new(TrainConfig::for_model(kind))?;
    trainer.import_weights(&bytes)?;
    let test = trainer.evaluate_dataset(&load_dir(dir)?.test)?;
    if json {
        let per_class: Vec<_> = (0..10).map(|c| json!({"precision": test.precision[c], "recall": test.recall[c], "f1": test.f1[c]})).collect();
        println!("{}", json!({"model": kind.name(), "accuracy": test.accuracy, "loss": test.loss, "macro_f1": test.macro_f1, "per_class": per_class, "confusion": test.confusion}));
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
        println!("{}", json!({"model": model.name(), "batch_size": batch_size, "train_samples_per_s": train_per_s, "inference_samples_per_s_b256": infer_per_s, "threads": threads, "target": "native"}));
    } else {
        println!("{model} native, {threads} threads: training {train_per_s:.0} samples/s (batch {batch_size}), inference {infer_per_s:.0} samples/s (batch 256)");
    }
    Ok(())
}
