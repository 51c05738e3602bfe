// SPDX-License-Identifier: GPL-2.0

//! A generic netlink client over neli: requests with extended-ack errors, dumps, multicast.

use neli::FromBytesWithInput;
use neli::{
    attr::Attribute,
    consts::{
        nl::{NlmF, Nlmsg},
        socket::NlFamily,
    },
    err::RouterError,
    err::{Nlmsgerr, NlmsghdrErr},
    genl::{AttrTypeBuilder, Genlmsghdr, GenlmsghdrBuilder, Nlattr, NlattrBuilder},
    nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder},
    router::synchronous::{NlRouter, NlRouterReceiverHandle},
    socket::synchronous::NlSocketHandle,
    types::{Buffer, GenlBuffer, NlBuffer},
    utils::Groups,
};
use std::{collections::VecDeque, fmt, io::Cursor, os::fd::AsRawFd};

/// A message of a family: command and attributes, untyped.
pub type Message = Genlmsghdr<u8, u16>;

/// An attribute as sent.
pub type Attr = Nlattr<u16, Buffer>;

/// What went wrong talking to the kernel.
#[derive(Debug)]
pub enum Error {
    /// The family is not registered (its module is not loaded).
    NoFamily(String),
    /// The kernel refused the request: errno and extended-ack message.
    Refused { errno: i32, message: Option<String> },
    /// Anything else (socket, parsing).
    Other(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoFamily(name) => {
                write!(
                    f,
                    "generic netlink family {name} not found (module not loaded?)"
                )
            }
            Error::Refused { errno, message } => {
                let os = std::io::Error::from_raw_os_error(*errno);
                match message {
                    Some(m) => write!(f, "{m} ({os})"),
                    None => write!(f, "{os}"),
                }
            }
            Error::Other(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for Error {}

fn other(e: impl fmt::Display) -> Error {
    Error::Other(e.to_string())
}

/// The extended-ack attribute carrying the error message (`NLMSGERR_ATTR_MSG`).
const NLMSGERR_ATTR_MSG: u16 = 1;

/// Turns an error message of the kernel into an [`Error`], with its extended-ack message.
fn refused(err: &Nlmsgerr<NlmsghdrErr<u16, Message>>) -> Error {
    let message = err
        .ext_ack()
        .iter()
        .find(|a| u16::from(a.nla_type()) == NLMSGERR_ATTR_MSG)
        .map(|a| {
            let bytes = a.nla_payload().as_ref();
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            String::from_utf8_lossy(&bytes[..end]).into_owned()
        });
    Error::Refused {
        errno: -err.error(),
        message,
    }
}

fn router_error<T: fmt::Debug, P: fmt::Debug>(e: RouterError<T, P>) -> Error {
    Error::Other(format!("{e:?}"))
}

/// Builds an attribute of type `ty` with `payload`.
pub fn attr<P>(ty: u16, payload: P) -> Result<Attr, Error>
where
    P: neli::Size + neli::ToBytes,
{
    NlattrBuilder::default()
        .nla_type(
            AttrTypeBuilder::default()
                .nla_type(ty)
                .build()
                .map_err(other)?,
        )
        .nla_payload(payload)
        .build()
        .map_err(other)
}

/// Room to receive a batch of messages: more than the largest (64 KiB of attributes).
const RECV_BUFFER: usize = 128 * 1024;

/// A connection to one generic netlink family.
///
/// Requests go through a plain socket, which keeps the extended acknowledgement of errors;
/// the router resolves names and receives notifications. Messages the family sends to the
/// plain socket alone (to a daemon's port) wait in `unicast` while a request is under way.
pub struct Client {
    socket: NlSocketHandle,
    seq: u32,
    unicast: VecDeque<Message>,
    buffer: Vec<u8>,
    router: NlRouter,
    multicast: NlRouterReceiverHandle<u16, Message>,
    family: String,
    id: u16,
}

impl Client {
    /// Connects and resolves `family`.
    pub fn connect(family: &str) -> Result<Self, Error> {
        let (router, multicast) =
            NlRouter::connect(NlFamily::Generic, None, Groups::empty()).map_err(other)?;
        router.enable_ext_ack(true).map_err(other)?;
        let id = router
            .resolve_genl_family(family)
            .map_err(|_| Error::NoFamily(family.to_owned()))?;
        let socket =
            NlSocketHandle::connect(NlFamily::Generic, None, Groups::empty()).map_err(other)?;
        socket.enable_ext_ack(true).map_err(other)?;
        Ok(Self {
            socket,
            seq: 0,
            unicast: VecDeque::new(),
            buffer: vec![0; RECV_BUFFER],
            router,
            multicast,
            family: family.to_owned(),
            id,
        })
    }

    /// Sends command `cmd` with `attrs`; returns the replies (all of a dump's with `dump`).
    pub fn request(
        &mut self,
        cmd: u8,
        attrs: Vec<Attr>,
        dump: bool,
    ) -> Result<Vec<Message>, Error> {
        let msg = GenlmsghdrBuilder::default()
            .cmd(cmd)
            .version(1)
            .attrs(attrs.into_iter().collect::<GenlBuffer<u16, Buffer>>())
            .build()
            .map_err(other)?;
        self.seq = self.seq.wrapping_add(1);
        let flags = if dump { NlmF::DUMP } else { NlmF::ACK };
        let request = NlmsghdrBuilder::default()
            .nl_type(self.id)
            .nl_flags(flags | NlmF::REQUEST)
            .nl_seq(self.seq)
            .nl_payload(NlPayload::Payload(msg))
            .build()
            .map_err(other)?;
        self.socket.send(&request).map_err(other)?;
        let mut out = Vec::new();
        loop {
            for reply in self.recv_batch()? {
                if *reply.nl_seq() != self.seq {
                    self.keep_unicast(reply);
                    continue;
                }
                match reply.nl_payload() {
                    NlPayload::Err(e) => return Err(refused(e)),
                    NlPayload::Ack(_) => return Ok(out),
                    NlPayload::Payload(p) if *reply.nl_type() != u16::from(Nlmsg::Done) => {
                        out.push(p.clone());
                        // A reply to a request without ACK would end here; ours has one.
                    }
                    _ => {}
                }
                if *reply.nl_type() == u16::from(Nlmsg::Done) {
                    return Ok(out);
                }
            }
        }
    }

    /// Receives what one read of the request socket brings, with a buffer large enough for
    /// the largest message (neli's own holds 32 KiB).
    fn recv_batch(&mut self) -> Result<Vec<Nlmsghdr<u16, Message>>, Error> {
        let fd = self.socket.as_raw_fd();
        let n = nix::sys::socket::recv(fd, &mut self.buffer, nix::sys::socket::MsgFlags::empty())
            .map_err(other)?;
        let bytes = &self.buffer[..n];
        let batch = NlBuffer::<u16, Message>::from_bytes_with_input(&mut Cursor::new(bytes), n)
            .map_err(other)?;
        Ok(batch.into_iter().collect())
    }

    /// Keeps a message of the family that is not a reply (sequence 0) for `take_unicast`.
    fn keep_unicast(&mut self, msg: Nlmsghdr<u16, Message>) {
        if *msg.nl_seq() != 0 || *msg.nl_type() != self.id {
            return;
        }
        if let NlPayload::Payload(p) = msg.nl_payload() {
            self.unicast.push_back(p.clone());
        }
    }

    /// Returns a message the family sent to the request socket alone that was kept while a
    /// request waited for its answer, if there is one.
    pub fn take_unicast(&mut self) -> Option<Message> {
        self.unicast.pop_front()
    }

    /// Joins multicast group `group` of the family.
    pub fn subscribe(&self, group: &str) -> Result<(), Error> {
        let id = self
            .router
            .resolve_nl_mcast_group(&self.family, group)
            .map_err(other)?;
        self.router
            .add_mcast_membership(Groups::new_groups(&[id]))
            .map_err(other)
    }

    /// Waits for the next notification of a joined group.
    pub fn next_event(&mut self) -> Option<Result<Message, Error>> {
        loop {
            let msg = match self.multicast.next_typed::<u16, Message>()? {
                Ok(msg) => msg,
                Err(e) => return Some(Err(router_error(e))),
            };
            if *msg.nl_type() != self.id {
                continue;
            }
            if let NlPayload::Payload(p) = msg.nl_payload() {
                return Some(Ok(p.clone()));
            }
        }
    }
}

/// Reads a `u8` attribute.
pub fn u8_of(a: &Nlattr<u16, Buffer>) -> Option<u8> {
    a.get_payload_as::<u8>().ok()
}

/// Reads a `u32` attribute.
pub fn u32_of(a: &Nlattr<u16, Buffer>) -> Option<u32> {
    a.get_payload_as::<u32>().ok()
}

/// Reads an `NLA_UINT` (4 or 8 bytes).
pub fn uint_of(a: &Nlattr<u16, Buffer>) -> Option<u64> {
    let bytes = a.nla_payload().as_ref();
    match bytes.len() {
        4 => Some(u32::from_ne_bytes(bytes.try_into().ok()?).into()),
        8 => Some(u64::from_ne_bytes(bytes.try_into().ok()?)),
        _ => None,
    }
}

/// Reads a string attribute, up to its NUL.
pub fn string_of(a: &Nlattr<u16, Buffer>) -> String {
    let bytes = a.nla_payload().as_ref();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The name of value `v` of an enum whose names are listed in order; the number if unknown.
pub fn enum_name(names: &[&str], v: u32) -> String {
    names
        .get(v as usize)
        .map_or_else(|| v.to_string(), |n| (*n).to_owned())
}
