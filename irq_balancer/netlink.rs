// SPDX-License-Identifier: GPL-2.0

//! The `irq-balancer` generic netlink family: the logical interrupt table of a network device,
//! the adapters under management, the configuration, and an event per decision.
//!
//! Specification: Documentation/netlink/specs/irq_balancer.yaml, which numbers the commands
//! and attributes below.

use crate::{
    lines::Managed,
    lists::{self, IrqList},
    policy::{self, CpuBits},
    state::{self, CpuPressure, Decision, Inner, State, STATE},
    table,
};
use core::fmt;
use kernel::{
    c_str, fmt,
    net::{
        dev::Device,
        extack::fail,
        genetlink::{Dump, Family, Message, Operation, Policy, Request, Spec},
        namespace::Net,
        rtnl,
    },
    prelude::*,
    str::CString,
    sync::Arc,
};

/// The family.
pub(crate) static FAMILY: Family<IrqBalancerFamily> = Family::new();

/// The description of the family.
pub(crate) struct IrqBalancerFamily;

/// Commands.
pub(crate) mod cmd {
    pub(crate) const VECTOR_GET: u8 = 1;
    pub(crate) const ADAPTER_ADD: u8 = 2;
    pub(crate) const ADAPTER_DEL: u8 = 3;
    pub(crate) const ADAPTER_GET: u8 = 4;
    pub(crate) const CONFIG_GET: u8 = 5;
    pub(crate) const CONFIG_SET: u8 = 6;
    pub(crate) const DECISION_NTF: u8 = 7;
    pub(crate) const CPU_GET: u8 = 8;
}

/// Attributes of the `vector` set.
pub(crate) mod vector_attr {
    pub(crate) const IFINDEX: u16 = 1;
    pub(crate) const INDEX: u16 = 2;
    pub(crate) const IRQ: u16 = 3;
    pub(crate) const HANDLER: u16 = 4;
    pub(crate) const MANAGED: u16 = 5;
    pub(crate) const CPU: u16 = 6;
    pub(crate) const INTERRUPTS: u16 = 7;
    pub(crate) const PER_CPU: u16 = 8;
}

/// Attributes of the `cpu-count` set.
pub(crate) mod cpu_count_attr {
    pub(crate) const CPU: u16 = 1;
    pub(crate) const INTERRUPTS: u16 = 2;
}

/// Attributes of the `adapter` set.
mod adapter_attr {
    pub(super) const IFINDEX: u16 = 1;
    pub(super) const NAME: u16 = 2;
    pub(super) const LINE: u16 = 3;
}

/// Attributes of the `line` set.
mod line_attr {
    pub(super) const IRQ: u16 = 1;
    pub(super) const INDEX: u16 = 2;
    pub(super) const GROUP: u16 = 3;
    pub(super) const CPU: u16 = 4;
    pub(super) const RATE: u16 = 5;
    pub(super) const HOLD: u16 = 6;
    pub(super) const LOCAL_CPUS: u16 = 7;
    pub(super) const PACKET_RATE: u16 = 8;
    pub(super) const BYTE_RATE: u16 = 9;
    pub(super) const BATCH_PCT: u16 = 10;
}

/// Attributes of the `config` set.
mod config_attr {
    pub(super) const INTERVAL_MS: u16 = 1;
    pub(super) const DRY_RUN: u16 = 2;
    pub(super) const BANNED_CPUS: u16 = 3;
    pub(super) const HIGH_PCT: u16 = 4;
    pub(super) const LOW_PCT: u16 = 5;
    pub(super) const MIN_RATE: u16 = 6;
    pub(super) const MIN_DWELL_MS: u16 = 7;
    pub(super) const MAX_MOVES: u16 = 8;
    pub(super) const INTERVALS: u16 = 9;
    pub(super) const MOVES: u16 = 10;
    pub(super) const ROLLBACKS: u16 = 11;
    pub(super) const IMBALANCE_PCT: u16 = 12;
    pub(super) const BUSY_NS: u16 = 13;
    pub(super) const MEMORY_BYTES: u16 = 14;
    pub(super) const USAGE_PCT: u16 = 15;
    pub(super) const BATCH_LIMIT: u16 = 16;
    pub(super) const BANNED_IRQS: u16 = 17;
}

/// Attributes of the `decision` set.
mod decision_attr {
    pub(super) const DRY_RUN: u16 = 1;
    pub(super) const IMBALANCE_PCT: u16 = 2;
    pub(super) const EXPECTED_PCT: u16 = 3;
    pub(super) const MOVE: u16 = 4;
    pub(super) const INTERVAL: u16 = 5;
}

/// Attributes of the `move` set.
mod move_attr {
    pub(super) const IRQ: u16 = 1;
    pub(super) const IFINDEX: u16 = 2;
    pub(super) const FROM_CPU: u16 = 3;
    pub(super) const TO_CPU: u16 = 4;
    pub(super) const REASON: u16 = 5;
    pub(super) const RATE: u16 = 6;
    pub(super) const DONE: u16 = 7;
    pub(super) const USAGE_PCT: u16 = 8;
    pub(super) const BATCH_PCT: u16 = 9;
}

/// Attributes of the `cpu` set.
mod cpu_attr {
    pub(super) const CPU: u16 = 1;
    pub(super) const RATE: u16 = 2;
    pub(super) const USAGE_PCT: u16 = 3;
    pub(super) const PRESSURE: u16 = 4;
    pub(super) const ALLOWED: u16 = 5;
    pub(super) const LINES: u16 = 6;
}

/// Values of the `reason` enum.
mod reason {
    pub(super) const IMBALANCE: u32 = 0;
    pub(super) const ROLLBACK: u32 = 1;
    pub(super) const EVACUATE: u32 = 2;
    pub(super) const SATURATION: u32 = 3;
    pub(super) const BACKLOG: u32 = 4;
}

/// Values of the `pressure` enum.
mod pressure {
    pub(super) const NONE: u32 = 0;
    pub(super) const SATURATION: u32 = 1;
    pub(super) const BACKLOG: u32 = 2;
}

/// The multicast group of decisions.
const GROUP_DECISIONS: usize = 0;

const NO_DEVICE: &CStr = c_str!("irq_balancer: no such device");

impl Spec for IrqBalancerFamily {
    const NAME: &'static CStr = c_str!("irq-balancer");
    const OPERATIONS: &'static [Operation] = &[
        Operation {
            cmd: cmd::VECTOR_GET,
            policy: &[Policy::U32],
            doit: None,
            dumpit: Some(vector_dump),
            admin: false,
        },
        Operation {
            cmd: cmd::ADAPTER_ADD,
            policy: &[Policy::U32],
            doit: Some(adapter_add),
            dumpit: None,
            admin: true,
        },
        Operation {
            cmd: cmd::ADAPTER_DEL,
            policy: &[Policy::U32],
            doit: Some(adapter_del),
            dumpit: None,
            admin: true,
        },
        Operation {
            cmd: cmd::ADAPTER_GET,
            policy: &[Policy::Reject],
            doit: None,
            dumpit: Some(adapter_dump),
            admin: false,
        },
        Operation {
            cmd: cmd::CONFIG_GET,
            policy: &[],
            doit: Some(config_get),
            dumpit: None,
            admin: false,
        },
        Operation {
            cmd: cmd::CONFIG_SET,
            policy: &[
                Policy::U32,                                   // interval-ms
                Policy::U8Max(1),                              // dry-run
                Policy::String { max_len: 1023 },              // banned-cpus
                Policy::U32Max(1000),                          // high-pct
                Policy::U32Max(1000),                          // low-pct
                Policy::U32,                                   // min-rate
                Policy::U32,                                   // min-dwell-ms
                Policy::U32Max(state::MAX_MOVES_LIMIT as u16), // max-moves
                Policy::Reject,                                // intervals
                Policy::Reject,                                // moves
                Policy::Reject,                                // rollbacks
                Policy::Reject,                                // imbalance-pct
                Policy::Reject,                                // busy-ns
                Policy::Reject,                                // memory-bytes
                Policy::U32Max(100),                           // usage-pct
                Policy::U32Max(MAX_BATCH_LIMIT),               // batch-limit
                Policy::String { max_len: 1023 },              // banned-irqs
            ],
            doit: Some(config_set),
            dumpit: None,
            admin: true,
        },
        Operation {
            cmd: cmd::CPU_GET,
            policy: &[Policy::Reject],
            doit: None,
            dumpit: Some(cpu_dump),
            admin: false,
        },
    ];
    const GROUPS: &'static [&'static CStr] = &[c_str!("decisions")];
}

const NOT_LOADED: &CStr = c_str!("irq_balancer: shutting down");
const NO_VECTORS: &CStr = c_str!("irq_balancer: the device has no MSI or MSI-X vectors");
const ALREADY: &CStr = c_str!("irq_balancer: the device is under management already");
const NOT_MANAGED: &CStr = c_str!("irq_balancer: the device is not under management");
const TOO_MANY: &CStr = c_str!("irq_balancer: at most 32 adapters are under management");
const BAD_INTERVAL: &CStr = c_str!("irq_balancer: the interval is 10 to 10000 ms");
const BAD_CPU_LIST: &CStr =
    c_str!("irq_balancer: banned-cpus is a CPU list (0-2,5) of CPUs below 256, or empty");
const BAD_IRQ_LIST: &CStr = c_str!(
    "irq_balancer: banned-irqs is a list of at most 32 IRQ numbers and ranges (24,30-32), or empty"
);
const BAD_WATERMARKS: &CStr = c_str!("irq_balancer: the low watermark must be below the high one");
const BAD_DWELL: &CStr = c_str!("irq_balancer: the minimum dwell is at most 600000 ms");

/// Returns the balancer, or fails while the module shuts down.
fn state(req: &Request<'_>) -> Result<Arc<State>> {
    STATE
        .get()
        .ok_or_else(|| fail(req.extack(), NOT_LOADED, ENODEV))
}

/// Returns the device of index attribute `ty` in the request's namespace.
fn device<'a>(req: &Request<'_>, rtnl: &'a rtnl::Guard, ty: u16) -> Result<&'a Device> {
    let ifindex = req.required_u32(ty)?;
    let ifindex = i32::try_from(ifindex).map_err(|_| fail(req.extack(), NO_DEVICE, ENODEV))?;
    rtnl.device(req.net(), ifindex)
        .ok_or_else(|| fail(req.extack(), NO_DEVICE, ENODEV))
}

/// `adapter-add`: takes a device's vectors under management and starts sampling them.
fn adapter_add(req: &Request<'_>) -> Result {
    let state = state(req)?;
    let rtnl = rtnl::Guard::lock();
    let dev = device(req, &rtnl, adapter_attr::IFINDEX)?;
    let mut inner = state.inner.lock();
    if inner.has(dev) {
        return Err(fail(req.extack(), ALREADY, EEXIST));
    }
    match inner.add(dev) {
        Ok(()) => {}
        Err(e) if e == EOPNOTSUPP => return Err(fail(req.extack(), NO_VECTORS, EOPNOTSUPP)),
        Err(e) if e == ENOSPC => return Err(fail(req.extack(), TOO_MANY, ENOSPC)),
        Err(e) => return Err(e),
    }
    let first = inner.adapters.len() == 1;
    drop(inner);
    if first {
        state.schedule(0);
    }
    Ok(())
}

/// `adapter-del`: gives a device's lines their affinity back and stops managing them.
fn adapter_del(req: &Request<'_>) -> Result {
    let state = state(req)?;
    let rtnl = rtnl::Guard::lock();
    let dev = device(req, &rtnl, adapter_attr::IFINDEX)?;
    let mut inner = state.inner.lock();
    if !inner.remove(dev, true) {
        return Err(fail(req.extack(), NOT_MANAGED, ENOENT));
    }
    Ok(())
}

/// Adds one line of an adapter.
fn put_line(msg: &mut Message<'_>, m: &Managed) -> Result {
    let local = CString::try_from_fmt(fmt!("{}", CpuList(&m.local)))?;
    msg.nest(adapter_attr::LINE, |msg| {
        msg.put_string(line_attr::LOCAL_CPUS, &local)?;
        if m.traffic.known {
            msg.put_uint(line_attr::PACKET_RATE, m.traffic.packet_rate)?;
            msg.put_uint(line_attr::BYTE_RATE, m.traffic.byte_rate)?;
            msg.put_uint(line_attr::BATCH_PCT, m.traffic.batch_pct)?;
        }
        msg.put_u32(line_attr::IRQ, m.line.irq)?;
        msg.put_u32(line_attr::INDEX, m.index)?;
        msg.put_u32(line_attr::GROUP, m.line.group)?;
        msg.put_u32(line_attr::CPU, m.line.cpu as u32)?;
        msg.put_uint(line_attr::RATE, m.line.rate)?;
        msg.put_u32(line_attr::HOLD, m.hold.code())
    })
}

/// `adapter-get` (dump): the adapters under management in the caller's namespace, a message
/// each with its lines; the cursor is the position of the next one.
fn adapter_dump(req: &Request<'_>, dump: &mut Dump<'_>) -> Result {
    let state = state(req)?;
    let rtnl = rtnl::Guard::lock();
    let inner = state.inner.lock();
    let mut next = usize::try_from(dump.cursor()).unwrap_or(usize::MAX);
    while let Some(adapter) = inner.adapters.get(next) {
        let ifindex = adapter.dev.ifindex();
        // Only the caller's namespace: the same index elsewhere is another device.
        if let Some(dev) = rtnl
            .device(req.net(), ifindex)
            .filter(|dev| dev.is(&adapter.dev))
        {
            let added = dump.add(cmd::ADAPTER_GET, |msg| {
                msg.put_u32(adapter_attr::IFINDEX, ifindex as u32)?;
                msg.put_string(adapter_attr::NAME, dev.name().as_c_str())?;
                for m in inner.lines.iter().filter(|m| m.dev.is(&adapter.dev)) {
                    put_line(msg, m)?;
                }
                Ok(())
            })?;
            if !added {
                break;
            }
        }
        next += 1;
    }
    dump.set_cursor(next as u64);
    Ok(())
}

/// A CPU set printed as a CPU list.
struct CpuList<'a>(&'a CpuBits);

impl fmt::Display for CpuList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        lists::write_cpu_list(self.0, f)
    }
}

/// `config-get`: the configuration and running totals.
fn config_get(req: &Request<'_>) -> Result {
    let state = state(req)?;
    let inner = state.inner.lock();
    let (config, totals, bytes) = (inner.config, inner.totals, inner.bytes());
    drop(inner);
    let banned = CString::try_from_fmt(fmt!("{}", CpuList(&config.banned)))?;
    let banned_irqs = CString::try_from_fmt(fmt!("{}", config.banned_irqs))?;
    req.reply(cmd::CONFIG_GET, |msg| {
        msg.put_u32(config_attr::INTERVAL_MS, config.interval_ms)?;
        msg.put_u8(config_attr::DRY_RUN, config.dry_run.into())?;
        msg.put_string(config_attr::BANNED_CPUS, &banned)?;
        msg.put_u32(config_attr::HIGH_PCT, config.policy.high_pct)?;
        msg.put_u32(config_attr::LOW_PCT, config.policy.low_pct)?;
        msg.put_u32(
            config_attr::MIN_RATE,
            config.policy.min_rate.try_into().unwrap_or(u32::MAX),
        )?;
        msg.put_u32(
            config_attr::MIN_DWELL_MS,
            config.policy.min_dwell.try_into().unwrap_or(u32::MAX),
        )?;
        msg.put_u32(config_attr::MAX_MOVES, config.policy.max_moves)?;
        msg.put_uint(config_attr::INTERVALS, totals.intervals)?;
        msg.put_uint(config_attr::MOVES, totals.moves)?;
        msg.put_uint(config_attr::ROLLBACKS, totals.rollbacks)?;
        msg.put_uint(config_attr::IMBALANCE_PCT, totals.imbalance_pct)?;
        msg.put_uint(config_attr::BUSY_NS, totals.busy_ns)?;
        msg.put_uint(config_attr::MEMORY_BYTES, bytes as u64)?;
        msg.put_u32(config_attr::USAGE_PCT, config.policy.usage_pct)?;
        msg.put_u32(config_attr::BATCH_LIMIT, config.policy.batch_limit)?;
        msg.put_string(config_attr::BANNED_IRQS, &banned_irqs)
    })
}

/// The highest `batch-limit` accepted, in packets per interrupt.
const MAX_BATCH_LIMIT: u16 = 1024;

/// The longest minimum dwell accepted.
const MAX_DWELL_MS: u32 = 600_000;

/// Parses string attribute `ty` with `parse`, if the request has it; refuses it with
/// message `bad` if it is not UTF-8 or does not parse.
fn parse_text<T>(
    req: &Request<'_>,
    ty: u16,
    parse: impl FnOnce(&str) -> Option<T>,
    bad: &'static CStr,
) -> Result<Option<T>> {
    let Some(bytes) = req.bytes(ty) else {
        return Ok(None);
    };
    core::str::from_utf8(bytes.strip_suffix(&[0]).unwrap_or(bytes))
        .ok()
        .and_then(parse)
        .map(Some)
        .ok_or_else(|| fail(req.extack(), bad, EINVAL))
}

/// `config-set`: changes what the request carries; the rest keeps its value.
fn config_set(req: &Request<'_>) -> Result {
    let interval = req.u32(config_attr::INTERVAL_MS);
    if interval.is_some_and(|ms| !(state::MIN_INTERVAL_MS..=state::MAX_INTERVAL_MS).contains(&ms)) {
        return Err(fail(req.extack(), BAD_INTERVAL, ERANGE));
    }
    let banned = parse_text(
        req,
        config_attr::BANNED_CPUS,
        lists::parse_cpu_list,
        BAD_CPU_LIST,
    )?;
    let banned_irqs = parse_text(req, config_attr::BANNED_IRQS, IrqList::parse, BAD_IRQ_LIST)?;
    let dwell = req.u32(config_attr::MIN_DWELL_MS);
    if dwell.is_some_and(|ms| ms > MAX_DWELL_MS) {
        return Err(fail(req.extack(), BAD_DWELL, ERANGE));
    }
    let state = state(req)?;
    let mut inner = state.inner.lock();
    let mut config = inner.config;
    if let Some(ms) = interval {
        config.interval_ms = ms;
    }
    if let Some(dry) = req.u8(config_attr::DRY_RUN) {
        config.dry_run = dry != 0;
    }
    if let Some(set) = banned {
        config.banned = set;
    }
    if let Some(list) = banned_irqs {
        config.banned_irqs = list;
    }
    if let Some(pct) = req.u32(config_attr::HIGH_PCT) {
        config.policy.high_pct = pct;
    }
    if let Some(pct) = req.u32(config_attr::LOW_PCT) {
        config.policy.low_pct = pct;
    }
    if let Some(rate) = req.u32(config_attr::MIN_RATE) {
        config.policy.min_rate = rate.into();
    }
    if let Some(ms) = dwell {
        config.policy.min_dwell = ms.into();
    }
    if let Some(n) = req.u32(config_attr::MAX_MOVES) {
        config.policy.max_moves = n;
    }
    if let Some(pct) = req.u32(config_attr::USAGE_PCT) {
        config.policy.usage_pct = pct;
    }
    if let Some(limit) = req.u32(config_attr::BATCH_LIMIT) {
        config.policy.batch_limit = limit;
    }
    if config.policy.low_pct >= config.policy.high_pct {
        return Err(fail(req.extack(), BAD_WATERMARKS, EINVAL));
    }
    inner.config = config;
    // The table shows the lines held at once, not from the next interval.
    inner.apply_bans();
    let running = !inner.adapters.is_empty();
    drop(inner);
    // A new interval takes effect at once.
    if running && interval.is_some() {
        state.schedule(config.interval_ms);
    }
    Ok(())
}

/// Sends a decision to the `decisions` group (in the initial namespace: interrupt lines belong
/// to none).
pub(crate) fn notify_decision(decision: &Decision, inner: &Inner) {
    let _ = FAMILY.multicast(Net::init(), GROUP_DECISIONS, cmd::DECISION_NTF, |msg| {
        msg.put_u8(decision_attr::DRY_RUN, decision.dry_run.into())?;
        msg.put_uint(decision_attr::IMBALANCE_PCT, decision.plan.imbalance_pct)?;
        msg.put_uint(decision_attr::EXPECTED_PCT, decision.plan.expected_pct)?;
        msg.put_uint(decision_attr::INTERVAL, inner.totals.intervals)?;
        let moves = inner.planned.iter().zip(inner.done.iter());
        for (m, done) in moves.take(decision.plan.moves) {
            let Some(line) = inner.lines.get(m.line) else {
                continue;
            };
            msg.nest(decision_attr::MOVE, |msg| {
                msg.put_u32(move_attr::IRQ, line.line.irq)?;
                msg.put_u32(move_attr::IFINDEX, line.dev.ifindex() as u32)?;
                msg.put_u32(move_attr::FROM_CPU, m.from as u32)?;
                msg.put_u32(move_attr::TO_CPU, m.to as u32)?;
                let reason = match m.reason {
                    policy::Reason::Imbalance => reason::IMBALANCE,
                    policy::Reason::Rollback => reason::ROLLBACK,
                    policy::Reason::Evacuate => reason::EVACUATE,
                    policy::Reason::Saturation => reason::SATURATION,
                    policy::Reason::Backlog => reason::BACKLOG,
                };
                msg.put_u32(move_attr::REASON, reason)?;
                msg.put_uint(move_attr::RATE, line.line.rate)?;
                msg.put_u8(move_attr::DONE, (*done).into())?;
                if let Some(&usage) = inner.usage.get(m.from) {
                    msg.put_u32(move_attr::USAGE_PCT, usage)?;
                }
                if line.traffic.known {
                    msg.put_uint(move_attr::BATCH_PCT, line.traffic.batch_pct)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    });
}

/// `vector-get` (dump): the vectors of one device, a message each; the cursor is the position
/// of the next one.
fn vector_dump(req: &Request<'_>, dump: &mut Dump<'_>) -> Result {
    let ifindex = req.required_u32(vector_attr::IFINDEX)?;
    let ifindex = i32::try_from(ifindex).map_err(|_| fail(req.extack(), NO_DEVICE, ENODEV))?;
    let rtnl = rtnl::Guard::lock();
    let dev = rtnl
        .device(req.net(), ifindex)
        .ok_or_else(|| fail(req.extack(), NO_DEVICE, ENODEV))?;
    let vectors = dev.msi_vectors()?;
    let mut next = usize::try_from(dump.cursor()).unwrap_or(usize::MAX);
    while let Some(vector) = vectors.get(next) {
        if !dump.add(cmd::VECTOR_GET, |msg| table::put_vector(msg, dev, vector))? {
            break;
        }
        next += 1;
    }
    dump.set_cursor(next as u64);
    Ok(())
}

/// `cpu-get` (dump): each online CPU as the balancer saw it at the last sample, a message each;
/// the cursor is the next CPU.
fn cpu_dump(req: &Request<'_>, dump: &mut Dump<'_>) -> Result {
    let state = state(req)?;
    let inner = state.inner.lock();
    let first = usize::try_from(dump.cursor()).unwrap_or(usize::MAX);
    for view in inner.cpus(first) {
        let pressure = match view.pressure {
            CpuPressure::None => pressure::NONE,
            CpuPressure::Saturation => pressure::SATURATION,
            CpuPressure::Backlog => pressure::BACKLOG,
        };
        let added = dump.add(cmd::CPU_GET, |msg| {
            msg.put_u32(cpu_attr::CPU, view.cpu as u32)?;
            msg.put_uint(cpu_attr::RATE, view.rate)?;
            msg.put_u32(cpu_attr::USAGE_PCT, view.usage)?;
            msg.put_u32(cpu_attr::PRESSURE, pressure)?;
            msg.put_u8(cpu_attr::ALLOWED, view.allowed.into())?;
            msg.put_u32(cpu_attr::LINES, view.lines as u32)
        })?;
        if !added {
            dump.set_cursor(view.cpu as u64);
            return Ok(());
        }
    }
    dump.set_cursor(u64::MAX);
    Ok(())
}
