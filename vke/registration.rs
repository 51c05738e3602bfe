// SPDX-License-Identifier: GPL-2.0

//! Registration: the payload of the `Join` and `Welcome` messages that admit a node to the
//! cluster and hand it the cluster's configuration and the status of the members.
//!
//! Plain `no_std` Rust, shared with the host crate `tools/vke-proto`. When TIPC reports a new
//! member, each side sends it a `Join` carrying its copy of the configuration and its own
//! status; the answer is a `Welcome` with the same content. A node changes its status or the
//! configuration by broadcasting a `Welcome`. A registration also names the port of the
//! sender's direct socket, which the receiver takes daemons' messages from, and says whether
//! the sender takes them there (then they go to it once it welcomed the receiver). Every
//! field is big-endian:
//!
//! ```text
//!  0  configuration generation (64 bits)   8  its origin node   12  default deadline (ms)
//! 16  cluster name (32 bytes, NUL padded, at least one NUL)
//! 48  sender's membership epoch (64 bits) 56  members it admitted 58  services it serves (n)
//! 60  port of the sender's direct socket (0: none)
//! 64  flags: bit 0, send to the direct socket; the others 0
//! 68  n service numbers (32 bits each)
//! ```
//!
//! Configurations are ordered by generation, then by origin node: every node keeps the
//! greatest it has seen, so all converge on one whichever way the messages travel.

use super::header::{be16, be32, be64, Error};
use super::services::MAX_SERVICES;
use super::subheader::MAX_DEADLINE_MS;

/// Bytes of the cluster name, NUL padding included: names have at most 31 bytes.
pub const NAME_LEN: usize = 32;

/// Bytes of a registration before its list of services.
pub const FIXED_LEN: usize = 68;

/// The flag of a sender that takes daemons' messages on its direct socket.
const FLAG_DIRECT: u32 = 1;

/// Most bytes of a registration.
pub const MAX_LEN: usize = FIXED_LEN + 4 * MAX_SERVICES;

/// The configuration every node of a cluster shares.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Config {
    /// How many times it was set: 0 for a node's built-in configuration.
    pub generation: u64,
    /// The node that set it (0 for the built-in one); breaks ties between generations.
    pub origin: u32,
    /// How long a request waits for responses when its sub-header gives no deadline.
    pub deadline_ms: u32,
    /// The cluster's name, NUL padded.
    name: [u8; NAME_LEN],
}

impl Config {
    /// The configuration of a node that has not heard of another: no name.
    pub const fn built_in(deadline_ms: u32) -> Self {
        Self {
            generation: 0,
            origin: 0,
            deadline_ms,
            name: [0; NAME_LEN],
        }
    }

    /// A configuration; refuses a name of [`NAME_LEN`] bytes or more, or with a NUL in it, and a
    /// deadline out of 1 to [`MAX_DEADLINE_MS`].
    pub fn new(generation: u64, origin: u32, deadline_ms: u32, name: &[u8]) -> Result<Self, Error> {
        if name.len() >= NAME_LEN || name.contains(&0) {
            return Err(Error::BadRegistration);
        }
        if deadline_ms == 0 || deadline_ms > MAX_DEADLINE_MS {
            return Err(Error::BadDeadline);
        }
        let mut padded = [0; NAME_LEN];
        padded[..name.len()].copy_from_slice(name);
        Ok(Self {
            generation,
            origin,
            deadline_ms,
            name: padded,
        })
    }

    /// The cluster's name, without its padding.
    pub fn name(&self) -> &[u8] {
        let len = self.name.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
        &self.name[..len]
    }

    /// The name followed by its NUL, for C.
    pub fn name_with_nul(&self) -> &[u8] {
        let len = self.name().len();
        &self.name[..=len.min(NAME_LEN - 1)]
    }

    /// Whether this configuration replaces `other`: a later generation, or the same one set by
    /// a greater node.
    pub fn supersedes(&self, other: &Config) -> bool {
        (self.generation, self.origin) > (other.generation, other.origin)
    }
}

/// What a node says of itself when it joins and when its status changes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Status {
    /// The sender's membership epoch.
    pub epoch: u64,
    /// How many members the sender has admitted.
    pub members: u16,
    /// How many entries of `services` are used.
    pub service_count: u8,
    /// The services a daemon serves on the sender.
    pub services: [u32; MAX_SERVICES],
}

impl Status {
    /// The services the sender serves.
    pub fn services(&self) -> &[u32] {
        &self.services[..usize::from(self.service_count).min(MAX_SERVICES)]
    }
}

/// The payload of a `Join` or a `Welcome`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Registration {
    /// The sender's copy of the configuration.
    pub config: Config,
    /// The sender's status.
    pub status: Status,
    /// The port of the sender's direct socket, on the sender's node (0: it has none).
    pub direct_port: u32,
    /// Whether the sender takes daemons' messages on its direct socket.
    pub takes_direct: bool,
}

impl Registration {
    /// Reads and checks the registration that is exactly `buf`.
    pub fn parse(buf: &[u8]) -> Result<Self, Error> {
        let Some(b) = buf.get(..FIXED_LEN) else {
            return Err(Error::Truncated);
        };
        let count = usize::from(be16(b, 58));
        if count > MAX_SERVICES {
            return Err(Error::BadRegistration);
        }
        let len = FIXED_LEN + 4 * count;
        if buf.len() < len {
            return Err(Error::Truncated);
        }
        if buf.len() > len {
            return Err(Error::TrailingBytes);
        }
        let name = &b[16..48];
        let name_len = name
            .iter()
            .position(|&c| c == 0)
            .ok_or(Error::BadRegistration)?;
        if name[name_len..].iter().any(|&c| c != 0) {
            return Err(Error::BadRegistration);
        }
        let config = Config::new(be64(b, 0), be32(b, 8), be32(b, 12), &name[..name_len])?;
        let mut status = Status {
            epoch: be64(b, 48),
            members: be16(b, 56),
            // At most MAX_SERVICES, checked above.
            service_count: count as u8,
            services: [0; MAX_SERVICES],
        };
        for (i, service) in status.services.iter_mut().take(count).enumerate() {
            *service = be32(buf, FIXED_LEN + 4 * i);
        }
        let flags = be32(b, 64);
        if flags & !FLAG_DIRECT != 0 {
            return Err(Error::BadRegistration);
        }
        Ok(Self {
            config,
            status,
            direct_port: be32(b, 60),
            takes_direct: flags & FLAG_DIRECT != 0,
        })
    }

    /// Bytes [`Registration::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        FIXED_LEN + 4 * self.status.services().len()
    }

    /// Writes the registration into the start of `out`; returns the bytes written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let len = self.encoded_len();
        let out = out.get_mut(..len).ok_or(Error::NoRoom)?;
        let mut put = |at: usize, bytes: &[u8]| out[at..at + bytes.len()].copy_from_slice(bytes);
        let (c, s) = (&self.config, &self.status);
        put(0, &c.generation.to_be_bytes());
        put(8, &c.origin.to_be_bytes());
        put(12, &c.deadline_ms.to_be_bytes());
        put(16, &c.name);
        put(48, &s.epoch.to_be_bytes());
        put(56, &s.members.to_be_bytes());
        let services = s.services();
        // At most MAX_SERVICES.
        put(58, &(services.len() as u16).to_be_bytes());
        put(60, &self.direct_port.to_be_bytes());
        put(64, &u32::from(self.takes_direct).to_be_bytes());
        for (i, service) in services.iter().enumerate() {
            put(FIXED_LEN + 4 * i, &service.to_be_bytes());
        }
        Ok(len)
    }
}
