//! Optimizers: Adam/AdamW (Candle's `AdamW`) and SGD with momentum (Candle's `SGD` has none).

use crate::config::{OptimizerKind, TrainConfig};
use candle_core::backprop::GradStore;
use candle_core::{Result, Var};
use candle_nn::{AdamW, Optimizer as _, ParamsAdamW};

/// The optimizer chosen by [`TrainConfig::optimizer`], over a given set of variables.
#[derive(Debug)]
pub enum Optimizer {
    /// Adam or AdamW.
    Adam(AdamW),
    /// SGD with momentum.
    Sgd(SgdMomentum),
}

impl Optimizer {
    /// Creates the configured optimizer over `vars` with fresh state.
    pub fn new(config: &TrainConfig, vars: Vec<Var>) -> Result<Self> {
        Ok(match config.optimizer {
            OptimizerKind::Adam | OptimizerKind::Adamw => {
                let weight_decay = match config.optimizer {
                    OptimizerKind::Adamw if config.weight_decay == 0.0 => 0.01, // AdamW's usual default
                    _ => config.weight_decay,
                };
                let params = ParamsAdamW { lr: config.learning_rate, weight_decay, ..ParamsAdamW::default() };
                Optimizer::Adam(AdamW::new(vars, params)?)
            }
            OptimizerKind::Sgd => Optimizer::Sgd(SgdMomentum::new(vars, config)?),
        })
    }

    /// Applies one update from `grads`.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        match self {
            Optimizer::Adam(o) => o.step(grads),
            Optimizer::Sgd(o) => o.step(grads),
        }
    }

    /// Changes the step size for the following steps.
    pub fn set_learning_rate(&mut self, lr: f64) {
        match self {
            Optimizer::Adam(o) => o.set_learning_rate(lr),
            Optimizer::Sgd(o) => o.lr = lr,
        }
    }
}

/// SGD with heavy-ball momentum and optional L2 weight decay, as PyTorch's `torch.optim.SGD`:
/// `v = μ·v + (g + λ·θ)`, `θ = θ − lr·v`.
#[derive(Debug)]
pub struct SgdMomentum {
    vars: Vec<(Var, Var)>,
    lr: f64,
    momentum: f64,
    weight_decay: f64,
}

impl SgdMomentum {
    fn new(vars: Vec<Var>, config: &TrainConfig) -> Result<Self> {
        let vars = vars
            .into_iter()
            .map(|v| {
                let velocity = Var::zeros(v.shape(), v.dtype(), v.device())?;
                Ok((v, velocity))
            })
            .collect::<Result<_>>()?;
        Ok(Self { vars, lr: config.learning_rate, momentum: config.momentum, weight_decay: config.weight_decay })
    }

    fn step(&mut self, grads: &GradStore) -> Result<()> {
        for (theta, velocity) in &self.vars {
            let Some(g) = grads.get(theta) else { continue };
            let g = if self.weight_decay > 0.0 { (g + (theta.as_tensor() * self.weight_decay)?)? } else { g.clone() };
            let v = ((velocity.as_tensor() * self.momentum)? + g)?;
            theta.set(&(theta.as_tensor() - (&v * self.lr)?)?)?;
            velocity.set(&v)?;
        }
        Ok(())
    }
}
