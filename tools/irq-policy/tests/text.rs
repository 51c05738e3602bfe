// SPDX-License-Identifier: GPL-2.0

//! CPU lists as configuration takes and prints them, and the queue a handler name belongs to.

use irq_policy::{
    lists::{parse_cpu_list, write_cpu_list},
    policy::{constrain, locality, queue_of, role_of, CpuBits, Role, MAX_CPUS},
};

fn list(cpus: &[usize]) -> CpuBits {
    let mut set = CpuBits::EMPTY;
    for &cpu in cpus {
        set.insert(cpu);
    }
    set
}

fn text(set: &CpuBits) -> String {
    let mut out = String::new();
    write_cpu_list(set, &mut out).unwrap();
    out
}

#[test]
fn cpu_lists_parse() {
    assert_eq!(parse_cpu_list(""), Some(CpuBits::EMPTY));
    assert_eq!(parse_cpu_list("\n"), Some(CpuBits::EMPTY));
    assert_eq!(parse_cpu_list("3"), Some(list(&[3])));
    assert_eq!(parse_cpu_list("0-2,5\n"), Some(list(&[0, 1, 2, 5])));
    assert_eq!(parse_cpu_list("5,0-1"), Some(list(&[0, 1, 5])));
    assert_eq!(parse_cpu_list("255"), Some(list(&[MAX_CPUS - 1])));
    for bad in [
        "256", "-1", "1-", "-", "2-1", "1,,2", ",", "a", "1 2", " 1", "0x1", "1000",
    ] {
        assert_eq!(parse_cpu_list(bad), None, "{bad:?}");
    }
}

#[test]
fn cpu_lists_print_as_the_kernel_does() {
    assert_eq!(text(&CpuBits::EMPTY), "");
    assert_eq!(text(&list(&[0, 1, 2, 5])), "0-2,5");
    assert_eq!(text(&list(&[1, 3])), "1,3");
    assert_eq!(text(&CpuBits::first(MAX_CPUS)), "0-255");
    for s in ["0", "0-3", "1,3-4,7", "0-63,64-65"] {
        let set = parse_cpu_list(s).unwrap();
        assert_eq!(parse_cpu_list(&text(&set)), Some(set), "{s}");
    }
}

#[test]
fn queues_of_handler_names() {
    assert_eq!(queue_of(b"virtio0-input.3"), Some(3));
    assert_eq!(queue_of(b"virtio0-output.3"), Some(3));
    assert_eq!(queue_of(b"eth0-TxRx-12"), Some(12));
    assert_eq!(queue_of(b"mlx5_comp7@pci:0000:00:03.0"), Some(7));
    assert_eq!(queue_of(b"virtio0-config"), None);
    assert_eq!(queue_of(b""), None);
    assert_eq!(queue_of(b"1234"), None);
    assert_eq!(queue_of(b"q12345678901"), None);
}

#[test]
fn roles_from_handler_names() {
    assert_eq!(role_of(b"virtio0-input.0"), Role::Rx);
    assert_eq!(role_of(b"virtio0-output.0"), Role::Tx);
    assert_eq!(role_of(b"eth0-rx-1"), Role::Rx);
    assert_eq!(role_of(b"eth0-tx-1"), Role::Tx);
    assert_eq!(role_of(b"eth0-TxRx-3"), Role::Both);
    assert_eq!(role_of(b"mlx5_comp3@pci:0000:00:03.0"), Role::Both);
    assert_eq!(role_of(b"virtio0-config"), Role::Both);
}

#[test]
fn locality_is_the_hint_within_the_node() {
    let set = |text: &str| parse_cpu_list(text).unwrap();
    assert_eq!(locality(None, None), CpuBits::EMPTY);
    assert_eq!(locality(Some(set("2-3")), None), set("2-3"));
    assert_eq!(locality(None, Some(set("0-7"))), set("0-7"));
    assert_eq!(locality(Some(set("2-9")), Some(set("0-7"))), set("2-7"));
    // A hint outside the node: the node wins.
    assert_eq!(locality(Some(set("8-9")), Some(set("0-7"))), set("0-7"));
    // A hint of one CPU is a placement, not a constraint.
    assert_eq!(locality(Some(set("3")), None), CpuBits::EMPTY);
    assert_eq!(locality(Some(set("3")), Some(set("0-7"))), set("0-7"));
}

#[test]
fn a_constraint_never_strands_a_line() {
    let set = |text: &str| parse_cpu_list(text).unwrap();
    assert_eq!(constrain(&set("0-3"), &CpuBits::EMPTY), set("0-3"));
    assert_eq!(constrain(&set("0-3"), &set("2-5")), set("2-3"));
    // Every local CPU banned or offline: the line may go anywhere allowed.
    assert_eq!(constrain(&set("0-1"), &set("2-3")), set("0-1"));
}
