// SPDX-License-Identifier: GPL-2.0

//! Tests of the member-selection rules (vnic_failover/policy.rs).

use vnic_policy::policy::{
    Config, Error, Failback, Health, Millis, Reason, Selector, Switch, MAX_DAMPING_SHIFT,
    MAX_MEMBERS,
};

const A: u32 = 10;
const B: u32 = 11;
const C: u32 = 12;

fn config(failback: Failback) -> Config {
    Config {
        failback,
        up_delay: 200,
        hold_down: 1000,
        flap_window: 10_000,
    }
}

/// A pool with A (priority 2) and B (priority 1), both up at t=0, A active.
fn pool(failback: Failback) -> Selector {
    let mut s = Selector::new(config(failback));
    s.add(A, 2, 1000, true, 0).unwrap();
    s.add(B, 1, 1000, true, 0).unwrap();
    assert_eq!(s.active(), Some(A));
    s
}

fn switch(from: Option<u32>, to: Option<u32>, reason: Reason) -> Option<Switch> {
    Some(Switch { from, to, reason })
}

#[test]
fn first_member_is_activated_at_once() {
    let mut s = Selector::new(Config::default());
    assert_eq!(
        s.add(A, 1, 0, true, 0),
        Ok(switch(None, Some(A), Reason::Activated))
    );
    assert_eq!(s.switches(), 0);
}

#[test]
fn a_member_without_link_is_not_activated() {
    let mut s = Selector::new(Config::default());
    assert_eq!(s.add(A, 1, 0, false, 0), Ok(None));
    assert_eq!(s.active(), None);
    assert_eq!(
        s.set_link(A, true, 5),
        Ok(switch(None, Some(A), Reason::Activated))
    );
}

#[test]
fn the_highest_priority_member_wins_then_quality_then_join_order() {
    let mut s = Selector::new(Config::default());
    s.add(A, 1, 100, false, 0).unwrap();
    s.add(B, 1, 200, false, 0).unwrap();
    s.add(C, 1, 200, false, 0).unwrap();
    s.set_link(C, true, 0).unwrap();
    s.set_link(B, true, 0).unwrap();
    s.set_link(A, true, 0).unwrap();
    // C came up first and was activated alone; at t=1000 all are eligible, none has a higher
    // priority than C, so C keeps traffic. When C fails, B (quality 200, joined before C) wins.
    assert_eq!(s.tick(1000), None);
    assert_eq!(s.active(), Some(C));
    assert_eq!(
        s.set_link(C, false, 1001),
        Ok(switch(Some(C), Some(B), Reason::LinkDown))
    );
}

#[test]
fn link_loss_switches_to_the_backup_at_once() {
    let mut s = pool(Failback::Always);
    assert_eq!(
        s.set_link(A, false, 5000),
        Ok(switch(Some(A), Some(B), Reason::LinkDown))
    );
    assert_eq!(s.switches(), 1);
}

#[test]
fn a_failure_switch_ignores_the_hold_down() {
    let mut s = pool(Failback::Always);
    s.set_link(A, false, 5000).unwrap();
    // B failing 1 ms after the last switch must still move traffic (to A, up again).
    s.set_link(A, true, 5000).unwrap();
    let sw = s.set_health(B, Some(Health::TxTimeout), 5001).unwrap();
    assert_eq!(
        sw,
        switch(Some(B), Some(A), Reason::Failed(Health::TxTimeout))
    );
}

#[test]
fn removal_of_the_active_member_switches() {
    let mut s = pool(Failback::Always);
    assert_eq!(
        s.remove(A, 10),
        Ok(switch(Some(A), Some(B), Reason::Removed))
    );
    assert_eq!(s.remove(A, 11), Err(Error::NotFound));
}

#[test]
fn health_failures_switch_and_recovery_serves_the_up_delay() {
    let mut s = pool(Failback::Always);
    for health in [
        Health::TxTimeout,
        Health::TxErrors,
        Health::ProbeFailed,
        Health::Admin,
    ] {
        let now = s.switches() * 10_000 + 10_000;
        let sw = s.set_health(A, Some(health), now).unwrap();
        assert_eq!(sw, switch(Some(A), Some(B), Reason::Failed(health)));
        // Healthy again: not before the up-delay and the hold-down have passed.
        assert_eq!(s.set_health(A, None, now + 10), Ok(None));
        assert_eq!(s.tick(now + 209), None);
        assert_eq!(s.tick(now + 999), None);
        assert_eq!(
            s.tick(now + 1000),
            switch(Some(B), Some(A), Reason::Failback)
        );
    }
}

#[test]
fn repeated_health_failures_damp_the_retry_but_admin_marks_do_not() {
    let mut s = pool(Failback::Always);
    let mut now: Millis = 100_000;
    for flap in 1..=3u32 {
        s.set_health(A, Some(Health::TxErrors), now).unwrap();
        s.set_health(A, None, now + 10).unwrap();
        let delay = 200 << (flap - 1);
        assert_eq!(s.member(A, now + 10).unwrap().flaps, flap);
        // Eligible after the damped up-delay, but not before the hold-down after the
        // switch away has passed.
        assert_eq!(
            s.next_deadline(now + 10),
            Some((now + 10 + delay).max(now + 1000))
        );
        now += 2000;
        s.tick(now);
    }
    let flaps = s.member(A, now).unwrap().flaps;
    s.set_health(A, Some(Health::Admin), now).unwrap();
    assert_eq!(s.member(A, now).unwrap().flaps, flaps);
}

#[test]
fn a_sick_member_without_a_replacement_stays_active_until_one_comes() {
    let mut s = pool(Failback::Always);
    s.set_link(B, false, 100).unwrap();
    // B is down: A, failing its health checks, is still better than nothing.
    assert_eq!(s.set_health(A, Some(Health::TxErrors), 200), Ok(None));
    assert_eq!(s.active(), Some(A));
    // B comes back and takes over at once, for A's failure.
    assert_eq!(
        s.set_link(B, true, 300),
        Ok(switch(Some(A), Some(B), Reason::Failed(Health::TxErrors)))
    );
    // An administrator's failure empties the vNIC even without a replacement.
    let mut s = pool(Failback::Always);
    s.set_link(B, false, 100).unwrap();
    assert_eq!(
        s.set_health(A, Some(Health::Admin), 200),
        Ok(switch(Some(A), None, Reason::Failed(Health::Admin)))
    );
}

#[test]
fn losing_every_member_then_one_returning() {
    let mut s = pool(Failback::Always);
    s.set_link(A, false, 100).unwrap();
    assert_eq!(
        s.set_link(B, false, 101),
        Ok(switch(Some(B), None, Reason::LinkDown))
    );
    // With nothing active, a returning member is taken without waiting for its up-delay.
    assert_eq!(
        s.set_link(B, true, 102),
        Ok(switch(None, Some(B), Reason::Activated))
    );
    assert_eq!(s.switches(), 1);
}

#[test]
fn failback_always_returns_after_up_delay_and_hold_down() {
    let mut s = pool(Failback::Always);
    s.set_link(A, false, 5000).unwrap();
    s.set_link(A, true, 5100).unwrap();
    assert_eq!(s.next_deadline(5100), Some(6000)); // hold-down ends after the up-delay
    assert_eq!(s.tick(5999), None);
    assert_eq!(s.tick(6000), switch(Some(B), Some(A), Reason::Failback));
}

#[test]
fn failback_better_refuses_a_slower_primary() {
    let mut s = pool(Failback::Better);
    s.set_link(A, false, 5000).unwrap();
    s.set_rank(A, 2, 100, 5001).unwrap(); // came back at a lower speed
    s.set_link(A, true, 5002).unwrap();
    assert_eq!(s.tick(20_000), None);
    assert_eq!(s.active(), Some(B));
    let sw = s.set_rank(A, 2, 1000, 20_001);
    assert_eq!(sw, Ok(switch(Some(B), Some(A), Reason::Failback)));
}

#[test]
fn failback_never_keeps_the_backup() {
    let mut s = pool(Failback::Never);
    s.set_link(A, false, 5000).unwrap();
    s.set_link(A, true, 5001).unwrap();
    assert_eq!(s.tick(1_000_000), None);
    assert_eq!(s.active(), Some(B));
    // Until the backup itself fails.
    assert_eq!(
        s.set_link(B, false, 1_000_001),
        Ok(switch(Some(B), Some(A), Reason::LinkDown))
    );
}

#[test]
fn equal_priority_never_fails_back() {
    let mut s = Selector::new(config(Failback::Always));
    s.add(A, 1, 1000, true, 0).unwrap();
    s.add(B, 1, 9999, true, 0).unwrap();
    assert_eq!(s.active(), Some(A));
    assert_eq!(s.tick(100_000), None);
}

#[test]
fn a_new_better_member_takes_over_only_after_its_up_delay() {
    let mut s = pool(Failback::Always);
    s.add(C, 9, 1000, true, 5000).unwrap();
    assert_eq!(s.tick(5199), None);
    assert_eq!(s.tick(5200), switch(Some(A), Some(C), Reason::Failback));
}

#[test]
fn flaps_double_the_up_delay_up_to_the_cap() {
    let mut s = pool(Failback::Always);
    let mut now: Millis = 100_000;
    s.set_link(A, false, now).unwrap();
    for flap in 1..=10u32 {
        now += 10;
        s.set_link(A, true, now).unwrap();
        let delay = 200 << (flap - 1).min(MAX_DAMPING_SHIFT);
        assert_eq!(
            s.next_deadline(now),
            Some((now + delay).max(100_000 + 1000)),
            "flap {flap}"
        );
        now += 10;
        s.set_link(A, false, now).unwrap();
    }
    // Outside the flap window the damping starts over.
    now += 20_000;
    s.set_link(A, true, now).unwrap();
    s.set_link(A, false, now + 1).unwrap();
    s.set_link(A, true, now + 2).unwrap();
    assert_eq!(s.next_deadline(now + 2), Some(now + 2 + 200));
}

/// Runs a flapping primary against a steady backup and returns the number of switches.
fn flap(failback: Failback, flaps: u32, up: Millis, down: Millis) -> (u64, Millis) {
    let mut s = pool(failback);
    let mut now: Millis = 10_000;
    for _ in 0..flaps {
        s.set_link(A, false, now).unwrap();
        for t in (now..now + down).step_by(10) {
            s.tick(t);
        }
        now += down;
        s.set_link(A, true, now).unwrap();
        for t in (now..now + up).step_by(10) {
            s.tick(t);
        }
        now += up;
    }
    (s.switches(), now - 10_000)
}

#[test]
fn a_member_flapping_100_times_cannot_make_the_vnic_thrash() {
    let cfg = config(Failback::Always);
    for (up, down) in [
        (5, 5),
        (50, 50),
        (150, 50),
        (300, 100),
        (1500, 500),
        (5000, 100),
    ] {
        let (switches, duration) = flap(Failback::Always, 100, up, down);
        // Each failback needs a hold-down since the previous switch, and each failure switch
        // away from A needs a failback to A first: at most two switches per hold-down period.
        let bound = 2 * (duration / cfg.hold_down + 1);
        assert!(
            switches <= bound,
            "up {up} down {down}: {switches} switches > {bound}"
        );
        // A primary that never stays up for its (damped) up-delay never gets traffic back:
        // only the first failure moves traffic.
        if up < cfg.up_delay {
            assert_eq!(switches, 1, "up {up} down {down}");
        }
    }
    // With damping, a primary up 300 ms out of every 400 earns only a few failbacks before its
    // up-delay outgrows its up time (200, 400 ms: at most 2 failbacks, so at most 5 switches).
    let (switches, _) = flap(Failback::Always, 100, 300, 100);
    assert!(switches <= 5, "{switches} switches");
    // Never: one switch, whatever the flapping.
    assert_eq!(flap(Failback::Never, 100, 1500, 500).0, 1);
}

#[test]
fn the_pool_is_bounded() {
    let mut s = Selector::new(Config::default());
    for id in 0..MAX_MEMBERS as u32 {
        s.add(id, 1, 0, false, 0).unwrap();
    }
    assert_eq!(s.add(999, 1, 0, false, 0), Err(Error::Full));
    assert_eq!(s.add(0, 1, 0, false, 0), Err(Error::Exists));
    assert_eq!(s.len(), MAX_MEMBERS);
}

#[test]
fn unknown_members_are_refused() {
    let mut s = pool(Failback::Always);
    assert_eq!(s.set_link(99, true, 0), Err(Error::NotFound));
    assert_eq!(s.set_health(99, None, 0), Err(Error::NotFound));
    assert_eq!(s.set_rank(99, 1, 1, 0), Err(Error::NotFound));
}

#[test]
fn times_near_the_end_of_the_clock_do_not_overflow() {
    let mut s = Selector::new(Config {
        up_delay: Millis::MAX,
        hold_down: Millis::MAX,
        ..Config::default()
    });
    s.add(A, 1, 0, true, Millis::MAX - 1).unwrap();
    s.add(B, 2, 0, true, Millis::MAX - 1).unwrap();
    assert_eq!(s.tick(Millis::MAX), None);
    assert_eq!(s.active(), Some(A));
}

#[test]
fn random_event_sequences_keep_the_invariants() {
    const IDS: [u32; 5] = [1, 2, 3, 4, 5];
    for seed in 1..=200u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let failback = [Failback::Always, Failback::Better, Failback::Never][(seed % 3) as usize];
        let cfg = Config {
            failback,
            up_delay: rng.u64(..500),
            hold_down: rng.u64(..3000),
            flap_window: rng.u64(..20_000),
        };
        let mut s = Selector::new(cfg);
        // What the test knows of each member: in the pool, link, failed.
        let mut known = [(false, false, false); 5];
        let mut now: Millis = 0;
        let mut last_switch: Option<Millis> = None;
        for step in 0..2000 {
            now += rng.u64(..300);
            let i = rng.u64(..IDS.len() as u64) as usize;
            let id = IDS[i];
            let result = match rng.u64(..6) {
                0 if !known[i].0 => {
                    let up = rng.u64(..2) == 0;
                    known[i] = (true, up, false);
                    s.add(id, rng.u64(..4) as u32, rng.u64(..3) as u32, up, now)
                }
                1 if known[i].0 => {
                    known[i].0 = false;
                    s.remove(id, now)
                }
                2 | 3 if known[i].0 => {
                    known[i].1 = rng.u64(..2) == 0;
                    s.set_link(id, known[i].1, now)
                }
                4 if known[i].0 => {
                    known[i].2 = rng.u64(..2) == 0;
                    s.set_health(id, known[i].2.then_some(Health::TxErrors), now)
                }
                _ => Ok(s.tick(now)),
            };
            let ctx = format!("seed {seed} step {step}");
            let switch = result.unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
            let usable = |id: u32| {
                let k = known[IDS.iter().position(|&x| x == id).unwrap()];
                k.0 && k.1 && !k.2
            };
            if let Some(sw) = switch {
                if let Some(to) = sw.to {
                    assert!(usable(to), "{ctx}: switched to unusable {to}");
                }
                if sw.reason == Reason::Failback {
                    let held = last_switch.is_some_and(|t| now < t.saturating_add(cfg.hold_down));
                    assert!(!held, "{ctx}: failback within the hold-down");
                    assert_ne!(cfg.failback, Failback::Never, "{ctx}: failback under Never");
                }
                last_switch = Some(now);
            }
            if let Some(active) = s.active() {
                let mut failed = s.clone();
                let to = failed
                    .set_link(active, false, now)
                    .ok()
                    .flatten()
                    .and_then(|sw| sw.to);
                assert_eq!(
                    to,
                    s.standby(now),
                    "{ctx}: standby differs from the failover"
                );
            }
            let any_usable = IDS.iter().any(|&id| usable(id));
            match s.active() {
                Some(a) => {
                    // Or degraded: its link is up, a health check failed it, and no other
                    // member could replace it.
                    let info = s.member(a, now).unwrap();
                    let degraded = info.link_up
                        && info.failed.is_some_and(|h| h != Health::Admin)
                        && !IDS.iter().any(|&id| id != a && usable(id));
                    assert!(usable(a) || degraded, "{ctx}: active {a} is not usable");
                }
                None => assert!(
                    !any_usable,
                    "{ctx}: no active member although one is usable"
                ),
            }
        }
    }
}

#[test]
fn member_info_reports_rank_link_health_flaps_and_eligibility() {
    let mut s = pool(Failback::Always);
    assert_eq!(s.member(C, 0), None);
    let a = s.member(A, 0).unwrap();
    assert_eq!(
        (a.priority, a.quality, a.link_up, a.failed),
        (2, 1000, true, None)
    );
    // Up since 0 with a 200 ms up-delay.
    assert!(!a.eligible);
    assert!(s.member(A, 200).unwrap().eligible);
    s.set_link(B, false, 300).unwrap();
    let b = s.member(B, 300).unwrap();
    assert_eq!((b.link_up, b.flaps, b.eligible), (false, 1, false));
    s.set_health(A, Some(Health::Admin), 400).unwrap();
    assert_eq!(s.member(A, 400).unwrap().failed, Some(Health::Admin));
    assert!(!s.member(A, 400).unwrap().eligible);
}

#[test]
fn next_deadline_is_when_a_pending_failback_becomes_possible() {
    let mut s = pool(Failback::Always);
    assert_eq!(
        s.set_link(A, false, 5000).unwrap(),
        switch(Some(A), Some(B), Reason::LinkDown)
    );
    // Nothing pending while A is down.
    assert_eq!(s.next_deadline(5000), None);
    s.set_link(A, true, 5100).unwrap();
    // A's up-delay ends at 5300, the hold-down at 6000: the later one decides.
    assert_eq!(s.next_deadline(5100), Some(6000));
    assert_eq!(s.tick(5999), None);
    assert_eq!(s.tick(6000), switch(Some(B), Some(A), Reason::Failback));
    assert_eq!(s.next_deadline(6000), None);
}
