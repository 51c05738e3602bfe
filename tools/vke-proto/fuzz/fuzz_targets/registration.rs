// SPDX-License-Identifier: GPL-2.0

//! Any bytes as the payload of a `Join` or `Welcome` from a peer: parsing never panics, and a
//! registration that parses encodes back to the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vke_proto::registration::Registration;

fuzz_target!(|data: &[u8]| {
    let Ok(registration) = Registration::parse(data) else {
        return;
    };
    let mut out = vec![0u8; registration.encoded_len()];
    let written = registration
        .encode(&mut out)
        .expect("a parsed registration encodes");
    assert_eq!(&out[..written], data);
    assert_eq!(Registration::parse(&out), Ok(registration));
});
