// SPDX-License-Identifier: GPL-2.0

//! Tests of the statistics fold (vnic_failover/stats.rs).

use vnic_policy::policy::MAX_MEMBERS;
use vnic_policy::stats::{Counters, Error, Fold};

fn tx(packets: u64, bytes: u64) -> Counters {
    Counters {
        tx_packets: packets,
        tx_bytes: bytes,
        ..Counters::default()
    }
}

#[test]
fn traffic_from_before_joining_is_not_counted() {
    let mut f = Fold::new();
    f.join(1, tx(1000, 64_000)).unwrap();
    assert_eq!(f.totals(), Counters::default());
    f.update(1, tx(1010, 64_640)).unwrap();
    assert_eq!(f.totals(), tx(10, 640));
}

#[test]
fn members_add_up_and_leaving_keeps_the_contribution() {
    let mut f = Fold::new();
    f.join(1, tx(0, 0)).unwrap();
    f.join(2, tx(50, 50)).unwrap();
    f.update(1, tx(5, 500)).unwrap();
    f.update(2, tx(60, 150)).unwrap();
    assert_eq!(f.totals(), tx(15, 600));
    f.leave(1, tx(7, 700)).unwrap();
    assert_eq!(f.totals(), tx(17, 800));
    assert_eq!(f.update(1, tx(8, 800)), Err(Error::NotFound));
    assert_eq!(f.totals(), tx(17, 800));
}

#[test]
fn a_counter_reset_does_not_go_backwards() {
    let mut f = Fold::new();
    f.join(1, tx(100, 100)).unwrap();
    f.update(1, tx(150, 150)).unwrap();
    // The device was re-registered: its counters restart from zero.
    f.update(1, tx(3, 30)).unwrap();
    assert_eq!(f.totals(), tx(53, 80));
    f.update(1, tx(4, 40)).unwrap();
    assert_eq!(f.totals(), tx(54, 90));
}

#[test]
fn a_rejoining_member_counts_from_its_rejoin() {
    let mut f = Fold::new();
    f.join(1, tx(0, 0)).unwrap();
    f.leave(1, tx(10, 10)).unwrap();
    f.join(1, tx(500, 500)).unwrap();
    f.update(1, tx(501, 501)).unwrap();
    assert_eq!(f.totals(), tx(11, 11));
}

#[test]
fn totals_saturate_instead_of_wrapping() {
    let mut f = Fold::new();
    f.add_own(&tx(u64::MAX - 1, 0));
    f.join(1, tx(0, 0)).unwrap();
    f.update(1, tx(10, 0)).unwrap();
    assert_eq!(f.totals().tx_packets, u64::MAX);
}

#[test]
fn slots_are_bounded_and_unique() {
    let mut f = Fold::new();
    for id in 0..MAX_MEMBERS as u32 {
        f.join(id, Counters::default()).unwrap();
    }
    assert_eq!(f.join(99, Counters::default()), Err(Error::Full));
    assert_eq!(f.join(0, Counters::default()), Err(Error::Exists));
    f.leave(0, Counters::default()).unwrap();
    f.join(99, Counters::default()).unwrap();
}

/// 100 cycles of members joining, flowing, resetting and leaving in a seeded random order:
/// the totals never decrease and equal the forward traffic the members carried while joined.
#[test]
fn totals_never_go_backwards_across_churn() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rand = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut f = Fold::new();
    let mut counters = [0u64; 4]; // each member's own tx_packets counter
    let mut joined = [false; 4];
    let mut expected = 0u64;
    let mut last = Counters::default();
    for _ in 0..100 {
        for _ in 0..50 {
            let i = rand(4) as usize;
            let id = i as u32;
            match rand(5) {
                0 if !joined[i] => {
                    f.join(id, tx(counters[i], 0)).unwrap();
                    joined[i] = true;
                }
                1 if joined[i] => {
                    f.leave(id, tx(counters[i], 0)).unwrap();
                    joined[i] = false;
                }
                2 => {
                    // Reset (re-registration), seen by the fold only if it is joined.
                    counters[i] = 0;
                    if joined[i] {
                        f.update(id, tx(0, 0)).unwrap();
                    }
                }
                _ => {
                    let sent = rand(1000);
                    counters[i] += sent;
                    if joined[i] {
                        expected += sent;
                        f.update(id, tx(counters[i], 0)).unwrap();
                    }
                }
            }
            let now = f.totals();
            assert!(now.dominates(&last), "went backwards: {last:?} -> {now:?}");
            last = now;
        }
    }
    assert_eq!(f.totals().tx_packets, expected);
}
