// SPDX-License-Identifier: GPL-2.0

//! Tests of ARP probing: the codec of received ARP, what a packet proves, and the verdicts.

use vnic_policy::probe::{
    answered, count, next_in_turn, parse_ipv4, proof, reply_wait, target_valid, Arp, Config, Proof,
    Role, Seen, Verdict, ARP_LEN, ARP_REPLY, ARP_REQUEST, MAX_REPLY_WAIT,
};

const TARGET: [u8; 4] = [192, 0, 2, 2];
const OWN: [u8; 4] = [192, 0, 2, 1];
const CONFIG: Config = Config {
    interval: 100,
    missed_max: 2,
};

/// An Ethernet/IPv4 ARP packet as it is on the wire.
fn wire(op: u16, sender_ip: [u8; 4], target_ip: [u8; 4]) -> [u8; ARP_LEN] {
    let mut b = [0u8; ARP_LEN];
    b[0..2].copy_from_slice(&1u16.to_be_bytes());
    b[2..4].copy_from_slice(&0x0800u16.to_be_bytes());
    b[4] = 6;
    b[5] = 4;
    b[6..8].copy_from_slice(&op.to_be_bytes());
    b[8..14].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
    b[14..18].copy_from_slice(&sender_ip);
    b[18..24].copy_from_slice(&[2, 0, 0, 0, 0, 2]);
    b[24..28].copy_from_slice(&target_ip);
    b
}

#[test]
fn a_request_and_a_reply_parse() {
    let arp = Arp::parse(&wire(ARP_REPLY, TARGET, OWN)).expect("valid reply");
    assert_eq!(arp.op, ARP_REPLY);
    assert_eq!(arp.sender_ip, TARGET);
    assert_eq!(arp.target_ip, OWN);
    assert_eq!(arp.sender_mac, [2, 0, 0, 0, 0, 1]);
    assert_eq!(arp.target_mac, [2, 0, 0, 0, 0, 2]);
    // Trailing bytes (Ethernet padding) are ignored.
    let mut padded = [0u8; 46];
    padded[..ARP_LEN].copy_from_slice(&wire(ARP_REQUEST, OWN, TARGET));
    assert_eq!(Arp::parse(&padded).map(|a| a.op), Some(ARP_REQUEST));
}

#[test]
fn truncated_or_foreign_packets_are_refused() {
    let good = wire(ARP_REQUEST, OWN, TARGET);
    for len in 0..ARP_LEN {
        assert_eq!(Arp::parse(&good[..len]), None, "length {len}");
    }
    let mut b = good;
    b[1] = 6; // IEEE 802 hardware
    assert_eq!(Arp::parse(&b), None);
    let mut b = good;
    b[2..4].copy_from_slice(&0x86ddu16.to_be_bytes());
    assert_eq!(Arp::parse(&b), None);
    let mut b = good;
    b[4] = 8;
    assert_eq!(Arp::parse(&b), None);
    let mut b = good;
    b[5] = 16;
    assert_eq!(Arp::parse(&b), None);
    // RARP and InARP operations.
    for op in [0u16, 3, 4, 8, 9, 0xffff] {
        assert_eq!(Arp::parse(&wire(op, OWN, TARGET)), None, "op {op}");
    }
}

#[test]
fn every_byte_string_is_handled() {
    // Exhaustive on the header bytes that decide, arbitrary elsewhere: never a panic.
    let mut b = wire(ARP_REPLY, TARGET, OWN);
    for v in 0..=255u8 {
        for i in 0..8 {
            let saved = b[i];
            b[i] = v;
            let _ = Arp::parse(&b);
            b[i] = saved;
        }
    }
}

#[test]
fn what_a_packet_proves() {
    let parse = |op, s, t| Arp::parse(&wire(op, s, t)).expect("valid");
    // The target's reply to our probe, and its own request for us.
    assert_eq!(
        proof(&parse(ARP_REPLY, TARGET, OWN), TARGET),
        Proof::FromTarget
    );
    assert_eq!(
        proof(&parse(ARP_REQUEST, TARGET, OWN), TARGET),
        Proof::FromTarget
    );
    // Our probe (sender 0.0.0.0 when the vNIC has no address) flooded to a backup.
    assert_eq!(
        proof(&parse(ARP_REQUEST, OWN, TARGET), TARGET),
        Proof::ForTarget
    );
    assert_eq!(
        proof(&parse(ARP_REQUEST, [0; 4], TARGET), TARGET),
        Proof::ForTarget
    );
    // A reply for the target sent by someone else proves nothing (a proxy, a spoofer).
    assert_eq!(proof(&parse(ARP_REPLY, OWN, TARGET), TARGET), Proof::None);
    // Other hosts' traffic.
    let other = [192, 0, 2, 9];
    assert_eq!(proof(&parse(ARP_REQUEST, other, OWN), TARGET), Proof::None);
    assert_eq!(proof(&parse(ARP_REPLY, other, OWN), TARGET), Proof::None);
}

#[test]
fn answers_are_counted_soon_after_the_probe() {
    assert_eq!(reply_wait(&CONFIG), 25);
    let slow = Config {
        interval: 10_000,
        missed_max: 2,
    };
    assert_eq!(reply_wait(&slow), MAX_REPLY_WAIT);
    let fast = Config {
        interval: 2,
        missed_max: 2,
    };
    assert_eq!(reply_wait(&fast), 1);
}

#[test]
fn the_active_member_needs_the_target_itself() {
    // Sent at 1000: it heard requests for the target (other hosts), no reply.
    let seen = Seen {
        from_target: 900,
        for_target: 1001,
    };
    assert!(!answered(&seen, Role::Active, 1000));
    // The same evidence answers for a backup.
    assert!(answered(&seen, Role::Backup, 1000));
    // A reply in the same millisecond as the probe counts.
    let quick = Seen {
        from_target: 1000,
        for_target: 0,
    };
    assert!(answered(&quick, Role::Active, 1000));
}

#[test]
fn a_failed_member_revives_on_requests_only_while_the_target_answers() {
    // It hears the active member's probe, but not the target.
    let seen = Seen {
        from_target: 0,
        for_target: 1001,
    };
    let heard = Role::Failed { target_heard: true };
    let unheard = Role::Failed {
        target_heard: false,
    };
    assert!(answered(&seen, heard, 1000));
    // A dead target: the members' probes must not revive each other.
    assert!(!answered(&seen, unheard, 1000));
    // The target itself revives any failed member.
    let replied = Seen {
        from_target: 1001,
        for_target: 0,
    };
    assert!(answered(&replied, unheard, 1000));
    // Old proof revives nobody.
    let old = Seen {
        from_target: 999,
        for_target: 999,
    };
    assert!(!answered(&old, heard, 1000));
}

#[test]
fn missed_max_probes_in_a_row_fail_the_active_member_one_more_a_backup() {
    let mut missed = 0;
    let active = Role::Active;
    assert_eq!(count(&mut missed, false, active, &CONFIG), Verdict::Alive);
    // An answer starts the count over.
    assert_eq!(count(&mut missed, true, active, &CONFIG), Verdict::Alive);
    assert_eq!(missed, 0);
    assert_eq!(count(&mut missed, false, active, &CONFIG), Verdict::Alive);
    assert_eq!(count(&mut missed, false, active, &CONFIG), Verdict::Dead);
    let mut missed = 0;
    let backup = Role::Backup;
    assert_eq!(count(&mut missed, false, backup, &CONFIG), Verdict::Alive);
    assert_eq!(count(&mut missed, false, backup, &CONFIG), Verdict::Alive);
    assert_eq!(count(&mut missed, false, backup, &CONFIG), Verdict::Dead);
    let one = Config {
        missed_max: 1,
        ..CONFIG
    };
    let mut missed = 0;
    assert_eq!(count(&mut missed, false, active, &one), Verdict::Dead);
    // 0 counts as 1; the count saturates.
    let zero = Config {
        missed_max: 0,
        ..CONFIG
    };
    let mut missed = u32::MAX;
    assert_eq!(count(&mut missed, false, active, &zero), Verdict::Dead);
    assert_eq!(missed, u32::MAX);
    let mut missed = 0;
    let max = Config {
        missed_max: u32::MAX,
        ..CONFIG
    };
    assert_eq!(count(&mut missed, false, backup, &max), Verdict::Alive);
}

#[test]
fn a_failed_member_recovers_on_the_first_answer_only() {
    let mut missed = 5;
    let failed = Role::Failed { target_heard: true };
    assert_eq!(count(&mut missed, false, failed, &CONFIG), Verdict::Dead);
    assert_eq!(count(&mut missed, true, failed, &CONFIG), Verdict::Alive);
    assert_eq!(missed, 0);
}

#[test]
fn with_no_usable_member_each_takes_its_turn() {
    let up = [1usize, 4, 7];
    assert_eq!(next_in_turn(up.iter().copied(), 0), Some(1));
    assert_eq!(next_in_turn(up.iter().copied(), 1), Some(4));
    assert_eq!(next_in_turn(up.iter().copied(), 4), Some(7));
    assert_eq!(next_in_turn(up.iter().copied(), 7), Some(1));
    assert_eq!(next_in_turn(up.iter().copied(), 99), Some(1));
    assert_eq!(next_in_turn([].iter().copied(), 3), None);
}

#[test]
fn dotted_quads_parse_strictly() {
    assert_eq!(parse_ipv4("192.0.2.1"), Some([192, 0, 2, 1]));
    assert_eq!(parse_ipv4("0.0.0.0"), Some([0, 0, 0, 0]));
    assert_eq!(parse_ipv4("255.255.255.255"), Some([255; 4]));
    for bad in [
        "",
        "1",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.",
        ".1.2.3",
        "1..2.3",
        "256.0.0.1",
        "1.2.3.4 ",
        " 1.2.3.4",
        "01.2.3.4",
        "1.2.3.04",
        "+1.2.3.4",
        "-1.2.3.4",
        "1.2.3.4\n",
        "0x1.2.3.4",
        "1000.2.3.4",
        "a.b.c.d",
    ] {
        assert_eq!(parse_ipv4(bad), None, "{bad:?}");
    }
}

#[test]
fn only_unicast_addresses_are_targets() {
    assert!(target_valid([192, 0, 2, 2]));
    assert!(target_valid([10, 0, 0, 1]));
    assert!(target_valid([223, 255, 255, 254]));
    for bad in [
        [0, 0, 0, 0],
        [0, 1, 2, 3],
        [127, 0, 0, 1],
        [224, 0, 0, 1],
        [239, 1, 2, 3],
        [240, 0, 0, 1],
        [255; 4],
    ] {
        assert!(!target_valid(bad), "{bad:?}");
    }
}

/// What a simulated pool of two members ends with.
#[derive(Debug, PartialEq, Eq)]
struct End {
    switches: u32,
    active: Option<usize>,
    failed: [bool; 2],
}

/// Runs the vNIC's probing over two members, member 0 active first, until `until` (ms), as
/// the timer does: a probe every 100 ms, out of the active member while it is usable,
/// otherwise out of each member in turn; its answers counted 25 ms later, member by member
/// (a switch to the first usable member when the active one fails; with none, a failed
/// active member stays active, as the selector keeps it). `path(m, now)` says whether member
/// m's path works, `target(now)` whether the target answers. A working path hears the other
/// member's flooded request. Returns the end state and when the first switch happened.
fn simulate(
    until: u64,
    path: impl Fn(usize, u64) -> bool,
    target: impl Fn(u64) -> bool,
) -> (End, Option<u64>) {
    let mut seen = [Seen::default(); 2];
    let mut missed = [0u32; 2];
    let mut counted_as_active = [false; 2];
    let mut failed = [false; 2];
    let mut active = Some(0usize);
    let mut switches = 0;
    let mut first_switch = None;
    let mut turn = 0;
    for sent_at in (100..until).step_by(100) {
        // Roles are those the members had when the probe went out.
        let usable_active = active.filter(|&a| !failed[a]);
        let sender = match usable_active {
            Some(a) => a,
            None => {
                turn = next_in_turn(0..2, turn).expect("two members");
                turn
            }
        };
        let other = 1 - sender;
        if path(sender, sent_at) && path(other, sent_at) {
            seen[other].for_target = sent_at + 1;
        }
        if path(sender, sent_at) && target(sent_at) {
            seen[sender].from_target = sent_at + 1;
        }
        let now = sent_at + reply_wait(&CONFIG);
        let heard = usable_active.is_some_and(|a| answered(&seen[a], Role::Active, sent_at));
        let roles = [0, 1].map(|m| {
            if failed[m] {
                Role::Failed {
                    target_heard: heard,
                }
            } else if usable_active == Some(m) {
                Role::Active
            } else {
                Role::Backup
            }
        });
        for m in 0..2 {
            let role = roles[m];
            // A member counted as active for the first time starts over.
            let is_active = role == Role::Active;
            if is_active && !counted_as_active[m] {
                missed[m] = 0;
            }
            counted_as_active[m] = is_active;
            let ok = answered(&seen[m], role, sent_at);
            let alive = count(&mut missed[m], ok, role, &CONFIG) == Verdict::Alive;
            if failed[m] != alive {
                continue;
            }
            failed[m] = !alive;
            let usable = (0..2).find(|&i| !failed[i]);
            if active.is_none_or(|a| failed[a]) && usable.is_some() && usable != active {
                active = usable;
                switches += 1;
                first_switch.get_or_insert(now);
            }
        }
    }
    (
        End {
            switches,
            active,
            failed,
        },
        first_switch,
    )
}

#[test]
fn a_dead_path_fails_over_within_two_intervals_and_the_member_recovers() {
    // Member 0's path dies at 1010 ms, just after a probe was answered, until 2000 ms.
    let path = |m: usize, now: u64| m != 0 || !(1010..2000).contains(&now);
    let (during, switched) = simulate(1900, path, |_| true);
    assert_eq!(
        during,
        End {
            switches: 1,
            active: Some(1),
            failed: [true, false]
        }
    );
    // The probes at 1100 and 1200 go unanswered; the second is counted at 1225: 215 ms
    // after the path died, where bonding, counting at the next probe, would take 290.
    assert_eq!(switched, Some(1225));
    // Back: it hears member 1's probes, which the target answers, and recovers (no failback
    // between equal members here).
    let (after, _) = simulate(3000, path, |_| true);
    assert_eq!(
        after,
        End {
            switches: 1,
            active: Some(1),
            failed: [false, false]
        }
    );
}

/// A target that stops answering at 1000 ms while both paths stay up: the members fail once
/// each, the last one stays active (degraded), with no switch back and forth, until the
/// target answers again.
#[test]
fn a_dead_target_fails_the_members_once() {
    let (quiet, _) = simulate(5000, |_, _| true, |now| now < 1000);
    assert_eq!(
        quiet,
        End {
            switches: 1,
            active: Some(1),
            failed: [true, true]
        }
    );
    // The target answers again at 5000 ms: the member whose turn it is recovers first and,
    // usable, takes over from the degraded one; then the other recovers too.
    let (back, _) = simulate(6000, |_, _| true, |now| !(1000..5000).contains(&now));
    assert_eq!(back.failed, [false, false]);
    assert!(back.active.is_some() && back.switches <= 2, "{back:?}");
}

/// Both paths die: member 0 fails first and member 1 takes over, then fails too and stays
/// active (degraded). Member 0's path alone comes back: its own probes, in turn, are
/// answered, and it takes over.
#[test]
fn with_every_path_dead_the_member_whose_path_returns_takes_over() {
    let path = |m: usize, now: u64| now < 1000 || (m == 0 && now >= 3000);
    let (dead, _) = simulate(2900, path, |_| true);
    assert_eq!(
        dead,
        End {
            switches: 1,
            active: Some(1),
            failed: [true, true]
        }
    );
    let (back, _) = simulate(4000, path, |_| true);
    assert_eq!(
        back,
        End {
            switches: 2,
            active: Some(0),
            failed: [false, true]
        }
    );
}
