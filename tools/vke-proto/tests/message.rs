// SPDX-License-Identifier: GPL-2.0

//! The VKE wire format: what encodes, what parses back, and every rule a bad message breaks.

use vke_proto::header::{
    Error, Header, Kind, Lengths, HEADER_LEN, MAGIC, MAX_MESSAGE_LEN, MAX_PAYLOAD_LEN,
    MAX_SUBHEADER_LEN,
};
use vke_proto::message::Message;
use vke_proto::subheader::{SubHeader, BROADCAST, DEADLINE_MS, MANDATORY, RESPONSE_REQUESTED};

fn request() -> Message<'static> {
    Message {
        header: Header {
            kind: Kind::Request,
            service: 7,
            key: 0x0102_0304_0506_0708,
            source: 0x1001,
            destination: 0,
            request: 42,
            status: 0,
        },
        subheader: SubHeader {
            broadcast: true,
            response_requested: true,
            deadline_ms: Some(500),
            skipped: 0,
        },
        payload: b"reserve disk 3",
    }
}

fn response_to(req: &Message<'_>, from: u32, status: i32) -> Message<'static> {
    Message {
        header: Header {
            kind: Kind::Response,
            service: req.header.service,
            key: req.header.key,
            source: from,
            destination: req.header.source,
            request: req.header.request,
            status,
        },
        subheader: SubHeader::default(),
        payload: b"",
    }
}

fn encode(m: &Message<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; m.encoded_len()];
    assert_eq!(m.encode(&mut buf), Ok(buf.len()));
    buf
}

/// Sets the 16-bit big-endian field at `at`.
fn set16(buf: &mut [u8], at: usize, v: u16) {
    buf[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

fn set32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// A message built by hand from a header and raw sub-header bytes, with the lengths set.
fn raw(sub: &[u8], payload: &[u8], broadcast_dest: bool) -> Vec<u8> {
    let mut header = request().header;
    header.destination = if broadcast_dest { 0 } else { 9 };
    let mut buf = vec![0; HEADER_LEN];
    let none = Lengths {
        subheader: 0,
        payload: 0,
    };
    header.encode(none, &mut buf).unwrap();
    buf.extend_from_slice(sub);
    buf.extend_from_slice(payload);
    set16(&mut buf, 40, sub.len() as u16);
    set32(&mut buf, 44, payload.len() as u32);
    buf
}

fn entry(kind: u16, value: &[u8]) -> Vec<u8> {
    let mut e = Vec::new();
    e.extend_from_slice(&kind.to_be_bytes());
    e.extend_from_slice(&(value.len() as u16).to_be_bytes());
    e.extend_from_slice(value);
    while e.len() % 4 != 0 {
        e.push(0);
    }
    e
}

#[test]
fn a_request_round_trips() {
    let m = request();
    let buf = encode(&m);
    assert_eq!(buf.len(), HEADER_LEN + 4 + 4 + 8 + 14);
    assert_eq!(Message::parse(&buf), Ok(m));
}

#[test]
fn the_header_is_big_endian_at_fixed_offsets() {
    let buf = encode(&request());
    assert_eq!(&buf[0..4], b"VKEM");
    assert_eq!(u32::from_be_bytes(buf[0..4].try_into().unwrap()), MAGIC);
    assert_eq!(buf[4], 1, "version");
    assert_eq!(buf[5], Kind::Request as u8);
    assert_eq!(&buf[8..12], &7u32.to_be_bytes());
    assert_eq!(&buf[12..20], &0x0102_0304_0506_0708u64.to_be_bytes());
    assert_eq!(&buf[20..24], &0x1001u32.to_be_bytes());
    assert_eq!(&buf[24..28], &0u32.to_be_bytes());
    assert_eq!(&buf[28..36], &42u64.to_be_bytes());
    assert_eq!(&buf[40..42], &16u16.to_be_bytes(), "sub-header length");
    assert_eq!(&buf[44..48], &14u32.to_be_bytes(), "payload length");
    // Sub-header entries in a fixed order: broadcast, response requested, deadline.
    assert_eq!(&buf[48..52], &[0x80, 0x01, 0, 0]);
    assert_eq!(&buf[52..56], &[0x80, 0x02, 0, 0]);
    assert_eq!(&buf[56..64], &[0, 3, 0, 4, 0, 0, 0x01, 0xf4]);
}

#[test]
fn a_response_round_trips_with_a_negative_status() {
    let req = request();
    let m = response_to(&req, 0x1002, -5);
    let parsed = encode(&m);
    assert_eq!(Message::parse(&parsed), Ok(m));
    assert_eq!(Message::parse(&parsed).unwrap().header.status, -5);
}

#[test]
fn every_kind_round_trips() {
    for kind in [Kind::Request, Kind::Response, Kind::Join, Kind::Welcome] {
        let mut m = response_to(&request(), 3, 0);
        m.header.kind = kind;
        assert_eq!(Message::parse(&encode(&m)).map(|p| p.header.kind), Ok(kind));
    }
}

#[test]
fn the_largest_message_parses_and_one_byte_more_does_not() {
    let payload = vec![0xa5; MAX_PAYLOAD_LEN];
    let mut m = request();
    m.payload = &payload;
    let buf = encode(&m);
    assert!(buf.len() <= MAX_MESSAGE_LEN);
    assert_eq!(
        Message::parse(&buf).map(|p| p.payload.len()),
        Ok(MAX_PAYLOAD_LEN)
    );

    let payload = vec![0; MAX_PAYLOAD_LEN + 1];
    m.payload = &payload;
    let mut out = vec![0; m.encoded_len()];
    assert_eq!(m.encode(&mut out), Err(Error::PayloadTooLong));
    let mut buf = raw(&[], &payload, false);
    set32(&mut buf, 44, (MAX_PAYLOAD_LEN + 1) as u32);
    assert_eq!(Message::parse(&buf), Err(Error::PayloadTooLong));
}

#[test]
fn every_truncation_is_refused() {
    let buf = encode(&request());
    for len in 0..buf.len() {
        assert_eq!(
            Message::parse(&buf[..len]),
            Err(Error::Truncated),
            "{len} bytes"
        );
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let mut buf = encode(&request());
    buf.push(0);
    assert_eq!(Message::parse(&buf), Err(Error::TrailingBytes));
}

#[test]
fn header_rules() {
    let good = encode(&request());
    let cases: [(usize, u8, Error); 6] = [
        (0, b'X', Error::BadMagic),
        (4, 2, Error::BadVersion),
        (5, 0, Error::BadKind),
        (5, 5, Error::BadKind),
        (7, 1, Error::Reserved),
        (43, 1, Error::Reserved),
    ];
    for (at, value, err) in cases {
        let mut buf = good.clone();
        buf[at] = value;
        assert_eq!(Message::parse(&buf), Err(err), "byte {at} = {value}");
    }
}

#[test]
fn subheader_length_rules() {
    let mut buf = raw(&entry(DEADLINE_MS, &[0, 0, 0, 1]), b"", true);
    set16(&mut buf, 40, 6);
    assert_eq!(Message::parse(&buf), Err(Error::BadSubHeaderLen));
    let long: Vec<u8> = (0..(MAX_SUBHEADER_LEN / 4 + 1))
        .flat_map(|_| entry(0x10, &[]))
        .collect();
    assert_eq!(
        Message::parse(&raw(&long, b"", false)),
        Err(Error::BadSubHeaderLen)
    );
    let most: Vec<u8> = (0..MAX_SUBHEADER_LEN / 4)
        .flat_map(|_| entry(0x10, &[]))
        .collect();
    let buf = raw(&most, b"", false);
    let parsed = Message::parse(&buf).unwrap();
    assert_eq!(usize::from(parsed.subheader.skipped), MAX_SUBHEADER_LEN / 4);
}

#[test]
fn entry_rules() {
    let cases: Vec<(Vec<u8>, Error)> = vec![
        // A value that runs past the sub-header.
        (
            [0x00, 0x10, 0x00, 0x08, 0, 0, 0, 0].to_vec(),
            Error::BadEntry,
        ),
        // Flags carry no value.
        (entry(BROADCAST, &[1, 0, 0, 0]), Error::BadEntry),
        (entry(RESPONSE_REQUESTED, &[1]), Error::BadEntry),
        // A deadline is 4 bytes.
        (entry(DEADLINE_MS, &[0, 1]), Error::BadEntry),
        // Non-zero padding.
        (
            [0x00, 0x10, 0x00, 0x01, 7, 1, 0, 0].to_vec(),
            Error::BadEntry,
        ),
        (entry(MANDATORY | 0x77, &[]), Error::UnknownEntry),
        (
            [entry(BROADCAST, &[]), entry(BROADCAST, &[])].concat(),
            Error::DuplicateEntry,
        ),
        (
            [
                entry(RESPONSE_REQUESTED, &[]),
                entry(DEADLINE_MS, &[0, 0, 0, 1]),
                entry(DEADLINE_MS, &[0, 0, 0, 2]),
            ]
            .concat(),
            Error::DuplicateEntry,
        ),
        (
            [
                entry(RESPONSE_REQUESTED, &[]),
                entry(DEADLINE_MS, &[0, 0, 0, 0]),
            ]
            .concat(),
            Error::BadDeadline,
        ),
        (
            [
                entry(RESPONSE_REQUESTED, &[]),
                entry(DEADLINE_MS, &600_001u32.to_be_bytes()),
            ]
            .concat(),
            Error::BadDeadline,
        ),
    ];
    for (sub, err) in cases {
        let broadcast = sub.windows(2).any(|w| w == BROADCAST.to_be_bytes());
        assert_eq!(
            Message::parse(&raw(&sub, b"x", broadcast)),
            Err(err),
            "{sub:02x?}"
        );
    }
}

#[test]
fn unknown_optional_entries_are_skipped() {
    let sub = [entry(0x0042, b"hello"), entry(RESPONSE_REQUESTED, &[])].concat();
    let buf = raw(&sub, b"data", false);
    let m = Message::parse(&buf).unwrap();
    assert!(m.subheader.response_requested);
    assert_eq!(m.subheader.skipped, 1);
    assert_eq!(m.payload, b"data");
}

#[test]
fn destination_and_broadcast_must_agree() {
    let mut m = request();
    m.header.destination = 5;
    assert_eq!(m.encode(&mut [0; 256]), Err(Error::BadDestination));
    assert_eq!(
        Message::parse(&raw(&[], b"", true)),
        Err(Error::BadDestination)
    );
    let mut unicast = request();
    unicast.subheader.broadcast = false;
    unicast.header.destination = 5;
    assert!(Message::parse(&encode(&unicast)).is_ok());
}

#[test]
fn fields_must_agree_with_the_kind() {
    let req = request();
    let mut bad = Vec::new();
    let mut r = response_to(&req, 2, 0);
    r.subheader.response_requested = true;
    bad.push(r);
    let mut r = response_to(&req, 2, 0);
    r.header.request = 0;
    bad.push(r);
    let mut r = response_to(&req, 2, 0);
    r.subheader.broadcast = true;
    r.header.destination = 0;
    bad.push(r);
    let mut q = request();
    q.header.status = -1;
    bad.push(q);
    let mut q = request();
    q.subheader.response_requested = false;
    bad.push(q);
    for m in bad {
        assert_eq!(m.encode(&mut [0; 256]), Err(Error::Inconsistent), "{m:?}");
    }
}

#[test]
fn encoding_into_a_short_buffer_fails_cleanly() {
    let m = request();
    for len in 0..m.encoded_len() {
        let mut out = vec![0u8; len];
        assert_eq!(m.encode(&mut out), Err(Error::NoRoom), "{len} bytes");
    }
}

#[test]
fn every_error_has_a_message() {
    let all = [
        Error::Truncated,
        Error::TrailingBytes,
        Error::BadMagic,
        Error::BadVersion,
        Error::BadKind,
        Error::Reserved,
        Error::BadSubHeaderLen,
        Error::PayloadTooLong,
        Error::BadEntry,
        Error::UnknownEntry,
        Error::DuplicateEntry,
        Error::BadDeadline,
        Error::BadDestination,
        Error::Inconsistent,
        Error::NoRoom,
    ];
    let mut seen = std::collections::HashSet::new();
    for e in all {
        assert!(e.message().starts_with("VKE") || e.message().contains("VKE"));
        assert!(seen.insert(e.message()), "{e:?} shares its message");
    }
}

#[test]
fn the_request_id_is_rewritten_in_place() {
    let req = request();
    let mut buf = encode(&response_to(&req, 0x2002, 0));
    Header::set_request(&mut buf, 0xfeed_0000_0000_0007).unwrap();
    let again = Message::parse(&buf).unwrap();
    assert_eq!(again.header.request, 0xfeed_0000_0000_0007);
    assert_eq!(again.header.source, 0x2002);
    assert_eq!(
        Header::set_request(&mut buf[..HEADER_LEN - 16], 1),
        Err(Error::Truncated)
    );
}
