// SPDX-License-Identifier: GPL-2.0

//! Loss accounting for a sequence-numbered stream.
//!
//! Each datagram carries a 64-bit sequence number (big endian) in its first eight bytes. The
//! receiver marks what arrived; [`Tally`] then says how many were lost and how long the longest
//! run of consecutive losses was, which at a fixed rate is the outage a failover caused.

/// Bytes of a datagram that hold its sequence number.
pub const SEQ_LEN: usize = 8;

/// Writes `seq` at the start of `buf`, which must hold [`SEQ_LEN`] bytes at least.
pub fn encode(seq: u64, buf: &mut [u8]) -> Option<()> {
    buf.get_mut(..SEQ_LEN)?.copy_from_slice(&seq.to_be_bytes());
    Some(())
}

/// Reads the sequence number of a datagram; `None` if it is too short.
pub fn decode(buf: &[u8]) -> Option<u64> {
    let bytes: [u8; SEQ_LEN] = buf.get(..SEQ_LEN)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// What arrived of a stream of `expected` datagrams numbered from 0.
#[derive(Debug)]
pub struct Tally {
    seen: Vec<bool>,
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
    /// Datagrams that arrived twice or more.
    pub duplicates: u64,
    /// Datagrams numbered beyond the stream.
    pub out_of_range: u64,
}

impl Tally {
    /// Starts a tally for `expected` datagrams.
    pub fn new(expected: u64) -> Self {
        Self {
            seen: vec![false; usize::try_from(expected).unwrap_or(0)],
            duplicates: 0,
            out_of_range: 0,
        }
    }

    /// Records one arrival.
    pub fn record(&mut self, seq: u64) {
        match usize::try_from(seq).ok().and_then(|i| self.seen.get_mut(i)) {
            Some(slot) if *slot => self.duplicates += 1,
            Some(slot) => *slot = true,
            None => self.out_of_range += 1,
        }
    }

    /// Sums up. Losses at the very end count too: the sender sent them.
    pub fn summary(&self) -> Summary {
        let (mut received, mut gap, mut longest) = (0u64, 0u64, 0u64);
        for &seen in &self.seen {
            if seen {
                received += 1;
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
        let mut buf = [0u8; 16];
        encode(0x0102_0304_0506_0708, &mut buf).unwrap();
        assert_eq!(decode(&buf), Some(0x0102_0304_0506_0708));
        assert_eq!(decode(&buf[..7]), None);
        assert!(encode(1, &mut buf[..4]).is_none());
    }

    #[test]
    fn longest_gap_is_the_longest_run_of_losses() {
        let mut t = Tally::new(20);
        for seq in (0..20).filter(|s| !(3..5).contains(s) && !(10..16).contains(s)) {
            t.record(seq);
        }
        let s = t.summary();
        assert_eq!((s.received, s.lost, s.longest_gap), (12, 8, 6));
    }

    #[test]
    fn trailing_losses_and_bad_numbers_are_counted() {
        let mut t = Tally::new(10);
        for seq in [0, 1, 1, 2, 99] {
            t.record(seq);
        }
        let s = t.summary();
        assert_eq!((s.received, s.lost, s.longest_gap), (3, 7, 7));
        assert_eq!((s.duplicates, s.out_of_range), (1, 1));
    }
}
