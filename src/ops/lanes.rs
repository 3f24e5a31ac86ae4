//! [`L4`]: four `f32` lanes for the Winograd tile transforms and the direct kernel, with one
//! implementation per target: SIMD128 intrinsics in wasm32 builds with `+simd128` (the shipped one),
//! SSE intrinsics on x86-64 (the native CLI), and plain arrays elsewhere (other native targets, and
//! a wasm32 build without `+simd128`, which the project does not ship). On x86-64 CPUs with AVX
//! (detected at run time), the transforms take [`L8`] instead: eight lanes, through the [`Lanes`]
//! trait that both implement.
//!
//! Why intrinsics: with `[f32; 4]` arrays, LLVM's vectoriser keeps a 6×6 tile of lanes in stack
//! memory (scalar copies, then vector loads) and mixes lanes of different vectors with shuffles.
//! With one register per group of four lanes, every arithmetic operation is one instruction on
//! whole vectors. All implementations do
//! the same IEEE operations in the same order (a multiply then an add, never fused), so results are
//! bit for bit the same on every target.

use super::Activation;

pub(super) use imp::L4;
#[cfg(target_arch = "x86_64")]
pub(super) use wide::{with_avx, L8};

/// A vector of [`Lanes::N`] `f32` lanes: what the Winograd transforms and the convolutions' epilogue
/// need, so that they compile for four lanes ([`L4`], every target) and, on x86-64 CPUs with AVX,
/// eight ([`L8`]). Every implementation does the same IEEE operations lane by lane, so a transform
/// gives the same bits at any width.
pub(super) trait Lanes: Copy {
    /// Lanes per vector.
    const N: usize;

    /// `-0.0`: the identity of addition (`-0.0 + x == x` for every `x`, so the compiler drops it).
    const NEG_ZERO: Self;

    /// `self + c·x`, where `c` is a constant once inlined: `±1` become an addition or a subtraction.
    fn add_scaled(self, x: Self, c: f32) -> Self;

    /// `self + x`.
    fn add(self, x: Self) -> Self;

    /// The activation of each lane, with ReLU's compare (`x > 0 ? x : 0`).
    fn activate(self, act: Activation) -> Self;

    /// Loads `src[0], src[stride], …` (one vector load when `stride` is 1).
    fn load(src: &[f32], stride: usize) -> Self;

    /// Stores to (or, with `add`, adds onto) `dst[0], dst[stride], …`.
    fn store(self, dst: &mut [f32], stride: usize, add: bool);

    /// Per lane, the first maximum of the 2×2 window `[a, b]` over `[c, d]`, with the compares of
    /// [`super::pool::window_max`]; calls `won(lane, position)` with each lane's winner (0–3).
    fn window_max(a: Self, b: Self, c: Self, d: Self, won: impl FnMut(usize, u8)) -> Self;
}

impl Lanes for L4 {
    const N: usize = 4;
    const NEG_ZERO: Self = L4::NEG_ZERO;

    #[inline(always)]
    fn add_scaled(self, x: Self, c: f32) -> Self {
        L4::add_scaled(self, x, c)
    }

    #[inline(always)]
    fn add(self, x: Self) -> Self {
        L4::add(self, x)
    }

    #[inline(always)]
    fn activate(self, act: Activation) -> Self {
        L4::activate(self, act)
    }

    #[inline(always)]
    fn load(src: &[f32], stride: usize) -> Self {
        L4::load(src, stride)
    }

    #[inline(always)]
    fn store(self, dst: &mut [f32], stride: usize, add: bool) {
        L4::store(self, dst, stride, add)
    }

    #[inline(always)]
    fn window_max(a: Self, b: Self, c: Self, d: Self, mut won: impl FnMut(usize, u8)) -> Self {
        let (best, winners) = L4::window_max(a, b, c, d);
        for (lane, &i) in winners.iter().enumerate() {
            won(lane, i);
        }
        best
    }
}

/// Stores (or, with `add`, adds) the values of a vector's lanes to `dst[0], dst[stride], …`: the
/// strided half of every [`Lanes::store`], one scalar store per lane.
#[inline(always)]
fn store_strided(lanes: &[f32], dst: &mut [f32], stride: usize, add: bool) {
    for (i, &v) in lanes.iter().enumerate() {
        let d = &mut dst[i * stride];
        *d = if add { *d + v } else { v };
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use super::Activation;
    use core::arch::wasm32::*;

    /// Four `f32` lanes in one SIMD128 register.
    #[derive(Clone, Copy)]
    pub(in crate::ops) struct L4(v128);

    impl L4 {
        /// `-0.0`: the identity of addition (`-0.0 + x == x` for every `x`, so the compiler drops it).
        pub(in crate::ops) const NEG_ZERO: Self = L4(f32x4(-0.0, -0.0, -0.0, -0.0));

        /// `+0.0` in every lane: where sums start (as in a plain `0.0 + a·b + …`).
        pub(in crate::ops) const ZERO: Self = L4(f32x4(0.0, 0.0, 0.0, 0.0));

        /// Loads the four values at `p` (for kernels that checked their bounds once, up front).
        ///
        /// # Safety
        /// `p..p+4` must be valid to read.
        #[inline(always)]
        pub(in crate::ops) unsafe fn load_ptr(p: *const f32) -> Self {
            L4(v128_load(p as *const v128))
        }

        /// `*p` in every lane (one `v128.load32_splat`).
        ///
        /// # Safety
        /// `p` must be valid to read.
        #[inline(always)]
        pub(in crate::ops) unsafe fn splat_ptr(p: *const f32) -> Self {
            L4(v128_load32_splat(p as *const u32))
        }

        /// Stores the four lanes at `p`.
        ///
        /// # Safety
        /// `p..p+4` must be valid to write.
        #[inline(always)]
        pub(in crate::ops) unsafe fn store_ptr(self, p: *mut f32) {
            v128_store(p as *mut v128, self.0)
        }

        /// `self + c·x`, where `c` is a constant once inlined: `±1` become an addition or a
        /// subtraction (exact either way: `1·x == x`).
        #[inline(always)]
        pub(in crate::ops) fn add_scaled(self, x: Self, c: f32) -> Self {
            L4(if c == 1.0 {
                f32x4_add(self.0, x.0)
            } else if c == -1.0 {
                f32x4_sub(self.0, x.0)
            } else {
                f32x4_add(self.0, f32x4_mul(f32x4_splat(c), x.0))
            })
        }

        /// `self + x`.
        #[inline(always)]
        pub(in crate::ops) fn add(self, x: Self) -> Self {
            L4(f32x4_add(self.0, x.0))
        }

        /// `self + x·y`, lane by lane.
        #[inline(always)]
        pub(in crate::ops) fn add_product(self, x: Self, y: Self) -> Self {
            L4(f32x4_add(self.0, f32x4_mul(x.0, y.0)))
        }

        /// `v` in every lane.
        #[inline(always)]
        pub(in crate::ops) fn splat(v: f32) -> Self {
            L4(f32x4_splat(v))
        }

        /// The activation of each lane. (`pmax(0, x)` is `0 < x ? x : 0`, exactly ReLU's compare.)
        #[inline(always)]
        pub(in crate::ops) fn activate(self, act: Activation) -> Self {
            match act {
                Activation::Identity => self,
                Activation::Relu => L4(f32x4_pmax(f32x4_splat(0.0), self.0)),
            }
        }

        /// Loads `src[0], src[stride], …` (one vector load when `stride` is 1).
        #[inline(always)]
        pub(in crate::ops) fn load(src: &[f32], stride: usize) -> Self {
            if stride == 1 {
                let s = &src[..4];
                // SAFETY: `s` holds four f32s; v128 loads need no alignment.
                L4(unsafe { v128_load(s.as_ptr() as *const v128) })
            } else {
                L4(f32x4(src[0], src[stride], src[2 * stride], src[3 * stride]))
            }
        }

        /// Stores to (or, with `add`, adds onto) `dst[0], dst[stride], …`.
        #[inline(always)]
        pub(in crate::ops) fn store(self, dst: &mut [f32], stride: usize, add: bool) {
            if stride == 1 {
                let d = &mut dst[..4];
                let v = if add { f32x4_add(Self::load(d, 1).0, self.0) } else { self.0 };
                // SAFETY: `d` holds four f32s; v128 stores need no alignment.
                unsafe { v128_store(d.as_mut_ptr() as *mut v128, v) };
                return;
            }
            let lanes = [f32x4_extract_lane::<0>(self.0), f32x4_extract_lane::<1>(self.0), f32x4_extract_lane::<2>(self.0), f32x4_extract_lane::<3>(self.0)];
            super::store_strided(&lanes, dst, stride, add);
        }

        /// Per lane, the first maximum of the 2×2 window `[a, b]` over `[c, d]` and its position (0–3),
        /// with the compares of [`super::super::pool::window_max`].
        #[inline(always)]
        pub(in crate::ops) fn window_max(a: Self, b: Self, c: Self, d: Self) -> (Self, [u8; 4]) {
            let (a, b, c, d) = (a.0, b.0, c.0, d.0);
            let b_wins = f32x4_gt(b, a);
            let (top, top_i) = (v128_bitselect(b, a, b_wins), v128_and(b_wins, i32x4_splat(1)));
            let d_wins = f32x4_gt(d, c);
            let (bottom, bottom_i) = (v128_bitselect(d, c, d_wins), v128_bitselect(i32x4_splat(3), i32x4_splat(2), d_wins));
            let bottom_wins = f32x4_gt(bottom, top);
            let (best, i) = (v128_bitselect(bottom, top, bottom_wins), v128_bitselect(bottom_i, top_i, bottom_wins));
            let lanes = [i32x4_extract_lane::<0>(i), i32x4_extract_lane::<1>(i), i32x4_extract_lane::<2>(i), i32x4_extract_lane::<3>(i)];
            (L4(best), lanes.map(|l| l as u8))
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use super::Activation;
    use core::arch::x86_64::*;

    /// Four `f32` lanes in one SSE register (SSE2 is part of every x86-64 CPU).
    #[derive(Clone, Copy)]
    pub(in crate::ops) struct L4(__m128);

    /// `if mask { a } else { b }` lane by lane, for masks from a compare.
    #[inline(always)]
    fn select(mask: __m128, a: __m128, b: __m128) -> __m128 {
        // SAFETY: SSE is always available on x86-64.
        unsafe { _mm_or_ps(_mm_and_ps(mask, a), _mm_andnot_ps(mask, b)) }
    }

    impl L4 {
        /// `-0.0`: the identity of addition (`-0.0 + x == x` for every `x`, so the compiler drops it).
        pub(in crate::ops) const NEG_ZERO: Self = L4(unsafe { core::mem::transmute::<[f32; 4], __m128>([-0.0; 4]) });

        /// `+0.0` in every lane.
        pub(in crate::ops) const ZERO: Self = L4(unsafe { core::mem::transmute::<[f32; 4], __m128>([0.0; 4]) });

        /// Loads the four values at `p`.
        ///
        /// # Safety
        /// `p..p+4` must be valid to read.
        #[inline(always)]
        pub(in crate::ops) unsafe fn load_ptr(p: *const f32) -> Self {
            L4(_mm_loadu_ps(p))
        }

        /// `*p` in every lane.
        ///
        /// # Safety
        /// `p` must be valid to read.
        #[inline(always)]
        pub(in crate::ops) unsafe fn splat_ptr(p: *const f32) -> Self {
            L4(_mm_set1_ps(*p))
        }

        /// Stores the four lanes at `p`.
        ///
        /// # Safety
        /// `p..p+4` must be valid to write.
        #[inline(always)]
        pub(in crate::ops) unsafe fn store_ptr(self, p: *mut f32) {
            _mm_storeu_ps(p, self.0)
        }

        /// `self + c·x`, where `c` is a constant once inlined: `±1` become an addition or a subtraction.
        #[inline(always)]
        pub(in crate::ops) fn add_scaled(self, x: Self, c: f32) -> Self {
            // SAFETY: SSE is always available on x86-64.
            L4(unsafe {
                if c == 1.0 {
                    _mm_add_ps(self.0, x.0)
                } else if c == -1.0 {
                    _mm_sub_ps(self.0, x.0)
                } else {
                    _mm_add_ps(self.0, _mm_mul_ps(_mm_set1_ps(c), x.0))
                }
            })
        }

        /// `self + x`.
        #[inline(always)]
        pub(in crate::ops) fn add(self, x: Self) -> Self {
            // SAFETY: SSE is always available on x86-64.
            L4(unsafe { _mm_add_ps(self.0, x.0) })
        }

        /// `self + x·y`, lane by lane (a multiply, then an add: no fused rounding, as in wasm32).
        #[inline(always)]
        pub(in crate::ops) fn add_product(self, x: Self, y: Self) -> Self {
            // SAFETY: SSE is always available on x86-64.
            L4(unsafe { _mm_add_ps(self.0, _mm_mul_ps(x.0, y.0)) })
        }

        /// `v` in every lane.
        #[inline(always)]
        pub(in crate::ops) fn splat(v: f32) -> Self {
            // SAFETY: SSE is always available on x86-64.
            L4(unsafe { _mm_set1_ps(v) })
        }

        /// The activation of each lane. (`maxps(x, 0)` is `x > 0 ? x : 0`, exactly ReLU's compare.)
        #[inline(always)]
        pub(in crate::ops) fn activate(self, act: Activation) -> Self {
            match act {
                Activation::Identity => self,
                // SAFETY: SSE is always available on x86-64.
                Activation::Relu => L4(unsafe { _mm_max_ps(self.0, _mm_setzero_ps()) }),
            }
        }

        /// Loads `src[0], src[stride], …` (one vector load when `stride` is 1).
        #[inline(always)]
        pub(in crate::ops) fn load(src: &[f32], stride: usize) -> Self {
            if stride == 1 {
                let s = &src[..4];
                // SAFETY: `s` holds four f32s; `loadu` needs no alignment.
                L4(unsafe { _mm_loadu_ps(s.as_ptr()) })
            } else {
                // SAFETY: SSE is always available on x86-64.
                L4(unsafe { _mm_setr_ps(src[0], src[stride], src[2 * stride], src[3 * stride]) })
            }
        }

        /// Stores to (or, with `add`, adds onto) `dst[0], dst[stride], …`.
        #[inline(always)]
        pub(in crate::ops) fn store(self, dst: &mut [f32], stride: usize, add: bool) {
            if stride == 1 {
                let d = &mut dst[..4];
                let v = if add { Self::load(d, 1).add(self).0 } else { self.0 };
                // SAFETY: `d` holds four f32s; `storeu` needs no alignment.
                unsafe { _mm_storeu_ps(d.as_mut_ptr(), v) };
                return;
            }
            // SAFETY: `__m128` and `[f32; 4]` have the same size and every bit pattern is valid.
            let lanes: [f32; 4] = unsafe { core::mem::transmute(self.0) };
            super::store_strided(&lanes, dst, stride, add);
        }

        /// Per lane, the first maximum of the 2×2 window `[a, b]` over `[c, d]` and its position (0–3),
        /// with the compares of [`super::super::pool::window_max`].
        #[inline(always)]
        pub(in crate::ops) fn window_max(a: Self, b: Self, c: Self, d: Self) -> (Self, [u8; 4]) {
            let (a, b, c, d) = (a.0, b.0, c.0, d.0);
            // SAFETY: SSE is always available on x86-64.
            unsafe {
                let index = |i: i32| _mm_castsi128_ps(_mm_set1_epi32(i));
                let b_wins = _mm_cmpgt_ps(b, a);
                let (top, top_i) = (select(b_wins, b, a), _mm_and_ps(b_wins, index(1)));
                let d_wins = _mm_cmpgt_ps(d, c);
                let (bottom, bottom_i) = (select(d_wins, d, c), select(d_wins, index(3), index(2)));
                let bottom_wins = _mm_cmpgt_ps(bottom, top);
                let (best, i) = (select(bottom_wins, bottom, top), select(bottom_wins, bottom_i, top_i));
                let lanes: [i32; 4] = core::mem::transmute(i);
                (L4(best), lanes.map(|l| l as u8))
            }
        }
    }
}

#[cfg(not(any(all(target_arch = "wasm32", target_feature = "simd128"), target_arch = "x86_64")))]
mod imp {
    use super::super::pool::window_max;
    use super::Activation;

    /// Four `f32` lanes as a plain array, for targets without a vector implementation above.
    #[derive(Clone, Copy)]
    pub(in crate::ops) struct L4([f32; 4]);

    impl L4 {
        /// `-0.0`: the identity of addition (`-0.0 + x == x` for every `x`, so the compiler drops it).
        pub(in crate::ops) const NEG_ZERO: Self = L4([-0.0; 4]);

        /// `+0.0` in every lane.
        pub(in crate::ops) const ZERO: Self = L4([0.0; 4]);

        /// Loads the four values at `p`.
        ///
        /// # Safety
        /// `p..p+4` must be valid to read.
        #[inline(always)]
        pub(in crate::ops) unsafe fn load_ptr(p: *const f32) -> Self {
            L4(p.cast::<[f32; 4]>().read_unaligned())
        }

        /// `*p` in every lane.
        ///
        /// # Safety
        /// `p` must be valid to read.
        #[inline(always)]
        pub(in crate::ops) unsafe fn splat_ptr(p: *const f32) -> Self {
            L4([*p; 4])
        }

        /// Stores the four lanes at `p`.
        ///
        /// # Safety
        /// `p..p+4` must be valid to write.
        #[inline(always)]
        pub(in crate::ops) unsafe fn store_ptr(self, p: *mut f32) {
            p.cast::<[f32; 4]>().write_unaligned(self.0)
        }

        /// `self + c·x`.
        #[inline(always)]
        pub(in crate::ops) fn add_scaled(self, x: Self, c: f32) -> Self {
            let (a, b) = (self.0, x.0);
            L4([a[0] + c * b[0], a[1] + c * b[1], a[2] + c * b[2], a[3] + c * b[3]])
        }

        /// `self + x`.
        #[inline(always)]
        pub(in crate::ops) fn add(self, x: Self) -> Self {
            let (a, b) = (self.0, x.0);
            L4([a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]])
        }

        /// `self + x·y`, lane by lane.
        #[inline(always)]
        pub(in crate::ops) fn add_product(self, x: Self, y: Self) -> Self {
            let (a, b, c) = (self.0, x.0, y.0);
            L4([a[0] + b[0] * c[0], a[1] + b[1] * c[1], a[2] + b[2] * c[2], a[3] + b[3] * c[3]])
        }

        /// `v` in every lane.
        #[inline(always)]
        pub(in crate::ops) fn splat(v: f32) -> Self {
            L4([v; 4])
        }

        /// The activation of each lane.
        #[inline(always)]
        pub(in crate::ops) fn activate(self, act: Activation) -> Self {
            L4(self.0.map(|v| act.apply(v)))
        }

        /// Loads `src[0], src[stride], …`.
        #[inline(always)]
        pub(in crate::ops) fn load(src: &[f32], stride: usize) -> Self {
            L4([src[0], src[stride], src[2 * stride], src[3 * stride]])
        }

        /// Stores to (or, with `add`, adds onto) `dst[0], dst[stride], …`.
        #[inline(always)]
        pub(in crate::ops) fn store(self, dst: &mut [f32], stride: usize, add: bool) {
            super::store_strided(&self.0, dst, stride, add);
        }

        /// Per lane, the first maximum of the 2×2 window `[a, b]` over `[c, d]` and its position (0–3),
        /// as [`window_max`].
        #[inline(always)]
        pub(in crate::ops) fn window_max(a: Self, b: Self, c: Self, d: Self) -> (Self, [u8; 4]) {
            let (mut best, mut won) = ([0f32; 4], [0u8; 4]);
            for l in 0..4 {
                (won[l], best[l]) = window_max(a.0[l], b.0[l], c.0[l], d.0[l]);
            }
            (L4(best), won)
        }
    }
}

/// Eight lanes in one AVX register, for x86-64 CPUs that have AVX (found at run time).
#[cfg(target_arch = "x86_64")]
mod wide {
    use super::{Activation, Lanes};
    use core::arch::x86_64::*;

    /// Eight `f32` lanes in one AVX register. Its methods use AVX instructions without checking for
    /// them: values of this type are made only inside [`with_avx`], which runs once the CPU is known
    /// to have AVX, and every method is inlined into it.
    #[derive(Clone, Copy)]
    pub(in crate::ops) struct L8(__m256);

    /// Whether this CPU has AVX (detected once; later calls read a cached flag).
    #[inline]
    fn has_avx() -> bool {
        std::is_x86_feature_detected!("avx")
    }

    /// Runs `f` compiled for AVX when the CPU has it; `None` (without running `f`) otherwise. `f` is
    /// meant to be an `#[inline(always)]` closure over code generic in [`Lanes`] instantiated with
    /// [`L8`], so that all of it is compiled with AVX enabled.
    #[inline(always)]
    pub(in crate::ops) fn with_avx<R>(f: impl FnOnce() -> R) -> Option<R> {
        #[target_feature(enable = "avx")]
        unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        // SAFETY: AVX is present, checked just before.
        has_avx().then(|| unsafe { run(f) })
    }

    impl Lanes for L8 {
        const N: usize = 8;
        // SAFETY: `__m256` and `[f32; 8]` have the same size and every bit pattern is valid.
        const NEG_ZERO: Self = L8(unsafe { core::mem::transmute::<[f32; 8], __m256>([-0.0; 8]) });

        #[inline(always)]
        fn add_scaled(self, x: Self, c: f32) -> Self {
            // SAFETY (here and below): AVX is present whenever an `L8` exists (see the type).
            L8(unsafe {
                if c == 1.0 {
                    _mm256_add_ps(self.0, x.0)
                } else if c == -1.0 {
                    _mm256_sub_ps(self.0, x.0)
                } else {
                    _mm256_add_ps(self.0, _mm256_mul_ps(_mm256_set1_ps(c), x.0))
                }
            })
        }

        #[inline(always)]
        fn add(self, x: Self) -> Self {
            L8(unsafe { _mm256_add_ps(self.0, x.0) })
        }

        #[inline(always)]
        fn activate(self, act: Activation) -> Self {
            match act {
                Activation::Identity => self,
                // `maxps(x, 0)` is `x > 0 ? x : 0`, exactly ReLU's compare.
                Activation::Relu => L8(unsafe { _mm256_max_ps(self.0, _mm256_setzero_ps()) }),
            }
        }

        #[inline(always)]
        fn load(src: &[f32], stride: usize) -> Self {
            if stride == 1 {
                let s = &src[..8];
                // `loadu` needs no alignment; `s` holds eight f32s.
                return L8(unsafe { _mm256_loadu_ps(s.as_ptr()) });
            }
            let _ = src[7 * stride];
            let v: [f32; 8] = core::array::from_fn(|i| src[i * stride]);
            L8(unsafe { _mm256_loadu_ps(v.as_ptr()) })
        }

        #[inline(always)]
        fn store(self, dst: &mut [f32], stride: usize, add: bool) {
            if stride == 1 {
                let d = &mut dst[..8];
                let v = if add { Self::load(d, 1).add(self).0 } else { self.0 };
                unsafe { _mm256_storeu_ps(d.as_mut_ptr(), v) };
                return;
            }
            // `__m256` and `[f32; 8]` have the same size and every bit pattern is valid.
            let lanes: [f32; 8] = unsafe { core::mem::transmute(self.0) };
            super::store_strided(&lanes, dst, stride, add);
        }

        #[inline(always)]
        fn window_max(a: Self, b: Self, c: Self, d: Self, mut won: impl FnMut(usize, u8)) -> Self {
            let (a, b, c, d) = (a.0, b.0, c.0, d.0);
            unsafe {
                let index = |i: i32| _mm256_castsi256_ps(_mm256_set1_epi32(i));
                // `blendv(x, y, mask)` takes `y` where the mask is set: `mask ? y : x`.
                let b_wins = _mm256_cmp_ps::<_CMP_GT_OQ>(b, a);
                let (top, top_i) = (_mm256_blendv_ps(a, b, b_wins), _mm256_and_ps(b_wins, index(1)));
                let d_wins = _mm256_cmp_ps::<_CMP_GT_OQ>(d, c);
                let (bottom, bottom_i) = (_mm256_blendv_ps(c, d, d_wins), _mm256_blendv_ps(index(2), index(3), d_wins));
                let bottom_wins = _mm256_cmp_ps::<_CMP_GT_OQ>(bottom, top);
                let (best, i) = (_mm256_blendv_ps(top, bottom, bottom_wins), _mm256_blendv_ps(top_i, bottom_i, bottom_wins));
                let lanes: [i32; 8] = core::mem::transmute(i);
                for (lane, &l) in lanes.iter().enumerate() {
                    won(lane, l as u8);
                }
                L8(best)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lanes(v: L4) -> [f32; 4] {
        let mut out = [0f32; 4];
        v.store(&mut out, 1, false);
        out
    }

    #[test]
    fn lane_operations() {
        let (a, b) = (L4::load(&[1.0, -2.0, 3.0, -0.0], 1), L4::load(&[10.0, 0.0, 20.0, 0.0, 30.0, 0.0, 40.0], 2));
        assert_eq!(lanes(a.add(b)), [11.0, 18.0, 33.0, 40.0]);
        assert_eq!(lanes(a.add_scaled(b, -1.0)), [-9.0, -22.0, -27.0, -40.0]);
        assert_eq!(lanes(a.add_scaled(b, 0.5)), [6.0, 8.0, 18.0, 20.0]);
        assert_eq!(lanes(a.add_product(b, L4::splat(2.0))), [21.0, 38.0, 63.0, 80.0]);
        assert_eq!(lanes(a.activate(Activation::Relu)), [1.0, 0.0, 3.0, 0.0]);
        let mut strided = [1.0f32; 7];
        a.store(&mut strided, 2, true);
        assert_eq!(strided, [2.0, 1.0, -1.0, 1.0, 4.0, 1.0, 1.0]);
        // Ties go to the first of the window (top-left, top-right, bottom-left, bottom-right).
        let w = |v: [f32; 4]| L4::load(&v, 1);
        let (best, won) = L4::window_max(w([1.0, 5.0, 2.0, 7.0]), w([2.0, 5.0, 2.0, 7.0]), w([3.0, 1.0, 2.0, 7.0]), w([0.0, 6.0, 9.0, 7.0]));
        assert_eq!((lanes(best), won), ([3.0, 6.0, 9.0, 7.0], [2, 3, 3, 0]));
    }

    /// Every [`Lanes`] operation against the scalar code it stands for, lane by lane and bit for bit
    /// (any NaN for a NaN: its sign and payload are not part of IEEE's result), on values with signed
    /// zeros, NaN and ties.
    fn matches_scalar<V: Lanes>() {
        let n = V::N;
        let pick = [1.5f32, -2.0, 0.0, -0.0, 3.25, f32::NAN, 7.0, -7.0, 3.25, 1e-3];
        let vals = |k: usize| -> Vec<f32> { (0..2 * n).map(|i| pick[(i * 7 + k * 3) % pick.len()]).collect() };
        let (xa, xb, xc, xd) = (vals(0), vals(1), vals(2), vals(3));
        let get = |v: V| -> Vec<f32> {
            let mut out = vec![0f32; n];
            v.store(&mut out, 1, false);
            out
        };
        let same = |what: &str, ours: Vec<f32>, want: Vec<f32>| {
            let bits = |v: &[f32]| v.iter().map(|x| if x.is_nan() { f32::NAN.to_bits() } else { x.to_bits() }).collect::<Vec<_>>();
            assert_eq!(bits(&ours), bits(&want), "{what} with {n} lanes");
        };
        let (a, b, c, d) = (V::load(&xa, 1), V::load(&xb, 2), V::load(&xc, 1), V::load(&xd, 1));
        let bs: Vec<f32> = (0..n).map(|i| xb[2 * i]).collect();
        same("load", get(b), bs.clone());
        same("add", get(a.add(b)), (0..n).map(|i| xa[i] + bs[i]).collect());
        for k in [1.0f32, -1.0, 0.25, -5.0] {
            same("add_scaled", get(a.add_scaled(b, k)), (0..n).map(|i| xa[i] + k * bs[i]).collect());
        }
        same("relu", get(a.activate(Activation::Relu)), (0..n).map(|i| super::super::relu1(xa[i])).collect());
        let mut strided = vec![1.0f32; 2 * n];
        a.store(&mut strided, 2, true);
        same("strided store", strided.iter().step_by(2).copied().collect(), (0..n).map(|i| 1.0 + xa[i]).collect());
        let mut won = vec![9u8; n];
        let best = V::window_max(a, b, c, d, |lane, i| won[lane] = i);
        let want: Vec<(u8, f32)> = (0..n).map(|i| super::super::pool::window_max(xa[i], bs[i], xc[i], xd[i])).collect();
        same("window_max", get(best), want.iter().map(|w| w.1).collect());
        assert_eq!(won, want.iter().map(|w| w.0).collect::<Vec<_>>(), "window_max winners with {n} lanes");
    }

    #[test]
    fn every_width_matches_the_scalar_operations() {
        matches_scalar::<L4>();
        #[cfg(target_arch = "x86_64")]
        if with_avx(matches_scalar::<L8>).is_none() {
            eprintln!("no AVX on this CPU: eight lanes not tested");
        }
    }
}
