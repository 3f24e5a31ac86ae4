//! `inkling bench`: training and inference speed of one model and batch size.

use candle_core::Result;
use inkling::synthetic::synthetic_digits;
use inkling::{ModelKind, TrainConfig, Trainer};
use serde_json::json;
use std::time::Instant;

pub fn bench(model: ModelKind, batch_size: usize, seconds: f64, augment: bool, json: bool) -> Result<()> {
    let data = synthetic_digits(batch_size.max(256) * 4, 7);
    let mut trainer = Trainer::new(TrainConfig { model, batch_size, augment, ..TrainConfig::default() })?;
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
            json!({"model": model.name(), "batch_size": batch_size, "augment": augment, "train_samples_per_s": train_per_s, "inference_samples_per_s_b256": infer_per_s, "threads": threads, "target": "native"})
        );
    } else {
        println!(
            "{model} native, {threads} threads: training {train_per_s:.0} samples/s (batch {batch_size}{}), inference {infer_per_s:.0} samples/s (batch 256)",
            if augment { "" } else { ", augmentation off" }
        );
    }
    Ok(())
}
