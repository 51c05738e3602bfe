// SPDX-License-Identifier: GPL-2.0

//! The `vnic-failover` generic netlink family: state of the vNICs, their options, member
//! priorities and administrative failure, and an event on every switch.
//!
//! Specification: Documentation/netlink/specs/vnic_failover.yaml, which numbers the commands
//! and attributes below.

use crate::{
    policy::{self, Failback, Health, MemberInfo},
    probe::{self, Target},
    vnic::{self, Vnic},
};
use kernel::{
    c_str,
    net::{
        dev::Netdev,
        extack::fail,
        genetlink::{Dump, Family, Message, Operation, Policy, Request, Spec},
        inet, inet6,
        link::Master,
        rtnl,
    },
    prelude::*,
};

/// The family.
pub(crate) static FAMILY: Family<VnicFamily> = Family::new();

/// The description of the family.
pub(crate) struct VnicFamily;

/// Commands.
mod cmd {
    pub(super) const DEV_GET: u8 = 1;
    pub(super) const DEV_SET: u8 = 2;
    pub(super) const MEMBER_SET: u8 = 3;
    pub(super) const SWITCH_NTF: u8 = 4;
}

/// Attributes of the `vnic` set.
mod vnic_attr {
    pub(super) const IFINDEX: u16 = 1;
    pub(super) const NAME: u16 = 2;
    pub(super) const ACTIVE: u16 = 3;
    pub(super) const STANDBY: u16 = 4;
    pub(super) const FAILBACK: u16 = 5;
    pub(super) const UP_DELAY: u16 = 6;
    pub(super) const HOLD_DOWN: u16 = 7;
    pub(super) const FAILOVERS: u16 = 8;
    pub(super) const LAST_REASON: u16 = 9;
    pub(super) const LAST_SWITCH_TIME: u16 = 10;
    pub(super) const LAST_SWITCH_DURATION: u16 = 11;
    pub(super) const PREVIOUS: u16 = 12;
    pub(super) const MEMBER: u16 = 13;
    pub(super) const NOTIFY_PEERS_COUNT: u16 = 14;
    pub(super) const NOTIFY_PEERS_INTERVAL: u16 = 15;
    pub(super) const HEALTH_CHECK_INTERVAL: u16 = 16;
    pub(super) const PROBE_TARGET: u16 = 17;
    pub(super) const PROBE_INTERVAL: u16 = 18;
    pub(super) const PROBE_MISSED_MAX: u16 = 19;
    pub(super) const PROBES_SENT: u16 = 20;
    pub(super) const PROBE_REPLIES: u16 = 21;
    pub(super) const IRQ_MOVES: u16 = 22;
    pub(super) const PROBE_TARGET6: u16 = 23;
}

/// Attributes of the `member` set.
mod member_attr {
    pub(super) const IFINDEX: u16 = 1;
    pub(super) const NAME: u16 = 2;
    pub(super) const PRIORITY: u16 = 3;
    pub(super) const STATE: u16 = 4;
    pub(super) const ADMIN_FAILED: u16 = 5;
    pub(super) const FAILURE: u16 = 6;
    pub(super) const FLAPS: u16 = 7;
}

/// The `member-state` enum.
mod state {
    pub(super) const ACTIVE: u32 = 0;
    pub(super) const STANDBY: u32 = 1;
    pub(super) const BACKUP: u32 = 2;
    pub(super) const WAITING: u32 = 3;
    pub(super) const DOWN: u32 = 4;
    pub(super) const FAILED: u32 = 5;
}

/// The multicast group of switch events.
const GROUP_MONITOR: usize = 0;

const NO_DEVICE: &CStr = c_str!("vnic_failover: no such device");
const NOT_VNIC: &CStr = c_str!("vnic_failover: not a vnic_failover device");
const NOT_MEMBER: &CStr = c_str!("vnic_failover: not a member of a vNIC");
const DELAY_TOO_LONG: &CStr = c_str!("vnic_failover: delays are at most 600000 ms");
const BAD_HEALTH_INTERVAL: &CStr =
    c_str!("vnic_failover: the health-check interval is 0 (off) or 10 to 10000 ms");

/// Whether `ms` is a health-check interval the vNIC accepts.
pub(crate) fn health_interval_valid(ms: u32) -> bool {
    ms == 0 || (vnic::MIN_HEALTH_INTERVAL_MS..=vnic::MAX_HEALTH_INTERVAL_MS).contains(&ms)
}
const BAD_PROBE_TARGET: &CStr = c_str!(
    "vnic_failover: the probe target is a unicast IPv4 or IPv6 address, or 0.0.0.0 or :: for off"
);
const TWO_PROBE_TARGETS: &CStr = c_str!("vnic_failover: one probe target at a time, IPv4 or IPv6");
const OWN_PROBE_TARGET: &CStr =
    c_str!("vnic_failover: the probe target is one of the vNIC's own addresses");
const BAD_PROBE_INTERVAL: &CStr = c_str!("vnic_failover: the probe interval is 10 to 10000 ms");
const BAD_PROBE_MISSED_MAX: &CStr =
    c_str!("vnic_failover: the probe missed-max is 1 to 255 intervals");

/// Whether `target` is one of the vNIC's own addresses: its own probes, flooded to the
/// backups, would answer for it.
pub(crate) fn own_address(vnic: &Netdev, target: Target) -> bool {
    match target {
        Target::V4(addr) => inet::has_address(vnic, addr),
        Target::V6(addr) => inet6::has_address(vnic, addr),
    }
}

/// Whether `ms` is a probe interval the vNIC accepts.
pub(crate) fn probe_interval_valid(ms: u32) -> bool {
    (vnic::MIN_PROBE_INTERVAL_MS..=vnic::MAX_PROBE_INTERVAL_MS).contains(&ms)
}

/// Whether `n` is a number of probe intervals a member may miss.
pub(crate) fn probe_missed_max_valid(n: u32) -> bool {
    (1..=vnic::MAX_PROBE_MISSED_MAX).contains(&n)
}

const INTERVAL_TOO_LONG: &CStr =
    c_str!("vnic_failover: the peer notification interval is at most 60000 ms");

impl Spec for VnicFamily {
    const NAME: &'static CStr = c_str!("vnic-failover");
    const OPERATIONS: &'static [Operation] = &[
        Operation {
            cmd: cmd::DEV_GET,
            policy: &[Policy::U32],
            doit: Some(dev_get),
            dumpit: Some(dev_dump),
            admin: false,
        },
        Operation {
            cmd: cmd::DEV_SET,
            policy: &[
                Policy::U32,    // ifindex
                Policy::Reject, // name
                Policy::Reject, // active
                Policy::Reject, // standby
                Policy::U32Max(2),
                Policy::U32,    // up-delay
                Policy::U32,    // hold-down
                Policy::Reject, // failovers
                Policy::Reject, // last-reason
                Policy::Reject, // last-switch-time
                Policy::Reject, // last-switch-duration
                Policy::Reject, // previous
                Policy::Reject, // member
                Policy::U32Max(255),
                Policy::U32,          // notify-peers-interval
                Policy::U32,          // health-check-interval
                Policy::U32,          // probe-target
                Policy::U32,          // probe-interval
                Policy::U32,          // probe-missed-max
                Policy::Reject,       // probes-sent
                Policy::Reject,       // probe-replies
                Policy::Reject,       // irq-moves
                Policy::ExactLen(16), // probe-target6
            ],
            doit: Some(dev_set),
            dumpit: None,
            admin: true,
        },
        Operation {
            cmd: cmd::MEMBER_SET,
            policy: &[
                Policy::U32,    // ifindex
                Policy::Reject, // name
                Policy::U32,    // priority
                Policy::Reject, // state
                Policy::U8Max(1),
            ],
            doit: Some(member_set),
            dumpit: None,
            admin: true,
        },
    ];
    const GROUPS: &'static [&'static CStr] = &[c_str!("monitor")];
}

/// The `failback` enum.
fn failback_code(failback: Failback) -> u32 {
    match failback {
        Failback::Always => 0,
        Failback::Better => 1,
        Failback::Never => 2,
    }
}

fn failback_of(code: u32) -> Option<Failback> {
    match code {
        0 => Some(Failback::Always),
        1 => Some(Failback::Better),
        2 => Some(Failback::Never),
        _ => None,
    }
}

/// The `failure` enum: why a member is marked failed.
fn failure_code(health: Health) -> u32 {
    match health {
        Health::TxTimeout => 0,
        Health::TxErrors => 1,
        Health::ProbeFailed => 2,
        Health::Admin => 3,
    }
}

/// A member's state for user space.
fn member_state(info: &MemberInfo, active: bool, standby: bool) -> u32 {
    if active {
        state::ACTIVE
    } else if info.failed.is_some() {
        state::FAILED
    } else if !info.link_up {
        state::DOWN
    } else if standby {
        state::STANDBY
    } else if info.eligible {
        state::BACKUP
    } else {
        state::WAITING
    }
}

/// Finds the vNIC of index `ifindex` in the request's namespace.
fn find_vnic<'a>(
    rtnl: &'a rtnl::Guard,
    req: &Request<'_>,
    ifindex: u32,
) -> Result<&'a Master<Vnic>> {
    let ifindex = i32::try_from(ifindex).map_err(|_| EINVAL)?;
    let dev = rtnl
        .device(req.net(), ifindex)
        .ok_or_else(|| fail(req.extack(), NO_DEVICE, ENODEV))?;
    Master::<Vnic>::of_device(dev).ok_or_else(|| fail(req.extack(), NOT_VNIC, EOPNOTSUPP))
}

/// Adds the attributes of a vNIC: options, switch figures and members.
fn put_vnic(msg: &mut Message<'_>, vnic: &Master<Vnic>) -> Result {
    let status = vnic::status(vnic);
    msg.put_u32(vnic_attr::IFINDEX, vnic.ifindex() as u32)?;
    msg.put_string(vnic_attr::NAME, vnic.name().as_c_str())?;
    put_status(msg, &status)?;
    vnic::for_each_member(vnic, |member, info| {
        msg.nest(vnic_attr::MEMBER, |m| {
            m.put_u32(member_attr::IFINDEX, member.ifindex() as u32)?;
            m.put_string(member_attr::NAME, member.name().as_c_str())?;
            put_member(m, &status, member.ifindex() as u32, info)
        })
    })
}

/// Adds a vNIC's options and switch figures.
fn put_status(msg: &mut Message<'_>, status: &vnic::Status) -> Result {
    if let Some(active) = status.active {
        msg.put_u32(vnic_attr::ACTIVE, active)?;
    }
    if let Some(standby) = status.standby {
        msg.put_u32(vnic_attr::STANDBY, standby)?;
    }
    let config = status.config;
    msg.put_u32(vnic_attr::FAILBACK, failback_code(config.failback))?;
    msg.put_u32(vnic_attr::UP_DELAY, millis_u32(config.up_delay))?;
    msg.put_u32(vnic_attr::HOLD_DOWN, millis_u32(config.hold_down))?;
    msg.put_uint(vnic_attr::FAILOVERS, status.failovers)?;
    msg.put_u32(vnic_attr::LAST_REASON, status.last_reason)?;
    msg.put_uint(vnic_attr::LAST_SWITCH_TIME, status.last_switch_ns)?;
    msg.put_uint(
        vnic_attr::LAST_SWITCH_DURATION,
        status.last_switch_duration_ns,
    )?;
    msg.put_u32(vnic_attr::NOTIFY_PEERS_COUNT, status.notify_count)?;
    msg.put_u32(vnic_attr::NOTIFY_PEERS_INTERVAL, status.notify_interval_ms)?;
    msg.put_u32(vnic_attr::HEALTH_CHECK_INTERVAL, status.health_interval_ms)?;
    match status.probe_target {
        // Network order, as the spec's `byte-order: big-endian` has it.
        Some(Target::V4(addr)) => msg.put_u32(vnic_attr::PROBE_TARGET, u32::from_ne_bytes(addr))?,
        Some(Target::V6(addr)) => msg.put_bytes(vnic_attr::PROBE_TARGET6, &addr)?,
        None => {}
    }
    msg.put_u32(vnic_attr::PROBE_INTERVAL, status.probe_interval_ms)?;
    msg.put_u32(vnic_attr::PROBE_MISSED_MAX, status.probe_missed_max)?;
    msg.put_uint(vnic_attr::PROBES_SENT, status.probes_sent)?;
    msg.put_uint(vnic_attr::PROBE_REPLIES, status.probe_replies)?;
    msg.put_uint(vnic_attr::IRQ_MOVES, status.irq_moves)
}

/// Adds what the selector knows of member `id`.
fn put_member(msg: &mut Message<'_>, status: &vnic::Status, id: u32, info: &MemberInfo) -> Result {
    msg.put_u32(member_attr::PRIORITY, info.priority)?;
    let st = member_state(info, status.active == Some(id), status.standby == Some(id));
    msg.put_u32(member_attr::STATE, st)?;
    msg.put_u8(
        member_attr::ADMIN_FAILED,
        u8::from(info.failed == Some(Health::Admin)),
    )?;
    if let Some(failed) = info.failed {
        msg.put_u32(member_attr::FAILURE, failure_code(failed))?;
    }
    msg.put_u32(member_attr::FLAPS, info.flaps)
}

/// Bytes of a netlink attribute with a payload of `len` bytes: header and padding.
const fn nla_total_size(len: usize) -> usize {
    (4 + len + 3) & !3
}

/// Most bytes [`fill_info`] adds: 11 `u32`, a probe target (an IPv6 one is the larger) and 6
/// `uint` attributes.
pub(crate) const INFO_SIZE: usize =
    11 * nla_total_size(4) + nla_total_size(16) + 6 * nla_total_size(8);

/// Most bytes [`fill_port_info`] adds: 4 `u32` and a `u8` attribute.
pub(crate) const PORT_INFO_SIZE: usize = 4 * nla_total_size(4) + nla_total_size(1);

/// `IFLA_INFO_DATA` of a vNIC: the attributes of the `vnic` set the interface message does
/// not already carry (index, name) and its members have their own (`IFLA_INFO_SLAVE_DATA`).
pub(crate) fn fill_info(msg: &mut Message<'_>, vnic: &Master<Vnic>) -> Result {
    put_status(msg, &vnic::snapshot(vnic).status)
}

/// `IFLA_INFO_SLAVE_DATA` of a member: its attributes of the `member` set but index and name.
pub(crate) fn fill_port_info(msg: &mut Message<'_>, vnic: &Master<Vnic>, id: u32) -> Result {
    let snapshot = vnic::snapshot(vnic);
    match snapshot.members.iter().flatten().find(|(m, _)| *m == id) {
        Some((_, info)) => put_member(msg, &snapshot.status, id, info),
        // Joining: linked, not yet in the pool.
        None => Ok(()),
    }
}

fn millis_u32(ms: policy::Millis) -> u32 {
    u32::try_from(ms).unwrap_or(u32::MAX)
}

/// `dev-get` (do): one vNIC.
fn dev_get(req: &Request<'_>) -> Result {
    let ifindex = req.required_u32(vnic_attr::IFINDEX)?;
    let rtnl = rtnl::Guard::lock();
    let vnic = find_vnic(&rtnl, req, ifindex)?;
    req.reply(cmd::DEV_GET, |msg| put_vnic(msg, vnic))
}

/// `dev-get` (dump): every vNIC of the namespace, by increasing index.
fn dev_dump(req: &Request<'_>, dump: &mut Dump<'_>) -> Result {
    let rtnl = rtnl::Guard::lock();
    let mut next = u32::try_from(dump.cursor()).unwrap_or(u32::MAX);
    while let Some(dev) = rtnl.device_from(req.net(), next) {
        let index = dev.ifindex() as u32;
        if let Some(vnic) = Master::<Vnic>::of_device(dev) {
            if !dump.add(cmd::DEV_GET, |msg| put_vnic(msg, vnic))? {
                break;
            }
        }
        next = index.saturating_add(1);
        if index == u32::MAX {
            break;
        }
    }
    dump.set_cursor(next.into());
    Ok(())
}

/// `dev-set`: failback policy, up-delay, hold-down, peer notification, health checks and
/// ARP probing.
fn dev_set(req: &Request<'_>) -> Result {
    let ifindex = req.required_u32(vnic_attr::IFINDEX)?;
    let delay = |ty| match req.u32(ty) {
        Some(ms) if ms > vnic::MAX_DELAY_MS => Err(fail(req.extack(), DELAY_TOO_LONG, ERANGE)),
        ms => Ok(ms.map(policy::Millis::from)),
    };
    let up_delay = delay(vnic_attr::UP_DELAY)?;
    let hold_down = delay(vnic_attr::HOLD_DOWN)?;
    // The policy bounds the value; an unknown one cannot pass it.
    let failback = match req.u32(vnic_attr::FAILBACK) {
        Some(code) => Some(failback_of(code).ok_or(EINVAL)?),
        None => None,
    };
    let notify_count = req.u32(vnic_attr::NOTIFY_PEERS_COUNT);
    let notify_interval = req.u32(vnic_attr::NOTIFY_PEERS_INTERVAL);
    if notify_interval.is_some_and(|ms| ms > vnic::MAX_NOTIFY_INTERVAL_MS) {
        return Err(fail(req.extack(), INTERVAL_TOO_LONG, ERANGE));
    }
    let health_interval = req.u32(vnic_attr::HEALTH_CHECK_INTERVAL);
    if health_interval.is_some_and(|ms| !health_interval_valid(ms)) {
        return Err(fail(req.extack(), BAD_HEALTH_INTERVAL, ERANGE));
    }
    // 0.0.0.0 or :: turns probing off.
    let target4 = req
        .u32(vnic_attr::PROBE_TARGET)
        .map(|raw| (raw != 0).then(|| Target::V4(raw.to_ne_bytes())));
    // The policy makes it 16 bytes.
    let target6 = match req.bytes(vnic_attr::PROBE_TARGET6) {
        Some(bytes) => {
            let addr: probe::Ipv6 = bytes.try_into().map_err(|_| EINVAL)?;
            Some((addr != [0; 16]).then_some(Target::V6(addr)))
        }
        None => None,
    };
    if target4.is_some() && target6.is_some() {
        return Err(fail(req.extack(), TWO_PROBE_TARGETS, EINVAL));
    }
    let probe_target = target4.or(target6);
    if probe_target.is_some_and(|t| t.is_some_and(|t| !t.valid())) {
        return Err(fail(req.extack(), BAD_PROBE_TARGET, EINVAL));
    }
    let probe_interval = req.u32(vnic_attr::PROBE_INTERVAL);
    if probe_interval.is_some_and(|ms| !probe_interval_valid(ms)) {
        return Err(fail(req.extack(), BAD_PROBE_INTERVAL, ERANGE));
    }
    let probe_missed_max = req.u32(vnic_attr::PROBE_MISSED_MAX);
    if probe_missed_max.is_some_and(|n| !probe_missed_max_valid(n)) {
        return Err(fail(req.extack(), BAD_PROBE_MISSED_MAX, ERANGE));
    }
    let rtnl = rtnl::Guard::lock();
    let vnic = find_vnic(&rtnl, req, ifindex)?;
    // Its own probes, flooded to the backups, would answer for the target.
    if probe_target.is_some_and(|t| t.is_some_and(|t| own_address(vnic, t))) {
        return Err(fail(req.extack(), OWN_PROBE_TARGET, EINVAL));
    }
    vnic::set_peer_notify(vnic, notify_count, notify_interval);
    if probe_target.is_some() || probe_interval.is_some() || probe_missed_max.is_some() {
        vnic::set_probe(vnic, probe_target, probe_interval, probe_missed_max);
    }
    if let Some(ms) = health_interval {
        vnic::set_health_interval(vnic, ms);
    }
    vnic::configure(vnic, |config| {
        if let Some(failback) = failback {
            config.failback = failback;
        }
        if let Some(ms) = up_delay {
            config.up_delay = ms;
        }
        if let Some(ms) = hold_down {
            config.hold_down = ms;
        }
    });
    Ok(())
}

/// `member-set`: a member's priority and administrative failure.
fn member_set(req: &Request<'_>) -> Result {
    let ifindex = req.required_u32(member_attr::IFINDEX)?;
    let priority = req.u32(member_attr::PRIORITY);
    let admin_failed = req.u8(member_attr::ADMIN_FAILED).map(|v| v != 0);
    let rtnl = rtnl::Guard::lock();
    let dev = i32::try_from(ifindex)
        .ok()
        .and_then(|i| rtnl.device(req.net(), i))
        .ok_or_else(|| fail(req.extack(), NO_DEVICE, ENODEV))?;
    let vnic =
        Master::<Vnic>::of_port(dev).ok_or_else(|| fail(req.extack(), NOT_MEMBER, EINVAL))?;
    vnic::set_member(vnic, dev, priority, admin_failed)
}

/// Tells the `monitor` group that `vnic` switched from `previous` to its current member.
pub(crate) fn notify_switch(vnic: &Master<Vnic>, status: &vnic::Status, previous: Option<u32>) {
    let sent = FAMILY.multicast(vnic.net(), GROUP_MONITOR, cmd::SWITCH_NTF, |msg| {
        msg.put_u32(vnic_attr::IFINDEX, vnic.ifindex() as u32)?;
        msg.put_string(vnic_attr::NAME, vnic.name().as_c_str())?;
        if let Some(active) = status.active {
            msg.put_u32(vnic_attr::ACTIVE, active)?;
        }
        if let Some(previous) = previous {
            msg.put_u32(vnic_attr::PREVIOUS, previous)?;
        }
        msg.put_uint(vnic_attr::FAILOVERS, status.failovers)?;
        msg.put_u32(vnic_attr::LAST_REASON, status.last_reason)?;
        msg.put_uint(vnic_attr::LAST_SWITCH_TIME, status.last_switch_ns)?;
        msg.put_uint(
            vnic_attr::LAST_SWITCH_DURATION,
            status.last_switch_duration_ns,
        )
    });
    if sent.is_err() {
        pr_warn!("{}: switch event not sent\n", vnic.name());
    }
}
