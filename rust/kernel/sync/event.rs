// SPDX-License-Identifier: GPL-2.0

//! An event count: a generation number that [`Event::notify`] advances from any context,
//! softirq included, and a wait queue where tasks sleep until it moves past what they saw.
//!
//! Unlike [`super::CondVar`], the notifier takes no lock: a waiter reads the generation
//! ([`Event::generation`]), checks its condition, and sleeps with [`Event::wait_past`], which
//! returns at once if a notification came in between. So no wake-up is lost to a notifier that
//! runs in a context where the waiter's lock cannot be taken.

use super::LockClassKey;
use crate::{
    error::{code::EINTR, Result},
    init::PinInit,
    pin_init,
    str::CStr,
    task::{MAX_SCHEDULE_TIMEOUT, TASK_INTERRUPTIBLE, TASK_NORMAL},
    time::{msecs_to_jiffies, Jiffies},
    types::Opaque,
};
use core::{
    marker::PhantomPinned,
    ptr,
    sync::atomic::{AtomicU64, Ordering},
};
use macros::pin_data;

/// Creates an [`Event`] initialiser with a lock class for its wait queue.
#[macro_export]
macro_rules! new_event {
    ($($name:literal)?) => {
        $crate::sync::Event::new($crate::optional_name!($($name)?), $crate::static_lock_class!())
    };
}
pub use new_event;

/// What [`Event::wait_past`] returned for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Waited {
    /// The generation moved past the one the waiter saw.
    Notified,
    /// The time given passed first.
    TimedOut,
}

/// An event count over a `struct wait_queue_head`.
///
/// # Invariants
///
/// `wait_queue_head` is initialised and, as the event is pinned, never moves.
#[pin_data]
pub struct Event {
    #[pin]
    wait_queue_head: Opaque<bindings::wait_queue_head>,
    generation: AtomicU64,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: a wait queue head may be used from any thread; the generation is atomic.
unsafe impl Send for Event {}

// SAFETY: every method is safe to call concurrently (the wait queue has its own lock).
unsafe impl Sync for Event {}

impl Event {
    /// An event at generation 0 whose wait queue has the lockdep name `name` and class `key`.
    pub fn new(name: &'static CStr, key: &'static LockClassKey) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid while the closure runs; `name` and `key` are static.
            wait_queue_head <- Opaque::ffi_init(|slot| unsafe {
                bindings::__init_waitqueue_head(slot, name.as_char_ptr(), key.as_ptr())
            }),
            generation: AtomicU64::new(0),
            _pin: PhantomPinned,
        })
    }

    /// The current generation: read it before checking what the notifications are about.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Advances the generation and wakes every waiter. Any context may call it: it takes only
    /// the wait queue's own spinlock, with interrupts off.
    pub fn notify(&self) {
        self.advance();
        self.wake();
    }

    /// Advances the generation without waking anyone: for a notifier that must order the
    /// advance before a read of its own, and then calls [`Event::wake`] or not.
    pub fn advance(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Wakes every waiter, so that each reads the generation again.
    pub fn wake(&self) {
        // SAFETY: the wait queue head is initialised (type invariant).
        unsafe { bindings::__wake_up(self.wait_queue_head.get(), TASK_NORMAL, 0, ptr::null_mut()) };
    }

    /// Sleeps until the generation is not `seen`, for at most `timeout_ms` milliseconds.
    /// Returns at once if it moved already. Fails with `EINTR` if a signal is pending.
    pub fn wait_past(&self, seen: u64, timeout_ms: u32) -> Result<Waited> {
        let mut left: Jiffies = msecs_to_jiffies(timeout_ms);
        let wait = Opaque::<bindings::wait_queue_entry>::uninit();
        // SAFETY: `wait` is valid for writes.
        unsafe { bindings::init_wait(wait.get()) };
        let waited = loop {
            // On the queue and in the sleeping state before the generation is read: a
            // notification after the read finds this task on the queue and wakes it.
            // SAFETY: both point to valid, initialised memory.
            unsafe {
                bindings::prepare_to_wait(
                    self.wait_queue_head.get(),
                    wait.get(),
                    TASK_INTERRUPTIBLE,
                )
            };
            if self.generation() != seen {
                break Ok(Waited::Notified);
            }
            if crate::current!().signal_pending() {
                break Err(EINTR);
            }
            if left == 0 {
                break Ok(Waited::TimedOut);
            }
            let timeout = left.try_into().unwrap_or(MAX_SCHEDULE_TIMEOUT);
            // SAFETY: the task is on the queue in an interruptible state; any value is valid.
            let rest = unsafe { bindings::schedule_timeout(timeout) };
            left = Jiffies::try_from(rest).unwrap_or(0);
        };
        // SAFETY: `wait` was put on this queue by `prepare_to_wait` above.
        unsafe { bindings::finish_wait(self.wait_queue_head.get(), wait.get()) };
        waited
    }
}
