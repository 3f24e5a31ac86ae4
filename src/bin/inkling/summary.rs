//! `inkling summary`: a network's layers, output shapes and parameter counts, as Keras'
//! `model.summary()` prints them, for a preset or a spec file.

use candle_core::{bail, Result};
use inkling::spec::{preset, ModelKind, ModelSpec};
use std::path::Path;

/// The spec in the JSON file at `path`, checked.
pub fn read_spec(path: &Path) -> Result<ModelSpec> {
    let text = std::fs::read_to_string(path).map_err(|e| candle_core::Error::Msg(format!("cannot read {}: {e}", path.display())))?;
    let (spec, _) = ModelSpec::from_json(&text).map_err(|e| candle_core::Error::Msg(format!("{}: {e}", path.display())))?;
    Ok(spec)
}

/// Prints the summary of preset `model` or of the spec in `spec_file` (JSON with `json`).
pub fn summary(model: Option<&str>, spec_file: Option<&Path>, json: bool) -> Result<()> {
    let (name, spec) = match (model, spec_file) {
        (Some(name), None) => match name.parse().ok().and_then(preset) {
            Some(spec) => (name.to_string(), spec),
            None => bail!("no preset called \"{name}\" (presets: {})", ModelKind::preset_names()),
        },
        (None, Some(path)) => (path.display().to_string(), read_spec(path)?),
        _ => bail!("give either --model NAME ({}) or --spec FILE", ModelKind::preset_names()),
    };
    let summary = spec.summary()?;
    if json {
        println!("{}", serde_json::json!({ "model": name, "spec": spec, "summary": summary }));
    } else {
        println!("Model: {name}\n{summary}");
    }
    Ok(())
}
