// SPDX-License-Identifier: GPL-2.0

//! The interrupt vectors behind a network device.
//!
//! A network device has no interrupts of its own: they belong to the bus function under it (a
//! PCI function, or the PCI function under a virtio device), whose MSI or MSI-X vectors the
//! driver spreads over its queues.

use crate::{
    device,
    irq::msi::{self, Vector},
    net::dev::Device,
    prelude::*,
};

/// How many ancestors are searched for vectors: a virtio-net device is two levels above its PCI
/// function; bounded in case of a cycle, which the driver core does not allow anyway.
const MAX_DEPTH: usize = 8;

impl Device {
    /// Returns the MSI and MSI-X vectors of the bus function behind the device, by index: those
    /// of its closest ancestor that has any. A software device (veth, dummy) has none.
    pub fn msi_vectors(&self) -> Result<KVec<Vector>> {
        let dev = self.as_raw();
        // SAFETY: by the type invariant the device is valid and RTNL is held, under which its
        // device is added and deleted (`netdev_{register,unregister}_kobject`).
        if unsafe { (*dev).dev.kobj.state_in_sysfs() } == 0 {
            // Deleted: it may not hold its parent any more.
            return Ok(KVec::new());
        }
        // SAFETY: as above; the parent is set before registration and not changed after.
        let mut parent = unsafe { (*dev).dev.parent };
        for _ in 0..MAX_DEPTH {
            if parent.is_null() {
                break;
            }
            // SAFETY: an added device holds a reference on its parent until it is deleted
            // (`device_add`, `device_del`), so every ancestor of the net device is valid while
            // its device is added, which it is, under RTNL.
            let dev = unsafe { device::Device::as_ref(parent) };
            // SAFETY: the drivers of the device's ancestors stay bound: the one that registered
            // the net device unregisters it in its remove callback, which needs RTNL, so it has
            // not returned, and a parent driver removes its children (the virtio device) before
            // it unbinds.
            let vectors = unsafe { msi::vectors(dev) }?;
            if !vectors.is_empty() {
                return Ok(vectors);
            }
            // SAFETY: `parent` is valid (see above).
            parent = unsafe { (*parent).parent };
        }
        Ok(KVec::new())
    }
}
