//! `inkling train` and `inkling eval`: a run of the core's plan on an IDX directory, and a weights file scored on its test set.

use candle_core::Result;
use indicatif::{ProgressBar, ProgressStyle};
use inkling::checkpoint::network_of;
use inkling::dataset::load_dir;
use inkling::run::{validation_size, RunPlan};
use inkling::{TrainConfig, Trainer};
use serde_json::json;
use std::path::{Path, PathBuf};

pub fn train(config: TrainConfig, dir: &std::path::Path, limit: Option<usize>, out: Option<PathBuf>, json: bool) -> Result<()> {
    let sets = load_dir(dir)?;
    let train = match limit {
        Some(n) => sets.train.take(n),
        None => sets.train,
    };
    let held_out = validation_size(config.validation_size, train.len());
    let (train, validation) = train.split_validation(held_out)?;
    let plan = RunPlan::new(&config.run()?, train.len())?;
    let mut trainer = Trainer::new(config.clone())?;
    if !json {
        println!("{}\n", trainer.spec().summary()?);
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
        // With --validation 0 (every training image trained on) there is nothing to validate on.
        let val = if validation.is_empty() { None } else { Some(trainer.evaluate_dataset(&validation)?) };
        let samples_per_s = stats.samples as f64 / stats.seconds;
        if json {
            println!(
                "{}",
                json!({"epoch": epoch + 1, "train_loss": stats.loss, "train_accuracy": stats.accuracy, "validation_accuracy": val.as_ref().map(|v| v.accuracy), "validation_loss": val.as_ref().map(|v| v.loss), "samples_per_s": samples_per_s, "seconds": stats.seconds, "learning_rate": plan.learning_rate(epoch)})
            );
        } else {
            let val = val.map(|v| format!("  validation acc {:.2} %", 100.0 * v.accuracy)).unwrap_or_default();
            println!(
                "epoch {}/{}: train loss {:.4} acc {:.2} %{val}  {:.0} samples/s ({:.1} s)",
                epoch + 1,
                config.epochs,
                stats.loss,
                100.0 * stats.accuracy,
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

/// A trainer holding the weights in `path`, of whichever network the file describes.
pub fn load_trainer(path: &Path) -> Result<Trainer> {
    let bytes = read(path)?;
    let in_file = |e: candle_core::Error| candle_core::Error::Msg(format!("{}: {e}", path.display()));
    if network_of(&bytes).map_err(in_file)?.is_none() {
        candle_core::bail!("{}: no network in the metadata (not an Inkling weights file?)", path.display())
    }
    Trainer::from_weights(TrainConfig::default(), &bytes).map_err(in_file)
}

pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| candle_core::Error::Msg(format!("{}: {e}", path.display())))
}

pub fn eval(weights: &Path, dir: &Path, json: bool) -> Result<()> {
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
