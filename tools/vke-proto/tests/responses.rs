// SPDX-License-Identifier: GPL-2.0

//! The response queue and the member table: matching, duplicates, deadlines, members leaving,
//! caps.

use vke_proto::members::{Admission, Change, Member, Members, MAX_MEMBERS};
use vke_proto::responses::{AddError, Completed, Entry, Matched, Queue, Reason, Taken};

fn slots(n: usize) -> (Vec<Option<Entry>>, Taken) {
    (vec![None; n], Taken::new())
}

fn collect(f: impl FnOnce(&mut dyn FnMut(Completed))) -> Vec<Completed> {
    let mut out = Vec::new();
    f(&mut |c| out.push(c));
    out
}

#[test]
fn a_request_completes_when_every_responder_answered() {
    let mut s = slots(4);
    let mut q = Queue::new(&mut s.0, &mut s.1);
    q.add(7, 7, 100, 0b1011, 5000).unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q.respond(7, 0), Matched::Recorded);
    assert_eq!(q.respond(7, 3), Matched::Recorded);
    match q.respond(7, 1) {
        Matched::Completed(c) => {
            assert_eq!(c.reason, Reason::Done);
            assert_eq!(c.entry.answered, 0b1011);
            assert_eq!(c.entry.owner, 100);
            assert_eq!(c.timed_out(), 0);
        }
        other => panic!("{other:?}"),
    }
    assert!(q.is_empty());
    // Completed: a late or repeated response matches nothing.
    assert_eq!(q.respond(7, 1), Matched::Unexpected);
}

#[test]
fn each_response_is_matched_once() {
    let mut s = slots(2);
    let mut q = Queue::new(&mut s.0, &mut s.1);
    q.add(1, 1, 9, 0b11, 100).unwrap();
    assert_eq!(q.respond(1, 0), Matched::Recorded);
    assert_eq!(q.respond(1, 0), Matched::Duplicate);
    assert_eq!(q.respond(1, 5), Matched::Unexpected, "not asked");
    assert_eq!(q.respond(2, 0), Matched::Unexpected, "no such request");
    assert_eq!(q.respond(1, 64), Matched::Unexpected, "no such slot");
    assert_eq!(q.respond(1, usize::MAX), Matched::Unexpected);
    assert!(matches!(q.respond(1, 1), Matched::Completed(_)));
}

#[test]
fn the_deadline_times_out_the_silent_ones() {
    let mut s = slots(4);
    let mut q = Queue::new(&mut s.0, &mut s.1);
    q.add(1, 1, 9, 0b111, 100).unwrap();
    q.add(2, 2, 9, 0b1, 300).unwrap();
    q.respond(1, 1);
    assert_eq!(q.next_deadline(), Some(100));
    assert!(collect(|f| q.expire(99, f)).is_empty());
    let done = collect(|f| q.expire(100, f));
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].reason, Reason::Deadline);
    assert_eq!(done[0].entry.request, 1);
    assert_eq!(done[0].entry.answered, 0b010);
    assert_eq!(done[0].timed_out(), 0b101);
    assert_eq!(q.next_deadline(), Some(300));
    assert_eq!(q.len(), 1);
}

#[test]
fn a_responder_that_leaves_fails_at_once() {
    let mut s = slots(4);
    let mut q = Queue::new(&mut s.0, &mut s.1);
    q.add(1, 1, 9, 0b011, 1000).unwrap();
    q.add(2, 2, 9, 0b110, 1000).unwrap();
    q.add(3, 3, 9, 0b100, 1000).unwrap();
    q.respond(1, 0);
    // Slot 1 leaves: request 1 had only it left to hear from, and completes; request 2 still
    // waits for slot 2.
    let done = collect(|f| q.member_left(1, f));
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].entry.request, 1);
    assert_eq!(done[0].entry.left, 0b010);
    assert_eq!(done[0].entry.answered, 0b001);
    assert_eq!(done[0].reason, Reason::Done);
    assert_eq!(q.respond(2, 1), Matched::Unexpected, "it left");
    // Slot 2 leaves: requests 2 and 3 complete with it failed.
    let done = collect(|f| q.member_left(2, f));
    let mut ids: Vec<u64> = done.iter().map(|c| c.entry.request).collect();
    ids.sort();
    assert_eq!(ids, [2, 3]);
    assert!(q.is_empty());
}

#[test]
fn a_responder_not_reached_fails_at_once() {
    let mut s = slots(4);
    let mut q = Queue::new(&mut s.0, &mut s.1);
    q.add(1, 1, 9, 0b111, 1000).unwrap();
    q.respond(1, 0);
    // Slot 2 was not reached; slot 1 still may answer. An answered responder stays answered.
    assert_eq!(q.unreached(1, 0b101), None);
    assert_eq!(q.respond(1, 2), Matched::Unexpected, "never reached");
    match q.respond(1, 1) {
        Matched::Completed(c) => {
            assert_eq!(c.reason, Reason::Done);
            assert_eq!((c.entry.answered, c.entry.unreached), (0b011, 0b100));
            assert_eq!(c.timed_out(), 0);
        }
        other => panic!("{other:?}"),
    }
    // The last silent responders unreached: the request completes then.
    q.add(2, 2, 9, 0b11, 1000).unwrap();
    let done = q.unreached(2, 0b11).expect("completes");
    assert_eq!(
        (done.reason, done.entry.unreached, done.timed_out()),
        (Reason::Done, 0b11, 0)
    );
    assert!(q.is_empty());
    assert_eq!(q.unreached(2, 0b1), None, "not pending");
    // A responder that left before its copy came back stays left.
    q.add(3, 3, 9, 0b11, 1000).unwrap();
    assert!(collect(|f| q.member_left(0, f)).is_empty());
    let done = q.unreached(3, 0b11).expect("completes");
    assert_eq!((done.entry.left, done.entry.unreached), (0b01, 0b10));
}

#[test]
fn a_responder_that_answered_then_left_counts_as_answered() {
    let mut s = slots(1);
    let mut q = Queue::new(&mut s.0, &mut s.1);
    q.add(1, 1, 9, 0b11, 1000).unwrap();
    q.respond(1, 0);
    assert!(collect(|f| q.member_left(0, f)).is_empty());
    match q.respond(1, 1) {
        Matched::Completed(c) => assert_eq!((c.entry.answered, c.entry.left), (0b11, 0)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_queue_is_capped_and_ids_are_unique() {
    let mut s = slots(2);
    let mut q = Queue::new(&mut s.0, &mut s.1);
    assert_eq!(q.capacity(), 2);
    q.add(1, 1, 9, 1, 10).unwrap();
    assert_eq!(q.add(1, 1, 9, 1, 10), Err(AddError::Duplicate));
    q.add(2, 2, 9, 1, 10).unwrap();
    assert_eq!(q.add(3, 3, 9, 1, 10), Err(AddError::Full));
    assert_eq!(q.add(4, 4, 9, 0, 10), Err(AddError::NoResponders));
    q.respond(1, 0);
    q.add(3, 3, 9, 1, 10).unwrap();
    assert_eq!(q.len(), 2);
}

#[test]
fn owners_may_share_a_cookie_but_not_reuse_a_pending_one() {
    let mut s = slots(4);
    let mut q = Queue::new(&mut s.0, &mut s.1);
    // Two daemons number a request 7; the node puts ids 1 and 2 on the wire.
    q.add(1, 7, 100, 0b1, 10).unwrap();
    q.add(2, 7, 200, 0b1, 10).unwrap();
    assert_eq!(q.add(3, 7, 100, 0b1, 10), Err(AddError::Duplicate));
    assert_eq!(q.get_cookie(200, 7).map(|e| e.request), Some(2));
    let Matched::Completed(done) = q.respond(1, 0) else {
        panic!("request 1 completes");
    };
    assert_eq!((done.entry.cookie, done.entry.owner), (7, 100));
    // The cookie is free again; a late response to the old wire id matches nothing.
    q.add(3, 7, 100, 0b1, 10).unwrap();
    assert_eq!(q.respond(1, 0), Matched::Unexpected);
    assert_eq!(q.get_cookie(100, 7).map(|e| e.request), Some(3));
    // One that could not be sent is taken back: nothing completes it.
    assert!(q.remove(3));
    assert!(!q.remove(3));
    assert_eq!(q.respond(3, 0), Matched::Unexpected);
    assert!(q.get_cookie(100, 7).is_none());
    assert_eq!(q.len(), 1);
}

#[test]
fn a_gone_owner_cancels_its_requests() {
    let mut s = slots(4);
    let mut q = Queue::new(&mut s.0, &mut s.1);
    q.add(1, 1, 7, 1, 10).unwrap();
    q.add(2, 2, 8, 1, 10).unwrap();
    q.add(3, 3, 7, 1, 10).unwrap();
    assert_eq!(q.cancel_owner(7), 2);
    assert_eq!(q.len(), 1);
    assert_eq!(q.respond(1, 0), Matched::Unexpected);
    assert!(matches!(q.respond(2, 0), Matched::Completed(_)));
}

#[test]
fn many_requests_many_responders_each_completes_exactly_once() {
    // 256 requests to 64 responders, answered in a scrambled order with every response sent
    // twice: each request completes once, with every responder answered.
    let mut s = slots(256);
    let mut q = Queue::new(&mut s.0, &mut s.1);
    for r in 0..256u64 {
        q.add(r, r, 1, u64::MAX, 1_000_000).unwrap();
    }
    let mut completed = vec![0u32; 256];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut order: Vec<(u64, usize)> = (0..256u64)
        .flat_map(|r| (0..64).map(move |m| (r, m)))
        .collect();
    for i in (1..order.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    for &(r, m) in order.iter().chain(order.iter()) {
        if let Matched::Completed(c) = q.respond(r, m) {
            assert_eq!(c.entry.answered, u64::MAX);
            completed[r as usize] += 1;
        }
    }
    assert!(completed.iter().all(|&n| n == 1));
    assert!(q.is_empty());
}

#[test]
fn members_join_then_are_admitted_with_an_epoch() {
    let mut m = Members::new();
    let a = Member {
        node: 0x1001,
        port: 5,
    };
    let b = Member {
        node: 0x1002,
        port: 6,
    };
    assert_eq!(m.join(a), Change::Joined(0));
    assert_eq!(m.join(b), Change::Joined(1));
    assert_eq!(m.join(a), Change::Unchanged);
    // Up in the group, but not in the cluster until admitted.
    assert_eq!((m.epoch(), m.admitted(), m.count()), (0, 0, 0));
    assert_eq!(m.slot_of_node(0x1002), None);
    assert_eq!(m.admit(a), Admission::Admitted(0));
    assert_eq!(m.admit(b), Admission::Admitted(1));
    assert_eq!(m.admit(a), Admission::Already(0));
    assert_eq!(m.epoch(), 2);
    assert_eq!(m.admitted(), 0b11);
    assert_eq!(m.slot_of_node(0x1002), Some(1));
    assert_eq!(m.leave(a), Change::Left(0));
    assert_eq!(m.leave(a), Change::Unchanged);
    assert_eq!(m.epoch(), 3);
    assert_eq!((m.admitted(), m.count()), (0b10, 1));
    // A new member takes the free slot.
    let c = Member {
        node: 0x1003,
        port: 7,
    };
    assert_eq!(m.join(c), Change::Joined(0));
    assert_eq!(m.get(0), Some(c));
    assert!(!m.is_admitted(0));
    assert_eq!(m.iter().count(), 2);
    // A member that never was admitted leaves without moving the epoch.
    assert_eq!(m.leave(c), Change::Left(0));
    assert_eq!(m.epoch(), 3);
}

#[test]
fn one_member_per_node_is_admitted() {
    let mut m = Members::new();
    let kernel = Member {
        node: 0x1001,
        port: 5,
    };
    let stranger = Member {
        node: 0x1001,
        port: 99,
    };
    m.join(kernel);
    m.join(stranger);
    assert_eq!(m.admit(kernel), Admission::Admitted(0));
    assert_eq!(m.admit(stranger), Admission::NodeTaken(0));
    assert_eq!((m.admitted(), m.epoch()), (0b1, 1));
    // Once the first leaves, the node's other member may be admitted.
    m.leave(kernel);
    assert_eq!(m.admit(stranger), Admission::Admitted(1));
}

#[test]
fn the_member_table_is_capped_and_a_lost_join_comes_back_by_admission() {
    let mut m = Members::new();
    for i in 0..MAX_MEMBERS as u32 {
        assert!(matches!(
            m.join(Member {
                node: i + 1,
                port: 1
            }),
            Change::Joined(_)
        ));
    }
    let late = Member { node: 999, port: 1 };
    assert_eq!(m.join(late), Change::Full);
    assert_eq!(m.admit(late), Admission::Full);
    assert_eq!(m.epoch(), 0);
    m.leave(Member { node: 5, port: 1 });
    // Its retried join finds the freed slot.
    assert_eq!(m.admit(late), Admission::Admitted(4));
    assert_eq!(m.admitted(), 1 << 4);
}

#[test]
fn a_pending_request_slot_takes_72_bytes() {
    // The figure Documentation/networking/vke.rst gives (256 slots: 18 KiB per node).
    assert_eq!(core::mem::size_of::<Option<Entry>>(), 72);
}
