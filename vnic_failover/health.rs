// SPDX-License-Identifier: GPL-2.0

//! Health of a member whose link is up, judged from its transmit counters.
//!
//! A member can keep carrier and still pass nothing: its transmit queue stuck (the core's
//! watchdog then counts a timeout), or every frame failed or dropped (a peer with a smaller
//! MTU, a VF whose switch port is blocked, a driver out of buffers). The vNIC samples each
//! member's counters at a fixed interval and fails a member for the interval's evidence:
//!
//! - any transmit timeout: [`Health::TxTimeout`];
//! - over the last [`WINDOW`] intervals, at least [`MIN_ERRORS`] failed transmissions (errors
//!   and drops) that are at least half of the attempts: [`Health::TxErrors`]. A few drops
//!   under load are normal; a slow flow that fails entirely is caught within the window.
//!
//! A counter that goes backwards (a buggy driver) counts as no change.
//!
//! Pure logic, compiled by the module and by `tools/vnic-policy` for host tests.

use crate::policy::Health;

/// Failed transmissions within the window below which a member is never failed.
pub const MIN_ERRORS: u64 = 8;

/// Intervals over which failed transmissions are weighed against attempts.
pub const WINDOW: usize = 10;

/// A member's transmit counters at one check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxSample {
    /// Packets transmitted.
    pub packets: u64,
    /// Packets that failed or were dropped on transmit.
    pub errors: u64,
    /// Transmit watchdog timeouts.
    pub timeouts: u64,
}

/// Watches one member's transmit counters.
#[derive(Clone, Copy, Debug)]
pub struct TxWatch {
    last: TxSample,
    /// Per interval of the window: packets sent, transmissions failed.
    window: [(u64, u64); WINDOW],
    /// The slot the next interval goes to.
    next: usize,
}

impl TxWatch {
    /// Starts watching from `now`: what happened before is not judged.
    pub fn new(now: TxSample) -> Self {
        Self {
            last: now,
            window: [(0, 0); WINDOW],
            next: 0,
        }
    }

    /// Takes the next sample and judges the window that ends with it. A verdict starts the
    /// window over, so a member retried later is judged on what it does then.
    pub fn sample(&mut self, now: TxSample) -> Option<Health> {
        let timeouts = now.timeouts.saturating_sub(self.last.timeouts);
        let interval = (
            now.packets.saturating_sub(self.last.packets),
            now.errors.saturating_sub(self.last.errors),
        );
        if let Some(slot) = self.window.get_mut(self.next) {
            *slot = interval;
        }
        self.next = (self.next + 1) % WINDOW;
        let (sent, errors) = self.window.iter().fold((0u64, 0u64), |(s, e), &(ds, de)| {
            (s.saturating_add(ds), e.saturating_add(de))
        });
        let verdict = if timeouts > 0 {
            Some(Health::TxTimeout)
        } else if errors >= MIN_ERRORS && errors >= sent {
            // Failures are at least half of the attempts (sent + failed).
            Some(Health::TxErrors)
        } else {
            None
        };
        self.last = now;
        if verdict.is_some() {
            *self = Self::new(now);
        }
        verdict
    }
}
