// SPDX-License-Identifier: GPL-2.0

//! Networking.

pub mod arp;
pub mod dev;
pub mod extack;
pub mod genetlink;
pub mod inet;
pub mod inet6;
pub mod interrupts;
pub mod link;
pub mod namespace;
pub mod netlink_release;
pub mod notifier;
pub mod pernet;
#[cfg(CONFIG_RUST_PHYLIB_ABSTRACTIONS)]
pub mod phy;
pub mod queue_stats;
pub mod rcu_dev;
pub mod rtnl;
pub mod skbuff;
pub mod socket;
pub mod stats;
#[cfg(CONFIG_TIPC)]
pub mod tipc;
pub mod vlan;
