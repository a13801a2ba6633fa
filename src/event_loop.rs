//! What a task that awaits needs of an event loop, as asyncio's loop gives it to coroutines:
//! timers (`await asyncio.sleep(s)`), a turn of the loop (`await asyncio.sleep(0)`), and a
//! way to hold the loop while computing without awaiting, as a CPU-bound coroutine does.
//!
//! The loop itself belongs to the platform: the browser's event loop on the page and in
//! each worker (`boundary::js_loop`), or [`NativeLoop`] with [`block_on`] natively, so every
//! model that awaits runs under `cargo test` too. Both keep their sleepers in one
//! [`Timers`] heap, as asyncio's loop keeps its scheduled callbacks in one heap: a single
//! platform timer is armed for the earliest deadline, and every sleeper that is due wakes
//! when it fires. Ten thousand sleeps of 200 ms are a handful of platform timers.
//!
//! A held loop ([`EventLoop::hold`]) wakes no sleeper and no yield until it is released:
//! they are late, and the tasks record the lateness as `blocked`. In the browser the
//! holder still lets the page itself take a turn at every [`EventLoop::breathe`] (at most
//! every 50 ms), so Stop is seen while the modelled loop stays blocked. A task takes the
//! loop with [`take`], which waits while another task holds it: a breath lets the page in,
//! never another task of the loop.
//!
//! A task may also wait on work that another thread does (an executor's, see
//! [`crate::executor`]): natively the loop then parks until that thread wakes it
//! ([`External`]), instead of calling a loop with no timer a deadlock.

use crate::clock::Clock;
use std::cell::{Cell, RefCell};
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// The longest a loop's holders keep the platform from a turn, ms: a browser's page then
/// still sees Stop and input within it.
pub const BREATHE_MS: f64 = 50.0;

/// An event loop, as a task sees it.
pub trait EventLoop: Clock {
    /// Wait until absolute time `deadline` (epoch ms); other tasks run meanwhile.
    fn sleep_until(&self, deadline: f64) -> Wake;

    /// Wait `ms` milliseconds; other tasks run meanwhile (`await asyncio.sleep(ms / 1000)`).
    fn sleep(&self, ms: f64) -> Wake {
        self.sleep_until(self.now_ms() + ms.max(0.0))
    }

    /// Let every other ready task run once (`await asyncio.sleep(0)`); in a browser the page
    /// paints and handles input too.
    fn yield_now(&self) -> Wake;

    /// Hold the loop: until [`EventLoop::release`], no other task of this loop wakes.
    fn hold(&self);

    /// Let go of a held loop: the sleepers and yields that came due meanwhile wake now.
    fn release(&self);

    /// While holding the loop, let the platform itself take a turn (a browser handles input,
    /// so Stop can reach a long computation); no task of this loop wakes, though one that
    /// has never been polled may be polled: it must wait until the loop is [`free`](EventLoop::free).
    fn breathe(&self) -> Wake;

    /// Whether the platform has gone [`BREATHE_MS`] without a turn, counted across every task
    /// that held the loop meanwhile: a holder then [`breathe`](EventLoop::breathe)s. Many
    /// short computations that hand the loop to each other owe it a turn as one long one
    /// does. A worker's platform is owed turns far less often.
    fn breath_due(&self) -> bool;

    /// Ready at once when the loop is free; while another task holds it, ready when it lets
    /// go. A task awaits it before its first step: a future polled for the first time while
    /// the holder breathes must not start, as a coroutine scheduled by `gather` does not
    /// start until the running one awaits.
    fn free(&self) -> Wake;

    /// Block this thread for `ms`, as a blocking call (`time.sleep`) blocks Python's: nothing
    /// else on the thread runs meanwhile. Natively a real sleep; a browser's main thread may
    /// not sleep, so there it waits busily.
    fn block(&self, ms: f64);
}

/// Wait until no task holds `lp`: a task woken when the loop was let go of may find that
/// another woken task took it first, and waits again.
pub async fn until_free<L: EventLoop + ?Sized>(lp: &L) {
    loop {
        let wait = lp.free();
        if wait.is_ready() {
            return;
        }
        wait.await;
    }
}

/// Hold `lp` until the returned guard drops (also when the task holding it is dropped).
pub fn hold<L: EventLoop + ?Sized>(lp: &L) -> Held<'_, L> {
    lp.hold();
    Held(lp)
}

/// Take `lp` for this task: wait while another task holds it (a holder that breathes lets
/// the platform in, not the loop's other tasks), then hold it until the guard drops.
pub async fn take<L: EventLoop + ?Sized>(lp: &L) -> Held<'_, L> {
    until_free(lp).await;
    hold(lp)
}

/// A held loop; dropping it releases the loop.
#[must_use = "dropping the guard releases the loop at once"]
pub struct Held<'a, L: EventLoop + ?Sized>(&'a L);

impl<L: EventLoop + ?Sized> Drop for Held<'_, L> {
    fn drop(&mut self) {
        self.0.release();
    }
}

/// One waiting task's state, shared between its future and the loop.
#[derive(Default, Debug)]
pub struct Waiter {
    done: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Waiter {
    /// Mark the wait over and wake its task.
    pub fn wake(&self) {
        self.done.set(true);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

/// A future that is ready once its [`Waiter`] has been woken.
#[derive(Debug)]
#[must_use = "a wait does nothing unless awaited"]
pub struct Wake(Rc<Waiter>);

impl Wake {
    /// A wait that is over already.
    pub fn ready() -> Wake {
        let w = Waiter::default();
        w.done.set(true);
        Wake(Rc::new(w))
    }

    /// Whether the wait is over already.
    pub fn is_ready(&self) -> bool {
        self.0.done.get()
    }

    /// A new wait and its waiter, for a platform to wake later.
    pub fn pending() -> (Wake, Rc<Waiter>) {
        let w = Rc::new(Waiter::default());
        (Wake(w.clone()), w)
    }
}

impl Future for Wake {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.done.get() {
            Poll::Ready(())
        } else {
            *self.0.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// A heap entry: earliest deadline first, then first come first served.
struct Entry {
    deadline: f64,
    seq: u64,
    waiter: Rc<Waiter>,
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

/// The sleepers and yields of one loop: the part of a loop that is the same on every
/// platform. The platform arms its timer for [`Timers::earliest`], and wakes what
/// [`Timers::due`] and [`Timers::next_yield`] hand it.
#[derive(Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    yields: VecDeque<Rc<Waiter>>,
    held: bool,
    /// Tasks waiting for the loop to be let go of.
    waiting_free: Vec<Rc<Waiter>>,
    /// Holders letting the platform take a turn: served whether or not the loop is held.
    breaths: VecDeque<Rc<Waiter>>,
    /// When the platform last had a turn (absolute ms; 0 before the first).
    turned_at: f64,
    /// The longest the platform goes without a turn, ms, where not [`BREATHE_MS`].
    breath_every: Option<f64>,
}

impl Timers {
    /// A sleeper until absolute time `deadline`.
    pub fn sleep_until(&mut self, deadline: f64) -> Wake {
        let (wake, waiter) = Wake::pending();
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            deadline,
            seq: self.seq,
            waiter,
        }));
        wake
    }

    /// A yield, served first come first served.
    pub fn yield_now(&mut self) -> Wake {
        let (wake, waiter) = Wake::pending();
        self.yields.push_back(waiter);
        wake
    }

    /// The earliest deadline of any sleeper.
    pub fn earliest(&self) -> Option<f64> {
        self.heap.peek().map(|Reverse(e)| e.deadline)
    }

    /// Every sleeper due at `now`, taken off the heap; none while the loop is held.
    pub fn due(&mut self, now: f64) -> Vec<Rc<Waiter>> {
        let mut due = Vec::new();
        while !self.held && self.heap.peek().is_some_and(|Reverse(e)| e.deadline <= now) {
            if let Some(Reverse(e)) = self.heap.pop() {
                due.push(e.waiter);
            }
        }
        due
    }

    /// The oldest yield, taken off the queue; none while the loop is held.
    pub fn next_yield(&mut self) -> Option<Rc<Waiter>> {
        if self.held {
            None
        } else {
            self.yields.pop_front()
        }
    }

    /// A breath: the holder waits for the platform's next turn.
    pub fn breathe(&mut self) -> Wake {
        let (wake, waiter) = Wake::pending();
        self.breaths.push_back(waiter);
        wake
    }

    /// The oldest breath, taken off its queue.
    pub fn next_breath(&mut self) -> Option<Rc<Waiter>> {
        self.breaths.pop_front()
    }

    /// The platform had a turn at `now`: it ran one of its own tasks (a timer, a message)
    /// before coming back to this loop.
    pub fn turned(&mut self, now: f64) {
        self.turned_at = now;
    }

    /// Whether a holder of the loop owes the platform a turn at `now`: it has had none for
    /// [`BREATHE_MS`] (or as long as [`Timers::breathe_every`] said), whichever tasks held
    /// the loop meanwhile.
    pub fn breath_due(&self, now: f64) -> bool {
        now - self.turned_at >= self.breath_every.unwrap_or(BREATHE_MS)
    }

    /// Give the platform a turn every `ms` instead of every [`BREATHE_MS`] (never, with
    /// `f64::INFINITY`): a worker, where no input waits and each turn costs the
    /// computation time.
    pub fn breathe_every(&mut self, ms: f64) {
        self.breath_every = Some(ms);
    }

    /// Yields waiting to be served.
    pub fn yields_waiting(&self) -> usize {
        self.yields.len()
    }

    /// Whether nothing waits at all.
    pub fn is_idle(&self) -> bool {
        self.heap.is_empty() && self.yields.is_empty() && self.breaths.is_empty()
    }

    /// Hold or release the loop; releasing returns the tasks that waited for it to be free,
    /// to wake.
    #[must_use = "the tasks waiting for the loop to be free must be woken"]
    pub fn set_held(&mut self, held: bool) -> Vec<Rc<Waiter>> {
        self.held = held;
        if held {
            Vec::new()
        } else {
            std::mem::take(&mut self.waiting_free)
        }
    }

    /// A wait for the loop to be free: ready at once unless it is held.
    pub fn free(&mut self) -> Wake {
        if !self.held {
            return Wake::ready();
        }
        let (wake, waiter) = Wake::pending();
        self.waiting_free.push(waiter);
        wake
    }

    /// Whether the loop is held.
    pub fn is_held(&self) -> bool {
        self.held
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::{block_on, External, NativeLoop};

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::*;
    use crate::clock::SystemClock;
    use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
    use std::sync::Arc;
    use std::task::Wake as TaskWake;

    thread_local! {
        static TIMERS: RefCell<Timers> = RefCell::new(Timers::default());
        /// Waits on other threads' work now pending on this thread's loop.
        static EXTERNAL: Cell<usize> = const { Cell::new(0) };
    }

    /// A wait on work another thread does for this thread's loop (an executor's): while one
    /// is alive, [`block_on`] parks until it is woken instead of calling a loop with no
    /// timer a deadlock. Made and dropped on the loop's thread.
    #[derive(Debug)]
    pub struct External(());

    impl External {
        /// A wait begins.
        pub fn new() -> External {
            EXTERNAL.with(|n| n.set(n.get() + 1));
            External(())
        }
    }

    impl Default for External {
        fn default() -> Self {
            External::new()
        }
    }

    impl Drop for External {
        fn drop(&mut self) {
            EXTERNAL.with(|n| n.set(n.get().saturating_sub(1)));
        }
    }

    /// This thread's native event loop: real time, real sleeps, driven by [`block_on`].
    #[derive(Clone, Copy, Debug, Default)]
    pub struct NativeLoop;

    impl Clock for NativeLoop {
        fn now_ms(&self) -> f64 {
            SystemClock.now_ms()
        }
    }

    impl EventLoop for NativeLoop {
        fn sleep_until(&self, deadline: f64) -> Wake {
            TIMERS.with(|t| t.borrow_mut().sleep_until(deadline))
        }

        fn yield_now(&self) -> Wake {
            TIMERS.with(|t| t.borrow_mut().yield_now())
        }

        fn hold(&self) {
            let none = TIMERS.with(|t| t.borrow_mut().set_held(true));
            debug_assert!(none.is_empty());
        }

        fn release(&self) {
            for w in TIMERS.with(|t| t.borrow_mut().set_held(false)) {
                w.wake();
            }
        }

        fn breathe(&self) -> Wake {
            TIMERS.with(|t| t.borrow_mut().breathe())
        }

        fn breath_due(&self) -> bool {
            TIMERS.with(|t| t.borrow().breath_due(SystemClock.now_ms()))
        }

        fn free(&self) -> Wake {
            TIMERS.with(|t| t.borrow_mut().free())
        }

        fn block(&self, ms: f64) {
            if ms > 0.0 {
                std::thread::sleep(std::time::Duration::from_secs_f64(ms / 1000.0));
            }
        }
    }

    /// The waker of [`block_on`]'s future: a flag, and the loop's thread to unpark, since
    /// another thread (an executor's) may be the one that wakes it.
    struct Flag {
        woken: AtomicBool,
        thread: std::thread::Thread,
    }

    impl TaskWake for Flag {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.store(true, AtomicOrdering::SeqCst);
            self.thread.unpark();
        }
    }

    /// Run `future` to completion on this thread's [`NativeLoop`], as `asyncio.run` does:
    /// poll it when woken; otherwise serve the yields, then the sleepers that are due, and
    /// park until the next deadline (or until another thread wakes it) when nothing is ready.
    ///
    /// # Panics
    ///
    /// When the future waits on something this loop can never wake (a deadlock).
    pub fn block_on<F: Future>(future: F) -> F::Output {
        let flag = Arc::new(Flag {
            woken: AtomicBool::new(true),
            thread: std::thread::current(),
        });
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if flag.woken.swap(false, AtomicOrdering::SeqCst) {
                if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                    return out;
                }
                continue;
            }
            // One turn: the breaths, every yield queued before it, then every sleeper due.
            let woken = TIMERS.with(|t| {
                let mut t = t.borrow_mut();
                t.turned(SystemClock.now_ms());
                let mut woken: Vec<Rc<Waiter>> = Vec::new();
                while let Some(b) = t.next_breath() {
                    woken.push(b);
                }
                for _ in 0..t.yields_waiting() {
                    woken.extend(t.next_yield());
                }
                woken.extend(t.due(SystemClock.now_ms()));
                woken
            });
            if !woken.is_empty() {
                for w in woken {
                    w.wake();
                }
                continue;
            }
            let next = TIMERS.with(|t| t.borrow().earliest());
            match next {
                Some(deadline) => {
                    let left = deadline - SystemClock.now_ms();
                    if left > 0.0 {
                        std::thread::park_timeout(std::time::Duration::from_secs_f64(
                            left / 1000.0,
                        ));
                    }
                }
                // Another thread's work is pending: it wakes the future when it is done.
                None if EXTERNAL.with(Cell::get) > 0 => std::thread::park(),
                None => panic!("block_on: the future waits on nothing this loop can wake"),
            }
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use futures_util::future::join_all;

    /// Sleeps on one loop overlap: ten sleeps of 30 ms end together in about 30 ms.
    #[test]
    fn sleeps_overlap() {
        let lp = NativeLoop;
        let start = lp.now_ms();
        block_on(join_all((0..10).map(|_| lp.sleep(30.0))));
        let took = lp.now_ms() - start;
        assert!((29.0..300.0).contains(&took), "took {took} ms");
    }

    /// Sleepers wake in deadline order, and equal deadlines in the order they slept.
    #[test]
    fn wake_order() {
        let lp = NativeLoop;
        let order = RefCell::new(Vec::new());
        let task = |id: u32, ms: f64| {
            let order = &order;
            async move {
                lp.sleep(ms).await;
                order.borrow_mut().push(id);
            }
        };
        block_on(futures_util::future::join3(
            task(0, 20.0),
            task(1, 5.0),
            task(2, 5.0),
        ));
        assert_eq!(*order.borrow(), [1, 2, 0]);
    }

    /// A held loop wakes nobody: a sleeper due while another task holds the loop wakes
    /// only after the release, late by the holding.
    #[test]
    fn a_held_loop_wakes_no_one() {
        let lp = NativeLoop;
        let woke = Cell::new(0.0);
        let start = lp.now_ms();
        let sleeper = async {
            lp.sleep(5.0).await;
            woke.set(lp.now_ms() - start);
        };
        let holder = async {
            lp.yield_now().await;
            let _held = hold(&lp);
            while lp.now_ms() - start < 40.0 {
                lp.breathe().await;
            }
        };
        block_on(futures_util::future::join(sleeper, holder));
        assert!(
            woke.get() >= 40.0,
            "woke at {} ms, while the loop was held",
            woke.get()
        );
    }

    /// A deadlock is a panic that says so, not a hang.
    #[test]
    #[should_panic(expected = "waits on nothing")]
    fn deadlock_panics() {
        let (wake, _never) = Wake::pending();
        block_on(wake);
    }
}
