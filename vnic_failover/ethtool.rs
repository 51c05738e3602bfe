// SPDX-License-Identifier: GPL-2.0

//! What `ethtool` shows of a vNIC: the active member's link settings, and switch statistics
//! for `ethtool -S` (what the netlink family reports, as counters monitoring tools scrape).

use crate::vnic::{self, Vnic, REASONS};
use core::sync::atomic::Ordering;
use kernel::{c_str, net::link::Master, str::CStr};

/// The statistics' names: switches by reason in [`vnic::reason_code`] order after the first
/// [`FIXED`] ones.
pub(crate) const STATS: &[&CStr] = &[
    c_str!("failovers"),
    c_str!("last_switch_duration_ns"),
    c_str!("max_switch_duration_ns"),
    c_str!("peer_notifications"),
    c_str!("members"),
    c_str!("members_usable"),
    c_str!("irq_moves"),
    c_str!("switches_activated"),
    c_str!("switches_link_down"),
    c_str!("switches_removed"),
    c_str!("switches_tx_timeout"),
    c_str!("switches_tx_errors"),
    c_str!("switches_probe_failed"),
    c_str!("switches_admin"),
    c_str!("switches_failback"),
];

/// How many statistics come before the switches by reason.
const FIXED: usize = 7;

// One name per reason.
const _: () = assert!(STATS.len() == FIXED + REASONS);

/// Fills `values`, one per name in [`STATS`].
pub(crate) fn fill(dev: &Master<Vnic>, values: &mut [u64]) {
    let status = vnic::status(dev);
    let c = &dev.data().counters;
    let (mut members, mut usable) = (0, 0);
    let _ = vnic::for_each_member(dev, |_, info| {
        members += 1;
        usable += u64::from(info.link_up && info.failed.is_none());
        Ok(())
    });
    let fixed = [
        status.failovers,
        status.last_switch_duration_ns,
        c.max_switch_duration_ns.load(Ordering::Relaxed),
        c.peer_notifications.load(Ordering::Relaxed),
        members,
        usable,
        c.irq_moves.load(Ordering::Relaxed),
    ];
    let by_reason = c.by_reason.iter().map(|n| n.load(Ordering::Relaxed));
    for (value, figure) in values.iter_mut().zip(fixed.into_iter().chain(by_reason)) {
        *value = figure;
    }
}
