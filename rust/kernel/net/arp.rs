// SPDX-License-Identifier: GPL-2.0

//! The Address Resolution Protocol (ARP) for IPv4 over Ethernet.
//!
//! C header: [`include/net/arp.h`](srctree/include/net/arp.h)

use crate::{
    bindings,
    error::{
        code::{EINVAL, ENOMEM},
        Result,
    },
    net::{
        dev::{Device, ETH_ALEN},
        inet::Ipv4Addr,
    },
};

/// The Ethernet protocol number of ARP (`ETH_P_ARP`), as [`Frame::protocol`] returns it.
///
/// [`Frame::protocol`]: crate::net::skbuff::Frame::protocol
pub const PROTOCOL: u16 = bindings::ETH_P_ARP as u16;

/// Broadcasts an ARP request for `target` out of `dev`, with `sender` as the sender's address
/// (0.0.0.0 for a probe that claims no address, as RFC 5227 has it), from `sender_mac` or, with
/// `None`, from the device's own hardware address (`arp_create`, `arp_xmit`).
///
/// The frame leaves through `dev` itself, past its master if it has one: a master device
/// probes the path behind one of its ports this way, as bonding's ARP monitor does. RTNL is
/// held (a [`Device`]), which keeps the device's address length stable.
pub fn send_request(
    dev: &Device,
    sender: Ipv4Addr,
    sender_mac: Option<&[u8; ETH_ALEN]>,
    target: Ipv4Addr,
) -> Result {
    if !dev.is_ethernet() {
        return Err(EINVAL);
    }
    let src_hw = sender_mac.map_or(core::ptr::null(), |mac| mac.as_ptr());
    // SAFETY: by the type invariant `dev` is valid, and an Ethernet device (checked above), so `src_hw` (null or
    // `ETH_ALEN` bytes that outlive the call) matches its address length; a null destination
    // asks for the broadcast address, a null source for the device's own address.
    let skb = unsafe {
        bindings::arp_create(
            bindings::ARPOP_REQUEST as i32,
            bindings::ETH_P_ARP as i32,
            u32::from_ne_bytes(target),
            dev.as_raw(),
            u32::from_ne_bytes(sender),
            core::ptr::null(),
            src_hw,
            core::ptr::null(),
        )
    };
    if skb.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `skb` is a valid buffer that we own; `arp_xmit` consumes it whatever happens.
    unsafe { bindings::arp_xmit(skb) };
    Ok(())
}
