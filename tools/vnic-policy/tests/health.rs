// SPDX-License-Identifier: GPL-2.0

//! Tests of member health judged from transmit counters.

use vnic_policy::health::{TxSample, TxWatch, MIN_ERRORS, WINDOW};
use vnic_policy::policy::Health;

fn at(packets: u64, errors: u64, timeouts: u64) -> TxSample {
    TxSample {
        packets,
        errors,
        timeouts,
    }
}

#[test]
fn history_before_watching_is_not_judged() {
    let mut w = TxWatch::new(at(1000, 500, 3));
    assert_eq!(w.sample(at(1100, 500, 3)), None);
}

#[test]
fn a_watchdog_timeout_fails_the_member() {
    let mut w = TxWatch::new(at(0, 0, 0));
    assert_eq!(w.sample(at(100, 0, 1)), Some(Health::TxTimeout));
    // Judged per interval: no new timeout, no verdict.
    assert_eq!(w.sample(at(200, 0, 1)), None);
}

#[test]
fn mostly_failing_transmissions_fail_the_member() {
    let mut w = TxWatch::new(at(0, 0, 0));
    assert_eq!(w.sample(at(5, MIN_ERRORS, 0)), Some(Health::TxErrors));
    // Exactly half of the attempts failed.
    let mut w = TxWatch::new(at(0, 0, 0));
    assert_eq!(w.sample(at(20, 20, 0)), Some(Health::TxErrors));
}

#[test]
fn a_slow_flow_that_fails_entirely_is_caught_within_the_window() {
    let mut w = TxWatch::new(at(0, 0, 0));
    // Two failures per interval: the window holds enough after four intervals.
    let verdicts: Vec<_> = (1..=4).map(|i| w.sample(at(0, 2 * i, 0))).collect();
    assert_eq!(verdicts, [None, None, None, Some(Health::TxErrors)]);
    // The verdict started the window over.
    assert_eq!(w.sample(at(0, 10, 0)), None);
}

#[test]
fn failures_older_than_the_window_are_forgotten() {
    let mut w = TxWatch::new(at(0, 0, 0));
    let mut errors = 0;
    // One failure every other interval: fewer than the minimum within any window, however
    // many there were before it.
    assert!(WINDOW / 2 < MIN_ERRORS as usize);
    for i in 0..(10 * WINDOW) {
        errors += (i % 2) as u64;
        assert_eq!(w.sample(at(0, errors, 0)), None, "interval {i}");
    }
}

#[test]
fn a_few_drops_under_load_are_normal() {
    let mut w = TxWatch::new(at(0, 0, 0));
    // Below the minimum, even if nothing got through.
    assert_eq!(w.sample(at(0, MIN_ERRORS - 1, 0)), None);
    // Many drops, but far fewer than what was sent.
    assert_eq!(w.sample(at(10_000, MIN_ERRORS + 100, 0)), None);
}

#[test]
fn counters_going_backwards_count_as_no_change() {
    let mut w = TxWatch::new(at(1000, 900, 5));
    assert_eq!(w.sample(at(10, 0, 0)), None);
    // And the next interval is judged from the new values.
    assert_eq!(w.sample(at(10, MIN_ERRORS, 0)), Some(Health::TxErrors));
}
