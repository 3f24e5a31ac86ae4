//! `inkling finetune`: the core's fine-tune recipe on a person's digits (a directory or IDX files).

use crate::train::load_trainer;
use crate::train::read;
use candle_core::Result;
use inkling::dataset::load_dir;
use inkling::finetune::{FineTune, FineTuneConfig};
use inkling::run::validation_size;
use inkling::{Dataset, TrainConfig};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The images and labels IDX files of `--digits`: a directory with one of each, or the images file.
pub fn own_digits(path: &Path) -> Result<Dataset> {
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
        // MNIST's naming: train-images-idx3-ubyte goes with train-labels-idx1-ubyte.
        (path.to_path_buf(), path.with_file_name(name.replace("images", "labels").replace("idx3", "idx1")))
    };
    Dataset::from_idx(&read(&images)?, &read(&labels)?).map_err(|e| e.context(format!("{}", path.display())))
}

pub fn finetune(weights: &Path, digits: &Path, data: Option<&Path>, config: FineTuneConfig, out: Option<PathBuf>, json: bool) -> Result<()> {
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
