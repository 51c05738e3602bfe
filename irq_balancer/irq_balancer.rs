// SPDX-License-Identifier: GPL-2.0

//! Adapter queue interrupt balancer driven by per-queue statistics.
//!
//! The adapters put under management (`netlink`, `adapter-add`) have their MSI and MSI-X lines
//! (`lines`) sampled every interval (`state`): per-line and per-CPU interrupt rates, and
//! whether someone else moved a line. `policy` (plain Rust, tested on the host by
//! tools/irq-policy) decides which lines move; each decision is multicast. The logical
//! interrupt table of any device is dumped by `table`; that of the adapters under management
//! is also text in debugfs (`table_file`). Lines are given back their affinity when their
//! adapter leaves management or the module unloads.

#[cfg(CONFIG_DEBUG_FS)]
use kernel::{c_str, debugfs::ShowFile};
use kernel::{
    net::{genetlink, notifier},
    prelude::*,
    sync::{global::Publication, Arc},
};

mod events;
// Its items are `pub` for the host crate that tests it (tools/irq-policy).
mod lines;
#[allow(dead_code, unreachable_pub)]
mod lists;
mod netlink;
// Its items are `pub` for the host crate that tests it (tools/irq-policy).
#[allow(dead_code, unreachable_pub)]
mod policy;
mod state;
mod table;
#[cfg(CONFIG_DEBUG_FS)]
mod table_file;

module! {
    type: Module,
    name: "irq_balancer",
    author: "pvio developers",
    description: "Adapter queue interrupt balancer driven by per-queue statistics",
    license: "GPL",
}

struct Module {
    // Dropped in this order: no reader or request reaches the balancer once it shuts down; it
    // gives the lines back before the notifier goes, whose unregistration replays an
    // unregister event for every device (which would drop the adapters without restoring
    // their lines).
    #[cfg(CONFIG_DEBUG_FS)]
    _table: Option<ShowFile<table_file::TableFile>>,
    _family: genetlink::Registration<netlink::IrqBalancerFamily>,
    _running: Running,
    _events: Pin<KBox<notifier::Registration<events::AdapterEvents>>>,
}

/// The published balancer; dropping it stops the sampler and gives every line back.
struct Running {
    state: Arc<state::State>,
    _publication: Publication<state::State>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.state.shut_down();
    }
}

impl kernel::Module for Module {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let state = state::State::new()?;
        let publication = state::STATE.publish(state.clone())?;
        let running = Running {
            state,
            _publication: publication,
        };
        let events = KBox::pin_init(
            notifier::Registration::new(events::AdapterEvents),
            GFP_KERNEL,
        )?;
        // The text table is a convenience: the balancer works without it (debugfs=off).
        #[cfg(CONFIG_DEBUG_FS)]
        let table = match ShowFile::new(
            c_str!("irq_balancer"),
            c_str!("table"),
            table_file::TableFile,
        ) {
            Ok(file) => Some(file),
            Err(e) => {
                pr_warn!("no debugfs table: {:?}\n", e);
                None
            }
        };
        Ok(Module {
            #[cfg(CONFIG_DEBUG_FS)]
            _table: table,
            _family: netlink::FAMILY.register(module)?,
            _events: events,
            _running: running,
        })
    }
}
