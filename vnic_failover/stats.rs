// SPDX-License-Identifier: GPL-2.0

//! The vNIC's statistics, folded from its members' counters.
//!
//! Members join, leave, get hot-unplugged and re-registered, and their drivers' counters can reset
//! (a re-registered device starts from zero) or, with buggy drivers, step back. The vNIC's own
//! counters must still be 64-bit and never go backwards. The fold keeps, per member, the last
//! counters it saw, and adds only the forward difference of each counter to the vNIC's totals:
//! - a member's traffic from before it joined is not the vNIC's, so joining only takes a
//!   snapshot;
//! - a counter below its snapshot is taken as a reset, and its new value as all new traffic;
//! - a member that leaves keeps what it contributed in the totals.
//!
//! Pure logic, compiled by the module and by `tools/vnic-policy` for host tests.

use crate::policy::{MemberId, MAX_MEMBERS};

macro_rules! counters {
    ($($(#[$doc:meta])* $field:ident,)*) => {
        /// Interface counters (the fields of `struct rtnl_link_stats64` the vNIC reports).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct Counters {
            $($(#[$doc])* pub $field: u64,)*
        }

        impl Counters {
            /// Applies `f` to each pair of fields of `self` and `other`.
            fn zip_with(&self, other: &Self, f: impl Fn(u64, u64) -> u64) -> Self {
                Self { $($field: f(self.$field, other.$field),)* }
            }

            /// Whether every field of `self` is at least the one of `other`.
            pub fn dominates(&self, other: &Self) -> bool {
                true $(&& self.$field >= other.$field)*
            }
        }
    };
}

counters! {
    /// Packets received.
    rx_packets,
    /// Packets transmitted.
    tx_packets,
    /// Bytes received.
    rx_bytes,
    /// Bytes transmitted.
    tx_bytes,
    /// Receive errors.
    rx_errors,
    /// Transmit errors.
    tx_errors,
    /// Received packets dropped.
    rx_dropped,
    /// Packets dropped on transmit.
    tx_dropped,
    /// Multicast packets received.
    multicast,
}

/// Errors of the fold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Every slot holds a member.
    Full,
    /// The member has joined already.
    Exists,
    /// The member has not joined.
    NotFound,
}

/// The fold of the members' counters into the vNIC's.
pub struct Fold {
    totals: Counters,
    seen: [Option<(MemberId, Counters)>; MAX_MEMBERS],
}

impl Default for Fold {
    fn default() -> Self {
        Self::new()
    }
}

impl Fold {
    /// Creates a fold with all totals at zero.
    pub const fn new() -> Self {
        Self {
            totals: Counters {
                rx_packets: 0,
                tx_packets: 0,
                rx_bytes: 0,
                tx_bytes: 0,
                rx_errors: 0,
                tx_errors: 0,
                rx_dropped: 0,
                tx_dropped: 0,
                multicast: 0,
            },
            seen: [None; MAX_MEMBERS],
        }
    }

    /// Returns the vNIC's counters.
    pub fn totals(&self) -> Counters {
        self.totals
    }

    /// Adds to the vNIC's own counters (what it counts itself, e.g. drops with no active
    /// member).
    pub fn add_own(&mut self, counters: &Counters) {
        self.totals = self.totals.zip_with(counters, u64::saturating_add);
    }

    /// Starts following a member whose counters read `now`; its traffic so far is not counted.
    pub fn join(&mut self, id: MemberId, now: Counters) -> Result<(), Error> {
        if self.slot(id).is_some() {
            return Err(Error::Exists);
        }
        let free = self
            .seen
            .iter_mut()
            .find(|s| s.is_none())
            .ok_or(Error::Full)?;
        *free = Some((id, now));
        Ok(())
    }

    /// Folds in a member's current counters.
    pub fn update(&mut self, id: MemberId, now: Counters) -> Result<(), Error> {
        let i = self.slot(id).ok_or(Error::NotFound)?;
        if let Some((_, seen)) = &mut self.seen[i] {
            // A counter below what was seen restarted from zero: all of it is new.
            let delta = now.zip_with(seen, |n, s| if n >= s { n - s } else { n });
            self.totals = self.totals.zip_with(&delta, u64::saturating_add);
            *seen = now;
        }
        Ok(())
    }

    /// Folds in a member's last counters and stops following it.
    pub fn leave(&mut self, id: MemberId, last: Counters) -> Result<(), Error> {
        self.update(id, last)?;
        if let Some(i) = self.slot(id) {
            self.seen[i] = None;
        }
        Ok(())
    }

    fn slot(&self, id: MemberId) -> Option<usize> {
        self.seen
            .iter()
            .position(|s| s.is_some_and(|(member, _)| member == id))
    }
}
