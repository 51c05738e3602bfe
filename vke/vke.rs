// SPDX-License-Identifier: GPL-2.0

//! VSCSI kernel extension: cluster messaging over TIPC.
//!
//! Only the module skeleton exists so far: it loads and unloads, and does nothing else.

use kernel::prelude::*;

module! {
    type: Module,
    name: "vke",
    author: "pvio developers",
    description: "VSCSI kernel extension: cluster messaging over TIPC",
    license: "GPL",
}

struct Module;

impl kernel::Module for Module {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Module)
    }
}
