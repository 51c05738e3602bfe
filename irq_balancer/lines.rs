// SPDX-License-Identifier: GPL-2.0

//! The interrupt lines of the adapters under management: what the balancer found each line
//! to be, what it set it to, and what it must give back.

use crate::policy::{self, CpuBits, Line, Role};
use kernel::{
    cpumask::{is_isolated, is_online, nr_cpu_ids, CpuSet},
    irq::{msi::Vector, Irq},
    net::{
        dev::{Device, Netdev},
        queue_stats::Direction,
        rtnl,
    },
    prelude::*,
    types::ARef,
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
    /// `banned-irqs` lists it.
    Banned,
}

impl Hold {
    /// The code of the spec's `hold` enum.
    pub(crate) fn code(self) -> u32 {
        match self {
            Hold::None => 0,
            Hold::Managed => 1,
            Hold::Pinned => 2,
            Hold::Unmovable => 3,
            Hold::Banned => 4,
        }
    }
}

/// One line under management.
pub(crate) struct Managed {
    /// The device whose vector raises it: an index is only unique within a namespace.
    pub(crate) dev: ARef<Netdev>,
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
    /// `ours` as a set, kept so that moving and checking the line never allocate.
    target: CpuSet,
    /// The CPUs the line should stay on: its driver's affinity hint within the device's NUMA
    /// node, whichever of the two is known; empty if neither is.
    pub(crate) local: CpuBits,
    /// The affinity a cooperating mover set (`vnic_failover`'s interrupt migration), taken as
    /// the line's own until the balancer moves it.
    adopted: Option<CpuSet>,
    /// Its count on each CPU at the last sample.
    counts: KVec<u32>,
    /// The device queue it signals, and for which traffic, if its handler name tells.
    pub(crate) queue: Option<(u32, Role)>,
    /// That queue's traffic, from the driver's per-queue statistics.
    pub(crate) traffic: Traffic,
}

/// The traffic of a line's queue (`netdev_stat_ops`): what an interrupt rate alone does not
/// tell, since under load NAPI polls more packets per interrupt.
#[derive(Clone, Copy, Default)]
pub(crate) struct Traffic {
    /// Whether the driver reports the queue's packets.
    pub(crate) known: bool,
    /// Packets and bytes per second over the last interval with statistics.
    pub(crate) packet_rate: u64,
    pub(crate) byte_rate: u64,
    /// Packets per interrupt, in hundredths: a proxy for latency, as packets that arrive
    /// while the queue is being polled wait for the poll.
    pub(crate) batch_pct: u64,
    /// The counts at the last read.
    packets: u64,
    bytes: u64,
}

impl Managed {
    /// Takes vector `vector` of device `dev`; `group_base` keeps the groups of different
    /// adapters apart; `node_cpus` are the CPUs of the device's NUMA node, if it has one.
    pub(crate) fn new(
        dev: &Device,
        vector: &Vector,
        group_base: u32,
        node_cpus: Option<&CpuSet>,
    ) -> Result<Self> {
        let irq = vector.irq;
        let original = irq.affinity()?;
        let local = policy::locality(irq.affinity_hint()?.as_ref().map(bits), node_cpus.map(bits));
        let hold = if irq.is_managed()? {
            Hold::Managed
        } else {
            Hold::None
        };
        // A queue's receive and transmit lines form one group; others are alone.
        let queue = irq.handler_name().ok().and_then(|name| {
            let name = name.as_bytes();
            Some((policy::queue_of(name)?, policy::role_of(name)))
        });
        let group = match queue {
            Some((queue, _)) => group_base.saturating_add(queue),
            None => 0x8000_0000 | irq.number(),
        };
        let cpu = original.iter().next().unwrap_or(0) as usize;
        let mut counts = KVec::with_capacity(nr_cpu_ids() as usize, GFP_KERNEL)?;
        for c in 0..nr_cpu_ids() {
            counts.push(irq.count_on(c), GFP_KERNEL)?;
        }
        Ok(Self {
            dev: dev.hold(),
            index: vector.index,
            line: Line::new(irq.number(), group, cpu, CpuBits::EMPTY),
            hold,
            original,
            ours: None,
            target: CpuSet::new()?,
            local,
            adopted: None,
            counts,
            queue,
            traffic: Traffic::default(),
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
            if !irq.affinity_is(self.expected()).unwrap_or(false) {
                self.hold = Hold::Pinned;
                pr_info!(
                    "irq {}: affinity changed by someone else; left alone\n",
                    self.line.irq
                );
            }
        }
        self.line.allowed = if self.hold == Hold::None {
            policy::constrain(allowed, &self.local)
        } else {
            CpuBits::EMPTY
        };
    }

    /// Reads the statistics of the line's queue, `elapsed_ms` after the last read (none for
    /// the first); without a queue or statistics, the traffic stays unknown.
    pub(crate) fn sample_traffic(&mut self, rtnl: &rtnl::Guard, elapsed_ms: Option<u64>) {
        let Some((queue, role)) = self.queue else {
            return;
        };
        let dev = rtnl.device_of(&self.dev);
        let read = |direction| dev.queue_stats(direction, queue);
        let (rx, tx) = match role {
            Role::Rx => (read(Direction::Rx), None),
            Role::Tx => (None, read(Direction::Tx)),
            Role::Both => (read(Direction::Rx), read(Direction::Tx)),
        };
        let (mut packets, mut bytes, mut read_any) = (0u64, 0u64, false);
        for stats in [rx, tx].iter().flatten() {
            let Some(p) = stats.packets else {
                read_any = false;
                break;
            };
            packets = packets.wrapping_add(p);
            bytes = bytes.wrapping_add(stats.bytes.unwrap_or(0));
            read_any = true;
        }
        if !read_any {
            self.traffic.known = false;
            self.line.batch_pct = 0;
            return;
        }
        let t = &mut self.traffic;
        if let (true, Some(ms)) = (t.known, elapsed_ms.filter(|&ms| ms > 0)) {
            // Counters restart when the driver sets its queues up again.
            t.packet_rate = packets.saturating_sub(t.packets).saturating_mul(1000) / ms;
            t.byte_rate = bytes.saturating_sub(t.bytes).saturating_mul(1000) / ms;
            t.batch_pct = match self.line.rate {
                0 => 0,
                rate => t.packet_rate.saturating_mul(100) / rate,
            };
            // Received packets wait for the poll; a batch of transmit completions only
            // delays freeing them, so only lines that receive can be backed up.
            self.line.batch_pct = if role == Role::Tx { 0 } else { t.batch_pct };
        }
        t.known = true;
        t.packets = packets;
        t.bytes = bytes;
    }

    /// The affinity the balancer last set, adopted or found.
    fn expected(&self) -> &CpuSet {
        match (self.ours, &self.adopted) {
            (Some(_), _) => &self.target,
            (None, Some(adopted)) => adopted,
            (None, None) => &self.original,
        }
    }

    /// Bytes the line takes, for the balancer's memory figure.
    pub(crate) fn bytes(&self) -> usize {
        let sets = 2 + usize::from(self.adopted.is_some());
        core::mem::size_of::<Self>()
            + self.counts.capacity() * core::mem::size_of::<u32>()
            + sets * CpuSet::BYTES
    }

    /// Takes the line's current affinity as its own: a cooperating mover set it (a vNIC that
    /// switched members gave the new member's lines the old member's CPUs). A line held as
    /// pinned for that is balanced again; the balancer no longer restores it, as it did not
    /// put it there.
    pub(crate) fn adopt(&mut self) {
        if matches!(self.hold, Hold::None | Hold::Pinned) {
            self.take_as_is();
        }
    }

    /// Balances the line from its current affinity on, as if the balancer had found it there.
    fn take_as_is(&mut self) {
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

    /// Holds a balanced line that `banned-irqs` lists, where it is; lets one it no longer lists
    /// be balanced again, from where it is now, as its user may have moved it meanwhile: the
    /// list is the user's word on the line, not a pin. A line held for another reason stays
    /// held.
    pub(crate) fn ban(&mut self, banned: bool) {
        match (self.hold, banned) {
            (Hold::None, true) => {
                self.hold = Hold::Banned;
                self.line.allowed = CpuBits::EMPTY;
            }
            (Hold::Banned, false) => {
                self.hold = Hold::None;
                if !self.irq().affinity_is(self.expected()).unwrap_or(false) {
                    self.take_as_is();
                }
            }
            _ => {}
        }
    }

    /// Puts the line on `cpu`; a line that refuses is held from then on.
    pub(crate) fn move_to(&mut self, cpu: usize) -> Result {
        let cpu = u32::try_from(cpu).map_err(|_| EINVAL)?;
        let irq = self.irq();
        let result = self
            .target
            .set_only(cpu)
            .and_then(|()| irq.set_affinity(&self.target));
        match result {
            Ok(()) => self.ours = Some(cpu),
            Err(_) => {
                self.hold = Hold::Unmovable;
                // `target` stays what `ours` says, for `restore`.
                if let Some(ours) = self.ours {
                    let _ = self.target.set_only(ours);
                }
            }
        }
        result
    }

    /// Gives the line its original affinity back if the balancer moved it and nobody changed
    /// it since.
    pub(crate) fn restore(&mut self) {
        if self.ours.is_none() || self.hold == Hold::Pinned {
            return;
        }
        let untouched = self.irq().affinity_is(&self.target).unwrap_or(false);
        if untouched && self.irq().set_affinity(&self.original).is_ok() {
            self.ours = None;
        }
    }
}

/// `cpus` as the policy's set.
fn bits(cpus: &CpuSet) -> CpuBits {
    let mut set = CpuBits::EMPTY;
    for cpu in cpus.iter() {
        set.insert(cpu as usize);
    }
    set
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
