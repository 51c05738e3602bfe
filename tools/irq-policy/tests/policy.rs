// SPDX-License-Identifier: GPL-2.0

//! The balancing policy on simulated load: lines with fixed or changing rates, CPU loads
//! computed from where the lines are plus a background the policy cannot move.

use irq_policy::policy::{smooth_loads, Balancer, Config, CpuBits, Line, Move, Plan, Reason};

/// A machine: lines, and per-CPU load that no managed line causes.
struct Sim {
    lines: Vec<Line>,
    background: Vec<u64>,
    balancer: Balancer,
    config: Config,
    last: Vec<Move>,
    now: u64,
    interval: u64,
    /// The CPU loads smoothed as the module smooths them, if the simulation does.
    smoothed: Option<Vec<u64>>,
    /// Each CPU's interrupt time, in percent (empty: not known).
    usage: Vec<u32>,
}

impl Sim {
    fn new(cpus: usize) -> Self {
        Self {
            lines: Vec::new(),
            background: vec![0; cpus],
            balancer: Balancer::default(),
            config: Config::default(),
            last: Vec::new(),
            now: 0,
            interval: 1000,
            smoothed: None,
            usage: Vec::new(),
        }
    }

    /// Adds a queue: a receive and a transmit line of one group, on `cpu`, with these rates.
    fn queue(&mut self, cpu: usize, rx: u64, tx: u64) {
        let group = self.lines.len() as u32 / 2;
        let all = CpuBits::first(self.background.len());
        for rate in [rx, tx] {
            let mut line = Line::new(100 + self.lines.len() as u32, group, cpu, all);
            line.observe(rate, &self.config);
            self.lines.push(line);
        }
    }

    /// Adds a line of its own group on `cpu`, with this rate.
    fn line(&mut self, cpu: usize, rate: u64) {
        let all = CpuBits::first(self.background.len());
        let mut line = Line::new(
            100 + self.lines.len() as u32,
            1000 + self.lines.len() as u32,
            cpu,
            all,
        );
        line.observe(rate, &self.config);
        self.lines.push(line);
    }

    fn loads(&self) -> Vec<u64> {
        let mut loads = self.background.clone();
        for line in &self.lines {
            loads[line.cpu] += line.rate;
        }
        loads
    }

    /// The busiest CPU's load in percent of the mean.
    fn imbalance(&self) -> u64 {
        let loads = self.loads();
        let sum: u64 = loads.iter().sum();
        loads.iter().max().unwrap() * 100 * loads.len() as u64 / sum
    }

    /// One interval: plans with the loads the lines cause now, applies the moves.
    fn step(&mut self) -> (Plan, Vec<Move>) {
        self.now += self.interval;
        let mut loads = self.loads();
        if let Some(smoothed) = self.smoothed.as_mut() {
            let first = smoothed.is_empty();
            smoothed.resize(loads.len(), 0);
            smooth_loads(smoothed, &loads, first, &self.config);
            loads.copy_from_slice(smoothed);
        }
        let mut out = [Move {
            line: 0,
            from: 0,
            to: 0,
            reason: Reason::Imbalance,
        }; 32];
        let plan = self.balancer.plan(
            &mut self.lines,
            &mut loads,
            &self.usage,
            self.now,
            &self.config,
            &self.last,
            &mut out,
        );
        let moves = out[..plan.moves].to_vec();
        self.last = moves.clone();
        if let Some(smoothed) = self.smoothed.as_mut() {
            // From the loads the plan expects, as the module does.
            smoothed.copy_from_slice(&loads);
        }
        (plan, moves)
    }
}

#[test]
fn cpu_sets() {
    let mut set = CpuBits::first(3);
    assert_eq!(set.iter().collect::<Vec<_>>(), [0, 1, 2]);
    set.remove(1);
    set.insert(200);
    set.insert(100_000);
    assert_eq!(set.iter().collect::<Vec<_>>(), [0, 2, 200]);
    assert_eq!(set.len(), 3);
    assert!(set.and(&CpuBits::first(1)).contains(0));
    assert!(!CpuBits::EMPTY.or(&CpuBits::EMPTY).contains(0));
    assert!(CpuBits::EMPTY.is_empty());
}

#[test]
fn first_sample_is_taken_whole_then_smoothed() {
    let config = Config::default();
    let mut line = Line::new(1, 0, 0, CpuBits::first(1));
    line.observe(1000, &config);
    assert_eq!(line.rate, 1000);
    line.observe(0, &config);
    assert_eq!(line.rate, 500);
    line.observe(2000, &config);
    assert_eq!(line.rate, 1250);
    let raw = Config {
        ewma_shift: 0,
        ..config
    };
    line.observe(7, &raw);
    assert_eq!(line.rate, 7);
}

#[test]
fn everything_on_cpu0_is_spread_within_two_intervals() {
    // 4 CPUs, 6 queues of unequal rates, all on CPU 0, as after boot without a balancer.
    let mut sim = Sim::new(4);
    for (rx, tx) in [
        (9000, 3000),
        (8000, 2500),
        (6000, 2000),
        (5000, 1500),
        (3000, 1000),
        (2000, 800),
    ] {
        sim.queue(0, rx, tx);
    }
    assert!(sim.imbalance() >= 390);
    sim.step();
    sim.step();
    assert!(sim.imbalance() <= 120, "imbalance {}", sim.imbalance());
    // Groups stayed together.
    for pair in sim.lines.chunks(2) {
        assert_eq!(pair[0].cpu, pair[1].cpu);
    }
}

#[test]
fn a_steady_balanced_load_causes_no_moves() {
    let mut sim = Sim::new(4);
    for cpu in 0..4 {
        sim.queue(cpu, 4000 + cpu as u64 * 100, 1000);
    }
    for _ in 0..100 {
        let (plan, _) = sim.step();
        assert_eq!(plan.moves, 0);
    }
}

#[test]
fn hysteresis_between_the_watermarks() {
    // 115 % of the mean: above the low watermark, below the high one, so nothing starts.
    let mut sim = Sim::new(2);
    sim.background = vec![11_500, 8_500];
    sim.queue(0, 1000, 0);
    assert_eq!(sim.step().0.moves, 0);
}

#[test]
fn no_moves_under_the_noise_floor() {
    let mut sim = Sim::new(4);
    sim.queue(0, 50, 10);
    sim.queue(0, 50, 10);
    let (plan, _) = sim.step();
    assert_eq!(plan.moves, 0);
    assert!(plan.imbalance_pct > 300);
}

#[test]
fn moves_per_interval_are_capped_and_never_split_a_group() {
    let mut sim = Sim::new(8);
    sim.config.max_moves = 3;
    for _ in 0..8 {
        sim.queue(0, 1000, 500);
    }
    let (plan, moves) = sim.step();
    assert_eq!(plan.moves, 2);
    assert_eq!(moves[0].to, moves[1].to);
    for pair in sim.lines.chunks(2) {
        assert_eq!(pair[0].cpu, pair[1].cpu);
    }
}

#[test]
fn a_moved_line_dwells() {
    let mut sim = Sim::new(2);
    sim.config.min_dwell = 5000;
    sim.line(0, 6000);
    sim.line(0, 4000);
    let (_, moves) = sim.step();
    assert_eq!(moves.len(), 1);
    let moved = moves[0].line;
    // The moved line's rate jumps: its new CPU is now the busy one, but it must stay.
    sim.lines[moved].rate = 20_000;
    for _ in 0..4 {
        let (_, moves) = sim.step();
        assert!(moves
            .iter()
            .all(|m| m.line != moved || m.reason == Reason::Rollback));
    }
}

#[test]
fn a_banned_cpu_is_never_chosen() {
    let mut sim = Sim::new(4);
    for _ in 0..6 {
        sim.queue(0, 3000, 1000);
    }
    let mut allowed = CpuBits::first(4);
    allowed.remove(2);
    for line in &mut sim.lines {
        line.allowed = allowed;
    }
    for _ in 0..10 {
        sim.step();
    }
    assert!(sim.lines.iter().all(|line| line.cpu != 2));
    assert!(sim.lines.iter().any(|line| line.cpu == 3));
}

#[test]
fn a_move_that_made_things_worse_is_undone() {
    // CPUs 0-2 carry 10,000/s of other interrupts; two lines on CPU 0 go to idle CPU 3.
    let mut sim = Sim::new(4);
    sim.config.min_dwell = 0;
    sim.background = vec![10_000, 10_000, 10_000, 0];
    sim.line(0, 8_000);
    sim.line(0, 2_000);
    let (plan, moves) = sim.step();
    assert_eq!(plan.imbalance_pct, 200);
    assert_eq!(plan.expected_pct, 100);
    assert_eq!(moves.len(), 2);
    assert!(moves.iter().all(|m| m.to == 3));
    // On CPU 3 they interrupt four times as often (say, coalescing lost): worse than before.
    for m in &moves {
        sim.lines[m.line].rate *= 4;
    }
    sim.config.min_dwell = 1000;
    let (plan, undo) = sim.step();
    assert!(plan.imbalance_pct > 220);
    assert_eq!(undo.len(), 2);
    assert!(undo.iter().all(|m| m.reason == Reason::Rollback));
    for (m, u) in moves.iter().rev().zip(&undo) {
        assert_eq!((u.line, u.from, u.to), (m.line, m.to, m.from));
    }
    assert!(sim.lines.iter().all(|line| line.cpu == 0));
    // Held: with a dwell of 1 s, not tried again for 8 s though CPU 0 is now the busy one.
    for _ in 0..7 {
        assert_eq!(sim.step().0.moves, 0);
    }
    assert!(sim.step().0.moves > 0);
}

#[test]
fn a_group_too_big_to_help_stays() {
    // One queue carries everything: moving it only moves the hot spot.
    let mut sim = Sim::new(2);
    sim.queue(0, 10_000, 5_000);
    let (plan, _) = sim.step();
    assert_eq!(plan.moves, 0);
    assert_eq!(plan.expected_pct, plan.imbalance_pct);
}

#[test]
fn background_load_is_balanced_around() {
    // CPU 0 is busy with lines we do not manage; our queues go elsewhere.
    let mut sim = Sim::new(3);
    sim.background = vec![20_000, 0, 0];
    sim.queue(0, 5_000, 0);
    sim.queue(0, 5_000, 0);
    sim.step();
    assert!(sim.lines.iter().all(|line| line.cpu != 0));
}

#[test]
fn lines_leave_a_cpu_that_becomes_banned_whatever_the_load() {
    let mut sim = Sim::new(4);
    // Balanced, and under the noise floor: nothing would move for load.
    for cpu in 0..4 {
        sim.queue(cpu, 10, 10);
    }
    sim.step();
    let mut allowed = CpuBits::first(4);
    allowed.remove(1);
    for line in &mut sim.lines {
        line.allowed = allowed;
    }
    let (plan, moves) = sim.step();
    assert_eq!(plan.moves, 2, "{moves:?}");
    assert!(moves
        .iter()
        .all(|m| m.reason == Reason::Evacuate && m.from == 1 && m.to != 1));
    // The group stays together.
    assert_eq!(moves[0].to, moves[1].to);
    assert!(sim.lines.iter().all(|line| line.cpu != 1));
    // A held line (no allowed CPU: pinned or managed) is not the balancer's to move.
    let mut sim = Sim::new(2);
    sim.queue(1, 10, 10);
    for line in &mut sim.lines {
        line.allowed = CpuBits::EMPTY;
    }
    let (plan, _) = sim.step();
    assert_eq!(plan.moves, 0);
}

#[test]
fn lines_of_next_to_no_rate_do_not_move_against_background() {
    // CPU 0 is busy with lines the balancer does not manage; its managed lines are idle.
    let mut sim = Sim::new(2);
    sim.background = vec![5000, 0];
    sim.queue(0, 1, 1);
    sim.queue(0, 2, 0);
    let (plan, moves) = sim.step();
    assert_eq!(plan.moves, 0, "{moves:?}");
    // Once they carry load, they do move.
    for line in &mut sim.lines {
        line.rate = 2000;
    }
    sim.now += 10_000;
    let (plan, _) = sim.step();
    assert!(plan.moves > 0);
}

/// Four equal queues, one per CPU, and a burst of other interrupts on CPU 0 for one interval;
/// returns the moves it caused.
fn burst_moves(smoothed: bool) -> usize {
    let mut sim = Sim::new(4);
    if smoothed {
        sim.smoothed = Some(Vec::new());
    }
    for cpu in 0..4 {
        sim.queue(cpu, 1000, 200);
    }
    let mut moves = 0;
    for step in 0..10 {
        sim.background[0] = if step == 5 { 1500 } else { 0 };
        moves += sim.step().1.len();
    }
    moves
}

#[test]
fn a_burst_of_other_interrupts_moves_nothing_once_smoothed() {
    // The same loads without smoothing move a queue off CPU 0: the test can fail.
    assert!(burst_moves(false) > 0);
    assert_eq!(burst_moves(true), 0);
}

#[test]
fn smoothed_loads_still_spread_everything_on_cpu0_at_once() {
    let mut sim = Sim::new(4);
    sim.smoothed = Some(Vec::new());
    for _ in 0..4 {
        sim.queue(0, 1000, 200);
    }
    let (plan, moves) = sim.step();
    assert_eq!(plan.imbalance_pct, 400);
    assert_eq!(moves.len(), 6);
    assert!(sim.imbalance() <= 120);
    // From the expected loads, the next intervals see a balanced machine and stay put.
    for _ in 0..20 {
        assert!(sim.step().1.is_empty());
    }
}

/// Where each group is: the CPU of its first line, in group order.
fn group_cpus(sim: &Sim) -> Vec<usize> {
    let mut groups: Vec<(u32, usize)> = Vec::new();
    for line in &sim.lines {
        if !groups.iter().any(|(g, _)| *g == line.group) {
            groups.push((line.group, line.cpu));
        }
    }
    groups.into_iter().map(|(_, cpu)| cpu).collect()
}

#[test]
fn a_saturated_cpu_sheds_a_group_though_rates_are_even() {
    // Even rates, but CPU 0 spends 95 % of its time in interrupts (costly interrupts, say).
    let mut sim = Sim::new(2);
    sim.queue(0, 1_000, 1_000);
    sim.queue(0, 500, 500);
    sim.queue(1, 1_000, 1_000);
    sim.queue(1, 500, 500);
    sim.usage = vec![95, 20];
    let (plan, moves) = sim.step();
    assert_eq!(plan.imbalance_pct, 100);
    // It keeps its heaviest queue and sheds the other, both lines of it.
    assert_eq!(moves.len(), 2);
    assert!(moves.iter().all(|m| m.reason == Reason::Saturation));
    assert!(moves.iter().all(|m| (m.from, m.to) == (0, 1)));
    assert_eq!(group_cpus(&sim), vec![0, 1, 1, 1]);
    // The rates are now uneven, but a saturated CPU takes nothing back while it stays so.
    for _ in 0..30 {
        assert_eq!(sim.step().0.moves, 0);
    }
    // Once it is not, the rates are evened out again.
    sim.usage = vec![40, 40];
    let moved: usize = (0..30).map(|_| sim.step().0.moves).sum();
    assert!(moved > 0);
    assert!(sim.imbalance() <= 120);
}

#[test]
fn a_saturated_cpu_keeps_its_only_queue() {
    // Moving its one queue would only move the saturation.
    let mut sim = Sim::new(2);
    sim.background = vec![0, 2_000];
    sim.queue(0, 1_000, 1_000);
    sim.usage = vec![95, 10];
    for _ in 0..5 {
        assert_eq!(sim.step().0.moves, 0);
    }
}

#[test]
fn a_cpu_saturated_by_other_interrupts_sheds_its_queue() {
    // CPU 0's other interrupts (a disk, say) weigh more than the queue: the queue leaves.
    let mut sim = Sim::new(2);
    sim.background = vec![5_000, 5_000];
    sim.queue(0, 500, 500);
    sim.queue(1, 500, 500);
    sim.usage = vec![95, 30];
    let (plan, moves) = sim.step();
    assert_eq!(plan.imbalance_pct, 100);
    assert_eq!(moves.len(), 2);
    assert!(moves
        .iter()
        .all(|m| m.reason == Reason::Saturation && m.to == 1));
}

#[test]
fn no_group_goes_to_a_cpu_under_or_near_saturation() {
    // Everything on CPU 0; CPU 1 is saturated and CPU 2 within a tenth of the threshold.
    let mut sim = Sim::new(4);
    for _ in 0..4 {
        sim.queue(0, 1_000, 1_000);
    }
    sim.usage = vec![50, 95, 85, 10];
    for _ in 0..10 {
        sim.step();
    }
    let cpus = group_cpus(&sim);
    assert!(cpus.iter().all(|&cpu| cpu == 0 || cpu == 3), "{cpus:?}");
    assert_eq!(cpus.iter().filter(|&&cpu| cpu == 3).count(), 2);
}

#[test]
fn nothing_moves_when_every_cpu_is_saturated() {
    let mut sim = Sim::new(2);
    sim.queue(0, 1_000, 1_000);
    sim.queue(0, 1_000, 1_000);
    sim.queue(1, 1_000, 1_000);
    sim.usage = vec![95, 92];
    for _ in 0..5 {
        assert_eq!(sim.step().0.moves, 0);
    }
}

#[test]
fn a_backed_up_queue_keeps_its_cpu_and_the_others_leave() {
    // Queue 0 interrupts rarely but gets 40 packets per interrupt: NAPI polls it, and its
    // packets wait. The rates are even, so rates alone would move nothing.
    let mut sim = Sim::new(2);
    sim.queue(0, 200, 0);
    sim.queue(0, 1_000, 0);
    sim.queue(1, 1_200, 0);
    sim.lines[0].batch_pct = 4_000;
    let (plan, moves) = sim.step();
    assert_eq!(plan.imbalance_pct, 100);
    assert_eq!(moves.len(), 2);
    assert!(moves
        .iter()
        .all(|m| m.reason == Reason::Backlog && (m.from, m.to) == (0, 1)));
    assert_eq!(group_cpus(&sim), vec![0, 1, 1]);
    // CPU 0 is now the least loaded by far, but takes nothing while its queue is backed up.
    for _ in 0..30 {
        assert_eq!(sim.step().0.moves, 0);
    }
    // Below the limit, the queue is one like the others again.
    sim.lines[0].batch_pct = 3_100;
    let moved: usize = (0..30).map(|_| sim.step().0.moves).sum();
    assert!(moved > 0);
}

#[test]
fn pressure_thresholds_at_zero_are_off() {
    let mut sim = Sim::new(2);
    sim.config.usage_pct = 0;
    sim.config.batch_limit = 0;
    sim.queue(0, 200, 0);
    sim.queue(0, 1_000, 0);
    sim.queue(1, 1_200, 0);
    sim.lines[0].batch_pct = 6_400;
    sim.usage = vec![100, 100];
    for _ in 0..5 {
        assert_eq!(sim.step().0.moves, 0);
    }
}

#[test]
fn a_rollback_undoes_balancing_moves_only() {
    // A shed for saturation in one interval is not undone when the rates grow uneven after it.
    let mut sim = Sim::new(2);
    sim.config.min_dwell = 0;
    sim.queue(0, 1_000, 1_000);
    sim.queue(0, 500, 500);
    sim.queue(1, 1_000, 1_000);
    sim.usage = vec![95, 10];
    let (_, moves) = sim.step();
    assert!(moves.iter().all(|m| m.reason == Reason::Saturation));
    sim.usage = vec![95, 40];
    let (_, next) = sim.step();
    assert!(
        next.iter().all(|m| m.reason != Reason::Rollback),
        "{next:?}"
    );
}

#[test]
fn random_machines_keep_the_rules() {
    // Random CPUs, lines, rates, background, usage, batches and tunables: whatever the input,
    // the plan stays within the cap, moves a line only to a CPU it allows and only if it may
    // move, and sends nothing to a CPU near saturation unless it evacuates or rolls back.
    let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2000 {
        let cpus = 1 + rng.u64(..8) as usize;
        let mut sim = Sim::new(cpus);
        sim.config.min_dwell = rng.u64(..3) * 1000;
        sim.config.max_moves = 1 + rng.u64(..8) as u32;
        sim.config.usage_pct = [0, 1, 50, 90, 100][rng.u64(..5) as usize];
        sim.config.batch_limit = [0, 1, 32][rng.u64(..3) as usize];
        sim.config.min_rate = rng.u64(..200);
        for cpu in 0..cpus {
            sim.background[cpu] = rng.u64(..4) * rng.u64(..5_000);
        }
        for _ in 0..rng.u64(..12) {
            let cpu = rng.u64(..cpus as u64) as usize;
            if rng.u64(..3) == 0 {
                sim.line(cpu, rng.u64(..20_000));
            } else {
                sim.queue(cpu, rng.u64(..20_000), rng.u64(..20_000));
            }
        }
        for line in sim.lines.iter_mut() {
            line.batch_pct = rng.u64(..6_400);
            if rng.u64(..8) == 0 {
                line.allowed = CpuBits::EMPTY; // held: managed or pinned
            } else if rng.u64(..4) == 0 {
                line.allowed.remove(rng.u64(..cpus as u64) as usize);
            }
        }
        for _ in 0..10 {
            sim.usage = (0..cpus).map(|_| rng.u64(..101) as u32).collect();
            let before = sim.lines.clone();
            let (plan, moves) = sim.step();
            assert_eq!(plan.moves, moves.len());
            assert!(
                moves.len() <= sim.config.max_moves as usize
                    || moves.iter().all(|m| m.reason == Reason::Rollback)
            );
            for m in &moves {
                let was = &before[m.line];
                assert_eq!(was.cpu, m.from, "{m:?}");
                assert_ne!(m.from, m.to, "{m:?}");
                assert_eq!(sim.lines[m.line].cpu, m.to);
                if m.reason == Reason::Rollback {
                    continue;
                }
                assert!(
                    !was.allowed.is_empty() && was.allowed.contains(m.to),
                    "{m:?}"
                );
                if m.reason == Reason::Evacuate {
                    continue;
                }
                assert!(was.held_until <= sim.now, "{m:?}");
                let near = sim.config.usage_pct - sim.config.usage_pct / 10;
                assert!(sim.config.usage_pct == 0 || sim.usage[m.to] < near, "{m:?}");
            }
        }
    }
}

/// The rollback test's first interval: two lines on CPU 0 go to idle CPU 3, where they then
/// interrupt four times as often, so that the next interval would undo both moves.
fn moved_and_worse() -> (Sim, Vec<Move>) {
    let mut sim = Sim::new(4);
    sim.config.min_dwell = 0;
    sim.background = vec![10_000, 10_000, 10_000, 0];
    sim.line(0, 8_000);
    sim.line(0, 2_000);
    let (_, moves) = sim.step();
    assert_eq!(moves.len(), 2);
    for m in &moves {
        sim.lines[m.line].rate *= 4;
    }
    (sim, moves)
}

#[test]
fn no_rollback_of_a_line_held_since() {
    // As in the rollback test, but by the time the rollback comes one moved line may no longer
    // go back to CPU 0: it is held (a user pinned it, or banned it), or CPU 0 was banned for it.
    // Only the other line goes back.
    let mut off_0 = CpuBits::first(4);
    off_0.remove(0);
    for now_allowed in [CpuBits::EMPTY, off_0] {
        let (mut sim, moves) = moved_and_worse();
        let (stays, goes) = (moves[0].line, moves[1].line);
        sim.lines[stays].allowed = now_allowed;
        let (plan, undo) = sim.step();
        assert!(plan.imbalance_pct > 220);
        assert!(undo.iter().all(|m| m.line != stays), "{undo:?}");
        assert!(
            undo.iter()
                .any(|m| m.line == goes && m.reason == Reason::Rollback),
            "{undo:?}"
        );
        assert_eq!(sim.lines[stays].cpu, 3);
    }
}

#[test]
fn no_rollback_to_a_cpu_under_pressure() {
    // As in the rollback test, but CPU 0 is saturated by the time the rollback would come.
    let (mut sim, _) = moved_and_worse();
    sim.usage = vec![95, 10, 10, 10];
    let (_, undo) = sim.step();
    assert!(
        undo.iter().all(|m| m.reason != Reason::Rollback),
        "{undo:?}"
    );
    assert!(sim.lines.iter().all(|line| line.cpu != 0));
}
