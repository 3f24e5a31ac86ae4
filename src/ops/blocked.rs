//! A register-blocked matrix product for the small products of the Winograd forward pass in wasm32:
//! `dst (m, n) = lhs (m, k) · rhs (k, n)`, all row-major and contiguous, with `k · n` small enough
//! that `rhs` stays in L1 (at most 64×64 in the models).
//!
//! Why not gemm there: gemm's SIMD128 micro-kernel keeps a 12×4 block of the result in 12 vector
//! registers and needs 4 more for its operands, but V8 on x64 allocates 15 (`xmm15` is its scratch
//! register), so the compiled inner loop spills and reloads accumulators on every step of `k`. Here a
//! block is [`ROWS`] rows by 4·[`VECS`] columns, 4×8: 8 accumulators, two `rhs` vectors and the four
//! broadcast `lhs` values of one step (LLVM loads all of a step's operands first), 14 registers, so
//! nothing spills. (Larger blocks, such as 5×8, need more registers than V8 has.) The operands need
//! no packing: a block's `rhs` rows are 8 contiguous values and its `lhs` values are broadcast one at
//! a time, all from L1.
//!
//! Each result is `Σ_k lhs[i][k]·rhs[k][j]`, multiplied and added in order of `k` from zero (no fused
//! multiply-add), as gemm's kernel does: the results are the same bits as gemm's, so switching the
//! forward products to this kernel changes no result (the test below checks the order against a
//! plain loop).

use super::lanes::L4;

/// Rows of `dst` per register block.
pub(super) const ROWS: usize = 4;
/// Vectors of four columns per register block.
pub(super) const VECS: usize = 2;

/// `dst (m, n) = lhs (m, k) · rhs (k, n)`; `n` must be a multiple of 4. (Never inlined: it stays
/// a function of its own in profiles.)
#[inline(never)]
pub(super) fn product(dst: &mut [f32], m: usize, n: usize, k: usize, lhs: &[f32], rhs: &[f32]) {
    assert!(n.is_multiple_of(4), "blocked product: {n} columns are not whole lanes");
    assert!(dst.len() >= m * n && lhs.len() >= m * k && rhs.len() >= k * n, "blocked product: operands too small");
    let (d, a, b) = (dst.as_mut_ptr(), lhs.as_ptr(), rhs.as_ptr());
    let (whole_rows, whole_cols) = (m - m % ROWS, n - n % (4 * VECS));
    // SAFETY: every block below covers rows i.. and columns j.. inside (m, n) of `dst`, the same rows
    // of `lhs` (k values each) and the same columns of `rhs` (k rows), all checked above.
    unsafe {
        let at = |i: usize, j: usize| (d.add(i * n + j), a.add(i * k), b.add(j));
        for i in (0..whole_rows).step_by(ROWS) {
            for j in (0..whole_cols).step_by(4 * VECS) {
                let (d, a, b) = at(i, j);
                block::<ROWS, VECS>(d, n, k, a, b);
            }
            for j in (whole_cols..n).step_by(4) {
                let (d, a, b) = at(i, j);
                block::<ROWS, 1>(d, n, k, a, b);
            }
        }
        for i in whole_rows..m {
            for j in (0..n).step_by(4) {
                let (d, a, b) = at(i, j);
                block::<1, 1>(d, n, k, a, b);
            }
        }
    }
}

/// One `R × 4V` block of `dst` (row stride `n`) from `R` rows of `lhs` (row stride `k`) and `4V`
/// columns of `rhs` (row stride `n`). The accumulators are locals (constant indices after unrolling),
/// so they live in registers.
///
/// # Safety
/// `R` rows of `k` values at `a`, `k` rows of `4V` values at `b` and `R` rows of `4V` values at `d`,
/// rows `n` apart for `b` and `d`, must be valid.
#[inline(always)]
unsafe fn block<const R: usize, const V: usize>(d: *mut f32, n: usize, k: usize, a: *const f32, b: *const f32) {
    let mut acc = [[L4::ZERO; V]; R];
    for kk in 0..k {
        let mut bv = [L4::ZERO; V];
        for (v, x) in bv.iter_mut().enumerate() {
            *x = L4::load_ptr(b.add(kk * n + 4 * v));
        }
        for (r, row) in acc.iter_mut().enumerate() {
            let av = L4::splat_ptr(a.add(r * k + kk));
            for (x, bx) in row.iter_mut().zip(bv) {
                *x = x.add_product(av, bx);
            }
        }
    }
    for (r, row) in acc.into_iter().enumerate() {
        for (v, x) in row.into_iter().enumerate() {
            x.store_ptr(d.add(r * n + 4 * v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape class (whole and partial row blocks, 8- and 4-column blocks) against a plain
    /// triple loop summing in the same order: equal bit for bit.
    #[test]
    fn product_matches_a_plain_product() {
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        for (m, n, k) in [(1, 4, 1), (5, 8, 3), (7, 12, 32), (23, 64, 32), (9, 64, 64), (4, 20, 5), (0, 8, 4), (3, 8, 0)] {
            let lhs: Vec<f32> = (0..m * k).map(|_| next()).collect();
            let rhs: Vec<f32> = (0..k * n).map(|_| next()).collect();
            let mut dst = vec![f32::NAN; m * n + 3];
            product(&mut dst, m, n, k, &lhs, &rhs);
            for i in 0..m {
                for j in 0..n {
                    let mut want = 0f32;
                    for kk in 0..k {
                        want += lhs[i * k + kk] * rhs[kk * n + j];
                    }
                    assert_eq!(dst[i * n + j].to_bits(), want.to_bits(), "({m}, {n}, {k}) at ({i}, {j})");
                }
            }
            assert!(dst[m * n..].iter().all(|v| v.is_nan()), "({m}, {n}, {k}): wrote past the result");
        }
    }
}
