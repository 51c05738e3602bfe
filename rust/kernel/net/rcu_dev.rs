// SPDX-License-Identifier: GPL-2.0

//! A network device pointer that a data path follows under RCU while a control path replaces it.
//!
//! This is how a device that forwards to another (a bond's active port, a vNIC's active member)
//! switches target without a lock on the fast path: readers load the pointer inside an RCU
//! read-side critical section; the writer swaps it and waits for readers (`synchronize_net`)
//! before it drops its reference to the old device.

use crate::{
    bindings,
    net::dev::Netdev,
    sync::rcu::Guard,
    types::{ARef, AlwaysRefCounted},
};
use core::{
    ptr::{null_mut, NonNull},
    sync::atomic::{AtomicPtr, Ordering},
};

/// A slot that holds a counted reference to a network device, or nothing.
///
/// # Invariants
///
/// A non-null `ptr` is a reference (`dev_hold`) owned by the slot. A pointer loaded from the slot
/// stays valid until a grace period has passed after it was replaced.
pub struct RcuDevice {
    ptr: AtomicPtr<bindings::net_device>,
}

impl RcuDevice {
    /// Creates an empty slot.
    pub const fn new() -> Self {
        Self {
            ptr: AtomicPtr::new(null_mut()),
        }
    }

    /// Returns the device in the slot, valid for the read-side critical section `_guard`.
    pub fn get<'a>(&'a self, _guard: &'a Guard) -> Option<&'a Netdev> {
        // Acquire pairs with the release of `replace`: the device was valid when published.
        let ptr = self.ptr.load(Ordering::Acquire);
        if ptr.is_null() {
            return None;
        }
        // SAFETY: by the type invariant the slot's reference, or the one `replace` keeps until
        // readers are done, keeps the device valid while `_guard` holds the read lock.
        Some(unsafe { Netdev::from_raw(ptr) })
    }

    /// Returns whether the slot holds `dev`; a snapshot.
    pub fn holds(&self, dev: &Netdev) -> bool {
        self.ptr.load(Ordering::Relaxed) == dev.as_raw()
    }

    /// Returns whether the slot is empty; a snapshot.
    pub fn is_empty(&self) -> bool {
        self.ptr.load(Ordering::Relaxed).is_null()
    }

    /// Puts `new` in the slot and returns the device it held, once no reader can still be
    /// using it. Sleeps (a grace period) when the slot held a device.
    pub fn replace(&self, new: Option<ARef<Netdev>>) -> Option<ARef<Netdev>> {
        let new = new.map_or(null_mut(), |dev| ARef::into_raw(dev).as_ptr().cast());
        // INVARIANT: the slot takes over the reference of `new`.
        let old = NonNull::new(self.ptr.swap(new, Ordering::AcqRel))?;
        // SAFETY: may sleep, as documented; afterwards no reader can hold the old pointer.
        unsafe { bindings::synchronize_net() };
        // SAFETY: the slot owned a reference to `old`, which it gives up to the caller.
        Some(unsafe { ARef::from_raw(old.cast::<Netdev>()) })
    }
}

impl Default for RcuDevice {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for RcuDevice {
    fn drop(&mut self) {
        if let Some(old) = NonNull::new(*self.ptr.get_mut()) {
            // SAFETY: `&mut self` means no reader borrows the slot, so the reference the slot
            // owns can go.
            unsafe { Netdev::dec_ref(old.cast()) };
        }
    }
}
