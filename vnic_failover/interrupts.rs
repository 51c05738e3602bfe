// SPDX-License-Identifier: GPL-2.0

//! Interrupt migration: on a switch, the new member's interrupts take the CPUs of the old
//! member's, so the CPUs that served the vNIC's traffic go on serving it, with their caches
//! and the application threads an administrator (or irq_balancer) placed next to them.
//!
//! Vectors are paired by index (see [`Vector`](kernel::irq::msi::Vector)): two VFs of one adapter lay their vectors out
//! alike. A software member (veth) has none, and a switch from or to it moves nothing.

use kernel::net::dev::Device;

/// What a migration did.
#[derive(Clone, Copy, Default)]
pub(crate) struct Migration {
    /// Lines of the new member that were not where the old member's were.
    pub(crate) differed: u32,
    /// Those of them moved.
    pub(crate) moved: u32,
}

/// Gives each vector of `to` the CPUs of the vector of `from` with the same index.
///
/// The switch has happened by then, so nothing here can fail it: a line the kernel manages
/// (`set_affinity` refuses it), one that went away, or a failed allocation leaves the line where
/// it was.
pub(crate) fn migrate(from: &Device, to: &Device) -> Migration {
    let mut done = Migration::default();
    let (Ok(old), Ok(new)) = (from.msi_vectors(), to.msi_vectors()) else {
        return done;
    };
    for vector in new.iter() {
        let Some(cpus) = old
            .iter()
            .find(|o| o.index == vector.index)
            .and_then(|o| o.irq.affinity().ok())
        else {
            continue;
        };
        if vector.irq.affinity().is_ok_and(|now| now == cpus) {
            continue;
        }
        done.differed += 1;
        if vector.irq.set_affinity(&cpus).is_ok() {
            done.moved += 1;
        }
    }
    done
}
