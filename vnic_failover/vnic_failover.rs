// SPDX-License-Identifier: GPL-2.0

//! Virtual NIC over a pool of virtual functions (or any Ethernet devices) with fast failover.
//!
//! `ip link add vnic0 type vnic_failover` creates the vNIC; `ip link set DEV master vnic0` adds
//! members. One member carries the traffic; the others are warm standbys. A member that loses
//! its link, goes down or disappears is replaced in the netdevice notifier that reports it.
//!
//! - `vnic`: the device, its members and the switch.
//! - `events`: member state changes from the netdevice notifier.
//! - `netlink`: the `vnic-failover` generic netlink family.
//! - `sysfs`: `/sys/class/net/VNIC/vnic_failover/`.
//! - `ethtool`: link settings and statistics for `ethtool`.
//! - `interrupts`: the old member's interrupt CPUs passed to the new one on a switch.
//! - `policy`: which member should be active (plain Rust, tested on the host).
//! - `stats`: folding member counters (plain Rust, tested on the host).
//! - `health`: judging members from their transmit counters (plain Rust, tested on the host).
//! - `probe`: judging members from ARP probes (plain Rust, tested on the host).
//! - `prober`: the vNIC's probes and the proof its members receive.

use kernel::{
    net::{genetlink, link, notifier},
    prelude::*,
};

mod ethtool;
mod events;
#[allow(dead_code, unreachable_pub)]
mod health;
mod interrupts;
mod netlink;
// Its items are `pub` for the host crate that tests it (tools/vnic-policy).
#[allow(dead_code, unreachable_pub)]
mod policy;
#[allow(dead_code, unreachable_pub)]
mod probe;
mod prober;
#[allow(dead_code, unreachable_pub)]
mod stats;
mod sysfs;
mod vnic;

module! {
    type: Module,
    name: "vnic_failover",
    author: "pvio developers",
    description: "Virtual NIC over a pool of virtual functions with fast failover",
    license: "GPL",
    alias: ["rtnl-link-vnic_failover"],
}

struct Module {
    // Dropped in this order: deleting the vNICs still sees member events, and user space sees
    // the family until no vNIC is left.
    _link: Pin<KBox<link::Registration<vnic::Vnic>>>,
    _events: Pin<KBox<notifier::Registration<events::MemberEvents>>>,
    _family: genetlink::Registration<netlink::VnicFamily>,
}

impl kernel::Module for Module {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let family = netlink::FAMILY.register(module)?;
        let events = KBox::pin_init(
            notifier::Registration::new(events::MemberEvents),
            GFP_KERNEL,
        )?;
        let link = KBox::pin_init(link::Registration::new(), GFP_KERNEL)?;
        Ok(Module {
            _link: link,
            _events: events,
            _family: family,
        })
    }
}
