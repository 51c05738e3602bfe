// SPDX-License-Identifier: GPL-2.0

//! The members of a cluster as a node sees them: who is up, in a slot of their own, and an
//! epoch that changes with every join and leave.
//!
//! Plain `no_std` Rust, shared with the host crate `tools/vke-proto`. A member is the VKE
//! socket of a node (its TIPC node address and port). Slots let the response queue keep the
//! responders of a request as a 64-bit set: a member's slot is freed when it leaves, after the
//! response queue has been told, so a later member reusing the slot is never taken for it.

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
    /// The member took slot `0`; the epoch moved on.
    Joined(usize),
    /// The member, in slot `0`, left; the epoch moved on.
    Left(usize),
    /// Nothing changed: a join of a member already up, or a leave of one not up.
    Unchanged,
    /// A join with every slot taken: the member is not tracked.
    Full,
}

/// The members that are up.
#[derive(Clone, Debug)]
pub struct Members {
    slots: [Option<Member>; MAX_MEMBERS],
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
            epoch: 0,
        }
    }

    /// The epoch: how many joins and leaves there have been.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The slot of `member`, if it is up.
    pub fn slot_of(&self, member: Member) -> Option<usize> {
        self.slots.iter().position(|s| *s == Some(member))
    }

    /// The slot of the member on `node`, if one is up there (a node has one VKE socket).
    pub fn slot_of_node(&self, node: u32) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.is_some_and(|m| m.node == node))
    }

    /// The member in `slot`.
    pub fn get(&self, slot: usize) -> Option<Member> {
        self.slots.get(slot).copied().flatten()
    }

    /// The slots of the members that are up.
    pub fn up(&self) -> Set {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .fold(0, |set, (i, _)| set | 1 << i)
    }

    /// How many members are up.
    pub fn count(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// Records that `member` joined.
    pub fn join(&mut self, member: Member) -> Change {
        if self.slot_of(member).is_some() {
            return Change::Unchanged;
        }
        let Some(slot) = self.slots.iter().position(Option::is_none) else {
            return Change::Full;
        };
        self.slots[slot] = Some(member);
        self.epoch += 1;
        Change::Joined(slot)
    }

    /// Records that `member` left.
    pub fn leave(&mut self, member: Member) -> Change {
        let Some(slot) = self.slot_of(member) else {
            return Change::Unchanged;
        };
        self.slots[slot] = None;
        self.epoch += 1;
        Change::Left(slot)
    }

    /// The members that are up, with their slots.
    pub fn iter(&self) -> impl Iterator<Item = (usize, Member)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|m| (i, m)))
    }
}
