// SPDX-License-Identifier: GPL-2.0

//! The registration payload of `Join` and `Welcome`: round trips, the order of
//! configurations, and refusals of every malformed shape.

use vke_proto::header::Error;
use vke_proto::registration::{Config, Registration, Status, FIXED_LEN, MAX_LEN, NAME_LEN};
use vke_proto::services::MAX_SERVICES;

fn sample() -> Registration {
    let mut status = Status {
        epoch: 7,
        members: 3,
        service_count: 2,
        ..Status::default()
    };
    status.services[..2].copy_from_slice(&[7, 0x5052]);
    Registration {
        config: Config::new(4, 0x1001, 900, b"prod").unwrap(),
        status,
        direct_port: 0x8000_1234,
        takes_direct: true,
    }
}

fn encoded(r: &Registration) -> Vec<u8> {
    let mut out = vec![0; MAX_LEN];
    let len = r.encode(&mut out).unwrap();
    out.truncate(len);
    out
}

#[test]
fn a_registration_round_trips() {
    let r = sample();
    let bytes = encoded(&r);
    assert_eq!(bytes.len(), FIXED_LEN + 8);
    assert_eq!(Registration::parse(&bytes), Ok(r));
    let parsed = Registration::parse(&bytes).unwrap();
    assert_eq!(parsed.config.name(), b"prod");
    assert_eq!(parsed.config.name_with_nul(), b"prod\0");
    assert_eq!(parsed.status.services(), &[7, 0x5052]);
    // The direct socket's port and the flags, big-endian, before the services.
    assert_eq!(&bytes[60..64], &[0x80, 0x00, 0x12, 0x34]);
    assert_eq!(&bytes[64..68], &1u32.to_be_bytes());
    assert_eq!(&bytes[68..72], &7u32.to_be_bytes());
    assert_eq!(parsed.direct_port, 0x8000_1234);
    assert!(parsed.takes_direct);
    let off = Registration {
        takes_direct: false,
        ..r
    };
    let off_bytes = encoded(&off);
    assert_eq!(&off_bytes[64..68], &[0; 4]);
    assert_eq!(Registration::parse(&off_bytes), Ok(off));
}

#[test]
fn the_greatest_configuration_wins() {
    let built_in = Config::built_in(5000);
    let a = Config::new(1, 0x1001, 900, b"a").unwrap();
    let b = Config::new(1, 0x1002, 900, b"b").unwrap();
    let c = Config::new(2, 0x1001, 900, b"c").unwrap();
    assert!(a.supersedes(&built_in) && !built_in.supersedes(&a));
    assert!(b.supersedes(&a) && !a.supersedes(&b));
    assert!(c.supersedes(&b));
    assert!(!c.supersedes(&c));
}

#[test]
fn bad_configurations_are_refused() {
    assert_eq!(Config::new(1, 1, 0, b"x"), Err(Error::BadDeadline));
    assert_eq!(Config::new(1, 1, 600_001, b"x"), Err(Error::BadDeadline));
    assert_eq!(
        Config::new(1, 1, 10, &[b'n'; NAME_LEN]),
        Err(Error::BadRegistration)
    );
    assert_eq!(Config::new(1, 1, 10, b"a\0b"), Err(Error::BadRegistration));
    assert!(Config::new(1, 1, 10, &[b'n'; NAME_LEN - 1]).is_ok());
}

#[test]
fn malformed_registrations_are_refused() {
    let good = encoded(&sample());
    assert_eq!(
        Registration::parse(&good[..FIXED_LEN - 1]),
        Err(Error::Truncated)
    );
    assert_eq!(
        Registration::parse(&good[..good.len() - 1]),
        Err(Error::Truncated)
    );
    let mut long = good.clone();
    long.push(0);
    assert_eq!(Registration::parse(&long), Err(Error::TrailingBytes));
    let mut unterminated = good.clone();
    unterminated[16..48].fill(b'n');
    assert_eq!(
        Registration::parse(&unterminated),
        Err(Error::BadRegistration)
    );
    let mut junk_after_nul = good.clone();
    junk_after_nul[40] = b'x';
    assert_eq!(
        Registration::parse(&junk_after_nul),
        Err(Error::BadRegistration)
    );
    let mut no_deadline = good.clone();
    no_deadline[12..16].fill(0);
    assert_eq!(Registration::parse(&no_deadline), Err(Error::BadDeadline));
    let mut unknown_flag = good.clone();
    unknown_flag[64..68].copy_from_slice(&2u32.to_be_bytes());
    assert_eq!(
        Registration::parse(&unknown_flag),
        Err(Error::BadRegistration)
    );
    let mut too_many = good.clone();
    too_many[58..60].copy_from_slice(&(MAX_SERVICES as u16 + 1).to_be_bytes());
    assert_eq!(Registration::parse(&too_many), Err(Error::BadRegistration));
}

#[test]
fn encoding_needs_room() {
    let r = sample();
    let mut out = vec![0; FIXED_LEN];
    assert_eq!(r.encode(&mut out), Err(Error::NoRoom));
}
