// SPDX-License-Identifier: GPL-2.0

//! Adapter queue interrupt balancer driven by per-queue statistics.
//!
//! Only the module skeleton exists so far: it loads and unloads, and does nothing else.

use kernel::prelude::*;

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
