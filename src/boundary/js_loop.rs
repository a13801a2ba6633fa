//! The browser's clock and event loop, as the core's [`Clock`] and [`EventLoop`].
//!
//! [`PerformanceClock`] is `performance.timeOrigin + performance.now()`: epoch ms, the same
//! wall clock on the page and in every worker and thread.
//!
//! [`JsLoop`] is this thread's JS event loop (the page's, or a worker's), driven by
//! `wasm-bindgen-futures`. Its sleepers live in the core's [`Timers`] heap with one
//! `setTimeout` armed for the earliest deadline. Yields and breaths are macrotasks posted on
//! a `MessageChannel`: a future that woke itself with a microtask (a resolved `Promise`)
//! would never let the page paint or other timers fire, and `setTimeout(0)` would not do
//! either, as browsers clamp it to 4 ms once timers nest five deep
//! (https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#timers). Every
//! timer, yield and breath that arrives marks a turn of the platform
//! ([`Timers::turned`]), from which a holder of the loop tells when the next breath is due.
//!
//! A worker's loop breathes far less often than the page's. In WebKit each round trip
//! through a worker's own event loop put it to sleep for 10-25 ms: a process that breathed
//! every 50 ms computed at 40-60% of its speed (docs/engines.md). But a worker needs a turn
//! when Stop comes: Chromium's `terminate()` did not stop a worker computing in
//! WebAssembly that never returned to its event loop (it computed on for the whole second
//! measured after it), and stopped one that breathed within a breath. So a worker watches a
//! stop flag in shared memory where the page can share memory ([`watch_stop`]), and takes a
//! turn only when it is raised; elsewhere it breathes every [`WORKER_BREATHE_MS`].
//!
//! A worker may also be given a sign of life to send ([`send_signs_of_life`]): it is called
//! at every chunk of computing and at least every [`SIGN_OF_LIFE_MS`] while a task sleeps,
//! so the page can tell a process that computes or waits from one whose code stopped.

use crate::clock::Clock;
use crate::event_loop::{EventLoop, Timers, Wake};
use js_sys::{Array, Atomics, Function, Int32Array, Reflect};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
    #[wasm_bindgen(thread_local_v2, js_namespace = performance, js_name = timeOrigin)]
    static TIME_ORIGIN: f64;
    /// The global `setTimeout`, on the page and in workers alike.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;
}

/// The browser's clock: epoch milliseconds, comparable across the page and every worker.
#[derive(Clone, Copy, Debug, Default)]
pub struct PerformanceClock;

impl Clock for PerformanceClock {
    fn now_ms(&self) -> f64 {
        TIME_ORIGIN.with(|origin| *origin) + performance_now()
    }
}

/// A `MessageChannel` whose every message calls back into Rust.
struct Channel {
    port: JsValue,
    post: Function,
    _on_message: Closure<dyn FnMut()>,
}

impl Channel {
    /// Built with `js_sys` alone, on the page and in workers alike, so the build needs no JS
    /// snippet of its own.
    fn new(on_message: impl FnMut() + 'static) -> Result<Channel, JsValue> {
        let ctor: Function =
            Reflect::get(&js_sys::global(), &"MessageChannel".into())?.dyn_into()?;
        let channel = Reflect::construct(&ctor, &Array::new())?;
        let port1 = Reflect::get(&channel, &"port1".into())?;
        let port2 = Reflect::get(&channel, &"port2".into())?;
        let on_message = Closure::<dyn FnMut()>::new(on_message);
        Reflect::set(&port1, &"onmessage".into(), on_message.as_ref())?;
        let post: Function = Reflect::get(&port2, &"postMessage".into())?.dyn_into()?;
        Ok(Channel {
            port: port2,
            post,
            _on_message: on_message,
        })
    }

    fn post(&self) -> Result<(), JsValue> {
        self.post.call1(&self.port, &JsValue::from(0)).map(|_| ())
    }
}

/// This thread's loop state.
#[derive(Default)]
struct State {
    timers: Timers,
    /// The deadline the armed `setTimeout` fires for, if one is armed.
    armed: Option<f64>,
    on_timer: Option<Closure<dyn FnMut()>>,
    yields: Option<Channel>,
    /// Yield messages posted and not yet arrived.
    yields_in_flight: usize,
    breaths: Option<Channel>,
    /// A worker's stop flag, word 0 of shared memory the page raises before terminating it.
    stop: Option<Int32Array>,
    /// What a worker calls to tell the page it is alive (it throttles itself).
    sign_of_life: Option<Function>,
}

thread_local! {
    static LOOP: RefCell<State> = RefCell::new(State::for_this_thread());
}

/// How often a worker's loop lets its event loop take a turn while it computes, where it
/// has no stop flag to watch, ms: Stop reaches it within this in Chromium, and in WebKit a
/// turn costs 4-10% of it.
pub const WORKER_BREATHE_MS: f64 = 250.0;

impl State {
    /// A new loop state; a worker's (there is no `document` in a worker's global scope)
    /// breathes every [`WORKER_BREATHE_MS`].
    fn for_this_thread() -> State {
        let mut state = State::default();
        if !Reflect::has(&js_sys::global(), &"document".into()).unwrap_or(false) {
            state.timers.breathe_every(WORKER_BREATHE_MS);
        }
        state
    }
}

/// This worker's loop watches `flag` (an `Int32Array` over shared memory; the page raises
/// word 0 before it terminates the worker) and takes a turn only once it is raised: the
/// worker then computes without a pause, and Stop still ends it at once.
pub fn watch_stop(flag: Int32Array) {
    LOOP.with(|l| {
        let mut state = l.borrow_mut();
        state.stop = Some(flag);
        state.timers.breathe_every(f64::INFINITY);
    });
}

/// The longest a sleeping worker with a sign of life to send goes without sending it, ms:
/// its timer fires at least this often, and wakes whoever is due. The page's figure is the
/// same (`SIGN_OF_LIFE_MS` in www/shared/protocol.js).
pub const SIGN_OF_LIFE_MS: f64 = 250.0;

/// From now on this worker calls `sign` at every chunk of computing, and at least every
/// [`SIGN_OF_LIFE_MS`] while anything on its loop sleeps. `sign` posts the page a message
/// and throttles itself; it must not call back into this module.
pub fn send_signs_of_life(sign: Function) {
    LOOP.with(|l| l.borrow_mut().sign_of_life = Some(sign));
}

/// Call the sign of life, if there is one.
fn sign_of_life(state: &State) {
    if let Some(sign) = &state.sign_of_life {
        let _ = sign.call0(&JsValue::UNDEFINED);
    }
}

/// Arm the browser timer for the earliest deadline (no later than a sign of life is due),
/// unless one is armed for it already.
fn arm(state: &mut State) {
    let Some(mut deadline) = state.timers.earliest() else {
        return;
    };
    if state.sign_of_life.is_some() {
        deadline = deadline.min(PerformanceClock.now_ms() + SIGN_OF_LIFE_MS);
    }
    if state.armed.is_some_and(|armed| armed <= deadline) {
        return;
    }
    let callback = state
        .on_timer
        .get_or_insert_with(|| Closure::new(fire))
        .as_ref()
        .unchecked_ref::<Function>()
        .clone();
    state.armed = Some(deadline);
    set_timeout(&callback, (deadline - PerformanceClock.now_ms()).max(0.0));
}

/// The browser timer fired: wake every sleeper that is due, then re-arm for the rest.
fn fire() {
    let due = LOOP.with(|l| {
        let mut state = l.borrow_mut();
        state.armed = None;
        let now = PerformanceClock.now_ms();
        state.timers.turned(now);
        sign_of_life(&state);
        let due = state.timers.due(now);
        arm(&mut state);
        due
    });
    // Wake outside the borrow: a woken future may sleep again at once.
    for waiter in due {
        waiter.wake();
    }
}

/// A yield's message arrived: wake the oldest yield (none while the loop is held; the
/// release posts again for the yields still waiting).
fn serve_yield() {
    let next = LOOP.with(|l| {
        let mut state = l.borrow_mut();
        state.yields_in_flight = state.yields_in_flight.saturating_sub(1);
        state.timers.turned(PerformanceClock.now_ms());
        state.timers.next_yield()
    });
    if let Some(waiter) = next {
        waiter.wake();
    }
}

fn serve_breath() {
    let next = LOOP.with(|l| {
        let mut state = l.borrow_mut();
        state.timers.turned(PerformanceClock.now_ms());
        state.timers.next_breath()
    });
    if let Some(waiter) = next {
        waiter.wake();
    }
}

/// Post on one of the loop's channels, making it first; `false` where there is no
/// `MessageChannel`.
fn post(which: fn(&mut State) -> &mut Option<Channel>, serve: fn()) -> bool {
    LOOP.with(|l| {
        let mut state = l.borrow_mut();
        let slot = which(&mut state);
        if slot.is_none() {
            *slot = Channel::new(serve).ok();
        }
        slot.as_ref().is_some_and(|c| c.post().is_ok())
    })
}

/// The JS event loop of this thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsLoop;

impl EventLoop for JsLoop {
    fn sleep_until(&self, deadline: f64) -> Wake {
        LOOP.with(|l| {
            let mut state = l.borrow_mut();
            let wake = state.timers.sleep_until(deadline);
            arm(&mut state);
            wake
        })
    }

    fn yield_now(&self) -> Wake {
        // The message is a macrotask: it arrives after this call has queued the yield.
        if post(|s| &mut s.yields, serve_yield) {
            LOOP.with(|l| {
                let mut state = l.borrow_mut();
                state.yields_in_flight += 1;
                state.timers.yield_now()
            })
        } else {
            // No MessageChannel here: a timer, clamped but still a macrotask.
            self.sleep(0.0)
        }
    }

    fn hold(&self) {
        // Holding frees no one.
        let _ = LOOP.with(|l| l.borrow_mut().timers.set_held(true));
    }

    fn release(&self) {
        let (missing, free) = LOOP.with(|l| {
            let mut state = l.borrow_mut();
            let free = state.timers.set_held(false);
            let missing = state
                .timers
                .yields_waiting()
                .saturating_sub(state.yields_in_flight);
            (missing, free)
        });
        // The tasks that waited for the loop to be free may go on.
        for w in free {
            w.wake();
        }
        // The messages of yields that arrived while the loop was held served no one: post
        // one again for each yield still waiting without one.
        for _ in 0..missing {
            if post(|s| &mut s.yields, serve_yield) {
                LOOP.with(|l| l.borrow_mut().yields_in_flight += 1);
            }
        }
        fire();
    }

    fn free(&self) -> Wake {
        LOOP.with(|l| l.borrow_mut().timers.free())
    }

    fn breathe(&self) -> Wake {
        let wake = LOOP.with(|l| l.borrow_mut().timers.breathe());
        if !post(|s| &mut s.breaths, serve_breath) {
            serve_breath();
        }
        wake
    }

    fn breath_due(&self) -> bool {
        LOOP.with(|l| {
            let state = l.borrow();
            // Asked at every chunk of computing: the worker is alive.
            sign_of_life(&state);
            let stopped = state
                .stop
                .as_ref()
                .is_some_and(|f| Atomics::load(f, 0).is_ok_and(|v| v != 0));
            stopped || state.timers.breath_due(PerformanceClock.now_ms())
        })
    }

    fn block(&self, ms: f64) {
        // The page's thread may not sleep (`Atomics.wait` is refused there): wait busily, as
        // a blocked thread would hold it.
        let until = self.now_ms() + ms;
        while self.now_ms() < until {
            std::hint::spin_loop();
        }
    }
}

/// The loop's clock is the page's (or the worker's) own.
impl Clock for JsLoop {
    fn now_ms(&self) -> f64 {
        PerformanceClock.now_ms()
    }
}
