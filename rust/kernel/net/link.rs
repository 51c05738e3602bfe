// SPDX-License-Identifier: GPL-2.0

//! Network device types that user space creates (`ip link add NAME type KIND`).
//!
//! A [`LinkType`] says how a new device is set up and how it transmits; a [`Registration`] adds
//! the type to rtnetlink (`rtnl_link_register`) and, when dropped, removes it together with every
//! device of the type, in every namespace.
//!
//! Devices are Ethernet devices for software: lockless transmit (`lltx`), no qdisc
//! (`IFF_NO_QUEUE`), core-managed per-CPU statistics (`NETDEV_PCPU_STAT_LSTATS`), and an
//! `IFLA_ADDRESS` given at creation must be a valid unicast Ethernet address.
//!
//! C header: [`include/net/rtnetlink.h`](srctree/include/net/rtnetlink.h)

use crate::{
    bindings, error::to_result, init::PinInit, net::skbuff::SkBuff, prelude::*, str::CStr,
    types::Opaque,
};
use core::{marker::PhantomData, ptr::NonNull};

/// A type of network device that user space can create.
pub trait LinkType: 'static {
    /// The name given to `ip link add ... type KIND`.
    const KIND: &'static CStr;

    /// Configures a new device before it is registered. It is already set up as Ethernet.
    fn setup(_dev: &mut Setup<'_>) {}

    /// Transmits `skb` or frees it.
    ///
    /// Runs without RTNL and with bottom halves disabled (interrupts too, under netpoll): it
    /// must not sleep. Transmit is lockless, so it runs on several CPUs at once.
    fn start_xmit(dev: &TxDevice, skb: SkBuff);
}

/// A new device of a [`LinkType`], before registration.
///
/// # Invariants
///
/// `dev` is a valid `struct net_device` being set up by `alloc_netdev`, not yet visible to
/// anyone else.
pub struct Setup<'a> {
    dev: *mut bindings::net_device,
    _p: PhantomData<&'a mut bindings::net_device>,
}

impl Setup<'_> {
    /// Sets `IFF_NOARP`: the device resolves no neighbours.
    pub fn set_noarp(&mut self) {
        // SAFETY: by the type invariant the device is valid and ours alone.
        unsafe { (*self.dev).flags |= bindings::net_device_flags_IFF_NOARP };
    }

    /// Gives the device a random, locally administered MAC address.
    pub fn random_mac(&mut self) {
        // SAFETY: by the type invariant the device is valid and ours alone.
        unsafe { bindings::eth_hw_addr_random(self.dev) };
    }
}

/// A device of a [`LinkType`] as its transmit path sees it.
///
/// # Invariants
///
/// A `&TxDevice` points to a valid `struct net_device` of a [`LinkType`] whose per-CPU `lstats`
/// are allocated: from `register_netdevice` until `netdev_run_todo` frees the device after its
/// last reference, which covers every transmit and statistics call.
#[repr(transparent)]
pub struct TxDevice(Opaque<bindings::net_device>);

impl TxDevice {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariant for the lifetime `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // SAFETY: `TxDevice` is `repr(transparent)` over `Opaque<net_device>`; validity is the
        // caller's guarantee.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// Counts one transmitted packet of `len` bytes in the device's statistics.
    pub fn count_tx(&self, len: u32) {
        // SAFETY: by the type invariant the device is valid and its `lstats` allocated.
        unsafe { bindings::dev_lstats_add(self.0.get(), len) };
    }
}

/// The C callbacks of a [`LinkType`].
struct Adapter<T: LinkType>(PhantomData<T>);

impl<T: LinkType> Adapter<T> {
    const NETDEV_OPS: bindings::net_device_ops = {
        // SAFETY: all-zero is a valid `net_device_ops` (no callbacks).
        let mut ops: bindings::net_device_ops = unsafe { core::mem::zeroed() };
        ops.ndo_start_xmit = Some(Self::start_xmit);
        ops.ndo_get_stats64 = Some(Self::get_stats64);
        ops.ndo_validate_addr = Some(bindings::eth_validate_addr);
        ops.ndo_set_mac_address = Some(bindings::eth_mac_addr);
        ops
    };

    /// Refuses an address given at creation that is not a valid unicast Ethernet address.
    const BAD_ADDRESS: &'static CStr = crate::c_str!("address must be a unicast Ethernet address");

    const fn netdev_ops() -> &'static bindings::net_device_ops {
        &Self::NETDEV_OPS
    }

    /// `rtnl_link_ops.setup`.
    ///
    /// # Safety
    ///
    /// Called by `alloc_netdev` with a new device.
    unsafe extern "C" fn setup(dev: *mut bindings::net_device) {
        // SAFETY: `dev` is a new, valid device that only this call touches.
        unsafe {
            bindings::ether_setup(dev);
            (*dev).netdev_ops = Self::netdev_ops();
            (*dev).needs_free_netdev = true;
            (*dev).set_pcpu_stat_type(bindings::netdev_stat_type_NETDEV_PCPU_STAT_LSTATS);
            // Lockless transmit and no qdisc, as for other software devices: with a tx lock,
            // every device of the type would share its lockdep class.
            let fast = &mut (*dev).__bindgen_anon_1.priv_flags_fast;
            fast.set_lltx(1);
            let no_queue = bindings::netdev_priv_flags_IFF_NO_QUEUE as crate::ffi::c_ulong;
            fast.set_priv_flags(fast.priv_flags() | no_queue);
        }
        // INVARIANT: `dev` is being set up by `alloc_netdev` and not visible to anyone else.
        let mut setup = Setup {
            dev,
            _p: PhantomData,
        };
        T::setup(&mut setup);
    }

    /// `ndo_start_xmit`.
    ///
    /// # Safety
    ///
    /// Called by the stack with a buffer it hands over and a registered device of this type.
    unsafe extern "C" fn start_xmit(
        skb: *mut bindings::sk_buff,
        dev: *mut bindings::net_device,
    ) -> bindings::netdev_tx_t {
        // The stack never passes NULL; checking costs nothing and keeps `SkBuff` non-null.
        if let Some(skb) = NonNull::new(skb) {
            // SAFETY: the stack hands the buffer over.
            let skb = unsafe { SkBuff::from_raw(skb) };
            // SAFETY: `dev` was set up by `setup` for `NETDEV_PCPU_STAT_LSTATS`, and transmit only
            // runs while `lstats` is allocated (see `TxDevice`).
            T::start_xmit(unsafe { TxDevice::from_raw(dev) }, skb);
        }
        bindings::netdev_tx_NETDEV_TX_OK
    }

    /// `rtnl_link_ops.validate`: checks an `IFLA_ADDRESS` given at creation, as `dummy` does.
    ///
    /// # Safety
    ///
    /// Called by rtnetlink with `tb` holding `IFLA_MAX + 1` parsed attributes and a valid or null
    /// `extack`.
    unsafe extern "C" fn validate(
        tb: *mut *mut bindings::nlattr,
        _data: *mut *mut bindings::nlattr,
        extack: *mut bindings::netlink_ext_ack,
    ) -> crate::ffi::c_int {
        // SAFETY: `tb` has `IFLA_MAX + 1` entries.
        let addr = unsafe { *tb.add(bindings::IFLA_ADDRESS as usize) };
        if addr.is_null() {
            return 0;
        }
        // SAFETY: a non-null entry is an attribute rtnetlink parsed; its payload has `nla_len`
        // bytes, and the address is read only when that is `ETH_ALEN`.
        let valid = unsafe {
            bindings::nla_len(addr) == bindings::ETH_ALEN as crate::ffi::c_int
                && bindings::is_valid_ether_addr(bindings::nla_data(addr).cast())
        };
        if valid {
            return 0;
        }
        if !extack.is_null() {
            // SAFETY: `extack` is valid; the message is static while the module is loaded,
            // which outlasts the request (`NL_SET_ERR_MSG`).
            unsafe { (*extack)._msg = Self::BAD_ADDRESS.as_char_ptr() };
        }
        -(bindings::EADDRNOTAVAIL as crate::ffi::c_int)
    }

    /// `ndo_get_stats64`.
    ///
    /// # Safety
    ///
    /// Called by the stack with a device of this type whose `lstats` are allocated (see
    /// `TxDevice`) and a valid output.
    unsafe extern "C" fn get_stats64(
        dev: *mut bindings::net_device,
        stats: *mut bindings::rtnl_link_stats64,
    ) {
        let (mut packets, mut bytes) = (0u64, 0u64);
        // SAFETY: `dev` has `lstats` allocated; `stats` is valid for writes.
        unsafe {
            bindings::dev_lstats_read(dev, &mut packets, &mut bytes);
            (*stats).tx_packets = packets;
            (*stats).tx_bytes = bytes;
        }
    }
}

/// A [`LinkType`] registered with rtnetlink.
///
/// # Invariants
///
/// `ops` is registered with `rtnl_link_register`, with the callbacks of `Adapter<T>`.
///
/// # Examples
///
/// ```
/// use kernel::net::link::{LinkType, Registration, TxDevice};
/// use kernel::net::skbuff::SkBuff;
///
/// struct Sink;
///
/// impl LinkType for Sink {
///     const KIND: &'static CStr = kernel::c_str!("rust_doctest_sink");
///     fn start_xmit(dev: &TxDevice, skb: SkBuff) {
///         dev.count_tx(skb.len());
///         skb.consume();
///     }
/// }
///
/// let reg = KBox::pin_init(Registration::<Sink>::new(), GFP_KERNEL)?;
/// // A second registration of the same kind is refused.
/// assert!(KBox::pin_init(Registration::<Sink>::new(), GFP_KERNEL).is_err());
/// drop(reg);
/// # Ok::<(), Error>(())
/// ```
#[pin_data(PinnedDrop)]
pub struct Registration<T: LinkType> {
    #[pin]
    ops: Opaque<bindings::rtnl_link_ops>,
    _t: PhantomData<T>,
}

// SAFETY: the ops are only touched by rtnetlink, under its locks; `Registration` exposes nothing.
unsafe impl<T: LinkType> Send for Registration<T> {}

// SAFETY: `&Registration` gives access to nothing.
unsafe impl<T: LinkType> Sync for Registration<T> {}

impl<T: LinkType> Registration<T> {
    /// Registers the link type. Fails with `EEXIST` if the kind is taken.
    pub fn new() -> impl PinInit<Self, Error> {
        let register = move |slot: *mut Opaque<bindings::rtnl_link_ops>| {
            let ops = Opaque::raw_get(slot);
            // SAFETY: `slot` is valid for writes; zeroed ops with a kind and a setup callback are
            // valid, and `T::KIND` is `'static`.
            unsafe {
                ops.write(core::mem::zeroed());
                (*ops).kind = T::KIND.as_char_ptr();
                (*ops).setup = Some(Adapter::<T>::setup);
                (*ops).validate = Some(Adapter::<T>::validate);
            }
            // INVARIANT: on success the ops are registered with `Adapter<T>`'s callbacks.
            // SAFETY: `ops` is initialised and pinned; it stays registered until `drop`.
            to_result(unsafe { bindings::rtnl_link_register(ops) })
        };
        try_pin_init!(Self {
            // SAFETY: on success the ops are initialised and registered; on failure they are
            // not registered, so the slot may be freed.
            ops <- unsafe { init::pin_init_from_closure(register) },
            _t: PhantomData,
        }? Error)
    }
}

#[pinned_drop]
impl<T: LinkType> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: by the type invariant the ops are registered. Unregistering deletes every
        // device of the type and waits until they are freed, so no callback runs afterwards.
        unsafe { bindings::rtnl_link_unregister(self.ops.get()) };
    }
}
