//! The only code that touches `JsValue`.
