//! Winograd's minimal filtering F(4×4, 3×3) for the 3×3 convolutions: forward pass, input gradient and
//! weight gradient, each as 36 small matrix products instead of one product 2.25–4× as large (for the
//! models' layers).
//!
//! The output of a valid 3×3 convolution is cut into 4×4 tiles (the last row and column of tiles
//! reach past the output; their extra values are computed from zero padding and dropped). Each output
//! tile `Y (4×4)` of one output channel comes from a 6×6 input tile `d` per input channel and the
//! 3×3 kernel `g` as
//!
//! ```text
//! Y = Aᵀ [ Σ_c (G g Gᵀ) ⊙ (Bᵀ d B) ] A            U = G g Gᵀ, V = Bᵀ d B   (each 6×6)
//! ```
//!
//! so with the tiles of a chunk of images as rows, each of the 36 positions `ξ` of the 6×6 transform
//! domain is a matrix product `M_ξ (T, Cout) = V_ξ (T, Cin) · U_ξ (Cin, Cout)`: 36·Cin·Cout
//! multiplications per 16 outputs instead of 9·Cin·Cout per output.
//!
//! The backward pass is the transpose of the same bilinear form. With `E = A e Aᵀ` for the output
//! gradient tile `e (4×4)`:
//!
//! ```text
//! ∂/∂d = B (E ⊙ U) Bᵀ      → dV_ξ (T, Cin)  = E_ξ (T, Cout) · U_ξᵀ, added onto the overlapping input tiles
//! ∂/∂g = Gᵀ (E ⊙ V) G      → dU_ξ (Cin, Cout) += V_ξᵀ (Cin, T) · E_ξ (T, Cout), summed over all tiles
//! ```
//!
//! Every tile transform (`P X Pᵀ` for a small matrix `P`) runs over vectors of channels: inputs and
//! output gradients are first copied channels-last, so the transforms vectorise and write the matrix
//! products' rows directly. The transforms are exact in real arithmetic; in `f32` they round more
//! than im2col does (their constants, such as 1/6 and 1/24, are not exact in binary, and they add
//! terms of quite different sizes), so the results differ slightly from a direct convolution, far
//! below the noise of training (the test below bounds the difference at 10⁻⁵ of the largest value).
//!
//! Matrices from Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016), with the
//! interpolation points 0, ±1, ±2, ∞.

use crate::ops::blocked;
use crate::ops::epilogue::Output;
use crate::ops::lanes::{Lanes, L4};
use crate::ops::{matmul, Mat, Scratch};

/// Output tile side (`m` of F(m×m, 3×3)).
const M: usize = 4;
/// Input tile side, `m + 3 - 1`.
const ALPHA: usize = M + 2;
/// Positions of the transform domain, one matrix product each.
const XI: usize = ALPHA * ALPHA;

/// Upper bound on the transformed values (inputs and outputs of the 36 products) of one chunk of
/// images: 512 KiB, so that the products read what the input transform has just written while it is
/// still in a core's cache (larger chunks make larger products but leave the cache).
const CHUNK_VALUES: usize = 1 << 17;

/// Whether the forward products go through [`blocked::product`] (wasm32, where gemm's kernel spills
/// registers in V8) rather than gemm (natively, where gemm's AVX kernels are faster).
const BLOCKED_PRODUCTS: bool = cfg!(target_arch = "wasm32");

/// A small dense matrix (at most 6×6), row-major.
#[derive(Clone, Copy)]
struct Small {
    rows: usize,
    cols: usize,
    v: [f32; XI],
}

impl Small {
    const fn new<const R: usize, const C: usize>(m: [[f32; C]; R]) -> Self {
        let mut v = [0f32; XI];
        let mut i = 0;
        while i < R {
            let mut j = 0;
            while j < C {
                v[i * C + j] = m[i][j];
                j += 1;
            }
            i += 1;
        }
        Self { rows: R, cols: C, v }
    }

    const fn t(&self) -> Self {
        let mut v = [0f32; XI];
        let mut i = 0;
        while i < self.rows {
            let mut j = 0;
            while j < self.cols {
                v[j * self.rows + i] = self.v[i * self.cols + j];
                j += 1;
            }
            i += 1;
        }
        Self { rows: self.cols, cols: self.rows, v }
    }
}

/// Input transform `Bᵀ (6×6)`.
const BT: Small = Small::new([
    [4.0, 0.0, -5.0, 0.0, 1.0, 0.0],
    [0.0, -4.0, -4.0, 1.0, 1.0, 0.0],
    [0.0, 4.0, -4.0, -1.0, 1.0, 0.0],
    [0.0, -2.0, -1.0, 2.0, 1.0, 0.0],
    [0.0, 2.0, -1.0, -2.0, 1.0, 0.0],
    [0.0, 4.0, 0.0, -5.0, 0.0, 1.0],
]);
/// Filter transform `G (6×3)`.
const G: Small = Small::new([
    [1.0 / 4.0, 0.0, 0.0],
    [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
    [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
    [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
    [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
    [0.0, 0.0, 1.0],
]);
/// Output transform `Aᵀ (4×6)`.
const AT: Small =
    Small::new([[1.0, 1.0, 1.0, 1.0, 1.0, 0.0], [0.0, 1.0, -1.0, 2.0, -2.0, 0.0], [0.0, 1.0, 1.0, 4.0, 4.0, 0.0], [0.0, 1.0, -1.0, 8.0, -8.0, 1.0]]);
const B: Small = BT.t();
const A: Small = AT.t();
const GT: Small = G.t();

/// `P x` for an `(R, C)` matrix `P`. Inlined with a constant `P`, the zero entries vanish and the
/// ±1 entries become plain additions and subtractions.
#[inline(always)]
fn apply<V: Lanes, const R: usize, const C: usize>(p: &Small, x: [V; C]) -> [V; R] {
    debug_assert_eq!((p.rows, p.cols), (R, C));
    let mut out = [V::NEG_ZERO; R];
    for (i, o) in out.iter_mut().enumerate() {
        for (j, &xj) in x.iter().enumerate() {
            let c = p.v[i * C + j];
            if c != 0.0 {
                *o = o.add_scaled(xj, c);
            }
        }
    }
    out
}

/// `P X Pᵀ` for an `(R, C)` matrix `P` and a `C×C` tile `X`.
#[inline(always)]
fn sandwich<V: Lanes, const R: usize, const C: usize>(p: &Small, x: [[V; C]; C]) -> [[V; R]; R] {
    // Rows: t[k] = P x[k], so t[k][j] = Σ_l p[j][l] x[k][l]; then columns: out[i][j] = Σ_k p[i][k] t[k][j].
    // (Plain loops: `array::map` and `array::from_fn` are not always inlined in wasm32.)
    let mut t = [[V::NEG_ZERO; R]; C];
    for k in 0..C {
        t[k] = apply::<V, R, C>(p, x[k]);
    }
    let mut out = [[V::NEG_ZERO; R]; R];
    for j in 0..R {
        let mut col = [V::NEG_ZERO; C];
        for k in 0..C {
            col[k] = t[k][j];
        }
        let col = apply::<V, R, C>(p, col);
        for i in 0..R {
            out[i][j] = col[i];
        }
    }
    out
}

/// Where one tile's values lie in a buffer: `at + row·row_stride + col·col_stride + channel·ch_stride`.
#[derive(Clone, Copy)]
struct Place {
    at: usize,
    row: usize,
    col: usize,
    ch: usize,
}

impl Place {
    #[inline(always)]
    fn of(&self, i: usize, j: usize, ch: usize) -> usize {
        self.at + i * self.row + j * self.col + ch * self.ch
    }
}

/// For each vector of `V::N` of the `channels` (a multiple of it): loads a `C×C` tile from `src` at
/// `from`, transforms it to `P X Pᵀ`, and stores its `R×R` values into `dst` at `to`, only where
/// `keep(i, j)` (adding when `add`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn transform<V: Lanes, const R: usize, const C: usize>(
    p: &Small,
    src: &[f32],
    from: Place,
    dst: &mut [f32],
    to: Place,
    keep: impl Fn(usize, usize) -> bool,
    add: bool,
    channels: usize,
) {
    for ch in (0..channels).step_by(V::N) {
        let mut x = [[V::NEG_ZERO; C]; C];
        for k in 0..C {
            for l in 0..C {
                x[k][l] = V::load(&src[from.of(k, l, ch)..], from.ch);
            }
        }
        let y = sandwich::<V, R, C>(p, x);
        for (i, row) in y.into_iter().enumerate() {
            for (j, v) in row.into_iter().enumerate() {
                if keep(i, j) {
                    v.store(&mut dst[to.of(i, j, ch)..], to.ch, add);
                }
            }
        }
    }
}

/// Evaluates `$body` with the type `$V` bound to the widest [`Lanes`] that fit `$channels`: eight
/// lanes compiled for AVX when the CPU has it and the count is a multiple of eight (x86-64), else
/// four. Either gives the same bits.
macro_rules! by_lanes {
    ($channels:expr, $V:ident => $body:expr) => {{
        #[cfg(target_arch = "x86_64")]
        let wide = if ($channels) % 8 == 0 {
            crate::ops::lanes::with_avx(
                #[inline(always)]
                || {
                    type $V = crate::ops::lanes::L8;
                    $body
                },
            )
        } else {
            None
        };
        #[cfg(not(target_arch = "x86_64"))]
        let wide = None;
        match wide {
            Some(done) => done,
            None => {
                type $V = L4;
                $body
            }
        }
    }};
}

/// A 3×3, stride-1, valid convolution of `(H, W)` maps from `cin` to `cout` channels, planned for
/// F(4×4, 3×3).
#[derive(Debug, Clone, Copy)]
pub(super) struct Winograd {
    cin: usize,
    cout: usize,
    h: usize,
    w: usize,
    /// Output size, `H - 2` by `W - 2`.
    oh: usize,
    ow: usize,
    /// Tiles per image down and across.
    ty: usize,
    tx: usize,
}

impl Winograd {
    /// The plan for a `(Cin → Cout, KH×KW)` convolution of `H×W` maps, or `None` when it is not 3×3,
    /// has too few input channels for the products to pay (the first layer's one), channel counts
    /// that are not whole lanes of four (none of the models has such a layer, so there is no scalar
    /// path, which would only add to the size of the wasm), or when padding the output to whole tiles
    /// wastes more than it saves.
    pub(super) fn plan(cin: usize, cout: usize, h: usize, w: usize, kh: usize, kw: usize) -> Option<Self> {
        if (kh, kw) != (3, 3) || cin < 8 || !cin.is_multiple_of(4) || !cout.is_multiple_of(4) || h < 3 || w < 3 {
            return None;
        }
        let (oh, ow) = (h - 2, w - 2);
        let plan = Self { cin, cout, h, w, oh, ow, ty: oh.div_ceil(M), tx: ow.div_ceil(M) };
        // Multiplications per image and channel pair: 36 per tile against 9 per output value; at
        // least half must go for the transforms to pay.
        (XI * plan.tiles() * 2 <= 9 * oh * ow).then_some(plan)
    }

    /// Tiles per image.
    fn tiles(&self) -> usize {
        self.ty * self.tx
    }

    /// Images per chunk: the transformed inputs and outputs of a chunk stay under [`CHUNK_VALUES`].
    pub(super) fn chunk(&self, batch: usize) -> usize {
        (CHUNK_VALUES / (XI * self.tiles() * (self.cin + self.cout))).clamp(1, batch.max(1))
    }

    /// Side of the staged (channels-last, zero-padded) input: whole input tiles.
    fn staged(&self) -> (usize, usize) {
        (self.ty * M + 2, self.tx * M + 2)
    }

    /// The transformed filters `U (36, Cin, Cout)`, `U_ξ[ci][co] = (G w[co, ci] Gᵀ)_ξ`, from `w (Cout,
    /// Cin, 3, 3)`.
    pub(super) fn filters(&self, w: &[f32]) -> Vec<f32> {
        let (cin, cout) = (self.cin, self.cout);
        let mut u = vec![0f32; XI * cin * cout];
        // Lanes run over output channels.
        by_lanes!(cout, V => for ci in 0..cin {
            let from = Place { at: ci * 9, row: 3, col: 1, ch: cin * 9 };
            let to = Place { at: ci * cout, row: ALPHA * cin * cout, col: cin * cout, ch: 1 };
            transform::<V, 6, 3>(&G, w, from, &mut u, to, |_, _| true, false, cout);
        });
        u
    }

    /// Adds the weight gradient `Gᵀ dU G` onto `dw (Cout, Cin, 3, 3)` from `du (36, Cin, Cout)`.
    pub(super) fn filter_grad(&self, du: &[f32], dw: &mut [f32]) {
        let (cin, cout) = (self.cin, self.cout);
        by_lanes!(cout, V => for ci in 0..cin {
            let from = Place { at: ci * cout, row: ALPHA * cin * cout, col: cin * cout, ch: 1 };
            let to = Place { at: ci * 9, row: 3, col: 1, ch: cin * 9 };
            transform::<V, 3, 6>(&GT, du, from, dw, to, |_, _| true, true, cout);
        });
    }

    /// Copies `nb` maps `(C, hs', ws')` (the planes of channel `c` of image `b` at `src[c·cs + b·bs]`,
    /// `h` by `w` of them real) channels-last into `st (nb, hs, ws, C)`, zero beyond `h` and `w`.
    #[allow(clippy::too_many_arguments)]
    fn stage(src: &[f32], nb: usize, c: usize, (bs, cs): (usize, usize), (h, w): (usize, usize), (hs, ws): (usize, usize), st: &mut [f32]) {
        for b in 0..nb {
            for y in 0..hs {
                let row = &mut st[(b * hs + y) * ws * c..][..ws * c];
                row[if y < h { w * c } else { 0 }..].fill(0.0);
            }
            for ch in 0..c {
                let plane = &src[ch * cs + b * bs..][..h * w];
                for (y, row) in plane.chunks_exact(w).enumerate() {
                    let dst = &mut st[(b * hs + y) * ws * c + ch..];
                    for (xx, &val) in row.iter().enumerate() {
                        dst[xx * c] = val;
                    }
                }
            }
        }
    }

    /// Calls `f(b, ty, tx, t)` for every tile of `nb` images: image `b`, tile row `ty` and column `tx`,
    /// `t` its row in the transformed matrices.
    #[inline(always)]
    fn each_tile(&self, nb: usize, mut f: impl FnMut(usize, usize, usize, usize)) {
        for b in 0..nb {
            for ty in 0..self.ty {
                for tx in 0..self.tx {
                    f(b, ty, tx, (b * self.ty + ty) * self.tx + tx);
                }
            }
        }
    }

    /// `out (36, T, c) = P X Pᵀ` for every `C×C` tile `X` of the staged maps `st (nb, hs, ws, c)`, the
    /// tiles `M` apart, on vectors of `V::N` channels. (Inlined where `p` is a constant, so that its
    /// zero and ±1 entries fold away.)
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn transform_staged<V: Lanes, const C: usize>(&self, p: &Small, st: &[f32], nb: usize, (hs, ws): (usize, usize), c: usize, out: &mut [f32]) {
        let t_all = nb * self.tiles();
        self.each_tile(nb, |b, ty, tx, t| {
            let from = Place { at: ((b * hs + ty * M) * ws + tx * M) * c, row: ws * c, col: c, ch: 1 };
            let to = Place { at: t * c, row: ALPHA * t_all * c, col: t_all * c, ch: 1 };
            transform::<V, ALPHA, C>(p, st, from, out, to, |_, _| true, false, c);
        });
    }

    /// `V (36, T, Cin) = Bᵀ d B` for every input tile of `x (nb, Cin, H, W)`.
    fn transform_input(&self, x: &[f32], nb: usize, v: &mut [f32]) {
        let (c, staged) = (self.cin, self.staged());
        let mut st = Scratch::new(nb * staged.0 * staged.1 * c); // (nb, hs, ws, Cin)
        Self::stage(x, nb, c, (c * self.h * self.w, self.h * self.w), (self.h, self.w), staged, &mut st);
        by_lanes!(c, V => self.transform_staged::<V, ALPHA>(&BT, &st, nb, staged, c, v));
    }

    /// `E (36, T, Cout) = A e Aᵀ` for every output tile of the output gradient `g (Cout, nb·OH·OW)`.
    fn transform_grad(&self, g: &[f32], nb: usize, e: &mut [f32]) {
        let (c, p, staged) = (self.cout, self.oh * self.ow, (self.ty * M, self.tx * M));
        let mut st = Scratch::new(nb * staged.0 * staged.1 * c); // (nb, hs, ws, Cout)
        Self::stage(g, nb, c, (p, nb * p), (self.oh, self.ow), staged, &mut st);
        by_lanes!(c, V => self.transform_staged::<V, M>(&A, &st, nb, staged, c, e));
    }

    /// The forward pass for `nb` images `x (nb, Cin, H, W)` with the transformed filters `u`: writes the
    /// finished layer output into `out` (see [`Output`]).
    pub(super) fn forward(&self, u: &[f32], x: &[f32], nb: usize, out: Output) {
        let (cin, cout, t_all) = (self.cin, self.cout, nb * self.tiles());
        let mut v = Scratch::new(XI * t_all * cin);
        self.transform_input(x, nb, &mut v);
        let mut m = Scratch::new(XI * t_all * cout);
        for xi in 0..XI {
            // M_ξ (T, Cout) = V_ξ (T, Cin) · U_ξ (Cin, Cout)
            let (vx, ux) = (&v[xi * t_all * cin..][..t_all * cin], &u[xi * cin * cout..][..cin * cout]);
            let mx = &mut m[xi * t_all * cout..][..t_all * cout];
            if BLOCKED_PRODUCTS {
                blocked::product(mx, t_all, cout, cin, vx, ux);
            } else {
                matmul(mx, t_all, cout, cin, Mat::rows(vx, cin), Mat::rows(ux, cout), false, false);
            }
        }
        self.transform_output(&m, nb, out);
    }

    /// `Y = Aᵀ M A` per tile of `m (36, T, Cout)`, finished as `out` asks (bias, activation and pooling
    /// applied to the tile while it is in registers: a 4×4 tile holds whole 2×2 windows, as tiles start
    /// at even positions); values past the output are dropped.
    #[inline(never)]
    fn transform_output(&self, m: &[f32], nb: usize, mut out: Output) {
        by_lanes!(self.cout, V => self.transform_output_with::<V>(m, nb, &mut out))
    }

    /// [`Winograd::transform_output`] on vectors of `V::N` output channels.
    #[inline(always)]
    fn transform_output_with<V: Lanes>(&self, m: &[f32], nb: usize, out: &mut Output) {
        let (cout, t_all) = (self.cout, nb * self.tiles());
        let (oh, ow) = if out.pool { (self.oh / 2, self.ow / 2) } else { (self.oh, self.ow) };
        let q = oh * ow; // output values per image and channel
        self.each_tile(nb, |b, ty, tx, t| {
            let from = Place { at: t * cout, row: ALPHA * t_all * cout, col: t_all * cout, ch: 1 };
            for ch in (0..cout).step_by(V::N) {
                let mut x = [[V::NEG_ZERO; ALPHA]; ALPHA];
                for (k, row) in x.iter_mut().enumerate() {
                    for (l, v) in row.iter_mut().enumerate() {
                        *v = V::load(&m[from.of(k, l, ch)..], from.ch);
                    }
                }
                let y = sandwich::<V, M, ALPHA>(&AT, x);
                let bias = V::load(&out.bias[ch..], 1);
                let plane = (b * cout + ch) * q; // out[b, ch, 0, 0]; lanes are planes q apart
                if !out.pool {
                    for (i, row) in y.into_iter().enumerate() {
                        for (j, v) in row.into_iter().enumerate() {
                            let (oy, ox) = (ty * M + i, tx * M + j);
                            if oy < oh && ox < ow {
                                out.put(plane + oy * ow + ox, q, v, bias);
                            }
                        }
                    }
                    continue;
                }
                // The tile's four 2×2 windows (pooled positions past the pooled output are dropped).
                for wy in 0..M / 2 {
                    for wx in 0..M / 2 {
                        let (py, px) = (ty * M / 2 + wy, tx * M / 2 + wx);
                        if py < oh && px < ow {
                            let (top, bottom) = (y[2 * wy], y[2 * wy + 1]);
                            out.put_window(plane + py * ow + px, q, [top[2 * wx], top[2 * wx + 1], bottom[2 * wx], bottom[2 * wx + 1]], bias);
                        }
                    }
                }
            }
        });
    }

    /// The backward pass for `nb` images `x (nb, Cin, H, W)` whose output gradient (before the bias) is
    /// `g (Cout, nb·OH·OW)`: adds the transformed weight gradient onto `du (36, Cin, Cout)` (turned into
    /// `dw` by [`Winograd::filter_grad`] once all chunks are in) and, when given, adds these images'
    /// input gradient onto `dx (nb, Cin, H, W)`.
    pub(super) fn backward(&self, u: &[f32], x: &[f32], g: &[f32], nb: usize, du: &mut [f32], dx: Option<&mut [f32]>) {
        let (cin, cout, t_all) = (self.cin, self.cout, nb * self.tiles());
        let mut e = Scratch::new(XI * t_all * cout);
        self.transform_grad(g, nb, &mut e);
        let mut v = Scratch::new(XI * t_all * cin);
        self.transform_input(x, nb, &mut v);
        for xi in 0..XI {
            // dU_ξ (Cin, Cout) += V_ξᵀ (Cin, T) · E_ξ (T, Cout)
            let (vx, ex) = (&v[xi * t_all * cin..][..t_all * cin], &e[xi * t_all * cout..][..t_all * cout]);
            matmul(&mut du[xi * cin * cout..][..cin * cout], cin, cout, t_all, Mat::transposed(vx, cin), Mat::rows(ex, cout), true, false);
        }
        let Some(dx) = dx else { return };
        // dV_ξ (T, Cin) = E_ξ (T, Cout) · U_ξᵀ (Cout, Cin), into V's memory (no longer needed).
        for xi in 0..XI {
            let (ex, ux) = (&e[xi * t_all * cout..][..t_all * cout], &u[xi * cin * cout..][..cin * cout]);
            matmul(&mut v[xi * t_all * cin..][..t_all * cin], t_all, cin, cout, Mat::rows(ex, cout), Mat::transposed(ux, cout), false, false);
        }
        // B dV Bᵀ per tile, added onto the input positions it covers (tiles overlap by two rows and
        // columns; positions in the zero padding are dropped).
        let (hw, (h, w)) = (self.h * self.w, (self.h, self.w));
        by_lanes!(cin, V => self.each_tile(nb, |b, ty, tx, t| {
            let from = Place { at: t * cin, row: ALPHA * t_all * cin, col: t_all * cin, ch: 1 };
            let to = Place { at: b * cin * hw + ty * M * w + tx * M, row: w, col: 1, ch: hw };
            let keep = |i, j| ty * M + i < h && tx * M + j < w;
            transform::<V, ALPHA, ALPHA>(&B, &v, from, dx, to, keep, true, cin);
        }));
    }

    /// Values of the transformed weight gradient `du`.
    pub(super) fn du_len(&self) -> usize {
        XI * self.cin * self.cout
    }
}

#[cfg(test)]
mod tests {
    //! Winograd against a direct convolution in `f64`: the forward pass, the weight gradient and the
    //! input gradient, on sizes that are and are not whole tiles.
    use super::*;
    use crate::ops::pool::pool_rows;
    use crate::ops::relu1;
    use crate::ops::Activation;
    use crate::rng::Rng;

    /// `y[b, co, oy, ox] = Σ x[b, ci, oy+ky, ox+kx] · w[co, ci, ky, kx]`, and for an output gradient
    /// `g` the weight gradient `Σ g · x` and the input gradient `Σ g · w`, in `f64`.
    fn direct(x: &[f32], w: &[f32], g: &[f32], (nb, cin, h, wd, cout): (usize, usize, usize, usize, usize)) -> [Vec<f64>; 3] {
        let (oh, ow) = (h - 2, wd - 2);
        let mut y = vec![0f64; nb * cout * oh * ow];
        let (mut dw, mut dx) = (vec![0f64; w.len()], vec![0f64; x.len()]);
        for b in 0..nb {
            for co in 0..cout {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let gi = ((co * nb + b) * oh + oy) * ow + ox; // g is (Cout, nb, OH, OW)
                        let yi = ((b * cout + co) * oh + oy) * ow + ox;
                        for ci in 0..cin {
                            for k in 0..9 {
                                let xi = ((b * cin + ci) * h + oy + k / 3) * wd + ox + k % 3;
                                let wi = (co * cin + ci) * 9 + k;
                                y[yi] += x[xi] as f64 * w[wi] as f64;
                                dw[wi] += g[gi] as f64 * x[xi] as f64;
                                dx[xi] += g[gi] as f64 * w[wi] as f64;
                            }
                        }
                    }
                }
            }
        }
        [y, dw, dx]
    }

    /// Largest difference relative to the largest reference value.
    fn rel_diff(ours: &[f32], reference: &[f64]) -> f64 {
        let scale = reference.iter().fold(1e-30f64, |m, v| m.max(v.abs()));
        ours.iter().zip(reference).map(|(&a, b)| (a as f64 - b).abs()).fold(0.0, f64::max) / scale
    }

    #[test]
    fn forward_and_gradients_match_a_direct_convolution() {
        let mut rng = Rng::new(7);
        // (nb, cin, h, w, cout): the cnn's conv2 and conv3, whole tiles, uneven tiles.
        for dims in [(2, 32, 13, 13, 64), (3, 64, 5, 5, 64), (1, 8, 18, 10, 4), (2, 12, 9, 11, 8)] {
            let (nb, cin, h, wd, cout) = dims;
            let plan = Winograd::plan(cin, cout, h, wd, 3, 3).expect("planned");
            let (oh, ow) = (h - 2, wd - 2);
            // Pixel-sized inputs (0..3) and trained-weight-sized filters.
            let x = rng.uniform_vec(nb * cin * h * wd, 0.0, 3.0);
            let w = rng.uniform_vec(cout * cin * 9, -0.3, 0.3);
            let g = rng.uniform_vec(cout * nb * oh * ow, -1.0, 1.0);
            let [ry, rdw, rdx] = direct(&x, &w, &g, dims);
            let u = plan.filters(&w);
            let mut y_nchw = vec![0f32; nb * cout * oh * ow]; // (nb, Cout, OH, OW)
            let zero = vec![0f32; cout];
            plan.forward(&u, &x, nb, Output { out: &mut y_nchw, winners: None, bias: &zero, activation: Activation::Identity, pool: false });
            // The finish fused into the output transform (bias, ReLU, 2×2 max-pool and its winners) must
            // give exactly what the same steps give on the plain output.
            let bias = rng.uniform_vec(cout, -1.0, 1.0);
            let (ph, pw) = (oh / 2, ow / 2);
            let (mut pooled, mut won) = (vec![0f32; nb * cout * ph * pw], vec![9u8; nb * cout * ph * pw]);
            plan.forward(&u, &x, nb, Output { out: &mut pooled, winners: Some(&mut won), bias: &bias, activation: Activation::Relu, pool: true });
            let (mut expect, mut expect_won) = (vec![0f32; pooled.len()], vec![0u8; pooled.len()]);
            for (i, ((plane, dst), wins)) in
                y_nchw.chunks_exact(oh * ow).zip(expect.chunks_exact_mut(ph * pw)).zip(expect_won.chunks_exact_mut(ph * pw)).enumerate()
            {
                let bc = bias[i % cout];
                pool_rows(plane, ow, dst, pw, Some(wins), |m| relu1(m + bc));
            }
            assert!(pooled == expect && won == expect_won, "{dims:?}: fused bias + ReLU + pool differs");
            let mut activated = vec![0f32; y_nchw.len()];
            plan.forward(&u, &x, nb, Output { out: &mut activated, winners: None, bias: &bias, activation: Activation::Relu, pool: false });
            let expect: Vec<f32> = y_nchw.iter().enumerate().map(|(i, &v)| relu1(v + bias[i / (oh * ow) % cout])).collect();
            assert!(activated == expect, "{dims:?}: fused bias + ReLU differs");
            let (mut du, mut dw, mut dx) = (vec![0f32; plan.du_len()], vec![0f32; w.len()], vec![0f32; x.len()]);
            plan.backward(&u, &x, &g, nb, &mut du, Some(&mut dx));
            plan.filter_grad(&du, &mut dw);
            for (what, ours, reference) in [("forward", &y_nchw, &ry), ("weight gradient", &dw, &rdw), ("input gradient", &dx, &rdx)] {
                let d = rel_diff(ours, reference);
                // Rounding stays well below the bound; a wrong matrix entry gives errors of order 1.
                assert!(d < 1e-5, "{dims:?} {what}: relative difference {d}");
            }
        }
    }

    #[test]
    fn plans_only_convolutions_that_gain() {
        assert!(Winograd::plan(1, 32, 28, 28, 3, 3).is_none(), "one input channel: products too thin");
        assert!(Winograd::plan(32, 64, 13, 13, 5, 5).is_none(), "not 3×3");
        assert!(Winograd::plan(10, 64, 13, 13, 3, 3).is_none(), "not whole lanes");
        assert!(Winograd::plan(32, 64, 4, 4, 3, 3).is_none(), "2×2 output: one tile of 16 for 4 values");
        assert!(Winograd::plan(32, 64, 13, 13, 3, 3).is_some());
    }
}
