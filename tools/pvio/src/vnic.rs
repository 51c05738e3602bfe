// SPDX-License-Identifier: GPL-2.0

//! The `vnic-failover` family (Documentation/netlink/specs/vnic_failover.yaml): numbers,
//! decoding and display.

use crate::genl::{enum_name, string_of, u32_of, uint_of, Message};
use neli::{attr::Attribute, genl::Nlattr, types::Buffer};
use serde::Serialize;
use std::{
    fmt::{self, Write as _},
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
};

/// The family name.
pub const FAMILY: &str = "vnic-failover";
/// The multicast group of switch events.
pub const GROUP_MONITOR: &str = "monitor";

/// Commands.
pub mod cmd {
    pub const DEV_GET: u8 = 1;
    pub const DEV_SET: u8 = 2;
    pub const MEMBER_SET: u8 = 3;
    pub const SWITCH_NTF: u8 = 4;
}

/// Attributes of the `vnic` set.
pub mod vnic_attr {
    pub const IFINDEX: u16 = 1;
    pub const NAME: u16 = 2;
    pub const ACTIVE: u16 = 3;
    pub const STANDBY: u16 = 4;
    pub const FAILBACK: u16 = 5;
    pub const UP_DELAY: u16 = 6;
    pub const HOLD_DOWN: u16 = 7;
    pub const FAILOVERS: u16 = 8;
    pub const LAST_REASON: u16 = 9;
    pub const LAST_SWITCH_TIME: u16 = 10;
    pub const LAST_SWITCH_DURATION: u16 = 11;
    pub const PREVIOUS: u16 = 12;
    pub const MEMBER: u16 = 13;
    pub const NOTIFY_PEERS_COUNT: u16 = 14;
    pub const NOTIFY_PEERS_INTERVAL: u16 = 15;
    pub const HEALTH_CHECK_INTERVAL: u16 = 16;
    pub const PROBE_TARGET: u16 = 17;
    pub const PROBE_INTERVAL: u16 = 18;
    pub const PROBE_MISSED_MAX: u16 = 19;
    pub const PROBES_SENT: u16 = 20;
    pub const PROBE_REPLIES: u16 = 21;
    pub const IRQ_MOVES: u16 = 22;
    pub const PROBE_TARGET6: u16 = 23;
}

/// Attributes of the `member` set.
pub mod member_attr {
    pub const IFINDEX: u16 = 1;
    pub const NAME: u16 = 2;
    pub const PRIORITY: u16 = 3;
    pub const STATE: u16 = 4;
    pub const ADMIN_FAILED: u16 = 5;
    pub const FAILURE: u16 = 6;
    pub const FLAPS: u16 = 7;
}

/// The `failback` enum, in value order.
pub const FAILBACK: &[&str] = &["always", "better", "never"];
/// The `reason` enum, in value order.
pub const REASON: &[&str] = &[
    "none",
    "activated",
    "link-down",
    "removed",
    "tx-timeout",
    "tx-errors",
    "probe-failed",
    "admin",
    "failback",
];
/// The `member-state` enum, in value order.
pub const MEMBER_STATE: &[&str] = &["active", "standby", "backup", "waiting", "down", "failed"];
/// The `failure` enum, in value order.
pub const FAILURE: &[&str] = &["tx-timeout", "tx-errors", "probe-failed", "admin"];

/// A member, as `dev-get` reports it.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Member {
    pub ifindex: u32,
    pub name: String,
    pub priority: u32,
    pub state: String,
    pub admin_failed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    pub flaps: u32,
}

/// A vNIC, as `dev-get` reports it, or a switch event.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Vnic {
    pub ifindex: u32,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standby: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failback: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub up_delay_ms: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_down_ms: Option<u32>,
    pub failovers: u64,
    pub last_reason: String,
    pub last_switch_time_ns: u64,
    pub last_switch_duration_ns: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_peers_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify_peers_interval_ms: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_interval_ms: Option<u32>,
    /// The ARP probe target, while probing is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe_target: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe_interval_ms: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe_missed_max: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probes_sent: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe_replies: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub irq_moves: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
}

fn decode_member(a: &Nlattr<u16, Buffer>) -> Member {
    let mut m = Member::default();
    let Ok(nested) = a.get_attr_handle::<u16>() else {
        return m;
    };
    for a in nested.iter() {
        match *a.nla_type().nla_type() {
            member_attr::IFINDEX => m.ifindex = u32_of(a).unwrap_or(0),
            member_attr::NAME => m.name = string_of(a),
            member_attr::PRIORITY => m.priority = u32_of(a).unwrap_or(0),
            member_attr::STATE => m.state = enum_name(MEMBER_STATE, u32_of(a).unwrap_or(u32::MAX)),
            member_attr::ADMIN_FAILED => {
                m.admin_failed = a.get_payload_as::<u8>().is_ok_and(|v| v != 0)
            }
            member_attr::FAILURE => m.failure = u32_of(a).map(|v| enum_name(FAILURE, v)),
            member_attr::FLAPS => m.flaps = u32_of(a).unwrap_or(0),
            _ => {}
        }
    }
    m
}

/// Decodes a `dev-get` reply or a `switch-ntf` event. Unknown attributes are skipped, so a
/// newer kernel's additions do not break the tool.
pub fn decode(msg: &Message) -> Vnic {
    let mut v = Vnic {
        last_reason: REASON[0].to_owned(),
        ..Vnic::default()
    };
    for a in msg.attrs().iter() {
        match *a.nla_type().nla_type() {
            vnic_attr::IFINDEX => v.ifindex = u32_of(a).unwrap_or(0),
            vnic_attr::NAME => v.name = string_of(a),
            vnic_attr::ACTIVE => v.active = u32_of(a),
            vnic_attr::STANDBY => v.standby = u32_of(a),
            vnic_attr::PREVIOUS => v.previous = u32_of(a),
            vnic_attr::FAILBACK => v.failback = u32_of(a).map(|x| enum_name(FAILBACK, x)),
            vnic_attr::UP_DELAY => v.up_delay_ms = u32_of(a),
            vnic_attr::HOLD_DOWN => v.hold_down_ms = u32_of(a),
            vnic_attr::FAILOVERS => v.failovers = uint_of(a).unwrap_or(0),
            vnic_attr::LAST_REASON => {
                v.last_reason = enum_name(REASON, u32_of(a).unwrap_or(u32::MAX))
            }
            vnic_attr::LAST_SWITCH_TIME => v.last_switch_time_ns = uint_of(a).unwrap_or(0),
            vnic_attr::LAST_SWITCH_DURATION => v.last_switch_duration_ns = uint_of(a).unwrap_or(0),
            vnic_attr::MEMBER => v.members.push(decode_member(a)),
            vnic_attr::NOTIFY_PEERS_COUNT => v.notify_peers_count = u32_of(a),
            vnic_attr::NOTIFY_PEERS_INTERVAL => v.notify_peers_interval_ms = u32_of(a),
            vnic_attr::HEALTH_CHECK_INTERVAL => v.health_check_interval_ms = u32_of(a),
            // Network order on the wire.
            vnic_attr::PROBE_TARGET => {
                v.probe_target = u32_of(a).map(|raw| Ipv4Addr::from(raw.to_ne_bytes()).into())
            }
            vnic_attr::PROBE_TARGET6 => {
                let bytes: Option<[u8; 16]> = a.nla_payload().as_ref().try_into().ok();
                v.probe_target = bytes.map(|b| Ipv6Addr::from(b).into())
            }
            vnic_attr::PROBE_INTERVAL => v.probe_interval_ms = u32_of(a),
            vnic_attr::PROBE_MISSED_MAX => v.probe_missed_max = u32_of(a),
            vnic_attr::PROBES_SENT => v.probes_sent = uint_of(a),
            vnic_attr::PROBE_REPLIES => v.probe_replies = uint_of(a),
            vnic_attr::IRQ_MOVES => v.irq_moves = uint_of(a),
            _ => {}
        }
    }
    v
}

impl Vnic {
    fn member_name(&self, ifindex: Option<u32>) -> String {
        match ifindex {
            None => "none".to_owned(),
            Some(i) => self
                .members
                .iter()
                .find(|m| m.ifindex == i)
                .map_or_else(|| format!("ifindex {i}"), |m| m.name.clone()),
        }
    }
}

/// `pvio vnic show`: a paragraph per vNIC.
impl fmt::Display for Vnic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} (ifindex {}):", self.name, self.ifindex)?;
        writeln!(
            f,
            "  active {}, standby {}",
            self.member_name(self.active),
            self.member_name(self.standby)
        )?;
        let mut opts = String::new();
        if let Some(fb) = &self.failback {
            let _ = write!(opts, "failback {fb}");
        }
        if let Some(ms) = self.up_delay_ms {
            let _ = write!(opts, ", up-delay {ms} ms");
        }
        if let Some(ms) = self.hold_down_ms {
            let _ = write!(opts, ", hold-down {ms} ms");
        }
        if let (Some(n), Some(ms)) = (self.notify_peers_count, self.notify_peers_interval_ms) {
            let _ = write!(opts, ", notify peers {n} x {ms} ms");
        }
        match self.health_check_interval_ms {
            Some(0) => opts.push_str(", health checks off"),
            Some(ms) => {
                let _ = write!(opts, ", health checks every {ms} ms");
            }
            None => {}
        }
        writeln!(f, "  {opts}")?;
        if let Some(target) = self.probe_target {
            writeln!(
                f,
                "  {} probes to {target} every {} ms, {} missed fail a member; {} sent, {} replies",
                if target.is_ipv4() { "ARP" } else { "NS" },
                self.probe_interval_ms.unwrap_or(0),
                self.probe_missed_max.unwrap_or(0),
                self.probes_sent.unwrap_or(0),
                self.probe_replies.unwrap_or(0)
            )?;
        }
        writeln!(
            f,
            "  failovers {}, last reason {}, last switch took {} us, {} interrupts moved",
            self.failovers,
            self.last_reason,
            self.last_switch_duration_ns / 1000,
            self.irq_moves.unwrap_or(0)
        )?;
        for m in &self.members {
            write!(
                f,
                "  member {} (ifindex {}): {}, priority {}, flaps {}",
                m.name, m.ifindex, m.state, m.priority, m.flaps
            )?;
            if let Some(why) = &m.failure {
                write!(f, ", failed: {why}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// A switch event, one line.
pub fn event_line(v: &Vnic) -> String {
    format!(
        "{}: {} -> {} ({}, {} us, failovers {})",
        v.name,
        v.previous
            .map_or_else(|| "none".to_owned(), |i| format!("ifindex {i}")),
        v.active
            .map_or_else(|| "none".to_owned(), |i| format!("ifindex {i}")),
        v.last_reason,
        v.last_switch_duration_ns / 1000,
        v.failovers
    )
}

/// Parses a failback policy name.
pub fn failback_value(name: &str) -> Option<u32> {
    FAILBACK.iter().position(|n| *n == name).map(|i| i as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genl::attr;
    use neli::{
        genl::{AttrTypeBuilder, GenlmsghdrBuilder, NlattrBuilder},
        types::GenlBuffer,
        FromBytesWithInput, Size, ToBytes,
    };
    use std::io::Cursor;

    /// Serialises and parses back, as a message off a socket would be.
    fn round_trip(msg: Message) -> Message {
        let mut buf = Cursor::new(Vec::new());
        msg.to_bytes(&mut buf).unwrap();
        let bytes = buf.into_inner();
        assert_eq!(bytes.len(), msg.padded_size());
        Message::from_bytes_with_input(&mut Cursor::new(&bytes[..]), bytes.len()).unwrap()
    }

    fn member(ifindex: u32, name: &str, state: u32) -> Nlattr<u16, Buffer> {
        let mut nest = NlattrBuilder::default()
            .nla_type(
                AttrTypeBuilder::default()
                    .nla_type(vnic_attr::MEMBER)
                    .nla_nested(true)
                    .build()
                    .unwrap(),
            )
            .nla_payload(Vec::<u8>::new())
            .build()
            .unwrap();
        for a in [
            attr(member_attr::IFINDEX, ifindex).unwrap(),
            attr(member_attr::NAME, format!("{name}\0").as_bytes().to_vec()).unwrap(),
            attr(member_attr::PRIORITY, 7u32).unwrap(),
            attr(member_attr::STATE, state).unwrap(),
            attr(member_attr::ADMIN_FAILED, 1u8).unwrap(),
            attr(member_attr::FAILURE, 3u32).unwrap(),
            attr(member_attr::FLAPS, 2u32).unwrap(),
        ] {
            nest = nest.nest(&a).unwrap();
        }
        nest
    }

    fn message(attrs: Vec<Nlattr<u16, Buffer>>) -> Message {
        GenlmsghdrBuilder::default()
            .cmd(cmd::DEV_GET)
            .version(1)
            .attrs(attrs.into_iter().collect::<GenlBuffer<u16, Buffer>>())
            .build()
            .unwrap()
    }

    #[test]
    fn a_dev_get_reply_decodes_with_members_and_enum_names() {
        let msg = round_trip(message(vec![
            attr(vnic_attr::IFINDEX, 5u32).unwrap(),
            attr(vnic_attr::NAME, b"vnic0\0".to_vec()).unwrap(),
            attr(vnic_attr::ACTIVE, 6u32).unwrap(),
            attr(vnic_attr::FAILBACK, 2u32).unwrap(),
            attr(vnic_attr::UP_DELAY, 200u32).unwrap(),
            // NLA_UINT: 4 bytes when the value fits, 8 otherwise.
            attr(vnic_attr::FAILOVERS, 3u32).unwrap(),
            attr(vnic_attr::LAST_SWITCH_TIME, 1u64 << 40).unwrap(),
            attr(vnic_attr::LAST_REASON, 7u32).unwrap(),
            attr(vnic_attr::NOTIFY_PEERS_COUNT, 3u32).unwrap(),
            attr(vnic_attr::NOTIFY_PEERS_INTERVAL, 200u32).unwrap(),
            // An attribute from a newer kernel is skipped.
            attr(200, 1u32).unwrap(),
            member(6, "ha", 0),
            member(8, "hb", 5),
        ]));
        let v = decode(&msg);
        assert_eq!(
            (v.ifindex, v.name.as_str(), v.active),
            (5, "vnic0", Some(6))
        );
        assert_eq!(v.failback.as_deref(), Some("never"));
        assert_eq!((v.up_delay_ms, v.hold_down_ms), (Some(200), None));
        assert_eq!((v.failovers, v.last_switch_time_ns), (3, 1 << 40));
        assert_eq!(v.last_reason, "admin");
        assert_eq!(
            (v.notify_peers_count, v.notify_peers_interval_ms),
            (Some(3), Some(200))
        );
        assert_eq!(v.members.len(), 2);
        let hb = &v.members[1];
        assert_eq!(
            (hb.ifindex, hb.name.as_str(), hb.state.as_str()),
            (8, "hb", "failed")
        );
        assert_eq!((hb.priority, hb.admin_failed, hb.flaps), (7, true, 2));
        assert_eq!(hb.failure.as_deref(), Some("admin"));
        let text = v.to_string();
        assert!(text.contains("active ha, standby none"), "{text}");
        assert!(text.contains("member hb (ifindex 8): failed, priority 7, flaps 2, failed: admin"));
    }

    #[test]
    fn unknown_enum_values_show_as_numbers() {
        let v = decode(&round_trip(message(vec![attr(
            vnic_attr::LAST_REASON,
            99u32,
        )
        .unwrap()])));
        assert_eq!(v.last_reason, "99");
        assert_eq!(decode(&round_trip(message(vec![]))).last_reason, "none");
    }

    #[test]
    fn failback_names_follow_the_spec_order() {
        assert_eq!(failback_value("always"), Some(0));
        assert_eq!(failback_value("never"), Some(2));
        assert_eq!(failback_value("sometimes"), None);
    }
}
