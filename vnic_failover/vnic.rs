// SPDX-License-Identifier: GPL-2.0

//! The vNIC device: `ip link add NAME type vnic_failover`.
//!
//! Members join with `ip link set DEV master NAME`. Every member takes the vNIC's MAC address,
//! MTU, address lists, receive modes and VLAN filter when it joins and is brought up, so each
//! one is a warm standby: a switch only moves the active pointer, which transmit follows under
//! RCU, and peers are told with gratuitous ARP and unsolicited neighbour advertisements.
//!
//! Between a member losing carrier (a bit the driver sets at once) and the notifier reporting
//! it (linkwatch runs later), the data path already uses the standby, the member the selector
//! would switch to. Frames are delivered from the member transmit uses; frames received on any
//! other member reach only sockets bound to it, as on an inactive bond port.

use crate::{
    ethtool,
    health::{TxSample, TxWatch},
    interrupts, netlink,
    policy::{self, Health, MemberId, MemberInfo, Reason, Selector, Switch},
    probe::{self, Role, Target, Verdict},
    prober::Prober,
    stats::{self, Fold},
};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::{
    c_str,
    net::{
        dev::{random_mac, synchronize_net, Device, Netdev, ETH_ALEN},
        extack::{fail, ExtAck},
        genetlink::Message,
        link::{
            sysfs::Attribute, LinkType, Live, Master, PortLink, RxFlags, RxMode, RxVerdict, Setup,
        },
        rcu_dev::RcuDevice,
        skbuff::{Frame, SkBuff},
        stats::PortStats,
        vlan::Vlan,
    },
    new_mutex, new_spinlock,
    prelude::*,
    sync::{rcu, Mutex, SpinLock},
    time::Ktime,
    types::ARef,
};

/// The vNIC link type.
pub(crate) struct Vnic;

/// A member of the pool.
struct Member {
    link: PortLink<Vnic>,
    id: MemberId,
    /// What the member had before it joined, restored when it leaves.
    saved_mac: [u8; ETH_ALEN],
    saved_mtu: u32,
    /// Its transmit counters, judged at every health check.
    watch: TxWatch,
    /// When a health check failed it (the policy's clock), for the retry.
    health_failed_at: Option<policy::Millis>,
    /// The address it probes from when it does not carry the traffic (see `probe`): its
    /// permanent one, or a random one if it has none (veth), in its unicast filter while it is
    /// a member.
    probe_mac: [u8; ETH_ALEN],
    /// What its address filters hold for probing.
    probe_filter: ProbeFilter,
    /// Probes it left unanswered in a row (see `probe::count`).
    probes_missed: u32,
    /// Whether it was counted as the active member at the last probe.
    counted_as_active: bool,
}

/// The pool and its selector, changed under RTNL (the lock only makes that visible to Rust).
struct Pool {
    selector: Selector,
    /// Slots, as many as the selector can rank.
    members: [Option<Member>; policy::MAX_MEMBERS],
    /// Milliseconds between health checks (0: none).
    health_interval_ms: u32,
    /// When the next health check is due (the policy's clock).
    next_health_check: policy::Millis,
    /// Milliseconds between ARP probes, while there is a target (see `probe`).
    probe_interval_ms: u32,
    /// Probe intervals without proof after which a member fails.
    probe_missed_max: u32,
    /// When the next probe is due (the policy's clock).
    next_probe: policy::Millis,
    /// The probe whose answers are to be counted: when it went out (0 for none), when to
    /// count them, and the usable active member it went out of (none: members in turn).
    probe_sent_at: policy::Millis,
    probe_count_at: policy::Millis,
    probe_active: Option<MemberId>,
    /// The slot that sent the last probe while no member was usable (they take turns).
    probe_turn: usize,
}

impl Pool {
    /// Returns the members.
    fn iter(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().flatten()
    }

    /// Returns the slot of member `id`.
    fn slot_of(&self, id: MemberId) -> Option<usize> {
        self.members
            .iter()
            .position(|m| m.as_ref().is_some_and(|m| m.id == id))
    }
}

/// Switch figures, read without locks.
#[derive(Default)]
pub(crate) struct Counters {
    /// Why the last change happened (`Reason` as a number, see [`reason_code`]).
    pub(crate) last_reason: AtomicU64,
    /// When the last change happened (monotonic, ns).
    pub(crate) last_switch_ns: AtomicU64,
    /// How long the last change took, from the event to the pointer flip (ns).
    pub(crate) last_switch_duration_ns: AtomicU64,
    /// The longest change so far (ns).
    pub(crate) max_switch_duration_ns: AtomicU64,
    /// Changes by reason, indexed by [`reason_code`] - 1.
    pub(crate) by_reason: [AtomicU64; REASONS],
    /// Peer notifications sent (each a gratuitous ARP, unsolicited NA and rejoin round).
    pub(crate) peer_notifications: AtomicU64,
    /// Interrupt lines given the CPUs of the member they took over from.
    pub(crate) irq_moves: AtomicU64,
}

/// The number of [`reason_code`]s.
pub(crate) const REASONS: usize = 8;

/// Repeated peer notification after a switch, as bonding's `num_grat_arp` and
/// `peer_notif_delay`: a peer that missed the first gratuitous ARP or neighbour advertisement
/// (a busy switch port, a lossy link) gets another. Changed under RTNL.
pub(crate) struct PeerNotify {
    /// Notifications per switch (0: none).
    pub(crate) count: AtomicU32,
    /// Milliseconds between them.
    pub(crate) interval_ms: AtomicU32,
    /// Notifications still to send for the last switch.
    left: AtomicU32,
    /// When the next one is due (the policy's clock).
    next_at: AtomicU64,
}

impl Default for PeerNotify {
    fn default() -> Self {
        Self {
            count: AtomicU32::new(1),
            interval_ms: AtomicU32::new(100),
            left: AtomicU32::new(0),
            next_at: AtomicU64::new(0),
        }
    }
}

/// Longest up-delay and hold-down accepted, in milliseconds (netlink and sysfs).
pub(crate) const MAX_DELAY_MS: u32 = 600_000;

/// Milliseconds between health checks of the members' transmit counters, by default.
const DEFAULT_HEALTH_INTERVAL_MS: u32 = 100;
/// Shortest and longest health-check interval accepted (0 turns the checks off).
pub(crate) const MIN_HEALTH_INTERVAL_MS: u32 = 10;
/// See [`MIN_HEALTH_INTERVAL_MS`].
pub(crate) const MAX_HEALTH_INTERVAL_MS: u32 = 10_000;

/// Most peer notifications per switch.
pub(crate) const MAX_NOTIFY_COUNT: u32 = 255;
/// Longest interval between peer notifications, in milliseconds.
pub(crate) const MAX_NOTIFY_INTERVAL_MS: u32 = 60_000;

/// Milliseconds between ARP probes, by default (probing is off until a target is set).
const DEFAULT_PROBE_INTERVAL_MS: u32 = 200;
/// Shortest and longest probe interval accepted.
pub(crate) const MIN_PROBE_INTERVAL_MS: u32 = 10;
/// See [`MIN_PROBE_INTERVAL_MS`].
pub(crate) const MAX_PROBE_INTERVAL_MS: u32 = 10_000;
/// Probe intervals without proof after which a member fails, by default (bonding's
/// `arp_missed_max`).
const DEFAULT_PROBE_MISSED_MAX: u32 = 2;
/// Most probe intervals a member may miss.
pub(crate) const MAX_PROBE_MISSED_MAX: u32 = 255;

/// The private data of a vNIC.
#[pin_data]
pub(crate) struct VnicData {
    /// The member transmit uses.
    active: RcuDevice,
    /// The member a failure of the active one would switch to. The data path uses it while the
    /// active member has lost carrier but the notifier has not reported it yet.
    standby: RcuDevice,
    /// Every member, by pool slot, for `set_rx_mode`, which runs in atomic context and may
    /// not take the pool's lock.
    members: [RcuDevice; policy::MAX_MEMBERS],
    #[pin]
    pool: Mutex<Pool>,
    /// The pool's state as of its last change, for `ip -d link show`.
    #[pin]
    published: SpinLock<Snapshot>,
    /// The members' failures folded into the vNIC's counters, never going backwards.
    #[pin]
    fold: SpinLock<Fold>,
    pub(crate) counters: Counters,
    pub(crate) notify: PeerNotify,
    pub(crate) prober: Prober,
    /// Set when the data path found the active member without carrier and kicked the timer,
    /// which clears it: one kick per tick, however many packets see the loss.
    carrier_kicked: AtomicBool,
}

/// Returns monotonic time in milliseconds, the policy's clock.
fn now_ms() -> policy::Millis {
    Ktime::ktime_get().to_ms().try_into().unwrap_or(0)
}

/// Returns a member's id: its interface index.
fn member_id(dev: &Netdev) -> MemberId {
    dev.ifindex().try_into().unwrap_or(0)
}

/// Returns a stable number for a switch reason, for counters and user space.
pub(crate) fn reason_code(reason: Reason) -> u64 {
    use policy::Health;
    match reason {
        Reason::Activated => 1,
        Reason::LinkDown => 2,
        Reason::Removed => 3,
        Reason::Failed(Health::TxTimeout) => 4,
        Reason::Failed(Health::TxErrors) => 5,
        Reason::Failed(Health::ProbeFailed) => 6,
        Reason::Failed(Health::Admin) => 7,
        Reason::Failback => 8,
    }
}

/// Returns the user-space name of a [`reason_code`] (as in the netlink spec's `reason` enum).
pub(crate) fn reason_label(code: u32) -> &'static str {
    match code {
        1 => "activated",
        2 => "link-down",
        3 => "removed",
        4 => "tx-timeout",
        5 => "tx-errors",
        6 => "probe-failed",
        7 => "admin",
        8 => "failback",
        _ => "none",
    }
}

/// Returns the name of a switch reason, for the log.
fn reason_name(reason: Reason) -> &'static str {
    match reason {
        Reason::Activated => "activated",
        Reason::LinkDown => "link down",
        Reason::Removed => "removed",
        Reason::Failed(Health::TxTimeout) => "tx timeout",
        Reason::Failed(Health::TxErrors) => "tx errors",
        Reason::Failed(Health::ProbeFailed) => "probe failed",
        Reason::Failed(Health::Admin) => "failed by admin",
        Reason::Failback => "failback",
    }
}

/// Samples a member's transmit counters for its health check.
fn tx_sample(dev: &Device) -> TxSample {
    let stats = dev.stats();
    TxSample {
        packets: stats.tx_packets(),
        errors: stats.tx_errors().saturating_add(stats.tx_dropped()),
        timeouts: dev.tx_timeouts(),
    }
}

/// Returns a member's counters for the fold.
fn fold_sample(dev: &Netdev) -> stats::Counters {
    let s = dev.stats();
    stats::Counters {
        rx_errors: s.rx_errors(),
        tx_errors: s.tx_errors(),
        tx_dropped: s.tx_dropped(),
        ..Default::default()
    }
}

/// Takes back from a leaving member what it carried for the vNIC: addresses, receive modes
/// and VLANs.
fn release_filters(vnic: &Master<Vnic>, member: &Device) {
    vnic.unsync_addresses(member);
    member.del_vlans_of(vnic);
}

/// What a member's address filters hold for probing (see [`filter_probe`]).
#[derive(Default)]
struct ProbeFilter {
    /// Its probe address, in its unicast filter.
    unicast: Option<[u8; ETH_ALEN]>,
    /// The Ethernet group of an IPv6 target's solicited-node address, in its multicast filter.
    multicast: Option<[u8; ETH_ALEN]>,
}

/// Makes a member's address filters hold, once each, what probing `target` needs (`None`:
/// nothing): its probe address `mac`, which the answers to the probes it sends as itself go
/// to, and for an IPv6 target the target's solicited-node group, which the active member's
/// probes go to and which proves a backup. Only while probing: a device that does not filter
/// unicast frames (veth) goes promiscuous for an extra address.
///
/// Best effort: without them, a member that filters misses the answers to its own probes and
/// can only be revived by the active member's, or, a backup, fails on an IPv6 target's.
fn filter_probe(
    dev: &Device,
    mac: &[u8; ETH_ALEN],
    target: Option<Target>,
    filter: &mut ProbeFilter,
) {
    let unicast = target.map(|_| *mac);
    if filter.unicast != unicast {
        if let Some(old) = filter.unicast.take() {
            let _ = dev.del_unicast(&old);
        }
        if let Some(new) = unicast {
            filter.unicast = dev.add_unicast(&new).is_ok().then_some(new);
        }
    }
    let multicast = match target {
        Some(Target::V6(addr)) => Some(probe::multicast_mac(probe::solicited_node(addr))),
        _ => None,
    };
    if filter.multicast != multicast {
        if let Some(old) = filter.multicast.take() {
            let _ = dev.del_multicast(&old);
        }
        if let Some(new) = multicast {
            filter.multicast = dev.add_multicast(&new).is_ok().then_some(new);
        }
    }
}

/// Returns the probe addresses of the pool's members.
fn probe_macs(pool: &Pool) -> [Option<[u8; ETH_ALEN]>; policy::MAX_MEMBERS] {
    let mut taken = [None; policy::MAX_MEMBERS];
    for (t, m) in taken.iter_mut().zip(pool.iter()) {
        *t = Some(m.probe_mac);
    }
    taken
}

/// Returns `candidate` if it is neither the vNIC's address nor another member's probe
/// address (two functions of one adapter may share a permanent address), a random one
/// otherwise.
fn probe_mac_for(
    candidate: Option<[u8; ETH_ALEN]>,
    vnic_mac: [u8; ETH_ALEN],
    taken: &[Option<[u8; ETH_ALEN]>],
) -> [u8; ETH_ALEN] {
    match candidate {
        Some(mac) if mac != vnic_mac && !taken.contains(&Some(mac)) => mac,
        _ => fresh_probe_mac(vnic_mac, taken),
    }
}

/// Returns a random probe address unlike the vNIC's and the members'.
fn fresh_probe_mac(vnic_mac: [u8; ETH_ALEN], taken: &[Option<[u8; ETH_ALEN]>]) -> [u8; ETH_ALEN] {
    loop {
        let mac = random_mac();
        if mac != vnic_mac && !taken.contains(&Some(mac)) {
            return mac;
        }
    }
}

/// Returns the active member if it is usable (a failed member stays active when no other
/// can take over).
fn usable_active(pool: &Pool, now: policy::Millis) -> Option<MemberId> {
    pool.selector.active().filter(|&id| {
        pool.selector
            .member(id, now)
            .is_some_and(|i| i.link_up && i.failed.is_none())
    })
}

/// Whether a member can carry traffic now: up, with carrier.
fn link_up(dev: &Netdev) -> bool {
    dev.is_running() && dev.has_carrier()
}

impl VnicData {
    /// Carries out a switch the selector decided: flip the data path, set carrier, tell peers.
    fn apply(&self, vnic: &Master<Vnic>, pool: &Pool, switch: Switch, started: Ktime) {
        let target = switch
            .to
            .and_then(|id| pool.iter().find(|m| m.id == id))
            .map(|m| vnic.port(&m.link));
        // The flip: from here transmit uses the new member. `replace` then waits for readers
        // of the old one before dropping it, which does not delay traffic.
        let flipped = Ktime::ktime_get();
        let old = self.active.replace(target.map(|dev| dev.hold()));
        drop(old);
        vnic.set_carrier(target.is_some());

        let c = &self.counters;
        c.last_reason
            .store(reason_code(switch.reason), Ordering::Relaxed);
        c.last_switch_ns
            .store(flipped.to_ns().try_into().unwrap_or(0), Ordering::Relaxed);
        let took_ns = (flipped.to_ns() - started.to_ns()).max(0);
        let took: u64 = took_ns.try_into().unwrap_or(0);
        c.last_switch_duration_ns.store(took, Ordering::Relaxed);
        c.max_switch_duration_ns.fetch_max(took, Ordering::Relaxed);
        let reason = usize::try_from(reason_code(switch.reason)).unwrap_or(0);
        if let Some(count) = reason.checked_sub(1).and_then(|i| c.by_reason.get(i)) {
            count.fetch_add(1, Ordering::Relaxed);
        }

        // Before anything tells user space: peer notification makes the core describe the
        // vNIC (RTM_NEWLINK), from the snapshot.
        self.publish(pool, now_ms());
        netlink::notify_switch(vnic, &self.status(pool), switch.from);
        if let Some(dev) = target {
            let n = &self.notify;
            let count = n.count.load(Ordering::Relaxed);
            if count > 0 {
                self.notify_peers(vnic);
            }
            n.left.store(count.saturating_sub(1), Ordering::Relaxed);
            let interval = n.interval_ms.load(Ordering::Relaxed);
            n.next_at
                .store(now_ms().saturating_add(interval.into()), Ordering::Relaxed);
            pr_info!(
                "{}: active member {} ({}, {} us)\n",
                vnic.name(),
                dev.name(),
                reason_name(switch.reason),
                took_ns / 1000
            );
            // After the flip and the peer notification, which traffic waits for; the old
            // member is still in the pool, even when it is going away.
            let from = switch
                .from
                .and_then(|id| pool.iter().find(|m| m.id == id))
                .map(|m| vnic.port(&m.link));
            if let Some(old) = from {
                let done = interrupts::migrate(old, dev);
                c.irq_moves.fetch_add(done.moved.into(), Ordering::Relaxed);
                if done.differed > 0 {
                    pr_info!(
                        "{}: {} of {} interrupts of {} moved to the CPUs of {}\n",
                        vnic.name(),
                        done.moved,
                        done.differed,
                        dev.name(),
                        old.name()
                    );
                }
            }
            // The notifier chain hears which member transmits now, as from a bond, once its
            // interrupts are where they stay (irq_balancer takes them from there).
            if let Some(old) = from {
                vnic.port_state_changed(old, link_up(old), false);
            }
            vnic.port_state_changed(dev, true, true);
        } else {
            pr_warn!(
                "{}: no usable member ({})\n",
                vnic.name(),
                reason_name(switch.reason)
            );
        }
    }

    /// Returns the state user space sees.
    fn status(&self, pool: &Pool) -> Status {
        let c = &self.counters;
        Status {
            active: pool.selector.active(),
            standby: pool.selector.standby(now_ms()),
            config: pool.selector.config(),
            failovers: pool.selector.switches(),
            last_reason: c.last_reason.load(Ordering::Relaxed) as u32,
            last_switch_ns: c.last_switch_ns.load(Ordering::Relaxed),
            last_switch_duration_ns: c.last_switch_duration_ns.load(Ordering::Relaxed),
            health_interval_ms: pool.health_interval_ms,
            notify_count: self.notify.count.load(Ordering::Relaxed),
            notify_interval_ms: self.notify.interval_ms.load(Ordering::Relaxed),
            probe_target: self.prober.target(),
            probe_interval_ms: pool.probe_interval_ms,
            probe_missed_max: pool.probe_missed_max,
            probes_sent: self.prober.sent.load(Ordering::Relaxed),
            probe_replies: self.prober.replies.load(Ordering::Relaxed),
            irq_moves: c.irq_moves.load(Ordering::Relaxed),
        }
    }

    /// Applies a selector result, if it is a switch, points the standby slot at the member
    /// that would take over next, and arms the timer for the next pending decision (an
    /// up-delay or a hold-down running out).
    fn settle(&self, vnic: &Master<Vnic>, pool: &Pool, result: Option<Switch>, started: Ktime) {
        if let Some(switch) = result {
            self.apply(vnic, pool, switch, started);
        }
        let now = now_ms();
        let notify_at = (self.notify.left.load(Ordering::Relaxed) > 0)
            .then(|| self.notify.next_at.load(Ordering::Relaxed));
        // Members are checked while there are any: their counters are not events.
        let checked = pool.health_interval_ms > 0 && pool.iter().next().is_some();
        let health_at = checked.then(|| pool.next_health_check.max(now));
        let probed = self.prober.target().is_some() && pool.iter().next().is_some();
        let counting = (pool.probe_sent_at > 0).then_some(pool.probe_count_at);
        let probe_at = probed.then(|| pool.next_probe.min(counting.unwrap_or(u64::MAX)).max(now));
        let deadline = [
            pool.selector.next_deadline(now),
            notify_at,
            health_at,
            probe_at,
        ]
        .into_iter()
        .flatten()
        .min();
        if let Some(deadline) = deadline {
            let delay = deadline.saturating_sub(now);
            vnic.schedule(u32::try_from(delay).unwrap_or(u32::MAX));
        }
        let next = pool
            .selector
            .standby(now)
            .and_then(|id| pool.iter().find(|m| m.id == id));
        let unchanged = match next {
            Some(m) => self.standby.holds(m.link.port()),
            None => self.standby.is_empty(),
        };
        if !unchanged {
            drop(
                self.standby
                    .replace(next.map(|m| vnic.port(&m.link).hold())),
            );
        }
        self.publish(pool, now);
    }

    /// Takes the snapshot `ip -d link show` reports.
    fn publish(&self, pool: &Pool, now: policy::Millis) {
        let mut members = [None; policy::MAX_MEMBERS];
        for (slot, m) in members.iter_mut().zip(pool.iter()) {
            *slot = pool.selector.member(m.id, now).map(|info| (m.id, info));
        }
        *self.published.lock() = Snapshot {
            status: self.status(pool),
            members,
        };
    }

    /// Sends the next repeated peer notification if it is due.
    fn notify_again(&self, vnic: &Master<Vnic>, pool: &Pool) {
        let n = &self.notify;
        let now = now_ms();
        let left = n.left.load(Ordering::Relaxed);
        if left == 0 || now < n.next_at.load(Ordering::Relaxed) {
            return;
        }
        n.left.store(left - 1, Ordering::Relaxed);
        let interval = n.interval_ms.load(Ordering::Relaxed);
        n.next_at
            .store(now.saturating_add(interval.into()), Ordering::Relaxed);
        if pool.selector.active().is_some() {
            self.notify_peers(vnic);
        }
    }

    /// Judges each member's transmit counters when a check is due (see `health`): fails a
    /// member that timed out or failed most of what it was given, and retries one failed that
    /// way once the hold-down has passed (it then serves its up-delay as a recovered member).
    fn check_health(&self, vnic: &Master<Vnic>, pool: &mut Pool) {
        let now = now_ms();
        if pool.health_interval_ms == 0 || now < pool.next_health_check {
            return;
        }
        pool.next_health_check = now.saturating_add(pool.health_interval_ms.into());
        let retry_after = pool.selector.config().hold_down;
        for slot in 0..policy::MAX_MEMBERS {
            let started = Ktime::ktime_get();
            let Some(m) = pool.members.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            let verdict = m.watch.sample(tx_sample(vnic.port(&m.link)));
            let id = m.id;
            let failed_at = m.health_failed_at;
            let Some(info) = pool.selector.member(id, now) else {
                continue;
            };
            let change = match (info.failed, verdict) {
                // An administrator's mark is theirs to take back.
                (Some(Health::Admin), _) => None,
                (None, Some(health)) => Some((Some(health), Some(now))),
                (Some(_), None) if failed_at.is_some_and(|t| now >= t + retry_after) => {
                    Some((None, None))
                }
                _ => None,
            };
            let Some((health, at)) = change else {
                continue;
            };
            if let Some(m) = pool.members.get_mut(slot).and_then(Option::as_mut) {
                m.health_failed_at = at;
                if let Some(health) = health {
                    pr_warn!(
                        "{}: member {} failed: {}\n",
                        vnic.name(),
                        vnic.port(&m.link).name(),
                        reason_name(Reason::Failed(health))
                    );
                }
            }
            let result = pool.selector.set_health(id, health, now);
            self.settle(vnic, pool, result.ok().flatten(), started);
        }
    }

    /// Counts the answers to the last probe once they are due, then sends the next probe when
    /// that is due (see `probe`).
    fn probe_members(&self, vnic: &Master<Vnic>, pool: &mut Pool) {
        if self.prober.target().is_none() {
            return;
        }
        let now = now_ms();
        if pool.probe_sent_at > 0 && now >= pool.probe_count_at {
            let sent_at = core::mem::take(&mut pool.probe_sent_at);
            self.count_answers(vnic, pool, sent_at, now);
        }
        if now >= pool.next_probe {
            pool.next_probe = now.saturating_add(pool.probe_interval_ms.into());
            self.send_probe(vnic, pool, now);
        }
    }

    /// Counts the probe sent at `sent_at` for each member, with the role it had then, and
    /// fails or revives members accordingly.
    fn count_answers(&self, vnic: &Master<Vnic>, pool: &mut Pool, sent_at: u64, now: u64) {
        let config = probe::Config {
            interval: pool.probe_interval_ms.into(),
            missed_max: pool.probe_missed_max,
        };
        let probe_active = pool.probe_active;
        let heard = probe_active
            .and_then(|id| pool.slot_of(id))
            .is_some_and(|a| probe::answered(&self.prober.seen(a), Role::Active, sent_at));
        for slot in 0..policy::MAX_MEMBERS {
            let started = Ktime::ktime_get();
            let Some(id) = pool
                .members
                .get(slot)
                .and_then(Option::as_ref)
                .map(|m| m.id)
            else {
                continue;
            };
            let Some(info) = pool.selector.member(id, now) else {
                continue;
            };
            let probe_failed = info.failed == Some(Health::ProbeFailed);
            // A member that is down, or failed for another reason, is not counted.
            if !info.link_up || (info.failed.is_some() && !probe_failed) {
                continue;
            }
            let role = if probe_failed {
                Role::Failed {
                    target_heard: heard,
                }
            } else if probe_active == Some(id) {
                Role::Active
            } else {
                Role::Backup
            };
            let answered = probe::answered(&self.prober.seen(slot), role, sent_at);
            let Some(m) = pool.members.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            // A member counted as the active one for the first time starts over: the probes
            // it missed as a backup were the old active member's.
            let is_active = role == Role::Active;
            if is_active && !m.counted_as_active {
                m.probes_missed = 0;
            }
            m.counted_as_active = is_active;
            let verdict = probe::count(&mut m.probes_missed, answered, role, &config);
            let health = match (verdict, probe_failed) {
                (Verdict::Dead, false) => Some(Health::ProbeFailed),
                (Verdict::Alive, true) => None,
                _ => continue,
            };
            pr_warn!(
                "{}: member {} {}\n",
                vnic.name(),
                vnic.port(&m.link).name(),
                if health.is_some() {
                    "failed: probe failed"
                } else {
                    "answers probes again"
                }
            );
            let result = pool.selector.set_health(id, health, now);
            self.settle(vnic, pool, result.ok().flatten(), started);
        }
    }

    /// Sends a probe: out of the active member while it is usable, otherwise out of the
    /// members whose link is up and that probes can revive, one per interval in turn.
    fn send_probe(&self, vnic: &Master<Vnic>, pool: &mut Pool, now: u64) {
        let probe_active = usable_active(pool, now);
        let sender = match probe_active {
            Some(id) => pool.slot_of(id),
            None => {
                let can_revive = |slot: &usize| {
                    pool.members
                        .get(*slot)
                        .and_then(Option::as_ref)
                        .and_then(|m| pool.selector.member(m.id, now))
                        .is_some_and(|info| {
                            info.link_up && matches!(info.failed, None | Some(Health::ProbeFailed))
                        })
                };
                let candidates = (0..policy::MAX_MEMBERS).filter(can_revive);
                let turn = probe::next_in_turn(candidates, pool.probe_turn);
                if let Some(turn) = turn {
                    pool.probe_turn = turn;
                }
                turn
            }
        };
        let Some(m) = sender
            .and_then(|slot| pool.members.get(slot))
            .and_then(Option::as_ref)
        else {
            return;
        };
        // The member transmit uses probes as the vNIC; another one as itself, so that the
        // switches keep the vNIC's address where its traffic is.
        let as_vnic = pool.selector.active() == Some(m.id);
        let own = (!as_vnic).then_some(&m.probe_mac);
        self.prober.send(vnic, vnic.port(&m.link), own);
        let config = probe::Config {
            interval: pool.probe_interval_ms.into(),
            missed_max: pool.probe_missed_max,
        };
        pool.probe_sent_at = now;
        pool.probe_count_at = now.saturating_add(probe::reply_wait(&config));
        pool.probe_active = probe_active;
    }

    fn notify_peers(&self, vnic: &Master<Vnic>) {
        vnic.notify_peers();
        self.counters
            .peer_notifications
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Returns the active member, held.
    pub(crate) fn active(&self) -> Option<ARef<Netdev>> {
        let guard = rcu::read_lock();
        self.active.get(&guard).map(ARef::from)
    }

    /// Returns the member transmit should use: the active one, or the standby while the active
    /// one has lost carrier and the switch is on its way.
    fn tx_member<'a>(&'a self, guard: &'a rcu::Guard) -> Option<&'a Netdev> {
        self.tx_route(guard).0
    }

    /// [`Self::tx_member`], and whether the active member has lost carrier (the notifier may
    /// not know yet): one read of each slot and carrier bit on the transmit path.
    fn tx_route<'a>(&'a self, guard: &'a rcu::Guard) -> (Option<&'a Netdev>, bool) {
        match self.active.get(guard) {
            Some(active) if active.has_carrier() => (Some(active), false),
            active => {
                let standby = self
                    .standby
                    .get(guard)
                    .filter(|standby| standby.has_carrier());
                (standby.or(active), active.is_some())
            }
        }
    }

    /// Records the link states the notifier has not reported yet. Linkwatch reports a carrier
    /// change at once only for LAG ports and stacked devices; a NIC's or a VF's may wait up
    /// to a second while linkwatch is busy. Each tick, and at once when the data path finds
    /// the active member without carrier, switches without waiting for it; the notification
    /// that follows finds nothing to change.
    fn sync_links(&self, vnic: &Master<Vnic>, pool: &mut Pool) {
        let now = now_ms();
        for slot in 0..policy::MAX_MEMBERS {
            let started = Ktime::ktime_get();
            let Some(m) = pool.members.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            let id = m.id;
            let up = link_up(vnic.port(&m.link));
            if pool
                .selector
                .member(id, now)
                .is_none_or(|info| info.link_up == up)
            {
                continue;
            }
            if up {
                m.probes_missed = 0;
            }
            let result = pool.selector.set_link(id, up, now);
            self.settle(vnic, pool, result.ok().flatten(), started);
        }
    }

    /// Reacts to a member's link state change (carrier, up, down).
    pub(crate) fn link_changed(&self, vnic: &Master<Vnic>, member: &Device) {
        self.set_link(vnic, member, link_up(member));
    }

    /// Reacts to a member about to go down.
    pub(crate) fn link_down(&self, vnic: &Master<Vnic>, member: &Device) {
        self.set_link(vnic, member, false);
    }

    fn set_link(&self, vnic: &Master<Vnic>, member: &Device, up: bool) {
        let started = Ktime::ktime_get();
        let mut pool = self.pool.lock();
        // A member whose link comes up is judged on the probes it gets from now on.
        if let Some(m) = up
            .then(|| {
                pool.members
                    .iter_mut()
                    .flatten()
                    .find(|m| m.id == member_id(member))
            })
            .flatten()
        {
            m.probes_missed = 0;
        }
        let result = pool.selector.set_link(member_id(member), up, now_ms());
        self.settle(vnic, &pool, result.ok().flatten(), started);
    }

    /// Removes a member that is going away (unregistered) without restoring it.
    pub(crate) fn member_gone(&self, vnic: &Master<Vnic>, member: &Device) {
        self.remove(vnic, member, false);
    }

    /// Removes `member`; restores its address and MTU if `restore`.
    fn remove(&self, vnic: &Master<Vnic>, member: &Device, restore: bool) -> Option<()> {
        let started = Ktime::ktime_get();
        let mut pool = self.pool.lock();
        let id = member_id(member);
        let slot = pool
            .members
            .iter()
            .position(|m| m.as_ref().is_some_and(|m| m.link.port().is(member)))?;
        let result = pool.selector.remove(id, now_ms());
        // Switch away first, so the leaving member carries nothing once unlinked.
        self.settle(vnic, &pool, result.ok().flatten(), started);
        if self.active.holds(member) {
            drop(self.active.replace(None));
            vnic.set_carrier(false);
        }
        if self.standby.holds(member) {
            drop(self.standby.replace(None));
        }
        let mut gone = pool.members.get_mut(slot)?.take()?;
        // What it failed as a member stays in the vNIC's counters.
        let last = fold_sample(member);
        let _ = self.fold.lock().leave(id, last);
        // Out of the address sync first (after readers of the slot are done), so nothing
        // syncs the member again once its addresses are taken back.
        if let Some(rcu_slot) = self.members.get(slot) {
            drop(rcu_slot.replace(None));
        }
        release_filters(vnic, member);
        if restore {
            filter_probe(member, &gone.probe_mac, None, &mut gone.probe_filter);
            // Best effort: the member may refuse its old values now; it is ours no more.
            let _ = member.set_mtu(gone.saved_mtu);
            let _ = member.set_mac(&gone.saved_mac, None);
        }
        vnic.unlink_port(gone.link);
        Some(())
    }
}

/// What user space sees of a vNIC (see `netlink`).
#[derive(Clone, Copy)]
pub(crate) struct Status {
    /// The active member's index.
    pub(crate) active: Option<MemberId>,
    /// The index of the member that would take over next.
    pub(crate) standby: Option<MemberId>,
    /// The policy's tunables.
    pub(crate) config: policy::Config,
    /// Switches from one member to another.
    pub(crate) failovers: u64,
    /// Why the last switch happened ([`reason_code`], 0 for none yet).
    pub(crate) last_reason: u32,
    /// When it happened (monotonic, ns).
    pub(crate) last_switch_ns: u64,
    /// How long it took from the event to the flip (ns).
    pub(crate) last_switch_duration_ns: u64,
    /// Milliseconds between health checks (0: none).
    pub(crate) health_interval_ms: u32,
    /// Peer notifications per switch.
    pub(crate) notify_count: u32,
    /// Milliseconds between them.
    pub(crate) notify_interval_ms: u32,
    /// The ARP probe target, if probing is on.
    pub(crate) probe_target: Option<Target>,
    /// Milliseconds between probes.
    pub(crate) probe_interval_ms: u32,
    /// Probe intervals without proof after which a member fails.
    pub(crate) probe_missed_max: u32,
    /// Probes sent.
    pub(crate) probes_sent: u64,
    /// ARP frames from the target received.
    pub(crate) probe_replies: u64,
    /// Interrupt lines moved to the CPUs of the member they took over from.
    pub(crate) irq_moves: u64,
}

/// A copy of the pool's state, taken at every change of the pool, for `IFLA_INFO_DATA` and
/// `IFLA_INFO_SLAVE_DATA`: those are filled inside notifications that the pool's own changes
/// cause (a member's new MTU or address, peer notification), while the pool's lock is held.
#[derive(Clone, Copy)]
pub(crate) struct Snapshot {
    /// The vNIC's state.
    pub(crate) status: Status,
    /// Every member by index, and what the selector knew of it.
    pub(crate) members: [Option<(MemberId, MemberInfo)>; policy::MAX_MEMBERS],
}

impl Snapshot {
    /// The state of a new vNIC, until its first change.
    fn new() -> Self {
        Self {
            status: Status {
                active: None,
                standby: None,
                config: policy::Config::default(),
                failovers: 0,
                last_reason: 0,
                last_switch_ns: 0,
                last_switch_duration_ns: 0,
                health_interval_ms: DEFAULT_HEALTH_INTERVAL_MS,
                probe_target: None,
                probe_interval_ms: DEFAULT_PROBE_INTERVAL_MS,
                probe_missed_max: DEFAULT_PROBE_MISSED_MAX,
                // Read live by `snapshot`.
                notify_count: 0,
                notify_interval_ms: 0,
                probes_sent: 0,
                probe_replies: 0,
                irq_moves: 0,
            },
            members: [None; policy::MAX_MEMBERS],
        }
    }
}

/// Returns the state of `vnic` as of the last change of its pool, without taking the pool's
/// lock; the peer-notification options and the probe and interrupt counters are read as they
/// are now.
pub(crate) fn snapshot(vnic: &Master<Vnic>) -> Snapshot {
    let data = vnic.data();
    let mut snapshot = *data.published.lock();
    let status = &mut snapshot.status;
    status.notify_count = data.notify.count.load(Ordering::Relaxed);
    status.notify_interval_ms = data.notify.interval_ms.load(Ordering::Relaxed);
    status.probes_sent = data.prober.sent.load(Ordering::Relaxed);
    status.probe_replies = data.prober.replies.load(Ordering::Relaxed);
    status.irq_moves = data.counters.irq_moves.load(Ordering::Relaxed);
    snapshot
}

/// Returns what user space sees of `vnic`.
pub(crate) fn status(vnic: &Master<Vnic>) -> Status {
    let data = vnic.data();
    let pool = data.pool.lock();
    data.status(&pool)
}

/// Calls `f` with every member and what the selector knows of it, in pool order.
pub(crate) fn for_each_member(
    vnic: &Master<Vnic>,
    mut f: impl FnMut(&Device, &MemberInfo) -> Result,
) -> Result {
    let pool = vnic.data().pool.lock();
    let now = now_ms();
    for m in pool.iter() {
        if let Some(info) = pool.selector.member(m.id, now) {
            f(vnic.port(&m.link), &info)?;
        }
    }
    Ok(())
}

/// Changes the policy's tunables; a switch they allow happens at once.
pub(crate) fn configure(vnic: &Master<Vnic>, change: impl FnOnce(&mut policy::Config)) {
    let data = vnic.data();
    let started = Ktime::ktime_get();
    let mut pool = data.pool.lock();
    let mut config = pool.selector.config();
    change(&mut config);
    let result = pool.selector.set_config(config, now_ms());
    data.settle(vnic, &pool, result, started);
}

/// Sets how many times peers are notified after a switch, and how far apart; takes effect at
/// the next switch. Values are checked by the callers.
pub(crate) fn set_peer_notify(vnic: &Master<Vnic>, count: Option<u32>, interval_ms: Option<u32>) {
    let n = &vnic.data().notify;
    if let Some(count) = count {
        n.count
            .store(count.min(MAX_NOTIFY_COUNT), Ordering::Relaxed);
    }
    if let Some(ms) = interval_ms {
        n.interval_ms
            .store(ms.min(MAX_NOTIFY_INTERVAL_MS), Ordering::Relaxed);
    }
}

/// Sets the health-check interval: 0 (off) or [`MIN_HEALTH_INTERVAL_MS`] to
/// [`MAX_HEALTH_INTERVAL_MS`], checked by the caller. Checks turned on judge what members do
/// from then on.
pub(crate) fn set_health_interval(vnic: &Master<Vnic>, ms: u32) {
    let data = vnic.data();
    let started = Ktime::ktime_get();
    let mut pool = data.pool.lock();
    if pool.health_interval_ms == 0 && ms > 0 {
        for slot in 0..policy::MAX_MEMBERS {
            if let Some(m) = pool.members.get_mut(slot).and_then(Option::as_mut) {
                m.watch = TxWatch::new(tx_sample(vnic.port(&m.link)));
            }
        }
    }
    pool.health_interval_ms = ms;
    pool.next_health_check = now_ms().saturating_add(ms.into());
    data.settle(vnic, &pool, None, started);
}

/// Sets the ARP probe target (`Some(None)`: probing off), the interval and the intervals a
/// member may miss; values are checked by the callers. Every member's count starts over,
/// and members failed by probing recover when probing stops.
pub(crate) fn set_probe(
    vnic: &Master<Vnic>,
    target: Option<Option<Target>>,
    interval_ms: Option<u32>,
    missed_max: Option<u32>,
) {
    let data = vnic.data();
    let mut pool = data.pool.lock();
    if let Some(target) = target {
        data.prober.set_target(target);
        // A receive handler that read the old target is done before its proof is forgotten.
        synchronize_net();
    }
    if let Some(ms) = interval_ms {
        pool.probe_interval_ms = ms;
    }
    if let Some(missed) = missed_max {
        pool.probe_missed_max = missed;
    }
    let now = now_ms();
    // Counting starts over with the next probe, due now.
    pool.next_probe = now;
    pool.probe_sent_at = 0;
    let probing = data.prober.target();
    for slot in 0..policy::MAX_MEMBERS {
        let started = Ktime::ktime_get();
        let Some(m) = pool.members.get_mut(slot).and_then(Option::as_mut) else {
            continue;
        };
        let id = m.id;
        m.probes_missed = 0;
        filter_probe(
            vnic.port(&m.link),
            &m.probe_mac,
            probing,
            &mut m.probe_filter,
        );
        // Proof of another target does not count.
        if target.is_some() {
            data.prober.forget(slot);
        }
        let failed = pool.selector.member(id, now).and_then(|info| info.failed);
        if probing.is_none() && failed == Some(Health::ProbeFailed) {
            let result = pool.selector.set_health(id, None, now);
            data.settle(vnic, &pool, result.ok().flatten(), started);
        }
    }
    data.settle(vnic, &pool, None, Ktime::ktime_get());
}

/// Sets a member's priority and, with `admin_failed`, marks it failed by the administrator or
/// clears that mark (other failures stay).
pub(crate) fn set_member(
    vnic: &Master<Vnic>,
    member: &Device,
    priority: Option<u32>,
    admin_failed: Option<bool>,
) -> Result {
    let data = vnic.data();
    let started = Ktime::ktime_get();
    let mut pool = data.pool.lock();
    let id = member_id(member);
    let now = now_ms();
    let info = pool.selector.member(id, now).ok_or(EINVAL)?;
    if let Some(priority) = priority {
        let result = pool.selector.set_rank(id, priority, info.quality, now);
        data.settle(vnic, &pool, result.ok().flatten(), started);
    }
    if let Some(admin_failed) = admin_failed {
        let failed = match (admin_failed, info.failed) {
            (true, _) => Some(Health::Admin),
            (false, Some(Health::Admin)) => None,
            (false, other) => other,
        };
        let result = pool.selector.set_health(id, failed, now_ms());
        data.settle(vnic, &pool, result.ok().flatten(), started);
    }
    Ok(())
}

const NOT_ETHERNET: &CStr = c_str!("vnic_failover: members must be Ethernet devices");
const SELF: &CStr = c_str!("vnic_failover: a vNIC cannot be its own port");
const LOOPBACK: &CStr = c_str!("vnic_failover: a loopback device cannot be a member");
const NESTED: &CStr = c_str!("vnic_failover: a vNIC cannot be a member of a vNIC");
const BUSY: &CStr = c_str!("vnic_failover: device already has a master or receive handler");
const POOL_FULL: &CStr = c_str!("vnic_failover: the pool is full");
const BAD_MTU: &CStr = c_str!("vnic_failover: member cannot take the vNIC's MTU");
const BAD_MAC: &CStr = c_str!("vnic_failover: member cannot take the vNIC's MAC address");
const BAD_VLANS: &CStr = c_str!("vnic_failover: member cannot filter the vNIC's VLANs");
const NOT_MEMBER: &CStr = c_str!("vnic_failover: device is not a member");

#[vtable]
impl LinkType for Vnic {
    const KIND: &'static CStr = c_str!("vnic_failover");
    type Data = VnicData;
    const SYSFS_DIR: Option<&'static CStr> = Some(c_str!("vnic_failover"));
    const SYSFS_ATTRS: &'static [Attribute<Self>] = crate::sysfs::ATTRS;

    fn setup(dev: &mut Setup<'_>) {
        dev.random_mac();
        dev.carrier_off();
        // Checksums and segmentation happen at the member, in hardware where it can.
        dev.software_offloads();
    }

    fn init(_dev: &Device) -> impl PinInit<VnicData, Error> {
        try_pin_init!(VnicData {
            active: RcuDevice::new(),
            standby: RcuDevice::new(),
            members: [const { RcuDevice::new() }; policy::MAX_MEMBERS],
            pool <- new_mutex!(Pool {
                selector: Selector::new(policy::Config::default()),
                members: [const { None }; policy::MAX_MEMBERS],
                health_interval_ms: DEFAULT_HEALTH_INTERVAL_MS,
                next_health_check: 0,
                probe_interval_ms: DEFAULT_PROBE_INTERVAL_MS,
                probe_missed_max: DEFAULT_PROBE_MISSED_MAX,
                next_probe: 0,
                probe_sent_at: 0,
                probe_count_at: 0,
                probe_active: None,
                probe_turn: 0,
            }),
            published <- new_spinlock!(Snapshot::new()),
            fold <- new_spinlock!(Fold::new()),
            counters: Counters::default(),
            notify: PeerNotify::default(),
            prober: Prober::default(),
            carrier_kicked: AtomicBool::new(false),
        }? Error)
    }

    fn uninit(vnic: &Master<Self>) {
        let data = vnic.data();
        drop(data.active.replace(None));
        drop(data.standby.replace(None));
        let mut pool = vnic.data().pool.lock();
        for slot in 0..policy::MAX_MEMBERS {
            let Some(mut m) = pool.members.get_mut(slot).and_then(Option::take) else {
                continue;
            };
            if let Some(rcu_slot) = data.members.get(slot) {
                drop(rcu_slot.replace(None));
            }
            let dev = vnic.port(&m.link);
            release_filters(vnic, dev);
            filter_probe(dev, &m.probe_mac, None, &mut m.probe_filter);
            let _ = dev.set_mtu(m.saved_mtu);
            let _ = dev.set_mac(&m.saved_mac, None);
            let _ = pool.selector.remove(m.id, now_ms());
            vnic.unlink_port(m.link);
        }
    }

    fn timer(vnic: &Master<Self>) {
        let data = vnic.data();
        let started = Ktime::ktime_get();
        data.carrier_kicked.store(false, Ordering::Relaxed);
        let mut pool = data.pool.lock();
        data.sync_links(vnic, &mut pool);
        data.check_health(vnic, &mut pool);
        data.probe_members(vnic, &mut pool);
        let result = pool.selector.tick(now_ms());
        data.notify_again(vnic, &pool);
        data.settle(vnic, &pool, result, started);
    }

    fn start_xmit(vnic: &Live<Self>, skb: SkBuff) {
        let guard = rcu::read_lock();
        let data = vnic.data();
        let (member, active_lost) = data.tx_route(&guard);
        // The active member lost carrier and linkwatch has not told the notifier yet (it may
        // hold a device that is not a LAG port back up to a second): the standby carries the
        // traffic meanwhile, and the timer switches at once (`sync_links`).
        if active_lost && !data.carrier_kicked.swap(true, Ordering::Relaxed) {
            vnic.kick_timer();
        }
        match member {
            Some(member) => {
                let len = skb.len();
                // A member's drop is counted by the member (its driver or the core) and reaches
                // the vNIC's counters through the fold (`port_stats`); a qdisc's drop on the
                // member stays in that qdisc's statistics, as with a bond.
                if member.queue_xmit(skb) {
                    vnic.count_tx(len);
                }
            }
            None => {
                vnic.count_tx_dropped();
                drop(skb);
            }
        }
    }

    fn port_stats(vnic: &Live<Self>) -> PortStats {
        let data = vnic.data();
        let guard = rcu::read_lock();
        let mut samples = [None; policy::MAX_MEMBERS];
        for (sample, slot) in samples.iter_mut().zip(&data.members) {
            *sample = slot
                .get(&guard)
                .map(|member| (member_id(member), fold_sample(member)));
        }
        let mut fold = data.fold.lock();
        for (id, sample) in samples.into_iter().flatten() {
            let _ = fold.update(id, sample);
        }
        let totals = fold.totals();
        PortStats {
            rx_errors: totals.rx_errors,
            tx_errors: totals.tx_errors,
            tx_dropped: totals.tx_dropped,
        }
    }

    /// As many as bonding and net_failover have by default; the active member's queue choice
    /// picks among them.
    const TX_QUEUES: u32 = 16;

    fn tx_port<'a>(vnic: &'a Live<Self>, guard: &'a rcu::Guard) -> Option<&'a Netdev> {
        vnic.data().tx_member(guard)
    }

    fn set_rx_mode(vnic: &RxMode<'_, Self>) {
        let guard = rcu::read_lock();
        for slot in &vnic.data().members {
            if let Some(member) = slot.get(&guard) {
                vnic.sync_to(member);
            }
        }
    }

    fn handle_frame(vnic: &Live<Self>, port: &Netdev, frame: &Frame<'_>) -> RxVerdict {
        let data = vnic.data();
        let guard = rcu::read_lock();
        // The clock is read only for frames that may be proof.
        if data.prober.wants(frame.protocol()) {
            data.prober
                .received(&data.members, port, frame, now_ms(), &guard);
        }
        // The member transmit uses is the one peers learn the vNIC's address on.
        match data.tx_member(&guard) {
            Some(member) if member.is(port) => RxVerdict::Deliver,
            _ => RxVerdict::Exact,
        }
    }

    fn add_port(vnic: &Master<Self>, dev: &Device, extack: Option<&ExtAck>) -> Result {
        if dev.is(vnic) {
            return Err(fail(extack, SELF, EINVAL));
        }
        // Nothing to gain from stacking, and the two vNICs' locks would nest in one class.
        if Master::<Self>::of_device(dev).is_some() {
            return Err(fail(extack, NESTED, EINVAL));
        }
        if dev.is_loopback() {
            return Err(fail(extack, LOOPBACK, EINVAL));
        }
        let (Some(saved_mac), Some(mac)) = (dev.mac(), vnic.mac()) else {
            return Err(fail(extack, NOT_ETHERNET, EINVAL));
        };
        if dev.master().is_some() || dev.has_rx_handler() {
            return Err(fail(extack, BUSY, EBUSY));
        }
        let data = vnic.data();
        // RTNL serialises every change of the pool; the lock is not held while the member is
        // brought up, whose events come back through the notifier.
        if data.pool.lock().members.iter().all(Option::is_some) {
            return Err(fail(extack, POOL_FULL, ENOSPC));
        }
        let saved_mtu = dev.mtu();

        // Warm standby: the member takes the vNIC's MTU and address now, not at switch time.
        if dev.set_mtu(vnic.mtu()).is_err() {
            return Err(fail(extack, BAD_MTU, EINVAL));
        }
        let undo_mtu = |dev: &Device| {
            let _ = dev.set_mtu(saved_mtu);
        };
        if let Err(e) = dev.set_mac(&mac, extack) {
            undo_mtu(dev);
            return Err(fail(extack, BAD_MAC, e));
        }
        let undo = |dev: &Device| {
            let _ = dev.set_mac(&saved_mac, None);
            undo_mtu(dev);
        };
        // Linked before it is brought up, so that it comes up as a port (`IFF_SLAVE`), without
        // IPv6 autoconfiguration of the vNIC's own link-local address.
        let link = match vnic.link_port(dev, extack) {
            Ok(link) => link,
            Err(e) => {
                undo(dev);
                return Err(e);
            }
        };
        if let Err(e) = dev.open(extack) {
            vnic.unlink_port(link);
            undo(dev);
            return Err(e);
        }
        // Warm standby for VLANs: a member that filters them (virtio-net, most VFs) must
        // already pass the vNIC's VLANs when it takes over.
        if let Err(e) = dev.add_vlans_of(vnic) {
            vnic.unlink_port(link);
            undo(dev);
            return Err(fail(extack, BAD_VLANS, e));
        }
        let id = member_id(dev);
        let mut pool = data.pool.lock();
        let result = pool.selector.add(id, 0, 0, link_up(dev), now_ms());
        let slot = pool.members.iter().position(Option::is_none);
        let (Ok(result), Some(slot)) = (result, slot) else {
            // Not reached: the slots and the selector have the same capacity, and an
            // interface index is in the pool at most once.
            let _ = pool.selector.remove(id, now_ms());
            drop(pool);
            dev.del_vlans_of(vnic);
            vnic.unlink_port(link);
            undo(dev);
            return Err(fail(extack, POOL_FULL, ENOSPC));
        };
        let probe_mac = probe_mac_for(dev.perm_mac(), mac, &probe_macs(&pool));
        let probing = data.prober.target();
        if let Some(entry) = pool.members.get_mut(slot) {
            *entry = Some(Member {
                link,
                id,
                saved_mac,
                saved_mtu,
                watch: TxWatch::new(tx_sample(dev)),
                health_failed_at: None,
                probe_mac,
                probe_filter: ProbeFilter::default(),
                probes_missed: 0,
                counted_as_active: false,
            });
        }
        if let Some(m) = pool.members.get_mut(slot).and_then(Option::as_mut) {
            filter_probe(dev, &m.probe_mac, probing, &mut m.probe_filter);
        }
        // Its failures count from now on (before the slot: `port_stats` folds the slots).
        let first = fold_sample(dev);
        let _ = data.fold.lock().join(id, first);
        // Warm standby for addresses too: the member receives the vNIC's unicast and
        // multicast addresses now, and `set_rx_mode` keeps them in step.
        // A fresh start for the slot's probe stamps, before proof can arrive for it.
        data.prober.forget(slot);
        if let Some(rcu_slot) = data.members.get(slot) {
            drop(rcu_slot.replace(Some(dev.hold())));
        }
        vnic.sync_addresses(dev);
        // Timed from here: filling the slot waited for RCU readers, which is the join's cost,
        // not the switch's.
        let started = Ktime::ktime_get();
        data.settle(vnic, &pool, result, started);
        Ok(())
    }

    fn del_port(vnic: &Master<Self>, dev: &Device) -> Result {
        vnic.data()
            .remove(vnic, dev, true)
            .ok_or(EINVAL)
            .map_err(|e| fail(None, NOT_MEMBER, e))
    }

    fn change_rx_flags(vnic: &Master<Self>, changed: RxFlags) {
        // Every member, not only the active one: a standby must not miss what a capture on
        // the vNIC expects to see when it takes over.
        let pool = vnic.data().pool.lock();
        for m in pool.iter() {
            vnic.pass_rx_flags(vnic.port(&m.link), changed);
        }
    }

    fn vlan_add(vnic: &Master<Self>, vlan: Vlan) -> Result {
        let pool = vnic.data().pool.lock();
        for (i, m) in pool.iter().enumerate() {
            if let Err(e) = vnic.port(&m.link).add_vlan(vlan) {
                for m in pool.iter().take(i) {
                    vnic.port(&m.link).del_vlan(vlan);
                }
                return Err(e);
            }
        }
        Ok(())
    }

    fn vlan_del(vnic: &Master<Self>, vlan: Vlan) -> Result {
        let pool = vnic.data().pool.lock();
        for m in pool.iter() {
            vnic.port(&m.link).del_vlan(vlan);
        }
        Ok(())
    }

    fn link_settings_port(vnic: &Master<Self>) -> Option<ARef<Netdev>> {
        vnic.data().active()
    }

    const INFO_SIZE: usize = netlink::INFO_SIZE;

    fn fill_info(vnic: &Master<Self>, msg: &mut Message<'_>) -> Result {
        netlink::fill_info(msg, vnic)
    }

    const PORT_INFO_SIZE: usize = netlink::PORT_INFO_SIZE;

    fn fill_port_info(vnic: &Master<Self>, port: &Device, msg: &mut Message<'_>) -> Result {
        netlink::fill_port_info(msg, vnic, member_id(port))
    }

    const ETHTOOL_STATS: &'static [&'static CStr] = ethtool::STATS;

    fn ethtool_stats(vnic: &Master<Self>, values: &mut [u64]) {
        ethtool::fill(vnic, values);
    }

    fn change_mtu(vnic: &Master<Self>, mtu: u32) -> Result {
        let pool = vnic.data().pool.lock();
        let old = vnic.mtu();
        for (i, m) in pool.iter().enumerate() {
            if let Err(e) = vnic.port(&m.link).set_mtu(mtu) {
                for m in pool.iter().take(i) {
                    let _ = vnic.port(&m.link).set_mtu(old);
                }
                return Err(e);
            }
        }
        Ok(())
    }

    fn set_mac(vnic: &Master<Self>, mac: &[u8; ETH_ALEN]) -> Result {
        // Warm standby: every member answers to the new address before the vNIC does, so a
        // backup never takes over with the old one. All or none.
        let Some(old) = vnic.mac() else {
            return Err(EINVAL);
        };
        let data = vnic.data();
        let mut pool = data.pool.lock();
        for (i, m) in pool.iter().enumerate() {
            if let Err(e) = vnic.port(&m.link).set_mac(mac, None) {
                for m in pool.iter().take(i) {
                    let _ = vnic.port(&m.link).set_mac(&old, None);
                }
                return Err(e);
            }
        }
        // A member probing as itself from the vNIC's new address would move it in the
        // switches' tables: it takes another.
        let probing = data.prober.target();
        for slot in 0..policy::MAX_MEMBERS {
            let taken = probe_macs(&pool);
            if let Some(m) = pool.members.get_mut(slot).and_then(Option::as_mut) {
                if m.probe_mac == *mac {
                    let dev = vnic.port(&m.link);
                    filter_probe(dev, &m.probe_mac, None, &mut m.probe_filter);
                    m.probe_mac = fresh_probe_mac(*mac, &taken);
                    filter_probe(dev, &m.probe_mac, probing, &mut m.probe_filter);
                }
            }
        }
        Ok(())
    }
}
