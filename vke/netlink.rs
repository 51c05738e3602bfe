// SPDX-License-Identifier: GPL-2.0

//! The `vke` generic netlink family: the system call interface of the daemons.
//!
//! A daemon binds the services it serves (`bind`), sends messages it built whole (`send`),
//! and receives, on the same socket, the requests of its services and the responses to its
//! requests (`message-ntf`), then the completion of each request with the status of every
//! responder (`done-ntf`). A daemon that waits for such a message may wait in the node
//! (`wait`, or `send` with a `wait` attribute), which then receives in the daemon's context:
//! a message reaches it with one context switch fewer than through the node's work. Anyone may read the node (`node-get`) and its members
//! (`member-get`), and listen to member changes (`member-ntf`, group `events`); an admin sets
//! the cluster's configuration (`cluster-set`).
//!
//! Specification: Documentation/netlink/specs/vke.yaml, which numbers the commands and
//! attributes below.

use crate::{
    header::MAX_MESSAGE_LEN,
    members::{Member, MAX_MEMBERS},
    node::{self, Node, Sent},
    registration::Config,
    responses::{Completed, Reason},
    stats::Stats,
    NODES,
};
use kernel::{
    c_str,
    net::{
        extack::fail,
        genetlink::{Dump, Family, Message, Operation, Policy, Request, Spec, BATCH_MESSAGE_ROOM},
        namespace::Net,
        netlink_release,
    },
    prelude::*,
};

/// The family.
pub(crate) static FAMILY: Family<VkeFamily> = Family::new();

/// The description of the family.
pub(crate) struct VkeFamily;

/// Commands.
mod cmd {
    pub(super) const NODE_GET: u8 = 1;
    pub(super) const MEMBER_GET: u8 = 2;
    pub(super) const BIND: u8 = 3;
    pub(super) const UNBIND: u8 = 4;
    pub(super) const SEND: u8 = 5;
    pub(super) const MESSAGE_NTF: u8 = 6;
    pub(super) const DONE_NTF: u8 = 7;
    pub(super) const MEMBER_NTF: u8 = 8;
    pub(super) const CLUSTER_SET: u8 = 9;
    pub(super) const WAIT: u8 = 10;
    pub(super) const NODE_SET: u8 = 11;
}

/// The longest a request may receive for its daemon (`wait`): the generic netlink core holds
/// a lock, shared by every request, while one runs, and registering a family waits for it.
const MAX_WAIT_MS: u16 = 1000;

/// Attributes of the `node` set.
mod node_attr {
    pub(super) const NODE: u16 = 1;
    pub(super) const EPOCH: u16 = 2;
    pub(super) const MEMBERS: u16 = 3;
    pub(super) const PENDING: u16 = 4;
    pub(super) const MAX_PENDING: u16 = 5;
    pub(super) const MAX_MEMBERS: u16 = 6;
    pub(super) const MAX_SERVICES: u16 = 7;
    pub(super) const MAX_MESSAGE: u16 = 8;
    pub(super) const STATS: u16 = 9;
    pub(super) const SERVICE: u16 = 10;
    pub(super) const CONFIG: u16 = 11;
    pub(super) const DIRECT: u16 = 12;
    pub(super) const DIRECT_PORT: u16 = 13;
}

/// Attributes of the `config` set.
mod config_attr {
    pub(super) const NAME: u16 = 1;
    pub(super) const DEADLINE: u16 = 2;
    pub(super) const GENERATION: u16 = 3;
    pub(super) const ORIGIN: u16 = 4;
}

/// Attributes of the `stats` set.
mod stats_attr {
    pub(super) const SENT: u16 = 1;
    pub(super) const RECEIVED: u16 = 2;
    pub(super) const DELIVERED: u16 = 3;
    pub(super) const UNBOUND: u16 = 4;
    pub(super) const REFUSED_MALFORMED: u16 = 5;
    pub(super) const REFUSED_OVERSIZE: u16 = 6;
    pub(super) const REFUSED_NOT_MEMBER: u16 = 7;
    pub(super) const REFUSED_SPOOFED: u16 = 8;
    pub(super) const REFUSED_MISADDRESSED: u16 = 9;
    pub(super) const RESPONSES: u16 = 10;
    pub(super) const DUPLICATES: u16 = 11;
    pub(super) const UNEXPECTED: u16 = 12;
    pub(super) const COMPLETED: u16 = 13;
    pub(super) const TIMEOUTS: u16 = 14;
    pub(super) const LEFT: u16 = 15;
    pub(super) const DAEMONS_GONE: u16 = 16;
    pub(super) const DROPPED: u16 = 17;
    pub(super) const REFUSED_DUPLICATE: u16 = 18;
    pub(super) const MEMBERS_FULL: u16 = 19;
    pub(super) const CONFIG_CHANGES: u16 = 20;
    pub(super) const RECEIVED_IN_WAIT: u16 = 21;
    pub(super) const RECEIVED_DIRECT: u16 = 22;
    pub(super) const UNSENT: u16 = 23;
}

/// Attributes of the `service` set.
mod service_attr {
    pub(super) const SERVICE: u16 = 1;
    pub(super) const PORT: u16 = 2;
}

/// Attributes of the `member` set.
mod member_attr {
    pub(super) const SLOT: u16 = 1;
    pub(super) const NODE: u16 = 2;
    pub(super) const PORT: u16 = 3;
    pub(super) const STATE: u16 = 4;
    pub(super) const EPOCH: u16 = 5;
    pub(super) const SENT: u16 = 6;
    pub(super) const RECEIVED: u16 = 7;
    pub(super) const RESPONSES: u16 = 8;
    pub(super) const TIMEOUTS: u16 = 9;
    pub(super) const REFUSED: u16 = 10;
    pub(super) const SERVICE: u16 = 11;
    pub(super) const MEMBERS: u16 = 12;
    pub(super) const DIRECT: u16 = 13;
}

/// Attributes of the `message` set.
mod message_attr {
    pub(super) const MESSAGE: u16 = 1;
    pub(super) const FROM: u16 = 2;
    pub(super) const REQUEST: u16 = 3;
    pub(super) const EXPECTED: u16 = 4;
    pub(super) const WAIT: u16 = 5;
}

/// Attributes of the `done` set.
mod done_attr {
    pub(super) const REQUEST: u16 = 1;
    pub(super) const REASON: u16 = 2;
    pub(super) const RESPONDER: u16 = 3;
}

/// Attributes of the `responder` set.
mod responder_attr {
    pub(super) const NODE: u16 = 1;
    pub(super) const OUTCOME: u16 = 2;
}

/// Values of the `member-state` enum.
mod member_state {
    pub(super) const UP: u32 = 0;
    pub(super) const DOWN: u32 = 1;
    pub(super) const JOINING: u32 = 2;
}

/// Values of the `reason` enum.
mod reason {
    pub(super) const ALL_ANSWERED: u32 = 0;
    pub(super) const DEADLINE: u32 = 1;
}

/// Values of the `outcome` enum.
mod outcome {
    pub(super) const ANSWERED: u32 = 0;
    pub(super) const TIMEOUT: u32 = 1;
    pub(super) const LEFT: u32 = 2;
    pub(super) const UNSENT: u32 = 3;
}

/// The multicast group of member changes.
const GROUP_EVENTS: usize = 0;

/// Room for the attributes of a `message-ntf` besides the message.
const MESSAGE_OVERHEAD: usize = 64;

/// Room for a `done-ntf` of `done`: its request, reason and a nest per expected responder.
/// Sized to fit: netlink copies a datagram with more than half of it unused into a smaller
/// one before it queues it.
fn done_size(done: &Completed) -> usize {
    64 + done.entry.expected.count_ones() as usize * 24
}

const NOT_LOADED: &CStr = c_str!("vke: no node in this namespace");

impl Spec for VkeFamily {
    const NAME: &'static CStr = c_str!("vke");
    const OPERATIONS: &'static [Operation] = &[
        Operation {
            cmd: cmd::NODE_GET,
            policy: &[],
            doit: Some(node_get),
            dumpit: None,
            admin: false,
        },
        Operation {
            cmd: cmd::MEMBER_GET,
            policy: &[],
            doit: None,
            dumpit: Some(member_dump),
            admin: false,
        },
        Operation {
            cmd: cmd::BIND,
            policy: &[Policy::U32, Policy::Reject],
            doit: Some(bind),
            dumpit: None,
            admin: true,
        },
        Operation {
            cmd: cmd::UNBIND,
            policy: &[Policy::U32, Policy::Reject],
            doit: Some(unbind),
            dumpit: None,
            admin: true,
        },
        Operation {
            cmd: cmd::SEND,
            policy: &[
                Policy::Binary {
                    max_len: MAX_MESSAGE_LEN as u16,
                },
                Policy::Reject,
                Policy::Reject,
                Policy::Reject,
                Policy::U32Max(MAX_WAIT_MS),
            ],
            doit: Some(send),
            dumpit: None,
            admin: true,
        },
        Operation {
            cmd: cmd::CLUSTER_SET,
            policy: &[
                Policy::String {
                    max_len: (crate::registration::NAME_LEN - 1) as u16,
                },
                Policy::U32,
                Policy::Reject,
                Policy::Reject,
            ],
            doit: Some(cluster_set),
            dumpit: None,
            admin: true,
        },
        Operation {
            cmd: cmd::WAIT,
            policy: &[
                Policy::Reject,
                Policy::Reject,
                Policy::Reject,
                Policy::Reject,
                Policy::U32Max(MAX_WAIT_MS),
            ],
            doit: Some(wait),
            dumpit: None,
            admin: true,
        },
        Operation {
            cmd: cmd::NODE_SET,
            policy: &[
                Policy::Reject,
                Policy::Reject,
                Policy::Reject,
                Policy::Reject,
                Policy::Reject,
                Policy::Reject,
                Policy::Reject,
                Policy::Reject,
                Policy::Reject,
                Policy::Reject,
                Policy::Reject,
                Policy::U8Max(1),
                Policy::Reject,
            ],
            doit: Some(node_set),
            dumpit: None,
            admin: true,
        },
    ];
    const GROUPS: &'static [&'static CStr] = &[c_str!("events")];
}

/// Forgets the daemons of the nodes as they close their sockets.
pub(crate) struct DaemonReleases;

impl netlink_release::Handler for DaemonReleases {
    fn released(&self, net: &Net, protocol: i32, portid: u32) {
        if protocol != netlink_release::NETLINK_GENERIC {
            return;
        }
        let Some(nodes) = NODES.get() else {
            return;
        };
        if let Some(receiver) = nodes.get(net) {
            node::daemon_closed(&receiver, portid);
        }
    }
}

/// Runs `f` on the node of the request's namespace.
fn with_node<R>(
    req: &Request<'_>,
    f: impl FnOnce(&kernel::net::socket::Receiver<Node>) -> Result<R>,
) -> Result<R> {
    let nodes = NODES
        .get()
        .ok_or_else(|| fail(req.extack(), NOT_LOADED, ENODEV))?;
    let receiver = nodes
        .get(req.net())
        .ok_or_else(|| fail(req.extack(), NOT_LOADED, ENODEV))?;
    f(&receiver)
}

fn put_stats(msg: &mut Message<'_>, s: &Stats) -> Result {
    use stats_attr::*;
    for (ty, value) in [
        (SENT, s.sent),
        (RECEIVED, s.received),
        (DELIVERED, s.delivered),
        (UNBOUND, s.unbound),
        (REFUSED_MALFORMED, s.refused_malformed),
        (REFUSED_OVERSIZE, s.refused_oversize),
        (REFUSED_NOT_MEMBER, s.refused_not_member),
        (REFUSED_SPOOFED, s.refused_spoofed),
        (REFUSED_MISADDRESSED, s.refused_misaddressed),
        (RESPONSES, s.responses),
        (DUPLICATES, s.duplicates),
        (UNEXPECTED, s.unexpected),
        (COMPLETED, s.completed),
        (TIMEOUTS, s.timeouts),
        (LEFT, s.left),
        (DAEMONS_GONE, s.daemons_gone),
        (DROPPED, s.dropped),
        (REFUSED_DUPLICATE, s.refused_duplicate),
        (MEMBERS_FULL, s.members_full),
        (CONFIG_CHANGES, s.config_changes),
        (RECEIVED_IN_WAIT, s.received_in_wait),
        (RECEIVED_DIRECT, s.received_direct),
        (UNSENT, s.unsent),
    ] {
        msg.put_uint(ty, value)?;
    }
    Ok(())
}

fn put_config(msg: &mut Message<'_>, config: &Config) -> Result {
    use config_attr::*;
    let name = CStr::from_bytes_with_nul(config.name_with_nul()).map_err(|_| EINVAL)?;
    msg.put_string(NAME, name)?;
    msg.put_u32(DEADLINE, config.deadline_ms)?;
    msg.put_uint(GENERATION, config.generation)?;
    msg.put_u32(ORIGIN, config.origin)
}

fn node_get(req: &Request<'_>) -> Result {
    with_node(req, |receiver| {
        let own = kernel::net::tipc::own_id(receiver.socket())?.node;
        let mut state = receiver.data().state();
        let pending = state.queue().len();
        req.reply(cmd::NODE_GET, |msg| {
            use node_attr::*;
            msg.put_u32(NODE, own)?;
            msg.put_uint(EPOCH, state.members.epoch())?;
            msg.put_u32(MEMBERS, state.members.count() as u32)?;
            msg.put_u32(PENDING, pending as u32)?;
            msg.put_u32(MAX_PENDING, node::MAX_PENDING as u32)?;
            msg.put_u32(MAX_MEMBERS, crate::members::MAX_MEMBERS as u32)?;
            msg.put_u32(MAX_SERVICES, crate::services::MAX_SERVICES as u32)?;
            msg.put_u32(MAX_MESSAGE, crate::header::MAX_MESSAGE_LEN as u32)?;
            msg.nest(STATS, |msg| put_stats(msg, &state.stats))?;
            for b in state.services.iter() {
                msg.nest(SERVICE, |msg| {
                    msg.put_u32(service_attr::SERVICE, b.service)?;
                    msg.put_u32(service_attr::PORT, b.port)
                })?;
            }
            msg.nest(CONFIG, |msg| put_config(msg, &state.config))?;
            msg.put_u8(DIRECT, u8::from(state.direct_on()))?;
            msg.put_u32(DIRECT_PORT, state.direct_port())
        })
    })
}

fn node_set(req: &Request<'_>) -> Result {
    let direct = req
        .u8(node_attr::DIRECT)
        .ok_or_else(|| req.missing(node_attr::DIRECT))?;
    with_node(req, |receiver| {
        node::set_direct(receiver, direct != 0);
        Ok(())
    })
}

fn member_dump(req: &Request<'_>, dump: &mut Dump<'_>) -> Result {
    with_node(req, |receiver| {
        let state = receiver.data().state();
        let start = usize::try_from(dump.cursor()).unwrap_or(usize::MAX);
        for (slot, m) in state.members.iter().filter(|(slot, _)| *slot >= start) {
            let peer = state.peers.get(slot).copied().unwrap_or_default();
            let status = state.registered.get(slot).and_then(|r| r.status);
            let admitted = state.members.is_admitted(slot);
            let added = dump.add(cmd::MEMBER_GET, |msg| {
                use member_attr::*;
                msg.put_u32(SLOT, slot as u32)?;
                msg.put_u32(NODE, m.node)?;
                msg.put_u32(PORT, m.port)?;
                let now = if admitted {
                    member_state::UP
                } else {
                    member_state::JOINING
                };
                msg.put_u32(STATE, now)?;
                msg.put_uint(EPOCH, state.members.epoch())?;
                msg.put_uint(SENT, peer.sent)?;
                msg.put_uint(RECEIVED, peer.received)?;
                msg.put_uint(RESPONSES, peer.responses)?;
                msg.put_uint(TIMEOUTS, peer.timeouts)?;
                msg.put_uint(REFUSED, peer.refused)?;
                msg.put_u8(DIRECT, u8::from(state.sends_direct(slot)))?;
                if let Some(status) = status.filter(|_| admitted) {
                    for service in status.services() {
                        msg.put_u32(SERVICE, *service)?;
                    }
                    msg.put_u32(MEMBERS, u32::from(status.members))?;
                }
                Ok(())
            })?;
            if !added {
                dump.set_cursor(slot as u64);
                return Ok(());
            }
        }
        dump.set_cursor(MAX_MEMBERS as u64);
        Ok(())
    })
}

fn bind(req: &Request<'_>) -> Result {
    let service = req.required_u32(service_attr::SERVICE)?;
    with_node(req, |receiver| {
        node::bind(receiver, service, req.portid(), req.extack())
    })
}

fn unbind(req: &Request<'_>) -> Result {
    let service = req.required_u32(service_attr::SERVICE)?;
    with_node(req, |receiver| {
        node::unbind(receiver, service, req.portid(), req.extack())
    })
}

fn cluster_set(req: &Request<'_>) -> Result {
    // The policy checked the string; its NUL (and any after it) is not part of the name.
    let name = req.bytes(config_attr::NAME).map(|name| {
        let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        &name[..len]
    });
    let deadline = req.u32(config_attr::DEADLINE);
    if name.is_none() && deadline.is_none() {
        return Err(fail(
            req.extack(),
            c_str!("vke: give a name or a deadline to set"),
            EINVAL,
        ));
    }
    let config = with_node(req, |receiver| {
        node::configure(receiver, name, deadline, req.extack())
    })?;
    req.reply(cmd::CLUSTER_SET, |msg| put_config(msg, &config))
}

fn send(req: &Request<'_>) -> Result {
    let bytes = req
        .bytes(message_attr::MESSAGE)
        .ok_or_else(|| req.missing(message_attr::MESSAGE))?;
    // Replies before any wait, so that the daemon reads the id first.
    let send_and_reply = |receiver: &kernel::net::socket::Receiver<Node>| -> Result<Sent> {
        let sent = node::send(receiver, req.portid(), bytes, req.extack())?;
        // Only the node knows an id it chose; otherwise the daemon knows all there is to
        // know, and spares itself a message (an ACK, if it asked for one, still comes).
        let replied = if sent.assigned {
            req.reply(cmd::SEND, |msg| {
                msg.put_uint(message_attr::REQUEST, sent.request)?;
                msg.put_u32(message_attr::EXPECTED, sent.expected)
            })
        } else {
            Ok(())
        };
        // After the reply, so that a completion this causes comes after the id it is under.
        node::fail_unreached(receiver, sent.request, sent.unreached);
        replied.map(|_| sent)
    };
    with_node(req, |receiver| match req.u32(message_attr::WAIT) {
        None | Some(0) => send_and_reply(receiver).map(|_| ()),
        Some(ms) => {
            // What went, once it did.
            let sent = core::cell::Cell::new(None);
            let waited = node::receive_for(
                receiver,
                ms,
                || send_and_reply(receiver).map(|s| sent.set(Some(s))),
                || match sent.get() {
                    // A request that waits for responses: until it completed, all its
                    // responses and its completion queued.
                    Some(s) if s.expected > 0 => !node::is_pending(receiver, s.request),
                    // Anything else: until a message other than its own reply.
                    s => req.sender_queued() > u32::from(s.is_some_and(|s| s.assigned)),
                },
            );
            match waited {
                // The message went: a signal only cut the wait short. (Netlink would take
                // EINTR for a dump that goes on, and send no answer.)
                Err(e) if e == EINTR && sent.get().is_some() => Ok(()),
                waited => waited,
            }
        }
    })
}

/// `wait`: receives for the daemon in its own context until its socket has a message to
/// read, or the time given (default and most: [`MAX_WAIT_MS`]) passed, or a signal came. No
/// reply either way.
fn wait(req: &Request<'_>) -> Result {
    let ms = req.u32(message_attr::WAIT).unwrap_or(MAX_WAIT_MS.into());
    with_node(req, |receiver| {
        match node::receive_for(receiver, ms, || Ok(()), || req.sender_queued() > 0) {
            // Netlink takes EINTR from a handler for a dump that goes on, and sends no
            // answer: a signal just ends the wait, and the daemon reads its socket.
            Err(e) if e == EINTR => Ok(()),
            waited => waited,
        }
    })
}

/// Hands `message`, checked, from node `from`, to the daemon at `port` in `net`.
pub(crate) fn deliver(net: &Net, port: u32, message: &[u8], from: u32) -> Result {
    FAMILY.unicast(
        net,
        port,
        cmd::MESSAGE_NTF,
        message.len() + MESSAGE_OVERHEAD,
        |msg| put_message(msg, message, from),
    )
}

/// Hands the daemon at `port` in `net` the last response, `message` from node `from`, to a
/// request and the request's completion, in one datagram: the daemon wakes once for both.
pub(crate) fn deliver_last(
    net: &Net,
    port: u32,
    message: &[u8],
    from: u32,
    done: &Completed,
    nodes: &[u32; MAX_MEMBERS],
) -> Result {
    let size = message.len() + MESSAGE_OVERHEAD + done_size(done) + BATCH_MESSAGE_ROOM;
    FAMILY.unicast_batch(net, port, size, |batch| {
        batch.add(cmd::MESSAGE_NTF, |msg| put_message(msg, message, from))?;
        batch.add(cmd::DONE_NTF, |msg| put_done(msg, done, nodes))
    })
}

/// Tells the daemon at `port` in `net` that a request completed, with the outcome of each
/// responder; `nodes` names the node of each member slot.
pub(crate) fn done(net: &Net, port: u32, done: &Completed, nodes: &[u32; MAX_MEMBERS]) -> Result {
    FAMILY.unicast(net, port, cmd::DONE_NTF, done_size(done), |msg| {
        put_done(msg, done, nodes)
    })
}

/// The attributes of a `message-ntf`.
fn put_message(msg: &mut Message<'_>, message: &[u8], from: u32) -> Result {
    msg.put_bytes(message_attr::MESSAGE, message)?;
    msg.put_u32(message_attr::FROM, from)
}

/// The attributes of a `done-ntf`.
fn put_done(msg: &mut Message<'_>, done: &Completed, nodes: &[u32; MAX_MEMBERS]) -> Result {
    let e = &done.entry;
    let timed_out = done.timed_out();
    // The id the owner knows the request by.
    msg.put_uint(done_attr::REQUEST, e.cookie)?;
    let why = match done.reason {
        Reason::Done => reason::ALL_ANSWERED,
        Reason::Deadline => reason::DEADLINE,
    };
    msg.put_u32(done_attr::REASON, why)?;
    for (slot, node) in nodes.iter().enumerate() {
        let bit = 1u64 << slot;
        if e.expected & bit == 0 {
            continue;
        }
        let result = if e.answered & bit != 0 {
            outcome::ANSWERED
        } else if e.left & bit != 0 {
            outcome::LEFT
        } else if e.unreached & bit != 0 {
            outcome::UNSENT
        } else if timed_out & bit != 0 {
            outcome::TIMEOUT
        } else {
            continue;
        };
        msg.nest(done_attr::RESPONDER, |msg| {
            msg.put_u32(responder_attr::NODE, *node)?;
            msg.put_u32(responder_attr::OUTCOME, result)
        })?;
    }
    Ok(())
}

/// Tells the listeners of group `events` in `net` that `member` joined or left.
pub(crate) fn member_event(net: &Net, member: Member, up: bool, epoch: u64) {
    let state = if up {
        member_state::UP
    } else {
        member_state::DOWN
    };
    // Without memory a listener misses the event; the dump still has the truth.
    let _ = FAMILY.multicast(net, GROUP_EVENTS, cmd::MEMBER_NTF, |msg| {
        use member_attr::*;
        msg.put_u32(NODE, member.node)?;
        msg.put_u32(PORT, member.port)?;
        msg.put_u32(STATE, state)?;
        msg.put_uint(EPOCH, epoch)
    });
}
