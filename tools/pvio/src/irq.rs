// SPDX-License-Identifier: GPL-2.0

//! The `irq-balancer` family (Documentation/netlink/specs/irq_balancer.yaml): numbers,
//! decoding and display.

use crate::genl::{enum_name, string_of, u32_of, u8_of, uint_of, Message};
use neli::{genl::Nlattr, types::Buffer};
use serde::Serialize;
use std::fmt;

/// The family name.
pub const FAMILY: &str = "irq-balancer";
/// The multicast group of decisions.
pub const GROUP_DECISIONS: &str = "decisions";

/// Commands (all of the spec's, for tools/testing/spec-check.py; `vector-get` is YNL's).
#[allow(dead_code)]
pub mod cmd {
    pub const VECTOR_GET: u8 = 1;
    pub const ADAPTER_ADD: u8 = 2;
    pub const ADAPTER_DEL: u8 = 3;
    pub const ADAPTER_GET: u8 = 4;
    pub const CONFIG_GET: u8 = 5;
    pub const CONFIG_SET: u8 = 6;
    pub const DECISION_NTF: u8 = 7;
    pub const CPU_GET: u8 = 8;
}

/// Attributes of the `adapter` set.
pub mod adapter_attr {
    pub const IFINDEX: u16 = 1;
    pub const NAME: u16 = 2;
    pub const LINE: u16 = 3;
}

/// Attributes of the `line` set.
pub mod line_attr {
    pub const IRQ: u16 = 1;
    pub const INDEX: u16 = 2;
    pub const GROUP: u16 = 3;
    pub const CPU: u16 = 4;
    pub const RATE: u16 = 5;
    pub const HOLD: u16 = 6;
    pub const LOCAL_CPUS: u16 = 7;
    pub const PACKET_RATE: u16 = 8;
    pub const BYTE_RATE: u16 = 9;
    pub const BATCH_PCT: u16 = 10;
}

/// Attributes of the `config` set.
pub mod config_attr {
    pub const INTERVAL_MS: u16 = 1;
    pub const DRY_RUN: u16 = 2;
    pub const BANNED_CPUS: u16 = 3;
    pub const HIGH_PCT: u16 = 4;
    pub const LOW_PCT: u16 = 5;
    pub const MIN_RATE: u16 = 6;
    pub const MIN_DWELL_MS: u16 = 7;
    pub const MAX_MOVES: u16 = 8;
    pub const INTERVALS: u16 = 9;
    pub const MOVES: u16 = 10;
    pub const ROLLBACKS: u16 = 11;
    pub const IMBALANCE_PCT: u16 = 12;
    pub const BUSY_NS: u16 = 13;
    pub const MEMORY_BYTES: u16 = 14;
    pub const USAGE_PCT: u16 = 15;
    pub const BATCH_LIMIT: u16 = 16;
    pub const BANNED_IRQS: u16 = 17;
}

/// Attributes of the `decision` set.
pub mod decision_attr {
    pub const DRY_RUN: u16 = 1;
    pub const IMBALANCE_PCT: u16 = 2;
    pub const EXPECTED_PCT: u16 = 3;
    pub const MOVE: u16 = 4;
    pub const INTERVAL: u16 = 5;
}

/// Attributes of the `move` set.
pub mod move_attr {
    pub const IRQ: u16 = 1;
    pub const IFINDEX: u16 = 2;
    pub const FROM_CPU: u16 = 3;
    pub const TO_CPU: u16 = 4;
    pub const REASON: u16 = 5;
    pub const RATE: u16 = 6;
    pub const DONE: u16 = 7;
    pub const USAGE_PCT: u16 = 8;
    pub const BATCH_PCT: u16 = 9;
}

/// Attributes of the `cpu` set.
pub mod cpu_attr {
    pub const CPU: u16 = 1;
    pub const RATE: u16 = 2;
    pub const USAGE_PCT: u16 = 3;
    pub const PRESSURE: u16 = 4;
    pub const ALLOWED: u16 = 5;
    pub const LINES: u16 = 6;
}

/// The `hold` enum.
pub const HOLD: &[&str] = &["none", "managed", "pinned", "unmovable", "banned"];
/// The `reason` enum.
pub const REASON: &[&str] = &["imbalance", "rollback", "evacuate", "saturation", "backlog"];
/// The `pressure` enum.
pub const PRESSURE: &[&str] = &["none", "saturation", "backlog"];

/// One interrupt line of an adapter under management.
#[derive(Debug, Default, Serialize)]
pub struct Line {
    pub irq: u32,
    pub index: u32,
    pub group: u32,
    pub cpu: u32,
    pub rate: u64,
    pub hold: String,
    pub local_cpus: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet_rate: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_rate: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_pct: Option<u64>,
}

/// An adapter under management, as `adapter-get` reports it.
#[derive(Debug, Default, Serialize)]
pub struct Adapter {
    pub ifindex: u32,
    pub name: String,
    pub lines: Vec<Line>,
}

fn decode_line(a: &Nlattr<u16, Buffer>) -> Line {
    let mut l = Line::default();
    let Ok(nested) = a.get_attr_handle::<u16>() else {
        return l;
    };
    for a in nested.iter() {
        match *a.nla_type().nla_type() {
            line_attr::IRQ => l.irq = u32_of(a).unwrap_or(0),
            line_attr::INDEX => l.index = u32_of(a).unwrap_or(0),
            line_attr::GROUP => l.group = u32_of(a).unwrap_or(0),
            line_attr::CPU => l.cpu = u32_of(a).unwrap_or(0),
            line_attr::RATE => l.rate = uint_of(a).unwrap_or(0),
            line_attr::HOLD => l.hold = enum_name(HOLD, u32_of(a).unwrap_or(u32::MAX)),
            line_attr::LOCAL_CPUS => l.local_cpus = string_of(a),
            line_attr::PACKET_RATE => l.packet_rate = uint_of(a),
            line_attr::BYTE_RATE => l.byte_rate = uint_of(a),
            line_attr::BATCH_PCT => l.batch_pct = uint_of(a),
            _ => {}
        }
    }
    l
}

/// Decodes an `adapter-get` reply.
pub fn decode_adapter(msg: &Message) -> Adapter {
    let mut ad = Adapter::default();
    for a in msg.attrs().iter() {
        match *a.nla_type().nla_type() {
            adapter_attr::IFINDEX => ad.ifindex = u32_of(a).unwrap_or(0),
            adapter_attr::NAME => ad.name = string_of(a),
            adapter_attr::LINE => ad.lines.push(decode_line(a)),
            _ => {}
        }
    }
    ad
}

impl fmt::Display for Adapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} (ifindex {}):", self.name, self.ifindex)?;
        for l in &self.lines {
            write!(
                f,
                "  irq {} (vector {}, group {:#x}): cpu {}, {} /s",
                l.irq, l.index, l.group, l.cpu, l.rate
            )?;
            if let (Some(p), Some(b), Some(batch)) = (l.packet_rate, l.byte_rate, l.batch_pct) {
                write!(
                    f,
                    ", queue {p} pkt/s {b} B/s, {:.2} pkt/irq",
                    batch as f64 / 100.0
                )?;
            }
            if !l.local_cpus.is_empty() {
                write!(f, ", kept on {}", l.local_cpus)?;
            }
            if l.hold != "none" {
                write!(f, ", held: {}", l.hold)?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The configuration and totals, as `config-get` reports them.
#[derive(Debug, Default, Serialize)]
pub struct Config {
    pub interval_ms: u32,
    pub dry_run: bool,
    pub banned_cpus: String,
    pub high_pct: u32,
    pub low_pct: u32,
    pub min_rate: u32,
    pub min_dwell_ms: u32,
    pub max_moves: u32,
    pub intervals: u64,
    pub moves: u64,
    pub rollbacks: u64,
    pub imbalance_pct: u64,
    pub busy_ns: u64,
    pub memory_bytes: u64,
    pub usage_pct: u32,
    pub batch_limit: u32,
    pub banned_irqs: String,
}

/// Decodes a `config-get` reply.
pub fn decode_config(msg: &Message) -> Config {
    let mut c = Config::default();
    for a in msg.attrs().iter() {
        match *a.nla_type().nla_type() {
            config_attr::INTERVAL_MS => c.interval_ms = u32_of(a).unwrap_or(0),
            config_attr::DRY_RUN => c.dry_run = u8_of(a).is_some_and(|v| v != 0),
            config_attr::BANNED_CPUS => c.banned_cpus = string_of(a),
            config_attr::HIGH_PCT => c.high_pct = u32_of(a).unwrap_or(0),
            config_attr::LOW_PCT => c.low_pct = u32_of(a).unwrap_or(0),
            config_attr::MIN_RATE => c.min_rate = u32_of(a).unwrap_or(0),
            config_attr::MIN_DWELL_MS => c.min_dwell_ms = u32_of(a).unwrap_or(0),
            config_attr::MAX_MOVES => c.max_moves = u32_of(a).unwrap_or(0),
            config_attr::INTERVALS => c.intervals = uint_of(a).unwrap_or(0),
            config_attr::MOVES => c.moves = uint_of(a).unwrap_or(0),
            config_attr::ROLLBACKS => c.rollbacks = uint_of(a).unwrap_or(0),
            config_attr::IMBALANCE_PCT => c.imbalance_pct = uint_of(a).unwrap_or(0),
            config_attr::BUSY_NS => c.busy_ns = uint_of(a).unwrap_or(0),
            config_attr::MEMORY_BYTES => c.memory_bytes = uint_of(a).unwrap_or(0),
            config_attr::USAGE_PCT => c.usage_pct = u32_of(a).unwrap_or(0),
            config_attr::BATCH_LIMIT => c.batch_limit = u32_of(a).unwrap_or(0),
            config_attr::BANNED_IRQS => c.banned_irqs = string_of(a),
            _ => {}
        }
    }
    c
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let none = |list: &str| if list.is_empty() { "none" } else { list }.to_owned();
        writeln!(
            f,
            "interval {} ms{}, banned CPUs {}, banned IRQs {}",
            self.interval_ms,
            if self.dry_run { ", dry run" } else { "" },
            none(&self.banned_cpus),
            none(&self.banned_irqs)
        )?;
        writeln!(
            f,
            "watermarks {}% / {}% over the mean, min rate {} /s, dwell {} ms, at most {} moves",
            self.high_pct, self.low_pct, self.min_rate, self.min_dwell_ms, self.max_moves
        )?;
        let off = |v: u32, unit: &str| match v {
            0 => "off".to_owned(),
            v => format!("{v}{unit}"),
        };
        writeln!(
            f,
            "pressure: saturated at {} in interrupts, backed up at {}",
            off(self.usage_pct, "%"),
            off(self.batch_limit, " pkt/irq")
        )?;
        writeln!(
            f,
            "{} intervals, {} moves ({} rollbacks), imbalance {}%",
            self.intervals, self.moves, self.rollbacks, self.imbalance_pct
        )?;
        writeln!(
            f,
            "sampler time {:.3} ms, state {} bytes",
            self.busy_ns as f64 / 1e6,
            self.memory_bytes
        )
    }
}

/// One move of a decision.
#[derive(Debug, Default, Serialize)]
pub struct Move {
    pub irq: u32,
    pub ifindex: u32,
    pub from_cpu: u32,
    pub to_cpu: u32,
    pub reason: String,
    pub rate: u64,
    pub done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_pct: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_pct: Option<u64>,
}

/// A `decision-ntf` event.
#[derive(Debug, Default, Serialize)]
pub struct Decision {
    pub dry_run: bool,
    pub imbalance_pct: u64,
    pub expected_pct: u64,
    pub interval: u64,
    pub moves: Vec<Move>,
}

fn decode_move(a: &Nlattr<u16, Buffer>) -> Move {
    let mut m = Move::default();
    let Ok(nested) = a.get_attr_handle::<u16>() else {
        return m;
    };
    for a in nested.iter() {
        match *a.nla_type().nla_type() {
            move_attr::IRQ => m.irq = u32_of(a).unwrap_or(0),
            move_attr::IFINDEX => m.ifindex = u32_of(a).unwrap_or(0),
            move_attr::FROM_CPU => m.from_cpu = u32_of(a).unwrap_or(0),
            move_attr::TO_CPU => m.to_cpu = u32_of(a).unwrap_or(0),
            move_attr::REASON => m.reason = enum_name(REASON, u32_of(a).unwrap_or(u32::MAX)),
            move_attr::RATE => m.rate = uint_of(a).unwrap_or(0),
            move_attr::DONE => m.done = u8_of(a).is_some_and(|v| v != 0),
            move_attr::USAGE_PCT => m.usage_pct = u32_of(a),
            move_attr::BATCH_PCT => m.batch_pct = uint_of(a),
            _ => {}
        }
    }
    m
}

/// Decodes a `decision-ntf` event.
pub fn decode_decision(msg: &Message) -> Decision {
    let mut d = Decision::default();
    for a in msg.attrs().iter() {
        match *a.nla_type().nla_type() {
            decision_attr::DRY_RUN => d.dry_run = u8_of(a).is_some_and(|v| v != 0),
            decision_attr::IMBALANCE_PCT => d.imbalance_pct = uint_of(a).unwrap_or(0),
            decision_attr::INTERVAL => d.interval = uint_of(a).unwrap_or(0),
            decision_attr::EXPECTED_PCT => d.expected_pct = uint_of(a).unwrap_or(0),
            decision_attr::MOVE => d.moves.push(decode_move(a)),
            _ => {}
        }
    }
    d
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "imbalance {}% -> {}%{}:",
            self.imbalance_pct,
            self.expected_pct,
            if self.dry_run { " (dry run)" } else { "" }
        )?;
        for m in &self.moves {
            write!(
                f,
                " irq {} {}->{} ({}, {} /s",
                m.irq, m.from_cpu, m.to_cpu, m.reason, m.rate
            )?;
            if let Some(usage) = m.usage_pct {
                write!(f, ", cpu {usage}% in interrupts")?;
            }
            if let Some(batch) = m.batch_pct {
                write!(f, ", {:.2} pkt/irq", batch as f64 / 100.0)?;
            }
            write!(f, "{})", if m.done { "" } else { ", not done" })?;
        }
        Ok(())
    }
}

/// A CPU as the balancer's last sample saw it (`cpu-get`).
#[derive(Debug, Default, Serialize)]
pub struct Cpu {
    pub cpu: u32,
    pub rate: u64,
    pub usage_pct: u32,
    pub pressure: String,
    pub allowed: bool,
    pub lines: u32,
}

/// Decodes a `cpu-get` reply.
pub fn decode_cpu(msg: &Message) -> Cpu {
    let mut c = Cpu::default();
    for a in msg.attrs().iter() {
        match *a.nla_type().nla_type() {
            cpu_attr::CPU => c.cpu = u32_of(a).unwrap_or(0),
            cpu_attr::RATE => c.rate = uint_of(a).unwrap_or(0),
            cpu_attr::USAGE_PCT => c.usage_pct = u32_of(a).unwrap_or(0),
            cpu_attr::PRESSURE => c.pressure = enum_name(PRESSURE, u32_of(a).unwrap_or(u32::MAX)),
            cpu_attr::ALLOWED => c.allowed = u8_of(a).is_some_and(|v| v != 0),
            cpu_attr::LINES => c.lines = u32_of(a).unwrap_or(0),
            _ => {}
        }
    }
    c
}

impl fmt::Display for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cpu {}: {} irq/s, {}% in interrupts, {} lines",
            self.cpu, self.rate, self.usage_pct, self.lines
        )?;
        if self.pressure != "none" {
            write!(f, ", under pressure ({})", self.pressure)?;
        }
        if !self.allowed {
            write!(f, ", not used")?;
        }
        writeln!(f)
    }
}
