// SPDX-License-Identifier: GPL-2.0

//! `ethtool` for devices of a [`LinkType`].
//!
//! Every device of a link type answers `ethtool -i` (driver: the kind, version: the kernel
//! release) and reports its link (`ethtool_op_get_link`). A type may add:
//!
//! - link settings (`ethtool DEV`): those of a port it names, with
//!   [`LinkType::link_settings_port`], as `net_failover` reports its active slave's; without
//!   one, speed and duplex are unknown;
//! - statistics (`ethtool -S DEV`): the names in [`LinkType::ETHTOOL_STATS`], whose values
//!   [`LinkType::ethtool_stats`] fills.
//!
//! ethtool calls every one of these with RTNL held, from its ioctl and its netlink interface.
//!
//! C header: [`include/linux/ethtool.h`](srctree/include/linux/ethtool.h)

use super::{Adapter, LinkType, Master};
use crate::{bindings, ffi::c_int};

/// Length of one statistic's name slot (`ETH_GSTRING_LEN`).
const NAME_LEN: usize = bindings::ETH_GSTRING_LEN as usize;

/// Refuses, at build time, statistic names that do not fit their slot with a NUL.
const fn names_fit(names: &[&crate::str::CStr]) -> bool {
    let mut i = 0;
    while i < names.len() {
        if names[i].len() >= NAME_LEN {
            return false;
        }
        i += 1;
    }
    true
}

impl<T: LinkType> Adapter<T> {
    pub(super) const ETHTOOL_OPS: bindings::ethtool_ops = {
        assert!(
            names_fit(T::ETHTOOL_STATS),
            "an ETHTOOL_STATS name is longer than ETH_GSTRING_LEN - 1"
        );
        // SAFETY: all-zero is a valid `ethtool_ops` (no callbacks, no capabilities).
        let mut ops: bindings::ethtool_ops = unsafe { core::mem::zeroed() };
        // What `default_ethtool_ops` gives a device without ethtool operations.
        ops.get_link = Some(bindings::ethtool_op_get_link);
        ops.get_ts_info = Some(bindings::ethtool_op_get_ts_info);
        ops.get_link_ksettings = Some(Self::get_link_ksettings);
        if T::HAS_ETHTOOL_STATS {
            ops.get_sset_count = Some(Self::get_sset_count);
            ops.get_strings = Some(Self::get_strings);
            ops.get_ethtool_stats = Some(Self::get_ethtool_stats);
        }
        ops
    };

    /// `get_link_ksettings`: the settings of the port the type names, else unknown.
    ///
    /// # Safety
    ///
    /// Called by ethtool with RTNL held, a registered device of type `T` and a valid `cmd`.
    unsafe extern "C" fn get_link_ksettings(
        dev: *mut bindings::net_device,
        cmd: *mut bindings::ethtool_link_ksettings,
    ) -> c_int {
        if T::HAS_LINK_SETTINGS_PORT {
            // SAFETY: as documented; a registered device has its data built.
            let master = unsafe { Master::<T>::from_raw(dev) };
            if let Some(port) = T::link_settings_port(master) {
                let port = port.as_raw();
                // A held port may be on its way out: ask only a registered one, which its
                // driver serves. `__ethtool_get_link_ksettings` clears `cmd` first.
                // SAFETY: `port` is held and RTNL is held, as the function requires.
                let read = unsafe {
                    u32::from((*port).reg_state) == bindings::netdev_reg_state_NETREG_REGISTERED
                        && bindings::__ethtool_get_link_ksettings(port, cmd) == 0
                };
                if read {
                    return 0;
                }
            }
        }
        // SAFETY: `cmd` is valid for writes; all-zero is a valid value.
        unsafe {
            cmd.write(core::mem::zeroed());
            (*cmd).base.speed = bindings::SPEED_UNKNOWN as u32;
            (*cmd).base.duplex = bindings::DUPLEX_UNKNOWN as u8;
            (*cmd).base.port = bindings::PORT_OTHER as u8;
        }
        0
    }

    /// `get_sset_count`: the number of statistics.
    ///
    /// # Safety
    ///
    /// Called by ethtool.
    unsafe extern "C" fn get_sset_count(_dev: *mut bindings::net_device, sset: c_int) -> c_int {
        if sset == bindings::ethtool_stringset_ETH_SS_STATS as c_int {
            T::ETHTOOL_STATS.len().try_into().unwrap_or(0)
        } else {
            -(bindings::EOPNOTSUPP as c_int)
        }
    }

    /// `get_strings`: the statistics' names, one `ETH_GSTRING_LEN` slot each.
    ///
    /// # Safety
    ///
    /// Called by ethtool with `data` valid for as many slots as `get_sset_count` gave.
    unsafe extern "C" fn get_strings(_dev: *mut bindings::net_device, sset: u32, data: *mut u8) {
        if sset != bindings::ethtool_stringset_ETH_SS_STATS {
            return;
        }
        let len = T::ETHTOOL_STATS.len() * NAME_LEN;
        // SAFETY: ethtool allocated `data` for `get_sset_count` slots, unaliased.
        let slots = unsafe { core::slice::from_raw_parts_mut(data, len) };
        for (slot, name) in slots.chunks_exact_mut(NAME_LEN).zip(T::ETHTOOL_STATS) {
            slot.fill(0);
            let name = name.as_bytes();
            // `names_fit` leaves room for the NUL.
            if let Some(dst) = slot.get_mut(..name.len()) {
                dst.copy_from_slice(name);
            }
        }
    }

    /// `get_ethtool_stats`: the statistics' values.
    ///
    /// # Safety
    ///
    /// Called by ethtool with RTNL held, a registered device of type `T` and `data` valid for
    /// as many values as `get_sset_count` gave.
    unsafe extern "C" fn get_ethtool_stats(
        dev: *mut bindings::net_device,
        _stats: *mut bindings::ethtool_stats,
        data: *mut u64,
    ) {
        // SAFETY: ethtool allocated `data` for `get_sset_count` values, unaliased.
        let values = unsafe { core::slice::from_raw_parts_mut(data, T::ETHTOOL_STATS.len()) };
        values.fill(0);
        // SAFETY: as documented; a registered device has its data built.
        T::ethtool_stats(unsafe { Master::<T>::from_raw(dev) }, values);
    }
}
