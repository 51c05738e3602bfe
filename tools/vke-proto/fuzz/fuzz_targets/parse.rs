// SPDX-License-Identifier: GPL-2.0

//! Any bytes, as a daemon or a peer might send them: parsing never panics, and a message that
//! parses encodes back to as many bytes (unknown entries aside, which it skips) that parse
//! again to the same message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vke_proto::message::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = Message::parse(data) else {
        return;
    };
    let mut out = vec![0u8; message.encoded_len()];
    let written = message.encode(&mut out).expect("a parsed message encodes");
    assert_eq!(written, out.len());
    let again = Message::parse(&out).expect("an encoded message parses");
    assert_eq!(again.header, message.header);
    assert_eq!(again.payload, message.payload);
    let mut sub = message.subheader;
    sub.skipped = 0;
    assert_eq!(again.subheader, sub);
    if message.subheader.skipped == 0 {
        assert_eq!(out.len(), data.len());
    }
});
