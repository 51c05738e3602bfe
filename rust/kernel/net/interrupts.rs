// SPDX-License-Identifier: GPL-2.0

//! The interrupt vectors behind a network device.
//!
//! A network device has no interrupts of its own: they belong to the PCI function under it (a
//! NIC or VF driven from its function, or the function under a virtio device), whose MSI or
//! MSI-X vectors the driver spreads over its queues.

use crate::{
    device,
    irq::msi::{self, Vector},
    net::dev::Device,
    prelude::*,
};

/// How many ancestors are searched for the PCI function: a virtio-net device is two levels
/// above its function; bounded in case of a cycle, which the driver core does not allow anyway.
const MAX_DEPTH: usize = 4;

impl Device {
    /// Returns the MSI and MSI-X vectors of the PCI function behind the device, by index: its
    /// first PCI ancestor's, and none if that has none or there is no PCI function (veth, a
    /// USB NIC). The search stops at the first PCI device, so it never reaches a bridge and
    /// the vectors of its port services.
    pub fn msi_vectors(&self) -> Result<KVec<Vector>> {
        let dev = self.as_raw();
        // SAFETY: by the type invariant the device is valid and RTNL is held, under which its
        // device is added and deleted (`netdev_{register,unregister}_kobject`).
        if !unsafe { bindings::device_is_registered(&raw mut (*dev).dev) } {
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
            if unsafe { bindings::dev_is_pci(parent) } {
                // SAFETY: as above, `parent` is valid.
                let function = unsafe { device::Device::as_ref(parent) };
                // The function's driver stays bound: the driver that registered the net
                // device (the function's, or a child's such as virtio-net, which the function's
                // driver removes before it unbinds) unregisters it in its remove callback,
                // which needs RTNL, held here, so that callback has not returned.
                // SAFETY: the function's driver stays bound for the call (see above).
                return unsafe { msi::vectors(function) };
            }
            // SAFETY: `parent` is valid (see above).
            parent = unsafe { (*parent).parent };
        }
        Ok(KVec::new())
    }
}
