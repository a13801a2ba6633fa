//! Test hooks, only in builds with the `test-hooks` feature (the end-to-end tests' own
//! copy of the page; never `www/pkg` nor `dist/`): a query with the pair
//! `__panic=<model>:<message>` arms a panic of that model's entry point, which then panics
//! inside the model's own code, where a bug would: in a future on the page's loop, in a
//! process's task, in a thread of the pool.

use crate::params::Model;
use std::sync::Mutex;

/// The key that arms a panic.
const KEY: &str = "__panic";

/// The armed panic's message. A static, not a thread-local: in the threads build the pool
/// threads share it with the host that parsed the query.
static ARMED: Mutex<Option<String>> = Mutex::new(None);

/// `query` without its `__panic` pairs; one that names `model` arms its message.
pub fn strip(query: &str, model: Model) -> String {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let decoded: Vec<(String, String)> = form_urlencoded::parse(pair.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        match decoded.first() {
            Some((k, v)) if k == KEY => {
                if let Some((m, message)) = v.split_once(':') {
                    if m == model.name() {
                        *ARMED.lock().unwrap_or_else(|e| e.into_inner()) = Some(message.into());
                    }
                }
            }
            _ => kept.push(pair),
        }
    }
    kept.join("&")
}

/// Panic with the armed message, once.
pub fn panic_if_armed() {
    let armed = ARMED.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(message) = armed {
        panic!("{message}");
    }
}

/// Whether this build has test hooks: only builds with the `test-hooks` feature export it,
/// so a test can tell the builds apart.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = hasTestHooks)]
pub fn has_test_hooks() -> bool {
    true
}
