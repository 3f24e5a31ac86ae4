//! Weights to and from safetensors **bytes** (the browser has no file paths).
//!
//! The metadata records `{"format": "inkling-1", "model": "<kind>"}`. Tensor names are the layer names of
//! [`crate::models`]; all tensors are little-endian f32, so the files load with Python's `safetensors`
//! (`safetensors.torch.load(bytes)`) and with `candle_core::safetensors::load_buffer`.
//!
//! Loading validates everything (size, header, metadata, names, shapes, dtype, finite values) before a
//! single weight changes, so a bad file leaves the current model untouched.

use crate::config::ModelKind;
use candle_core::{bail, DType, Device, Result, Tensor};
use candle_nn::VarMap;
use safetensors::SafeTensors;
use std::collections::{BTreeMap, HashMap};

/// Value of the `format` metadata key.
pub const FORMAT: &str = "inkling-1";
/// Files larger than this are refused before they are parsed (the largest model is ~1.4 MB).
pub const MAX_WEIGHTS_BYTES: usize = 64 << 20;

/// Serialises every variable, sorted by name, with the model kind in the metadata.
///
/// Written here rather than with `safetensors::serialize`, whose metadata is a `HashMap` and so comes
/// out in a random order: the same weights must always give the same bytes.
pub fn to_safetensors(varmap: &VarMap, kind: ModelKind) -> Result<Vec<u8>> {
    let vars = varmap.data().lock().expect("varmap lock");
    let tensors: BTreeMap<String, Tensor> = vars.iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect();
    drop(vars);
    // Header: metadata first, then each tensor with its byte range in the data section.
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), serde_json::json!({"format": FORMAT, "model": kind.name()}));
    let mut data = Vec::new();
    for (name, tensor) in &tensors {
        let values = tensor.flatten_all()?.to_vec1::<f32>()?;
        let start = data.len();
        data.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        header.insert(name.clone(), serde_json::json!({"dtype": "F32", "shape": tensor.dims(), "data_offsets": [start, data.len()]}));
    }
    let mut json = serde_json::to_vec(&header).map_err(|e| candle_core::Error::Msg(e.to_string()))?;
    // The data section starts 8-byte aligned; the format pads the header with spaces.
    while json.len() % 8 != 0 {
        json.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + json.len() + data.len());
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&data);
    Ok(out)
}

/// Reads the model kind recorded in a weights file, if any.
pub fn model_of(bytes: &[u8]) -> Result<Option<String>> {
    check_size(bytes)?;
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(not_safetensors)?;
    Ok(meta.metadata().as_ref().and_then(|m| m.get("model").cloned()))
}

/// Parses and validates `bytes` against the variables of a `kind` model, returning the new values by
/// name. Nothing is changed; [`apply`] installs them.
pub fn read_safetensors(bytes: &[u8], kind: ModelKind, varmap: &VarMap, device: &Device) -> Result<HashMap<String, Tensor>> {
    if let Some(model) = model_of(bytes)? {
        if model != kind.name() {
            bail!("weights file holds a '{model}' model but the current model is '{kind}'")
        }
    }
    let st = SafeTensors::deserialize(bytes).map_err(not_safetensors)?;
    let vars = varmap.data().lock().expect("varmap lock");
    let mut out = HashMap::new();
    for name in st.names() {
        if !vars.contains_key(name) {
            bail!("weights file has tensor '{name}', which a '{kind}' model does not have (a file for another architecture?)")
        }
    }
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    for name in names {
        let view = st.tensor(name).map_err(|_| candle_core::Error::Msg(format!("weights file lacks tensor '{name}' of the '{kind}' model")))?;
        let expected = vars[name].dims();
        if view.shape() != expected {
            bail!("tensor '{name}' has shape {:?} but the '{kind}' model needs {expected:?}", view.shape())
        }
        if view.dtype() != safetensors::Dtype::F32 {
            bail!("tensor '{name}' is {:?}; weights must be F32", view.dtype())
        }
        let values: Vec<f32> = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        if values.iter().any(|v| !v.is_finite()) {
            bail!("tensor '{name}' contains NaN or infinite values")
        }
        out.insert(name.clone(), Tensor::from_vec(values, expected, device)?.to_dtype(DType::F32)?);
    }
    Ok(out)
}

/// Installs values produced by [`read_safetensors`].
pub fn apply(varmap: &VarMap, values: &HashMap<String, Tensor>) -> Result<()> {
    let vars = varmap.data().lock().expect("varmap lock");
    for (name, value) in values {
        vars[name].set(value)?;
    }
    Ok(())
}

fn check_size(bytes: &[u8]) -> Result<()> {
    if bytes.len() > MAX_WEIGHTS_BYTES {
        bail!("weights file is {} MB; the limit is {} MB", bytes.len() >> 20, MAX_WEIGHTS_BYTES >> 20)
    }
    Ok(())
}

fn not_safetensors(e: safetensors::SafeTensorError) -> candle_core::Error {
    candle_core::Error::Msg(format!("not a valid safetensors weights file ({e})"))
}
