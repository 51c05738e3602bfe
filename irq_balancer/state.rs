// SPDX-License-Identifier: GPL-2.0

//! The balancer: the adapters under management, the configuration, and the periodic sampler
//! that measures the lines, asks the policy which to move, moves them and reports it.

use crate::{
    lines::{allowed_cpus, Managed},
    lists::IrqList,
    netlink,
    policy::{self, Balancer, CpuBits, Line, Move, Plan},
};
use kernel::{
    cpumask::nr_cpu_ids,
    delayed_work::{self, DelayedWork},
    irq,
    net::{
        dev::{Device, Netdev},
        rtnl,
    },
    new_mutex,
    prelude::*,
    sync::{global::Global, Arc, Mutex},
    time::Ktime,
    types::ARef,
};

/// The balancer, published while the module is loaded.
pub(crate) static STATE: Global<State> = Global::new();

/// Shortest and longest sampling interval, in milliseconds.
pub(crate) const MIN_INTERVAL_MS: u32 = 10;
/// See [`MIN_INTERVAL_MS`].
pub(crate) const MAX_INTERVAL_MS: u32 = 10_000;
/// The default interval: a quarter second, forty times irqbalance's 10 s.
pub(crate) const DEFAULT_INTERVAL_MS: u32 = 250;
/// Most adapters under management.
pub(crate) const MAX_ADAPTERS: usize = 32;
/// The highest `max-moves` accepted: the sampler's move buffers are this long.
pub(crate) const MAX_MOVES_LIMIT: u32 = 64;

/// The configuration.
#[derive(Clone, Copy)]
pub(crate) struct Config {
    /// Milliseconds between samples.
    pub(crate) interval_ms: u32,
    /// Decide and report, but move nothing.
    pub(crate) dry_run: bool,
    /// CPUs no line may go to.
    pub(crate) banned: CpuBits,
    /// Lines the balancer holds where they are.
    pub(crate) banned_irqs: IrqList,
    /// The policy's tunables.
    pub(crate) policy: policy::Config,
}

/// Running totals, for `config-get`.
#[derive(Clone, Copy, Default)]
pub(crate) struct Totals {
    /// Samples taken.
    pub(crate) intervals: u64,
    /// Lines moved (or, in dry-run mode, that would have been).
    pub(crate) moves: u64,
    /// Of those, moves that undid an earlier one.
    pub(crate) rollbacks: u64,
    /// The imbalance at the last sample: the busiest CPU's interrupt rate in percent of the
    /// mean over the CPUs lines may use.
    pub(crate) imbalance_pct: u64,
    /// Nanoseconds the sampler spent, all intervals together: the balancer's CPU cost.
    pub(crate) busy_ns: u64,
}

/// An adapter under management.
pub(crate) struct Adapter {
    /// Held so its index stays meaningful; released when it unregisters.
    pub(crate) dev: ARef<Netdev>,
}

/// What the lock protects.
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) adapters: KVec<Adapter>,
    /// The lines of every adapter, in the order the policy sees them.
    pub(crate) lines: KVec<Managed>,
    pub(crate) totals: Totals,
    balancer: Balancer,
    /// The last interval's moves, which the policy may undo (the first `last_len`); indexes
    /// into `lines`.
    last: KVec<Move>,
    last_len: usize,
    /// Each CPU's counters at the last sample.
    cpu_last: KVec<CpuCounters>,
    /// Each CPU's smoothed interrupt time, in percent of the interval.
    pub(crate) usage: KVec<u32>,
    // The sampler's working memory, allocated when adapters come and go, so that an interval
    // allocates nothing: each CPU's smoothed load (after a decision, the load it expects) and
    // its last interval's, the policy's copy of the lines, and the moves it plans
    // (`MAX_MOVES_LIMIT` long), with whether each was carried out.
    pub(crate) loads: KVec<u64>,
    raw_loads: KVec<u64>,
    plan_lines: KVec<Line>,
    pub(crate) planned: KVec<Move>,
    pub(crate) done: KVec<bool>,
    /// When the last sample was taken (ms), if one was.
    sampled_at: Option<u64>,
    /// When the queues' statistics were last read (ms), if they were.
    traffic_at: Option<u64>,
    /// Whether `loads` is stale (the sampler was idle): the next sample replaces it.
    fresh_loads: bool,
    /// The group numbers of the next adapter start here: groups of two adapters never merge.
    next_group_base: u32,
}

/// The balancer.
#[pin_data]
pub(crate) struct State {
    #[pin]
    pub(crate) inner: Mutex<Inner>,
    #[pin]
    sampler: DelayedWork<Sampler>,
}

/// The sampler's work item.
pub(crate) struct Sampler;

impl delayed_work::Handler for Sampler {
    fn run(_work: &DelayedWork<Self>) {
        if let Some(state) = STATE.get() {
            state.tick();
        }
    }
}

fn now_ms() -> u64 {
    Ktime::ktime_get().to_ms().try_into().unwrap_or(0)
}

impl State {
    /// A balancer with the default configuration and nothing under management.
    pub(crate) fn new() -> Result<Arc<Self>> {
        let cpus = nr_cpu_ids() as usize;
        let mut cpu_last = KVec::with_capacity(cpus, GFP_KERNEL)?;
        for cpu in 0..cpus {
            cpu_last.push(CpuCounters::read(cpu), GFP_KERNEL)?;
        }
        let moves = MAX_MOVES_LIMIT as usize;
        let inner = Inner {
            config: Config {
                interval_ms: DEFAULT_INTERVAL_MS,
                dry_run: false,
                banned: CpuBits::EMPTY,
                banned_irqs: IrqList::EMPTY,
                policy: policy::Config::default(),
            },
            adapters: KVec::new(),
            lines: KVec::new(),
            totals: Totals::default(),
            balancer: Balancer::default(),
            last: KVec::from_elem(NO_MOVE, moves, GFP_KERNEL)?,
            last_len: 0,
            cpu_last,
            usage: KVec::from_elem(0, cpus, GFP_KERNEL)?,
            loads: KVec::from_elem(0, cpus, GFP_KERNEL)?,
            raw_loads: KVec::from_elem(0, cpus, GFP_KERNEL)?,
            plan_lines: KVec::new(),
            planned: KVec::from_elem(NO_MOVE, moves, GFP_KERNEL)?,
            done: KVec::from_elem(false, moves, GFP_KERNEL)?,
            sampled_at: None,
            traffic_at: None,
            fresh_loads: true,
            next_group_base: 0,
        };
        Arc::pin_init(
            pin_init!(Self {
                inner <- new_mutex!(inner),
                sampler <- DelayedWork::new(Sampler),
            }),
            GFP_KERNEL,
        )
    }

    /// Arms the sampler for the next interval, or at once.
    pub(crate) fn schedule(&self, delay_ms: u32) {
        self.sampler.schedule(delay_ms);
    }

    /// Stops the sampler and gives every line back: at unload.
    pub(crate) fn shut_down(&self) {
        self.sampler.cancel();
        let mut inner = self.inner.lock();
        for line in inner.lines.iter_mut() {
            line.restore();
        }
        inner.lines = KVec::new();
        inner.adapters = KVec::new();
    }

    /// One interval: sample, plan, move, report, and arm the next.
    fn tick(&self) {
        let start = Ktime::ktime_get();
        let mut inner = self.inner.lock();
        if inner.adapters.is_empty() {
            return;
        }
        let interval = inner.config.interval_ms;
        if let Some(decision) = inner.sample_and_plan() {
            netlink::notify_decision(&decision, &inner);
        }
        let spent = (Ktime::ktime_get() - start).to_ns();
        inner.totals.busy_ns += u64::try_from(spent).unwrap_or(0);
        drop(inner);
        self.sampler.schedule(interval);
    }
}

/// What puts a CPU under pressure, as the reports name it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CpuPressure {
    /// Nothing.
    None,
    /// Its interrupt time reached `usage-pct`.
    Saturation,
    /// A line on it is backed up.
    Backlog,
}

/// An online CPU as the last sample saw it, for `cpu-get` and the debugfs table.
pub(crate) struct CpuView {
    /// The CPU.
    pub(crate) cpu: usize,
    /// Its smoothed interrupt rate (after a decision, the one the plan expects).
    pub(crate) rate: u64,
    /// Its smoothed interrupt time, in percent.
    pub(crate) usage: u32,
    /// What puts it under pressure.
    pub(crate) pressure: CpuPressure,
    /// Whether lines may go to it.
    pub(crate) allowed: bool,
    /// How many managed lines fire on it.
    pub(crate) lines: usize,
}

impl Inner {
    /// The online CPUs from `first` on, as the last sample saw them.
    pub(crate) fn cpus(&self, first: usize) -> impl Iterator<Item = CpuView> + '_ {
        let allowed = allowed_cpus(&self.config.banned);
        let config = self.config.policy;
        let lines = || self.lines.iter().map(|m| &m.line);
        (first..self.usage.len())
            .filter(|&cpu| kernel::cpumask::is_online(cpu as u32))
            .map(move |cpu| CpuView {
                cpu,
                rate: self.loads.get(cpu).copied().unwrap_or(0),
                usage: self.usage.get(cpu).copied().unwrap_or(0),
                pressure: match policy::pressure_on(cpu, lines(), &self.usage, &config) {
                    None => CpuPressure::None,
                    Some(policy::Reason::Backlog) => CpuPressure::Backlog,
                    Some(_) => CpuPressure::Saturation,
                },
                allowed: allowed.contains(cpu),
                lines: lines().filter(|l| l.cpu == cpu).count(),
            })
    }
}

/// A CPU's running interrupt counters, read at each sample.
#[derive(Clone, Copy)]
struct CpuCounters {
    /// Interrupts it took from every line.
    count: u64,
    /// Nanoseconds it spent handling interrupts.
    irq_ns: u64,
}

impl CpuCounters {
    fn read(cpu: usize) -> Self {
        let cpu = cpu as u32;
        Self {
            count: irq::count_all_on(cpu),
            irq_ns: irq::time_on(cpu),
        }
    }
}

/// A move that is not one, to fill the move buffers.
const NO_MOVE: Move = Move {
    line: 0,
    from: 0,
    to: 0,
    reason: policy::Reason::Imbalance,
};

/// A decision, as the multicast event reports it: its moves are the first `plan.moves` of
/// `Inner::planned` (indexes into `Inner::lines`), and `Inner::done` says which were carried
/// out.
pub(crate) struct Decision {
    /// What the policy found.
    pub(crate) plan: Plan,
    /// Whether the moves were only reported.
    pub(crate) dry_run: bool,
}

impl Inner {
    /// Takes a sample; from the second one on, plans and carries out the moves. Returns the
    /// decision when a line moved (or would have). Allocates nothing.
    fn sample_and_plan(&mut self) -> Option<Decision> {
        let now = now_ms();
        let elapsed = self.sampled_at.map(|at| now.saturating_sub(at));
        self.sampled_at = Some(now);
        let config = self.config.policy;
        // Per CPU: its interrupt rate, every line included (unmanaged lines weigh on their
        // CPUs), and its interrupt time in percent of the interval, smoothed as loads are.
        let ms = elapsed.filter(|&ms| ms > 0);
        let per_cpu = self
            .cpu_last
            .iter_mut()
            .zip(self.raw_loads.iter_mut().zip(self.usage.iter_mut()));
        for (cpu, (last, (load, usage))) in per_cpu.enumerate() {
            let now = CpuCounters::read(cpu);
            let (count, ns) = (
                now.count.wrapping_sub(last.count),
                now.irq_ns.saturating_sub(last.irq_ns),
            );
            *last = now;
            let Some(ms) = ms else {
                *load = 0;
                continue;
            };
            *load = count.saturating_mul(1000) / ms;
            let pct = (ns / 10_000 / ms).min(100);
            *usage = policy::smoothed(u64::from(*usage), pct, self.fresh_loads, &config) as u32;
        }
        let allowed = allowed_cpus(&self.config.banned);
        for line in self.lines.iter_mut() {
            line.sample(elapsed.unwrap_or(0), &allowed, &config);
        }
        // RTNL, for the queues' statistics, only while they are read. Only tried (never waited
        // for under the state's lock, which RTNL's holders take), as bonding's periodic work
        // does: the statistics are then read at the next interval.
        if let Some(rtnl) = rtnl::Guard::try_lock() {
            let since = self.traffic_at.map(|at| now.saturating_sub(at));
            self.traffic_at = Some(now);
            for line in self.lines.iter_mut() {
                line.sample_traffic(&rtnl, since);
            }
        }
        let elapsed = elapsed?;
        if elapsed == 0 {
            return None;
        }
        policy::smooth_loads(&mut self.loads, &self.raw_loads, self.fresh_loads, &config);
        self.fresh_loads = false;
        self.totals.intervals += 1;

        for (copy, managed) in self.plan_lines.iter_mut().zip(self.lines.iter()) {
            *copy = managed.line;
        }
        let budget = (config.max_moves as usize)
            .max(self.last_len)
            .min(self.planned.len());
        let saved = self.balancer;
        let dry_run = self.config.dry_run;
        if dry_run {
            // The raw loads are spent: they keep the smoothed ones, which the plan changes to
            // what it expects after its moves, and no move is made.
            for (keep, &load) in self.raw_loads.iter_mut().zip(self.loads.iter()) {
                *keep = load;
            }
        }
        let count = self.lines.len();
        let plan = self.balancer.plan(
            self.plan_lines.get_mut(..count)?,
            &mut self.loads,
            &self.usage,
            now,
            &config,
            self.last.get(..self.last_len)?,
            self.planned.get_mut(..budget)?,
        );
        self.totals.imbalance_pct = plan.imbalance_pct;
        if dry_run {
            // Nothing moved: the policy's memory and the loads stay as they were.
            self.balancer = saved;
            for (load, &kept) in self.loads.iter_mut().zip(self.raw_loads.iter()) {
                *load = kept;
            }
        }
        self.last_len = 0;
        if plan.moves == 0 {
            return None;
        }
        for i in 0..plan.moves.min(budget) {
            let Some(&m) = self.planned.get(i) else {
                break;
            };
            let done = !dry_run
                && match (self.lines.get_mut(m.line), self.plan_lines.get(m.line)) {
                    (Some(managed), Some(planned)) => {
                        let done = managed.move_to(m.to).is_ok();
                        if done {
                            managed.line = *planned;
                        }
                        done
                    }
                    _ => false,
                };
            if let Some(slot) = self.done.get_mut(i) {
                *slot = done;
            }
            if done {
                if let Some(slot) = self.last.get_mut(self.last_len) {
                    *slot = m;
                    self.last_len += 1;
                }
            }
            if m.reason == policy::Reason::Rollback {
                self.totals.rollbacks += 1;
            }
            self.totals.moves += 1;
        }
        Some(Decision { plan, dry_run })
    }

    /// Bytes the balancer's state takes, the module's code and static data aside.
    pub(crate) fn bytes(&self) -> usize {
        use core::mem::size_of;
        size_of::<State>()
            + self.adapters.capacity() * size_of::<Adapter>()
            + self.lines.capacity() * size_of::<Managed>()
            + self
                .lines
                .iter()
                .map(|m| m.bytes() - size_of::<Managed>())
                .sum::<usize>()
            + (self.last.capacity() + self.planned.capacity()) * size_of::<Move>()
            + self.done.capacity()
            + self.cpu_last.capacity() * size_of::<CpuCounters>()
            + self.loads.capacity() * size_of::<u64>()
            + self.usage.capacity() * size_of::<u32>()
            + self.plan_lines.capacity() * size_of::<Line>()
    }

    /// Takes `dev`'s vectors under management.
    pub(crate) fn add(&mut self, dev: &Device) -> Result {
        if self.adapters.len() >= MAX_ADAPTERS {
            return Err(ENOSPC);
        }
        let vectors = dev.msi_vectors()?;
        if vectors.is_empty() {
            return Err(EOPNOTSUPP);
        }
        let node_cpus = dev.local_cpus()?;
        let base = self.next_group_base;
        self.next_group_base = base.wrapping_add(1 << 16) & 0x7fff_ffff;
        let mut taken = KVec::with_capacity(vectors.len(), GFP_KERNEL)?;
        for vector in vectors.iter() {
            // A line another adapter's vector raises (shared) is not taken twice.
            if self.lines.iter().any(|m| m.line.irq == vector.irq.number()) {
                continue;
            }
            taken.push(
                Managed::new(dev, vector, base, node_cpus.as_ref())?,
                GFP_KERNEL,
            )?;
        }
        // Room first, so that the pushes below cannot fail half-way.
        self.adapters.reserve(1, GFP_KERNEL)?;
        self.lines.reserve(taken.len(), GFP_KERNEL)?;
        let plan_lines = plan_buffer(self.lines.len() + taken.len())?;
        if self.adapters.is_empty() {
            // The sampler was idle: its next run only takes a baseline.
            self.sampled_at = None;
            self.traffic_at = None;
            self.fresh_loads = true;
        }
        self.adapters
            .push(Adapter { dev: dev.hold() }, GFP_KERNEL)?;
        for line in taken {
            self.lines.push(line, GFP_KERNEL)?;
        }
        self.plan_lines = plan_lines;
        self.apply_bans();
        self.forget_moves();
        Ok(())
    }

    /// Holds the lines `banned-irqs` lists and lets go of those it no longer does: when the
    /// list changes and when lines come under management, not at each interval, as letting a
    /// line go reads its affinity into a new set.
    pub(crate) fn apply_bans(&mut self) {
        let banned = &self.config.banned_irqs;
        for m in self.lines.iter_mut() {
            m.ban(banned.contains(m.line.irq));
        }
    }

    /// Lets adapter `dev` go, giving its lines back (`restore`), or dropping them as they are
    /// when it is going away. Allocates nothing, so it cannot fail: an adapter that is
    /// unregistered must let its device go. Returns whether it was under management.
    pub(crate) fn remove(&mut self, dev: &Netdev, restore: bool) -> bool {
        if !self.has(dev) {
            return false;
        }
        let adapters = core::mem::replace(&mut self.adapters, KVec::new());
        self.adapters = remove_where(adapters, |a| a.dev.is(dev), drop);
        let lines = core::mem::replace(&mut self.lines, KVec::new());
        self.lines = remove_where(
            lines,
            |m| m.dev.is(dev),
            |mut m| {
                if restore {
                    m.restore();
                }
            },
        );
        // `plan_lines` stays as long as it was: the policy is given as many as there are lines.
        self.forget_moves();
        true
    }

    /// Takes the current affinity of the lines of adapter `dev` as their own (see
    /// `Managed::adopt`).
    pub(crate) fn adopt(&mut self, dev: &Netdev) {
        let banned = &self.config.banned_irqs;
        for line in self.lines.iter_mut().filter(|m| m.dev.is(dev)) {
            line.adopt();
            // A line adopted from a pin that the list names is held again.
            line.ban(banned.contains(line.line.irq));
        }
        self.forget_moves();
    }

    /// Whether adapter `dev` is under management.
    pub(crate) fn has(&self, dev: &Netdev) -> bool {
        self.adapters.iter().any(|a| a.dev.is(dev))
    }

    /// Line indexes changed: the last moves can no longer be undone.
    fn forget_moves(&mut self) {
        self.last_len = 0;
        self.balancer = Balancer::default();
    }
}

/// `v` without the elements `gone` picks, which go to `release`, in another order; without
/// allocating: they are swapped to the front and taken off an iterator that keeps the buffer.
fn remove_where<T>(
    mut v: KVec<T>,
    gone: impl Fn(&T) -> bool,
    mut release: impl FnMut(T),
) -> KVec<T> {
    let slice = v.as_mut_slice();
    let mut front = 0;
    for i in 0..slice.len() {
        if slice.get(i).is_some_and(&gone) {
            slice.swap(front, i);
            front += 1;
        }
    }
    let mut rest = v.into_iter();
    for _ in 0..front {
        if let Some(element) = rest.next() {
            release(element);
        }
    }
    rest.collect(GFP_KERNEL)
}

/// The policy's copy of `len` lines, filled at each interval.
fn plan_buffer(len: usize) -> Result<KVec<Line>> {
    let blank = Line::new(0, 0, 0, CpuBits::EMPTY);
    Ok(KVec::from_elem(blank, len, GFP_KERNEL)?)
}
