// SPDX-License-Identifier: GPL-2.0

//! The interrupt vectors behind a network device.
//!
//! A network device has no interrupts of its own: they belong to the PCI function under it (a
//! NIC or VF driven from its function, or the function under a virtio device), whose MSI or
//! MSI-X vectors the driver spreads over its queues.

use crate::{
    cpumask::CpuSet,
    device,
    irq::msi::{self, Vector},
    net::dev::Device,
    prelude::*,
};

/// How many ancestors are searched for the PCI function: a virtio-net device is two levels
/// above its function; bounded in case of a cycle, which the driver core does not allow anyway.
const MAX_DEPTH: usize = 4;

impl Device {
    /// Calls `f` with the PCI function behind the device (its first PCI ancestor) and returns
    /// what it returns, or `None` if there is no PCI function (veth, a USB NIC) or the device
    /// is deleted. The search stops at the first PCI device, so it never reaches a bridge.
    ///
    /// While `f` runs the function's driver stays bound: the driver that registered the net
    /// device (the function's, or a child's such as virtio-net, which the function's driver
    /// removes before it unbinds) unregisters it in its remove callback, which needs RTNL, held
    /// here by the type invariant, so that callback has not returned.
    fn with_pci_function<R>(&self, f: impl FnOnce(&device::Device) -> R) -> Option<R> {
        let dev = self.as_raw();
        // SAFETY: by the type invariant the device is valid and RTNL is held, under which its
        // device is added and deleted (`netdev_{register,unregister}_kobject`).
        if !unsafe { bindings::device_is_registered(&raw mut (*dev).dev) } {
            // Deleted: it may not hold its parent any more.
            return None;
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
                return Some(f(unsafe { device::Device::as_ref(parent) }));
            }
            // SAFETY: `parent` is valid (see above).
            parent = unsafe { (*parent).parent };
        }
        None
    }

    /// Returns the MSI and MSI-X vectors of the PCI function behind the device, by index; none
    /// if that has none or there is no PCI function.
    pub fn msi_vectors(&self) -> Result<KVec<Vector>> {
        // SAFETY: the function's driver stays bound while the closure runs
        // (`with_pci_function`).
        self.with_pci_function(|function| unsafe { msi::vectors(function) })
            .unwrap_or_else(|| Ok(KVec::new()))
    }

    /// Returns the CPUs of the NUMA node of the PCI function behind the device, or `None` if it
    /// has no node (a machine without NUMA) or there is no PCI function.
    pub fn local_cpus(&self) -> Result<Option<CpuSet>> {
        let node = self.with_pci_function(|function| {
            // SAFETY: `function` is valid for the call.
            unsafe { bindings::dev_to_node(function.as_raw()) }
        });
        let Some(node) = node.filter(|&node| node >= 0) else {
            return Ok(None);
        };
        let mut cpus = CpuSet::new()?;
        // SAFETY: `node` is a device's node, hence a valid one, whose mask lives as long as the
        // kernel (`node_to_cpumask_map`); `assign` copies it.
        unsafe { cpus.assign(bindings::cpumask_of_node(node)) };
        Ok(Some(cpus))
    }
}
