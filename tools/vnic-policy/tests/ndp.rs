// SPDX-License-Identifier: GPL-2.0

//! Tests of the neighbour discovery codec for IPv6 probing: parsing received solicitations and
//! advertisements, what they prove, and IPv6 target addresses.

use vnic_policy::probe::{
    icmpv6_checksum, link_local, multicast_mac, ndp_proof, parse_ipv6, solicitation,
    solicited_node, target6_valid, Ndp, Proof, Target, ETH_HEADER_LEN, IPV6_HEADER_LEN,
    NDP_ADVERTISEMENT, NDP_LEN, NDP_SOLICITATION, SOLICITATION_FRAME_LEN,
};

/// 2001:db8::2, the target.
const TARGET: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
/// 2001:db8::1, the vNIC.
const OWN: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const UNSPECIFIED: [u8; 16] = [0; 16];

/// An IPv6 packet holding a neighbour discovery message, as on the wire after Ethernet.
fn wire(kind: u8, source: [u8; 16], target: [u8; 16]) -> Vec<u8> {
    let mut b = vec![0u8; IPV6_HEADER_LEN + NDP_LEN];
    b[0] = 0x60;
    b[4..6].copy_from_slice(&(NDP_LEN as u16).to_be_bytes());
    b[6] = 58;
    b[7] = 255;
    b[8..24].copy_from_slice(&source);
    // Destination: all-nodes, as for an advertisement answering a duplicate check.
    b[24] = 0xff;
    b[25] = 0x02;
    b[39] = 1;
    b[40] = kind;
    b[48..64].copy_from_slice(&target);
    b
}

#[test]
fn a_solicitation_and_an_advertisement_parse() {
    let ns = Ndp::parse(&wire(NDP_SOLICITATION, UNSPECIFIED, TARGET)).expect("valid NS");
    assert_eq!(
        (ns.kind, ns.source, ns.target),
        (NDP_SOLICITATION, UNSPECIFIED, TARGET)
    );
    let mut na = wire(NDP_ADVERTISEMENT, TARGET, TARGET);
    // Options (the target's link-layer address) follow; they are not read.
    na.extend_from_slice(&[2, 1, 2, 0, 0, 0, 0, 2]);
    na[5] += 8;
    let na = Ndp::parse(&na).expect("valid NA");
    assert_eq!(
        (na.kind, na.source, na.target),
        (NDP_ADVERTISEMENT, TARGET, TARGET)
    );
}

#[test]
fn anything_else_is_refused() {
    let good = wire(NDP_ADVERTISEMENT, TARGET, TARGET);
    for len in 0..good.len() {
        assert_eq!(Ndp::parse(&good[..len]), None, "truncated to {len}");
    }
    let broken: [(usize, u8); 6] = [
        (0, 0x40), // IPv4
        (6, 17),   // UDP
        (6, 0),    // an extension header first
        (7, 64),   // forwarded by a router
        (40, 128), // an echo request
        (41, 1),   // a non-zero code
    ];
    for (at, value) in broken {
        let mut b = good.clone();
        b[at] = value;
        assert_eq!(Ndp::parse(&b), None, "byte {at} = {value}");
    }
    // A payload length too short for the message.
    let mut b = good.clone();
    b[5] = (NDP_LEN - 1) as u8;
    assert_eq!(Ndp::parse(&b), None);
}

#[test]
fn what_a_message_proves() {
    let parse = |kind, source, target| Ndp::parse(&wire(kind, source, target)).unwrap();
    // The target defends its address (the answer to a duplicate check, to all-nodes).
    assert_eq!(
        ndp_proof(&parse(NDP_ADVERTISEMENT, TARGET, TARGET), TARGET),
        Proof::FromTarget
    );
    // The target resolves someone.
    assert_eq!(
        ndp_proof(&parse(NDP_SOLICITATION, TARGET, OWN), TARGET),
        Proof::FromTarget
    );
    // A probe for the target, ours flooded or anyone's.
    assert_eq!(
        ndp_proof(&parse(NDP_SOLICITATION, UNSPECIFIED, TARGET), TARGET),
        Proof::ForTarget
    );
    assert_eq!(
        ndp_proof(&parse(NDP_SOLICITATION, OWN, TARGET), TARGET),
        Proof::ForTarget
    );
    // Others' business.
    assert_eq!(
        ndp_proof(&parse(NDP_ADVERTISEMENT, OWN, OWN), TARGET),
        Proof::None
    );
    assert_eq!(
        ndp_proof(&parse(NDP_SOLICITATION, OWN, OWN), TARGET),
        Proof::None
    );
}

#[test]
fn ipv6_text_forms() {
    assert_eq!(parse_ipv6("2001:db8::2"), Some(TARGET));
    assert_eq!(parse_ipv6("2001:DB8:0:0:0:0:0:2"), Some(TARGET));
    assert_eq!(parse_ipv6("2001:db8:0::0:2"), Some(TARGET));
    assert_eq!(parse_ipv6("::"), Some(UNSPECIFIED));
    assert_eq!(parse_ipv6("::1").map(|a| a[15]), Some(1));
    assert_eq!(
        parse_ipv6("fe80::").map(|a| a[..2].to_vec()),
        Some(vec![0xfe, 0x80])
    );
    let full = parse_ipv6("1:2:3:4:5:6:7:8").unwrap();
    assert_eq!(full[14..], [0, 8]);
    for bad in [
        "",
        ":",
        ":::",
        "1::2::3",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4::5:6:7:8",
        "12345::",
        "g::",
        "1:",
        ":1",
        "192.0.2.1",
        "::ffff:192.0.2.1",
        "fe80::1%eth0",
        " ::1",
    ] {
        assert_eq!(parse_ipv6(bad), None, "{bad:?}");
    }
}

#[test]
fn ipv6_targets() {
    assert!(target6_valid(TARGET));
    assert!(target6_valid(parse_ipv6("fe80::1").unwrap()));
    assert!(!target6_valid(UNSPECIFIED));
    assert!(!target6_valid(parse_ipv6("::1").unwrap()));
    assert!(!target6_valid(parse_ipv6("ff02::1").unwrap()));
}

/// 52:54:00:12:34:56, QEMU's first NIC.
const MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

#[test]
fn addresses_derived_for_a_solicitation() {
    // fe80::5054:ff:fe12:3456, as `ip -6 addr` shows on such a NIC: the U/L bit flipped.
    assert_eq!(
        link_local(MAC),
        parse_ipv6("fe80::5054:ff:fe12:3456").unwrap()
    );
    assert_eq!(
        solicited_node(TARGET),
        parse_ipv6("ff02::1:ff00:2").unwrap()
    );
    assert_eq!(
        solicited_node(parse_ipv6("2001:db8::abcd:ef01:2345").unwrap()),
        parse_ipv6("ff02::1:ff01:2345").unwrap()
    );
    assert_eq!(
        multicast_mac(solicited_node(TARGET)),
        [0x33, 0x33, 0xff, 0, 0, 2]
    );
}

/// The one's complement sum of 16-bit words, folded: 0xffff over a message whose checksum is
/// right (computed here apart from the codec).
fn folded_sum(words: &[u8]) -> u16 {
    let mut sum: u32 = words
        .chunks(2)
        .map(|w| u32::from(w[0]) << 8 | u32::from(*w.get(1).unwrap_or(&0)))
        .sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

#[test]
fn a_solicitation_frame() {
    let frame = solicitation(MAC, TARGET);
    assert_eq!(frame.len(), SOLICITATION_FRAME_LEN);
    // Ethernet: to the solicited-node group, from the MAC, IPv6.
    assert_eq!(frame[..6], [0x33, 0x33, 0xff, 0, 0, 2]);
    assert_eq!(frame[6..12], MAC);
    assert_eq!(frame[12..14], [0x86, 0xdd]);
    let packet = &frame[ETH_HEADER_LEN..];
    // It reads back as a solicitation for the target from the link-local address.
    let ns = Ndp::parse(packet).expect("a valid solicitation");
    assert_eq!(
        (ns.kind, ns.source, ns.target),
        (NDP_SOLICITATION, link_local(MAC), TARGET)
    );
    assert_eq!(packet[24..40], solicited_node(TARGET));
    // Payload length, and the source link-layer option: type 1, 8 bytes, the MAC.
    let message = &packet[IPV6_HEADER_LEN..];
    assert_eq!(
        usize::from(u16::from_be_bytes([packet[4], packet[5]])),
        message.len()
    );
    assert_eq!(
        message[NDP_LEN..],
        [1, 1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56]
    );
    // The checksum verifies over the pseudo-header and the message.
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&packet[8..40]);
    pseudo.extend_from_slice(&(message.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 58]);
    pseudo.extend_from_slice(message);
    assert_eq!(folded_sum(&pseudo), 0xffff);
    assert_ne!(message[2..4], [0, 0]);
}

#[test]
fn checksum_of_odd_lengths_and_carries() {
    // RFC 1071's example words, after a zero pseudo-header apart from length and protocol.
    let zero = [0u8; 16];
    let message = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
    // 0x0001 + 0xf203 + 0xf4f5 + 0xf6f7 = 0x2ddf0 -> 0xddf2; plus 8 and 58 = 0xde34.
    assert_eq!(icmpv6_checksum(zero, zero, &message), !0xde34);
    // An odd length pads the last byte with a zero.
    assert_eq!(icmpv6_checksum(zero, zero, &[0xff]), !(0xff00u16 + 1 + 58));
}

#[test]
fn targets_as_text() {
    assert_eq!(
        Target::parse("192.0.2.2"),
        Some(Some(Target::V4([192, 0, 2, 2])))
    );
    assert_eq!(Target::parse("2001:db8::2"), Some(Some(Target::V6(TARGET))));
    assert_eq!(Target::parse("0.0.0.0"), Some(None));
    assert_eq!(Target::parse("::"), Some(None));
    for bad in ["", "192.0.2", "::ffff:192.0.2.1", "2001:db8::2/64", "host"] {
        assert_eq!(Target::parse(bad), None, "{bad:?}");
    }
    assert!(Target::V6(TARGET).valid());
    assert!(!Target::V6(parse_ipv6("ff02::1").unwrap()).valid());
    assert!(Target::V4([192, 0, 2, 2]).valid());
    assert!(!Target::V4([224, 0, 0, 1]).valid());
}
