// SPDX-License-Identifier: GPL-2.0

//! CPU lists as configuration takes and prints them, and the queue a handler name belongs to.

use irq_policy::policy::{parse_cpu_list, queue_of, write_cpu_list, CpuBits, MAX_CPUS};

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
