// SPDX-License-Identifier: GPL-2.0

//! Network namespaces.
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)

use crate::{bindings, types::Opaque};

/// A network namespace (`struct net`), borrowed from a context that keeps it alive: a request
/// from one of its sockets, or a device in it under RTNL.
///
/// # Invariants
///
/// For the lifetime of a `&Net`, the `struct net` it points to is valid and not dismantled.
#[repr(transparent)]
pub struct Net(Opaque<bindings::net>);

// SAFETY: a namespace is shared by every thread of its processes; `&Net` offers nothing that
// needs a particular thread.
unsafe impl Sync for Net {}

impl Net {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// For the lifetime `'a`, `ptr` must point to a valid namespace that is not dismantled.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::net) -> &'a Self {
        // SAFETY: `Net` is `repr(transparent)` over `Opaque<net>`; validity is the caller's
        // guarantee.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// Returns the initial namespace (`init_net`), which lives as long as the kernel: where
    /// events about what no namespace owns (interrupt lines) go.
    pub fn init() -> &'static Self {
        // SAFETY: `init_net` is a static that is never dismantled.
        unsafe { Self::from_raw(core::ptr::addr_of_mut!(bindings::init_net)) }
    }

    /// Returns the raw `struct net` pointer.
    pub fn as_raw(&self) -> *mut bindings::net {
        self.0.get()
    }

    /// Returns whether `self` and `other` are the same namespace.
    pub fn is(&self, other: &Net) -> bool {
        core::ptr::eq(self.as_raw(), other.as_raw())
    }
}
