//! [`linear`]: a dense layer `act(x · wᵀ + b)` with the bias and an optional ReLU fused in.
//!
//! Shapes: `x (B, In)`, weight `w (Out, In)` (PyTorch's layout), bias `b (Out)`, output `(B, Out)`.
//! Backward: `g = grad · act'(out)` `(B, Out)`, `db = Σ_b g`, `dw (Out, In) = gᵀ · x`, and
//! `dx (B, In) = g · w` only when `x` needs a gradient (not for the images of the `mlp`).

use super::epilogue::mask;
use super::{check_f32_cpu, cpu_f32, f32_data, matmul, needs_grad, Activation, Mat, Scratch};
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

/// The dense layer as a Candle op over `(x, weight, bias)`; see the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct LinearOp {
    /// Applied to `x · wᵀ + b`.
    pub activation: Activation,
}

/// `act(x · wᵀ + b)` for `x (B, In)`, `w (Out, In)`, `b (Out)`, giving `(B, Out)`. Differentiable in all
/// three arguments; no input gradient is computed when `x` does not need one.
pub fn linear(x: &Tensor, w: &Tensor, b: &Tensor, activation: Activation) -> Result<Tensor> {
    for t in [x, w, b] {
        check_f32_cpu("linear", t)?;
    }
    match (x.dims(), w.dims(), b.dims()) {
        (&[_, i], &[o, wi], &[bo]) if i == wi && o == bo => {}
        (xd, wd, bd) => bail!("linear: expected x (B, In), w (Out, In), b (Out), got {xd:?}, {wd:?}, {bd:?}"),
    }
    x.contiguous()?.apply_op3(&w.contiguous()?, &b.contiguous()?, LinearOp { activation })
}

impl CustomOp3 for LinearOp {
    fn name(&self) -> &'static str {
        "inkling-linear"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let (x, w, bias) = (cpu_f32("linear", s1, l1)?, cpu_f32("linear", s2, l2)?, cpu_f32("linear", s3, l3)?);
        let (&[batch, inp], &[out_dim, _]) = (l1.dims(), l2.dims()) else { bail!("linear: bad shapes") };
        // Start from the broadcast bias and accumulate x · wᵀ onto it.
        let mut y: Vec<f32> = (0..batch).flat_map(|_| bias.iter().copied()).collect(); // (B, Out)
        matmul(&mut y, batch, out_dim, inp, Mat::rows(x, inp), Mat::transposed(w, inp), true, true);
        if self.activation != Activation::Identity {
            y.iter_mut().for_each(|v| *v = self.activation.apply(*v));
        }
        Ok((CpuStorage::F32(y), Shape::from((batch, out_dim))))
    }

    fn bwd(&self, x: &Tensor, w: &Tensor, b: &Tensor, res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let ((batch, inp), out_dim) = (x.dims2()?, w.dim(0)?);
        let want_dx = needs_grad(x);
        let (x_t, w_t, res_t, grad_t) = (x.contiguous()?, w.contiguous()?, res.contiguous()?, grad.contiguous()?);
        let guards = [x_t.storage_and_layout(), w_t.storage_and_layout(), res_t.storage_and_layout(), grad_t.storage_and_layout()];
        let [xd, wd, out, g] = [0, 1, 2, 3].map(|i| f32_data("linear", &guards[i]));
        let (xd, wd, out, g) = (xd?, wd?, out?, g?);
        let mut gm = Scratch::new(batch * out_dim); // (B, Out), masked gradient
        mask(self.activation, g, out, &mut gm);
        let mut db = vec![0f32; out_dim]; // (Out): column sums, in row order
        for row in gm.chunks_exact(out_dim) {
            db.iter_mut().zip(row).for_each(|(d, &v)| *d += v);
        }
        let mut dw = vec![0f32; out_dim * inp]; // (Out, In) = gᵀ (Out, B) · x (B, In)
        matmul(&mut dw, out_dim, inp, batch, Mat::transposed(&gm, out_dim), Mat::rows(xd, inp), false, true);
        let dx = if want_dx {
            let mut dx = vec![0f32; batch * inp]; // (B, In) = g (B, Out) · w (Out, In)
            matmul(&mut dx, batch, inp, out_dim, Mat::rows(&gm, out_dim), Mat::rows(wd, inp), false, true);
            Some(Tensor::from_vec(dx, x.shape(), x.device())?)
        } else {
            None
        };
        drop(guards);
        Ok((dx, Some(Tensor::from_vec(dw, w.shape(), w.device())?), Some(Tensor::from_vec(db, b.shape(), b.device())?)))
    }
}
