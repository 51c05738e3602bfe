// SPDX-License-Identifier: GPL-2.0

//! IPv6 addresses of network devices.
//!
//! C header: [`include/net/addrconf.h`](srctree/include/net/addrconf.h)

use crate::{bindings, net::dev::Netdev};

/// An IPv6 address, in network byte order (`struct in6_addr` as bytes).
pub type Ipv6Addr = [u8; 16];

/// Returns whether `addr` is one of the addresses of `dev` (`ipv6_chk_addr`, strictly on
/// `dev`), tentative ones excepted; always `false` without IPv6 in the kernel.
pub fn has_address(dev: &Netdev, addr: Ipv6Addr) -> bool {
    #[cfg(CONFIG_IPV6)]
    {
        // SAFETY: all-zero is a valid `in6_addr`, a union of byte and word arrays.
        let mut raw: bindings::in6_addr = unsafe { core::mem::zeroed() };
        raw.in6_u.u6_addr8 = addr;
        // SAFETY: by the type invariant `dev` is valid; `raw` outlives the call, which reads
        // the address lists under RCU itself.
        unsafe {
            bindings::ipv6_chk_addr(bindings::dev_net(dev.as_raw()), &raw, dev.as_raw(), 1) != 0
        }
    }
    #[cfg(not(CONFIG_IPV6))]
    {
        let _ = (dev, addr);
        false
    }
}
