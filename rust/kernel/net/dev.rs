// SPDX-License-Identifier: GPL-2.0

//! Network devices.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use crate::{bindings, str::CStr, types::Opaque};
use core::fmt;

/// Size of an interface name buffer, trailing NUL included (`IFNAMSIZ`).
pub const IFNAMSIZ: usize = bindings::IFNAMSIZ as usize;

/// A network device (`struct net_device`), borrowed while RTNL is held.
///
/// Rust code never owns a network device: the C side does, and hands out references in contexts
/// such as netdevice notifier callbacks.
///
/// # Invariants
///
/// For the lifetime of a `&Device`, the `struct net_device` it points to is valid and the RTNL
/// lock is held, so the fields that only change under RTNL (name, index, MTU) are stable.
#[repr(transparent)]
pub struct Device(Opaque<bindings::net_device>);

impl Device {
    /// Creates a reference to a [`Device`] from a raw pointer.
    ///
    /// # Safety
    ///
    /// For the lifetime `'a`, `ptr` must point to a valid `struct net_device` and the caller must
    /// hold the RTNL lock.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // INVARIANT: the caller guarantees validity and RTNL for `'a`.
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
        // SAFETY: by the type invariant the device is valid and RTNL is held; `ifindex` is only
        // written under RTNL (registration, namespace change).
        unsafe { (*self.as_raw()).ifindex }
    }

    /// Returns a copy of the interface name.
    pub fn name(&self) -> Name {
        // SAFETY: by the type invariant the device is valid and RTNL is held, under which
        // renames happen.
        let raw = unsafe { (*self.as_raw()).name };
        let mut name = Name([0; IFNAMSIZ]);
        for (dst, src) in name.0.iter_mut().zip(raw.iter()) {
            *dst = *src as u8;
        }
        // INVARIANT: the last byte is NUL whatever the C side left there.
        name.0[IFNAMSIZ - 1] = 0;
        name
    }

    /// Returns the current MTU.
    pub fn mtu(&self) -> u32 {
        // SAFETY: by the type invariant the device is valid and RTNL is held, under which the
        // MTU changes.
        unsafe { (*self.as_raw()).mtu }
    }

    /// Returns whether the device is administratively up (`netif_running`).
    pub fn is_running(&self) -> bool {
        // SAFETY: by the type invariant the device is valid.
        unsafe { bindings::netif_running(self.as_raw()) }
    }

    /// Returns whether the device reports carrier (`netif_carrier_ok`).
    ///
    /// Carrier changes without RTNL, so this is a snapshot.
    pub fn has_carrier(&self) -> bool {
        // SAFETY: by the type invariant the device is valid; the state bit is read atomically.
        unsafe { bindings::netif_carrier_ok(self.as_raw()) }
    }
}

/// A copy of an interface name.
///
/// # Invariants
///
/// The last byte of the buffer is NUL.
#[derive(Clone, Copy)]
pub struct Name([u8; IFNAMSIZ]);

impl Name {
    /// Returns the name as a C string.
    pub fn as_c_str(&self) -> &CStr {
        // By the type invariant a NUL is found, at `IFNAMSIZ - 1` at the latest.
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(IFNAMSIZ - 1);
        match self.0.get(..=len) {
            // SAFETY: `bytes` ends at the first NUL byte, so it is a C string without interior
            // NUL bytes.
            Some(bytes) => unsafe { CStr::from_bytes_with_nul_unchecked(bytes) },
            None => crate::c_str!(""),
        }
    }

    /// Returns the name without its trailing NUL.
    pub fn as_bytes(&self) -> &[u8] {
        self.as_c_str().as_bytes()
    }
}

// Bytes after the NUL may be stale leftovers of a longer name: compare the name only.
impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Name {}

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
