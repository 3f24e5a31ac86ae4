//! Weights to and from safetensors **bytes** (the browser has no file paths).
//!
//! The metadata (all values strings, as safetensors requires) describes the network, so a file
//! rebuilds what it was saved from:
//!
//! | key | value |
//! |---|---|
//! | `format` | `inkling-1` |
//! | `model` | the preset's name, or `custom` ([`ModelKind`]) |
//! | `spec` | the network's layers as JSON ([`ModelSpec::to_json`]) |
//! | `normalization` | the input normalisation, `{"mean":0.1307,"std":0.3081}` |
//!
//! Files without `spec` (written before specs existed) name a preset in `model` and load as that
//! preset. Tensor names are the layer names of [`crate::spec`]; all tensors are little-endian f32, so
//! the files load with Python's `safetensors` (`safetensors.torch.load(bytes)`) and with
//! `candle_core::safetensors::load_buffer`.
//!
//! Loading validates everything (size, header, metadata, spec, names, shapes, dtype, finite values)
//! before a single weight changes, so a bad file leaves the current model untouched.

use crate::config::ModelKind;
use crate::input::{PIXEL_MEAN, PIXEL_STD};
use crate::spec::{preset, ModelSpec};
use candle_core::{bail, DType, Device, Result, Tensor};
use candle_nn::VarMap;
use safetensors::SafeTensors;
use std::collections::{BTreeMap, HashMap};

/// Value of the `format` metadata key.
pub const FORMAT: &str = "inkling-1";
/// Files larger than this are refused before they are parsed (the largest model is ~1.4 MB).
pub const MAX_WEIGHTS_BYTES: usize = 64 << 20;

/// The input normalisation as the metadata records it.
fn normalization() -> String {
    // f32's shortest form: 0.1307, not the f64 widening's 0.13070000708.
    format!(r#"{{"mean":{PIXEL_MEAN},"std":{PIXEL_STD}}}"#)
}

/// Serialises every variable, sorted by name, with the network (`kind` and its `spec`) and the input
/// normalisation in the metadata.
///
/// Written here rather than with `safetensors::serialize`, whose metadata is a `HashMap` and so comes
/// out in a random order: the same weights must always give the same bytes.
pub fn to_safetensors(varmap: &VarMap, kind: ModelKind, spec: &ModelSpec) -> Result<Vec<u8>> {
    let vars = varmap.data().lock().expect("varmap lock");
    let tensors: BTreeMap<String, Tensor> = vars.iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect();
    drop(vars);
    // Header: metadata first, then each tensor with its byte range in the data section.
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), serde_json::json!({"format": FORMAT, "model": kind.name(), "spec": spec.to_json(), "normalization": normalization()}));
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

/// The network a weights file describes: its kind and spec, from the metadata (a file without a spec
/// names its preset); `None` when the file says nothing about it. A file for another input
/// normalisation, an unknown model, a bad spec, or a preset name with another preset's layers is
/// an error.
pub fn network_of(bytes: &[u8]) -> Result<Option<(ModelKind, ModelSpec)>> {
    check_size(bytes)?;
    let (_, meta) = SafeTensors::read_metadata(bytes).map_err(not_safetensors)?;
    let Some(meta) = meta.metadata() else { return Ok(None) };
    if let Some(text) = meta.get("normalization") {
        let found: serde_json::Value =
            serde_json::from_str(text).map_err(|e| candle_core::Error::Msg(format!("the file's normalization is not JSON ({e})")))?;
        let close = |key: &str, want: f32| found.get(key).and_then(|v| v.as_f64()).is_some_and(|v| (v - want as f64).abs() < 1e-6);
        if !close("mean", PIXEL_MEAN) || !close("std", PIXEL_STD) {
            bail!("the file's network was trained on inputs normalised as {text}, but Inkling normalises with mean {PIXEL_MEAN} and std {PIXEL_STD}")
        }
    }
    let kind = meta.get("model").map(|m| m.parse::<ModelKind>()).transpose()?;
    let spec = match meta.get("spec") {
        Some(text) => Some(ModelSpec::from_json(text).map_err(|e| candle_core::Error::Msg(format!("the file's network spec is not valid: {e}")))?.0),
        None => None,
    };
    Ok(match (kind, spec) {
        (Some(ModelKind::Custom) | None, Some(spec)) => Some((ModelKind::Custom, spec)),
        (Some(ModelKind::Custom), None) => bail!("the file holds a custom network but no spec of its layers"),
        (Some(kind), None) => Some((kind, preset(kind).expect("every kind but custom is a preset"))),
        (Some(kind), Some(spec)) => {
            if preset(kind).as_ref() != Some(&spec) {
                bail!("the file says its network is '{kind}', but its spec describes other layers")
            }
            Some((kind, spec))
        }
        (None, None) => None,
    })
}

/// Parses and validates `bytes` against the variables of the current network (`kind` with `spec`),
/// returning the new values by name. Nothing is changed; [`apply`] installs them.
pub fn read_safetensors(bytes: &[u8], kind: ModelKind, spec: &ModelSpec, varmap: &VarMap, device: &Device) -> Result<HashMap<String, Tensor>> {
    if let Some((model, file_spec)) = network_of(bytes)? {
        if file_spec != *spec {
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
