// SPDX-License-Identifier: GPL-2.0

//! Work that runs on a system workqueue some time after it is scheduled, such as a periodic
//! sampler that re-arms itself.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)

use crate::{bindings, init::PinInit, pin_init, prelude::*, time::msecs_to_jiffies, types::Opaque};
use core::marker::PhantomPinned;

/// What a [`DelayedWork`] does when it runs.
pub trait Handler: Sized + Send + Sync {
    /// Runs in process context on its system workqueue: it may sleep and take mutexes, and may
    /// schedule the work again.
    fn run(work: &DelayedWork<Self>);
}

/// A work item carrying `T` that runs [`Handler::run`] on the system workqueue (or the
/// high-priority one) a given time after it is scheduled (`struct delayed_work`).
///
/// Dropping it cancels it and waits for a run in progress to return
/// (`cancel_delayed_work_sync`), even one that schedules it again. The handler only borrows
/// the work, so it cannot drop it.
///
/// # Examples
///
/// ```
/// # use kernel::prelude::*;
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use kernel::delayed_work::{DelayedWork, Handler};
///
/// struct Runs(AtomicU32);
///
/// impl Handler for Runs {
///     fn run(work: &DelayedWork<Self>) {
///         work.data().0.fetch_add(1, Ordering::Relaxed);
///     }
/// }
///
/// let work = KBox::pin_init(DelayedWork::new(Runs(AtomicU32::new(0))), GFP_KERNEL)?;
/// work.schedule(0);
/// work.flush();
/// assert_eq!(work.data().0.load(Ordering::Relaxed), 1);
/// // Dropped while pending: it never runs.
/// work.schedule(60_000);
/// drop(work);
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `work` is initialised with [`Self::run_work`] as its function, and is neither pending nor
/// running once [`DelayedWork`] has been dropped.
#[pin_data(PinnedDrop)]
pub struct DelayedWork<T: Handler> {
    #[pin]
    work: Opaque<bindings::delayed_work>,
    data: T,
    high_priority: bool,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: the work item may be scheduled, flushed and dropped from any thread, and `T` is `Send`.
unsafe impl<T: Handler> Send for DelayedWork<T> {}

// SAFETY: `&DelayedWork` gives `schedule` and `flush`, which the workqueue serialises, and `&T`,
// which is `Sync`.
unsafe impl<T: Handler> Sync for DelayedWork<T> {}

impl<T: Handler> DelayedWork<T> {
    /// Creates a work item carrying `data`, not scheduled.
    pub fn new(data: T) -> impl PinInit<Self> {
        Self::new_on(data, false)
    }

    /// Creates a work item carrying `data`, not scheduled, that runs on the high-priority
    /// system workqueue (`system_highpri_wq`, whose workers run at nice -20): for work that
    /// stands between a packet and its reader, where scheduling latency is the latency.
    pub fn new_high_priority(data: T) -> impl PinInit<Self> {
        Self::new_on(data, true)
    }

    fn new_on(data: T, high_priority: bool) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `init_delayed_work` initialises the whole `delayed_work` in place.
            // INVARIANT: with `run_work` for this `T` as its function.
            work <- Opaque::ffi_init(|slot| unsafe {
                bindings::init_delayed_work(slot, Some(Self::run_work))
            }),
            data,
            high_priority,
            _pin: PhantomPinned,
        })
    }

    /// The workqueue the work runs on.
    fn queue(&self) -> *mut bindings::workqueue_struct {
        // SAFETY: the system workqueues are set up at boot, before any module or built-in
        // user runs, and never go; only their pointers are read.
        unsafe {
            if self.high_priority {
                bindings::system_highpri_wq
            } else {
                bindings::system_wq
            }
        }
    }

    /// Returns the data the work carries.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// Runs the handler `delay_ms` milliseconds from now, or moves a pending run to then
    /// (`mod_delayed_work`).
    pub fn schedule(&self, delay_ms: u32) {
        let delay = msecs_to_jiffies(delay_ms);
        // SAFETY: by the type invariant the work is initialised; it is pinned and cancelled
        // before its memory goes.
        unsafe { bindings::mod_delayed_work(self.queue(), self.work.get(), delay) };
    }

    /// Runs the handler `delay_ms` milliseconds from now, unless a run is pending already,
    /// which keeps its time (`queue_delayed_work`): a timer that must not postpone a run that
    /// others asked for sooner.
    pub fn schedule_unless_pending(&self, delay_ms: u32) {
        let delay = msecs_to_jiffies(delay_ms);
        // SAFETY: as in `schedule`.
        unsafe { bindings::queue_delayed_work(self.queue(), self.work.get(), delay) };
    }

    /// Cancels a pending run and waits for one in progress to return, even one that schedules
    /// the work again (`cancel_delayed_work_sync`). The work may be scheduled again later.
    /// Must not be called from the handler.
    pub fn cancel(&self) {
        // SAFETY: by the type invariant the work is initialised and valid while `self` is.
        unsafe { bindings::cancel_delayed_work_sync(self.work.get()) };
    }

    /// Runs a pending run now, and waits for it and for one in progress to return
    /// (`flush_delayed_work`). Must not be called from the handler.
    pub fn flush(&self) {
        // SAFETY: by the type invariant the work is initialised and valid while `self` is.
        unsafe { bindings::flush_delayed_work(self.work.get()) };
    }

    /// The C function of the work.
    ///
    /// # Safety
    ///
    /// `work` must be the `work` of the `delayed_work` of a live `DelayedWork<T>`.
    unsafe extern "C" fn run_work(work: *mut bindings::work_struct) {
        // A `delayed_work` starts with its `work`, and `Opaque` is transparent.
        let dwork = work.cast::<Opaque<bindings::delayed_work>>();
        // SAFETY: by the function's safety requirement `dwork` is the `work` field of a live
        // `DelayedWork<T>`, which is not dropped before this returns (dropping it waits).
        let this = unsafe { &*crate::container_of!(dwork, Self, work) };
        T::run(this);
    }
}

#[pinned_drop]
impl<T: Handler> PinnedDrop for DelayedWork<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: by the type invariant the work is initialised. The cancellation waits for a
        // run in progress and keeps it from queueing the work again.
        // INVARIANT: the work is neither pending nor running from here on.
        unsafe { bindings::cancel_delayed_work_sync(self.work.get()) };
    }
}
