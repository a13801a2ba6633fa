//! Waiting on the JS event loop: timers and zero-length yields, both as macrotasks.
//!
//! A future that yields with a microtask (a resolved `Promise`) never lets the page paint
//! or other timers fire; these wake the future from a macrotask instead, so the loop
//! really turns between tasks, as `await asyncio.sleep(...)` lets Python's loop turn.
//!
//! Sleeping futures share one timer heap, as asyncio's loop keeps its scheduled callbacks in
//! one heap: a single `setTimeout` is armed for the earliest deadline, and when it fires every
//! sleeper that is due wakes in that one macrotask. Ten thousand sleeps of 200 ms are then a
//! handful of browser timers, not ten thousand.

use crate::clock::now_ms;
use js_sys::{Array, Function, Reflect};
use std::cell::{Cell, RefCell};
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout`, on the page and in workers alike.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;
}

/// One sleeper's state, shared between its future and the heap.
#[derive(Default)]
struct Sleeper {
    done: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// A heap entry: earliest deadline first, then first come first served.
struct Entry {
    deadline: f64,
    seq: u64,
    sleeper: Rc<Sleeper>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.deadline
            .total_cmp(&other.deadline)
            .then(self.seq.cmp(&other.seq))
    }
}

#[derive(Default)]
struct Timers {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    /// The deadline the armed `setTimeout` fires for, if one is armed.
    armed: Option<f64>,
    callback: Option<Closure<dyn FnMut()>>,
}

thread_local! {
    static TIMERS: RefCell<Timers> = RefCell::new(Timers::default());
}

/// Arm the browser timer for the earliest deadline, unless one is armed for it already.
fn arm(timers: &mut Timers) {
    let Some(Reverse(first)) = timers.heap.peek() else {
        return;
    };
    let deadline = first.deadline;
    if timers.armed.is_some_and(|armed| armed <= deadline) {
        return;
    }
    let callback = timers
        .callback
        .get_or_insert_with(|| Closure::new(fire))
        .as_ref()
        .unchecked_ref::<Function>()
        .clone();
    timers.armed = Some(deadline);
    set_timeout(&callback, (deadline - now_ms()).max(0.0));
}

/// The browser timer fired: wake every sleeper that is due, then re-arm for the rest.
fn fire() {
    let due: Vec<Rc<Sleeper>> = TIMERS.with(|t| {
        let mut timers = t.borrow_mut();
        timers.armed = None;
        let now = now_ms();
        let mut due = Vec::new();
        while timers
            .heap
            .peek()
            .is_some_and(|Reverse(e)| e.deadline <= now)
        {
            if let Some(Reverse(e)) = timers.heap.pop() {
                due.push(e.sleeper);
            }
        }
        arm(&mut timers);
        due
    });
    // Wake outside the borrow: a woken future may sleep again at once.
    for sleeper in due {
        sleeper.done.set(true);
        if let Some(waker) = sleeper.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

/// A future that is ready once the heap has woken it.
struct Sleep {
    sleeper: Rc<Sleeper>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.sleeper.done.get() {
            Poll::Ready(())
        } else {
            *self.sleeper.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// Wait `ms` milliseconds on the event loop, like `await asyncio.sleep(ms / 1000)`.
pub async fn sleep(ms: f64) {
    let sleeper = Rc::new(Sleeper::default());
    TIMERS.with(|t| {
        let mut timers = t.borrow_mut();
        timers.seq += 1;
        let entry = Entry {
            deadline: now_ms() + ms.max(0.0),
            seq: timers.seq,
            sleeper: sleeper.clone(),
        };
        timers.heap.push(Reverse(entry));
        arm(&mut timers);
    });
    Sleep { sleeper }.await
}

/// A MessageChannel: posting to `port` wakes `on_message` on the other port.
struct Channel {
    port: JsValue,
    post: Function,
    _on_message: Closure<dyn FnMut()>,
}

/// Yields waiting for their macrotask, first come first served.
struct Yields {
    queue: VecDeque<Rc<Sleeper>>,
    channel: Option<Channel>,
}

thread_local! {
    static YIELDS: RefCell<Yields> = const {
        RefCell::new(Yields {
            queue: VecDeque::new(),
            channel: None,
        })
    };
}

/// A MessageChannel whose every message wakes the oldest yield. `setTimeout(0)` would not
/// do: browsers clamp it to 4 ms once timers nest five deep
/// (https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#timers), while a
/// posted message is a macrotask with no clamp. Built with `js_sys` alone, on the page and
/// in workers alike, so the build needs no JS snippet of its own.
fn channel() -> Result<Channel, JsValue> {
    let ctor: Function = Reflect::get(&js_sys::global(), &"MessageChannel".into())?.dyn_into()?;
    let channel = Reflect::construct(&ctor, &Array::new())?;
    let port1 = Reflect::get(&channel, &"port1".into())?;
    let port2 = Reflect::get(&channel, &"port2".into())?;
    let on_message = Closure::<dyn FnMut()>::new(|| {
        let next = YIELDS.with(|y| y.borrow_mut().queue.pop_front());
        if let Some(sleeper) = next {
            sleeper.done.set(true);
            if let Some(waker) = sleeper.waker.borrow_mut().take() {
                waker.wake();
            }
        }
    });
    Reflect::set(&port1, &"onmessage".into(), on_message.as_ref())?;
    let post: Function = Reflect::get(&port2, &"postMessage".into())?.dyn_into()?;
    Ok(Channel {
        port: port2,
        post,
        _on_message: on_message,
    })
}

/// Let every other ready task and the page run once, like `await asyncio.sleep(0)`.
pub async fn yield_now() {
    let sleeper = Rc::new(Sleeper::default());
    let posted = YIELDS.with(|y| {
        let mut yields = y.borrow_mut();
        if yields.channel.is_none() {
            yields.channel = Some(channel()?);
        }
        yields.queue.push_back(sleeper.clone());
        match &yields.channel {
            Some(c) => c.post.call1(&c.port, &JsValue::from(0)).map(|_| ()),
            None => Ok(()),
        }
    });
    if posted.is_err() {
        // No MessageChannel here: fall back to a timer, clamped but still a macrotask.
        YIELDS.with(|y| y.borrow_mut().queue.retain(|s| !Rc::ptr_eq(s, &sleeper)));
        return sleep(0.0).await;
    }
    Sleep { sleeper }.await
}
