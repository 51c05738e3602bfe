// SPDX-License-Identifier: GPL-2.0

//! `/sys/class/net/VNIC/vnic_failover/`: the vNIC's state and policy, one value per file
//! (Documentation/ABI/testing/sysfs-class-net-vnic_failover).

use crate::{
    netlink,
    policy::{Failback, Millis},
    probe::Target,
    vnic::{self, Vnic},
};
use core::{
    fmt::Write,
    net::{Ipv4Addr, Ipv6Addr},
};
use kernel::net::{
    dev::Name,
    link::{
        sysfs::{Attribute, Buffer},
        Master,
    },
};
use kernel::{c_str, prelude::*};

/// The attributes.
pub(crate) const ATTRS: &[Attribute<Vnic>] = &[
    Attribute {
        name: c_str!("active"),
        show: show_active,
        store: None,
    },
    Attribute {
        name: c_str!("standby"),
        show: show_standby,
        store: None,
    },
    Attribute {
        name: c_str!("members"),
        show: show_members,
        store: None,
    },
    Attribute {
        name: c_str!("failovers"),
        show: show_failovers,
        store: None,
    },
    Attribute {
        name: c_str!("last_reason"),
        show: show_last_reason,
        store: None,
    },
    Attribute {
        name: c_str!("last_switch_duration_ns"),
        show: show_last_switch_duration,
        store: None,
    },
    Attribute {
        name: c_str!("failback"),
        show: show_failback,
        store: Some(store_failback),
    },
    Attribute {
        name: c_str!("up_delay_ms"),
        show: show_up_delay,
        store: Some(store_up_delay),
    },
    Attribute {
        name: c_str!("hold_down_ms"),
        show: show_hold_down,
        store: Some(store_hold_down),
    },
    Attribute {
        name: c_str!("notify_peers_count"),
        show: show_notify_count,
        store: Some(store_notify_count),
    },
    Attribute {
        name: c_str!("notify_peers_interval_ms"),
        show: show_notify_interval,
        store: Some(store_notify_interval),
    },
    Attribute {
        name: c_str!("health_check_interval_ms"),
        show: show_health_interval,
        store: Some(store_health_interval),
    },
    Attribute {
        name: c_str!("probe_target"),
        show: show_probe_target,
        store: Some(store_probe_target),
    },
    Attribute {
        name: c_str!("probe_interval_ms"),
        show: show_probe_interval,
        store: Some(store_probe_interval),
    },
    Attribute {
        name: c_str!("probe_missed_max"),
        show: show_probe_missed_max,
        store: Some(store_probe_missed_max),
    },
    Attribute {
        name: c_str!("probes_sent"),
        show: show_probes_sent,
        store: None,
    },
    Attribute {
        name: c_str!("probe_replies"),
        show: show_probe_replies,
        store: None,
    },
    Attribute {
        name: c_str!("irq_moves"),
        show: show_irq_moves,
        store: None,
    },
];

/// Writes one line; a page always has room for these.
fn line(out: &mut Buffer<'_>, args: core::fmt::Arguments<'_>) -> Result {
    out.write_fmt(args)
        .and_then(|()| out.write_char('\n'))
        .map_err(|_| EINVAL)
}

/// Returns the name of member `id` of `vnic`.
fn member_name(vnic: &Master<Vnic>, id: Option<u32>) -> Option<Name> {
    let id = id?;
    let mut name = None;
    let _ = vnic::for_each_member(vnic, |dev, _| {
        if dev.ifindex() as u32 == id {
            name = Some(dev.name());
        }
        Ok(())
    });
    name
}

fn show_member(out: &mut Buffer<'_>, name: Option<Name>) -> Result {
    match name {
        Some(name) => line(out, format_args!("{name}")),
        // No member: an empty line, as bonding's active_slave.
        None => line(out, format_args!("")),
    }
}

fn show_active(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    show_member(out, member_name(vnic, vnic::status(vnic).active))
}

fn show_standby(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    show_member(out, member_name(vnic, vnic::status(vnic).standby))
}

fn show_members(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    let mut first = true;
    vnic::for_each_member(vnic, |dev, _| {
        let sep = if first { "" } else { " " };
        first = false;
        write!(out, "{sep}{}", dev.name()).map_err(|_| EINVAL)
    })?;
    line(out, format_args!(""))
}

fn show_failovers(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    line(out, format_args!("{}", vnic::status(vnic).failovers))
}

fn show_last_reason(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    let reason = vnic::reason_label(vnic::status(vnic).last_reason);
    line(out, format_args!("{reason}"))
}

fn show_last_switch_duration(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    line(
        out,
        format_args!("{}", vnic::status(vnic).last_switch_duration_ns),
    )
}

fn show_failback(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    let name = match vnic::status(vnic).config.failback {
        Failback::Always => "always",
        Failback::Better => "better",
        Failback::Never => "never",
    };
    line(out, format_args!("{name}"))
}

fn show_up_delay(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    line(out, format_args!("{}", vnic::status(vnic).config.up_delay))
}

fn show_hold_down(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    line(out, format_args!("{}", vnic::status(vnic).config.hold_down))
}

fn show_notify_count(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    line(out, format_args!("{}", vnic::status(vnic).notify_count))
}

fn show_notify_interval(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    line(
        out,
        format_args!("{}", vnic::status(vnic).notify_interval_ms),
    )
}

/// Parses a decimal number up to `max`.
fn bounded(value: &str, max: u32) -> Result<u32> {
    let n: u32 = value.parse().map_err(|_| EINVAL)?;
    if n > max {
        return Err(ERANGE);
    }
    Ok(n)
}

fn store_notify_count(vnic: &Master<Vnic>, value: &str) -> Result {
    let n = bounded(value, vnic::MAX_NOTIFY_COUNT)?;
    vnic::set_peer_notify(vnic, Some(n), None);
    Ok(())
}

fn store_notify_interval(vnic: &Master<Vnic>, value: &str) -> Result {
    let ms = bounded(value, vnic::MAX_NOTIFY_INTERVAL_MS)?;
    vnic::set_peer_notify(vnic, None, Some(ms));
    Ok(())
}

fn show_health_interval(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    line(
        out,
        format_args!("{}", vnic::status(vnic).health_interval_ms),
    )
}

fn store_health_interval(vnic: &Master<Vnic>, value: &str) -> Result {
    let ms = bounded(value, vnic::MAX_HEALTH_INTERVAL_MS)?;
    if !netlink::health_interval_valid(ms) {
        return Err(ERANGE);
    }
    vnic::set_health_interval(vnic, ms);
    Ok(())
}

fn store_failback(vnic: &Master<Vnic>, value: &str) -> Result {
    let failback = match value {
        "always" => Failback::Always,
        "better" => Failback::Better,
        "never" => Failback::Never,
        _ => return Err(EINVAL),
    };
    vnic::configure(vnic, |config| config.failback = failback);
    Ok(())
}

/// Parses a delay in milliseconds: a decimal number up to [`vnic::MAX_DELAY_MS`].
fn delay(value: &str) -> Result<Millis> {
    Ok(bounded(value, vnic::MAX_DELAY_MS)?.into())
}

fn store_up_delay(vnic: &Master<Vnic>, value: &str) -> Result {
    let ms = delay(value)?;
    vnic::configure(vnic, |config| config.up_delay = ms);
    Ok(())
}

fn store_hold_down(vnic: &Master<Vnic>, value: &str) -> Result {
    let ms = delay(value)?;
    vnic::configure(vnic, |config| config.hold_down = ms);
    Ok(())
}

/// Shows the target, IPv4 or IPv6, or 0.0.0.0 while probing is off.
fn show_probe_target(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    match vnic::status(vnic).probe_target {
        Some(Target::V6(addr)) => line(out, format_args!("{}", Ipv6Addr::from(addr))),
        Some(Target::V4(addr)) => line(out, format_args!("{}", Ipv4Addr::from(addr))),
        None => line(out, format_args!("0.0.0.0")),
    }
}

/// Takes a unicast IPv4 (dotted quad) or IPv6 address, or 0.0.0.0 or :: to turn probing off.
fn store_probe_target(vnic: &Master<Vnic>, value: &str) -> Result {
    let target = Target::parse(value).ok_or(EINVAL)?;
    if target.is_some_and(|t| !t.valid() || netlink::own_address(vnic, t)) {
        return Err(EINVAL);
    }
    vnic::set_probe(vnic, Some(target), None, None);
    Ok(())
}

fn show_probe_interval(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    line(
        out,
        format_args!("{}", vnic::status(vnic).probe_interval_ms),
    )
}

fn store_probe_interval(vnic: &Master<Vnic>, value: &str) -> Result {
    let ms = bounded(value, vnic::MAX_PROBE_INTERVAL_MS)?;
    if !netlink::probe_interval_valid(ms) {
        return Err(ERANGE);
    }
    vnic::set_probe(vnic, None, Some(ms), None);
    Ok(())
}

fn show_probe_missed_max(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    line(out, format_args!("{}", vnic::status(vnic).probe_missed_max))
}

fn store_probe_missed_max(vnic: &Master<Vnic>, value: &str) -> Result {
    let n = bounded(value, vnic::MAX_PROBE_MISSED_MAX)?;
    if !netlink::probe_missed_max_valid(n) {
        return Err(ERANGE);
    }
    vnic::set_probe(vnic, None, None, Some(n));
    Ok(())
}

fn show_probes_sent(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    line(out, format_args!("{}", vnic::status(vnic).probes_sent))
}

fn show_probe_replies(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    line(out, format_args!("{}", vnic::status(vnic).probe_replies))
}

fn show_irq_moves(vnic: &Master<Vnic>, out: &mut Buffer<'_>) -> Result {
    line(out, format_args!("{}", vnic::status(vnic).irq_moves))
}
