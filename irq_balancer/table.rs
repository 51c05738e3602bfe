// SPDX-License-Identifier: GPL-2.0

//! The logical interrupt table: for a network device, each vector of its PCI function with the
//! line it raises, that line's handler, CPUs and interrupt counts.

use crate::netlink::{cpu_count_attr, vector_attr};
use kernel::{
    cpumask::{is_possible, nr_cpu_ids},
    irq::msi::Vector,
    net::{dev::Device, genetlink::Message},
    prelude::*,
};

/// Adds one row of the table: vector `vector` of `dev`. A line that goes away meanwhile gets
/// only the attributes read before.
pub(crate) fn put_vector(msg: &mut Message<'_>, dev: &Device, vector: &Vector) -> Result {
    let irq = vector.irq;
    msg.put_u32(vector_attr::IFINDEX, dev.ifindex() as u32)?;
    msg.put_u32(vector_attr::INDEX, vector.index)?;
    msg.put_u32(vector_attr::IRQ, irq.number())?;
    if let Ok(name) = irq.handler_name() {
        msg.put_string(vector_attr::HANDLER, &name)?;
    }
    if let Ok(managed) = irq.is_managed() {
        msg.put_u8(vector_attr::MANAGED, managed.into())?;
    }
    if let Ok(cpus) = irq.affinity() {
        for cpu in cpus.iter() {
            msg.put_u32(vector_attr::CPU, cpu)?;
        }
    }
    let mut total = 0u64;
    for cpu in (0..nr_cpu_ids()).filter(|&cpu| is_possible(cpu)) {
        let count = irq.count_on(cpu);
        if count == 0 {
            continue;
        }
        total += u64::from(count);
        msg.nest(vector_attr::PER_CPU, |m| {
            m.put_u32(cpu_count_attr::CPU, cpu)?;
            m.put_uint(cpu_count_attr::INTERRUPTS, count.into())
        })?;
    }
    msg.put_uint(vector_attr::INTERRUPTS, total)
}
