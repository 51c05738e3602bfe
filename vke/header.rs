// SPDX-License-Identifier: GPL-2.0

//! The fixed header of a VKE message: what it is, whom it is for, and how long its parts are.
//!
//! Plain `no_std` Rust, shared with the host crate `tools/vke-proto`. Every field is big-endian
//! (network order) at a fixed offset, so a peer of another architecture reads the same message:
//!
//! ```text
//!  0  magic "VKEM"        4  version   5  kind   6  flags (reserved, 0)
//!  8  service            12  key (64 bits)
//! 20  source node        24  destination node (0: every node, with a broadcast entry)
//! 28  request id (64 bits)                        36  status (signed)
//! 40  sub-header length  42  reserved (0)         44  payload length
//! 48  sub-header, then payload
//! ```

/// The first four bytes of every message: "VKEM".
pub const MAGIC: u32 = 0x564b_454d;

/// The protocol version this code speaks; a message of another version is refused.
pub const VERSION: u8 = 1;

/// Bytes of the fixed header.
pub const HEADER_LEN: usize = 48;

/// Most bytes of sub-header a message may carry.
pub const MAX_SUBHEADER_LEN: usize = 256;

/// Most bytes of payload a message may carry: with the header and the longest sub-header, a
/// message still fits one TIPC message (66000 bytes), so none is ever split, and one netlink
/// attribute (65531 bytes), so a daemon passes it whole.
pub const MAX_PAYLOAD_LEN: usize = 65024;

/// Most bytes of a whole message.
pub const MAX_MESSAGE_LEN: usize = HEADER_LEN + MAX_SUBHEADER_LEN + MAX_PAYLOAD_LEN;

/// What a message is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Kind {
    /// A daemon's message to a service on one node or every node; it may ask for responses.
    Request = 1,
    /// The answer of one node to a request, carrying the request's id.
    Response = 2,
    /// A node asks to join the cluster and for its configuration.
    Join = 3,
    /// The configuration and member status a node receives when it joins.
    Welcome = 4,
}

impl Kind {
    /// The kind with wire value `value`, if there is one.
    pub fn from_wire(value: u8) -> Option<Self> {
        match value {
            1 => Some(Self::Request),
            2 => Some(Self::Response),
            3 => Some(Self::Join),
            4 => Some(Self::Welcome),
            _ => None,
        }
    }
}

/// Why a message was refused. Every variant names one rule; [`Error::message`] says it in
/// words for an extack or a log line.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Error {
    /// Shorter than its header, or than the lengths its header gives.
    Truncated,
    /// Longer than the lengths its header gives.
    TrailingBytes,
    /// The magic is not "VKEM".
    BadMagic,
    /// A version this code does not speak.
    BadVersion,
    /// An unknown kind.
    BadKind,
    /// A reserved field or flag is not zero.
    Reserved,
    /// A sub-header over [`MAX_SUBHEADER_LEN`], or not a multiple of 4 bytes.
    BadSubHeaderLen,
    /// A payload over [`MAX_PAYLOAD_LEN`].
    PayloadTooLong,
    /// A sub-header entry runs past the sub-header, or its length is wrong for its type.
    BadEntry,
    /// An entry type that must be understood and is not.
    UnknownEntry,
    /// The same entry twice.
    DuplicateEntry,
    /// A deadline of 0 or over [`super::subheader::MAX_DEADLINE_MS`].
    BadDeadline,
    /// A broadcast with a destination node, or a unicast without one.
    BadDestination,
    /// Fields that contradict the kind: a response asking for responses or broadcast, a
    /// request with a status, or a response without a request id.
    Inconsistent,
    /// The payload of a `Join` or `Welcome` is not a registration (see `registration`).
    BadRegistration,
    /// The buffer to encode into is too small.
    NoRoom,
}

impl Error {
    /// The rule broken, in words.
    pub fn message(self) -> &'static str {
        let text = self.message_with_nul();
        text.strip_suffix('\0').unwrap_or(text)
    }

    /// [`Error::message`] with a NUL at its end, for C (an extack message).
    pub fn message_with_nul(self) -> &'static str {
        match self {
            Self::Truncated => "VKE message truncated\0",
            Self::TrailingBytes => "VKE message longer than its header says\0",
            Self::BadMagic => "not a VKE message (bad magic)\0",
            Self::BadVersion => "unsupported VKE protocol version\0",
            Self::BadKind => "unknown VKE message kind\0",
            Self::Reserved => "reserved VKE header field or flag set\0",
            Self::BadSubHeaderLen => "VKE sub-header length over 256 or not a multiple of 4\0",
            Self::PayloadTooLong => "VKE payload over 65024 bytes\0",
            Self::BadEntry => "malformed VKE sub-header entry\0",
            Self::UnknownEntry => "unknown mandatory VKE sub-header entry\0",
            Self::DuplicateEntry => "duplicate VKE sub-header entry\0",
            Self::BadDeadline => "VKE deadline must be 1 to 600000 ms\0",
            Self::BadDestination => "VKE broadcast has a destination node, or unicast has none\0",
            Self::Inconsistent => "VKE header fields contradict the message kind\0",
            Self::BadRegistration => "malformed VKE registration (join or welcome)\0",
            Self::NoRoom => "no room to encode the VKE message\0",
        }
    }
}

/// The header fields a sender chooses; the lengths are derived from the other parts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Header {
    /// What the message is.
    pub kind: Kind,
    /// The service it is for: daemons bind services and receive only theirs.
    pub service: u32,
    /// The object within the service (a disk, a reservation, ...), the service's own key space.
    pub key: u64,
    /// The node that sent it (its TIPC node address).
    pub source: u32,
    /// The node it is for, or 0 for every node (a broadcast).
    pub destination: u32,
    /// The sender's id of the request; a response carries the id of the request it answers.
    pub request: u64,
    /// A response's outcome: 0, or a negative error number; 0 in every other kind.
    pub status: i32,
}

/// The lengths a parsed header gives for the parts after it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Lengths {
    /// Bytes of sub-header.
    pub subheader: usize,
    /// Bytes of payload.
    pub payload: usize,
}

/// The big-endian 16-bit field at `at` of `b`, which the caller checked is long enough.
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// The big-endian 32-bit field at `at` of `b`, which the caller checked is long enough.
pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The big-endian 64-bit field at `at` of `b`, which the caller checked is long enough.
pub(crate) fn be64(b: &[u8], at: usize) -> u64 {
    (u64::from(be32(b, at)) << 32) | u64::from(be32(b, at + 4))
}

impl Header {
    /// Reads and checks the fixed header at the start of `buf`: magic, version, kind, reserved
    /// fields and the limits on the lengths. Whether the parts fit `buf` is the caller's check.
    pub fn parse(buf: &[u8]) -> Result<(Self, Lengths), Error> {
        let Some(b) = buf.get(..HEADER_LEN) else {
            return Err(Error::Truncated);
        };
        if be32(b, 0) != MAGIC {
            return Err(Error::BadMagic);
        }
        if b[4] != VERSION {
            return Err(Error::BadVersion);
        }
        let kind = Kind::from_wire(b[5]).ok_or(Error::BadKind)?;
        if be16(b, 6) != 0 || be16(b, 42) != 0 {
            return Err(Error::Reserved);
        }
        let subheader = usize::from(be16(b, 40));
        if subheader > MAX_SUBHEADER_LEN || subheader % 4 != 0 {
            return Err(Error::BadSubHeaderLen);
        }
        let payload = be32(b, 44) as usize;
        if payload > MAX_PAYLOAD_LEN {
            return Err(Error::PayloadTooLong);
        }
        let header = Self {
            kind,
            service: be32(b, 8),
            key: be64(b, 12),
            source: be32(b, 20),
            destination: be32(b, 24),
            request: be64(b, REQUEST_AT),
            status: be32(b, 36) as i32,
        };
        Ok((header, Lengths { subheader, payload }))
    }

    /// Writes the header, with the given part lengths, into the first [`HEADER_LEN`] bytes of
    /// `out`.
    pub fn encode(&self, lengths: Lengths, out: &mut [u8]) -> Result<(), Error> {
        if lengths.subheader > MAX_SUBHEADER_LEN || lengths.subheader % 4 != 0 {
            return Err(Error::BadSubHeaderLen);
        }
        if lengths.payload > MAX_PAYLOAD_LEN {
            return Err(Error::PayloadTooLong);
        }
        let out = out.get_mut(..HEADER_LEN).ok_or(Error::NoRoom)?;
        let mut put = |at: usize, bytes: &[u8]| out[at..at + bytes.len()].copy_from_slice(bytes);
        put(0, &MAGIC.to_be_bytes());
        put(4, &[VERSION, self.kind as u8]);
        put(6, &0u16.to_be_bytes());
        put(8, &self.service.to_be_bytes());
        put(12, &self.key.to_be_bytes());
        put(20, &self.source.to_be_bytes());
        put(24, &self.destination.to_be_bytes());
        put(REQUEST_AT, &self.request.to_be_bytes());
        put(36, &self.status.to_be_bytes());
        // Both lengths were checked against limits that fit their fields.
        put(40, &(lengths.subheader as u16).to_be_bytes());
        put(42, &0u16.to_be_bytes());
        put(44, &(lengths.payload as u32).to_be_bytes());
        Ok(())
    }

    /// Rewrites the request id of the message encoded at the start of `buf` (a node hands a
    /// response to its daemon under the id the daemon chose, not the one on the wire).
    pub fn set_request(buf: &mut [u8], request: u64) -> Result<(), Error> {
        let field = buf
            .get_mut(REQUEST_AT..REQUEST_AT + 8)
            .ok_or(Error::Truncated)?;
        field.copy_from_slice(&request.to_be_bytes());
        Ok(())
    }
}

/// Where the request id sits in the header.
const REQUEST_AT: usize = 28;
