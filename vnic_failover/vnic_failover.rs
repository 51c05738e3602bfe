// SPDX-License-Identifier: GPL-2.0

//! Virtual NIC over a pool of virtual functions with fast failover.
//!
//! Work in progress: the module loads and unloads; the member-selection policy (`policy`) and
//! the statistics fold (`stats`) are built here and tested on the host (tools/vnic-policy), and
//! are not wired to devices yet.

use kernel::prelude::*;

// Compiled into the module so kernel builds check them; used once members can be enslaved.
// Their items are `pub` for the host crate that tests them (tools/vnic-policy).
#[allow(dead_code, unreachable_pub)]
mod policy;
#[allow(dead_code, unreachable_pub)]
mod stats;

module! {
    type: Module,
    name: "vnic_failover",
    author: "pvio developers",
    description: "Virtual NIC over a pool of virtual functions with fast failover",
    license: "GPL",
}

struct Module;

impl kernel::Module for Module {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Module)
    }
}
