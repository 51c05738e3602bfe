// SPDX-License-Identifier: GPL-2.0

//! Network devices.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use crate::{
    bindings,
    error::{code::*, to_result, Result},
    net::{extack::ExtAck, namespace::Net, skbuff::SkBuff},
    str::CStr,
    types::{ARef, AlwaysRefCounted, Opaque},
};
use core::{fmt, ptr::NonNull};

/// Length of an Ethernet address (`ETH_ALEN`).
pub const ETH_ALEN: usize = bindings::ETH_ALEN as usize;

/// Size of an interface name buffer, trailing NUL included (`IFNAMSIZ`).
pub const IFNAMSIZ: usize = bindings::IFNAMSIZ as usize;

/// Returns a random, locally administered unicast Ethernet address (`eth_random_addr`).
pub fn random_mac() -> [u8; ETH_ALEN] {
    let mut mac = [0; ETH_ALEN];
    // SAFETY: `mac` has room for the `ETH_ALEN` bytes written.
    unsafe { bindings::eth_random_addr(mac.as_mut_ptr()) };
    mac
}

/// Waits until every receive and transmit path that began before the call has finished
/// (`synchronize_net`, an RCU grace period, expedited under RTNL). May sleep.
pub fn synchronize_net() {
    // SAFETY: `synchronize_net` only waits; it may be called from any context that can sleep.
    unsafe { bindings::synchronize_net() };
}

/// A network device (`struct net_device`) whose memory is valid, with no lock held.
///
/// What it offers is safe whatever the device's registration state: an unregistered device
/// drops what it is asked to transmit. `ARef<Netdev>` is a counted reference (`dev_hold`), which
/// keeps the memory, not the registration, alive.
///
/// # Invariants
///
/// For the lifetime of a `&Netdev`, the `struct net_device` it points to is valid.
#[repr(transparent)]
pub struct Netdev(Opaque<bindings::net_device>);

// SAFETY: a `net_device` may be used and released from any thread.
unsafe impl Send for Netdev {}

// SAFETY: what `&Netdev` offers is safe from several threads at once.
unsafe impl Sync for Netdev {}

// SAFETY: `dev_hold` and `dev_put` count references; the device is freed only after the last
// `dev_put` (`netdev_run_todo` waits for it).
unsafe impl AlwaysRefCounted for Netdev {
    fn inc_ref(&self) {
        // SAFETY: by the type invariant the device is valid.
        unsafe { bindings::dev_hold(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives up a reference it owns.
        unsafe { bindings::dev_put(obj.as_ptr().cast()) };
    }
}

impl Netdev {
    /// Creates a reference to a [`Netdev`] from a raw pointer.
    ///
    /// # Safety
    ///
    /// For the lifetime `'a`, `ptr` must point to a valid `struct net_device`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // SAFETY: `Netdev` is `repr(transparent)` over `Opaque<net_device>`, and the caller
        // guarantees validity for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// Returns the raw `struct net_device` pointer.
    pub fn as_raw(&self) -> *mut bindings::net_device {
        self.0.get()
    }

    /// Returns the interface index. It changes only when the device moves to another namespace.
    pub fn ifindex(&self) -> i32 {
        // SAFETY: by the type invariant the device is valid; a volatile read tolerates the
        // concurrent write of a namespace move (`READ_ONCE`).
        unsafe { core::ptr::addr_of!((*self.as_raw()).ifindex).read_volatile() }
    }

    /// Returns whether the device is administratively up (`netif_running`).
    pub fn is_running(&self) -> bool {
        // SAFETY: by the type invariant the device is valid; the state bit is read atomically.
        unsafe { bindings::netif_running(self.as_raw()) }
    }

    /// Returns whether the device reports carrier (`netif_carrier_ok`), as a snapshot.
    pub fn has_carrier(&self) -> bool {
        // SAFETY: by the type invariant the device is valid; the state bit is read atomically.
        unsafe { bindings::netif_carrier_ok(self.as_raw()) }
    }

    /// Returns whether `other` is the same device.
    pub fn is(&self, other: &Netdev) -> bool {
        self.as_raw() == other.as_raw()
    }

    /// Queues `skb` for transmission on this device (`dev_queue_xmit`).
    ///
    /// The buffer is consumed whatever happens; returns whether the device accepted it. Must not
    /// be called with hard interrupts disabled.
    pub fn queue_xmit(&self, skb: SkBuff) -> bool {
        let skb = skb.into_raw().as_ptr();
        // SAFETY: `skb` is owned and handed over; the device is valid by the type invariant, and
        // `dev_queue_xmit` drops what a device that is down or unregistered cannot send.
        let ret = unsafe {
            (*skb)
                .__bindgen_anon_1
                .__bindgen_anon_1
                .__bindgen_anon_1
                .dev = self.as_raw();
            bindings::dev_queue_xmit(skb)
        };
        ret == bindings::NET_XMIT_SUCCESS as i32 || ret == bindings::NET_XMIT_CN as i32
    }
}

/// A network device (`struct net_device`), borrowed while RTNL is held.
///
/// Rust code never owns a network device: the C side does, and hands out references in contexts
/// such as netdevice notifier callbacks. It dereferences to [`Netdev`].
///
/// # Invariants
///
/// For the lifetime of a `&Device`, the `struct net_device` it points to is valid and the RTNL
/// lock is held, so the fields that only change under RTNL (name, index, MTU, address) are
/// stable.
#[repr(transparent)]
pub struct Device(Netdev);

impl core::ops::Deref for Device {
    type Target = Netdev;

    fn deref(&self) -> &Netdev {
        &self.0
    }
}

impl Device {
    /// Creates a reference to a [`Device`] from a raw pointer.
    ///
    /// # Safety
    ///
    /// For the lifetime `'a`, `ptr` must point to a valid `struct net_device` and the caller must
    /// hold the RTNL lock.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // INVARIANT: the caller guarantees validity and RTNL for `'a`.
        // SAFETY: `Device` is `repr(transparent)` over `Opaque<net_device>`, so the cast is
        // sound, and the caller guarantees validity for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// Takes a counted reference to the device.
    pub fn hold(&self) -> ARef<Netdev> {
        ARef::from(&self.0)
    }

    /// Returns a copy of the interface name.
    pub fn name(&self) -> Name {
        // SAFETY: by the type invariant the device is valid and RTNL is held, under which
        // renames happen.
        let raw = unsafe { (*self.as_raw()).name };
        let mut name = Name([0; IFNAMSIZ]);
        for (dst, src) in name.0.iter_mut().zip(raw.iter()) {
            *dst = *src as u8;
        }
        // INVARIANT: the last byte is NUL whatever the C side left there.
        name.0[IFNAMSIZ - 1] = 0;
        name
    }

    /// Returns the network namespace the device is in.
    pub fn net(&self) -> &Net {
        // SAFETY: by the type invariant the device is valid and RTNL is held, under which it
        // moves between namespaces; a namespace is dismantled only after its devices left it.
        unsafe { Net::from_raw(bindings::dev_net(self.as_raw())) }
    }

    /// Returns the current MTU.
    pub fn mtu(&self) -> u32 {
        // SAFETY: by the type invariant the device is valid and RTNL is held, under which the
        // MTU changes.
        unsafe { (*self.as_raw()).mtu }
    }

    /// Returns whether the device is being unregistered (`dismantle`): set before it is closed,
    /// so the down events of a disappearing device can be told from an administrative down.
    pub fn is_dismantling(&self) -> bool {
        // SAFETY: by the type invariant the device is valid and RTNL is held, under which
        // `dismantle` is written.
        unsafe { (*self.as_raw()).dismantle }
    }

    /// Returns the hardware type (`ARPHRD_*`).
    pub fn hw_type(&self) -> u16 {
        // SAFETY: by the type invariant the device is valid; the type changes under RTNL only.
        unsafe { (*self.as_raw()).type_ }
    }

    /// Returns whether the device is an Ethernet device (`ARPHRD_ETHER`, 6-byte addresses).
    pub fn is_ethernet(&self) -> bool {
        // SAFETY: by the type invariant the device is valid and RTNL is held.
        let addr_len = unsafe { (*self.as_raw()).addr_len };
        self.hw_type() == bindings::ARPHRD_ETHER as u16 && addr_len == ETH_ALEN as u8
    }

    /// Returns whether the device is a loopback device.
    pub fn is_loopback(&self) -> bool {
        // SAFETY: by the type invariant the device is valid; flags change under RTNL only.
        let flags = unsafe { (*self.as_raw()).flags };
        flags & bindings::net_device_flags_IFF_LOOPBACK != 0
    }

    /// Returns the Ethernet address of an Ethernet device.
    pub fn mac(&self) -> Option<[u8; ETH_ALEN]> {
        if !self.is_ethernet() {
            return None;
        }
        let mut mac = [0; ETH_ALEN];
        // SAFETY: by the type invariant the device is valid and RTNL is held, under which the
        // address changes; an Ethernet device has `ETH_ALEN` address bytes.
        unsafe {
            core::ptr::copy_nonoverlapping((*self.as_raw()).dev_addr, mac.as_mut_ptr(), ETH_ALEN)
        };
        Some(mac)
    }

    /// Sets the hardware address of an Ethernet device (`dev_set_mac_address`).
    pub fn set_mac(&self, mac: &[u8; ETH_ALEN], extack: Option<&ExtAck>) -> Result {
        if !self.is_ethernet() {
            return Err(EINVAL);
        }
        // SAFETY: all-zero is a valid `sockaddr`.
        let mut sa: bindings::sockaddr = unsafe { core::mem::zeroed() };
        sa.sa_family = bindings::ARPHRD_ETHER as u16;
        // SAFETY: `sa_data` holds at least 14 bytes (`sa_data_min`), more than `ETH_ALEN`.
        unsafe {
            let data = core::ptr::addr_of_mut!(sa.__bindgen_anon_1).cast::<u8>();
            core::ptr::copy_nonoverlapping(mac.as_ptr(), data, ETH_ALEN);
        }
        // SAFETY: the device is valid and RTNL is held (type invariant); `sa` lives across the
        // call; `extack` is valid or null.
        to_result(unsafe {
            bindings::dev_set_mac_address(self.as_raw(), &mut sa, ExtAck::ptr(extack))
        })
    }

    /// Returns the permanent hardware address of an Ethernet device (`perm_addr`: the one it
    /// was registered with, or its hardware's), if it has a valid one.
    pub fn perm_mac(&self) -> Option<[u8; ETH_ALEN]> {
        if !self.is_ethernet() {
            return None;
        }
        let mut mac = [0; ETH_ALEN];
        // SAFETY: by the type invariant the device is valid; `perm_addr` is set at
        // registration and holds at least `ETH_ALEN` bytes.
        let perm = unsafe { &(*self.as_raw()).perm_addr };
        mac.copy_from_slice(perm.get(..ETH_ALEN)?);
        // Not multicast (nor broadcast), not all zero: `is_valid_ether_addr`.
        let valid = mac[0] & 1 == 0 && mac != [0; ETH_ALEN];
        valid.then_some(mac)
    }

    /// Adds `mac` to the device's unicast address list (`dev_uc_add`), so that a device that
    /// filters unicast frames also takes those sent to `mac`. Counted: each add needs a
    /// [`Device::del_unicast`].
    pub fn add_unicast(&self, mac: &[u8; ETH_ALEN]) -> Result {
        if !self.is_ethernet() {
            return Err(EINVAL);
        }
        // SAFETY: the device is valid and RTNL is held (type invariant); `mac` has the
        // `ETH_ALEN` bytes of an Ethernet device's address, checked above.
        to_result(unsafe { bindings::dev_uc_add(self.as_raw(), mac.as_ptr()) })
    }

    /// Takes back an address added with [`Device::add_unicast`] (`dev_uc_del`).
    pub fn del_unicast(&self, mac: &[u8; ETH_ALEN]) -> Result {
        if !self.is_ethernet() {
            return Err(EINVAL);
        }
        // SAFETY: as in `add_unicast`.
        to_result(unsafe { bindings::dev_uc_del(self.as_raw(), mac.as_ptr()) })
    }

    /// Adds the Ethernet group address `mac` to the device's multicast address list
    /// (`dev_mc_add`), so that a device that filters multicast frames also takes those sent
    /// to `mac`. Counted: each add needs a [`Device::del_multicast`].
    pub fn add_multicast(&self, mac: &[u8; ETH_ALEN]) -> Result {
        if !self.is_ethernet() {
            return Err(EINVAL);
        }
        // SAFETY: as in `add_unicast`.
        to_result(unsafe { bindings::dev_mc_add(self.as_raw(), mac.as_ptr()) })
    }

    /// Takes back an address added with [`Device::add_multicast`] (`dev_mc_del`).
    pub fn del_multicast(&self, mac: &[u8; ETH_ALEN]) -> Result {
        if !self.is_ethernet() {
            return Err(EINVAL);
        }
        // SAFETY: as in `add_unicast`.
        to_result(unsafe { bindings::dev_mc_del(self.as_raw(), mac.as_ptr()) })
    }

    /// Sets the MTU (`dev_set_mtu`).
    pub fn set_mtu(&self, mtu: u32) -> Result {
        let mtu = i32::try_from(mtu).map_err(|_| EINVAL)?;
        // SAFETY: the device is valid and RTNL is held (type invariant).
        to_result(unsafe { bindings::dev_set_mtu(self.as_raw(), mtu) })
    }

    /// Brings the device up (`dev_open`); nothing happens if it is up already.
    pub fn open(&self, extack: Option<&ExtAck>) -> Result {
        // SAFETY: the device is valid and RTNL is held (type invariant); `extack` is valid or
        // null.
        to_result(unsafe { bindings::dev_open(self.as_raw(), ExtAck::ptr(extack)) })
    }

    /// Returns the master device this device is linked under, if any (a bond, a bridge, a
    /// vNIC, a VRF...).
    pub fn master(&self) -> Option<&Device> {
        // SAFETY: the device is valid and RTNL is held, under which upper links change.
        let master = unsafe { bindings::netdev_master_upper_dev_get(self.as_raw()) };
        if master.is_null() {
            return None;
        }
        // SAFETY: an upper device outlives its links, which change only under RTNL, which is
        // held for the lifetime of `&self`.
        Some(unsafe { Device::from_raw(master) })
    }

    /// Returns whether a receive handler (bridge, bond, macvlan, vNIC...) owns the device's
    /// receive path.
    pub fn has_rx_handler(&self) -> bool {
        // SAFETY: the device is valid and RTNL is held, under which `rx_handler` is written.
        unsafe { (*self.as_raw()).rx_handler }.is_some()
    }
}

/// A copy of an interface name.
///
/// # Invariants
///
/// The last byte of the buffer is NUL.
#[derive(Clone, Copy)]
pub struct Name([u8; IFNAMSIZ]);

impl Name {
    /// Returns the name as a C string.
    pub fn as_c_str(&self) -> &CStr {
        // By the type invariant a NUL is found, at `IFNAMSIZ - 1` at the latest.
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(IFNAMSIZ - 1);
        match self.0.get(..=len) {
            // SAFETY: `bytes` ends at the first NUL byte, so it is a C string without interior
            // NUL bytes.
            Some(bytes) => unsafe { CStr::from_bytes_with_nul_unchecked(bytes) },
            None => crate::c_str!(""),
        }
    }

    /// Returns the name without its trailing NUL.
    pub fn as_bytes(&self) -> &[u8] {
        self.as_c_str().as_bytes()
    }
}

// Bytes after the NUL may be stale leftovers of a longer name: compare the name only.
impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Name {}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_c_str(), f)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_c_str(), f)
    }
}
