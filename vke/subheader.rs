// SPDX-License-Identifier: GPL-2.0

//! The sub-header of a VKE message: typed entries that say how to deliver it.
//!
//! Plain `no_std` Rust, shared with the host crate `tools/vke-proto`. Each entry is a type
//! (16 bits), a value length (16 bits) and the value, padded with zeros to 4 bytes. A type
//! with [`MANDATORY`] set must be understood: a receiver that does not know it refuses the
//! message. Other unknown types are skipped, so a later version can add hints that older nodes
//! ignore. An entry appears at most once.

use super::header::Error;

/// The bit of an entry type that says the entry must be understood.
pub const MANDATORY: u16 = 0x8000;

/// Deliver to every node of the cluster (no value).
pub const BROADCAST: u16 = MANDATORY | 1;

/// The sender waits for one response from each node it was delivered to (no value).
pub const RESPONSE_REQUESTED: u16 = MANDATORY | 2;

/// How long the sender waits for responses, in milliseconds (32 bits).
pub const DEADLINE_MS: u16 = 3;

/// The longest deadline a sender may ask for: ten minutes.
pub const MAX_DEADLINE_MS: u32 = 600_000;

/// Bytes of an entry's type and length.
const ENTRY_HEAD_LEN: usize = 4;

/// The delivery options the entries of a sub-header give.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SubHeader {
    /// Deliver to every node ([`BROADCAST`]).
    pub broadcast: bool,
    /// Wait for one response per node ([`RESPONSE_REQUESTED`]).
    pub response_requested: bool,
    /// How long to wait for them ([`DEADLINE_MS`]); the receiver's default if absent.
    pub deadline_ms: Option<u32>,
    /// Entries of types this code does not know and may skip, which it skipped.
    pub skipped: u16,
}

/// Rounds an entry's value length up to its padded length.
fn padded(len: usize) -> usize {
    (len + 3) & !3
}

impl SubHeader {
    /// Reads the entries of `buf`, which is exactly the sub-header.
    pub fn parse(buf: &[u8]) -> Result<Self, Error> {
        let mut sub = Self::default();
        let mut seen_deadline = false;
        let mut rest = buf;
        while !rest.is_empty() {
            let Some(head) = rest.get(..ENTRY_HEAD_LEN) else {
                return Err(Error::BadEntry);
            };
            let kind = u16::from_be_bytes([head[0], head[1]]);
            let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let Some(entry) = rest.get(ENTRY_HEAD_LEN..ENTRY_HEAD_LEN + padded(len)) else {
                return Err(Error::BadEntry);
            };
            let (value, padding) = entry.split_at(len);
            if padding.iter().any(|&b| b != 0) {
                return Err(Error::BadEntry);
            }
            match kind {
                BROADCAST | RESPONSE_REQUESTED => {
                    if len != 0 {
                        return Err(Error::BadEntry);
                    }
                    let flag = if kind == BROADCAST {
                        &mut sub.broadcast
                    } else {
                        &mut sub.response_requested
                    };
                    if *flag {
                        return Err(Error::DuplicateEntry);
                    }
                    *flag = true;
                }
                DEADLINE_MS => {
                    let Ok(bytes) = <[u8; 4]>::try_from(value) else {
                        return Err(Error::BadEntry);
                    };
                    if seen_deadline {
                        return Err(Error::DuplicateEntry);
                    }
                    seen_deadline = true;
                    let ms = u32::from_be_bytes(bytes);
                    if ms == 0 || ms > MAX_DEADLINE_MS {
                        return Err(Error::BadDeadline);
                    }
                    sub.deadline_ms = Some(ms);
                }
                _ if kind & MANDATORY != 0 => return Err(Error::UnknownEntry),
                _ => sub.skipped = sub.skipped.saturating_add(1),
            }
            rest = &rest[ENTRY_HEAD_LEN + padded(len)..];
        }
        Ok(sub)
    }

    /// Bytes [`SubHeader::encode`] writes (skipped entries are not written).
    pub fn encoded_len(&self) -> usize {
        let flags = usize::from(self.broadcast) + usize::from(self.response_requested);
        let deadline = usize::from(self.deadline_ms.is_some());
        flags * ENTRY_HEAD_LEN + deadline * (ENTRY_HEAD_LEN + 4)
    }

    /// Writes the entries into the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        if let Some(ms) = self.deadline_ms {
            if ms == 0 || ms > MAX_DEADLINE_MS {
                return Err(Error::BadDeadline);
            }
        }
        let len = self.encoded_len();
        let out = out.get_mut(..len).ok_or(Error::NoRoom)?;
        let mut at = 0;
        let mut put = |kind: u16, value: &[u8]| {
            out[at..at + 2].copy_from_slice(&kind.to_be_bytes());
            // Values are 0 or 4 bytes long here.
            out[at + 2..at + 4].copy_from_slice(&(value.len() as u16).to_be_bytes());
            out[at + 4..at + 4 + value.len()].copy_from_slice(value);
            at += ENTRY_HEAD_LEN + value.len();
        };
        if self.broadcast {
            put(BROADCAST, &[]);
        }
        if self.response_requested {
            put(RESPONSE_REQUESTED, &[]);
        }
        if let Some(ms) = self.deadline_ms {
            put(DEADLINE_MS, &ms.to_be_bytes());
        }
        Ok(len)
    }
}
