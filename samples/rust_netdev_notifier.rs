// SPDX-License-Identifier: GPL-2.0

//! Sample of the netdevice notifier abstraction (`kernel::net::notifier`).
//!
//! Logs every netdevice event, and refuses to bring up any interface whose name starts with
//! `veto`: the `NETDEV_PRE_UP` veto reaches user space as `EPERM`.

use core::sync::atomic::{AtomicU64, Ordering};
use kernel::net::{
    dev::Device,
    notifier::{Event, Handler, Registration},
};
use kernel::prelude::*;

module! {
    type: NetdevNotifierSample,
    name: "rust_netdev_notifier",
    author: "pvio developers",
    description: "Rust netdevice notifier sample",
    license: "GPL",
}

/// Interfaces with this name prefix may not be brought up while the module is loaded.
const VETO_PREFIX: &[u8] = b"veto";

struct Watcher {
    events: AtomicU64,
    vetoes: AtomicU64,
}

impl Handler for Watcher {
    fn notify(&self, event: Event, dev: &Device) -> Result {
        let name = dev.name();
        self.events.fetch_add(1, Ordering::Relaxed);
        pr_info!(
            "{name} (ifindex {}, mtu {}, running {}, carrier {}): {event:?}\n",
            dev.ifindex(),
            dev.mtu(),
            dev.is_running(),
            dev.has_carrier(),
        );
        if event == Event::PreUp && name.as_bytes().starts_with(VETO_PREFIX) {
            self.vetoes.fetch_add(1, Ordering::Relaxed);
            pr_info!("{name}: refusing to bring it up\n");
            return Err(EPERM);
        }
        Ok(())
    }
}

struct NetdevNotifierSample {
    registration: Pin<KBox<Registration<Watcher>>>,
}

impl kernel::Module for NetdevNotifierSample {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let watcher = Watcher {
            events: AtomicU64::new(0),
            vetoes: AtomicU64::new(0),
        };
        let registration = KBox::pin_init(Registration::new(watcher), GFP_KERNEL)?;
        pr_info!("watching network devices\n");
        Ok(Self { registration })
    }
}

impl Drop for NetdevNotifierSample {
    fn drop(&mut self) {
        let watcher = self.registration.handler();
        pr_info!(
            "unloading after {} events, {} vetoes\n",
            watcher.events.load(Ordering::Relaxed),
            watcher.vetoes.load(Ordering::Relaxed),
        );
    }
}
