// SPDX-License-Identifier: GPL-2.0

//! Extended netlink acknowledgements: the error message a netlink request returns to user space.
//!
//! C header: [`include/linux/netlink.h`](srctree/include/linux/netlink.h)

use crate::{bindings, str::CStr, types::Opaque};

/// The extended acknowledgement of a netlink request being handled (`struct netlink_ext_ack`).
///
/// # Invariants
///
/// For the lifetime of a `&ExtAck`, the `struct netlink_ext_ack` it points to is valid and
/// belongs to a request that this thread is handling.
#[repr(transparent)]
pub struct ExtAck(Opaque<bindings::netlink_ext_ack>);

impl ExtAck {
    /// Creates a reference from a raw pointer, or `None` for a null one.
    ///
    /// # Safety
    ///
    /// A non-null `ptr` must satisfy the type invariant for the lifetime `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::netlink_ext_ack) -> Option<&'a Self> {
        // SAFETY: `ExtAck` is `repr(transparent)` over `Opaque<netlink_ext_ack>`; the caller
        // guarantees validity.
        unsafe { ptr.cast::<Self>().as_ref() }
    }

    /// Returns the raw pointer of an optional acknowledgement, null for none.
    pub fn ptr(extack: Option<&ExtAck>) -> *mut bindings::netlink_ext_ack {
        extack.map_or(core::ptr::null_mut(), |e| e.0.get())
    }

    /// Sets the message user space sees with the error (`NL_SET_ERR_MSG`).
    ///
    /// The message is `'static`: it outlives the request, which the module cannot outlast.
    pub fn set_message(&self, msg: &'static CStr) {
        // SAFETY: by the type invariant the acknowledgement is valid and this thread handles
        // its request, so nothing writes it concurrently.
        unsafe { (*self.0.get())._msg = msg.as_char_ptr() };
    }

    /// Reports that the request lacks attribute `ty` at its top level (`NL_SET_ERR_ATTR_MISS`):
    /// user space tools name the attribute from it.
    pub fn set_missing(&self, ty: u16) {
        // SAFETY: as in `set_message`.
        unsafe {
            let raw = self.0.get();
            (*raw).miss_type = ty.into();
            (*raw).miss_nest = core::ptr::null();
        }
        self.set_message(crate::c_str!("required attribute missing"));
    }
}

/// Sets `msg` on an optional acknowledgement and returns `err`, for `return Err(...)` paths.
pub fn fail(
    extack: Option<&ExtAck>,
    msg: &'static CStr,
    err: crate::error::Error,
) -> crate::error::Error {
    if let Some(extack) = extack {
        extack.set_message(msg);
    }
    err
}
