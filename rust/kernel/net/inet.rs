// SPDX-License-Identifier: GPL-2.0

//! IPv4 addresses of network devices.
//!
//! C header: [`include/linux/inetdevice.h`](srctree/include/linux/inetdevice.h)

use crate::{bindings, net::dev::Netdev, sync::rcu};

/// An IPv4 address, in network byte order (`__be32` as bytes).
pub type Ipv4Addr = [u8; 4];

/// Returns the address `dev` has in the subnet of `peer`, if any (`inet_confirm_addr` on the
/// device alone): the source a frame to `peer` sent out of `dev` should carry.
pub fn local_address(dev: &Netdev, peer: Ipv4Addr) -> Option<Ipv4Addr> {
    confirm(dev, peer, [0; 4])
}

/// Returns whether `addr` is one of the addresses of `dev`.
pub fn has_address(dev: &Netdev, addr: Ipv4Addr) -> bool {
    addr != [0; 4] && confirm(dev, [0; 4], addr) == Some(addr)
}

/// `inet_confirm_addr` on `dev` alone: an address of `dev` in the subnet of `dst` (any with
/// 0), equal to `local` (any with 0).
fn confirm(dev: &Netdev, dst: Ipv4Addr, local: Ipv4Addr) -> Option<Ipv4Addr> {
    let _guard = rcu::read_lock();
    // SAFETY: by the type invariant `dev` is valid; its `in_device` and address list are read
    // under RCU, held by `_guard`.
    let addr = unsafe {
        let in_dev = bindings::__in_dev_get_rcu(dev.as_raw());
        if in_dev.is_null() {
            return None;
        }
        bindings::inet_confirm_addr(
            bindings::dev_net(dev.as_raw()),
            in_dev,
            u32::from_ne_bytes(dst),
            u32::from_ne_bytes(local),
            bindings::rt_scope_t_RT_SCOPE_HOST as i32,
        )
    };
    (addr != 0).then(|| addr.to_ne_bytes())
}
