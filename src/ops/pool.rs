//! [`max_pool2x2`]: 2×2 max-pooling with stride 2, as Candle's `max_pool2d(2)`.
//!
//! Shapes: `x (B, C, H, W)` → `(B, C, H/2, W/2)` (rounded down: an odd last row or column is dropped,
//! and gets a zero gradient).
//!
//! **Ties.** Each window's maximum is the *first* of its largest values in the order top-left,
//! top-right, bottom-left, bottom-right (strict `>` comparisons), and the backward pass sends the
//! whole output gradient to that one position, as PyTorch does. (Candle's own `max_pool2d` backward
//! differs: it scales gradients by a quarter of the number of tied maxima, so a unique maximum gets a
//! quarter of the gradient, and misplaces them when `H` or `W` is odd.) NaNs get no special care.
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
/// window `[a, b]` over `[c, d]`, with compares only (no `f32::max`, a libm call in wasm32).
#[inline(always)]
pub(super) fn window_max(a: f32, b: f32, c: f32, d: f32) -> (u8, f32) {
    let (top, top_i) = if b > a { (b, 1) } else { (a, 0) };
    let (bottom, bottom_i) = if d > c { (d, 3) } else { (c, 2) };
    if bottom > top {
        (bottom_i, bottom)
    } else {
        (top_i, top)
    }
}

/// Pools one plane `src` of width `w` into `dst` of width `ow` (`dst[y][x] = f(max of the 2×2 window at
/// (2y, 2x))`), recording each window's winner in `winners` when given.
#[inline]
pub(super) fn pool_rows(src: &[f32], w: usize, dst: &mut [f32], ow: usize, mut winners: Option<&mut [u8]>, f: impl Fn(f32) -> f32) {
    for (py, out) in dst.chunks_exact_mut(ow).enumerate() {
        let (top, bottom) = (&src[2 * py * w..][..2 * ow], &src[(2 * py + 1) * w..][..2 * ow]);
        let windows = out.iter_mut().zip(top.chunks_exact(2)).zip(bottom.chunks_exact(2));
        match winners.as_deref_mut() {
            Some(winners) => {
                for (((o, t), b), wi) in windows.zip(&mut winners[py * ow..][..ow]) {
                    let (i, m) = window_max(t[0], t[1], b[0], b[1]);
                    (*o, *wi) = (f(m), i);
                }
            }
            None => {
                for ((o, t), b) in windows {
                    *o = f(window_max(t[0], t[1], b[0], b[1]).1);
                }
            }
        }
    }
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
            pool_rows(plane, w, dst, ow, None, |m| m);
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
                    let (i, _) = window_max(plane[at], plane[at + 1], plane[at + w], plane[at + w + 1]);
                    dplane[at + offsets[i as usize]] = gv;
                }
            }
        }
        drop(guards);
        Ok(Some(Tensor::from_vec(dx, arg.shape(), arg.device())?))
    }
}
