// SPDX-License-Identifier: GPL-2.0

//! Loss accounting for a sequence-numbered stream.
//!
//! Each datagram starts with a 64-bit sequence number and the 64-bit time it was sent (ns,
//! big endian). The receiver marks what arrived; [`Tally`] then says how many were lost, the
//! longest run of consecutive losses, and the outage around it: the time between sending the
//! last datagram that arrived before the run and the first that arrived after it. Sender and
//! receiver run on one machine, so they share the clock; the outage stays right when the sender
//! falls behind its nominal rate.

/// Bytes of a datagram that hold its sequence number and send time.
pub const HEADER_LEN: usize = 16;

/// Writes `seq` and `sent_ns` at the start of `buf`, which must hold [`HEADER_LEN`] bytes.
pub fn encode(seq: u64, sent_ns: u64, buf: &mut [u8]) -> Option<()> {
    buf.get_mut(..8)?.copy_from_slice(&seq.to_be_bytes());
    buf.get_mut(8..HEADER_LEN)?
        .copy_from_slice(&sent_ns.to_be_bytes());
    Some(())
}

/// Reads the sequence number and send time of a datagram; `None` if it is too short.
pub fn decode(buf: &[u8]) -> Option<(u64, u64)> {
    let seq: [u8; 8] = buf.get(..8)?.try_into().ok()?;
    let sent: [u8; 8] = buf.get(8..HEADER_LEN)?.try_into().ok()?;
    Some((u64::from_be_bytes(seq), u64::from_be_bytes(sent)))
}

/// What arrived of a stream of `expected` datagrams numbered from 0.
#[derive(Debug)]
pub struct Tally {
    /// Send time of each datagram that arrived, 0 for the others.
    seen: Vec<u64>,
    duplicates: u64,
    out_of_range: u64,
}

/// The figures of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Datagrams the sender was to send.
    pub expected: u64,
    /// Distinct datagrams that arrived.
    pub received: u64,
    /// Datagrams that never arrived.
    pub lost: u64,
    /// The longest run of consecutive lost datagrams.
    pub longest_gap: u64,
    /// The longest outage (ns): between the send times of the datagrams that arrived on either
    /// side of a run of losses; 0 without losses, or when a run has no arrival on one side.
    pub longest_outage_ns: u64,
    /// Datagrams that arrived twice or more.
    pub duplicates: u64,
    /// Datagrams numbered beyond the stream.
    pub out_of_range: u64,
}

impl Tally {
    /// Starts a tally for `expected` datagrams.
    pub fn new(expected: u64) -> Self {
        Self {
            seen: vec![0; usize::try_from(expected).unwrap_or(0)],
            duplicates: 0,
            out_of_range: 0,
        }
    }

    /// Records one arrival, sent at `sent_ns` (non-zero).
    pub fn record(&mut self, seq: u64, sent_ns: u64) {
        match usize::try_from(seq).ok().and_then(|i| self.seen.get_mut(i)) {
            Some(slot) if *slot != 0 => self.duplicates += 1,
            Some(slot) => *slot = sent_ns.max(1),
            None => self.out_of_range += 1,
        }
    }

    /// Sums up. Losses at the very end count too: the sender sent them.
    pub fn summary(&self) -> Summary {
        let (mut received, mut gap, mut longest, mut outage) = (0u64, 0u64, 0u64, 0u64);
        let mut before: Option<u64> = None;
        for &sent in &self.seen {
            if sent != 0 {
                received += 1;
                if let (true, Some(b)) = (gap > 0, before) {
                    outage = outage.max(sent.saturating_sub(b));
                }
                before = Some(sent);
                gap = 0;
            } else {
                gap += 1;
                longest = longest.max(gap);
            }
        }
        let expected = self.seen.len() as u64;
        Summary {
            expected,
            received,
            lost: expected - received,
            longest_gap: longest,
            longest_outage_ns: outage,
            duplicates: self.duplicates,
            out_of_range: self.out_of_range,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_round_trips_and_refuses_short_datagrams() {
        let mut buf = [0u8; 20];
        encode(0x0102_0304_0506_0708, 42, &mut buf).unwrap();
        assert_eq!(decode(&buf), Some((0x0102_0304_0506_0708, 42)));
        assert_eq!(decode(&buf[..15]), None);
        assert!(encode(1, 2, &mut buf[..12]).is_none());
    }

    #[test]
    fn the_outage_spans_the_arrivals_around_the_longest_loss() {
        // Sent every 100 ns, except a stall of the sender between 4 and 5.
        let sent = |seq: u64| 1000 + seq * 100 + if seq >= 5 { 5000 } else { 0 };
        let mut t = Tally::new(10);
        for seq in [0, 1, 2, 3, 6, 7, 8, 9] {
            t.record(seq, sent(seq));
        }
        let s = t.summary();
        assert_eq!((s.lost, s.longest_gap), (2, 2));
        assert_eq!(s.longest_outage_ns, sent(6) - sent(3));
    }

    #[test]
    fn longest_gap_is_the_longest_run_of_losses() {
        let mut t = Tally::new(20);
        for seq in (0..20).filter(|s| !(3..5).contains(s) && !(10..16).contains(s)) {
            t.record(seq, 1 + seq);
        }
        let s = t.summary();
        assert_eq!((s.received, s.lost, s.longest_gap), (12, 8, 6));
        assert_eq!(s.longest_outage_ns, 7);
    }

    #[test]
    fn trailing_losses_and_bad_numbers_are_counted() {
        let mut t = Tally::new(10);
        for seq in [0, 1, 1, 2, 99] {
            t.record(seq, 1 + seq);
        }
        let s = t.summary();
        assert_eq!((s.received, s.lost, s.longest_gap), (3, 7, 7));
        assert_eq!((s.duplicates, s.out_of_range), (1, 1));
    }
}
