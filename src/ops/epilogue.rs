//! The epilogues shared by the convolution kernels and the dense layer: where a forward pass writes
//! its finished values (bias, activation and, fused, 2×2 max-pooling), and the activation's gradient
//! mask of a backward pass. A leaf module, so that the kernels (`direct`, `winograd`) and their
//! dispatcher (`conv`) depend on it and not on each other.

use super::lanes::Lanes;
use super::Activation;

/// Where a forward pass writes: the layer's finished output `out (nb, Cout, oh, ow)`, that is
/// `act(conv + bias)`, or with `pool` `act(max of each 2×2 window + bias)` with `oh, ow` half the
/// convolution's (rounded down), and then each window's winner (0–3, as
/// [`super::pool::window_max`]) in `winners (nb, Cout, oh, ow)` when given. (`pool(act(y + b)) =
/// act(pool(y) + b)`, as the activation is monotonic.)
pub(super) struct Output<'a> {
    pub out: &'a mut [f32],
    pub winners: Option<&'a mut [u8]>,
    pub bias: &'a [f32],
    pub activation: Activation,
    pub pool: bool,
}

impl Output<'_> {
    /// Stores `act(v + bias)` for one vector of channels at `out[at]`, the lanes `q` values apart (the
    /// same position in consecutive channel planes). `bias` holds those channels' biases.
    #[inline(always)]
    pub(super) fn put<V: Lanes>(&mut self, at: usize, q: usize, v: V, bias: V) {
        v.add(bias).activate(self.activation).store(&mut self.out[at..], q, false);
    }

    /// [`Output::put`] for the maximum of a 2×2 window of convolution values `[top left, top right,
    /// bottom left, bottom right]`, and the winner of each lane into `winners` when given. The one
    /// place where the fast kernels pool in registers, so they all agree with
    /// [`super::pool::window_max`] on ties.
    #[inline(always)]
    pub(super) fn put_window<V: Lanes>(&mut self, at: usize, q: usize, [a, b, c, d]: [V; 4], bias: V) {
        let mut winners = self.winners.as_deref_mut();
        let best = V::window_max(a, b, c, d, |lane, i| {
            if let Some(w) = winners.as_deref_mut() {
                w[at + lane * q] = i;
            }
        });
        self.put(at, q, best, bias);
    }
}

/// Writes the pre-activation gradient `dst = grad · act'(out)`. ReLU's derivative is taken as `out > 0`
/// (0 at 0, as Candle's).
#[inline]
pub(super) fn mask(activation: Activation, grad: &[f32], out: &[f32], dst: &mut [f32]) {
    match activation {
        Activation::Identity => dst.copy_from_slice(grad),
        Activation::Relu => {
            for ((d, &g), &o) in dst.iter_mut().zip(grad).zip(out) {
                *d = if o > 0.0 { g } else { 0.0 };
            }
        }
    }
}
