//! Reading IDX files, the format of MNIST and Fashion-MNIST, from bytes (optionally gzip-compressed).
//!
//! Layout (big-endian): two zero bytes, a type byte (0x08 = unsigned byte, the only type MNIST uses), the
//! number of dimensions, one u32 per dimension, then the data in row-major order. Images are
//! `0x00000803` (count, rows, cols); labels are `0x00000801` (count). Every check that fails names itself.

use crate::input::{IMAGE_SIDE, NUM_CLASSES};
use candle_core::{bail, Result};
use std::io::Read;

/// The largest decoded IDX file accepted: the 60,000-image MNIST training set is 47 MB.
/// A header that promises more, or a gzip stream that inflates past it, is refused before allocating.
pub const MAX_IDX_BYTES: usize = 128 << 20;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const TYPE_UBYTE: u8 = 0x08;

/// Which MNIST file kind an IDX file holds, by its magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxKind {
    /// `0x00000803`: count × rows × cols bytes.
    Images,
    /// `0x00000801`: count bytes.
    Labels,
}

/// A validated IDX file.
#[derive(Debug, Clone, PartialEq)]
pub struct Idx {
    /// Images or labels.
    pub kind: IdxKind,
    /// The dimensions from the header: `[count, rows, cols]` or `[count]`.
    pub dims: Vec<usize>,
    /// The payload, exactly `dims.iter().product()` bytes.
    pub data: Vec<u8>,
}

impl Idx {
    /// Number of items (images or labels).
    pub fn count(&self) -> usize {
        self.dims[0]
    }

    /// The pixels of an images file, checked to be 28×28 as every model here expects.
    pub fn into_images(self) -> Result<Vec<u8>> {
        if self.kind != IdxKind::Images {
            bail!("IDX: expected an images file (magic 0x00000803) but got a labels file")
        }
        if self.dims[1] != IMAGE_SIDE || self.dims[2] != IMAGE_SIDE {
            bail!("IDX: images are {}×{}, expected {IMAGE_SIDE}×{IMAGE_SIDE}", self.dims[1], self.dims[2])
        }
        Ok(self.data)
    }

    /// The labels of a labels file, checked to be digits 0–9.
    pub fn into_labels(self) -> Result<Vec<u8>> {
        if self.kind != IdxKind::Labels {
            bail!("IDX: expected a labels file (magic 0x00000801) but got an images file")
        }
        if let Some((i, &l)) = self.data.iter().enumerate().find(|(_, &l)| l as usize >= NUM_CLASSES) {
            bail!("IDX: label {l} at index {i} is out of range 0–9")
        }
        Ok(self.data)
    }
}

/// Parses an IDX file from bytes; gzip input (as MNIST is distributed) is inflated first, bounded by
/// the size its header announces.
pub fn parse_idx(bytes: &[u8]) -> Result<Idx> {
    if bytes.is_empty() {
        bail!("IDX: the file is empty (0 bytes)")
    }
    if bytes.starts_with(&GZIP_MAGIC) {
        return parse_idx_raw(&gunzip_idx(bytes)?);
    }
    parse_idx_raw(bytes)
}

/// Parses the header and returns `(kind, dims, header_len)` without looking at the payload.
fn parse_header(bytes: &[u8]) -> Result<(IdxKind, Vec<usize>, usize)> {
    if bytes.len() < 4 {
        bail!("IDX: file too short for the 4-byte magic number ({} bytes)", bytes.len())
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if bytes[0] != 0 || bytes[1] != 0 {
        bail!("IDX: wrong magic number 0x{magic:08x} (not an IDX file; expected 0x00000803 or 0x00000801)")
    }
    if bytes[2] != TYPE_UBYTE {
        bail!("IDX: wrong magic number 0x{magic:08x}: data type 0x{:02x} is not unsigned byte (0x08)", bytes[2])
    }
    let kind = match bytes[3] {
        3 => IdxKind::Images,
        1 => IdxKind::Labels,
        n => bail!("IDX: wrong magic number 0x{magic:08x}: {n} dimensions (expected 3 for images or 1 for labels)"),
    };
    let ndims = bytes[3] as usize;
    let header_len = 4 + 4 * ndims;
    if bytes.len() < header_len {
        bail!("IDX: file too short for its {ndims}-dimension header ({} of {header_len} bytes)", bytes.len())
    }
    let dims: Vec<usize> = (0..ndims)
        .map(|i| {
            let o = 4 + 4 * i;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    if let Some(i) = dims.iter().position(|&d| d == 0) {
        bail!("IDX: dimension {i} is zero (dims {dims:?})")
    }
    let size = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match size {
        Some(s) if s <= MAX_IDX_BYTES => {}
        _ => bail!("IDX: dims {dims:?} describe more than the {} MB limit", MAX_IDX_BYTES >> 20),
    }
    Ok((kind, dims, header_len))
}

fn parse_idx_raw(bytes: &[u8]) -> Result<Idx> {
    let (kind, dims, header_len) = parse_header(bytes)?;
    let expected: usize = dims.iter().product();
    let got = bytes.len() - header_len;
    if got < expected {
        bail!("IDX: truncated data: header {dims:?} needs {expected} bytes but only {got} follow")
    }
    if got > expected {
        bail!("IDX: {} extra bytes after the {expected} bytes the header {dims:?} describes", got - expected)
    }
    Ok(Idx { kind, dims, data: bytes[header_len..].to_vec() })
}

/// Inflates a gzip stream, reading no more than the header says the file holds (plus one byte, to
/// detect extra data), so a "zip bomb" costs nothing.
fn gunzip_idx(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut decoder = flate2::read::GzDecoder::new(bytes);
    let gz_err = |e: std::io::Error| candle_core::Error::Msg(format!("IDX: not a valid gzip stream ({e})"));
    // The magic byte says how long the header is.
    let mut head = vec![0u8; 4];
    let got = read_full(&mut decoder, &mut head).map_err(gz_err)?;
    if got < 4 {
        parse_header(&head[..got])?; // reports "too short" (not a bad magic read from zero padding)
    }
    if head[3] as usize > 3 {
        parse_header(&head)?; // reports the bad magic
    }
    head.resize(4 + 4 * head[3] as usize, 0);
    let got = read_full(&mut decoder, &mut head[4..]).map_err(gz_err)?;
    head.truncate(4 + got);
    let (_, dims, header_len) = parse_header(&head)?;
    let limit = header_len + dims.iter().product::<usize>() + 1;
    let mut out = head;
    decoder
        .take((limit - out.len()) as u64)
        .read_to_end(&mut out)
        .map_err(|e| candle_core::Error::Msg(format!("IDX: gzip stream is corrupt or truncated ({e})")))?;
    Ok(out)
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Encodes images (`count` × 28 × 28 bytes) as an uncompressed IDX file. Used by tests and tools.
pub fn encode_images(pixels: &[u8]) -> Vec<u8> {
    let count = pixels.len() / (IMAGE_SIDE * IMAGE_SIDE);
    let mut out = vec![0, 0, TYPE_UBYTE, 3];
    for d in [count, IMAGE_SIDE, IMAGE_SIDE] {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(pixels);
    out
}

/// Encodes labels as an uncompressed IDX file. Used by tests and tools.
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, TYPE_UBYTE, 1];
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}
