// SPDX-License-Identifier: GPL-2.0

//! Network devices.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use crate::{bindings, str::CStr, types::Opaque};
use core::fmt;

/// Size of an interface name buffer, trailing NUL included (`IFNAMSIZ`).
pub const IFNAMSIZ: usize = bindings::IFNAMSIZ as usize;

/// A network device (`struct net_device`).
///
/// Only references to it exist in Rust: the C side owns the device.
///
/// # Invariants
///
/// A `&Device` points to a valid `struct net_device` for the lifetime of the reference: whoever
/// hands it out (for example a netdevice notifier callback) guarantees that the device is not
/// freed meanwhile.
#[repr(transparent)]
pub struct Device(Opaque<bindings::net_device>);

impl Device {
    /// Creates a reference to a [`Device`] from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct net_device` that stays valid for the lifetime `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // INVARIANT: the caller guarantees that `ptr` is valid for `'a`.
        // SAFETY: `Device` is `repr(transparent)` over `Opaque<net_device>`, so the cast is
        // sound, and the caller guarantees validity for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// Returns the raw `struct net_device` pointer.
    pub fn as_raw(&self) -> *mut bindings::net_device {
        self.0.get()
    }

    /// Returns the interface index, unique within the device's network namespace.
    pub fn ifindex(&self) -> i32 {
        // SAFETY: by the type invariant the device is valid. `ifindex` is assigned once, under
        // RTNL, before the device becomes visible to anyone who could hand out a `&Device`.
        unsafe { (*self.as_raw()).ifindex }
    }

    /// Returns a copy of the interface name.
    ///
    /// The copy is consistent even against a concurrent rename.
    // Not inlined: `netdev_copy_name` is not exported to modules.
    #[inline(never)]
    pub fn name(&self) -> Name {
        let mut name = Name([0; IFNAMSIZ]);
        // SAFETY: by the type invariant the device is valid, and the buffer holds `IFNAMSIZ`
        // bytes as `netdev_copy_name` requires; it always NUL-terminates.
        unsafe { bindings::netdev_copy_name(self.as_raw(), name.0.as_mut_ptr().cast()) };
        name
    }

    /// Returns the current MTU.
    pub fn mtu(&self) -> u32 {
        // SAFETY: by the type invariant the device is valid.
        unsafe { bindings::netdev_read_mtu(self.as_raw()) }
    }

    /// Returns whether the device is administratively up (`netif_running`).
    pub fn is_running(&self) -> bool {
        // SAFETY: by the type invariant the device is valid.
        unsafe { bindings::netif_running(self.as_raw()) }
    }

    /// Returns whether the device reports carrier (`netif_carrier_ok`).
    pub fn has_carrier(&self) -> bool {
        // SAFETY: by the type invariant the device is valid.
        unsafe { bindings::netif_carrier_ok(self.as_raw()) }
    }
}

/// A copy of an interface name.
///
/// # Invariants
///
/// The buffer contains a NUL byte.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name([u8; IFNAMSIZ]);

impl Name {
    /// Returns the name as a C string.
    pub fn as_c_str(&self) -> &CStr {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(IFNAMSIZ - 1);
        // SAFETY: by the type invariant `self.0[len]` is the first NUL byte, so the slice up to
        // and including it is a C string without interior NUL bytes.
        unsafe { CStr::from_bytes_with_nul_unchecked(&self.0[..=len]) }
    }

    /// Returns the name without its trailing NUL.
    pub fn as_bytes(&self) -> &[u8] {
        self.as_c_str().as_bytes()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_c_str(), f)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_c_str(), f)
    }
}
