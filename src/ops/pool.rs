//! [`max_pool2x2`]: 2×2 max-pooling with stride 2, as Candle's `max_pool2d(2)`.
//!
//! Shapes: `x (B, C, H, W)` → `(B, C, H/2, W/2)` (rounded down: an odd last row or column is dropped,
//! and gets a zero gradient).
//!
//! **Ties.** Each window's maximum is the *first* of its largest values in the order top-left,
//! top-right, bottom-left, bottom-right (strict `>` comparisons), and the backward pass sends the
//! whole output gradient to that one position, as PyTorch does. (Candle's own `max_pool2d` backward
//! differs: it scales gradients by a quarter of the number of tied maxima, so a unique maximum gets a
//! quarter of the gradient, and misplaces them when `H` or `W` is odd.) A NaN in the top-left position
//! propagates; NaNs elsewhere are skipped.
//!
//! The backward pass finds each window's maximum again from the saved input with the same comparisons
//! (which gives the same index as the forward pass), so the op keeps no state between the passes; it
//! then writes the input gradient in one pass.

use super::{check_f32_cpu, cpu_f32, f32_data};
use candle_core::{bail, CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

/// The pooling as a Candle op; see the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct MaxPool2x2;

/// 2×2 max-pooling with stride 2 of `x (B, C, H, W)`, giving `(B, C, H/2, W/2)`.
pub fn max_pool2x2(x: &Tensor) -> Result<Tensor> {
    check_f32_cpu("max_pool2x2", x)?;
    if x.rank() != 4 || x.dim(2)? < 2 || x.dim(3)? < 2 {
        bail!("max_pool2x2: expected a (B, C, H, W) input with H, W ≥ 2, got {:?}", x.dims())
    }
    x.contiguous()?.apply_op1(MaxPool2x2)
}

/// Index (0–3: top-left, top-right, bottom-left, bottom-right) and value of the first maximum of a
/// window whose top-left corner is `plane[at]`, in a plane of width `w`.
#[inline(always)]
fn window_max(plane: &[f32], at: usize, w: usize) -> (usize, f32) {
    let v = [plane[at], plane[at + 1], plane[at + w], plane[at + w + 1]];
    let (mut best, mut max) = (0, v[0]);
    for (i, &x) in v.iter().enumerate().skip(1) {
        if x > max {
            (best, max) = (i, x);
        }
    }
    (best, max)
}

impl CustomOp1 for MaxPool2x2 {
    fn name(&self) -> &'static str {
        "inkling-max-pool2x2"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = cpu_f32("max_pool2x2", storage, layout)?;
        let &[b, c, h, w] = layout.dims() else { bail!("max_pool2x2: expected a rank-4 input") };
        let (oh, ow) = (h / 2, w / 2);
        let mut out = vec![0f32; b * c * oh * ow]; // (B, C, OH, OW)
        for (plane, dst) in x.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)) {
            for (oy, row) in dst.chunks_exact_mut(ow).enumerate() {
                for (ox, d) in row.iter_mut().enumerate() {
                    *d = window_max(plane, 2 * oy * w + 2 * ox, w).1;
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((b, c, oh, ow))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let (_, _, h, w) = arg.dims4()?;
        let (oh, ow) = (h / 2, w / 2);
        let (x_t, grad) = (arg.contiguous()?, grad.contiguous()?);
        let guards = [x_t.storage_and_layout(), grad.storage_and_layout()];
        let (x, g) = (f32_data("max_pool2x2", &guards[0])?, f32_data("max_pool2x2", &guards[1])?);
        let mut dx = vec![0f32; x.len()]; // (B, C, H, W)
        let offsets = [0, 1, w, w + 1];
        for ((plane, dplane), gplane) in x.chunks_exact(h * w).zip(dx.chunks_exact_mut(h * w)).zip(g.chunks_exact(oh * ow)) {
            for (oy, grow) in gplane.chunks_exact(ow).enumerate() {
                for (ox, &gv) in grow.iter().enumerate() {
                    let at = 2 * oy * w + 2 * ox;
                    dplane[at + offsets[window_max(plane, at, w).0]] = gv;
                }
            }
        }
        drop(guards);
        Ok(Some(Tensor::from_vec(dx, arg.shape(), arg.device())?))
    }
}
