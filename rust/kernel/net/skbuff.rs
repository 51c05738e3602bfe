// SPDX-License-Identifier: GPL-2.0

//! Socket buffers.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use crate::{
    bindings,
    error::{
        code::{EINVAL, EMSGSIZE, ENOMEM},
        to_result, Result,
    },
    net::dev::Netdev,
};
use core::{marker::PhantomData, mem::ManuallyDrop, ptr::NonNull};

/// An owned socket buffer (`struct sk_buff`).
///
/// A driver must pass it on or free it; [`SkBuff::consume`] frees it as delivered, and dropping
/// it frees it as a dropped packet, so a forgotten buffer shows up in drop monitoring instead of
/// leaking. Dropping or consuming must happen in process or softirq context, not in a hard
/// interrupt.
///
/// # Invariants
///
/// The pointer is a valid `struct sk_buff` that this value owns.
#[must_use = "a socket buffer must be passed on or freed"]
pub struct SkBuff(NonNull<bindings::sk_buff>);

// SAFETY: an owned socket buffer may be handed to and freed by any thread.
unsafe impl Send for SkBuff {}

impl SkBuff {
    /// Takes ownership of a socket buffer.
    ///
    /// # Safety
    ///
    /// `ptr` must be a valid `struct sk_buff` whose ownership the caller gives up.
    pub unsafe fn from_raw(ptr: NonNull<bindings::sk_buff>) -> Self {
        // INVARIANT: the caller hands over a valid buffer it owned.
        Self(ptr)
    }

    /// Allocates a buffer holding `frame`, a complete Ethernet frame built by the caller, to
    /// be sent on `dev` with [`Netdev::queue_xmit`] as a packet socket sends one: its
    /// protocol is the frame's EtherType and its network header follows the Ethernet header.
    ///
    /// Fails with `EINVAL` for a frame shorter than an Ethernet header, with `EMSGSIZE` for
    /// one longer than the device's MTU allows, and with `ENOMEM`. May be called in atomic
    /// context.
    ///
    /// [`Netdev::queue_xmit`]: crate::net::dev::Netdev::queue_xmit
    pub fn ethernet_frame(dev: &Netdev, frame: &[u8]) -> Result<Self> {
        let header = bindings::ETH_HLEN as usize;
        let ethertype = match frame.get(12..header) {
            Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
            _ => return Err(EINVAL),
        };
        // SAFETY: by the type invariant `dev` is valid; the MTU is read once.
        let mtu = unsafe { core::ptr::read_volatile(&(*dev.as_raw()).mtu) };
        if frame.len() > header + mtu as usize {
            return Err(EMSGSIZE);
        }
        let len = u32::try_from(frame.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: `dev` is valid; `__netdev_alloc_skb` reserves the device's headroom and may
        // be called in any context with `GFP_ATOMIC`.
        let skb = unsafe { bindings::__netdev_alloc_skb(dev.as_raw(), len, bindings::GFP_ATOMIC) };
        let skb = NonNull::new(skb).ok_or(ENOMEM)?;
        // SAFETY: `skb` is a new buffer we own with room for `len` bytes of data, which
        // `skb_put` appends and returns; `frame` has `len` bytes and does not overlap it.
        unsafe {
            let data = bindings::skb_put(skb.as_ptr(), len).cast::<u8>();
            core::ptr::copy_nonoverlapping(frame.as_ptr(), data, frame.len());
            (*skb.as_ptr())
                .__bindgen_anon_4
                .__bindgen_anon_1
                .as_mut()
                .protocol = ethertype.to_be();
            bindings::skb_set_network_header(skb.as_ptr(), header as i32);
        }
        // INVARIANT: a valid buffer, owned.
        Ok(Self(skb))
    }

    /// Gives up ownership of the buffer.
    pub fn into_raw(self) -> NonNull<bindings::sk_buff> {
        ManuallyDrop::new(self).0
    }

    /// Returns the length of the packet data in bytes.
    pub fn len(&self) -> u32 {
        // SAFETY: by the type invariant the buffer is valid, and owned so not changed meanwhile.
        unsafe { (*self.0.as_ptr()).len }
    }

    /// Returns whether the packet holds no data.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frees the buffer as delivered (`consume_skb`): not counted as a drop.
    pub fn consume(self) {
        let skb = self.into_raw();
        // SAFETY: by the type invariant we own a valid buffer, given up by `into_raw`.
        unsafe { bindings::consume_skb(skb.as_ptr()) };
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: by the type invariant we own a valid buffer.
        unsafe { bindings::kfree_skb(self.0.as_ptr()) };
    }
}

/// A received frame, lent to a receive handler for the length of one call.
///
/// Its data starts at the network header: the link-layer header has been pulled (a port's
/// receive handler runs after `eth_type_trans`). Read-only; whatever becomes of the frame is
/// the handler's verdict, not this type's.
///
/// # Invariants
///
/// For `'a`, `skb` is a valid `struct sk_buff` that nobody changes.
pub struct Frame<'a> {
    skb: NonNull<bindings::sk_buff>,
    _p: PhantomData<&'a bindings::sk_buff>,
}

impl Frame<'_> {
    /// Lends a received buffer.
    ///
    /// # Safety
    ///
    /// For the returned value's lifetime, `skb` must be a valid buffer that nobody changes.
    pub unsafe fn from_raw(skb: NonNull<bindings::sk_buff>) -> Self {
        // INVARIANT: the caller guarantees validity and stability for the lifetime.
        Self {
            skb,
            _p: PhantomData,
        }
    }

    /// Returns the frame's protocol (`skb->protocol`, an `ETH_P_*` value) in host order.
    pub fn protocol(&self) -> u16 {
        // SAFETY: by the type invariant the buffer is valid and unchanged; `protocol` is a
        // plain field of the `headers` group, which is valid through either union member.
        let protocol = unsafe {
            (*self.skb.as_ptr())
                .__bindgen_anon_4
                .__bindgen_anon_1
                .as_ref()
                .protocol
        };
        u16::from_be(protocol)
    }

    /// Returns the length of the data from the network header on, in bytes.
    pub fn len(&self) -> u32 {
        // SAFETY: by the type invariant the buffer is valid and unchanged.
        unsafe { (*self.skb.as_ptr()).len }
    }

    /// Returns whether the frame holds no data past its link-layer header.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns whether the frame came with a VLAN tag, taken out of its data by the NIC or the
    /// core (`skb_vlan_tag_present`): such a frame belongs to a VLAN, not to the untagged
    /// network.
    pub fn vlan_tagged(&self) -> bool {
        // SAFETY: by the type invariant the buffer is valid and unchanged.
        unsafe { bindings::skb_vlan_tag_present(self.skb.as_ptr()) }
    }

    /// Copies `buf.len()` bytes of the data from `offset` on into `buf`, wherever they lie in
    /// the buffer (`skb_copy_bits`); an error (`EFAULT`, or `EINVAL` for sizes beyond `i32`)
    /// if the frame is shorter.
    pub fn read(&self, offset: u32, buf: &mut [u8]) -> Result {
        let offset = i32::try_from(offset).map_err(|_| EINVAL)?;
        let len = i32::try_from(buf.len()).map_err(|_| EINVAL)?;
        // SAFETY: by the type invariant the buffer is valid and unchanged; `buf` has room for
        // `len` bytes; `skb_copy_bits` checks the range against the buffer's length.
        to_result(unsafe {
            bindings::skb_copy_bits(self.skb.as_ptr(), offset, buf.as_mut_ptr().cast(), len)
        })
    }
}
