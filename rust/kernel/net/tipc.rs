// SPDX-License-Identifier: GPL-2.0

//! TIPC through kernel sockets: addresses, communication groups, and what a receive returns.
//!
//! TIPC exports no kernel API of its own; a module uses it through a [`Socket`] of family
//! `AF_TIPC`, as a process would. A communication group is a service type whose members
//! (sockets anywhere in the cluster, each with an instance number) exchange messages by
//! unicast, anycast, multicast and broadcast, with flow control per member, and receive
//! membership events ([`Arrival::MemberUp`], [`Arrival::MemberDown`]).
//!
//! C header: [`include/uapi/linux/tipc.h`](srctree/include/uapi/linux/tipc.h)

use crate::{
    bindings,
    error::Result,
    net::{
        pernet::Init,
        socket::{self, AddressStorage, Socket, Type},
    },
    prelude::*,
};

/// The largest message TIPC carries (`TIPC_MAX_USER_MSG_SIZE`); it splits and rejoins longer
/// ones than a link's MTU itself.
pub const MAX_MESSAGE_LEN: usize = bindings::TIPC_MAX_USER_MSG_SIZE as usize;

/// The lowest service type applications may use (`TIPC_RESERVED_TYPES`).
pub const FIRST_USER_TYPE: u32 = bindings::TIPC_RESERVED_TYPES;

/// Where a name or group is visible.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scope {
    /// Every node of the cluster.
    Cluster,
    /// This node only.
    Node,
}

impl Scope {
    fn as_raw(self) -> u32 {
        match self {
            Self::Cluster => bindings::tipc_scope_TIPC_CLUSTER_SCOPE,
            Self::Node => bindings::tipc_scope_TIPC_NODE_SCOPE,
        }
    }
}

/// `struct sockaddr_tipc`, with its union as the three 32-bit words every form of it is.
#[repr(C)]
#[derive(Clone, Copy)]
struct RawAddress {
    family: u16,
    addrtype: u8,
    scope: i8,
    words: [u32; 3],
}

const _: () =
    assert!(core::mem::size_of::<RawAddress>() == core::mem::size_of::<bindings::sockaddr_tipc>());

/// A socket's identity: its port number on its node (`struct tipc_socket_addr`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SocketId {
    /// The port number, unique on the node.
    pub port: u32,
    /// The node's 32-bit TIPC address (0 until the node has one).
    pub node: u32,
}

/// A TIPC address (`struct sockaddr_tipc`).
#[derive(Clone, Copy)]
pub struct Address(RawAddress);

impl Address {
    fn new(addrtype: u32, scope: Scope, words: [u32; 3]) -> Self {
        Self(RawAddress {
            family: bindings::AF_TIPC as u16,
            addrtype: addrtype as u8,
            scope: scope.as_raw() as i8,
            words,
        })
    }

    /// One socket (`TIPC_SOCKET_ADDR`): to a group member, a unicast.
    pub fn socket(id: SocketId) -> Self {
        Self::new(
            bindings::TIPC_SOCKET_ADDR,
            Scope::Cluster,
            [id.port, id.node, 0],
        )
    }

    /// A service instance (`TIPC_SERVICE_ADDR`): to bind, or to send to one of the sockets
    /// bound to it (anycast; in a group, to one member with that instance).
    pub fn service(service: u32, instance: u32, scope: Scope) -> Self {
        Self::new(bindings::TIPC_SERVICE_ADDR, scope, [service, instance, 0])
    }

    /// A range of service instances (`TIPC_SERVICE_RANGE`): to bind, or to send to every
    /// socket bound within it (multicast).
    pub fn range(service: u32, lower: u32, upper: u32, scope: Scope) -> Self {
        Self::new(bindings::TIPC_SERVICE_RANGE, scope, [service, lower, upper])
    }
}

// SAFETY: `as_raw` points to `self.0`, a `sockaddr_tipc` of `len` bytes with family `AF_TIPC`.
unsafe impl socket::Address for Address {
    const FAMILY: u16 = bindings::AF_TIPC as u16;

    fn as_raw(&self) -> *const bindings::sockaddr {
        core::ptr::from_ref(&self.0).cast()
    }

    fn len(&self) -> usize {
        core::mem::size_of::<RawAddress>()
    }
}

/// What [`receive`] got.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arrival {
    /// A message of `len` bytes (truncated to the buffer if `truncated`) from socket `from`;
    /// in a group, `member` is the sender's instance.
    Message {
        /// Bytes of data in the buffer.
        len: usize,
        /// Whether the message was longer than the buffer (the rest is dropped).
        truncated: bool,
        /// The sending socket.
        from: SocketId,
        /// The sender's member instance, for a group message.
        member: Option<u32>,
    },
    /// A member joined the socket's group.
    MemberUp {
        /// The member's socket.
        member: SocketId,
        /// Its instance.
        instance: u32,
    },
    /// A member left the socket's group, or its node went down.
    MemberDown {
        /// The member's socket.
        member: SocketId,
        /// Its instance.
        instance: u32,
    },
    /// A message of ours came back undelivered with TIPC error `error` (`TIPC_ERR_*`); its
    /// first `len` bytes (at most [`RETURNED_HEAD`]) are in the buffer, so that the sender can
    /// tell which message it was.
    Returned {
        /// The error code.
        error: u32,
        /// The socket it was for.
        to: SocketId,
        /// Bytes of the message in the buffer.
        len: usize,
    },
}

/// Reads the native 32-bit word at `at`, if `bytes` has it.
fn word(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

/// Finds the data of ancillary record `level`/`kind` in `control` (`struct cmsghdr` records,
/// each aligned to a `long`).
fn find_cmsg(control: &[u8], level: i32, kind: i32) -> Option<&[u8]> {
    const LONG: usize = core::mem::size_of::<usize>();
    let header = core::mem::size_of::<bindings::cmsghdr>();
    let align = |n: usize| (n + LONG - 1) & !(LONG - 1);
    let mut at = 0;
    while at + header <= control.len() {
        let len_bytes = control.get(at..at + LONG)?;
        let mut raw = [0u8; LONG];
        raw.copy_from_slice(len_bytes);
        let len = usize::from_ne_bytes(raw);
        if len < header || at + len > control.len() {
            return None;
        }
        let rec_level = word(control, at + LONG)? as i32;
        let rec_kind = word(control, at + LONG + 4)? as i32;
        if rec_level == level && rec_kind == kind {
            return control.get(at + align(header)..at + len);
        }
        at += align(len);
    }
    None
}

/// Creates a reliable-datagram TIPC socket (`SOCK_RDM`) in the namespace being initialised.
pub fn socket(net: &Init<'_>) -> Result<Socket> {
    Socket::create(net, bindings::AF_TIPC as u16, Type::ReliableDatagram, 0)
}

/// Joins `sock` to group `service` as member `instance` (`TIPC_GROUP_JOIN`), receiving
/// membership events, and its own broadcasts if `loopback`. The service must be at least
/// [`FIRST_USER_TYPE`]; a socket joins one group, and a bound socket none.
pub fn join_group(
    sock: &Socket,
    service: u32,
    instance: u32,
    scope: Scope,
    loopback: bool,
) -> Result {
    let mut flags = bindings::TIPC_GROUP_MEMBER_EVTS;
    if loopback {
        flags |= bindings::TIPC_GROUP_LOOPBACK;
    }
    let mut req = [0u8; 16];
    for (i, w) in [service, instance, scope.as_raw(), flags]
        .iter()
        .enumerate()
    {
        req[i * 4..i * 4 + 4].copy_from_slice(&w.to_ne_bytes());
    }
    sock.set_option(
        bindings::SOL_TIPC as i32,
        bindings::TIPC_GROUP_JOIN as i32,
        &req,
    )
}

/// Has TIPC return messages of `sock` it cannot deliver (`TIPC_DEST_DROPPABLE` off), as
/// [`Arrival::Returned`], instead of dropping them. Joining a group sets it anew: call this
/// after [`join_group`].
pub fn return_undelivered(sock: &Socket) -> Result {
    sock.set_option(
        bindings::SOL_TIPC as i32,
        bindings::TIPC_DEST_DROPPABLE as i32,
        &0u32.to_ne_bytes(),
    )
}

/// Sends `data` as one message to the whole group `sock` joined (a group broadcast), or,
/// with `to`, as the address says. Never blocks: a full flow-control window or a congested
/// link fails with `EAGAIN`.
pub fn send(sock: &Socket, to: Option<&Address>, data: &[u8]) -> Result<usize> {
    sock.send(to, data, socket::MSG_DONTWAIT)
}

/// The socket's own identity; its node is 0 until the node has an address.
pub fn own_id(sock: &Socket) -> Result<SocketId> {
    let mut storage = AddressStorage::new();
    sock.local_address(&mut storage)?;
    let bytes = storage.as_bytes();
    Ok(SocketId {
        port: word(bytes, 4).ok_or(EINVAL)?,
        node: word(bytes, 8).ok_or(EINVAL)?,
    })
}

/// The most bytes of a returned message [`receive`] gives: enough for a header that says
/// which message it was.
pub const RETURNED_HEAD: usize = 64;

/// Receives one arrival into `data` without blocking: `EAGAIN` when there is none.
pub fn receive(sock: &Socket, data: &mut [u8]) -> Result<Arrival> {
    let mut from = AddressStorage::new();
    // Room for the error record (8 bytes) and the destination name (12), or the start of the
    // returned data (`RETURNED_HEAD`), each after a `cmsghdr`: TIPC cuts the returned data
    // to the room there is (`MSG_CTRUNC`), and puts nothing in `data`.
    let mut control = socket::Control::<{ 32 + 16 + RETURNED_HEAD }>::new();
    let got = sock.receive(&mut from, data, &mut control, socket::MSG_DONTWAIT)?;
    let name = from.as_bytes();
    let name = name.get(..got.address_len).unwrap_or(&[]);
    // `struct sockaddr_tipc`: family, type and scope, then the words; a group message or
    // event adds a second one, `{group, instance}` in its first two words.
    let sender = SocketId {
        port: word(name, 4).unwrap_or(0),
        node: word(name, 8).unwrap_or(0),
    };
    let member = word(name, 16 + 8);
    let control = control.records(got.control_len);
    if let Some(info) = find_cmsg(
        control,
        bindings::SOL_TIPC as i32,
        bindings::TIPC_ERRINFO as i32,
    ) {
        let error = word(info, 0).unwrap_or(0);
        if error != 0 {
            let head = find_cmsg(
                control,
                bindings::SOL_TIPC as i32,
                bindings::TIPC_RETDATA as i32,
            )
            .unwrap_or(&[]);
            let len = head.len().min(data.len()).min(RETURNED_HEAD);
            data[..len].copy_from_slice(&head[..len]);
            return Ok(Arrival::Returned {
                error,
                to: sender,
                len,
            });
        }
    }
    if got.flags & socket::MSG_OOB != 0 {
        let instance = member.unwrap_or(0);
        return Ok(if got.flags & socket::MSG_EOR != 0 {
            Arrival::MemberDown {
                member: sender,
                instance,
            }
        } else {
            Arrival::MemberUp {
                member: sender,
                instance,
            }
        });
    }
    Ok(Arrival::Message {
        len: got.len,
        truncated: got.flags & socket::MSG_TRUNC != 0,
        from: sender,
        member,
    })
}
