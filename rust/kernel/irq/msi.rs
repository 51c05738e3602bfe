// SPDX-License-Identifier: GPL-2.0

//! The MSI and MSI-X vectors of a device.
//!
//! C header: [`include/linux/msi.h`](srctree/include/linux/msi.h)

use super::Irq;
use crate::{alloc::flags::GFP_KERNEL, device::Device, prelude::*};

/// One vector of a device: its index in the device's table (the MSI-X entry, or the vector of a
/// multi-vector MSI), and the interrupt line it raises.
///
/// Two functions of one adapter model (two VFs of a PF) lay their vectors out alike, so the
/// vector with a given index has the same role (a queue, the configuration) on both.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Vector {
    /// The vector's index in the device's table.
    pub index: u32,
    /// The interrupt line it raises.
    pub irq: Irq,
}

/// Returns the vectors `dev` has allocated and associated with interrupt lines, by index; none
/// for a device without MSI.
///
/// # Safety
///
/// The driver bound to `dev` must stay bound for the duration of the call: a device's MSI data
/// is released when its driver unbinds (devres), and nothing else keeps it.
pub unsafe fn vectors(dev: &Device) -> Result<KVec<Vector>> {
    let mut vectors = KVec::new();
    #[cfg(CONFIG_GENERIC_MSI_IRQ)]
    {
        let raw = dev.as_raw();
        // SAFETY: `dev` is valid. `msi.data` is set when the driver first allocates vectors and
        // released when it unbinds, which the caller excludes; read once, as it may be set
        // concurrently.
        if unsafe { core::ptr::read_volatile(&raw const (*raw).msi.data) }.is_null() {
            return Ok(vectors);
        }
        let filter = bindings::msi_desc_filter_MSI_DESC_ASSOCIATED;
        // SAFETY: the device has MSI data, whose mutex serialises changes to its descriptors.
        unsafe { bindings::msi_lock_descs(raw) };
        let mut result: Result = Ok(());
        // SAFETY: the descriptor mutex is held.
        let mut desc = unsafe { bindings::msi_first_desc(raw, filter) };
        while !desc.is_null() {
            // SAFETY: a descriptor returned under the mutex stays valid until it is released.
            let d = unsafe { &*desc };
            let (first, count, index) = (d.irq, d.nvec_used, u32::from(d.msi_index));
            // A multi-vector MSI descriptor covers `count` consecutive lines.
            for i in 0..count {
                let vector = Vector {
                    index: index + i,
                    irq: Irq(first + i),
                };
                if let Err(e) = vectors.push(vector, GFP_KERNEL) {
                    result = Err(e.into());
                    break;
                }
            }
            if result.is_err() {
                break;
            }
            // SAFETY: the descriptor mutex is held, and the walk started with
            // `msi_first_desc` on the default domain with the same filter.
            desc = unsafe {
                bindings::msi_next_desc(raw, bindings::msi_domain_ids_MSI_DEFAULT_DOMAIN, filter)
            };
        }
        // SAFETY: the mutex was taken above on this device.
        unsafe { bindings::msi_unlock_descs(raw) };
        result?;
    }
    #[cfg(not(CONFIG_GENERIC_MSI_IRQ))]
    let _ = dev;
    Ok(vectors)
}
