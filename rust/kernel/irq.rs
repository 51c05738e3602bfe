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
    str::{CStr, CString},
    sync::rcu,
};

/// Returns how many interrupts `cpu` took since boot, from every line (`kstat_cpu_irqs_sum`,
/// the per-CPU sum of `/proc/interrupts` without the architecture's own); 0 for an impossible
/// CPU.
pub fn count_all_on(cpu: u32) -> u64 {
    if !cpumask::is_possible(cpu) {
        return 0;
    }
    // SAFETY: `cpu` is possible, so it has per-CPU statistics.
    (unsafe { bindings::kstat_cpu_irqs_sum(cpu) }) as u64
}

/// Returns how many nanoseconds `cpu` spent handling interrupts since boot, hard and soft
/// (`CPUTIME_IRQ` and `CPUTIME_SOFTIRQ`, the `irq` and `softirq` columns of `/proc/stat`):
/// interrupt context timed exactly with `CONFIG_IRQ_TIME_ACCOUNTING` and a stable clock, and
/// the ticks its `ksoftirqd` runs on, where softirq work goes under load; all sampled at ticks
/// otherwise. 0 for an impossible CPU.
pub fn time_on(cpu: u32) -> u64 {
    if !cpumask::is_possible(cpu) {
        return 0;
    }
    // SAFETY: `cpu` is possible, so it has per-CPU statistics.
    unsafe { bindings::cpu_irq_time_ns(cpu) }
}

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
/// assert_eq!(none.count_on(0), 0);
/// assert_eq!(none.handler_name().err(), Some(ENOENT));
/// // Interrupt time only grows, and an impossible CPU has none.
/// let spent = kernel::irq::time_on(0);
/// assert!(kernel::irq::time_on(0) >= spent);
/// assert_eq!(kernel::irq::time_on(u32::MAX), 0);
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

    /// Returns whether the line is set to exactly `cpus` (as [`Irq::affinity`] reads it),
    /// comparing in place: the sampler asks this of every line at every interval, so it must
    /// not allocate.
    pub fn affinity_is(self, cpus: &CpuSet) -> Result<bool> {
        // SAFETY: the helper looks the line up and reads its mask under RCU; `cpus` is valid
        // for the call.
        let ret = unsafe { bindings::irq_affinity_equal(self.0, cpus.as_raw()) };
        to_result(ret)?;
        Ok(ret == 1)
    }

    /// Returns the CPUs the line's driver hinted it should be on (`irq_update_affinity_hint`,
    /// `/proc/irq/N/affinity_hint`), or `None` if it gave no hint.
    pub fn affinity_hint(self) -> Result<Option<CpuSet>> {
        let mut cpus = CpuSet::new()?;
        // SAFETY: the helper looks the line up under RCU and copies its hint under the
        // descriptor's lock into the whole cpumask `cpus` owns.
        let ret = unsafe { bindings::irq_affinity_hint(self.0, cpus.as_raw_mut()) };
        to_result(ret)?;
        Ok((ret == 1).then_some(cpus))
    }

    /// Returns how many times the line fired on `cpu` since it was set up (`kstat_irqs_cpu`),
    /// as its column of `/proc/interrupts` shows; 0 for an impossible CPU or no such line. The
    /// count wraps at 2^32.
    pub fn count_on(self, cpu: u32) -> u32 {
        if !cpumask::is_possible(cpu) {
            return 0;
        }
        let _guard = rcu::read_lock();
        // SAFETY: `kstat_irqs_cpu` looks the descriptor up without a lock, and the guard keeps
        // a descriptor it finds valid, with its per-CPU counters; `cpu` is possible, so it has
        // a counter.
        unsafe { bindings::kstat_irqs_cpu(self.0, cpu as i32) }
    }

    /// Returns the name of the line's first handler, the last column of `/proc/interrupts`
    /// (`virtio0-input.0`, `eth0-TxRx-3`), cut to 63 bytes; `ENOENT` for a line without a
    /// handler.
    pub fn handler_name(self) -> Result<CString> {
        let mut buf = [0u8; 64];
        // SAFETY: the helper looks the line up under RCU and copies the name under the
        // descriptor's lock into `buf`, whose length it is given, NUL-terminated.
        let len = unsafe { bindings::irq_handler_name(self.0, buf.as_mut_ptr().cast(), buf.len()) };
        let len = usize::try_from(len).map_err(|_| ENOENT)?;
        let name = CStr::from_bytes_with_nul(buf.get(..=len).ok_or(EINVAL)?)?;
        Ok(CString::try_from(name)?)
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

    /// Moves the line to `cpus` (`irq_set_affinity_locked`).
    ///
    /// Refuses, with `EPERM` as a write to `/proc/irq/N/smp_affinity` does, a line whose
    /// affinity the kernel manages, a per-CPU line, one not to be balanced, one whose chip
    /// cannot move it, or any when `noirqaffinity` is set; with `EINVAL` a set without an online
    /// CPU. The checks and the move are one step under the line's lock.
    pub fn set_affinity(self, cpus: &CpuSet) -> Result {
        if !cpus.iter().any(cpumask::is_online) {
            return Err(EINVAL);
        }
        // SAFETY: the helper looks the line up under RCU and checks and moves it under its
        // descriptor's lock; the mask is valid for the call.
        to_result(unsafe { bindings::irq_set_affinity_usr(self.0, cpus.as_raw()) })
    }
}
