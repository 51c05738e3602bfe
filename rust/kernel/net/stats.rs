// SPDX-License-Identifier: GPL-2.0

//! Interface statistics of network devices, for code that judges a device's health from its
//! counters: a device whose link is up may still drop or fail what it is given to send.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use crate::{
    bindings,
    net::dev::{Device, Netdev},
};

/// A snapshot of a device's interface counters (`struct rtnl_link_stats64`), as
/// `ip -s link` shows them.
pub struct Stats(bindings::rtnl_link_stats64);

impl Stats {
    /// Packets transmitted.
    pub fn tx_packets(&self) -> u64 {
        self.0.tx_packets
    }

    /// Packets the device failed to transmit.
    pub fn tx_errors(&self) -> u64 {
        self.0.tx_errors
    }

    /// Packets dropped on transmit (no buffer, peer gone, too long, ...).
    pub fn tx_dropped(&self) -> u64 {
        self.0.tx_dropped
    }

    /// Packets received.
    pub fn rx_packets(&self) -> u64 {
        self.0.rx_packets
    }

    /// Received packets with errors.
    pub fn rx_errors(&self) -> u64 {
        self.0.rx_errors
    }

    /// Received packets dropped.
    pub fn rx_dropped(&self) -> u64 {
        self.0.rx_dropped
    }
}

/// Counters a link type adds to what its device counts itself (see
/// [`LinkType::port_stats`](crate::net::link::LinkType::port_stats)): failures that happened
/// on its ports, which the device's own transmit and receive paths never see.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortStats {
    /// Received packets with errors.
    pub rx_errors: u64,
    /// Packets that failed to transmit.
    pub tx_errors: u64,
    /// Packets dropped on transmit.
    pub tx_dropped: u64,
}

impl Netdev {
    /// Returns the device's counters (`dev_get_stats`): the driver's, plus the core's drops.
    /// Needs no lock: the counters are read as any reader of `/proc/net/dev` reads them.
    pub fn stats(&self) -> Stats {
        // SAFETY: all-zero is a valid `rtnl_link_stats64`.
        let mut storage: bindings::rtnl_link_stats64 = unsafe { core::mem::zeroed() };
        // SAFETY: the device is valid (type invariant); `dev_get_stats` may run in atomic
        // context (drivers' `ndo_get_stats64` must allow it) and fills `storage`.
        unsafe { bindings::dev_get_stats(self.as_raw(), &mut storage) };
        Stats(storage)
    }
}

impl Device {
    /// Returns how many times the core's transmit watchdog found one of the device's queues
    /// stuck (`trans_timeout` summed over the queues, `/sys/class/net/DEV/queues/tx-N/
    /// tx_timeout`). Only drivers with `ndo_tx_timeout` are watched.
    pub fn tx_timeouts(&self) -> u64 {
        let dev = self.as_raw();
        let mut total = 0u64;
        // SAFETY: the device is valid (`&Device`); its `num_tx_queues` queues are allocated at
        // registration and freed with the device. The counters are `atomic_long_t`, read once
        // each (`atomic_long_read`).
        unsafe {
            let queues = (*dev)._tx;
            for i in 0..(*dev).num_tx_queues as usize {
                let counter = core::ptr::addr_of!((*queues.add(i)).trans_timeout.counter);
                total = total.wrapping_add(counter.read_volatile() as u64);
            }
        }
        total
    }
}
