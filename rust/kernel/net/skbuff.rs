// SPDX-License-Identifier: GPL-2.0

//! Socket buffers.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use crate::bindings;
use core::{mem::ManuallyDrop, ptr::NonNull};

/// An owned socket buffer (`struct sk_buff`).
///
/// A driver must pass it on or free it; [`SkBuff::consume`] frees it as delivered, and dropping
/// it frees it as a dropped packet, so a forgotten buffer shows up in drop monitoring instead of
/// leaking. Dropping or consuming must happen in process or softirq context, not in a hard
/// interrupt.
///
/// # Invariants
///
/// The pointer is a valid `struct sk_buff` that this value owns.
#[must_use = "a socket buffer must be passed on or freed"]
pub struct SkBuff(NonNull<bindings::sk_buff>);

// SAFETY: an owned socket buffer may be handed to and freed by any thread.
unsafe impl Send for SkBuff {}

impl SkBuff {
    /// Takes ownership of a socket buffer.
    ///
    /// # Safety
    ///
    /// `ptr` must be a valid `struct sk_buff` whose ownership the caller gives up.
    pub unsafe fn from_raw(ptr: NonNull<bindings::sk_buff>) -> Self {
        // INVARIANT: the caller hands over a valid buffer it owned.
        Self(ptr)
    }

    /// Gives up ownership of the buffer.
    pub fn into_raw(self) -> NonNull<bindings::sk_buff> {
        ManuallyDrop::new(self).0
    }

    /// Returns the length of the packet data in bytes.
    pub fn len(&self) -> u32 {
        // SAFETY: by the type invariant the buffer is valid, and owned so not changed meanwhile.
        unsafe { (*self.0.as_ptr()).len }
    }

    /// Returns whether the packet holds no data.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frees the buffer as delivered (`consume_skb`): not counted as a drop.
    pub fn consume(self) {
        let skb = self.into_raw();
        // SAFETY: by the type invariant we own a valid buffer, given up by `into_raw`.
        unsafe { bindings::consume_skb(skb.as_ptr()) };
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: by the type invariant we own a valid buffer.
        unsafe { bindings::kfree_skb(self.0.as_ptr()) };
    }
}
