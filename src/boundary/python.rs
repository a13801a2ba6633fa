//! The Python build's exports: the runnable Python script for a scenario. A build of its
//! own, loaded by the page's Python panel once the page is ready: its template engine would
//! double the size of the build the page needs to start.

use super::scenario;
use crate::params::Model;
use crate::python;
use wasm_bindgen::prelude::*;

fn model_named(model: &str) -> Result<Model, JsError> {
    model.parse().map_err(|_| {
        JsError::new(&format!(
            "model: {model:?} is not a model (valid: {})",
            Model::NAMES.join(", ")
        ))
    })
}

/// The runnable Python script for the scenario and model (or the lab, if one is chosen).
#[wasm_bindgen(js_name = pythonScript)]
pub fn python_script(query: &str, model: &str) -> Result<String, JsError> {
    let p = scenario(query, Model::Sequential)?;
    if let Some(script) = python::lab_script(&p) {
        return Ok(script);
    }
    Ok(python::script(&p, model_named(model)?))
}

/// The file name to save the Python script for the scenario and model under.
#[wasm_bindgen(js_name = pythonFilename)]
pub fn python_filename(query: &str, model: &str) -> Result<String, JsError> {
    let p = scenario(query, Model::Sequential)?;
    if let Some(name) = python::lab_filename(&p) {
        return Ok(name);
    }
    Ok(python::filename(&p, model_named(model)?))
}
