//! Optimizers: Adam/AdamW ([`Adam`]: Candle's `AdamW` arithmetic in one pass), SGD with momentum
//! (Candle's `SGD` has none) and [`Adadelta`] (Keras').

use crate::config::{OptimizerKind, TrainConfig};
use candle_core::backprop::GradStore;
use candle_core::{bail, DType, Result, Tensor, Var};
use candle_nn::ParamsAdamW;

/// The optimizer chosen by [`TrainConfig::optimizer`], over a given set of variables.
#[derive(Debug)]
pub enum Optimizer {
    /// Adam or AdamW.
    Adam(Adam),
    /// SGD with momentum.
    Sgd(SgdMomentum),
    /// Adadelta.
    Adadelta(Adadelta),
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
                Optimizer::Adam(Adam::new(vars, params)?)
            }
            OptimizerKind::Sgd => Optimizer::Sgd(SgdMomentum::new(vars, config)?),
            OptimizerKind::Adadelta => Optimizer::Adadelta(Adadelta::new(vars, config.learning_rate)?),
        })
    }

    /// Applies one update from `grads`.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        match self {
            Optimizer::Adam(o) => o.step(grads),
            Optimizer::Sgd(o) => o.step(grads),
            Optimizer::Adadelta(o) => o.step(grads),
        }
    }

    /// Changes the step size for the following steps.
    pub fn set_learning_rate(&mut self, lr: f64) {
        match self {
            Optimizer::Adam(o) => o.params.lr = lr,
            Optimizer::Sgd(o) => o.lr = lr,
            Optimizer::Adadelta(o) => o.lr = lr,
        }
    }
}

/// Adam with decoupled weight decay (AdamW; plain Adam when the decay is 0): candle-nn's `AdamW`,
/// computed in one pass over each variable instead of about a dozen tensor operations, each with its
/// own temporary tensor and pass over memory (a large share of a short training step, the mlp's
/// above all). Every value is rounded exactly as Candle's
/// ops round it (`x * c` is Candle's `affine(c, 0)`, i.e. `x * c + 0`), so the results are the same
/// bit for bit (tested against `candle_nn::AdamW`).
#[derive(Debug)]
pub struct Adam {
    /// Each variable with its first and second moments.
    vars: Vec<Buffered>,
    step_t: usize,
    params: ParamsAdamW,
}

impl Adam {
    /// Adam over `vars` (all `f32`) with zero moments.
    pub fn new(vars: Vec<Var>, params: ParamsAdamW) -> Result<Self> {
        Ok(Self { vars: with_two_buffers(vars, "Adam")?, step_t: 0, params })
    }

    /// One update of every variable that has a gradient in `grads`.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.step_t += 1;
        let p = &self.params;
        let t = self.step_t as i32;
        // The constants as Candle computes them (f64) and hands them to its f32 kernels.
        let c = |v: f64| v as f32;
        let (b1, b2, one_b1, one_b2) = (c(p.beta1), c(p.beta2), c(1.0 - p.beta1), c(1.0 - p.beta2));
        let (scale_m, scale_v) = (c(1.0 / (1.0 - p.beta1.powi(t))), c(1.0 / (1.0 - p.beta2.powi(t))));
        let (decay, eps, lr) = (c(1.0 - p.lr * p.weight_decay), c(p.eps), c(p.lr));
        update_each(&mut self.vars, grads, "Adam", |th, g, m, v| {
            *m = (*m * b1 + 0.0) + (g * one_b1 + 0.0);
            *v = (*v * b2 + 0.0) + ((g * g) * one_b2 + 0.0);
            let (m_hat, v_hat) = (*m * scale_m + 0.0, *v * scale_v + 0.0);
            let adjusted = m_hat / (v_hat.sqrt() * 1.0 + eps);
            *th = (*th * decay + 0.0) - (adjusted * lr + 0.0);
        })
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

/// Adadelta (Zeiler 2012) as Keras computes it: per value, with `E[g²]` and `E[Δ²]` decaying
/// averages,
/// `E[g²] = ρ·E[g²] + (1−ρ)·g²`, `Δ = −√(E[Δ²]+ε) / √(E[g²]+ε) · g`,
/// `E[Δ²] = ρ·E[Δ²] + (1−ρ)·Δ²`, `θ = θ + lr·Δ`, with Keras' ρ = 0.95 and ε = 1e-7.
#[derive(Debug)]
pub struct Adadelta {
    /// Each variable with its averages of squared gradients and of squared updates.
    vars: Vec<Buffered>,
    lr: f64,
}

impl Adadelta {
    /// The decay of both averages (Keras' default).
    pub const RHO: f32 = 0.95;
    /// Added under both square roots (Keras' default).
    pub const EPSILON: f32 = 1e-7;

    /// Adadelta over `vars` (all `f32`) with zero averages.
    pub fn new(vars: Vec<Var>, lr: f64) -> Result<Self> {
        Ok(Self { vars: with_two_buffers(vars, "Adadelta")?, lr })
    }

    /// One update of every variable that has a gradient in `grads`.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        let (rho, eps, lr) = (Self::RHO, Self::EPSILON, self.lr as f32);
        update_each(&mut self.vars, grads, "Adadelta", |th, g, eg, ed| {
            *eg = rho * *eg + (1.0 - rho) * g * g;
            let delta = -((*ed + eps).sqrt() / (*eg + eps).sqrt()) * g;
            *ed = rho * *ed + (1.0 - rho) * delta * delta;
            *th += lr * delta;
        })
    }
}

/// A variable with two per-value buffers: [`Adam`]'s moments, [`Adadelta`]'s averages.
type Buffered = (Var, Vec<f32>, Vec<f32>);

/// Each of `vars` (all `f32`) with its two buffers zeroed.
fn with_two_buffers(vars: Vec<Var>, name: &str) -> Result<Vec<Buffered>> {
    vars.into_iter()
        .map(|var| {
            if var.dtype() != DType::F32 {
                bail!("{name}: variables must be f32, got {:?}", var.dtype())
            }
            let n = var.elem_count();
            Ok((var, vec![0f32; n], vec![0f32; n]))
        })
        .collect()
}

/// Updates every variable that has a gradient in `grads`, value by value: `update(θ, g, a, b)` with
/// the variable's two buffers.
fn update_each(vars: &mut [Buffered], grads: &GradStore, name: &str, mut update: impl FnMut(&mut f32, f32, &mut f32, &mut f32)) -> Result<()> {
    for (var, a, b) in vars {
        let Some(g) = grads.get(var.as_tensor()) else { continue };
        let g = g.flatten_all()?.to_vec1::<f32>()?;
        let mut theta = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
        if g.len() != theta.len() {
            bail!("{name}: gradient of {} values for a variable of {}", g.len(), theta.len())
        }
        for (((th, &g), a), b) in theta.iter_mut().zip(&g).zip(a.iter_mut()).zip(b.iter_mut()) {
            update(th, g, a, b);
        }
        var.set(&Tensor::from_vec(theta, var.shape(), var.device())?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use candle_core::Device;
    use candle_nn::Optimizer as _;

    #[test]
    fn adam_is_candles_adamw_bit_for_bit() {
        let mut rng = Rng::new(5);
        for weight_decay in [0.0, 0.01] {
            let shapes: [&[usize]; 3] = [&[7, 5], &[3], &[2, 3, 3, 3]];
            let init: Vec<Tensor> =
                shapes.iter().map(|s| Tensor::from_vec(rng.uniform_vec(s.iter().product(), -1.0, 1.0), *s, &Device::Cpu).unwrap()).collect();
            let ours_vars: Vec<Var> = init.iter().map(|t| Var::from_tensor(t).unwrap()).collect();
            let theirs_vars: Vec<Var> = init.iter().map(|t| Var::from_tensor(t).unwrap()).collect();
            let params = ParamsAdamW { lr: 1e-3, weight_decay, ..ParamsAdamW::default() };
            let mut ours = Adam::new(ours_vars.clone(), params.clone()).unwrap();
            let mut theirs = candle_nn::AdamW::new(theirs_vars.clone(), params).unwrap();
            for step in 0..6 {
                if step == 3 {
                    ours.params.lr = 5e-4;
                    theirs.set_learning_rate(5e-4);
                }
                // Gradients over several magnitudes, with exact zeros; the middle variable gets none
                // in step 2 (as a frozen layer's).
                let (mut g_ours, mut g_theirs) = (GradStore::default(), GradStore::default());
                for (i, s) in shapes.iter().enumerate() {
                    if step == 2 && i == 1 {
                        continue;
                    }
                    let n = s.iter().product();
                    let vals: Vec<f32> = rng
                        .uniform_vec(n, -1.0, 1.0)
                        .iter()
                        .enumerate()
                        .map(|(k, v)| if k % 5 == 0 { 0.0 } else { v * 10f32.powi(k as i32 % 4 - 2) })
                        .collect();
                    let g = Tensor::from_vec(vals, *s, &Device::Cpu).unwrap();
                    g_ours.insert(ours_vars[i].as_tensor(), g.clone());
                    g_theirs.insert(theirs_vars[i].as_tensor(), g);
                }
                ours.step(&g_ours).unwrap();
                theirs.step(&g_theirs).unwrap();
                for (a, b) in ours_vars.iter().zip(&theirs_vars) {
                    let (a, b) = (a.flatten_all().unwrap().to_vec1::<f32>().unwrap(), b.flatten_all().unwrap().to_vec1::<f32>().unwrap());
                    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "step {step}, decay {weight_decay}: {a:?} vs {b:?}");
                }
            }
        }
    }

    /// Adadelta against a reference written from Keras' update rule in f64, over steps with
    /// gradients of several magnitudes and a learning-rate change.
    #[test]
    fn adadelta_follows_keras_update_rule() {
        let mut rng = Rng::new(11);
        let n = 40;
        let init = rng.uniform_vec(n, -1.0, 1.0);
        let var = Var::from_tensor(&Tensor::from_vec(init.clone(), n, &Device::Cpu).unwrap()).unwrap();
        let mut ours = Adadelta::new(vec![var.clone()], 1.0).unwrap();
        let (rho, eps) = (0.95f64, 1e-7f64);
        let mut theta: Vec<f64> = init.iter().map(|&v| v as f64).collect();
        let (mut eg, mut ed) = (vec![0f64; n], vec![0f64; n]);
        let mut lr = 1.0f64;
        for step in 0..20 {
            if step == 10 {
                lr = 0.5;
                ours.lr = lr;
            }
            let g: Vec<f32> = rng.uniform_vec(n, -1.0, 1.0).iter().enumerate().map(|(k, v)| v * 10f32.powi(k as i32 % 5 - 3)).collect();
            let mut grads = GradStore::default();
            grads.insert(var.as_tensor(), Tensor::from_vec(g.clone(), n, &Device::Cpu).unwrap());
            ours.step(&grads).unwrap();
            for k in 0..n {
                let gk = g[k] as f64;
                eg[k] = rho * eg[k] + (1.0 - rho) * gk * gk;
                let delta = -((ed[k] + eps).sqrt() / (eg[k] + eps).sqrt()) * gk;
                ed[k] = rho * ed[k] + (1.0 - rho) * delta * delta;
                theta[k] += lr * delta;
            }
            let got = var.as_tensor().to_vec1::<f32>().unwrap();
            for (k, (&a, &b)) in got.iter().zip(&theta).enumerate() {
                assert!((a as f64 - b).abs() <= 1e-5 * (1.0 + b.abs()), "step {step}, value {k}: {a} vs {b}");
            }
        }
        // The first step of a value moves it by lr·√ε/√((1−ρ)g²+ε)·|g|, under √(ε/(1−ρ)) ≈ 1.4e-3.
        let moved: f64 = theta.iter().zip(&init).map(|(a, &b)| (a - b as f64).abs()).fold(0.0, f64::max);
        assert!(moved > 1e-4, "Adadelta moved the weights ({moved})");
    }
}
