//! The one home of the input convention: image dimensions, class count and pixel normalisation.
//!
//! Training, evaluation and prediction (native and wasm, MNIST files and canvas drawings) all go through
//! [`images_to_tensor`], so a model never sees pixels normalised two different ways.

use candle_core::{bail, Device, Result, Tensor};

/// Height and width of an input image.
pub const IMAGE_SIDE: usize = 28;
/// Pixels in one input image (28 × 28 × 1 channel).
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;
/// Number of classes (digits 0–9).
pub const NUM_CLASSES: usize = 10;

/// Mean of MNIST training pixels after scaling to `[0, 1]`.
pub const PIXEL_MEAN: f32 = 0.1307;
/// Standard deviation of MNIST training pixels after scaling to `[0, 1]`.
pub const PIXEL_STD: f32 = 0.3081;

/// Maps a raw pixel (0 = background, 255 = ink) to the value the networks see.
#[inline]
pub fn normalize_pixel(p: u8) -> f32 {
    (p as f32 / 255.0 - PIXEL_MEAN) / PIXEL_STD
}

/// Checks that `images` holds a whole number of 28×28 images and returns how many.
pub fn image_count(images: &[u8]) -> Result<usize> {
    if images.is_empty() {
        bail!("empty batch: no images given")
    }
    if !images.len().is_multiple_of(IMAGE_PIXELS) {
        bail!("image buffer has {} bytes, which is not a multiple of {IMAGE_PIXELS} (28×28 pixels per image)", images.len())
    }
    Ok(images.len() / IMAGE_PIXELS)
}

/// Raw pixels (N × 784 bytes, row-major) to a normalised `(N, 1, 28, 28)` f32 tensor.
pub fn images_to_tensor(images: &[u8], device: &Device) -> Result<Tensor> {
    let n = image_count(images)?;
    let data: Vec<f32> = images.iter().map(|&p| normalize_pixel(p)).collect();
    Tensor::from_vec(data, (n, 1, IMAGE_SIDE, IMAGE_SIDE), device)
}

/// Checks labels against the image count and the class range, returning a `(N,)` u32 tensor.
pub fn labels_to_tensor(labels: &[u8], count: usize, device: &Device) -> Result<Tensor> {
    if labels.len() != count {
        bail!("got {} labels for {count} images", labels.len())
    }
    if let Some((i, &l)) = labels.iter().enumerate().find(|(_, &l)| l as usize >= NUM_CLASSES) {
        bail!("label {l} at index {i} is out of range (labels are 0–9)")
    }
    let data: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
    Tensor::from_vec(data, count, device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_is_centred_on_the_mnist_mean() {
        assert!((normalize_pixel(0) + PIXEL_MEAN / PIXEL_STD).abs() < 1e-6);
        assert!((normalize_pixel(255) - (1.0 - PIXEL_MEAN) / PIXEL_STD).abs() < 1e-6);
    }

    #[test]
    fn tensors_have_the_documented_shapes_and_bad_buffers_fail() {
        let t = images_to_tensor(&[0u8; 2 * IMAGE_PIXELS], &Device::Cpu).unwrap();
        assert_eq!(t.dims(), &[2, 1, 28, 28]);
        let e = images_to_tensor(&[0u8; 785], &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains("not a multiple of 784"), "{e}");
        assert!(images_to_tensor(&[], &Device::Cpu).unwrap_err().to_string().contains("empty"));
        assert!(labels_to_tensor(&[1, 2], 3, &Device::Cpu).unwrap_err().to_string().contains("2 labels for 3"));
        let e = labels_to_tensor(&[1, 10], 2, &Device::Cpu).unwrap_err().to_string();
        assert!(e.contains("label 10 at index 1"), "{e}");
    }
}
