// SPDX-License-Identifier: GPL-2.0

//! The vNIC's side of probing (see `probe` for the rules): the target, when each member last
//! showed proof, the probes it sends (ARP requests, or neighbour solicitations for an IPv6
//! target) and the answers it hears.
//!
//! Proof is stamped from the members' receive handler, in softirq context on any CPU, so the
//! target and the stamps are atomics; the verdicts are taken under the pool's lock, in the
//! vNIC's timer.

use crate::{
    policy::{self, Millis},
    probe::{self, Arp, Ndp, Proof, Seen, Target},
};
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use kernel::{
    net::{
        arp,
        dev::{Device, Netdev, ETH_ALEN},
        inet,
        rcu_dev::RcuDevice,
        skbuff::{Frame, SkBuff},
    },
    sync::rcu,
};

/// When one member last showed each kind of proof (the policy's clock).
#[derive(Default)]
struct Stamps {
    from_target: AtomicU64,
    for_target: AtomicU64,
}

/// `Prober::family` while probing is off.
const OFF: u8 = 0;
/// `Prober::family` for an IPv4 target.
const V4: u8 = 4;
/// `Prober::family` for an IPv6 target.
const V6: u8 = 6;

/// Probing state shared by the timer and the receive path.
#[derive(Default)]
pub(crate) struct Prober {
    /// Which of the addresses below is the target: `OFF`, `V4` or `V6`.
    family: AtomicU8,
    /// An IPv4 target, as a `u32` of its network-order bytes.
    target4: AtomicU32,
    /// An IPv6 target, as four `u32`s of its network-order bytes.
    target6: [AtomicU32; 4],
    /// By pool slot.
    seen: [Stamps; policy::MAX_MEMBERS],
    /// Probes sent.
    pub(crate) sent: AtomicU64,
    /// Answers from the target received on any member.
    pub(crate) replies: AtomicU64,
}

impl Prober {
    /// Returns the target, if probing is on.
    ///
    /// The receive path may read it while the control path changes it, and then see a mix of
    /// the old and new address; the control path forgets whatever proof it stamped meanwhile
    /// once the receive handlers are done (`synchronize_net`).
    pub(crate) fn target(&self) -> Option<Target> {
        match self.family.load(Ordering::Acquire) {
            V4 => Some(Target::V4(
                self.target4.load(Ordering::Relaxed).to_ne_bytes(),
            )),
            V6 => {
                let mut addr = [0u8; 16];
                for (bytes, word) in addr.chunks_exact_mut(4).zip(&self.target6) {
                    bytes.copy_from_slice(&word.load(Ordering::Relaxed).to_ne_bytes());
                }
                Some(Target::V6(addr))
            }
            _ => None,
        }
    }

    /// Whether frames of EtherType `protocol` may be proof for the current target: cheap
    /// enough for every received frame.
    pub(crate) fn wants(&self, protocol: u16) -> bool {
        match self.family.load(Ordering::Relaxed) {
            V4 => protocol == arp::PROTOCOL,
            V6 => protocol == probe::ETH_P_IPV6,
            _ => false,
        }
    }

    /// Sets the target (`None`: off). The caller forgets the members' proof.
    pub(crate) fn set_target(&self, target: Option<Target>) {
        // Off while the address changes: a reader that starts meanwhile sees probing off.
        self.family.store(OFF, Ordering::Release);
        let family = match target {
            None => OFF,
            Some(Target::V4(addr)) => {
                self.target4
                    .store(u32::from_ne_bytes(addr), Ordering::Relaxed);
                V4
            }
            Some(Target::V6(addr)) => {
                for (bytes, word) in addr.chunks_exact(4).zip(&self.target6) {
                    let mut raw = [0u8; 4];
                    raw.copy_from_slice(bytes);
                    word.store(u32::from_ne_bytes(raw), Ordering::Relaxed);
                }
                V6
            }
        };
        self.family.store(family, Ordering::Release);
    }

    /// Looks at a frame received on `port` and stamps the proof it gives.
    pub(crate) fn received(
        &self,
        members: &[RcuDevice; policy::MAX_MEMBERS],
        port: &Netdev,
        frame: &Frame<'_>,
        now: Millis,
        guard: &rcu::Guard,
    ) {
        // The target is on the untagged network; a VLAN may reuse its address.
        if frame.vlan_tagged() {
            return;
        }
        let proof = match self.target() {
            Some(Target::V4(target)) if frame.protocol() == arp::PROTOCOL => {
                let mut bytes = [0u8; probe::ARP_LEN];
                match frame
                    .read(0, &mut bytes)
                    .ok()
                    .and_then(|()| Arp::parse(&bytes))
                {
                    Some(arp) => probe::proof(&arp, target),
                    None => return,
                }
            }
            Some(Target::V6(target)) if frame.protocol() == probe::ETH_P_IPV6 => {
                let mut bytes = [0u8; probe::IPV6_HEADER_LEN + probe::NDP_LEN];
                match frame
                    .read(0, &mut bytes)
                    .ok()
                    .and_then(|()| Ndp::parse(&bytes))
                {
                    Some(ndp) => probe::ndp_proof(&ndp, target),
                    None => return,
                }
            }
            _ => return,
        };
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

    /// Sends a probe out of `member`: from `own_mac`, claiming no address of the vNIC, or
    /// with `None`, as the vNIC, from the member's current address (the vNIC's).
    ///
    /// An ARP probe as the vNIC comes from its address in the target's subnet (0.0.0.0 if it
    /// has none there); as itself, from 0.0.0.0. A neighbour solicitation comes from the
    /// link-local address of its source MAC (see `probe`).
    pub(crate) fn send(&self, vnic: &Netdev, member: &Device, own_mac: Option<&[u8; ETH_ALEN]>) {
        let sent = match self.target() {
            None => return,
            Some(Target::V4(target)) => {
                let sender = match own_mac {
                    Some(_) => [0; 4],
                    None => inet::local_address(vnic, target).unwrap_or([0; 4]),
                };
                arp::send_request(member, sender, own_mac, target).is_ok()
            }
            Some(Target::V6(target)) => {
                let Some(mac) = own_mac.copied().or_else(|| member.mac()) else {
                    return;
                };
                let frame = probe::solicitation(mac, target);
                SkBuff::ethernet_frame(member, &frame).is_ok_and(|skb| member.queue_xmit(skb))
            }
        };
        if sent {
            self.sent.fetch_add(1, Ordering::Relaxed);
        }
    }
}
