// SPDX-License-Identifier: GPL-2.0

//! ARP probing of members whose link is up but which may pass no traffic.
//!
//! A member can keep carrier while the path behind it is dead: a switch port blocked or in
//! the wrong VLAN, an upstream link down, a VF whose embedded switch lost its uplink. Neither
//! carrier nor transmit counters show it. With a probe target set, the vNIC asks the target
//! for its address (an ARP request) once per interval, from the active member only, as
//! bonding's active-backup ARP monitor does: every member carries the vNIC's MAC, and a
//! request from a backup would make the switches learn that MAC on the backup's port.
//!
//! Each probe's answers are counted a moment after it went out ([`reply_wait`]), not at the
//! next probe as bonding does, so a dead path is noticed most of an interval sooner. A probe
//! is answered for
//! - the active member by an ARP frame sent by the target (its reply, or a request of its
//!   own);
//! - a backup by that, or by a request for the target (the active member's probe, flooded to
//!   the backups' ports, shows they still receive from the segment).
//!
//! Counting answers to probes actually sent, rather than time since the last proof, keeps a
//! tick that comes late (the timer waits for RTNL) from failing anyone.
//!
//! A member that leaves `missed_max` probes in a row unanswered fails
//! ([`crate::policy::Health::ProbeFailed`]); a failed one recovers on the first it answers.
//! A request for the target answers for a failed member only while a usable active member
//! hears the target: otherwise the target may be the one that is dead, and members reviving on each other's probes would take turns
//! failing. A dead target fails each member once; the last one stays active, degraded (the
//! selector keeps a failed active member when no other can take over), so traffic still
//! flows if only the target died.
//!
//! While the active member is not usable (failed, or none), the probes go out of the members
//! whose link is up, one per interval in turn, so the one whose path (or target) comes back is
//! found. A member that does not carry the traffic then probes as itself: from its own
//! address (permanent, or random), claiming no IPv4 address (0.0.0.0, which the target
//! answers without learning anything), so the switches keep the vNIC's address on the port
//! its traffic uses.
//!
//! An IPv6 target is probed the same way with neighbour solicitations ([`solicitation`]),
//! multicast to the target's solicited-node group as bonding's `ns_ip6_target` probes are;
//! [`Ndp`] and [`ndp_proof`] read the answers as [`Arp`] and [`proof`] do. A solicitation's
//! source is the link-local address that the frame's source MAC gives under EUI-64
//! ([`link_local`]): for the active member, the vNIC's own (its default link-local address);
//! for a member probing as itself, one of its own, so the target learns nothing about the
//! vNIC's addresses from it. The unspecified source of a duplicate address check (the
//! analogue of ARP's 0.0.0.0) is not used: a target checking its own address at that moment
//! would take the probe for a duplicate and give its address up.
//!
//! Pure logic, compiled by the module and by `tools/vnic-policy` for host tests.

use crate::policy::Millis;

/// Bytes of an ARP packet for Ethernet and IPv4 (RFC 826), after the Ethernet header.
pub const ARP_LEN: usize = 28;

/// An IPv4 address, in network order.
pub type Ipv4 = [u8; 4];

/// `ar_op` of a request.
pub const ARP_REQUEST: u16 = 1;
/// `ar_op` of a reply.
pub const ARP_REPLY: u16 = 2;

/// An ARP packet for Ethernet and IPv4, as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arp {
    /// Request or reply (`ar_op`).
    pub op: u16,
    /// The sender's hardware address.
    pub sender_mac: [u8; 6],
    /// The sender's protocol address.
    pub sender_ip: Ipv4,
    /// The target's hardware address.
    pub target_mac: [u8; 6],
    /// The target's protocol address.
    pub target_ip: Ipv4,
}

impl Arp {
    /// Parses an ARP packet; `None` unless it is a request or reply for Ethernet and IPv4.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let b: &[u8; ARP_LEN] = bytes.get(..ARP_LEN)?.try_into().ok()?;
        let be16 = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
        // Hardware Ethernet, protocol IPv4, address lengths 6 and 4.
        if be16(0) != 1 || be16(2) != 0x0800 || b[4] != 6 || b[5] != 4 {
            return None;
        }
        let op = be16(6);
        if op != ARP_REQUEST && op != ARP_REPLY {
            return None;
        }
        let mac = |i: usize| [b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5]];
        let ip = |i: usize| [b[i], b[i + 1], b[i + 2], b[i + 3]];
        Some(Self {
            op,
            sender_mac: mac(8),
            sender_ip: ip(14),
            target_mac: mac(18),
            target_ip: ip(24),
        })
    }
}

/// An IPv6 address, in network order.
pub type Ipv6 = [u8; 16];

/// Bytes of the IPv6 header.
pub const IPV6_HEADER_LEN: usize = 40;
/// Bytes of a neighbour solicitation or advertisement without options (RFC 4861).
pub const NDP_LEN: usize = 24;
/// ICMPv6 type of a neighbour solicitation.
pub const NDP_SOLICITATION: u8 = 135;
/// ICMPv6 type of a neighbour advertisement.
pub const NDP_ADVERTISEMENT: u8 = 136;

/// A neighbour solicitation or advertisement, as received (the IPv6 equivalent of [`Arp`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ndp {
    /// [`NDP_SOLICITATION`] or [`NDP_ADVERTISEMENT`].
    pub kind: u8,
    /// The IPv6 source: the sender, or unspecified (`::`) for a duplicate address check.
    pub source: Ipv6,
    /// The address asked for or advertised.
    pub target: Ipv6,
}

impl Ndp {
    /// Parses an IPv6 packet (from its header on) holding a neighbour solicitation or
    /// advertisement; `None` for anything else, or for one a router could have forwarded (a
    /// hop limit other than 255, which RFC 4861 makes receivers drop).
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let b: &[u8; IPV6_HEADER_LEN + NDP_LEN] =
            bytes.get(..IPV6_HEADER_LEN + NDP_LEN)?.try_into().ok()?;
        let payload = u16::from_be_bytes([b[4], b[5]]);
        // Version 6, ICMPv6 right after the header, hop limit 255, room for the message.
        if b[0] >> 4 != 6 || b[6] != 58 || b[7] != 255 || usize::from(payload) < NDP_LEN {
            return None;
        }
        let icmp = &b[IPV6_HEADER_LEN..];
        let kind = icmp[0];
        if (kind != NDP_SOLICITATION && kind != NDP_ADVERTISEMENT) || icmp[1] != 0 {
            return None;
        }
        let addr = |bytes: &[u8]| -> Option<Ipv6> { bytes.get(..16)?.try_into().ok() };
        Some(Self {
            kind,
            source: addr(&b[8..])?,
            target: addr(&icmp[8..])?,
        })
    }
}

/// Bytes of an Ethernet header.
pub const ETH_HEADER_LEN: usize = 14;
/// The Ethernet protocol number of IPv6.
pub const ETH_P_IPV6: u16 = 0x86dd;
/// Bytes of a neighbour solicitation with a source link-layer address option.
pub const SOLICITATION_LEN: usize = NDP_LEN + 8;
/// Bytes of the Ethernet frame [`solicitation`] builds.
pub const SOLICITATION_FRAME_LEN: usize = ETH_HEADER_LEN + IPV6_HEADER_LEN + SOLICITATION_LEN;
/// The ICMPv6 protocol number.
const IPPROTO_ICMPV6: u8 = 58;
/// The neighbour discovery option that carries the sender's link-layer address.
const OPTION_SOURCE_LL: u8 = 1;

/// Returns the link-local address (`fe80::/64`) that `mac` gives under modified EUI-64
/// (RFC 4291 appendix A): the address Linux configures on an Ethernet device by default.
pub fn link_local(mac: [u8; 6]) -> Ipv6 {
    let mut addr = [0u8; 16];
    addr[0] = 0xfe;
    addr[1] = 0x80;
    addr[8..11].copy_from_slice(&[mac[0] ^ 0x02, mac[1], mac[2]]);
    addr[11] = 0xff;
    addr[12] = 0xfe;
    addr[13..16].copy_from_slice(&mac[3..6]);
    addr
}

/// Returns the solicited-node multicast group of `addr` (`ff02::1:ffXX:XXXX`, RFC 4291),
/// which its owner joins and where solicitations for it go.
pub fn solicited_node(addr: Ipv6) -> Ipv6 {
    let mut group = [0u8; 16];
    group[0] = 0xff;
    group[1] = 0x02;
    group[11] = 0x01;
    group[12] = 0xff;
    group[13..16].copy_from_slice(&addr[13..16]);
    group
}

/// Returns the Ethernet address an IPv6 multicast group maps to (RFC 2464: `33:33` and the
/// group's last four bytes).
pub fn multicast_mac(group: Ipv6) -> [u8; 6] {
    [0x33, 0x33, group[12], group[13], group[14], group[15]]
}

/// Returns the ICMPv6 checksum of `message` (its checksum field zero) sent from `source` to
/// `destination` (RFC 4443 section 2.3: the one's complement sum over a pseudo-header and the
/// message).
pub fn icmpv6_checksum(source: Ipv6, destination: Ipv6, message: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut add = |bytes: &[u8]| {
        for pair in bytes.chunks(2) {
            let hi = pair[0];
            let lo = pair.get(1).copied().unwrap_or(0);
            sum += u64::from(u16::from_be_bytes([hi, lo]));
        }
    };
    add(&source);
    add(&destination);
    // Upper-layer length as 32 bits, three zero bytes, next header.
    let len = message.len() as u32;
    add(&len.to_be_bytes());
    add(&[0, 0, 0, IPPROTO_ICMPV6]);
    add(message);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Builds the Ethernet frame of a neighbour solicitation for `target` sent from `mac`: to the
/// target's solicited-node group, from [`link_local`]`(mac)`, hop limit 255, with `mac` in a
/// source link-layer address option so that the target can answer it by unicast.
pub fn solicitation(mac: [u8; 6], target: Ipv6) -> [u8; SOLICITATION_FRAME_LEN] {
    let source = link_local(mac);
    let group = solicited_node(target);
    let mut frame = [0u8; SOLICITATION_FRAME_LEN];
    let (eth, rest) = frame.split_at_mut(ETH_HEADER_LEN);
    eth[..6].copy_from_slice(&multicast_mac(group));
    eth[6..12].copy_from_slice(&mac);
    eth[12..14].copy_from_slice(&ETH_P_IPV6.to_be_bytes());
    let (ip, icmp) = rest.split_at_mut(IPV6_HEADER_LEN);
    // Version 6, no traffic class or flow label.
    ip[0] = 0x60;
    ip[4..6].copy_from_slice(&(SOLICITATION_LEN as u16).to_be_bytes());
    ip[6] = IPPROTO_ICMPV6;
    ip[7] = 255;
    ip[8..24].copy_from_slice(&source);
    ip[24..40].copy_from_slice(&group);
    icmp[0] = NDP_SOLICITATION;
    // Code, checksum and the reserved word stay zero until the checksum is computed.
    icmp[8..24].copy_from_slice(&target);
    icmp[24] = OPTION_SOURCE_LL;
    // The option's length, in units of 8 bytes.
    icmp[25] = 1;
    icmp[26..32].copy_from_slice(&mac);
    let checksum = icmpv6_checksum(source, group, icmp);
    icmp[2..4].copy_from_slice(&checksum.to_be_bytes());
    frame
}

/// What a received ARP packet proves about the member it arrived on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    /// Nothing.
    None,
    /// The target sent it: the path to the target works both ways. Proves any member.
    FromTarget,
    /// A request for the target: the member receives the segment's broadcasts. Proves a
    /// backup only (the active member must hear the target itself).
    ForTarget,
}

/// Classifies an ARP packet received while probing `target`.
pub fn proof(arp: &Arp, target: Ipv4) -> Proof {
    if arp.sender_ip == target {
        Proof::FromTarget
    } else if arp.op == ARP_REQUEST && arp.target_ip == target {
        Proof::ForTarget
    } else {
        Proof::None
    }
}

/// Classifies a neighbour solicitation or advertisement received while probing `target`, as
/// [`proof`] does an ARP packet: an advertisement for the target, or a solicitation the target
/// sent, is the target's; a solicitation for it from anyone else is a probe for it.
pub fn ndp_proof(ndp: &Ndp, target: Ipv6) -> Proof {
    if (ndp.kind == NDP_ADVERTISEMENT && ndp.target == target) || ndp.source == target {
        Proof::FromTarget
    } else if ndp.kind == NDP_SOLICITATION && ndp.target == target {
        Proof::ForTarget
    } else {
        Proof::None
    }
}

/// When a member last showed each kind of proof (the policy's clock; 0 for never).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// Last [`Proof::FromTarget`].
    pub from_target: Millis,
    /// Last [`Proof::ForTarget`].
    pub for_target: Millis,
}

/// Probing tunables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Milliseconds between probes.
    pub interval: Millis,
    /// Probes in a row a member may leave unanswered; it fails at the next.
    pub missed_max: u32,
}

/// Longest wait for the answers to a probe, in milliseconds: a round trip on a LAN takes
/// well under one.
pub const MAX_REPLY_WAIT: Millis = 50;

/// How long after sending a probe its answers are counted: a quarter of the interval, at
/// most [`MAX_REPLY_WAIT`], at least 1 ms. Bonding counts them at the next probe, an interval
/// later; judging each probe this soon after it went out takes most of an interval off the
/// time to notice a dead path.
pub fn reply_wait(config: &Config) -> Millis {
    (config.interval / 4).clamp(1, MAX_REPLY_WAIT)
}

/// What a member is when a probe is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// It carries the traffic and sends the probes.
    Active,
    /// A usable member that does not carry traffic.
    Backup,
    /// A member failed by probing.
    Failed {
        /// Whether a usable active member heard the target answer the same probe
        /// ([`answered`] as [`Role::Active`]).
        target_heard: bool,
    },
}

/// Whether a member in `role` answered the probe sent at `sent_at`: the active member (or a
/// failed one while nobody hears the target) must have heard the target itself since; a
/// backup, or a failed member while the active one hears the target, may instead have heard
/// a request for the target (that probe, flooded to its port).
pub fn answered(seen: &Seen, role: Role, sent_at: Millis) -> bool {
    let last = match role {
        Role::Active
        | Role::Failed {
            target_heard: false,
        } => seen.from_target,
        Role::Backup | Role::Failed { target_heard: true } => seen.from_target.max(seen.for_target),
    };
    last >= sent_at
}

/// The verdict on one member after a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Its path works, or it has not missed enough probes in a row yet.
    Alive,
    /// It missed its limit of probes in a row; or, failed, it missed this one.
    Dead,
}

/// Counts one probe for a member in `role` (its role when the probe went out) that has
/// missed `missed` probes in a row before it. The active member fails once it has missed
/// `missed_max` in a row; a backup gets one more, as in bonding: when the active member's
/// path dies, its probes reach nobody, and the backups would otherwise fail with it. A
/// failed member recovers on the first probe it answers.
pub fn count(missed: &mut u32, answered: bool, role: Role, config: &Config) -> Verdict {
    if answered {
        *missed = 0;
        return Verdict::Alive;
    }
    *missed = missed.saturating_add(1);
    let limit = match role {
        Role::Active => config.missed_max.max(1),
        Role::Backup => config.missed_max.max(1).saturating_add(1),
        Role::Failed { .. } => return Verdict::Dead,
    };
    if *missed >= limit {
        Verdict::Dead
    } else {
        Verdict::Alive
    }
}

/// Picks the member that sends the next probe when no member is usable: the next one in
/// turn after `last` among `candidates` (pool slots of members whose link is up), so each
/// gets its chance to hear the target.
pub fn next_in_turn(candidates: impl Iterator<Item = usize> + Clone, last: usize) -> Option<usize> {
    candidates
        .clone()
        .find(|&slot| slot > last)
        .or_else(|| candidates.min())
}

/// Parses a dotted-quad IPv4 address (`192.0.2.1`): four decimal numbers up to 255, no
/// leading zeros (they read as octal elsewhere), nothing else.
pub fn parse_ipv4(text: &str) -> Option<Ipv4> {
    let mut addr = [0u8; 4];
    let mut parts = text.split('.');
    for byte in addr.iter_mut() {
        let part = parts.next()?;
        let valid = !part.is_empty()
            && part.len() <= 3
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'));
        if !valid {
            return None;
        }
        *byte = part.parse().ok()?;
    }
    parts.next().is_none().then_some(addr)
}

/// Whether `addr` can be a probe target: a unicast address, not loopback (0.0.0.0 turns
/// probing off and is not a target either).
pub fn target_valid(addr: Ipv4) -> bool {
    let [a, ..] = addr;
    a != 0 && a != 127 && a < 224
}

/// Parses an IPv6 address in the text form of RFC 4291 (`2001:db8::1`), with core's parser;
/// the form with an embedded IPv4 address is refused, so a sysfs write that mixes the two
/// families is not taken for an IPv6 target.
pub fn parse_ipv6(text: &str) -> Option<Ipv6> {
    if text.contains('.') {
        return None;
    }
    text.parse::<core::net::Ipv6Addr>()
        .ok()
        .map(|addr| addr.octets())
}

/// A probe target: an IPv4 address probed with ARP, or an IPv6 address probed with neighbour
/// solicitations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Probed with ARP requests.
    V4(Ipv4),
    /// Probed with neighbour solicitations.
    V6(Ipv6),
}

impl Target {
    /// Parses a target written as text: an IPv4 address (dotted quad) or an IPv6 one.
    /// `Some(None)` is an unspecified address (`0.0.0.0` or `::`), which turns probing off.
    pub fn parse(text: &str) -> Option<Option<Self>> {
        let target = match parse_ipv4(text) {
            Some(addr) => Self::V4(addr),
            None => Self::V6(parse_ipv6(text)?),
        };
        Some(match target {
            Self::V4([0, 0, 0, 0]) => None,
            Self::V6(addr) if addr == [0; 16] => None,
            target => Some(target),
        })
    }

    /// Whether the address can be a probe target ([`target_valid`], [`target6_valid`]).
    pub fn valid(&self) -> bool {
        match *self {
            Self::V4(addr) => target_valid(addr),
            Self::V6(addr) => target6_valid(addr),
        }
    }
}

/// Whether `addr` can be an IPv6 probe target: not unspecified (`::`, which turns probing
/// off), loopback (`::1`) or multicast (`ff00::/8`).
pub fn target6_valid(addr: Ipv6) -> bool {
    let loopback = addr[..15].iter().all(|&b| b == 0) && addr[15] == 1;
    addr != [0; 16] && !loopback && addr[0] != 0xff
}
