// SPDX-License-Identifier: GPL-2.0

//! Interrupt lines: their CPU affinity, and the MSI vectors of a device.
//!
//! C headers: [`include/linux/interrupt.h`](srctree/include/linux/interrupt.h),
//! [`include/linux/irq.h`](srctree/include/linux/irq.h)

use crate::{
    bindings,
    cpumask::{self, CpuSet},
    error::to_result,
    prelude::*,
    sync::rcu,
};

pub mod msi;

/// An interrupt line, by the number `/proc/irq/N` and `/proc/interrupts` give it.
///
/// A number does not keep its line alive: the line may be freed, and the number given to
/// another device's interrupt. Every method looks the line up when called, and fails with
/// `ENOENT` when there is none.
///
/// # Examples
///
/// ```
/// # use kernel::prelude::*;
/// use kernel::{cpumask::CpuSet, irq::Irq};
///
/// // No line has the largest number.
/// let none = Irq::from_number(u32::MAX);
/// assert_eq!(none.affinity().err(), Some(ENOENT));
/// let mut cpus = CpuSet::new()?;
/// cpus.insert(0)?;
/// assert_eq!(none.set_affinity(&cpus), Err(ENOENT));
/// // A set without an online CPU is refused before any line is looked up.
/// assert_eq!(none.set_affinity(&CpuSet::new()?), Err(EINVAL));
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Irq(u32);

impl Irq {
    /// Names interrupt line `number`.
    pub fn from_number(number: u32) -> Self {
        Self(number)
    }

    /// Returns the line's number.
    pub fn number(self) -> u32 {
        self.0
    }

    /// Returns the CPUs the line is set to, as `/proc/irq/N/smp_affinity_list` shows them: the
    /// target of a move still pending (x86 moves a vector when it next fires), or else its
    /// affinity.
    pub fn affinity(self) -> Result<CpuSet> {
        let mut cpus = CpuSet::new()?;
        let _guard = rcu::read_lock();
        // SAFETY: any number may be looked up. Descriptors, and the masks they own, are freed
        // after an RCU grace period (`free_desc`), and the guard holds one off.
        let mask = unsafe { bindings::irq_target_affinity(self.0) };
        if mask.is_null() {
            return Err(ENOENT);
        }
        // SAFETY: the mask belongs to a descriptor that is valid under the guard, and is
        // allocated with it (`alloc_masks`); `assign` does not sleep.
        unsafe { cpus.assign(mask) };
        Ok(cpus)
    }

    /// Returns whether the kernel manages the line's affinity (`IRQD_AFFINITY_MANAGED`): the
    /// core spreads such lines over the CPUs and moves them itself on CPU hotplug, so nobody
    /// else may.
    pub fn is_managed(self) -> Result<bool> {
        let _guard = rcu::read_lock();
        // SAFETY: as in `affinity`.
        let data = unsafe { bindings::irq_get_irq_data(self.0) };
        if data.is_null() {
            return Err(ENOENT);
        }
        // SAFETY: `data` is valid under the guard.
        Ok(unsafe { bindings::irqd_affinity_is_managed(data) })
    }

    /// Moves the line to `cpus` (`irq_set_affinity`).
    ///
    /// Refuses, with `EIO` as a write to `/proc/irq/N/smp_affinity` does, a line whose
    /// affinity is managed by the kernel, per-CPU, not to be balanced, or whose chip cannot
    /// move it; with `EINVAL` a set without an online CPU.
    pub fn set_affinity(self, cpus: &CpuSet) -> Result {
        if !cpus.iter().any(cpumask::is_online) {
            return Err(EINVAL);
        }
        if self.is_managed()? {
            return Err(EIO);
        }
        let movable = {
            let _guard = rcu::read_lock();
            // SAFETY: `irq_can_set_affinity` looks the descriptor up without a lock; the guard
            // keeps a descriptor it finds valid while it reads it.
            unsafe { bindings::irq_can_set_affinity(self.0) != 0 }
        };
        if !movable {
            return Err(EIO);
        }
        // SAFETY: `irq_set_affinity` looks the line up under its descriptor lock, and the mask
        // is valid for the call.
        to_result(unsafe { bindings::irq_set_affinity(self.0, cpus.as_raw()) })
    }
}
