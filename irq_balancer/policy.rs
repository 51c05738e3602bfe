// SPDX-License-Identifier: GPL-2.0

//! Which interrupt lines to move to which CPU, from their measured rates.
//!
//! Plain `no_std` Rust, without allocation: the module passes the lines it manages and the load
//! of each CPU as slices, and applies the moves this returns. The host crate `tools/irq-policy`
//! tests it on recorded load traces.
//!
//! A CPU's load is the rate of every interrupt it took, the lines we do not manage included,
//! so their load is balanced around; like line rates, it is smoothed ([`smooth_loads`]). Balancing starts when the busiest
//! CPU's load exceeds the mean by the high watermark and stops once it is within the low one
//! (hysteresis: a steady load causes no moves). Each step moves the group (a queue's receive
//! and transmit lines) whose move from the busiest CPU to the least busy one it may use best
//! evens the two out, and only if it lowers their maximum by at least a tenth of the gap. A
//! line stays where it was put for a minimum dwell; an interval makes at most `max_moves`
//! moves; and the moves of an interval after which the imbalance grew are undone, the lines
//! then held for [`ROLLBACK_HOLD`] dwells. Lines on a CPU they may no longer use leave it
//! first, whatever the load.
//!
//! Rates do not tell everything, so two more thresholds put a CPU *under pressure*: the share
//! of its time spent handling interrupts (`usage_pct`: it is saturated), and a line on it whose
//! queue gets many packets per interrupt (`batch_limit`: the latency proxy; NAPI polls instead
//! of interrupting, so the rate understates the load, and packets wait for the poll). A CPU
//! under pressure takes no group, and sheds one per interval if it has several.

/// Milliseconds on the module's monotonic clock.
pub type Millis = u64;

/// How many CPUs a set can hold.
pub const MAX_CPUS: usize = 256;

/// A set of CPU numbers below [`MAX_CPUS`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CpuBits([u64; MAX_CPUS / 64]);

impl CpuBits {
    /// The empty set.
    pub const EMPTY: Self = Self([0; MAX_CPUS / 64]);

    /// The CPUs below `n`.
    pub fn first(n: usize) -> Self {
        let mut set = Self::EMPTY;
        for cpu in 0..n.min(MAX_CPUS) {
            set.insert(cpu);
        }
        set
    }

    /// Adds `cpu`; ignores one at or above [`MAX_CPUS`].
    pub fn insert(&mut self, cpu: usize) {
        if let Some(word) = self.0.get_mut(cpu / 64) {
            *word |= 1 << (cpu % 64);
        }
    }

    /// Removes `cpu`.
    pub fn remove(&mut self, cpu: usize) {
        if let Some(word) = self.0.get_mut(cpu / 64) {
            *word &= !(1 << (cpu % 64));
        }
    }

    /// Whether the set holds `cpu`.
    pub fn contains(&self, cpu: usize) -> bool {
        self.0
            .get(cpu / 64)
            .is_some_and(|word| word & (1 << (cpu % 64)) != 0)
    }

    /// The CPUs both sets hold.
    pub fn and(&self, other: &Self) -> Self {
        let mut out = *self;
        for (a, b) in out.0.iter_mut().zip(other.0.iter()) {
            *a &= b;
        }
        out
    }

    /// The CPUs either set holds.
    pub fn or(&self, other: &Self) -> Self {
        let mut out = *self;
        for (a, b) in out.0.iter_mut().zip(other.0.iter()) {
            *a |= b;
        }
        out
    }

    /// Whether the set holds no CPU.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&word| word == 0)
    }

    /// The CPUs of the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..MAX_CPUS).filter(|&cpu| self.contains(cpu))
    }

    /// How many CPUs the set holds.
    pub fn len(&self) -> usize {
        self.0.iter().map(|word| word.count_ones() as usize).sum()
    }
}

/// The tunables.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Config {
    /// Balancing starts when the busiest CPU's load exceeds the mean by this many percent.
    pub high_pct: u32,
    /// It stops once the busiest CPU is within this many percent of the mean.
    pub low_pct: u32,
    /// Interrupts per second under which the mean load is noise: nothing moves.
    pub min_rate: u64,
    /// How long a line stays on the CPU it was put on before it may move again.
    pub min_dwell: Millis,
    /// Most moves per interval.
    pub max_moves: u32,
    /// How much a new rate sample counts: the smoothed rate moves by 1/2^shift of the
    /// difference (0: no smoothing).
    pub ewma_shift: u32,
    /// The imbalance after an interval's moves may exceed the one before by this many percent
    /// before the moves are undone.
    pub rollback_pct: u32,
    /// A CPU that spends this many percent of its time handling interrupts is saturated
    /// (0: not used).
    pub usage_pct: u32,
    /// A line whose queue gets this many packets per interrupt is backed up (0: not used).
    pub batch_limit: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            high_pct: 20,
            low_pct: 10,
            min_rate: 100,
            min_dwell: 2000,
            max_moves: 8,
            ewma_shift: 1,
            rollback_pct: 10,
            usage_pct: 90,
            batch_limit: 32,
        }
    }
}

/// One interrupt line under management.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Line {
    /// The line's number.
    pub irq: u32,
    /// Lines of one group (a queue's receive and transmit interrupts) move together.
    pub group: u32,
    /// The CPU it is on.
    pub cpu: usize,
    /// The CPUs it may go to: online, not isolated, not banned, near the device.
    pub allowed: CpuBits,
    /// Its smoothed rate (interrupts per second).
    pub rate: u64,
    /// When it was last moved.
    pub moved_at: Option<Millis>,
    /// Whether `rate` has had a sample.
    pub sampled: bool,
    /// Until when it stays put after a move of it was undone, or it was shed for pressure.
    pub held_until: Millis,
    /// Packets its queue got per interrupt, in hundredths (0: not known).
    pub batch_pct: u64,
}

/// A move must close at least this fraction (1/n) of the gap between the two CPUs.
pub const MIN_GAIN_DIVISOR: u64 = 10;

/// How many dwell times a line whose move was undone stays put, so a move that made things
/// worse is not retried every dwell.
pub const ROLLBACK_HOLD: u64 = 8;

impl Line {
    /// A line on `cpu` that has not been sampled yet.
    pub fn new(irq: u32, group: u32, cpu: usize, allowed: CpuBits) -> Self {
        Self {
            irq,
            group,
            cpu,
            allowed,
            rate: 0,
            moved_at: None,
            sampled: false,
            held_until: 0,
            batch_pct: 0,
        }
    }

    /// Whether its queue is backed up: it gets at least `batch_limit` packets per interrupt.
    pub fn backed_up(&self, config: &Config) -> bool {
        config.batch_limit > 0 && self.batch_pct >= u64::from(config.batch_limit) * 100
    }

    /// Takes a rate sample: the first one as it is, later ones smoothed.
    pub fn observe(&mut self, rate: u64, config: &Config) {
        if !self.sampled {
            self.rate = rate;
            self.sampled = true;
            return;
        }
        self.rate = ewma(self.rate, rate, config);
    }

    fn may_move(&self, now: Millis, config: &Config) -> bool {
        now >= self.held_until
            && self
                .moved_at
                .is_none_or(|at| now.saturating_sub(at) >= config.min_dwell)
    }
}

/// `old` moved towards `sample` by 1/2^`ewma_shift` of the difference.
fn ewma(old: u64, sample: u64, config: &Config) -> u64 {
    let shift = config.ewma_shift.min(16);
    if sample >= old {
        old + ((sample - old) >> shift)
    } else {
        old - ((old - sample) >> shift)
    }
}

/// `old` moved towards `sample` as [`Line::observe`] moves a rate, or `sample` itself if
/// `first`: for the other per-CPU figures the sampler smooths.
pub fn smoothed(old: u64, sample: u64, first: bool, config: &Config) -> u64 {
    if first {
        sample
    } else {
        ewma(old, sample, config)
    }
}

/// Smooths the CPU loads as line rates are: `loads[c]` takes the interval's `raw[c]` (all
/// of it if `first`). Lines the balancer does not manage come in bursts (a disk, a console),
/// and a burst must not move queues that are well placed. After a decision, the caller sets
/// `loads` to the loads the plan expects, so that the next sample starts from where the
/// lines now are, not from where they were.
pub fn smooth_loads(loads: &mut [u64], raw: &[u64], first: bool, config: &Config) {
    for (s, &r) in loads.iter_mut().zip(raw.iter()) {
        *s = smoothed(*s, r, first, config);
    }
}

/// A move the policy decided.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Move {
    /// Index of the line in the slice given to [`Balancer::plan`].
    pub line: usize,
    /// The CPU it leaves.
    pub from: usize,
    /// The CPU it goes to.
    pub to: usize,
    /// Why.
    pub reason: Reason,
}

/// Why a line moves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reason {
    /// Its CPU was the busiest, above the high watermark.
    Imbalance,
    /// The moves of the last interval made things worse.
    Rollback,
    /// Its CPU may no longer be used (banned, isolated, offline): it leaves whatever the load.
    Evacuate,
    /// Its CPU spent at least `usage_pct` of its time handling interrupts.
    Saturation,
    /// A queue on its CPU got at least `batch_limit` packets per interrupt.
    Backlog,
}

/// What puts `cpu` under pressure, if anything: a backed-up line on it, or its interrupt
/// time (`usage[cpu]`, percent; unknown if `usage` is shorter).
pub fn pressure_on<'a>(
    cpu: usize,
    lines: impl IntoIterator<Item = &'a Line>,
    usage: &[u32],
    config: &Config,
) -> Option<Reason> {
    if lines
        .into_iter()
        .any(|l| l.cpu == cpu && l.backed_up(config))
    {
        return Some(Reason::Backlog);
    }
    let used = usage.get(cpu).copied().unwrap_or(0);
    (config.usage_pct > 0 && used >= config.usage_pct).then_some(Reason::Saturation)
}

/// The CPUs of an interval under pressure, and those that may take a group, worked out once
/// per interval (as [`pressure_on`] would for each CPU) and kept up to date as groups move.
struct Pressure {
    /// CPUs with a backed-up line.
    backlog: CpuBits,
    /// CPUs whose interrupt time reached `usage_pct`.
    saturated: CpuBits,
    /// CPUs that may take a group: not under pressure, and with a tenth of the usage
    /// threshold to spare, so that what they take does not saturate them at once.
    cool: CpuBits,
}

impl Pressure {
    fn new(lines: &[Line], usage: &[u32], domain: &CpuBits, config: &Config) -> Self {
        let mut backlog = CpuBits::EMPTY;
        for line in lines.iter().filter(|l| l.backed_up(config)) {
            backlog.insert(line.cpu);
        }
        let (mut saturated, mut cool) = (CpuBits::EMPTY, CpuBits::EMPTY);
        let near = config.usage_pct - config.usage_pct / 10;
        for cpu in domain.iter() {
            let used = usage.get(cpu).copied().unwrap_or(0);
            if config.usage_pct > 0 && used >= config.usage_pct {
                saturated.insert(cpu);
            }
            if !backlog.contains(cpu) && (config.usage_pct == 0 || used < near) {
                cool.insert(cpu);
            }
        }
        Self {
            backlog,
            saturated,
            cool,
        }
    }

    /// What puts `cpu` under pressure, if anything.
    fn on(&self, cpu: usize) -> Option<Reason> {
        if self.backlog.contains(cpu) {
            Some(Reason::Backlog)
        } else if self.saturated.contains(cpu) {
            Some(Reason::Saturation)
        } else {
            None
        }
    }

    /// Takes note of `step` before it is applied: a backed-up line puts its new CPU under
    /// pressure. (The CPU it leaves stays under pressure until the next interval tells.)
    fn note(&mut self, lines: &[Line], step: &Step, config: &Config) {
        let backed_up = lines
            .iter()
            .any(|l| l.group == step.group && l.cpu == step.from && l.backed_up(config));
        if backed_up {
            self.backlog.insert(step.to);
            self.cool.remove(step.to);
        }
    }
}

/// What an interval's plan found.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Plan {
    /// Moves written to the output slice.
    pub moves: usize,
    /// Imbalance before the moves: the busiest CPU's load in percent of the mean (100 is
    /// even; 0 when there is no load).
    pub imbalance_pct: u64,
    /// Imbalance once the moves are applied, as far as the rates tell.
    pub expected_pct: u64,
}

/// The policy's memory between intervals.
#[derive(Clone, Copy, Debug, Default)]
pub struct Balancer {
    /// Whether the last interval ended above the low watermark with moves still to make.
    balancing: bool,
    /// The imbalance the last interval's moves were meant to reduce, if it moved anything.
    moved_from_pct: Option<u64>,
}

/// The busiest CPU's load in percent of the mean over `cpus` (0 without load).
fn imbalance(loads: &[u64], cpus: &CpuBits) -> u64 {
    let (mut sum, mut max, mut n) = (0u64, 0u64, 0u64);
    for cpu in cpus.iter() {
        let load = loads.get(cpu).copied().unwrap_or(0);
        sum = sum.saturating_add(load);
        max = max.max(load);
        n += 1;
    }
    if sum == 0 {
        return 0;
    }
    max.saturating_mul(100).saturating_mul(n) / sum
}

impl Balancer {
    /// Plans this interval's moves and applies them to `lines` (their `cpu` and `moved_at`) and
    /// `loads`. `loads[c]` is CPU `c`'s interrupt rate over the interval, every line included;
    /// `usage[c]` the percent of its time it spent handling interrupts (shorter, or empty, where
    /// not known); `last` holds the moves of the last interval (as returned then) in case they
    /// made things worse. Returns what it found; the moves are in `out[..plan.moves]`.
    #[allow(clippy::too_many_arguments)]
    pub fn plan(
        &mut self,
        lines: &mut [Line],
        loads: &mut [u64],
        usage: &[u32],
        now: Millis,
        config: &Config,
        last: &[Move],
        out: &mut [Move],
    ) -> Plan {
        let domain = lines
            .iter()
            .fold(CpuBits::EMPTY, |set, line| set.or(&line.allowed));
        let before = imbalance(loads, &domain);
        let mut plan = Plan {
            moves: 0,
            imbalance_pct: before,
            expected_pct: before,
        };
        let n = domain.len() as u64;
        let mean = if n == 0 {
            0
        } else {
            domain
                .iter()
                .map(|cpu| loads.get(cpu).copied().unwrap_or(0))
                .sum::<u64>()
                / n
        };

        let mut pressure = Pressure::new(lines, usage, &domain, config);
        // Undo the last interval's balancing moves if the imbalance grew past the margin since,
        // except those back to a CPU now under pressure, or of a line that may no longer go
        // there (pinned, banned, or its old CPU banned since).
        if let Some(was) = self.moved_from_pct.take() {
            let limit = was.saturating_mul(100 + u64::from(config.rollback_pct)) / 100;
            let balancing = || last.iter().rev().filter(|m| m.reason == Reason::Imbalance);
            if before > limit && balancing().next().is_some() {
                for m in balancing() {
                    if plan.moves >= out.len() {
                        break;
                    }
                    let Some(line) = lines.get_mut(m.line) else {
                        continue;
                    };
                    let back = line.allowed.contains(m.from) && pressure.cool.contains(m.from);
                    if line.cpu != m.to || !back {
                        continue;
                    }
                    shift_load(loads, line.rate, m.to, m.from);
                    line.cpu = m.from;
                    line.moved_at = Some(now);
                    line.held_until = now.saturating_add(hold(config));
                    out[plan.moves] = Move {
                        line: m.line,
                        from: m.to,
                        to: m.from,
                        reason: Reason::Rollback,
                    };
                    plan.moves += 1;
                }
                self.balancing = false;
                plan.expected_pct = imbalance(loads, &domain);
                return plan;
            }
        }

        // Lines on a CPU they may no longer use leave it first, dwell or not, each group to
        // the least loaded CPU all its lines there allow, one not under pressure if there is.
        let budget = (config.max_moves as usize).min(out.len());
        let mut moves = Moves {
            out,
            made: 0,
            budget,
        };
        for i in 0..lines.len() {
            let (from, group) = (lines[i].cpu, lines[i].group);
            if lines[i].allowed.is_empty() || lines[i].allowed.contains(from) {
                continue;
            }
            let members = || {
                lines
                    .iter()
                    .filter(move |o| o.group == group && o.cpu == from && !o.allowed.is_empty())
            };
            let allowed = members().fold(domain, |set, o| set.and(&o.allowed));
            let load = |cpu: usize| loads.get(cpu).copied().unwrap_or(0);
            let Some(to) = allowed
                .iter()
                .min_by_key(|&cpu| (!pressure.cool.contains(cpu), load(cpu), cpu))
            else {
                continue;
            };
            let step = Step {
                group,
                from,
                to,
                lines: members().count(),
            };
            let reason = Reason::Evacuate;
            if !apply(
                lines,
                loads,
                &mut pressure,
                &mut moves,
                &step,
                reason,
                now,
                config,
            ) {
                break;
            }
        }
        if moves.made > 0 {
            // Not a balancing move: nothing to undo if the imbalance grows.
            plan.moves = moves.made;
            plan.expected_pct = imbalance(loads, &domain);
            return plan;
        }

        // A CPU under pressure sheds a group per interval, if it has one to spare.
        for cpu in domain.iter() {
            let Some(reason) = pressure.on(cpu) else {
                continue;
            };
            let Some(step) = shed_step(lines, loads, &pressure.cool, &domain, cpu, now, config)
            else {
                continue;
            };
            if !apply(
                lines,
                loads,
                &mut pressure,
                &mut moves,
                &step,
                reason,
                now,
                config,
            ) {
                break;
            }
        }
        let shed = moves.made;

        let threshold = if self.balancing {
            100 + u64::from(config.low_pct)
        } else {
            100 + u64::from(config.high_pct)
        };
        if mean < config.min_rate || before <= threshold {
            self.balancing = false;
        } else {
            self.balancing = true;
            let stop = 100 + u64::from(config.low_pct);
            while moves.made < budget {
                if imbalance(loads, &domain) <= stop {
                    self.balancing = false;
                    break;
                }
                let Some(step) = best_step(lines, loads, &pressure.cool, &domain, now, config)
                else {
                    break;
                };
                let reason = Reason::Imbalance;
                if !apply(
                    lines,
                    loads,
                    &mut pressure,
                    &mut moves,
                    &step,
                    reason,
                    now,
                    config,
                ) {
                    break;
                }
            }
        }
        plan.moves = moves.made;
        plan.expected_pct = imbalance(loads, &domain);
        if moves.made > shed {
            self.moved_from_pct = Some(before);
        }
        plan
    }
}

/// How long a line stays put after its move was undone or it was shed for pressure, so that
/// it is not moved back and forth every dwell.
fn hold(config: &Config) -> Millis {
    config.min_dwell.max(1).saturating_mul(ROLLBACK_HOLD)
}

/// Where an interval's moves go: the first `made` of `out`, at most `budget` of them.
struct Moves<'a> {
    out: &'a mut [Move],
    made: usize,
    budget: usize,
}

/// Moves the lines of `step.group` on `step.from` that may move (all of them when evacuating)
/// to `step.to`, writing the moves to `moves` and keeping `pressure` up to date: a group moves
/// as one, or not at all if the budget cannot take it (returns `false`).
#[allow(clippy::too_many_arguments)]
fn apply(
    lines: &mut [Line],
    loads: &mut [u64],
    pressure: &mut Pressure,
    moves: &mut Moves<'_>,
    step: &Step,
    reason: Reason,
    now: Millis,
    config: &Config,
) -> bool {
    if moves.made + step.lines > moves.budget {
        return false;
    }
    pressure.note(lines, step, config);
    for (i, line) in lines.iter_mut().enumerate() {
        let eligible = match reason {
            Reason::Evacuate => !line.allowed.is_empty(),
            _ => line.may_move(now, config),
        };
        if line.group != step.group || line.cpu != step.from || !eligible {
            continue;
        }
        let Some(slot) = moves.out.get_mut(moves.made) else {
            break;
        };
        shift_load(loads, line.rate, step.from, step.to);
        line.cpu = step.to;
        line.moved_at = Some(now);
        if matches!(reason, Reason::Saturation | Reason::Backlog) {
            line.held_until = now.saturating_add(hold(config));
        }
        *slot = Move {
            line: i,
            from: step.from,
            to: step.to,
            reason,
        };
        moves.made += 1;
    }
    true
}

/// One group to move from one CPU to another.
struct Step {
    group: u32,
    from: usize,
    to: usize,
    /// How many lines of the group move.
    lines: usize,
}

/// Moves `rate` of load from CPU `from` to CPU `to`.
fn shift_load(loads: &mut [u64], rate: u64, from: usize, to: usize) {
    if let Some(load) = loads.get_mut(from) {
        *load = load.saturating_sub(rate);
    }
    if let Some(load) = loads.get_mut(to) {
        *load = load.saturating_add(rate);
    }
}

/// The first line of each group on `cpu` that may move, with the group's rate there and the
/// number of its lines that would move: the groups `cpu` could give away.
fn movable_groups<'a>(
    lines: &'a [Line],
    cpu: usize,
    now: Millis,
    config: &'a Config,
) -> impl Iterator<Item = (&'a Line, u64, usize)> + 'a {
    let movable = move |o: &&Line| o.cpu == cpu && o.may_move(now, config);
    lines.iter().enumerate().filter_map(move |(i, line)| {
        if !movable(&line)
            || lines[..i]
                .iter()
                .any(|o| o.group == line.group && movable(&o))
        {
            return None;
        }
        let members = || lines.iter().filter(|o| o.group == line.group && movable(o));
        let rate = members().map(|o| o.rate).fold(0u64, u64::saturating_add);
        Some((line, rate, members().count()))
    })
}

/// The least loaded CPU of `domain` but `from` that every movable line of `group` on `from`
/// allows and that is `cool` (may take a group).
fn target(
    lines: &[Line],
    loads: &[u64],
    cool: &CpuBits,
    domain: &CpuBits,
    group: u32,
    from: usize,
    now: Millis,
    config: &Config,
) -> Option<usize> {
    let allowed = lines
        .iter()
        .filter(|o| o.group == group && o.cpu == from && o.may_move(now, config))
        .fold(*domain, |set, o| set.and(&o.allowed));
    let load = |cpu: usize| loads.get(cpu).copied().unwrap_or(0);
    allowed
        .iter()
        .filter(|&cpu| cpu != from && cool.contains(cpu))
        .min_by_key(|&cpu| (load(cpu), cpu))
}

/// The group a CPU under pressure gives away: it keeps what presses it most, a backed-up
/// queue (the busiest one) or else the heaviest of its groups and of the interrupts of lines
/// not managed, and sheds the busiest of the others that has somewhere to go.
fn shed_step(
    lines: &[Line],
    loads: &[u64],
    cool: &CpuBits,
    domain: &CpuBits,
    cpu: usize,
    now: Millis,
    config: &Config,
) -> Option<Step> {
    let on_cpu = || lines.iter().filter(|l| l.cpu == cpu);
    let group_rate = |group: u32| {
        on_cpu()
            .filter(|l| l.group == group)
            .map(|l| l.rate)
            .fold(0u64, u64::saturating_add)
    };
    let managed = on_cpu().map(|l| l.rate).fold(0u64, u64::saturating_add);
    let others = loads.get(cpu).copied().unwrap_or(0).saturating_sub(managed);
    let keeper = match on_cpu()
        .filter(|l| l.backed_up(config))
        .max_by_key(|l| (group_rate(l.group), u32::MAX - l.group))
    {
        Some(line) => Some(line.group),
        None => on_cpu()
            .max_by_key(|l| (group_rate(l.group), u32::MAX - l.group))
            .filter(|l| group_rate(l.group) > others)
            .map(|l| l.group),
    };
    movable_groups(lines, cpu, now, config)
        .filter(|(line, rate, _)| Some(line.group) != keeper && *rate > 0)
        .filter_map(|(line, rate, count)| {
            let to = target(lines, loads, cool, domain, line.group, cpu, now, config)?;
            Some((rate, line.group, to, count))
        })
        .max_by_key(|&(rate, group, _, _)| (rate, u32::MAX - group))
        .map(|(_, group, to, lines)| Step {
            group,
            from: cpu,
            to,
            lines,
        })
}

/// Finds the move that best evens out the busiest CPU and a less busy one: from the busiest
/// CPU that has a movable group, the group (with its target, the least loaded CPU all its lines
/// allow that may take more) whose rate is closest to half the difference of the two loads, and
/// less than the whole difference, so the maximum of the two drops.
fn best_step(
    lines: &[Line],
    loads: &[u64],
    cool: &CpuBits,
    domain: &CpuBits,
    now: Millis,
    config: &Config,
) -> Option<Step> {
    let load = |cpu: usize| loads.get(cpu).copied().unwrap_or(0);
    let busiest = domain
        .iter()
        .max_by_key(|&cpu| (load(cpu), usize::MAX - cpu))?;
    let mut best: Option<(u64, Step)> = None;
    for (line, rate, count) in movable_groups(lines, busiest, now, config) {
        if rate == 0 {
            continue;
        }
        let Some(to) = target(lines, loads, cool, domain, line.group, busiest, now, config) else {
            continue;
        };
        let gap = load(busiest).saturating_sub(load(to));
        // It must lower the maximum, and by enough to be worth a move: a group of next to no
        // rate moved against a gap that unmanaged lines make would only churn.
        if rate >= gap || rate < gap / MIN_GAIN_DIVISOR {
            continue;
        }
        let miss = (gap / 2).abs_diff(rate);
        if best.as_ref().is_none_or(|(m, _)| miss < *m) {
            best = Some((
                miss,
                Step {
                    group: line.group,
                    from: busiest,
                    to,
                    lines: count,
                },
            ));
        }
    }
    best.map(|(_, step)| step)
}

/// Returns the queue a handler name belongs to: the number that ends it, before any
/// `@pci:...` suffix (`virtio0-input.3`, `eth0-TxRx-3`, `mlx5_comp3@pci:0000:00:03.0`), so
/// that a queue's receive and transmit lines form one group. `None` for a name without one
/// (`virtio0-config`), a line of its own.
pub fn queue_of(name: &[u8]) -> Option<u32> {
    let name = match name.iter().position(|&b| b == b'@') {
        Some(at) => &name[..at],
        None => name,
    };
    let digits = name.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 9 || digits == name.len() {
        return None;
    }
    let mut queue = 0u32;
    for &b in &name[name.len() - digits..] {
        queue = queue * 10 + u32::from(b - b'0');
    }
    Some(queue)
}

/// The CPUs a line should stay on: its driver's affinity `hint` within its device's NUMA
/// `node`, or whichever of the two is known, or the node alone if the hint lies outside it;
/// empty (no constraint) if neither is known. A hint of one CPU is a placement, not a
/// constraint: drivers that give each queue a CPU of its own (virtio-net with as many queue
/// pairs as CPUs, i40e, ice) would otherwise leave nothing to balance.
pub fn locality(hint: Option<CpuBits>, node: Option<CpuBits>) -> CpuBits {
    let hint = hint.filter(|hint| hint.len() > 1);
    match (hint, node) {
        (Some(hint), Some(node)) if !hint.and(&node).is_empty() => hint.and(&node),
        (Some(hint), None) => hint,
        (_, Some(node)) => node,
        (None, None) => CpuBits::EMPTY,
    }
}

/// Where a line may go: `allowed` within its locality `local`, unless that leaves nothing (the
/// local CPUs are all banned or offline): a constraint, not a reason to strand the line.
pub fn constrain(allowed: &CpuBits, local: &CpuBits) -> CpuBits {
    let both = allowed.and(local);
    if both.is_empty() {
        *allowed
    } else {
        both
    }
}

/// The traffic a queue's line signals, from its handler name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// Received packets (`virtio0-input.0`, `eth0-rx-1`).
    Rx,
    /// Sent packets' completions (`virtio0-output.0`, `eth0-tx-1`).
    Tx,
    /// Both (`eth0-TxRx-3`, `mlx5_comp3`), or a name that does not tell.
    Both,
}

/// Returns the traffic a queue line signals, from its handler name (see [`queue_of`]).
pub fn role_of(name: &[u8]) -> Role {
    let has = |word: &[u8]| {
        name.windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word))
    };
    let (rx, tx) = (has(b"rx") || has(b"input"), has(b"tx") || has(b"output"));
    match (rx, tx) {
        (true, false) => Role::Rx,
        (false, true) => Role::Tx,
        _ => Role::Both,
    }
}
