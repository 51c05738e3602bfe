// SPDX-License-Identifier: GPL-2.0

//! Network device types that user space creates (`ip link add NAME type KIND`).
//!
//! A [`LinkType`] says how a new device is set up, what private data it carries, how it
//! transmits and, for a device that forwards through other devices (ports: a bond's slaves, a
//! vNIC's members), how ports join and leave and which of their received frames it takes. A
//! [`Registration`] adds the type to rtnetlink (`rtnl_link_register`) and, when dropped, removes
//! it together with every device of the type, in every namespace.
//!
//! Devices are Ethernet devices for software: lockless transmit (`lltx`), no qdisc
//! (`IFF_NO_QUEUE`), core-managed per-CPU statistics (`NETDEV_PCPU_STAT_TSTATS`), and an
//! `IFLA_ADDRESS` given at creation must be a valid unicast Ethernet address.
//!
//! Private data is built in `ndo_init` and dropped by the device's destructor, after the last
//! reference to the device is gone, so every callback and every port's receive handler sees it.
//! Ports are linked under the device with `netdev_master_upper_dev_link` and a receive handler;
//! `ndo_uninit` unlinks whatever ports the type left linked, so a linked port always has a live
//! master.
//!
//! C header: [`include/net/rtnetlink.h`](srctree/include/net/rtnetlink.h)

use crate::{
    alloc::KBox,
    bindings,
    error::{from_result, to_result},
    init::PinInit,
    net::{
        dev::{Device, Netdev, ETH_ALEN},
        extack::{self, ExtAck},
        genetlink::Message,
        rtnl,
        skbuff::{Frame, SkBuff},
        stats::PortStats,
        vlan::Vlan,
    },
    prelude::*,
    str::CStr,
    sync::rcu,
    types::{ARef, Opaque},
};
use core::{
    any::TypeId,
    ffi::c_void,
    marker::PhantomData,
    ops::Deref,
    ptr::NonNull,
    sync::atomic::{AtomicBool, Ordering},
};

pub mod ethtool;
pub mod sysfs;

/// A type of network device that user space can create.
#[vtable]
pub trait LinkType: Sized + 'static {
    /// The name given to `ip link add ... type KIND`.
    const KIND: &'static CStr;

    /// The private data of each device.
    type Data: Send + Sync;

    /// The directory of the type's sysfs attributes under `/sys/class/net/DEV/`, if it has
    /// any.
    const SYSFS_DIR: Option<&'static CStr> = None;

    /// The type's sysfs attributes, in [`LinkType::SYSFS_DIR`].
    const SYSFS_ATTRS: &'static [sysfs::Attribute<Self>] = &[];

    /// Configures a new device before it is registered. It is already set up as Ethernet.
    fn setup(_dev: &mut Setup<'_>) {}

    /// Builds the private data of a device being registered (`ndo_init`); RTNL is held.
    fn init(dev: &Device) -> impl PinInit<Self::Data, Error>;

    /// Called when the device is unregistered (`ndo_uninit`), RTNL held: release the ports
    /// here. The private data lives on until the device is freed.
    fn uninit(_dev: &Master<Self>) {}

    /// Transmits `skb` or frees it.
    ///
    /// Runs without RTNL and with bottom halves disabled: it must not sleep. Transmit is
    /// lockless, so it runs on several CPUs at once.
    fn start_xmit(dev: &Live<Self>, skb: SkBuff);

    /// Returns what the device's ports failed to receive or send, added to the device's own
    /// counters (`ndo_get_stats64`, which may run in atomic context). The result must never
    /// go backwards: fold the ports' counters across their churn.
    fn port_stats(_dev: &Live<Self>) -> PortStats {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Transmit queues of a device unless `ip link add ... numtxqueues N` says otherwise
    /// (`rtnl_link_ops.get_num_tx_queues`).
    const TX_QUEUES: u32 = 1;

    /// Returns the port [`LinkType::start_xmit`] will send the next buffer through, if any.
    ///
    /// With it the device picks its transmit queue as that port would (its own
    /// `ndo_select_queue`, its XPS map or its hash), so queue `n` of the device feeds queue `n`
    /// of the port and a qdisc per queue on the device lines up with the port's queues, as
    /// net_failover does; the port then picks the same queue from the buffer as it came in.
    fn tx_port<'a>(_dev: &'a Live<Self>, _guard: &'a rcu::Guard) -> Option<&'a Netdev> {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Adds `port` under the device (`ip link set PORT master DEV`, `ndo_add_slave`); RTNL is
    /// held. Link it with [`Master::link_port`].
    fn add_port(_dev: &Master<Self>, _port: &Device, _extack: Option<&ExtAck>) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Removes `port` (`ip link set PORT nomaster`, `ndo_del_slave`); RTNL is held.
    fn del_port(_dev: &Master<Self>, _port: &Device) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Decides what becomes of `frame`, which `port` received (the port's receive handler).
    ///
    /// Runs in softirq context under RCU, on several CPUs at once.
    fn handle_frame(_dev: &Live<Self>, _port: &Netdev, _frame: &Frame<'_>) -> RxVerdict {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Changes the MTU to `mtu`, already checked against the device's limits
    /// (`ndo_change_mtu`); RTNL is held. The device's MTU is set on success.
    fn change_mtu(_dev: &Master<Self>, _mtu: u32) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Changes the hardware address to `mac`, already checked as a valid unicast address
    /// (`ndo_set_mac_address`); RTNL is held. The device's address is set on success. With it
    /// the address may change while the device is up (`IFF_LIVE_ADDR_CHANGE`), so refuse here
    /// what the ports cannot follow; without it the address changes alone, while the device is
    /// down (`eth_mac_addr`).
    fn set_mac(_dev: &Master<Self>, _mac: &[u8; ETH_ALEN]) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Pushes the device's unicast and multicast address lists to its ports, with
    /// [`RxMode::sync_to`] (`ndo_set_rx_mode`).
    ///
    /// Runs with the device's address lock held and bottom halves disabled, possibly without
    /// RTNL: it must not sleep. A type with it filters unicast addresses (`IFF_UNICAST_FLT`)
    /// instead of turning promiscuous for them.
    fn set_rx_mode(_dev: &RxMode<'_, Self>) {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// The device entered or left promiscuous or all-multicast mode, as `changed` says
    /// (`ndo_change_rx_flags`): pass it on to each port with [`Master::pass_rx_flags`]; RTNL is
    /// held. [`Master::sync_addresses`] gives a joining port the modes the device is in.
    fn change_rx_flags(_dev: &Master<Self>, _changed: RxFlags) {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Adds `vlan` to the device's VLAN filter (`ndo_vlan_rx_add_vid`): put it on the ports
    /// with [`Device::add_vlan`], and give joining ports the whole filter with
    /// [`Device::add_vlans_of`]; RTNL is held. A type with it filters VLANs
    /// (`NETIF_F_HW_VLAN_CTAG_FILTER`, `NETIF_F_HW_VLAN_STAG_FILTER`), so that ports that
    /// filter receive its VLANs' frames.
    fn vlan_add(_dev: &Master<Self>, _vlan: Vlan) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Removes `vlan` from the device's VLAN filter (`ndo_vlan_rx_kill_vid`): take it back
    /// from the ports with [`Device::del_vlan`]; RTNL is held.
    fn vlan_del(_dev: &Master<Self>, _vlan: Vlan) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Names the port whose link settings (speed, duplex, port type) `ethtool DEV` shows for
    /// the device, such as its active port; RTNL is held. Without one they are unknown.
    fn link_settings_port(_dev: &Master<Self>) -> Option<ARef<Netdev>> {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// The names of the device's statistics for `ethtool -S`, shorter than `ETH_GSTRING_LEN`
    /// (checked at build time), one per value [`LinkType::ethtool_stats`] fills.
    const ETHTOOL_STATS: &'static [&'static CStr] = &[];

    /// Fills `values`, one per name in [`LinkType::ETHTOOL_STATS`] and zeroed, for
    /// `ethtool -S`; RTNL is held.
    fn ethtool_stats(_dev: &Master<Self>, _values: &mut [u64]) {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Most bytes [`LinkType::fill_info`] adds, each attribute counted with its header and
    /// padding (`rtnl_link_ops.get_size`).
    const INFO_SIZE: usize = 0;

    /// Adds the device's own attributes to `IFLA_INFO_DATA`, which `ip -d link show` and the
    /// `rt-link` YNL family read (`rtnl_link_ops.fill_info`); RTNL is held.
    ///
    /// It also runs for notifications the device's own control callbacks cause (a port's
    /// change of MTU or address, peer notification), so it must not take a lock those hold;
    /// and it must not change the device (ports, carrier, peer notification): the core is in
    /// the middle of describing it.
    fn fill_info(_dev: &Master<Self>, _msg: &mut Message<'_>) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Most bytes [`LinkType::fill_port_info`] adds (`rtnl_link_ops.get_slave_size`).
    const PORT_INFO_SIZE: usize = 0;

    /// Adds what the device knows of `port` to the port's `IFLA_INFO_SLAVE_DATA`
    /// (`rtnl_link_ops.fill_slave_info`); RTNL is held. The same care as for
    /// [`LinkType::fill_info`] applies.
    fn fill_port_info(_dev: &Master<Self>, _port: &Device, _msg: &mut Message<'_>) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Runs when the device's timer, armed by [`Master::schedule`], expires; RTNL is held.
    ///
    /// The timer is a delayed work item that takes RTNL only if it is free and otherwise tries
    /// again a jiffy later, so `ndo_uninit` can cancel it while holding RTNL.
    fn timer(_dev: &Master<Self>) {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }
}

/// What a port's receive handler does with a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxVerdict {
    /// Deliver it as received by the master device (`RX_HANDLER_ANOTHER`).
    Deliver,
    /// Deliver it on the port only to handlers bound to that exact device, such as packet
    /// sockets (`RX_HANDLER_EXACT`): what a bond does with frames on an inactive port.
    Exact,
    /// Leave it to the port, as if there were no handler (`RX_HANDLER_PASS`).
    Pass,
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

    /// Offers the offloads that have a software fallback (scatter-gather, checksum, the GSO
    /// types of `NETIF_F_GSO_SOFTWARE`), as `dummy` and `bonding` do: a buffer is then
    /// checksummed and segmented only where a device that cannot do it in hardware sends it,
    /// which for a device that forwards through ports is the port (`dev_queue_xmit` validates
    /// against the port's features), and never for ports that pass such buffers on. VLAN
    /// devices on top inherit them (`vlan_features`), as they do on `dummy`: without, a
    /// VLAN's traffic would be checksummed and segmented in software before it even reached
    /// the device.
    pub fn software_offloads(&mut self) {
        let bits = [
            bindings::NETIF_F_SG_BIT,
            bindings::NETIF_F_FRAGLIST_BIT,
            bindings::NETIF_F_HW_CSUM_BIT,
            bindings::NETIF_F_HIGHDMA_BIT,
            bindings::NETIF_F_TSO_BIT,
            bindings::NETIF_F_TSO6_BIT,
            bindings::NETIF_F_TSO_ECN_BIT,
            bindings::NETIF_F_TSO_MANGLEID_BIT,
            bindings::NETIF_F_GSO_SCTP_BIT,
            bindings::NETIF_F_GSO_UDP_L4_BIT,
            bindings::NETIF_F_GSO_FRAGLIST_BIT,
        ];
        let features = bits.iter().fold(0u64, |acc, &bit| acc | (1u64 << bit));
        // SAFETY: by the type invariant the device is valid and ours alone.
        unsafe {
            (*self.dev).features |= features;
            (*self.dev).hw_features |= features;
            (*self.dev).hw_enc_features |= features;
            (*self.dev).vlan_features |= features;
        }
    }

    /// Starts the device without carrier, for a device whose link depends on its ports.
    pub fn carrier_off(&mut self) {
        // SAFETY: by the type invariant the device is valid; on an unregistered device
        // `netif_carrier_off` only sets the state bit.
        unsafe { bindings::netif_carrier_off(self.dev) };
    }
}

/// The private area of a device of a link type.
///
/// `kind` tells the link type apart even where the code of two types' callbacks was merged.
/// `timer` is initialised in `setup` and cancelled in `ndo_uninit`; its callback finds the
/// device through `dev`. `timer_off` is set in `ndo_uninit`, an RCU grace period before the
/// timer is cancelled: the data path arms the timer only under RCU, having seen it clear.
#[repr(C)]
struct Private {
    kind: TypeId,
    data: *const c_void,
    dev: *mut bindings::net_device,
    timer: Opaque<bindings::delayed_work>,
    timer_off: AtomicBool,
}

/// Returns the private area of a device of a link type.
///
/// # Safety
///
/// `dev` must be a valid device of a link type (its private area is a `Private`).
unsafe fn private(dev: *mut bindings::net_device) -> *mut Private {
    // SAFETY: the caller guarantees the private area is a `Private`.
    unsafe { bindings::netdev_priv(dev).cast() }
}

/// Returns the private data of a device of link type `T`.
///
/// # Safety
///
/// `dev` must be a valid device of link type `T` whose data is built, and stay so for `'a`.
unsafe fn data<'a, T: LinkType>(dev: *mut bindings::net_device) -> &'a T::Data {
    // SAFETY: the caller guarantees the data is built and lives for `'a`.
    unsafe { &*(*private(dev)).data.cast::<T::Data>() }
}

/// A device of a [`LinkType`] as its data path sees it: transmit, and its ports' receive
/// handlers. It dereferences to [`Netdev`].
///
/// # Invariants
///
/// A `&Live<T>` points to a valid, registered `struct net_device` of link type `T` whose private
/// data is built: between `ndo_init` and the destructor, which covers every transmit and receive.
#[repr(transparent)]
pub struct Live<T: LinkType>(Netdev, PhantomData<T>);

impl<T: LinkType> Live<T> {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariant for the lifetime `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // SAFETY: `Live` is `repr(transparent)` over `Netdev`; validity is the caller's
        // guarantee.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// Returns the device's private data.
    pub fn data(&self) -> &T::Data {
        // SAFETY: by the type invariant the data is built and outlives `&self`.
        unsafe { data::<T>(self.as_raw()) }
    }

    /// Arms the device's timer to call [`LinkType::timer`] at once, or moves it there if it is
    /// armed already, from the data path: for a transmit that finds something the control
    /// path must see to sooner than its notifications would bring it (a port whose carrier
    /// dropped before linkwatch reported it). Does nothing once the device is being
    /// unregistered. Callable in any context but a hard interrupt.
    ///
    /// The link type must implement [`LinkType::timer`] (checked at build time).
    pub fn kick_timer(&self) {
        crate::build_assert!(T::HAS_TIMER, "kick_timer() needs LinkType::timer");
        let _guard = rcu::read_lock();
        // SAFETY: by the type invariant the device is valid and its private area initialised.
        let private = unsafe { &*private(self.as_raw()) };
        if private.timer_off.load(Ordering::Acquire) {
            return;
        }
        // SAFETY: the timer is initialised (`setup`); `ndo_uninit` sets `timer_off` and waits
        // for a grace period before it cancels the timer, so this arming, inside an RCU
        // read-side section that saw `timer_off` clear, comes before that cancellation.
        unsafe { bindings::mod_delayed_work(bindings::system_wq, private.timer.get(), 0) };
    }

    /// Counts one transmitted packet of `len` bytes in the device's statistics.
    pub fn count_tx(&self, len: u32) {
        // SAFETY: by the type invariant the device is registered, so its `tstats` are allocated.
        unsafe { bindings::dev_sw_netstats_tx_add(self.as_raw(), len) };
    }

    /// Counts one packet dropped on transmit.
    pub fn count_tx_dropped(&self) {
        // SAFETY: by the type invariant the device is valid; core stats are allocated on demand.
        unsafe { bindings::dev_core_stats_tx_dropped_inc(self.as_raw()) };
    }
}

impl<T: LinkType> Deref for Live<T> {
    type Target = Netdev;

    fn deref(&self) -> &Netdev {
        &self.0
    }
}

/// A device of a [`LinkType`] in `ndo_set_rx_mode`.
///
/// # Invariants
///
/// The device's address lock (`netif_addr_lock_bh`) is held for the lifetime of the borrow.
pub struct RxMode<'a, T: LinkType> {
    dev: &'a Live<T>,
}

impl<T: LinkType> RxMode<'_, T> {
    /// Returns the device's private data.
    pub fn data(&self) -> &T::Data {
        self.dev.data()
    }

    /// Adds the device's unicast and multicast addresses to `port`'s lists and removes those
    /// the device dropped (`dev_uc_sync_multiple`, `dev_mc_sync_multiple`): `port` then
    /// receives what the device should. Several ports may be synced from one device.
    ///
    /// `port` must be unsynced with [`Master::unsync_addresses`] before it stops being synced
    /// (before it leaves), or it keeps the addresses.
    pub fn sync_to(&self, port: &Netdev) {
        // SAFETY: both devices are valid; the caller's address lock is held (type invariant),
        // which the sync functions require of `from`; they take `port`'s themselves. Errors
        // (no memory) leave the lists as they were, which the next call retries.
        unsafe {
            bindings::dev_uc_sync_multiple(port.as_raw(), self.dev.as_raw());
            bindings::dev_mc_sync_multiple(port.as_raw(), self.dev.as_raw());
        }
    }
}

/// Which of a device's receive modes changed (`ndo_change_rx_flags`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RxFlags(u32);

impl RxFlags {
    /// Whether promiscuous mode (`IFF_PROMISC`) changed.
    pub fn promisc(&self) -> bool {
        self.0 & bindings::net_device_flags_IFF_PROMISC != 0
    }

    /// Whether all-multicast mode (`IFF_ALLMULTI`) changed.
    pub fn allmulti(&self) -> bool {
        self.0 & bindings::net_device_flags_IFF_ALLMULTI != 0
    }
}

/// A device of a [`LinkType`] on its control path, RTNL held. It dereferences to [`Device`].
///
/// # Invariants
///
/// A `&Master<T>` points to a valid `struct net_device` of link type `T` whose private data is
/// built, and RTNL is held for its lifetime.
#[repr(transparent)]
pub struct Master<T: LinkType>(Device, PhantomData<T>);

impl<T: LinkType> Deref for Master<T> {
    type Target = Device;

    fn deref(&self) -> &Device {
        &self.0
    }
}

/// Refuses the device itself as its own port.
const PORT_IS_SELF: &CStr = crate::c_str!("a device cannot be its own port");

impl<T: LinkType> Master<T> {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariant for the lifetime `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // SAFETY: `Master` is `repr(transparent)` over `Device`; validity is the caller's
        // guarantee.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// Returns the master of `port` if `port` is a linked port of a device of type `T`.
    pub fn of_port(port: &Device) -> Option<&Self> {
        let port = port.as_raw();
        // SAFETY: `port` is valid and RTNL is held (`&Device`), under which the receive handler
        // is registered and unregistered.
        let master = unsafe { Adapter::<T>::linked_master(port) };
        if master.is_null() {
            return None;
        }
        // SAFETY: a linked port means its master has not passed `ndo_uninit`, which unlinks
        // every port, so the master and its data are alive; RTNL is held for the borrow of
        // `port`, so no unregistration completes meanwhile.
        Some(unsafe { Self::from_raw(master) })
    }

    /// Returns `dev` as a device of type `T` if it is one and is registered.
    pub fn of_device(dev: &Device) -> Option<&Self> {
        let raw = dev.as_raw();
        let ours: Option<unsafe extern "C" fn(*mut bindings::net_device)> =
            Some(Adapter::<T>::destructor);
        // Only devices set up by a link type have our destructor, so their private area is a
        // `Private`, which tells the type. A registered device has passed `ndo_init` and, with
        // RTNL held, cannot pass `ndo_uninit` while borrowed.
        // SAFETY: `dev` is valid and RTNL is held (`&Device`); see above for the private area.
        unsafe {
            #[allow(unpredictable_function_pointer_comparisons)]
            let linked = (*raw).priv_destructor == ours;
            if !linked
                || (*private(raw)).kind != TypeId::of::<T>()
                || (*private(raw)).data.is_null()
                || u32::from((*raw).reg_state) != bindings::netdev_reg_state_NETREG_REGISTERED
            {
                return None;
            }
            Some(Self::from_raw(raw))
        }
    }

    /// Returns the device's private data.
    pub fn data(&self) -> &T::Data {
        // SAFETY: by the type invariant the data is built and outlives `&self`.
        unsafe { data::<T>(self.as_raw()) }
    }

    /// Arms the device's timer to call [`LinkType::timer`] in `delay_ms` milliseconds, or
    /// moves it if it is armed already.
    ///
    /// The link type must implement [`LinkType::timer`] (checked at build time).
    pub fn schedule(&self, delay_ms: u32) {
        crate::build_assert!(T::HAS_TIMER, "schedule() needs LinkType::timer");
        let delay = crate::time::msecs_to_jiffies(delay_ms);
        // SAFETY: by the type invariant the device is valid and its timer initialised (`setup`);
        // it is cancelled in `ndo_uninit`, which has not run while RTNL is held for `&self`
        // (or runs this very call), and `system_wq` lives forever.
        unsafe {
            bindings::mod_delayed_work(
                bindings::system_wq,
                (*private(self.as_raw())).timer.get(),
                delay,
            )
        };
    }

    /// Returns the port of `link` as a device under the RTNL this master holds.
    pub fn port<'a>(&'a self, link: &'a PortLink<T>) -> &'a Device {
        // SAFETY: `link` holds a reference to the port, and RTNL is held for `'a` by the type
        // invariant of `self`.
        unsafe { Device::from_raw(link.port.as_raw()) }
    }

    /// Sets the device's carrier (`netif_carrier_on` / `netif_carrier_off`).
    pub fn set_carrier(&self, on: bool) {
        // SAFETY: by the type invariant the device is valid.
        unsafe {
            if on {
                bindings::netif_carrier_on(self.as_raw())
            } else {
                bindings::netif_carrier_off(self.as_raw())
            }
        }
    }

    /// Tells peers the device moved: gratuitous ARP, unsolicited neighbour advertisements and
    /// multicast rejoins (`NETDEV_NOTIFY_PEERS`, `NETDEV_RESEND_IGMP`).
    pub fn notify_peers(&self) {
        // SAFETY: by the type invariant the device is valid and RTNL is held.
        unsafe { bindings::__netdev_notify_peers(self.as_raw()) };
    }

    /// Tells the netdevice notifier chain whether `port` is up and transmits for this device
    /// (`NETDEV_CHANGELOWERSTATE` with a `netdev_lag_lower_state_info`, which bonding and team
    /// send when a port's state changes), so that others, an interrupt balancer for one, can
    /// follow a switch of the port that carries the traffic; rtnetlink reports it as an
    /// `RTM_NEWLINK` of the port. Drivers that offload link aggregation act on it only for
    /// ports of a bond or team (`netif_is_lag_port()`).
    pub fn port_state_changed(&self, port: &Device, link_up: bool, tx_enabled: bool) {
        let mut info = bindings::netdev_lag_lower_state_info {
            _bitfield_1: bindings::netdev_lag_lower_state_info::new_bitfield_1(
                link_up.into(),
                tx_enabled.into(),
            ),
        };
        // SAFETY: `port` is valid and RTNL is held (its type invariant), which
        // `netdev_lower_state_changed` asserts; the notifiers read `info` during the call.
        unsafe {
            bindings::netdev_lower_state_changed(
                port.as_raw(),
                (&raw mut info).cast::<core::ffi::c_void>(),
            )
        };
    }

    /// Links `port` under this device: the port's received frames go to
    /// [`LinkType::handle_frame`], and the port shows this device as its master.
    ///
    /// The link type must implement [`LinkType::handle_frame`] (checked at build time).
    ///
    /// Fails with `EBUSY` if the port has a master or a receive handler already, and refuses
    /// the device itself and loops.
    pub fn link_port(&self, port: &Device, extack: Option<&ExtAck>) -> Result<PortLink<T>> {
        crate::build_assert!(
            T::HAS_HANDLE_FRAME,
            "a link type with ports needs handle_frame"
        );
        if port.is(self) {
            return Err(extack::fail(extack, PORT_IS_SELF, EINVAL));
        }
        let (master, dev) = (self.as_raw(), port.as_raw());
        // SAFETY: both devices are valid and RTNL is held. The handler's data is this master,
        // which stays alive while the port is linked: `ndo_uninit` unlinks every port.
        to_result(unsafe {
            bindings::netdev_rx_handler_register(
                dev,
                Some(Adapter::<T>::handle_frame),
                master.cast(),
            )
        })?;
        // SAFETY: as above; `extack` is valid or null.
        let ret = unsafe {
            bindings::netdev_master_upper_dev_link(
                dev,
                master,
                core::ptr::null_mut(),
                core::ptr::null_mut(),
                ExtAck::ptr(extack),
            )
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: the handler was registered above, under the RTNL still held.
            unsafe { bindings::netdev_rx_handler_unregister(dev) };
            return Err(e);
        }
        // SAFETY: RTNL is held, under which flags change.
        unsafe { Adapter::<T>::mark_port(dev, true) };
        Ok(PortLink {
            port: port.hold(),
            _t: PhantomData,
        })
    }

    /// Gives `port` this device's unicast and multicast addresses, as
    /// [`LinkType::set_rx_mode`] keeps them from then on, and its promiscuous and
    /// all-multicast modes, as [`LinkType::change_rx_flags`] keeps them.
    pub fn sync_addresses(&self, port: &Device) {
        // SAFETY: both devices are valid; the sync functions need `from`'s address lock,
        // taken here.
        unsafe {
            bindings::netif_addr_lock_bh(self.as_raw());
            bindings::dev_uc_sync_multiple(port.as_raw(), self.as_raw());
            bindings::dev_mc_sync_multiple(port.as_raw(), self.as_raw());
            bindings::netif_addr_unlock_bh(self.as_raw());
        }
        self.count_rx_flags(port, RxFlags(self.rx_flags()), 1);
    }

    /// Takes back from `port` the addresses and modes this device synced to it.
    pub fn unsync_addresses(&self, port: &Device) {
        // SAFETY: both devices are valid; the unsync functions take the locks they need.
        unsafe {
            bindings::dev_uc_unsync(port.as_raw(), self.as_raw());
            bindings::dev_mc_unsync(port.as_raw(), self.as_raw());
        }
        self.count_rx_flags(port, RxFlags(self.rx_flags()), -1);
    }

    /// Passes a change of this device's promiscuous or all-multicast mode on to `port`.
    pub fn pass_rx_flags(&self, port: &Device, changed: RxFlags) {
        let now = self.rx_flags();
        for flag in [
            bindings::net_device_flags_IFF_PROMISC,
            bindings::net_device_flags_IFF_ALLMULTI,
        ] {
            if changed.0 & flag != 0 {
                self.count_rx_flags(port, RxFlags(flag), if now & flag != 0 { 1 } else { -1 });
            }
        }
    }

    /// Returns the device's `IFF_PROMISC` and `IFF_ALLMULTI` flags.
    fn rx_flags(&self) -> u32 {
        let modes =
            bindings::net_device_flags_IFF_PROMISC | bindings::net_device_flags_IFF_ALLMULTI;
        // SAFETY: by the type invariant the device is valid and RTNL, under which the flags
        // change, is held.
        unsafe { (*self.as_raw()).flags & modes }
    }

    /// Counts `port` into (`inc` 1) or out of (-1) the modes in `flags`.
    fn count_rx_flags(&self, port: &Device, flags: RxFlags, inc: i32) {
        // SAFETY: `port` is valid and RTNL is held, as both functions require. They fail only
        // when a count would overflow, which a port's bounded number of users cannot reach.
        unsafe {
            if flags.promisc() {
                bindings::dev_set_promiscuity(port.as_raw(), inc);
            }
            if flags.allmulti() {
                bindings::dev_set_allmulti(port.as_raw(), inc);
            }
        }
    }

    /// Unlinks the port of `link` from this device. Waits for receive handlers in flight.
    pub fn unlink_port(&self, link: PortLink<T>) {
        // SAFETY: `link` keeps the port valid and RTNL is held.
        unsafe { Adapter::<T>::unlink(link.port.as_raw(), self.as_raw()) };
    }
}

/// A port linked under a device of link type `T` by [`Master::link_port`].
///
/// Give it back to [`Master::unlink_port`]. Dropped without that, the port stays linked until
/// the master is unregistered.
pub struct PortLink<T: LinkType> {
    port: ARef<Netdev>,
    _t: PhantomData<T>,
}

impl<T: LinkType> PortLink<T> {
    /// Returns the port.
    pub fn port(&self) -> &Netdev {
        &self.port
    }
}

/// The C callbacks of a [`LinkType`].
struct Adapter<T: LinkType>(PhantomData<T>);

impl<T: LinkType> Adapter<T> {
    const NETDEV_OPS: bindings::net_device_ops = {
        // SAFETY: all-zero is a valid `net_device_ops` (no callbacks).
        let mut ops: bindings::net_device_ops = unsafe { core::mem::zeroed() };
        ops.ndo_init = Some(Self::init);
        ops.ndo_uninit = Some(Self::uninit);
        ops.ndo_start_xmit = Some(Self::start_xmit);
        if T::HAS_TX_PORT {
            ops.ndo_select_queue = Some(Self::select_queue);
        }
        if T::HAS_PORT_STATS {
            ops.ndo_get_stats64 = Some(Self::get_stats64);
        }
        ops.ndo_validate_addr = Some(bindings::eth_validate_addr);
        ops.ndo_set_mac_address = if T::HAS_SET_MAC {
            Some(Self::set_mac)
        } else {
            Some(bindings::eth_mac_addr)
        };
        if T::HAS_ADD_PORT {
            ops.ndo_add_slave = Some(Self::add_port);
        }
        if T::HAS_DEL_PORT {
            ops.ndo_del_slave = Some(Self::del_port);
        }
        if T::HAS_CHANGE_MTU {
            ops.ndo_change_mtu = Some(Self::change_mtu);
        }
        if T::HAS_SET_RX_MODE {
            ops.ndo_set_rx_mode = Some(Self::set_rx_mode);
        }
        if T::HAS_CHANGE_RX_FLAGS {
            ops.ndo_change_rx_flags = Some(Self::change_rx_flags);
        }
        if T::HAS_VLAN_ADD {
            ops.ndo_vlan_rx_add_vid = Some(Self::vlan_add);
        }
        if T::HAS_VLAN_DEL {
            ops.ndo_vlan_rx_kill_vid = Some(Self::vlan_del);
        }
        ops
    };

    /// Refuses an address given at creation that is not a valid unicast Ethernet address.
    const BAD_ADDRESS: &'static CStr = crate::c_str!("address must be a unicast Ethernet address");

    const fn netdev_ops() -> &'static bindings::net_device_ops {
        &Self::NETDEV_OPS
    }

    const fn ethtool_ops() -> &'static bindings::ethtool_ops {
        &Self::ETHTOOL_OPS
    }

    /// `rtnl_link_ops.setup`.
    ///
    /// # Safety
    ///
    /// Called by `alloc_netdev` with a new device.
    unsafe extern "C" fn setup(dev: *mut bindings::net_device) {
        // SAFETY: `dev` is a new, valid device that only this call touches; its private area
        // is a `Private` (`priv_size`), with no data until `ndo_init`.
        unsafe {
            bindings::ether_setup(dev);
            (*dev).netdev_ops = Self::netdev_ops();
            (*dev).ethtool_ops = Self::ethtool_ops();
            (*dev).needs_free_netdev = true;
            (*dev).priv_destructor = Some(Self::destructor);
            private(dev).write(Private {
                kind: TypeId::of::<T>(),
                data: core::ptr::null(),
                dev,
                timer: Opaque::uninit(),
                timer_off: AtomicBool::new(false),
            });
            bindings::init_delayed_work((*private(dev)).timer.get(), Some(Self::run_timer));
            (*dev).set_pcpu_stat_type(bindings::netdev_stat_type_NETDEV_PCPU_STAT_TSTATS);
            // Lockless transmit and no qdisc, as for other software devices: with a tx lock,
            // every device of the type would share its lockdep class.
            let fast = &mut (*dev).__bindgen_anon_1.priv_flags_fast;
            fast.set_lltx(1);
            let no_queue = bindings::netdev_priv_flags_IFF_NO_QUEUE as crate::ffi::c_ulong;
            fast.set_priv_flags(fast.priv_flags() | no_queue);
            if T::HAS_SET_RX_MODE {
                let filter = bindings::netdev_priv_flags_IFF_UNICAST_FLT as crate::ffi::c_ulong;
                fast.set_priv_flags(fast.priv_flags() | filter);
            }
            if T::HAS_ADD_PORT {
                // netpoll transmits with interrupts off, and a master hands buffers to its
                // ports' `dev_queue_xmit`, which must not run so.
                let netpoll =
                    bindings::netdev_priv_flags_IFF_DISABLE_NETPOLL as crate::ffi::c_ulong;
                fast.set_priv_flags(fast.priv_flags() | netpoll);
            }
            if T::HAS_SET_MAC {
                // The link type decides whether a running device may change its address.
                let live = bindings::netdev_priv_flags_IFF_LIVE_ADDR_CHANGE as crate::ffi::c_ulong;
                fast.set_priv_flags(fast.priv_flags() | live);
            }
            if T::HAS_VLAN_ADD {
                // Fixed on: with the filter off, ports would not learn the VLANs in use.
                (*dev).features |= (1u64 << bindings::NETIF_F_HW_VLAN_CTAG_FILTER_BIT)
                    | (1u64 << bindings::NETIF_F_HW_VLAN_STAG_FILTER_BIT);
            }
        }
        // INVARIANT: `dev` is being set up by `alloc_netdev` and not visible to anyone else.
        let mut setup = Setup {
            dev,
            _p: PhantomData,
        };
        T::setup(&mut setup);
    }

    /// `ndo_init`: builds the private data.
    ///
    /// # Safety
    ///
    /// Called by `register_netdevice`, RTNL held, with a device set up by `setup`.
    unsafe extern "C" fn init(dev: *mut bindings::net_device) -> crate::ffi::c_int {
        from_result(|| {
            // SAFETY: `dev` is being registered through the registration of `T`, which
            // outlives it; `sysfs_groups` is read when the device is added to sysfs, after this.
            unsafe {
                if let Some(group) = Self::sysfs_group(dev) {
                    (*dev).sysfs_groups[0] = group.as_ptr();
                }
            }
            // SAFETY: `dev` is valid and RTNL is held.
            let init = T::init(unsafe { Device::from_raw(dev) });
            let data = KBox::pin_init(init, GFP_KERNEL)?;
            // SAFETY: the data is only used pinned, through shared references, and dropped in
            // place by `destructor`.
            let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(data) });
            // SAFETY: the private area holds the pointer; nothing reads it before registration
            // completes and publishes the device.
            unsafe { (*private(dev)).data = raw.cast() };
            Ok(0)
        })
    }

    /// Returns the sysfs group of `T`, from the registration that created `dev`.
    ///
    /// # Safety
    ///
    /// `dev` must be a device of type `T` created through rtnetlink (`rtnl_link_ops` is the
    /// `ops` of a `Registration<T>`, which outlives the device and `'a`).
    unsafe fn sysfs_group<'a>(dev: *mut bindings::net_device) -> Option<&'a sysfs::Group<T>> {
        // SAFETY: as the caller guarantees.
        unsafe {
            let ops = (*dev).rtnl_link_ops;
            if ops.is_null() {
                return None;
            }
            let offset = core::mem::offset_of!(Registration<T>, ops);
            let reg = ops.cast::<u8>().sub(offset).cast::<Registration<T>>();
            (*reg).sysfs.as_ref()
        }
    }

    /// Returns the master whose port `port` is, or null.
    ///
    /// # Safety
    ///
    /// `port` must be valid and RTNL held.
    unsafe fn linked_master(port: *mut bindings::net_device) -> *mut bindings::net_device {
        let ours: bindings::rx_handler_func_t = Some(Self::handle_frame);
        // A handler equal to ours is the receive handler of a link type (possibly another one
        // whose identical code was merged with ours), so its data is a master whose private
        // area is a `Private`, which tells the type.
        // SAFETY: the caller guarantees validity and RTNL, under which the handler changes.
        unsafe {
            #[allow(unpredictable_function_pointer_comparisons)]
            let linked = (*port).rx_handler == ours;
            if !linked {
                return core::ptr::null_mut();
            }
            let master = (*port).rx_handler_data.cast::<bindings::net_device>();
            if master.is_null() || (*private(master)).kind != TypeId::of::<T>() {
                return core::ptr::null_mut();
            }
            master
        }
    }

    /// `ndo_uninit`: lets the type release its ports, then unlinks any left.
    ///
    /// # Safety
    ///
    /// Called once by the core, RTNL held, after a successful `ndo_init`.
    unsafe extern "C" fn uninit(dev: *mut bindings::net_device) {
        // SAFETY: `ndo_uninit` follows a successful `ndo_init`, so the data is built; RTNL is
        // held.
        T::uninit(unsafe { Master::from_raw(dev) });
        // SAFETY: `dev` is valid and its private area initialised.
        unsafe { (*private(dev)).timer_off.store(true, Ordering::Release) };
        // The data path (`Live::kick_timer`) has seen `timer_off` or armed the timer by now.
        crate::net::dev::synchronize_net();
        // Nothing arms the timer after this: no `Master` of the device is reachable any more,
        // and the data path sees `timer_off`.
        // SAFETY: the timer was initialised in `setup`; its callback only tries RTNL, which we
        // hold, so waiting for it cannot deadlock.
        unsafe { bindings::cancel_delayed_work_sync((*private(dev)).timer.get()) };
        loop {
            let mut port: *mut bindings::net_device = core::ptr::null_mut();
            // SAFETY: `dev` is valid and RTNL is held, under which its lower list changes. The
            // walk (`netdev_for_each_lower_dev`) starts again after each unlink.
            unsafe {
                let mut iter: *mut bindings::list_head =
                    core::ptr::addr_of_mut!((*dev).adj_list.lower);
                loop {
                    let lower = bindings::netdev_lower_get_next(dev, &mut iter);
                    if lower.is_null() {
                        break;
                    }
                    if Self::linked_master(lower.cast()) == dev {
                        port = lower.cast();
                        break;
                    }
                }
            }
            if port.is_null() {
                break;
            }
            // SAFETY: `port` is a lower device of `dev`; RTNL is held.
            unsafe { Self::unlink(port, dev) };
        }
    }

    /// Marks a device as a port (`IFF_SLAVE`) without IPv6 autoconfiguration
    /// (`IFF_NO_ADDRCONF`), as bonding does: a port carries its master's address and must not
    /// claim the master's link-local address for itself. Or clears both marks.
    ///
    /// # Safety
    ///
    /// `dev` must be valid and RTNL held.
    unsafe fn mark_port(dev: *mut bindings::net_device, port: bool) {
        let no_addrconf = bindings::netdev_priv_flags_IFF_NO_ADDRCONF as crate::ffi::c_ulong;
        // SAFETY: the caller guarantees validity and RTNL, under which these flags change.
        unsafe {
            let fast = &mut (*dev).__bindgen_anon_1.priv_flags_fast;
            if port {
                (*dev).flags |= bindings::net_device_flags_IFF_SLAVE;
                fast.set_priv_flags(fast.priv_flags() | no_addrconf);
            } else {
                (*dev).flags &= !bindings::net_device_flags_IFF_SLAVE;
                fast.set_priv_flags(fast.priv_flags() & !no_addrconf);
            }
        }
    }

    /// Unlinks `port` from `master` if it is linked there.
    ///
    /// # Safety
    ///
    /// Both devices must be valid and RTNL held.
    unsafe fn unlink(port: *mut bindings::net_device, master: *mut bindings::net_device) {
        // SAFETY: the caller guarantees validity and RTNL.
        unsafe {
            if Self::linked_master(port) != master {
                return;
            }
            // Waits for handlers in flight, which use the master.
            bindings::netdev_rx_handler_unregister(port);
            bindings::netdev_upper_dev_unlink(port, master);
            Self::mark_port(port, false);
        }
    }

    /// The callback of the device's timer.
    ///
    /// # Safety
    ///
    /// Called by the workqueue with the `work` of a `Private`'s `timer`, which `ndo_uninit`
    /// cancels before the device can be freed.
    unsafe extern "C" fn run_timer(work: *mut bindings::work_struct) {
        // A `delayed_work` starts with its `work`.
        let offset = core::mem::offset_of!(Private, timer);
        // SAFETY: `work` is the timer of a `Private`, the private area of a live device.
        let dev = unsafe { (*work.cast::<u8>().sub(offset).cast::<Private>()).dev };
        let Some(_rtnl) = rtnl::Guard::try_lock() else {
            // SAFETY: the device is live (see above); a timer being cancelled is not re-armed.
            unsafe {
                bindings::mod_delayed_work(bindings::system_wq, (*private(dev)).timer.get(), 1)
            };
            return;
        };
        // SAFETY: the device is valid and RTNL is held; only a registered device has its data
        // built and a `Master`.
        unsafe {
            // Only `schedule` arms the timer, and it requires `timer`: the test keeps the
            // default out of the build.
            if T::HAS_TIMER
                && u32::from((*dev).reg_state) == bindings::netdev_reg_state_NETREG_REGISTERED
            {
                T::timer(Master::from_raw(dev));
            }
        }
    }

    /// `priv_destructor`: drops the private data once the device has no user left.
    ///
    /// # Safety
    ///
    /// Called once by the core when the device is freed, or when its registration fails after
    /// `ndo_init`.
    unsafe extern "C" fn destructor(dev: *mut bindings::net_device) {
        // SAFETY: the private area holds the pointer, built by `init` or still null.
        let raw = unsafe { core::mem::replace(&mut (*private(dev)).data, core::ptr::null()) };
        if !raw.is_null() {
            // SAFETY: `raw` came from `KBox::into_raw` in `init`, and no one uses the device any
            // more.
            drop(unsafe { KBox::from_raw(raw.cast_mut().cast::<T::Data>()) });
        }
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
            // `netdev_core_pick_tx` asks `select_queue` only with more than one queue; without
            // it (one queue, or a caller that picks the queue itself: tc skbedit, AF_XDP,
            // pktgen) the saved field holds whatever the layer before left there, and the
            // buffer keeps its mapping.
            // SAFETY: `dev` is valid for the call; the count only changes under RTNL with
            // transmit quiesced.
            if T::HAS_TX_PORT && unsafe { (*dev).real_num_tx_queues } > 1 {
                // SAFETY: the buffer is ours; the field is plain data whatever it holds, and the
                // port picks its queue again from it.
                unsafe {
                    let queue = bindings::skb_port_queue_mapping(skb.as_ptr());
                    (*skb.as_ptr()).queue_mapping = queue;
                }
            }
            // SAFETY: the stack hands the buffer over.
            let skb = unsafe { SkBuff::from_raw(skb) };
            // SAFETY: transmit only runs on a registered device, whose data is built.
            T::start_xmit(unsafe { Live::from_raw(dev) }, skb);
        }
        bindings::netdev_tx_NETDEV_TX_OK
    }

    /// `ndo_select_queue`: the queue the transmitting port would choose, see
    /// [`LinkType::tx_port`].
    ///
    /// # Safety
    ///
    /// Called by `netdev_core_pick_tx` (or AF_PACKET's qdisc bypass, or netpoll) with a buffer
    /// about to be sent on a registered device of this type; this takes its own RCU guard.
    unsafe extern "C" fn select_queue(
        dev: *mut bindings::net_device,
        skb: *mut bindings::sk_buff,
        _sb_dev: *mut bindings::net_device,
    ) -> u16 {
        // SAFETY: the buffer is valid for the call; its mapping is what the port must see.
        let original = unsafe { (*skb).queue_mapping };
        let guard = rcu::read_lock();
        // SAFETY: as documented; a registered device has its data built.
        let live = unsafe { Live::<T>::from_raw(dev) };
        let queue = match T::tx_port(live, &guard) {
            Some(port) => {
                let port = port.as_raw();
                // SAFETY: `port` is valid under `guard`; a driver's `ndo_select_queue` takes
                // any buffer being sent, and `netdev_pick_tx` any device and buffer. A port
                // with one queue has no choice to make (the core does not ask it either).
                unsafe {
                    if (*port).real_num_tx_queues <= 1 {
                        0
                    } else {
                        match (*(*port).netdev_ops).ndo_select_queue {
                            Some(select) => select(port, skb, core::ptr::null_mut()),
                            None => bindings::netdev_pick_tx(port, skb, core::ptr::null_mut()),
                        }
                    }
                }
            }
            None => 0,
        };
        // Saved after the port chose: its `ndo_select_queue` may use the same field (netvsc
        // does). Restored by `start_xmit`.
        // SAFETY: the buffer is valid for the call.
        unsafe { bindings::skb_set_port_queue_mapping(skb, original) };
        // SAFETY: `dev` is valid; the count only changes under RTNL with transmit quiesced.
        let real = unsafe { (*dev).real_num_tx_queues };
        // Fewer queues here than on the port: fold, as net_failover does.
        match u16::try_from(real) {
            Ok(real) if real > 0 => queue % real,
            _ => 0,
        }
    }

    /// `ndo_get_stats64`: the device's own per-CPU counters, then the ports'.
    ///
    /// # Safety
    ///
    /// Called by `dev_get_stats`, in any context, with a registered device of this type and
    /// zeroed `storage`.
    unsafe extern "C" fn get_stats64(
        dev: *mut bindings::net_device,
        storage: *mut bindings::rtnl_link_stats64,
    ) {
        // SAFETY: as documented; the device's statistics are per-CPU `tstats` (`setup`).
        unsafe { bindings::dev_get_tstats64(dev, storage) };
        // SAFETY: as documented; a registered device has its data built.
        let ports = T::port_stats(unsafe { Live::<T>::from_raw(dev) });
        // SAFETY: `storage` is valid for the call.
        let s = unsafe { &mut *storage };
        s.rx_errors = s.rx_errors.wrapping_add(ports.rx_errors);
        s.tx_errors = s.tx_errors.wrapping_add(ports.tx_errors);
        s.tx_dropped = s.tx_dropped.wrapping_add(ports.tx_dropped);
    }

    /// `rtnl_link_ops.get_num_tx_queues`.
    extern "C" fn tx_queues() -> crate::ffi::c_uint {
        T::TX_QUEUES
    }

    /// The receive handler of linked ports.
    ///
    /// # Safety
    ///
    /// Called by `__netif_receive_skb` under RCU, on a port linked by `link_port`.
    unsafe extern "C" fn handle_frame(
        pskb: *mut *mut bindings::sk_buff,
    ) -> bindings::rx_handler_result_t {
        // The port's handler data is its master, published before the handler by
        // `netdev_rx_handler_register` and alive until the handler is unregistered, which waits
        // for us.
        // SAFETY: `pskb` points to a valid buffer received on its `dev`, a linked port.
        let (port, master) = unsafe {
            let port = (**pskb)
                .__bindgen_anon_1
                .__bindgen_anon_1
                .__bindgen_anon_1
                .dev;
            (port, (*port).rx_handler_data.cast::<bindings::net_device>())
        };
        if !T::HAS_HANDLE_FRAME {
            // Not reached: `link_port` requires `handle_frame`.
            return bindings::rx_handler_result_RX_HANDLER_PASS;
        }
        // SAFETY: see above; the master's data lives until its destructor, after the unlink.
        // The handler only reads the buffer, which nobody changes before it returns.
        let verdict = unsafe {
            let frame = Frame::from_raw(NonNull::new_unchecked(*pskb));
            T::handle_frame(Live::from_raw(master), Netdev::from_raw(port), &frame)
        };
        match verdict {
            RxVerdict::Pass => bindings::rx_handler_result_RX_HANDLER_PASS,
            RxVerdict::Exact => bindings::rx_handler_result_RX_HANDLER_EXACT,
            RxVerdict::Deliver => {
                // SAFETY: the buffer is ours to hand on; a shared one is copied first, since
                // its device changes.
                let skb = unsafe { bindings::skb_share_check(*pskb, bindings::GFP_ATOMIC) };
                if skb.is_null() {
                    return bindings::rx_handler_result_RX_HANDLER_CONSUMED;
                }
                // SAFETY: `skb` is valid and ours; the master is registered, so its `tstats`
                // are allocated.
                unsafe {
                    *pskb = skb;
                    (*skb)
                        .__bindgen_anon_1
                        .__bindgen_anon_1
                        .__bindgen_anon_1
                        .dev = master;
                    bindings::dev_sw_netstats_rx_add(master, (*skb).len);
                }
                bindings::rx_handler_result_RX_HANDLER_ANOTHER
            }
        }
    }

    /// `ndo_set_rx_mode`.
    ///
    /// # Safety
    ///
    /// Called by the core with the address lock of a registered device of this type held.
    unsafe extern "C" fn set_rx_mode(dev: *mut bindings::net_device) {
        if !T::HAS_SET_RX_MODE {
            // Not reached: the callback is installed only with `set_rx_mode`.
            return;
        }
        // SAFETY: a registered device has its data built until its destructor.
        let dev = unsafe { Live::from_raw(dev) };
        // INVARIANT: the core holds the address lock for this call.
        let mode = RxMode { dev };
        T::set_rx_mode(&mode);
    }

    /// `ndo_add_slave`.
    ///
    /// # Safety
    ///
    /// Called by rtnetlink, RTNL held, with a registered device of this type, another valid
    /// device and a valid or null `extack`.
    unsafe extern "C" fn add_port(
        dev: *mut bindings::net_device,
        port: *mut bindings::net_device,
        extack: *mut bindings::netlink_ext_ack,
    ) -> crate::ffi::c_int {
        // SAFETY: as documented; a registered device has its data built.
        let (master, port, extack) = unsafe {
            (
                Master::<T>::from_raw(dev),
                Device::from_raw(port),
                ExtAck::from_raw(extack),
            )
        };
        from_result(|| T::add_port(master, port, extack).map(|()| 0))
    }

    /// `ndo_del_slave`.
    ///
    /// # Safety
    ///
    /// Called by rtnetlink, RTNL held, with a registered device of this type and another valid
    /// device.
    unsafe extern "C" fn del_port(
        dev: *mut bindings::net_device,
        port: *mut bindings::net_device,
    ) -> crate::ffi::c_int {
        // SAFETY: as documented; a registered device has its data built.
        let (master, port) = unsafe { (Master::<T>::from_raw(dev), Device::from_raw(port)) };
        from_result(|| T::del_port(master, port).map(|()| 0))
    }

    /// `ndo_change_mtu`.
    ///
    /// # Safety
    ///
    /// Called by `dev_set_mtu`, RTNL held, with a registered device of this type and an MTU
    /// within its limits.
    unsafe extern "C" fn change_mtu(
        dev: *mut bindings::net_device,
        mtu: crate::ffi::c_int,
    ) -> crate::ffi::c_int {
        from_result(|| {
            let mtu = u32::try_from(mtu).map_err(|_| EINVAL)?;
            // SAFETY: as documented; a registered device has its data built.
            T::change_mtu(unsafe { Master::<T>::from_raw(dev) }, mtu)?;
            // SAFETY: RTNL is held; lockless readers use `READ_ONCE`.
            unsafe { core::ptr::addr_of_mut!((*dev).mtu).write_volatile(mtu) };
            Ok(0)
        })
    }

    /// `ndo_set_mac_address`: the core's checks, then the link type, then the address.
    ///
    /// # Safety
    ///
    /// Called by `dev_set_mac_address`, RTNL held, with a registered device of this type and
    /// `addr` pointing to a `struct sockaddr` of the device's address family.
    unsafe extern "C" fn set_mac(
        dev: *mut bindings::net_device,
        addr: *mut c_void,
    ) -> crate::ffi::c_int {
        from_result(|| {
            // SAFETY: as documented.
            to_result(unsafe { bindings::eth_prepare_mac_addr_change(dev, addr) })?;
            let mut mac = [0u8; ETH_ALEN];
            // SAFETY: `addr` is a `sockaddr`, whose `sa_data` holds at least 14 bytes, more than
            // `ETH_ALEN`.
            unsafe {
                let data =
                    core::ptr::addr_of!((*addr.cast::<bindings::sockaddr>()).__bindgen_anon_1);
                core::ptr::copy_nonoverlapping(data.cast::<u8>(), mac.as_mut_ptr(), ETH_ALEN);
            }
            // SAFETY: as documented; a registered device has its data built.
            T::set_mac(unsafe { Master::<T>::from_raw(dev) }, &mac)?;
            // SAFETY: as documented, and checked by `eth_prepare_mac_addr_change`.
            unsafe { bindings::eth_commit_mac_addr_change(dev, addr) };
            Ok(0)
        })
    }

    /// `ndo_change_rx_flags`.
    ///
    /// # Safety
    ///
    /// Called by the core with RTNL held and a device of type `T` past `ndo_init`.
    unsafe extern "C" fn change_rx_flags(
        dev: *mut bindings::net_device,
        changed: crate::ffi::c_int,
    ) {
        // SAFETY: as documented; the data is built in `ndo_init` and freed by the destructor.
        let dev = unsafe { Master::<T>::from_raw(dev) };
        T::change_rx_flags(dev, RxFlags(changed as u32));
    }

    /// `ndo_vlan_rx_add_vid`.
    ///
    /// # Safety
    ///
    /// As for [`Self::vlan_change`].
    unsafe extern "C" fn vlan_add(
        dev: *mut bindings::net_device,
        proto: bindings::__be16,
        vid: u16,
    ) -> crate::ffi::c_int {
        // SAFETY: as the caller guarantees.
        unsafe { Self::vlan_change(dev, Vlan::from_raw(proto, vid), T::vlan_add) }
    }

    /// `ndo_vlan_rx_kill_vid`.
    ///
    /// # Safety
    ///
    /// As for [`Self::vlan_change`].
    unsafe extern "C" fn vlan_del(
        dev: *mut bindings::net_device,
        proto: bindings::__be16,
        vid: u16,
    ) -> crate::ffi::c_int {
        // SAFETY: as the caller guarantees.
        unsafe { Self::vlan_change(dev, Vlan::from_raw(proto, vid), T::vlan_del) }
    }

    /// Hands a VLAN filter change to the type.
    ///
    /// # Safety
    ///
    /// Called by the VLAN core with RTNL held and a device of type `T` past `ndo_init` (its
    /// VLAN devices are deleted while it unregisters, before `ndo_uninit`).
    unsafe fn vlan_change(
        dev: *mut bindings::net_device,
        vlan: Vlan,
        change: fn(&Master<T>, Vlan) -> Result,
    ) -> crate::ffi::c_int {
        // SAFETY: as documented; the data is built in `ndo_init` and freed by the destructor.
        let dev = unsafe { Master::<T>::from_raw(dev) };
        from_result(|| change(dev, vlan).map(|()| 0))
    }

    /// `rtnl_link_ops.get_size`.
    unsafe extern "C" fn info_size(_dev: *const bindings::net_device) -> usize {
        T::INFO_SIZE
    }

    /// `rtnl_link_ops.fill_info`.
    ///
    /// # Safety
    ///
    /// Called by `rtnl_fill_ifinfo`, RTNL held, with a message under construction and a device
    /// of this type past `ndo_init`.
    unsafe extern "C" fn fill_info(
        skb: *mut bindings::sk_buff,
        dev: *const bindings::net_device,
    ) -> crate::ffi::c_int {
        // SAFETY: as documented; the message is ours to append to for the call.
        let mut msg = unsafe { Message::from_raw(skb) };
        from_result(|| {
            // SAFETY: as documented; the device is not `const` in memory (the core passes it
            // so to say the fill does not change it, which `LinkType::fill_info` documents).
            T::fill_info(unsafe { Master::<T>::from_raw(dev.cast_mut()) }, &mut msg)?;
            Ok(0)
        })
    }

    /// `rtnl_link_ops.get_slave_size`, called under RCU: it may not sleep.
    unsafe extern "C" fn port_info_size(
        _dev: *const bindings::net_device,
        _port: *const bindings::net_device,
    ) -> usize {
        T::PORT_INFO_SIZE
    }

    /// `rtnl_link_ops.fill_slave_info`.
    ///
    /// # Safety
    ///
    /// Called by `rtnl_fill_ifinfo`, RTNL held, with a message under construction, a device
    /// of this type past `ndo_init` and one of its ports.
    unsafe extern "C" fn fill_port_info(
        skb: *mut bindings::sk_buff,
        dev: *const bindings::net_device,
        port: *const bindings::net_device,
    ) -> crate::ffi::c_int {
        // SAFETY: as documented; the message is ours to append to for the call.
        let mut msg = unsafe { Message::from_raw(skb) };
        from_result(|| {
            // SAFETY: as documented, as in `fill_info`.
            let master = unsafe { Master::<T>::from_raw(dev.cast_mut()) };
            // SAFETY: `port` is a registered device and RTNL is held.
            let port = unsafe { Device::from_raw(port.cast_mut()) };
            T::fill_port_info(master, port, &mut msg)?;
            Ok(0)
        })
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
        // SAFETY: `extack` is valid or null for the request being handled.
        if let Some(extack) = unsafe { ExtAck::from_raw(extack) } {
            extack.set_message(Self::BAD_ADDRESS);
        }
        -(bindings::EADDRNOTAVAIL as crate::ffi::c_int)
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
/// use kernel::net::{dev::Device, link::{LinkType, Live, Registration}, skbuff::SkBuff};
///
/// struct Sink;
///
/// #[vtable]
/// impl LinkType for Sink {
///     const KIND: &'static CStr = kernel::c_str!("rust_doctest_sink");
///     type Data = ();
///     fn init(_dev: &Device) -> impl PinInit<(), Error> {}
///     fn start_xmit(dev: &Live<Self>, skb: SkBuff) {
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
    /// The sysfs group every device of the type gets.
    sysfs: Option<sysfs::Group<T>>,
    _t: PhantomData<T>,
}

// SAFETY: the ops are only touched by rtnetlink, under its locks; `Registration` exposes nothing.
unsafe impl<T: LinkType> Send for Registration<T> {}

// SAFETY: `&Registration` gives access to nothing.
unsafe impl<T: LinkType> Sync for Registration<T> {}

impl<T: LinkType> Registration<T> {
    /// Registers the link type. Fails with `EEXIST` if the kind is taken.
    pub fn new() -> impl PinInit<Self, Error> {
        // A zero size with attributes to fill would overrun the core's estimate of the message.
        crate::build_assert!(!T::HAS_FILL_INFO || T::INFO_SIZE > 0);
        crate::build_assert!(!T::HAS_FILL_PORT_INFO || T::PORT_INFO_SIZE > 0);
        let register = move |slot: *mut Opaque<bindings::rtnl_link_ops>| {
            let ops = Opaque::raw_get(slot);
            // SAFETY: `slot` is valid for writes; zeroed ops with a kind and a setup callback are
            // valid, and `T::KIND` is `'static`.
            unsafe {
                ops.write(core::mem::zeroed());
                (*ops).kind = T::KIND.as_char_ptr();
                (*ops).priv_size = core::mem::size_of::<Private>();
                (*ops).setup = Some(Adapter::<T>::setup);
                (*ops).validate = Some(Adapter::<T>::validate);
                if T::TX_QUEUES > 1 {
                    (*ops).get_num_tx_queues = Some(Adapter::<T>::tx_queues);
                }
                if T::HAS_FILL_INFO {
                    (*ops).get_size = Some(Adapter::<T>::info_size);
                    (*ops).fill_info = Some(Adapter::<T>::fill_info);
                }
                if T::HAS_FILL_PORT_INFO {
                    (*ops).get_slave_size = Some(Adapter::<T>::port_info_size);
                    (*ops).fill_slave_info = Some(Adapter::<T>::fill_port_info);
                }
            }
            // INVARIANT: on success the ops are registered with `Adapter<T>`'s callbacks.
            // SAFETY: `ops` is initialised and pinned; it stays registered until `drop`.
            to_result(unsafe { bindings::rtnl_link_register(ops) })
        };
        try_pin_init!(Self {
            // Built first: devices can use it as soon as the ops are registered.
            sysfs: sysfs::Group::new()?,
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
