// SPDX-License-Identifier: GPL-2.0

//! The response queue: requests that wait for responses, one expected per responder.
//!
//! Plain `no_std` Rust, shared with the host crate `tools/vke-proto`, without allocation: the
//! caller gives the slots and their [`Taken`] bitmap ([`Queue::new`]), so the number of
//! pending requests is capped by construction. A request expects a response from each member
//! in a [`Set`] of member slots (see [`super::members`]); each response is matched to its
//! request and responder, a second one from the same responder is a duplicate. A request
//! completes when every responder has answered, when its deadline passes (the silent ones
//! timed out), or, for a responder that leaves the cluster or that the request could not
//! reach, at once for that responder: a request whose last silent responders left or were
//! not reached completes then. The owner (a daemon's netlink port) gets a [`Completed`] with
//! the status of every responder.

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
    /// Those the request did not reach: TIPC refused its copy, or returned it.
    pub unreached: Set,
}

impl Entry {
    fn silent(&self) -> Set {
        self.expected & !self.answered & !self.left & !self.unreached
    }
}

/// Why a request completed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reason {
    /// Every responder answered, left, or was not reached.
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
    /// The responders that never answered, nor left, nor went unreached: timed out.
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

/// The most slots a [`Queue`] uses: those of its [`Taken`] bitmap.
pub const MAX_SLOTS: usize = 256;

/// Words of a [`Taken`] bitmap.
const WORDS: usize = MAX_SLOTS / 64;

/// Which slots of a [`Queue`] hold a request, and how many: kept beside the slots, so that
/// the queue visits the taken slots only. A scan of every slot, several per message, cost
/// more than the rest of a node's path under emulation (each slot is 72 bytes).
#[derive(Clone, Copy, Default, Debug)]
pub struct Taken {
    bits: [u64; WORDS],
    len: usize,
}

impl Taken {
    /// No slot taken: the state of empty slots.
    pub const fn new() -> Self {
        Self {
            bits: [0; WORDS],
            len: 0,
        }
    }

    fn set(&mut self, slot: usize) {
        self.bits[slot / 64] |= 1 << (slot % 64);
        self.len += 1;
    }

    fn clear(&mut self, slot: usize) {
        self.bits[slot / 64] &= !(1 << (slot % 64));
        self.len -= 1;
    }

    /// The taken slots, in order, as they are now (a copy: the caller may free them).
    fn iter(&self) -> impl Iterator<Item = usize> {
        let bits = self.bits;
        (0..WORDS).flat_map(move |w| {
            let mut word = bits[w];
            core::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                Some(w * 64 + bit)
            })
        })
    }

    /// The first free slot below `limit`.
    fn first_free(&self, limit: usize) -> Option<usize> {
        let slot = self
            .bits
            .iter()
            .enumerate()
            .find(|(_, w)| **w != u64::MAX)
            .map(|(w, word)| w * 64 + word.trailing_ones() as usize)?;
        (slot < limit).then_some(slot)
    }
}

/// The pending requests, in the slots the caller gives (at most [`MAX_SLOTS`] are used), with
/// the [`Taken`] bitmap that goes with them.
///
/// Invariant: `taken` marks exactly the slots that are `Some`.
pub struct Queue<'a> {
    slots: &'a mut [Option<Entry>],
    taken: &'a mut Taken,
}

impl<'a> Queue<'a> {
    /// A queue over `slots` and `taken`, which must have been empty (all `None`, and
    /// [`Taken::new`]) before the first queue over them: only queues change them.
    pub fn new(slots: &'a mut [Option<Entry>], taken: &'a mut Taken) -> Self {
        let used = slots.len().min(MAX_SLOTS);
        Self {
            slots: &mut slots[..used],
            taken,
        }
    }

    /// How many requests are pending.
    pub fn len(&self) -> usize {
        self.taken.len
    }

    /// Whether no request is pending.
    pub fn is_empty(&self) -> bool {
        self.taken.len == 0
    }

    /// How many requests may be pending at once.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The pending requests, with their slots.
    fn entries(&self) -> impl Iterator<Item = (usize, &Entry)> + '_ {
        self.taken
            .iter()
            .filter_map(|i| Some((i, self.slots.get(i)?.as_ref()?)))
    }

    /// The slot of request `request`.
    fn find(&self, request: u64) -> Option<usize> {
        self.entries()
            .find(|(_, e)| e.request == request)
            .map(|(i, _)| i)
    }

    /// Takes the request in slot `slot` out, completed, if no responder is left silent.
    fn settle(&mut self, slot: usize) -> Option<Completed> {
        if self.slots.get(slot)?.as_ref()?.silent() != 0 {
            return None;
        }
        self.take(slot).map(|entry| Completed {
            entry,
            reason: Reason::Done,
        })
    }

    /// Takes request `request` out of slot `slot`.
    fn take(&mut self, slot: usize) -> Option<Entry> {
        let entry = self.slots.get_mut(slot)?.take()?;
        self.taken.clear(slot);
        Some(entry)
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
            .taken
            .first_free(self.slots.len())
            .ok_or(AddError::Full)?;
        let free = self.slots.get_mut(slot).ok_or(AddError::Full)?;
        *free = Some(Entry {
            request,
            cookie,
            owner,
            deadline,
            expected,
            answered: 0,
            left: 0,
            unreached: 0,
        });
        self.taken.set(slot);
        Ok(())
    }

    /// The pending request `request`.
    pub fn get(&self, request: u64) -> Option<&Entry> {
        self.entries()
            .find(|(_, e)| e.request == request)
            .map(|(_, e)| e)
    }

    /// The pending request that `owner` knows as `cookie`.
    pub fn get_cookie(&self, owner: u32, cookie: u64) -> Option<&Entry> {
        self.entries()
            .find(|(_, e)| e.owner == owner && e.cookie == cookie)
            .map(|(_, e)| e)
    }

    /// Matches a response to `request` from the responder in member slot `from`.
    pub fn respond(&mut self, request: u64, from: usize) -> Matched {
        let Some(bit) = bit_of(from) else {
            return Matched::Unexpected;
        };
        let Some(slot) = self.find(request) else {
            return Matched::Unexpected;
        };
        let Some(entry) = self.slots.get_mut(slot).and_then(|s| s.as_mut()) else {
            return Matched::Unexpected;
        };
        if entry.expected & bit == 0 || (entry.left | entry.unreached) & bit != 0 {
            return Matched::Unexpected;
        }
        if entry.answered & bit != 0 {
            return Matched::Duplicate;
        }
        entry.answered |= bit;
        self.settle(slot)
            .map_or(Matched::Recorded, Matched::Completed)
    }

    /// Records that request `request` did not reach the responders in `unreached`: they are
    /// failed at once, rather than left to time out. Returns the completion if no responder
    /// is left silent; nothing if the request is not pending or still waits.
    pub fn unreached(&mut self, request: u64, unreached: Set) -> Option<Completed> {
        let slot = self.find(request)?;
        let entry = self.slots.get_mut(slot)?.as_mut()?;
        entry.unreached |= unreached & entry.silent();
        self.settle(slot)
    }

    /// Records that the member in slot `slot` left: it is failed in every request waiting for
    /// it, and each request left with no silent responder completes through `done`.
    pub fn member_left(&mut self, slot: usize, mut done: impl FnMut(Completed)) {
        let Some(bit) = bit_of(slot) else {
            return;
        };
        for i in self.taken.iter() {
            let Some(entry) = self.slots.get_mut(i).and_then(|s| s.as_mut()) else {
                continue;
            };
            if entry.silent() & bit == 0 {
                continue;
            }
            entry.left |= bit;
            if let Some(completed) = self.settle(i) {
                done(completed);
            }
        }
    }

    /// Completes through `done` every request whose deadline is at or before `now`.
    pub fn expire(&mut self, now: Millis, mut done: impl FnMut(Completed)) {
        for i in self.taken.iter() {
            let due = self
                .slots
                .get(i)
                .is_some_and(|s| s.is_some_and(|e| e.deadline <= now));
            if !due {
                continue;
            }
            if let Some(entry) = self.take(i) {
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
        match self.find(request) {
            Some(slot) => self.take(slot).is_some(),
            None => false,
        }
    }

    /// Drops every request of `owner` (a daemon gone); returns how many.
    pub fn cancel_owner(&mut self, owner: u32) -> usize {
        let mut n = 0;
        for i in self.taken.iter() {
            let owned = self
                .slots
                .get(i)
                .is_some_and(|s| s.is_some_and(|e| e.owner == owner));
            if owned && self.take(i).is_some() {
                n += 1;
            }
        }
        n
    }

    /// The earliest deadline of the pending requests.
    pub fn next_deadline(&self) -> Option<Millis> {
        self.entries().map(|(_, e)| e.deadline).min()
    }
}
