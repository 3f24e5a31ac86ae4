//! [`conv2d`]: a k×k, stride-1, unpadded ("valid") 2-D convolution with the bias and an optional ReLU
//! fused in, as im2col + gemm, or, for the 3×3 layers with enough input channels, with Winograd's
//! F(4×4, 3×3) ([`winograd`]: 2.25–4× fewer multiplications in all three products for the
//! models' layers; the default, see [`Kernels`]), and, for the forward
//! pass of a layer on one input channel, a direct kernel ([`direct`]). The paths share
//! the chunking and the gradient masking below; Winograd and the direct kernel add the bias, apply
//! the activation and pool each output value while it is in registers, im2col in a pass over the
//! product.
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
//! With [`conv2d_pool2x2`], a 2×2 max-pool (stride 2, as [`super::max_pool2x2`], same tie rule) is fused
//! in as well: the output is `(B, Cout, OH/2, OW/2)`, the un-pooled activations are never stored, and
//! the forward pass records which position of each window won (one byte per output value), so the
//! backward pass scatters the output gradient straight to the winners in `g`. (`g` is then at most a
//! quarter dense; it still goes through the dense gemms, which beat visiting only its nonzeros patch
//! by patch.) As `act` is monotonic,
//! `pool(act(y + bias)) = act(pool(y) + bias)`.
//!
//! The columns are recomputed in the backward pass rather than kept from the forward pass, and both
//! passes work on chunks of images small enough for their columns to stay in a core's L2 cache
//! ([`COLS_PER_CHUNK`]): per chunk, im2col writes the columns and gemm reads them while they are still
//! cached. Chunks are grouped into at most [`GROUPS`] jobs (run in parallel natively); in the backward
//! pass each group sums its own weight and bias gradients, and the groups' sums are added in group
//! order.

mod direct;
mod winograd;

use super::epilogue::{mask, Output};
use super::pool::pool_rows;
use super::{check_f32_cpu, cpu_f32, f32_data, matmul, needs_grad, run_jobs, Activation, Mat, Scratch};
use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use direct::Direct;
use std::sync::Mutex;
use winograd::Winograd;

/// Upper bound on the im2col columns of one chunk of images, in values: 256 KiB of `f32`, half of a
/// typical core's L2 cache, so gemm reads the columns im2col has just written from the cache rather
/// than from memory (whole batches of columns would not fit).
const COLS_PER_CHUNK: usize = 1 << 16;

/// Which faster kernels a convolution may take where they apply; every other layer (and every
/// backward pass of a direct layer) goes through im2col + gemm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kernels {
    /// Winograd F(4×4, 3×3) for 3×3 layers with at least 8 input channels in multiples of four.
    pub winograd: bool,
    /// The direct kernel for the forward pass of 3×3 layers on one input channel (four output
    /// channels at a time).
    pub direct: bool,
}

impl Kernels {
    /// im2col + gemm for every layer.
    pub const IM2COL: Self = Self { winograd: false, direct: false };

    /// Every faster kernel where it applies.
    pub const ALL: Self = Self { winograd: true, direct: true };

    /// What [`conv2d`] and [`conv2d_pool2x2`] use. Winograd everywhere: its transforms run on four
    /// lanes of SIMD128 in wasm32 and on SSE or AVX lanes natively, and save 2.25–4× of the
    /// products' multiplications, which pays against gemm's 4-wide SIMD128 kernel in wasm32 and its
    /// AVX2 + FMA kernels natively alike. The direct
    /// kernel only in wasm32: natively gemm's wide kernels do the first layer's thin product faster
    /// than four lanes of broadcast multiply-adds with their four-plane scattered stores.
    pub const DEFAULT: Self = Self { winograd: true, direct: cfg!(target_arch = "wasm32") };
}

/// Most jobs a convolution is split into (groups of chunks). Fixed, not the thread count, so that the
/// order of the gradient sums, and with it every result, is the same on any machine. One in wasm32,
/// where jobs run one after another anyway (the worker pool splits batches instead).
const GROUPS: usize = if cfg!(target_arch = "wasm32") { 1 } else { 8 };

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
        if wcin != cin || cin == 0 || cout == 0 || kh == 0 || kw == 0 || kh > h || kw > wd {
            bail!("conv2d: input {x:?} does not match weight {w:?}")
        }
        Ok(Self { batch, cin, h, w: wd, cout, kh, kw, oh: h - kh + 1, ow: wd - kw + 1 })
    }

    /// The Winograd plan for this convolution, when it is a 3×3 one that gains from it.
    fn winograd(&self) -> Option<Winograd> {
        Winograd::plan(self.cin, self.cout, self.h, self.w, self.kh, self.kw)
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

    /// Images per job: whole chunks, at most [`GROUPS`] jobs.
    fn group(&self) -> usize {
        let chunk = self.chunk();
        self.batch.max(1).div_ceil(GROUPS).div_ceil(chunk) * chunk
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
                            copy_short(&mut row[b * p + oy * ow..][..ow], src);
                        }
                    }
                }
            }
        }
    }

    /// The im2col forward pass of `nb` images `x (nb, Cin, H, W)`: `y (Cout, nb·P) = w (Cout, K) · cols
    /// (K, nb·P)`, then bias, activation and pooling in one pass into `finish`.
    fn forward(&self, w: &[f32], x: &[f32], nb: usize, finish: Output) {
        let (k, p, n, cout) = (self.k(), self.p(), nb * self.p(), self.cout);
        let Output { out, mut winners, bias, activation, pool } = finish;
        let mut cols = Scratch::new(k * n); // (K, nb·P)
        self.im2col(x, nb, &mut cols);
        let mut y = Scratch::new(cout * n); // (Cout, nb·P)
        matmul(&mut y, cout, n, k, Mat::rows(w, k), Mat::rows(&cols, n), false, false);
        // (Cout, nb·P) → (nb, Cout, oh, ow), pooling, adding the bias and applying the activation.
        let ow = if pool { self.ow / 2 } else { self.ow };
        let q = out.len() / (nb * cout); // output values per image and channel
        for b in 0..nb {
            for co in 0..cout {
                let (src, bc, at) = (&y[co * n + b * p..][..p], bias[co], (b * cout + co) * q);
                let dst = &mut out[at..][..q];
                if !pool {
                    for (d, &s) in dst.iter_mut().zip(src) {
                        *d = activation.apply(s + bc);
                    }
                    continue;
                }
                let wins = winners.as_deref_mut().map(|w| &mut w[at..][..q]);
                pool_rows(src, self.ow, dst, ow, wins, |m| activation.apply(m + bc));
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
#[derive(Debug)]
pub struct Conv2dOp {
    activation: Activation,
    /// With a fused 2×2 max-pool: the winning position (0–3) of each output value's window, recorded by
    /// the forward pass when a backward pass may follow.
    pool: Option<Mutex<Vec<u8>>>,
    /// Whether the forward pass records the pooling positions.
    record: bool,
    /// The faster kernels 3×3 layers may go through (where [`Winograd::plan`] or [`Direct::plan`]
    /// accepts them).
    kernels: Kernels,
}

impl Conv2dOp {
    /// The op `act(conv2d(x, w) + b)`, 2×2-max-pooled when `pool`.
    pub fn new(activation: Activation, pool: bool) -> Self {
        Self { activation, pool: pool.then(|| Mutex::new(Vec::new())), record: true, kernels: Kernels::DEFAULT }
    }
}

/// `act(conv2d(x, w) + b)` for `x (B, Cin, H, W)`, `w (Cout, Cin, KH, KW)`, `b (Cout)`: stride 1, no
/// padding, output `(B, Cout, H-KH+1, W-KW+1)`. Differentiable in all three arguments; no input
/// gradient is computed when `x` does not need one.
pub fn conv2d(x: &Tensor, w: &Tensor, b: &Tensor, activation: Activation) -> Result<Tensor> {
    conv2d_with(x, w, b, activation, false, Kernels::DEFAULT)
}

/// [`conv2d`] followed by a 2×2 max-pool with stride 2 (as [`super::max_pool2x2`]), in one op: output
/// `(B, Cout, (H-KH+1)/2, (W-KW+1)/2)`.
pub fn conv2d_pool2x2(x: &Tensor, w: &Tensor, b: &Tensor, activation: Activation) -> Result<Tensor> {
    conv2d_with(x, w, b, activation, true, Kernels::DEFAULT)
}

/// [`conv2d`] (or, with `pool`, [`conv2d_pool2x2`]) with the faster kernels chosen explicitly (see
/// [`Kernels`]). For tests and benchmarks of all paths on one platform.
pub fn conv2d_with(x: &Tensor, w: &Tensor, b: &Tensor, activation: Activation, pool: bool, kernels: Kernels) -> Result<Tensor> {
    for t in [x, w, b] {
        check_f32_cpu("conv2d", t)?;
    }
    let g = Geometry::new(x.dims(), w.dims())?;
    if b.dims() != [g.cout] {
        bail!("conv2d: bias {:?} does not match weight {:?}", b.dims(), w.dims())
    }
    if pool && (g.oh < 2 || g.ow < 2) {
        bail!("conv2d_pool2x2: the convolution's output {}×{} is too small to pool", g.oh, g.ow)
    }
    let mut op = Conv2dOp::new(activation, pool);
    op.record = [x, w, b].iter().any(|t| needs_grad(t));
    op.kernels = kernels;
    x.contiguous()?.apply_op3(&w.contiguous()?, &b.contiguous()?, op)
}

impl CustomOp3 for Conv2dOp {
    fn name(&self) -> &'static str {
        "inkling-conv2d"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = Geometry::new(l1.dims(), l2.dims())?;
        let (x, w, bias) = (cpu_f32("conv2d", s1, l1)?, cpu_f32("conv2d", s2, l2)?, cpu_f32("conv2d", s3, l3)?);
        let cout = g.cout;
        let (oh, ow) = if self.pool.is_some() { (g.oh / 2, g.ow / 2) } else { (g.oh, g.ow) };
        let q = oh * ow; // output values per image and channel
        let mut out = vec![0f32; g.batch * cout * q]; // (B, Cout, oh, ow)
        let record = self.pool.is_some() && self.record;
        let mut winners = if record { vec![0u8; out.len()] } else { Vec::new() }; // (B, Cout, oh, ow)
                                                                                  // One job per group of images, each writing its own part of the output.
        let group = g.group();
        let per_image = cout * q;
        let wins = per_group(record.then_some(&mut winners[..]), group * per_image, g.batch.div_ceil(group));
        let jobs: Vec<_> = out.chunks_mut(group * per_image).zip(wins).enumerate().collect();
        let kernel = Kernel::new(&g, w, self.kernels, true);
        run_jobs(jobs, |(i, (out, wins))| self.forward_images(&g, &kernel, x, bias, i * group, out, wins));
        if let (Some(pool), true) = (&self.pool, self.record) {
            *pool.lock().expect("conv2d pool state") = winners;
        }
        Ok((CpuStorage::F32(out), Shape::from((g.batch, cout, oh, ow))))
    }

    fn bwd(&self, x: &Tensor, w: &Tensor, b: &Tensor, res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let g = Geometry::new(x.dims(), w.dims())?;
        let want_dx = needs_grad(x);
        let (x_t, w_t, res, grad) = (x.contiguous()?, w.contiguous()?, res.contiguous()?, grad.contiguous()?);
        let guards = [x_t.storage_and_layout(), w_t.storage_and_layout(), res.storage_and_layout(), grad.storage_and_layout()];
        let [xd, wd, res, grad] = [0, 1, 2, 3].map(|i| f32_data("conv2d", &guards[i]));
        let (xd, wd, res, grad) = (xd?, wd?, res?, grad?);
        let mut dw = vec![0f32; g.cout * g.k()]; // (Cout, K)
        let mut db = vec![0f32; g.cout]; // (Cout)
        let mut dx = if want_dx { vec![0f32; g.batch * g.image_len()] } else { Vec::new() }; // (B, Cin, H, W)
        let data = Backward { x: xd, kernel: Kernel::new(&g, wd, self.kernels, false), out: res, grad };
        let dx_buf = want_dx.then_some(&mut dx[..]);
        match &self.pool {
            None => self.backward(&g, &data, None, &mut dw, &mut db, dx_buf),
            Some(winners) => {
                let winners = winners.lock().expect("conv2d pool state");
                if winners.len() != res.len() {
                    bail!("conv2d_pool2x2: backward pass without a recorded forward pass")
                }
                self.backward(&g, &data, Some(&winners), &mut dw, &mut db, dx_buf)
            }
        }
        drop(guards);
        let dx = if want_dx { Some(Tensor::from_vec(dx, x.shape(), x.device())?) } else { None };
        Ok((dx, Some(Tensor::from_vec(dw, w.shape(), w.device())?), Some(Tensor::from_vec(db, b.shape(), b.device())?)))
    }
}

/// The weights as each path uses them: `w (Cout, K)` (im2col, and every backward pass but
/// Winograd's), and the prepared weights of a faster kernel where one applies.
struct Kernel<'a> {
    w: &'a [f32],
    fast: Fast,
}

/// The faster kernels, with their plans and prepared weights.
enum Fast {
    /// None applies (or none was asked for): im2col + gemm.
    None,
    /// Winograd F(4×4, 3×3) with the transformed filters, forward and backward.
    Winograd(Winograd, Vec<f32>),
    /// The direct single-input-channel kernel with its reordered weights; forward passes only.
    Direct(Direct, Vec<f32>),
}

impl<'a> Kernel<'a> {
    /// The kernel for `w` in a forward (`forward`) or backward pass: Winograd or (forward only) the
    /// direct kernel where `kernels` allows and they apply. (A backward pass of a direct layer is
    /// im2col's, in im2col's cache-sized chunks.)
    fn new(g: &Geometry, w: &'a [f32], kernels: Kernels, forward: bool) -> Self {
        let winograd = g.winograd().filter(|_| kernels.winograd);
        let direct = || Direct::plan(g.cin, g.cout, g.h, g.w, g.kh, g.kw).filter(|_| forward && kernels.direct);
        let fast = match winograd {
            Some(plan) => Fast::Winograd(plan, plan.filters(w)),
            None => direct().map_or(Fast::None, |plan| Fast::Direct(plan, plan.filters(w))),
        };
        Self { w, fast }
    }

    /// Images per chunk (the direct kernel needs no chunks).
    fn chunk(&self, g: &Geometry) -> usize {
        match &self.fast {
            Fast::None => g.chunk(),
            Fast::Winograd(plan, _) => plan.chunk(g.batch),
            Fast::Direct(..) => g.batch.max(1),
        }
    }
}

/// The inputs of a backward pass (all contiguous).
struct Backward<'a> {
    /// `(B, Cin, H, W)`
    x: &'a [f32],
    kernel: Kernel<'a>,
    /// The forward output, `(B, Cout, oh, ow)` (pooled or not).
    out: &'a [f32],
    /// Its gradient, same shape.
    grad: &'a [f32],
}

/// `buf` cut into one part of `len` values per group (the last may be shorter), or `groups` times
/// `None` when there is no buffer.
fn per_group<T>(buf: Option<&mut [T]>, len: usize, groups: usize) -> Vec<Option<&mut [T]>> {
    let mut parts: Vec<Option<&mut [T]>> = match buf {
        Some(buf) => buf.chunks_mut(len).map(Some).collect(),
        None => Vec::new(),
    };
    parts.resize_with(groups, || None);
    parts
}

impl Conv2dOp {
    /// The forward pass for the images `first..` (as many as `out (nimg, Cout, oh, ow)` holds), chunk
    /// by chunk, through the kernel's path, recording each pooling window's winner in `winners` when
    /// given.
    #[allow(clippy::too_many_arguments)]
    fn forward_images(&self, g: &Geometry, kernel: &Kernel, x: &[f32], bias: &[f32], first: usize, out: &mut [f32], mut winners: Option<&mut [u8]>) {
        let cout = g.cout;
        let (oh, ow) = if self.pool.is_some() { (g.oh / 2, g.ow / 2) } else { (g.oh, g.ow) };
        let q = oh * ow; // output values per image and channel
        let nimg = out.len() / (cout * q);
        let chunk = kernel.chunk(g);
        for b0 in (0..nimg).step_by(chunk) {
            let nb = chunk.min(nimg - b0);
            let images = &x[(first + b0) * g.image_len()..][..nb * g.image_len()];
            let span = b0 * cout * q..(b0 + nb) * cout * q;
            let finish = Output {
                out: &mut out[span.clone()],
                winners: winners.as_deref_mut().map(|w| &mut w[span]),
                bias,
                activation: self.activation,
                pool: self.pool.is_some(),
            };
            match &kernel.fast {
                Fast::None => g.forward(kernel.w, images, nb, finish),
                Fast::Winograd(plan, u) => plan.forward(u, images, nb, finish),
                Fast::Direct(plan, taps) => plan.forward(taps, images, nb, finish),
            }
        }
    }

    /// The backward pass into `dw (Cout, K)`, `db (Cout)` and, when given, `dx (B, Cin, H, W)` (all
    /// zero on entry): one job per group of images (see [`Conv2dOp::backward_images`]); each group sums
    /// its own `dw` and `db`, and the sums are added in group order.
    #[allow(clippy::too_many_arguments)]
    fn backward(&self, geo: &Geometry, d: &Backward, winners: Option<&[u8]>, dw: &mut [f32], db: &mut [f32], dx: Option<&mut [f32]>) {
        let (k, cout) = (geo.k(), geo.cout);
        let group = geo.group();
        let groups = geo.batch.div_ceil(group);
        // Group 0 sums into dw/db directly; the others into their own (Cout·K + Cout) buffers.
        let mut partial = vec![0f32; groups.saturating_sub(1) * (cout * k + cout)];
        let mut sums: Vec<(&mut [f32], &mut [f32])> = vec![(&mut *dw, &mut *db)];
        sums.extend(partial.chunks_mut(cout * k + cout).map(|c| c.split_at_mut(cout * k)));
        let dxs = per_group(dx, group * geo.image_len(), groups);
        let jobs: Vec<_> = sums.into_iter().zip(dxs).enumerate().collect();
        run_jobs(jobs, |(i, ((dw, db), dx))| {
            let images = i * group..((i + 1) * group).min(geo.batch);
            self.backward_images(geo, d, winners, images, dw, db, dx)
        });
        // The jobs are done: add the other groups' sums onto group 0's, in order.
        for part in partial.chunks_exact(cout * k + cout) {
            let (pw, pb) = part.split_at(cout * k);
            dw.iter_mut().zip(pw).for_each(|(d, v)| *d += v);
            db.iter_mut().zip(pb).for_each(|(d, v)| *d += v);
        }
    }

    /// The backward pass for `images`, with gemm: per chunk, `g (Cout, nb·P)` is the masked output
    /// gradient (un-pooled through `winners` when pooled), `dw += g · colsᵀ`, `db += Σ g`, and
    /// `dcols = wᵀ · g` (col2im'd onto `dx`, the gradient of these images only) when `dx` is given.
    /// With Winograd, `g` goes to [`Winograd::backward`] instead, which sums the transformed weight
    /// gradient over the chunks; it becomes `dw` at the end.
    #[allow(clippy::too_many_arguments)]
    fn backward_images(
        &self,
        geo: &Geometry,
        d: &Backward,
        winners: Option<&[u8]>,
        images: std::ops::Range<usize>,
        dw: &mut [f32],
        db: &mut [f32],
        mut dx: Option<&mut [f32]>,
    ) {
        let (k, p, cout) = (geo.k(), geo.p(), geo.cout);
        let q = if winners.is_some() { (geo.oh / 2) * (geo.ow / 2) } else { p }; // output values per channel
        let Backward { x, ref kernel, out, grad } = *d;
        let chunk = kernel.chunk(geo);
        let mut du = match &kernel.fast {
            Fast::Winograd(plan, _) => vec![0f32; plan.du_len()],
            _ => Vec::new(),
        };
        for b0 in images.clone().step_by(chunk) {
            let nb = chunk.min(images.end - b0);
            let n = nb * p;
            // (nb, Cout, q) → (Cout, nb·P), masked by the activation's derivative (and, when pooled,
            // routed to each window's winner).
            let mut gm = Scratch::new(cout * n);
            for co in 0..cout {
                for b in 0..nb {
                    let at = (b0 + b) * cout * q + co * q;
                    let (gs, os, dst) = (&grad[at..][..q], &out[at..][..q], &mut gm[co * n + b * p..][..p]);
                    match winners {
                        None => mask(self.activation, gs, os, dst),
                        Some(winners) => unpool(self.activation, geo, gs, os, &winners[at..][..q], dst),
                    }
                }
                db[co] += sum(&gm[co * n..][..n]);
            }
            let images_x = &x[b0 * geo.image_len()..][..nb * geo.image_len()];
            let dx_at = (b0 - images.start) * geo.image_len();
            if let Fast::Winograd(plan, u) = &kernel.fast {
                let dx = dx.as_deref_mut().map(|dx| &mut dx[dx_at..][..nb * geo.image_len()]);
                plan.backward(u, images_x, &gm, nb, &mut du, dx);
                continue;
            }
            let w = kernel.w;
            let mut cols = Scratch::new(k * n); // (K, nb·P)
            geo.im2col(images_x, nb, &mut cols);
            // dw (Cout, K) += g (Cout, nb·P) · colsᵀ (nb·P, K)
            matmul(dw, cout, k, n, Mat::rows(&gm, n), Mat::transposed(&cols, n), b0 > images.start, false);
            if let Some(dx) = dx.as_deref_mut() {
                // dcols (K, nb·P) = wᵀ (K, Cout) · g (Cout, nb·P), reusing the columns' memory.
                matmul(&mut cols, k, n, cout, Mat::transposed(w, k), Mat::rows(&gm, n), false, false);
                geo.col2im(&cols, nb, &mut dx[dx_at..][..nb * geo.image_len()]);
            }
        }
        if let Fast::Winograd(plan, _) = &kernel.fast {
            plan.filter_grad(&du, dw);
        }
    }
}

/// Un-pools one channel of one image: `dst (OH·OW)` gets each pooled gradient `grad (ph·pw)` at its
/// window's winner (masked by the activation's derivative at the pooled output `out`), zeros elsewhere.
fn unpool(activation: Activation, geo: &Geometry, grad: &[f32], out: &[f32], winners: &[u8], dst: &mut [f32]) {
    let (w, pw) = (geo.ow, geo.ow / 2);
    let offsets = [0, 1, w, w + 1];
    dst.fill(0.0);
    for (py, ((gs, os), ws)) in grad.chunks_exact(pw).zip(out.chunks_exact(pw)).zip(winners.chunks_exact(pw)).enumerate() {
        for (px, ((&gv, &o), &wi)) in gs.iter().zip(os).zip(ws).enumerate() {
            let on = activation == Activation::Identity || o > 0.0;
            dst[2 * py * w + 2 * px + offsets[wi as usize & 3]] = if on { gv } else { 0.0 };
        }
    }
}

/// `dst = src` for short rows (3–26 values in the models), copied inline rather than through a
/// `memcpy` call per row (`memory.copy` in wasm32).
#[inline(always)]
fn copy_short(dst: &mut [f32], src: &[f32]) {
    if let ([d0, d1, d2], &[s0, s1, s2]) = (&mut *dst, src) {
        (*d0, *d1, *d2) = (s0, s1, s2);
        return;
    }
    let (mut d4, mut s4) = (dst.chunks_exact_mut(4), src.chunks_exact(4));
    for (d, s) in (&mut d4).zip(&mut s4) {
        let s: [f32; 4] = s.try_into().expect("4 values");
        d.copy_from_slice(&s);
    }
    for (d, &s) in d4.into_remainder().iter_mut().zip(s4.remainder()) {
        *d = s;
    }
}

/// Sum with eight running sums: vectorisable, and in a fixed order, so the result is deterministic.
#[inline]
fn sum(values: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let mut blocks = values.chunks_exact(8);
    for block in &mut blocks {
        for (l, &v) in lanes.iter_mut().zip(block) {
            *l += v;
        }
    }
    lanes.iter().sum::<f32>() + blocks.remainder().iter().sum::<f32>()
}
