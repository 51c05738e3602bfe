// SPDX-License-Identifier: GPL-2.0

//! The `vke` family (Documentation/netlink/specs/vke.yaml): a daemon library over it, and the
//! decoding and display of its messages.
//!
//! A [`Daemon`] is one netlink socket: the services it binds and the requests it sends are
//! tied to that socket's port, to which the node sends the requests of those services, the
//! responses to its requests and their completions. Messages are built and checked with the
//! module's own codec (the `vke-proto` crate).

use crate::genl::{attr, enum_name, u32_of, u8_of, uint_of, Client, Error, Message};
use neli::{genl::Nlattr, types::Buffer};
use serde::Serialize;
use std::fmt;
use vke_proto::{
    header::{Header, Kind},
    message::Message as VkeMessage,
    subheader::SubHeader,
};

/// The family name.
pub const FAMILY: &str = "vke";
/// The multicast group of member changes.
pub const GROUP_EVENTS: &str = "events";

/// Commands.
#[allow(dead_code)]
pub mod cmd {
    pub const NODE_GET: u8 = 1;
    pub const MEMBER_GET: u8 = 2;
    pub const BIND: u8 = 3;
    pub const UNBIND: u8 = 4;
    pub const SEND: u8 = 5;
    pub const MESSAGE_NTF: u8 = 6;
    pub const DONE_NTF: u8 = 7;
    pub const MEMBER_NTF: u8 = 8;
    pub const CLUSTER_SET: u8 = 9;
    pub const WAIT: u8 = 10;
    pub const NODE_SET: u8 = 11;
}

/// Attributes of the `node` set.
pub mod node_attr {
    pub const NODE: u16 = 1;
    pub const EPOCH: u16 = 2;
    pub const MEMBERS: u16 = 3;
    pub const PENDING: u16 = 4;
    pub const MAX_PENDING: u16 = 5;
    pub const MAX_MEMBERS: u16 = 6;
    pub const MAX_SERVICES: u16 = 7;
    pub const MAX_MESSAGE: u16 = 8;
    pub const STATS: u16 = 9;
    pub const SERVICE: u16 = 10;
    pub const CONFIG: u16 = 11;
    pub const DIRECT: u16 = 12;
    pub const DIRECT_PORT: u16 = 13;
}

/// Attributes of the `config` set.
pub mod config_attr {
    pub const NAME: u16 = 1;
    pub const DEADLINE: u16 = 2;
    pub const GENERATION: u16 = 3;
    pub const ORIGIN: u16 = 4;
}

/// Attributes of the `service` set.
pub mod service_attr {
    pub const SERVICE: u16 = 1;
    pub const PORT: u16 = 2;
}

/// Attributes of the `member` set.
pub mod member_attr {
    pub const SLOT: u16 = 1;
    pub const NODE: u16 = 2;
    pub const PORT: u16 = 3;
    pub const STATE: u16 = 4;
    pub const EPOCH: u16 = 5;
    pub const SENT: u16 = 6;
    pub const RECEIVED: u16 = 7;
    pub const RESPONSES: u16 = 8;
    pub const TIMEOUTS: u16 = 9;
    pub const REFUSED: u16 = 10;
    pub const SERVICE: u16 = 11;
    pub const MEMBERS: u16 = 12;
    pub const DIRECT: u16 = 13;
}

/// Attributes of the `message` set.
pub mod message_attr {
    pub const MESSAGE: u16 = 1;
    pub const FROM: u16 = 2;
    pub const REQUEST: u16 = 3;
    pub const EXPECTED: u16 = 4;
    pub const WAIT: u16 = 5;
}

/// Attributes of the `done` set.
pub mod done_attr {
    pub const REQUEST: u16 = 1;
    pub const REASON: u16 = 2;
    pub const RESPONDER: u16 = 3;
}

/// Attributes of the `responder` set.
pub mod responder_attr {
    pub const NODE: u16 = 1;
    pub const OUTCOME: u16 = 2;
}

/// The `member-state` enum.
pub const MEMBER_STATE: &[&str] = &["up", "down", "joining"];
/// The `reason` enum.
pub const REASON: &[&str] = &["all-answered", "deadline"];
/// The `outcome` enum.
pub const OUTCOME: &[&str] = &["answered", "timeout", "left", "unsent"];

/// The names of the `stats` set's attributes, in order (attribute `i + 1`).
const STATS: &[&str] = &[
    "sent",
    "received",
    "delivered",
    "unbound",
    "refused-malformed",
    "refused-oversize",
    "refused-not-member",
    "refused-spoofed",
    "refused-misaddressed",
    "responses",
    "duplicates",
    "unexpected",
    "completed",
    "timeouts",
    "left",
    "daemons-gone",
    "dropped",
    "refused-duplicate",
    "members-full",
    "config-changes",
    "received-in-wait",
    "received-direct",
    "unsent",
];

/// A node, as `node-get` reports it.
#[derive(Debug, Default, Serialize)]
pub struct Node {
    pub node: u32,
    pub epoch: u64,
    pub members: u32,
    pub pending: u32,
    pub max_pending: u32,
    pub max_members: u32,
    pub max_services: u32,
    pub max_message: u32,
    /// Counters by name, in the spec's order.
    pub stats: Vec<(String, u64)>,
    /// Bound services and their daemons' ports.
    pub services: Vec<(u32, u32)>,
    /// The cluster's configuration as the node holds it.
    pub config: Config,
    /// Whether unicasts may take the direct sockets.
    pub direct: bool,
    /// The port of the node's direct socket.
    pub direct_port: u32,
}

/// The cluster's configuration, as `node-get` and `cluster-set` report it.
#[derive(Debug, Default, Serialize)]
pub struct Config {
    pub name: String,
    /// Milliseconds a request waits for responses by default.
    pub deadline: u32,
    pub generation: u64,
    /// The node that set it (0: built in).
    pub origin: u32,
}

/// Decodes the attributes of the `config` set.
fn decode_config<'a>(attrs: impl Iterator<Item = &'a Nlattr<u16, Buffer>>) -> Config {
    let mut c = Config::default();
    for a in attrs {
        match *a.nla_type().nla_type() {
            config_attr::NAME => {
                let bytes = a.nla_payload().as_ref();
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                c.name = String::from_utf8_lossy(&bytes[..end]).into_owned();
            }
            config_attr::DEADLINE => c.deadline = u32_of(a).unwrap_or(0),
            config_attr::GENERATION => c.generation = uint_of(a).unwrap_or(0),
            config_attr::ORIGIN => c.origin = u32_of(a).unwrap_or(0),
            _ => {}
        }
    }
    c
}

/// A member, as `member-get` or `member-ntf` reports it.
#[derive(Debug, Default, Serialize)]
pub struct Member {
    pub slot: Option<u32>,
    pub node: u32,
    pub port: u32,
    pub state: String,
    pub epoch: u64,
    pub sent: u64,
    pub received: u64,
    pub responses: u64,
    pub timeouts: u64,
    pub refused: u64,
    /// The services its node serves, from its last registration.
    pub services: Vec<u32>,
    /// How many members its node admitted, at its last registration.
    pub members: Option<u32>,
    /// Whether requests and responses to it take the direct sockets now.
    pub direct: bool,
}

/// A message the node handed to the daemon.
#[derive(Debug, Serialize)]
pub struct Received {
    /// The node it came from.
    pub from: u32,
    pub kind: String,
    pub service: u32,
    pub key: u64,
    pub request: u64,
    pub status: i32,
    /// Whether the sender waits for a response.
    pub respond: bool,
    #[serde(skip)]
    pub payload: Vec<u8>,
    /// The payload as text, where it is UTF-8.
    pub text: Option<String>,
}

/// The completion of a request.
#[derive(Debug, Serialize)]
pub struct Done {
    pub request: u64,
    pub reason: String,
    /// Each responder's node and outcome.
    pub responders: Vec<(u32, String)>,
}

/// What the node sends a daemon.
#[derive(Debug)]
pub enum Event {
    /// A request of a bound service, or a response to one of the daemon's requests.
    Message(Received),
    /// A request of the daemon completed.
    Done(Done),
}

fn nested(a: &Nlattr<u16, Buffer>) -> Vec<Nlattr<u16, Buffer>> {
    a.get_attr_handle::<u16>()
        .map(|h| h.iter().cloned().collect())
        .unwrap_or_default()
}

/// Decodes a `node-get` reply.
pub fn decode_node(msg: &Message) -> Node {
    let mut n = Node::default();
    for a in msg.attrs().iter() {
        let v32 = || u32_of(a).unwrap_or(0);
        match *a.nla_type().nla_type() {
            node_attr::NODE => n.node = v32(),
            node_attr::EPOCH => n.epoch = uint_of(a).unwrap_or(0),
            node_attr::MEMBERS => n.members = v32(),
            node_attr::PENDING => n.pending = v32(),
            node_attr::MAX_PENDING => n.max_pending = v32(),
            node_attr::MAX_MEMBERS => n.max_members = v32(),
            node_attr::MAX_SERVICES => n.max_services = v32(),
            node_attr::MAX_MESSAGE => n.max_message = v32(),
            node_attr::STATS => {
                for s in nested(a) {
                    let ty = usize::from(*s.nla_type().nla_type());
                    let name = STATS.get(ty.wrapping_sub(1)).map_or("?", |n| n);
                    n.stats.push((name.to_owned(), uint_of(&s).unwrap_or(0)));
                }
            }
            node_attr::SERVICE => {
                let (mut service, mut port) = (0, 0);
                for s in nested(a) {
                    match *s.nla_type().nla_type() {
                        service_attr::SERVICE => service = u32_of(&s).unwrap_or(0),
                        service_attr::PORT => port = u32_of(&s).unwrap_or(0),
                        _ => {}
                    }
                }
                n.services.push((service, port));
            }
            node_attr::CONFIG => n.config = decode_config(nested(a).iter()),
            node_attr::DIRECT => n.direct = u8_of(a).unwrap_or(0) != 0,
            node_attr::DIRECT_PORT => n.direct_port = v32(),
            _ => {}
        }
    }
    n
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "node {:#x}: {} members, epoch {}, {} pending",
            self.node, self.members, self.epoch, self.pending
        )?;
        if self.direct {
            writeln!(f, "  unicasts: direct, from port {}", self.direct_port)?;
        } else {
            writeln!(f, "  unicasts: in the group")?;
        }
        writeln!(f, "  {}", self.config)?;
        writeln!(
            f,
            "  caps: {} pending, {} members, {} services, {} bytes a message",
            self.max_pending, self.max_members, self.max_services, self.max_message
        )?;
        for (service, port) in &self.services {
            writeln!(f, "  service {service} served by port {port}")?;
        }
        for (name, value) in &self.stats {
            writeln!(f, "  {name}: {value}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.name.is_empty() {
            "(none)"
        } else {
            &self.name
        };
        write!(
            f,
            "cluster {name}: default deadline {} ms, generation {} from node {:#x}",
            self.deadline, self.generation, self.origin
        )
    }
}

/// Decodes a `member-get` reply or a `member-ntf`.
pub fn decode_member(msg: &Message) -> Member {
    let mut m = Member::default();
    for a in msg.attrs().iter() {
        let u = || uint_of(a).unwrap_or(0);
        match *a.nla_type().nla_type() {
            member_attr::SLOT => m.slot = u32_of(a),
            member_attr::NODE => m.node = u32_of(a).unwrap_or(0),
            member_attr::PORT => m.port = u32_of(a).unwrap_or(0),
            member_attr::STATE => m.state = enum_name(MEMBER_STATE, u32_of(a).unwrap_or(0)),
            member_attr::EPOCH => m.epoch = u(),
            member_attr::SENT => m.sent = u(),
            member_attr::RECEIVED => m.received = u(),
            member_attr::RESPONSES => m.responses = u(),
            member_attr::TIMEOUTS => m.timeouts = u(),
            member_attr::REFUSED => m.refused = u(),
            member_attr::SERVICE => m.services.extend(u32_of(a)),
            member_attr::MEMBERS => m.members = u32_of(a),
            member_attr::DIRECT => m.direct = u8_of(a).unwrap_or(0) != 0,
            _ => {}
        }
    }
    m
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "node {:#x} port {} {}{} (epoch {}): sent {} received {} responses {} timeouts {} refused {}",
            self.node,
            self.port,
            self.state,
            if self.direct { ", direct" } else { "" },
            self.epoch,
            self.sent,
            self.received,
            self.responses,
            self.timeouts,
            self.refused
        )?;
        if let Some(members) = self.members {
            write!(f, "; {members} members, services {:?}", self.services)?;
        }
        Ok(())
    }
}

/// Decodes what the node sent a daemon.
fn decode_event(msg: &Message) -> Result<Event, Error> {
    match *msg.cmd() {
        cmd::MESSAGE_NTF => {
            let (mut bytes, mut from) = (Vec::new(), 0);
            for a in msg.attrs().iter() {
                match *a.nla_type().nla_type() {
                    message_attr::MESSAGE => bytes = a.nla_payload().as_ref().to_vec(),
                    message_attr::FROM => from = u32_of(a).unwrap_or(0),
                    _ => {}
                }
            }
            let m = VkeMessage::parse(&bytes)
                .map_err(|e| Error::Other(format!("from the node: {}", e.message())))?;
            let kind = match m.header.kind {
                Kind::Request => "request",
                Kind::Response => "response",
                Kind::Join => "join",
                Kind::Welcome => "welcome",
            };
            Ok(Event::Message(Received {
                from,
                kind: kind.to_owned(),
                service: m.header.service,
                key: m.header.key,
                request: m.header.request,
                status: m.header.status,
                respond: m.subheader.response_requested,
                text: std::str::from_utf8(m.payload).ok().map(str::to_owned),
                payload: m.payload.to_vec(),
            }))
        }
        cmd::DONE_NTF => {
            let mut done = Done {
                request: 0,
                reason: String::new(),
                responders: Vec::new(),
            };
            for a in msg.attrs().iter() {
                match *a.nla_type().nla_type() {
                    done_attr::REQUEST => done.request = uint_of(a).unwrap_or(0),
                    done_attr::REASON => done.reason = enum_name(REASON, u32_of(a).unwrap_or(0)),
                    done_attr::RESPONDER => {
                        let (mut node, mut outcome) = (0, 0);
                        for r in nested(a) {
                            match *r.nla_type().nla_type() {
                                responder_attr::NODE => node = u32_of(&r).unwrap_or(0),
                                responder_attr::OUTCOME => outcome = u32_of(&r).unwrap_or(0),
                                _ => {}
                            }
                        }
                        done.responders.push((node, enum_name(OUTCOME, outcome)));
                    }
                    _ => {}
                }
            }
            Ok(Event::Done(done))
        }
        other => Err(Error::Other(format!(
            "unexpected command {other} from the node"
        ))),
    }
}

/// What to send.
pub struct Outgoing<'a> {
    pub kind: Kind,
    pub service: u32,
    pub key: u64,
    /// The destination node; `None` broadcasts.
    pub to: Option<u32>,
    /// The request a response answers.
    pub request: u64,
    pub status: i32,
    /// Ask every destination for a response.
    pub respond: bool,
    pub deadline_ms: Option<u32>,
    pub payload: &'a [u8],
}

/// A request the node accepted.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    /// Its id.
    pub request: u64,
    /// The responses it waits for.
    pub expected: u32,
}

/// How long one `wait` lasts: the most the node allows.
const WAIT_MS: u32 = 1000;

/// A daemon of the node of this namespace.
pub struct Daemon {
    client: Client,
}

impl Daemon {
    /// Connects to the node of the current namespace.
    pub fn connect() -> Result<Self, Error> {
        Ok(Self {
            client: Client::connect(FAMILY)?,
        })
    }

    /// The node.
    pub fn node(&mut self) -> Result<Node, Error> {
        let replies = self.client.request(cmd::NODE_GET, vec![], false)?;
        replies
            .first()
            .map(decode_node)
            .ok_or_else(|| Error::Other("node-get: no reply".into()))
    }

    /// The members that are up.
    pub fn members(&mut self) -> Result<Vec<Member>, Error> {
        let replies = self.client.request(cmd::MEMBER_GET, vec![], true)?;
        Ok(replies.iter().map(decode_member).collect())
    }

    /// Sets the cluster's configuration from this node; returns the one set.
    pub fn configure(
        &mut self,
        name: Option<&str>,
        deadline: Option<u32>,
    ) -> Result<Config, Error> {
        let mut attrs = Vec::new();
        if let Some(name) = name {
            let mut bytes = name.as_bytes().to_vec();
            bytes.push(0);
            attrs.push(attr(config_attr::NAME, Buffer::from(bytes))?);
        }
        if let Some(deadline) = deadline {
            attrs.push(attr(config_attr::DEADLINE, deadline)?);
        }
        let replies = self.client.request(cmd::CLUSTER_SET, attrs, false)?;
        Ok(decode_config(replies.iter().flat_map(|r| r.attrs().iter())))
    }

    /// Lets this node's unicasts take the direct sockets, or keeps them in the group.
    pub fn set_direct(&mut self, on: bool) -> Result<(), Error> {
        let attrs = vec![attr(node_attr::DIRECT, u8::from(on))?];
        self.client.request(cmd::NODE_SET, attrs, false).map(drop)
    }

    /// Serves `service`: its requests come to this daemon.
    pub fn bind(&mut self, service: u32) -> Result<(), Error> {
        let attrs = vec![attr(service_attr::SERVICE, service)?];
        self.client.request(cmd::BIND, attrs, false).map(drop)
    }

    /// Sends a message built with the module's codec.
    pub fn send(&mut self, out: &Outgoing<'_>) -> Result<Sent, Error> {
        let message = VkeMessage {
            header: Header {
                kind: out.kind,
                service: out.service,
                key: out.key,
                source: 0,
                destination: out.to.unwrap_or(0),
                request: out.request,
                status: out.status,
            },
            subheader: SubHeader {
                broadcast: out.to.is_none(),
                response_requested: out.respond,
                deadline_ms: out.deadline_ms,
                skipped: 0,
            },
            payload: out.payload,
        };
        let mut bytes = vec![0; message.encoded_len()];
        message
            .encode(&mut bytes)
            .map_err(|e| Error::Other(e.message().to_owned()))?;
        let attrs = vec![attr(message_attr::MESSAGE, Buffer::from(bytes))?];
        let replies = self.client.request(cmd::SEND, attrs, false)?;
        let mut sent = Sent {
            request: 0,
            expected: 0,
        };
        for a in replies.iter().flat_map(|r| r.attrs().iter()) {
            match *a.nla_type().nla_type() {
                message_attr::REQUEST => sent.request = uint_of(a).unwrap_or(0),
                message_attr::EXPECTED => sent.expected = u32_of(a).unwrap_or(0),
                _ => {}
            }
        }
        Ok(sent)
    }

    /// Answers request `request` with `status` and `payload`.
    pub fn respond(
        &mut self,
        request: &Received,
        status: i32,
        payload: &[u8],
    ) -> Result<(), Error> {
        self.send(&Outgoing {
            kind: Kind::Response,
            service: request.service,
            key: request.key,
            to: Some(request.from),
            request: request.request,
            status,
            respond: false,
            deadline_ms: None,
            payload,
        })
        .map(drop)
    }

    /// Waits for what the node sends next. It waits in the node (`wait`), which receives in
    /// this process's context, so that a message comes with one context switch fewer than
    /// through the node's work; what the node sends meanwhile is kept.
    pub fn next(&mut self) -> Result<Event, Error> {
        loop {
            if let Some(msg) = self.client.take_unicast() {
                return decode_event(&msg);
            }
            let attrs = vec![attr(message_attr::WAIT, WAIT_MS)?];
            self.client.request(cmd::WAIT, attrs, false)?;
        }
    }

    /// Joins the `events` group; [`Daemon::next_member_event`] then reads them.
    pub fn subscribe(&self) -> Result<(), Error> {
        self.client.subscribe(GROUP_EVENTS)
    }

    /// Waits for the next member change.
    pub fn next_member_event(&mut self) -> Option<Result<Member, Error>> {
        Some(self.client.next_event()?.map(|m| decode_member(&m)))
    }
}
