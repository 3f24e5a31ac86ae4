//! Fused Candle custom ops for the digit models: the layers' forward passes and hand-written backward
//! passes, for contiguous `f32` tensors on the CPU (natively and in wasm32 + SIMD128).
//!
//! Candle's generic building blocks make a training step of the CNNs spend most of its time in the
//! backward graph: `conv_transpose2d` for input gradients (even for the image, which needs none), a
//! compare/upsample/avg-pool/mul chain for each max-pool, `ReduceSum` for bias gradients, and many
//! temporary tensors. The ops here do each layer in one or two passes over memory:
//!
//! | op | forward | backward |
//! |---|---|---|
//! | [`conv2d`] | im2col + gemm; 3×3 with ≥ 8 input channels: Winograd F(4×4, 3×3) (36 small matrix products per chunk; in wasm32's forward pass a register-blocked kernel, `blocked`), and in wasm32 3×3 on one input channel: a direct kernel; bias (and ReLU) fused into the output write | weight and bias gradients in one pass (Winograd or gemm); the input gradient only when the input needs one |
//! | [`conv2d_pool2x2`] | the same with a 2×2 max-pool (in registers for Winograd and the direct kernel), recording each window's winner | the output gradient scattered to the winners, then as `conv2d` |
//! | [`linear`] | gemm onto the broadcast bias, ReLU fused | the same, with ReLU's mask fused |
//! | [`max_pool2x2`] | one pass, first maximum of each window | scatter of the gradient to each window's maximum |
//! | [`relu`] | branch-free compare | gradient masked by `output > 0` |
//!
//! Backward passes compute their gradients directly and return tensors without a graph, so they are
//! never differentiated again (the models never need second derivatives). Every op is deterministic:
//! the gemm crate never splits a reduction across threads, and the ops' own sums (the convolutions'
//! per-group gradients included) run in a fixed order.
//!
//! Matrix products use the `gemm` crate (Candle's own backend), except the Winograd forward products in
//! wasm32, where gemm's micro-kernel spills registers in V8 (see `blocked`). Convolutions work on small chunks of
//! images whose im2col columns stay in a core's L2 cache, grouped into a fixed number of jobs that run
//! on rayon's threads natively (one after another in wasm32, where the worker pool provides the
//! parallelism); the groups' weight gradients are summed in group order, so results do not depend on
//! the thread count. Dense layers let gemm itself use the threads.

mod activation;
mod batch_norm;
mod blocked;
mod conv;
mod epilogue;
mod lanes;
mod linear;
mod pool;

pub use activation::{relu, Relu};
pub use batch_norm::{batch_norm_train, BatchNormTrain, FusedBatchNorm};
pub use conv::{conv2d, conv2d_pool2x2, conv2d_with, Conv2dOp, Kernels};
pub use linear::{linear, LinearOp};
pub use pool::{max_pool2x2, MaxPool2x2};

use candle_core::{bail, CpuStorage, Layout, Result, Storage, StorageRef, Tensor};
use std::cell::RefCell;

/// The activation fused into a layer's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// No activation: the layer's output is the affine map.
    Identity,
    /// `max(0, x)`, computed with a compare (not `f32::max`, a slow libm call in wasm32).
    Relu,
}

impl Activation {
    /// Applies the activation to one value.
    #[inline(always)]
    fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Identity => x,
            Activation::Relu => relu1(x),
        }
    }
}

/// ReLU of one value with a compare, branch-free after vectorisation.
#[inline(always)]
fn relu1(x: f32) -> f32 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

/// The contiguous `f32` data of a custom op's CPU input, or an error naming the op.
fn cpu_f32<'a>(op: &str, storage: &'a CpuStorage, layout: &Layout) -> Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else { bail!("{op}: expected f32 tensors, got {:?}", candle_core::backend::BackendStorage::dtype(storage)) };
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => bail!("{op}: expected contiguous tensors"),
    }
}

/// The contiguous `f32` CPU data behind a tensor's storage guard, for backward passes:
/// `let t = t.contiguous()?; let guard = t.storage_and_layout(); let data = f32_data("op", &guard)?;`
fn f32_data<'a>(op: &str, guard: &'a (StorageRef<'_>, &Layout)) -> Result<&'a [f32]> {
    let Storage::Cpu(cpu) = &*guard.0 else { bail!("{op}: only CPU tensors are supported") };
    cpu_f32(op, cpu, guard.1)
}

/// Checks that a tensor is an `f32` CPU tensor (called before an op runs, for a clear error).
fn check_f32_cpu(op: &str, t: &Tensor) -> Result<()> {
    if t.dtype() != candle_core::DType::F32 || !t.device().is_cpu() {
        bail!("{op}: expected an f32 CPU tensor, got {:?} on {:?}", t.dtype(), t.device().location())
    }
    Ok(())
}

/// True when backpropagation will ask for this tensor's gradient (a variable or computed from one).
/// The images fed to a model are neither, so no input gradient is computed for the first layer.
fn needs_grad(t: &Tensor) -> bool {
    t.track_op()
}

thread_local! {
    /// Reusable working memory (im2col columns, gemm outputs), so that steps do not allocate it anew.
    static SCRATCH: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// Buffers kept per thread (an op holds at most five at a time).
const SCRATCH_BUFFERS: usize = 6;

/// A working buffer of `len` values from this thread's pool, returned to the pool when dropped. Its
/// contents are unspecified (stale data from an earlier use): users overwrite what they read.
struct Scratch {
    buf: Vec<f32>,
    len: usize,
}

impl Scratch {
    /// Takes the smallest pooled buffer that holds `len` values (else the largest, grown), so that
    /// buffers are neither reallocated nor cleared once the pool has warmed up.
    fn new(len: usize) -> Self {
        let mut buf = SCRATCH.with(|s| {
            let mut pool = s.borrow_mut();
            let fits = (0..pool.len()).filter(|&i| pool[i].len() >= len).min_by_key(|&i| pool[i].len());
            let pick = fits.or_else(|| (0..pool.len()).max_by_key(|&i| pool[i].len()));
            pick.map(|i| pool.swap_remove(i)).unwrap_or_default()
        });
        if buf.len() < len {
            buf.resize(len, 0.0);
        }
        Self { buf, len }
    }
}

impl std::ops::Deref for Scratch {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        &self.buf[..self.len]
    }
}

impl std::ops::DerefMut for Scratch {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.buf[..self.len]
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        // `try_with`: the pool may already be gone while the thread exits.
        let _ = SCRATCH.try_with(|s| {
            let mut pool = s.borrow_mut();
            if pool.len() < SCRATCH_BUFFERS {
                pool.push(buf);
            } else if let Some(smallest) = pool.iter_mut().min_by_key(|b| b.len()) {
                if smallest.len() < buf.len() {
                    *smallest = buf;
                }
            }
        });
    }
}

/// Threads for one gemm call when `threaded`: Candle's thread count natively, one in wasm32.
fn parallelism(threaded: bool) -> gemm::Parallelism {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = threaded;
        gemm::Parallelism::None
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        // Read once: Candle looks the count up in the environment on every call.
        static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        match *THREADS.get_or_init(candle_core::utils::get_num_threads) {
            _ if !threaded => gemm::Parallelism::None,
            0 | 1 => gemm::Parallelism::None,
            n => gemm::Parallelism::Rayon(n),
        }
    }
}

/// Runs `f` on every job: on rayon's threads natively, one after another in wasm32 (one thread per
/// wasm instance; the browser's cores are used by the worker pool instead). Jobs must not depend on
/// the order they run in.
fn run_jobs<T: Send>(jobs: Vec<T>, f: impl Fn(T) + Sync + Send) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        jobs.into_par_iter().for_each(f)
    }
    #[cfg(target_arch = "wasm32")]
    jobs.into_iter().for_each(f)
}

/// A strided view of a row-major or transposed matrix for [`matmul`]: element `(i, j)` is at
/// `data[i * row_stride + j * col_stride]`.
#[derive(Clone, Copy)]
struct Mat<'a> {
    data: &'a [f32],
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Mat<'a> {
    /// A row-major matrix with `cols` columns.
    fn rows(data: &'a [f32], cols: usize) -> Self {
        Self { data, row_stride: cols, col_stride: 1 }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    fn transposed(data: &'a [f32], cols: usize) -> Self {
        Self { data, row_stride: 1, col_stride: cols }
    }

    /// Checks that every element of an `(m, n)` view lies inside the data.
    fn check(&self, m: usize, n: usize) {
        if m > 0 && n > 0 {
            let last = (m - 1) * self.row_stride + (n - 1) * self.col_stride;
            assert!(last < self.data.len(), "matrix view out of bounds");
        }
    }
}

/// `dst (m, n) = [dst +] lhs (m, k) · rhs (k, n)`, with `dst` row-major; `accumulate` adds to `dst`
/// instead of overwriting it. `threaded` lets gemm split the product across threads (natively); ops
/// that already run their own jobs in parallel pass `false`.
#[allow(clippy::too_many_arguments)]
fn matmul(dst: &mut [f32], m: usize, n: usize, k: usize, lhs: Mat, rhs: Mat, accumulate: bool, threaded: bool) {
    assert!(dst.len() >= m * n, "gemm destination too small");
    lhs.check(m, k);
    rhs.check(k, n);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: every view was bounds-checked above for the (m, k), (k, n) and (m, n) shapes, and `dst`
    // is borrowed mutably, so it cannot alias `lhs` or `rhs`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism(threaded),
        )
    }
}
