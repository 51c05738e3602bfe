// SPDX-License-Identifier: GPL-2.0

//! The logical interrupt table of the adapters under management, as text in debugfs
//! (`/sys/kernel/debug/irq_balancer/table`): one row per line with its queue, CPU and load
//! figures, for people; tools use the `adapter-get` dump, which carries the same.

use crate::{
    lines::{Hold, Managed},
    lists,
    policy::Role,
    state::{CpuPressure, Inner, STATE},
};
use core::fmt::{self, Write};
use kernel::{
    debugfs::{SeqFile, Show},
    prelude::*,
};

/// The table's file.
pub(crate) struct TableFile;

impl Show for TableFile {
    fn show(&self, out: &mut SeqFile<'_>) -> Result {
        let Some(state) = STATE.get() else {
            return Ok(());
        };
        let inner = state.inner.lock();
        let (config, totals) = (inner.config, inner.totals);
        write_table(out, &config, &totals, inner.lines.iter()).map_err(|_| EINVAL)?;
        write_cpus(out, &inner).map_err(|_| EINVAL)
    }
}

/// The CPUs as the last sample saw them, as comment lines after the table.
fn write_cpus(out: &mut impl Write, inner: &Inner) -> fmt::Result {
    for view in inner.cpus(0) {
        let pressure = match view.pressure {
            CpuPressure::None => "none",
            CpuPressure::Saturation => "saturation",
            CpuPressure::Backlog => "backlog",
        };
        writeln!(
            out,
            "# cpu {}: {} irq/s, {}% in interrupts, {} lines, pressure {pressure}{}",
            view.cpu,
            view.rate,
            view.usage,
            view.lines,
            if view.allowed { "" } else { ", not used" }
        )?;
    }
    Ok(())
}

fn write_table<'a>(
    out: &mut impl Write,
    config: &crate::state::Config,
    totals: &crate::state::Totals,
    lines: impl Iterator<Item = &'a Managed>,
) -> fmt::Result {
    writeln!(
        out,
        "# interval {} ms{}, {} intervals, {} moves ({} rollbacks), imbalance {}%",
        config.interval_ms,
        if config.dry_run { " (dry run)" } else { "" },
        totals.intervals,
        totals.moves,
        totals.rollbacks,
        totals.imbalance_pct
    )?;
    writeln!(
        out,
        "# ifindex vector irq queue role group cpu irq/s hold local-cpus pkt/s B/s pkt/irq"
    )?;
    for m in lines {
        write!(out, "{} {} {} ", m.dev.ifindex(), m.index, m.line.irq)?;
        match m.queue {
            Some((queue, role)) => {
                let role = match role {
                    Role::Rx => "rx",
                    Role::Tx => "tx",
                    Role::Both => "rxtx",
                };
                write!(out, "{queue} {role} ")?;
            }
            None => out.write_str("- - ")?,
        }
        let hold = match m.hold {
            Hold::None => "none",
            Hold::Managed => "managed",
            Hold::Pinned => "pinned",
            Hold::Unmovable => "unmovable",
            Hold::Banned => "banned",
        };
        write!(
            out,
            "{:#x} {} {} {hold} ",
            m.line.group, m.line.cpu, m.line.rate
        )?;
        if m.local.is_empty() {
            out.write_str("-")?;
        } else {
            lists::write_cpu_list(&m.local, out)?;
        }
        let t = &m.traffic;
        if t.known {
            writeln!(
                out,
                " {} {} {}.{:02}",
                t.packet_rate,
                t.byte_rate,
                t.batch_pct / 100,
                t.batch_pct % 100
            )?;
        } else {
            writeln!(out, " - - -")?;
        }
    }
    Ok(())
}
