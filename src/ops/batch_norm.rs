//! Batch normalisation in training mode as one fused op: `y = γ·(x − μ)/√(σ² + ε) + β` with the batch's
//! per-channel mean μ and (biased) variance σ², over `(B, C)` or `(B, C, H, W)` inputs.
//!
//! Candle's `BatchNorm` builds this from a dozen generic ops (transpose, mean, sqr, broadcast div/mul …)
//! whose backward passes dominated a `cnn-large` step. Here the forward is one pass for the statistics and
//! one for the output, and the backward uses the closed form
//! `dx = γ/√(σ²+ε) · (dy − mean(dy) − x̂·mean(dy·x̂))`, `dγ = Σ dy·x̂`, `dβ = Σ dy`.

use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

/// Per-channel statistics of `x`: `(mean, biased variance)`, summed in f64 in a fixed order.
pub fn channel_stats(x: &[f32], batch: usize, channels: usize, spatial: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (batch * spatial) as f64;
    let mut mean = vec![0f32; channels];
    let mut var = vec![0f32; channels];
    for c in 0..channels {
        let (mut s, mut s2) = (0f64, 0f64);
        for b in 0..batch {
            for &v in &x[(b * channels + c) * spatial..(b * channels + c + 1) * spatial] {
                s += v as f64;
                s2 += (v as f64) * (v as f64);
            }
        }
        let m = s / n;
        mean[c] = m as f32;
        var[c] = (s2 / n - m * m).max(0.0) as f32;
    }
    (mean, var)
}

/// `(batch, channels, spatial)` of a `(B, C)` or `(B, C, …)` shape.
fn split_dims(dims: &[usize]) -> Result<(usize, usize, usize)> {
    if dims.len() < 2 {
        bail!("batch-norm input must have at least 2 dimensions, got {dims:?}")
    }
    Ok((dims[0], dims[1], dims[2..].iter().product()))
}

fn contiguous_f32<'a>(s: &'a CpuStorage, l: &Layout, what: &str) -> Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((start, end))) => Ok(&v[start..end]),
        _ => bail!("batch-norm {what} must be a contiguous f32 tensor"),
    }
}

/// The fused training-mode batch-norm op; apply with [`batch_norm_train`].
pub struct BatchNormTrain {
    /// Added to the variance before the square root.
    pub eps: f32,
}

impl CustomOp3 for BatchNormTrain {
    fn name(&self) -> &'static str {
        "inkling-batch-norm-train"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let (x, gamma, beta) = (contiguous_f32(s1, l1, "input")?, contiguous_f32(s2, l2, "weight")?, contiguous_f32(s3, l3, "bias")?);
        let (batch, channels, spatial) = split_dims(l1.dims())?;
        if gamma.len() != channels || beta.len() != channels {
            bail!("batch-norm has {} weights for {channels} channels", gamma.len())
        }
        let (mean, var) = channel_stats(x, batch, channels, spatial);
        let mut y = vec![0f32; x.len()];
        for b in 0..batch {
            for c in 0..channels {
                let scale = gamma[c] / (var[c] + self.eps).sqrt();
                let shift = beta[c] - mean[c] * scale;
                let o = (b * channels + c) * spatial;
                for (yv, &xv) in y[o..o + spatial].iter_mut().zip(&x[o..o + spatial]) {
                    *yv = xv * scale + shift;
                }
            }
        }
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, gamma: &Tensor, _beta: &Tensor, _res: &Tensor, dy: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (batch, channels, spatial) = split_dims(x.dims())?;
        let xv = x.flatten_all()?.to_vec1::<f32>()?;
        let dyv = dy.flatten_all()?.to_vec1::<f32>()?;
        let g = gamma.to_vec1::<f32>()?;
        let (mean, var) = channel_stats(&xv, batch, channels, spatial);
        let n = (batch * spatial) as f32;
        let (mut dgamma, mut dbeta) = (vec![0f32; channels], vec![0f32; channels]);
        let mut dx = vec![0f32; xv.len()];
        for c in 0..channels {
            let inv_std = 1.0 / (var[c] + self.eps).sqrt();
            let (mut sum_dy, mut sum_dy_xhat) = (0f64, 0f64);
            for b in 0..batch {
                let o = (b * channels + c) * spatial;
                for i in o..o + spatial {
                    sum_dy += dyv[i] as f64;
                    sum_dy_xhat += (dyv[i] * (xv[i] - mean[c]) * inv_std) as f64;
                }
            }
            dbeta[c] = sum_dy as f32;
            dgamma[c] = sum_dy_xhat as f32;
            let (mean_dy, mean_dy_xhat) = (sum_dy as f32 / n, sum_dy_xhat as f32 / n);
            let k = g[c] * inv_std;
            for b in 0..batch {
                let o = (b * channels + c) * spatial;
                for i in o..o + spatial {
                    let xhat = (xv[i] - mean[c]) * inv_std;
                    dx[i] = k * (dyv[i] - mean_dy - xhat * mean_dy_xhat);
                }
            }
        }
        let dev = x.device();
        Ok((Some(Tensor::from_vec(dx, x.shape(), dev)?), Some(Tensor::from_vec(dgamma, channels, dev)?), Some(Tensor::from_vec(dbeta, channels, dev)?)))
    }
}

/// Training-mode batch norm of `x` `(B, C, …)` with weight `gamma` and bias `beta` `(C,)`, differentiable.
pub fn batch_norm_train(x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f32) -> Result<Tensor> {
    x.contiguous()?.apply_op3(gamma, beta, BatchNormTrain { eps })
}

/// A batch-norm layer whose variables keep candle-nn's names (`weight`, `bias`, `running_mean`,
/// `running_var`), so weights files are unchanged; training passes use the fused op.
#[derive(Debug, Clone)]
pub struct FusedBatchNorm {
    weight: Tensor,
    bias: Tensor,
    running_mean: candle_core::Var,
    running_var: candle_core::Var,
    eps: f32,
    momentum: f32,
}

impl FusedBatchNorm {
    /// Creates (or loads) the layer's variables under `vb` for `channels` features.
    pub fn new(channels: usize, vb: candle_nn::VarBuilder) -> Result<Self> {
        use candle_nn::Init;
        let var = |name: &str, v: f64| -> Result<candle_core::Var> { candle_core::Var::from_tensor(&vb.get_with_hints(channels, name, Init::Const(v))?) };
        Ok(Self {
            running_mean: var("running_mean", 0.0)?,
            running_var: var("running_var", 1.0)?,
            weight: vb.get_with_hints(channels, "weight", Init::Const(1.0))?,
            bias: vb.get_with_hints(channels, "bias", Init::Const(0.0))?,
            eps: 1e-5,
            momentum: 0.1,
        })
    }

    /// Normalises with batch statistics (and updates the running ones) when `train`, else with the
    /// running statistics.
    pub fn forward_t(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let (batch, channels, spatial) = split_dims(x.dims())?;
        if train {
            let x = x.contiguous()?;
            let (mean, var) = channel_stats(&x.flatten_all()?.to_vec1::<f32>()?, batch, channels, spatial);
            let n = (batch * spatial) as f32;
            let unbiased = if n > 1.0 { n / (n - 1.0) } else { 1.0 };
            let m = self.momentum;
            let blend = |running: &candle_core::Var, batch_values: Vec<f32>, factor: f32| -> Result<()> {
                let old = running.as_tensor().to_vec1::<f32>()?;
                let new: Vec<f32> = old.iter().zip(&batch_values).map(|(o, v)| (1.0 - m) * o + m * v * factor).collect();
                running.set(&Tensor::from_vec(new, channels, x.device())?)
            };
            blend(&self.running_mean, mean, 1.0)?;
            blend(&self.running_var, var, unbiased)?;
            return batch_norm_train(&x, &self.weight, &self.bias, self.eps);
        }
        // y = x·scale + shift per channel, from the running statistics.
        let mut shape = vec![1usize; x.rank()];
        shape[1] = channels;
        let inv_std = (self.running_var.as_tensor() + self.eps as f64)?.sqrt()?.recip()?;
        let scale = (&self.weight * &inv_std)?;
        let shift = (&self.bias - (self.running_mean.as_tensor() * &scale)?)?;
        x.broadcast_mul(&scale.reshape(shape.as_slice())?)?.broadcast_add(&shift.reshape(shape.as_slice())?)
    }
}
