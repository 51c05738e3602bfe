// SPDX-License-Identifier: GPL-2.0

//! Adapter queue interrupt balancer driven by per-queue statistics.
//!
//! So far it reports the logical interrupt table (`table`) through its generic netlink family
//! (`netlink`); `policy` (plain Rust, tested on the host by tools/irq-policy) decides which
//! lines move, and is compiled here so the kernel build checks it too. It moves nothing yet.

use kernel::{net::genetlink, prelude::*};

mod netlink;
// Its items are `pub` for the host crate that tests it (tools/irq-policy).
#[allow(dead_code, unreachable_pub)]
mod policy;
mod table;

module! {
    type: Module,
    name: "irq_balancer",
    author: "pvio developers",
    description: "Adapter queue interrupt balancer driven by per-queue statistics",
    license: "GPL",
}

struct Module {
    _family: genetlink::Registration<netlink::IrqBalancerFamily>,
}

impl kernel::Module for Module {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Module {
            _family: netlink::FAMILY.register(module)?,
        })
    }
}
