// SPDX-License-Identifier: GPL-2.0

//! The balancer: the adapters under management, the configuration, and the periodic sampler
//! that measures the lines, asks the policy which to move, moves them and reports it.

use crate::{
    lines::{allowed_cpus, Managed},
    netlink,
    policy::{self, Balancer, CpuBits, Move, Plan},
};
use kernel::{
    cpumask::nr_cpu_ids,
    delayed_work::{self, DelayedWork},
    irq,
    net::dev::{Device, Netdev},
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

/// The configuration.
#[derive(Clone, Copy)]
pub(crate) struct Config {
    /// Milliseconds between samples.
    pub(crate) interval_ms: u32,
    /// Decide and report, but move nothing.
    pub(crate) dry_run: bool,
    /// CPUs no line may go to.
    pub(crate) banned: CpuBits,
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
    /// The last interval's moves, which the policy may undo; indexes into `lines`.
    last: KVec<Move>,
    /// Each CPU's interrupt count at the last sample.
    cpu_counts: KVec<u64>,
    /// When the last sample was taken (ms), if one was.
    sampled_at: Option<u64>,
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
        let mut cpu_counts = KVec::with_capacity(cpus, GFP_KERNEL)?;
        for cpu in 0..cpus {
            cpu_counts.push(irq::count_all_on(cpu as u32), GFP_KERNEL)?;
        }
        let inner = Inner {
            config: Config {
                interval_ms: DEFAULT_INTERVAL_MS,
                dry_run: false,
                banned: CpuBits::EMPTY,
                policy: policy::Config::default(),
            },
            adapters: KVec::new(),
            lines: KVec::new(),
            totals: Totals::default(),
            balancer: Balancer::default(),
            last: KVec::new(),
            cpu_counts,
            sampled_at: None,
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
        let mut inner = self.inner.lock();
        if inner.adapters.is_empty() {
            return;
        }
        let interval = inner.config.interval_ms;
        if let Some(event) = inner.sample_and_plan() {
            netlink::notify_decision(&event, &inner);
        }
        drop(inner);
        self.sampler.schedule(interval);
    }
}

/// A decision, as the multicast event reports it.
pub(crate) struct Decision {
    /// What the policy found.
    pub(crate) plan: Plan,
    /// Whether the moves were only reported.
    pub(crate) dry_run: bool,
    /// The moves (indexes into `Inner::lines`), with whether each was carried out.
    pub(crate) moves: KVec<(Move, bool)>,
}

impl Inner {
    /// Takes a sample; from the second one on, plans and carries out the moves. Returns the
    /// decision when a line moved (or would have).
    fn sample_and_plan(&mut self) -> Option<Decision> {
        let now = now_ms();
        let elapsed = self.sampled_at.map(|at| now.saturating_sub(at));
        self.sampled_at = Some(now);
        // Per-CPU interrupt rates, every line included: unmanaged lines weigh on their CPUs.
        let mut loads = KVec::with_capacity(self.cpu_counts.len(), GFP_KERNEL).ok()?;
        for (cpu, last) in self.cpu_counts.iter_mut().enumerate() {
            let count = irq::count_all_on(cpu as u32);
            let delta = count.wrapping_sub(*last);
            *last = count;
            let rate = match elapsed {
                Some(ms) if ms > 0 => delta.saturating_mul(1000) / ms,
                _ => 0,
            };
            loads.push(rate, GFP_KERNEL).ok()?;
        }
        let allowed = allowed_cpus(&self.config.banned);
        let config = self.config.policy;
        for line in self.lines.iter_mut() {
            line.sample(elapsed.unwrap_or(0), &allowed, &config);
        }
        let elapsed = elapsed?;
        if elapsed == 0 {
            return None;
        }
        self.totals.intervals += 1;

        let mut lines = KVec::with_capacity(self.lines.len(), GFP_KERNEL).ok()?;
        for m in self.lines.iter() {
            lines.push(m.line, GFP_KERNEL).ok()?;
        }
        let budget = (config.max_moves as usize).max(self.last.len());
        let blank = Move {
            line: 0,
            from: 0,
            to: 0,
            reason: policy::Reason::Imbalance,
        };
        let mut out = KVec::from_elem(blank, budget, GFP_KERNEL).ok()?;
        let saved = self.balancer;
        let plan = self
            .balancer
            .plan(&mut lines, &mut loads, now, &config, &self.last, &mut out);
        self.totals.imbalance_pct = plan.imbalance_pct;
        let dry_run = self.config.dry_run;
        if dry_run {
            // Nothing moved: the policy's memory stays as it was.
            self.balancer = saved;
        }
        self.last = KVec::new();
        if plan.moves == 0 {
            return None;
        }
        let mut moves = KVec::with_capacity(plan.moves, GFP_KERNEL).ok()?;
        for m in out.iter().take(plan.moves) {
            let done = if dry_run {
                false
            } else {
                match (self.lines.get_mut(m.line), lines.get(m.line)) {
                    (Some(managed), Some(planned)) => {
                        let done = managed.move_to(m.to).is_ok();
                        if done {
                            managed.line = *planned;
                        }
                        done
                    }
                    _ => false,
                }
            };
            if done {
                let _ = self.last.push(*m, GFP_KERNEL);
            }
            if m.reason == policy::Reason::Rollback {
                self.totals.rollbacks += 1;
            }
            self.totals.moves += 1;
            let _ = moves.push((*m, done), GFP_KERNEL);
        }
        Some(Decision {
            plan,
            dry_run,
            moves,
        })
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
        let ifindex = dev.ifindex();
        // Room for 65536 queues per adapter.
        let base = self.next_group_base;
        self.next_group_base = base.wrapping_add(1 << 16) & 0x7fff_ffff;
        let mut taken = KVec::with_capacity(vectors.len(), GFP_KERNEL)?;
        for vector in vectors.iter() {
            // A line another adapter's vector raises (shared) is not taken twice.
            if self.lines.iter().any(|m| m.line.irq == vector.irq.number()) {
                continue;
            }
            taken.push(Managed::new(ifindex, vector, base)?, GFP_KERNEL)?;
        }
        // Room first, so that the pushes below cannot fail half-way.
        self.adapters.reserve(1, GFP_KERNEL)?;
        self.lines.reserve(taken.len(), GFP_KERNEL)?;
        if self.adapters.is_empty() {
            // The sampler was idle: its next run only takes a baseline.
            self.sampled_at = None;
        }
        self.adapters
            .push(Adapter { dev: dev.hold() }, GFP_KERNEL)?;
        for line in taken {
            self.lines.push(line, GFP_KERNEL)?;
        }
        self.forget_moves();
        Ok(())
    }

    /// Lets the adapter of index `ifindex` go, giving its lines back (`restore`), or dropping
    /// them as they are when it is going away.
    pub(crate) fn remove(&mut self, ifindex: i32, restore: bool) -> Result {
        let at = self
            .adapters
            .iter()
            .position(|a| a.dev.ifindex() == ifindex)
            .ok_or(ENOENT)?;
        // Room first, so that nothing is lost half-way.
        let mut adapters = KVec::with_capacity(self.adapters.len(), GFP_KERNEL)?;
        let mut lines = KVec::with_capacity(self.lines.len(), GFP_KERNEL)?;
        for (i, adapter) in core::mem::replace(&mut self.adapters, KVec::new())
            .into_iter()
            .enumerate()
        {
            if i != at {
                adapters.push(adapter, GFP_KERNEL)?;
            }
        }
        for mut line in core::mem::replace(&mut self.lines, KVec::new()) {
            if line.ifindex != ifindex {
                lines.push(line, GFP_KERNEL)?;
            } else if restore {
                line.restore();
            }
        }
        self.adapters = adapters;
        self.lines = lines;
        self.forget_moves();
        Ok(())
    }

    /// Takes the current affinity of the lines of adapter `ifindex` as their own (see
    /// `Managed::adopt`).
    pub(crate) fn adopt(&mut self, ifindex: i32) {
        for line in self.lines.iter_mut().filter(|m| m.ifindex == ifindex) {
            line.adopt();
        }
        self.forget_moves();
    }

    /// Whether the adapter of index `ifindex` is under management.
    pub(crate) fn has(&self, ifindex: i32) -> bool {
        self.adapters.iter().any(|a| a.dev.ifindex() == ifindex)
    }

    /// Line indexes changed: the last moves can no longer be undone.
    fn forget_moves(&mut self) {
        self.last = KVec::new();
        self.balancer = Balancer::default();
    }
}
