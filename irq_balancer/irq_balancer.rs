// SPDX-License-Identifier: GPL-2.0

//! Adapter queue interrupt balancer driven by per-queue statistics.
//!
//! So far the module loads and unloads; `policy` (plain Rust, tested on the host by
//! tools/irq-policy) decides which lines move, and is compiled here so the kernel build checks
//! it too.

use kernel::prelude::*;

// Its items are `pub` for the host crate that tests it (tools/irq-policy).
#[allow(dead_code, unreachable_pub)]
mod policy;

module! {
    type: Module,
    name: "irq_balancer",
    author: "pvio developers",
    description: "Adapter queue interrupt balancer driven by per-queue statistics",
    license: "GPL",
}

struct Module;

impl kernel::Module for Module {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Module)
    }
}
