//! The JavaScript binding: a thin layer over the core. Each exported type wraps an `inner` core value,
//! and every export returns `Result<_, JsError>`, so bad input throws a JS `Error` and nothing panics
//! across the boundary (a panic would kill the wasm instance and the user's training with it).
//!
//! Byte buffers must be a `Uint8Array` (a Node `Buffer` is one) or a `Uint8ClampedArray` (canvas
//! `ImageData.data`). Anything else throws: wasm-bindgen's `&[u8]` glue would instead convert element
//! by element modulo 256, so a `Float32Array` of 0–1 pixels would silently train on black images.
//!
//! Compiled for wasm32 only: building a `JsError` off wasm32 panics, so native tests never touch this.
//!
//! Split by what is bound: [`trainer`] the `Trainer`, [`run`] the training plan and the fine-tune
//! recipe, [`info`] the free functions (IDX parsing, drawing preprocessing, verdicts, the core's
//! defaults and limits). `types.d.ts` declares the shapes of the objects they take and return.

mod info;
mod run;
mod trainer;

pub use info::*;
pub use run::*;
pub use trainer::*;

use crate::config::TrainConfig;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("types.d.ts");

/// Turns any displayable core error into a JS `Error`.
pub(crate) fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The largest byte buffer any call copies into wasm memory: a raw IDX file at its limit. Bigger ones are
/// refused before copying, since a failed allocation would abort the instance.
pub(crate) const MAX_ARG_BYTES: usize = crate::idx::MAX_IDX_BYTES + 16;

/// Copies a byte-buffer argument named `name` of at most `limit` bytes, refusing anything but
/// `Uint8Array`/`Uint8ClampedArray`.
pub(crate) fn bytes_arg(value: &JsValue, name: &str, limit: usize) -> Result<Vec<u8>, JsError> {
    let check = |len: u32| match len as usize > limit {
        true => Err(js_err(format!("{name} is {} MB; the limit is {} MB", len >> 20, limit >> 20))),
        false => Ok(()),
    };
    if let Some(a) = value.dyn_ref::<js_sys::Uint8Array>() {
        check(a.length())?;
        return Ok(a.to_vec());
    }
    if let Some(a) = value.dyn_ref::<js_sys::Uint8ClampedArray>() {
        check(a.length())?;
        return Ok(a.to_vec());
    }
    Err(js_err(format!("{name} must be a Uint8Array of bytes (0–255), got {}", type_name(value))))
}

/// Copies a `Float32Array` argument named `name` of at most `limit` values, refusing anything else
/// (wasm-bindgen's `&[f32]` glue would convert an `Array` or a `Uint8Array` element by element).
pub(crate) fn f32_arg(value: &JsValue, name: &str, limit: usize) -> Result<Vec<f32>, JsError> {
    let Some(a) = value.dyn_ref::<js_sys::Float32Array>() else {
        return Err(js_err(format!("{name} must be a Float32Array, got {}", type_name(value))));
    };
    if a.length() as usize > limit {
        return Err(js_err(format!("{name} has {} values; the limit is {limit}", a.length())));
    }
    Ok(a.to_vec())
}

/// The most values a flat gradient or weight vector may have (far above cnn-large's 330,858).
pub(crate) const MAX_FLAT_VALUES: usize = 1 << 24;

/// `Float32Array`, `Array`, `number`, `null`…: what a wrong argument is, for error messages.
pub(crate) fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        return "null".into();
    }
    if value.is_object() {
        let ctor = js_sys::Reflect::get(value, &"constructor".into()).ok().filter(|c| c.is_function());
        let name = ctor.and_then(|c| js_sys::Reflect::get(&c, &"name".into()).ok()).and_then(|n| n.as_string());
        return name.filter(|n| !n.is_empty()).unwrap_or_else(|| "object".into());
    }
    value.js_typeof().as_string().unwrap_or_else(|| "unknown".into())
}

/// Parses a config object (`what` names it in messages) into `T`. Non-finite numbers are refused by name (JSON would turn them into
/// `null` and the message would not say which key), arrays and non-objects as a whole.
pub(crate) fn parse_config(config: &JsValue) -> Result<TrainConfig, JsError> {
    parse_object(config, "trainer config")
}

pub(crate) fn parse_object<T: serde::de::DeserializeOwned + Default>(config: &JsValue, what: &str) -> Result<T, JsError> {
    if config.is_undefined() || config.is_null() {
        return Ok(T::default());
    }
    if !config.is_object() || js_sys::Array::is_array(config) || config.is_function() {
        return Err(js_err(format!("invalid {what}: expected an object of settings, got {}", type_name(config))));
    }
    for entry in js_sys::Object::entries(config.unchecked_ref()).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        if let Some(v) = pair.get(1).as_f64().filter(|v| !v.is_finite()) {
            let key = pair.get(0).as_string().unwrap_or_default();
            let v = if v.is_nan() {
                "NaN"
            } else if v > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            };
            return Err(js_err(format!("invalid {what}: {key} must be a finite number, got {v}")));
        }
    }
    // Through JSON so that serde sees every key and refuses unknown ones (serde-wasm-bindgen only looks up
    // the known fields).
    let json = js_sys::JSON::stringify(config).ok().and_then(|j| j.as_string());
    let json = json.ok_or_else(|| js_err(format!("invalid {what}: not a plain object (JSON.stringify failed)")))?;
    serde_json::from_str(&json).map_err(|e| js_err(format!("invalid {what}: {e}")))
}

/// A plain JS object of `fields`, for values serde cannot give (typed arrays); `what` names it in the
/// error.
pub(crate) fn js_object<'a>(what: &str, fields: impl IntoIterator<Item = (&'a str, JsValue)>) -> Result<JsValue, JsError> {
    let out = js_sys::Object::new();
    for (key, value) in fields {
        js_sys::Reflect::set(&out, &key.into(), &value).map_err(|_| js_err(format!("could not build the {what} object")))?;
    }
    Ok(out.into())
}

pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_err)
}
