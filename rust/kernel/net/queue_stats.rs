// SPDX-License-Identifier: GPL-2.0

//! Per-queue statistics of network devices (`struct netdev_stat_ops`), as `ynl --family
//! netdev --dump qstats-get --json '{"scope": "queue"}'` shows them: which queues carry the
//! traffic, for code that places the queues' interrupts.
//!
//! C header: [`include/net/netdev_queues.h`](srctree/include/net/netdev_queues.h)

use crate::{bindings, net::dev::Device};

/// The driver leaves a statistic it does not collect untouched; the core presets every one to
/// this (`NETDEV_STAT_NOT_SET`) to tell.
const NOT_SET: u64 = u64::MAX;

/// One queue's counts since the driver set the queue up; `None` for what the driver does not
/// count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Packets the queue received or sent.
    pub packets: Option<u64>,
    /// Their bytes.
    pub bytes: Option<u64>,
}

fn set(value: u64) -> Option<u64> {
    (value != NOT_SET).then_some(value)
}

/// A queue's direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// A receive queue.
    Rx,
    /// A transmit queue.
    Tx,
}

impl Device {
    /// Returns how many queues of `direction` the device has in use (`real_num_rx_queues`,
    /// `real_num_tx_queues`).
    pub fn queues(&self, direction: Direction) -> u32 {
        let dev = self.as_raw();
        // SAFETY: by the type invariant the device is valid and RTNL is held, under which the
        // counts change (`netif_set_real_num_{rx,tx}_queues`).
        unsafe {
            match direction {
                Direction::Rx => (*dev).real_num_rx_queues,
                Direction::Tx => (*dev).real_num_tx_queues,
            }
        }
    }

    /// Returns the counts of queue `queue` of `direction`, or `None` if the driver keeps no
    /// per-queue statistics (`netdev_stat_ops`), there is no such queue in use, or the device is
    /// not registered (the core asks only listed devices; a driver may tear its queues down in
    /// `ndo_uninit`).
    pub fn queue_stats(&self, direction: Direction, queue: u32) -> Option<QueueStats> {
        // SAFETY: the device is valid and RTNL, under which the state changes, is held (type
        // invariant).
        let state = u32::from(unsafe { (*self.as_raw()).reg_state });
        let registered = state == bindings::netdev_reg_state_NETREG_REGISTERED;
        if !registered || queue >= self.queues(direction) {
            return None;
        }
        let idx = i32::try_from(queue).ok()?;
        // SAFETY: the device is valid (type invariant); drivers set `stat_ops` before they
        // register the device and never change it.
        let ops = unsafe { (*self.as_raw()).stat_ops };
        if ops.is_null() {
            return None;
        }
        // SAFETY: `ops` is the driver's static table.
        let ops = unsafe { &*ops };
        match direction {
            Direction::Rx => self.read_queue(ops.get_queue_stats_rx?, idx),
            Direction::Tx => self.read_queue(ops.get_queue_stats_tx?, idx),
        }
    }

    /// Calls a driver's per-queue callback `get` for queue `idx`, which is in use.
    fn read_queue<S: Counts>(
        &self,
        get: unsafe extern "C" fn(*mut bindings::net_device, i32, *mut S),
        idx: i32,
    ) -> Option<QueueStats> {
        let mut stats = S::not_set();
        // SAFETY: the callback may be called under RTNL, held by the type invariant
        // (netdev-genl calls it so), for a queue in use, which the caller checked; it writes
        // only into `stats`.
        unsafe { get(self.as_raw(), idx, &mut stats) };
        Some(QueueStats {
            packets: set(stats.packets()),
            bytes: set(stats.bytes()),
        })
    }
}

/// The counts both directions' statistics have.
trait Counts {
    /// Every statistic "not set", as the core presets them.
    fn not_set() -> Self;
    fn packets(&self) -> u64;
    fn bytes(&self) -> u64;
}

macro_rules! impl_counts {
    ($stats:ty) => {
        impl Counts for $stats {
            fn not_set() -> Self {
                // SAFETY: a struct of `u64`s, for which all ones is valid: "not set".
                unsafe { core::mem::transmute([0xffu8; core::mem::size_of::<$stats>()]) }
            }
            fn packets(&self) -> u64 {
                self.packets
            }
            fn bytes(&self) -> u64 {
                self.bytes
            }
        }
    };
}

impl_counts!(bindings::netdev_queue_stats_rx);
impl_counts!(bindings::netdev_queue_stats_tx);
