// SPDX-License-Identifier: GPL-2.0

//! What a node counts: every message sent, received, delivered or refused, and what became of
//! every expected response. The counters are read through the `node-get` and `member-get`
//! operations of the family; they only grow.

/// The counters of a node.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Stats {
    /// Messages sent to the cluster (a broadcast counts once).
    pub(crate) sent: u64,
    /// Messages received from members and accepted.
    pub(crate) received: u64,
    /// Messages handed to a daemon (requests of its services, responses to its requests).
    pub(crate) delivered: u64,
    /// Requests for a service no daemon serves here (answered with `-ENOENT` when a response
    /// was requested).
    pub(crate) unbound: u64,
    /// Messages that broke a rule of the wire format.
    pub(crate) refused_malformed: u64,
    /// Messages longer than a VKE message can be.
    pub(crate) refused_oversize: u64,
    /// Messages from a socket that is not a member of the cluster.
    pub(crate) refused_not_member: u64,
    /// Messages whose source is not the node they came from.
    pub(crate) refused_spoofed: u64,
    /// Unicast messages for another node.
    pub(crate) refused_misaddressed: u64,
    /// Responses matched to a pending request.
    pub(crate) responses: u64,
    /// Second responses from a responder that had answered already.
    pub(crate) duplicates: u64,
    /// Responses to no pending request, or from a member that was not asked.
    pub(crate) unexpected: u64,
    /// Requests completed (all answered, deadline, or responders gone).
    pub(crate) completed: u64,
    /// Responders that had not answered by a deadline.
    pub(crate) timeouts: u64,
    /// Responders that left the cluster before answering.
    pub(crate) left: u64,
    /// Daemons found gone (their port refused a message): their services and requests drop.
    pub(crate) daemons_gone: u64,
    /// Messages for a daemon that could not be handed over (its receive buffer was full).
    pub(crate) dropped: u64,
    /// Registrations from a second member of a node that has one admitted.
    pub(crate) refused_duplicate: u64,
    /// Members TIPC reported while every slot was taken (their retried `Join` may admit them).
    pub(crate) members_full: u64,
    /// Configurations taken: set here or handed over by a member.
    pub(crate) config_changes: u64,
    /// Arrivals (messages and membership events) that a daemon waiting in the node took off
    /// the socket in its own context, rather than the node's work.
    pub(crate) received_in_wait: u64,
    /// Messages of members taken off the direct socket (daemons' messages, broadcasts sent
    /// member by member included), among those `received`.
    pub(crate) received_direct: u64,
    /// Messages from the direct socket that did not arrive: copies of a broadcast sent member
    /// by member that TIPC refused (a congested link), and messages it returned (the
    /// receiver's queue full, or the receiver gone). A request fails those responders at
    /// once (outcome `unsent`).
    pub(crate) unsent: u64,
}

/// The counters of one member, as seen from this node.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct PeerStats {
    /// Messages sent to it alone.
    pub(crate) sent: u64,
    /// Messages received from it and accepted.
    pub(crate) received: u64,
    /// Its responses matched to a pending request.
    pub(crate) responses: u64,
    /// Requests it did not answer by their deadline.
    pub(crate) timeouts: u64,
    /// Its messages refused.
    pub(crate) refused: u64,
}
