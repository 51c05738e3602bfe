// SPDX-License-Identifier: GPL-2.0

//! The routing netlink lock (RTNL), which serialises changes of network devices.
//!
//! C header: [`include/linux/rtnetlink.h`](srctree/include/linux/rtnetlink.h)

use crate::{
    bindings,
    net::{
        dev::{Device, Netdev},
        namespace::Net,
    },
};
use core::marker::PhantomData;

/// RTNL, held until the guard is dropped. Devices found through it are [`Device`]s, borrowed
/// for as long as the guard lives.
///
/// # Invariants
///
/// This thread took RTNL when the guard was made and has not released it.
#[must_use = "RTNL is released when the guard is dropped"]
pub struct Guard(PhantomData<*mut ()>);

impl Guard {
    /// Takes RTNL, sleeping until it is free. Must not be called with RTNL held.
    pub fn lock() -> Self {
        // SAFETY: a sleeping context without RTNL may take it (the lock is not recursive, which
        // lockdep reports).
        unsafe { bindings::rtnl_lock() };
        // INVARIANT: the lock was just taken.
        Self(PhantomData)
    }

    /// Takes RTNL if it is free. Work that the holder of RTNL may wait for (`cancel_*_sync`)
    /// uses this and tries again later, as bonding's periodic work does.
    pub fn try_lock() -> Option<Self> {
        // SAFETY: `rtnl_trylock` may be called in any sleeping context.
        if unsafe { bindings::rtnl_trylock() } == 0 {
            return None;
        }
        // INVARIANT: the lock was just taken.
        Some(Self(PhantomData))
    }

    /// Returns the device of index `ifindex` in `net` (`__dev_get_by_index`).
    pub fn device<'a>(&'a self, net: &Net, ifindex: i32) -> Option<&'a Device> {
        // SAFETY: `net` is valid and RTNL is held, under which the index changes.
        let dev = unsafe { bindings::__dev_get_by_index(net.as_raw(), ifindex) };
        if dev.is_null() {
            return None;
        }
        // SAFETY: a listed device stays valid while RTNL, held for `'a`, is held: it is
        // unlisted and freed only under RTNL.
        Some(unsafe { Device::from_raw(dev) })
    }

    /// Returns `dev` as a [`Device`], for as long as both the guard and the reference live: a
    /// device the caller holds (an [`ARef`](crate::types::ARef) it keeps), whatever its
    /// namespace, and even while it unregisters.
    pub fn device_of<'a>(&'a self, dev: &'a Netdev) -> &'a Device {
        // SAFETY: `dev` is valid for `'a` (the caller's reference) and RTNL is held for `'a`.
        unsafe { Device::from_raw(dev.as_raw()) }
    }

    /// Returns the device of `net` with the lowest index not below `ifindex`, for walks that
    /// stop and resume (netlink dumps).
    pub fn device_from<'a>(&'a self, net: &Net, ifindex: u32) -> Option<&'a Device> {
        let mut index = ifindex as crate::ffi::c_ulong;
        // `XA_PRESENT`: any entry.
        const XA_PRESENT: bindings::xa_mark_t = 8;
        // SAFETY: `net` is valid and RTNL is held, under which `dev_by_index` changes.
        let dev = unsafe {
            bindings::xa_find(
                core::ptr::addr_of_mut!((*net.as_raw()).dev_by_index),
                &mut index,
                crate::ffi::c_ulong::MAX,
                XA_PRESENT,
            )
        };
        if dev.is_null() {
            return None;
        }
        // SAFETY: `dev_by_index` holds listed devices; see `device`.
        Some(unsafe { Device::from_raw(dev.cast()) })
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: by the type invariant this thread holds RTNL; the guard is not `Send`.
        unsafe { bindings::rtnl_unlock() };
    }
}
