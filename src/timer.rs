//! Waiting on the JS event loop: timers and zero-length yields, both as macrotasks.
//!
//! A future that yields with a microtask (a resolved `Promise`) never lets the page paint
//! or other timers fire; these wake the future from a macrotask instead, so the loop
//! really turns between tasks, as `await asyncio.sleep(...)` lets Python's loop turn.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(inline_js = r#"
// setTimeout(0) is clamped to 4 ms once timers nest five deep
// (https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#timers),
// so a zero-length sleep posts to a MessageChannel instead: a macrotask with no clamp.
const channel = new MessageChannel();
const queue = [];
channel.port1.onmessage = () => queue.shift()();
export function macrotask(ms) {
  return new Promise((resolve) => {
    if (ms > 0) {
      setTimeout(resolve, ms);
    } else {
      queue.push(resolve);
      channel.port2.postMessage(0);
    }
  });
}
"#)]
extern "C" {
    fn macrotask(ms: f64) -> Promise;
}

/// Wait `ms` milliseconds on the event loop (a `setTimeout`), like `await asyncio.sleep(ms)`.
pub async fn sleep(ms: f64) {
    // The promise never rejects; an Err here could only come from a broken JS environment.
    let _ = JsFuture::from(macrotask(ms.max(0.0))).await;
}

/// Let every other ready task and the page run once, like `await asyncio.sleep(0)`.
pub async fn yield_now() {
    let _ = JsFuture::from(macrotask(0.0)).await;
}
