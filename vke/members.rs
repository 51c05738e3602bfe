// SPDX-License-Identifier: GPL-2.0

//! The members of a cluster as a node sees them: who is up, in a slot of their own, which of
//! them were admitted, and an epoch that changes with every admission and every leave of an
//! admitted member.
//!
//! Plain `no_std` Rust, shared with the host crate `tools/vke-proto`. A member is a socket in
//! the cluster's TIPC group (its TIPC node address and port). TIPC reports it when it joins
//! the group, which any process may do; it counts for the cluster (it is expected to answer
//! broadcasts and can be sent to) only once it is *admitted*, by a `Join` or `Welcome` of the
//! registration protocol, and only one member per node is. Slots let the response queue keep
//! the responders of a request as a 64-bit set: a member's slot is freed when it leaves, after
//! the response queue has been told, so a later member reusing the slot is never taken for it.

/// Most members a node tracks, itself excluded: one bit each in a [`Set`].
pub const MAX_MEMBERS: usize = 64;

/// A set of member slots.
pub type Set = u64;

/// A member: a node's VKE socket.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Member {
    /// The node's TIPC address.
    pub node: u32,
    /// The socket's port on that node.
    pub port: u32,
}

/// What a membership change did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Change {
    /// The member took slot `0`, not admitted yet.
    Joined(usize),
    /// The member, in slot `0`, left; the epoch moved on if it was admitted.
    Left(usize),
    /// Nothing changed: a join of a member already up, or a leave of one not up.
    Unchanged,
    /// A join with every slot taken: the member is not tracked.
    Full,
}

/// What an admission did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Admission {
    /// The member, in slot `0`, is admitted now; the epoch moved on.
    Admitted(usize),
    /// The member, in slot `0`, was admitted already.
    Already(usize),
    /// Another member of the same node, in slot `0`, is admitted: this one is not.
    NodeTaken(usize),
    /// The member was not up, and every slot is taken.
    Full,
}

/// The members that are up.
#[derive(Clone, Debug)]
pub struct Members {
    slots: [Option<Member>; MAX_MEMBERS],
    admitted: Set,
    epoch: u64,
}

impl Default for Members {
    fn default() -> Self {
        Self::new()
    }
}

impl Members {
    /// No member, epoch 0.
    pub const fn new() -> Self {
        Self {
            slots: [None; MAX_MEMBERS],
            admitted: 0,
            epoch: 0,
        }
    }

    /// The epoch: how many admissions and leaves of admitted members there have been.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The slot of `member`, if it is up.
    pub fn slot_of(&self, member: Member) -> Option<usize> {
        self.slots.iter().position(|s| *s == Some(member))
    }

    /// The slot of the admitted member on `node`, if there is one (a node has one).
    pub fn slot_of_node(&self, node: u32) -> Option<usize> {
        self.iter()
            .find(|&(slot, m)| m.node == node && self.is_admitted(slot))
            .map(|(slot, _)| slot)
    }

    /// Whether the member in `slot` is admitted.
    pub fn is_admitted(&self, slot: usize) -> bool {
        slot < MAX_MEMBERS && self.admitted & (1 << slot) != 0
    }

    /// The member in `slot`.
    pub fn get(&self, slot: usize) -> Option<Member> {
        self.slots.get(slot).copied().flatten()
    }

    /// The slots of the admitted members.
    pub fn admitted(&self) -> Set {
        self.admitted
    }

    /// How many members are admitted.
    pub fn count(&self) -> usize {
        self.admitted.count_ones() as usize
    }

    /// Records that `member` joined the group: it takes a slot, not admitted yet.
    pub fn join(&mut self, member: Member) -> Change {
        if self.slot_of(member).is_some() {
            return Change::Unchanged;
        }
        let Some(slot) = self.slots.iter().position(Option::is_none) else {
            return Change::Full;
        };
        self.slots[slot] = Some(member);
        Change::Joined(slot)
    }

    /// Admits `member`, which spoke the registration protocol; a member that was not up (its
    /// join found every slot taken) takes a free slot first.
    pub fn admit(&mut self, member: Member) -> Admission {
        let slot = match self.slot_of(member) {
            Some(slot) => slot,
            None => match self.join(member) {
                Change::Joined(slot) => slot,
                _ => return Admission::Full,
            },
        };
        if self.is_admitted(slot) {
            return Admission::Already(slot);
        }
        if let Some(other) = self.slot_of_node(member.node) {
            return Admission::NodeTaken(other);
        }
        self.admitted |= 1 << slot;
        self.epoch += 1;
        Admission::Admitted(slot)
    }

    /// Records that `member` left.
    pub fn leave(&mut self, member: Member) -> Change {
        let Some(slot) = self.slot_of(member) else {
            return Change::Unchanged;
        };
        self.slots[slot] = None;
        if self.is_admitted(slot) {
            self.admitted &= !(1 << slot);
            self.epoch += 1;
        }
        Change::Left(slot)
    }

    /// The members that are up, admitted or not, with their slots.
    pub fn iter(&self) -> impl Iterator<Item = (usize, Member)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|m| (i, m)))
    }
}
