//! Keeps freed memory in the process for the next training step.
//!
//! A training step allocates and frees the same large buffers (activations, im2col columns,
//! Winograd tiles, gradients) every time. glibc's malloc serves blocks above its mmap threshold
//! with fresh `mmap`s and gives freed heap tops back to the kernel, so every step page-faults its
//! buffers in again and the kernel zeroes each page: a tenth of a training step's time. Raising both
//! thresholds makes `free` keep the memory for the next step to reuse.

/// Blocks up to this size come from the heap instead of their own `mmap` (glibc's largest allowed
/// value on 64-bit targets).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;

/// Free memory at the top of a heap is returned to the kernel only beyond this much.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 1 << 30;

/// Sets malloc's thresholds for a trainer's reuse pattern (glibc only; other allocators keep
/// their defaults). Call once, before any thread starts.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes malloc's parameters; no other thread runs yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
