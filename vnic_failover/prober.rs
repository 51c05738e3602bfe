// SPDX-License-Identifier: GPL-2.0

//! The vNIC's side of ARP probing (see `probe` for the rules): the target, when each member
//! last showed proof, the probes it sends and the replies it hears.
//!
//! Proof is stamped from the members' receive handler, in softirq context on any CPU, so the
//! stamps are atomics by pool slot; the verdicts are taken under the pool's lock, in the
//! vNIC's timer.

use crate::{
    policy::{self, Millis},
    probe::{self, Arp, Proof, Seen},
};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::{
    net::{
        arp,
        dev::{Device, Netdev, ETH_ALEN},
        inet::{self, Ipv4Addr},
        rcu_dev::RcuDevice,
        skbuff::Frame,
    },
    sync::rcu,
};

/// When one member last showed each kind of proof (the policy's clock).
#[derive(Default)]
struct Stamps {
    from_target: AtomicU64,
    for_target: AtomicU64,
}

/// Probing state shared by the timer and the receive path.
#[derive(Default)]
pub(crate) struct Prober {
    /// The target, as a `u32` of its network-order bytes; 0 while probing is off.
    target: AtomicU32,
    /// By pool slot.
    seen: [Stamps; policy::MAX_MEMBERS],
    /// Probes sent.
    pub(crate) sent: AtomicU64,
    /// ARP frames from the target received on any member.
    pub(crate) replies: AtomicU64,
}

impl Prober {
    /// Returns the target, if probing is on.
    pub(crate) fn target(&self) -> Option<Ipv4Addr> {
        let target = self.target.load(Ordering::Relaxed);
        (target != 0).then(|| target.to_ne_bytes())
    }

    /// Sets the target (`None`: off). The caller forgets the members' proof.
    pub(crate) fn set_target(&self, target: Option<Ipv4Addr>) {
        let raw = target.map_or(0, u32::from_ne_bytes);
        self.target.store(raw, Ordering::Relaxed);
    }

    /// Looks at an ARP frame received on `port` and stamps the proof it gives.
    pub(crate) fn received(
        &self,
        members: &[RcuDevice; policy::MAX_MEMBERS],
        port: &Netdev,
        frame: &Frame<'_>,
        now: Millis,
        guard: &rcu::Guard,
    ) {
        let Some(target) = self.target() else {
            return;
        };
        // The target is on the untagged network; a VLAN may reuse its address.
        if frame.vlan_tagged() {
            return;
        }
        let mut bytes = [0u8; probe::ARP_LEN];
        if frame.read(0, &mut bytes).is_err() {
            return;
        }
        let Some(arp) = Arp::parse(&bytes) else {
            return;
        };
        let proof = probe::proof(&arp, target);
        if proof == Proof::None {
            return;
        }
        let Some(slot) = members
            .iter()
            .position(|m| m.get(guard).is_some_and(|m| m.is(port)))
        else {
            return;
        };
        let Some(stamps) = self.seen.get(slot) else {
            return;
        };
        match proof {
            Proof::FromTarget => {
                stamps.from_target.fetch_max(now, Ordering::Relaxed);
                self.replies.fetch_add(1, Ordering::Relaxed);
            }
            Proof::ForTarget => {
                stamps.for_target.fetch_max(now, Ordering::Relaxed);
            }
            Proof::None => {}
        }
    }

    /// Returns what member `slot` has shown.
    pub(crate) fn seen(&self, slot: usize) -> Seen {
        self.seen.get(slot).map_or_else(Seen::default, |s| Seen {
            from_target: s.from_target.load(Ordering::Relaxed),
            for_target: s.for_target.load(Ordering::Relaxed),
        })
    }

    /// Forgets what slot `slot` has shown: a new member's, or another target's, proof.
    pub(crate) fn forget(&self, slot: usize) {
        if let Some(stamps) = self.seen.get(slot) {
            stamps.from_target.store(0, Ordering::Relaxed);
            stamps.for_target.store(0, Ordering::Relaxed);
        }
    }

    /// Sends a probe out of `member`: from `own_mac` with no address (0.0.0.0), or with
    /// `None`, as the vNIC, from its address in the target's subnet (0.0.0.0 if it has none
    /// there) and the member's current address, the vNIC's.
    pub(crate) fn send(&self, vnic: &Netdev, member: &Device, own_mac: Option<&[u8; ETH_ALEN]>) {
        let Some(target) = self.target() else {
            return;
        };
        let sender = match own_mac {
            Some(_) => [0; 4],
            None => inet::local_address(vnic, target).unwrap_or([0; 4]),
        };
        if arp::send_request(member, sender, own_mac, target).is_ok() {
            self.sent.fetch_add(1, Ordering::Relaxed);
        }
    }
}
