//! [`conv2d`]: a k×k, stride-1, unpadded ("valid") 2-D convolution with the bias and an optional ReLU
//! fused in, as im2col + gemm.
//!
//! Shapes: input `x (B, Cin, H, W)`, weight `w (Cout, Cin, KH, KW)` (PyTorch's layout), bias
//! `b (Cout)`, output `(B, Cout, OH, OW)` with `OH = H - KH + 1`, `OW = W - KW + 1`. With
//! `K = Cin·KH·KW`, `P = OH·OW` and `N = B·P`:
//!
//! * forward: `cols (K, N)` holds every input patch as a column (im2col), `y (Cout, N) = w (Cout, K) ·
//!   cols`, and `out[b, co, p] = act(y[co, b·P + p] + bias[co])`, written in one pass;
//! * backward: `g (Cout, N)` is the output gradient (masked by `out > 0` for ReLU) in the same column
//!   order, `dbias = Σ_n g`, `dw = g · colsᵀ`, and, only when the input needs a gradient (not for the
//!   image), `dcols (K, N) = wᵀ · g`, scattered back onto the input positions (col2im).
//!
//! The columns are recomputed in the backward pass rather than kept from the forward pass, and both
//! passes work on chunks of images, so working memory stays bounded (a few MiB of reusable scratch)
//! whatever the batch size.

use super::{check_f32_cpu, cpu_f32, f32_data, give_scratch, matmul, needs_grad, take_scratch, Activation, Mat};
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

/// Upper bound on the im2col scratch per chunk of images, in values (16 MiB of `f32`).
const COLS_PER_CHUNK: usize = 1 << 22;

/// Convolution geometry, from the input and weight shapes.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    batch: usize,
    cin: usize,
    h: usize,
    w: usize,
    cout: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
}

impl Geometry {
    fn new(x: &[usize], w: &[usize]) -> Result<Self> {
        let (&[batch, cin, h, wd], &[cout, wcin, kh, kw]) = (x, w) else {
            bail!("conv2d: expected a (B, Cin, H, W) input and a (Cout, Cin, KH, KW) weight, got {x:?} and {w:?}")
        };
        if wcin != cin || kh == 0 || kw == 0 || kh > h || kw > wd {
            bail!("conv2d: input {x:?} does not match weight {w:?}")
        }
        Ok(Self { batch, cin, h, w: wd, cout, kh, kw, oh: h - kh + 1, ow: wd - kw + 1 })
    }

    /// Output positions per image.
    fn p(&self) -> usize {
        self.oh * self.ow
    }

    /// Rows of the im2col matrix (values per patch).
    fn k(&self) -> usize {
        self.cin * self.kh * self.kw
    }

    /// Input values per image.
    fn image_len(&self) -> usize {
        self.cin * self.h * self.w
    }

    /// Images per chunk, so that a chunk's columns stay under [`COLS_PER_CHUNK`].
    fn chunk(&self) -> usize {
        (COLS_PER_CHUNK / (self.k() * self.p()).max(1)).clamp(1, self.batch.max(1))
    }

    /// im2col of `nb` images `x (nb, Cin, H, W)` into `cols (K, nb·P)`: row `(ci, ky, kx)`, column
    /// `(b, oy, ox)` holds `x[b, ci, oy + ky, ox + kx]`.
    fn im2col(&self, x: &[f32], nb: usize, cols: &mut [f32]) {
        let (p, n, ow) = (self.p(), nb * self.p(), self.ow);
        for ci in 0..self.cin {
            for ky in 0..self.kh {
                for kx in 0..self.kw {
                    let row = &mut cols[((ci * self.kh + ky) * self.kw + kx) * n..][..n];
                    for b in 0..nb {
                        let plane = &x[b * self.image_len() + ci * self.h * self.w..][..self.h * self.w];
                        for oy in 0..self.oh {
                            let src = &plane[(oy + ky) * self.w + kx..][..ow];
                            row[b * p + oy * ow..][..ow].copy_from_slice(src);
                        }
                    }
                }
            }
        }
    }

    /// col2im: adds `dcols (K, nb·P)` onto the input gradient `dx (nb, Cin, H, W)` (the transpose of
    /// [`Geometry::im2col`]).
    fn col2im(&self, dcols: &[f32], nb: usize, dx: &mut [f32]) {
        let (p, n, ow) = (self.p(), nb * self.p(), self.ow);
        for ci in 0..self.cin {
            for ky in 0..self.kh {
                for kx in 0..self.kw {
                    let row = &dcols[((ci * self.kh + ky) * self.kw + kx) * n..][..n];
                    for b in 0..nb {
                        let plane = &mut dx[b * self.image_len() + ci * self.h * self.w..][..self.h * self.w];
                        for oy in 0..self.oh {
                            let dst = &mut plane[(oy + ky) * self.w + kx..][..ow];
                            for (d, s) in dst.iter_mut().zip(&row[b * p + oy * ow..][..ow]) {
                                *d += s;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The convolution as a Candle op over `(x, weight, bias)`; see the [module docs](self).
#[derive(Debug, Clone, Copy)]
pub struct Conv2d {
    /// Applied to `conv + bias`.
    pub activation: Activation,
}

/// `act(conv2d(x, w) + b)` for `x (B, Cin, H, W)`, `w (Cout, Cin, KH, KW)`, `b (Cout)`: stride 1, no
/// padding, output `(B, Cout, H-KH+1, W-KW+1)`. Differentiable in all three arguments; no input
/// gradient is computed when `x` does not need one.
pub fn conv2d(x: &Tensor, w: &Tensor, b: &Tensor, activation: Activation) -> Result<Tensor> {
    for t in [x, w, b] {
        check_f32_cpu("conv2d", t)?;
    }
    let g = Geometry::new(x.dims(), w.dims())?;
    if b.dims() != [g.cout] {
        bail!("conv2d: bias {:?} does not match weight {:?}", b.dims(), w.dims())
    }
    x.contiguous()?.apply_op3(&w.contiguous()?, &b.contiguous()?, Conv2d { activation })
}

impl CustomOp3 for Conv2d {
    fn name(&self) -> &'static str {
        "inkling-conv2d"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = Geometry::new(l1.dims(), l2.dims())?;
        let (x, w, bias) = (cpu_f32("conv2d", s1, l1)?, cpu_f32("conv2d", s2, l2)?, cpu_f32("conv2d", s3, l3)?);
        let (k, p, cout) = (g.k(), g.p(), g.cout);
        let mut out = vec![0f32; g.batch * cout * p]; // (B, Cout, OH, OW)
        let chunk = g.chunk();
        for b0 in (0..g.batch).step_by(chunk) {
            let nb = chunk.min(g.batch - b0);
            let n = nb * p;
            let mut cols = take_scratch(k * n); // (K, nb·P)
            g.im2col(&x[b0 * g.image_len()..][..nb * g.image_len()], nb, &mut cols);
            let mut y = take_scratch(cout * n); // (Cout, nb·P)
            matmul(&mut y, cout, n, k, Mat::rows(w, k), Mat::rows(&cols, n), false);
            // (Cout, nb·P) → (nb, Cout, P), adding the bias and applying the activation.
            for b in 0..nb {
                let dst = &mut out[(b0 + b) * cout * p..][..cout * p];
                for (co, d) in dst.chunks_exact_mut(p).enumerate() {
                    let (src, bc) = (&y[co * n + b * p..][..p], bias[co]);
                    for (d, &s) in d.iter_mut().zip(src) {
                        *d = self.activation.apply(s + bc);
                    }
                }
            }
            give_scratch(y);
            give_scratch(cols);
        }
        Ok((CpuStorage::F32(out), Shape::from((g.batch, cout, g.oh, g.ow))))
    }

    fn bwd(&self, x: &Tensor, w: &Tensor, b: &Tensor, res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let g = Geometry::new(x.dims(), w.dims())?;
        let want_dx = needs_grad(x);
        let (k, p, cout) = (g.k(), g.p(), g.cout);
        let (x_t, w_t, res, grad) = (x.contiguous()?, w.contiguous()?, res.contiguous()?, grad.contiguous()?);
        let guards = [x_t.storage_and_layout(), w_t.storage_and_layout(), res.storage_and_layout(), grad.storage_and_layout()];
        let [xd, wd, res, grad] = [0, 1, 2, 3].map(|i| f32_data("conv2d", &guards[i]));
        let (xd, wd, res, grad) = (xd?, wd?, res?, grad?);
        let mut dw = vec![0f32; cout * k]; // (Cout, K)
        let mut db = vec![0f32; cout]; // (Cout)
        let mut dx = if want_dx { vec![0f32; g.batch * g.image_len()] } else { Vec::new() }; // (B, Cin, H, W)
        let chunk = g.chunk();
        for b0 in (0..g.batch).step_by(chunk) {
            let nb = chunk.min(g.batch - b0);
            let n = nb * p;
            // (nb, Cout, P) → (Cout, nb·P), masked by the activation's derivative; the bias gradient
            // is summed on the way.
            let mut gm = take_scratch(cout * n);
            for co in 0..cout {
                let mut sum = 0f32;
                for b in 0..nb {
                    let at = (b0 + b) * cout * p + co * p;
                    sum += mask_grad(self.activation, &grad[at..][..p], &res[at..][..p], &mut gm[co * n + b * p..][..p]);
                }
                db[co] += sum;
            }
            let mut cols = take_scratch(k * n); // (K, nb·P)
            g.im2col(&xd[b0 * g.image_len()..][..nb * g.image_len()], nb, &mut cols);
            // dw (Cout, K) += g (Cout, nb·P) · colsᵀ (nb·P, K)
            matmul(&mut dw, cout, k, n, Mat::rows(&gm, n), Mat::transposed(&cols, n), b0 > 0);
            if want_dx {
                // dcols (K, nb·P) = wᵀ (K, Cout) · g (Cout, nb·P), reusing the columns' memory.
                matmul(&mut cols, k, n, cout, Mat::transposed(wd, k), Mat::rows(&gm, n), false);
                g.col2im(&cols, nb, &mut dx[b0 * g.image_len()..][..nb * g.image_len()]);
            }
            give_scratch(cols);
            give_scratch(gm);
        }
        drop(guards);
        let dx = if want_dx { Some(Tensor::from_vec(dx, x.shape(), x.device())?) } else { None };
        Ok((dx, Some(Tensor::from_vec(dw, w.shape(), w.device())?), Some(Tensor::from_vec(db, b.shape(), b.device())?)))
    }
}

/// Writes the pre-activation gradient `dst = grad · act'(out)` and returns its sum. ReLU's derivative
/// is taken as `out > 0` (0 at 0, as Candle's).
#[inline]
pub(super) fn mask_grad(activation: Activation, grad: &[f32], out: &[f32], dst: &mut [f32]) -> f32 {
    // Eight running sums (vectorisable, and a fixed order, so the result is deterministic).
    let mut lanes = [0f32; 8];
    match activation {
        Activation::Identity => dst.copy_from_slice(grad),
        Activation::Relu => {
            for ((d, &g), &o) in dst.iter_mut().zip(grad).zip(out) {
                *d = if o > 0.0 { g } else { 0.0 };
            }
        }
    }
    let mut blocks = dst.chunks_exact(8);
    for block in &mut blocks {
        for (l, &v) in lanes.iter_mut().zip(block) {
            *l += v;
        }
    }
    let tail: f32 = blocks.remainder().iter().sum();
    lanes.iter().sum::<f32>() + tail
}
