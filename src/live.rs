//! Spans as they happen, in a ring of fixed slots that another agent sharing this memory
//! reads while the run goes on.
//!
//! A threading run blocks its host worker until every task is done, so the host cannot post
//! snapshots the way the event-loop models do. Its memory is shared with the page, though:
//! every thread writes each span here the moment it is measured, and the page reads the
//! slots by address ([`SpanRing::layout`]) about every 100 ms, with no message at all.
//!
//! The protocol is a sequence lock per slot. A writer takes the next index from `head`,
//! marks the slot as being written (`seq` = 0), fills it, and publishes it with
//! `seq` = index + 1. A reader that wants entry `i` reads `seq`, the fields, then `seq`
//! again, and keeps the entry only if both reads say `i + 1`: anything else means the slot
//! was not written yet, or was overwritten by an entry [`CAPACITY`] later, or changed while
//! it read. Every field is an atomic, so the writers never race in the Rust sense; the
//! reader (JS) reads plain typed-array views and relies on the `seq` check.
//!
//! An entry is *open* when its span has begun and not ended yet (a thread that has started
//! to wait or to compute, with no GIL that could interrupt it): a reader draws it up to now,
//! until the same lane's closed span of that state replaces it.

use crate::trace::State;
use serde::Serialize;
use std::mem::{offset_of, size_of};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Slots in a ring: at 100 ms between reads, room for 40,000 spans a second.
pub const CAPACITY: usize = 4096;

/// The value of `task` for a span of no task.
pub const NO_TASK: u32 = u32::MAX;

/// One span, written by one thread. 8-aligned, so a reader can view its times as `f64`s.
#[repr(C, align(8))]
pub struct Slot {
    /// 0 while being written, else the index of the entry it holds, plus one.
    seq: AtomicU32,
    lane: AtomicU32,
    /// The task, or [`NO_TASK`].
    task: AtomicU32,
    /// The state's index in [`State::ALL`].
    state: AtomicU32,
    /// 1 for an open span (its end is when it was written), 0 for a finished one.
    open: AtomicU32,
    _pad: u32,
    /// Absolute start, ms, as `f64` bits.
    start_ms: AtomicU64,
    /// Absolute end, ms, as `f64` bits.
    end_ms: AtomicU64,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            seq: AtomicU32::new(0),
            lane: AtomicU32::new(0),
            task: AtomicU32::new(0),
            state: AtomicU32::new(0),
            open: AtomicU32::new(0),
            _pad: 0,
            start_ms: AtomicU64::new(0),
            end_ms: AtomicU64::new(0),
        }
    }
}

/// A ring of spans. Put one in a `static` of the build whose memory is shared.
#[repr(C)]
pub struct SpanRing {
    /// The next entry's index (entries ever pushed).
    head: AtomicU32,
    slots: [Slot; CAPACITY],
}

/// One entry as a reader sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    /// The lane it belongs to.
    pub lane: u32,
    /// Its task, if any.
    pub task: Option<u32>,
    /// What the lane was doing.
    pub state: State,
    /// Absolute start, ms.
    pub start_ms: f64,
    /// Absolute end, ms (for an open span: when it was written).
    pub end_ms: f64,
    /// Begun, not yet ended.
    pub open: bool,
}

/// Where a ring is in memory, for a reader that has only the memory: byte addresses and
/// offsets, as JS builds its typed-array views from them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Layout {
    /// Byte address of `head` (a `u32`).
    pub head: usize,
    /// Byte address of the first slot.
    pub slots: usize,
    /// Slots in the ring.
    pub capacity: usize,
    /// Bytes per slot (a multiple of 8).
    pub slot_bytes: usize,
    /// Byte offsets within a slot: `u32` fields.
    pub seq: usize,
    /// Offset of the lane.
    pub lane: usize,
    /// Offset of the task (`u32::MAX`, -1 as an `i32`, for none).
    pub task: usize,
    /// Offset of the state's index in the schema's `states`.
    pub state: usize,
    /// Offset of the open flag.
    pub open: usize,
    /// Offset of the start, an `f64`.
    pub start_ms: usize,
    /// Offset of the end, an `f64`.
    pub end_ms: usize,
}

impl Default for SpanRing {
    fn default() -> Self {
        Self::new()
    }
}

impl SpanRing {
    /// An empty ring.
    pub const fn new() -> SpanRing {
        SpanRing {
            head: AtomicU32::new(0),
            slots: [const { Slot::new() }; CAPACITY],
        }
    }

    /// Entries pushed so far: a reader starts a run from here.
    pub fn head(&self) -> u32 {
        self.head.load(Ordering::SeqCst)
    }

    /// Write one span (absolute times). Safe from any number of threads at once.
    pub fn push(
        &self,
        lane: u32,
        task: Option<u32>,
        state: State,
        start_ms: f64,
        end_ms: f64,
        open: bool,
    ) {
        let index = self.head.fetch_add(1, Ordering::SeqCst);
        let slot = &self.slots[index as usize % CAPACITY];
        slot.seq.store(0, Ordering::SeqCst);
        slot.lane.store(lane, Ordering::Relaxed);
        slot.task.store(task.unwrap_or(NO_TASK), Ordering::Relaxed);
        let state_index = State::ALL.iter().position(|s| *s == state).unwrap_or(0);
        slot.state.store(state_index as u32, Ordering::Relaxed);
        slot.open.store(u32::from(open), Ordering::Relaxed);
        slot.start_ms.store(start_ms.to_bits(), Ordering::Relaxed);
        slot.end_ms.store(end_ms.to_bits(), Ordering::Relaxed);
        slot.seq.store(index.wrapping_add(1), Ordering::SeqCst);
    }

    /// Entry `index`, if it is there and whole: `None` when it is not written yet, or has
    /// been overwritten. The same check a JS reader makes.
    pub fn read(&self, index: u32) -> Option<Entry> {
        let slot = &self.slots[index as usize % CAPACITY];
        let want = index.wrapping_add(1);
        if slot.seq.load(Ordering::SeqCst) != want {
            return None;
        }
        let task = slot.task.load(Ordering::Relaxed);
        let entry = Entry {
            lane: slot.lane.load(Ordering::Relaxed),
            task: (task != NO_TASK).then_some(task),
            state: State::ALL
                [(slot.state.load(Ordering::Relaxed) as usize).min(State::ALL.len() - 1)],
            start_ms: f64::from_bits(slot.start_ms.load(Ordering::Relaxed)),
            end_ms: f64::from_bits(slot.end_ms.load(Ordering::Relaxed)),
            open: slot.open.load(Ordering::Relaxed) != 0,
        };
        (slot.seq.load(Ordering::SeqCst) == want).then_some(entry)
    }

    /// Where this ring lies in memory.
    pub fn layout(&self) -> Layout {
        Layout {
            head: self.head.as_ptr() as usize,
            slots: self.slots.as_ptr() as usize,
            capacity: CAPACITY,
            slot_bytes: size_of::<Slot>(),
            seq: offset_of!(Slot, seq),
            lane: offset_of!(Slot, lane),
            task: offset_of!(Slot, task),
            state: offset_of!(Slot, state),
            open: offset_of!(Slot, open),
            start_ms: offset_of!(Slot, start_ms),
            end_ms: offset_of!(Slot, end_ms),
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// Entries read back as written, in order, with their task and open flag; an entry not
    /// yet written is not there.
    #[test]
    fn entries_read_back() {
        let ring = SpanRing::new();
        assert_eq!(ring.read(0), None);
        ring.push(2, Some(7), State::IoWait, 10.0, 210.5, false);
        ring.push(3, None, State::Running, 11.0, 11.0, true);
        assert_eq!(ring.head(), 2);
        let a = ring.read(0).expect("entry 0");
        assert_eq!(
            (a.lane, a.task, a.state, a.start_ms, a.end_ms, a.open),
            (2, Some(7), State::IoWait, 10.0, 210.5, false)
        );
        let b = ring.read(1).expect("entry 1");
        assert_eq!((b.task, b.state, b.open), (None, State::Running, true));
        assert_eq!(ring.read(2), None);
    }

    /// Once the ring has gone round, an old index reads as gone, never as the newer entry
    /// in its slot.
    #[test]
    fn overwritten_entries_are_gone() {
        let ring = SpanRing::new();
        for i in 0..=CAPACITY as u32 {
            ring.push(i, None, State::Running, f64::from(i), f64::from(i), false);
        }
        assert_eq!(ring.read(0), None);
        assert_eq!(
            ring.read(CAPACITY as u32).map(|e| e.lane),
            Some(CAPACITY as u32)
        );
    }

    /// Threads pushing at once lose nothing: every index is read back whole.
    #[test]
    fn concurrent_writers() {
        let ring = SpanRing::new();
        std::thread::scope(|s| {
            for t in 0..4u32 {
                let ring = &ring;
                s.spawn(move || {
                    for i in 0..500u32 {
                        ring.push(
                            t,
                            Some(i),
                            State::GilHeld,
                            f64::from(i),
                            f64::from(i) + 1.0,
                            false,
                        );
                    }
                });
            }
        });
        assert_eq!(ring.head(), 2000);
        let mut per_lane = [0; 4];
        for i in 0..2000 {
            let e = ring.read(i).expect("whole");
            assert_eq!(e.end_ms, e.start_ms + 1.0);
            per_lane[e.lane as usize] += 1;
        }
        assert_eq!(per_lane, [500; 4]);
    }

    /// The layout a reader gets matches the slots: 8-aligned times, fields where they are.
    #[test]
    fn layout_is_the_slots() {
        let ring = SpanRing::new();
        let l = ring.layout();
        assert_eq!(l.slot_bytes % 8, 0);
        assert_eq!(l.start_ms % 8, 0);
        assert_eq!(l.slots % 8, 0);
        assert_eq!(l.capacity, CAPACITY);
        assert!(l.end_ms + 8 <= l.slot_bytes);
        assert_eq!(
            l.slots - std::ptr::addr_of!(ring) as usize,
            offset_of!(SpanRing, slots)
        );
    }
}
