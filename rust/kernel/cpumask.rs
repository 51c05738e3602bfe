// SPDX-License-Identifier: GPL-2.0

//! Sets of CPUs.
//!
//! C header: [`include/linux/cpumask.h`](srctree/include/linux/cpumask.h)

use crate::{alloc::flags::GFP_KERNEL, bindings, prelude::*};
use core::fmt;

/// Returns the number of possible CPU ids (`nr_cpu_ids`): every CPU is numbered below it.
pub fn nr_cpu_ids() -> u32 {
    // SAFETY: `nr_cpu_ids` is set once during boot, before any module runs.
    unsafe { bindings::nr_cpu_ids }
}

/// Returns whether `cpu` is online (`cpu_online`): interrupts and tasks can run on it now.
pub fn is_online(cpu: u32) -> bool {
    // SAFETY: `cpu_online` tests a bit of the online mask, and is only reached with a CPU id
    // below `nr_cpu_ids`, within the mask.
    cpu < nr_cpu_ids() && unsafe { bindings::cpu_online(cpu) }
}

/// Returns whether `cpu` is possible (`cpu_possible`): it has per-CPU data, and may come online.
pub fn is_possible(cpu: u32) -> bool {
    // SAFETY: `cpu_possible` tests a bit of the possible mask, and is only reached with a CPU
    // id below `nr_cpu_ids`, within the mask.
    cpu < nr_cpu_ids() && unsafe { bindings::cpu_possible(cpu) }
}

/// Returns whether `cpu` is isolated (`cpu_is_isolated`: `isolcpus=`, `nohz_full=`, an isolated
/// cpuset partition): the kernel keeps its own work off it, and an interrupt balancer should too.
pub fn is_isolated(cpu: u32) -> bool {
    // SAFETY: `cpu_is_isolated` only reads masks; any CPU id may be asked about.
    cpu < nr_cpu_ids() && unsafe { bindings::cpu_is_isolated(cpu as i32) }
}

/// An owned set of CPUs, such as an interrupt's affinity.
///
/// It holds a whole `struct cpumask` (`NR_CPUS` bits), so it can be handed to any function that
/// takes a `const struct cpumask *`. Only the bits below [`nr_cpu_ids`] are ever read.
///
/// # Examples
///
/// ```
/// # use kernel::prelude::*;
/// use kernel::{cpumask::{nr_cpu_ids, CpuSet}, fmt, str::CString};
///
/// let mut cpus = CpuSet::new()?;
/// assert!(cpus.is_empty());
/// cpus.insert(0)?;
/// assert!(cpus.contains(0) && cpus.len() == 1);
/// assert_eq!(cpus.insert(nr_cpu_ids()), Err(EINVAL));
/// assert_eq!(CString::try_from_fmt(fmt!("{cpus}"))?.as_bytes(), b"0");
/// # Ok::<(), Error>(())
/// ```
pub struct CpuSet(KBox<bindings::cpumask>);

impl CpuSet {
    /// Creates an empty set.
    pub fn new() -> Result<Self> {
        // SAFETY: a cpumask is an array of integers, for which all zeroes is valid.
        let empty: bindings::cpumask = unsafe { core::mem::zeroed() };
        Ok(Self(KBox::new(empty, GFP_KERNEL)?))
    }

    /// Makes the set hold what `mask` holds, and nothing else. It does not sleep, so it may be
    /// called where the mask is only valid for a moment (under a lock or RCU).
    ///
    /// # Safety
    ///
    /// `mask` must point to a valid cpumask (at least `nr_cpumask_bits` bits, as
    /// `alloc_cpumask_var` gives) for the duration of the call.
    pub(crate) unsafe fn assign(&mut self, mask: *const bindings::cpumask) {
        // SAFETY: `self.0` is a whole cpumask (`NR_CPUS` bits, at least `nr_cpumask_bits`) and
        // the caller guarantees `mask`.
        unsafe { bindings::cpumask_copy(&mut *self.0, mask) };
    }

    /// How many bytes a set takes, for accounting.
    pub const BYTES: usize = core::mem::size_of::<bindings::cpumask>();

    /// Empties the set, keeping its memory.
    pub fn clear(&mut self) {
        // SAFETY: `self.0` is a whole cpumask.
        unsafe { bindings::cpumask_clear(&mut *self.0) };
    }

    /// Makes the set hold `cpu` alone, without allocating; fails with `EINVAL`, leaving the
    /// set empty, if there is no such CPU id.
    pub fn set_only(&mut self, cpu: u32) -> Result {
        self.clear();
        self.insert(cpu)
    }

    /// Adds `cpu`; fails with `EINVAL` if there is no such CPU id.
    pub fn insert(&mut self, cpu: u32) -> Result {
        if cpu >= nr_cpu_ids() {
            return Err(EINVAL);
        }
        // SAFETY: `cpu` is below `nr_cpu_ids`, so within the mask's `NR_CPUS` bits.
        unsafe { bindings::cpumask_set_cpu(cpu, &mut *self.0) };
        Ok(())
    }

    /// Returns whether the set holds `cpu`.
    pub fn contains(&self, cpu: u32) -> bool {
        // SAFETY: `cpumask_test_cpu` is only reached with a CPU id below `nr_cpu_ids`, so within
        // the mask's `NR_CPUS` bits.
        cpu < nr_cpu_ids() && unsafe { bindings::cpumask_test_cpu(cpu as _, &*self.0) }
    }

    /// Returns the CPUs of the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..nr_cpu_ids()).filter(|&cpu| self.contains(cpu))
    }

    /// Returns how many CPUs the set holds.
    pub fn len(&self) -> u32 {
        self.iter().fold(0, |n, _| n + 1)
    }

    /// Returns whether the set holds no CPU.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Returns the set as a C cpumask, for the duration of the borrow.
    pub(crate) fn as_raw(&self) -> *const bindings::cpumask {
        &*self.0
    }

    /// Returns the set as a C cpumask to write to, for the duration of the borrow.
    pub(crate) fn as_raw_mut(&mut self) -> *mut bindings::cpumask {
        &mut *self.0
    }
}

impl PartialEq for CpuSet {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for CpuSet {}

/// Formats the set as a CPU list, as `/proc/irq/N/smp_affinity_list` does (`0-1,4`).
impl fmt::Display for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut cpus = self.iter().peekable();
        let mut first = true;
        while let Some(start) = cpus.next() {
            let mut end = start;
            while cpus.next_if_eq(&(end + 1)).is_some() {
                end += 1;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if end == start {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{end}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
