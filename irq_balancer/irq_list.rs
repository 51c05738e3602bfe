// SPDX-License-Identifier: GPL-2.0

//! Lists of interrupt numbers (`24,30-32`), as `banned-irqs` takes them: the lines the balancer
//! must not touch.
//!
//! A list is a fixed array of ranges, so that the configuration that holds one stays a plain
//! value, copied under the balancer's lock without allocating. Its text has at most
//! [`MAX_RANGES`] items, so whatever their order the ranges fit.

use core::fmt;

/// Most items (numbers and ranges) a list's text has, and so most ranges it holds.
pub const MAX_RANGES: usize = 32;

/// A set of interrupt numbers: sorted, disjoint, non-adjacent inclusive ranges.
///
/// # Invariants
///
/// The first `len` of `ranges` are the set, each `(first, last)` with `first <= last`, and each
/// range ends at least two below the next one's start.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct IrqList {
    ranges: [(u32, u32); MAX_RANGES],
    len: usize,
}

impl IrqList {
    /// No interrupt.
    pub const EMPTY: Self = Self {
        ranges: [(0, 0); MAX_RANGES],
        len: 0,
    };

    /// The ranges, in increasing order.
    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges[..self.len]
    }

    /// Whether the list holds no interrupt.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `irq` is in the list.
    pub fn contains(&self, irq: u32) -> bool {
        self.ranges()
            .binary_search_by(|&(first, last)| {
                if last < irq {
                    core::cmp::Ordering::Less
                } else if first > irq {
                    core::cmp::Ordering::Greater
                } else {
                    core::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }

    /// Adds `first..=last`, merging it with the ranges it overlaps or touches. `None` if the
    /// list would need more than [`MAX_RANGES`] ranges, which [`IrqList::parse`]'s cap on items
    /// rules out.
    fn insert(&mut self, first: u32, last: u32) -> Option<()> {
        let mut merged = Self::EMPTY;
        let (mut first, mut last) = (first, last);
        let mut placed = false;
        for &(a, b) in self.ranges() {
            if b.saturating_add(1) < first {
                merged.push(a, b)?;
            } else if last.saturating_add(1) < a {
                if !placed {
                    merged.push(first, last)?;
                    placed = true;
                }
                merged.push(a, b)?;
            } else {
                first = first.min(a);
                last = last.max(b);
            }
        }
        if !placed {
            merged.push(first, last)?;
        }
        *self = merged;
        Some(())
    }

    /// Appends a range that lies above every range of the list.
    fn push(&mut self, first: u32, last: u32) -> Option<()> {
        let slot = self.ranges.get_mut(self.len)?;
        *slot = (first, last);
        // INVARIANT: callers append in increasing order, non-adjacent (see `insert`).
        self.len += 1;
        Some(())
    }

    /// Parses a list as `/proc` prints CPU lists (`24,30-32`; empty for none): at most
    /// [`MAX_RANGES`] numbers and ranges, comma-separated, in any order, overlapping or not.
    /// `None` for anything else. The cap is on items, not on the merged ranges, so that whether
    /// a list is taken does not depend on the order of its items.
    pub fn parse(text: &str) -> Option<Self> {
        let mut list = Self::EMPTY;
        let text = text.trim_end_matches('\n');
        if text.is_empty() {
            return Some(list);
        }
        let number = |part: &str| -> Option<u32> {
            let digits =
                !part.is_empty() && part.len() <= 10 && part.bytes().all(|b| b.is_ascii_digit());
            if digits {
                part.parse().ok()
            } else {
                None
            }
        };
        if text.split(',').count() > MAX_RANGES {
            return None;
        }
        for item in text.split(',') {
            let (first, last) = match item.split_once('-') {
                Some((a, b)) => (number(a)?, number(b)?),
                None => (number(item)?, number(item)?),
            };
            if first > last {
                return None;
            }
            list.insert(first, last)?;
        }
        Some(list)
    }
}

impl fmt::Display for IrqList {
    /// The list as [`IrqList::parse`] takes it, ranges merged (`24,30-32`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(first, last)) in self.ranges().iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if first == last {
                write!(f, "{first}")?;
            } else {
                write!(f, "{first}-{last}")?;
            }
        }
        Ok(())
    }
}
