// SPDX-License-Identifier: GPL-2.0

//! Module-wide state that callbacks without a context pointer can reach: a `static` that a
//! module publishes an [`Arc`] in at init and takes back at exit.
//!
//! Callbacks (generic netlink handlers, notifiers, work items) get a counted reference with
//! [`Global::get`], so the state outlives every one in progress; the reference is taken under
//! RCU, and [`Publication`] clears the slot a grace period before it drops its own reference.

use super::{rcu, Arc};
use crate::{error::code::EBUSY, prelude::*};
use core::{
    mem::ManuallyDrop,
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};

/// A slot for a module's state, meant to be a `static`.
///
/// # Invariants
///
/// `ptr` is null, or comes from [`Arc::into_raw`] and owns that strong reference; it is
/// cleared only by [`Publication`]'s drop, which waits for a grace period before releasing the
/// reference.
pub struct Global<T: Send + Sync> {
    ptr: AtomicPtr<T>,
}

// SAFETY: the slot only hands out `Arc<T>`s, which may cross threads as `T` is `Send + Sync`.
unsafe impl<T: Send + Sync> Sync for Global<T> {}

impl<T: Send + Sync> Global<T> {
    /// An empty slot.
    pub const fn new() -> Self {
        // INVARIANT: null.
        Self {
            ptr: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Publishes `state` until the returned [`Publication`] is dropped; fails with `EBUSY` if
    /// the slot holds a state already.
    pub fn publish(&'static self, state: Arc<T>) -> Result<Publication<T>> {
        let raw = Arc::into_raw(state).cast_mut();
        // INVARIANT: the slot takes over the reference `raw` carries.
        if self
            .ptr
            .compare_exchange(ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: `raw` comes from `into_raw` above and was not published.
            drop(unsafe { Arc::from_raw(raw) });
            return Err(EBUSY);
        }
        Ok(Publication { global: self })
    }

    /// Returns a reference to the published state, if any.
    pub fn get(&self) -> Option<Arc<T>> {
        let _guard = rcu::read_lock();
        let raw = self.ptr.load(Ordering::Acquire);
        if raw.is_null() {
            return None;
        }
        // SAFETY: by the type invariant a non-null `raw` owns a strong reference, which is
        // released only a grace period after the slot is cleared; this read-side section saw
        // it set, so the reference is still held. `ManuallyDrop` leaves it to the slot.
        let published = ManuallyDrop::new(unsafe { Arc::from_raw(raw) });
        Some(Arc::clone(&published))
    }
}

impl<T: Send + Sync> Default for Global<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The publication of a state in a [`Global`]; dropping it clears the slot, waits for a grace
/// period so [`Global::get`] can no longer reach the state, then releases the slot's
/// reference. References taken before keep the state alive. May sleep.
pub struct Publication<T: Send + Sync + 'static> {
    global: &'static Global<T>,
}

impl<T: Send + Sync + 'static> Drop for Publication<T> {
    fn drop(&mut self) {
        let raw = self.global.ptr.swap(ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: `synchronize_rcu` only waits; dropping a publication may sleep.
        unsafe { crate::bindings::synchronize_rcu() };
        if !raw.is_null() {
            // SAFETY: by the type invariant `raw` owns a strong reference, which the slot
            // gave up above; readers that saw it have taken their own by now.
            drop(unsafe { Arc::from_raw(raw) });
        }
    }
}
