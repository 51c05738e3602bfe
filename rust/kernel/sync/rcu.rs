// SPDX-License-Identifier: GPL-2.0

//! Read-copy-update.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

use crate::bindings;
use core::marker::PhantomData;

/// An RCU read-side critical section, ended when the guard is dropped.
///
/// Data published under RCU and borrowed for the guard's lifetime stays valid until then: writers
/// wait for a grace period (`synchronize_rcu`) before they free what they unpublished.
///
/// # Invariants
///
/// The guard was created by `rcu_read_lock` on this thread and not yet unlocked.
#[must_use = "the critical section ends when the guard is dropped"]
pub struct Guard(PhantomData<*mut ()>);

impl Guard {
    /// Enters an RCU read-side critical section.
    pub fn new() -> Self {
        // SAFETY: `rcu_read_lock` may be called in any context and nests.
        unsafe { bindings::rcu_read_lock() };
        // INVARIANT: the read lock was just taken on this thread.
        Self(PhantomData)
    }
}

impl Default for Guard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: by the type invariant this thread holds the read lock this guard took; the
        // guard is not `Send`, so it is dropped on the same thread.
        unsafe { bindings::rcu_read_unlock() };
    }
}

/// Enters an RCU read-side critical section; it ends when the returned guard is dropped.
pub fn read_lock() -> Guard {
    Guard::new()
}
