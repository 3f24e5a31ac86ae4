//! `inkling`: train, evaluate and benchmark the digit models natively, on all cores.
//!
//! ```text
//! inkling train --data DIR [--model cnn] [--epochs 3] [--batch-size 64] [--lr 0.003] [--lr-decay 0.25] [--optimizer adam|adamw|sgd|adadelta]
//!               [--seed 1] [--limit N] [--no-augment] [--out model.safetensors] [--json]
//! inkling eval  --weights FILE --data DIR [--json]
//! inkling bench [--model cnn] [--batch-size 64] [--seconds 10] [--no-augment] [--json]
//! inkling finetune --weights FILE --digits DIR_OR_IDX [--data DIR] [--steps 300] [--lr 0.0006]
//!               [--out tuned.safetensors] [--json]
//! inkling quality --weights FILE --data DIR [--count 10000] [--split test|validation] [--json]
//! inkling summary --model NAME | --spec FILE [--json]
//! ```

mod allocator;
mod bench;
mod finetune;
mod quality;
mod summary;
mod train;

use bench::bench;
use candle_core::Result;
use clap::{Parser, Subcommand};
use finetune::finetune;
use inkling::finetune::FineTuneConfig;
use inkling::{ModelKind, OptimizerKind, TrainConfig};
use quality::quality;
use std::path::PathBuf;
use summary::summary;
use train::eval;
use train::train;

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
        /// A preset: mlp-plain, mlp, cnn, keras-cnn, cnn-large.
        #[arg(long, default_value = "cnn", conflicts_with = "spec")]
        model: ModelKind,
        /// A network of one's own: a spec file (see `inkling summary --spec`).
        #[arg(long)]
        spec: Option<PathBuf>,
        #[arg(long, default_value_t = TrainConfig::default().epochs)]
        epochs: usize,
        #[arg(long, default_value_t = TrainConfig::default().batch_size)]
        batch_size: usize,
        /// Learning rate (default: the optimizer's own, 0.003, or 1.0 for Adadelta).
        #[arg(long)]
        lr: Option<f64>,
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
        /// Digits per drawn set: the first of the split (all of it by default, for a figure
        /// precise to about a tenth of a point).
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// The MNIST split the drawn sets are made from: `test` for reporting, `validation` for
        /// tuning a recipe without ever looking at the test digits.
        #[arg(long, default_value = "test")]
        split: String,
        #[arg(long)]
        json: bool,
    },
    /// A network's layers, output shapes and parameters (a preset, or a spec file in JSON).
    Summary {
        /// A preset: mlp-plain, mlp, cnn, keras-cnn, cnn-large.
        #[arg(long)]
        model: Option<String>,
        /// A spec file: {"layers": [{"type": "conv", "filters": 32, "activation": "relu"}, ...]}.
        #[arg(long)]
        spec: Option<PathBuf>,
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
        /// Time the steps without the canvas-like augmentation (as peers that do not augment train).
        #[arg(long)]
        no_augment: bool,
        #[arg(long)]
        json: bool,
    },
}

fn main() {
    allocator::keep_freed_memory();
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train { data, model, spec, epochs, batch_size, lr, lr_decay, optimizer, seed, limit, validation, no_augment, out, json } => {
            let (model, spec) = match spec {
                Some(path) => (ModelKind::Custom, Some(summary::read_spec(&path)?)),
                None => (model, None),
            };
            let config = TrainConfig {
                model,
                spec,
                epochs,
                batch_size,
                learning_rate: lr.unwrap_or(optimizer.default_learning_rate()),
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
        Command::Bench { model, batch_size, seconds, no_augment, json } => bench(model, batch_size, seconds, !no_augment, json),
        Command::Finetune { weights, digits, data, steps, lr, head_only, seed, out, json } => {
            let config = FineTuneConfig { steps, learning_rate: lr, head_only, seed, ..FineTuneConfig::default() };
            finetune(&weights, &digits, data.as_deref(), config, out, json)
        }
        Command::Quality { weights, data, count, split, json } => quality(&weights, &data, count, &split, json),
        Command::Summary { model, spec, json } => summary(model.as_deref(), spec.as_deref(), json),
    }
}
