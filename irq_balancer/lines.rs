// SPDX-License-Identifier: GPL-2.0

//! The interrupt lines of the adapters under management: what the balancer found each line
//! to be, what it set it to, and what it must give back.

use crate::policy::{self, CpuBits, Line};
use kernel::{
    cpumask::{is_isolated, is_online, nr_cpu_ids, CpuSet},
    irq::{msi::Vector, Irq},
    prelude::*,
};

/// Why a line is not balanced.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Hold {
    /// Balanced.
    None,
    /// The kernel manages its affinity.
    Managed,
    /// Its affinity changed since the balancer last set or read it: someone pinned it.
    Pinned,
    /// Moving it failed (the line refuses, or went away).
    Unmovable,
}

impl Hold {
    /// The code of the spec's `hold` enum.
    pub(crate) fn code(self) -> u32 {
        match self {
            Hold::None => 0,
            Hold::Managed => 1,
            Hold::Pinned => 2,
            Hold::Unmovable => 3,
        }
    }
}

/// One line under management.
pub(crate) struct Managed {
    /// The device whose vector raises it.
    pub(crate) ifindex: i32,
    /// The vector's index.
    pub(crate) index: u32,
    /// What the policy knows of it.
    pub(crate) line: Line,
    /// Why it is not balanced, if it is not.
    pub(crate) hold: Hold,
    /// Its affinity when the balancer took it, given back when it lets the line go.
    original: CpuSet,
    /// The CPU the balancer last put it on, if it moved it.
    pub(crate) ours: Option<u32>,
    /// The affinity a cooperating mover set (`vnic_failover`'s interrupt migration), taken as
    /// the line's own until the balancer moves it.
    adopted: Option<CpuSet>,
    /// Its count on each CPU at the last sample.
    counts: KVec<u32>,
}

impl Managed {
    /// Takes vector `vector` of device `ifindex`; `group_base` keeps the groups of different
    /// adapters apart.
    pub(crate) fn new(ifindex: i32, vector: &Vector, group_base: u32) -> Result<Self> {
        let irq = vector.irq;
        let original = irq.affinity()?;
        let hold = if irq.is_managed()? {
            Hold::Managed
        } else {
            Hold::None
        };
        // A queue's receive and transmit lines form one group; others are alone.
        let group = match irq
            .handler_name()
            .ok()
            .and_then(|n| policy::queue_of(n.as_bytes()))
        {
            Some(queue) => group_base.saturating_add(queue),
            None => 0x8000_0000 | irq.number(),
        };
        let cpu = original.iter().next().unwrap_or(0) as usize;
        let mut counts = KVec::with_capacity(nr_cpu_ids() as usize, GFP_KERNEL)?;
        for c in 0..nr_cpu_ids() {
            counts.push(irq.count_on(c), GFP_KERNEL)?;
        }
        Ok(Self {
            ifindex,
            index: vector.index,
            line: Line::new(irq.number(), group, cpu, CpuBits::EMPTY),
            hold,
            original,
            ours: None,
            adopted: None,
            counts,
        })
    }

    /// The line.
    pub(crate) fn irq(&self) -> Irq {
        Irq::from_number(self.line.irq)
    }

    /// Takes a sample over the last `elapsed_ms`: the line's rate, the CPU it fired on most
    /// (where it is, whatever its mask says), and whether someone else changed its affinity.
    /// `allowed` is where the configuration lets lines go.
    pub(crate) fn sample(&mut self, elapsed_ms: u64, allowed: &CpuBits, config: &policy::Config) {
        let irq = self.irq();
        let (mut total, mut busiest) = (0u64, None::<(u32, u32)>);
        for (cpu, last) in self.counts.iter_mut().enumerate() {
            let now = irq.count_on(cpu as u32);
            let delta = now.wrapping_sub(*last);
            *last = now;
            total += u64::from(delta);
            if delta > 0 && busiest.is_none_or(|(_, d)| delta > d) {
                busiest = Some((cpu as u32, delta));
            }
        }
        if elapsed_ms > 0 {
            self.line
                .observe(total.saturating_mul(1000) / elapsed_ms, config);
        }
        if let Some((cpu, _)) = busiest {
            self.line.cpu = cpu as usize;
        }
        if self.hold == Hold::None {
            if !irq.affinity().is_ok_and(|now| self.expected(&now)) {
                self.hold = Hold::Pinned;
                pr_info!(
                    "irq {}: affinity changed by someone else; left alone\n",
                    self.line.irq
                );
            }
        }
        self.line.allowed = if self.hold == Hold::None {
            *allowed
        } else {
            CpuBits::EMPTY
        };
    }

    /// Whether `now` is the affinity the balancer last set, adopted or found.
    fn expected(&self, now: &CpuSet) -> bool {
        match (self.ours, &self.adopted) {
            (Some(cpu), _) => now.len() == 1 && now.contains(cpu),
            (None, Some(adopted)) => same(now, adopted),
            (None, None) => same(now, &self.original),
        }
    }

    /// Takes the line's current affinity as its own: a cooperating mover set it (a vNIC that
    /// switched members gave the new member's lines the old member's CPUs). A line held as
    /// pinned for that is balanced again; the balancer no longer restores it, as it did not
    /// put it there.
    pub(crate) fn adopt(&mut self) {
        if !matches!(self.hold, Hold::None | Hold::Pinned) {
            return;
        }
        if let Ok(now) = self.irq().affinity() {
            self.ours = None;
            self.adopted = Some(now);
            self.hold = Hold::None;
            // Where it fires now, until the next sample says otherwise.
            if let Some(cpu) = self.adopted.as_ref().and_then(|a| a.iter().next()) {
                self.line.cpu = cpu as usize;
            }
        }
    }

    /// Puts the line on `cpu`; a line that refuses is held from then on.
    pub(crate) fn move_to(&mut self, cpu: usize) -> Result {
        let result = single(cpu as u32).and_then(|set| self.irq().set_affinity(&set));
        match result {
            Ok(()) => self.ours = Some(cpu as u32),
            Err(_) => self.hold = Hold::Unmovable,
        }
        result
    }

    /// Gives the line its original affinity back if the balancer moved it and nobody changed
    /// it since.
    pub(crate) fn restore(&mut self) {
        if self.ours.is_none() || self.hold == Hold::Pinned {
            return;
        }
        let current = self.irq().affinity();
        let untouched = match (&current, self.ours) {
            (Ok(now), Some(cpu)) => now.len() == 1 && now.contains(cpu),
            _ => false,
        };
        if untouched && self.irq().set_affinity(&self.original).is_ok() {
            self.ours = None;
        }
    }
}

/// Whether two CPU sets hold the same CPUs.
fn same(a: &CpuSet, b: &CpuSet) -> bool {
    a.len() == b.len() && a.iter().all(|cpu| b.contains(cpu))
}

/// The set of one CPU.
fn single(cpu: u32) -> Result<CpuSet> {
    let mut set = CpuSet::new()?;
    set.insert(cpu)?;
    Ok(set)
}

/// The CPUs lines may go to: online, not isolated (`isolcpus`, `nohz_full`), not banned.
pub(crate) fn allowed_cpus(banned: &CpuBits) -> CpuBits {
    let mut set = CpuBits::EMPTY;
    for cpu in 0..nr_cpu_ids().min(policy::MAX_CPUS as u32) {
        if is_online(cpu) && !is_isolated(cpu) && !banned.contains(cpu as usize) {
            set.insert(cpu as usize);
        }
    }
    set
}
