// SPDX-License-Identifier: GPL-2.0

//! The lists the configuration takes as text, in the syntax of the kernel's CPU lists
//! (`0-2,5`): CPU lists (`banned-cpus`, a line's local CPUs), and lists of interrupt numbers
//! (`banned-irqs`), the lines the balancer must not touch.
//!
//! An IRQ list is a fixed array of ranges, so that the configuration that holds one stays a
//! plain value, copied under the balancer's lock without allocating. Its text has at most
//! [`MAX_RANGES`] items, so whatever their order the ranges fit.

use crate::policy::{CpuBits, MAX_CPUS};
use core::fmt;

/// The items of a list's text (`0-2,5`, newline-terminated or not), each `(first, last)`, or
/// `None` for one that is not a number or an increasing range of numbers of at most `digits`
/// digits; nothing for an empty text.
fn items(text: &str, digits: usize) -> impl Iterator<Item = Option<(u32, u32)>> + '_ {
    let text = text.trim_end_matches('\n');
    let number = move |part: &str| -> Option<u32> {
        let valid =
            !part.is_empty() && part.len() <= digits && part.bytes().all(|b| b.is_ascii_digit());
        if valid {
            part.parse().ok()
        } else {
            None
        }
    };
    text.split(',')
        .filter(move |_| !text.is_empty())
        .map(move |item| {
            let (first, last) = match item.split_once('-') {
                Some((a, b)) => (number(a)?, number(b)?),
                None => (number(item)?, number(item)?),
            };
            (first <= last).then_some((first, last))
        })
}

/// Parses a CPU list as the kernel prints one (`0-2,5`; empty for none): ranges and single
/// CPUs, comma-separated, increasing or not, each below [`MAX_CPUS`]. `None` for anything
/// else.
pub fn parse_cpu_list(text: &str) -> Option<CpuBits> {
    let mut set = CpuBits::EMPTY;
    for item in items(text, 3) {
        let (first, last) = item?;
        if last as usize >= MAX_CPUS {
            return None;
        }
        for cpu in first..=last {
            set.insert(cpu as usize);
        }
    }
    Some(set)
}

/// Formats a CPU set as a CPU list (`0-2,5`) into `out`.
pub fn write_cpu_list(set: &CpuBits, out: &mut impl fmt::Write) -> fmt::Result {
    let mut first = true;
    let mut cpu = 0;
    while cpu < MAX_CPUS {
        if !set.contains(cpu) {
            cpu += 1;
            continue;
        }
        let start = cpu;
        while cpu + 1 < MAX_CPUS && set.contains(cpu + 1) {
            cpu += 1;
        }
        if !first {
            out.write_char(',')?;
        }
        first = false;
        if start == cpu {
            write!(out, "{start}")?;
        } else {
            write!(out, "{start}-{cpu}")?;
        }
        cpu += 1;
    }
    Ok(())
}

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
        for (i, item) in items(text, 10).enumerate() {
            if i == MAX_RANGES {
                return None;
            }
            let (first, last) = item?;
            // Cannot fail: at most `MAX_RANGES` items merge into as many ranges or fewer.
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
