//! A direct 3×3 convolution for layers with a single input channel (the first layer of the CNNs),
//! four output channels at a time, with the bias, activation and 2×2 max-pool finished in registers.
//!
//! im2col + gemm fits such a layer poorly: its product has an inner dimension of only 9, so gemm
//! spends much of its time packing operands and storing results, im2col copies every pixel nine
//! times, and the un-pooled output (the largest activation of the network: 32×26×26 values per image
//! in the cnn) is written out and read back to be pooled. Here each output value is nine
//! multiply-adds of a broadcast pixel with a vector of four channels' weights, and only the pooled
//! values are stored. Forward pass only: the backward pass of these layers (no input gradient, as
//! the input is the image) stays on im2col + gemm, where the weight gradient's inner dimension is large.

use crate::ops::epilogue::Output;
use crate::ops::lanes::L4;

/// Taps of the 3×3 kernel.
const TAPS: usize = 9;

/// A 3×3, stride-1, valid convolution of one-channel `(H, W)` maps to `cout` channels.
#[derive(Debug, Clone, Copy)]
pub(super) struct Direct {
    cout: usize,
    h: usize,
    w: usize,
}

impl Direct {
    /// The plan for a `(Cin → Cout, KH×KW)` convolution of `H×W` maps, or `None` unless it is 3×3 with
    /// one input channel and whole lanes of four output channels.
    pub(super) fn plan(cin: usize, cout: usize, h: usize, w: usize, kh: usize, kw: usize) -> Option<Self> {
        (cin == 1 && (kh, kw) == (3, 3) && cout.is_multiple_of(4) && h >= 3 && w >= 3).then_some(Self { cout, h, w })
    }

    /// The weights `w (Cout, 1, 3, 3)` as `(9, Cout)`: each tap's weights for all output channels, so that
    /// four channels' weights for a tap are one vector load.
    pub(super) fn filters(&self, w: &[f32]) -> Vec<f32> {
        let mut taps = vec![0f32; TAPS * self.cout];
        for (co, kernel) in w.chunks_exact(TAPS).enumerate() {
            for (k, &v) in kernel.iter().enumerate() {
                taps[k * self.cout + co] = v;
            }
        }
        taps
    }

    /// The forward pass for `nb` images `x (nb, 1, H, W)` with the weights `taps (9, Cout)` from
    /// [`Direct::filters`]: writes the finished layer output into `out` (see [`Output`]).
    pub(super) fn forward(&self, taps: &[f32], x: &[f32], nb: usize, mut out: Output) {
        let (cout, w) = (self.cout, self.w);
        let (oh, ow) = if out.pool { ((self.h - 2) / 2, (self.w - 2) / 2) } else { (self.h - 2, self.w - 2) };
        let q = oh * ow; // output values per image and channel
        for (b, image) in x.chunks_exact(self.h * w).take(nb).enumerate() {
            for ch in (0..cout).step_by(4) {
                let mut wt = [L4::NEG_ZERO; TAPS];
                for (k, t) in wt.iter_mut().enumerate() {
                    *t = L4::load(&taps[k * cout + ch..], 1);
                }
                let bias = L4::load(&out.bias[ch..], 1);
                let plane = (b * cout + ch) * q; // out[b, ch, 0, 0]; lanes are planes q apart
                for y in 0..oh {
                    for xx in 0..ow {
                        let at = plane + y * ow + xx;
                        if !out.pool {
                            let row = |r: usize| -> &[f32; 3] { image[(y + r) * w + xx..][..3].try_into().expect("3 pixels") };
                            let rows = [row(0), row(1), row(2)];
                            out.put(at, q, dot(&rows, 0, 0, &wt), bias);
                            continue;
                        }
                        // The 4×4 pixels under the 2×2 window of outputs at (2y, 2x).
                        // (Explicit arrays: `array::from_fn` is not always inlined in wasm32.)
                        let row = |r: usize| -> &[f32; 4] { image[(2 * y + r) * w + 2 * xx..][..4].try_into().expect("4 pixels") };
                        let rows = [row(0), row(1), row(2), row(3)];
                        out.put_window(at, q, [dot(&rows, 0, 0, &wt), dot(&rows, 0, 1, &wt), dot(&rows, 1, 0, &wt), dot(&rows, 1, 1, &wt)], bias);
                    }
                }
            }
        }
    }
}

/// `Σ_k rows[dy + ky][dx + kx] · wt[k]` over the taps in order, for four channels: one output value.
/// (With constant `dy`, `dx` every pixel index is a constant, so the loads need no bounds checks.)
#[inline(always)]
fn dot<const N: usize>(rows: &[&[f32; N]; N], dy: usize, dx: usize, wt: &[L4; TAPS]) -> L4 {
    let mut acc = L4::NEG_ZERO;
    for (k, &t) in wt.iter().enumerate() {
        acc = acc.add_product(L4::splat(rows[dy + k / 3][dx + k % 3]), t);
    }
    acc
}
