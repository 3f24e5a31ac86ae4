//! # Inkling
//!
//! Train a handwritten-digit network in the browser. This crate is the pure Rust core (Candle models,
//! training, metrics, checkpoints, data and drawing preprocessing), used natively by the `inkling` CLI
//! and compiled to wasm32 with SIMD128 for the browser, where [`wasm`] is the only JavaScript-aware
//! layer.

pub mod augment;
pub mod checkpoint;
pub mod config;
pub mod dataset;
pub mod drawn;
pub mod finetune;
pub mod idx;
pub mod image;
pub mod input;
pub mod metrics;
pub mod models;
pub mod ops;
pub mod optim;
pub mod preprocess;
pub mod quality;
pub mod rng;
pub mod run;
pub mod spec;
pub mod synthetic;
pub mod trainer;
pub mod verdict;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use config::{ModelKind, OptimizerKind, TrainConfig};
pub use dataset::Dataset;
pub use trainer::{ShardGradients, StepStats, Trainer};
