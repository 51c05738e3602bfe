// SPDX-License-Identifier: GPL-2.0

//! Virtual NIC over a pool of virtual functions with fast failover.
//!
//! Only the module skeleton exists so far: it loads and unloads, and does nothing else.

use kernel::prelude::*;

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
