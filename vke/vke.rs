// SPDX-License-Identifier: GPL-2.0

//! VSCSI kernel extension (VKE): cluster messaging over TIPC.
//!
//! Every network namespace is a node of a cluster (TIPC's, per namespace): user-space daemons
//! build VKE messages (header, sub-header, payload) and pass them through the `vke` generic
//! netlink family; the node checks them and sends them to one node or to all, keeps requests
//! that ask for responses in a response queue, one entry per expected responder, and matches
//! the responses as they arrive. See Documentation/networking/vke.rst.
//!
//! One file per concept:
//!
//! - `header`, `subheader`, `message`: the wire format (no_std, host-tested and fuzzed);
//! - `registration`: the payload of `Join` and `Welcome` (no_std, host-tested and fuzzed);
//! - `members`, `responses`, `services`: the member table, the response queue and the
//!   service bindings (no_std, host-tested);
//! - `node`: a namespace's node, its socket and what it does with arrivals;
//! - `stats`: what a node counts;
//! - `netlink`: the system call interface of the daemons, and their sockets' release.

use kernel::{
    net::{genetlink, netlink_release, pernet},
    prelude::*,
    sync::{
        global::{Global, Publication},
        Arc,
    },
};

mod netlink;
mod node;
mod stats;

// Their items are `pub` for the host crate that tests them (tools/vke-proto).
#[allow(dead_code, unreachable_pub)]
mod header;
#[allow(dead_code, unreachable_pub)]
mod members;
#[allow(dead_code, unreachable_pub)]
mod message;
#[allow(dead_code, unreachable_pub)]
mod registration;
#[allow(dead_code, unreachable_pub)]
mod responses;
#[allow(dead_code, unreachable_pub)]
mod services;
#[allow(dead_code, unreachable_pub)]
mod subheader;

module! {
    type: Module,
    name: "vke",
    author: "pvio developers",
    description: "VSCSI kernel extension: cluster messaging over TIPC",
    license: "GPL",
}

/// The nodes of every namespace, for the netlink handlers.
pub(crate) static NODES: Global<pernet::Registration<node::Nodes>> = Global::new();

struct Module {
    // Dropped in this order: no request is handled and no release reported any more, then
    // the nodes go.
    _family: genetlink::Registration<netlink::VkeFamily>,
    _releases: Pin<KBox<netlink_release::Registration<netlink::DaemonReleases>>>,
    _nodes: Publication<pernet::Registration<node::Nodes>>,
}

impl kernel::Module for Module {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let nodes = Arc::pin_init(pernet::Registration::new(), GFP_KERNEL)?;
        let nodes = NODES.publish(nodes)?;
        let releases = KBox::pin_init(
            netlink_release::Registration::new(netlink::DaemonReleases),
            GFP_KERNEL,
        )?;
        let family = netlink::FAMILY.register(module)?;
        pr_info!("nodes in every namespace, TIPC group {:#x}\n", node::GROUP);
        Ok(Module {
            _family: family,
            _releases: releases,
            _nodes: nodes,
        })
    }
}
