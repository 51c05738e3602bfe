// SPDX-License-Identifier: GPL-2.0

//! The response queue: requests that wait for responses, one expected per responder.
//!
//! Plain `no_std` Rust, shared with the host crate `tools/vke-proto`, without allocation: the
//! caller gives the slots ([`Queue::new`]), so the number of pending requests is capped by
//! construction. A request expects a response from each member in a [`Set`] of member slots
//! (see [`super::members`]); each response is matched to its request and responder, a second
//! one from the same responder is a duplicate. A request completes when every responder has
//! answered, when its deadline passes (the silent ones timed out), or, for a responder that
//! leaves the cluster, at once for that responder: a request whose last silent responders
//! left completes then. The owner (a daemon's netlink port) gets a [`Completed`] with the
//! status of every responder.

use super::members::Set;

/// Milliseconds on the caller's monotonic clock.
pub type Millis = u64;

/// A request waiting for responses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Entry {
    /// The request id on the wire, which responses carry (unique per sending node).
    pub request: u64,
    /// The id the owner knows the request by: its own choice, or the wire id.
    pub cookie: u64,
    /// Who sent it: the daemon's netlink port, which gets the completion.
    pub owner: u32,
    /// When the silent responders time out.
    pub deadline: Millis,
    /// The responders expected.
    pub expected: Set,
    /// Those that answered.
    pub answered: Set,
    /// Those that left the cluster before answering.
    pub left: Set,
}

impl Entry {
    fn silent(&self) -> Set {
        self.expected & !self.answered & !self.left
    }
}

/// Why a request completed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reason {
    /// Every responder answered or left.
    Done,
    /// The deadline passed with responders silent.
    Deadline,
}

/// A completed request and the status of each of its responders.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Completed {
    /// The request as it stood at completion.
    pub entry: Entry,
    /// Why it completed.
    pub reason: Reason,
}

impl Completed {
    /// The responders that never answered nor left: timed out.
    pub fn timed_out(&self) -> Set {
        self.entry.silent()
    }
}

/// Why a request was not queued.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AddError {
    /// Every slot holds a pending request.
    Full,
    /// A request with this id, or of this owner with this cookie, is pending already.
    Duplicate,
    /// No responder to wait for.
    NoResponders,
}

/// What became of a response.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Matched {
    /// It was expected and is recorded; the request still waits for others.
    Recorded,
    /// It was the last one expected: the request completed and left the queue.
    Completed(Completed),
    /// The responder answered this request already.
    Duplicate,
    /// The responder was not asked, or the request is not pending (completed, or never sent).
    Unexpected,
}

/// The bit of member slot `slot` in a [`Set`].
fn bit_of(slot: usize) -> Option<Set> {
    (slot < Set::BITS as usize).then(|| 1 << slot)
}

/// The pending requests, in the slots the caller gives.
pub struct Queue<'a> {
    slots: &'a mut [Option<Entry>],
    len: usize,
}

impl<'a> Queue<'a> {
    /// A queue over `slots`, which must be empty (all `None`): the queue's capacity.
    pub fn new(slots: &'a mut [Option<Entry>]) -> Self {
        let len = slots.iter().filter(|s| s.is_some()).count();
        Self { slots, len }
    }

    /// Pending requests.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no request is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Most requests that may be pending.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn find(&mut self, request: u64) -> Option<&mut Option<Entry>> {
        self.slots
            .iter_mut()
            .find(|s| s.is_some_and(|e| e.request == request))
    }

    /// Queues `request` of `owner`, who knows it as `cookie`, expecting a response from each
    /// of `expected` by `deadline`.
    pub fn add(
        &mut self,
        request: u64,
        cookie: u64,
        owner: u32,
        expected: Set,
        deadline: Millis,
    ) -> Result<(), AddError> {
        if expected == 0 {
            return Err(AddError::NoResponders);
        }
        if self.find(request).is_some() || self.get_cookie(owner, cookie).is_some() {
            return Err(AddError::Duplicate);
        }
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.is_none())
            .ok_or(AddError::Full)?;
        *slot = Some(Entry {
            request,
            cookie,
            owner,
            deadline,
            expected,
            answered: 0,
            left: 0,
        });
        self.len += 1;
        Ok(())
    }

    /// The pending request `request`, if any.
    pub fn get(&self, request: u64) -> Option<&Entry> {
        self.slots.iter().flatten().find(|e| e.request == request)
    }

    /// The pending request `owner` knows as `cookie`, if any.
    pub fn get_cookie(&self, owner: u32, cookie: u64) -> Option<&Entry> {
        self.slots
            .iter()
            .flatten()
            .find(|e| e.owner == owner && e.cookie == cookie)
    }

    /// Matches a response to `request` from the responder in member slot `from`.
    pub fn respond(&mut self, request: u64, from: usize) -> Matched {
        let Some(bit) = bit_of(from) else {
            return Matched::Unexpected;
        };
        let Some(slot) = self.find(request) else {
            return Matched::Unexpected;
        };
        let Some(entry) = slot.as_mut() else {
            return Matched::Unexpected;
        };
        if entry.expected & bit == 0 || entry.left & bit != 0 {
            return Matched::Unexpected;
        }
        if entry.answered & bit != 0 {
            return Matched::Duplicate;
        }
        entry.answered |= bit;
        if entry.silent() != 0 {
            return Matched::Recorded;
        }
        let entry = *entry;
        *slot = None;
        self.len -= 1;
        Matched::Completed(Completed {
            entry,
            reason: Reason::Done,
        })
    }

    /// Records that the member in slot `slot` left: it is failed in every request waiting for
    /// it, and each request left with no silent responder completes through `done`.
    pub fn member_left(&mut self, slot: usize, mut done: impl FnMut(Completed)) {
        let Some(bit) = bit_of(slot) else {
            return;
        };
        for s in self.slots.iter_mut() {
            let Some(entry) = s.as_mut() else { continue };
            if entry.silent() & bit == 0 {
                continue;
            }
            entry.left |= bit;
            if entry.silent() == 0 {
                let entry = *entry;
                *s = None;
                self.len -= 1;
                done(Completed {
                    entry,
                    reason: Reason::Done,
                });
            }
        }
    }

    /// Completes through `done` every request whose deadline is at or before `now`.
    pub fn expire(&mut self, now: Millis, mut done: impl FnMut(Completed)) {
        for s in self.slots.iter_mut() {
            if let Some(entry) = s.filter(|e| e.deadline <= now) {
                *s = None;
                self.len -= 1;
                done(Completed {
                    entry,
                    reason: Reason::Deadline,
                });
            }
        }
    }

    /// Takes `request` off the queue without completing it (it could not be sent); returns
    /// whether it was pending.
    pub fn remove(&mut self, request: u64) -> bool {
        let Some(slot) = self.find(request) else {
            return false;
        };
        *slot = None;
        self.len -= 1;
        true
    }

    /// Drops every request of `owner` (its daemon went away); returns how many.
    pub fn cancel_owner(&mut self, owner: u32) -> usize {
        let mut n = 0;
        for s in self.slots.iter_mut() {
            if s.is_some_and(|e| e.owner == owner) {
                *s = None;
                n += 1;
            }
        }
        self.len -= n;
        n
    }

    /// The earliest deadline of a pending request.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.slots.iter().flatten().map(|e| e.deadline).min()
    }
}
