// SPDX-License-Identifier: GPL-2.0

//! The service table: one daemon per service, bounded, and a gone daemon loses everything.

use vke_proto::services::{BindError, Services, MAX_SERVICES};

#[test]
fn one_daemon_per_service() {
    let mut s = Services::new();
    assert_eq!(s.bind(7, 100), Ok(()));
    assert_eq!(s.bind(7, 100), Ok(()), "binding again is harmless");
    assert_eq!(s.bind(7, 200), Err(BindError::Busy(100)));
    assert_eq!(s.port_of(7), Some(100));
    assert!(!s.unbind(7, 200), "only the daemon serving it unbinds it");
    assert!(s.unbind(7, 100));
    assert_eq!(s.port_of(7), None);
    assert_eq!(s.bind(7, 200), Ok(()));
}

#[test]
fn bounded_and_reusable() {
    let mut s = Services::new();
    for i in 0..MAX_SERVICES as u32 {
        assert_eq!(s.bind(i, 1000 + i), Ok(()));
    }
    assert_eq!(s.bind(99, 1), Err(BindError::Full));
    assert!(s.unbind(3, 1003));
    assert_eq!(s.bind(99, 1), Ok(()));
    assert_eq!(s.iter().count(), MAX_SERVICES);
}

#[test]
fn gone_daemon_loses_all_its_services() {
    let mut s = Services::new();
    s.bind(1, 50).unwrap();
    s.bind(2, 60).unwrap();
    s.bind(3, 50).unwrap();
    assert_eq!(s.unbind_port(50), 2);
    assert_eq!(s.port_of(1), None);
    assert_eq!(s.port_of(2), Some(60));
    assert_eq!(s.port_of(3), None);
    assert_eq!(s.unbind_port(50), 0);
}
