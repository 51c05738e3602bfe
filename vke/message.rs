// SPDX-License-Identifier: GPL-2.0

//! A whole VKE message: header, sub-header and payload, checked as one.
//!
//! Plain `no_std` Rust, shared with the host crate `tools/vke-proto`. A message from a daemon
//! or off the wire is parsed by [`Message::parse`] before anything trusts a field of it: the
//! lengths must account for every byte, and the fields must agree with the kind and with each
//! other. Parsing borrows the payload and allocates nothing.

use super::header::{Error, Header, Kind, Lengths, HEADER_LEN};
use super::subheader::SubHeader;

/// A checked message; its payload borrows the buffer it was parsed from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Message<'a> {
    /// The fixed header.
    pub header: Header,
    /// The delivery options.
    pub subheader: SubHeader,
    /// The service's own bytes.
    pub payload: &'a [u8],
}

impl<'a> Message<'a> {
    /// Parses and checks the message that is exactly `buf`.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        let (header, lengths) = Header::parse(buf)?;
        let body = &buf[HEADER_LEN..];
        let total = lengths.subheader + lengths.payload;
        if body.len() < total {
            return Err(Error::Truncated);
        }
        if body.len() > total {
            return Err(Error::TrailingBytes);
        }
        let (sub, payload) = body.split_at(lengths.subheader);
        let message = Self {
            header,
            subheader: SubHeader::parse(sub)?,
            payload,
        };
        message.check()?;
        Ok(message)
    }

    /// Checks that the fields agree with the kind and with each other.
    pub fn check(&self) -> Result<(), Error> {
        let (h, s) = (&self.header, &self.subheader);
        if s.broadcast != (h.destination == 0) {
            return Err(Error::BadDestination);
        }
        match h.kind {
            Kind::Request | Kind::Join | Kind::Welcome => {
                if h.status != 0 {
                    return Err(Error::Inconsistent);
                }
            }
            Kind::Response => {
                if s.broadcast || s.response_requested || s.deadline_ms.is_some() || h.request == 0
                {
                    return Err(Error::Inconsistent);
                }
            }
        }
        // A deadline says how long to wait for responses: without them it means nothing.
        if s.deadline_ms.is_some() && !s.response_requested {
            return Err(Error::Inconsistent);
        }
        Ok(())
    }

    /// Bytes [`Message::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.subheader.encoded_len() + self.payload.len()
    }

    /// Checks the message and writes it into the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        self.check()?;
        let len = self.encoded_len();
        let out = out.get_mut(..len).ok_or(Error::NoRoom)?;
        let (head, body) = out.split_at_mut(HEADER_LEN);
        let subheader = self.subheader.encode(body)?;
        let lengths = Lengths {
            subheader,
            payload: self.payload.len(),
        };
        self.header.encode(lengths, head)?;
        body[subheader..].copy_from_slice(self.payload);
        Ok(len)
    }
}
