// SPDX-License-Identifier: GPL-2.0

//! Any text as a `banned-cpus` or `banned-irqs` attribute: parsing never panics, and a list
//! that parses prints as one that parses back to the same set.

#![no_main]

use irq_policy::lists::{self, IrqList};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Some(list) = IrqList::parse(text) {
        let ranges = list.ranges();
        assert!(ranges.iter().all(|&(first, last)| first <= last));
        assert!(ranges.windows(2).all(|w| w[0].1.saturating_add(1) < w[1].0));
        assert_eq!(IrqList::parse(&list.to_string()), Some(list));
    }
    if let Some(set) = lists::parse_cpu_list(text) {
        let mut printed = String::new();
        lists::write_cpu_list(&set, &mut printed).expect("a String takes any text");
        assert_eq!(lists::parse_cpu_list(&printed), Some(set));
    }
});
