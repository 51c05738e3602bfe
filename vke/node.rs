// SPDX-License-Identifier: GPL-2.0

//! A node of the cluster: vke's instance in a network namespace.
//!
//! A node is a kernel socket in TIPC communication group [`GROUP`]: TIPC tells it which
//! members (the nodes of other namespaces and machines) join and leave, and carries its
//! registrations reliably. Daemons' requests and responses go from the node's *direct
//! socket*, a plain reliable-datagram socket outside the group, to the member's: TIPC sends
//! those without the group's per-member flow control, and, between namespaces of one kernel,
//! hands them straight to the peer's socket instead of through the link and its network
//! devices. A member names its direct socket in its registration, and is sent to there once
//! it welcomed this node (so it has admitted it); before that, and to a member that names
//! none, messages go through the group. A broadcast goes to each member's direct socket in
//! turn when all take direct messages, else as one group broadcast. Arrivals on both sockets
//! run [`Node::ready`] in process context, which takes every message through the checks of
//! [`Message::parse`] and then:
//!
//! - a `Join` or `Welcome` (see [`crate::registration`]) admits its sender, one per node, with
//!   its status, and hands over the cluster's configuration if it is newer; a `Join`, and a
//!   `Welcome` that newly admitted its sender, are answered with a `Welcome`. Each node sends
//!   a `Join` to every member TIPC reports, again with backoff until the member answers, so a
//!   join lost to a full member table is made up for;
//! - only admitted members' requests and responses are taken (on the direct socket, only
//!   from the direct socket the member named), and only admitted members are sent to and
//!   expected to answer;
//! - a request goes to the daemon bound to its service (or, with no daemon, is answered
//!   `-ENOENT` at once when a response was requested);
//! - a response is matched in the response queue and goes to the daemon that sent the
//!   request; the request completes when all have answered, at its deadline, or when its last
//!   silent responders left or turned out unreached (TIPC refused or returned their copy),
//!   and its daemon gets the status of every responder.
//!
//! Everything a node holds is capped: [`MAX_PENDING`] requests waiting for responses,
//! [`MAX_MEMBERS`] members, [`MAX_SERVICES`] services, messages of [`MAX_MESSAGE_LEN`] bytes.

use crate::{
    header::{Error as WireError, Header, Kind, MAX_MESSAGE_LEN},
    members::{Admission, Change, Member, Members, Set, MAX_MEMBERS},
    message::Message,
    netlink,
    registration::{self, Config, Registration, Status},
    responses::{Completed, Entry, Matched, Queue, Taken},
    services::{BindError, Services},
    stats::{PeerStats, Stats},
    subheader::SubHeader,
};
use kernel::{
    c_str,
    net::{
        extack::ExtAck,
        pernet,
        socket::{Ready, Receive, Receiver, Socket},
        tipc::{self, Address, Arrival, Scope, SocketId},
    },
    new_mutex,
    prelude::*,
    str::CStr,
    sync::{
        lock::{mutex::MutexBackend, Guard},
        Arc, Mutex,
    },
    time::Ktime,
};

/// The TIPC group of the nodes: "VKE" in ASCII, above TIPC's reserved types.
pub(crate) const GROUP: u32 = 0x564b_4500;

/// The instance every node joins the group as.
const INSTANCE: u32 = 0;

/// Most requests of a node that wait for responses at once.
pub(crate) const MAX_PENDING: usize = 256;

// The queue's bitmap covers every slot.
const _: () = assert!(MAX_PENDING <= crate::responses::MAX_SLOTS);

/// How long a request waits for responses when its sub-header gives no deadline.
pub(crate) const DEFAULT_DEADLINE_MS: u32 = 5000;

/// How long a node waits for the answer to a `Join` before it sends another, at first; the
/// wait doubles with each try, up to [`JOIN_RETRY_MAX_MS`].
const JOIN_RETRY_MS: u32 = 1000;

/// The longest wait between two `Join`s to a member that does not answer.
const JOIN_RETRY_MAX_MS: u32 = 60_000;

/// Messages one run takes before it yields the CPU and schedules itself again.
const BATCH: usize = 64;

/// The status a node answers a request with when no daemon serves its service.
const STATUS_NO_SERVICE: i32 = -(kernel::bindings::ENOENT as i32);

/// The status a node answers a request with when its daemon could not take it.
const STATUS_NO_ROOM: i32 = -(kernel::bindings::ENOBUFS as i32);

/// The pernet instance: the receiver of the node's sockets.
pub(crate) type Instance = Pin<KBox<Receiver<Node>>>;

/// The data of a node's receiver.
pub(crate) struct Node {
    shared: Arc<Shared>,
}

/// What the receiving work and the netlink handlers share.
#[pin_data]
struct Shared {
    /// The receive buffer, held by whoever drains the socket (the work, or a daemon in
    /// [`receive_for`]), so that messages are handled one at a time, in order.
    #[pin]
    rx: Mutex<KVVec<u8>>,
    /// The buffer the daemons' messages are encoded into, outside the state's lock: a send
    /// through a veth runs the peer's receive path before it returns.
    #[pin]
    tx: Mutex<KVVec<u8>>,
    #[pin]
    state: Mutex<State>,
}

/// What a node knows of a member's registration.
#[derive(Clone, Copy, Default)]
pub(crate) struct Registered {
    /// The status it last sent, once it is admitted.
    pub(crate) status: Option<Status>,
    /// When to send it another `Join` (0: none due, it answered).
    join_due_ms: u64,
    /// How long to wait after that one.
    join_backoff_ms: u32,
    /// The port of its direct socket, from its registration (0: it has none): its messages
    /// there are taken.
    direct_port: u32,
    /// Whether it takes daemons' messages on its direct socket (`node-set`), from its last
    /// registration.
    takes_direct: bool,
    /// Whether it welcomed this node (answered a registration of ours with a `Welcome` to
    /// us), so admitted it: from then on, messages to it take the direct sockets.
    welcomed: bool,
}

/// A node's state.
pub(crate) struct State {
    /// The members that are up.
    pub(crate) members: Members,
    /// The node last seen in each member slot, to name responders that left.
    pub(crate) last_node: [u32; MAX_MEMBERS],
    /// The counters of each member slot.
    pub(crate) peers: [PeerStats; MAX_MEMBERS],
    /// The registration of each member slot.
    pub(crate) registered: KVVec<Registered>,
    /// The cluster's configuration, as this node knows it.
    pub(crate) config: Config,
    /// The slots of the response queue.
    pending: KVVec<Option<Entry>>,
    /// Which of them are taken.
    taken: Taken,
    /// The services daemons serve here.
    pub(crate) services: Services,
    /// The node's counters.
    pub(crate) stats: Stats,
    /// The id of the next request sent (0 means none).
    next_request: u64,
    /// The buffer messages are encoded into.
    tx: KVVec<u8>,
    /// The node's TIPC address, once it has one: final by the time a member shows up.
    own: u32,
    /// The port of the node's direct socket (0: it has none).
    direct_port: u32,
    /// Whether daemons' messages may take the direct sockets (`node-set`); if not, the node
    /// says so in its registrations, so that its members send to it through the group too
    /// (what they send to its direct socket meanwhile is still taken).
    direct_on: bool,
    /// When the work's timer fires (on the monotonic clock, in ms), or `None` if it is not
    /// armed: a new request whose deadline is no earlier need not wake the work.
    armed_ms: Option<u64>,
}

/// Milliseconds on the monotonic clock.
fn now_ms() -> u64 {
    u64::try_from(Ktime::ktime_get().to_ms()).unwrap_or(0)
}

/// A message accepted by [`send`].
#[derive(Clone, Copy)]
pub(crate) struct Sent {
    /// The request's id (0 for a response).
    pub(crate) request: u64,
    /// Whether the node chose the id (the daemon left it 0).
    pub(crate) assigned: bool,
    /// How many responses it waits for.
    pub(crate) expected: u32,
    /// The responders its copies did not reach: the caller fails them ([`fail_unreached`])
    /// once the daemon has what `send` replies.
    pub(crate) unreached: Set,
}

/// The node's sockets: its member of the group, and its direct socket.
#[derive(Clone, Copy)]
pub(crate) struct Sockets<'a> {
    /// The group's member: registrations, membership events, and daemons' messages to members
    /// that take no direct ones.
    pub(crate) group: &'a Socket,
    /// The direct socket: daemons' messages to members that take them.
    pub(crate) direct: Option<&'a Socket>,
}

impl<'a> Sockets<'a> {
    /// The sockets of `receiver`.
    pub(crate) fn of(receiver: &'a Receiver<Node>) -> Self {
        Self {
            group: receiver.socket(),
            direct: receiver.second(),
        }
    }

    /// The sockets of a run of the work.
    fn of_ready(ready: &'a Ready<'_, Node>) -> Self {
        Self {
            group: ready.socket(),
            direct: ready.second(),
        }
    }
}

/// The direct sockets a daemon's broadcast goes to one by one: TIPC's replicast, done by the
/// node, so that each copy skips the group's flow control and, between namespaces of one
/// kernel, the link.
struct Replicas {
    /// Each member's slot and direct socket.
    to: [(usize, SocketId); MAX_MEMBERS],
    len: usize,
}

impl Replicas {
    fn new() -> Self {
        Self {
            to: [(0, SocketId::default()); MAX_MEMBERS],
            len: 0,
        }
    }

    /// Sends `bytes` from `direct` to each; returns the slots of the members whose copy
    /// failed, and the first error.
    fn send(&self, direct: &Socket, bytes: &[u8]) -> (Set, Result) {
        let mut failed = (0, Ok(()));
        for (slot, to) in self.to.iter().take(self.len) {
            if let Err(e) = tipc::send(direct, Some(&Address::socket(*to)), bytes) {
                failed.0 |= 1 << slot;
                failed.1 = failed.1.and(Err(e));
            }
        }
        failed
    }
}

/// What the work hands a daemon after a message, once it has let go of the state: the daemon
/// it wakes sends its next message through the state, and would wait for it otherwise.
enum Handoff {
    /// Nothing.
    Nothing,
    /// A request, to the daemon at `port` that serves its service. The node answers for a
    /// daemon that cannot take it, if the sender (`from`) wants a response.
    Request {
        port: u32,
        header: Header,
        from: SocketId,
        wanted: bool,
    },
    /// A response from node `from`, to the owner of its request at `port`; with the request's
    /// completion and the node of each member slot, if it was the last one awaited.
    Response {
        port: u32,
        from: u32,
        done: Option<(Completed, [u32; MAX_MEMBERS])>,
    },
}

impl Handoff {
    /// Sends the notification of `bytes`, the message this handoff is for; takes the state
    /// again only if it failed. Both kinds were counted as delivered.
    fn send(self, socks: Sockets<'_>, bytes: &[u8], state: &Mutex<State>) {
        let sock = socks.group;
        let sent = match &self {
            Handoff::Nothing => return,
            Handoff::Request { port, from, .. } => {
                netlink::deliver(sock.net(), *port, bytes, from.node)
            }
            Handoff::Response {
                port,
                from,
                done: None,
            } => netlink::deliver(sock.net(), *port, bytes, *from),
            Handoff::Response {
                port,
                from,
                done: Some((done, nodes)),
            } => {
                // The last response and the completion reach the owner in one datagram.
                netlink::deliver_last(sock.net(), *port, bytes, *from, done, nodes)
            }
        };
        let Err(e) = sent else {
            return;
        };
        let mut state = state.lock();
        state.stats.delivered = state.stats.delivered.saturating_sub(1);
        state.notified(Err(e));
        if let Handoff::Request {
            header,
            from,
            wanted,
            ..
        } = self
        {
            let status = if e == ECONNREFUSED {
                // Gone meanwhile: as if it had never bound.
                state.stats.unbound += 1;
                STATUS_NO_SERVICE
            } else {
                STATUS_NO_ROOM
            };
            if wanted {
                state.answer(socks, &header, from, status);
            }
        }
    }
}

impl State {
    fn new() -> Result<Self> {
        Ok(Self {
            members: Members::new(),
            last_node: [0; MAX_MEMBERS],
            peers: [PeerStats::default(); MAX_MEMBERS],
            registered: KVVec::from_elem(Registered::default(), MAX_MEMBERS, GFP_KERNEL)?,
            config: Config::built_in(DEFAULT_DEADLINE_MS),
            pending: KVVec::from_elem(None, MAX_PENDING, GFP_KERNEL)?,
            taken: Taken::new(),
            services: Services::new(),
            stats: Stats::default(),
            next_request: 1,
            tx: KVVec::from_elem(0u8, MAX_MESSAGE_LEN, GFP_KERNEL)?,
            own: 0,
            direct_port: 0,
            direct_on: true,
            armed_ms: None,
        })
    }

    /// The response queue.
    pub(crate) fn queue(&mut self) -> Queue<'_> {
        Queue::new(&mut self.pending, &mut self.taken)
    }

    /// A request id for the wire that no pending request has, nor the daemon at `port` as
    /// its own number (the id is that number too when the node chose it).
    fn new_request_id(&mut self, port: u32) -> u64 {
        loop {
            let id = self.next_request;
            self.next_request = self.next_request.wrapping_add(1).max(1);
            let queue = self.queue();
            if queue.get(id).is_none() && queue.get_cookie(port, id).is_none() {
                return id;
            }
        }
    }

    /// Counts a refused message from member slot `peer`.
    fn refuse(&mut self, peer: Option<usize>, counter: fn(&mut Stats) -> &mut u64) {
        *counter(&mut self.stats) += 1;
        if let Some(p) = peer.and_then(|p| self.peers.get_mut(p)) {
            p.refused += 1;
        }
    }

    /// Forgets a daemon that is gone: its services and the requests it waits for. Counted
    /// once: later failures for the same port find nothing left of it.
    fn daemon_gone(&mut self, sock: &Socket, port: u32) {
        let unbound = self.services.unbind_port(port);
        let cancelled = self.queue().cancel_owner(port);
        if unbound + cancelled > 0 {
            self.stats.daemons_gone += 1;
        }
        if unbound > 0 {
            self.announce(sock);
        }
    }

    /// Tells the owner of a completed request how each responder fared.
    fn complete(&mut self, sock: &Socket, done: &Completed) {
        self.count_completion(done);
        let owner = done.entry.owner;
        let notified = netlink::done(sock.net(), owner, done, &self.last_node);
        self.notified(notified);
    }

    /// Counts a completed request and its responders that did not answer.
    fn count_completion(&mut self, done: &Completed) {
        self.stats.completed += 1;
        let timed_out = done.timed_out();
        self.stats.timeouts += u64::from(timed_out.count_ones());
        self.stats.left += u64::from(done.entry.left.count_ones());
        for (slot, peer) in self.peers.iter_mut().enumerate() {
            if timed_out & (1 << slot) != 0 {
                peer.timeouts += 1;
            }
        }
    }

    /// Counts a notification lost: the daemon's socket was full, or it is gone. A gone
    /// daemon is forgotten when its socket is released (`daemon_closed`), not here: its port
    /// may already belong to a new daemon, whose bindings must stay.
    fn notified(&mut self, result: Result) {
        if result.is_err() {
            self.stats.dropped += 1;
        }
    }

    /// Counts `n` messages (-1: one taken back) sent by a daemon, to member `slot` or to all.
    fn count_sent(&mut self, slot: Option<usize>, n: i64) {
        // Saturating: the slot may have been reset for a new member meanwhile.
        self.stats.sent = self.stats.sent.saturating_add_signed(n);
        if let Some(p) = slot.and_then(|slot| self.peers.get_mut(slot)) {
            p.sent = p.sent.saturating_add_signed(n);
        }
    }

    /// Encodes `message` and sends it from `sock` to `to`, or to every member of the group
    /// with `None`.
    fn transmit(&mut self, sock: &Socket, message: &Message<'_>, to: Option<SocketId>) -> Result {
        let len = message.encode(&mut self.tx).map_err(|_| EMSGSIZE)?;
        let to = to.map(Address::socket);
        tipc::send(sock, to.as_ref(), &self.tx[..len])?;
        self.stats.sent += 1;
        Ok(())
    }

    /// The direct socket of the member in `slot`, if messages to it take the direct sockets
    /// now (see [`State::sends_direct`]).
    fn direct_to(&self, slot: usize) -> Option<SocketId> {
        let member = self.members.get(slot)?;
        let r = self.registered.get(slot)?;
        self.sends_direct(slot).then_some(SocketId {
            node: member.node,
            port: r.direct_port,
        })
    }

    /// Which of `socks` sends to the member in `slot`, and to which of its sockets: the
    /// direct ones once it welcomed this node and named its own, else the group's.
    fn route<'a>(&self, slot: usize, socks: Sockets<'a>) -> Option<(&'a Socket, SocketId)> {
        match (socks.direct, self.direct_to(slot)) {
            (Some(direct), Some(to)) => Some((direct, to)),
            _ => {
                let member = self.members.get(slot)?;
                Some((
                    socks.group,
                    SocketId {
                        node: member.node,
                        port: member.port,
                    },
                ))
            }
        }
    }

    /// The direct sockets of every admitted member, if every one takes direct messages;
    /// none otherwise, and the broadcast goes through the group.
    fn replicas(&self) -> Replicas {
        let mut replicas = Replicas::new();
        for (slot, _) in self.members.iter() {
            if !self.members.is_admitted(slot) {
                continue;
            }
            let Some(to) = self.direct_to(slot) else {
                return Replicas::new();
            };
            if let Some(at) = replicas.to.get_mut(replicas.len) {
                *at = (slot, to);
                replicas.len += 1;
            }
        }
        replicas
    }

    /// The slot of the admitted member whose direct socket is `from`.
    fn direct_slot(&self, from: SocketId) -> Option<usize> {
        let slot = self.members.slot_of_node(from.node)?;
        let r = self.registered.get(slot)?;
        (from.port != 0 && r.direct_port == from.port).then_some(slot)
    }

    /// The node's TIPC address (0 while it has none), asked of TIPC until it is known.
    fn own_node(&mut self, sock: &Socket) -> u32 {
        if self.own == 0 {
            self.own = tipc::own_id(sock).map(|id| id.node).unwrap_or(0);
        }
        self.own
    }

    /// Answers `request`, from member `from`, with `status` and no payload.
    fn answer(&mut self, socks: Sockets<'_>, request: &Header, from: SocketId, status: i32) {
        let own = self.own_node(socks.group);
        let response = Message {
            header: Header {
                kind: Kind::Response,
                service: request.service,
                key: request.key,
                source: own,
                destination: request.source,
                request: request.request,
                status,
            },
            subheader: SubHeader::default(),
            payload: &[],
        };
        // Gone since its request came (a daemon that could not take it is answered after the
        // state was let go): nobody to answer.
        let Some((sock, to)) = self
            .members
            .slot_of_node(from.node)
            .and_then(|slot| self.route(slot, socks))
        else {
            return;
        };
        // A full window loses the answer: the requester's deadline covers it.
        let _ = self.transmit(sock, &response, Some(to));
    }

    /// Takes a message of `len` bytes from socket `from` (`truncated` if it was longer), that
    /// came to the direct socket if `direct`, else to the group's; returns what to hand a
    /// daemon once the state is let go.
    fn on_message(
        &mut self,
        socks: Sockets<'_>,
        bytes: &mut [u8],
        truncated: bool,
        from: SocketId,
        direct: bool,
    ) -> Handoff {
        let sock = socks.group;
        let member = Member {
            node: from.node,
            port: from.port,
        };
        // Off the group, TIPC delivers nothing; a member whose join found the table full
        // may still register, so its messages are read before they are refused. On the
        // direct socket, anyone may send: only an admitted member's named socket counts.
        let peer = if direct {
            self.direct_slot(from)
        } else {
            self.members.slot_of(member)
        };
        if truncated {
            self.refuse(peer, |s| &mut s.refused_oversize);
            return Handoff::Nothing;
        }
        let message = match Message::parse(&*bytes) {
            Ok(message) => message,
            Err(_) => {
                self.refuse(peer, |s| &mut s.refused_malformed);
                return Handoff::Nothing;
            }
        };
        let header = &message.header;
        if header.source != from.node {
            self.refuse(peer, |s| &mut s.refused_spoofed);
            return Handoff::Nothing;
        }
        let own = self.own_node(sock);
        if !message.subheader.broadcast && header.destination != own {
            self.refuse(peer, |s| &mut s.refused_misaddressed);
            return Handoff::Nothing;
        }
        if matches!(header.kind, Kind::Join | Kind::Welcome) {
            if direct {
                // Registrations travel in the group, where members are known.
                self.refuse(peer, |s| &mut s.refused_misaddressed);
            } else {
                self.on_registration(sock, &message, member);
            }
            return Handoff::Nothing;
        }
        let Some(slot) = peer.filter(|&slot| self.members.is_admitted(slot)) else {
            self.refuse(peer, |s| &mut s.refused_not_member);
            return Handoff::Nothing;
        };
        self.stats.received += 1;
        self.stats.received_direct += u64::from(direct);
        if let Some(p) = self.peers.get_mut(slot) {
            p.received += 1;
        }
        match header.kind {
            Kind::Request => self.on_request(socks, &message, from),
            Kind::Response => {
                let header = message.header;
                self.on_response(&header, bytes, slot)
            }
            Kind::Join | Kind::Welcome => Handoff::Nothing,
        }
    }

    /// Admits `member`, which sent a `Join` or `Welcome`: takes its status and the
    /// configuration if newer, and answers a `Join` with a `Welcome`.
    fn on_registration(&mut self, sock: &Socket, message: &Message<'_>, member: Member) {
        let peer = self.members.slot_of(member);
        let Ok(registration) = Registration::parse(message.payload) else {
            return self.refuse(peer, |s| &mut s.refused_malformed);
        };
        let (slot, new) = match self.members.admit(member) {
            Admission::Admitted(slot) => {
                if peer.is_none() {
                    // Its join found the table full: it starts afresh here.
                    self.reset_slot(slot, member, false);
                }
                netlink::member_event(sock.net(), member, true, self.members.epoch());
                (slot, true)
            }
            Admission::Already(slot) => (slot, false),
            Admission::NodeTaken(_) => return self.refuse(peer, |s| &mut s.refused_duplicate),
            Admission::Full => return self.refuse(None, |s| &mut s.refused_not_member),
        };
        self.stats.received += 1;
        if let Some(p) = self.peers.get_mut(slot) {
            p.received += 1;
        }
        let kind = message.header.kind;
        if let Some(r) = self.registered.get_mut(slot) {
            r.status = Some(registration.status);
            r.join_due_ms = 0;
            r.direct_port = registration.direct_port;
            r.takes_direct = registration.takes_direct;
            // A `Welcome` to this node alone is sent once its sender admitted us.
            r.welcomed |= kind == Kind::Welcome && !message.subheader.broadcast;
        }
        if registration.config.supersedes(&self.config) {
            self.config = registration.config;
            self.stats.config_changes += 1;
        }
        // A `Join` is answered; so is a `Welcome` that admitted its sender, which may never
        // get a `Join` from this node (we admitted it first), and must learn that we admitted
        // it before it sends to our direct socket.
        if kind == Kind::Join || new {
            let to = SocketId {
                node: member.node,
                port: member.port,
            };
            self.register(sock, Kind::Welcome, Some(to));
        }
    }

    /// What this node says of itself in a registration.
    fn status(&self) -> Status {
        let mut status = Status {
            epoch: self.members.epoch(),
            // At most MAX_MEMBERS.
            members: self.members.count() as u16,
            ..Status::default()
        };
        for (to, b) in status.services.iter_mut().zip(self.services.iter()) {
            *to = b.service;
            status.service_count += 1;
        }
        status
    }

    /// Sends a `Join` or `Welcome` with this node's configuration and status to `to`, or to
    /// every member with `None`. A failure is left to the `Join` retries and to later changes.
    fn register(&mut self, sock: &Socket, kind: Kind, to: Option<SocketId>) {
        let own = self.own_node(sock);
        if own == 0 {
            return;
        }
        let registration = Registration {
            config: self.config,
            status: self.status(),
            direct_port: self.direct_port,
            takes_direct: self.direct_on,
        };
        let mut payload = [0u8; registration::MAX_LEN];
        let Ok(len) = registration.encode(&mut payload) else {
            return;
        };
        let message = Message {
            header: Header {
                kind,
                service: 0,
                key: 0,
                source: own,
                destination: to.map_or(0, |to| to.node),
                request: 0,
                status: 0,
            },
            subheader: SubHeader {
                broadcast: to.is_none(),
                ..SubHeader::default()
            },
            payload: &payload[..len],
        };
        let _ = self.transmit(sock, &message, to);
    }

    /// Tells every member this node's status (its services changed) and configuration.
    pub(crate) fn announce(&mut self, sock: &Socket) {
        self.register(sock, Kind::Welcome, None);
    }

    /// Starts `slot` afresh for `member`: no counters, no registration; with `join`, a `Join`
    /// is due now.
    fn reset_slot(&mut self, slot: usize, member: Member, join: bool) {
        if let Some(n) = self.last_node.get_mut(slot) {
            *n = member.node;
        }
        if let Some(p) = self.peers.get_mut(slot) {
            *p = PeerStats::default();
        }
        if let Some(r) = self.registered.get_mut(slot) {
            *r = Registered {
                status: None,
                join_due_ms: if join { now_ms() } else { 0 },
                join_backoff_ms: JOIN_RETRY_MS,
                direct_port: 0,
                takes_direct: false,
                welcomed: false,
            };
        }
    }

    /// Sends the `Join`s that are due; returns the milliseconds until the next one, if any.
    fn send_joins(&mut self, sock: &Socket, now: u64) -> Option<u64> {
        let mut next: Option<u64> = None;
        for slot in 0..MAX_MEMBERS {
            let Some(member) = self.members.get(slot) else {
                continue;
            };
            let Some(r) = self.registered.get(slot).copied() else {
                continue;
            };
            if r.join_due_ms == 0 || self.members.is_admitted(slot) {
                continue;
            }
            let mut due = r.join_due_ms;
            if due <= now {
                let to = SocketId {
                    node: member.node,
                    port: member.port,
                };
                self.register(sock, Kind::Join, Some(to));
                due = now + u64::from(r.join_backoff_ms);
                if let Some(r) = self.registered.get_mut(slot) {
                    r.join_due_ms = due;
                    r.join_backoff_ms = r.join_backoff_ms.saturating_mul(2).min(JOIN_RETRY_MAX_MS);
                }
            }
            let wait = due - now;
            next = Some(next.map_or(wait, |n| n.min(wait)));
        }
        next
    }

    /// Takes a request from member `from`: for the daemon that serves its service, or
    /// answered by the node if none does.
    fn on_request(&mut self, socks: Sockets<'_>, message: &Message<'_>, from: SocketId) -> Handoff {
        let header = &message.header;
        let wanted = message.subheader.response_requested;
        if let Some(port) = self.services.port_of(header.service) {
            // Counted now, taken back if the daemon cannot take it.
            self.stats.delivered += 1;
            return Handoff::Request {
                port,
                header: *header,
                from,
                wanted,
            };
        }
        self.stats.unbound += 1;
        if wanted {
            self.answer(socks, header, from, STATUS_NO_SERVICE);
        }
        Handoff::Nothing
    }

    /// Matches a response, `bytes` with `header`, from member slot `slot`, and rewrites it
    /// for the request's owner, under the owner's id for the request.
    fn on_response(&mut self, header: &Header, bytes: &mut [u8], slot: usize) -> Handoff {
        let request = header.request;
        let Some((owner, cookie)) = self.queue().get(request).map(|e| (e.owner, e.cookie)) else {
            self.stats.unexpected += 1;
            return Handoff::Nothing;
        };
        let done = match self.queue().respond(request, slot) {
            Matched::Recorded => None,
            Matched::Completed(done) => Some(done),
            Matched::Duplicate => {
                self.stats.duplicates += 1;
                return Handoff::Nothing;
            }
            Matched::Unexpected => {
                self.stats.unexpected += 1;
                return Handoff::Nothing;
            }
        };
        self.stats.responses += 1;
        if let Some(p) = self.peers.get_mut(slot) {
            p.responses += 1;
        }
        // Parsed already, so the header is there.
        let _ = Header::set_request(bytes, cookie);
        // Counted now, taken back if the owner cannot take it.
        self.stats.delivered += 1;
        if let Some(done) = &done {
            self.count_completion(done);
        }
        Handoff::Response {
            port: owner,
            from: header.source,
            done: done.map(|done| (done, self.last_node)),
        }
    }

    /// A message of ours came back from the direct socket `to`, with `head`, its start: a
    /// request fails that responder at once instead of at its deadline.
    fn on_returned(&mut self, sock: &Socket, head: &[u8], to: SocketId) {
        let Ok((header, _)) = Header::parse(head) else {
            return;
        };
        let Some(slot) = self
            .direct_slot(to)
            .filter(|_| header.kind == Kind::Request)
        else {
            return;
        };
        if let Some(done) = self.queue().unreached(header.request, 1 << slot) {
            self.complete(sock, &done);
        }
    }

    fn on_member(&mut self, sock: &Socket, member: SocketId, up: bool) {
        // Links come up once the address is final: ask until it is known.
        self.own_node(sock);
        let member = Member {
            node: member.node,
            port: member.port,
        };
        if up {
            match self.members.join(member) {
                // Its `Join` (the first one is due now) admits it, once answered.
                Change::Joined(slot) => self.reset_slot(slot, member, true),
                Change::Full => self.stats.members_full += 1,
                Change::Unchanged | Change::Left(_) => {}
            }
            return;
        }
        let Some(slot) = self.members.slot_of(member) else {
            return;
        };
        let admitted = self.members.is_admitted(slot);
        self.members.leave(member);
        if let Some(r) = self.registered.get_mut(slot) {
            *r = Registered::default();
        }
        let mut completed = KVec::new();
        self.queue().member_left(slot, |done| {
            // Without memory the owner's notification is lost; the request is done.
            let _ = completed.push(done, GFP_KERNEL);
        });
        for done in &completed {
            self.complete(sock, done);
        }
        if admitted {
            netlink::member_event(sock.net(), member, false, self.members.epoch());
        }
    }

    /// Completes the requests whose deadline passed and sends the `Join`s that are due;
    /// returns the milliseconds until the next deadline or `Join`, if any, for which the
    /// caller arms the timer.
    fn expire(&mut self, sock: &Socket) -> Option<u64> {
        let now = now_ms();
        let mut completed = KVec::new();
        self.queue().expire(now, |done| {
            let _ = completed.push(done, GFP_KERNEL);
        });
        for done in &completed {
            self.complete(sock, done);
        }
        let joins = self.send_joins(sock, now);
        let deadline = self
            .queue()
            .next_deadline()
            .map(|deadline| deadline.saturating_sub(now));
        let next = match (joins, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // The caller arms the timer for it (or runs again sooner, which arms it then).
        self.armed_ms = next.map(|ms| now.saturating_add(ms));
        next
    }
}

impl State {
    /// Whether daemons' messages may take the direct sockets.
    pub(crate) fn direct_on(&self) -> bool {
        self.direct_on
    }

    /// The port of the node's direct socket.
    pub(crate) fn direct_port(&self) -> u32 {
        self.direct_port
    }

    /// Whether messages to the member in `slot` take the direct sockets now.
    pub(crate) fn sends_direct(&self, slot: usize) -> bool {
        self.direct_on
            && self
                .registered
                .get(slot)
                .is_some_and(|r| r.welcomed && r.takes_direct && r.direct_port != 0)
    }
}

impl Node {
    /// The node's state, locked.
    pub(crate) fn state(&self) -> Guard<'_, State, MutexBackend> {
        self.shared.state.lock()
    }
}

/// What [`Shared::drain`] did.
struct Drained {
    /// How many arrivals it took.
    taken: usize,
    /// Whether more may be queued (it stopped at [`BATCH`]).
    more: bool,
    /// Whether a member came up or left: what is due (a `Join`) is the work's to send.
    members: bool,
}

impl Shared {
    /// Takes up to [`BATCH`] arrivals off the sockets, without blocking, and handles them.
    /// Whoever calls it (the work, or a daemon in [`receive_for`]: `in_wait`) holds the
    /// receive buffer meanwhile: messages are handled in the order they came.
    fn drain(&self, socks: Sockets<'_>, in_wait: bool) -> Drained {
        let sock = socks.group;
        let mut rx = self.rx.lock();
        let mut drained = Drained {
            taken: 0,
            more: true,
            members: false,
        };
        for _ in 0..BATCH {
            // The direct socket first: a member's messages there came before its leaving,
            // which the group reports, and after its admission (it sends there once we
            // welcomed it, which we did once we admitted it). Checking for queued arrivals
            // spares the sockets' locks when there is none, the usual end of a drain.
            let direct = socks.direct.filter(|d| d.has_queued());
            let arrival = match direct {
                Some(d) => tipc::receive(d, &mut rx),
                None if sock.has_queued() => tipc::receive(sock, &mut rx),
                None => Err(EAGAIN),
            };
            let mut state = self.state.lock();
            if in_wait && arrival.is_ok() {
                state.stats.received_in_wait = state.stats.received_in_wait.saturating_add(1);
            }
            match arrival {
                Ok(Arrival::Message {
                    len,
                    truncated,
                    from,
                    ..
                }) => {
                    let bytes = rx.get_mut(..len).unwrap_or(&mut []);
                    let handoff = state.on_message(socks, bytes, truncated, from, direct.is_some());
                    drop(state);
                    handoff.send(socks, bytes, &self.state);
                }
                Ok(Arrival::MemberUp { member, .. }) => {
                    state.on_member(sock, member, true);
                    drained.members = true;
                }
                Ok(Arrival::MemberDown { member, .. }) => {
                    state.on_member(sock, member, false);
                    drained.members = true;
                }
                // Off the group: a member left with it in its queue, and the member-down
                // event follows. Off the direct socket: its receiver's queue was full, or it
                // left; a request fails that responder at once.
                Ok(Arrival::Returned { to, len, .. }) => {
                    if direct.is_some() {
                        state.stats.unsent += 1;
                        state.on_returned(sock, rx.get(..len).unwrap_or(&[]), to);
                    }
                }
                Err(e) => {
                    if e != EAGAIN {
                        pr_warn!("receive failed: {e:?}\n");
                    }
                    drained.more = false;
                    break;
                }
            }
            drained.taken += 1;
        }
        drained
    }
}

impl Receive for Node {
    fn ready(ready: &Ready<'_, Self>) {
        let (sock, shared) = (ready.socket(), &ready.data().shared);
        let socks = Sockets::of_ready(ready);
        let drained = shared.drain(socks, false);
        // With the receive buffer held, as whoever completes a request (see `is_pending`): a
        // response a daemon's drain recorded is delivered before the completion.
        let next = {
            let _drain = shared.rx.lock();
            shared.state.lock().expire(sock)
        };
        // A daemon in `receive_for` may have got a message or a completion: it checks.
        ready.wake_readers();
        if drained.more {
            // More may be queued: go on in a later run, after others had the CPU.
            ready.again();
        } else if let Some(ms) = next {
            ready.again_in(u32::try_from(ms.saturating_add(1)).unwrap_or(u32::MAX));
        }
    }
}

/// Sends `bytes`, a message a daemon at netlink port `port` built, to the cluster; a request
/// asking for responses waits for them in the response queue. Refusals say why in `extack`.
pub(crate) fn send(
    receiver: &Receiver<Node>,
    port: u32,
    bytes: &[u8],
    extack: Option<&ExtAck>,
) -> Result<Sent> {
    let fail = |msg: &'static CStr, err| kernel::net::extack::fail(extack, msg, err);
    let mut message = Message::parse(bytes).map_err(|e| fail(wire_text(e), EINVAL))?;
    let sock = receiver.socket();
    let (header, sub) = (&mut message.header, &message.subheader);
    if !matches!(header.kind, Kind::Request | Kind::Response) {
        return Err(fail(
            c_str!("vke: daemons send requests and responses only"),
            EINVAL,
        ));
    }
    let mut state = receiver.data().state();
    let own = state.own_node(sock);
    if own == 0 {
        return Err(fail(
            c_str!("vke: the node has no TIPC address yet"),
            ENOTCONN,
        ));
    }
    let socks = Sockets::of(receiver);
    let (to, expected) = if sub.broadcast {
        (None, state.members.admitted())
    } else {
        let slot = state
            .members
            .slot_of_node(header.destination)
            .ok_or_else(|| {
                fail(
                    c_str!("vke: the destination node is not a member"),
                    EHOSTUNREACH,
                )
            })?;
        let route = state.route(slot, socks).ok_or(EHOSTUNREACH)?;
        (Some((route, slot)), 1 << slot)
    };
    let wanted = header.kind == Kind::Request && sub.response_requested;
    if wanted {
        if expected == 0 {
            return Err(fail(c_str!("vke: no member to respond"), ENOTCONN));
        }
        if state.queue().len() >= MAX_PENDING {
            return Err(fail(
                c_str!("vke: too many requests wait for responses"),
                ENOBUFS,
            ));
        }
    }
    header.source = own;
    // The node numbers every request on the wire, so that ids are unique and a late response
    // never matches a later request. A daemon may number its own (its cookie): responses and
    // the completion reach it under that number, and no reply tells it the node's.
    let assigned = header.kind == Kind::Request && header.request == 0;
    let mut cookie = header.request;
    if header.kind == Kind::Request {
        if wanted && !assigned && state.queue().get_cookie(port, cookie).is_some() {
            return Err(fail(
                c_str!("vke: a request with this id is pending"),
                EEXIST,
            ));
        }
        header.request = state.new_request_id(port);
        if assigned {
            cookie = header.request;
        }
    }
    let deadline = now_ms() + u64::from(sub.deadline_ms.unwrap_or(state.config.deadline_ms));
    let request = header.request;
    let slot = to.map(|(_, slot)| slot);
    let mut wake = false;
    let mut unreached = 0;
    if wanted {
        // Queued before it is sent: the response may come before `send` returns. The id is
        // new, the cookie free, a slot free and responders expected: checked above.
        state
            .queue()
            .add(request, cookie, port, expected, deadline)
            .map_err(|_| ENOBUFS)?;
        // A timer that fires no later than the new deadline is left alone, as its run arms
        // the next; else the work runs now to arm it for this one. Waking the work for every
        // request would cost a context switch per request.
        if state.armed_ms.map_or(true, |armed| armed > deadline) {
            state.armed_ms = Some(deadline);
            wake = true;
        }
    }
    let replicas = match (to, socks.direct) {
        (None, Some(direct)) => Some((state.replicas(), direct)).filter(|(r, _)| r.len > 0),
        _ => None,
    };
    // Counted now, taken back if it fails: the send happens without the state, which the
    // work needs for the arrivals it causes.
    state.count_sent(slot, 1);
    drop(state);
    let sent = {
        let mut tx = receiver.data().shared.tx.lock();
        let (from, to) = match to {
            Some(((from, id), _)) => (from, Some(Address::socket(id))),
            None => (sock, None),
        };
        match (message.encode(&mut tx), &replicas) {
            (Ok(len), Some((replicas, direct))) => match replicas.send(direct, &tx[..len]) {
                // Some went: those that did not are failed once the daemon has the reply.
                (failed, _) if (failed.count_ones() as usize) < replicas.len => {
                    if failed != 0 {
                        receiver.data().state().stats.unsent += u64::from(failed.count_ones());
                        unreached = failed;
                    }
                    Ok(())
                }
                (_, failed) => failed,
            },
            (Ok(len), None) => tipc::send(from, to.as_ref(), &tx[..len]).map(|_| ()),
            (Err(_), _) => Err(EMSGSIZE),
        }
    };
    if wake {
        // Whatever became of the send, the timer must be armed for what is queued.
        receiver.wake();
    }
    if let Err(e) = sent {
        let mut state = receiver.data().state();
        state.count_sent(slot, -1);
        // Completed meanwhile (its responder left, or a short deadline passed): the
        // daemon has its completion, which says how it ended, and no error besides.
        if !wanted || state.queue().remove(request) {
            drop(state);
            return Err(match e {
                e if e == EAGAIN => {
                    fail(c_str!("vke: the cluster is congested, try again"), EAGAIN)
                }
                e => e,
            });
        }
    }
    Ok(Sent {
        request,
        assigned,
        expected: if wanted { expected.count_ones() } else { 0 },
        unreached: if wanted { unreached } else { 0 },
    })
}

/// Fails the responders in `unreached` of request `request` (its id on the wire) at once, as
/// its copies did not reach them; completes it if they were the last it waited for.
pub(crate) fn fail_unreached(receiver: &Receiver<Node>, request: u64, unreached: Set) {
    if unreached == 0 {
        return;
    }
    // Held as by whoever completes a request (see `is_pending`): a response recorded by a
    // drain is delivered before this completion.
    let _drain = receiver.data().shared.rx.lock();
    let mut state = receiver.data().state();
    if let Some(done) = state.queue().unreached(request, unreached) {
        state.complete(receiver.socket(), &done);
        // Another thread of the owner may wait in the node for it.
        receiver.wake_readers();
    }
}

/// Whether request `request` (its id on the wire) still waits for responses. Asked with the
/// receive buffer held: whoever completes a request holds it until the last response and
/// the completion are handed over, so a request that is not pending has them queued.
pub(crate) fn is_pending(receiver: &Receiver<Node>, request: u64) -> bool {
    let _drain = receiver.data().shared.rx.lock();
    receiver.data().state().queue().get(request).is_some()
}

/// Batches a daemon in [`receive_for`] drains between two checks of its own socket; more go
/// to the work, so that a flood for others does not hold it for long.
const READER_BATCHES: usize = 4;

/// Receives the node's arrivals in the calling daemon's context, instead of the work's,
/// until `has_queued` says the daemon's socket has a message to read, or `timeout_ms` passes.
/// A message for the daemon then costs one context switch (the daemon's wake-up), not two.
/// `first` runs once, already as a reader, so that an answer to what it sends is received
/// here too; an error from it ends the wait, and is returned. Fails with `EINTR` if a signal
/// cut the wait short.
pub(crate) fn receive_for(
    receiver: &Receiver<Node>,
    timeout_ms: u32,
    first: impl FnOnce() -> Result,
    has_queued: impl Fn() -> bool,
) -> Result {
    let (socks, shared) = (Sockets::of(receiver), &receiver.data().shared);
    let mut first = Some(first);
    let mut failed = Ok(());
    let waited = receiver.receive_here(timeout_ms, || {
        if let Some(first) = first.take() {
            failed = first();
            if failed.is_err() {
                return true;
            }
        }
        for batch in 1..=READER_BATCHES {
            let drained = shared.drain(socks, true);
            if drained.taken > 0 {
                // Another daemon in here may have got something: it checks.
                receiver.wake_other_readers();
            }
            if drained.members {
                // A `Join` is due: the work sends it, and arms its retries.
                receiver.wake();
            }
            if !drained.more {
                break;
            }
            if batch == READER_BATCHES {
                receiver.wake();
            }
        }
        has_queued()
    });
    // What `first` did comes first: the caller reports it, and a wait cut short after it
    // succeeded is no failure of its (see `EINTR` in `netlink::send`).
    failed.and(waited.map(|_| ()))
}

/// Forgets the daemon at netlink port `port`, which closed its socket: its services are
/// unbound and its pending requests dropped.
pub(crate) fn daemon_closed(receiver: &Receiver<Node>, port: u32) {
    let mut state = receiver.data().state();
    state.daemon_gone(receiver.socket(), port);
}

/// Lets daemons' messages take the direct sockets, or keeps them in the group, from now on;
/// tells the members when it changes, which then send to the direct socket or stop.
pub(crate) fn set_direct(receiver: &Receiver<Node>, on: bool) {
    let mut state = receiver.data().state();
    if state.direct_on != on {
        state.direct_on = on;
        state.announce(receiver.socket());
    }
}

/// Binds `service` to the daemon at `port`, and tells the members.
pub(crate) fn bind(
    receiver: &Receiver<Node>,
    service: u32,
    port: u32,
    extack: Option<&ExtAck>,
) -> Result {
    let mut state = receiver.data().state();
    state.services.bind(service, port).map_err(|e| match e {
        BindError::Busy(_) => kernel::net::extack::fail(
            extack,
            c_str!("vke: another daemon serves this service"),
            EBUSY,
        ),
        BindError::Full => {
            kernel::net::extack::fail(extack, c_str!("vke: too many services bound"), ENOSPC)
        }
    })?;
    state.announce(receiver.socket());
    Ok(())
}

/// Unbinds `service` from the daemon at `port`, and tells the members.
pub(crate) fn unbind(
    receiver: &Receiver<Node>,
    service: u32,
    port: u32,
    extack: Option<&ExtAck>,
) -> Result {
    let mut state = receiver.data().state();
    if !state.services.unbind(service, port) {
        return Err(kernel::net::extack::fail(
            extack,
            c_str!("vke: this socket does not serve the service"),
            ENOENT,
        ));
    }
    state.announce(receiver.socket());
    Ok(())
}

/// Sets the cluster's configuration from this node: the name and default deadline given,
/// the others kept; it supersedes every configuration seen so far and goes to every member.
pub(crate) fn configure(
    receiver: &Receiver<Node>,
    name: Option<&[u8]>,
    deadline_ms: Option<u32>,
    extack: Option<&ExtAck>,
) -> Result<Config> {
    let sock = receiver.socket();
    let mut state = receiver.data().state();
    let own = state.own_node(sock);
    if own == 0 {
        return Err(kernel::net::extack::fail(
            extack,
            c_str!("vke: the node has no TIPC address yet"),
            ENOTCONN,
        ));
    }
    let old = state.config;
    let config = Config::new(
        old.generation.wrapping_add(1),
        own,
        deadline_ms.unwrap_or(old.deadline_ms),
        name.unwrap_or(old.name()),
    )
    .map_err(|e| kernel::net::extack::fail(extack, wire_text(e), EINVAL))?;
    state.config = config;
    state.stats.config_changes += 1;
    state.announce(sock);
    Ok(config)
}

/// The text of a wire format error, for an extack.
fn wire_text(e: WireError) -> &'static CStr {
    CStr::from_bytes_with_nul(e.message_with_nul().as_bytes())
        .unwrap_or(c_str!("malformed VKE message"))
}

/// The per-namespace operations.
pub(crate) struct Nodes;

static ID: pernet::Id = pernet::Id::new();

impl pernet::Operations for Nodes {
    type Data = Instance;

    fn id() -> &'static pernet::Id {
        &ID
    }

    fn init(net: &pernet::Init<'_>) -> Result<Instance> {
        let sock = tipc::socket(net)?;
        tipc::join_group(&sock, GROUP, INSTANCE, Scope::Cluster, false)?;
        // Unbound: members learn its port from our registrations. What TIPC cannot deliver
        // (a receiver's full queue) comes back, to be counted, rather than vanish.
        let direct = tipc::socket(net)?;
        tipc::return_undelivered(&direct)?;
        let rx = KVVec::from_elem(0u8, tipc::MAX_MESSAGE_LEN, GFP_KERNEL)?;
        let tx = KVVec::from_elem(0u8, MAX_MESSAGE_LEN, GFP_KERNEL)?;
        let mut state = State::new()?;
        state.direct_port = tipc::own_id(&direct)?.port;
        let shared = Arc::pin_init(
            pin_init!(Shared {
                rx <- new_mutex!(rx),
                tx <- new_mutex!(tx),
                state <- new_mutex!(state),
            }),
            GFP_KERNEL,
        )?;
        let receiver = KBox::pin_init(
            Receiver::new_pair(sock, direct, Node { shared }),
            GFP_KERNEL,
        )?;
        receiver.start()?;
        Ok(receiver)
    }

    fn pre_exit(_net: &kernel::net::namespace::Net, receiver: Pin<&Receiver<Node>>) {
        // No arrival schedules the work any more, and no run is left: the namespace's exit
        // then drops the receiver and its sockets. Pending requests end with their daemons.
        receiver.stop();
    }
}
