// SPDX-License-Identifier: GPL-2.0

//! The `irq-balancer` generic netlink family: the logical interrupt table of a network device.
//!
//! Specification: Documentation/netlink/specs/irq_balancer.yaml, which numbers the commands
//! and attributes below.

use crate::table;
use kernel::{
    c_str,
    net::{
        extack::fail,
        genetlink::{Dump, Family, Operation, Policy, Request, Spec},
        rtnl,
    },
    prelude::*,
};

/// The family.
pub(crate) static FAMILY: Family<IrqBalancerFamily> = Family::new();

/// The description of the family.
pub(crate) struct IrqBalancerFamily;

/// Commands.
pub(crate) mod cmd {
    pub(crate) const VECTOR_GET: u8 = 1;
}

/// Attributes of the `vector` set.
pub(crate) mod vector_attr {
    pub(crate) const IFINDEX: u16 = 1;
    pub(crate) const INDEX: u16 = 2;
    pub(crate) const IRQ: u16 = 3;
    pub(crate) const HANDLER: u16 = 4;
    pub(crate) const MANAGED: u16 = 5;
    pub(crate) const CPU: u16 = 6;
    pub(crate) const INTERRUPTS: u16 = 7;
    pub(crate) const PER_CPU: u16 = 8;
}

/// Attributes of the `cpu-count` set.
pub(crate) mod cpu_count_attr {
    pub(crate) const CPU: u16 = 1;
    pub(crate) const INTERRUPTS: u16 = 2;
}

const NO_DEVICE: &CStr = c_str!("irq_balancer: no such device");

impl Spec for IrqBalancerFamily {
    const NAME: &'static CStr = c_str!("irq-balancer");
    const OPERATIONS: &'static [Operation] = &[Operation {
        cmd: cmd::VECTOR_GET,
        policy: &[Policy::U32],
        doit: None,
        dumpit: Some(vector_dump),
        admin: false,
    }];
    const GROUPS: &'static [&'static CStr] = &[];
}

/// `vector-get` (dump): the vectors of one device, a message each; the cursor is the position
/// of the next one.
fn vector_dump(req: &Request<'_>, dump: &mut Dump<'_>) -> Result {
    let ifindex = req.required_u32(vector_attr::IFINDEX)?;
    let ifindex = i32::try_from(ifindex).map_err(|_| fail(req.extack(), NO_DEVICE, ENODEV))?;
    let rtnl = rtnl::Guard::lock();
    let dev = rtnl
        .device(req.net(), ifindex)
        .ok_or_else(|| fail(req.extack(), NO_DEVICE, ENODEV))?;
    let vectors = dev.msi_vectors()?;
    let mut next = usize::try_from(dump.cursor()).unwrap_or(usize::MAX);
    while let Some(vector) = vectors.get(next) {
        if !dump.add(cmd::VECTOR_GET, |msg| table::put_vector(msg, dev, vector))? {
            break;
        }
        next += 1;
    }
    dump.set_cursor(next as u64);
    Ok(())
}
