// SPDX-License-Identifier: GPL-2.0

//! `banned-irqs` lists: what they accept, how they merge and print, and that membership agrees
//! with a plain set on random lists.

use irq_policy::lists::{IrqList, MAX_RANGES};
use std::collections::BTreeSet;

fn ranges(text: &str) -> Vec<(u32, u32)> {
    IrqList::parse(text).unwrap().ranges().to_vec()
}

#[test]
fn lists_parse_and_merge() {
    assert_eq!(IrqList::parse(""), Some(IrqList::EMPTY));
    assert_eq!(IrqList::parse("\n"), Some(IrqList::EMPTY));
    assert!(IrqList::parse("").unwrap().is_empty());
    assert_eq!(ranges("24"), [(24, 24)]);
    assert_eq!(ranges("30-32,24\n"), [(24, 24), (30, 32)]);
    // Adjacent and overlapping ranges become one, in any order.
    assert_eq!(ranges("5,3,4"), [(3, 5)]);
    assert_eq!(ranges("10-20,15-30,1-9"), [(1, 30)]);
    assert_eq!(ranges("7,7,7"), [(7, 7)]);
    assert_eq!(ranges("40-50,1,45"), [(1, 1), (40, 50)]);
    assert_eq!(ranges("4294967295,0"), [(0, 0), (u32::MAX, u32::MAX)]);
    assert_eq!(
        ranges("4294967294-4294967295,4294967293"),
        [(u32::MAX - 2, u32::MAX)]
    );
}

#[test]
fn bad_lists_are_refused() {
    for bad in [
        "-1",
        "1-",
        "-",
        "2-1",
        "1,,2",
        ",",
        "a",
        "1 2",
        " 1",
        "0x1",
        "4294967296",
        "99999999999",
        "1,",
        "+1",
    ] {
        assert_eq!(IrqList::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn at_most_max_ranges_items_in_any_order() {
    let even = |n: usize| (0..n).map(|i| (2 * i).to_string()).collect::<Vec<_>>();
    let items = even(MAX_RANGES);
    assert_eq!(
        IrqList::parse(&items.join(",")).unwrap().ranges().len(),
        MAX_RANGES
    );
    assert_eq!(IrqList::parse(&even(MAX_RANGES + 1).join(",")), None);
    // The cap is on items, so the order of the items does not decide: 32 items that merge
    // into one range are taken both ways round, 33 neither way.
    let mut merging = even(MAX_RANGES - 1);
    merging.push("0-100".to_owned());
    assert_eq!(ranges(&merging.join(",")), [(0, 100)]);
    merging.reverse();
    assert_eq!(ranges(&merging.join(",")), [(0, 100)]);
    merging.push("7".to_owned());
    assert_eq!(IrqList::parse(&merging.join(",")), None);
    merging.reverse();
    assert_eq!(IrqList::parse(&merging.join(",")), None);
}

#[test]
fn lists_print_as_they_parse() {
    assert_eq!(IrqList::EMPTY.to_string(), "");
    assert_eq!(
        IrqList::parse("32,30-31,24").unwrap().to_string(),
        "24,30-32"
    );
    assert_eq!(IrqList::parse("5,5-5").unwrap().to_string(), "5");
}

#[test]
fn random_lists_agree_with_a_set() {
    let mut rng = fastrand::Rng::with_seed(4);
    for _ in 0..2000 {
        let mut model = BTreeSet::new();
        let items: Vec<String> = (0..rng.usize(0..=MAX_RANGES))
            .map(|_| {
                let first = rng.u32(0..200);
                let last = first + rng.u32(0..6);
                model.extend(first..=last);
                if first == last && rng.bool() {
                    first.to_string()
                } else {
                    format!("{first}-{last}")
                }
            })
            .collect();
        let text = items.join(",");
        let list = IrqList::parse(&text).unwrap();
        for irq in 0..210 {
            assert_eq!(list.contains(irq), model.contains(&irq), "{text}: {irq}");
        }
        let r = list.ranges();
        assert!(r.iter().all(|&(a, b)| a <= b), "{text}");
        assert!(r.windows(2).all(|w| w[0].1 + 1 < w[1].0), "{text}: {r:?}");
        assert_eq!(IrqList::parse(&list.to_string()), Some(list), "{text}");
    }
}
