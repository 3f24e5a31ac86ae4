//! Labelled image sets in memory: validation split, gathering batches, and (natively) loading
//! the four standard MNIST files from a directory.

use crate::idx::parse_idx;
use crate::input::IMAGE_PIXELS;
use candle_core::{bail, Result};

/// Images (N × 784 raw bytes, 0 = background) with their labels (N digits).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    images: Vec<u8>,
    labels: Vec<u8>,
}

impl Dataset {
    /// Pairs images with labels, checking that the counts match and labels are digits.
    pub fn new(images: Vec<u8>, labels: Vec<u8>) -> Result<Self> {
        if !images.len().is_multiple_of(IMAGE_PIXELS) {
            bail!("image data has {} bytes, not a multiple of {IMAGE_PIXELS}", images.len())
        }
        let n = images.len() / IMAGE_PIXELS;
        if n != labels.len() {
            bail!("{n} images but {} labels: the files do not belong together", labels.len())
        }
        if let Some((i, &l)) = labels.iter().enumerate().find(|(_, &l)| l > 9) {
            bail!("label {l} at index {i} is out of range 0–9")
        }
        Ok(Self { images, labels })
    }

    /// Parses an images IDX file and a labels IDX file (raw or gzip) into a dataset.
    pub fn from_idx(images: &[u8], labels: &[u8]) -> Result<Self> {
        let images = parse_idx(images).map_err(|e| e.context("images file"))?.into_images()?;
        let labels = parse_idx(labels).map_err(|e| e.context("labels file"))?.into_labels()?;
        Self::new(images, labels)
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// All pixels, N × 784.
    pub fn images(&self) -> &[u8] {
        &self.images
    }

    /// All labels.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The pixels of example `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS]
    }

    /// The first `n` examples (all of them if there are fewer).
    pub fn take(&self, n: usize) -> Dataset {
        let n = n.min(self.len());
        Dataset { images: self.images[..n * IMAGE_PIXELS].to_vec(), labels: self.labels[..n].to_vec() }
    }

    /// Splits off the last `n` examples as a validation set (like Keras' `validation_split`), returning
    /// `(train, validation)`. The test set is never involved.
    pub fn split_validation(mut self, n: usize) -> Result<(Dataset, Dataset)> {
        if n >= self.len() {
            bail!("validation split of {n} leaves no training data (the set has {} examples)", self.len())
        }
        let keep = self.len() - n;
        let val = Dataset { images: self.images.split_off(keep * IMAGE_PIXELS), labels: self.labels.split_off(keep) };
        Ok((self, val))
    }

    /// Copies the examples at `indices` into one batch `(images, labels)`.
    pub fn gather(&self, indices: &[usize]) -> (Vec<u8>, Vec<u8>) {
        let mut images = Vec::with_capacity(indices.len() * IMAGE_PIXELS);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            images.extend_from_slice(self.image(i));
            labels.push(self.labels[i]);
        }
        (images, labels)
    }

    /// Appends another dataset's examples.
    pub fn extend(&mut self, other: &Dataset) {
        self.images.extend_from_slice(&other.images);
        self.labels.extend_from_slice(&other.labels);
    }
}

/// The standard MNIST file names, in the order images/labels for train then test.
pub const MNIST_FILES: [&str; 4] = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

/// A training set and a test set, as MNIST ships them.
#[derive(Debug, Clone)]
pub struct TrainTest {
    /// The 60,000 training examples (before any validation split).
    pub train: Dataset,
    /// The 10,000 test examples: for evaluation only.
    pub test: Dataset,
}

/// Loads the four MNIST-format files from `dir`, accepting each name with or without `.gz`.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_dir(dir: &std::path::Path) -> Result<TrainTest> {
    let read = |name: &str| -> Result<Vec<u8>> {
        for candidate in [format!("{name}.gz"), name.to_string()] {
            let path = dir.join(&candidate);
            if path.exists() {
                return std::fs::read(&path).map_err(|e| candle_core::Error::Msg(format!("{}: {e}", path.display())));
            }
        }
        bail!("{}: missing {name}[.gz]", dir.display())
    };
    let load = |images: &str, labels: &str| -> Result<Dataset> {
        Dataset::from_idx(&read(images)?, &read(labels)?).map_err(|e| candle_core::Error::Msg(format!("{}/{images}: {e}", dir.display())))
    };
    Ok(TrainTest { train: load(MNIST_FILES[0], MNIST_FILES[1])?, test: load(MNIST_FILES[2], MNIST_FILES[3])? })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(n: usize) -> Dataset {
        let images: Vec<u8> = (0..n * IMAGE_PIXELS).map(|i| (i / IMAGE_PIXELS) as u8).collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        Dataset::new(images, labels).unwrap()
    }

    #[test]
    fn split_takes_the_tail_and_keeps_pairs_together() {
        let (train, val) = tiny(20).split_validation(5).unwrap();
        assert_eq!((train.len(), val.len()), (15, 5));
        assert_eq!(val.image(0)[0], 15);
        assert_eq!(val.labels()[0], 5);
        assert!(tiny(5).split_validation(5).is_err());
    }

    #[test]
    fn gather_copies_the_chosen_examples() {
        let d = tiny(10);
        let (imgs, labels) = d.gather(&[7, 2]);
        assert_eq!((imgs[0], imgs[IMAGE_PIXELS], labels), (7, 2, vec![7, 2]));
    }

    #[test]
    fn mismatched_counts_are_refused() {
        let e = Dataset::new(vec![0; 2 * IMAGE_PIXELS], vec![1]).unwrap_err().to_string();
        assert!(e.contains("2 images but 1 labels"), "{e}");
        assert!(Dataset::new(vec![0; IMAGE_PIXELS], vec![12]).is_err());
    }
}
